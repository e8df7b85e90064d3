/* Unit tests for src/site/stats.c: counting, referrer hosts, flushing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site_testdb.h"

static void test_flush(void **state)
{
	(void)state;
	struct db *db = site_testdb_open();
	struct site_stats *s = site_stats_new();
	site_stats_hit(s, "/", NULL, "example.jp");
	site_stats_hit(s, "/", "https://www.google.com/search?q=x", "example.jp");
	site_stats_hit(s, "/articles/a", "https://EXAMPLE.jp:443/", "example.jp:8080");
	site_stats_hit(s, "/articles/a", "http://user@t.co/abc", "example.jp");
	site_stats_hit(s, "/articles/a", "android-app://x", "example.jp");
	assert_int_equal(site_stats_flush(s, db), JM_OK);
	site_stats_hit(s, "/", "https://www.google.com/", "example.jp");
	assert_int_equal(site_stats_flush(s, db), JM_OK);
	assert_int_equal(site_stats_flush(s, db), JM_OK); /* nothing pending */

	struct arena *a = arena_new(1024);
	struct key_count *kc;
	size_t n;
	assert_int_equal(site_stats_top_paths(db, a, 7, 10, &kc, &n), JM_OK);
	assert_int_equal(n, 2);
	assert_string_equal(kc[0].key, "/");
	assert_int_equal(kc[0].views, 3);
	assert_int_equal(kc[1].views, 3);
	assert_int_equal(site_stats_top_referrers(db, a, 7, 10, &kc, &n), JM_OK);
	assert_int_equal(n, 2);
	assert_string_equal(kc[0].key, "www.google.com");
	assert_int_equal(kc[0].views, 2);
	assert_string_equal(kc[1].key, "t.co");
	struct day_count *dc;
	assert_int_equal(site_stats_daily(db, a, 7, &dc), JM_OK);
	assert_int_equal(dc[6].views, 6);
	assert_int_equal(dc[0].views, 0);
	char today[16];
	jm_time_day(jm_now(), today);
	assert_string_equal(dc[6].day, today);
	arena_free(a);
	site_stats_free(s);
	site_testdb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_flush),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
