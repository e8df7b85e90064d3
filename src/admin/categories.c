/*
 * categories.c — /admin/categories: the category tree (each category
 * indented under its parent), a form to add one (name, optional slug, the
 * parent chosen from a select: no typed ids) and delete buttons. The rules
 * are site/category.c's, shared with the API and the importers.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "site/site.h"

const char *admin_category_indent(int depth)
{
	static const char *const indent[] = {"", "– ", "– – ", "– – – ", "– – – – "};
	return indent[depth < 0 ? 0 : depth > 4 ? 4 : depth];
}

static void categories_render(struct req *req, int status, const struct form *f,
                              const struct jm_err *err, const char *flash)
{
	struct category *cs = NULL;
	size_t n = 0;
	enum jm_rc rc = site_category_list(req->db, req->arena, &cs, &n);
	if (rc) {
		admin_fail(req, "site_category_list", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "categories");
	struct view_val *list = view_list(req->arena);
	const char *parent = f ? form_get(f, "parent") : NULL;
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", cs[i].id);
		view_set_str(m, "name", cs[i].name);
		view_set_str(m, "slug", cs[i].slug);
		view_set_str(m, "indent", admin_category_indent(cs[i].depth));
		view_set_int(m, "count", cs[i].count);
		view_set_bool(m, "selected", parent && !strcmp(parent, cs[i].slug));
		view_push(list, m);
	}
	view_set(ctx, "categories", list);
	view_set_bool(ctx, "has_categories", n > 0);
	view_set_str(ctx, "name", f && form_get(f, "name") ? form_get(f, "name") : "");
	view_set_str(ctx, "slug", f && form_get(f, "slug") ? form_get(f, "slug") : "");
	view_set_str(ctx, "flash", flash);
	if (err && err->msg[0]) {
		struct view_val *errors = view_map(req->arena);
		view_set_str(errors, arena_strdup(req->arena, err->field[0] ? err->field : "name"),
		             arena_strdup(req->arena, err->msg));
		view_set(ctx, "errors", errors);
	}
	admin_render(req, status, "admin/categories.html", ctx);
}

void admin_categories_get(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	const char *flash = NULL;
	if (http_req_query(req, &q, &err) == JM_OK) {
		const char *d = form_get(&q, "done");
		flash = d && !strcmp(d, "created")   ? "created"
		        : d && !strcmp(d, "deleted") ? "deleted"
		                                     : NULL;
	}
	categories_render(req, 200, NULL, NULL, flash);
}

void admin_categories_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	struct category parent = {0};
	if (!admin_form(req, &f))
		return;
	const char *ps = form_get(&f, "parent");
	enum jm_rc rc = JM_OK;
	if (ps && *ps && site_category_by_slug(req->db, req->arena, ps, &parent) != JM_OK) {
		jm_err_set(&err, "parent", "invalid parent");
		rc = JM_INVALID;
	}
	if (!rc)
		rc = site_category_create(req->db, form_get(&f, "name"), form_get(&f, "slug"),
		                          parent.id, NULL, &err);
	if (rc == JM_INVALID || rc == JM_CONFLICT) {
		if (rc == JM_CONFLICT)
			jm_err_set(&err, "slug", "%s", admin_t(req, "admin.editor.err_slug_taken"));
		else
			jm_err_set(&err, err.field[0] ? err.field : "name", "%s",
			           admin_t(req, !strcmp(err.field, "slug")
			                                ? "admin.categories.err_slug"
			                        : !strcmp(err.field, "parent")
			                                ? "admin.categories.err_parent"
			                                : "admin.categories.err_name"));
		categories_render(req, 422, &f, &err, NULL);
		return;
	}
	if (!admin_check(req, rc, "site_category_create"))
		return;
	http_redirect(req, 303, "/admin/categories?done=created");
}

void admin_category_delete(struct req *req)
{
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	enum jm_rc rc = site_category_delete(req->db, id);
	if (!admin_check(req, rc, "site_category_delete"))
		return;
	http_redirect(req, 303, "/admin/categories?done=deleted");
}
