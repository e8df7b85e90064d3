/* Unit tests for src/core: buffers, arena, UTF-8 helpers, time parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"

static void test_buf_cap(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 8);
	assert_int_equal(buf_appends(&b, "12345678"), JM_OK);
	assert_int_equal(buf_appendc(&b, '9'), JM_TOO_LARGE);
	assert_string_equal(buf_cstr(&b), "12345678");
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "%d-%s", 42, "x"), JM_OK);
	assert_string_equal(buf_cstr(&b), "42-x");
	buf_free(&b);
}

static int deferred;
static void bump(void *p)
{
	deferred += *(int *)p;
}

static void test_arena(void **state)
{
	(void)state;
	struct arena *a = arena_new(256);
	char *s = arena_sprintf(a, "%s/%d", "a", 7);
	assert_string_equal(s, "a/7");
	void *big = arena_alloc(a, 10000);
	memset(big, 1, 10000);
	const char *tags[] = {"人脈", "出版", "x"};
	assert_string_equal(arena_join(a, tags, 3, ", "), "人脈, 出版, x");
	assert_string_equal(arena_join(a, tags, 0, ", "), "");
	static int one = 1;
	deferred = 0;
	arena_defer(a, bump, &one);
	arena_free(a);
	assert_int_equal(deferred, 1);
}

/* A reset arena ran its cleanups, kept one block and serves again. */
static void test_arena_reset(void **state)
{
	(void)state;
	struct arena *a = arena_new(256);
	static int one = 1;
	deferred = 0;
	for (int round = 0; round < 3; round++) {
		char *s = arena_sprintf(a, "round %d", round);
		assert_string_equal(s, round == 0 ? "round 0" : round == 1 ? "round 1" : "round 2");
		memset(arena_alloc(a, 10000), 2, 10000); /* a big block, freed at reset */
		for (int i = 0; i < 40; i++)             /* several small blocks */
			memset(arena_alloc(a, 32), 3, 32);
		arena_defer(a, bump, &one);
		arena_reset(a);
		assert_int_equal(deferred, round + 1);
	}
	arena_free(a);
	assert_int_equal(deferred, 3); /* nothing ran twice */
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(utf8_valid("日本語abc", strlen("日本語abc")));
	assert_false(utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
	assert_false(utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
	assert_false(utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(utf8_valid("\xE6\x97", 2));         /* truncated */
	assert_int_equal(utf8_count("日本", 6), 2);
	assert_int_equal(utf8_truncate("日本", 6, 4), 3);
	assert_true(utf8_has_controls("a\x01", 2));
	assert_false(utf8_has_controls("a\tb\r\n", 5));
	assert_true(jm_blank(NULL) && jm_blank("") && jm_blank(" \t\r\n"));
	assert_true(jm_blank("\xe3\x80\x80 \xe3\x80\x80")); /* 全角 spaces */
	assert_false(jm_blank(" \xe3\x80\x80x"));
	assert_false(jm_blank("\xe3\x80\x81")); /* 、 is not a space */
	assert_false(jm_blank("\xe3\x80"));     /* a cut sequence is not blank */
}

static void test_time(void **state)
{
	(void)state;
	int64_t t;
	assert_int_equal(jm_time_parse("2026-11-29T09:00:00Z", 0, &t), JM_OK);
	char out[32];
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-11-29T09:00:00Z");
	assert_int_equal(jm_time_parse("2026-11-29T18:00", 540, &t), JM_OK); /* JST */
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-11-29T09:00:00Z");
	assert_int_equal(jm_time_parse("2026-11-29T18:00:00+09:00", 0, &t), JM_OK);
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-11-29T09:00:00Z");
	assert_int_equal(jm_time_parse("2026-02-30T00:00Z", 0, &t), JM_INVALID);
	assert_int_equal(jm_time_parse("2025-02-29", 0, &t), JM_INVALID);
	assert_int_equal(jm_time_parse("2024-02-29", 0, &t), JM_OK);
	assert_int_equal(jm_time_parse("yesterday", 0, &t), JM_INVALID);
	assert_int_equal(jm_time_parse("2026-11-29T09:00Zjunk", 0, &t), JM_INVALID);
}

/* IANA zones through ICU: offsets with daylight saving, local times read in
 * a zone (gaps and overlaps), the zone list, names refused. */
static void test_zones(void **state)
{
	(void)state;
	int64_t t;
	char out[32];
	assert_true(jm_tz_valid("Asia/Tokyo"));
	assert_true(jm_tz_valid("UTC"));
	assert_true(jm_tz_valid("Europe/Berlin"));
	assert_false(jm_tz_valid("+9"));
	assert_false(jm_tz_valid("540"));
	assert_false(jm_tz_valid("Asia/Nowhere"));
	assert_false(jm_tz_valid(""));
	assert_false(jm_tz_valid(NULL));
	assert_int_equal(jm_tz_offset("Asia/Tokyo", 1780000000), 540);
	assert_int_equal(jm_tz_offset("UTC", 1780000000), 0);
	assert_int_equal(jm_tz_offset("Asia/Nowhere", 1780000000), 0);
	/* Berlin: +60 in winter, +120 in summer. */
	assert_int_equal(jm_time_parse("2026-01-15T12:00Z", 0, &t), JM_OK);
	assert_int_equal(jm_tz_offset("Europe/Berlin", t), 60);
	assert_int_equal(jm_time_parse("2026-07-15T12:00Z", 0, &t), JM_OK);
	assert_int_equal(jm_tz_offset("Europe/Berlin", t), 120);
	/* A time typed without zone is read in the zone, DST included. */
	assert_int_equal(jm_time_parse_zone("2026-07-15T09:00", "Europe/Berlin", &t), JM_OK);
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-07-15T07:00:00Z");
	assert_int_equal(jm_time_parse_zone("2026-01-15 09:00", "Europe/Berlin", &t), JM_OK);
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-01-15T08:00:00Z");
	assert_int_equal(jm_time_parse_zone("2026-11-29T18:00", "Asia/Tokyo", &t), JM_OK);
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-11-29T09:00:00Z");
	/* An explicit offset wins over the zone. */
	assert_int_equal(jm_time_parse_zone("2026-11-29T18:00+00:00", "Asia/Tokyo", &t), JM_OK);
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-11-29T18:00:00Z");
	/* Spring forward (Berlin 2026-03-29 02:00 → 03:00): 02:30 never
	 * happened, it reads as 03:30 (01:30Z); autumn 02:30 happens twice, the
	 * first (00:30Z) wins. */
	assert_int_equal(jm_time_parse_zone("2026-03-29T02:30", "Europe/Berlin", &t), JM_OK);
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-03-29T01:30:00Z");
	assert_int_equal(jm_time_parse_zone("2026-10-25T02:30", "Europe/Berlin", &t), JM_OK);
	jm_time_iso(t, out);
	assert_string_equal(out, "2026-10-25T00:30:00Z");
	assert_int_equal(jm_time_parse_zone("2026-13-01T00:00", "Asia/Tokyo", &t), JM_INVALID);
	size_t n = 0;
	const char *const *names = jm_tz_names(&n);
	assert_true(n > 300);
	bool tokyo = false, utc = false;
	for (size_t i = 0; i < n; i++) {
		tokyo |= !strcmp(names[i], "Asia/Tokyo");
		utc |= !strcmp(names[i], "UTC");
		if (i)
			assert_true(strcmp(names[i - 1], names[i]) < 0);
	}
	assert_true(tokyo && utc);
}

static void test_crypto(void **state)
{
	(void)state;
	assert_int_equal(jm_crypto_init(), JM_OK);
	char a[64], b[64];
	jm_random_token(a, 32);
	jm_random_token(b, 32);
	assert_int_equal(strlen(a), 43);
	assert_false(jm_secure_eq(a, b));
	char h1[65], h2[65];
	jm_hash_hex("k", 1, "data", 4, h1);
	jm_hash_hex("k", 1, "data", 4, h2);
	assert_string_equal(h1, h2);
	jm_hash_hex("j", 1, "data", 4, h2);
	assert_string_not_equal(h1, h2);
}

/* The header-value rule: every way a value could break a header. */
static void test_header_value(void **state)
{
	(void)state;
	static const char *const good[] = {"山田 太郎", "Acme, Inc.",    "", "a=b?c", "=?",
	                                   "x ?= y",    "全角　スペース"};
	static const char *const bad[] = {"a\r\nBcc: x@example.com",
	                                  "a\nb",
	                                  "a\tb",
	                                  "a\x7f",
	                                  "a\xc2\x85"
	                                  "b" /* U+0085 */,
	                                  "\xc2\x80",
	                                  "\xc2\x9f",
	                                  "a\xe2\x80\xa8"
	                                  "b" /* U+2028 */,
	                                  "a\xe2\x80\xa9"
	                                  "b",
	                                  "=?utf-8?B?QQ==?=",
	                                  "x =?iso-8859-1?q?a?= y",
	                                  "\xff\xfe",
	                                  "a\x01"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(jm_header_value_ok(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(jm_header_value_ok(bad[i], strlen(bad[i])));
	assert_true(jm_header_value_ok("\xc2\xa0", 2)); /* U+00A0 is printable */
	assert_true(jm_header_value_ok(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_buf_cap),     cmocka_unit_test(test_arena),
	        cmocka_unit_test(test_arena_reset), cmocka_unit_test(test_utf8),
	        cmocka_unit_test(test_time),        cmocka_unit_test(test_crypto),
	        cmocka_unit_test(test_zones),       cmocka_unit_test(test_header_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
