/*
 * category.c — the category tree beside the tags (tables categories,
 * article_categories; migration 0020).
 *
 * Invariants: a stored category has a name of 1..CATEGORY_NAME_MAX bytes
 * of UTF-8 on one line and a unique slug of core/slug.c's rule; parent_id
 * names another category or is NULL, and the tree has no cycle (a parent
 * is chosen when the category is made and never changed, so it existed
 * before). An article has at most ARTICLE_CATEGORIES_MAX categories.
 */
#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site/site_int.h"

static bool name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > CATEGORY_NAME_MAX || !utf8_valid(s, n) || utf8_has_controls(s, n))
		return false;
	for (const char *p = s; *p; p++)
		if (*p != ' ' && *p != '\t')
			return true;
	return false;
}

/* A derived slug made unique with -2, -3… inside the transaction. */
static enum jm_rc slug_pick(struct db *db, const char *name, char out[ARTICLE_SLUG_MAX + 1])
{
	if (!jm_slug_make(name, strlen(name), out, ARTICLE_SLUG_MAX - 4))
		snprintf(out, ARTICLE_SLUG_MAX + 1, "category");
	return db_slug_free(db, "SELECT 1 FROM categories WHERE slug = ? AND id <> ?", 0, out,
	                    ARTICLE_SLUG_MAX);
}

static enum jm_rc insert_tx(struct db *db, const char *name, const char *slug, int64_t parent_id,
                            int64_t *id_out, struct jm_err *err)
{
	char s[ARTICLE_SLUG_MAX + 1];
	enum jm_rc rc = JM_OK;
	if (slug && *slug)
		snprintf(s, sizeof(s), "%s", slug);
	else
		rc = slug_pick(db, name, s);
	int64_t ok = 1;
	if (!rc && parent_id > 0)
		rc = db_query_int(db, &ok, 0, "SELECT 1 FROM categories WHERE id = ?", "i",
		                  parent_id);
	if (!rc && !ok) {
		jm_err_set(err, "parent", "no such parent category");
		return JM_INVALID;
	}
	struct db_stmt *st = NULL;
	if (!rc)
		rc = db_preparef(db, &st,
		                 "INSERT INTO categories(name, slug, parent_id, created_at) "
		                 "VALUES (?, ?, ?, ?) RETURNING id",
		                 "tt", name, s);
	if (rc)
		return rc;
	if (parent_id > 0)
		db_bind_int(st, 3, parent_id);
	else
		db_bind_null(st, 3);
	db_bind_int(st, 4, jm_now());
	rc = db_step(st);
	if (rc == JM_OK && id_out)
		*id_out = db_col_int(st, 0);
	db_finalize(st);
	if (rc == JM_CONFLICT)
		jm_err_set(err, "slug", "this slug is already used");
	return rc == JM_OK ? JM_OK : rc;
}

static enum jm_rc check_input(const char *name, const char *slug, struct jm_err *err)
{
	if (!name_ok(name) || strpbrk(name, "\r\n")) {
		jm_err_set(err, "name", "invalid name (1 to %d bytes, one line)",
		           CATEGORY_NAME_MAX);
		return JM_INVALID;
	}
	if (slug && *slug && !jm_slug_valid(slug, ARTICLE_SLUG_MAX)) {
		jm_err_set(err, "slug", "invalid slug");
		return JM_INVALID;
	}
	return JM_OK;
}

enum jm_rc site_category_create_tx(struct db *db, const char *name, const char *slug,
                                   int64_t parent_id, int64_t *id_out, struct jm_err *err)
{
	enum jm_rc rc = check_input(name, slug, err);
	return rc ? rc : insert_tx(db, name, slug, parent_id, id_out, err);
}

enum jm_rc site_category_create(struct db *db, const char *name, const char *slug,
                                int64_t parent_id, int64_t *id_out, struct jm_err *err)
{
	enum jm_rc rc = check_input(name, slug, err);
	if (rc)
		return rc;
	rc = db_begin(db);
	if (!rc)
		rc = db_end(db, insert_tx(db, name, slug, parent_id, id_out, err));
	return site_content_written(db, rc);
}

enum jm_rc site_category_delete(struct db *db, int64_t id)
{
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_execf(db, "UPDATE categories SET parent_id = NULL WHERE parent_id = ?", "i", id);
	if (!rc)
		rc = db_execf(db, "DELETE FROM categories WHERE id = ?", "i", id);
	if (!rc && db_changes(db) == 0)
		rc = JM_NOT_FOUND;
	return site_content_written(db, db_end(db, rc));
}

static void row_to_category(struct db_stmt *st, struct arena *a, struct category *c)
{
	memset(c, 0, sizeof(*c));
	c->id = db_col_int(st, 0);
	c->parent_id = db_col_null(st, 1) ? 0 : db_col_int(st, 1);
	c->name = db_col_dup(st, 2, a);
	c->slug = db_col_dup(st, 3, a);
}

/* Appends the children of parent (0: the roots) and their subtrees from
 * all[0..n) to out in order, depth set; a depth cap guards the order
 * against a cycle written outside this module. */
static void tree_order(struct category *all, size_t n, int64_t parent, int depth,
                       struct category *out, size_t *k)
{
	if (depth > 32)
		return;
	for (size_t i = 0; i < n; i++) {
		if (all[i].parent_id != parent || all[i].depth < 0)
			continue;
		out[*k] = all[i];
		out[(*k)++].depth = depth;
		all[i].depth = -1; /* placed */
		tree_order(all, n, all[i].id, depth + 1, out, k);
	}
}

enum jm_rc site_category_list(struct db *db, struct arena *a, struct category **out, size_t *n)
{
	struct db_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT c.id, c.parent_id, c.name, c.slug, (SELECT COUNT(*) FROM "
	        "article_categories x JOIN articles a ON a.id = x.article_id WHERE "
	        "x.category_id = c.id AND a.status = 'published' AND a.published_at <= ?) "
	        "FROM categories c ORDER BY c.name, c.id",
	        "i", jm_now());
	if (rc)
		return rc;
	struct category *all = NULL;
	size_t cnt = 0, cap = 0;
	while ((rc = db_step(st)) == JM_OK) {
		all = arena_grow(a, all, cnt, &cap, sizeof(*all));
		row_to_category(st, a, &all[cnt]);
		all[cnt++].count = db_col_int(st, 4);
	}
	db_finalize(st);
	if (rc != JM_DONE)
		return rc;
	struct category *sorted = arena_calloc(a, (cnt ? cnt : 1) * sizeof(*sorted));
	size_t k = 0;
	tree_order(all, cnt, 0, 0, sorted, &k);
	for (size_t i = 0; i < cnt; i++) /* a parent gone missing: shown at the top */
		if (all[i].depth >= 0)
			sorted[k++] = all[i];
	*out = sorted;
	*n = k;
	return JM_OK;
}

/* Steps a one-row query into out: JM_NOT_FOUND when no row. */
static enum jm_rc get_one(struct db_stmt *st, struct arena *a, struct category *out)
{
	enum jm_rc rc = db_step(st);
	if (rc == JM_OK)
		row_to_category(st, a, out);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
}

enum jm_rc site_category_by_slug(struct db *db, struct arena *a, const char *slug,
                                 struct category *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT id, parent_id, name, slug FROM categories WHERE slug = ?", "t",
	        slug);
	return rc ? rc : get_one(st, a, out);
}

enum jm_rc site_category_get(struct db *db, struct arena *a, int64_t id, struct category *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT id, parent_id, name, slug FROM categories WHERE id = ?", "i", id);
	return rc ? rc : get_one(st, a, out);
}

enum jm_rc site_categories_write(struct db *db, int64_t article_id, const char **slugs, size_t n,
                                 struct jm_err *err)
{
	if (n > ARTICLE_CATEGORIES_MAX) {
		jm_err_set(err, "categories", "at most %d categories", ARTICLE_CATEGORIES_MAX);
		return JM_INVALID;
	}
	enum jm_rc rc = db_execf(db, "DELETE FROM article_categories WHERE article_id = ?", "i",
	                         article_id);
	for (size_t i = 0; i < n && !rc; i++) {
		int64_t cid = 0;
		rc = db_query_int(db, &cid, 0, "SELECT id FROM categories WHERE slug = ?", "t",
		                  slugs[i] ? slugs[i] : "");
		if (!rc && !cid) {
			jm_err_set(err, "categories", "no category with the slug %.80s",
			           slugs[i] ? slugs[i] : "");
			return JM_INVALID;
		}
		if (!rc)
			rc = db_execf(db,
			              "INSERT INTO article_categories(article_id, category_id) "
			              "VALUES (?, ?) ON CONFLICT DO NOTHING",
			              "ii", article_id, cid);
	}
	return rc;
}

enum jm_rc site_categories_read(struct db *db, struct arena *a, struct article *art)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT c.id, c.parent_id, c.name, c.slug FROM categories c "
	                            "JOIN article_categories x ON x.category_id = c.id "
	                            "WHERE x.article_id = ? ORDER BY c.name, c.id",
	                            "i", art->id);
	if (rc)
		return rc;
	size_t cap = 0;
	art->categories = NULL;
	art->ncategories = 0;
	while ((rc = db_step(st)) == JM_OK) {
		art->categories = arena_grow(a, art->categories, art->ncategories, &cap,
		                             sizeof(*art->categories));
		row_to_category(st, a, &art->categories[art->ncategories++]);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}
