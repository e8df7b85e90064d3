/* Unit tests for src/site/settings.c: defaults, validation, atomic saves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site_testdb.h"

static void test_defaults(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(1024);
	struct site_settings s;
	assert_int_equal(site_settings_load(db, a, &s), JM_OK);
	assert_string_equal(s.lang, "ja");
	assert_string_equal(s.base_url, "");
	assert_int_equal(s.per_page, 10);
	assert_int_equal(s.tz_offset_min, 540);
	assert_false(s.allow_raw_html);
	assert_string_equal(site_setting_get(db, a, "per_page"), "10");
	assert_string_equal(site_setting_get(db, a, "nope"), "");
	size_t n = 0;
	const struct setting_def *d = site_setting_defs(&n);
	assert_true(n >= 16);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(d[i].label_key);
		assert_non_null(d[i].group);
	}
	arena_free(a);
}

static void test_save_and_load(void **state)
{
	struct db *db = *state;
	const char *keys[] = {"title",    "base_url", "lang",       "allow_raw_html",
	                      "per_page", "sns_x",    "profile_md", "tz_offset_min"};
	const char *vals[] = {"人脈ブログ <テスト>", "https://example.jp",   "en",  "on", "25",
	                      "https://x.com/me",    "# 自己紹介\n\n複数行", "-300"};
	struct jm_err err = {0};
	assert_int_equal(site_settings_save(db, keys, vals, 8, &err), JM_OK);
	struct arena *a = arena_new(1024);
	struct site_settings s;
	assert_int_equal(site_settings_load(db, a, &s), JM_OK);
	assert_string_equal(s.title, "人脈ブログ <テスト>");
	assert_string_equal(s.base_url, "https://example.jp");
	assert_string_equal(s.lang, "en");
	assert_true(s.allow_raw_html);
	assert_int_equal(s.per_page, 25);
	assert_int_equal(s.tz_offset_min, -300);
	assert_string_equal(s.sns_x, "https://x.com/me");
	assert_string_equal(s.profile_md, "# 自己紹介\n\n複数行");
	assert_string_equal(site_setting_get(db, a, "allow_raw_html"), "1");
	arena_free(a);
}

/* Saves one pair expecting failure naming field; checks nothing changed. */
static void expect_invalid(struct db *db, const char *key, const char *val, const char *field)
{
	const char *keys[] = {"description", key};
	const char *vals[] = {"changed?", val};
	struct jm_err err = {0};
	assert_int_equal(site_settings_save(db, keys, vals, 2, &err), JM_INVALID);
	assert_string_equal(err.field, field);
	struct arena *a = arena_new(256);
	assert_string_equal(site_setting_get(db, a, "description"), "");
	arena_free(a);
}

static void test_validation(void **state)
{
	struct db *db = *state;
	expect_invalid(db, "base_url", "javascript:alert(1)", "base_url");
	expect_invalid(db, "base_url", "ftp://example.com", "base_url");
	expect_invalid(db, "sns_x", "https://", "sns_x");
	expect_invalid(db, "sns_github", "https://github.com/a b", "sns_github");
	expect_invalid(db, "sns_note", "https://note.com/\"><script>", "sns_note");
	expect_invalid(db, "lang", "fr", "lang");
	expect_invalid(db, "per_page", "0", "per_page");
	expect_invalid(db, "per_page", "101", "per_page");
	expect_invalid(db, "per_page", "ten", "per_page");
	expect_invalid(db, "allow_raw_html", "maybe", "allow_raw_html");
	expect_invalid(db, "title", "two\nlines", "title");
	expect_invalid(db, "title", "\xff\xfe", "title");
	expect_invalid(db, "no_such_key", "x", "no_such_key");
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_invalid(db, "description", big, "description");
	/* Empty URLs are allowed: they clear an SNS link. */
	const char *k[] = {"sns_youtube"};
	const char *v[] = {""};
	assert_int_equal(site_settings_save(db, k, v, 1, NULL), JM_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_defaults, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_save_and_load, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_validation, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
