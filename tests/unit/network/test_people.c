/* Unit tests for src/network/people.c, people_list.c and timeline.c:
 * create/get/update round trip in Japanese, every validation error naming
 * its field and changing nothing, email conflicts, stage history, flags,
 * list filters, sorts and pagination (and that the common list is an index
 * walk), bulk all-or-nothing, delete cascades, and the merged timeline.
 * people_list.c is included to reach its SQL for EXPLAIN QUERY PLAN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../../src/network/people_list.c"
#include "../site/site_testdb.h"

#define NOW 1700000000
#define DAY 86400

static int64_t create_ok(struct db *db, const char *name, const char *email, const char *stage)
{
	struct net_person_input in = {.name = name, .email = email, .stage = stage};
	struct jm_err err = {0};
	int64_t id = 0;
	if (net_person_create(db, &in, NOW, &id, &err) != JM_OK)
		fail_msg("create %s: %s %s", name, err.field, err.msg);
	return id;
}

static int64_t people_count(struct db *db)
{
	return q_int(db, "SELECT count(*) FROM people", 0);
}

static void test_round_trip(void **state)
{
	struct db *db = *state;
	struct net_link links[2] = {{"site", "https://example.jp/山田"},
	                            {"x", "http://x.com/yamada"}};
	const char *tags[2] = {"出版", "セミナー"};
	const char *keys[2] = {"会社規模", "interest"}, *vals[2] = {"10人", "出版\n採用"};
	struct net_person_input in = {.email = " Taro.Yamada@Example.JP ",
	                              .name = "山田 太郎",
	                              .furigana = "やまだ たろう",
	                              .company = "山田出版",
	                              .title = "編集長",
	                              .source = "seminar:2026",
	                              .can_offer = "編集の相談",
	                              .looking_for = "イラストレーター",
	                              .notes_md = "# メモ\n異業種交流会で会った",
	                              .links = links,
	                              .nlinks = 2,
	                              .tags = tags,
	                              .ntags = 2,
	                              .field_keys = keys,
	                              .field_vals = vals,
	                              .nfields = 2,
	                              .touch_days = 30,
	                              .stage = "acquaintance"};
	struct jm_err err = {0};
	int64_t id = 0;
	assert_int_equal(net_person_create(db, &in, NOW, &id, &err), JM_OK);
	struct arena *a = arena_new(4096);
	struct net_person p;
	assert_int_equal(net_person_get(db, a, id, &p), JM_OK);
	assert_string_equal(p.email, "taro.yamada@example.jp");
	assert_string_equal(p.name, "山田 太郎");
	assert_string_equal(p.furigana, "やまだ たろう");
	assert_string_equal(p.company, "山田出版");
	assert_string_equal(p.title, "編集長");
	assert_string_equal(p.stage, "acquaintance");
	assert_string_equal(p.source, "seminar:2026");
	assert_string_equal(p.can_offer, "編集の相談");
	assert_string_equal(p.looking_for, "イラストレーター");
	assert_string_equal(p.notes_md, "# メモ\n異業種交流会で会った");
	assert_int_equal(p.touch_days, 30);
	assert_int_equal(p.created_at, NOW);
	assert_int_equal(p.stage_at, NOW);
	assert_int_equal(p.last_contact_at, 0);
	assert_int_equal(p.nlinks, 2);
	assert_string_equal(p.links[0].kind, "site");
	assert_string_equal(p.links[0].url, "https://example.jp/山田");
	assert_string_equal(p.links[1].url, "http://x.com/yamada");
	assert_int_equal(p.ntags, 2);
	assert_string_equal(p.tags[0], "セミナー"); /* sorted */
	assert_string_equal(p.tags[1], "出版");
	assert_int_equal(p.nfields, 2);
	assert_string_equal(p.field_keys[0], "interest");
	assert_string_equal(p.field_vals[0], "出版\n採用");
	assert_string_equal(p.field_vals[1], "10人");
	assert_false(p.freeloader);
	assert_false(p.blocked);

	/* A partial update changes only what it names. */
	const char *tags2[1] = {"採用"};
	struct net_person_input up = {.company = "山田書店",
	                              .has_company = true,
	                              .tags = tags2,
	                              .ntags = 1,
	                              .has_tags = true,
	                              .touch_days = 0,
	                              .has_touch_days = true};
	assert_int_equal(net_person_update(db, id, &up, NOW + 10, &err), JM_OK);
	assert_int_equal(net_person_get(db, a, id, &p), JM_OK);
	assert_string_equal(p.company, "山田書店");
	assert_string_equal(p.name, "山田 太郎");
	assert_string_equal(p.email, "taro.yamada@example.jp");
	assert_int_equal(p.ntags, 1);
	assert_string_equal(p.tags[0], "採用");
	assert_int_equal(p.nlinks, 2);
	assert_int_equal(p.nfields, 2);
	assert_int_equal(p.touch_days, 0);
	assert_int_equal(p.updated_at, NOW + 10);
	assert_true(q_int(db, "SELECT touch_days IS NULL FROM people WHERE id = ?", id));

	/* "" clears the email (stored NULL); links and fields can be emptied. */
	struct net_person_input clr = {
	        .email = "", .has_email = true, .has_links = true, .has_fields = true};
	assert_int_equal(net_person_update(db, id, &clr, NOW + 20, &err), JM_OK);
	assert_int_equal(net_person_get(db, a, id, &p), JM_OK);
	assert_string_equal(p.email, "");
	assert_int_equal(p.nlinks, 0);
	assert_int_equal(p.nfields, 0);
	assert_true(q_int(db, "SELECT email IS NULL FROM people WHERE id = ?", id));
	assert_int_equal(net_person_get(db, a, id + 100, &p), JM_NOT_FOUND);
	assert_int_equal(net_person_update(db, id + 100, &up, NOW, &err), JM_NOT_FOUND);
	arena_free(a);
}

/* One bad input: JM_INVALID naming field, on create and on update, with
 * nothing changed. */
static void expect_bad(struct db *db, int64_t victim, struct net_person_input in, const char *field)
{
	struct jm_err err = {0};
	int64_t id = 0, before = people_count(db);
	int64_t upd = q_int(db, "SELECT updated_at FROM people WHERE id = ?", victim);
	int64_t links = q_int(db, "SELECT count(*) FROM person_links", 0);
	int64_t tags = q_int(db, "SELECT count(*) FROM person_tags", 0);
	if (net_person_create(db, &in, NOW, &id, &err) != JM_INVALID)
		fail_msg("create accepted bad %s", field);
	assert_string_equal(err.field, field);
	assert_int_equal(people_count(db), before);
	if (!strcmp(field, "stage") || !strcmp(field, "name"))
		goto counts; /* create-only rules */
	in.has_email = in.email != NULL;
	in.has_name = in.name != NULL;
	in.has_furigana = in.furigana != NULL;
	in.has_company = in.company != NULL;
	in.has_title = in.title != NULL;
	in.has_source = in.source != NULL;
	in.has_can_offer = in.can_offer != NULL;
	in.has_looking_for = in.looking_for != NULL;
	in.has_notes = in.notes_md != NULL;
	in.has_links = in.nlinks > 0;
	in.has_tags = in.ntags > 0;
	in.has_fields = in.nfields > 0;
	in.has_touch_days = in.touch_days != 0;
	memset(&err, 0, sizeof(err));
	if (net_person_update(db, victim, &in, NOW + 99, &err) != JM_INVALID)
		fail_msg("update accepted bad %s", field);
	assert_string_equal(err.field, field);
	assert_int_equal(q_int(db, "SELECT updated_at FROM people WHERE id = ?", victim), upd);
counts:
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_links", 0), links);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_tags", 0), tags);
}

static void test_validation(void **state)
{
	struct db *db = *state;
	int64_t v = create_ok(db, "検証", "v@example.jp", NULL);
	char long201[202], long2001[2002], tag61[62];
	memset(long201, 'a', 201);
	long201[201] = '\0';
	memset(long2001, 'b', 2001);
	long2001[2001] = '\0';
	memset(tag61, 't', 61);
	tag61[61] = '\0';
	char *notes = xmalloc(100002);
	memset(notes, 'n', 100001);
	notes[100001] = '\0';
	expect_bad(db, v, (struct net_person_input){.name = long201}, "name");
	expect_bad(db, v, (struct net_person_input){.name = "山田\n太郎"}, "name");
	expect_bad(db, v, (struct net_person_input){.name = "x", .furigana = "や\tま"}, "furigana");
	expect_bad(db, v, (struct net_person_input){.name = "x", .company = long201}, "company");
	expect_bad(db, v, (struct net_person_input){.name = "x", .title = "a\x01"}, "title");
	expect_bad(db, v, (struct net_person_input){.name = "x", .source = "s\r"}, "source");
	expect_bad(db, v, (struct net_person_input){.name = "x", .email = "not-an-email"}, "email");
	expect_bad(db, v, (struct net_person_input){.name = "x", .email = "a@b.jp\r\nBcc: x@y.z"},
	           "email");
	expect_bad(db, v, (struct net_person_input){.name = "x", .can_offer = long2001},
	           "can_offer");
	expect_bad(db, v, (struct net_person_input){.name = "x", .looking_for = "\xff\xfe"},
	           "looking_for");
	expect_bad(db, v, (struct net_person_input){.name = "x", .notes_md = notes}, "notes");
	struct net_link many[21];
	for (int i = 0; i < 21; i++)
		many[i] = (struct net_link){"site", "https://example.jp/"};
	expect_bad(db, v, (struct net_person_input){.name = "x", .links = many, .nlinks = 21},
	           "links");
	static const struct net_link bad_links[][1] = {
	        {{"site", "ftp://example.jp/"}}, {{"site", "javascript:alert(1)"}},
	        {{"site", "https://"}},          {{"site", "https://a b.jp/"}},
	        {{"", "https://example.jp/"}},   {{"site", "https://e.jp/\"><script>"}}};
	for (size_t i = 0; i < sizeof(bad_links) / sizeof(bad_links[0]); i++)
		expect_bad(
		        db, v,
		        (struct net_person_input){.name = "x", .links = bad_links[i], .nlinks = 1},
		        "links");
	const char *tags51[51];
	for (int i = 0; i < 51; i++)
		tags51[i] = "t";
	expect_bad(db, v, (struct net_person_input){.name = "x", .tags = tags51, .ntags = 51},
	           "tags");
	const char *bad_tag[1] = {tag61}, *empty_tag[1] = {""};
	expect_bad(db, v, (struct net_person_input){.name = "x", .tags = bad_tag, .ntags = 1},
	           "tags");
	expect_bad(db, v, (struct net_person_input){.name = "x", .tags = empty_tag, .ntags = 1},
	           "tags");
	const char *dup_keys[2] = {"k", "k"}, *dup_vals[2] = {"1", "2"};
	expect_bad(
	        db, v,
	        (struct net_person_input){
	                .name = "x", .field_keys = dup_keys, .field_vals = dup_vals, .nfields = 2},
	        "fields");
	const char *empty_key[1] = {""};
	expect_bad(
	        db, v,
	        (struct net_person_input){
	                .name = "x", .field_keys = empty_key, .field_vals = dup_vals, .nfields = 1},
	        "fields");
	expect_bad(db, v, (struct net_person_input){.name = "x", .touch_days = -1}, "touch_days");
	expect_bad(db, v, (struct net_person_input){.name = "x", .touch_days = 3651}, "touch_days");
	expect_bad(db, v, (struct net_person_input){.name = "x", .stage = "boss"}, "stage");
	expect_bad(db, v, (struct net_person_input){.name = ""}, "name");
	free(notes);
	/* At the caps: accepted. */
	long201[200] = '\0';
	struct net_person_input ok = {.name = long201, .company = long201, .touch_days = 3650};
	struct jm_err err = {0};
	int64_t id = 0;
	assert_int_equal(net_person_create(db, &ok, NOW, &id, &err), JM_OK);
}

static void test_conflict(void **state)
{
	struct db *db = *state;
	int64_t a = create_ok(db, "A", "a@example.jp", NULL);
	int64_t b = create_ok(db, "B", "b@example.jp", NULL);
	struct net_person_input in = {.name = "C", .email = "A@Example.JP"};
	struct jm_err err = {0};
	int64_t id = 0, before = people_count(db);
	assert_int_equal(net_person_create(db, &in, NOW, &id, &err), JM_CONFLICT);
	assert_string_equal(err.field, "email");
	assert_int_equal(people_count(db), before);
	assert_int_equal(q_int(db, "SELECT count(*) FROM stage_changes", 0), 2);
	struct net_person_input up = {
	        .email = "a@example.jp", .has_email = true, .name = "B2", .has_name = true};
	memset(&err, 0, sizeof(err));
	assert_int_equal(net_person_update(db, b, &up, NOW, &err), JM_CONFLICT);
	assert_string_equal(err.field, "email");
	struct arena *ar = arena_new(1024);
	struct net_person p;
	assert_int_equal(net_person_get(db, ar, b, &p), JM_OK);
	assert_string_equal(p.email, "b@example.jp");
	assert_string_equal(p.name, "B");
	/* Its own email again is fine. */
	up.email = "B@example.jp";
	assert_int_equal(net_person_update(db, b, &up, NOW, &err), JM_OK);
	assert_int_equal(a + 1, b);
	arena_free(ar);
}

static void test_stage_history(void **state)
{
	struct db *db = *state;
	struct net_person_input in = {.name = "段階", .source = "contact"};
	struct jm_err err = {0};
	int64_t id = 0, plain = create_ok(db, "手入力", NULL, "fan");
	assert_int_equal(net_person_create(db, &in, NOW, &id, &err), JM_OK);
	assert_int_equal(net_person_set_stage(db, id, "fan", "返信をくれた", NOW + DAY, &err),
	                 JM_OK);
	assert_int_equal(net_person_set_stage(db, id, "fan", "again", NOW + 2 * DAY, &err), JM_OK);
	assert_int_equal(net_person_set_stage(db, id, "acquaintance", "セミナーで会った",
	                                      NOW + 3 * DAY, &err),
	                 JM_OK);
	assert_int_equal(net_person_set_stage(db, id, "boss", "", NOW, &err), JM_INVALID);
	assert_string_equal(err.field, "stage");
	char reason[502];
	memset(reason, 'r', 501);
	reason[501] = '\0';
	assert_int_equal(net_person_set_stage(db, id, "network", reason, NOW, &err), JM_INVALID);
	assert_string_equal(err.field, "reason");
	assert_int_equal(net_person_set_stage(db, id + 99, "network", "", NOW, &err), JM_NOT_FOUND);
	struct arena *a = arena_new(1024);
	struct net_stage_change *h = NULL;
	size_t n = 0;
	assert_int_equal(net_stage_history(db, a, id, &h, &n), JM_OK);
	assert_int_equal(n, 3);
	assert_string_equal(h[0].from, "");
	assert_string_equal(h[0].to, "reader");
	assert_string_equal(h[0].reason, "contact");
	assert_int_equal(h[0].at, NOW);
	assert_string_equal(h[1].from, "reader");
	assert_string_equal(h[1].to, "fan");
	assert_string_equal(h[1].reason, "返信をくれた");
	assert_string_equal(h[2].from, "fan");
	assert_string_equal(h[2].to, "acquaintance");
	assert_string_equal(h[2].reason, "セミナーで会った");
	assert_int_equal(h[2].at, NOW + 3 * DAY);
	struct net_person p;
	assert_int_equal(net_person_get(db, a, id, &p), JM_OK);
	assert_string_equal(p.stage, "acquaintance");
	assert_int_equal(p.stage_at, NOW + 3 * DAY);
	assert_int_equal(net_stage_history(db, a, plain, &h, &n), JM_OK);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].to, "fan");
	assert_string_equal(h[0].reason, "created");
	/* Nothing but the history: no event rows. */
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_events", 0), 0);
	arena_free(a);
}

static void test_flags(void **state)
{
	struct db *db = *state;
	int64_t id = create_ok(db, "クレクレ", "k@example.jp", NULL);
	struct jm_err err = {0};
	assert_int_equal(net_person_set_flag(db, id, "freeloader", true, NOW + 1, &err), JM_OK);
	assert_int_equal(net_person_set_flag(db, id, "freeloader", true, NOW + 1, &err), JM_OK);
	assert_int_equal(net_person_set_flag(db, id, "blocked", true, NOW + 2, &err), JM_OK);
	assert_int_equal(net_person_set_flag(db, id, "blocked", false, NOW + 3, &err), JM_OK);
	assert_int_equal(net_person_set_flag(db, id, "vip", true, NOW, &err), JM_INVALID);
	assert_string_equal(err.field, "flag");
	assert_int_equal(net_person_set_flag(db, id + 9, "blocked", true, NOW, &err), JM_NOT_FOUND);
	struct arena *a = arena_new(1024);
	struct net_person p;
	assert_int_equal(net_person_get(db, a, id, &p), JM_OK);
	assert_true(p.freeloader);
	assert_false(p.blocked);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_events WHERE kind = 'flag'", 0), 3);
	struct net_event *ev = NULL;
	size_t n = 0;
	assert_int_equal(net_timeline(db, a, id, 10, &ev, &n), JM_OK);
	assert_int_equal(n, 4);
	assert_string_equal(ev[0].kind, "flag");
	assert_string_equal(ev[0].title, "blocked off");
	assert_string_equal(ev[2].title, "freeloader on");
	assert_string_equal(ev[3].kind, "stage");
	arena_free(a);
}

static void list_ok(struct db *db, struct arena *a, struct net_people_query q, int64_t want_total,
                    const char *const *want_names, size_t want_n)
{
	struct net_person *v = NULL;
	size_t n = 0;
	int64_t total = -1;
	assert_int_equal(net_people_list(db, a, &q, &v, &n, &total), JM_OK);
	assert_int_equal(total, want_total);
	assert_int_equal(n, want_n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i].name, want_names[i]);
}

/* Six people: engagement, furigana, last contact, tags, flags, sources. */
static void list_fixture(struct db *db)
{
	create_ok(db, "伊藤", "ito@example.jp", "network");         /* 1 */
	create_ok(db, "上田", "ueda@example.jp", "network");        /* 2 */
	create_ok(db, "Alice", "alice@example.com", "fan");         /* 3 */
	create_ok(db, "加藤", "kato@example.jp", "network");        /* 4 */
	create_ok(db, "佐藤", "sato@example.jp", "reader");         /* 5 */
	create_ok(db, "江口", "eguchi@example.jp", "acquaintance"); /* 6 */
	exec_ok(db, "UPDATE people SET engagement = 10 * id, furigana = CASE id "
	            "WHEN 1 THEN 'いとう' WHEN 2 THEN 'うえだ' WHEN 4 THEN 'かとう' "
	            "WHEN 5 THEN 'さとう' WHEN 6 THEN 'えぐち' ELSE '' END, "
	            "last_contact_at = CASE id WHEN 1 THEN 1000 WHEN 2 THEN 3000 "
	            "WHEN 4 THEN 2000 WHEN 6 THEN 5000 ELSE NULL END, "
	            "source = CASE id WHEN 1 THEN 'import:a.csv' WHEN 2 THEN 'import:b.csv' "
	            "WHEN 3 THEN 'contact' ELSE 'admin' END, "
	            "freeloader = (id = 4), blocked = (id = 5)");
	exec_ok(db, "INSERT INTO person_tags(person_id, tag) VALUES (1, '出版'), (4, '出版'), "
	            "(3, '出版'), (2, '採用')");
}

static void test_list(void **state)
{
	struct db *db = *state;
	list_fixture(db);
	struct arena *a = arena_new(8192);
	list_ok(db, a, (struct net_people_query){0}, 6,
	        (const char *[]){"江口", "佐藤", "加藤", "Alice", "上田", "伊藤"}, 6);
	list_ok(db, a, (struct net_people_query){.stage = "network"}, 3,
	        (const char *[]){"加藤", "上田", "伊藤"}, 3);
	list_ok(db, a, (struct net_people_query){.sort = NET_SORT_NAME}, 6,
	        (const char *[]){"Alice", "伊藤", "上田", "江口", "加藤", "佐藤"}, 6);
	list_ok(db, a, (struct net_people_query){.sort = NET_SORT_LAST_CONTACT}, 6,
	        (const char *[]){"江口", "上田", "加藤", "伊藤", "佐藤", "Alice"}, 6);
	list_ok(db, a, (struct net_people_query){.stage = "network", .sort = NET_SORT_LAST_CONTACT},
	        3, (const char *[]){"上田", "加藤", "伊藤"}, 3);
	list_ok(db, a, (struct net_people_query){.sort = NET_SORT_CREATED}, 6,
	        (const char *[]){"江口", "佐藤", "加藤", "Alice", "上田", "伊藤"}, 6);
	list_ok(db, a, (struct net_people_query){.tag = "出版"}, 3,
	        (const char *[]){"加藤", "Alice", "伊藤"}, 3);
	list_ok(db, a, (struct net_people_query){.tag = "出版", .stage = "network"}, 2,
	        (const char *[]){"加藤", "伊藤"}, 2);
	list_ok(db, a, (struct net_people_query){.flag = "freeloader"}, 1, (const char *[]){"加藤"},
	        1);
	list_ok(db, a, (struct net_people_query){.flag = "blocked"}, 1, (const char *[]){"佐藤"},
	        1);
	list_ok(db, a, (struct net_people_query){.flag = "none"}, 4,
	        (const char *[]){"江口", "Alice", "上田", "伊藤"}, 4);
	list_ok(db, a, (struct net_people_query){.source = "import"}, 2,
	        (const char *[]){"上田", "伊藤"}, 2);
	list_ok(db, a, (struct net_people_query){.source = "import:a"}, 1, (const char *[]){"伊藤"},
	        1);
	list_ok(db, a, (struct net_people_query){.contact_before = 2500}, 4,
	        (const char *[]){"佐藤", "加藤", "Alice", "伊藤"}, 4);
	list_ok(db, a, (struct net_people_query){.contact_after = 2000}, 3,
	        (const char *[]){"江口", "加藤", "上田"}, 3);
	list_ok(db, a, (struct net_people_query){.contact_after = 1500, .contact_before = 4000}, 2,
	        (const char *[]){"加藤", "上田"}, 2);
	/* Pages: the total stays, the rows move on; past the end is empty. */
	list_ok(db, a, (struct net_people_query){.per_page = 4, .page = 2}, 6,
	        (const char *[]){"上田", "伊藤"}, 2);
	list_ok(db, a, (struct net_people_query){.per_page = 2, .page = 2, .sort = NET_SORT_NAME},
	        6, (const char *[]){"上田", "江口"}, 2);
	list_ok(db, a, (struct net_people_query){.per_page = 2, .page = 9}, 6, NULL, 0);
	struct net_person *v = NULL;
	size_t n = 0;
	int64_t total = 0;
	struct net_people_query bad = {.stage = "boss"};
	assert_int_equal(net_people_list(db, a, &bad, &v, &n, &total), JM_INVALID);
	bad = (struct net_people_query){.flag = "vip"};
	assert_int_equal(net_people_list(db, a, &bad, &v, &n, &total), JM_INVALID);
	/* Lists carry no notes. */
	exec_ok(db, "UPDATE people SET notes_md = 'long notes'");
	struct net_people_query one = {.per_page = 1};
	assert_int_equal(net_people_list(db, a, &one, &v, &n, &total), JM_OK);
	assert_string_equal(v[0].notes_md, "");
	arena_free(a);
}

/* The query plan of a list variant: index walks, never a sort of all rows. */
static void plan_of(struct db *db, const struct net_people_query *q, bool count, struct buf *out)
{
	unsigned mask = 0;
	assert_int_equal(plan(q, &mask), JM_OK);
	if (count)
		mask = (mask & 0xff) | F_COUNT;
	struct buf b = BUF_INIT;
	assert_int_equal(buf_appendf(&b, "EXPLAIN QUERY PLAN %s", sql_for(mask)), JM_OK);
	struct db_stmt *st = NULL;
	assert_int_equal(db_prepare(db, buf_cstr(&b), &st), JM_OK);
	char hi[206];
	bind_filters(st, q, mask, hi);
	while (db_step(st) == JM_OK)
		assert_int_equal(buf_appendf(out, "%s\n", db_col_text(st, 3, NULL)), JM_OK);
	db_finalize(st);
	buf_free(&b);
}

static void test_list_plan(void **state)
{
	struct db *db = *state;
	list_fixture(db);
	struct buf p = BUF_INIT;
	struct net_people_query q = {.stage = "network"};
	plan_of(db, &q, false, &p);
	assert_non_null(strstr(buf_cstr(&p), "people_stage_engagement"));
	assert_null(strstr(buf_cstr(&p), "TEMP B-TREE"));
	buf_reset(&p);
	plan_of(db, &q, true, &p);
	assert_non_null(strstr(buf_cstr(&p), "COVERING INDEX"));
	buf_reset(&p);
	q = (struct net_people_query){0};
	plan_of(db, &q, false, &p);
	assert_non_null(strstr(buf_cstr(&p), "people_engagement"));
	assert_null(strstr(buf_cstr(&p), "TEMP B-TREE"));
	buf_reset(&p);
	q = (struct net_people_query){.stage = "network", .sort = NET_SORT_LAST_CONTACT};
	plan_of(db, &q, false, &p);
	assert_non_null(strstr(buf_cstr(&p), "people_stage_contact"));
	assert_null(strstr(buf_cstr(&p), "TEMP B-TREE"));
	buf_reset(&p);
	q = (struct net_people_query){.sort = NET_SORT_CREATED, .flag = "none"};
	plan_of(db, &q, false, &p);
	assert_null(strstr(buf_cstr(&p), "TEMP B-TREE"));
	buf_reset(&p);
	q = (struct net_people_query){.sort = NET_SORT_NAME};
	plan_of(db, &q, false, &p);
	/* The name sort sorts (no furigana index: it cost every import). */
	assert_non_null(strstr(buf_cstr(&p), "TEMP B-TREE"));
	buf_free(&p);
}

static void test_bulk(void **state)
{
	struct db *db = *state;
	int64_t a = create_ok(db, "一", NULL, NULL), b = create_ok(db, "二", NULL, NULL);
	int64_t c = create_ok(db, "三", NULL, NULL);
	struct jm_err err = {0};
	int64_t ids[3] = {a, b, c}, with_bad[3] = {a, c + 50, b};
	assert_int_equal(net_people_bulk(db, NET_BULK_TAG, ids, 2, "出版", NOW, &err), JM_OK);
	assert_int_equal(net_people_bulk(db, NET_BULK_TAG, ids, 3, "出版", NOW, &err), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_tags WHERE tag = '出版'", 0), 3);
	/* One unknown id: nothing happens to the others. */
	assert_int_equal(net_people_bulk(db, NET_BULK_TAG, with_bad, 3, "採用", NOW, &err),
	                 JM_NOT_FOUND);
	assert_string_equal(err.field, "ids");
	assert_int_equal(q_int(db, "SELECT count(*) FROM person_tags WHERE tag = '採用'", 0), 0);
	assert_int_equal(net_people_bulk(db, NET_BULK_STAGE, with_bad, 3, "fan", NOW, &err),
	                 JM_NOT_FOUND);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE stage = 'fan'", 0), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM stage_changes", 0), 3);
	assert_int_equal(net_people_bulk(db, NET_BULK_STAGE, ids, 3, "fan", NOW + 5, &err), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE stage = 'fan'", 0), 3);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM stage_changes WHERE reason = 'bulk' AND "
	                       "from_stage = 'reader' AND to_stage = 'fan'",
	                       0),
	                 3);
	assert_int_equal(net_people_bulk(db, NET_BULK_UNTAG, ids, 2, "出版", NOW, &err), JM_OK);
	assert_int_equal(q_int(db, "SELECT person_id FROM person_tags WHERE tag = '出版'", 0), c);
	assert_int_equal(net_people_bulk(db, NET_BULK_STAGE, ids, 3, "boss", NOW, &err),
	                 JM_INVALID);
	assert_string_equal(err.field, "arg");
	assert_int_equal(net_people_bulk(db, NET_BULK_TAG, ids, 3, "", NOW, &err), JM_INVALID);
	assert_string_equal(err.field, "arg");
	assert_int_equal(net_people_bulk(db, NET_BULK_TAG, ids, 0, "x", NOW, &err), JM_INVALID);
	assert_string_equal(err.field, "ids");
}

static void test_give_take_and_delete(void **state)
{
	struct db *db = *state;
	int64_t id = create_ok(db, "削除", "del@example.jp", NULL);
	int64_t other = create_ok(db, "残る", "keep@example.jp", NULL);
	struct net_link l[1] = {{"site", "https://example.jp"}};
	const char *t[1] = {"x"}, *k[1] = {"k"}, *v[1] = {"v"};
	struct net_person_input up = {.links = l,
	                              .nlinks = 1,
	                              .has_links = true,
	                              .tags = t,
	                              .ntags = 1,
	                              .has_tags = true,
	                              .field_keys = k,
	                              .field_vals = v,
	                              .nfields = 1,
	                              .has_fields = true};
	struct jm_err err = {0};
	assert_int_equal(net_person_update(db, id, &up, NOW, &err), JM_OK);
	assert_int_equal(net_event_add(db, id, "subscribed", "news", NOW), JM_OK);
	exec_ok(db, "INSERT INTO interactions(person_id, kind, happened_at, created_at) VALUES "
	            "(1, 'help_given', 1, 1), (1, 'help_given', 2, 2), (1, 'help_received', 3, 3), "
	            "(1, 'referral', 4, 4), (1, 'meal', 5, 5), (2, 'help_given', 6, 6)");
	exec_ok(db, "INSERT INTO messages(person_id, msgid, created_at, updated_at) "
	            "VALUES (1, '<m@x>', 1, 1)");
	exec_ok(db, "INSERT INTO introductions(introducer_id, person_id, happened_at, created_at) "
	            "VALUES (2, 1, 1, 1)");
	struct arena *a = arena_new(1024);
	struct net_person p;
	assert_int_equal(net_person_get(db, a, id, &p), JM_OK);
	assert_int_equal(p.given, 2);
	assert_int_equal(p.received, 2);
	assert_int_equal(net_person_delete(db, id), JM_OK);
	assert_int_equal(net_person_delete(db, id), JM_NOT_FOUND);
	static const char *const tables[] = {
	        "SELECT count(*) FROM person_links",
	        "SELECT count(*) FROM person_tags",
	        "SELECT count(*) FROM person_fields",
	        "SELECT count(*) FROM person_events",
	        "SELECT count(*) FROM messages",
	        "SELECT count(*) FROM introductions",
	        "SELECT count(*) FROM stage_changes WHERE person_id = 1",
	        "SELECT count(*) FROM interactions WHERE person_id = 1"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		assert_int_equal(q_int(db, tables[i], 0), 0);
	assert_int_equal(net_person_get(db, a, other, &p), JM_OK);
	assert_int_equal(p.given, 1);
	arena_free(a);
}

static void test_timeline(void **state)
{
	struct db *db = *state;
	struct net_person_input in = {
	        .name = "時系列", .email = "t@example.jp", .source = "contact"};
	struct jm_err err = {0};
	int64_t id = 0;
	assert_int_equal(net_person_create(db, &in, 100, &id, &err), JM_OK); /* id 1 */
	create_ok(db, "紹介者", NULL, NULL);                                 /* 2 */
	create_ok(db, "相手", NULL, NULL);                                   /* 3 */
	exec_ok(db, "INSERT INTO settings(key, value) VALUES ('owner_name', 'オーナー')");
	assert_int_equal(net_event_add(db, id, "subscribed", "news", 200), JM_OK);
	assert_int_equal(net_person_set_stage(db, id, "fan", "tips", 300, &err), JM_OK);
	exec_ok(db, "INSERT INTO messages(id, person_id, category, subject, body, msgid, "
	            "created_at, updated_at) VALUES (7, 1, '情報提供', '', '本文です', '<a@x>', "
	            "400, 400), (8, 1, '取材', '取材のお願い', '本文2', '<b@x>', 450, 450)");
	exec_ok(db, "INSERT INTO message_replies(message_id, subject, body, msgid, created_at) "
	            "VALUES (8, 'Re: 取材のお願い', '承知しました', '<c@x>', 500)");
	exec_ok(db, "INSERT INTO interactions(id, person_id, kind, happened_at, note, amount, "
	            "created_at) VALUES (5, 1, 'meal', 600, '会食\n楽しかった', 12000, 600), "
	            "(6, 3, 'call', 650, 'other person', NULL, 650)");
	exec_ok(db, "INSERT INTO introductions(id, introducer_id, person_id, to_id, happened_at, "
	            "note, created_at) VALUES (1, 2, 1, NULL, 700, '紹介された', 700), "
	            "(2, NULL, 3, 1, 800, '私が紹介', 800), (3, NULL, 2, 3, 900, 'no', 900)");
	struct arena *a = arena_new(4096);
	struct net_event *ev = NULL;
	size_t n = 0;
	assert_int_equal(net_timeline(db, a, id, 50, &ev, &n), JM_OK);
	assert_int_equal(n, 9);
	assert_string_equal(ev[0].kind, "introduction");
	assert_string_equal(ev[0].title, "オーナー: 相手 ↔ 時系列");
	assert_string_equal(ev[0].detail, "私が紹介");
	assert_int_equal(ev[0].at, 800);
	assert_int_equal(ev[0].ref_id, 2);
	assert_int_equal(ev[0].other_id, 3);
	assert_string_equal(ev[1].title, "紹介者: 時系列 ↔ オーナー");
	assert_int_equal(ev[1].other_id, 2);
	assert_string_equal(ev[2].kind, "interaction");
	assert_string_equal(ev[2].title, "meal");
	assert_string_equal(ev[2].detail, "会食\n楽しかった");
	assert_true(ev[2].has_amount);
	assert_int_equal(ev[2].amount, 12000);
	assert_int_equal(ev[2].ref_id, 5);
	assert_string_equal(ev[3].kind, "reply");
	assert_string_equal(ev[3].title, "Re: 取材のお願い");
	assert_int_equal(ev[3].ref_id, 8);
	assert_string_equal(ev[4].kind, "message");
	assert_string_equal(ev[4].title, "取材のお願い");
	assert_string_equal(ev[5].title, "情報提供"); /* no subject: the category */
	assert_string_equal(ev[5].detail, "本文です");
	assert_int_equal(ev[5].ref_id, 7);
	assert_false(ev[5].has_amount);
	assert_string_equal(ev[6].kind, "stage");
	assert_string_equal(ev[6].title, "reader → fan");
	assert_string_equal(ev[6].detail, "tips");
	assert_string_equal(ev[7].kind, "subscribed");
	assert_string_equal(ev[7].title, "news");
	assert_string_equal(ev[8].kind, "stage");
	assert_string_equal(ev[8].title, "reader");
	assert_string_equal(ev[8].detail, "contact");
	assert_int_equal(net_timeline(db, a, id, 3, &ev, &n), JM_OK);
	assert_int_equal(n, 3);
	assert_string_equal(ev[2].kind, "interaction");
	/* Without owner_name, the owner account's name stands in. */
	exec_ok(db, "DELETE FROM settings WHERE key = 'owner_name'");
	exec_ok(db, "INSERT INTO users(email, name, role, password_hash, created_at) "
	            "VALUES ('o@example.jp', '主', 'owner', 'x', 1)");
	assert_int_equal(net_timeline(db, a, 3, 50, &ev, &n), JM_OK);
	size_t i = 0;
	while (i < n && strcmp(ev[i].kind, "introduction"))
		i++;
	assert_true(i < n);
	assert_string_equal(ev[i].title, "主: 紹介者 ↔ 相手");
	assert_int_equal(ev[i].other_id, 2);
	assert_int_equal(net_timeline(db, a, 99, 50, &ev, &n), JM_OK);
	assert_int_equal(n, 0);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_round_trip, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_validation, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_conflict, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_stage_history, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_flags, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_list, site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_list_plan, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_bulk, site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_give_take_and_delete, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_timeline, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
