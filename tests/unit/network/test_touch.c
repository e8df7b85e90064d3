/* Unit tests for src/network/touch.c: who is due by stage and by their own
 * interval (blocked never), most overdue first, totals beyond max, and the
 * daily digest: queued once per local day, only when enabled and someone
 * is due, to digest_to or the owner, with a readable text. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "network/network.h"
#include "../site/site_testdb.h"

#define NOW 1700000000 /* 2023-11-14T22:13:20Z */
#define DAY 86400

static int64_t person(struct db *db, const char *name, const char *stage, int64_t last,
                      int64_t touch_days)
{
	struct net_person_input in = {.name = name, .stage = stage, .touch_days = touch_days};
	struct jm_err err = {0};
	int64_t id = 0;
	if (net_person_create(db, &in, NOW - 1000 * DAY, &id, &err) != JM_OK)
		fail_msg("create %s: %s", name, err.msg);
	if (last && db_execf(db, "UPDATE people SET last_contact_at = ? WHERE id = ?", "ii",
	                     NOW - last * DAY, id) != JM_OK)
		fail_msg("last contact");
	return id;
}

static void set(struct db *db, const char *key, const char *val)
{
	if (db_execf(db,
	             "INSERT INTO settings(key, value) VALUES (?, ?) "
	             "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	             "tt", key, val) != JM_OK)
		fail_msg("setting %s", key);
}

/* The fixture: due are C (-20 days over), F (-15), A (-10). */
static void fixture(struct db *db)
{
	person(db, "A", "network", 100, 0); /* 90-day stage: 10 days over */
	person(db, "B", "network", 30, 0);  /* not yet */
	int64_t c = person(db, "C", "acquaintance", 0, 0);
	/* never contacted: counted from reaching the stage 200 days ago */
	if (db_execf(db, "UPDATE people SET stage_at = ? WHERE id = ?", "ii", NOW - 200 * DAY, c))
		fail_msg("stage_at");
	person(db, "D", "acquaintance", 100, 0); /* 180 days: not yet */
	person(db, "E", "reader", 1000, 0);      /* readers: no reminder */
	person(db, "F", "reader", 25, 10);       /* own 10 days: 15 over */
	person(db, "G", "network", 100, 365);    /* own 365 beats the stage's 90 */
	person(db, "H", "network", 500, 0);
	exec_ok(db, "UPDATE people SET blocked = 1 WHERE name = 'H'");
}

static void due_names(struct db *db, size_t max, int64_t now, int64_t want_total,
                      const char *const *want, size_t want_n)
{
	struct arena *a = arena_new(4096);
	struct net_person *v = NULL;
	size_t n = 0;
	int64_t total = -1;
	assert_int_equal(net_touch_due(db, a, now, max, &v, &n, &total), JM_OK);
	assert_int_equal(total, want_total);
	assert_int_equal(n, want_n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i].name, want[i]);
	arena_free(a);
}

static void test_due(void **state)
{
	struct db *db = *state;
	fixture(db);
	due_names(db, 10, NOW, 3, (const char *[]){"C", "F", "A"}, 3);
	due_names(db, 2, NOW, 3, (const char *[]){"C", "F"}, 2);
	due_names(db, 0, NOW, 3, NULL, 0);
	/* A reader interval brings E in (970 days over, first). */
	set(db, "touch_days_reader", "30");
	due_names(db, 10, NOW, 4, (const char *[]){"E", "C", "F", "A"}, 4);
	/* 0 switches a stage off; a person's own interval still counts. */
	set(db, "touch_days_network", "0");
	set(db, "touch_days_reader", "0");
	due_names(db, 10, NOW, 2, (const char *[]){"C", "F"}, 2);
	exec_ok(db, "UPDATE people SET blocked = 1 WHERE name = 'F'");
	due_names(db, 10, NOW, 1, (const char *[]){"C"}, 1);
	/* A fresh contact clears it. */
	exec_ok(db, "UPDATE people SET last_contact_at = 1700000000 WHERE name = 'C'");
	due_names(db, 10, NOW, 0, NULL, 0);
	/* Much later everyone with an interval is due again. */
	set(db, "touch_days_network", "90");
	due_names(db, 10, NOW + 400 * DAY, 5, (const char *[]){"A", "B", "D", "C", "G"}, 5);
}

static void test_due_plan(void **state)
{
	struct db *db = *state;
	fixture(db);
	struct db_stmt *st = NULL;
	struct buf p = BUF_INIT;
	assert_int_equal(
	        db_prepare(db,
	                   "EXPLAIN QUERY PLAN SELECT p.id FROM people p WHERE p.touch_days IS NOT "
	                   "NULL AND p.blocked = 0 AND COALESCE(p.last_contact_at, p.stage_at, "
	                   "p.created_at) + p.touch_days * 86400 < 5",
	                   &st),
	        JM_OK);
	while (db_step(st) == JM_OK)
		assert_int_equal(buf_appends(&p, db_col_text(st, 3, NULL)), JM_OK);
	db_finalize(st);
	assert_non_null(strstr(buf_cstr(&p), "people_touch_days"));
	buf_free(&p);
}

struct delivery {
	char to[128], kind[16];
	int64_t person_id;
	json_t *payload;
};

static int64_t deliveries(struct db *db)
{
	return q_int(db, "SELECT count(*) FROM deliveries", 0);
}

static void last_delivery(struct db *db, struct delivery *d)
{
	struct db_stmt *st = NULL;
	assert_int_equal(db_prepare(db,
	                            "SELECT to_addr, kind, COALESCE(person_id, 0), payload "
	                            "FROM deliveries ORDER BY id DESC LIMIT 1",
	                            &st),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	snprintf(d->to, sizeof(d->to), "%s", db_col_text(st, 0, NULL));
	snprintf(d->kind, sizeof(d->kind), "%s", db_col_text(st, 1, NULL));
	d->person_id = db_col_int(st, 2);
	json_error_t je;
	d->payload = json_loads(db_col_text(st, 3, NULL), 0, &je);
	db_finalize(st);
	assert_non_null(d->payload);
}

static const char *member(json_t *j, const char *k)
{
	const char *s = json_string_value(json_object_get(j, k));
	assert_non_null(s);
	return s;
}

static void test_digest(void **state)
{
	struct db *db = *state;
	fixture(db);
	int64_t owner = person(db, "オーナー", "network", 1, 0);
	exec_ok(db, "INSERT INTO users(person_id, email, name, role, password_hash, created_at) "
	            "VALUES (9, 'Owner@Example.JP', 'オーナー', 'owner', 'x', 1)");
	assert_int_equal(owner, 9);
	bool queued = true;
	/* Off by default. */
	assert_int_equal(net_touch_digest(db, NOW, &queued), JM_OK);
	assert_false(queued);
	assert_int_equal(deliveries(db), 0);
	set(db, "digest_enabled", "1");
	set(db, "base_url", "https://example.jp/");
	set(db, "timezone", "UTC"); /* UTC days first (the default is JST) */
	assert_int_equal(net_touch_digest(db, NOW, &queued), JM_OK);
	assert_true(queued);
	assert_int_equal(deliveries(db), 1);
	struct delivery d;
	last_delivery(db, &d);
	assert_string_equal(d.kind, "notify");
	assert_string_equal(d.to, "owner@example.jp");
	assert_int_equal(d.person_id, 9);
	assert_string_equal(member(d.payload, "subject"), "連絡の時期です（3人）");
	const char *text = member(d.payload, "text");
	assert_non_null(strstr(text, "3人"));
	assert_non_null(strstr(
	        text, "- C [知り合い] 最後の連絡: なし\n  https://example.jp/admin/people/3\n"));
	assert_non_null(strstr(
	        text, "- A [人脈] 最後の連絡: 2023-08-06\n  https://example.jp/admin/people/1\n"));
	assert_true(strstr(text, "people/3") < strstr(text, "people/6"));
	assert_null(strstr(text, "- B "));
	json_decref(d.payload);
	/* Once per local day: later the same day nothing more. */
	assert_int_equal(net_touch_digest(db, NOW + 3600, &queued), JM_OK);
	assert_false(queued);
	assert_int_equal(deliveries(db), 1);
	/* In JST (+9h) 23:13Z on the 14th is already the 15th: a new day. */
	set(db, "timezone", "Asia/Tokyo");
	assert_int_equal(net_touch_digest(db, NOW + 3600, &queued), JM_OK);
	assert_true(queued);
	assert_int_equal(net_touch_digest(db, NOW + 12 * 3600, &queued), JM_OK);
	assert_false(queued); /* 19:13 JST on the 15th */
	assert_int_equal(deliveries(db), 2);
	/* digest_to wins; English when the site is in English; "on" enables. */
	set(db, "digest_to", "crm@example.com");
	set(db, "lang", "en");
	set(db, "digest_enabled", "on");
	assert_int_equal(net_touch_digest(db, NOW + 2 * DAY, &queued), JM_OK);
	assert_true(queued);
	last_delivery(db, &d);
	assert_string_equal(d.to, "crm@example.com");
	assert_string_equal(member(d.payload, "subject"), "Time to get in touch (3)");
	assert_non_null(
	        strstr(member(d.payload, "text"), "- C [acquaintance] last contact: never"));
	json_decref(d.payload);
	/* Nothing due: no mail, and the day stays open for later. */
	exec_ok(db, "UPDATE people SET last_contact_at = 1800000000");
	assert_int_equal(net_touch_digest(db, NOW + 3 * DAY, &queued), JM_OK);
	assert_false(queued);
	assert_int_equal(deliveries(db), 3);
	/* Disabled again ("0"): nothing. */
	exec_ok(db, "UPDATE people SET last_contact_at = NULL");
	set(db, "digest_enabled", "0");
	assert_int_equal(net_touch_digest(db, NOW + 4 * DAY, &queued), JM_OK);
	assert_false(queued);
	set(db, "digest_enabled", "true");
	assert_int_equal(net_touch_digest(db, NOW + 4 * DAY, &queued), JM_OK);
	assert_true(queued);
	assert_int_equal(deliveries(db), 4);
}

static void test_digest_no_address(void **state)
{
	struct db *db = *state;
	fixture(db);
	set(db, "digest_enabled", "1");
	bool queued = true;
	assert_int_equal(net_touch_digest(db, NOW, &queued), JM_OK);
	assert_false(queued);
	assert_int_equal(deliveries(db), 0);
	/* That day is used up (one warning a day); the next day it goes out. */
	set(db, "digest_to", "me@example.jp");
	assert_int_equal(net_touch_digest(db, NOW + 60, &queued), JM_OK);
	assert_false(queued);
	assert_int_equal(net_touch_digest(db, NOW + DAY, &queued), JM_OK);
	assert_true(queued);
	assert_int_equal(deliveries(db), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_due, site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_due_plan, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_digest, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_digest_no_address, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
