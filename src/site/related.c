/*
 * related.c — what an article page shows after the article: the previous
 * (older) and next (newer) public articles, and related ones (most tags in
 * common first, then the newest; filled up with the newest articles when
 * fewer share a tag). Reads only; the page cache keeps the result until
 * the next content write, which invalidates every cached page.
 *
 * Order of "older/newer": published_at, then id, as the lists (home, tags)
 * order articles; only published articles whose time has come count.
 */
#include "core/core.h"
#include "db/db.h"
#include "site/site.h"

/* One id from a query of one row; 0 when none. */
static enum jm_rc one_id(struct db_stmt *st, int64_t *id)
{
	enum jm_rc rc = db_step(st);
	*id = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc load(struct db *db, struct arena *a, int64_t id, struct article **out)
{
	*out = NULL;
	if (!id)
		return JM_OK;
	*out = arena_calloc(a, sizeof(**out));
	enum jm_rc rc = site_article_get(db, a, id, *out);
	if (rc == JM_NOT_FOUND) {
		*out = NULL;
		rc = JM_OK;
	}
	return rc;
}

enum jm_rc site_article_neighbours(struct db *db, struct arena *a, const struct article *art,
                                   struct article **prev, struct article **next)
{
	struct db_stmt *st = NULL;
	int64_t now = jm_now(), p = 0, n = 0;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id FROM articles WHERE status = 'published' AND "
	                            "(published_at < ? OR (published_at = ? AND id < ?)) "
	                            "ORDER BY published_at DESC, id DESC LIMIT 1",
	                            "iii", art->published_at, art->published_at, art->id);
	if (!rc)
		rc = one_id(st, &p);
	if (!rc)
		rc = db_preparef(db, &st,
		                 "SELECT id FROM articles WHERE status = 'published' AND "
		                 "published_at <= ? AND (published_at > ? OR (published_at = ? AND "
		                 "id > ?)) ORDER BY published_at, id LIMIT 1",
		                 "iiii", now, art->published_at, art->published_at, art->id);
	if (!rc)
		rc = one_id(st, &n);
	if (!rc)
		rc = load(db, a, p, prev);
	if (!rc)
		rc = load(db, a, n, next);
	return rc;
}

/* Appends the ids st yields to ids (up to max, skipping art and repeats). */
static enum jm_rc collect(struct db_stmt *st, int64_t self, int64_t *ids, size_t *n, size_t max)
{
	enum jm_rc rc = JM_DONE;
	while (*n < max && (rc = db_step(st)) == JM_OK) {
		int64_t id = db_col_int(st, 0);
		bool dup = id == self;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = ids[i] == id;
		if (!dup)
			ids[(*n)++] = id;
	}
	if (*n >= max)
		rc = JM_DONE;
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc site_article_related(struct db *db, struct arena *a, const struct article *art,
                                size_t max, struct article **out, size_t *n)
{
	struct db_stmt *st = NULL;
	int64_t now = jm_now();
	int64_t *ids = arena_calloc(a, (max + 1) * sizeof(*ids));
	size_t k = 0;
	*out = arena_calloc(a, (max + 1) * sizeof(**out));
	*n = 0;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT a.id FROM article_tags x JOIN article_tags y ON y.tag_id = x.tag_id "
	        "JOIN articles a ON a.id = y.article_id WHERE x.article_id = ? AND a.id <> ? "
	        "AND a.status = 'published' AND a.published_at <= ? GROUP BY a.id, a.published_at "
	        "ORDER BY COUNT(*) DESC, a.published_at DESC, a.id DESC LIMIT ?",
	        "iiii", art->id, art->id, now, (int64_t)max);
	if (!rc)
		rc = collect(st, art->id, ids, &k, max);
	if (!rc && k < max)
		rc = db_preparef(
		        db, &st,
		        "SELECT id FROM articles WHERE status = 'published' AND "
		        "published_at <= ? AND id <> ? ORDER BY published_at DESC, id DESC "
		        "LIMIT ?",
		        "iii", now, art->id, (int64_t)(2 * max + 1));
	if (!rc && k < max)
		rc = collect(st, art->id, ids, &k, max);
	for (size_t i = 0; i < k && !rc; i++) {
		rc = site_article_get(db, a, ids[i], &(*out)[*n]);
		if (rc == JM_NOT_FOUND)
			rc = JM_OK;
		else if (!rc)
			(*n)++;
	}
	return rc;
}
