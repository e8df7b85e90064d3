/* Unit tests for src/core/cjk_tok.c: the one search tokenizer behind the
 * SQLite FTS5 tokenizer jm_cjk (db/fts_cjk.c) and the PostgreSQL term table
 * (network/search_pg.c). Each token is printed as "text@start-end" with
 * "+" for a colocated one, so a case reads as the token list it expects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"

struct out {
	struct buf b;
	int stop_after; /* > 0: return 7 from that token on */
	int n;
};

static int print(void *user, const char *f, size_t a, size_t b, unsigned flags)
{
	struct out *o = user;
	assert_true(a < b);
	assert_int_equal(buf_appendf(&o->b, "%s%.*s%s@%zu-%zu", o->b.len ? " " : "", (int)(b - a),
	                             f + a, flags & JM_CJK_COLOCATED ? "+" : "", a, b),
	                 JM_OK);
	return o->stop_after > 0 && ++o->n >= o->stop_after ? 7 : 0;
}

static void check(const char *folded, bool query, const char *want)
{
	struct out o = {BUF_INIT, 0, 0};
	assert_int_equal(jm_cjk_tokens(folded, strlen(folded), query, print, &o), 0);
	assert_string_equal(buf_cstr(&o.b), want);
	buf_free(&o.b);
}

static void test_cjk_runs(void **state)
{
	(void)state;
	/* Bigrams, then the run's last character colocated with the last
	 * bigram; a query gets the bigrams only. */
	check("出版社の", false, "出版@0-6 版社@3-9 社の@6-12 の+@9-12");
	check("出版社の", true, "出版@0-6 版社@3-9 社の@6-12");
	/* A two-character word is one bigram (and, indexed, its unigram). */
	check("出版", true, "出版@0-6");
	check("出版", false, "出版@0-6 版+@3-6");
	/* A one-character run is that character, in queries too. */
	check("本", false, "本@0-3");
	check("本", true, "本@0-3");
	/* A doubled character at a run's end: bigram 本本 and unigram 本 share
	 * a position. */
	check("見本本", false, "見本@0-6 本本@3-9 本+@6-9");
	/* Punctuation ends a run; the long-vowel mark is a letter. */
	check("データ、分析", false, "デー@0-6 ータ@3-9 タ+@6-9 分析@12-18 析+@15-18");
}

static void test_latin_and_mixed(void **state)
{
	(void)state;
	check("python と django", false, "python@0-6 と@7-10 django@11-17");
	check("acme出版 seo2026", true, "acme@0-4 出版@4-10 seo2026@11-18");
	check("  ...  ", false, "");
	check("", false, "");
}

static void test_long_word_cut(void **state)
{
	(void)state;
	/* A non-CJK run longer than JM_CJK_TOKEN_MAX bytes is one token cut at
	 * a character boundary (é is 2 bytes: 201 would split one). */
	char s[2 * 150 + 1];
	for (int i = 0; i < 150; i++)
		memcpy(s + 2 * i, "\xc3\xa9", 2);
	s[300] = '\0';
	struct out o = {BUF_INIT, 0, 0};
	assert_int_equal(jm_cjk_tokens(s, 300, false, print, &o), 0);
	const char *at = strrchr(buf_cstr(&o.b), '@');
	assert_non_null(at);
	assert_string_equal(at, "@0-200");
	buf_free(&o.b);
}

static void test_stop(void **state)
{
	(void)state;
	/* A non-zero callback result stops the walk and comes back. */
	struct out o = {BUF_INIT, 2, 0};
	assert_int_equal(
	        jm_cjk_tokens("出版社の編集者", strlen("出版社の編集者"), false, print, &o), 7);
	assert_string_equal(buf_cstr(&o.b), "出版@0-6 版社@3-9");
	buf_free(&o.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cjk_runs),
	        cmocka_unit_test(test_latin_and_mixed),
	        cmocka_unit_test(test_long_word_cut),
	        cmocka_unit_test(test_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
