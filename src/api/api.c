/*
 * api.c — the JSON API under /api/v1/: route registration and the helpers
 * every API handler shares (JSON responses and errors, request-body
 * parsing, ids, pagination, site settings).
 *
 * Every API route is registered with ROUTE_API, so the app middleware has
 * already checked the bearer token (401 JSON otherwise) and set req->user
 * before a handler here runs.
 *
 * Invariants: every response, error or not, is application/json; charset=
 * utf-8 with Cache-Control: no-store, and every body is built by jansson
 * (json_dumps) — never by string concatenation. Bodies are RFC 8259 JSON in
 * UTF-8 (jansson rejects anything else), a single object, nested at most
 * API_JSON_MAX_DEPTH deep.
 */
#include <jansson.h>
#include <strings.h>

#include "api/api.h"
#include "api/api_int.h"
#include "app.h"
#include "auth/auth.h"
#include "http/http.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define JSON_CTYPE "application/json; charset=utf-8"

void api_send_json(struct req *req, int status, json_t *root)
{
	char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (!s) {
		log_at(LOG_ERROR, "api", "msg=\"cannot serialise response\"");
		api_send_error(req, 500, "internal", "internal error", NULL);
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_send(req, status, JSON_CTYPE, s, strlen(s));
	free(s);
}

void api_send_error(struct req *req, int status, const char *code, const char *msg,
                    const char *field)
{
	http_header(req, "cache-control", "no-store");
	http_send_json_error(req, status, code, msg, field);
}

void api_send_rc(struct req *req, enum jm_rc rc, const struct jm_err *err)
{
	const char *msg = err && err->msg[0] ? err->msg : NULL;
	const char *field = err && err->field[0] ? err->field : NULL;
	int status = http_status_for(rc);
	if (status >= 500) {
		log_at(LOG_ERROR, "api", "rc=%s msg=\"%s\"", jm_rc_name(rc), msg ? msg : "");
		api_send_error(req, 500, "internal", "internal error", NULL);
		return;
	}
	if (rc == JM_CONFLICT && !field) /* a conflict naming nothing is a taken slug */
		field = "slug", msg = msg ? msg : "slug already taken";
	api_send_error(req, status, jm_rc_name(rc), msg ? msg : http_status_msg(rc), field);
}

/* True for "application/json" with optional parameters (charset=utf-8). */
static bool is_json_ctype(const char *ct)
{
	static const char mt[] = "application/json";
	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, mt, sizeof(mt) - 1) != 0)
		return false;
	char c = ct[sizeof(mt) - 1];
	return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

static void decref_cb(void *p)
{
	json_decref(p);
}

json_t *api_body_object(struct req *req)
{
	if (!is_json_ctype(http_req_header(req, "content-type"))) {
		api_send_error(req, 415, "unsupported_media_type",
		               "Content-Type must be application/json", NULL);
		return NULL;
	}
	struct jm_err err = {0};
	json_t *root = api_json_parse(req->body.p, req->body.len, &err);
	if (!root) {
		api_send_error(req, 400, "invalid_json", err.msg, NULL);
		return NULL;
	}
	arena_defer(req->arena, decref_cb, root);
	return root;
}

/* Parses 1..max written as plain decimal digits (no sign, no spaces). */
static bool parse_bounded(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		int d = *s - '0';
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < 1)
		return false;
	*out = v;
	return true;
}

bool api_parse_id(const char *s, int64_t *out)
{
	return parse_bounded(s, INT64_MAX, out);
}

/* Reads one paging parameter; answers 400 naming it when it is bad. */
static bool page_param(struct req *req, const struct form *q, const char *name, int64_t max,
                       int *out)
{
	const char *s = form_get(q, name);
	int64_t v;
	if (!s)
		return true;
	if (!parse_bounded(s, max, &v)) {
		char *msg = arena_sprintf(req->arena, "%s must be an integer from 1 to %lld", name,
		                          (long long)max);
		api_send_error(req, 400, "invalid_parameter", msg, name);
		return false;
	}
	*out = (int)v;
	return true;
}

bool api_parse_pagination(struct req *req, const struct form *q, int *page, int *per_page)
{
	*page = 1;
	*per_page = API_PER_PAGE_DEFAULT;
	return page_param(req, q, "page", API_PAGE_MAX, page) &&
	       page_param(req, q, "per_page", API_PER_PAGE_MAX, per_page);
}

bool api_load_settings(struct req *req, struct site_settings *out)
{
	enum jm_rc rc = site_settings_load(req->db, req->arena, out);
	if (rc != JM_OK) {
		api_send_rc(req, rc == JM_NOT_FOUND ? JM_DB : rc, NULL);
		return false;
	}
	return true;
}

const char *api_base_url(struct req *req, const struct site_settings *st)
{
	return site_base_url(req->arena, st, req->app->cfg.base_url, req->app->cfg.listen);
}

/* GET /api/v1 — what this server speaks; handy to check a token. */
static void api_version(struct req *req)
{
	api_send_json(req, 200, json_pack("{s:s, s:s}", "version", JM_VERSION, "api", "v1"));
}

/* Who may use which API route: everything not listed is open to every
 * token. The one place the API's roles are decided; test_roles.py walks
 * it route by route. */
static const struct {
	const char *method, *pattern;
	unsigned flags;
} api_roles[] = {
        {"DELETE", "/api/v1/people/{id}", ROUTE_OWNER},
        {"GET", "/api/v1/settings", ROUTE_OWNER},
        {"PATCH", "/api/v1/settings", ROUTE_OWNER},
        {"POST", "/api/v1/people/{id}/merge", ROUTE_OWNER},
        {"DELETE", "/api/v1/lists/{id}", ROUTE_OWNER},
        {"POST", "/api/v1/lists/{id}/restore", ROUTE_OWNER},
        {"DELETE", "/api/v1/broadcasts/{id}", ROUTE_OWNER_IF_SCHEDULED},
        {"GET", "/api/v1/subscribers", ROUTE_OWNER},           /* everyone, consent IPs included */
        {"POST", "/api/v1/subscribers/bulk", ROUTE_OWNER_OPS}, /* "op":"erase" */
        {"PATCH", "/api/v1/broadcasts/{id}", ROUTE_OWNER_IF_SCHEDULED},
        {"POST", "/api/v1/broadcasts/{id}/send", ROUTE_OWNER},
        {"POST", "/api/v1/broadcasts/{id}/resume", ROUTE_OWNER},
        {"POST", "/api/v1/broadcasts/{id}/cancel", ROUTE_OWNER},
        {"DELETE", "/api/v1/forms/{id}", ROUTE_OWNER},             /* a form's answers go with it */
        {"GET", "/api/v1/forms/{id}/answers/export", ROUTE_OWNER}, /* every responder's address */
};

/* Whether the JSON body's "op" is an owner verb (a body that does not
 * parse is left to the handler's 400). */
static bool body_op_needs_owner(struct req *req)
{
	json_t *b = json_loadb(req->body.p ? req->body.p : "", req->body.len, 0, NULL);
	json_t *op = json_is_object(b) ? json_object_get(b, "op") : NULL;
	bool owner = json_is_string(op) && auth_op_needs_owner(json_string_value(op));
	json_decref(b);
	return owner;
}

/* Whether the broadcast named by the {id} parameter is scheduled (a bad id
 * is left to the handler's 404). */
static bool broadcast_scheduled(struct req *req)
{
	const char *s = req_param(req, "id");
	char *end = NULL;
	long long id = s ? strtoll(s, &end, 10) : 0;
	struct nl_broadcast b;
	return id > 0 && end && !*end && nl_broadcast_get(req->db, req->arena, id, &b) == JM_OK &&
	       b.status && strcmp(b.status, "scheduled") == 0;
}

bool api_role_check(struct req *req)
{
	if (auth_user_is_owner(req->user))
		return true;
	bool denied = (req->route_flags & ROUTE_OWNER) ||
	              ((req->route_flags & ROUTE_OWNER_OPS) && body_op_needs_owner(req)) ||
	              ((req->route_flags & ROUTE_OWNER_IF_SCHEDULED) && broadcast_scheduled(req));
	if (!denied)
		return true;
	api_send_error(req, 403, "forbidden", "this action needs the owner role", NULL);
	return false;
}

void api_routes(struct app *app, struct router *r)
{
	(void)app;
	router_add(r, "GET", "/api/v1", api_version, ROUTE_API);
	router_add(r, "GET", "/api/v1/", api_version, ROUTE_API);
	api_articles_routes(r);
	api_media_routes(r);
	api_trash_routes(r);
	api_newsletter_routes(r);
	api_people_routes(r);
	api_network_routes(r);
	api_settings_routes(r);
	api_forms_routes(r);
	api_form_results_routes(r);
	api_form_jobs_routes(r);
	for (size_t i = 0; i < sizeof(api_roles) / sizeof(api_roles[0]); i++)
		router_add_flags(r, api_roles[i].method, api_roles[i].pattern, api_roles[i].flags);
}
