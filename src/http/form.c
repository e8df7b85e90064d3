/*
 * form.c — HTML form input: application/x-www-form-urlencoded (WHATWG URL
 * Standard, "application/x-www-form-urlencoded parsing"), percent-encoding
 * and decoding (RFC 3986 section 2.1), and the choice between that and
 * multipart/form-data (RFC 7578, which is MIME and so parsed by GMime in
 * mail/multipart.c).
 *
 * We are stricter than WHATWG, which passes malformed escapes through: a
 * bad escape, invalid UTF-8 or a NUL byte rejects the whole form, so that
 * handlers only ever see well-formed C strings.
 *
 * Invariants: every output string is NUL-terminated and lives in the
 * caller's arena; nothing here keeps state between calls (thread-safe).
 */
#include <strings.h>

#include "http/http.h"
#include "mail/mail.h"

static int hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes s into out (room for len + 1 bytes); false on a bad escape. */
static bool pct_decode(const char *s, size_t len, bool plus_is_space, char *out, size_t *olen)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '%') {
			int hi = len - i > 2 ? hex_val((unsigned char)s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_val((unsigned char)s[i + 2]) : -1;
			if (lo < 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	*olen = o;
	return true;
}

char *http_url_decode(struct arena *a, const char *s, size_t len, bool plus_is_space)
{
	char *out = arena_alloc(a, len + 1);
	size_t n = 0;
	if (!pct_decode(s, len, plus_is_space, out, &n) || !utf8_valid(out, n) ||
	    memchr(out, '\0', n))
		return NULL;
	return out;
}

enum jm_rc http_url_encode(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		                  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		                  c == '~';
		enum jm_rc rc;
		if (unreserved) {
			rc = buf_appendc(out, (char)c);
		} else {
			char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
			rc = buf_append(out, esc, sizeof(esc));
		}
		if (rc)
			return rc;
	}
	return JM_OK;
}

/* Number of non-empty '&'-separated pieces. */
static size_t count_pairs(const char *s, size_t len)
{
	size_t n = 0;
	bool in_piece = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '&') {
			in_piece = false;
		} else if (!in_piece) {
			in_piece = true;
			n++;
		}
	}
	return n;
}

/* Decodes one key or value; field names the key in errors (NULL: unknown). */
static enum jm_rc decode_part(struct arena *a, const char *s, size_t len, const char *field,
                              const char **out, size_t *olen, struct jm_err *err)
{
	char *d = arena_alloc(a, len + 1);
	if (!pct_decode(s, len, true, d, olen)) {
		jm_err_set(err, field, "invalid percent-encoding");
		return JM_INVALID;
	}
	if (!utf8_valid(d, *olen)) {
		jm_err_set(err, field, "invalid UTF-8");
		return JM_INVALID;
	}
	if (memchr(d, '\0', *olen)) {
		jm_err_set(err, field, "NUL character not allowed");
		return JM_INVALID;
	}
	*out = d;
	return JM_OK;
}

/* Decodes one "key[=value]" piece into field i of out. */
static enum jm_rc decode_pair(struct arena *a, const char *p, size_t len, struct form *out,
                              size_t i, struct jm_err *err)
{
	const char *eq = memchr(p, '=', len);
	size_t klen = eq ? (size_t)(eq - p) : len;
	size_t vlen = eq ? len - klen - 1 : 0;
	size_t ignored = 0;
	enum jm_rc rc = decode_part(a, p, klen, NULL, &out->keys[i], &ignored, err);
	if (rc)
		return rc;
	if (!eq) {
		out->vals[i] = "";
		out->lens[i] = 0;
		return JM_OK;
	}
	return decode_part(a, eq + 1, vlen, out->keys[i], &out->vals[i], &out->lens[i], err);
}

/* Arrays for n fields (at least one slot, so they are never NULL). */
static void form_alloc(struct arena *a, struct form *out, size_t n)
{
	size_t slots = n ? n : 1;
	out->keys = arena_alloc(a, slots * sizeof(*out->keys));
	out->vals = arena_alloc(a, slots * sizeof(*out->vals));
	out->lens = arena_alloc(a, slots * sizeof(*out->lens));
}

enum jm_rc form_parse_urlencoded(struct arena *a, const char *s, size_t len, size_t max_fields,
                                 struct form *out, struct jm_err *err)
{
	memset(out, 0, sizeof(*out));
	size_t n = count_pairs(s, len);
	if (n > max_fields) {
		jm_err_set(err, NULL, "too many fields (at most %zu)", max_fields);
		return JM_TOO_LARGE;
	}
	form_alloc(a, out, n);
	size_t i = 0;
	for (size_t start = 0; start < len;) {
		const char *amp = memchr(s + start, '&', len - start);
		size_t plen = amp ? (size_t)(amp - (s + start)) : len - start;
		if (plen > 0) {
			enum jm_rc rc = decode_pair(a, s + start, plen, out, i++, err);
			if (rc) {
				out->n = 0;
				return rc;
			}
		}
		start += plen + 1;
	}
	out->n = i;
	return JM_OK;
}

/* Splits parsed multipart parts into the form's fields and files. */
static void form_from_parts(struct arena *a, const struct mail_part *parts, size_t n,
                            struct form *out)
{
	size_t nfiles = 0;
	for (size_t i = 0; i < n; i++)
		nfiles += parts[i].filename != NULL;
	form_alloc(a, out, n - nfiles);
	struct form_file *files = arena_alloc(a, (nfiles ? nfiles : 1) * sizeof(*files));
	for (size_t i = 0; i < n; i++) {
		const struct mail_part *p = &parts[i];
		if (p->filename) {
			files[out->nfiles++] = (struct form_file){p->name, p->filename, p->ctype,
			                                          p->data, p->len,      p->path};
		} else {
			out->keys[out->n] = p->name;
			out->vals[out->n] = p->data;
			out->lens[out->n++] = p->len;
		}
	}
	out->files = files;
}

/* True when the media type of ct (before any ';') is type, ignoring case. */
static bool media_type_is(const char *ct, const char *type)
{
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, "; \t");
	return n == strlen(type) && strncasecmp(ct, type, n) == 0;
}

enum jm_rc form_parse_body(struct arena *a, const char *content_type, const char *body, size_t len,
                           size_t max_fields, struct form *out, struct jm_err *err)
{
	return form_parse_body_spool(a, content_type, body, len, max_fields, NULL, out, err);
}

enum jm_rc form_parse_body_spool(struct arena *a, const char *content_type, const char *body,
                                 size_t len, size_t max_fields, const char *spool_dir,
                                 struct form *out, struct jm_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!content_type || content_type[strspn(content_type, " \t")] == '\0' ||
	    media_type_is(content_type, "application/x-www-form-urlencoded"))
		return form_parse_urlencoded(a, body, len, max_fields, out, err);
	if (!media_type_is(content_type, "multipart/form-data")) {
		jm_err_set(err, NULL, "unsupported content type");
		return JM_INVALID;
	}
	struct mail_part *parts = NULL;
	size_t n = 0;
	enum jm_rc rc = mail_multipart_parse_spool(a, content_type, body, len, max_fields,
	                                           spool_dir, &parts, &n, err);
	if (rc)
		return rc;
	form_from_parts(a, parts, n, out);
	return JM_OK;
}

const char *form_get(const struct form *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->keys[i], key) == 0)
			return f->vals[i];
	return NULL;
}

size_t form_get_all(const struct form *f, const char *key, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n && n < max; i++)
		if (strcmp(f->keys[i], key) == 0)
			out[n++] = f->vals[i];
	return n;
}
