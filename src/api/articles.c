/*
 * articles.c — /api/v1/articles: create, list, show, partial update and
 * delete articles as JSON. Handlers stay thin: parse the request, call
 * site_article_*, render with jansson.
 *
 * Article JSON: {"id","slug","title","body" (Markdown),"excerpt","status",
 * "featured_image" (a /media/ URL of the library, "" for none),
 * "published_at" (ISO 8601 UTC or null),"created_at","updated_at",
 * "tags":[…],"categories":[slug…],"url"}. Input fields: title, slug, body,
 * excerpt, status, published_at (ISO 8601; without a zone it is read in the
 * site's tz_offset_min), tags, categories (slugs of existing categories). An unknown field (say
 * "body_md") or a field present with the wrong JSON type is a 422 naming it, and nothing changes.
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
		api_type_error(req, "published_at", "an ISO 8601 string or null");
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

/* key: an array of at most max strings (null clears them): tags, the
 * categories' slugs. */
static bool get_strings(struct req *req, json_t *body, const char *key, size_t max,
                        const char ***out, size_t *n_out, bool *has)
{
	json_t *v = json_object_get(body, key);
	if (!v)
		return true;
	*has = true;
	if (json_is_null(v))
		return true;
	if (!json_is_array(v)) {
		api_type_error(req, key, "an array of strings");
		return false;
	}
	size_t n = json_array_size(v);
	if (n > max) {
		char *msg = arena_sprintf(req->arena, "at most %zu %s", max, key);
		api_send_error(req, 422, "invalid", msg, key);
		return false;
	}
	const char **arr = arena_alloc(req->arena, (n ? n : 1) * sizeof(*arr));
	for (size_t i = 0; i < n; i++) {
		json_t *t = json_array_get(v, i);
		if (!json_is_string(t)) {
			api_type_error(req, key, "an array of strings");
			return false;
		}
		arr[i] = json_string_value(t);
	}
	*out = arr;
	*n_out = n;
	return true;
}

static const char *const article_keys[] = {
        "title",        "slug", "body",       "excerpt",        "status",
        "published_at", "tags", "categories", "featured_image", NULL};

/* Fills in from the body; answers 422 and returns false on a wrong type. */
static bool input_from_json(struct req *req, json_t *body, const struct site_settings *st,
                            struct article_input *in)
{
	memset(in, 0, sizeof(*in));
	return api_get_str(req, body, "title", false, &in->title, &in->has_title) &&
	       api_get_str(req, body, "slug", false, &in->slug, &in->has_slug) &&
	       api_get_str(req, body, "body", true, &in->body_md, &in->has_body) &&
	       api_get_str(req, body, "excerpt", true, &in->excerpt, &in->has_excerpt) &&
	       api_get_str(req, body, "status", false, &in->status, &in->has_status) &&
	       api_get_str(req, body, "featured_image", true, &in->featured_image,
	                   &in->has_featured_image) &&
	       get_time(req, body, st, in) &&
	       get_strings(req, body, "tags", ARTICLE_TAGS_MAX, &in->tags, &in->ntags,
	                   &in->has_tags) &&
	       get_strings(req, body, "categories", ARTICLE_CATEGORIES_MAX, &in->categories,
	                   &in->ncategories, &in->has_categories);
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
		json_array_append_new(tags, api_jstr(a->tags[i]));
	json_object_set_new(o, "id", json_integer(a->id));
	json_object_set_new(o, "slug", api_jstr(a->slug));
	json_object_set_new(o, "title", api_jstr(a->title));
	json_object_set_new(o, "body", api_jstr(a->body_md));
	json_object_set_new(o, "excerpt", api_jstr(a->excerpt));
	json_object_set_new(o, "featured_image", api_jstr(a->featured_image));
	json_object_set_new(o, "status", api_jstr(a->status));
	json_object_set_new(o, "published_at", api_jtime(a->published_at));
	json_object_set_new(o, "created_at", api_jtime(a->created_at));
	json_object_set_new(o, "updated_at", api_jtime(a->updated_at));
	json_object_set_new(o, "tags", tags);
	json_t *cats = json_array();
	for (size_t i = 0; i < a->ncategories; i++)
		json_array_append_new(cats, api_jstr(a->categories[i].slug));
	json_object_set_new(o, "categories", cats);
	json_object_set_new(o, "url", api_jstr(article_url(req, base, a->slug ? a->slug : "")));
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
	in.html_trusted = auth_user_is_owner(user); /* a token has its creator's role */
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
	if (!api_path_id(req, "article", &id) || !api_load_settings(req, &st))
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
	if (!api_path_id(req, "article", &id))
		return;
	json_t *body = api_body(req, article_keys);
	if (!body || !api_load_settings(req, &st))
		return;
	if (!input_from_json(req, body, &st, &in))
		return;
	in.html_trusted = auth_user_is_owner(req->user);
	const struct auth_user *user = req->user;
	in.editor_id = user ? user->id : 0; /* names the revision */
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
	if (!api_path_id(req, "article", &id))
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
	memset(aq, 0, sizeof(*aq));
	if (!api_query(req, &q))
		return false;
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
	api_send_json(req, 200, api_page_json(arr, aq.page, aq.per_page, total));
}

/* ---- categories ---- */

static json_t *category_json(const struct category *c, const char *parent_slug)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(c->id));
	json_object_set_new(o, "name", api_jstr(c->name));
	json_object_set_new(o, "slug", api_jstr(c->slug));
	json_object_set_new(o, "parent", parent_slug ? api_jstr(parent_slug) : json_null());
	json_object_set_new(o, "depth", json_integer(c->depth));
	return o;
}

/* GET /api/v1/categories → {"items":[{"id","name","slug","parent","depth"}]},
 * the tree in order (each parent before its children). */
static void category_list(struct req *req)
{
	struct category *cs = NULL;
	size_t n = 0;
	enum jm_rc rc = site_category_list(req->db, req->arena, &cs, &n);
	if (rc != JM_OK) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *parent = NULL;
		for (size_t j = 0; j < n && cs[i].parent_id; j++)
			parent = cs[j].id == cs[i].parent_id ? cs[j].slug : parent;
		json_array_append_new(arr, category_json(&cs[i], parent));
	}
	json_t *o = json_object();
	json_object_set_new(o, "items", arr);
	api_send_json(req, 200, o);
}

/* POST /api/v1/categories {"name","slug"?,"parent"? (a slug)} → 201. */
static void category_create(struct req *req)
{
	static const char *const keys[] = {"name", "slug", "parent", NULL};
	const char *name = NULL, *slug = NULL, *parent = NULL;
	bool has = false;
	struct jm_err err = {0};
	struct category pc = {0};
	int64_t id = 0;
	json_t *body = api_body(req, keys);
	if (!body || !api_get_str(req, body, "name", false, &name, &has) ||
	    !api_get_str(req, body, "slug", true, &slug, &has) ||
	    !api_get_str(req, body, "parent", true, &parent, &has))
		return;
	enum jm_rc rc = JM_OK;
	if (parent && *parent && site_category_by_slug(req->db, req->arena, parent, &pc) != JM_OK) {
		jm_err_set(&err, "parent", "no category with this slug");
		rc = JM_INVALID;
	}
	if (!rc)
		rc = site_category_create(req->db, name, slug, pc.id, &id, &err);
	if (rc != JM_OK) {
		api_send_rc(req, rc, &err);
		return;
	}
	struct category c;
	rc = site_category_get(req->db, req->arena, id, &c);
	if (rc != JM_OK) {
		api_send_rc(req, rc, NULL);
		return;
	}
	api_send_json(req, 201, category_json(&c, pc.id ? pc.slug : NULL));
}

void api_articles_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/categories", category_list, ROUTE_API);
	router_add(r, "POST", "/api/v1/categories", category_create, ROUTE_API);
	router_add(r, "POST", "/api/v1/articles", article_create, ROUTE_API);
	router_add(r, "GET", "/api/v1/articles", article_list, ROUTE_API);
	router_add(r, "GET", "/api/v1/articles/{id}", article_show, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/articles/{id}", article_patch, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/articles/{id}", article_delete, ROUTE_API);
}
