/*
 * cjk_tok.c — the one tokenizer of the people search (contract in core.h,
 * "search tokens"): the SQLite FTS5 tokenizer jm_cjk (db/fts_cjk.c) and the
 * term table on PostgreSQL (network/search_pg.c) both cut text here, so the
 * two engines see the same tokens at the same positions.
 *
 * Input is folded text (core/fold.c: NFKC + case folding). Then:
 *   - a run of letters/digits of non-CJK scripts is one token ("editor"),
 *     cut at JM_CJK_TOKEN_MAX bytes on a character boundary;
 *   - a run of CJK letters (Han, kana, Hangul; punctuation ends a run)
 *     gives its overlapping bigrams, so "出版社の" → 出版 版社 社の, and,
 *     when indexing, its last character as a unigram colocated with the
 *     last bigram (JM_CJK_COLOCATED: same position); a one-character run is
 *     just that character, at a position of its own. Queries get the
 *     bigrams only: the phrase "出版社" is 出版 版社.
 * Everything else separates tokens. Offsets are byte offsets into the
 * folded text; a caller that needs the source's maps them (jm_fold_map).
 */
#include "core/core.h"

/* A CJK run at f[*i]. */
static int cjk_run(const char *f, size_t flen, size_t *i, bool query, jm_cjk_token_fn fn,
                   void *user)
{
	size_t prev = *i, j = *i, n = 0;
	int rc = 0;
	while (j < flen && rc == 0) {
		uint32_t cp = 0;
		size_t next = jm_utf8_next(f, flen, j, &cp);
		if (!jm_cp_is_cjk(cp))
			break;
		if (n++ > 0)
			rc = fn(user, f, prev, next, 0);
		prev = j;
		j = next;
	}
	if (rc == 0 && (n == 1 || !query))
		rc = fn(user, f, prev, j, n == 1 ? 0 : JM_CJK_COLOCATED);
	*i = j;
	return rc;
}

/* A run of non-CJK word characters at f[*i]: one token. */
static int word_run(const char *f, size_t flen, size_t *i, jm_cjk_token_fn fn, void *user)
{
	size_t a = *i, j = *i, cut = *i;
	while (j < flen) {
		uint32_t cp = 0;
		size_t next = jm_utf8_next(f, flen, j, &cp);
		if (!jm_cp_is_word(cp) || jm_cp_is_cjk(cp))
			break;
		if (next - a <= JM_CJK_TOKEN_MAX)
			cut = next;
		j = next;
	}
	*i = j;
	return fn(user, f, a, cut, 0);
}

int jm_cjk_tokens(const char *f, size_t flen, bool query, jm_cjk_token_fn fn, void *user)
{
	int rc = 0;
	size_t i = 0;
	while (i < flen && rc == 0) {
		uint32_t cp = 0;
		size_t next = jm_utf8_next(f, flen, i, &cp);
		if (jm_cp_is_cjk(cp))
			rc = cjk_run(f, flen, &i, query, fn, user);
		else if (jm_cp_is_word(cp))
			rc = word_run(f, flen, &i, fn, user);
		else
			i = next;
	}
	return rc;
}
