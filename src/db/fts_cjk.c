/*
 * fts_cjk.c — the "jm_cjk" SQLite FTS5 tokenizer (FTS5 custom tokenizer
 * API, https://sqlite.org/fts5.html#custom_tokenizers) for search that
 * works in Japanese.
 *
 * The text is folded first (core/fold.c: NFKC + case folding, so ＡＢＣ,
 * ABC and abc, ｶﾀｶﾅ and カタカナ are the same). Then:
 *   - a run of letters/digits of non-CJK scripts is one token ("editor");
 *   - a run of CJK letters (Han, kana, Hangul; punctuation ends a run)
 *     gives its overlapping bigrams, so "出版社の" → 出版 版社 社の, and,
 *     when indexing, its last character as a unigram colocated with the
 *     last bigram (a one-character run is just that unigram), so that the
 *     prefix query "本"* finds 本 wherever it stands. Queries get the
 *     bigrams only: the phrase "出版社" is 出版 版社 and a two-character word
 *     is one bigram token.
 * Everything else separates tokens. Token offsets point into the original
 * (unfolded) text, so snippet() and highlight() cut the stored text right.
 *
 * It also registers jm_rank, a cheap ranking function (see below).
 *
 * Invariant: a run is tokenised the same way for documents and for the
 * auxiliary functions (FTS5_TOKENIZE_AUX), so positions agree.
 */
#include <sqlite3.h>

#include "db/db_int.h"

#define TOKEN_MAX 200 /* bytes; longer Latin runs are cut at a character boundary */

struct cjk_ctx {
	void *fts_ctx;
	int (*xToken)(void *, int, const char *, int, int, int);
	const char *f;       /* folded text */
	size_t flen;         /* its length */
	const uint32_t *map; /* 2 entries per folded byte: source [start, end) */
	bool query;
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

/* Emits folded bytes [a, b) as one token with the source offsets. */
static int put(struct cjk_ctx *c, int tflags, size_t a, size_t b)
{
	int start = (int)c->map[2 * a];
	int end = (int)c->map[2 * (b - 1) + 1];
	return c->xToken(c->fts_ctx, tflags, c->f + a, (int)(b - a), start, end);
}

/* A CJK run: pos[0..n) are the folded offsets of its characters, pos[n]
 * the end of the last one. */
static int put_cjk_run(struct cjk_ctx *c, const size_t *pos, size_t n)
{
	int rc = SQLITE_OK;
	for (size_t k = 0; k + 1 < n && rc == SQLITE_OK; k++)
		rc = put(c, 0, pos[k], pos[k + 2]);
	if (rc == SQLITE_OK && (n == 1 || !c->query))
		rc = put(c, n == 1 ? 0 : FTS5_TOKEN_COLOCATED, pos[n - 1], pos[n]);
	return rc;
}

/* Collects the CJK run starting at *i and emits it. A run longer than the
 * window is emitted in overlapping windows so that no bigram is lost. */
static int cjk_run(struct cjk_ctx *c, size_t *i)
{
	enum { WIN = 256 };
	size_t pos[WIN + 1];
	size_t n = 0, j = *i;
	int rc = SQLITE_OK;
	for (;;) {
		uint32_t cp = 0;
		size_t next = j < c->flen ? jm_utf8_next(c->f, c->flen, j, &cp) : j;
		bool more = j < c->flen && jm_cp_is_cjk(cp);
		if (!more || n == WIN) {
			pos[n] = j;
			bool last = !more;
			/* Cut window: its bigrams end at pos[n]; the last character's
			 * unigram and the bigram across the cut come with the next
			 * window, which restarts at the last character. */
			if (last)
				rc = put_cjk_run(c, pos, n);
			else
				for (size_t k = 0; k + 1 < n && rc == SQLITE_OK; k++)
					rc = put(c, 0, pos[k], pos[k + 2]);
			if (last || rc != SQLITE_OK)
				break;
			pos[0] = pos[n - 1];
			n = 1;
			continue;
		}
		pos[n++] = j;
		j = next;
	}
	*i = j;
	return rc;
}

/* A run of non-CJK word characters starting at *i: one token. */
static int word_run(struct cjk_ctx *c, size_t *i)
{
	size_t a = *i, j = *i, cut = 0;
	while (j < c->flen) {
		uint32_t cp = 0;
		size_t next = jm_utf8_next(c->f, c->flen, j, &cp);
		if (!jm_cp_is_word(cp) || jm_cp_is_cjk(cp))
			break;
		if (next - a <= TOKEN_MAX)
			cut = next;
		j = next;
	}
	*i = j;
	return put(c, 0, a, cut);
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
	struct cjk_ctx c = {ctx, xToken, f.ptr, f.len, map, (flags & FTS5_TOKENIZE_QUERY) != 0};
	int rc = SQLITE_OK;
	size_t i = 0;
	while (i < c.flen && rc == SQLITE_OK) {
		uint32_t cp = 0;
		size_t next = jm_utf8_next(c.f, c.flen, i, &cp);
		if (jm_cp_is_cjk(cp))
			rc = cjk_run(&c, &i);
		else if (jm_cp_is_word(cp))
			rc = word_run(&c, &i);
		else
			i = next;
	}
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
