/*
 * test_csvhead.c — the one CSV header rule (src/core/csvhead.c) as a table
 * of headers and the person field each names, and the reasons
 * jm_email_problem gives (src/core/email_why.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/core.h"

static void test_header_table(void **state)
{
	(void)state;
	static const struct {
		const char *header, *field; /* field NULL: names nothing */
	} t[] = {
	        {"email", "email"},
	        {"E-mail", "email"},
	        {"e_mail", "email"},
	        {"Mail", "email"},
	        {"メール", "email"},
	        {"メールアドレス", "email"},
	        {"Ｅメール", "email"},
	        {"Eメール", "email"},
	        {"ﾒｰﾙｱﾄﾞﾚｽ", "email"},
	        {" メール アドレス ", "email"},
	        {"name", "name"},
	        {"氏名", "name"},
	        {"名前", "name"},
	        {"お名前", "name"},
	        {"ＮＡＭＥ", "name"},
	        {"会社", "company"},
	        {"会社名", "company"},
	        {"勤務先", "company"},
	        {"Company", "company"},
	        {"フリガナ", "furigana"},
	        {"ふりがな", "furigana"},
	        {"よみ", "furigana"},
	        {"読み", "furigana"},
	        {"ﾌﾘｶﾞﾅ", "furigana"},
	        {"電話", "phone"},
	        {"電話番号", "phone"},
	        {"TEL", "phone"},
	        {"ＴＥＬ", "phone"},
	        {"役職", "title"},
	        {"タグ", "tags"},
	        {"tags", "tags"},
	        {"can_offer", "can_offer"},
	        {"looking for", "looking_for"},
	        {"last_contact", "last_contact"},
	        {"備考", "notes"},
	        {"住所", NULL},
	        {"", NULL},
	        {"メモ欄", NULL},
	        {"emails", NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = jm_csvhead_field(t[i].header);
		if (!t[i].field) {
			if (got)
				fail_msg("%s → %s, want none", t[i].header, got);
			continue;
		}
		if (!got || strcmp(got, t[i].field) != 0)
			fail_msg("%s → %s, want %s", t[i].header, got ? got : "(none)", t[i].field);
	}
	assert_null(jm_csvhead_field(NULL));
}

static void test_same(void **state)
{
	(void)state;
	assert_true(jm_csvhead_same("会社名", "会社名"));
	assert_true(jm_csvhead_same("Company_Name", "company name"));
	assert_true(jm_csvhead_same("ＴＥＬ", "tel"));
	assert_false(jm_csvhead_same("会社", "会社名"));
	assert_false(jm_csvhead_same("", ""));
}

static void test_email_problem(void **state)
{
	(void)state;
	static const struct {
		const char *in, *why;
	} t[] = {{"", "empty"},
	         {"  ", "empty"},
	         {"taro＠example.jp", "fullwidth_at"},
	         {"ｔａｒｏ@example.jp", "fullwidth"},
	         {"taro @example.jp", "space"},
	         {"taro<x>@example.jp", "bad_char"},
	         {"taro.example.jp", "no_at"},
	         {"a@b@example.jp", "many_at"},
	         {"@example.jp", "no_local"},
	         {"taro@localhost", "domain"},
	         {"taro@.example.jp", "domain"},
	         {"taro@example.jp.", "domain"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(jm_email_problem(t[i].in), t[i].why) != 0)
			fail_msg("%s → %s, want %s", t[i].in, jm_email_problem(t[i].in), t[i].why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_header_table),
	        cmocka_unit_test(test_same),
	        cmocka_unit_test(test_email_problem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
