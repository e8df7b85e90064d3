/* Unit tests for src/network/merge.c: merging two rich people loses no row
 * (counted per table before and after), keeps clashing field values as
 * "key (2)", drops the self-introduction, keeps the higher stage, the
 * better subscription and the sent delivery; bad merges change nothing;
 * duplicates are found by Gmail variants and by folded name + company. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "links_test.h"
#include "../site/site_testdb.h"

#define NOW 1700000000

/* Tables whose rows follow a person, each counted for a pair of ids. */
static const char *const count_sql[] = {
        "SELECT count(*) FROM person_fields WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM person_tags WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM person_links WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM subscriptions WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM deliveries WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM person_events WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM stage_changes WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM messages WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM interactions WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM introductions WHERE introducer_id IN (?, ?) OR "
        "person_id IN (?, ?) OR to_id IN (?, ?)",
        "SELECT count(*) FROM users WHERE person_id IN (?, ?)",
        "SELECT count(*) FROM message_replies",
};
enum {
	T_FIELDS,
	T_TAGS,
	T_LINKS,
	T_SUBS,
	T_DELIV,
	T_EVENTS,
	T_STAGES,
	T_MSGS,
	T_INTER,
	T_INTRO,
	T_USERS,
	T_REPLIES,
	T_N
};

static void count_all(struct db *db, int64_t a, int64_t b, int64_t out[T_N])
{
	for (int i = 0; i < T_N; i++) {
		struct db_stmt *st = NULL;
		assert_int_equal(db_prepare(db, count_sql[i], &st), JM_OK);
		for (int k = 1; k <= 6 && strchr(count_sql[i], '?'); k++)
			if (i == T_INTRO || k <= 2)
				db_bind_int(st, k, k % 2 ? a : b);
		assert_int_equal(db_step(st), JM_OK);
		out[i] = db_col_int(st, 0);
		db_finalize(st);
	}
}

static void interaction(struct db *db, int64_t pid, const char *kind, int64_t at)
{
	struct net_interaction in = {.person_id = pid, .kind = kind, .happened_at = at};
	int64_t id = 0;
	assert_int_equal(net_interaction_add(db, &in, NOW, &id, NULL), JM_OK);
}

static void intro(struct db *db, int64_t introducer, int64_t person, int64_t to)
{
	struct net_intro in = {
	        .introducer_id = introducer, .person_id = person, .to_id = to, .happened_at = NOW};
	int64_t id = 0;
	struct jm_err err = {0};
	if (net_intro_add(db, &in, NOW, &id, &err) != JM_OK)
		fail_msg("intro: %s %s", err.field, err.msg);
}

/* Person 1 (into) and 2 (from), with 3 as a bystander, rich on both sides.
 * Lists 1 (both on it) and 2 (from only); broadcast 1 went to both. */
static const char fixture_sql[] =
        "UPDATE people SET notes_md = 'Aのメモ', touch_days = 30, last_contact_at = 1600000000 "
        "WHERE id = 1;"
        "UPDATE people SET notes_md = 'Bのメモ', can_offer = '編集者の紹介', blocked = 1, "
        "furigana = 'やまだ', created_at = 500 WHERE id = 2;"
        "INSERT INTO person_fields VALUES (1, 'company', 'X社'), (1, 'city', '東京'), "
        "(2, 'company', 'Y社'), (2, 'city', '東京'), (2, 'hobby', '囲碁');"
        "INSERT INTO person_tags VALUES (1, 'seminar'), (1, '出版'), (2, '出版'), (2, 'vip');"
        "INSERT INTO person_links VALUES (1, 'site', 'https://a.example/', 0), "
        "(2, 'x', 'https://x.com/b', 0), (2, 'site', 'https://a.example/', 1);"
        "INSERT INTO lists(id, slug, name, created_at, updated_at) VALUES "
        "(1, 'news', 'N', 1, 1), (2, 'jobs', 'J', 1, 1), (3, 'events', 'E', 1, 1);"
        "INSERT INTO subscriptions(id, person_id, list_id, status, created_at, updated_at, "
        "consent_at, consent_ip) VALUES (1, 1, 1, 'unsubscribed', 300, 300, 300, '10.0.0.1'), "
        "(2, 2, 1, 'active', 100, 100, 100, '10.0.0.2'), (3, 2, 2, 'pending', 200, 200, "
        "NULL, ''), (4, 1, 3, 'active', 500, 500, 500, '10.0.0.3'), "
        "(5, 2, 3, 'pending', 50, 50, 50, '10.0.0.5');"
        "INSERT INTO broadcasts(id, list_id, subject, created_at, updated_at) VALUES "
        "(1, 1, 'S1', 1, 1), (2, 2, 'S2', 1, 1);"
        "INSERT INTO deliveries(id, kind, broadcast_id, subscription_id, person_id, to_addr, "
        "domain, state, created_at) VALUES "
        "(1, 'broadcast', 1, 1, 1, 'a@example.com', 'example.com', 'queued', 1), "
        "(2, 'broadcast', 1, 2, 2, 'b@example.com', 'example.com', 'sent', 1), "
        "(3, 'broadcast', 2, 3, 2, 'b@example.com', 'example.com', 'sent', 1), "
        "(4, 'confirm', NULL, 2, 2, 'b@example.com', 'example.com', 'sent', 1), "
        "(5, 'confirm', NULL, 5, 2, 'b@example.com', 'example.com', 'sent', 1);"
        "INSERT INTO person_events(person_id, kind, created_at) VALUES (1, 'subscribed', 1), "
        "(2, 'subscribed', 1), (2, 'confirmed', 2);"
        "INSERT INTO stage_changes(person_id, to_stage, created_at) VALUES (1, 'reader', 1), "
        "(2, 'reader', 1), (2, 'network', 2);"
        "INSERT INTO messages(id, person_id, subject, msgid, created_at, updated_at) VALUES "
        "(1, 2, '出版の相談', '<m1@x>', 5, 5), (2, 1, 'hello', '<m2@x>', 6, 6);"
        "INSERT INTO message_replies(message_id, subject, body, msgid, delivery_id, "
        "created_at) VALUES (1, 'Re', 'ok', '<r1@x>', 4, 7);"
        "INSERT INTO users(email, role, password_hash, created_at, person_id) VALUES "
        "('b@example.com', 'editor', 'x', 1, 2);";

static void build_pair(struct db *db)
{
	assert_int_equal(lmake_person(db, "a@example.com", "山田太郎", NULL, "acquaintance"), 1);
	assert_int_equal(lmake_person(db, "b@example.com", "山田 太郎", "出版社", "network"), 2);
	assert_int_equal(lmake_person(db, "c@example.com", "第三者", NULL, NULL), 3);
	exec_ok(db, fixture_sql);
	interaction(db, 1, "meal", NOW - 100);
	interaction(db, 2, "meeting", NOW - 50);
	interaction(db, 2, "help_received", NOW - 200);
	intro(db, 2, 3, 0); /* B introduced me to C */
	intro(db, 0, 1, 2); /* I introduced A to B: becomes a self-introduction */
	intro(db, 3, 2, 0); /* C introduced me to B */
}

static void check_rows(struct db *db, const int64_t before[T_N], const int64_t after[T_N])
{
	/* Dropped: one same-valued field, one shared tag, one duplicate link,
	 * the subscriptions on the shared lists, the duplicate delivery of
	 * broadcast 1, the self-introduction. Added: the "merged" event and
	 * the stage rise. */
	static const int64_t delta[T_N] = {
	        [T_FIELDS] = -1, [T_TAGS] = -1,  [T_LINKS] = -1, [T_SUBS] = -2,
	        [T_DELIV] = -1,  [T_EVENTS] = 1, [T_STAGES] = 1, [T_INTRO] = -1};
	for (int i = 0; i < T_N; i++)
		if (after[i] != before[i] + delta[i])
			fail_msg("%s: %lld before, %lld after", count_sql[i], (long long)before[i],
			         (long long)after[i]);
}

static void check_person(struct db *db, struct arena *a)
{
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE id = 2", 0), 0);
	assert_string_equal(lq_text(db, a, "SELECT email FROM people WHERE id = 1", 0),
	                    "a@example.com");
	assert_string_equal(lq_text(db, a, "SELECT stage FROM people WHERE id = 1", 0), "network");
	assert_string_equal(lq_text(db, a, "SELECT company FROM people WHERE id = 1", 0), "出版社");
	assert_string_equal(lq_text(db, a, "SELECT name FROM people WHERE id = 1", 0), "山田太郎");
	assert_string_equal(lq_text(db, a, "SELECT furigana FROM people WHERE id = 1", 0),
	                    "やまだ");
	assert_string_equal(lq_text(db, a, "SELECT notes_md FROM people WHERE id = 1", 0),
	                    "Aのメモ\n\n---\n\nBのメモ");
	assert_string_equal(lq_text(db, a, "SELECT can_offer FROM people WHERE id = 1", 0),
	                    "編集者の紹介");
	assert_int_equal(q_int(db, "SELECT blocked FROM people WHERE id = 1", 0), 1);
	assert_int_equal(q_int(db, "SELECT freeloader FROM people WHERE id = 1", 0), 0);
	assert_int_equal(q_int(db, "SELECT touch_days FROM people WHERE id = 1", 0), 30);
	assert_int_equal(q_int(db, "SELECT created_at FROM people WHERE id = 1", 0), 500);
	assert_int_equal(q_int(db, "SELECT last_contact_at FROM people WHERE id = 1", 0), NOW - 50);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM stage_changes WHERE person_id = 1 AND "
	                       "from_stage = 'acquaintance' AND to_stage = 'network' AND "
	                       "reason = 'merge'",
	                       0),
	                 1);
	const char *ev = lq_text(db, a,
	                         "SELECT detail FROM person_events WHERE person_id = 1 AND "
	                         "kind = 'merged'",
	                         0);
	assert_non_null(ev);
	assert_non_null(strstr(ev, "#2"));
	assert_non_null(strstr(ev, "b@example.com"));
	assert_non_null(strstr(ev, "山田 太郎"));
	assert_int_equal(q_int(db, "SELECT count(*) FROM search_dirty WHERE person_id = 1", 0), 1);
}

static void check_children(struct db *db, struct arena *a)
{
	assert_string_equal(
	        lq_text(db, a,
	                "SELECT value FROM person_fields WHERE person_id = 1 AND key = 'company'",
	                0),
	        "X社");
	assert_string_equal(lq_text(db, a,
	                            "SELECT value FROM person_fields WHERE person_id = 1 AND "
	                            "key = 'company (2)'",
	                            0),
	                    "Y社");
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_fields WHERE person_id = 1", 0), 4);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_tags WHERE person_id = 1", 0), 3);
	assert_int_equal(
	        q_int(db, "SELECT position FROM person_links WHERE url = 'https://x.com/b'", 0), 1);
	/* The shared list: B's active row stays (recent mails carry its id),
	 * with B's consent, the earlier one. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM subscriptions WHERE id = 1", 0), 0);
	assert_int_equal(q_int(db, "SELECT person_id FROM subscriptions WHERE id = 2", 0), 1);
	assert_string_equal(lq_text(db, a, "SELECT status FROM subscriptions WHERE id = 2", 0),
	                    "active");
	assert_string_equal(lq_text(db, a, "SELECT consent_ip FROM subscriptions WHERE id = 2", 0),
	                    "10.0.0.2");
	assert_int_equal(q_int(db, "SELECT person_id FROM subscriptions WHERE id = 3", 0), 1);
	/* List 3: A's active row stays and takes B's earlier consent. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM subscriptions WHERE id = 5", 0), 0);
	assert_string_equal(lq_text(db, a, "SELECT status FROM subscriptions WHERE id = 4", 0),
	                    "active");
	assert_string_equal(lq_text(db, a, "SELECT consent_ip FROM subscriptions WHERE id = 4", 0),
	                    "10.0.0.5");
	assert_int_equal(q_int(db, "SELECT consent_at FROM subscriptions WHERE id = 4", 0), 50);
	assert_int_equal(q_int(db, "SELECT subscription_id FROM deliveries WHERE id = 5", 0), 4);
	/* Broadcast 1: B's sent delivery stays, A's queued one goes. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries WHERE id = 1", 0), 0);
	assert_int_equal(q_int(db, "SELECT person_id FROM deliveries WHERE id = 2", 0), 1);
	assert_int_equal(q_int(db, "SELECT subscription_id FROM deliveries WHERE id = 4", 0), 2);
	assert_int_equal(q_int(db, "SELECT delivery_id FROM message_replies", 0), 4);
	assert_int_equal(q_int(db, "SELECT person_id FROM users", 0), 1);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM introductions WHERE introducer_id = 1 AND "
	                       "person_id = 3",
	                       0),
	                 1);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM introductions WHERE introducer_id = 3 AND "
	                       "person_id = 1",
	                       0),
	                 1);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM introductions WHERE person_id = to_id OR "
	                       "introducer_id = person_id",
	                       0),
	                 0);
}

static void test_merge_without_loss(void **state)
{
	struct db *db = *state;
	build_pair(db);
	int64_t before[T_N], after[T_N];
	count_all(db, 1, 2, before);
	assert_int_equal(before[T_INTRO], 3);
	struct jm_err err = {0};
	assert_int_equal(net_person_merge(db, 1, 2, NOW, &err), JM_OK);
	count_all(db, 1, 2, after);
	check_rows(db, before, after);
	int64_t only_into[T_N];
	count_all(db, 1, 1, only_into);
	for (int i = 0; i < T_N; i++)
		assert_int_equal(only_into[i], after[i]); /* nothing left on 2 */
	struct arena *a = arena_new(4096);
	check_person(db, a);
	check_children(db, a);
	arena_free(a);
	assert_int_equal(q_int(db, "PRAGMA foreign_key_check", 0), -1); /* no dangling rows */
}

static void test_merge_refused(void **state)
{
	struct db *db = *state;
	build_pair(db);
	int64_t before[T_N], after[T_N];
	count_all(db, 1, 2, before);
	struct jm_err err = {0};
	assert_int_equal(net_person_merge(db, 1, 1, NOW, &err), JM_INVALID);
	assert_string_equal(err.field, "from");
	assert_int_equal(net_person_merge(db, 99, 2, NOW, &err), JM_NOT_FOUND);
	assert_string_equal(err.field, "into");
	assert_int_equal(net_person_merge(db, 1, 99, NOW, &err), JM_NOT_FOUND);
	assert_string_equal(err.field, "from");
	count_all(db, 1, 2, after);
	for (int i = 0; i < T_N; i++)
		assert_int_equal(after[i], before[i]);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 3);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_events WHERE kind = 'merged'", 0),
	                 0);
	struct arena *a = arena_new(1024);
	assert_string_equal(lq_text(db, a, "SELECT stage FROM people WHERE id = 1", 0),
	                    "acquaintance");
	assert_string_equal(lq_text(db, a, "SELECT email FROM people WHERE id = 2", 0),
	                    "b@example.com");
	arena_free(a);
}

static void test_merge_takes_email(void **state)
{
	struct db *db = *state;
	int64_t card = lmake_person(db, NULL, "名刺の人", "ABC", "network");
	int64_t reader = lmake_person(db, "r@example.com", "", NULL, NULL);
	assert_int_equal(net_person_merge(db, card, reader, NOW, NULL), JM_OK);
	struct arena *a = arena_new(1024);
	assert_string_equal(lq_text(db, a, "SELECT email FROM people WHERE id = ?", card),
	                    "r@example.com");
	assert_string_equal(lq_text(db, a, "SELECT stage FROM people WHERE id = ?", card),
	                    "network");
	assert_int_equal(q_int(db, "SELECT count(*) FROM stage_changes WHERE person_id = ?", card),
	                 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 1);
	arena_free(a);
}

static bool has_pair(const struct net_dup *v, size_t n, int64_t a, int64_t b, const char *why)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].a == a && v[i].b == b && !strcmp(v[i].why, why))
			return true;
	return false;
}

static void test_duplicates(void **state)
{
	struct db *db = *state;
	int64_t g1 = lmake_person(db, "taro.yamada+news@gmail.com", "Taro", NULL, NULL);
	lmake_person(db, "a.b@example.com", "AB", NULL, NULL);
	int64_t g2 = lmake_person(db, "taroyamada@googlemail.com", "T. Yamada", NULL, NULL);
	lmake_person(db, "ab@example.com", "AB", NULL, NULL); /* dots count outside Gmail */
	int64_t k1 = lmake_person(db, "k1@example.com", "ヤマダ　タロウ", "株式会社ＡＢＣ", NULL);
	int64_t k2 = lmake_person(db, "k2@example.jp", "ﾔﾏﾀﾞ ﾀﾛｳ", "株式会社abc", NULL);
	lmake_person(db, "k3@example.jp", "ヤマダ タロウ", "株式会社XYZ", NULL);
	lmake_person(db, "s1@example.jp", "鈴木", "", NULL); /* no company: no pair */
	lmake_person(db, "s2@example.jp", "鈴木", "", NULL);
	int64_t g3 = lmake_person(db, "TaroYamada@gmail.com", "x", NULL, NULL);
	struct arena *a = arena_new(4096);
	struct net_dup *v = NULL;
	size_t n = 0;
	assert_int_equal(net_duplicates(db, a, 50, &v, &n), JM_OK);
	assert_int_equal(n, 3);
	assert_true(has_pair(v, n, g1, g2, "email"));
	assert_true(has_pair(v, n, g1, g3, "email"));
	assert_true(has_pair(v, n, k1, k2, "name_company"));
	for (size_t i = 0; i < n; i++)
		assert_true(v[i].a < v[i].b);
	assert_int_equal(net_duplicates(db, a, 1, &v, &n), JM_OK);
	assert_int_equal(n, 1);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_merge_without_loss, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_merge_refused, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_merge_takes_email, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_duplicates, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
