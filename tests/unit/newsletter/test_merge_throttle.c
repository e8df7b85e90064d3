/* Unit tests for src/newsletter/merge.c (merge fields with fallbacks) and
 * src/newsletter/throttle.c (sending window, domain rates, rate grants). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "newsletter/delivery_int.h"
#include "newsletter/newsletter.h"

static const char *lookup(const char *key, void *user)
{
	(void)user;
	if (strcmp(key, "name") == 0)
		return "山田 <花子>";
	if (strcmp(key, "company") == 0)
		return ""; /* empty counts as missing */
	return NULL;
}

static const char *merged(const char *tpl, bool html, struct buf *b)
{
	buf_reset(b);
	assert_int_equal(nl_merge(tpl, strlen(tpl), lookup, NULL, html, b), JM_OK);
	return buf_cstr(b);
}

static void test_merge(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_string_equal(merged("{{name|読者}}さん", false, &b), "山田 <花子>さん");
	assert_string_equal(merged("{{name|読者}}さん", true, &b), "山田 &lt;花子&gt;さん");
	assert_string_equal(merged("{{company|御社}}様", false, &b), "御社様");
	assert_string_equal(merged("[{{unknown}}]", false, &b), "[]");
	assert_string_equal(merged("{{ name | x }}", false, &b), "山田 <花子>");
	assert_string_equal(merged("no fields {", false, &b), "no fields {");
	/* A fallback is the owner's own text, like the rest of the template:
	 * only values that come from subscribers are escaped. */
	assert_string_equal(merged("{{unknown|<b>}}", true, &b), "<b>");
	buf_free(&b);
}

static void test_window(void **state)
{
	(void)state;
	int64_t t;
	/* 2026-11-29 12:00 JST = 03:00 UTC */
	assert_int_equal(jm_time_parse("2026-11-29T03:00:00Z", 0, &t), JM_OK);
	assert_true(nl_window_open("08:00-21:00", 540, t));
	assert_false(nl_window_open("08:00-21:00", 0, t)); /* 03:00 in UTC */
	assert_true(nl_window_open("21:00-06:00", 0, t));  /* wraps midnight */
	assert_false(nl_window_open("21:00-06:00", 540, t));
	assert_true(nl_window_open("", 540, t));
	assert_true(nl_window_valid("08:00-21:00"));
	assert_true(nl_window_valid(""));
	assert_false(nl_window_valid("8-21"));
	assert_false(nl_window_valid("25:00-26:00"));
	assert_true(nl_domain_rates_valid("docomo.ne.jp=1,ezweb.ne.jp=2"));
	assert_false(nl_domain_rates_valid("docomo.ne.jp=0"));
	assert_false(nl_domain_rates_valid("docomo.ne.jp"));
}

static void test_domain_rate(void **state)
{
	(void)state;
	struct nl_throttle *t = nl_throttle_new();
	nl_throttle_configure(t, 0, "docomo.ne.jp=1");
	int64_t retry = 0;
	/* A newly configured domain waits one interval, as if it had just been
	 * sent to (a restarted worker cannot know when it last was): the next
	 * message to it must wait, whatever the case of the domain. */
	assert_false(nl_throttle_domain(t, "DOCOMO.ne.jp", &retry));
	assert_true(retry >= jm_now() && retry <= jm_now() + 2);
	/* Other domains are not limited. */
	assert_true(nl_throttle_domain(t, "example.jp", &retry));
	assert_true(nl_throttle_domain(t, "example.jp", &retry));
	/* No rate: every grant at once. */
	atomic_bool stop = false;
	assert_int_equal(nl_throttle_acquire(t, 50, &stop), 50);
	/* A rate caps one grant at what a second allows. */
	nl_throttle_configure(t, 5, "");
	size_t got = nl_throttle_acquire(t, 50, &stop);
	assert_true(got >= 1 && got <= 5);
	nl_throttle_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_merge),
	        cmocka_unit_test(test_window),
	        cmocka_unit_test(test_domain_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
