/* Unit tests for src/newsletter/list.c and subscribe.c: list CRUD and
 * fields, sign-up (new, pending, active, neutral, re-subscribe), consent,
 * field errors, rate limits, confirm and unsubscribe idempotence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "nl_test.h"
#include "../site/site_testdb.h"

static const unsigned char SECRET[32] = "0123456789abcdef0123456789abcdef";
#define NOW INT64_C(1800000000)

static const char *KEYS[] = {"company", "interest", "agree"};

static enum jm_rc signup(struct db *db, const char *slug, const char *email, const char *ip,
                         const char *company, const char *interest, int64_t now,
                         enum nl_signup_result *res, struct jm_err *err)
{
	const char *vals[] = {company, interest, "on"};
	struct nl_signup in = {.email = email,
	                       .name = "山田 太郎",
	                       .list_slug = slug,
	                       .field_keys = KEYS,
	                       .field_vals = vals,
	                       .nfields = 3,
	                       .source = "https://example.jp/articles/hello",
	                       .ip = ip,
	                       .now = now};
	return nl_signup(db, SECRET, &in, res, err);
}

static void test_list_crud(void **state)
{
	struct db *db = *state;
	struct jm_err err = {0};
	struct nl_list_input bad = {
	        .slug = "Bad Slug", .name = "x", .has_slug = true, .has_name = true};
	int64_t id = 0;
	assert_int_equal(nl_list_create(db, &bad, &id, &err), JM_INVALID);
	assert_string_equal(err.field, "slug");
	bad.slug = "ok";
	bad.name = "";
	assert_int_equal(nl_list_create(db, &bad, &id, &err), JM_INVALID);
	assert_string_equal(err.field, "name");
	bad.name = "名前";
	bad.charset = "latin1";
	bad.has_charset = true;
	assert_int_equal(nl_list_create(db, &bad, &id, &err), JM_INVALID);
	assert_string_equal(err.field, "charset");
	assert_int_equal(q_int(db, "SELECT count(*) FROM lists", 0), 0);

	id = make_list(db, "news", true, NULL, true);
	struct nl_list_input dup = {
	        .slug = "news", .name = "x", .has_slug = true, .has_name = true};
	int64_t id2 = 0;
	assert_int_equal(nl_list_create(db, &dup, &id2, &err), JM_CONFLICT);
	assert_string_equal(err.field, "slug");

	struct nl_list_input up = {.description = "週刊", .has_description = true};
	assert_int_equal(nl_list_update(db, id, &up, &err), JM_OK);
	struct arena *a = arena_new(1024);
	struct nl_list l;
	assert_int_equal(nl_list_get(db, a, id, &l), JM_OK);
	assert_string_equal(l.name, "人脈通信");
	assert_string_equal(l.description, "週刊");
	assert_true(l.double_optin);
	assert_int_equal(l.nfields, 3);
	assert_string_equal(l.fields[1].key, "interest");
	assert_int_equal(l.fields[1].noptions, 3);
	assert_string_equal(l.fields[1].options[2], "その他");
	assert_true(l.fields[0].required);

	/* fields are replaced as a whole; a bad set changes nothing */
	struct nl_field badf[] = {{.key = "Bad-Key", .label = "x", .type = "text"}};
	assert_int_equal(nl_list_set_fields(db, id, badf, 1, &err), JM_INVALID);
	assert_int_equal(q_int(db, "SELECT count(*) FROM list_fields WHERE list_id = ?", id), 3);
	struct nl_field one[] = {{.key = "city", .label = "都市", .type = "text"}};
	assert_int_equal(nl_list_set_fields(db, id, one, 1, &err), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM list_fields WHERE list_id = ?", id), 1);

	struct nl_list *all = NULL;
	size_t n = 0;
	assert_int_equal(nl_list_all(db, a, &all, &n), JM_OK);
	assert_int_equal(n, 1);
	assert_int_equal(all[0].nfields, 1);
	assert_int_equal(nl_list_delete(db, id), JM_OK);
	assert_int_equal(nl_list_delete(db, id), JM_NOT_FOUND);
	assert_int_equal(nl_list_by_slug(db, a, "news", &l), JM_NOT_FOUND);
	arena_free(a);
}

static void test_signup_pending_consent(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, "ようこそ本文", true);
	enum nl_signup_result res;
	struct jm_err err = {0};
	assert_int_equal(signup(db, "news", "  Taro@Example.JP ", "192.0.2.1", "人脈社", "出版",
	                        NOW, &res, &err),
	                 JM_OK);
	assert_int_equal(res, NL_SIGNUP_CONFIRM_SENT);
	struct db_stmt *st = NULL;
	assert_int_equal(db_preparef(db, &st,
	                             "SELECT p.email, p.name, s.status, s.consent_at, "
	                             "s.consent_source, s.consent_ip, s.consent_text, s.id "
	                             "FROM subscriptions s JOIN people p ON p.id = s.person_id "
	                             "WHERE s.list_id = ?",
	                             "i", list),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	assert_string_equal(db_col_text(st, 0, NULL), "taro@example.jp");
	assert_string_equal(db_col_text(st, 1, NULL), "山田 太郎");
	assert_string_equal(db_col_text(st, 2, NULL), "pending");
	assert_int_equal(db_col_int(st, 3), NOW);
	assert_string_equal(db_col_text(st, 4, NULL), "https://example.jp/articles/hello");
	assert_string_equal(db_col_text(st, 5, NULL), "192.0.2.1");
	assert_string_equal(db_col_text(st, 6, NULL), "メルマガの受信に同意します");
	int64_t sub = db_col_int(st, 7);
	db_finalize(st);

	/* the confirmation is queued with ids only: nothing from the form */
	assert_int_equal(db_preparef(db, &st,
	                             "SELECT kind, to_addr, domain, state, payload, "
	                             "next_attempt_at, subscription_id FROM deliveries",
	                             ""),
	                 JM_OK);
	assert_int_equal(db_step(st), JM_OK);
	assert_string_equal(db_col_text(st, 0, NULL), "confirm");
	assert_string_equal(db_col_text(st, 1, NULL), "taro@example.jp");
	assert_string_equal(db_col_text(st, 2, NULL), "example.jp");
	assert_string_equal(db_col_text(st, 3, NULL), "queued");
	assert_string_equal(db_col_text(st, 4, NULL), "");
	assert_int_equal(db_col_int(st, 5), NOW);
	assert_int_equal(db_col_int(st, 6), sub);
	assert_int_equal(db_step(st), JM_DONE);
	db_finalize(st);

	assert_int_equal(q_int(db, "SELECT count(*) FROM person_fields", 0), 3);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM person_fields WHERE key = 'agree' AND value = '1'",
	              0),
	        1);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM person_events WHERE kind = 'subscribed'", 0), 1);

	/* confirm: consent time becomes the confirmation time, IP kept;
	 * welcome queued once however often the link is clicked */
	struct arena *a = arena_new(1024);
	struct nl_list l;
	assert_int_equal(nl_confirm(db, sub, NOW + 60, &l, a), JM_OK);
	assert_string_equal(l.slug, "news");
	assert_int_equal(nl_confirm(db, sub, NOW + 120, NULL, NULL), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries WHERE kind = 'welcome'", 0), 1);
	assert_int_equal(q_int(db, "SELECT consent_at FROM subscriptions WHERE id = ?", sub),
	                 NOW + 60);
	assert_int_equal(q_int(db, "SELECT confirmed_at FROM subscriptions WHERE id = ?", sub),
	                 NOW + 60);
	assert_int_equal(
	        q_int(db, "SELECT consent_ip = '192.0.2.1' FROM subscriptions WHERE id = ?", sub),
	        1);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM person_events WHERE kind = 'confirmed'", 0), 1);
	assert_int_equal(nl_confirm(db, 99999, NOW, NULL, NULL), JM_NOT_FOUND);

	/* already active: the same neutral answer, no mail, nothing changed */
	assert_int_equal(signup(db, "news", "taro@example.jp", "192.0.2.2", "別会社", "採用",
	                        NOW + 200, &res, &err),
	                 JM_OK);
	assert_int_equal(res, NL_SIGNUP_NEUTRAL);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries", 0), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_fields WHERE value = '人脈社'", 0),
	                 1);
	arena_free(a);
}

static void test_single_optin_welcome(void **state)
{
	struct db *db = *state;
	make_list(db, "quick", false, "ようこそ", false);
	enum nl_signup_result res;
	struct jm_err err = {0};
	assert_int_equal(signup(db, "quick", "a@example.jp", "192.0.2.1", "", "", NOW, &res, &err),
	                 JM_OK);
	assert_int_equal(res, NL_SIGNUP_ACTIVE);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM subscriptions WHERE status = 'active' "
	                       "AND confirmed_at = ?",
	                       NOW),
	                 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries WHERE kind = 'welcome'", 0), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries WHERE kind = 'confirm'", 0), 0);
}

static void test_unsubscribe_and_resubscribe(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	enum nl_signup_result res;
	struct jm_err err = {0};
	assert_int_equal(signup(db, "news", "b@example.jp", "192.0.2.1", "", "", NOW, &res, &err),
	                 JM_OK);
	int64_t sub = q_int(db, "SELECT id FROM subscriptions", 0);
	int64_t person = q_int(db, "SELECT person_id FROM subscriptions", 0);
	assert_int_equal(nl_confirm(db, sub, NOW, NULL, NULL), JM_OK);
	/* a queued broadcast mail of that list, and one of another list */
	int64_t other = make_list(db, "other", true, NULL, false);
	assert_int_equal(db_execf(db,
	                          "INSERT INTO broadcasts(id, list_id, subject, created_at, "
	                          "updated_at) VALUES (1, ?, 's', 0, 0), (2, ?, 't', 0, 0)",
	                          "ii", list, other),
	                 JM_OK);
	assert_int_equal(db_execf(db,
	                          "INSERT INTO deliveries(kind, broadcast_id, person_id, to_addr, "
	                          "domain, created_at) VALUES ('broadcast', 1, ?, 'b@example.jp', "
	                          "'example.jp', 0), ('broadcast', 2, ?, 'b@example.jp', "
	                          "'example.jp', 0)",
	                          "ii", person, person),
	                 JM_OK);
	assert_int_equal(nl_unsubscribe(db, sub, NOW + 10, "one-click"), JM_OK);
	assert_int_equal(nl_unsubscribe(db, sub, NOW + 20, "one-click"), JM_OK);
	assert_int_equal(q_int(db, "SELECT unsubscribed_at FROM subscriptions WHERE id = ?", sub),
	                 NOW + 10);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM person_events WHERE kind = 'unsubscribed'", 0), 1);
	assert_int_equal(
	        q_int(db, "SELECT state = 'cancelled' FROM deliveries WHERE broadcast_id = ?", 1),
	        1);
	assert_int_equal(
	        q_int(db, "SELECT state = 'queued' FROM deliveries WHERE broadcast_id = ?", 2), 1);
	assert_int_equal(nl_unsubscribe(db, 424242, NOW, "x"), JM_NOT_FOUND);
	/* an old confirm link does not bring the subscription back */
	assert_int_equal(nl_confirm(db, sub, NOW + 30, NULL, NULL), JM_CONFLICT);

	/* someone who unsubscribed can subscribe again: pending, new mail */
	assert_int_equal(
	        signup(db, "news", "b@example.jp", "192.0.2.9", "", "", NOW + 40, &res, &err),
	        JM_OK);
	assert_int_equal(res, NL_SIGNUP_CONFIRM_SENT);
	assert_int_equal(q_int(db,
	                       "SELECT status = 'pending' AND unsubscribed_at IS NULL "
	                       "FROM subscriptions WHERE id = ?",
	                       sub),
	                 1);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM deliveries WHERE kind = 'confirm' "
	                       "AND state = 'queued'",
	                       0),
	                 1);
}

static void test_field_errors(void **state)
{
	struct db *db = *state;
	make_list(db, "news", true, NULL, true);
	enum nl_signup_result res;
	struct jm_err err = {0};
	assert_int_equal(
	        signup(db, "news", "c@example.jp", "192.0.2.1", "", "出版", NOW, &res, &err),
	        JM_INVALID);
	assert_string_equal(err.field, "company");
	assert_non_null(strstr(err.msg, "会社名"));
	memset(&err, 0, sizeof(err));
	assert_int_equal(
	        signup(db, "news", "c@example.jp", "192.0.2.1", "人脈社", "宇宙", NOW, &res, &err),
	        JM_INVALID);
	assert_string_equal(err.field, "interest");
	assert_int_equal(
	        signup(db, "news", "not-an-email", "192.0.2.1", "人脈社", "", NOW, &res, &err),
	        JM_INVALID);
	assert_string_equal(err.field, "email");
	assert_int_equal(
	        signup(db, "nope", "c@example.jp", "192.0.2.1", "人脈社", "", NOW, &res, &err),
	        JM_NOT_FOUND);
	char longname[400] = "";
	for (int i = 0; i < 101; i++)
		memcpy(longname + i * 3, "山", 3);
	struct nl_signup in = {.email = "c@example.jp",
	                       .name = longname,
	                       .list_slug = "news",
	                       .ip = "192.0.2.1",
	                       .now = NOW};
	assert_int_equal(nl_signup(db, SECRET, &in, &res, &err), JM_INVALID);
	assert_string_equal(err.field, "name");
	in.name = "spam\nBcc: x@y";
	assert_int_equal(nl_signup(db, SECRET, &in, &res, &err), JM_INVALID);
	assert_string_equal(err.field, "name");
	/* bad input changes nothing */
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries", 0), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM signup_attempts", 0), 0);
}

static void test_rate_limit_email(void **state)
{
	struct db *db = *state;
	make_list(db, "news", true, NULL, false);
	enum nl_signup_result res;
	struct jm_err err = {0};
	char ip[32];
	for (int i = 0; i < 3; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i + 1);
		assert_int_equal(
		        signup(db, "news", "victim@example.jp", ip, "", "", NOW + i, &res, &err),
		        JM_OK);
		assert_int_equal(res, NL_SIGNUP_CONFIRM_SENT);
	}
	assert_int_equal(signup(db, "news", "victim@example.jp", "198.51.100.1", "", "", NOW + 5,
	                        &res, &err),
	                 JM_OK);
	assert_int_equal(res, NL_SIGNUP_NEUTRAL);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries", 0), 3);
	/* a day later the address may get a mail again */
	assert_int_equal(signup(db, "news", "victim@example.jp", "198.51.100.1", "", "",
	                        NOW + 86400 + 10, &res, &err),
	                 JM_OK);
	assert_int_equal(res, NL_SIGNUP_CONFIRM_SENT);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries", 0), 4);
}

static void test_rate_limit_ip(void **state)
{
	struct db *db = *state;
	make_list(db, "news", true, NULL, false);
	enum nl_signup_result res;
	struct jm_err err = {0};
	char email[64];
	for (int i = 0; i < 10; i++) {
		snprintf(email, sizeof(email), "user%d@example.jp", i);
		assert_int_equal(
		        signup(db, "news", email, "203.0.113.7", "", "", NOW + i, &res, &err),
		        JM_OK);
		assert_int_equal(res, NL_SIGNUP_CONFIRM_SENT);
	}
	assert_int_equal(signup(db, "news", "user10@example.jp", "203.0.113.7", "", "", NOW + 20,
	                        &res, &err),
	                 JM_OK);
	assert_int_equal(res, NL_SIGNUP_NEUTRAL);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 10);
	assert_int_equal(q_int(db, "SELECT count(*) FROM deliveries", 0), 10);
	/* another address is not affected; an hour later this one is fine */
	assert_int_equal(signup(db, "news", "user10@example.jp", "203.0.113.8", "", "", NOW + 21,
	                        &res, &err),
	                 JM_OK);
	assert_int_equal(res, NL_SIGNUP_CONFIRM_SENT);
	assert_int_equal(signup(db, "news", "user11@example.jp", "203.0.113.7", "", "", NOW + 3601,
	                        &res, &err),
	                 JM_OK);
	assert_int_equal(res, NL_SIGNUP_CONFIRM_SENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_list_crud, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_signup_pending_consent, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_single_optin_welcome, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_unsubscribe_and_resubscribe, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_field_errors, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_rate_limit_email, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_rate_limit_ip, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
