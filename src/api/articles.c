/*
 * articles.c — /api/v1/articles: create, list, show, partial update and
 * delete articles as JSON. Handlers stay thin: parse the request, call
 * site_article_*, render with jansson.
 *
 * Article JSON: {"id","slug","title","body" (Markdown),"excerpt","status",
 * "published_at" (ISO 8601 UTC or null),"created_at","updated_at",
 * "tags":[…],"url"}. Input fields: title, slug, body, excerpt, status,
 * published_at (ISO 8601; without a zone it is read in the site's
 * tz_offset_min), tags. An unknown field (say "body_md") or a field
 * present with the wrong JSON type is a 422 naming it, and nothing
 * changes.
 *
 * Cached public pages are invalidated by the write functions themselves
 * (site_content_written), not here.
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "auth/auth.h"
#include "http/http.h"
#include "site/site.h"

/* ---- input ---- */

static void type_error(struct req *req, const char *field, const char *want)
{
	char *msg = arena_sprintf(req->arena, "%s must be %s", field, want);
	api_send_error(req, 422, "invalid", msg, field);
}

/* Reads key as a string; nullable turns JSON null into "". Absent leaves
 * *has false. Strings are owned by the body (jansson rejected NUL bytes and
 * invalid UTF-8 already). */
static bool get_str(struct req *req, json_t *body, const char *key, bool nullable, const char **out,
                    bool *has)
{
	json_t *v = json_object_get(body, key);
	if (!v)
		return true;
	if (json_is_string(v)) {
		*out = json_string_value(v);
	} else if (nullable && json_is_null(v)) {
		*out = "";
	} else {
		type_error(req, key, nullable ? "a string or null" : "a string");
		return false;
	}
	*has = true;
	return true;
}

/* published_at: an ISO 8601 string or null (unpublished). */
static bool get_time(struct req *req, json_t *body, const struct site_settings *st,
                     struct article_input *in)
{
	json_t *v = json_object_get(body, "published_at");
	if (!v)
		return true;
	in->has_published_at = true;
	in->published_at = 0;
	if (json_is_null(v))
		return true;
	if (!json_is_string(v)) {
		type_error(req, "published_at", "an ISO 8601 string or null");
		return false;
	}
	if (site_time_parse(st, json_string_value(v), &in->published_at) != JM_OK) {
		api_send_error(req, 422, "invalid",
		               "published_at must be an ISO 8601 time like 2026-11-29T09:00:00Z",
		               "published_at");
		return false;
	}
	return true;
}

/* tags: an array of strings (null clears them). */
static bool get_tags(struct req *req, json_t *body, struct article_input *in)
{
	json_t *v = json_object_get(body, "tags");
	if (!v)
		return true;
	in->has_tags = true;
	if (json_is_null(v))
		return true;
	if (!json_is_array(v)) {
		type_error(req, "tags", "an array of strings");
		return false;
	}
	size_t n = json_array_size(v);
	if (n > ARTICLE_TAGS_MAX) {
		char *msg = arena_sprintf(req->arena, "at most %d tags", ARTICLE_TAGS_MAX);
		api_send_error(req, 422, "invalid", msg, "tags");
		return false;
	}
	in->tags = arena_alloc(req->arena, (n ? n : 1) * sizeof(*in->tags));
	for (size_t i = 0; i < n; i++) {
		json_t *t = json_array_get(v, i);
		if (!json_is_string(t)) {
			type_error(req, "tags", "an array of strings");
			return false;
		}
		in->tags[i] = json_string_value(t);
	}
	in->ntags = n;
	return true;
}

static const char *const article_keys[] = {"title",  "slug",         "body", "excerpt",
                                           "status", "published_at", "tags", NULL};

/* Fills in from the body; answers 422 and returns false on a wrong type. */
static bool input_from_json(struct req *req, json_t *body, const struct site_settings *st,
                            struct article_input *in)
{
	memset(in, 0, sizeof(*in));
	return get_str(req, body, "title", false, &in->title, &in->has_title) &&
	       get_str(req, body, "slug", false, &in->slug, &in->has_slug) &&
	       get_str(req, body, "body", true, &in->body_md, &in->has_body) &&
	       get_str(req, body, "excerpt", true, &in->excerpt, &in->has_excerpt) &&
	       get_str(req, body, "status", false, &in->status, &in->has_status) &&
	       get_time(req, body, st, in) && get_tags(req, body, in);
}

/* The {id} route parameter; answers 404 when it is not a positive integer. */
static bool path_id(struct req *req, int64_t *id)
{
	if (api_parse_id(req_param(req, "id"), id))
		return true;
	api_send_error(req, 404, "not_found", "no such article", NULL);
	return false;
}

/* Answers a site_article_* failure, naming fields as the API spells them
 * (the domain calls the Markdown body "body_md"). */
static void send_site_error(struct req *req, enum jm_rc rc, struct jm_err *err)
{
	if (rc == JM_NOT_FOUND && !err->msg[0])
		jm_err_set(err, NULL, "no such article");
	if (strcmp(err->field, "body_md") == 0)
		jm_err_set(err, "body", "invalid body (at most %d bytes)", ARTICLE_BODY_MAX);
	api_send_rc(req, rc, err);
}

/* ---- output ---- */

static json_t *str_or_empty(const char *s)
{
	json_t *j = json_string(s ? s : "");
	return j ? j : json_string("");
}

static json_t *time_or_null(int64_t t)
{
	char iso[32];
	if (t == 0)
		return json_null();
	jm_time_iso(t, iso);
	return json_string(iso);
}

/* base + "/articles/" + slug, the slug percent-encoded as a path segment. */
static const char *article_url(struct req *req, const char *base, const char *slug)
{
	struct buf b = BUF_INIT;
	const char *out = "";
	if (buf_appends(&b, base) == JM_OK && buf_appends(&b, "/articles/") == JM_OK &&
	    http_url_encode(&b, slug, strlen(slug)) == JM_OK)
		out = arena_strdup(req->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static json_t *article_json(struct req *req, const struct article *a, const char *base)
{
	json_t *o = json_object();
	json_t *tags = json_array();
	for (size_t i = 0; i < a->ntags; i++)
		json_array_append_new(tags, str_or_empty(a->tags[i]));
	json_object_set_new(o, "id", json_integer(a->id));
	json_object_set_new(o, "slug", str_or_empty(a->slug));
	json_object_set_new(o, "title", str_or_empty(a->title));
	json_object_set_new(o, "body", str_or_empty(a->body_md));
	json_object_set_new(o, "excerpt", str_or_empty(a->excerpt));
	json_object_set_new(o, "status", str_or_empty(a->status));
	json_object_set_new(o, "published_at", time_or_null(a->published_at));
	json_object_set_new(o, "created_at", time_or_null(a->created_at));
	json_object_set_new(o, "updated_at", time_or_null(a->updated_at));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "url", str_or_empty(article_url(req, base, a->slug ? a->slug : "")));
	return o;
}

/* Loads article id and sends it with status. */
static void send_article(struct req *req, int status, int64_t id, const struct site_settings *st)
{
	struct article a;
	struct jm_err err = {.msg = "no such article"};
	enum jm_rc rc = site_article_get(req->db, req->arena, id, &a);
	if (rc != JM_OK) {
		api_send_rc(req, rc, &err);
		return;
	}
	api_send_json(req, status, article_json(req, &a, api_base_url(req, st)));
}

/* ---- handlers ---- */

/* POST /api/v1/articles → 201 + Location. */
static void article_create(struct req *req)
{
	struct site_settings st;
	struct article_input in;
	struct jm_err err = {0};
	const struct auth_user *user = req->user;
	int64_t id = 0;
	json_t *body = api_body(req, article_keys);
	if (!body || !api_load_settings(req, &st))
		return;
	if (!json_object_get(body, "title")) {
		api_send_error(req, 422, "missing_field", "title is required", "title");
		return;
	}
	if (!input_from_json(req, body, &st, &in))
		return;
	enum jm_rc rc = site_article_create(req->db, &in, user ? user->id : 0, &id, &err);
	if (rc != JM_OK) {
		send_site_error(req, rc, &err);
		return;
	}
	http_header(req, "location",
	            arena_sprintf(req->arena, "/api/v1/articles/%lld", (long long)id));
	send_article(req, 201, id, &st);
}

/* GET /api/v1/articles/{id} */
static void article_show(struct req *req)
{
	struct site_settings st;
	int64_t id;
	if (!path_id(req, &id) || !api_load_settings(req, &st))
		return;
	send_article(req, 200, id, &st);
}

/* PATCH /api/v1/articles/{id}: only the fields present change. */
static void article_patch(struct req *req)
{
	struct site_settings st;
	struct article_input in;
	struct jm_err err = {0};
	int64_t id;
	if (!path_id(req, &id))
		return;
	json_t *body = api_body(req, article_keys);
	if (!body || !api_load_settings(req, &st))
		return;
	if (!input_from_json(req, body, &st, &in))
		return;
	enum jm_rc rc = site_article_update(req->db, id, &in, &err);
	if (rc != JM_OK) {
		send_site_error(req, rc, &err);
		return;
	}
	send_article(req, 200, id, &st);
}

/* DELETE /api/v1/articles/{id} → 204. */
static void article_delete(struct req *req)
{
	struct jm_err err = {.msg = "no such article"};
	int64_t id;
	if (!path_id(req, &id))
		return;
	enum jm_rc rc = site_article_delete(req->db, id);
	if (rc != JM_OK) {
		api_send_rc(req, rc, &err);
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_send(req, 204, NULL, "", 0);
}

/* Reads page, per_page, status and tag; answers 400 when one is bad. */
static bool list_query(struct req *req, struct article_query *aq)
{
	struct form q;
	struct jm_err err = {0};
	memset(aq, 0, sizeof(*aq));
	if (http_req_query(req, &q, &err) != JM_OK) {
		api_send_error(req, 400, "invalid_parameter",
		               err.msg[0] ? err.msg : "malformed query string",
		               err.field[0] ? err.field : NULL);
		return false;
	}
	if (!api_parse_pagination(req, &q, &aq->page, &aq->per_page))
		return false;
	const char *status = form_get(&q, "status");
	if (status && *status) {
		if (strcmp(status, "draft") != 0 && strcmp(status, "published") != 0) {
			api_send_error(req, 400, "invalid_parameter",
			               "status must be draft or published", "status");
			return false;
		}
		aq->status = status;
	}
	const char *tag = form_get(&q, "tag");
	aq->tag = tag && *tag ? tag : NULL;
	return true;
}

/* GET /api/v1/articles → {"items","page","per_page","total","total_pages"}. */
static void article_list(struct req *req)
{
	struct article_query aq;
	struct site_settings st;
	struct article *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	if (!list_query(req, &aq) || !api_load_settings(req, &st))
		return;
	enum jm_rc rc = site_article_list(req->db, req->arena, &aq, &items, &n, &total);
	if (rc != JM_OK) {
		api_send_rc(req, rc, NULL);
		return;
	}
	const char *base = api_base_url(req, &st);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, article_json(req, &items[i], base));
	json_t *o = json_object();
	json_object_set_new(o, "items", arr);
	json_object_set_new(o, "page", json_integer(aq.page));
	json_object_set_new(o, "per_page", json_integer(aq.per_page));
	json_object_set_new(o, "total", json_integer(total));
	json_object_set_new(o, "total_pages",
	                    json_integer((total + aq.per_page - 1) / aq.per_page));
	api_send_json(req, 200, o);
}

void api_articles_routes(struct router *r)
{
	router_add(r, "POST", "/api/v1/articles", article_create, ROUTE_API);
	router_add(r, "GET", "/api/v1/articles", article_list, ROUTE_API);
	router_add(r, "GET", "/api/v1/articles/{id}", article_show, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/articles/{id}", article_patch, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/articles/{id}", article_delete, ROUTE_API);
}
