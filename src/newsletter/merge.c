/*
 * merge.c — merge fields in broadcast subjects and bodies: {{key}} and
 * {{key|fallback}}, where key is "name", "email" or a custom field key
 * ([a-z0-9_]{1,40}), or "form:SLUG" (a form's slug, core/slug.c: the
 * reader's own link to that form, forms/answer.c). An unknown or empty
 * value gives the fallback, or "".
 *
 * In HTML mode the template is HTML (a body already rendered from
 * Markdown): looked-up values are HTML-escaped, while the fallback is part
 * of the template and copied as written. Text that merely looks like a tag
 * ("{{ not a key }}", an unclosed "{{") is copied unchanged.
 */
#include "newsletter/newsletter.h"

#define KEY_MAX  40
#define FORM_TAG "form:"
#define SLUG_MAX 200
#define TAG_MAX  (sizeof(FORM_TAG) - 1 + SLUG_MAX) /* the longest key of a tag */

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static struct str trim(const char *p, size_t len)
{
	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	return str_from(p, len);
}

static enum jm_rc append_escaped(struct buf *out, const char *s)
{
	enum jm_rc rc = JM_OK;
	for (; *s && !rc; s++) {
		switch (*s) {
		case '&': rc = buf_appends(out, "&amp;"); break;
		case '<': rc = buf_appends(out, "&lt;"); break;
		case '>': rc = buf_appends(out, "&gt;"); break;
		case '"': rc = buf_appends(out, "&quot;"); break;
		case '\'': rc = buf_appends(out, "&#39;"); break;
		default: rc = buf_appendc(out, *s);
		}
	}
	return rc;
}

/* inner is what lies between "{{" and "}}". Returns false when it is not a
 * merge tag (the caller copies it literally). */
static bool parse_tag(const char *inner, size_t len, char key[TAG_MAX + 1], struct str *fallback)
{
	const char *bar = memchr(inner, '|', len);
	struct str k = trim(inner, bar ? (size_t)(bar - inner) : len);
	size_t fl = sizeof(FORM_TAG) - 1;
	bool form = k.len > fl && !memcmp(k.p, FORM_TAG, fl);
	if (k.len == 0 || k.len > (form ? TAG_MAX : KEY_MAX))
		return false;
	for (size_t i = 0; !form && i < k.len; i++)
		if (!key_char(k.p[i]))
			return false;
	memcpy(key, k.p, k.len);
	key[k.len] = '\0';
	if (form && !jm_slug_valid(key + fl, SLUG_MAX))
		return false;
	*fallback = bar ? trim(bar + 1, len - (size_t)(bar + 1 - inner)) : str_from("", 0);
	return true;
}

static enum jm_rc merge_one(const char *key, struct str fallback, nl_lookup_fn lookup, void *user,
                            bool html, struct buf *out)
{
	const char *v = lookup ? lookup(key, user) : NULL;
	enum jm_rc rc = JM_OK;
	if (v && *v && html && !strncmp(key, FORM_TAG, sizeof(FORM_TAG) - 1)) {
		/* A form's link is clickable in the HTML part. */
		rc = buf_appends(out, "<a href=\"");
		rc = rc ? rc : append_escaped(out, v);
		rc = rc ? rc : buf_appends(out, "\">");
		rc = rc ? rc : append_escaped(out, v);
		return rc ? rc : buf_appends(out, "</a>");
	}
	if (v && *v)
		return html ? append_escaped(out, v) : buf_appends(out, v);
	return buf_append(out, fallback.p, fallback.len);
}

enum jm_rc nl_merge(const char *tpl, size_t len, nl_lookup_fn lookup, void *user, bool html_escape,
                    struct buf *out)
{
	const char *p = tpl, *end = tpl + len;
	enum jm_rc rc = JM_OK;
	while (p < end && !rc) {
		const char *open = memmem(p, (size_t)(end - p), "{{", 2);
		if (!open)
			break;
		const char *close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (!close)
			break;
		char key[TAG_MAX + 1];
		struct str fb;
		if (!parse_tag(open + 2, (size_t)(close - open - 2), key, &fb)) {
			/* Not a tag: keep "{{" and look again after it. */
			rc = buf_append(out, p, (size_t)(open + 2 - p));
			p = open + 2;
			continue;
		}
		rc = buf_append(out, p, (size_t)(open - p));
		if (!rc)
			rc = merge_one(key, fb, lookup, user, html_escape, out);
		p = close + 2;
	}
	if (!rc && p < end)
		rc = buf_append(out, p, (size_t)(end - p));
	if (!rc && !out->ptr)
		rc = buf_append(out, "", 0);
	return rc;
}
