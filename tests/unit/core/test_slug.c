/* Unit tests for src/core/slug.c (the one slug rule) and arena_grow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"

#define MAX 120

static const char *make(const char *s, size_t max)
{
	static char out[MAX + 1];
	jm_slug_make(s, strlen(s), out, max);
	return out;
}

/* Issue 8, defect 18: a Japanese title keeps its words. */
static void test_japanese_titles(void **state)
{
	(void)state;
	assert_string_equal(make("フリーランス3年目、人脈は「量より質」だった", MAX),
	                    "フリーランス3年目-人脈は-量より質-だった");
	assert_string_equal(make("人脈を広げる 5 つの習慣", MAX), "人脈を広げる-5-つの習慣");
	/* Full-width letters and digits fold (NFKC), half-width kana widen. */
	assert_string_equal(make("ＡＢＣ　２０２６年　ｶﾀｶﾅ", MAX), "abc-2026年-カタカナ");
	/* The long-vowel mark and 々 are letters. */
	assert_string_equal(make("コーヒーと人々", MAX), "コーヒーと人々");
}

static void test_ascii_titles_as_before(void **state)
{
	(void)state;
	assert_string_equal(make("Hello, World!", MAX), "hello-world");
	assert_string_equal(make("  --C11 & SQLite: a/b?c#d%e--  ", MAX), "c11-sqlite-a-b-c-d-e");
	assert_string_equal(make("2026", MAX), "2026");
	assert_string_equal(make("!!! 。。。", MAX), "");
	assert_string_equal(make("", MAX), "");
}

/* The cap cuts on a character boundary and never leaves a trailing '-'. */
static void test_cap(void **state)
{
	(void)state;
	const char *s = make("あいうえおかきくけこ", 10); /* 3 bytes each */
	assert_string_equal(s, "あいう");
	assert_true(utf8_valid(s, strlen(s)));
	assert_string_equal(make("abc def", 4), "abc");
	assert_string_equal(make("ab cd", 5), "ab-cd");
	char out[MAX + 1];
	size_t n = jm_slug_make("人脈 通信", strlen("人脈 通信"), out, MAX);
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "人脈-通信");
}

static void test_valid(void **state)
{
	(void)state;
	/* Every slug the old ASCII rule accepted stays valid. */
	assert_true(jm_slug_valid("my-first-article", MAX));
	assert_true(jm_slug_valid("-a--b-", MAX));
	assert_true(jm_slug_valid("2026", MAX));
	/* Japanese, as made. */
	assert_true(jm_slug_valid("フリーランス3年目-人脈は", MAX));
	assert_true(jm_slug_valid(make("ＡＢＣ　ｶﾀｶﾅ", MAX), MAX));
	/* Refused: empty, too long, upper case, unfolded, spaces, URL syntax. */
	assert_false(jm_slug_valid("", MAX));
	assert_false(jm_slug_valid(NULL, MAX));
	assert_false(jm_slug_valid("abcde", 4));
	assert_false(jm_slug_valid("Hello", MAX));
	assert_false(jm_slug_valid("ＡＢＣ", MAX));
	assert_false(jm_slug_valid("ｶﾀｶﾅ", MAX));
	assert_false(jm_slug_valid("a b", MAX));
	assert_false(jm_slug_valid("人脈　通信", MAX));
	assert_false(jm_slug_valid("a/b", MAX));
	assert_false(jm_slug_valid("a%20b", MAX));
	assert_false(jm_slug_valid("a?b", MAX));
	assert_false(jm_slug_valid("人脈、通信", MAX));
	assert_false(jm_slug_valid("\xe4\xba", MAX)); /* cut UTF-8 */
}

static void test_arena_grow(void **state)
{
	(void)state;
	struct arena *a = arena_new(256);
	int *v = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 1000; i++) {
		v = arena_grow(a, v, n, &cap, sizeof(*v));
		v[n++] = i;
	}
	assert_true(cap >= n);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_japanese_titles),
	        cmocka_unit_test(test_ascii_titles_as_before),
	        cmocka_unit_test(test_cap),
	        cmocka_unit_test(test_valid),
	        cmocka_unit_test(test_arena_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
