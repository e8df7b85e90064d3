/*
 * web.h — the public site's HTTP handlers: home, articles, tags, /about,
 * Atom feed, sitemap, robots.txt, friendly error pages, and the in-memory
 * cache of rendered public pages (a page view costs no template work and no
 * SQL; the cache is invalidated by app->content_gen).
 */
#ifndef JM_WEB_H
#define JM_WEB_H

#include "core/core.h"
#include "http/http.h"
#include "media/media.h"

struct app;
struct arena;
struct db;
struct req;
struct router;

void web_routes(struct app *app, struct router *r);
/* The page cache's fast path, before routing (http_server_opts.cached): a
 * GET or HEAD whose path and query are exactly a current entry's key is
 * answered from it — the same bytes, headers and page view as its
 * handler's hit — with no routing; false otherwise. */
bool web_serve_fast(struct req *req);
/* Friendly HTML error page (404 etc.) in the site's layout. */
void web_error_page(struct req *req, int status);
/* About once a second on one loop thread: flush page-view counters every
 * ~10 s, refresh the cache when a scheduled article's time has come. */
void web_tick(struct app *app, struct db *db);
/* The HTML to paste into another site for the sign-up form of list_slug
 * (a <script> that writes the form with a fresh signed time); base is the
 * site's base URL. Arena-owned; "" if too long. */
const char *web_signup_snippet(struct arena *a, const char *base, const char *list_slug);
/* The media upload step the admin and the API share (web/media.c): the
 * request's spooled file part is linked under a name of the job's own (the
 * request may end meanwhile), media_add_file runs on a worker thread, and
 * done(req, job) answers: job->job.rc/err say how it went, job->m and
 * job->created what was stored; the link is removed after. json is the
 * caller's own flag, kept for done. False (nothing deferred) when the file
 * could not be linked: the caller answers JM_IO. */
struct web_media_upload {
	struct http_task job;
	const char *path, *name;
	bool json;
	struct media m;
	bool created;
};
bool web_media_upload(struct req *req, const struct form_file *file, bool json,
                      http_done_fn done) JM_WUR;
struct web_cache *web_cache_new(void);
void web_cache_free(struct web_cache *c);

#endif
