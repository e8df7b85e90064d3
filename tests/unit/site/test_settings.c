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
	assert_string_equal(s.tz, "Asia/Tokyo");
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
	                      "per_page", "sns_x",    "profile_md", "timezone"};
	const char *vals[] = {
	        "人脈ブログ <テスト>",  "https://example.jp", "en", "on", "25", "https://x.com/me",
	        "# 自己紹介\n\n複数行", "America/New_York"};
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
	assert_string_equal(s.tz, "America/New_York");
	assert_true(s.tz_offset_min == -300 || s.tz_offset_min == -240); /* EST or EDT now */
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
	/* The zone is an IANA name: "+9" (once saved as nine minutes) is refused. */
	expect_invalid(db, "timezone", "+9", "timezone");
	expect_invalid(db, "timezone", "540", "timezone");
	expect_invalid(db, "timezone", "Asia/Nowhere", "timezone");
	expect_invalid(db, "timezone", "../../etc/passwd", "timezone");
	/* The relay URL needs its scheme. */
	expect_invalid(db, "smtp_url", "mail.example.com:587", "smtp_url");
	expect_invalid(db, "smtp_url", "https://mail.example.com", "smtp_url");
	expect_invalid(db, "smtp_url", "smtp://", "smtp_url");
	expect_invalid(db, "smtp_url", "smtp://mail.example.com?starttls=maybe", "smtp_url");
	expect_invalid(db, "smtp_url", "smtp://a b.example.com", "smtp_url");
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_invalid(db, "description", big, "description");
	/* Empty URLs are allowed: they clear an SNS link. */
	const char *k[] = {"sns_youtube"};
	const char *v[] = {""};
	assert_int_equal(site_settings_save(db, k, v, 1, NULL), JM_OK);
}

/* Saves one pair expecting success. */
static void save1(struct db *db, const char *key, const char *val)
{
	const char *k[] = {key};
	const char *v[] = {val};
	struct jm_err err = {0};
	assert_int_equal(site_settings_save(db, k, v, 1, &err), JM_OK);
}

/* smtp_url: its password is never shown back, and saving the URL as shown
 * keeps it; every save bumps the generation workers compare. */
static void test_smtp_url_secret(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(1024);
	int64_t g0 = 0, g1 = 0;
	assert_int_equal(site_settings_gen(db, &g0), JM_OK);
	save1(db, "smtp_url", "smtps://bob:p%40ss@relay.example.com:465");
	assert_int_equal(site_settings_gen(db, &g1), JM_OK);
	assert_int_equal(g1, g0 + 1);
	const char *stored = site_setting_get(db, a, "smtp_url");
	assert_true(site_smtp_url_has_password(stored));
	const char *shown = site_smtp_url_public(a, stored);
	assert_string_equal(shown, "smtps://bob@relay.example.com:465");
	assert_null(strstr(shown, "p%40ss"));
	save1(db, "smtp_url", shown); /* the form sent back as shown */
	assert_string_equal(site_setting_get(db, a, "smtp_url"),
	                    "smtps://bob:p%40ss@relay.example.com:465");
	save1(db, "smtp_url", "smtps://bob:new@relay.example.com:465"); /* a new one */
	assert_string_equal(site_setting_get(db, a, "smtp_url"),
	                    "smtps://bob:new@relay.example.com:465");
	save1(db, "smtp_url", "smtp://other.example.com?starttls=required"); /* elsewhere */
	assert_false(site_smtp_url_has_password(site_setting_get(db, a, "smtp_url")));
	assert_string_equal(site_smtp_url_public(a, "smtp://h:25"), "smtp://h:25");
	save1(db, "smtp_url", "smtp://u:p@h:25?starttls=1&insecure_plaintext_auth=1");
	save1(db, "timezone", "UTC");
	struct site_settings s;
	assert_int_equal(site_settings_load(db, a, &s), JM_OK);
	assert_int_equal(s.tz_offset_min, 0);
	arena_free(a);
}

/* site_settings_check names every refused pair, in order, and stores
 * nothing; the save then refuses naming the first of them. */
static void test_check_every_field(void **state)
{
	struct db *db = *state;
	const char *keys[] = {"base_url", "title", "per_page", "no_such", "timezone"};
	const char *vals[] = {"ftp://x", "fine", "0", "x", "Mars/Olympus"};
	struct jm_err errs[5] = {0}, err = {0};
	size_t nbad = 9;
	assert_int_equal(site_settings_check(keys, vals, 5, errs, &nbad), JM_INVALID);
	assert_int_equal(nbad, 4);
	assert_string_equal(errs[0].field, "base_url");
	assert_string_equal(errs[1].field, "per_page");
	assert_string_equal(errs[2].field, "no_such");
	assert_string_equal(errs[3].field, "timezone");
	assert_int_equal(site_settings_check(keys + 1, vals + 1, 1, errs, &nbad), JM_OK);
	assert_int_equal(nbad, 0);
	assert_int_equal(site_settings_save(db, keys, vals, 5, &err), JM_INVALID);
	assert_string_equal(err.field, "base_url");
	struct arena *a = arena_new(256);
	assert_string_equal(site_setting_get(db, a, "title"), "jinmyaku");
	arena_free(a);
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
	        cmocka_unit_test_setup_teardown(test_smtp_url_secret, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_check_every_field, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
