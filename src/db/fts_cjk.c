/*
 * fts_cjk.c — the "jm_cjk" SQLite FTS5 tokenizer (FTS5 custom tokenizer
 * API, https://sqlite.org/fts5.html#custom_tokenizers) for search that
 * works in Japanese.
 *
 * The text is folded first (core/fold.c: NFKC + case folding, so ＡＢＣ,
 * ABC and abc, ｶﾀｶﾅ and カタカナ are the same), then cut by the search's one
 * tokenizer (core/cjk_tok.c, shared with network/search_pg.c): Latin words,
 * CJK bigrams, and when indexing each CJK run's last character colocated
 * with its last bigram (so that the prefix query "本"* finds 本 wherever it
 * stands); queries get the bigrams only. Token offsets point into the
 * original (unfolded) text, so snippet() and highlight() cut the stored
 * text right.
 *
 * It also registers jm_rank, a cheap ranking function, and jm_top, which
 * ranks the same way and keeps the best rows in C (fts_cjk.h).
 *
 * Invariant: a run is tokenised the same way for documents and for the
 * auxiliary functions (FTS5_TOKENIZE_AUX), so positions agree.
 */
#include <sqlite3.h>

#include "db/db_int.h"
#include "db/fts_cjk.h"

struct cjk_ctx {
	void *fts_ctx;
	int (*xToken)(void *, int, const char *, int, int, int);
	const uint32_t *map; /* 2 entries per folded byte: source [start, end) */
};

static int cjk_create(void *user, const char **argv, int argc, Fts5Tokenizer **out)
{
	(void)user, (void)argv, (void)argc;
	/* No per-table state: any non-NULL handle will do. */
	*out = (Fts5Tokenizer *)xcalloc(1, 1);
	return SQLITE_OK;
}

static void cjk_delete(Fts5Tokenizer *t)
{
	free(t);
}

/* One token of core/cjk_tok.c: folded bytes [a, b), passed on with the
 * source offsets. */
static int put(void *user, const char *f, size_t a, size_t b, unsigned flags)
{
	struct cjk_ctx *c = user;
	int start = (int)c->map[2 * a];
	int end = (int)c->map[2 * (b - 1) + 1];
	int tflags = flags & JM_CJK_COLOCATED ? FTS5_TOKEN_COLOCATED : 0;
	return c->xToken(c->fts_ctx, tflags, f + a, (int)(b - a), start, end);
}

static int cjk_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int len,
                        int (*xToken)(void *, int, const char *, int, int, int))
{
	(void)t;
	struct buf f = BUF_INIT;
	uint32_t *map = NULL;
	if (len <= 0)
		return SQLITE_OK;
	enum jm_rc frc = jm_fold_map(text, (size_t)len, &f, &map);
	if (frc != JM_OK) {
		buf_free(&f);
		/* JM_IO: ICU could not be loaded (logged by core/fold.c). */
		return frc == JM_NOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
	}
	struct cjk_ctx c = {ctx, xToken, map};
	int rc = jm_cjk_tokens(f.ptr, f.len, (flags & FTS5_TOKENIZE_QUERY) != 0, put, &c);
	free(map);
	buf_free(&f);
	return rc;
}

/* jm_rank(table, nphrase, w0, w1, …): a cheap relevance for ORDER BY,
 * lower is better like bm25. Each of the first nphrase phrases of the
 * query (every phrase when nphrase <= 0) found tf times in column c adds
 * w[c] · tf / (tf + 1) (more hits count, with diminishing returns), summed
 * column by column, phrase by phrase within a column (network/search_pg.c
 * sums in the same order, so both engines get the same double); a column
 * without a weight counts 0. Unlike bm25 it reads neither the document
 * sizes nor the phrase statistics, so ranking tens of thousands of
 * matches stays within milliseconds. Each phrase's instances are walked
 * once (xPhraseFirst/xPhraseNext, no merged instance array). */
#define RANK_PHRASES 32
#define RANK_COLS    16
#define RANK_TF_MAX  60000

/* The score of one phrase alone: its instances come column by column
 * (FTS5 position lists are ordered), and a column without one adds +0.0,
 * which leaves the sum as it is, so this is rank_score's sum for it. */
static int rank_one(const Fts5ExtensionApi *api, Fts5Context *fts, int ncol, const double *w,
                    double *out)
{
	Fts5PhraseIter it;
	int col = 0, off = 0, cur = -1;
	unsigned tf = 0;
	double score = 0;
	int rc = api->xPhraseFirst(fts, 0, &it, &col, &off);
	for (; rc == SQLITE_OK && col >= 0; api->xPhraseNext(fts, &it, &col, &off)) {
		if (col != cur) {
			if (cur >= 0 && cur < ncol)
				score += w[cur] * tf / (tf + 1.0);
			cur = col, tf = 0;
		}
		tf += tf < RANK_TF_MAX;
	}
	if (cur >= 0 && cur < ncol)
		score += w[cur] * tf / (tf + 1.0);
	*out = score;
	return rc;
}

/* The score (the negated rank) of the current row into *out. */
static int rank_score(const Fts5ExtensionApi *api, Fts5Context *fts, int lim, int ncol,
                      const double *w, double *out)
{
	int nph = api->xPhraseCount(fts);
	if (lim > 0 && lim < nph)
		nph = lim;
	nph = nph < RANK_PHRASES ? nph : RANK_PHRASES;
	ncol = ncol < RANK_COLS ? ncol : RANK_COLS;
	if (nph == 1)
		return rank_one(api, fts, ncol, w, out);
	unsigned short tf[RANK_PHRASES][RANK_COLS];
	for (int ph = 0; ph < nph; ph++) {
		Fts5PhraseIter it;
		int col = 0, off = 0;
		memset(tf[ph], 0, sizeof(tf[ph]));
		int rc = api->xPhraseFirst(fts, ph, &it, &col, &off);
		if (rc != SQLITE_OK)
			return rc;
		for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off))
			if (col < RANK_COLS && tf[ph][col] < RANK_TF_MAX)
				tf[ph][col]++;
	}
	double score = 0;
	for (int c = 0; c < ncol; c++)
		for (int ph = 0; w[c] != 0 && ph < nph; ph++)
			score += w[c] * tf[ph][c] / (tf[ph][c] + 1.0);
	*out = score;
	return SQLITE_OK;
}

static void jm_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                    sqlite3_value **val)
{
	double w[RANK_COLS], score = 0;
	int ncol = nval - 1 < RANK_COLS ? nval - 1 : RANK_COLS;
	for (int c = 0; c < ncol; c++)
		w[c] = sqlite3_value_double(val[c + 1]);
	int rc = rank_score(api, fts, nval > 0 ? sqlite3_value_int(val[0]) : 0, ncol, w, &score);
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	else
		sqlite3_result_double(ctx, -score);
}

/* ---- jm_top (fts_cjk.h) ---- */

/* The collector of the db_fts_top running on this thread: the auxiliary
 * function has no other way to reach it (the statement is the caller's). */
static _Thread_local struct db_fts_top *top_cur;

static bool top_before(const struct db_fts_hit *a, const struct db_fts_hit *b)
{
	return a->rank < b->rank || (a->rank == b->rank && a->id < b->id);
}

/* t->hit[0..n) is a heap with the worst kept row on top. */
static void top_sift_down(struct db_fts_hit *v, size_t n, size_t i)
{
	for (;;) {
		size_t w = i, l = 2 * i + 1, r = l + 1;
		if (l < n && top_before(&v[w], &v[l]))
			w = l;
		if (r < n && top_before(&v[w], &v[r]))
			w = r;
		if (w == i)
			return;
		struct db_fts_hit x = v[i];
		v[i] = v[w], v[w] = x, i = w;
	}
}

static void top_add(struct db_fts_top *t, struct db_fts_hit h)
{
	if (t->n < t->want) {
		if (t->n == t->size) {
			t->size = t->size * 2 + 32;
			t->hit = xrealloc(t->hit, t->size * sizeof(*t->hit));
		}
		size_t i = t->n++;
		for (; i > 0 && top_before(&t->hit[(i - 1) / 2], &h); i = (i - 1) / 2)
			t->hit[i] = t->hit[(i - 1) / 2];
		t->hit[i] = h;
	} else if (t->n && top_before(&h, &t->hit[0])) {
		t->hit[0] = h;
		top_sift_down(t->hit, t->n, 0);
	}
}

static void jm_top(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                   sqlite3_value **val)
{
	(void)nval, (void)val;
	struct db_fts_top *t = top_cur;
	double score = 0;
	if (!t) {
		sqlite3_result_error(ctx, "jm_top: outside db_fts_top", -1);
		return;
	}
	int rc = rank_score(api, fts, t->nphrase, t->ncol, t->weights, &score);
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	t->rows++;
	top_add(t, (struct db_fts_hit){api->xRowid(fts), -score});
	sqlite3_result_int(ctx, 1);
}

static int hit_cmp(const void *a, const void *b)
{
	const struct db_fts_hit *x = a, *y = b;
	return top_before(x, y) ? -1 : top_before(y, x) ? 1 : 0;
}

enum jm_rc db_fts_top(struct db *db, const char *sql, const char *match, struct db_fts_top *t)
{
	struct db_stmt *st = NULL;
	t->rows = 0, t->n = 0;
	top_cur = t;
	enum jm_rc rc = db_preparef(db, &st, sql, "t", match);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK)
		;
	db_finalize(st);
	top_cur = NULL;
	if (t->n)
		qsort(t->hit, t->n, sizeof(*t->hit), hit_cmp);
	return rc == JM_DONE ? JM_OK : rc;
}

void db_fts_top_free(struct db_fts_top *t)
{
	free(t->hit);
	t->hit = NULL, t->n = t->size = 0;
}

int db_sqlite_fts_cjk(sqlite3 *h)
{
	static fts5_tokenizer tok = {cjk_create, cjk_delete, cjk_tokenize};
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2)
		return SQLITE_ERROR;
	int rc = api->xCreateTokenizer(api, "jm_cjk", NULL, &tok, NULL);
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, "jm_rank", NULL, jm_rank, NULL);
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, "jm_top", NULL, jm_top, NULL);
	return rc;
}
