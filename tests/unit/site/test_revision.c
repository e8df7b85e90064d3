/* Unit tests for src/site/revision.c and src/site/trash.c: the line diff
 * (edges, order, the bounded table), revisions kept per save and bounded,
 * and the trash's slug rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site_testdb.h"

/* The diff as "op text" lines joined by '|'. */
static const char *diff_str(struct arena *a, const char *old, const char *new_)
{
	struct site_diff_line *d = NULL;
	size_t n = 0;
	struct buf b;
	buf_init(&b, 1 << 16);
	site_diff_lines(a, old, new_, &d, &n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf_appendf(&b, "%s%c%.*s", i ? "|" : "", d[i].op, (int)d[i].len,
		                             d[i].text),
		                 JM_OK);
	const char *s = arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void test_diff(void **state)
{
	(void)state;
	struct arena *a = arena_new(4096);
	assert_string_equal(diff_str(a, "", ""), "");
	assert_string_equal(diff_str(a, "a\nb\n", "a\nb\n"), " a| b");
	assert_string_equal(diff_str(a, "", "新\n"), "+新");
	assert_string_equal(diff_str(a, "古\n", ""), "-古");
	assert_string_equal(diff_str(a, "a\nb\nc\n", "a\nB\nc\nd\n"), " a|-b|+B| c|+d");
	assert_string_equal(diff_str(a, "x\na\nb\n", "a\nb\ny\n"), "-x| a| b|+y");
	assert_string_equal(diff_str(a, "a\nb\nc", "c\nb\na"), "-a|-b| c|+b|+a");
	/* Line numbers: 1-based, 0 where the line is absent. */
	struct site_diff_line *d = NULL;
	size_t n = 0;
	site_diff_lines(a, "a\nb\n", "a\nc\n", &d, &n);
	assert_int_equal(n, 3);
	assert_int_equal(d[1].old_no, 2);
	assert_int_equal(d[1].new_no, 0);
	assert_int_equal(d[2].old_no, 0);
	assert_int_equal(d[2].new_no, 2);
	arena_free(a);
}

/* A middle too large for the table is shown as removed, then added. */
static void test_diff_bounded(void **state)
{
	(void)state;
	struct arena *a = arena_new(1 << 20);
	struct buf o, w;
	buf_init(&o, 1 << 22);
	buf_init(&w, 1 << 22);
	for (int i = 0; i < 3000; i++) {
		assert_int_equal(buf_appendf(&o, "old %d\n", i), JM_OK);
		assert_int_equal(buf_appendf(&w, "new %d\n", i), JM_OK);
	}
	struct site_diff_line *d = NULL;
	size_t n = 0;
	site_diff_lines(a, buf_cstr(&o), buf_cstr(&w), &d, &n);
	assert_int_equal(n, 6000);
	assert_int_equal(d[0].op, '-');
	assert_int_equal(d[2999].op, '-');
	assert_int_equal(d[3000].op, '+');
	buf_free(&o);
	buf_free(&w);
	arena_free(a);
}

static void test_revisions_bounded(void **state)
{
	struct db *db = *state;
	struct jm_err err = {0};
	int64_t id = 0;
	struct article_input in = {.title = "版", .has_title = true};
	assert_int_equal(site_article_create(db, &in, 0, &id, &err), JM_OK);
	for (int i = 0; i < SITE_REVISIONS_KEPT + 5; i++) {
		char body[32];
		snprintf(body, sizeof(body), "本文 %d", i);
		struct article_input up = {.body_md = body, .has_body = true};
		assert_int_equal(site_article_update(db, id, &up, &err), JM_OK);
	}
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM article_revisions WHERE article_id = ?", id),
	        SITE_REVISIONS_KEPT);
	struct arena *a = arena_new(4096);
	struct site_revision *v = NULL;
	size_t n = 0;
	assert_int_equal(site_revision_list(db, a, id, &v, &n), JM_OK);
	assert_int_equal(n, SITE_REVISIONS_KEPT);
	assert_string_equal(v[0].body_md, "本文 54");
	/* A failed update keeps no revision. */
	struct article_input bad = {.status = "maybe", .has_status = true};
	assert_int_equal(site_article_update(db, id, &bad, &err), JM_INVALID);
	assert_int_equal(site_revision_list(db, a, id, &v, &n), JM_OK);
	assert_string_equal(v[0].body_md, "本文 54");
	arena_free(a);
}

static void test_trash_slug(void **state)
{
	struct db *db = *state;
	struct jm_err err = {0};
	int64_t id = 0, other = 0, n = 0;
	struct article_input in = {
	        .title = "消す", .slug = "kesu", .has_slug = true, .has_title = true};
	assert_int_equal(site_article_create(db, &in, 0, &id, &err), JM_OK);
	assert_int_equal(site_article_delete(db, id), JM_OK);
	assert_int_equal(site_article_create(db, &in, 0, &other, &err), JM_OK);
	memset(&err, 0, sizeof(err));
	assert_int_equal(site_article_restore(db, id, NULL, &err), JM_CONFLICT);
	assert_string_equal(err.field, "slug");
	memset(&err, 0, sizeof(err));
	assert_int_equal(site_article_restore(db, id, "a b", &err), JM_INVALID);
	assert_int_equal(site_article_restore(db, id, "kesu-2", &err), JM_OK);
	assert_int_equal(site_article_restore(db, id, NULL, &err), JM_NOT_FOUND);
	/* The purge takes only what is older than SITE_TRASH_DAYS. */
	assert_int_equal(site_article_delete(db, other), JM_OK);
	assert_int_equal(site_trash_purge(db, jm_now(), &n), JM_OK);
	assert_int_equal(n, 0);
	assert_int_equal(site_trash_purge(db, jm_now() + SITE_TRASH_DAYS * 86400LL, &n), JM_OK);
	assert_int_equal(n, 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM articles WHERE id = ?", other), 0);
	assert_int_equal(
	        q_int(db, "SELECT count(*) FROM article_revisions WHERE article_id = ?", other), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_diff),
	        cmocka_unit_test(test_diff_bounded),
	        cmocka_unit_test_setup_teardown(test_revisions_bounded, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_trash_slug, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
