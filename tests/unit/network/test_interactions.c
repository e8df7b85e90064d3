/* Unit tests for src/network/interactions.c and introductions.c: input
 * checks that change nothing, last contact following adds and deletes
 * (replies count, messages alone do not), newest-first pages, and
 * introductions in both directions with self and missing people refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "links_test.h"
#include "../site/site_testdb.h"

#define NOW 1700000000
#define DAY 86400

static int64_t last_contact(struct db *db, int64_t pid)
{
	return q_int(db, "SELECT COALESCE(last_contact_at, 0) FROM people WHERE id = ?", pid);
}

static int64_t add_ok(struct db *db, int64_t pid, const char *kind, int64_t at)
{
	struct net_interaction in = {
	        .person_id = pid, .kind = kind, .happened_at = at, .note = "x"};
	struct jm_err err = {0};
	int64_t id = 0;
	if (net_interaction_add(db, &in, NOW, &id, &err) != JM_OK)
		fail_msg("add: %s %s", err.field, err.msg);
	assert_true(id > 0);
	return id;
}

static void expect_refused(struct db *db, const struct net_interaction *in, enum jm_rc want,
                           const char *field)
{
	struct jm_err err = {0};
	int64_t id = 0;
	int64_t before = q_int(db, "SELECT count(*) FROM interactions", 0);
	int64_t lc = last_contact(db, in->person_id);
	assert_int_equal(net_interaction_add(db, in, NOW, &id, &err), want);
	assert_string_equal(err.field, field);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(q_int(db, "SELECT count(*) FROM interactions", 0), before);
	if (in->person_id > 0)
		assert_int_equal(last_contact(db, in->person_id), lc);
}

static void test_validation(void **state)
{
	struct db *db = *state;
	int64_t p = lmake_person(db, "v@example.com", "検証", NULL, NULL);
	add_ok(db, p, "meal", NOW - 10 * DAY);
	struct net_interaction in = {.person_id = p, .kind = "party", .happened_at = NOW};
	expect_refused(db, &in, JM_INVALID, "kind");
	in.kind = NULL;
	expect_refused(db, &in, JM_INVALID, "kind");
	in.kind = "meeting";
	in.happened_at = NOW + 2 * DAY;
	expect_refused(db, &in, JM_INVALID, "happened_at");
	in.happened_at = 0;
	expect_refused(db, &in, JM_INVALID, "happened_at");
	in.happened_at = NOW - DAY;
	in.has_amount = true;
	in.amount = -1;
	expect_refused(db, &in, JM_INVALID, "amount");
	in.has_amount = false;
	char *note = xcalloc(1, 5002);
	memset(note, 'a', 5001);
	in.note = note;
	expect_refused(db, &in, JM_INVALID, "note");
	in.note = "bad \xff utf-8";
	expect_refused(db, &in, JM_INVALID, "note");
	in.note = "";
	in.person_id = p + 100;
	expect_refused(db, &in, JM_NOT_FOUND, "person_id");
	/* At the caps: a 5000-byte note, an amount of 0, later today. */
	note[5000] = '\0';
	in = (struct net_interaction){.person_id = p,
	                              .kind = "deal",
	                              .happened_at = NOW + DAY,
	                              .note = note,
	                              .has_amount = true,
	                              .amount = 0};
	int64_t id = 0;
	assert_int_equal(net_interaction_add(db, &in, NOW, &id, NULL), JM_OK);
	free(note);
	assert_int_equal(q_int(db, "SELECT length(note) FROM interactions WHERE id = ?", id), 5000);
	assert_int_equal(q_int(db, "SELECT amount FROM interactions WHERE id = ?", id), 0);
	assert_int_equal(last_contact(db, p), NOW + DAY);
}

static void test_last_contact(void **state)
{
	struct db *db = *state;
	int64_t p = lmake_person(db, "lc@example.com", "連絡", NULL, NULL);
	int64_t other = lmake_person(db, "o@example.com", "他人", NULL, NULL);
	assert_int_equal(last_contact(db, p), 0);
	int64_t mid = add_ok(db, p, "meeting", NOW - 20 * DAY);
	assert_int_equal(last_contact(db, p), NOW - 20 * DAY);
	int64_t old = add_ok(db, p, "call", NOW - 40 * DAY); /* older: no change */
	assert_int_equal(last_contact(db, p), NOW - 20 * DAY);
	int64_t newest = add_ok(db, p, "help_received", NOW - 5 * DAY);
	assert_int_equal(last_contact(db, p), NOW - 5 * DAY);
	assert_int_equal(last_contact(db, other), 0);

	/* A message they sent is not contact; the owner's reply is. */
	exec_ok(db, "INSERT INTO messages(id, person_id, msgid, created_at, updated_at) "
	            "SELECT 900, id, '<m@x>', 1699990000, 1699990000 FROM people "
	            "WHERE email = 'lc@example.com'");
	exec_ok(db, "INSERT INTO message_replies(message_id, subject, body, msgid, created_at) "
	            "VALUES (900, 'Re', 'body', '<r@x>', 1698000000)");

	/* Wrong person or unknown id: nothing is deleted. */
	assert_int_equal(net_interaction_delete(db, other, newest), JM_NOT_FOUND);
	assert_int_equal(net_interaction_delete(db, p, newest + 100), JM_NOT_FOUND);
	assert_int_equal(q_int(db, "SELECT count(*) FROM interactions WHERE person_id = ?", p), 3);

	assert_int_equal(net_interaction_delete(db, p, newest), JM_OK);
	assert_int_equal(last_contact(db, p), NOW - 20 * DAY);
	assert_int_equal(net_interaction_delete(db, p, mid), JM_OK);
	assert_int_equal(last_contact(db, p), 1698000000); /* the reply beats the call */
	assert_int_equal(net_interaction_delete(db, p, old), JM_OK);
	assert_int_equal(last_contact(db, p), 1698000000);
	exec_ok(db, "DELETE FROM message_replies");
	add_ok(db, p, "email", NOW - 3 * DAY);
	int64_t only = q_int(db, "SELECT max(id) FROM interactions WHERE person_id = ?", p);
	assert_int_equal(net_interaction_delete(db, p, only), JM_OK);
	assert_true(q_int(db, "SELECT last_contact_at IS NULL FROM people WHERE id = ?", p));
}

static void test_list(void **state)
{
	struct db *db = *state;
	int64_t p = lmake_person(db, "l@example.com", "一覧", NULL, NULL);
	for (int i = 0; i < 25; i++)
		add_ok(db, p, net_interaction_kinds[i % 9], NOW - (int64_t)((i * 7) % 25) * DAY);
	struct arena *a = arena_new(4096);
	struct net_interaction *v = NULL;
	size_t n = 0;
	int64_t total = 0;
	assert_int_equal(net_interaction_list(db, a, p, 1, 10, &v, &n, &total), JM_OK);
	assert_int_equal(total, 25);
	assert_int_equal(n, 10);
	assert_int_equal(v[0].happened_at, NOW);
	for (size_t i = 1; i < n; i++)
		assert_true(v[i - 1].happened_at >= v[i].happened_at);
	assert_string_equal(v[0].note, "x");
	assert_false(v[0].has_amount);
	int64_t last_of_first = v[9].happened_at;
	assert_int_equal(net_interaction_list(db, a, p, 3, 10, &v, &n, &total), JM_OK);
	assert_int_equal(n, 5);
	assert_true(v[0].happened_at < last_of_first);
	assert_int_equal(v[4].happened_at, NOW - 24 * DAY);
	assert_int_equal(net_interaction_list(db, a, p, 4, 10, &v, &n, &total), JM_OK);
	assert_int_equal(n, 0);
	assert_int_equal(net_interaction_list(db, a, p + 50, 1, 10, &v, &n, &total), JM_NOT_FOUND);
	arena_free(a);
}

static int64_t intro_count(struct db *db)
{
	return q_int(db, "SELECT count(*) FROM introductions", 0);
}

static void intro_refused(struct db *db, struct net_intro in, enum jm_rc want, const char *field)
{
	struct jm_err err = {0};
	int64_t id = 0, before = intro_count(db);
	assert_int_equal(net_intro_add(db, &in, NOW, &id, &err), want);
	assert_string_equal(err.field, field);
	assert_int_equal(intro_count(db), before);
}

static void test_introductions(void **state)
{
	struct db *db = *state;
	int64_t a = lmake_person(db, "a@example.com", "紹介者", NULL, NULL);
	int64_t b = lmake_person(db, "b@example.com", "", NULL, NULL);
	int64_t c = lmake_person(db, "c@example.com", "第三者", NULL, NULL);
	struct jm_err err = {0};
	int64_t i1 = 0, i2 = 0;
	/* "A introduced me to B", then "I introduced A to B" a day later. */
	struct net_intro in = {.introducer_id = a, .person_id = b, .happened_at = NOW - 2 * DAY};
	assert_int_equal(net_intro_add(db, &in, NOW, &i1, &err), JM_OK);
	in = (struct net_intro){
	        .person_id = a, .to_id = b, .happened_at = NOW - DAY, .note = "出版の件"};
	assert_int_equal(net_intro_add(db, &in, NOW, &i2, &err), JM_OK);
	assert_true(i2 > i1);
	assert_int_equal(
	        q_int(db, "SELECT introducer_id IS NULL FROM introductions WHERE id = ?", i2), 1);

	intro_refused(db, (struct net_intro){.person_id = a, .happened_at = NOW}, JM_INVALID,
	              "to_id");
	intro_refused(db,
	              (struct net_intro){.introducer_id = a, .person_id = a, .happened_at = NOW},
	              JM_INVALID, "person_id");
	intro_refused(db, (struct net_intro){.person_id = b, .to_id = b, .happened_at = NOW},
	              JM_INVALID, "to_id");
	intro_refused(db,
	              (struct net_intro){
	                      .introducer_id = a, .person_id = b, .to_id = a, .happened_at = NOW},
	              JM_INVALID, "to_id");
	intro_refused(
	        db, (struct net_intro){.introducer_id = c + 9, .person_id = b, .happened_at = NOW},
	        JM_NOT_FOUND, "introducer_id");
	intro_refused(db, (struct net_intro){.person_id = a, .to_id = c + 9, .happened_at = NOW},
	              JM_NOT_FOUND, "to_id");
	intro_refused(
	        db, (struct net_intro){.introducer_id = a, .person_id = c + 9, .happened_at = NOW},
	        JM_NOT_FOUND, "person_id");
	intro_refused(db, (struct net_intro){.introducer_id = a, .happened_at = NOW}, JM_INVALID,
	              "person_id");
	intro_refused(db,
	              (struct net_intro){
	                      .introducer_id = a, .person_id = c, .happened_at = NOW + 3 * DAY},
	              JM_INVALID, "happened_at");
	char note[2002];
	memset(note, 'n', 2001);
	note[2001] = '\0';
	intro_refused(db,
	              (struct net_intro){
	                      .introducer_id = a, .person_id = c, .happened_at = NOW, .note = note},
	              JM_INVALID, "note");

	struct arena *ar = arena_new(4096);
	struct net_intro *v = NULL;
	size_t n = 0;
	assert_int_equal(net_intro_list(db, ar, a, &v, &n), JM_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, i2); /* newest first */
	assert_int_equal(v[0].introducer_id, 0);
	assert_string_equal(v[0].introducer_name, "");
	assert_string_equal(v[0].person_name, "紹介者");
	assert_string_equal(v[0].to_name, "b@example.com"); /* no name: the email */
	assert_string_equal(v[0].note, "出版の件");
	assert_int_equal(v[1].id, i1);
	assert_int_equal(v[1].to_id, 0);
	assert_string_equal(v[1].introducer_name, "紹介者");
	assert_int_equal(net_intro_list(db, ar, b, &v, &n), JM_OK);
	assert_int_equal(n, 2);
	assert_int_equal(net_intro_list(db, ar, c, &v, &n), JM_OK);
	assert_int_equal(n, 0);
	assert_int_equal(net_intro_list(db, ar, 0, &v, &n), JM_OK);
	assert_int_equal(n, 2);

	assert_int_equal(net_intro_delete(db, i1), JM_OK);
	assert_int_equal(net_intro_delete(db, i1), JM_NOT_FOUND);
	assert_int_equal(net_intro_list(db, ar, b, &v, &n), JM_OK);
	assert_int_equal(n, 1);
	arena_free(ar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_validation, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_last_contact, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_list, site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_introductions, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
