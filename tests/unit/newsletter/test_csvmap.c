/*
 * test_csvmap.c — nl_csv_map (src/newsletter/csv_preview.c), the header
 * rule the CLI import and the admin's mapping screen share: Japanese
 * headers onto email, name, the person's columns and the list's fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "newsletter/newsletter.h"

static void test_japanese_header(void **state)
{
	(void)state;
	struct arena *a = arena_new(4096);
	struct nl_field fields[] = {
	        {.key = "tel", .label = "電話番号", .type = "text", .person = ""},
	        {.key = "kaisha", .label = "勤務先", .type = "text", .person = "company"},
	};
	struct nl_list l = {.fields = fields, .nfields = 2};
	const char *head[] = {"ﾒｰﾙｱﾄﾞﾚｽ", "お名前", "フリガナ", "会社名",
	                      "ＴＥＬ",   "役職",   "備考欄"};
	struct nl_import_opts o = {0};
	nl_csv_map(a, &l, head, 7, &o);
	assert_true(o.has_header);
	assert_int_equal(o.col_email, 0);
	assert_int_equal(o.col_name, 1);
	assert_string_equal(o.person_cols[2], "furigana");
	assert_string_equal(o.field_keys[3], "kaisha"); /* the field mapped onto company */
	assert_string_equal(o.field_keys[4], "tel");    /* 電話番号 ~ ＴＥＬ: both phone */
	assert_string_equal(o.person_cols[5], "title");
	assert_null(o.field_keys[6]);
	assert_null(o.person_cols[6]);
	arena_free(a);
}

static void test_no_header(void **state)
{
	(void)state;
	struct arena *a = arena_new(4096);
	struct nl_list l = {0};
	const char *row[] = {"taro@example.jp", "太郎", "会社"};
	struct nl_import_opts o = {0};
	nl_csv_map(a, &l, row, 3, &o);
	assert_false(o.has_header);
	assert_int_equal(o.col_email, 0);
	assert_int_equal(o.col_name, 1);
	assert_null(o.person_cols[2]);
	/* A header without an email column: the owner must choose one. */
	const char *head[] = {"氏名", "会社"};
	nl_csv_map(a, &l, head, 2, &o);
	assert_true(o.has_header);
	assert_int_equal(o.col_email, -1);
	assert_int_equal(o.col_name, 0);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_japanese_header),
	        cmocka_unit_test(test_no_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
