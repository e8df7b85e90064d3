/*
 * search.c — the public site search (/search): published articles found by
 * words with the Japanese quality of the people search, on both engines.
 *
 * The text is cut by the people search's machinery, not a copy of it:
 * core/fold.c folds (NFKC + case folding: ＰＹＴＨＯＮ is python, ｶﾀｶﾅ is
 * カタカナ), core/cjk_tok.c cuts (Latin words; CJK bigrams, so 出版 is a
 * word of its own; when indexing, each CJK run's last character colocated
 * with its last bigram). On SQLite the index is the FTS5 table site_search
 * with that tokenizer (db/fts_cjk.c, jm_cjk) ranked by jm_rank; PostgreSQL
 * has no FTS5, so site_search_terms holds each (term, article) with its
 * positions and the query is matched and ranked here, in C, the way FTS5
 * and jm_rank do it (migrations 0023). Articles are few (thousands, not
 * the people search's 50,000 people), so the PostgreSQL query reads every
 * row of the query's tokens: one indexed range per token.
 *
 * A query: folded, split at white space into at most SITE_SEARCH_WORDS
 * words (more are ignored); a word is the phrase of its query-mode tokens
 * (bigrams only), its last token a prefix when the word ends in Latin or
 * in a lone CJK character (本 finds 本屋 and 日本), as the people search
 * does. Words are ANDed. Rank: jm_rank(title 10, body 1, tags 5), then the
 * newest, then the highest id — the same double on both engines (same sum
 * in the same order), so the same hits come in the same order.
 *
 * Invariants: only articles with status published have index rows, written
 * by article.c's write functions in their own transaction
 * (site_search_index); the query also checks published_at <= now, so a
 * scheduled article waits for its time and nothing else is ever found.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site/site_int.h"

#define BODY_CAP (2u << 20)

/* ---- query words ---- */

static int qtok_add(void *user, const char *f, size_t s, size_t e, unsigned flags)
{
	struct qword *w = ((void **)user)[0];
	struct arena *a = ((void **)user)[1];
	(void)flags;
	w->tok = arena_grow(a, w->tok, w->ntok, &w->cap, sizeof(*w->tok));
	w->tok[w->ntok++] = (struct qtok){f + s, e - s};
	return 0;
}

/* Whether the word's last token is a prefix: Latin, or one CJK character. */
static bool ends_open(const struct qtok *t)
{
	uint32_t cp = 0;
	size_t next = jm_utf8_next(t->s, t->len, 0, &cp);
	return !jm_cp_is_cjk(cp) || next == t->len;
}

static void words_add(struct site_search_words *ws, const char *s, size_t len)
{
	struct qword *w = &ws->w[ws->n];
	memset(w, 0, sizeof(*w));
	w->s = arena_strndup(ws->a, s, len);
	w->len = len;
	void *ctx[2] = {w, ws->a};
	(void)jm_cjk_tokens(w->s, len, true, qtok_add, ctx);
	if (w->ntok == 0)
		return; /* punctuation only: nothing to find */
	w->prefix = ends_open(&w->tok[w->ntok - 1]);
	ws->n++;
}

enum jm_rc site_search_words_parse(struct arena *a, const char *q, struct site_search_words *ws,
                                   struct jm_err *err)
{
	memset(ws, 0, sizeof(*ws));
	ws->a = a;
	size_t len = strlen(q);
	if (len > SITE_SEARCH_Q_MAX || utf8_count(q, len) > SITE_SEARCH_Q_CHARS) {
		jm_err_set(err, "q", "at most %d characters", SITE_SEARCH_Q_CHARS);
		return JM_TOO_LARGE;
	}
	if (!utf8_valid(q, len) || utf8_has_controls(q, len)) {
		jm_err_set(err, "q", "invalid characters");
		return JM_INVALID;
	}
	struct buf f = BUF_INIT;
	enum jm_rc rc = jm_fold(q, len, &f);
	const char *p = buf_cstr(&f), *end = p + f.len;
	while (!rc && p < end && ws->n < SITE_SEARCH_WORDS) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *e = p;
		while (e < end && *e != ' ' && *e != '\t')
			e++;
		if (e > p)
			words_add(ws, p, (size_t)(e - p));
		p = e;
	}
	buf_free(&f);
	return rc;
}

enum jm_rc site_search_key(struct arena *a, const char *q, const char **key, size_t *nwords,
                           struct jm_err *err)
{
	struct site_search_words *ws = arena_calloc(a, sizeof(*ws));
	struct buf b = BUF_INIT;
	enum jm_rc rc = site_search_words_parse(a, q ? q : "", ws, err);
	for (size_t i = 0; i < ws->n && !rc; i++) {
		if (i)
			rc = buf_appendc(&b, ' ');
		if (!rc)
			rc = buf_append(&b, ws->w[i].s, ws->w[i].len);
	}
	*key = rc ? "" : arena_strndup(a, buf_cstr(&b), b.len);
	*nwords = rc ? 0 : ws->n;
	buf_free(&b);
	return rc;
}

/* ---- the index ---- */

/* The document of one article: title, plain-text body, tags. */
struct sdoc {
	const char *col[SEARCH_COLS];
	struct buf body, tags;
};

static enum jm_rc doc_build(const struct article *art, struct sdoc *d)
{
	buf_init(&d->body, BODY_CAP);
	buf_init(&d->tags, 0);
	enum jm_rc rc = site_plain_text(art->body_md, strlen(art->body_md), &d->body);
	for (size_t i = 0; i < art->ntags && !rc; i++)
		rc = buf_appendf(&d->tags, i ? " %s" : "%s", art->tags[i]);
	d->col[0] = art->title;
	d->col[1] = buf_cstr(&d->body);
	d->col[2] = buf_cstr(&d->tags);
	return rc;
}

static void doc_free(struct sdoc *d)
{
	buf_free(&d->body);
	buf_free(&d->tags);
}

static enum jm_rc index_sqlite(struct db *db, int64_t id, const struct sdoc *d)
{
	return db_execf(db, "INSERT INTO site_search(rowid, title, body, tags) VALUES (?, ?, ?, ?)",
	                "ittt", id, d->col[0], d->col[1], d->col[2]);
}

struct itok {
	const char *s;
	uint32_t len, pos; /* pos: column << SEARCH_COL_SHIFT | position */
};

struct itoks {
	struct itok *v;
	size_t n, size;
	uint32_t col, p; /* the column being cut and its next position */
};

/* One token of core/cjk_tok.c; a colocated one shares the position of the
 * token before it, as in FTS5. */
static int itok_add(void *user, const char *f, size_t a, size_t b, unsigned flags)
{
	struct itoks *t = user;
	if (t->n == t->size) {
		t->size = t->size * 2 + 256;
		t->v = xrealloc(t->v, t->size * sizeof(*t->v));
	}
	uint32_t pos = flags & JM_CJK_COLOCATED ? t->p - 1 : t->p++;
	t->v[t->n++] = (struct itok){f + a, (uint32_t)(b - a), t->col | pos};
	return 0;
}

static int itok_cmp(const void *x, const void *y)
{
	const struct itok *a = x, *b = y;
	int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
	if (c == 0)
		c = (a->len > b->len) - (a->len < b->len);
	return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* "term\n…" and "pos,pos\n…" for the PostgreSQL INSERT (sorted tokens). */
static enum jm_rc term_lines(const struct itoks *t, struct buf *terms, struct buf *pos)
{
	enum jm_rc rc = JM_OK;
	for (size_t k = 0; k < t->n && !rc;) {
		size_t e = k;
		while (e < t->n && t->v[e].len == t->v[k].len &&
		       memcmp(t->v[e].s, t->v[k].s, t->v[k].len) == 0)
			e++;
		if (k)
			rc = buf_appendc(terms, '\n');
		if (!rc && k)
			rc = buf_appendc(pos, '\n');
		if (!rc)
			rc = buf_append(terms, t->v[k].s, t->v[k].len);
		for (size_t j = k; j < e && !rc; j++)
			rc = buf_appendf(pos, j > k ? ",%" PRIu32 : "%" PRIu32, t->v[j].pos);
		k = e;
	}
	return rc;
}

static enum jm_rc index_pg(struct db *db, int64_t id, const struct sdoc *d)
{
	struct buf f[SEARCH_COLS] = {BUF_INIT, BUF_INIT, BUF_INIT}, terms = BUF_INIT,
	           pos = BUF_INIT;
	struct itoks t = {0};
	enum jm_rc rc = JM_OK;
	for (int c = 0; c < SEARCH_COLS && !rc; c++)
		rc = jm_fold(d->col[c], strlen(d->col[c]), &f[c]);
	for (int c = 0; c < SEARCH_COLS && !rc; c++) {
		t.col = (uint32_t)c << SEARCH_COL_SHIFT;
		t.p = 0;
		(void)jm_cjk_tokens(buf_cstr(&f[c]), f[c].len, false, itok_add, &t);
	}
	if (!rc && t.n) {
		qsort(t.v, t.n, sizeof(*t.v), itok_cmp);
		rc = term_lines(&t, &terms, &pos);
	}
	if (!rc && t.n)
		rc = db_execf(
		        db,
		        "INSERT INTO site_search_terms(term, article_id, pos) "
		        "SELECT u.t, ?::bigint, u.p FROM unnest(string_to_array(?::text, E'\\n'), "
		        "string_to_array(?::text, E'\\n')) AS u(t, p)",
		        "itt", id, buf_cstr(&terms), buf_cstr(&pos));
	for (int c = 0; c < SEARCH_COLS; c++)
		buf_free(&f[c]);
	buf_free(&terms);
	buf_free(&pos);
	free(t.v);
	return rc;
}

enum jm_rc site_search_unindex(struct db *db, int64_t id)
{
	return db_execf(db,
	                DB_SQL(db, "DELETE FROM site_search WHERE rowid = ?",
	                       "DELETE FROM site_search_terms WHERE article_id = ?"),
	                "i", id);
}

enum jm_rc site_search_index(struct db *db, int64_t id)
{
	struct arena *a = arena_new(4096);
	struct article art;
	struct sdoc d = {0};
	enum jm_rc rc = site_search_unindex(db, id);
	if (!rc)
		rc = site_article_get(db, a, id, &art);
	if (rc || strcmp(art.status, "published") != 0)
		goto out;
	rc = doc_build(&art, &d);
	if (!rc)
		rc = db_engine(db) == DB_PG ? index_pg(db, id, &d) : index_sqlite(db, id, &d);
out:
	doc_free(&d);
	arena_free(a);
	return rc;
}

/* Every published article's id, into *ids (malloc'ed). */
static enum jm_rc published_ids(struct db *db, int64_t **ids, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*ids = NULL;
	*n = 0;
	enum jm_rc rc = db_prepare(
	        db, "SELECT id FROM articles WHERE status = 'published' ORDER BY id", &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		if (*n == cap) {
			cap = cap * 2 + 64;
			*ids = xrealloc(*ids, cap * sizeof(**ids));
		}
		(*ids)[(*n)++] = db_col_int(st, 0);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc site_search_rebuild(struct db *db, bool retire, int64_t *n_out)
{
	int64_t *ids = NULL;
	size_t n = 0;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_exec(db, DB_SQL(db, "DELETE FROM site_search", "DELETE FROM site_search_terms"));
	if (!rc)
		rc = published_ids(db, &ids, &n);
	for (size_t i = 0; i < n && !rc; i++)
		rc = site_search_index(db, ids[i]);
	/* The search's result pages are cached (web/search.c): every node
	 * drops them, as after any content write. */
	rc = db_end(db, rc);
	if (retire)
		rc = site_content_written(db, rc);
	free(ids);
	if (!rc && n_out)
		*n_out = (int64_t)n;
	return rc;
}

enum jm_rc site_search_ensure(struct db *db)
{
	int64_t indexed = 0, published = 0;
	enum jm_rc rc = db_query_int(db, &indexed, 0,
	                             DB_SQL(db, "SELECT EXISTS (SELECT 1 FROM site_search)",
	                                    "SELECT CASE WHEN EXISTS (SELECT 1 FROM "
	                                    "site_search_terms) THEN 1 ELSE 0 END"),
	                             "");
	if (!rc)
		rc = db_query_int(db, &published, 0,
		                  "SELECT COUNT(*) FROM articles WHERE status = 'published'", "");
	if (rc || indexed || !published)
		return rc;
	log_at(LOG_INFO, "site", "event=search_index_build articles=%" PRId64, published);
	return site_search_rebuild(db, true, NULL);
}
