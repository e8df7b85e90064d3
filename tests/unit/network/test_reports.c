/* Unit tests for src/network/reports.c and src/network/map.c: the circle
 * review on fixtures with known answers (kept / new / dropped, sizes,
 * network share, same faces, kinds that do not count, year boundaries in
 * the site's zone), the funnel's counts and monthly moves, the funnel SVG
 * (escaped labels, balanced elements) and the network map (every node's
 * link, escaped names, the cap, bad filters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "network/network.h"
#include "../site/site_testdb.h"

#define JST "Asia/Tokyo"

/* Unix time of a UTC date and time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {
	        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return (int64_t)timegm(&tm);
}

static int64_t person(struct db *db, const char *name, const char *company, const char *stage)
{
	struct db_stmt *st = NULL;
	assert_int_equal(db_preparef(db, &st,
	                             "INSERT INTO people(name, company, stage, created_at, "
	                             "updated_at) VALUES (?, ?, ?, 1, 1) RETURNING id",
	                             "ttt", name, company, stage),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	int64_t id = db_col_int(st, 0);
	db_finalize(st);
	return id;
}

static void meet(struct db *db, int64_t pid, const char *kind, int64_t at)
{
	assert_int_equal(db_execf(db,
	                          "INSERT INTO interactions(person_id, kind, happened_at, "
	                          "created_at) VALUES (?, ?, ?, ?)",
	                          "itii", pid, kind, at, at),
	                 JM_OK);
}

static const struct net_circle_person *find(const struct net_circle_person *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

/* 12 people: 4 met in both years, 5 only this year, 2 only last year,
 * 1 only by email (does not count); network stage: one kept, one new and
 * one dropped (the dropped one is not in this year's circle). */
static void test_circle_known(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	int64_t kept[4], added[5], dropped[2];
	const char *kinds[4] = {"meeting", "meal", "call", "deal"};
	for (int i = 0; i < 4; i++) {
		kept[i] = person(db, "続く人", "", i == 0 ? "network" : "acquaintance");
		meet(db, kept[i], kinds[i], utc(2025, 3 + i, 10, 3, 0));
		meet(db, kept[i], kinds[(i + 1) % 4], utc(2026, 5 + i, 1, 3, 0));
	}
	meet(db, kept[0], "meal", utc(2026, 9, 1, 3, 0));
	meet(db, kept[0], "call", utc(2026, 10, 1, 3, 0));
	for (int i = 0; i < 5; i++) {
		added[i] = person(db, "新しい人", "出版社", i == 4 ? "network" : "fan");
		meet(db, added[i], kinds[i % 4], utc(2026, 2, 1 + i, 0, 0));
		/* Kinds that are not meetings never count, in either year. */
		meet(db, added[i], "email", utc(2025, 2, 1, 0, 0));
	}
	for (int i = 0; i < 2; i++) {
		dropped[i] = person(db, "去年の人", "", i == 0 ? "network" : "reader");
		meet(db, dropped[i], "meeting", utc(2025, 11, 1, 0, 0));
		meet(db, dropped[i], "meeting", utc(2025, 12, 1, 0, 0));
	}
	int64_t mail_only = person(db, "メールだけ", "", "network");
	meet(db, mail_only, "email", utc(2026, 1, 20, 0, 0));
	meet(db, mail_only, "message", utc(2025, 1, 20, 0, 0));
	meet(db, mail_only, "help_given", utc(2026, 1, 21, 0, 0));

	struct net_circle c;
	assert_int_equal(net_report_circle(db, a, 2026, JST, &c), JM_OK);
	assert_int_equal(c.year, 2026);
	assert_int_equal(c.nkept, 4);
	assert_int_equal(c.nadded, 5);
	assert_int_equal(c.ndropped, 2);
	assert_int_equal(c.this_year, 9);
	assert_int_equal(c.last_year, 6);
	assert_int_equal(c.network_share_pct, 22); /* 2 of 9 */
	assert_false(c.same_faces);                /* 4 of 9 */
	for (int i = 0; i < 4; i++)
		assert_non_null(find(c.kept, c.nkept, kept[i]));
	for (int i = 0; i < 5; i++)
		assert_non_null(find(c.added, c.nadded, added[i]));
	for (int i = 0; i < 2; i++)
		assert_non_null(find(c.dropped, c.ndropped, dropped[i]));
	assert_null(find(c.added, c.nadded, mail_only));
	/* The most met first, with this year's count; dropped: last year's. */
	assert_int_equal(c.kept[0].id, kept[0]);
	assert_int_equal(c.kept[0].count, 3);
	assert_string_equal(c.kept[0].stage, "network");
	assert_string_equal(c.added[0].company, "出版社");
	assert_int_equal(c.dropped[0].count, 2);
	assert_string_equal(c.dropped[0].name, "去年の人");

	/* The year before: the kept and dropped people are this year's circle. */
	assert_int_equal(net_report_circle(db, a, 2025, JST, &c), JM_OK);
	assert_int_equal(c.this_year, 6);
	assert_int_equal(c.nadded, 6);
	assert_int_equal(c.nkept, 0);
	assert_int_equal(c.network_share_pct, 33); /* 2 of 6 */
	arena_free(a);
}

/* Most of this year's circle was there last year: same faces. Exactly half
 * is not "most". */
static void test_circle_same_faces(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	int64_t ids[6];
	for (int i = 0; i < 6; i++) {
		ids[i] = person(db, "常連", "", "network");
		meet(db, ids[i], "meal", utc(2026, 6, 1, 0, 0));
		if (i < 4)
			meet(db, ids[i], "meeting", utc(2025, 6, 1, 0, 0));
	}
	struct net_circle c;
	assert_int_equal(net_report_circle(db, a, 2026, JST, &c), JM_OK);
	assert_int_equal(c.nkept, 4);
	assert_int_equal(c.nadded, 2);
	assert_int_equal(c.ndropped, 0);
	assert_int_equal(c.network_share_pct, 100);
	assert_true(c.same_faces);

	/* 4 kept of 8: exactly half → not flagged. */
	for (int i = 0; i < 2; i++)
		meet(db, person(db, "新顔", "", "fan"), "call", utc(2026, 7, 1, 0, 0));
	assert_int_equal(net_report_circle(db, a, 2026, JST, &c), JM_OK);
	assert_int_equal(c.this_year, 8);
	assert_int_equal(c.network_share_pct, 75);
	assert_false(c.same_faces);

	/* An empty year: nothing, no division by zero, no warning. */
	assert_int_equal(net_report_circle(db, a, 2030, JST, &c), JM_OK);
	assert_int_equal(c.this_year, 0);
	assert_int_equal(c.last_year, 0);
	assert_int_equal(c.network_share_pct, 0);
	assert_false(c.same_faces);
	arena_free(a);
}

/* Years are calendar years of the site's zone. */
static void test_circle_year_boundaries(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	int64_t early = person(db, "元日の人", "", "fan");  /* 2026-01-01 05:00 JST */
	int64_t late = person(db, "大晦日の人", "", "fan"); /* 2025-12-31 23:59 JST */
	int64_t next = person(db, "来年の人", "", "fan");   /* 2027-01-01 01:00 JST */
	meet(db, early, "meeting", utc(2025, 12, 31, 20, 0));
	meet(db, late, "meeting", utc(2025, 12, 31, 14, 59));
	meet(db, next, "meeting", utc(2026, 12, 31, 16, 0));
	struct net_circle c;
	assert_int_equal(net_report_circle(db, a, 2026, JST, &c), JM_OK);
	assert_int_equal(c.nadded, 1);
	assert_int_equal(c.added[0].id, early);
	assert_int_equal(c.ndropped, 1);
	assert_int_equal(c.dropped[0].id, late);
	/* In UTC the same moments fall the other way. */
	assert_int_equal(net_report_circle(db, a, 2026, "UTC", &c), JM_OK);
	assert_int_equal(c.nadded, 1);
	assert_int_equal(c.added[0].id, next);
	assert_int_equal(c.ndropped, 2);

	assert_int_equal(net_report_circle(db, a, 1969, JST, &c), JM_INVALID);
	assert_int_equal(net_report_circle(db, a, 10000, JST, &c), JM_INVALID);
	assert_int_equal(net_report_circle(db, a, 0, JST, &c), JM_INVALID);
	assert_int_equal(net_report_circle(db, a, 1970, JST, &c), JM_OK);
	assert_int_equal(net_report_circle(db, a, 9999, JST, &c), JM_OK);
	arena_free(a);
}

/* The rollup (circle_years) follows deletes, moves between people (a
 * merge), kind changes and a new site time zone, and answers what the scan
 * of interactions answers. */
static void expect_same(const struct net_circle *r, const struct net_circle *s)
{
	assert_int_equal(r->nkept, s->nkept);
	assert_int_equal(r->nadded, s->nadded);
	assert_int_equal(r->ndropped, s->ndropped);
	for (size_t i = 0; i < r->nkept; i++)
		assert_int_equal(r->kept[i].count, s->kept[i].count);
	for (size_t i = 0; i < r->nadded; i++)
		assert_int_equal(r->added[i].count, s->added[i].count);
}

static void test_circle_rollup(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	int64_t p1 = person(db, "一", "", "network"), p2 = person(db, "二", "", "fan");
	meet(db, p1, "meal", utc(2026, 3, 1, 3, 0));
	meet(db, p1, "meal", utc(2025, 3, 1, 3, 0));
	meet(db, p2, "call", utc(2026, 5, 1, 3, 0));
	meet(db, p2, "deal", utc(2025, 12, 31, 15, 30)); /* 2026 in JST, 2025 in UTC */
	struct net_circle c;
	assert_int_equal(net_report_circle(db, a, 2026, JST, &c), JM_OK);
	assert_int_equal(c.nkept, 1);
	assert_int_equal(c.nadded, 1);
	assert_int_equal(c.added[0].count, 2);
	/* A merge moves interactions: p2's now count for p1. */
	assert_int_equal(db_execf(db, "UPDATE interactions SET person_id = ? WHERE person_id = ?",
	                          "ii", p1, p2),
	                 JM_OK);
	assert_int_equal(net_report_circle(db, a, 2026, JST, &c), JM_OK);
	assert_int_equal(c.nkept, 1);
	assert_int_equal(c.nadded, 0);
	assert_int_equal(c.kept[0].count, 3);
	/* A kind that does not count, and a delete. */
	assert_int_equal(
	        db_execf(db, "UPDATE interactions SET kind = 'email' WHERE kind = 'call'", ""),
	        JM_OK);
	assert_int_equal(db_execf(db, "DELETE FROM interactions WHERE kind = 'deal'", ""), JM_OK);
	assert_int_equal(net_report_circle(db, a, 2026, JST, &c), JM_OK);
	assert_int_equal(c.kept[0].count, 1);
	/* The site moves to UTC: the rollup is rebuilt in the new zone. */
	meet(db, p2, "meeting", utc(2025, 12, 31, 15, 30));
	struct net_circle scan, rollup;
	assert_int_equal(net_report_circle(db, a, 2026, "UTC", &scan), JM_OK); /* zone ≠ site's */
	assert_int_equal(
	        db_execf(db, "INSERT INTO settings(key, value) VALUES ('timezone', 'UTC')", ""),
	        JM_OK);
	assert_int_equal(net_report_circle(db, a, 2026, "UTC", &rollup), JM_OK);
	expect_same(&rollup, &scan);
	assert_int_equal(net_report_circle(db, a, 2025, "UTC", &c), JM_OK);
	assert_int_equal(c.nadded, 2); /* p1's meal and p2's meeting: 2025 in UTC */
	assert_non_null(find(c.added, c.nadded, p2));
	assert_int_equal(
	        db_execf(db, "UPDATE settings SET value = 'Asia/Tokyo' WHERE key = 'timezone'", ""),
	        JM_OK);
	assert_int_equal(net_report_circle(db, a, 2026, JST, &c), JM_OK);
	assert_int_equal(c.nadded, 1);
	assert_int_equal(c.added[0].id, p2);
	arena_free(a);
}

static void change(struct db *db, int64_t pid, const char *from, const char *to, int64_t at)
{
	assert_int_equal(db_execf(db,
	                          "INSERT INTO stage_changes(person_id, from_stage, to_stage, "
	                          "created_at) VALUES (?, ?, ?, ?)",
	                          "itti", pid, from, to, at),
	                 JM_OK);
}

static void test_funnel(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	int64_t r1 = person(db, "a", "", "reader");
	person(db, "b", "", "reader");
	person(db, "c", "", "reader");
	int64_t f1 = person(db, "d", "", "fan"), f2 = person(db, "e", "", "fan");
	int64_t ac = person(db, "f", "", "acquaintance");
	int64_t nw = person(db, "g", "", "network");
	int64_t now = utc(2026, 3, 15, 12, 0);
	change(db, f1, "reader", "fan", utc(2026, 3, 2, 0, 0));
	change(db, f2, "reader", "fan", utc(2026, 2, 28, 15, 30)); /* 03-01 00:30 JST */
	change(db, ac, "fan", "acquaintance", utc(2026, 2, 10, 0, 0));
	change(db, nw, "acquaintance", "network", utc(2025, 4, 10, 0, 0));
	change(db, ac, "", "acquaintance", utc(2026, 1, 5, 0, 0)); /* created there */
	change(db, r1, "network", "fan", utc(2026, 3, 3, 0, 0));   /* a move down */
	change(db, r1, "", "reader", utc(2026, 3, 3, 0, 0));       /* not a move up */
	change(db, nw, "fan", "network", utc(2025, 3, 31, 14, 0)); /* before the window */
	struct net_funnel f;
	assert_int_equal(net_report_funnel(db, a, now, JST, &f), JM_OK);
	assert_int_equal(f.counts[0], 3);
	assert_int_equal(f.counts[1], 2);
	assert_int_equal(f.counts[2], 1);
	assert_int_equal(f.counts[3], 1);
	assert_int_equal(f.nmonths, 12);
	assert_string_equal(f.months[0].month, "2025-04");
	assert_string_equal(f.months[11].month, "2026-03");
	assert_int_equal(f.months[11].to_fan, 2);
	assert_int_equal(f.months[11].to_acquaintance, 0);
	assert_int_equal(f.months[10].to_acquaintance, 1);
	assert_int_equal(f.months[9].to_acquaintance, 1);
	assert_int_equal(f.months[0].to_network, 1);
	int64_t total = 0;
	for (size_t i = 0; i < f.nmonths; i++)
		total += f.months[i].to_fan + f.months[i].to_acquaintance + f.months[i].to_network;
	assert_int_equal(total, 5);
	/* Early in January the window reaches back into the previous year. */
	assert_int_equal(net_report_funnel(db, a, utc(2025, 12, 31, 20, 0), JST, &f), JM_OK);
	assert_string_equal(f.months[11].month, "2026-01");
	assert_string_equal(f.months[0].month, "2025-02");
	assert_int_equal(f.months[11].to_acquaintance, 1);
	arena_free(a);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_funnel_svg(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	person(db, "a", "", "reader");
	int64_t f1 = person(db, "b", "", "fan");
	int64_t now = utc(2026, 3, 15, 12, 0);
	change(db, f1, "reader", "fan", utc(2026, 3, 2, 0, 0));
	struct net_funnel f;
	assert_int_equal(net_report_funnel(db, a, now, JST, &f), JM_OK);
	const char *labels[4] = {"読者<b>", "ファン&\"'", "知り合い", "人脈"};
	struct buf out;
	buf_init(&out, 1 << 20);
	assert_int_equal(net_funnel_svg(&f, labels, &out), JM_OK);
	const char *s = buf_cstr(&out);
	assert_true(strncmp(s, "<svg ", 5) == 0);
	assert_true(strlen(s) > 6 && strcmp(s + strlen(s) - 6, "</svg>") == 0);
	assert_null(strstr(s, "<b>"));
	assert_non_null(strstr(s, "読者&lt;b&gt; 1, "));
	assert_non_null(strstr(s, "ファン&amp;&quot;&#39;"));
	assert_null(strstr(s, "&\""));
	assert_non_null(strstr(s, "role=\"img\""));
	assert_non_null(strstr(s, "2026-03 → ファン&amp;&quot;&#39;: 1</title>"));
	/* Balanced elements: every group, text and title is closed. */
	assert_int_equal(count_of(s, "<g "), count_of(s, "</g>"));
	assert_int_equal(count_of(s, "<text "), count_of(s, "</text>"));
	assert_int_equal(count_of(s, "<title"), count_of(s, "</title>"));
	assert_int_equal(count_of(s, "<g class=\"move\">"), 36);
	/* The cap is honoured. */
	struct buf small;
	buf_init(&small, 100);
	assert_int_equal(net_funnel_svg(&f, labels, &small), JM_TOO_LARGE);
	buf_free(&small);
	buf_free(&out);
	arena_free(a);
}

static void tag(struct db *db, int64_t pid, const char *t)
{
	assert_int_equal(
	        db_execf(db, "INSERT INTO person_tags(person_id, tag) VALUES (?, ?)", "it", pid, t),
	        JM_OK);
}

/* One introduction; 0 on either side stands for the owner (NULL). */
static void intro(struct db *db, int64_t by, int64_t pid, int64_t to)
{
	enum jm_rc rc;
	if (!by)
		rc = db_execf(
		        db,
		        "INSERT INTO introductions(person_id, to_id, happened_at, created_at) "
		        "VALUES (?, ?, 1, 1)",
		        "ii", pid, to);
	else if (!to)
		rc = db_execf(db,
		              "INSERT INTO introductions(introducer_id, person_id, happened_at, "
		              "created_at) VALUES (?, ?, 1, 1)",
		              "ii", by, pid);
	else
		rc = db_execf(db,
		              "INSERT INTO introductions(introducer_id, person_id, to_id, "
		              "happened_at, created_at) VALUES (?, ?, ?, 1, 1)",
		              "iii", by, pid, to);
	assert_int_equal(rc, JM_OK);
}

static bool has_link(const char *svg, const char *base, int64_t id)
{
	char want[128];
	snprintf(want, sizeof(want), "href=\"%s/admin/people/%lld\"", base, (long long)id);
	return strstr(svg, want) != NULL;
}

static void test_map(void **state)
{
	struct db *db = *state;
	int64_t n1 = person(db, "<script>alert(1)</script>", "A&\"B社", "network");
	int64_t n2 = person(db, "山田 太郎", "出版社", "network");
	int64_t a1 = person(db, "back\\N slash", "", "acquaintance");
	int64_t r1 = person(db, "紹介者", "", "reader"); /* reached by an introduction */
	int64_t r2 = person(db, "関係ない読者", "", "reader");
	int64_t f1 = person(db, "ファン", "", "fan");
	intro(db, r1, n2, 0); /* r1 introduced n2 to me */
	intro(db, 0, n1, a1); /* I introduced n1 to a1 */
	intro(db, r2, f1, 0); /* nothing on the map */
	tag(db, n2, "出版");
	/* The owner's own person is the "me" node, not a second node. */
	int64_t own = person(db, "オーナー本人", "", "network");
	assert_int_equal(db_execf(db,
	                          "INSERT INTO users(person_id, email, role, password_hash, "
	                          "created_at) VALUES (?, 'o@example.com', 'owner', 'x', 1)",
	                          "i", own),
	                 JM_OK);
	struct net_map_query q = {.base_url = "https://example.com"};
	struct buf out;
	struct jm_err err = {0};
	buf_init(&out, 1 << 24);
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_OK);
	const char *s = buf_cstr(&out);
	assert_non_null(strstr(s, "<svg"));
	assert_non_null(strstr(s, "</svg>"));
	assert_true(has_link(s, "https://example.com", n1));
	assert_true(has_link(s, "https://example.com", n2));
	assert_true(has_link(s, "https://example.com", a1));
	assert_true(has_link(s, "https://example.com", r1));
	assert_false(has_link(s, "https://example.com", r2));
	assert_false(has_link(s, "https://example.com", f1));
	assert_false(has_link(s, "https://example.com", own));
	assert_null(strstr(s, "オーナー本人"));
	assert_null(strstr(s, "<script"));
	assert_non_null(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_non_null(strstr(s, "A&amp;&quot;B社"));
	assert_non_null(strstr(s, ">back\\N slash</text>"));
	assert_non_null(strstr(s, "山田 太郎"));
	assert_non_null(strstr(s, "わたし"));
	assert_non_null(strstr(s, "stroke-dasharray")); /* the introduction by me */
	assert_null(strstr(s, "表示していません"));

	/* Stage and tag filters, a relative base for an unsafe base URL, the
	 * cap with its note, and the labels given. */
	buf_reset(&out);
	q = (struct net_map_query){.stage = "network",
	                           .tag = "出版",
	                           .base_url = "https://x/?a=1&b=\"2",
	                           .me_label = "me",
	                           .more_label = "more not shown"};
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_OK);
	s = buf_cstr(&out);
	assert_true(has_link(s, "", n2));
	assert_true(has_link(s, "", r1));
	assert_false(has_link(s, "", n1));
	assert_null(strstr(s, "x/?a=1"));
	assert_non_null(strstr(s, ">me</text>"));
	buf_reset(&out);
	q = (struct net_map_query){.max_nodes = 1, .more_label = "人は表示していません"};
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_OK);
	s = buf_cstr(&out);
	assert_non_null(strstr(s, ">2 人は表示していません</text>"));

	q = (struct net_map_query){.stage = "friend"};
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_INVALID);
	assert_string_equal(err.field, "stage");
	char long_tag[80];
	memset(long_tag, 'x', sizeof(long_tag) - 1);
	long_tag[sizeof(long_tag) - 1] = '\0';
	q = (struct net_map_query){.tag = long_tag};
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_INVALID);
	assert_string_equal(err.field, "tag");
	buf_free(&out);
}

/* An empty network still draws the owner, and a few hundred people with
 * introductions draw without trouble (and without leaks under LSan). */
static void test_map_sizes(void **state)
{
	struct db *db = *state;
	struct buf out;
	struct jm_err err = {0};
	buf_init(&out, 1 << 26);
	struct net_map_query q = {0};
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_OK);
	assert_non_null(strstr(buf_cstr(&out), "わたし"));
	assert_int_equal(count_of(buf_cstr(&out), "/admin/people/"), 0);
	int64_t ids[300];
	assert_int_equal(db_begin(db), JM_OK);
	for (int i = 0; i < 300; i++) {
		char name[32];
		snprintf(name, sizeof(name), "人 %d", i);
		ids[i] = person(db, name, "", i % 3 ? "network" : "acquaintance");
		if (i > 0 && i % 2)
			intro(db, ids[i / 2], ids[i], 0);
	}
	assert_int_equal(db_commit(db), JM_OK);
	buf_reset(&out);
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_OK);
	for (int i = 0; i < 300; i++)
		assert_true(has_link(buf_cstr(&out), "", ids[i]));
	buf_free(&out);
}

/* People reached only by introductions are read in batches (map.c's
 * EXTRA_BATCH): more than two batches of them all show, in id order up to
 * the cap. */
static void test_map_extras(void **state)
{
	struct db *db = *state;
	struct buf out;
	struct jm_err err = {0};
	buf_init(&out, 1 << 26);
	int64_t net[10], readers[300];
	assert_int_equal(db_begin(db), JM_OK);
	for (int i = 0; i < 10; i++)
		net[i] = person(db, "ネットワーク", "", "network");
	for (int i = 0; i < 300; i++) {
		readers[i] = person(db, "紹介者", "", "reader");
		intro(db, readers[i], net[i % 10], 0);
	}
	assert_int_equal(db_commit(db), JM_OK);
	struct net_map_query q = {0};
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_OK);
	for (int i = 0; i < 10; i++)
		assert_true(has_link(buf_cstr(&out), "", net[i]));
	for (int i = 0; i < 300; i++)
		assert_true(has_link(buf_cstr(&out), "", readers[i]));
	buf_reset(&out);
	q = (struct net_map_query){.max_nodes = 150};
	assert_int_equal(net_map_svg(db, &q, &out, &err), JM_OK);
	assert_int_equal(count_of(buf_cstr(&out), "/admin/people/"), 150);
	assert_true(has_link(buf_cstr(&out), "", readers[139]));
	assert_false(has_link(buf_cstr(&out), "", readers[140]));
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_circle_known, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_circle_same_faces, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_circle_year_boundaries, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_circle_rollup, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_funnel, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_funnel_svg, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_map, site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_map_extras, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_map_sizes, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
