/* Unit tests for src/config.c: defaults, environment, flags, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static void test_defaults_and_env(void **state)
{
	(void)state;
	struct app_config c;
	struct jm_err err = {0};
	unsetenv("JINMYAKU_LISTEN");
	setenv("JINMYAKU_THREADS", "3", 1);
	assert_int_equal(config_defaults(&c, &err), JM_OK);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_string_equal(c.data_dir, "./data");
	assert_int_equal(c.threads, 3);
	assert_int_equal(c.max_body, 2097152);
	setenv("JINMYAKU_THREADS", "999", 1);
	assert_int_equal(config_defaults(&c, &err), JM_INVALID);
	assert_non_null(strstr(err.msg, "JINMYAKU_THREADS"));
	unsetenv("JINMYAKU_THREADS");
}

static void test_flags(void **state)
{
	(void)state;
	struct app_config c;
	struct jm_err err = {0};
	assert_int_equal(config_defaults(&c, &err), JM_OK);
	assert_int_equal(config_set_flag(&c, "--listen", "127.0.0.1:9999", &err), JM_OK);
	assert_string_equal(c.listen, "127.0.0.1:9999");
	assert_int_equal(config_set_flag(&c, "--listen", "nonsense", &err), JM_INVALID);
	assert_non_null(strstr(err.msg, "--listen"));
	assert_string_equal(c.listen, "127.0.0.1:9999"); /* unchanged on error */
	assert_int_equal(config_set_flag(&c, "--max-body", "10", &err), JM_INVALID);
	assert_int_equal(config_set_flag(&c, "--max-body", "65536", &err), JM_OK);
	assert_int_equal(c.max_body, 65536);
	assert_int_equal(config_set_flag(&c, "--bogus", "1", &err), JM_NOT_FOUND);
	assert_int_equal(config_set_flag(&c, "--data", NULL, &err), JM_INVALID);
	assert_int_equal(config_set_flag(&c, "--base-url", "ftp://x", &err), JM_INVALID);
	assert_int_equal(config_set_flag(&c, "--base-url", "https://example.jp", &err), JM_OK);
	/* Trusted proxies: validated CIDR lists, the bad entry named. */
	assert_string_equal(c.trusted_proxies, "");
	assert_int_equal(config_set_flag(&c, "--trusted-proxies", "127.0.0.1/32, fd00::/8", &err),
	                 JM_OK);
	assert_string_equal(c.trusted_proxies, "127.0.0.1/32, fd00::/8");
	assert_int_equal(config_set_flag(&c, "--trusted-proxies", "10.0.0.0/8,10.0.0.0/40", &err),
	                 JM_INVALID);
	assert_non_null(strstr(err.msg, "--trusted-proxies"));
	assert_non_null(strstr(err.msg, "10.0.0.0/40"));
	assert_string_equal(c.trusted_proxies, "127.0.0.1/32, fd00::/8");
	assert_int_equal(c.login_queue, 16);
	assert_int_equal(config_set_flag(&c, "--login-queue", "0", &err), JM_INVALID);
	assert_int_equal(c.max_connections, 0);
	assert_int_equal(config_set_flag(&c, "--max-connections", "100", &err), JM_OK);
	assert_int_equal(c.max_connections, 100);
}

static void test_finish(void **state)
{
	(void)state;
	struct app_config c;
	struct jm_err err = {0};
	assert_int_equal(config_defaults(&c, &err), JM_OK);
	assert_int_equal(config_set_flag(&c, "--data", "/tmp/jmdata", &err), JM_OK);
	assert_int_equal(config_set_flag(&c, "--share", JM_SOURCE_ROOT, &err), JM_OK);
	assert_int_equal(config_finish(&c, "jinmyaku", &err), JM_OK);
	assert_string_equal(c.db_url, "sqlite:/tmp/jmdata/jinmyaku.db");
	assert_int_equal(config_set_flag(&c, "--share", "/nonexistent", &err), JM_OK);
	assert_int_equal(config_finish(&c, "jinmyaku", &err), JM_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults_and_env),
	        cmocka_unit_test(test_flags),
	        cmocka_unit_test(test_finish),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
