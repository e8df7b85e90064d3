/* Unit tests for src/site/content.c and src/site/theme.c, the state every
 * node of a site shares: a content write calls the hook and bumps the
 * generation another node polls; scheduled publications are announced
 * once, whichever connection (node) runs the job; theme names cannot leave
 * their directory and the newest edit of a name wins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site_testdb.h"

static int hook_calls;

static void hook(void *ctx)
{
	(void)ctx;
	hook_calls++;
}

static int64_t gen_of(struct db *db)
{
	int64_t g = 0;
	assert_int_equal(site_content_gen(db, &g), JM_OK);
	return g;
}

static void test_written_calls_the_hook_and_bumps_the_generation(void **state)
{
	struct db *db = *state;
	site_content_hook(hook, NULL);
	hook_calls = 0;
	int64_t g0 = gen_of(db);
	assert_int_equal(site_content_written(db, JM_OK), JM_OK);
	assert_int_equal(hook_calls, 1);
	assert_int_equal(gen_of(db), g0 + 1);
	/* A failed write changes nothing anywhere. */
	assert_int_equal(site_content_written(db, JM_CONFLICT), JM_CONFLICT);
	assert_int_equal(hook_calls, 1);
	assert_int_equal(gen_of(db), g0 + 1);
	/* Saving settings is a content write: another connection (node) sees
	 * the generation move. */
	struct db *other = NULL;
	struct jm_err err = {0};
	assert_int_equal(db_open(site_testdb_path(), &other, &err), JM_OK);
	const char *const keys[] = {"title"};
	const char *const vals[] = {"ノード"};
	assert_int_equal(site_settings_save(db, keys, vals, 1, &err), JM_OK);
	assert_int_equal(gen_of(other), g0 + 2);
	assert_int_equal(hook_calls, 2);
	db_close(other);
	site_content_hook(NULL, NULL);
}

static void test_scheduled_publication_is_announced_once(void **state)
{
	struct db *db = *state;
	struct db *other = NULL;
	struct jm_err err = {0};
	assert_int_equal(db_open(site_testdb_path(), &other, &err), JM_OK);
	int64_t now = jm_now();
	exec_ok(db, "UPDATE content_state SET published_through = 1000");
	/* Scheduled (published later than saved), published at once, a draft. */
	exec_ok(db, "INSERT INTO articles(slug, title, status, published_at, created_at, "
	            "updated_at) VALUES ('s1', 'S1', 'published', 2000, 1500, 1500), "
	            "('now', 'N', 'published', 2000, 2000, 2000), "
	            "('d', 'D', 'draft', 2000, 1500, 1500)");
	int64_t g0 = gen_of(db), n = -1;
	assert_int_equal(site_publish_due(db, 1999, &n), JM_OK);
	assert_int_equal(n, 0);
	assert_int_equal(gen_of(db), g0);
	assert_int_equal(site_publish_due(db, 2000, &n), JM_OK);
	assert_int_equal(n, 1);
	assert_int_equal(gen_of(db), g0 + 1);
	assert_int_equal(q_int(db, "SELECT published_through FROM content_state", 0), 2000);
	/* The other node's run after it finds nothing left to announce, and
	 * writes nothing. */
	assert_int_equal(site_publish_due(other, 2001, &n), JM_OK);
	assert_int_equal(n, 0);
	assert_int_equal(q_int(db, "SELECT published_through FROM content_state", 0), 2000);
	assert_int_equal(site_publish_due(other, now, &n), JM_OK);
	db_close(other);
}

static void test_theme_names(void **state)
{
	(void)state;
	static const char *const good[] = {"site/layout.html", "robots.txt", "feed.xml",
	                                   "a/b/c-d_e.1.html"};
	static const char *const bad[] = {"",
	                                  "../secret.html",
	                                  "site/../x.html",
	                                  "/etc/x.html",
	                                  "site//x.html",
	                                  "site/.x.html",
	                                  "x.html/",
	                                  "site/x.php",
	                                  "a b.html",
	                                  "x.html\n",
	                                  ".html"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(site_theme_name_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(site_theme_name_ok(bad[i]));
}

static void test_theme_newest_edit_wins(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	struct site_theme_file *f = NULL;
	size_t n = 9;
	assert_int_equal(site_theme_list(db, a, &f, &n), JM_OK);
	assert_int_equal(n, 0);
	assert_int_equal(site_theme_put(db, "site/x.html", "v2", 2, 200), JM_OK);
	assert_int_equal(site_theme_put(db, "site/x.html", "v1", 2, 100), JM_OK);  /* older */
	assert_int_equal(site_theme_put(db, "site/x.html", "v2b", 3, 200), JM_OK); /* as old */
	assert_int_equal(site_theme_put(db, "robots.txt", "r", 1, 50), JM_OK);
	assert_int_equal(site_theme_put(db, "../x.html", "x", 1, 50), JM_INVALID);
	assert_int_equal(site_theme_put(db, "big.html", "x", SITE_THEME_MAX + 1, 50), JM_TOO_LARGE);
	assert_int_equal(site_theme_list(db, a, &f, &n), JM_OK);
	assert_int_equal(n, 2);
	assert_string_equal(f[0].name, "robots.txt");
	assert_string_equal(f[1].name, "site/x.html");
	assert_string_equal(f[1].body, "v2");
	assert_int_equal(site_theme_put(db, "site/x.html", "v3", 2, 300), JM_OK);
	assert_int_equal(site_theme_list(db, a, &f, &n), JM_OK);
	assert_string_equal(f[1].body, "v3");
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(
	                test_written_calls_the_hook_and_bumps_the_generation, site_testdb_setup,
	                site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_scheduled_publication_is_announced_once,
	                                        site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test(test_theme_names),
	        cmocka_unit_test_setup_teardown(test_theme_newest_edit_wins, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
