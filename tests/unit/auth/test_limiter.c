/* Unit tests for src/auth/limiter.c (included to reach its statics): an
 * attempt is reserved before the password check, keys are exact even when
 * two addresses share a home slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../../src/auth/limiter.c"

static int setup(void **state)
{
	assert_int_equal(jm_crypto_init(), JM_OK);
	*state = auth_limiter_new();
	return 0;
}

static int teardown(void **state)
{
	auth_limiter_free(*state);
	return 0;
}

static void test_reserve_counts_before_the_check(void **state)
{
	struct auth_limiter *l = *state;
	for (int i = 0; i < AUTH_MAX_FAILS_PER_MIN; i++)
		assert_true(auth_limiter_reserve(l, "192.0.2.1", 1000));
	/* Nothing was reported as failed yet: the reservations alone block. */
	assert_false(auth_limiter_reserve(l, "192.0.2.1", 1000));
	assert_false(auth_limiter_reserve(l, "192.0.2.1", 1059));
	assert_true(auth_limiter_reserve(l, "192.0.2.2", 1000));
	/* A minute later the window has moved on. */
	assert_true(auth_limiter_reserve(l, "192.0.2.1", 1060));
}

static void test_release_gives_the_attempt_back(void **state)
{
	struct auth_limiter *l = *state;
	for (int i = 0; i < 100; i++) {
		assert_true(auth_limiter_reserve(l, "2001:db8::5", 2000));
		auth_limiter_release(l, "2001:db8::5", 2000);
	}
	for (int i = 0; i < AUTH_MAX_FAILS_PER_MIN; i++)
		assert_true(auth_limiter_reserve(l, "2001:db8::5", 2000));
	assert_false(auth_limiter_reserve(l, "2001:db8::5", 2000));
}

/* Two addresses with the same home slot each get their own counter (the
 * old table overwrote one with the other, so neither was ever blocked). */
static void test_colliding_addresses_are_both_limited(void **state)
{
	struct auth_limiter *l = *state;
	char a[32], b[32];
	uint32_t want = home(l, "198.51.100.1") % SLOTS;
	snprintf(a, sizeof(a), "198.51.100.1");
	b[0] = '\0';
	for (int i = 2; i < 1000000 && !b[0]; i++) {
		char c[32];
		snprintf(c, sizeof(c), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		if (home(l, c) % SLOTS == want)
			snprintf(b, sizeof(b), "%s", c);
	}
	assert_true(b[0] != '\0');
	for (int i = 0; i < AUTH_MAX_FAILS_PER_MIN; i++) {
		assert_true(auth_limiter_reserve(l, a, 3000));
		assert_true(auth_limiter_reserve(l, b, 3000));
	}
	assert_false(auth_limiter_reserve(l, a, 3000));
	assert_false(auth_limiter_reserve(l, b, 3000));
}

static void test_many_addresses_each_limited(void **state)
{
	struct auth_limiter *l = *state;
	char ip[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "172.16.%d.%d", i / 256, i % 256);
		for (int k = 0; k < AUTH_MAX_FAILS_PER_MIN; k++)
			assert_true(auth_limiter_reserve(l, ip, 4000));
	}
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "172.16.%d.%d", i / 256, i % 256);
		assert_false(auth_limiter_reserve(l, ip, 4000));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_reserve_counts_before_the_check, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_release_gives_the_attempt_back, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_colliding_addresses_are_both_limited, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_many_addresses_each_limited, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
