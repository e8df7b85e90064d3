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
/* ---- an ask's results as CSV (web/form_csv.c) ----
 * Answers the CSV of form_id's answers (forms_results_csv: filter key/
 * value, flags, Shift_JIS or UTF-8 with BOM) as a download, made on the
 * worker pool; refuse answers a failure (JM_INVALID: a bad filter,
 * JM_NOT_FOUND: no such form) in the caller's words. */
typedef void (*web_form_csv_refuse)(struct req *req, enum jm_rc rc, const struct jm_err *err);
void web_form_csv(struct req *req, int64_t form_id, const char *key, const char *value,
                  unsigned flags, bool sjis, web_form_csv_refuse refuse);
/* ---- the spool step of every upload (web/upload.c) ----
 * The spooled file part (removed with the request) hard-linked under a
 * name of its own, in a, for a job that may outlive the request; the job
 * unlinks it. NULL when the part was not spooled or cannot be linked. */
const char *web_upload_keep(const struct form_file *file, struct arena *a);
/* Rebuilds the folder sent as the file parts of field (names relative to
 * the folder the owner picked, its own name first) as a new tree in
 * spool_dir: each file at its path without that first part, or by file
 * name only when flat. *out (in a) is the tree, *nfiles how many files it
 * holds; the caller removes it with web_upload_tree_remove. JM_INVALID
 * (err->msg: the name) when a name would leave the tree (".." and the
 * like): nothing is made then; JM_IO when the disk refuses. */
enum jm_rc web_upload_tree(const struct form *f, const char *field, const char *spool_dir,
                           bool flat, struct arena *a, const char **out, size_t *nfiles,
                           struct jm_err *err) JM_WUR;
/* Removes a tree web_upload_tree made (NULL: nothing). */
void web_upload_tree_remove(const char *dir);
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
struct web_cache *web_cache_new(const unsigned char *secret, size_t len);
void web_cache_free(struct web_cache *c);

#endif
