/* Unit tests for src/site/markdown.c: safe mode, raw mode, Japanese text,
 * excerpts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "site/site.h"

static char *md(const char *src, bool raw)
{
	struct buf b = BUF_INIT;
	assert_int_equal(site_markdown(src, strlen(src), raw, &b), JM_OK);
	return buf_take(&b, NULL);
}

static void test_safe_drops_script(void **state)
{
	(void)state;
	char *h = md("Hello <script>alert(1)</script>\n\n<div onclick=\"x()\">hi</div>\n\n"
	             "[x](javascript:alert(1))",
	             false);
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "onclick"));
	assert_null(strstr(h, "javascript:"));
	assert_non_null(strstr(h, "Hello"));
	free(h);
}

static void test_raw_allowed(void **state)
{
	(void)state;
	char *h = md("<div class=\"box\">raw</div>\n\ntext <b>bold</b>", true);
	assert_non_null(strstr(h, "<div class=\"box\">raw</div>"));
	assert_non_null(strstr(h, "<b>bold</b>"));
	free(h);
}

static void test_japanese(void **state)
{
	(void)state;
	char *h = md("# 人脈の作り方\n\n「読者」が集まるまで*発信*を続ける。\"引用\" -- ダッシュ",
	             false);
	assert_non_null(strstr(h, "<h1>人脈の作り方</h1>"));
	assert_non_null(strstr(h, "「読者」が集まるまで<em>発信</em>を続ける。"));
	/* Smart punctuation is off: quotes and dashes stay as typed. */
	assert_non_null(strstr(h, "&quot;引用&quot; -- ダッシュ"));
	free(h);
}

static void test_too_large(void **state)
{
	(void)state;
	size_t n = ARTICLE_BODY_MAX + 1;
	char *big = xmalloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	struct buf b = BUF_INIT;
	assert_int_equal(site_markdown(big, n, false, &b), JM_TOO_LARGE);
	buf_free(&b);
	free(big);
}

static void test_excerpt(void **state)
{
	(void)state;
	struct arena *a = arena_new(1024);
	const char *src = "# 見出し\n\n本文です。<b>太字</b>と[リンク](https://example.com)。\n\n"
	                  "```\ncode\n```\n\n- 一\n- 二\n";
	char *e = site_excerpt(a, src, strlen(src), 100);
	assert_string_equal(e, "見出し 本文です。太字とリンク。 一 二");
	e = site_excerpt(a, src, strlen(src), 6);
	assert_string_equal(e, "見出し 本…");
	assert_int_equal(utf8_count(e, strlen(e)), 6);
	e = site_excerpt(a, src, strlen(src), 5); /* no space before the ellipsis */
	assert_string_equal(e, "見出し…");
	e = site_excerpt(a, "abc", 3, 3);
	assert_string_equal(e, "abc");
	e = site_excerpt(a, "abcd", 4, 3);
	assert_string_equal(e, "ab…");
	e = site_excerpt(a, "", 0, 10);
	assert_string_equal(e, "");
	e = site_excerpt(a, "`x` y", 5, 10);
	assert_string_equal(e, "x y");
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_safe_drops_script), cmocka_unit_test(test_raw_allowed),
	        cmocka_unit_test(test_japanese),          cmocka_unit_test(test_too_large),
	        cmocka_unit_test(test_excerpt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
