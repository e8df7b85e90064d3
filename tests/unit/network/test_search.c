/* Unit tests for src/network/search.c: "who can help with X" in Japanese
 * and English over every column of a person's document, folding (全角/半角,
 * katakana), ranking, flags and filters, hostile query syntax, bad queries,
 * keeping the index in step (dirty tracking, deletes), the capped total and
 * the rebuild. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "network/network.h"
#include "search_test.h"
#include "../site/site_testdb.h"

struct fx {
	struct db *db;
	struct arena *a;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	f->db = site_testdb_open();
	f->a = arena_new(8192);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	arena_free(f->a);
	site_testdb_close(f->db);
	free(f);
	return 0;
}

/* Runs a search; returns the number of hits and fills ids (sorted by rank). */
static size_t find_q(struct fx *f, const struct net_search_query *q, int64_t *ids,
                     struct net_hit **hits)
{
	struct net_hit *h = NULL;
	size_t n = 0;
	int64_t total = -1;
	struct jm_err err = {0};
	enum jm_rc rc = net_search(f->db, f->a, q, &h, &n, &total, &err);
	if (rc)
		fail_msg("search '%s': %s %s", q->q, jm_rc_name(rc), err.msg);
	assert_true(total >= (int64_t)n);
	for (size_t k = 0; ids && k < n; k++)
		ids[k] = h[k].person_id;
	if (hits)
		*hits = h;
	return n;
}

static size_t find(struct fx *f, const char *q, int64_t *ids)
{
	struct net_search_query sq = {.q = q, .page = 1, .per_page = 50};
	return find_q(f, &sq, ids, NULL);
}

static bool has(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t k = 0; k < n; k++)
		if (ids[k] == id)
			return true;
	return false;
}

static void test_japanese_everywhere(void **state)
{
	struct fx *f = *state;
	int64_t notes = t_person(f->db, &(struct t_person){.name = "佐藤 一郎",
	                                                   .notes = "出版社の編集者と知り合い"});
	int64_t offer =
	        t_person(f->db, &(struct t_person){.name = "鈴木 花子",
	                                           .offer = "出版社の編集者を紹介できます"});
	int64_t msg = t_person(f->db, &(struct t_person){.name = "高橋 健"});
	t_message(f->db, msg, "その他", "ご相談", "実は出版社の編集者です。", T_NOW);
	int64_t field = t_person(f->db, &(struct t_person){.name = "田中 葵"});
	t_field(f->db, field, "職業", "出版社の編集者");
	int64_t company = t_person(
	        f->db,
	        &(struct t_person){.name = "伊藤 蓮", .company = "大手出版社", .title = "編集者"});
	int64_t other =
	        t_person(f->db, &(struct t_person){.name = "渡辺 凛", .notes = "出張の多い版画家"});
	int64_t ids[50];
	const char *queries[] = {"出版", "編集者", "出版社"};
	for (size_t k = 0; k < 3; k++) {
		size_t n = find(f, queries[k], ids);
		assert_int_equal(n, 5);
		assert_true(has(ids, n, notes) && has(ids, n, offer) && has(ids, n, msg));
		assert_true(has(ids, n, field) && has(ids, n, company));
		assert_false(has(ids, n, other));
	}
	/* The whole phrase: everywhere but in company + title, two fields. */
	assert_int_equal(find(f, "出版社の編集者", ids), 4);
	assert_false(has(ids, 4, company));
	/* 出版 must not match 出張…版画: the characters are not adjacent. */
	assert_int_equal(find(f, "出版", ids), 5);
	/* A one-character word is a prefix: 版 appears in all six. */
	assert_int_equal(find(f, "版", ids), 6);
	/* Words are ANDed. */
	assert_int_equal(find(f, "出版 伊藤", ids), 1);
	assert_int_equal(ids[0], company);
	assert_int_equal(find(f, "出版 翻訳", ids), 0);
}

static void test_folding(void **state)
{
	struct fx *f = *state;
	int64_t wide =
	        t_person(f->db, &(struct t_person){.name = "山田",
	                                           .company = "ＦＵＬＬ－ＷＩＤＴＨ株式会社"});
	int64_t kana = t_person(f->db, &(struct t_person){.name = "ｶﾀｶﾅ ﾀﾛｳ"});
	int64_t guide =
	        t_person(f->db, &(struct t_person){.name = "木村", .notes = "ガイドブックの制作"});
	int64_t en =
	        t_person(f->db, &(struct t_person){.name = "John Smith", .title = "Senior Editor"});
	int64_t ids[50];
	assert_int_equal(find(f, "full-width", ids), 1);
	assert_int_equal(ids[0], wide);
	assert_int_equal(find(f, "ｆｕｌｌ", ids), 1);
	assert_int_equal(find(f, "FULL WIDTH", ids), 1);
	assert_int_equal(find(f, "カタカナ", ids), 1);
	assert_int_equal(ids[0], kana);
	assert_int_equal(find(f, "ｶﾀｶﾅ", ids), 1);
	assert_int_equal(find(f, "タロウ", ids), 1);
	assert_int_equal(find(f, "ｶﾞｲﾄﾞ", ids), 1);
	assert_int_equal(ids[0], guide);
	assert_int_equal(find(f, "edit", ids), 1);
	assert_int_equal(ids[0], en);
	assert_int_equal(find(f, "EDITOR", ids), 1);
	assert_int_equal(find(f, "Ｅｄｉｔ", ids), 1);
	assert_int_equal(find(f, "editors", ids), 0);
	assert_int_equal(find(f, "smi", ids), 1);
}

static void test_ranking_and_snippet(void **state)
{
	struct fx *f = *state;
	int64_t body = t_person(f->db, &(struct t_person){.name = "小林"});
	t_message(f->db, body, "その他", "ご挨拶", "翻訳の仕事を探している知人がいます", T_NOW);
	int64_t name = t_person(f->db, &(struct t_person){.name = "翻訳 太郎"});
	int64_t comp = t_person(f->db, &(struct t_person){.name = "加藤", .company = "翻訳工房"});
	int64_t ids[50];
	struct net_hit *h = NULL;
	struct net_search_query q = {.q = "翻訳", .page = 1, .per_page = 10};
	size_t n = find_q(f, &q, ids, &h);
	assert_int_equal(n, 3);
	assert_int_equal(ids[2], body);
	assert_true(has(ids, 2, name) && has(ids, 2, comp));
	assert_true(h[0].rank <= h[1].rank && h[1].rank <= h[2].rank);
	assert_string_equal(h[2].snippet, "ご挨拶 翻訳の仕事を探している知人がいます");
	assert_string_equal(h[2].stage, "reader");
	assert_string_equal(h[2].name, "小林");
	/* A long column gives a one-line snippet of at most 120 characters. */
	struct buf b = BUF_INIT;
	for (int k = 0; k < 40; k++)
		assert_int_equal(buf_appends(&b, "長い文章です。\n"), JM_OK);
	assert_int_equal(buf_appends(&b, "ここに特殊な語彙があります。"), JM_OK);
	int64_t lng = t_person(f->db, &(struct t_person){.name = "長文", .notes = buf_cstr(&b)});
	buf_free(&b);
	q.q = "語彙";
	assert_int_equal(find_q(f, &q, ids, &h), 1);
	assert_int_equal(ids[0], lng);
	assert_true(utf8_count(h[0].snippet, strlen(h[0].snippet)) <= 120);
	assert_non_null(strstr(h[0].snippet, "特殊な語彙"));
	assert_null(strchr(h[0].snippet, '\n'));
}

static void test_flags_and_filters(void **state)
{
	struct fx *f = *state;
	int64_t ok = t_person(
	        f->db, &(struct t_person){.name = "A", .notes = "写真家", .stage = "network"});
	int64_t fl = t_person(
	        f->db, &(struct t_person){.name = "B", .notes = "写真家", .freeloader = true});
	int64_t bl = t_person(f->db,
	                      &(struct t_person){.name = "C", .notes = "写真家", .blocked = true});
	int64_t fan =
	        t_person(f->db, &(struct t_person){.name = "D", .notes = "写真家", .stage = "fan"});
	t_tag(f->db, fan, "カメラ");
	t_tag(f->db, fl, "カメラ");
	int64_t ids[50];
	assert_int_equal(find(f, "写真", ids), 2);
	assert_true(has(ids, 2, ok) && has(ids, 2, fan));
	struct net_search_query q = {
	        .q = "写真", .include_flagged = true, .page = 1, .per_page = 20};
	assert_int_equal(find_q(f, &q, ids, NULL), 4);
	assert_true(has(ids, 4, fl) && has(ids, 4, bl));
	q = (struct net_search_query){.q = "写真", .stage = "network"};
	assert_int_equal(find_q(f, &q, ids, NULL), 1);
	assert_int_equal(ids[0], ok);
	q = (struct net_search_query){.q = "写真", .tag = "カメラ"};
	assert_int_equal(find_q(f, &q, ids, NULL), 1);
	assert_int_equal(ids[0], fan);
	q.include_flagged = true;
	assert_int_equal(find_q(f, &q, ids, NULL), 2);
	/* The tag itself is searchable. */
	assert_int_equal(find(f, "カメラ", ids), 1);
	/* Flag and stage changes reach the index (triggers + catch-up). */
	assert_int_equal(db_execf(f->db, "UPDATE people SET freeloader = 1 WHERE id = ?", "i", ok),
	                 JM_OK);
	assert_int_equal(find(f, "写真", ids), 1);
	assert_int_equal(ids[0], fan);
	assert_int_equal(db_execf(f->db,
	                          "UPDATE people SET freeloader = 0, stage = 'fan' "
	                          "WHERE id = ?",
	                          "i", ok),
	                 JM_OK);
	q = (struct net_search_query){.q = "写真", .stage = "fan"};
	assert_int_equal(find_q(f, &q, ids, NULL), 2);
	q.stage = "network";
	assert_int_equal(find_q(f, &q, ids, NULL), 0);
	/* Paging: per_page 1, page 2 is the other hit. */
	q = (struct net_search_query){.q = "写真", .page = 2, .per_page = 1};
	assert_int_equal(find_q(f, &q, ids, NULL), 1);
	assert_true(ids[0] == ok || ids[0] == fan);
}

static void test_hostile_syntax(void **state)
{
	struct fx *f = *state;
	int64_t p = t_person(
	        f->db, &(struct t_person){.name = "Nameless Near And", .notes = "出版 OR 編集"});
	const char *qs[] = {"\"",          "\"出版",     "出版\"",    "*",
	                    "出版*",       "AND",        "OR",        "NOT",
	                    "NEAR(a b)",   "(出版",      "出版)",     "a OR b",
	                    "-出版",       "^出版",      "name:出版", "{name}: x",
	                    "\"\" AND \"", "出版 NOT x", "+",         "'; DROP TABLE people; --",
	                    "、。「」",    "near"};
	int64_t ids[50];
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++)
		(void)find(f, qs[k], ids);
	assert_int_equal(find(f, "\"出版\"", ids), 1);
	assert_int_equal(ids[0], p);
	assert_int_equal(find(f, "NEAR(出版", ids), 1);
	assert_int_equal(find(f, "name:出版", ids), 1); /* "name" is a word of the name */
	assert_int_equal(find(f, "、。「」", ids), 0);
	assert_int_equal(find(f, "*", ids), 0);
}

static void test_bad_queries(void **state)
{
	struct fx *f = *state;
	char big[202];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	const char *bad[] = {NULL, "", "   ", "\t\n", big, "a\xff"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct net_search_query q = {.q = bad[k]};
		struct net_hit *h = NULL;
		size_t n = 9;
		int64_t total = 9;
		struct jm_err err = {0};
		assert_int_equal(net_search(f->db, f->a, &q, &h, &n, &total, &err), JM_INVALID);
		assert_string_equal(err.field, "q");
		assert_int_equal(n, 0);
	}
	struct net_search_query q = {.q = "x", .stage = "boss"};
	struct net_hit *h = NULL;
	size_t n = 0;
	int64_t total = 0;
	struct jm_err err = {0};
	assert_int_equal(net_search(f->db, f->a, &q, &h, &n, &total, &err), JM_INVALID);
	assert_string_equal(err.field, "stage");
	big[200] = '\0'; /* exactly at the cap is fine */
	q = (struct net_search_query){.q = big};
	assert_int_equal(net_search(f->db, f->a, &q, &h, &n, &total, &err), JM_OK);
}

static void test_dirty_tracking(void **state)
{
	struct fx *f = *state;
	int64_t p = t_person(f->db, &(struct t_person){.name = "林", .notes = "料理研究家"});
	int64_t ids[50];
	assert_int_equal(find(f, "料理", ids), 1);
	assert_int_equal(find(f, "陶芸", ids), 0);
	assert_int_equal(db_execf(f->db,
	                          "UPDATE people SET notes_md = '陶芸教室を主宰' WHERE id = ?", "i",
	                          p),
	                 JM_OK);
	assert_int_equal(find(f, "陶芸", ids), 1);
	assert_int_equal(find(f, "料理", ids), 0);
	t_message(f->db, p, "情報提供", "展示会", "登山ガイドの資格もあります", T_NOW);
	assert_int_equal(find(f, "登山", ids), 1);
	t_tag(f->db, p, "ワイン");
	assert_int_equal(find(f, "ワイン", ids), 1);
	t_field(f->db, p, "趣味", "囲碁");
	/* Writers of new field values mark the person (migration 0005). */
	assert_int_equal(db_execf(f->db, "INSERT OR IGNORE INTO search_dirty VALUES (?)", "i", p),
	                 JM_OK);
	assert_int_equal(find(f, "囲碁", ids), 1);
	assert_int_equal(db_execf(f->db, "DELETE FROM person_tags WHERE person_id = ?", "i", p),
	                 JM_OK);
	assert_int_equal(find(f, "ワイン", ids), 0);
	/* A message marked spam leaves the document. */
	assert_int_equal(
	        db_execf(f->db, "UPDATE messages SET status = 'spam' WHERE person_id = ?", "i", p),
	        JM_OK);
	assert_int_equal(find(f, "登山", ids), 0);
	assert_int_equal(db_execf(f->db, "DELETE FROM people WHERE id = ?", "i", p), JM_OK);
	assert_int_equal(find(f, "陶芸", ids), 0);
	assert_int_equal(find(f, "囲碁", ids), 0);
}

static void test_sync_total_and_rebuild(void **state)
{
	struct fx *f = *state;
	assert_int_equal(db_begin(f->db), JM_OK);
	for (int k = 0; k < NET_SEARCH_TOTAL_MAX + 20; k++)
		(void)t_person(f->db, &(struct t_person){.name = "共通", .notes = "同じ言葉"});
	assert_int_equal(db_commit(f->db), JM_OK);
	int64_t left = -1;
	assert_int_equal(net_search_sync(f->db, T_NOW, 100, &left), JM_OK);
	assert_int_equal(left, NET_SEARCH_TOTAL_MAX + 20 - 100);
	assert_int_equal(net_search_sync(f->db, T_NOW, 100000, &left), JM_OK);
	assert_int_equal(left, 0);
	struct net_search_query q = {.q = "同じ", .page = 3, .per_page = 10};
	struct net_hit *h = NULL;
	size_t n = 0;
	int64_t total = 0;
	struct jm_err err = {0};
	assert_int_equal(net_search(f->db, f->a, &q, &h, &n, &total, &err), JM_OK);
	assert_int_equal(total, NET_SEARCH_TOTAL_MAX);
	assert_int_equal(n, 10);
	assert_int_equal(net_search_rebuild(f->db, T_NOW), JM_OK);
	assert_int_equal(net_search_sync(f->db, T_NOW, 10, &left), JM_OK);
	assert_int_equal(left, 0);
	q.q = "共通";
	assert_int_equal(net_search(f->db, f->a, &q, &h, &n, &total, &err), JM_OK);
	assert_int_equal(total, NET_SEARCH_TOTAL_MAX);
	q.q = "異なる";
	assert_int_equal(net_search(f->db, f->a, &q, &h, &n, &total, &err), JM_OK);
	assert_int_equal(total, 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_japanese_everywhere, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_folding, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ranking_and_snippet, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_flags_and_filters, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_hostile_syntax, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_queries, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_dirty_tracking, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_sync_total_and_rebuild, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
