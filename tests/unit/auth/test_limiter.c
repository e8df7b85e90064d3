/* Unit tests for src/auth/limiter.c on a throw-away migrated database: an
 * attempt is reserved before the password check, a right password gives it
 * back, keys are exact, and the count lives in the database (a second
 * connection — another node — sees the same limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../site/site_testdb.h"
#include "auth/auth.h"

static void test_reserve_counts_before_the_check(void **state)
{
	struct db *db = *state;
	for (int i = 0; i < AUTH_MAX_FAILS_PER_MIN; i++)
		assert_int_equal(auth_login_reserve(db, "192.0.2.1", 1000), JM_OK);
	/* Nothing was reported as failed yet: the reservations alone block. */
	assert_int_equal(auth_login_reserve(db, "192.0.2.1", 1000), JM_RATE_LIMITED);
	assert_int_equal(auth_login_reserve(db, "192.0.2.1", 1059), JM_RATE_LIMITED);
	assert_int_equal(auth_login_reserve(db, "192.0.2.2", 1000), JM_OK);
	/* A minute later the window has moved on. */
	assert_int_equal(auth_login_reserve(db, "192.0.2.1", 1060), JM_OK);
}

static void test_release_gives_the_attempt_back(void **state)
{
	struct db *db = *state;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(auth_login_reserve(db, "2001:db8::5", 2000), JM_OK);
		auth_login_release(db, "2001:db8::5", 2000);
	}
	for (int i = 0; i < AUTH_MAX_FAILS_PER_MIN; i++)
		assert_int_equal(auth_login_reserve(db, "2001:db8::5", 2000), JM_OK);
	assert_int_equal(auth_login_reserve(db, "2001:db8::5", 2000), JM_RATE_LIMITED);
	/* A release gives back one reservation of that second, not all. */
	auth_login_release(db, "2001:db8::5", 2000);
	assert_int_equal(auth_login_reserve(db, "2001:db8::5", 2000), JM_OK);
	assert_int_equal(auth_login_reserve(db, "2001:db8::5", 2000), JM_RATE_LIMITED);
}

/* Keys are exact: a prefix or a longer address is another counter, and a
 * string too long for an address is refused rather than truncated. */
static void test_keys_are_exact(void **state)
{
	struct db *db = *state;
	for (int i = 0; i < AUTH_MAX_FAILS_PER_MIN; i++)
		assert_int_equal(auth_login_reserve(db, "198.51.100.1", 3000), JM_OK);
	assert_int_equal(auth_login_reserve(db, "198.51.100.1", 3000), JM_RATE_LIMITED);
	assert_int_equal(auth_login_reserve(db, "198.51.100.10", 3000), JM_OK);
	assert_int_equal(auth_login_reserve(db, "198.51.100.", 3000), JM_OK);
	char longip[80];
	memset(longip, '1', sizeof(longip) - 1);
	longip[sizeof(longip) - 1] = '\0';
	assert_int_equal(auth_login_reserve(db, longip, 3000), JM_RATE_LIMITED);
}

/* Two connections are two nodes: attempts on either count against one
 * limit. */
static void test_nodes_share_the_count(void **state)
{
	struct db *db = *state;
	struct db *other = NULL;
	struct jm_err err = {0};
	assert_int_equal(db_open(site_testdb_path(), &other, &err), JM_OK);
	for (int i = 0; i < AUTH_MAX_FAILS_PER_MIN; i++)
		assert_int_equal(auth_login_reserve(i % 2 ? db : other, "203.0.113.7", 4000),
		                 JM_OK);
	assert_int_equal(auth_login_reserve(other, "203.0.113.7", 4000), JM_RATE_LIMITED);
	assert_int_equal(auth_login_reserve(db, "203.0.113.7", 4000), JM_RATE_LIMITED);
	db_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_reserve_counts_before_the_check,
	                                        site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_release_gives_the_attempt_back,
	                                        site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_keys_are_exact, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_nodes_share_the_count, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
