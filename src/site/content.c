/*
 * content.c — the domain side of the public page cache: every write that
 * changes what a public page shows (articles and their tags, site
 * settings, lists and their sign-up forms, broadcasts shown as back
 * numbers) ends in site_content_written, which calls the hook the app
 * registered (app.c bumps app->content_gen). Handlers never bump the
 * generation themselves, so no write path can forget it.
 *
 * A write made by another process (the CLI, a second node on PostgreSQL)
 * cannot call this process's hook: site_content_stamp reads a cheap
 * fingerprint of the content tables that the app's scheduler compares
 * once a second.
 *
 * Threading: the hook is set once before any thread starts (or replaced
 * atomically); calling it is thread-safe if the hook is.
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

enum jm_rc site_content_written(enum jm_rc rc)
{
	struct content_hook *h = atomic_load(&g_hook);
	if (rc == JM_OK && h)
		h->fn(h->ctx);
	return rc;
}

enum jm_rc site_content_stamp(struct db *db, int64_t *out)
{
	/* A row count catches deletes, the newest updated_at catches edits. */
	static const char sql[] =
	        "SELECT (SELECT count(*) * 1000003 + COALESCE(max(updated_at), 0) FROM articles)"
	        " + (SELECT count(*) * 1009 + COALESCE(max(updated_at), 0) FROM lists)"
	        " + (SELECT count(*) * 101 + COALESCE(max(updated_at), 0) FROM broadcasts)";
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, sql, &st);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*out = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
}
