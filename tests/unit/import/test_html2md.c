/* Unit tests for src/import/html2md.c: block markup and classic HTML to
 * Markdown, escaping, dropped elements, the URL hook, nesting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "import/import_int.h"

static const char *rewrite(void *ud, const char *url, bool image)
{
	(void)ud;
	return image && strstr(url, "old.jpg") ? "/media/new.jpg" : NULL;
}

static char *md(const char *html, bool classic)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_int_equal(imp_html_to_md(html, strlen(html), classic, rewrite, NULL, &b), JM_OK);
	return buf_take(&b, NULL);
}

static void expect(const char *html, bool classic, const char *want)
{
	char *got = md(html, classic);
	assert_string_equal(got ? got : "", want);
	free(got);
}

static void test_blocks(void **state)
{
	(void)state;
	expect("<!-- wp:paragraph --><p>本文<strong>強調</strong></p><!-- /wp:paragraph -->"
	       "<!-- wp:heading --><h2>見出し</h2><!-- /wp:heading -->",
	       false, "本文**強調**\n\n## 見出し");
	expect("<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>", false, "- a\n- b\n\n  - c");
	expect("<ol><li>一</li><li>二</li></ol>", false, "1. 一\n2. 二");
	expect("<blockquote><p>引用</p><p>二段</p></blockquote>", false, "> 引用\n>\n> 二段");
	expect("<pre><code>a ``` b\n</code></pre>", false, "````\na ``` b\n````");
	expect("<p>x</p><hr><p>y</p>", false, "x\n\n* * *\n\ny");
	expect("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>", false,
	       "a | b\\\n1 | 2");
}

static void test_classic_autop(void **state)
{
	(void)state;
	expect("一行目\n二行目\n\n次の段落", true, "一行目\\\n二行目\n\n次の段落");
	expect("一行目\n二行目", false, "一行目 二行目");
	expect("[caption id=\"x\"]<img src=\"a.png\" alt=\"犬\"> 犬の写真[/caption]", true,
	       "![犬](a.png) 犬の写真");
}

static void test_escaping_and_dropping(void **state)
{
	(void)state;
	expect("<p>*星* _下線_ [括弧] &lt;b&gt; # 1</p>", false,
	       "\\*星\\* \\_下線\\_ \\[括弧\\] \\<b\\> \\# 1");
	expect("<p>Q&amp;A &amp;copy;</p>", false, "Q&A \\&copy;");
	expect("<script>alert(1)</script><style>p{}</style><form><input></form><p>ok</p>", false,
	       "ok");
	expect("<p><a href=\"javascript:alert(1)\">x</a></p>", false, "x");
	expect("<iframe src=\"https://www.youtube.com/embed/abc123?rel=0\"></iframe>", false,
	       "https://www.youtube.com/watch?v=abc123");
	expect("<iframe src=\"https://evil.example/\"></iframe><p>t</p>", false, "t");
}

static void test_links_and_images(void **state)
{
	(void)state;
	expect("<p><a href=\"https://e.jp/a b(c)\">リンク</a></p>", false,
	       "[リンク](https://e.jp/a%20b%28c%29)");
	expect("<p><img src=\"https://old/wp-content/uploads/old.jpg\" alt=\"a]b\"></p>", false,
	       "![a\\]b](/media/new.jpg)");
	expect("<p><a href=\"/big.jpg\"><img src=\"/old.jpg\" alt=\"\"></a></p>", false,
	       "[![](/media/new.jpg)](/big.jpg)");
	expect("<p><strong> 太字 </strong>と<em></em></p>", false, "**太字** と");
}

static void test_deep_nesting(void **state)
{
	(void)state;
	struct buf h;
	buf_init(&h, 1 << 20);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(buf_appends(&h, "<div><span>"), JM_OK);
	assert_int_equal(buf_appends(&h, "deep"), JM_OK);
	char *got = md(buf_cstr(&h), false);
	free(got); /* no crash, bounded recursion */
	buf_free(&h);
}

static void test_cap(void **state)
{
	(void)state;
	struct buf h, out;
	buf_init(&h, 1 << 22);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(buf_appends(&h, "<p>0123456789</p>"), JM_OK);
	buf_init(&out, 1000);
	assert_int_equal(imp_html_to_md(buf_cstr(&h), h.len, false, NULL, NULL, &out),
	                 JM_TOO_LARGE);
	buf_free(&out);
	buf_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_blocks),
	        cmocka_unit_test(test_classic_autop),
	        cmocka_unit_test(test_escaping_and_dropping),
	        cmocka_unit_test(test_links_and_images),
	        cmocka_unit_test(test_deep_nesting),
	        cmocka_unit_test(test_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
