/*
 * app.c — wires the modules together: migrates the database, reads the
 * shared secret (app_node.c), loads catalog and templates, registers
 * routes, and runs the middleware every request passes (language,
 * session, CSRF, API token).
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin.h"
#include "api/api.h"
#include "app.h"
#include "auth/auth.h"
#include "db/db.h"
#include "forms/forms.h"
#include "http/http.h"
#include "media/media.h"
#include "network/network.h"
#include "newsletter/newsletter.h"
#include "site/site.h"
#include "upload/upload.h"
#include "view/view.h"
#include "web/web.h"

static enum jm_rc ensure_dir(const char *dir, struct jm_err *err)
{
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return JM_OK;
	jm_err_set(err, "data", "cannot create %s: %s", dir, strerror(errno));
	return JM_IO;
}

/* The data dir holds the database, the secret and backups: 0700. An
 * existing wider one is kept (the owner may share it on purpose) but
 * warned about. */
void app_warn_data_dir(const struct app *app)
{
	struct stat st;
	if (stat(app->cfg.data_dir, &st) == 0 && (st.st_mode & 077))
		log_at(LOG_WARN, "app",
		       "data dir %s is mode %03o: other users can reach the database; chmod 700 it",
		       app->cfg.data_dir, (unsigned)(st.st_mode & 0777));
}

static enum jm_rc load_views(struct app *app, struct jm_err *err)
{
	char po[1100], tpl[1100], theme[1200];
	snprintf(po, sizeof(po), "%s/po", app->cfg.share_dir);
	snprintf(tpl, sizeof(tpl), "%s/templates", app->cfg.share_dir);
	enum jm_rc rc = app_node_theme(app, theme, sizeof(theme), err);
	if (!rc)
		rc = i18n_load(po, &app->i18n, err);
	if (rc)
		return rc;
	return view_load(tpl, theme, app->i18n, &app->view, err);
}

/* Opens the DB once to apply migrations and read the shared secrets
 * (app_node.c); serving threads open their own connections. */
static enum jm_rc app_prepare_db(struct app *app, struct jm_err *err)
{
	struct db *db = NULL;
	enum jm_rc rc = db_open(app->cfg.db_url, &db, err);
	if (rc)
		return rc;
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/migrations", app->cfg.share_dir);
	rc = db_migrate(db, dir, err);
	if (!rc)
		rc = app_node_secrets(app, db, err);
	/* Not fatal: the site search then finds nothing until `reindex`. */
	if (!rc && site_search_ensure(db) != JM_OK)
		log_at(LOG_WARN, "site", "building the site search index failed");
	db_close(db);
	return rc;
}

/* The site domain's hook: a content write invalidates every cached page. */
static void content_hook(void *ctx)
{
	app_content_changed(ctx);
}

enum jm_rc app_init(struct app *app, struct jm_err *err)
{
	enum jm_rc rc = jm_crypto_init();
	if (rc) {
		jm_err_set(err, NULL, "libsodium failed to initialise");
		return rc;
	}
	if ((rc = ensure_dir(app->cfg.data_dir, err)) || (rc = app_prepare_db(app, err)))
		return rc;
	atomic_init(&app->content_gen, 1);
	site_content_hook(content_hook, app);
	app->stats = site_stats_new();
	app->cache = web_cache_new(app->secret, sizeof(app->secret));
	return JM_OK;
}

void app_free(struct app *app)
{
	site_content_hook(NULL, NULL);
	view_free(app->view);
	i18n_free(app->i18n);
	router_free(app->router);
	site_stats_free(app->stats);
	web_cache_free(app->cache);
}

/* ---- middleware ---- */

static bool is_admin_path(struct req *req)
{
	return req->path.len >= 6 && memcmp(req->path.p, "/admin", 6) == 0;
}

static void pick_lang(struct req *req)
{
	struct auth_user *u = req->user;
	if (u && u->lang && *u->lang) {
		req->lang = u->lang;
		return;
	}
	const char *al = http_req_header(req, "accept-language");
	req->lang = i18n_pick_lang(al, al ? strlen(al) : 0, "ja");
}

unsigned app_cookie_flags(struct req *req)
{
	if (http_req_is_https(req))
		return COOKIE_HTTPONLY | COOKIE_SECURE;
	const char *base = req->app->cfg.base_url;
	if (!*base)
		base = site_setting_get(req->db, req->arena, "base_url");
	return COOKIE_HTTPONLY | (strncmp(base, "https://", 8) == 0 ? COOKIE_SECURE : 0);
}

/* Login and setup pages have no session yet: their CSRF token is bound to
 * a random pre-session cookie instead. *fresh tells that the cookie was
 * only just issued, so a POST carrying it cannot be genuine. */
static const char *csrf_binding(struct req *req, bool *fresh)
{
	*fresh = false;
	const char *s = http_req_cookie(req, AUTH_SESSION_COOKIE);
	if (req->user && s)
		return s;
	const char *pre = http_req_cookie(req, AUTH_PRESESSION_COOKIE);
	if (pre && strlen(pre) >= 20 && strlen(pre) <= 64)
		return pre;
	char *tok = arena_alloc(req->arena, 64);
	jm_random_token(tok, 24);
	http_set_cookie(req, AUTH_PRESESSION_COOKIE, tok, -1, app_cookie_flags(req));
	*fresh = true;
	return tok;
}

static bool check_api(struct req *req)
{
	const char *h = http_req_header(req, "authorization");
	struct auth_user *u = arena_calloc(req->arena, sizeof(*u));
	if (!h || strncasecmp(h, "Bearer ", 7) != 0 ||
	    auth_token_lookup(req->db, req->arena, req->app->secret, h + 7, u) != JM_OK) {
		http_header(req, "www-authenticate", "Bearer");
		http_header(req, "cache-control", "no-store");
		http_send_json_error(req, 401, "unauthorized", "missing or invalid API token",
		                     NULL);
		return false;
	}
	req->user = u;
	req->lang = "en";
	return api_role_check(req);
}

static bool check_session(struct req *req)
{
	struct auth_user *u = arena_calloc(req->arena, sizeof(*u));
	const char *tok = http_req_cookie(req, AUTH_SESSION_COOKIE);
	if (tok && auth_session_lookup(req->db, req->arena, req->app->secret, tok, u) == JM_OK)
		req->user = u;
	pick_lang(req);
	if (!req->user && (req->route_flags & ROUTE_ADMIN)) {
		http_redirect(req, 303, "/admin/login");
		return false;
	}
	return true;
}

static bool check_csrf(struct req *req)
{
	bool fresh;
	const char *binding = csrf_binding(req, &fresh);
	char *tok = arena_alloc(req->arena, 65);
	auth_csrf_token(req->app->secret, binding, tok);
	req->csrf = tok;
	if (!str_eq(req->method, "POST"))
		return true;
	struct form f;
	struct jm_err err = {0};
	if (http_req_form(req, &f, &err) != JM_OK) {
		http_send_text(req, 400, err.msg[0] ? err.msg : "bad form");
		return false;
	}
	if (fresh || !auth_csrf_check(req->app->secret, binding, form_get(&f, "_csrf"))) {
		http_send_text(req, 403,
		               "CSRF token missing or invalid; reload the page and try again");
		return false;
	}
	return true;
}

/* The body limit of the route: h2o takes bodies up to the larger upload
 * limit, every other route refuses past max_body here, before anything
 * reads the body. Upload routes spool their file parts to DATA/tmp. */
static bool check_body(struct req *req)
{
	const struct app_config *c = &req->app->cfg;
	if (req->route_flags & ROUTE_UPLOAD) {
		req->spool_dir = arena_sprintf(req->arena, "%s/tmp", c->data_dir);
		return true;
	}
	if (req->body.len <= (size_t)c->max_body)
		return true;
	char msg[120];
	snprintf(msg, sizeof(msg), "request body too large (at most %lld bytes)",
	         (long long)c->max_body);
	if (req->path.len >= 5 && memcmp(req->path.p, "/api/", 5) == 0)
		http_send_json_error(req, 413, "too_large", msg, NULL);
	else
		http_send_text(req, 413, msg);
	return false;
}

static bool before(struct req *req)
{
	if (!check_body(req))
		return false;
	/* Security headers come from http/ (headers.c) on every answer. */
	if (req->route_flags & ROUTE_API)
		return check_api(req);
	if (!is_admin_path(req))
		return true;
	if (!check_session(req))
		return false;
	if ((req->route_flags & ROUTE_CSRF) && !check_csrf(req))
		return false;
	return admin_role_check(req); /* admin/render.c's route table */
}

void app_routes(struct app *app)
{
	app->router = router_new();
	web_routes(app, app->router);
	admin_routes(app, app->router);
	api_routes(app, app->router);
}

/* API clients get JSON errors; everyone else the site's friendly page. */
static void error_page(struct req *req, int status)
{
	if (req->path.len >= 5 && memcmp(req->path.p, "/api/", 5) == 0) {
		const char *code = status == 404   ? "not_found"
		                   : status == 405 ? "method_not_allowed"
		                                   : "bad_request";
		const char *msg = status == 404   ? "no such endpoint"
		                  : status == 405 ? "method not allowed for this endpoint"
		                                  : "bad request";
		http_header(req, "cache-control", "no-store");
		http_send_json_error(req, status, code, msg, NULL);
		return;
	}
	web_error_page(req, status);
}

/* Items in the trash longer than 30 days go for good (an hourly job; here
 * because this runs on one node of the cluster at a time). The first tick
 * after a start runs it too. */
static void trash_purge(struct app *app, struct db *db, int64_t now)
{
	int64_t arts = 0, nl = 0;
	(void)app;
	if (site_trash_purge(db, now, &arts) != JM_OK || nl_trash_purge(db, now, &nl) != JM_OK)
		log_at(LOG_WARN, "site", "purging the trash failed; will retry");
	else if (arts + nl)
		log_at(LOG_INFO, "site", "event=trash_purged articles=%lld newsletter=%lld",
		       (long long)arts, (long long)nl);
}

/* Events (forms/event.c): unconfirmed holds past their 24 hours go back
 * to the waitlist, reminders go out reminder_hours before the start. */
static void event_tick(struct db *db, int64_t now, bool *ok)
{
	int64_t expired = 0, reminded = 0;
	if (forms_event_tick(db, now, &expired, &reminded) != JM_OK) {
		log_at(LOG_WARN, "forms", "event holds and reminders failed; will retry");
		*ok = false;
	} else if (expired + reminded)
		log_at(LOG_INFO, "forms", "event=event_tick expired=%lld reminded=%lld",
		       (long long)expired, (long long)reminded);
}

/* The network's background duties: the search index and engagement scores
 * catch up with changes (a bounded amount per tick, so a big import is
 * indexed over a few minutes without holding the write lock long), every
 * score is recomputed once a day (months subscribed grow by themselves),
 * and the keep-in-touch digest is queued once a day when enabled. Runs on
 * the node holding the cluster's network lock (app_node.c); *ok = false
 * after a failure. */
static void network_tick(struct app *app, struct db *db, bool *ok)
{
	int64_t now = jm_now();
	*ok = true;
	if (net_search_sync(db, now, 2000, NULL) != JM_OK) {
		log_at(LOG_WARN, "network", "search index sync failed; will retry");
		*ok = false;
	}
	/* Engagement scores once a day (UTC), 500 people a tick. */
	if (app->net_tick.score_day != now / 86400) {
		enum jm_rc rc = net_score_refresh(db, now, &app->net_tick.score_cursor, 500);
		if (rc == JM_DONE)
			app->net_tick.score_day = now / 86400;
		else if (rc != JM_OK) {
			log_at(LOG_WARN, "network", "score refresh failed; will retry");
			*ok = false;
		}
	}
	/* Pending and finished admin imports older than a day (an hourly sweep;
	 * here because this runs on one node of the cluster at a time). */
	if (app->net_tick.import_sweep_hour != now / 3600) {
		app->net_tick.import_sweep_hour = now / 3600;
		if (upload_sweep(db, now) != JM_OK)
			log_at(LOG_WARN, "admin", "sweeping old imports failed; will retry");
	}
	if (app->net_tick.trash_purge_hour != now / 3600) {
		app->net_tick.trash_purge_hour = now / 3600;
		trash_purge(app, db, now);
	}
	event_tick(db, now, ok);
	if (now - app->net_tick.last_digest < 60)
		return;
	app->net_tick.last_digest = now;
	bool queued = false;
	if (net_touch_digest(db, now, &queued) != JM_OK) {
		log_at(LOG_WARN, "network", "keep-in-touch digest failed; will retry");
		*ok = false;
	} else if (queued)
		log_at(LOG_INFO, "network", "keep-in-touch digest queued");
}

/* This node's duties (page-view flush, its cache at a scheduled time) on
 * the scheduler's connection, then the cluster's, each on the node that
 * holds its lock. */
static void tick(struct app *app, struct db *db)
{
	web_tick(app, db);
	if (!http_stopping() && app->node)
		app_node_tick(app->node, network_tick);
}

enum jm_rc app_worker_start(struct app *app, struct jm_err *err)
{
	struct nl_worker_opts o = {
	        .db_url = app->cfg.db_url,
	        .secret = app->secret,
	        .base_url = app->cfg.base_url,
	        .smtp_url = app->cfg.smtp_url,
	        .data_dir = app->cfg.data_dir,
	        .threads = app->cfg.worker_threads > 0 ? (int)app->cfg.worker_threads : 2,
	        .listen = app->cfg.listen,
	};
	return nl_worker_start(&o, &app->worker, err);
}

/* Uploads a killed process left in DATA/tmp (upload.*: its spooled file
 * parts, folders of images, backup downloads): nothing refers to them once
 * the process is gone. Run once the
 * listeners are bound (a second `serve` refused for a busy port must not
 * remove the running one's files). */
static void spool_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "upload.", 7) != 0)
			continue;
		char path[1400];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) != 0 && errno == EISDIR)
			web_upload_tree_remove(path);
	}
	if (d)
		closedir(d);
}

/* Printed once the listeners are bound, so the URL shown really answers.
 * The delivery worker starts here too: only a process that really serves
 * may take over the queue (a second `serve` refused for a busy port must
 * not requeue the running worker's messages). */
static void print_banner(struct app *app, struct db *db)
{
	struct jm_err err = {0};
	char spool[1100];
	snprintf(spool, sizeof(spool), "%s/tmp", app->cfg.data_dir);
	spool_sweep(spool);
	int64_t stale = 0;
	snprintf(spool, sizeof(spool), "%s/media", app->cfg.data_dir);
	if (media_cache_sweep(db, spool, &stale) != JM_OK)
		log_at(LOG_WARN, "media", "cache sweep failed; deleted images may stay cached");
	else if (stale)
		log_at(LOG_INFO, "media", "event=cache_sweep removed=%lld", (long long)stale);
	if (app->cfg.worker_threads > 0 && app_worker_start(app, &err) != JM_OK)
		log_at(LOG_ERROR, "worker", "not started: %s", err.msg);
	bool https = app->cfg.tls_cert[0] != '\0';
	printf("jinmyaku %s serving http%s://%s/ (data: %s)\n", JM_VERSION, https ? "s" : "",
	       app->cfg.listen, app->cfg.data_dir);
	if (auth_user_count(db) == 0)
		printf("No account yet. Create the owner at http%s://%s/admin/setup\n"
		       "  or run: build/jinmyaku user add --email you@example.com --role owner "
		       "--data %s\n",
		       https ? "s" : "", app->cfg.listen, app->cfg.data_dir);
	fflush(stdout);
}

enum jm_rc app_serve(struct app *app, struct jm_err *err)
{
	enum jm_rc rc = load_views(app, err);
	if (rc)
		return rc;
	app_routes(app);
	char static_dir[1100], media_dir[1100], spool_dir[1100];
	snprintf(static_dir, sizeof(static_dir), "%s/static/", app->cfg.share_dir);
	snprintf(media_dir, sizeof(media_dir), "%s/media", app->cfg.data_dir);
	snprintf(spool_dir, sizeof(spool_dir), "%s/tmp", app->cfg.data_dir);
	if ((rc = ensure_dir(media_dir, err)) || (rc = ensure_dir(spool_dir, err)))
		return rc;
	struct http_server_opts o = {
	        .listen = app->cfg.listen,
	        .threads = (int)app->cfg.threads,
	        .workers = 2,
	        .max_body = (size_t)(app->cfg.max_upload > app->cfg.max_body ? app->cfg.max_upload
	                                                                     : app->cfg.max_body),
	        .static_dir = static_dir,
	        .media_dir = media_dir,
	        .spool_dir = spool_dir,
	        .access_log = app->cfg.access_log[0] ? app->cfg.access_log : NULL,
	        .tls_cert = app->cfg.tls_cert[0] ? app->cfg.tls_cert : NULL,
	        .tls_key = app->cfg.tls_key[0] ? app->cfg.tls_key : NULL,
	        .db_url = app->cfg.db_url,
	        .trusted_proxies = app->cfg.trusted_proxies,
	        .max_connections = (int)app->cfg.max_connections,
	        .hash_queue = (int)app->cfg.login_queue,
	        .cached = web_serve_fast,
	        .before = before,
	        .error_page = error_page,
	        .tick = tick,
	        .ready = print_banner,
	};
	app->node = app_node_start(app);
	rc = http_serve(app, app->router, &o, err);
	app_node_stop(app->node);
	app->node = NULL;
	nl_worker_stop(app->worker);
	app->worker = NULL;
	return rc;
}
