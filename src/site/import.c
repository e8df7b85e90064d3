/*
 * import.c — writes a blog brought from elsewhere (tables import_items,
 * redirects, and through article.c and category.c the articles, tags and
 * categories; migration 0020). The files are read by src/import/; this
 * file only stores what they held.
 *
 * Invariants: one call is one transaction — a database error rolls back
 * every item, so a file is imported whole or not at all; an item already
 * in import_items (same source and key) is never written again, so a
 * second import of the same file changes nothing; an old URL already
 * taken keeps its first article.
 */
#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site/site_int.h"

/* Creates the categories whose slug is new, each after its parent: a
 * pass places every category whose parent is placed (or absent), and
 * passes repeat while one places something. */
static enum jm_rc categories_tx(struct db *db, const struct site_import_category *cats, size_t n,
                                int64_t *created, struct jm_err *err)
{
	bool *done = xcalloc(n ? n : 1, sizeof(bool));
	enum jm_rc rc = JM_OK;
	for (bool progress = true; progress && !rc;) {
		progress = false;
		for (size_t i = 0; i < n && !rc; i++) {
			int64_t parent = 0, have = 0;
			const char *ps = cats[i].parent_slug;
			if (done[i])
				continue;
			if (ps && *ps)
				rc = db_query_int(db, &parent, 0,
				                  "SELECT id FROM categories WHERE slug = ?", "t",
				                  ps);
			if (rc)
				break;
			if (ps && *ps && !parent)
				continue; /* the parent comes in a later pass */
			rc = db_query_int(db, &have, 0, "SELECT 1 FROM categories WHERE slug = ?",
			                  "t", cats[i].slug);
			if (!rc && !have) {
				rc = site_category_create_tx(db, cats[i].name, cats[i].slug, parent,
				                             NULL, err);
				++*created;
			}
			done[i] = progress = true;
		}
	}
	/* A parent missing from the file: its children go to the top level. */
	for (size_t i = 0; i < n && !rc; i++) {
		int64_t have = 0;
		if (done[i])
			continue;
		rc = db_query_int(db, &have, 0, "SELECT 1 FROM categories WHERE slug = ?", "t",
		                  cats[i].slug);
		if (!rc && !have) {
			rc = site_category_create_tx(db, cats[i].name, cats[i].slug, 0, NULL, err);
			++*created;
		}
	}
	free(done);
	return rc;
}

static enum jm_rc remember_tx(struct db *db, const char *source, struct site_import_item *it)
{
	enum jm_rc rc = db_execf(db,
	                         "INSERT INTO import_items(source, item_key, article_id, "
	                         "created_at) VALUES (?, ?, ?, ?)",
	                         "ttii", source, it->key, it->article_id, jm_now());
	for (size_t i = 0; i < it->nold && !rc; i++) {
		struct arena *a = arena_new(1024);
		const char *q = strchr(it->old_paths[i], '?');
		size_t plen = q ? (size_t)(q - it->old_paths[i]) : strlen(it->old_paths[i]);
		const char *key = site_redirect_key(a, it->old_paths[i], plen, q ? q + 1 : NULL,
		                                    q ? strlen(q + 1) : 0);
		if (key)
			rc = db_execf(db,
			              "INSERT INTO redirects(path, article_id, created_at) VALUES "
			              "(?, ?, ?) ON CONFLICT(path) DO NOTHING",
			              "tii", key, it->article_id, jm_now());
		arena_free(a);
	}
	return rc;
}

/* One item: skipped when seen, refused when invalid (why set), else
 * written. Only a database error is returned. */
static enum jm_rc item_tx(struct db *db, struct arena *a, const char *source,
                          struct site_import_item *it)
{
	int64_t seen = 0;
	enum jm_rc rc = db_query_int(db, &seen, 0,
	                             "SELECT 1 FROM import_items WHERE source = ? AND item_key = ?",
	                             "tt", source, it->key);
	if (rc)
		return rc;
	if (seen) {
		it->result = SITE_IMPORT_SEEN;
		return JM_OK;
	}
	struct jm_err err = {0};
	char slug[ARTICLE_SLUG_MAX + 1];
	rc = site_article_insert_tx(db, &it->in, 0, true, &it->article_id, slug, &err);
	if (rc == JM_INVALID || rc == JM_CONFLICT) {
		it->result = SITE_IMPORT_INVALID;
		it->why = arena_sprintf(a, "%s%s%s", err.field, err.field[0] ? ": " : "",
		                        err.msg[0] ? err.msg : "invalid");
		return JM_OK;
	}
	if (rc)
		return rc;
	it->result = SITE_IMPORT_NEW;
	it->slug = arena_strdup(a, slug);
	return remember_tx(db, source, it);
}

enum jm_rc site_import(struct db *db, struct arena *a, const char *source,
                       const struct site_import_category *cats, size_t ncats,
                       struct site_import_item *items, size_t n, int64_t *new_cats,
                       struct jm_err *err)
{
	*new_cats = 0;
	enum jm_rc rc = db_begin(db);
	if (rc) {
		jm_err_set(err, NULL, "database error: %s", db_errmsg(db));
		return rc;
	}
	rc = categories_tx(db, cats, ncats, new_cats, err);
	for (size_t i = 0; i < n && !rc; i++)
		rc = item_tx(db, a, source, &items[i]);
	if (rc && !err->msg[0])
		jm_err_set(err, NULL, "database error: %s", db_errmsg(db));
	if (!rc)
		rc = db_commit(db);
	else
		db_rollback(db);
	return site_content_written(db, rc);
}
