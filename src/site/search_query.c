/*
 * search_query.c — the query side of the public site search (see
 * search.c for the index and the rules both engines follow): the ranked
 * page of article ids on SQLite (FTS5 MATCH, ORDER BY jm_rank) or on
 * PostgreSQL (the term table matched here), then the articles and a
 * snippet of each body with the query's tokens marked.
 *
 * PostgreSQL matching, as FTS5 does it: a word's phrase occurs at
 * position p of a column when its token i is at p + i for every i (the
 * colocated last character of a CJK run shares its bigram's position); a
 * prefix token's positions are those of every term it starts, merged; a
 * one-token phrase counts each position. tf per (word, column) gives
 * jm_rank's sum, added in jm_rank's order (column, then word), so the
 * score is the same double as on SQLite.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site/site_int.h"

#define SNIP_BEFORE  30   /* characters of context before the first hit */
#define SNIP_CHARS   120  /* characters of a snippet */
#define SNIP_MARKS   256  /* marked tokens looked at */
#define SNIP_WINDOW  1024 /* bytes of text folded and cut at a time */
#define SNIP_MD_PART 512  /* bytes of Markdown parsed past a likely first hit */
#define TEXT_CAP     (2u << 20)

static const double weights[SEARCH_COLS] = SEARCH_WEIGHTS;

/* One hit before paging. */
struct ranked {
	int64_t id, pub;
	double score;
};

/* ---- SQLite ---- */

/* The FTS5 query: each word a quoted phrase ("" inside doubled), '*' after
 * an open end, ANDed. The jm_cjk tokenizer cuts each phrase as C does. */
static enum jm_rc match_expr(const struct site_search_words *ws, struct buf *b)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < ws->n && !rc; i++) {
		const struct qword *w = &ws->w[i];
		rc = buf_appends(b, i ? " AND \"" : "\"");
		for (size_t k = 0; k < w->len && !rc; k++)
			rc = w->s[k] == '"' ? buf_appends(b, "\"\"") : buf_appendc(b, w->s[k]);
		if (!rc)
			rc = buf_appends(b, w->prefix ? "\"*" : "\"");
	}
	return rc;
}

/* CROSS JOIN keeps the FTS5 table the outer loop: with a plain JOIN the
 * planner may scan the articles and run the MATCH once per article. */
#define SQ_FROM                                                                                    \
	" FROM site_search CROSS JOIN articles a ON a.id = site_search.rowid"                      \
	" WHERE site_search MATCH ?"                                                               \
	" AND a.status = 'published' AND a.published_at <= ?"

static enum jm_rc query_sqlite(struct db *db, const struct site_search_words *ws, int64_t per,
                               int64_t off, int64_t *ids, size_t *n, int64_t *total)
{
	struct buf m = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t now = jm_now();
	enum jm_rc rc = match_expr(ws, &m);
	if (!rc)
		rc = db_query_int(db, total, 0, "SELECT COUNT(*)" SQ_FROM, "ti", buf_cstr(&m), now);
	if (!rc)
		rc = db_preparef(db, &st,
		                 "SELECT a.id" SQ_FROM
		                 " ORDER BY jm_rank(site_search, 0, 10.0, 1.0, 5.0),"
		                 " a.published_at DESC, a.id DESC LIMIT ? OFFSET ?",
		                 "tiii", buf_cstr(&m), now, per, off);
	while (!rc && (rc = db_step(st)) == JM_OK && *n < (size_t)per)
		ids[(*n)++] = db_col_int(st, 0);
	if (rc == JM_DONE || rc == JM_OK)
		rc = JM_OK;
	db_finalize(st);
	buf_free(&m);
	return rc;
}

/* ---- PostgreSQL ---- */

/* One article's positions of a token (every term of a prefix, merged). */
struct plist {
	int64_t aid, pub;
	uint32_t *pos;
	size_t npos, cap;
};

struct tlist {
	struct plist *v;
	size_t n, cap;
};

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return (a > b) - (a < b);
}

static void pos_parse(struct arena *a, struct plist *p, const char *s)
{
	while (*s) {
		char *end = NULL;
		unsigned long v = strtoul(s, &end, 10);
		if (end == s)
			break;
		p->pos = arena_grow(a, p->pos, p->npos, &p->cap, sizeof(*p->pos));
		p->pos[p->npos++] = (uint32_t)v;
		s = *end == ',' ? end + 1 : end;
	}
}

/* The rows of token t (a prefix when open), per article in id order. */
static enum jm_rc token_rows(struct db *db, struct arena *a, const struct qtok *t, bool open,
                             struct tlist *out)
{
	struct db_stmt *st = NULL;
	const char *term = arena_strndup(a, t->s, t->len);
	int64_t now = jm_now();
	enum jm_rc rc =
	        open ? db_preparef(
	                       db, &st,
	                       "SELECT t.article_id, a.published_at, t.pos, t.term "
	                       "FROM site_search_terms t JOIN articles a ON a.id = t.article_id "
	                       "WHERE t.term >= ?::text AND t.term < ?::text || chr(1114111) "
	                       "AND a.status = 'published' AND a.published_at <= ? "
	                       "ORDER BY t.article_id, t.term",
	                       "tti", term, term, now)
	             : db_preparef(
	                       db, &st,
	                       "SELECT t.article_id, a.published_at, t.pos, t.term "
	                       "FROM site_search_terms t JOIN articles a ON a.id = t.article_id "
	                       "WHERE t.term = ? AND a.status = 'published' "
	                       "AND a.published_at <= ? ORDER BY t.article_id",
	                       "ti", term, now);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		size_t tl = 0;
		const char *tt = db_col_text(st, 3, &tl);
		if (!tt || tl < t->len || memcmp(tt, t->s, t->len) != 0)
			continue; /* a prefix range's end case; never for an exact term */
		int64_t aid = db_col_int(st, 0);
		if (!out->n || out->v[out->n - 1].aid != aid) {
			out->v = arena_grow(a, out->v, out->n, &out->cap, sizeof(*out->v));
			out->v[out->n++] = (struct plist){.aid = aid, .pub = db_col_int(st, 1)};
		}
		pos_parse(a, &out->v[out->n - 1], db_col_dup(st, 2, a));
	}
	db_finalize(st);
	for (size_t i = 0; i < out->n; i++)
		qsort(out->v[i].pos, out->v[i].npos, sizeof(uint32_t), u32_cmp);
	return rc == JM_DONE ? JM_OK : rc;
}

/* The element of v[0..n) (each size bytes, sorted by the int64_t aid it
 * starts with: struct plist and struct whit) whose aid is aid, or NULL. */
static const void *find_aid(const void *v, size_t n, size_t size, int64_t aid)
{
	const char *base = v;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (*(const int64_t *)(const void *)(base + mid * size) < aid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && *(const int64_t *)(const void *)(base + lo * size) == aid
	               ? base + lo * size
	               : NULL;
}

static bool has_pos(const struct plist *p, uint32_t pos)
{
	return bsearch(&pos, p->pos, p->npos, sizeof(uint32_t), u32_cmp) != NULL;
}

/* A word's hits: per article (in id order), the phrase's tf per column. */
struct whit {
	int64_t aid, pub;
	unsigned tf[SEARCH_COLS];
};

struct wlist {
	struct whit *v;
	size_t n, cap;
};
_Static_assert(offsetof(struct plist, aid) == 0 && offsetof(struct whit, aid) == 0,
               "find_aid reads the aid at the start of each element");

/* The phrase's instances in one article whose tokens are p[0..k). */
static bool phrase_count(const struct plist *const *p, size_t k, unsigned tf[SEARCH_COLS])
{
	bool any = false;
	for (size_t j = 0; j < p[0]->npos; j++) {
		uint32_t at = p[0]->pos[j];
		bool ok = true;
		for (size_t i = 1; i < k && ok; i++)
			ok = has_pos(p[i], at + (uint32_t)i);
		unsigned c = at >> SEARCH_COL_SHIFT;
		if (ok && c < SEARCH_COLS && tf[c] < SEARCH_TF_MAX) {
			tf[c]++;
			any = true;
		}
	}
	return any;
}

static enum jm_rc word_hits(struct db *db, struct arena *a, const struct qword *w,
                            struct wlist *out)
{
	struct tlist *l = arena_calloc(a, w->ntok * sizeof(*l));
	const struct plist **p = arena_calloc(a, w->ntok * sizeof(*p));
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < w->ntok && !rc; i++)
		rc = token_rows(db, a, &w->tok[i], w->prefix && i + 1 == w->ntok, &l[i]);
	for (size_t j = 0; !rc && j < l[0].n; j++) {
		p[0] = &l[0].v[j];
		bool all = true;
		for (size_t i = 1; i < w->ntok && all; i++)
			all = (p[i] = find_aid(l[i].v, l[i].n, sizeof(*l[i].v), p[0]->aid)) != NULL;
		struct whit h = {.aid = p[0]->aid, .pub = p[0]->pub};
		if (!all || !phrase_count(p, w->ntok, h.tf))
			continue;
		out->v = arena_grow(a, out->v, out->n, &out->cap, sizeof(*out->v));
		out->v[out->n++] = h;
	}
	return rc;
}

/* Best first: score, then the newest, then the highest id (SQLite's ORDER
 * BY jm_rank ASC — jm_rank is minus the score —, published_at DESC, id DESC). */
static int ranked_cmp(const void *x, const void *y)
{
	const struct ranked *a = x, *b = y;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->pub != b->pub)
		return a->pub > b->pub ? -1 : 1;
	return (a->id < b->id) - (a->id > b->id);
}

/* jm_rank's sum for one article found by every word (h[i]: word i). */
static double score_of(const struct whit *const *h, size_t nw)
{
	double score = 0;
	for (int c = 0; c < SEARCH_COLS; c++)
		for (size_t ph = 0; ph < nw; ph++)
			score += weights[c] * h[ph]->tf[c] / (h[ph]->tf[c] + 1.0);
	return score;
}

static enum jm_rc query_pg(struct db *db, struct arena *a, const struct site_search_words *ws,
                           int64_t per, int64_t off, int64_t *ids, size_t *n, int64_t *total)
{
	struct wlist *wl = arena_calloc(a, ws->n * sizeof(*wl));
	const struct whit **h = arena_calloc(a, ws->n * sizeof(*h));
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < ws->n && !rc; i++)
		rc = word_hits(db, a, &ws->w[i], &wl[i]);
	if (rc)
		return rc;
	struct ranked *r = arena_calloc(a, (wl[0].n + 1) * sizeof(*r));
	size_t nr = 0;
	for (size_t j = 0; j < wl[0].n; j++) {
		h[0] = &wl[0].v[j];
		bool all = true;
		for (size_t i = 1; i < ws->n && all; i++)
			all = (h[i] = find_aid(wl[i].v, wl[i].n, sizeof(*wl[i].v), h[0]->aid)) !=
			      NULL;
		if (all)
			r[nr++] = (struct ranked){h[0]->aid, h[0]->pub, score_of(h, ws->n)};
	}
	qsort(r, nr, sizeof(*r), ranked_cmp);
	*total = (int64_t)nr;
	for (int64_t i = off; i < (int64_t)nr && *n < (size_t)per; i++)
		ids[(*n)++] = r[i].id;
	return JM_OK;
}

/* ---- snippets ---- */

struct marks {
	const struct site_search_words *ws;
	const uint32_t *map; /* folded byte → window [start, end) */
	size_t base;         /* the window's offset in the text */
	size_t s[SNIP_MARKS], e[SNIP_MARKS];
	size_t n;
};

static bool tok_matches(const struct site_search_words *ws, const char *t, size_t len)
{
	for (size_t i = 0; i < ws->n; i++) {
		const struct qword *w = &ws->w[i];
		for (size_t k = 0; k < w->ntok; k++) {
			const struct qtok *q = &w->tok[k];
			bool open = w->prefix && k + 1 == w->ntok;
			if ((len == q->len || (open && len > q->len)) &&
			    memcmp(t, q->s, q->len) == 0)
				return true;
		}
	}
	return false;
}

static int mark_tok(void *user, const char *f, size_t a, size_t b, unsigned flags)
{
	struct marks *m = user;
	(void)flags;
	if (!tok_matches(m->ws, f + a, b - a))
		return 0;
	m->s[m->n] = m->base + m->map[2 * a];
	m->e[m->n] = m->base + m->map[2 * (b - 1) + 1];
	return ++m->n == SNIP_MARKS;
}

/* The byte offset n characters before (n < 0) or after i in s[0..len). */
static size_t chars_move(const char *s, size_t len, size_t i, long n)
{
	for (; n < 0 && i > 0; n++)
		while (--i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
			;
	for (; n > 0 && i < len; n--)
		i = jm_utf8_next(s, len, i, &(uint32_t){0});
	return i;
}

/* HTML-escapes s[0..len) into o. (view_escape's rule; site/ is linked
 * without view/ in the unit tests, and the snippet is the one HTML this
 * module writes besides Markdown's.) */
static enum jm_rc escape(struct buf *o, const char *s, size_t len)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < len && !rc; i++) {
		switch (s[i]) {
		case '&': rc = buf_appends(o, "&amp;"); break;
		case '<': rc = buf_appends(o, "&lt;"); break;
		case '>': rc = buf_appends(o, "&gt;"); break;
		case '"': rc = buf_appends(o, "&quot;"); break;
		case '\'': rc = buf_appends(o, "&#39;"); break;
		default: rc = buf_appendc(o, s[i]); break;
		}
	}
	return rc;
}

/* Escaped s[from..to) with the marks inside it wrapped in <mark>. */
static enum jm_rc emit_marked(struct buf *o, const char *s, size_t from, size_t to,
                              const struct marks *m)
{
	enum jm_rc rc = JM_OK;
	size_t at = from;
	for (size_t i = 0; i < m->n && !rc; i++) {
		if (m->e[i] <= at || m->s[i] >= to)
			continue;
		size_t ms = m->s[i] > at ? m->s[i] : at, me = m->e[i] < to ? m->e[i] : to;
		while (i + 1 < m->n && m->s[i + 1] <= me) { /* overlapping bigrams: one mark */
			i++;
			size_t e = m->e[i] < to ? m->e[i] : to;
			me = e > me ? e : me;
		}
		rc = escape(o, s + at, ms - at);
		if (!rc)
			rc = buf_appends(o, "<mark>");
		if (!rc)
			rc = escape(o, s + ms, me - ms);
		if (!rc)
			rc = buf_appends(o, "</mark>");
		at = me;
	}
	if (!rc)
		rc = escape(o, s + at, to - at);
	return rc;
}

/* The end of the window of text starting at i: past the first space at
 * or after i + SNIP_WINDOW, or len. Plain text has a space between
 * paragraphs, and neither folding (a space is a normalisation boundary)
 * nor the tokenizer (Latin words and CJK runs end at a space) joins
 * anything across one, so windows give the marks the whole text gives. */
static size_t window_end(const char *s, size_t len, size_t i)
{
	if (len - i <= SNIP_WINDOW)
		return len;
	const char *sp = memchr(s + i + SNIP_WINDOW, ' ', len - i - SNIP_WINDOW);
	return sp ? (size_t)(sp - s) + 1 : len;
}

/* Marks the query's tokens in s[0..len) window by window, only as far as
 * the snippet reaches: the first mark and SNIP_CHARS characters around
 * it (a long body is folded and cut up to its first hit, not entirely). */
static enum jm_rc mark_text(struct marks *m, const char *s, size_t len, size_t *from, size_t *to)
{
	enum jm_rc rc = JM_OK;
	struct buf f = BUF_INIT;
	*from = 0;
	*to = chars_move(s, len, 0, SNIP_CHARS);
	for (size_t at = 0, end; at < len && !rc; at = end) {
		uint32_t *map = NULL;
		end = window_end(s, len, at);
		f.len = 0;
		rc = jm_fold_map(s + at, end - at, &f, &map);
		if (!rc) {
			m->map = map;
			m->base = at;
			(void)jm_cjk_tokens(buf_cstr(&f), f.len, false, mark_tok, m);
		}
		free(map);
		m->map = NULL;
		if (m->n) {
			*from = chars_move(s, len, m->s[0], -SNIP_BEFORE);
			*to = chars_move(s, len, *from, SNIP_CHARS);
		}
		if (m->n == SNIP_MARKS || (m->n && *to <= end))
			break;
	}
	buf_free(&f);
	return rc;
}

/* Where the first part of a body's Markdown ends: at a blank line past
 * from + SNIP_MD_PART bytes; 0 when the whole must be parsed (the part
 * would be most of it, no blank line there, or a link reference
 * definition anywhere, which could change the text before the cut).
 * Blocks and inlines never continue across a blank line (a fence or an
 * HTML block left open holds no text either way), so the first part's
 * plain text is the start of the whole's. */
static size_t md_part(const char *md, size_t len, size_t from)
{
	size_t at = from + SNIP_MD_PART;
	if (at >= len / 4 * 3 || memmem(md, len, "]:", 2))
		return 0;
	const char *cut = memmem(md + at, len - at, "\n\n", 2);
	return cut ? (size_t)(cut - md) + 1 : 0;
}

/* The earliest offset in md of a word's first token as it is (most text
 * is written the way it folds: Japanese, lower-case words), else 0: where
 * the first hit likely is, so the first part reaches past it. */
static size_t raw_hint(const char *md, size_t len, const struct site_search_words *ws)
{
	size_t best = len;
	for (size_t i = 0; i < ws->n; i++) {
		const struct qtok *t = &ws->w[i].tok[0];
		const char *at = memmem(md, best, t->s, t->len);
		if (at)
			best = (size_t)(at - md);
	}
	return best == len ? 0 : best;
}

/* The snippet of md[0..len) into *out (in a). With part, only when the
 * snippet ends before that text does (then it is the whole body's
 * snippet, "…" included); else false and nothing is set. */
static bool snippet_of(struct arena *a, const struct site_search_words *ws, const char *md,
                       size_t len, bool part, const char **out)
{
	struct buf text, o = BUF_INIT;
	struct marks *m = arena_calloc(a, sizeof(*m));
	size_t from = 0, to = 0;
	m->ws = ws;
	buf_init(&text, TEXT_CAP);
	enum jm_rc rc = site_plain_text(md, len, &text);
	const char *s = buf_cstr(&text);
	if (!rc)
		rc = mark_text(m, s, text.len, &from, &to);
	bool ok = !part || (!rc && m->n && to < text.len);
	if (ok && !rc && from > 0)
		rc = buf_appends(&o, "…");
	if (ok && !rc)
		rc = emit_marked(&o, s, from, to, m);
	if (ok && !rc && to < text.len)
		rc = buf_appends(&o, "…");
	if (ok)
		*out = rc ? "" : arena_strndup(a, buf_cstr(&o), o.len);
	buf_free(&o);
	buf_free(&text);
	return ok;
}

/* The snippet of a body as HTML (in a): the text around the first token
 * of the query, every query token in it marked; the start of the text
 * when none is in the body (the hit was in the title or tags). A long
 * body's first part, to a little past where a query word first appears
 * as typed, is tried first. */
static const char *snippet(struct arena *a, const struct site_search_words *ws, const char *md)
{
	const char *out = "";
	size_t len = strlen(md), part = md_part(md, len, raw_hint(md, len, ws));
	if (!part || !snippet_of(a, ws, md, part, true, &out))
		(void)snippet_of(a, ws, md, len, false, &out);
	return out;
}

/* ---- the search ---- */

static enum jm_rc load_hits(struct db *db, struct arena *a, const struct site_search_words *ws,
                            const int64_t *ids, size_t n, struct site_search_result *out)
{
	out->hits = arena_calloc(a, (n + 1) * sizeof(*out->hits));
	for (size_t i = 0; i < n; i++) {
		struct site_search_hit *h = &out->hits[out->n];
		enum jm_rc rc = site_article_get(db, a, ids[i], &h->art);
		if (rc == JM_NOT_FOUND)
			continue; /* deleted since the query */
		if (rc)
			return rc;
		if (strcmp(h->art.status, "published") != 0)
			continue;
		h->snippet_html = snippet(a, ws, h->art.body_md);
		out->n++;
	}
	return JM_OK;
}

enum jm_rc site_search(struct db *db, struct arena *a, const char *q, int page, int per,
                       struct site_search_result *out, struct jm_err *err)
{
	memset(out, 0, sizeof(*out));
	struct site_search_words *ws = arena_calloc(a, sizeof(*ws));
	enum jm_rc rc = site_search_words_parse(a, q ? q : "", ws, err);
	out->nwords = ws->n;
	if (rc || ws->n == 0)
		return rc;
	per = per < 1 ? 10 : per > 100 ? 100 : per;
	page = page < 1 ? 1 : page;
	int64_t *ids = arena_calloc(a, (size_t)per * sizeof(*ids));
	int64_t off = (int64_t)(page - 1) * per;
	size_t n = 0;
	if (db_engine(db) == DB_PG)
		rc = query_pg(db, a, ws, per, off, ids, &n, &out->total);
	else
		rc = query_sqlite(db, ws, per, off, ids, &n, &out->total);
	if (!rc)
		rc = load_hits(db, a, ws, ids, n, out);
	if (rc)
		jm_err_set(err, NULL, "search failed");
	return rc;
}
