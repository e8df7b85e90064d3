/*
 * trash.c — the JSON API of the trash and of article revisions:
 *
 *   GET    /api/v1/trash                          every trashed item
 *   POST   /api/v1/articles/{id}/restore          {"slug"?} → the article
 *   DELETE /api/v1/broadcasts/{id}                unsent only → 204 (trash)
 *   POST   /api/v1/broadcasts/{id}/restore
 *   POST   /api/v1/lists/{id}/restore             {"slug"?}
 *   GET    /api/v1/articles/{id}/revisions        newest first, no bodies
 *   GET    /api/v1/articles/{id}/revisions/{rev}  with body and diff
 *   POST   /api/v1/articles/{id}/revisions/{rev}/restore
 *
 * DELETE of articles and lists (articles.c, newsletter.c) moves to the
 * trash. A restore whose slug another item took meanwhile answers 409
 * naming "slug", with a message asking for a new one; the same request
 * with {"slug": "new"} restores it. Thin handlers: the rules are the
 * domain's (site/trash.c, site/revision.c, newsletter/trash.c).
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "auth/auth.h"
#include "http/http.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

static const char *const restore_keys[] = {"slug", NULL};

/* The optional {"slug"} of a restore; an empty body is none. */
static bool restore_slug(struct req *req, const char **slug)
{
	bool has = false;
	*slug = NULL;
	if (req->body.len == 0)
		return true;
	json_t *b = api_body(req, restore_keys);
	return b && api_get_str(req, b, "slug", true, slug, &has);
}

static json_t *trash_item(const char *kind, int64_t id, const char *title, const char *slug,
                          int64_t at)
{
	json_t *o = json_pack("{s:s, s:I, s:o, s:o, s:o}", "kind", kind, "id", (json_int_t)id,
	                      "title", api_jstr(title), "trashed_at", api_jtime(at), "purge_at",
	                      api_jtime(at + SITE_TRASH_DAYS * 86400LL));
	if (slug && *slug)
		json_object_set_new(o, "slug", json_string(slug));
	return o;
}

/* GET /api/v1/trash → {"items":[{kind,id,title,slug?,trashed_at,purge_at}]} */
static void trash_index(struct req *req)
{
	struct site_trashed *arts = NULL;
	struct nl_trashed *nl = NULL;
	size_t na = 0, nn = 0;
	enum jm_rc rc = site_trash_articles(req->db, req->arena, &arts, &na);
	if (!rc)
		rc = nl_trash_items(req->db, req->arena, &nl, &nn);
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < na; i++)
		json_array_append_new(items, trash_item("article", arts[i].id, arts[i].title,
		                                        arts[i].slug, arts[i].trashed_at));
	for (size_t i = 0; i < nn; i++)
		json_array_append_new(items, trash_item(nl[i].kind, nl[i].id, nl[i].name,
		                                        nl[i].slug, nl[i].trashed_at));
	api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

static void send_restored(struct req *req, enum jm_rc rc, struct jm_err *err, const char *what,
                          int64_t id)
{
	if (rc) {
		if (rc == JM_NOT_FOUND && !err->msg[0])
			jm_err_set(err, NULL, "no such %s in the trash", what);
		api_send_rc(req, rc, err);
		return;
	}
	api_send_json(
	        req, 200,
	        json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "kind", what, "restored", 1));
}

static void article_restore(struct req *req)
{
	struct jm_err err = {0};
	const char *slug = NULL;
	int64_t id;
	if (!api_path_id(req, "article", &id) || !restore_slug(req, &slug))
		return;
	send_restored(req, site_article_restore(req->db, id, slug, &err), &err, "article", id);
}

static void list_restore(struct req *req)
{
	struct jm_err err = {0};
	const char *slug = NULL;
	int64_t id;
	if (!api_path_id(req, "list", &id) || !restore_slug(req, &slug))
		return;
	send_restored(req, nl_list_restore(req->db, id, slug, &err), &err, "list", id);
}

static void broadcast_delete(struct req *req)
{
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "broadcast", &id))
		return;
	enum jm_rc rc = nl_broadcast_trash(req->db, id, &err);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "broadcast");
		return;
	}
	api_send_no_content(req);
}

static void broadcast_restore(struct req *req)
{
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "broadcast", &id))
		return;
	send_restored(req, nl_broadcast_restore(req->db, id, &err), &err, "broadcast", id);
}

/* ---- revisions ---- */

static json_t *revision_json(const struct site_revision *r, bool body)
{
	json_t *o = json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)r->id, "title",
	                      api_jstr(r->title), "author", api_jstr(r->author), "created_at",
	                      api_jtime(r->created_at));
	if (body)
		json_object_set_new(o, "body_md", api_jstr(r->body_md));
	return o;
}

static void revisions_index(struct req *req)
{
	struct article a;
	struct site_revision *v = NULL;
	size_t n = 0;
	int64_t id;
	if (!api_path_id(req, "article", &id))
		return;
	enum jm_rc rc = site_article_get(req->db, req->arena, id, &a);
	if (!rc)
		rc = site_revision_list(req->db, req->arena, id, &v, &n);
	if (rc) {
		api_send_rc(req, rc, &(struct jm_err){.msg = "no such article"});
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, revision_json(&v[i], false));
	api_send_json(req, 200,
	              json_pack("{s:o, s:i}", "items", items, "kept", SITE_REVISIONS_KEPT));
}

/* The article and its revision named by {id} and {rev}; false after a 404. */
static bool load_revision(struct req *req, struct article *a, struct site_revision *r)
{
	int64_t id, rev = 0;
	if (!api_path_id(req, "article", &id))
		return false;
	const char *s = req_param(req, "rev");
	enum jm_rc rc = s && api_parse_id(s, &rev) ? site_article_get(req->db, req->arena, id, a)
	                                           : JM_NOT_FOUND;
	if (!rc)
		rc = site_revision_get(req->db, req->arena, id, rev, r);
	if (rc)
		api_send_rc(req, rc, &(struct jm_err){.msg = "no such revision"});
	return rc == JM_OK;
}

/* GET …/revisions/{rev} → the revision, with "diff": the lines from it to
 * the current text ([{"op":" "|"-"|"+","text"}]). */
static void revision_show(struct req *req)
{
	struct article a;
	struct site_revision r;
	struct site_diff_line *d = NULL;
	size_t n = 0;
	if (!load_revision(req, &a, &r))
		return;
	site_diff_lines(req->arena, r.body_md, a.body_md, &d, &n);
	json_t *diff = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(diff, json_pack("{s:s#, s:s#}", "op", &d[i].op, (size_t)1,
		                                      "text", d[i].text, d[i].len));
	json_t *o = revision_json(&r, true);
	json_object_set_new(o, "diff", diff);
	api_send_json(req, 200, o);
}

/* POST …/revisions/{rev}/restore: saves the revision's title and body as
 * the article's (a new revision itself). */
static void revision_restore(struct req *req)
{
	struct article a;
	struct site_revision r;
	struct jm_err err = {0};
	if (!load_revision(req, &a, &r))
		return;
	struct article_input in = {
	        .title = r.title, .body_md = r.body_md, .has_title = true, .has_body = true};
	in.html_trusted = auth_user_is_owner(req->user);
	const struct auth_user *user = req->user;
	in.editor_id = user ? user->id : 0;
	enum jm_rc rc = site_article_update(req->db, a.id, &in, &err);
	if (rc) {
		api_send_rc(req, rc, &err);
		return;
	}
	api_send_json(req, 200, json_pack("{s:I, s:b}", "id", (json_int_t)a.id, "restored", 1));
}

void api_trash_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/trash", trash_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/articles/{id}/restore", article_restore, ROUTE_API);
	router_add(r, "POST", "/api/v1/lists/{id}/restore", list_restore, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/broadcasts/{id}", broadcast_delete, ROUTE_API);
	router_add(r, "POST", "/api/v1/broadcasts/{id}/restore", broadcast_restore, ROUTE_API);
	router_add(r, "GET", "/api/v1/articles/{id}/revisions", revisions_index, ROUTE_API);
	router_add(r, "GET", "/api/v1/articles/{id}/revisions/{rev}", revision_show, ROUTE_API);
	router_add(r, "POST", "/api/v1/articles/{id}/revisions/{rev}/restore", revision_restore,
	           ROUTE_API);
}
