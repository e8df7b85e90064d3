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
 * It also registers jm_rank, a cheap ranking function (see below).
 *
 * Invariant: a run is tokenised the same way for documents and for the
 * auxiliary functions (FTS5_TOKENIZE_AUX), so positions agree.
 */
#include <sqlite3.h>

#include "db/db_int.h"

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

/* jm_rank(table, w0, w1, …): a cheap relevance for ORDER BY, lower is
 * better like bm25. Each phrase found tf times in column c adds
 * w[c] · tf / (tf + 1) (more hits count, with diminishing returns); a
 * column without a weight counts 0. Unlike bm25 it reads neither the
 * document sizes nor the phrase statistics, so ranking tens of thousands
 * of matches stays within milliseconds. */
#define RANK_PHRASES 32
#define RANK_COLS    16

static void jm_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                    sqlite3_value **val)
{
	int ninst = 0;
	int rc = api->xInstCount(fts, &ninst);
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	unsigned short tf[RANK_PHRASES][RANK_COLS] = {{0}};
	for (int i = 0; i < ninst; i++) {
		int ph = 0, col = 0, off = 0;
		if (api->xInst(fts, i, &ph, &col, &off) == SQLITE_OK && ph >= 0 &&
		    ph < RANK_PHRASES && col >= 0 && col < RANK_COLS && tf[ph][col] < 60000)
			tf[ph][col]++;
	}
	double score = 0;
	int nph = api->xPhraseCount(fts);
	for (int c = 0; c < nval && c < RANK_COLS; c++) {
		double w = sqlite3_value_double(val[c]);
		for (int ph = 0; w != 0 && ph < nph && ph < RANK_PHRASES; ph++)
			score += w * tf[ph][c] / (tf[ph][c] + 1.0);
	}
	sqlite3_result_double(ctx, -score);
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
	return rc;
}
