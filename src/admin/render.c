/*
 * render.c — the admin UI's route table and the helpers every admin page
 * shares: the page renderer (layout context, no-store caching), error pages,
 * form parsing with the right 400/413 answers, safe redirect targets, time
 * formatting in the site's zone, starting a session after login/setup, and
 * the JSON answers of an editor's autosave (static/editor.js).
 *
 * Invariants: every page goes through admin_render, so every page gets the
 * CSRF token and the no-store header; nothing here writes to the database
 * except admin_session_start.
 */
#include <jansson.h>

#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define ADMIN_PAGE_CAP    (8u << 20) /* editor + preview of a 1 MiB article */
#define ADMIN_FORM_FIELDS 256

/* Who may use which admin route: everything not listed is open to every
 * signed-in user (owner and editor). The one place the admin's roles are
 * decided; tests/integration/test_roles.py walks it route by route. */
static const struct {
	const char *method, *pattern;
	unsigned flags;
} admin_roles[] = {
        {"GET", "/admin/settings", ROUTE_OWNER},
        {"POST", "/admin/settings", ROUTE_OWNER},
        {"POST", "/admin/settings/test-mail", ROUTE_OWNER},
        {"GET", "/admin/tokens", ROUTE_OWNER},
        {"POST", "/admin/tokens", ROUTE_OWNER},
        {"POST", "/admin/tokens/{id}/revoke", ROUTE_OWNER},
        {"GET", "/admin/users", ROUTE_OWNER},
        {"GET", "/admin/backup.tar.gz", ROUTE_OWNER},
        {"POST", "/admin/users/invite", ROUTE_OWNER},
        {"POST", "/admin/users/{id}/remove", ROUTE_OWNER},
        {"POST", "/admin/lists/{id}/delete", ROUTE_OWNER},
        {"POST", "/admin/trash/lists/{id}/restore", ROUTE_OWNER},
        {"POST", "/admin/broadcasts/{id}/delete", ROUTE_OWNER_IF_SCHEDULED},
        {"GET", "/admin/lists/{id}/export.csv", ROUTE_OWNER},
        {"GET", "/admin/people/export.csv", ROUTE_OWNER},
        {"GET", "/admin/people/export.vcf", ROUTE_OWNER},
        {"POST", "/admin/people/{id}/delete", ROUTE_OWNER},
        {"POST", "/admin/people/{id}/merge", ROUTE_OWNER},
        {"POST", "/admin/people/bulk", ROUTE_OWNER_OPS},
        {"POST", "/admin/subscribers/bulk", ROUTE_OWNER_OPS}, /* op=erase */
        {"POST", "/admin/broadcasts", ROUTE_OWNER_OPS},       /* action=send|schedule */
        {"POST", "/admin/broadcasts/{id}", ROUTE_OWNER_OPS | ROUTE_OWNER_IF_SCHEDULED},
        {"POST", "/admin/broadcasts/{id}/resume", ROUTE_OWNER},
        {"POST", "/admin/broadcasts/{id}/cancel", ROUTE_OWNER},
        {"GET", "/admin/blog-import", ROUTE_OWNER},
        {"POST", "/admin/blog-import", ROUTE_OWNER},
        {"GET", "/admin/blog-import/{id}", ROUTE_OWNER},
        {"POST", "/admin/forms/{id}/checkin/fans", ROUTE_OWNER}, /* stages: the owner's call */
        {"POST", "/admin/forms/{id}/delete", ROUTE_OWNER},       /* its answers go with it */
        {"GET", "/admin/forms/{id}/answers.csv", ROUTE_OWNER},   /* every responder's address */
};

static void admin_roles_apply(struct router *r)
{
	for (size_t i = 0; i < sizeof(admin_roles) / sizeof(admin_roles[0]); i++)
		router_add_flags(r, admin_roles[i].method, admin_roles[i].pattern,
		                 admin_roles[i].flags);
}

static bool param_id(struct req *req, int64_t *out);

/* Whether the broadcast named by the {id} parameter is scheduled. */
static bool broadcast_scheduled(struct req *req)
{
	int64_t id;
	struct nl_broadcast b;
	return param_id(req, &id) && nl_broadcast_get(req->db, req->arena, id, &b) == JM_OK &&
	       b.status && strcmp(b.status, "scheduled") == 0;
}

bool admin_role_check(struct req *req)
{
	const struct auth_user *u = admin_user(req);
	if (!u || auth_user_is_owner(u))
		return true;
	bool denied = (req->route_flags & ROUTE_OWNER) != 0 ||
	              ((req->route_flags & ROUTE_OWNER_IF_SCHEDULED) &&
	               str_eq(req->method, "POST") && broadcast_scheduled(req));
	if (!denied && (req->route_flags & ROUTE_OWNER_OPS) && str_eq(req->method, "POST")) {
		struct form f;
		struct jm_err err = {0};
		if (http_req_form(req, &f, &err) == JM_OK)
			denied = auth_op_needs_owner(form_get(&f, "op")) ||
			         auth_op_needs_owner(form_get(&f, "action"));
	}
	if (!denied)
		return true;
	log_at(LOG_WARN, "admin", "event=role_denied user=%lld path=%.*s", (long long)u->id,
	       (int)req->path.len, req->path.p);
	http_header(req, "cache-control", "no-store");
	admin_error(req, 403, "admin.err.owner_only");
	return false;
}

void admin_routes(struct app *app, struct router *r)
{
	(void)app;
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/setup", admin_setup_get, ROUTE_CSRF);
	router_add(r, "POST", "/admin/setup", admin_setup_post, ROUTE_CSRF);
	router_add(r, "GET", "/admin/login", admin_login_get, ROUTE_CSRF);
	router_add(r, "POST", "/admin/login", admin_login_post, ROUTE_CSRF);
	router_add(r, "POST", "/admin/logout", admin_logout_post, adm);
	router_add(r, "POST", "/admin/lang", admin_lang_post, adm);
	router_add(r, "GET", "/admin", admin_dashboard_get, adm);
	router_add(r, "GET", "/admin/", admin_dashboard_get, adm);
	router_add(r, "GET", "/admin/articles", admin_articles_list, adm);
	router_add(r, "GET", "/admin/articles/new", admin_article_new, adm);
	router_add(r, "POST", "/admin/articles", admin_article_create, adm);
	router_add(r, "GET", "/admin/articles/{id}", admin_article_edit, adm);
	router_add(r, "POST", "/admin/articles/{id}", admin_article_save, adm);
	router_add(r, "POST", "/admin/articles/{id}/delete", admin_article_delete, adm);
	router_add(r, "POST", "/admin/preview", admin_preview_post, adm);
	router_add(r, "GET", "/admin/categories", admin_categories_get, adm);
	router_add(r, "POST", "/admin/categories", admin_categories_post, adm);
	router_add(r, "POST", "/admin/categories/{id}/delete", admin_category_delete, adm);
	router_add(r, "GET", "/admin/settings", admin_settings_get, adm);
	router_add(r, "POST", "/admin/settings", admin_settings_post, adm);
	router_add(r, "POST", "/admin/settings/test-mail", admin_settings_test_mail, adm);
	router_add(r, "GET", "/admin/tokens", admin_tokens_get, adm);
	router_add(r, "POST", "/admin/tokens", admin_tokens_post, adm);
	router_add(r, "POST", "/admin/tokens/{id}/revoke", admin_token_revoke, adm);
	router_add(r, "GET", "/admin/forms/{id}/checkin", admin_checkin_get, adm);
	router_add(r, "POST", "/admin/forms/{id}/checkin", admin_checkin_post, adm);
	router_add(r, "GET", "/admin/forms/{id}/checkin/scan", admin_checkin_scan, adm);
	router_add(r, "GET", "/admin/forms/{id}/checkin/fans", admin_checkin_fans_get, adm);
	router_add(r, "POST", "/admin/forms/{id}/checkin/fans", admin_checkin_fans_post, adm);
	admin_form_files_routes(r); /* forms: a file sent with an answer */
	admin_blog_import_routes(r);
	admin_trash_routes(r); /* before nl: /admin/broadcasts/{id}/delete */
	admin_nl_routes(r);
	admin_people_io_routes(r); /* before people: export.csv, import are not {id} */
	admin_people_routes(r);
	admin_inbox_routes(r);
	admin_form_jobs_routes(r);
	admin_login_routes(r);
	admin_account_routes(r);
	admin_users_routes(r);
	admin_backup_routes(r);
	admin_reports_routes(r);
	admin_form_results_routes(r);
	admin_media_routes(r);
	admin_forms_routes(r);
	admin_roles_apply(r);
}

const struct auth_user *admin_user(const struct req *req)
{
	return req->user;
}

const char *admin_t(const struct req *req, const char *key)
{
	return i18n_get(req->app->i18n, req->lang, key);
}

struct view_val *admin_ctx(struct req *req, const char *nav)
{
	struct view_val *ctx = view_map(req->arena);
	view_set_str(ctx, "nav", nav ? nav : "");
	view_set_strn(ctx, "path", req->path.p, req->path.len);
	view_set_str(ctx, "ui_lang", req->lang ? req->lang : "ja");
	return ctx;
}

/* Adds what the layout needs: the user, the CSRF token, the language. */
static void layout_ctx(struct req *req, struct view_val *ctx)
{
	const struct auth_user *u = admin_user(req);
	view_set_str(ctx, "csrf", req->csrf ? req->csrf : "");
	if (!u)
		return;
	struct view_val *um = view_map(req->arena);
	view_set_int(um, "id", u->id);
	view_set_str(um, "email", u->email);
	view_set_str(um, "name", u->name && u->name[0] ? u->name : u->email);
	view_set_str(um, "role", u->role);
	view_set_bool(um, "is_owner", u->role && strcmp(u->role, "owner") == 0);
	view_set(ctx, "user", um);
}

void admin_render(struct req *req, int status, const char *tpl, struct view_val *ctx)
{
	struct buf out;
	buf_init(&out, ADMIN_PAGE_CAP);
	layout_ctx(req, ctx);
	enum jm_rc rc = view_render(req->app->view, tpl, ctx, req->lang, &out);
	if (rc != JM_OK) {
		buf_free(&out);
		admin_fail(req, tpl, rc);
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_send_buf(req, status, "text/html; charset=utf-8", &out);
	buf_free(&out);
}

void admin_fail(struct req *req, const char *what, enum jm_rc rc)
{
	log_at(LOG_ERROR, "admin", "path=%.*s what=%s rc=%s", (int)req->path.len, req->path.p, what,
	       jm_rc_name(rc));
	http_header(req, "cache-control", "no-store");
	/* Plain text (a template may be what failed), in the UI's language. */
	http_send_text(req, 500, admin_t(req, "admin.err.internal"));
}

void admin_error(struct req *req, int status, const char *msg_key)
{
	struct view_val *ctx = admin_ctx(req, NULL);
	view_set_int(ctx, "status", status);
	view_set_str(ctx, "message", admin_t(req, msg_key));
	admin_render(req, status, "admin/error.html", ctx);
}

void admin_err_localize(const struct req *req, struct jm_err *err, const char *prefix,
                        const char *fallback_key)
{
	char key[128];
	const char *text = NULL;
	if (err->field[0]) {
		int n = snprintf(key, sizeof(key), "%s%s", prefix, err->field);
		if (n > 0 && (size_t)n < sizeof(key)) {
			text = admin_t(req, key);
			if (strcmp(text, key) == 0)
				text = NULL; /* not in the catalog */
		}
	}
	if (!text)
		text = admin_t(req, fallback_key);
	snprintf(err->msg, sizeof(err->msg), "%s", text);
}

bool admin_check(struct req *req, enum jm_rc rc, const char *what)
{
	if (rc == JM_NOT_FOUND)
		admin_error(req, 404, "admin.err.not_found");
	else if (rc)
		admin_fail(req, what, rc);
	return rc == JM_OK;
}

bool admin_form(struct req *req, struct form *out)
{
	struct jm_err err = {0};
	enum jm_rc rc = http_req_form(req, out, &err);
	if (rc == JM_OK)
		return true;
	if (rc == JM_TOO_LARGE)
		admin_error(req, 413, "admin.err.too_large");
	else
		admin_error(req, 400, "admin.err.bad_request");
	return false;
}

/* The {id} parameter as a positive integer, without answering. */
static bool param_id(struct req *req, int64_t *out)
{
	const char *s = req_param(req, "id");
	int64_t v = 0;
	if (!s || !*s || strlen(s) > 15)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return v > 0;
}

bool admin_param_id(struct req *req, int64_t *out)
{
	if (param_id(req, out))
		return true;
	admin_error(req, 404, "admin.err.not_found");
	return false;
}

bool admin_safe_next(const char *next)
{
	if (!next || strncmp(next, "/admin", 6) != 0)
		return false;
	if (next[6] != '\0' && next[6] != '/' && next[6] != '?')
		return false;
	if (strstr(next, "//") || strchr(next, '\\'))
		return false;
	for (const unsigned char *p = (const unsigned char *)next; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return strlen(next) < 1024;
}

const char *admin_time_fmt(struct arena *a, int64_t t, int tz_offset_min, char sep)
{
	if (t <= 0)
		return "";
	time_t local = (time_t)(t + (int64_t)tz_offset_min * 60);
	struct tm tm;
	if (!gmtime_r(&local, &tm))
		return "";
	return arena_sprintf(a, "%04d-%02d-%02d%c%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	                     tm.tm_mday, sep, tm.tm_hour, tm.tm_min);
}

bool admin_settings(struct req *req, struct site_settings *out)
{
	enum jm_rc rc = site_settings_load(req->db, req->arena, out);
	if (rc == JM_OK)
		return true;
	admin_fail(req, "site_settings_load", rc);
	return false;
}

void admin_session_start(struct req *req, int64_t user_id, const char *location)
{
	char token[64];
	enum jm_rc rc =
	        auth_session_create(req->db, req->app->secret, user_id,
	                            http_req_header(req, "user-agent"), http_req_ip(req), token);
	if (rc != JM_OK) {
		admin_fail(req, "auth_session_create", rc);
		return;
	}
	http_set_cookie(req, AUTH_SESSION_COOKIE, token, AUTH_SESSION_TTL, app_cookie_flags(req));
	http_header(req, "cache-control", "no-store");
	http_redirect(req, 303, location);
}

/* ---- autosave (static/editor.js: the article and broadcast editors) ----
 * The editor posts its form with autosave=1 a few seconds after typing
 * stops: the same endpoint and validation as a save, answered in JSON. */

bool admin_autosave_asked(const struct form *f)
{
	const char *v = form_get(f, "autosave");
	return v && strcmp(v, "1") == 0;
}

void admin_autosave_error(struct req *req, int status, const struct jm_err *err)
{
	http_header(req, "cache-control", "no-store");
	http_send_json_error(req, status, "autosave",
	                     err && err->msg[0] ? err->msg : admin_t(req, "admin.err.invalid"),
	                     err && err->field[0] ? err->field : NULL);
}

void admin_autosave_ok(struct req *req, const char *url, int64_t id)
{
	struct site_settings s;
	if (!admin_settings(req, &s))
		return;
	const char *t = admin_time_fmt(req->arena, jm_now(), s.tz_offset_min, ' ');
	size_t n = strlen(t);
	json_t *j = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "url", url, "saved_at",
	                      n >= 5 ? t + n - 5 : t);
	char *body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	http_header(req, "cache-control", "no-store");
	if (body)
		http_send(req, 200, "application/json; charset=utf-8", body, strlen(body));
	else
		admin_fail(req, "autosave", JM_NOMEM);
	free(body);
}
