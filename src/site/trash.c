/*
 * trash.c — articles in the trash (columns trashed_* of articles,
 * migration 0022): site_article_delete moves an article here, the admin
 * and the API restore it, and the hourly purge removes what has been here
 * longer than SITE_TRASH_DAYS.
 *
 * Invariants: a trashed article is stored as a draft (every public query
 * asks for status 'published', so none shows it) with its slug given back
 * (slug '~trash~<id>': '~' is no slug character, so no article or URL can
 * collide with it); trashed_slug and trashed_status keep what it was.
 * Only trash.c writes these columns. A restore takes the article back with
 * its old slug, or a new one when that slug was taken meanwhile
 * (JM_CONFLICT naming "slug" otherwise); revisions and tags stay with the
 * article throughout. Every change ends in site_content_written, so each
 * node's page cache drops a trashed article at once.
 */
#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site/site_int.h"

enum jm_rc site_article_delete(struct db *db, int64_t id)
{
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_execf(db,
	              "UPDATE articles SET trashed_at = ?, trashed_slug = slug, "
	              "trashed_status = status, status = 'draft', slug = '~trash~' || id "
	              "WHERE id = ? AND trashed_at IS NULL",
	              "ii", jm_now(), id);
	if (!rc && db_changes(db) == 0)
		rc = JM_NOT_FOUND;
	if (!rc)
		rc = site_search_unindex(db, id);
	return site_content_written(db, db_end(db, rc));
}

/* The slug the restore asks for: new_slug if given (checked), else the old
 * one; JM_CONFLICT naming "slug" when another article holds it. */
static enum jm_rc restore_slug(struct db *db, struct arena *a, int64_t id, const char *new_slug,
                               const char **slug, const char **status, struct jm_err *err)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT trashed_slug, trashed_status FROM articles "
	                            "WHERE id = ? AND trashed_at IS NOT NULL",
	                            "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		*slug = db_col_dup(st, 0, a);
		*status = db_col_dup(st, 1, a);
	}
	db_finalize(st);
	if (rc != JM_OK) {
		jm_err_set(err, NULL, "no such article in the trash");
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	}
	if (new_slug && *new_slug) {
		if (!jm_slug_valid(new_slug, ARTICLE_SLUG_MAX)) {
			jm_err_set(err, "slug", "invalid slug");
			return JM_INVALID;
		}
		*slug = new_slug;
	}
	int64_t taken = 0;
	rc = db_query_int(db, &taken, 0, "SELECT count(*) FROM articles WHERE slug = ?", "t",
	                  *slug);
	if (!rc && taken) {
		jm_err_set(err, "slug",
		           "the slug \"%s\" is now used by another article: choose a new slug",
		           *slug);
		return JM_CONFLICT;
	}
	return rc;
}

enum jm_rc site_article_restore(struct db *db, int64_t id, const char *new_slug, struct jm_err *err)
{
	struct arena *a = arena_new(1024);
	const char *slug = NULL, *status = NULL;
	enum jm_rc rc = db_begin(db);
	if (!rc) {
		rc = restore_slug(db, a, id, new_slug, &slug, &status, err);
		if (!rc)
			rc = db_execf(
			        db,
			        "UPDATE articles SET slug = ?, status = ?, trashed_at = NULL, "
			        "trashed_slug = NULL, trashed_status = NULL, updated_at = ? "
			        "WHERE id = ?",
			        "ttii", slug, *status ? status : "draft", jm_now(), id);
		if (!rc)
			rc = site_search_index(db, id);
		rc = db_end(db, rc);
	}
	if (rc == JM_CONFLICT && !err->msg[0])
		jm_err_set(err, "slug", "this slug is already used: choose a new slug");
	arena_free(a);
	return site_content_written(db, rc);
}

enum jm_rc site_trash_articles(struct db *db, struct arena *a, struct site_trashed **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = db_prepare(db,
	                           "SELECT id, title, trashed_slug, trashed_at FROM articles "
	                           "WHERE trashed_at IS NOT NULL ORDER BY trashed_at DESC, id DESC",
	                           &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		struct site_trashed *t = &(*out)[(*n)++];
		t->id = db_col_int(st, 0);
		t->title = db_col_dup(st, 1, a);
		t->slug = db_col_dup(st, 2, a);
		t->trashed_at = db_col_int(st, 3);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc site_trash_purge(struct db *db, int64_t now, int64_t *n)
{
	*n = 0;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_execf(db, "DELETE FROM articles WHERE trashed_at IS NOT NULL AND trashed_at <= ?",
	              "i", now - SITE_TRASH_DAYS * 86400LL);
	if (!rc)
		*n = db_changes(db);
	if (!rc && *n)
		rc = db_exec(db,
		             "DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM article_tags)");
	return db_end(db, rc);
}
