/* Unit tests for src/auth/totp.c: the RFC 6238 test vectors (SHA-1, six
 * digits of the eight the RFC lists), the ±1 step window, a code working
 * once, recovery codes working once, and the QR code's SVG. */
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

static void test_rfc6238_vectors(void **state)
{
	(void)state;
	static const unsigned char key[] = "12345678901234567890";
	static const struct {
		int64_t t;
		uint32_t code;
	} v[] = {{59, 287082},       {1111111109, 81804},  {1111111111, 50471},
	         {1234567890, 5924}, {2000000000, 279037}, {20000000000, 353130}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(auth_totp_code(key, 20, v[i].t / 30), v[i].code);
}

static void code_at(const char *b32, int64_t step, char out[7])
{
	/* "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" is base32 of "12345678901234567890" */
	(void)b32;
	static const unsigned char key[] = "12345678901234567890";
	snprintf(out, 7, "%06u", auth_totp_code(key, 20, step));
}

static void test_codes_work_once_within_one_step(void **state)
{
	struct db *db = *state;
	exec_ok(db, "INSERT INTO users(id, email, role, password_hash, created_at, totp_pending) "
	            "VALUES (1, 'o@example.com', 'owner', 'x', 0, "
	            "'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')");
	int64_t now = 1800000000, s = now / 30;
	char c[7], codes[AUTH_RECOVERY_CODES][16];
	code_at(NULL, s + 3, c);
	assert_int_equal(auth_totp_confirm(db, secret, 1, c, now, codes), JM_UNAUTHORIZED);
	code_at(NULL, s, c);
	assert_int_equal(auth_totp_confirm(db, secret, 1, c, now, codes), JM_OK);
	assert_true(auth_totp_enabled(db, 1));
	assert_int_equal(q_int(db, "SELECT count(*) FROM recovery_codes WHERE user_id = ?", 1), 10);
	assert_int_equal(auth_totp_verify(db, secret, 1, c, now), JM_UNAUTHORIZED); /* reused */
	code_at(NULL, s - 1, c);
	assert_int_equal(auth_totp_verify(db, secret, 1, c, now), JM_UNAUTHORIZED); /* older */
	code_at(NULL, s + 1, c);
	assert_int_equal(auth_totp_verify(db, secret, 1, c, now), JM_OK); /* drift +1 */
	assert_int_equal(auth_totp_verify(db, secret, 1, c, now), JM_UNAUTHORIZED);
	code_at(NULL, s + 3, c);
	assert_int_equal(auth_totp_verify(db, secret, 1, c, now), JM_UNAUTHORIZED); /* too far */
	assert_int_equal(auth_totp_verify(db, secret, 1, codes[3], now), JM_OK);
	assert_int_equal(auth_totp_verify(db, secret, 1, codes[3], now), JM_UNAUTHORIZED);
	assert_int_equal(auth_totp_verify(db, secret, 1, "", now), JM_UNAUTHORIZED);
	assert_int_equal(auth_totp_disable(db, 1), JM_OK);
	assert_false(auth_totp_enabled(db, 1));
	assert_int_equal(q_int(db, "SELECT count(*) FROM recovery_codes", 0), 0);
}

static void test_qr_svg(void **state)
{
	(void)state;
	struct arena *a = arena_new(1024);
	const char *uri = NULL;
	assert_int_equal(auth_totp_uri(a, "jinmyaku", "o w@example.com", "ABC", &uri), JM_OK);
	assert_non_null(strstr(uri, "otpauth://totp/jinmyaku%3Ao%20w@example.com?secret=ABC"));
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(auth_totp_qr_svg(uri, &b), JM_OK);
	assert_non_null(strstr(b.ptr, "<svg"));
	assert_non_null(strstr(b.ptr, "</svg>"));
	buf_free(&b);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rfc6238_vectors),
	        cmocka_unit_test_setup_teardown(test_codes_work_once_within_one_step,
	                                        site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test(test_qr_svg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
