/*
 * i18n.c — the UI string catalog (po/ja.po, po/en.po) and language choice.
 *
 * The .po reader takes the subset of gettext syntax we write: `msgid "..."`
 * and `msgstr "..."` lines, `"..."` continuation lines, the escapes \" \\ \n
 * \t, and # comments. The empty msgid (the gettext header) is skipped;
 * msgctxt and plurals are refused. Both files must define the same keys with
 * non-empty text (i18n_check). Lookups are binary searches over the keys,
 * sorted at load. A loaded catalog is never written, so threads share it.
 *
 * Accept-Language follows RFC 9110 section 12.5.4: the supported language
 * with the highest q wins, the first listed on a tie, q=0 means "not this".
 */
#include "view/view_int.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>

#define MAX_PO_BYTES (4u << 20)

struct i18n_ent {
	const char *key;
	size_t klen;
	const char *text[2]; /* ja, en; NULL when that file lacks the key */
};

struct i18n {
	struct arena *a;
	struct i18n_ent *ents;
	size_t n;
	const char *file[2];
};

/* One msgid/msgstr pair read from a file. */
struct po_msg {
	char *id, *str;
	int line;
};

struct po_reader {
	const char *name;
	struct arena *a;
	struct po_msg *msgs;
	size_t n, cap;
	struct buf id, str;
	struct buf *cur; /* field a continuation line extends */
	int line, entry_line;
	struct jm_err *err;
};

static enum jm_rc po_err(struct po_reader *r, const char *what)
{
	jm_err_set(r->err, NULL, "%s:%d: %s", r->name, r->line, what);
	return JM_INVALID;
}

/* Appends the quoted string starting at s (after the keyword) to b. */
static enum jm_rc po_string(struct po_reader *r, const char *s, const char *e, struct buf *b)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= e || *s++ != '"')
		return po_err(r, "expected a quoted string");
	for (; s < e && *s != '"'; s++) {
		char c = *s;
		if (c == '\\') {
			if (++s >= e)
				break;
			c = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
			if (c != '\n' && c != '\t' && c != '"' && c != '\\')
				return po_err(r, "unknown escape");
		}
		if (buf_appendc(b, c))
			return po_err(r, "string too long");
	}
	if (s >= e)
		return po_err(r, "unterminated string");
	for (s++; s < e; s++)
		if (!isspace((unsigned char)*s))
			return po_err(r, "text after the closing quote");
	return JM_OK;
}

/* Stores the pair read so far (if complete) and starts over. */
static enum jm_rc po_flush(struct po_reader *r)
{
	if (r->cur == NULL)
		return JM_OK;
	if (r->cur == &r->id)
		return po_err(r, "msgid without msgstr");
	if (r->id.len) {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->msgs = xrealloc(r->msgs, r->cap * sizeof(*r->msgs));
		}
		struct po_msg *m = &r->msgs[r->n++];
		m->id = arena_strndup(r->a, buf_cstr(&r->id), r->id.len);
		m->str = arena_strndup(r->a, buf_cstr(&r->str), r->str.len);
		m->line = r->entry_line;
	}
	buf_reset(&r->id);
	buf_reset(&r->str);
	r->cur = NULL;
	return JM_OK;
}

static bool starts_word(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(e - s) > n && !memcmp(s, w, n) && (s[n] == ' ' || s[n] == '\t');
}

static enum jm_rc po_line(struct po_reader *r, const char *s, const char *e)
{
	enum jm_rc rc;
	while (s < e && isspace((unsigned char)*s))
		s++;
	if (s == e || *s == '#')
		return JM_OK;
	if (starts_word(s, e, "msgid")) {
		if ((rc = po_flush(r)))
			return rc;
		r->entry_line = r->line;
		r->cur = &r->id;
		return po_string(r, s + 5, e, &r->id);
	}
	if (starts_word(s, e, "msgstr")) {
		if (r->cur != &r->id)
			return po_err(r, "msgstr without msgid");
		r->cur = &r->str;
		return po_string(r, s + 6, e, &r->str);
	}
	if (*s == '"') {
		if (!r->cur)
			return po_err(r, "string outside an entry");
		return po_string(r, s, e, r->cur);
	}
	return po_err(r, "unsupported line (only msgid, msgstr, \"...\" and # comments)");
}

static enum jm_rc po_read(struct po_reader *r, const char *src, size_t len)
{
	const char *p = src, *end = src + len;
	enum jm_rc rc = JM_OK;
	r->line = 0;
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		r->line++;
		rc = po_line(r, p, e);
		p = nl ? nl + 1 : end;
	}
	if (!rc)
		rc = po_flush(r);
	if (!rc && !utf8_valid(src, len))
		rc = po_err(r, "file is not valid UTF-8");
	return rc;
}

/* Orders by key, then by line so a duplicate is reported where it repeats. */
static int msg_cmp(const void *a, const void *b)
{
	const struct po_msg *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static enum jm_rc po_sort(struct po_reader *r)
{
	if (r->n)
		qsort(r->msgs, r->n, sizeof(*r->msgs), msg_cmp);
	for (size_t i = 1; i < r->n; i++) {
		if (!strcmp(r->msgs[i].id, r->msgs[i - 1].id)) {
			jm_err_set(r->err, NULL, "%s:%d: duplicate key '%s'", r->name,
			           r->msgs[i].line, r->msgs[i].id);
			return JM_INVALID;
		}
	}
	return JM_OK;
}

/* Merges the two sorted files into one entry per key. */
static void merge(struct i18n *c, const struct po_reader *ja, const struct po_reader *en)
{
	size_t i = 0, j = 0;
	c->ents = arena_calloc(c->a, (ja->n + en->n + 1) * sizeof(*c->ents));
	while (i < ja->n || j < en->n) {
		int cmp = i == ja->n ? 1 : j == en->n ? -1 : strcmp(ja->msgs[i].id, en->msgs[j].id);
		struct i18n_ent *e = &c->ents[c->n++];
		e->key = cmp <= 0 ? ja->msgs[i].id : en->msgs[j].id;
		e->klen = strlen(e->key);
		if (cmp <= 0)
			e->text[0] = ja->msgs[i++].str;
		if (cmp >= 0)
			e->text[1] = en->msgs[j++].str;
	}
}

static void reader_init(struct po_reader *r, const char *name, struct arena *a, struct jm_err *err)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->a = a;
	r->err = err;
	buf_init(&r->id, 64 * 1024);
	buf_init(&r->str, 64 * 1024);
}

static void reader_free(struct po_reader *r)
{
	free(r->msgs);
	buf_free(&r->id);
	buf_free(&r->str);
}

enum jm_rc i18n_from_po(const char *ja, size_t ja_len, const char *ja_name, const char *en,
                        size_t en_len, const char *en_name, struct i18n **out, struct jm_err *err)
{
	struct i18n *c = xcalloc(1, sizeof(*c));
	struct po_reader rj, re;
	c->a = arena_new(16 * 1024);
	c->file[0] = arena_strdup(c->a, ja_name);
	c->file[1] = arena_strdup(c->a, en_name);
	reader_init(&rj, c->file[0], c->a, err);
	reader_init(&re, c->file[1], c->a, err);
	enum jm_rc rc = po_read(&rj, ja, ja_len);
	if (!rc)
		rc = po_read(&re, en, en_len);
	if (!rc)
		rc = po_sort(&rj);
	if (!rc)
		rc = po_sort(&re);
	if (!rc) {
		merge(c, &rj, &re);
		rc = i18n_check(c, err);
	}
	reader_free(&rj);
	reader_free(&re);
	if (rc) {
		i18n_free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

enum jm_rc i18n_check(const struct i18n *c, struct jm_err *err)
{
	for (size_t i = 0; c && i < c->n; i++) {
		const struct i18n_ent *e = &c->ents[i];
		for (int l = 0; l < 2; l++) {
			if (e->text[l] && e->text[l][0])
				continue;
			jm_err_set(err, e->key, "%s: key '%s' %s", c->file[l], e->key,
			           e->text[l] ? "has an empty msgstr" : "is missing");
			return JM_INVALID;
		}
	}
	return JM_OK;
}

enum jm_rc i18n_load(const char *dir, struct i18n **out, struct jm_err *err)
{
	char pj[1024], pe[1024];
	struct buf bj, be;
	enum jm_rc rc;
	*out = NULL;
	snprintf(pj, sizeof(pj), "%s/ja.po", dir);
	snprintf(pe, sizeof(pe), "%s/en.po", dir);
	buf_init(&bj, MAX_PO_BYTES);
	buf_init(&be, MAX_PO_BYTES);
	rc = jm_read_file(pj, &bj, err);
	if (!rc)
		rc = jm_read_file(pe, &be, err);
	if (!rc)
		rc = i18n_from_po(buf_cstr(&bj), bj.len, pj, buf_cstr(&be), be.len, pe, out, err);
	buf_free(&bj);
	buf_free(&be);
	return rc;
}

void i18n_free(struct i18n *c)
{
	if (!c)
		return;
	arena_free(c->a);
	free(c);
}

static const struct i18n_ent *find(const struct i18n *c, const char *key, size_t klen)
{
	size_t lo = 0, hi = c ? c->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct i18n_ent *e = &c->ents[mid];
		size_t m = e->klen < klen ? e->klen : klen;
		int cmp = memcmp(key, e->key, m);
		if (cmp == 0)
			cmp = klen < e->klen ? -1 : klen > e->klen ? 1 : 0;
		if (cmp == 0)
			return e;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool i18n_has(const struct i18n *c, const char *key, size_t klen)
{
	return find(c, key, klen) != NULL;
}

const char *i18n_get(const struct i18n *c, const char *lang, const char *key)
{
	const struct i18n_ent *e = find(c, key, strlen(key));
	int l = lang && !strcmp(lang, "en");
	if (!e)
		return key;
	return e->text[l] ? e->text[l] : e->text[!l] ? e->text[!l] : key;
}

/* ---- Accept-Language ---- */

/* Parses ";q=0.8" style parameters; returns q in thousandths or -1 if bad. */
static int parse_q(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t' || *s == ';'))
		s++;
	if (s == e)
		return 1000;
	if (e - s < 3 || (s[0] != 'q' && s[0] != 'Q') || s[1] != '=')
		return -1;
	s += 2;
	if (*s != '0' && *s != '1')
		return -1;
	int q = (*s++ - '0') * 1000;
	if (s < e && *s == '.') {
		int scale = 100;
		for (s++; s < e && isdigit((unsigned char)*s) && scale; s++, scale /= 10)
			q += (*s - '0') * scale;
	}
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s == e && q <= 1000 ? q : -1;
}

/* The supported language a range names ("en-US" → "en"), or NULL. */
static const char *range_lang(const char *s, const char *e)
{
	const char *t = s;
	while (t < e && isalpha((unsigned char)*t))
		t++;
	if (t - s != 2 || (t < e && *t != '-' && *t != ';' && *t != ' ' && *t != '\t'))
		return NULL;
	if (!strncasecmp(s, "ja", 2))
		return "ja";
	if (!strncasecmp(s, "en", 2))
		return "en";
	return NULL;
}

/* The language of one item [s, e) of the header, or NULL; *q gets its weight. */
static const char *pick_item(const char *s, const char *e, int *q)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	const char *semi = s;
	while (semi < e && *semi != ';')
		semi++;
	*q = semi < e ? parse_q(semi, e) : 1000;
	return range_lang(s, semi);
}

const char *i18n_pick_lang(const char *al, size_t len, const char *fallback)
{
	const char *best = NULL;
	int best_q = 0;
	const char *p = al, *end = al ? al + len : NULL;
	while (p && p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		int q;
		const char *l = pick_item(p, comma ? comma : end, &q);
		if (l && q > best_q) {
			best = l;
			best_q = q;
		}
		p = comma ? comma + 1 : end;
	}
	if (best)
		return best;
	return fallback && !strcmp(fallback, "en") ? "en" : "ja";
}

const char *i18n_fill(struct arena *a, const char *text, const char *const *names,
                      const char *const *vals, size_t n)
{
	struct buf b = BUF_INIT;
	enum jm_rc rc = JM_OK;
	for (const char *p = text; *p && !rc;) {
		size_t i = 0, len = 0;
		/* the name whose whole "{name}" is here ("{line}" is no "{lines}") */
		while (*p == '{' && i < n &&
		       (strncmp(p + 1, names[i], len = strlen(names[i])) || p[len + 1] != '}'))
			i++;
		if (*p == '{' && i < n) {
			rc = buf_appends(&b, vals[i] ? vals[i] : "");
			p += len + 2;
		} else {
			rc = buf_appendc(&b, *p++);
		}
	}
	const char *out = arena_strdup(a, !rc && b.len ? buf_cstr(&b) : "");
	buf_free(&b);
	return out;
}
