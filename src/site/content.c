/*
 * content.c — the domain side of the public page cache: every write that
 * changes what a public page shows (articles and their tags, site
 * settings, lists and their sign-up forms, broadcasts shown as back
 * numbers) ends in site_content_written, which calls the hook the app
 * registered (app.c bumps app->content_gen). Handlers never bump the
 * generation themselves, so no write path can forget it.
 *
 * A write made by another process (a second node on PostgreSQL; no CLI
 * command changes public content today) cannot call this process's hook.
 *
 * Threading: the hook is set once before any thread starts (or replaced
 * atomically); calling it is thread-safe if the hook is.
 */
#include <stdatomic.h>

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
