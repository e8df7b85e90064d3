/* Unit tests for src/newsletter/subscriber.c: filters, name search via
 * the trigram index (Japanese, 3+ characters), email prefix search,
 * pagination, adding by hand, bulk tag/untag/unsubscribe/erase and a
 * person's history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "nl_test.h"
#include "../site/site_testdb.h"

static int64_t add(struct db *db, int64_t list, const char *email, const char *name)
{
	struct jm_err err = {0};
	int64_t pid = 0;
	if (nl_subscriber_add(db, list, email, name, &pid, &err) != JM_OK)
		fail_msg("add %s: %s", email, err.msg);
	return pid;
}

static int64_t search(struct db *db, struct arena *a, struct nl_subscriber_query *q,
                      struct nl_subscriber **out, size_t *n)
{
	int64_t total = -1;
	assert_int_equal(nl_subscriber_list(db, a, q, out, n, &total), JM_OK);
	return total;
}

static void test_search(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	add(db, list, "yamada@example.jp", "山田 太郎");
	add(db, list, "yamashita@example.com", "山下 花子");
	add(db, list, "sato@example.jp", "佐藤 一郎");
	struct arena *a = arena_new(4096);
	struct nl_subscriber *v = NULL;
	size_t n = 0;
	struct nl_subscriber_query q = {.list_id = list, .q = "田 太郎"};
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].email, "yamada@example.jp");
	assert_string_equal(v[0].list_slug, "news");
	assert_string_equal(v[0].status, "active");
	assert_string_equal(v[0].consent_source, "admin");
	/* substring of an email through the trigram index, case-folded */
	q.q = "Example.COM";
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	assert_string_equal(v[0].name, "山下 花子");
	/* shorter than 3 characters: email prefix only */
	q.q = "ya";
	assert_int_equal(search(db, a, &q, &v, &n), 2);
	q.q = "YA";
	assert_int_equal(search(db, a, &q, &v, &n), 2);
	q.q = "山田"; /* two characters: a family name is a name prefix */
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	assert_string_equal(v[0].email, "yamada@example.jp");
	q.q = "太郎"; /* ... but short queries are prefixes, not substrings */
	assert_int_equal(search(db, a, &q, &v, &n), 0);
	q.q = "\"quote";
	assert_int_equal(search(db, a, &q, &v, &n), 0);
	/* a renamed person is found under the new name only */
	assert_int_equal(db_execf(db, "UPDATE people SET name = '鈴木 次郎' WHERE email = ?", "t",
	                          "sato@example.jp"),
	                 JM_OK);
	q.q = "佐藤 一";
	assert_int_equal(search(db, a, &q, &v, &n), 0);
	q.q = "鈴木 次";
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	/* the index holds no positions: trigrams found apart are no match */
	add(db, list, "def.abc@example.org", "ghi jkl");
	q.q = "abcdef";
	assert_int_equal(search(db, a, &q, &v, &n), 0);
	q.q = "ABC@exa";
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	q.q = "hi jk";
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	assert_string_equal(v[0].email, "def.abc@example.org");
	arena_free(a);
}

static void test_filters_and_pages(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	int64_t other = make_list(db, "other", true, NULL, false);
	int64_t ids[25];
	char email[64];
	for (int i = 0; i < 25; i++) {
		snprintf(email, sizeof(email), "r%02d@example.jp", i);
		ids[i] = add(db, list, email, "読者");
	}
	add(db, other, "r00@example.jp", "");
	assert_int_equal(nl_bulk(db, NL_BULK_TAG, ids, 5, 0, "セミナー"), JM_OK);
	assert_int_equal(nl_bulk(db, NL_BULK_TAG, ids, 5, 0, "セミナー"), JM_OK); /* idempotent */
	assert_int_equal(db_execf(db,
	                          "INSERT INTO person_fields(person_id, key, value) "
	                          "VALUES (?, 'company', '人脈社')",
	                          "i", ids[3]),
	                 JM_OK);
	struct arena *a = arena_new(4096);
	struct nl_subscriber *v = NULL;
	size_t n = 0;
	struct nl_subscriber_query q = {.list_id = list, .per_page = 10, .page = 3};
	assert_int_equal(search(db, a, &q, &v, &n), 25);
	assert_int_equal(n, 5);
	assert_string_equal(v[4].email, "r00@example.jp"); /* newest first */
	q = (struct nl_subscriber_query){.tag = "セミナー"};
	assert_int_equal(search(db, a, &q, &v, &n), 6); /* r00 is on both lists */
	assert_int_equal(v[0].ntags, 1);
	assert_string_equal(v[0].tags[0], "セミナー");
	q = (struct nl_subscriber_query){.field_key = "company", .field_val = "人脈社"};
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	assert_int_equal(v[0].person_id, ids[3]);
	assert_int_equal(nl_bulk(db, NL_BULK_UNTAG, ids, 2, 0, "セミナー"), JM_OK);
	q = (struct nl_subscriber_query){.list_id = list, .tag = "セミナー"};
	assert_int_equal(search(db, a, &q, &v, &n), 3);
	assert_int_equal(nl_bulk(db, NL_BULK_TAG, ids, 2, 0, ""), JM_INVALID);
	assert_int_equal(nl_bulk(db, NL_BULK_TAG, ids, 2, 0, "a\nb"), JM_INVALID);

	/* bulk unsubscribe of one list leaves the other */
	assert_int_equal(nl_bulk(db, NL_BULK_UNSUBSCRIBE, ids, 1, list, NULL), JM_OK);
	q = (struct nl_subscriber_query){.status = "unsubscribed"};
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	assert_string_equal(v[0].list_slug, "news");
	q = (struct nl_subscriber_query){.list_id = other, .status = "active"};
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	q = (struct nl_subscriber_query){.list_id = list, .status = "active", .q = "r0"};
	assert_int_equal(search(db, a, &q, &v, &n), 9);
	arena_free(a);
}

static void test_add_by_hand(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, false);
	struct jm_err err = {0};
	int64_t pid = 0;
	assert_int_equal(nl_subscriber_add(db, list, "bad", "x", &pid, &err), JM_INVALID);
	assert_string_equal(err.field, "email");
	assert_int_equal(nl_subscriber_add(db, 999, "a@example.jp", "x", &pid, &err), JM_NOT_FOUND);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people", 0), 0);
	pid = add(db, list, "A@Example.jp", "名前");
	assert_int_equal(nl_subscriber_add(db, list, "a@example.jp", "", &pid, &err), JM_CONFLICT);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM subscriptions WHERE status = 'active' "
	                       "AND consent_source = 'admin' AND confirmed_at > 0",
	                       0),
	                 1);
}

static void test_erase_and_events(void **state)
{
	struct db *db = *state;
	int64_t list = make_list(db, "news", true, NULL, true);
	int64_t keep = add(db, list, "keep@example.jp", "残る人");
	int64_t gone = add(db, list, "gone@example.jp", "消える人");
	assert_int_equal(nl_bulk(db, NL_BULK_TAG, &gone, 1, 0, "vip"), JM_OK);
	assert_int_equal(db_execf(db,
	                          "INSERT INTO person_fields(person_id, key, value) VALUES "
	                          "(?, 'company', 'X'), (?, 'company', 'Y')",
	                          "ii", gone, keep),
	                 JM_OK);
	assert_int_equal(db_execf(db,
	                          "INSERT INTO signup_attempts(key, created_at) "
	                          "VALUES ('email:gone@example.jp', 1)",
	                          ""),
	                 JM_OK);
	int64_t sub = q_int(db, "SELECT id FROM subscriptions WHERE person_id = ?", gone);
	assert_int_equal(nl_unsubscribe(db, sub, 0, "one-click"), JM_OK);
	struct arena *a = arena_new(4096);
	struct nl_event *ev = NULL;
	size_t n = 0;
	assert_int_equal(nl_person_events(db, a, gone, &ev, &n), JM_OK);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].kind, "unsubscribed"); /* newest first */
	assert_string_equal(ev[0].detail, "news one-click");
	assert_string_equal(ev[1].kind, "subscribed");

	assert_int_equal(nl_bulk(db, NL_BULK_ERASE, &gone, 1, 0, NULL), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE id = ?", gone), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_fields WHERE person_id = ?", gone),
	                 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_events WHERE person_id = ?", gone),
	                 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_tags WHERE person_id = ?", gone),
	                 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM subscriptions WHERE person_id = ?", gone),
	                 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM signup_attempts", 0), 0);
	/* gone from the search index too; the other person is untouched */
	struct nl_subscriber *v = NULL;
	struct nl_subscriber_query q = {.q = "消える"};
	assert_int_equal(search(db, a, &q, &v, &n), 0);
	q.q = "残る人";
	assert_int_equal(search(db, a, &q, &v, &n), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_fields WHERE person_id = ?", keep),
	                 1);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_search, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_filters_and_pages, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_add_by_hand, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_erase_and_events, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
