/* Unit tests for the public forms' primitives in src/auth: the signed
 * stamp (stamp.c: verdicts, purposes, single use, cleanup) and the rate
 * limiter (ratelimit.c: window, exact keys, cleanup). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth/auth.h"
#include "db/db.h"
#include "../site/site_testdb.h"

static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";
static const unsigned char other[32] = "fedcba9876543210fedcba987654321";

#define NOW 1800000000

static enum auth_stamp_verdict check(const char *stamp, int64_t now, const char *purpose)
{
	return auth_stamp_check(secret, purpose, stamp, now, 2, 86400, NULL);
}

static void test_stamp_verdicts(void **state)
{
	(void)state;
	char s[AUTH_STAMP_LEN], t[AUTH_STAMP_LEN];
	auth_stamp_make(secret, "signup", NOW, s);
	auth_stamp_make(secret, "signup", NOW, t);
	assert_string_not_equal(s, t); /* a nonce: two visitors, one second */
	int64_t at = 0;
	assert_int_equal(auth_stamp_check(secret, "signup", s, NOW + 5, 2, 86400, &at),
	                 AUTH_STAMP_OK);
	assert_int_equal(at, NOW);
	assert_int_equal(check(s, NOW + 1, "signup"), AUTH_STAMP_FAST);
	assert_int_equal(check(s, NOW + 86401, "signup"), AUTH_STAMP_OLD);
	assert_int_equal(check(s, NOW - 61, "signup"), AUTH_STAMP_BAD); /* from the future */
	assert_int_equal(check(s, NOW + 5, "contact"), AUTH_STAMP_BAD); /* another form's */
	assert_int_equal(auth_stamp_check(other, "signup", s, NOW + 5, 2, 86400, NULL),
	                 AUTH_STAMP_BAD);
	assert_int_equal(check(NULL, NOW, "signup"), AUTH_STAMP_MISSING);
	assert_int_equal(check("", NOW, "signup"), AUTH_STAMP_MISSING);
	/* Tampering with any part, and the old "TIME.MAC" shape, are forgeries. */
	static const char *const bad[] = {"1800000000.deadbeef", "abc", "1.2.3",
	                                  "18000000000000.AAAAAAAAAAAAAAAA.0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check(bad[i], NOW + 5, "signup"), AUTH_STAMP_BAD);
	char x[AUTH_STAMP_LEN];
	memcpy(x, s, sizeof(x));
	x[0] = x[0] == '1' ? '2' : '1'; /* another time */
	assert_int_equal(check(x, NOW + 5, "signup"), AUTH_STAMP_BAD);
	memcpy(x, s, sizeof(x));
	x[strlen(x) - 1] = x[strlen(x) - 1] == '0' ? '1' : '0'; /* another MAC */
	assert_int_equal(check(x, NOW + 5, "signup"), AUTH_STAMP_BAD);
}

static void test_stamp_single_use(void **state)
{
	struct db *db = *state;
	char s[AUTH_STAMP_LEN], t[AUTH_STAMP_LEN];
	auth_stamp_make(secret, "contact", NOW, s);
	auth_stamp_make(secret, "contact", NOW, t);
	assert_int_equal(auth_stamp_spend(db, s, NOW + 100, NOW), JM_OK);
	assert_int_equal(auth_stamp_spend(db, s, NOW + 100, NOW + 1), JM_CONFLICT);
	assert_int_equal(auth_stamp_spend(db, t, NOW + 100, NOW + 1), JM_OK);
	assert_int_equal(auth_stamp_spend(db, "no stamp", NOW + 100, NOW), JM_INVALID);
	assert_int_equal(auth_stamp_spend(db, NULL, NOW + 100, NOW), JM_INVALID);
	assert_int_equal(q_int(db, "SELECT count(*) FROM form_stamps_used", 0), 2);
	/* Past their expiry the records go at the next spend. */
	char u[AUTH_STAMP_LEN];
	auth_stamp_make(secret, "contact", NOW + 200, u);
	assert_int_equal(auth_stamp_spend(db, u, NOW + 300, NOW + 200), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM form_stamps_used", 0), 1);
}

static void test_rate_limit(void **state)
{
	struct db *db = *state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(auth_rate_hit(db, "ip:", "10.0.0.1", 3, 3600, NOW + i), JM_OK);
	assert_int_equal(auth_rate_hit(db, "ip:", "10.0.0.1", 3, 3600, NOW + 10), JM_RATE_LIMITED);
	/* Exact keys: a neighbour, a prefix of the address and another form. */
	assert_int_equal(auth_rate_hit(db, "ip:", "10.0.0.10", 3, 3600, NOW + 10), JM_OK);
	assert_int_equal(auth_rate_hit(db, "ip:", "10.0.0.", 3, 3600, NOW + 10), JM_OK);
	assert_int_equal(auth_rate_hit(db, "contact-ip:", "10.0.0.1", 3, 3600, NOW + 10), JM_OK);
	/* The window slides: an hour later the address may post again. */
	assert_int_equal(auth_rate_hit(db, "ip:", "10.0.0.1", 3, 3600, NOW + 3601), JM_OK);
	int64_t n = 0;
	assert_int_equal(auth_rate_count(db, "ip:", "10.0.0.1", NOW - 1, &n), JM_OK);
	assert_int_equal(n, 4);
	/* A day later every old hit is gone after the next one is counted. */
	assert_int_equal(auth_rate_add(db, "ip:", "10.9.9.9", NOW + 2 * 86400), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM signup_attempts", 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_stamp_verdicts),
	        cmocka_unit_test_setup_teardown(test_stamp_single_use, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_rate_limit, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
