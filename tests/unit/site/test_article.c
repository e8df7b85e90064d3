/* Unit tests for src/site/article.c: CRUD, slugs, validation, scheduling,
 * pagination, tag filters and the raw-HTML trust of a body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site_testdb.h"

static struct article_input input(const char *title, const char *slug, const char *status)
{
	struct article_input in = {0};
	in.title = title;
	in.has_title = true;
	if (slug) {
		in.slug = slug;
		in.has_slug = true;
	}
	if (status) {
		in.status = status;
		in.has_status = true;
	}
	return in;
}

static int64_t create(struct db *db, struct article_input *in)
{
	int64_t id = 0;
	struct jm_err err = {0};
	enum jm_rc rc = site_article_create(db, in, 0, &id, &err);
	if (rc)
		fail_msg("create: %s %s: %s", jm_rc_name(rc), err.field, err.msg);
	return id;
}

static void test_crud(void **state)
{
	struct db *db = *state;
	const char *tags[] = {"人脈", " C言語 ", "人脈", ""};
	struct article_input in = input("Hello, World 2026!", NULL, "published");
	in.body_md = "# 本文\n\nテキスト";
	in.has_body = true;
	in.tags = tags;
	in.ntags = 4;
	in.has_tags = true;
	int64_t id = create(db, &in);
	struct arena *a = arena_new(1024);
	struct article art;
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_string_equal(art.slug, "hello-world-2026");
	assert_string_equal(art.status, "published");
	assert_true(art.published_at > 0 && art.published_at <= jm_now());
	assert_int_equal(art.ntags, 2);
	assert_string_equal(art.tags[0], "C言語");
	assert_string_equal(art.tags[1], "人脈");

	struct article_input up = {0};
	up.title = "新しいタイトル";
	up.has_title = true;
	const char *t2[] = {"東京"};
	up.tags = t2;
	up.ntags = 1;
	up.has_tags = true;
	struct jm_err err = {0};
	assert_int_equal(site_article_update(db, id, &up, &err), JM_OK);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_string_equal(art.title, "新しいタイトル");
	assert_string_equal(art.slug, "hello-world-2026"); /* unchanged */
	assert_string_equal(art.body_md, "# 本文\n\nテキスト");
	assert_int_equal(art.ntags, 1);
	assert_string_equal(art.tags[0], "東京");
	struct tag_count *tc;
	size_t ntc;
	assert_int_equal(site_tag_list(db, a, &tc, &ntc), JM_OK);
	assert_int_equal(ntc, 1); /* orphan tags are gone */

	assert_int_equal(site_article_delete(db, id), JM_OK);
	assert_int_equal(site_article_get(db, a, id, &art), JM_NOT_FOUND);
	assert_int_equal(site_article_delete(db, id), JM_NOT_FOUND);
	assert_int_equal(site_article_update(db, id, &up, &err), JM_NOT_FOUND);
	arena_free(a);
}

static void test_slugs(void **state)
{
	struct db *db = *state;
	struct article_input in = input("First post", "my-post", NULL);
	create(db, &in);
	struct jm_err err = {0};
	in = input("Second", "my-post", NULL);
	assert_int_equal(site_article_create(db, &in, 0, NULL, &err), JM_CONFLICT);
	assert_string_equal(err.field, "slug");
	/* Derived slugs never conflict: they get a suffix. */
	in = input("My Post", NULL, NULL);
	int64_t id = create(db, &in);
	struct arena *a = arena_new(1024);
	struct article art;
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_string_equal(art.slug, "my-post-2");
	/* Issue 8, defect 18: a Japanese title keeps its words (core/slug.c),
	 * not just its digits ("/articles/3"); the same title again gets -2. */
	in = input("フリーランス3年目、人脈は…", NULL, NULL);
	id = create(db, &in);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_string_equal(art.slug, "フリーランス3年目-人脈は");
	in = input("フリーランス3年目、人脈は…", NULL, NULL);
	id = create(db, &in);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_string_equal(art.slug, "フリーランス3年目-人脈は-2");
	/* An explicit Japanese slug is accepted as typed; an unfolded one not. */
	in = input("Explicit", "人脈通信", NULL);
	create(db, &in);
	in = input("Wide", "ＡＢＣ", NULL);
	assert_int_equal(site_article_create(db, &in, 0, NULL, &err), JM_INVALID);
	assert_string_equal(err.field, "slug");
	/* A title without a word character gets post-XXXXXX. */
	in = input("「！？」", NULL, NULL);
	id = create(db, &in);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_int_equal(strncmp(art.slug, "post-", 5), 0);
	assert_int_equal(strlen(art.slug), 11);
	/* Updating to a taken slug is a conflict and changes nothing. */
	struct article_input up = {0};
	up.slug = "my-post";
	up.has_slug = true;
	assert_int_equal(site_article_update(db, id, &up, &err), JM_CONFLICT);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_int_equal(strncmp(art.slug, "post-", 5), 0);
	arena_free(a);
}

static void expect_invalid(struct db *db, struct article_input *in, const char *field)
{
	struct jm_err err = {0};
	assert_int_equal(site_article_create(db, in, 0, NULL, &err), JM_INVALID);
	assert_string_equal(err.field, field);
}

static void test_validation(void **state)
{
	struct db *db = *state;
	struct article_input in = input("ok", "Bad Slug", NULL);
	expect_invalid(db, &in, "slug");
	in = input("ok", "a/b", NULL);
	expect_invalid(db, &in, "slug");
	in = input("", NULL, NULL);
	expect_invalid(db, &in, "title");
	in = input("   ", NULL, NULL);
	expect_invalid(db, &in, "title");
	in = input("two\nlines", NULL, NULL);
	expect_invalid(db, &in, "title");
	in = input("ok", NULL, "archived");
	expect_invalid(db, &in, "status");
	in = input("ok", NULL, NULL);
	const char *many[ARTICLE_TAGS_MAX + 1];
	for (int i = 0; i <= ARTICLE_TAGS_MAX; i++)
		many[i] = "t";
	in.tags = many;
	in.ntags = ARTICLE_TAGS_MAX + 1;
	in.has_tags = true;
	expect_invalid(db, &in, "tags");
	char longtag[TAG_NAME_MAX + 2];
	memset(longtag, 'x', sizeof(longtag) - 1);
	longtag[sizeof(longtag) - 1] = '\0';
	const char *lt[] = {longtag};
	in.tags = lt;
	in.ntags = 1;
	expect_invalid(db, &in, "tags");
	char title[ARTICLE_TITLE_MAX + 2];
	memset(title, 'x', sizeof(title) - 1);
	title[sizeof(title) - 1] = '\0';
	in = input(title, NULL, NULL);
	expect_invalid(db, &in, "title");
	title[ARTICLE_TITLE_MAX] = '\0'; /* exactly at the cap is fine */
	in = input(title, NULL, NULL);
	create(db, &in);
	struct arena *a = arena_new(1024);
	struct article *items;
	size_t n;
	int64_t total;
	struct article_query q = {.page = 1, .per_page = 10};
	assert_int_equal(site_article_list(db, a, &q, &items, &n, &total), JM_OK);
	assert_int_equal(total, 1); /* nothing else was stored */
	arena_free(a);
}

static void test_scheduled(void **state)
{
	struct db *db = *state;
	int64_t future = jm_now() + 3600;
	struct article_input in = input("Later", "later", "published");
	in.published_at = future;
	in.has_published_at = true;
	int64_t id = create(db, &in);
	in = input("Now", "now", "published");
	create(db, &in);
	in = input("Draft", "draft", "draft");
	create(db, &in);
	struct arena *a = arena_new(1024);
	struct article art;
	assert_int_equal(site_article_get_public(db, a, "later", &art), JM_NOT_FOUND);
	assert_int_equal(site_article_get_public(db, a, "draft", &art), JM_NOT_FOUND);
	assert_int_equal(site_article_get_public(db, a, "now", &art), JM_OK);
	assert_int_equal(site_next_scheduled(db), future);
	struct article_query q = {.public_only = true, .page = 1, .per_page = 10};
	struct article *items;
	size_t n;
	int64_t total;
	assert_int_equal(site_article_list(db, a, &q, &items, &n, &total), JM_OK);
	assert_int_equal(total, 1);
	/* Once its time has passed, it is public. */
	struct article_input up = {0};
	up.published_at = jm_now() - 1;
	up.has_published_at = true;
	assert_int_equal(site_article_update(db, id, &up, NULL), JM_OK);
	assert_int_equal(site_article_get_public(db, a, "later", &art), JM_OK);
	assert_int_equal(site_next_scheduled(db), 0);
	arena_free(a);
}

static void test_list_pages_and_tags(void **state)
{
	struct db *db = *state;
	const char *jp[] = {"日本語タグ"};
	for (int i = 0; i < 25; i++) {
		char title[32], slug[32];
		snprintf(title, sizeof(title), "Article %d", i);
		snprintf(slug, sizeof(slug), "a-%d", i);
		struct article_input in = input(title, slug, "published");
		in.published_at = jm_now() - 1000 + i;
		in.has_published_at = true;
		if (i % 3 == 0) {
			in.tags = jp;
			in.ntags = 1;
			in.has_tags = true;
		}
		create(db, &in);
	}
	struct arena *a = arena_new(1024);
	struct article *items;
	size_t n;
	int64_t total;
	struct article_query q = {.public_only = true, .page = 3, .per_page = 10};
	assert_int_equal(site_article_list(db, a, &q, &items, &n, &total), JM_OK);
	assert_int_equal(total, 25);
	assert_int_equal(n, 5);
	assert_string_equal(items[0].slug, "a-4"); /* newest first */
	assert_string_equal(items[4].slug, "a-0");
	q.page = 1;
	q.tag = "日本語タグ";
	assert_int_equal(site_article_list(db, a, &q, &items, &n, &total), JM_OK);
	assert_int_equal(total, 9);
	assert_int_equal(n, 9);
	assert_string_equal(items[0].slug, "a-24");
	assert_int_equal(items[0].ntags, 1);
	assert_string_equal(items[0].tags[0], "日本語タグ");
	q.tag = "ない";
	assert_int_equal(site_article_list(db, a, &q, &items, &n, &total), JM_OK);
	assert_int_equal(total, 0);
	assert_int_equal(n, 0);
	struct tag_count *tc;
	size_t ntc;
	assert_int_equal(site_tag_list(db, a, &tc, &ntc), JM_OK);
	assert_int_equal(ntc, 1);
	assert_string_equal(tc[0].name, "日本語タグ");
	assert_int_equal(tc[0].count, 9);
	q = (struct article_query){.status = "draft", .page = 1, .per_page = 10};
	assert_int_equal(site_article_list(db, a, &q, &items, &n, &total), JM_OK);
	assert_int_equal(total, 0);
	arena_free(a);
}

/* A body keeps the trust of its writer: an owner's body may render raw
 * HTML, a new body from anyone else takes that away, and a change that
 * leaves the body alone (status, title) keeps it. */
static void test_html_trust(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(1024);
	struct article art;
	struct jm_err err = {0};
	struct article_input in = input("信頼", NULL, NULL);
	in.body_md = "<b>raw</b>";
	in.has_body = true;
	in.html_trusted = true;
	int64_t id = create(db, &in);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_true(art.html_trusted);

	struct article_input up = input("題名だけ", NULL, "published");
	assert_int_equal(site_article_update(db, id, &up, &err), JM_OK);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_true(art.html_trusted);

	up = input("編集者", NULL, NULL);
	up.body_md = "<b>editor</b>";
	up.has_body = true;
	assert_int_equal(site_article_update(db, id, &up, &err), JM_OK);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_false(art.html_trusted);

	up.html_trusted = true; /* the owner saves it again */
	assert_int_equal(site_article_update(db, id, &up, &err), JM_OK);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_true(art.html_trusted);

	in = input("既定", NULL, NULL); /* untrusted unless said */
	id = create(db, &in);
	assert_int_equal(site_article_get(db, a, id, &art), JM_OK);
	assert_false(art.html_trusted);
	arena_free(a);
}

static void count_hook(void *ctx)
{
	(*(int *)ctx)++;
}

/* Every successful write calls the content hook once; a refused one never. */
static void test_content_hook(void **state)
{
	struct db *db = *state;
	struct jm_err err = {0};
	int n = 0;
	site_content_hook(count_hook, &n);
	struct article_input in = input("フック", NULL, "published");
	int64_t id = create(db, &in);
	assert_int_equal(n, 1);
	struct article_input up = {.title = "フック2", .has_title = true};
	assert_int_equal(site_article_update(db, id, &up, &err), JM_OK);
	assert_int_equal(n, 2);
	struct article_input bad = {.status = "maybe", .has_status = true};
	assert_int_equal(site_article_update(db, id, &bad, &err), JM_INVALID);
	assert_int_equal(site_article_update(db, id + 1000, &up, &err), JM_NOT_FOUND);
	assert_int_equal(n, 2);
	assert_int_equal(site_article_delete(db, id), JM_OK);
	assert_int_equal(site_article_delete(db, id), JM_NOT_FOUND);
	assert_int_equal(n, 3);
	site_content_hook(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_crud, site_testdb_setup, site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_content_hook, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_slugs, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_validation, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_scheduled, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_list_pages_and_tags, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_html_trust, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_content_hook, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
