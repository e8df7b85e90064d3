/* Unit tests for src/core/fold.c (NFKC + case folding with an offset map,
 * the CJK classifier) and src/db/fts_cjk.c (the jm_cjk FTS5 tokenizer:
 * bigrams, the trailing unigram, offsets into the original text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "../site/site_testdb.h"

static void check_fold(const char *in, const char *want)
{
	struct buf b = BUF_INIT;
	assert_int_equal(jm_fold(in, strlen(in), &b), JM_OK);
	assert_string_equal(buf_cstr(&b), want);
	buf_free(&b);
}

static void test_fold(void **state)
{
	(void)state;
	check_fold("", "");
	check_fold("Editor ABC", "editor abc");
	check_fold("ＦＵＬＬ－ＷＩＤＴＨ", "full-width");
	check_fold("ｶﾀｶﾅ", "カタカナ");
	check_fold("ｶﾞｲﾄﾞ", "ガイド");
	check_fold("出版社の編集者", "出版社の編集者");
	check_fold("１２３", "123");
	check_fold("㈱山田", "(株)山田");
	check_fold("Straße", "strasse");
	check_fold("e\xcc\x81", "\xc3\xa9"); /* e + combining acute → é */
	check_fold("a\xffz", "az");          /* a malformed byte is dropped */
}

static void test_fold_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 4);
	assert_int_equal(jm_fold("ABCDEFGH", 8, &b), JM_TOO_LARGE);
	buf_free(&b);
}

static void test_fold_map(void **state)
{
	(void)state;
	/* ｶﾞ (6 bytes) folds to ガ (3 bytes): all three map to [0, 6). */
	const char *s = "ｶﾞX";
	struct buf b = BUF_INIT;
	uint32_t *map = NULL;
	assert_int_equal(jm_fold_map(s, strlen(s), &b, &map), JM_OK);
	assert_string_equal(buf_cstr(&b), "ガx");
	assert_int_equal(b.len, 4);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(map[2 * k], 0);
		assert_int_equal(map[2 * k + 1], 6);
	}
	assert_int_equal(map[6], 6);
	assert_int_equal(map[7], 7);
	free(map);
	buf_free(&b);
}

static void test_cjk_class(void **state)
{
	(void)state;
	assert_true(jm_cp_is_cjk(0x51FA));  /* 出 */
	assert_true(jm_cp_is_cjk(0x3042));  /* あ */
	assert_true(jm_cp_is_cjk(0x30AB));  /* カ */
	assert_true(jm_cp_is_cjk(0x30FC));  /* ー */
	assert_true(jm_cp_is_cjk(0x3005));  /* 々 */
	assert_true(jm_cp_is_cjk(0xD55C));  /* 한 */
	assert_false(jm_cp_is_cjk(0x3001)); /* 、 */
	assert_false(jm_cp_is_cjk(0x300C)); /* 「 */
	assert_false(jm_cp_is_cjk(0x30FB)); /* ・ */
	assert_false(jm_cp_is_cjk('a'));
	assert_true(jm_cp_is_word('a'));
	assert_true(jm_cp_is_word(0xE9));
	assert_false(jm_cp_is_word('-'));
	assert_false(jm_cp_is_word(0x3002));
}

static int64_t count(struct db *db, const char *match)
{
	struct db_stmt *st = NULL;
	assert_int_equal(db_preparef(db, &st, "SELECT count(*) FROM t WHERE t MATCH ?", "t", match),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	int64_t n = db_col_int(st, 0);
	db_finalize(st);
	return n;
}

static void test_tokenizer(void **state)
{
	struct db *db = *state;
	assert_int_equal(db_exec(db, "CREATE VIRTUAL TABLE t USING fts5(a, tokenize = 'jm_cjk');"
	                             "INSERT INTO t(rowid, a) VALUES (1, '大手出版社の編集者です'),"
	                             "(2, 'ＷＥＢ制作とｶﾀｶﾅ'), (3, 'Senior Editor at 日本'),"
	                             "(4, '本');"),
	                 JM_OK);
	assert_int_equal(count(db, "\"出版\""), 1);
	assert_int_equal(count(db, "\"出版社\""), 1);
	assert_int_equal(count(db, "\"社出版\""), 0);
	assert_int_equal(count(db, "\"編集者\""), 1);
	assert_int_equal(count(db, "\"カタカナ\""), 1);
	assert_int_equal(count(db, "\"web制作\""), 1);
	assert_int_equal(count(db, "\"edit\"*"), 1);
	assert_int_equal(count(db, "\"本\"*"), 2);
	assert_int_equal(count(db, "\"日本\""), 1);
	/* Offsets point into the original text: highlight cuts it right. */
	struct db_stmt *st = NULL;
	assert_int_equal(db_preparef(db, &st,
	                             "SELECT highlight(t, 0, '[', ']') FROM t WHERE t MATCH ?", "t",
	                             "\"カタカナ\""),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	assert_string_equal(db_col_text(st, 0, NULL), "ＷＥＢ制作と[ｶﾀｶﾅ]");
	db_finalize(st);
	assert_int_equal(db_preparef(db, &st,
	                             "SELECT highlight(t, 0, '[', ']') FROM t WHERE t MATCH ?", "t",
	                             "\"出版\""),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	assert_string_equal(db_col_text(st, 0, NULL), "大手[出版]社の編集者です");
	db_finalize(st);
}

static void test_tokenizer_long_run(void **state)
{
	struct db *db = *state;
	/* A CJK run longer than the tokenizer's window (256 characters) keeps
	 * every bigram: 出版 sits right across the first cut. */
	struct buf b = BUF_INIT;
	for (int k = 0; k < 255; k++)
		assert_int_equal(buf_appends(&b, "あ"), JM_OK);
	assert_int_equal(buf_appends(&b, "出版"), JM_OK);
	for (int k = 0; k < 300; k++)
		assert_int_equal(buf_appends(&b, "い"), JM_OK);
	assert_int_equal(db_exec(db, "CREATE VIRTUAL TABLE t USING fts5(a, tokenize = 'jm_cjk')"),
	                 JM_OK);
	assert_int_equal(db_execf(db, "INSERT INTO t(rowid, a) VALUES (1, ?)", "t", buf_cstr(&b)),
	                 JM_OK);
	assert_int_equal(count(db, "\"あ出版い\""), 1);
	assert_int_equal(count(db, "\"出版\""), 1);
	assert_int_equal(count(db, "\"ああああ\""), 1);
	assert_int_equal(count(db, "\"いいい\""), 1);
	buf_free(&b);
}

static int setup(void **state)
{
	*state = site_testdb_open();
	return 0;
}

static int teardown(void **state)
{
	site_testdb_close(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fold),
	        cmocka_unit_test(test_fold_cap),
	        cmocka_unit_test(test_fold_map),
	        cmocka_unit_test(test_cjk_class),
	        cmocka_unit_test_setup_teardown(test_tokenizer, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_tokenizer_long_run, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
