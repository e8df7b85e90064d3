/* Unit tests for src/newsletter/encoding.c's UTF-8 → CP932 conversion (the
 * Shift_JIS exports for Excel): Japanese text round-trips, a character
 * CP932 lacks becomes "?" and is counted, output past iconv's 4 KiB
 * chunks stays whole, and the buffer's cap is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "newsletter/newsletter.h"

static void round_trip(const char *s, const char *want, size_t want_subst)
{
	struct buf b;
	size_t subst = 0;
	buf_init(&b, 0);
	assert_int_equal(nl_utf8_to_cp932(s, strlen(s), &b, &subst), JM_OK);
	assert_int_equal(subst, want_subst);
	struct arena *a = arena_new(1024);
	const char *back = NULL;
	size_t n = 0;
	assert_int_equal(nl_cp932_to_utf8(a, b.ptr ? b.ptr : "", b.len, false, &back, &n), JM_OK);
	assert_string_equal(back, want);
	arena_free(a);
	buf_free(&b);
}

static void test_japanese_round_trips(void **state)
{
	(void)state;
	round_trip("はい、編集者を知っています", "はい、編集者を知っています", 0);
	round_trip("ｶﾀｶﾅ ①髙橋 \"quoted\", x", "ｶﾀｶﾅ ①髙橋 \"quoted\", x", 0);
	round_trip("", "", 0);
}

static void test_missing_characters_become_question_marks(void **state)
{
	(void)state;
	round_trip("𠮷野家の🙂です", "?野家の?です", 2);
	round_trip("🙂🙂", "??", 2);
	round_trip("end🙂", "end?", 1);
}

static void test_longer_than_a_chunk(void **state)
{
	(void)state;
	struct buf in, want;
	buf_init(&in, 0);
	buf_init(&want, 0);
	for (int i = 0; i < 3000; i++) {
		assert_int_equal(buf_appends(&in, i == 2500 ? "🙂" : "あ"), JM_OK);
		assert_int_equal(buf_appends(&want, i == 2500 ? "?" : "あ"), JM_OK);
	}
	round_trip(buf_cstr(&in), buf_cstr(&want), 1);
	buf_free(&in);
	buf_free(&want);
}

static void test_cap_is_kept(void **state)
{
	(void)state;
	struct buf b;
	size_t subst = 0;
	buf_init(&b, 10);
	const char *s = "あいうえおかきくけこ"; /* 20 bytes in CP932 */
	assert_int_equal(nl_utf8_to_cp932(s, strlen(s), &b, &subst), JM_TOO_LARGE);
	assert_true(b.len <= 10);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_japanese_round_trips),
	        cmocka_unit_test(test_missing_characters_become_question_marks),
	        cmocka_unit_test(test_longer_than_a_chunk),
	        cmocka_unit_test(test_cap_is_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
