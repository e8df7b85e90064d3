/*
 * content.c — the domain side of the public page cache: every write that
 * changes what a public page shows (articles and their tags, site
 * settings, lists and their sign-up forms, broadcasts shown as back
 * numbers) ends in site_content_written, which
 *   1. calls the hook the app registered (app.c bumps app->content_gen), so
 *      this process serves the change at once;
 *   2. bumps content_state.gen in the database and sends a notification on
 *      channel SITE_CONTENT_CHANNEL, so every other node on the database
 *      drops its cached pages too: at once where the engine notifies
 *      (PostgreSQL), within one poll of the generation row otherwise
 *      (several processes on one SQLite file; app_node.c listens and polls).
 * Handlers never do it themselves, so no write path can forget it.
 *
 * It also announces scheduled publications once for the whole cluster
 * (site_publish_due, run by the node holding the publishing lock).
 *
 * Threading: the hook is set once before any thread starts (or replaced
 * atomically); calling it is thread-safe if the hook is. The database
 * functions use the caller's connection.
 */
#include <stdatomic.h>

#include "db/db.h"
#include "site/site.h"

struct content_hook {
	void (*fn)(void *ctx);
	void *ctx;
};

/* One per process: the app that owns the page cache. */
static _Atomic(struct content_hook *) g_hook;

void site_content_hook(void (*fn)(void *ctx), void *ctx)
{
	static struct content_hook slots[2];
	static atomic_int next;
	struct content_hook *h = NULL;
	if (fn) {
		h = &slots[atomic_fetch_add(&next, 1) & 1];
		h->fn = fn;
		h->ctx = ctx;
	}
	atomic_store(&g_hook, h);
}

/* Bumps the generation row and tells the other nodes; inside a caller's
 * transaction both take effect at its commit. */
static enum jm_rc bump_shared(struct db *db)
{
	int64_t gen = 0;
	enum jm_rc rc = db_query_int(db, &gen, 0,
	                             "UPDATE content_state SET gen = gen + 1 WHERE id = 1 "
	                             "RETURNING gen",
	                             "");
	if (rc)
		return rc;
	char payload[32];
	snprintf(payload, sizeof(payload), "%lld", (long long)gen);
	return db_notify(db, SITE_CONTENT_CHANNEL, payload);
}

enum jm_rc site_content_written(struct db *db, enum jm_rc rc)
{
	if (rc != JM_OK)
		return rc;
	struct content_hook *h = atomic_load(&g_hook);
	if (h)
		h->fn(h->ctx);
	/* The write itself succeeded: a failed bump is logged, not reported
	 * (other nodes then catch up at their next successful bump). */
	if (db && bump_shared(db) != JM_OK)
		log_at(LOG_WARN, "site",
		       "content generation not bumped: other nodes may serve "
		       "cached pages until the next change");
	return rc;
}

enum jm_rc site_content_gen(struct db *db, int64_t *gen)
{
	return db_query_int(db, gen, 0, "SELECT gen FROM content_state WHERE id = 1", "");
}

/* Logs each article that became public in (from, to] by its schedule (a
 * publication time later than its last save; one published at once is no
 * scheduled publication). */
static enum jm_rc announce(struct db *db, int64_t from, int64_t to, int64_t *n)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id, slug FROM articles WHERE status = 'published' "
	                            "AND published_at > ? AND published_at <= ? "
	                            "AND published_at > updated_at ORDER BY published_at, id",
	                            "ii", from, to);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		(*n)++;
		log_at(LOG_INFO, "site", "event=scheduled_published article=%lld slug=%s",
		       (long long)db_col_int(st, 0), db_col_text(st, 1, NULL));
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc site_publish_due(struct db *db, int64_t now, int64_t *n)
{
	*n = 0;
	int64_t from = 0, due = 0;
	/* Most ticks find nothing: a read decides, so they write nothing (the
	 * cursor only moves past an announcement). */
	enum jm_rc rc = db_query_int(db, &due, 0,
	                             "SELECT count(*) FROM articles a, content_state c "
	                             "WHERE c.id = 1 AND a.status = 'published' "
	                             "AND a.published_at > c.published_through "
	                             "AND a.published_at <= ? AND a.published_at > a.updated_at",
	                             "i", now);
	if (rc || due == 0)
		return rc;
	rc = db_begin(db);
	if (rc)
		return rc;
	/* The row lock makes a second runner wait and then see the new cursor
	 * (PostgreSQL's READ COMMITTED; SQLite's write transaction already
	 * excludes it), should two nodes ever run this at once. */
	rc = db_query_int(db, &from, now,
	                  DB_SQL(db, "SELECT published_through FROM content_state WHERE id = 1",
	                         "SELECT published_through FROM content_state WHERE id = 1 "
	                         "FOR UPDATE"),
	                  "");
	if (!rc && from < now)
		rc = announce(db, from, now, n);
	if (!rc && from < now)
		rc = db_execf(db, "UPDATE content_state SET published_through = ? WHERE id = 1",
		              "i", now);
	if (!rc && *n)
		rc = bump_shared(db);
	return db_end(db, rc);
}
