/*
 * broadcasts.c — /api/v1/broadcasts: create, list, show and edit
 * broadcasts, and the send|pause|resume|cancel|test actions, as JSON:
 *   {"id","list_id","subject","body" (Markdown with merge fields),
 *    "audience" (object: tags_any, tags_none, fields),"status","slug",
 *    "public","scheduled_at","started_at","finished_at","created_at",
 *    "counts":{"total","sent","failed","queued","rate" (msgs/s, last
 *    minute)}}
 * Errors as in api.c: 404 unknown id, 409 a state that does not allow the
 * action (editing a sent broadcast, pausing a draft), 422 naming the field
 * (settings missing before the first send: field "settings").
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "http/http.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

static json_t *broadcast_json(const struct nl_broadcast *b)
{
	json_t *o = json_object(), *c = json_object();
	json_t *aud = b->audience && *b->audience ? json_loads(b->audience, 0, NULL) : NULL;
	json_object_set_new(c, "total", json_integer(b->total));
	json_object_set_new(c, "sent", json_integer(b->sent));
	json_object_set_new(c, "failed", json_integer(b->failed));
	json_object_set_new(c, "queued", json_integer(b->queued));
	json_object_set_new(c, "rate", json_real(b->rate));
	json_object_set_new(o, "id", json_integer(b->id));
	json_object_set_new(o, "list_id", json_integer(b->list_id));
	json_object_set_new(o, "subject", api_jstr(b->subject));
	json_object_set_new(o, "body", api_jstr(b->body_md));
	json_object_set_new(o, "audience", aud ? aud : json_object());
	json_object_set_new(o, "status", api_jstr(b->status));
	json_object_set_new(o, "slug", b->slug && *b->slug ? api_jstr(b->slug) : json_null());
	json_object_set_new(o, "public", json_boolean(b->public_));
	json_object_set_new(o, "scheduled_at", api_jtime(b->scheduled_at));
	json_object_set_new(o, "started_at", api_jtime(b->started_at));
	json_object_set_new(o, "finished_at", api_jtime(b->finished_at));
	json_object_set_new(o, "created_at", api_jtime(b->created_at));
	json_object_set_new(o, "counts", c);
	json_object_set_new(o, "waiting", b->waiting ? api_jstr(b->waiting) : json_null());
	return o;
}

static void send_broadcast(struct req *req, int status, int64_t id)
{
	struct nl_broadcast b;
	struct jm_err err = {0};
	enum jm_rc rc = nl_broadcast_get(req->db, req->arena, id, &b);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "broadcast");
		return;
	}
	api_send_json(req, status, broadcast_json(&b));
}

/* audience: an object (stored as its JSON text) or null (everyone). */
static bool get_audience(struct req *req, json_t *b, struct nl_broadcast_input *in)
{
	json_t *v = json_object_get(b, "audience");
	if (!v)
		return true;
	in->has_audience = true;
	in->audience = "";
	if (json_is_null(v))
		return true;
	char *s = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
	if (!s) {
		api_type_error(req, "audience", "an object or null");
		return false;
	}
	in->audience = arena_strdup(req->arena, s);
	free(s);
	return true;
}

/* scheduled_at: ISO 8601 or null (send when asked); a time without a zone
 * is read in the site's zone (site_time_parse), like everywhere else. */
static bool get_schedule(struct req *req, json_t *b, struct nl_broadcast_input *in)
{
	json_t *v = json_object_get(b, "scheduled_at");
	if (!v)
		return true;
	in->has_scheduled_at = true;
	in->scheduled_at = 0;
	if (json_is_null(v))
		return true;
	struct site_settings st;
	if (!api_load_settings(req, &st))
		return false;
	if (!json_is_string(v) || site_time_parse(&st, json_string_value(v), &in->scheduled_at)) {
		api_send_error(req, 422, "invalid",
		               "scheduled_at must be an ISO 8601 time like 2026-11-29T09:00:00Z",
		               "scheduled_at");
		return false;
	}
	return true;
}

static const char *const broadcast_keys[] = {"list_id", "subject",  "body",         "slug",
                                             "public",  "audience", "scheduled_at", NULL};

static bool broadcast_input(struct req *req, json_t *b, struct nl_broadcast_input *in)
{
	memset(in, 0, sizeof(*in));
	bool ok = api_get_id(req, b, "list_id", &in->list_id, &in->has_list) &&
	          api_get_str(req, b, "subject", false, &in->subject, &in->has_subject) &&
	          api_get_str(req, b, "body", true, &in->body_md, &in->has_body) &&
	          api_get_str(req, b, "slug", true, &in->slug, &in->has_slug) &&
	          api_get_bool(req, b, "public", &in->public_, &in->has_public) &&
	          get_audience(req, b, in) && get_schedule(req, b, in);
	if (ok && in->has_slug && !*in->slug)
		in->slug = NULL;
	return ok;
}

static void broadcasts_create(struct req *req)
{
	struct nl_broadcast_input in;
	struct jm_err err = {0};
	int64_t id = 0;
	json_t *b = api_body(req, broadcast_keys);
	if (!b || !broadcast_input(req, b, &in))
		return;
	if (!in.has_list || !in.has_subject) {
		api_missing(req, in.has_list ? "subject" : "list_id");
		return;
	}
	enum jm_rc rc = nl_broadcast_create(req->db, &in, &id, &err);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "broadcast");
		return;
	}
	http_header(req, "location",
	            arena_sprintf(req->arena, "/api/v1/broadcasts/%lld", (long long)id));
	send_broadcast(req, 201, id);
}

static void broadcasts_index(struct req *req)
{
	struct form q;
	int page, per_page;
	struct nl_broadcast *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	if (!api_query(req, &q) || !api_parse_pagination(req, &q, &page, &per_page))
		return;
	enum jm_rc rc = nl_broadcast_list(req->db, req->arena, page, per_page, &items, &n, &total);
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, broadcast_json(&items[i]));
	api_send_json(req, 200, api_page_json(arr, page, per_page, total));
}

static void broadcasts_show(struct req *req)
{
	int64_t id;
	if (api_path_id(req, "broadcast", &id))
		send_broadcast(req, 200, id);
}

static void broadcasts_patch(struct req *req)
{
	struct nl_broadcast_input in;
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "broadcast", &id))
		return;
	json_t *b = api_body(req, broadcast_keys);
	if (!b || !broadcast_input(req, b, &in))
		return;
	enum jm_rc rc = nl_broadcast_update(req->db, id, &in, &err);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "broadcast");
		return;
	}
	send_broadcast(req, 200, id);
}

/* POST /api/v1/broadcasts/{id}/send → 202: the worker expands and sends. */
static void broadcasts_send(struct req *req)
{
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "broadcast", &id))
		return;
	struct nl_broadcast b;
	enum jm_rc rc = nl_broadcast_get(req->db, req->arena, id, &b); /* 404 before 422 */
	if (!rc)
		rc = nl_broadcast_send(req->db, id, jm_now(), &err);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "broadcast");
		return;
	}
	send_broadcast(req, 202, id);
}

/* pause / resume / cancel: 200 with the broadcast, 409 from a state that
 * does not allow it. */
static void broadcast_transition(struct req *req, enum jm_rc (*fn)(struct db *, int64_t))
{
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "broadcast", &id))
		return;
	enum jm_rc rc = fn(req->db, id);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "broadcast");
		return;
	}
	send_broadcast(req, 200, id);
}

static void broadcasts_pause(struct req *req)
{
	broadcast_transition(req, nl_broadcast_pause);
}

static void broadcasts_resume(struct req *req)
{
	broadcast_transition(req, nl_broadcast_resume);
}

static void broadcasts_cancel(struct req *req)
{
	broadcast_transition(req, nl_broadcast_cancel);
}

/* POST /api/v1/broadcasts/{id}/test {email} → 202 {"queued":true,…}. */
static void broadcasts_test(struct req *req)
{
	const char *email = NULL;
	bool has = false;
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "broadcast", &id))
		return;
	static const char *const keys[] = {"email", NULL};
	json_t *b = api_body(req, keys);
	if (!b || !api_get_str(req, b, "email", false, &email, &has))
		return;
	if (!has) {
		api_missing(req, "email");
		return;
	}
	enum jm_rc rc = nl_broadcast_test(req->db, id, email, &err);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "broadcast");
		return;
	}
	api_send_json(req, 202, json_pack("{s:b, s:s}", "queued", 1, "email", email));
}

void api_broadcasts_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/broadcasts", broadcasts_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/broadcasts", broadcasts_create, ROUTE_API);
	router_add(r, "GET", "/api/v1/broadcasts/{id}", broadcasts_show, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/broadcasts/{id}", broadcasts_patch, ROUTE_API);
	router_add(r, "POST", "/api/v1/broadcasts/{id}/send", broadcasts_send, ROUTE_API);
	router_add(r, "POST", "/api/v1/broadcasts/{id}/pause", broadcasts_pause, ROUTE_API);
	router_add(r, "POST", "/api/v1/broadcasts/{id}/resume", broadcasts_resume, ROUTE_API);
	router_add(r, "POST", "/api/v1/broadcasts/{id}/cancel", broadcasts_cancel, ROUTE_API);
	router_add(r, "POST", "/api/v1/broadcasts/{id}/test", broadcasts_test, ROUTE_API);
}
