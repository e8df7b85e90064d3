/*
 * field.c — the field engine (field.h): type names, definition rules and
 * value rules of the fields readers fill in, for forms and for the lists'
 * sign-up fields alike.
 *
 * Invariant: a value accepted here is valid UTF-8 without control
 * characters (a textarea may hold newlines and tabs), within its type's
 * cap, so whatever stores it can show it and put it in a CSV cell; a value
 * that may reach a mail header is still checked there (jm_header_value_ok).
 */
#include "core/field.h"

#include <ctype.h>
#include <strings.h>

static const char *const TYPES[JM_FIELD_NTYPES] = {
        [JM_FIELD_TEXT] = "text",   [JM_FIELD_TEXTAREA] = "textarea", [JM_FIELD_SELECT] = "select",
        [JM_FIELD_MULTI] = "multi", [JM_FIELD_CHECKBOX] = "checkbox", [JM_FIELD_EMAIL] = "email",
        [JM_FIELD_URL] = "url",     [JM_FIELD_NUMBER] = "number",     [JM_FIELD_DATE] = "date",
        [JM_FIELD_TEL] = "tel",     [JM_FIELD_FILE] = "file"};

const char *jm_field_type_name(enum jm_field_type t)
{
	return (unsigned)t < JM_FIELD_NTYPES ? TYPES[t] : "";
}

bool jm_field_type_parse(const char *s, enum jm_field_type *out)
{
	for (unsigned i = 0; s && i < JM_FIELD_NTYPES; i++)
		if (strcmp(s, TYPES[i]) == 0) {
			*out = (enum jm_field_type)i;
			return true;
		}
	return false;
}

void jm_field_types_list(unsigned mask, char *out, size_t n)
{
	size_t used = 0;
	if (!n)
		return;
	out[0] = '\0';
	for (unsigned i = 0; i < JM_FIELD_NTYPES; i++) {
		if (!(mask & JM_FIELD_BIT(i)))
			continue;
		int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", TYPES[i]);
		if (w < 0 || (size_t)w >= n - used)
			return;
		used += (size_t)w;
	}
}

bool jm_field_key_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > JM_FIELD_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

bool jm_field_has_options(enum jm_field_type t)
{
	return t == JM_FIELD_SELECT || t == JM_FIELD_MULTI;
}

/* 1..max bytes of UTF-8 on one line, safe in a mail header. */
static bool line_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 1 && n <= max && utf8_valid(s, n) && !utf8_has_controls(s, n) &&
	       jm_header_value_ok(s, n);
}

static const char *options_problem(const struct jm_field *f, enum jm_field_type t)
{
	if (!jm_field_has_options(t))
		return f->noptions ? "only select and multi take options" : NULL;
	if (f->noptions == 0 || f->noptions > JM_FIELD_OPTIONS_MAX)
		return "a select or multi needs 1 to 100 options";
	for (size_t i = 0; i < f->noptions; i++) {
		if (!line_ok(f->options[i], JM_FIELD_LABEL_MAX))
			return "options must be 1 to 100 bytes on one line";
		for (size_t j = 0; j < i; j++)
			if (strcmp(f->options[i], f->options[j]) == 0)
				return "an option is there twice";
	}
	return NULL;
}

const char *jm_field_def_problem(const struct jm_field *f, unsigned mask)
{
	enum jm_field_type t;
	if (!jm_field_key_ok(f->key))
		return "key must be 1 to 40 of a-z, 0-9 and _";
	if (!line_ok(f->label, JM_FIELD_LABEL_MAX))
		return "label must be 1 to 100 bytes on one line";
	if (!jm_field_type_parse(f->type, &t) || !(mask & JM_FIELD_BIT(t)))
		return NULL; /* told with the list of types by jm_field_defs_check */
	return options_problem(f, t);
}

/* The type is checked apart so the message can list the allowed types. */
static bool type_ok(const char *type, unsigned mask)
{
	enum jm_field_type t;
	return jm_field_type_parse(type, &t) && (mask & JM_FIELD_BIT(t));
}

enum jm_rc jm_field_defs_check(size_t n, size_t max, unsigned mask,
                               void (*get)(size_t i, void *user, struct jm_field *out), void *user,
                               const char *field, struct jm_err *err)
{
	if (n > max) {
		jm_err_set(err, field, "at most %zu fields", max);
		return JM_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		struct jm_field f;
		get(i, user, &f);
		const char *why = jm_field_def_problem(&f, mask);
		char types[160];
		if (!why && !type_ok(f.type, mask)) {
			jm_field_types_list(mask, types, sizeof(types));
			jm_err_set(err, field, "field %zu (%s): type must be one of %s", i + 1,
			           f.key ? f.key : "", types);
			return JM_INVALID;
		}
		for (size_t j = 0; !why && j < i; j++) {
			struct jm_field g;
			get(j, user, &g);
			if (strcmp(g.key, f.key) == 0)
				why = "duplicate key";
		}
		if (why) {
			jm_err_set(err, field, "field %zu (%s): %s", i + 1, f.key ? f.key : "",
			           why);
			return JM_INVALID;
		}
	}
	return JM_OK;
}

/* ---- values ---- */

static bool spelled(const char *v, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (strcasecmp(v, words[i]) == 0)
			return true;
	return false;
}

const char *jm_field_checkbox_value(const char *v)
{
	static const char *const yes[] = {"1", "true", "yes", "y", "on", "checked", "はい",
	                                  "✓", "✔",    "☑",   "○", "〇", "１",      NULL};
	static const char *const no[] = {"",       "0", "false", "no", "n",  "off",
	                                 "いいえ", "×", "✗",     "☐",  "０", NULL};
	if (!v || spelled(v, no))
		return "";
	return spelled(v, yes) ? "1" : NULL;
}

/* Valid UTF-8 of at most max code points; controls refused, but a
 * multi-line value may hold \n, \r and \t. */
static bool text_ok(const char *s, size_t max, bool multiline)
{
	size_t n = strlen(s);
	if (!utf8_valid(s, n) || utf8_count(s, n) > max)
		return false;
	if (multiline)
		return !utf8_has_controls(s, n);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return false;
	return true;
}

static bool is_option(const struct jm_field *f, const char *v)
{
	for (size_t i = 0; i < f->noptions; i++)
		if (f->options[i] && strcmp(f->options[i], v) == 0)
			return true;
	return false;
}

static bool digits(const char *s, size_t *n)
{
	size_t i = 0;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	*n = i;
	return i > 0;
}

static bool number_ok(const char *v)
{
	size_t n;
	if (strlen(v) > JM_FIELD_NUMBER_MAX)
		return false;
	if (*v == '-')
		v++;
	if (!digits(v, &n))
		return false;
	v += n;
	if (*v == '.' && digits(v + 1, &n))
		v += n + 1;
	return *v == '\0';
}

static bool date_ok(const char *v)
{
	int y = 0, m = 0, d = 0;
	if (strlen(v) != 10 || v[4] != '-' || v[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)v[i]))
			return false;
	y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
	m = (v[5] - '0') * 10 + (v[6] - '0');
	d = (v[8] - '0') * 10 + (v[9] - '0');
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

static bool tel_ok(const char *v)
{
	size_t n = strlen(v);
	bool digit = false;
	if (n > JM_FIELD_TEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		digit |= isdigit((unsigned char)v[i]) != 0;
		if (!isdigit((unsigned char)v[i]) && !strchr("+-(). ", v[i]))
			return false;
	}
	return digit;
}

/* http(s)://host[...]: a host of letters, digits, '-', '.' (or an IPv6
 * literal in brackets), then nothing or a '/', '?', '#', ':' part; no
 * spaces or controls anywhere. */
static bool url_ok(const char *v)
{
	size_t n = strlen(v), skip;
	if (n > JM_FIELD_URL_MAX || !utf8_valid(v, n))
		return false;
	if (strncasecmp(v, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(v, "http://", 7) == 0)
		skip = 7;
	else
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || v[i] == 0x7F || v[i] == '<' || v[i] == '>' ||
		    v[i] == '"')
			return false;
	const char *h = v + skip;
	size_t hl = strcspn(h, "/?#:");
	if (hl == 0 && *h != '[')
		return false;
	for (size_t i = 0; i < hl && *h != '['; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' &&
		    (unsigned char)h[i] < 0x80)
			return false;
	return true;
}

static bool file_ok(const char *v)
{
	size_t n;
	return *v != '0' && digits(v, &n) && v[n] == '\0' && n <= 18;
}

static bool email_ok(const char *v)
{
	char copy[JM_FIELD_EMAIL_MAX + 2];
	size_t n = strlen(v);
	if (n > JM_FIELD_EMAIL_MAX)
		return false;
	memcpy(copy, v, n + 1);
	return jm_email_normalize(copy);
}

/* The shape check of a non-empty value of type t. */
static enum jm_field_value shape(const struct jm_field *f, enum jm_field_type t, const char *v)
{
	switch (t) {
	case JM_FIELD_TEXTAREA:
		return text_ok(v, JM_FIELD_TEXTAREA_MAX, true) ? JM_FV_OK : JM_FV_TOO_LONG;
	case JM_FIELD_SELECT:
	case JM_FIELD_MULTI: return is_option(f, v) ? JM_FV_OK : JM_FV_NOT_OPTION;
	case JM_FIELD_EMAIL: return email_ok(v) ? JM_FV_OK : JM_FV_EMAIL;
	case JM_FIELD_URL: return url_ok(v) ? JM_FV_OK : JM_FV_URL;
	case JM_FIELD_NUMBER: return number_ok(v) ? JM_FV_OK : JM_FV_NUMBER;
	case JM_FIELD_DATE: return date_ok(v) ? JM_FV_OK : JM_FV_DATE;
	case JM_FIELD_TEL: return tel_ok(v) ? JM_FV_OK : JM_FV_TEL;
	case JM_FIELD_FILE: return file_ok(v) ? JM_FV_OK : JM_FV_FILE;
	default: return JM_FV_OK;
	}
}

enum jm_field_value jm_field_value_check(const struct jm_field *f, const char *v, bool from_form,
                                         const char **out)
{
	enum jm_field_type t = JM_FIELD_TEXT;
	if (!v)
		v = "";
	if (!jm_field_type_parse(f->type, &t))
		t = JM_FIELD_TEXT;
	if (t == JM_FIELD_CHECKBOX) {
		const char *b = jm_field_checkbox_value(v);
		if (!b && !from_form)
			return JM_FV_NOT_CHECKBOX;
		v = b ? b : "1";
	}
	if (t != JM_FIELD_TEXTAREA && !text_ok(v, JM_FIELD_TEXT_MAX, false))
		return JM_FV_TOO_LONG;
	if (*v) {
		enum jm_field_value c = shape(f, t, v);
		if (c != JM_FV_OK)
			return c;
	} else if (f->required)
		return JM_FV_REQUIRED;
	*out = v;
	return JM_FV_OK;
}

enum jm_field_value jm_field_multi_check(const struct jm_field *f, const char *const *v, size_t n)
{
	size_t given = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i] || !*v[i])
			continue;
		if (!is_option(f, v[i]))
			return JM_FV_NOT_OPTION;
		for (size_t j = 0; j < i; j++)
			if (v[j] && strcmp(v[j], v[i]) == 0)
				return JM_FV_NOT_OPTION;
		given++;
	}
	return f->required && !given ? JM_FV_REQUIRED : JM_FV_OK;
}

static const char *const CODES[JM_FV_NCODES] = {[JM_FV_OK] = "ok",
                                                [JM_FV_REQUIRED] = "required",
                                                [JM_FV_TOO_LONG] = "too_long",
                                                [JM_FV_NOT_OPTION] = "not_option",
                                                [JM_FV_NOT_CHECKBOX] = "not_checkbox",
                                                [JM_FV_EMAIL] = "email",
                                                [JM_FV_URL] = "url",
                                                [JM_FV_NUMBER] = "number",
                                                [JM_FV_DATE] = "date",
                                                [JM_FV_TEL] = "tel",
                                                [JM_FV_FILE] = "file"};

const char *jm_field_value_code(enum jm_field_value c)
{
	return (unsigned)c < JM_FV_NCODES ? CODES[c] : "invalid";
}

void jm_field_value_msg(const struct jm_field *f, enum jm_field_value c, char *out, size_t n)
{
	static const char *const why[JM_FV_NCODES] = {
	        [JM_FV_OK] = "is fine",
	        [JM_FV_REQUIRED] = "is required",
	        [JM_FV_TOO_LONG] = "is too long or holds control characters",
	        [JM_FV_NOT_OPTION] = "must be one of the options",
	        [JM_FV_NOT_CHECKBOX] = "must be a checkbox value (1/0, yes/no, はい/いいえ, ✓)",
	        [JM_FV_EMAIL] = "must be an email address",
	        [JM_FV_URL] = "must be an http:// or https:// URL",
	        [JM_FV_NUMBER] = "must be a number",
	        [JM_FV_DATE] = "must be a date YYYY-MM-DD",
	        [JM_FV_TEL] = "must be a phone number (digits, + - ( ))",
	        [JM_FV_FILE] = "must be an uploaded file"};
	const char *w = (unsigned)c < JM_FV_NCODES ? why[c] : "is invalid";
	snprintf(out, n, "%s %s", f->label && *f->label ? f->label : f->key ? f->key : "", w);
}

bool jm_email_normalize(char *email)
{
	size_t len = strlen(email);
	while (len && isspace((unsigned char)email[len - 1]))
		email[--len] = '\0';
	size_t start = 0;
	while (email[start] && isspace((unsigned char)email[start]))
		start++;
	memmove(email, email + start, len - start + 1);
	len -= start;
	if (len < 3 || len > 254)
		return false;
	const char *at = strchr(email, '@');
	if (!at || at == email || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
	    email[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)email[i];
		if (c <= ' ' || c == 0x7F || c == '<' || c == '>' || c == '"' || c == ',' ||
		    c == ';')
			return false;
		email[i] = (char)tolower(c);
	}
	return true;
}

size_t jm_field_options_split(struct arena *a, const char *s, const char ***out)
{
	size_t n = 1, k = 0;
	s = s ? s : "";
	for (const char *p = s; *p; p++)
		n += *p == '\n';
	const char **opts = arena_calloc(a, (n + 1) * sizeof(char *));
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (len)
			opts[k++] = arena_strndup(a, s, len);
		s += len + (e ? 1 : 0);
	}
	*out = opts;
	return k;
}
