/*
 * app.h — the long-lived state of one jinmyaku process (STYLE.md 3: context
 * first, no hidden globals). Created by main.c, passed to every handler as
 * req->app and to domain code as needed.
 */
#ifndef JM_APP_H
#define JM_APP_H

#include <stdatomic.h>

#include "config.h"
#include "core/core.h"

struct i18n;
struct view;
struct router;
struct site_stats;
struct web_cache;
struct nl_worker;
struct app_node;
struct db;

/* Route flags given to router_add, read by the app middleware. */
enum {
	ROUTE_ADMIN = 1, /* needs a signed-in user (else redirect to /admin/login) */
	ROUTE_CSRF = 2,  /* state-changing: POST must carry a valid _csrf field */
	ROUTE_API = 4,   /* needs Authorization: Bearer TOKEN (else 401 JSON) */
	ROUTE_OWNER = 8, /* admin or API route for the owner role only */
	/* Owner only when the request's op/action field is an owner verb
	 * (auth_op_needs_owner: erase, send, schedule, ...). */
	ROUTE_OWNER_OPS = 16,
	/* Owner only when the broadcast {id} is scheduled: editing its content
	 * then changes mail that goes out to a list. */
	ROUTE_OWNER_IF_SCHEDULED = 32,
	/* An upload or import: the body may be as large as cfg.max_upload
	 * (every other route: cfg.max_body), and multipart file parts are
	 * spooled to files in DATA/tmp (form_file.path), never the heap. */
	ROUTE_UPLOAD = 64,
};

struct app {
	struct app_config cfg;
	struct i18n *i18n;
	struct view *view;
	struct router *router;
	unsigned char secret[32];         /* the site's, from the DB: keys CSRF and hashes */
	atomic_uint_fast64_t content_gen; /* bumped when content or settings change */
	struct web_cache *cache;          /* rendered public pages (web/) */
	struct site_stats *stats;         /* page-view counters (site/) */
	struct nl_worker *worker; /* the delivery worker (newsletter/), NULL when not running */
	struct app_node *node;    /* listener and cluster jobs (app_node.c) while serving */
	/* The scheduler's network duties (app.c network_tick; its thread only). */
	struct {
		int64_t last_digest, score_day, score_cursor;
		int64_t import_sweep_hour; /* upload_sweep, once an hour */
		int64_t trash_purge_hour;  /* the trash's purge, once an hour */
	} net_tick;
};

/* Invalidates every cached public page. Content writes reach it through the
 * site domain's hook (site_content_hook); handlers never call it. */
static inline void app_content_changed(struct app *app)
{
	atomic_fetch_add(&app->content_gen, 1);
}

struct req;
/* Cookie flags for this site: HttpOnly always, Secure when the request came
 * over TLS or the site's base URL is https. */
unsigned app_cookie_flags(struct req *req);

/* Starts the app: opens the DB, migrates, and reads the site's signing
 * secret (app_node_secrets). */
enum jm_rc app_init(struct app *app, struct jm_err *err) JM_WUR;
/* Logs one warning when the data dir is wider than 0700 (serve, worker). */
void app_warn_data_dir(const struct app *app);
void app_free(struct app *app);
/* Registers every route (public, admin, API). */
void app_routes(struct app *app);
/* Runs the HTTP server, and the delivery worker once the listeners are
 * bound, until a stop signal. */
enum jm_rc app_serve(struct app *app, struct jm_err *err) JM_WUR;
/* Starts the delivery worker into app->worker (`serve` and `worker`):
 * JINMYAKU_SMTP_URL overrides the smtp_url setting. Stop with
 * nl_worker_stop(app->worker). */
enum jm_rc app_worker_start(struct app *app, struct jm_err *err) JM_WUR;

/* ---- several nodes on one database (app_node.c) ---- */
/* Reads the site's signing secret from the database into app->secret,
 * moving in DATA/secret of an older installation (or creating one; two
 * nodes starting at once end with the same), keeps DATA/secret as this
 * node's copy, and imports DATA/dkim/SELECTOR.private key files. */
enum jm_rc app_node_secrets(struct app *app, struct db *db, struct jm_err *err) JM_WUR;
/* Stores this node's DATA/theme templates in the database (newer edits
 * replace older ones) and writes every stored one to DATA/theme-shared/,
 * whose path goes to dir: the override directory for view_load. */
enum jm_rc app_node_theme(struct app *app, char *dir, size_t dirlen, struct jm_err *err) JM_WUR;
/* Starts the content listener thread of a serve node (never NULL). */
struct app_node *app_node_start(struct app *app);
/* Stops the listener and closes the cluster jobs' connections (releasing
 * their locks). NULL is a no-op. */
void app_node_stop(struct app_node *n);
/* On the tick thread: runs the cluster-wide jobs this node holds the lock
 * of — scheduled publications, and network(app, db, &ok) on the network
 * job's connection. */
void app_node_tick(struct app_node *n, void (*network)(struct app *, struct db *, bool *));

#endif
