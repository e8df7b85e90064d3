/* Unit tests for src/network/score.c: the engagement score's breakdown
 * (months subscribed, tips, replies, form messages, interactions, caps),
 * storing it, and the freeloader / fan suggestions (never flagging). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "network/network.h"
#include "search_test.h"
#include "../site/site_testdb.h"

#define DAY 86400

static int setup(void **state)
{
	*state = site_testdb_open();
	return 0;
}

static int teardown(void **state)
{
	site_testdb_close(*state);
	return 0;
}

static void subscribe(struct db *db, int64_t pid, const char *status, int64_t since)
{
	assert_int_equal(db_execf(db,
	                          "INSERT OR IGNORE INTO lists(id, slug, name, created_at, "
	                          "updated_at) VALUES (1, 'news', 'News', 1, 1)",
	                          ""),
	                 JM_OK);
	assert_int_equal(
	        db_execf(db,
	                 "INSERT INTO subscriptions(person_id, list_id, status, created_at, "
	                 "updated_at, confirmed_at) VALUES (?, 1, ?, ?, ?, ?)",
	                 "itiii", pid, status, since, since, since),
	        JM_OK);
}

static int64_t engagement(struct db *db, int64_t pid)
{
	struct db_stmt *st = NULL;
	assert_int_equal(
	        db_preparef(db, &st, "SELECT engagement FROM people WHERE id = ?", "i", pid),
	        JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	int64_t v = db_col_int(st, 0);
	db_finalize(st);
	return v;
}

static void test_breakdown(void **state)
{
	struct db *db = *state;
	int64_t p = t_person(db, &(struct t_person){.name = "濃い読者"});
	subscribe(db, p, "active", T_NOW - 100 * DAY); /* 3 full months */
	t_message(db, p, "情報提供", "新刊の情報", "…", T_NOW - 50 * DAY);
	t_message(db, p, "情報提供", "イベント情報", "…", T_NOW - 40 * DAY);
	t_message(db, p, "その他", "Re: 先週の号", "…", T_NOW - 30 * DAY);
	t_message(db, p, "その他", "ＲＥ：質問", "…", T_NOW - 29 * DAY);
	t_message(db, p, "取材", "返信です", "…", T_NOW - 28 * DAY);
	int64_t m = t_message(db, p, "仕事のご依頼", "ご依頼", "…", T_NOW - 20 * DAY);
	t_message(db, p, "その他", "Reading list", "…", T_NOW - 19 * DAY); /* not "re:" */
	t_interaction(db, p, "help_received", T_NOW - 10 * DAY);
	t_interaction(db, p, "meeting", T_NOW - 9 * DAY);
	t_interaction(db, p, "meeting", T_NOW - 8 * DAY);
	t_interaction(db, p, "help_given", T_NOW - 7 * DAY);
	struct net_score s;
	assert_int_equal(net_score_get(db, p, T_NOW, &s), JM_OK);
	assert_int_equal(s.subscribed, 6);
	assert_int_equal(s.tips, 20);
	assert_int_equal(s.replies, 15);
	assert_int_equal(s.forms, 6);
	assert_int_equal(s.interactions, 15 + 12 + 1);
	assert_int_equal(s.opens_clicks, 0);
	assert_int_equal(s.total, 6 + 20 + 15 + 6 + 28);
	/* After the owner's reply, their next message is a reply too. */
	assert_int_equal(db_execf(db,
	                          "INSERT INTO message_replies(message_id, subject, body, msgid, "
	                          "created_at) VALUES (?, 'Re: ご依頼', 'はい', '<r@x>', ?)",
	                          "ii", m, T_NOW - 5 * DAY),
	                 JM_OK);
	t_message(db, p, "その他", "ありがとうございます", "…", T_NOW - 4 * DAY);
	assert_int_equal(net_score_get(db, p, T_NOW, &s), JM_OK);
	assert_int_equal(s.replies, 20);
	assert_int_equal(s.forms, 6);
	/* Spam never counts. */
	assert_int_equal(db_execf(db, "UPDATE messages SET status = 'spam' WHERE subject = ?", "t",
	                          "ご依頼"),
	                 JM_OK);
	assert_int_equal(net_score_get(db, p, T_NOW, &s), JM_OK);
	assert_int_equal(s.forms, 3);
	/* Stored by net_score_update. */
	assert_int_equal(engagement(db, p), 0);
	assert_int_equal(net_score_update(db, &p, 1, T_NOW), JM_OK);
	assert_int_equal(engagement(db, p), s.total);
	assert_true(s.total > 0);
}

/* Answers to forms (forms/answer.c) count in the forms term once verified;
 * an unverified or cancelled one does not. */
static void test_form_answers(void **state)
{
	struct db *db = *state;
	int64_t p = t_person(db, &(struct t_person){.name = "回答者"});
	assert_int_equal(
	        db_execf(db,
	                 "INSERT INTO forms(id, kind, slug, title, created_at, updated_at) "
	                 "VALUES (1, 'ask', 'ask', 'Ask', 1, 1)",
	                 ""),
	        JM_OK);
	static const struct {
		const char *status;
		int verified;
	} rows[] = {{"received", 1}, {"received", 0}, {"applied", 1}, {"cancelled", 1}};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(
		        db_execf(db,
		                 "INSERT INTO answers(form_id, person_id, status, verified, "
		                 "status_at, created_at, updated_at) VALUES (1, ?, ?, ?, 1, 1, 1)",
		                 "iti", p, rows[i].status, (int64_t)rows[i].verified),
		        JM_OK);
	struct net_score s;
	assert_int_equal(net_score_get(db, p, T_NOW, &s), JM_OK);
	assert_int_equal(s.forms, 2 * 3);
	assert_int_equal(s.asks, 0); /* answering gives, it does not take */
}

/* The daily pass: months subscribed grow with no event at all; the
 * refresh walks everyone in batches and stores the new totals. */
static void test_daily_refresh(void **state)
{
	struct db *db = *state;
	int64_t p[3];
	for (int k = 0; k < 3; k++) {
		p[k] = t_person(db, &(struct t_person){.name = "購読者"});
		subscribe(db, p[k], "active", T_NOW - 100 * DAY);
	}
	assert_int_equal(net_score_update(db, p, 3, T_NOW - 90 * DAY), JM_OK);
	int64_t early = engagement(db, p[0]);
	int64_t cursor = 0;
	assert_int_equal(net_score_refresh(db, T_NOW, &cursor, 2), JM_OK);
	assert_true(cursor >= p[1]);
	assert_int_equal(net_score_refresh(db, T_NOW, &cursor, 2), JM_OK);
	assert_int_equal(net_score_refresh(db, T_NOW, &cursor, 2), JM_DONE);
	assert_int_equal(cursor, 0);
	struct net_score s;
	assert_int_equal(net_score_get(db, p[2], T_NOW, &s), JM_OK);
	for (int k = 0; k < 3; k++)
		assert_int_equal(engagement(db, p[k]), s.total);
	assert_true(s.total > early);
}

static void test_caps_and_edges(void **state)
{
	struct db *db = *state;
	int64_t p = t_person(db, &(struct t_person){.name = "多作"});
	subscribe(db, p, "active", T_NOW - 1000 * DAY);
	for (int k = 0; k < 30; k++)
		t_message(db, p, "情報提供", "情報", "…", T_NOW - k);
	for (int k = 0; k < 25; k++)
		t_interaction(db, p, "referral", T_NOW - k);
	struct net_score s;
	assert_int_equal(net_score_get(db, p, T_NOW, &s), JM_OK);
	assert_int_equal(s.subscribed, 48);    /* 24 months at most */
	assert_int_equal(s.tips, 200);         /* 20 tips at most */
	assert_int_equal(s.interactions, 300); /* 20 referrals at most */
	/* Unsubscribed and pending lists give nothing; nobody → not found. */
	int64_t q = t_person(db, &(struct t_person){.name = "去った人"});
	subscribe(db, q, "unsubscribed", T_NOW - 400 * DAY);
	assert_int_equal(net_score_get(db, q, T_NOW, &s), JM_OK);
	assert_int_equal(s.total, 0);
	assert_int_equal(net_score_get(db, 999999, T_NOW, &s), JM_NOT_FOUND);
	int64_t ids[] = {p, 999999};
	assert_int_equal(net_score_update(db, ids, 2, T_NOW), JM_OK);
	assert_int_equal(engagement(db, p), 48 + 200 + 300);
}

static const struct net_suggestion *find_sugg(const struct net_suggestion *v, size_t n, int64_t id)
{
	for (size_t k = 0; k < n; k++)
		if (v[k].person_id == id)
			return &v[k];
	return NULL;
}

static void test_suggestions(void **state)
{
	struct db *db = *state;
	int64_t asker = t_person(db, &(struct t_person){.name = "クレクレ", .email = "a@x.jp"});
	for (int k = 0; k < 3; k++)
		t_message(db, asker, "仕事のご依頼", "無料で教えて", "…", T_NOW - k);
	int64_t helped = t_person(db, &(struct t_person){.name = "助けた人"});
	for (int k = 0; k < 3; k++)
		t_interaction(db, helped, "help_given", T_NOW - k);
	int64_t giver = t_person(db, &(struct t_person){.name = "持ちつ持たれつ"});
	for (int k = 0; k < 4; k++)
		t_message(db, giver, "仕事のご依頼", "相談", "…", T_NOW - k);
	t_interaction(db, giver, "help_received", T_NOW);
	int64_t tipper = t_person(db, &(struct t_person){.name = "情報をくれる人"});
	for (int k = 0; k < 3; k++)
		t_message(db, tipper, "その他", "相談", "…", T_NOW - k);
	t_message(db, tipper, "情報提供", "耳寄り", "…", T_NOW);
	int64_t two = t_person(db, &(struct t_person){.name = "二回だけ"});
	for (int k = 0; k < 2; k++)
		t_message(db, two, "その他", "相談", "…", T_NOW - k);
	int64_t flagged = t_person(db, &(struct t_person){.name = "既に", .freeloader = true});
	for (int k = 0; k < 5; k++)
		t_message(db, flagged, "その他", "相談", "…", T_NOW - k);
	int64_t fan = t_person(db, &(struct t_person){.name = "ファン"});
	int64_t acq = t_person(db, &(struct t_person){.name = "知人", .stage = "acquaintance"});
	assert_int_equal(db_execf(db, "UPDATE people SET engagement = 80 WHERE id IN (?, ?)", "ii",
	                          fan, acq),
	                 JM_OK);

	/* Suggestions read the give/take counts stored with the score (the
	 * scheduler keeps them up to date). */
	int64_t all[] = {asker, helped, giver, tipper, two, flagged};
	assert_int_equal(net_score_update(db, all, 6, T_NOW), JM_OK);
	assert_int_equal(db_execf(db, "UPDATE people SET engagement = 80 WHERE id IN (?, ?)", "ii",
	                          fan, acq),
	                 JM_OK);
	struct arena *a = arena_new(4096);
	struct net_suggestion *v = NULL;
	size_t n = 0;
	assert_int_equal(net_suggestions(db, a, false, 20, &v, &n), JM_OK);
	const struct net_suggestion *s = find_sugg(v, n, asker);
	assert_non_null(s);
	assert_string_equal(s->why, "freeloader");
	assert_int_equal(s->asks, 3);
	assert_int_equal(s->given, 0);
	assert_string_equal(s->email, "a@x.jp");
	assert_non_null(find_sugg(v, n, helped));
	assert_null(find_sugg(v, n, giver));
	assert_null(find_sugg(v, n, tipper));
	assert_null(find_sugg(v, n, two));
	assert_null(find_sugg(v, n, flagged));
	assert_null(find_sugg(v, n, acq));
	s = find_sugg(v, n, fan);
	assert_non_null(s);
	assert_string_equal(s->why, "fan");
	assert_int_equal(n, 3);
	assert_int_equal(net_suggestions(db, a, true, 20, &v, &n), JM_OK);
	assert_non_null(find_sugg(v, n, flagged));
	assert_int_equal(n, 4);
	/* max bounds the list; suggestions never set a flag. */
	assert_int_equal(net_suggestions(db, a, true, 1, &v, &n), JM_OK);
	assert_int_equal(n, 1);
	struct db_stmt *st = NULL;
	assert_int_equal(db_prepare(db, "SELECT COUNT(*) FROM people WHERE freeloader = 1", &st),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	assert_int_equal(db_col_int(st, 0), 1);
	db_finalize(st);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_breakdown, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_form_answers, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_caps_and_edges, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_daily_refresh, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_suggestions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
