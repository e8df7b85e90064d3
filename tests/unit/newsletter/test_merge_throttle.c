/* Unit tests for src/newsletter/merge.c (merge fields with fallbacks) and
 * src/newsletter/throttle.c (sending window, domain rates, the shared send
 * schedule on a migrated SQLite database). throttle.c is included to reach
 * its statics (the schedule is checked without sleeping through it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../../src/newsletter/throttle.c"
#include "../site/site_testdb.h"
#include "newsletter/newsletter.h"

static const char *lookup(const char *key, void *user)
{
	(void)user;
	if (strcmp(key, "name") == 0)
		return "山田 <花子>";
	if (strcmp(key, "company") == 0)
		return "";                 /* empty counts as missing */
	if (strncmp(key, "form:", 5) == 0) /* the reader's link to that form */
		return strcmp(key, "form:ask-1") == 0 ? "https://x.test/forms/ask-1?t=f.a&b" : "/f";
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
	/* {{form:SLUG}}: a link in HTML, the URL in text; a slug as core/slug.c
	 * makes them (Japanese too), nothing else. */
	assert_string_equal(merged("{{form:ask-1}}", false, &b),
	                    "https://x.test/forms/ask-1?t=f.a&b");
	assert_string_equal(merged("{{ form:ask-1 }}", true, &b),
	                    "<a href=\"https://x.test/forms/ask-1?t=f.a&amp;b\">"
	                    "https://x.test/forms/ask-1?t=f.a&amp;b</a>");
	assert_string_equal(merged("{{form:読者アンケート}}", false, &b), "/f");
	assert_string_equal(merged("{{form:A B}}", false, &b), "{{form:A B}}");
	assert_string_equal(merged("{{form:}}", false, &b), "{{form:}}");
	assert_string_equal(merged("{{form:a/b}}", false, &b), "{{form:a/b}}");
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
	struct db *db = *state;
	struct nl_throttle *t = nl_throttle_new();
	assert_int_equal(nl_throttle_init(db), JM_OK);
	nl_throttle_configure(t, 0, "Docomo.ne.jp=1");
	assert_true(nl_throttle_has_domains(t));
	int64_t retry = 0, at = db_clock_us(db);
	/* The last grant lives in the database, so a restarted worker (or
	 * another one) knows it: a domain never sent to may go at once. */
	assert_true(nl_throttle_domain(t, db, "DOCOMO.ne.jp", at, &retry));
	assert_false(nl_throttle_domain(t, db, "docomo.ne.jp", at + 500000, &retry));
	assert_int_equal(retry, (at + WINDOW_US + 999999) / 1000000);
	/* The hint says so before rendering, without a query. */
	assert_false(nl_throttle_domain_free(t, "docomo.ne.jp", &retry));
	assert_true(nl_throttle_domain(t, db, "docomo.ne.jp", at + WINDOW_US, &retry));
	/* An earlier time than the last grant is refused too. */
	assert_false(nl_throttle_domain(t, db, "docomo.ne.jp", at, &retry));
	/* Other domains are not limited. */
	assert_true(nl_throttle_domain_free(t, "example.jp", &retry));
	assert_true(nl_throttle_domain(t, db, "example.jp", at, &retry));
	assert_true(nl_throttle_domain(t, db, "example.jp", at, &retry));
	/* No rate: every grant at once, at the database's time. */
	atomic_bool stop = false;
	int64_t when = 0;
	assert_int_equal(nl_throttle_acquire(t, db, 50, &stop, &when), 50);
	assert_true(when >= at && when <= wall_us() + 1000000);
	/* Up to 20 a second, one message per slot. */
	nl_throttle_configure(t, 5, "");
	assert_int_equal(nl_throttle_acquire(t, db, 50, &stop, &when), 1);
	atomic_store(&stop, true);
	assert_int_equal(nl_throttle_acquire(t, db, 50, &stop, &when), 0);
	nl_throttle_free(t);
}

/* Reserves (without sleeping) until 3 * rate messages are granted, with
 * wants of assorted sizes, and checks the recorded times: no window of one
 * second (in microseconds and in the milliseconds deliveries.sent_ms keeps)
 * holds more than rate. */
static void check_schedule(struct db *db, int rate)
{
	assert_int_equal(nl_throttle_init(db), JM_OK);
	exec_ok(db, "UPDATE send_slots SET slot = 0, at_us = 0, used = 0 WHERE scope = 'rate'");
	static const size_t wants[] = {7, 50, 1, 13, 3, 50, 50};
	enum { MAXG = 4000 };
	static int64_t at[MAXG], got[MAXG];
	size_t n = 0;
	int64_t total = 0;
	while (total < 3 * rate) {
		assert_true(n < MAXG);
		size_t want = wants[n % 7];
		int64_t now = 0;
		assert_int_equal(reserve(db, rate, want, &got[n], &at[n], &now), JM_OK);
		assert_true(got[n] >= 1 && got[n] <= (int64_t)want);
		assert_true(at[n] >= now - 1000);
		if (n)
			assert_true(at[n] >= at[n - 1]);
		total += got[n++];
	}
	for (size_t i = 0; i < n; i++) {
		int64_t in_us = 0, in_ms = 0;
		for (size_t j = i; j < n && at[j] < at[i] + 1000000; j++)
			in_us += got[j];
		for (size_t j = 0; j < n; j++)
			if (at[j] / 1000 >= at[i] / 1000 && at[j] / 1000 < at[i] / 1000 + 1000)
				in_ms += got[j];
		assert_true(in_us <= rate);
		assert_true(in_ms <= rate);
	}
}

static void test_schedule(void **state)
{
	struct db *db = *state;
	check_schedule(db, 1);
	check_schedule(db, 5);
	check_schedule(db, 37);
	check_schedule(db, 200);
	check_schedule(db, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_merge),
	        cmocka_unit_test(test_window),
	        cmocka_unit_test_setup_teardown(test_domain_rate, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_schedule, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
