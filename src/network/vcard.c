/*
 * vcard.c — people as vCard 3.0 (RFC 2426) and 4.0 (RFC 6350).
 *
 * Export, per person: FN, N (family;given from the name split at its first
 * space), furigana as SORT-STRING (3.0) or N;SORT-AS (4.0) and as
 * X-PHONETIC-LAST-NAME / X-PHONETIC-FIRST-NAME (what phones read), ORG,
 * TITLE, EMAIL, URL;TYPE=<link kind>, NOTE, CATEGORIES (tags), and
 * X-JINMYAKU-STAGE / -CAN-OFFER / -LOOKING-FOR. Text values escape \ , ;
 * and newlines; lines end in CRLF and are folded at 75 octets, never inside
 * a UTF-8 sequence (RFC 6350 3.2).
 *
 * Import: UTF-8 only (a BOM is skipped), both versions, any number of cards
 * (at most NET_IO_MAX_ROWS), lines unfolded (CRLF or LF, then a space or a
 * tab) and values unescaped; unknown properties are ignored. Strict: text
 * outside a card, a nested or unclosed card, a line without a colon or a
 * version other than 3.0/4.0 stops the import with the line number; cards
 * go through the two-pass driver of io_rec.c (nothing of a bad file is
 * imported). A logical line is capped at VC_LINE_MAX bytes.
 */
#include "network/io_int.h"

#define VC_LINE_MAX (1u << 20)
#define VC_FOLD     75 /* octets per physical line, without the CRLF */
#define VC_CHUNK    65536

/* ---- export ---- */

struct vexp {
	struct net_io_out o;
	int version;
	struct buf line, val; /* the logical line being built, a value */
};

/* Appends s escaped as a TEXT value (\\ \, \; \n; CR dropped). */
static enum jm_rc esc(struct buf *b, const char *s)
{
	enum jm_rc rc = JM_OK;
	for (; *s && !rc; s++) {
		if (*s == '\\' || *s == ',' || *s == ';')
			rc = buf_appendc(b, '\\');
		if (!rc && *s == '\n')
			rc = buf_appends(b, "\\n");
		else if (!rc && *s != '\r')
			rc = buf_appendc(b, *s);
	}
	return rc;
}

/* Writes the logical line in w->line folded into physical lines. */
static enum jm_rc emit(struct vexp *w)
{
	const char *p = buf_cstr(&w->line);
	size_t n = w->line.len;
	enum jm_rc rc = JM_OK;
	for (bool first = true; !rc && (first || n); first = false) {
		size_t max = first ? VC_FOLD : VC_FOLD - 1;
		size_t k = n <= max ? n : utf8_truncate(p, n, max);
		if (!first)
			rc = buf_appendc(&w->o.b, ' ');
		rc = rc ? rc : buf_append(&w->o.b, p, k);
		rc = rc ? rc : buf_appends(&w->o.b, "\r\n");
		p += k;
		n -= k;
	}
	buf_reset(&w->line);
	return rc;
}

/* NAME:escaped(value), unless value is empty. */
static enum jm_rc prop(struct vexp *w, const char *name, const char *value)
{
	if (!value[0])
		return JM_OK;
	enum jm_rc rc = buf_appendf(&w->line, "%s:", name);
	rc = rc ? rc : esc(&w->line, value);
	return rc ? rc : emit(w);
}

/* Splits s at its first space (ASCII or U+3000) into two components. */
static void split_name(const char *s, struct buf *out, const char **second)
{
	buf_reset(out);
	const char *sp = strchr(s, ' '), *wide = strstr(s, "\xE3\x80\x80");
	size_t skip = 1;
	if (wide && (!sp || wide < sp))
		sp = wide, skip = 3;
	size_t n = sp ? (size_t)(sp - s) : strlen(s);
	if (buf_append(out, s, n) != JM_OK)
		buf_reset(out);
	*second = sp ? sp + skip : "";
}

/* A SORT-AS value needs no quoting rules beyond the quotes themselves. */
static bool sort_as_ok(const char *s)
{
	return s[0] && !strpbrk(s, "\",^\r\n\t");
}

static enum jm_rc out_names(struct vexp *w, const struct net_io_rec *r)
{
	const char *given = "";
	enum jm_rc rc = prop(w, "FN", r->name[0] ? r->name : r->email[0] ? r->email : r->company);
	split_name(r->name, &w->val, &given);
	rc = rc ? rc : buf_appends(&w->line, "N");
	if (!rc && w->version == 4 && sort_as_ok(r->furigana))
		rc = buf_appendf(&w->line, ";SORT-AS=\"%s\"", r->furigana);
	rc = rc ? rc : buf_appendc(&w->line, ':');
	rc = rc ? rc : esc(&w->line, buf_cstr(&w->val));
	rc = rc ? rc : buf_appendc(&w->line, ';');
	rc = rc ? rc : esc(&w->line, given);
	rc = rc ? rc : buf_appends(&w->line, ";;;");
	rc = rc ? rc : emit(w);
	if (!rc && w->version == 3)
		rc = prop(w, "SORT-STRING", r->furigana);
	split_name(r->furigana, &w->val, &given);
	rc = rc ? rc : prop(w, "X-PHONETIC-LAST-NAME", buf_cstr(&w->val));
	return rc ? rc : prop(w, "X-PHONETIC-FIRST-NAME", given);
}

static bool token_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static enum jm_rc out_links(struct vexp *w, const struct net_io_rec *r)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < r->nlinks && !rc; i++) {
		const char *k = r->links[i].kind;
		if (token_ok(k)) {
			rc = buf_appendf(&w->line, "URL;TYPE=%s:%s", k, r->links[i].url);
		} else { /* a quoted parameter value holds anything but DQUOTE */
			rc = buf_appends(&w->line, "URL;TYPE=\"");
			for (; *k && !rc; k++)
				rc = *k == '"' ? JM_OK : buf_appendc(&w->line, *k);
			rc = rc ? rc : buf_appendf(&w->line, "\":%s", r->links[i].url);
		}
		rc = rc ? rc : emit(w);
	}
	return rc;
}

static enum jm_rc out_tags(struct vexp *w, const struct net_io_rec *r)
{
	enum jm_rc rc = r->ntags ? buf_appends(&w->line, "CATEGORIES:") : JM_OK;
	for (size_t i = 0; i < r->ntags && !rc; i++) {
		rc = i ? buf_appendc(&w->line, ',') : JM_OK;
		rc = rc ? rc : esc(&w->line, r->tags[i]);
	}
	return rc || !r->ntags ? rc : emit(w);
}

static enum jm_rc out_card(struct net_io_rec *r, void *user)
{
	struct vexp *w = user;
	enum jm_rc rc = buf_appendf(&w->o.b, "BEGIN:VCARD\r\nVERSION:%s\r\n",
	                            w->version == 4 ? "4.0" : "3.0");
	rc = rc ? rc : out_names(w, r);
	rc = rc ? rc : prop(w, "ORG", r->company);
	rc = rc ? rc : prop(w, "TITLE", r->title);
	rc = rc ? rc : prop(w, w->version == 3 ? "EMAIL;TYPE=INTERNET" : "EMAIL", r->email);
	rc = rc ? rc : out_links(w, r);
	rc = rc ? rc : prop(w, "NOTE", r->notes);
	rc = rc ? rc : out_tags(w, r);
	rc = rc ? rc : prop(w, "X-JINMYAKU-STAGE", r->stage);
	rc = rc ? rc : prop(w, "X-JINMYAKU-CAN-OFFER", r->can_offer);
	rc = rc ? rc : prop(w, "X-JINMYAKU-LOOKING-FOR", r->looking_for);
	rc = rc ? rc : buf_appends(&w->o.b, "END:VCARD\r\n");
	return rc ? rc : net_io_flush(&w->o, VC_CHUNK);
}

enum jm_rc net_people_export_vcard(struct db *db, const struct net_people_query *q, int version,
                                   enum jm_rc (*write)(const char *p, size_t len, void *user),
                                   void *user)
{
	if (version != 3 && version != 4)
		return JM_INVALID;
	struct vexp w = {.o = {.write = write, .user = user}, .version = version};
	buf_init(&w.o.b, 0);
	buf_init(&w.line, VC_LINE_MAX);
	buf_init(&w.val, 0);
	enum jm_rc rc = net_io_export_each(db, q, out_card, &w);
	if (!rc)
		rc = net_io_flush(&w.o, 0);
	buf_free(&w.o.b);
	buf_free(&w.line);
	buf_free(&w.val);
	return rc;
}

/* ---- import ---- */

struct card {
	const char *fn, *family, *given, *sort_string, *sort_as, *ph_last, *ph_first;
	const char *version;
	struct buf notes;
	struct net_io_rec r;
};

struct vimp {
	net_io_each_fn each;
	void *user;
	struct jm_err *err;
	const char *p;
	size_t n, pos;
	int64_t line;    /* number of the next physical line */
	struct buf lv;   /* the current logical (unfolded) line */
	int64_t lv_line; /* where it starts */
	struct arena *a; /* the current card's strings */
	struct card c;
	int64_t card_line, cards;
	bool in_card;
};

#define VC_PARAMS 16
struct vline {
	char *name, *value;
	const char *pn[VC_PARAMS], *pv[VC_PARAMS]; /* parameters, quotes removed */
	int np;
};

static enum jm_rc stop(struct vimp *v, int64_t line, const char *why)
{
	jm_err_set(v->err, "file", "line %lld: %s", (long long)line, why);
	return JM_INVALID;
}

/* Reads the next logical line into v->lv: a physical line (CRLF or LF)
 * and every following one that starts with a space or a tab. */
static enum jm_rc next_line(struct vimp *v, bool *eof)
{
	*eof = v->pos >= v->n;
	buf_reset(&v->lv);
	v->lv_line = v->line;
	while (v->pos < v->n) {
		const char *s = v->p + v->pos, *nl = memchr(s, '\n', v->n - v->pos);
		size_t k = nl ? (size_t)(nl - s) : v->n - v->pos;
		v->pos += k + (nl != NULL);
		v->line++;
		if (k && s[k - 1] == '\r')
			k--;
		if (buf_append(&v->lv, s, k) != JM_OK)
			return stop(v, v->lv_line, "line too long (at most 1 MiB unfolded)");
		if (v->pos >= v->n || (v->p[v->pos] != ' ' && v->p[v->pos] != '\t'))
			break;
		v->pos++; /* the fold's whitespace */
	}
	return JM_OK;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

/* One parameter "name=value[,value]" with its quotes removed (a bare name
 * is a TYPE value, as vCard 2.1 wrote it). Moves *s past the ';' or ':'
 * that ends it and returns that character, or 0 when malformed. */
static char parse_param(char **s, struct vline *l)
{
	char *p = *s, *name = p, *val = NULL;
	while (name_char(*p))
		p++;
	char *name_end = p, end = *p;
	if (p == name)
		return 0;
	if (*p == '=') {
		char *o = val = ++p;
		while (*p && *p != ';' && *p != ':') {
			if (*p != '"') {
				*o++ = *p++;
				continue;
			}
			char *q = strchr(p + 1, '"');
			if (!q)
				return 0;
			memmove(o, p + 1, (size_t)(q - p - 1));
			o += q - p - 1;
			p = q + 1;
		}
		end = *p;
		*o = '\0'; /* o ≤ p, and the terminator was read above */
	}
	if (end != ';' && end != ':')
		return 0;
	*name_end = '\0';
	if (l->np < VC_PARAMS) {
		l->pn[l->np] = val ? name : "TYPE";
		l->pv[l->np++] = val ? val : name;
	}
	*s = p + 1;
	return end;
}

/* Splits "group.NAME;p=v:value" in place. */
static bool parse_line(char *s, struct vline *l)
{
	memset(l, 0, sizeof(*l));
	char *p = s;
	while (name_char(*p))
		p++;
	if (p == s || (*p != ';' && *p != ':'))
		return false;
	char t = *p;
	*p++ = '\0';
	char *dot = strrchr(s, '.');
	l->name = dot ? dot + 1 : s;
	while (t == ';')
		if (!(t = parse_param(&p, l)))
			return false;
	l->value = p;
	return l->name[0] != '\0';
}

static const char *param(const struct vline *l, const char *name)
{
	for (int i = 0; i < l->np; i++)
		if (strcasecmp(l->pn[i], name) == 0)
			return l->pv[i];
	return NULL;
}

/* Unescapes n bytes of a TEXT value into the arena. */
static char *unesc(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			*o++ = s[i];
			continue;
		}
		char c = s[++i];
		*o++ = c == 'n' || c == 'N' ? '\n' : c;
	}
	*o = '\0';
	return out;
}

/* The next component of a list value up to an unescaped sep; NULL at the
 * end. *s moves past it. */
static char *component(struct arena *a, const char **s, char sep)
{
	const char *p = *s;
	if (!p)
		return NULL;
	size_t i = 0;
	while (p[i] && p[i] != sep)
		i += p[i] == '\\' && p[i + 1] ? 2 : 1;
	*s = p[i] ? p + i + 1 : NULL;
	return unesc(a, p, i);
}

static char *trim_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* ---- properties into the card ---- */

static void on_url(struct vimp *v, const struct vline *l)
{
	const char *t = param(l, "TYPE");
	char kind[48] = "site";
	while (t && *t) { /* the first type that is not "pref" */
		size_t k = strcspn(t, ",");
		if (k && k < sizeof(kind) && !(k == 4 && strncasecmp(t, "pref", 4) == 0)) {
			for (size_t i = 0; i < k; i++)
				kind[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] + 32 : t[i]);
			kind[k] = '\0';
			break;
		}
		t = t[k] ? t + k + 1 : NULL;
	}
	(void)net_io_add_link(&v->c.r, arena_strdup(v->a, kind),
	                      trim_ws(unesc(v->a, l->value, strlen(l->value))));
}

static void on_structured(struct vimp *v, const struct vline *l, bool org)
{
	const char *s = l->value;
	if (!org) {
		v->c.family = trim_ws(component(v->a, &s, ';'));
		char *g = component(v->a, &s, ';');
		v->c.given = g ? trim_ws(g) : "";
		const char *sa = param(l, "SORT-AS");
		if (sa) /* components separated by commas */
			v->c.sort_as = trim_ws(unesc(v->a, sa, strlen(sa)));
		return;
	}
	struct buf b;
	buf_init(&b, VC_LINE_MAX);
	for (char *c; (c = component(v->a, &s, ';'));)
		if (*(c = trim_ws(c)) && buf_appendf(&b, "%s%s", b.len ? " " : "", c) != JM_OK)
			break;
	v->c.r.company = arena_strdup(v->a, buf_cstr(&b));
	buf_free(&b);
}

static void on_categories(struct vimp *v, const struct vline *l)
{
	const char *s = l->value;
	for (char *c; (c = component(v->a, &s, ','));)
		if (*(c = trim_ws(c)) && !net_io_add_tag(&v->c.r, c))
			return;
}

static void on_note(struct vimp *v, const char *text)
{
	if (v->c.notes.len && buf_appends(&v->c.notes, "\n\n") != JM_OK)
		return;
	if (buf_appends(&v->c.notes, text) != JM_OK)
		v->c.r.bad = "notes are too long";
}

/* Text properties: where the unescaped value goes. */
static const char **text_slot(struct card *c, const char *name)
{
	static const char *const names[] = {"FN",
	                                    "SORT-STRING",
	                                    "X-PHONETIC-LAST-NAME",
	                                    "X-PHONETIC-FIRST-NAME",
	                                    "TITLE",
	                                    "EMAIL",
	                                    "X-JINMYAKU-STAGE",
	                                    "X-JINMYAKU-CAN-OFFER",
	                                    "X-JINMYAKU-LOOKING-FOR"};
	const char **slots[] = {&c->fn,       &c->sort_string, &c->ph_last,
	                        &c->ph_first, &c->r.title,     &c->r.email,
	                        &c->r.stage,  &c->r.can_offer, &c->r.looking_for};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return slots[i];
	return NULL;
}

static bool known(const char *name)
{
	static const char *const more[] = {"N", "ORG", "URL", "NOTE", "CATEGORIES"};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (strcasecmp(name, more[i]) == 0)
			return true;
	return false;
}

static void on_prop(struct vimp *v, const struct vline *l)
{
	struct card *c = &v->c;
	const char **slot = text_slot(c, l->name);
	if (!slot && !known(l->name))
		return; /* PHOTO, TEL, ADR, …: not kept */
	const char *enc = param(l, "ENCODING"), *cs = param(l, "CHARSET");
	if ((enc && strcasecmp(enc, "8bit") != 0) || (cs && strcasecmp(cs, "UTF-8") != 0)) {
		c->r.bad = "only UTF-8 text is supported (no ENCODING or CHARSET)";
		return;
	}
	if (slot) {
		if (slot != &c->r.email || !c->r.email[0]) /* the first email wins */
			*slot = trim_ws(unesc(v->a, l->value, strlen(l->value)));
	} else if (!strcasecmp(l->name, "N") || !strcasecmp(l->name, "ORG")) {
		on_structured(v, l, !strcasecmp(l->name, "ORG"));
	} else if (!strcasecmp(l->name, "URL")) {
		on_url(v, l);
	} else if (!strcasecmp(l->name, "NOTE")) {
		on_note(v, unesc(v->a, l->value, strlen(l->value)));
	} else {
		on_categories(v, l);
	}
}

/* ---- cards ---- */

static void card_begin(struct vimp *v)
{
	v->a = arena_new(4096);
	memset(&v->c, 0, sizeof(v->c));
	buf_init(&v->c.notes, 200000);
	net_io_rec_clear(&v->c.r);
	v->c.fn = v->c.family = v->c.given = v->c.sort_string = v->c.sort_as = "";
	v->c.ph_last = v->c.ph_first = "";
	v->card_line = v->lv_line;
	v->in_card = true;
	v->cards++;
}

static void card_free(struct vimp *v)
{
	buf_free(&v->c.notes);
	arena_free(v->a);
	v->a = NULL;
	v->in_card = false;
}

static const char *join2(struct arena *a, const char *x, const char *y)
{
	return x[0] && y[0] ? arena_sprintf(a, "%s %s", x, y) : x[0] ? x : y;
}

/* FN (else N as family given); an FN that only repeats the email of a
 * card without N stands for "no name" (that is how the export writes it). */
static enum jm_rc card_end(struct vimp *v)
{
	struct card *c = &v->c;
	struct net_io_rec *r = &c->r;
	r->line = v->card_line;
	r->name = c->fn[0] ? c->fn : join2(v->a, c->family, c->given);
	if (!c->family[0] && !c->given[0] && r->email[0] && !strcasecmp(r->name, r->email))
		r->name = "";
	const char *sort_as = c->sort_as;
	if (strchr(sort_as, ',')) { /* components: "やまだ,たろう" */
		char *d = arena_strdup(v->a, sort_as);
		for (char *q = d; (q = strchr(q, ','));)
			*q = ' ';
		sort_as = d;
	}
	r->furigana = c->sort_string[0] ? c->sort_string
	              : sort_as[0]      ? sort_as
	                                : join2(v->a, c->ph_last, c->ph_first);
	r->notes = arena_strdup(v->a, buf_cstr(&c->notes));
	if (!r->bad && !c->version)
		r->bad = "no VERSION";
	enum jm_rc rc = v->each(r, v->user);
	card_free(v);
	return rc;
}

static enum jm_rc on_line(struct vimp *v, struct vline *l)
{
	bool begin = !strcasecmp(l->name, "BEGIN"), end = !strcasecmp(l->name, "END");
	if ((begin || end) && strcasecmp(l->value, "VCARD") != 0)
		return stop(v, v->lv_line, "expected BEGIN:VCARD or END:VCARD");
	if (!v->in_card) {
		if (!begin)
			return stop(v, v->lv_line, "text outside a card (expected BEGIN:VCARD)");
		card_begin(v);
		return JM_OK;
	}
	if (begin)
		return stop(v, v->lv_line, "BEGIN:VCARD inside a card (END:VCARD missing?)");
	if (end)
		return card_end(v);
	if (!strcasecmp(l->name, "VERSION")) {
		if (strcmp(l->value, "3.0") != 0 && strcmp(l->value, "4.0") != 0)
			return stop(v, v->lv_line, "unsupported vCard version (3.0 or 4.0)");
		v->c.version = l->value[0] == '3' ? "3.0" : "4.0";
		return JM_OK;
	}
	on_prop(v, l);
	return JM_OK;
}

static enum jm_rc parse_cards(struct vimp *v)
{
	enum jm_rc rc = JM_OK;
	bool eof = false;
	while (!rc && !(rc = next_line(v, &eof)) && !eof) {
		if (v->lv.len == 0)
			continue;
		struct vline l;
		if (memchr(v->lv.ptr, '\0', v->lv.len) || !parse_line(v->lv.ptr, &l))
			rc = stop(v, v->lv_line,
			          v->in_card ? "not a vCard line (NAME;PARAM=VALUE:VALUE)"
			                     : "text outside a card (expected BEGIN:VCARD)");
		else
			rc = on_line(v, &l);
	}
	if (!rc && v->in_card)
		rc = stop(v, v->card_line, "card not closed (END:VCARD missing)");
	if (!rc && !v->cards)
		rc = stop(v, 1, "no BEGIN:VCARD found: not a vCard file");
	return rc;
}

/* The line of the first byte that is not UTF-8. */
static int64_t bad_utf8_line(const char *p, size_t n)
{
	int64_t line = 1;
	size_t start = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n') {
			if (!utf8_valid(p + start, i - start))
				return line;
			line++;
			start = i + 1;
		}
	return line;
}

static enum jm_rc parse_vcard(const char *data, size_t len, net_io_each_fn each, void *user,
                              struct net_import_report *rep, struct jm_err *err)
{
	(void)rep;
	struct vimp v = {.each = each, .user = user, .err = err, .p = data, .n = len, .line = 1};
	if (!utf8_valid(data, len))
		return stop(&v, bad_utf8_line(data, len), "not UTF-8 (vCard files must be UTF-8)");
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		v.pos = 3;
	buf_init(&v.lv, VC_LINE_MAX);
	enum jm_rc rc = parse_cards(&v);
	if (v.in_card)
		card_free(&v);
	buf_free(&v.lv);
	return rc;
}

enum jm_rc net_people_import_vcard(struct db *db, const char *data, size_t len, int64_t now,
                                   struct net_import_report *rep, struct jm_err *err)
{
	struct jm_err dummy = {0};
	return net_io_import(db, data ? data : "", data ? len : 0, parse_vcard, now, rep,
	                     err ? err : &dummy);
}
