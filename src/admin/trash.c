/*
 * trash.c — the admin's trash page and an article's revisions.
 *
 *   GET  /admin/trash                             everything in the trash
 *   POST /admin/trash/{kind}/{id}/restore         kind: articles|lists|broadcasts
 *   POST /admin/broadcasts/{id}/delete            an unsent broadcast to the trash
 *   GET  /admin/articles/{id}/revisions           the list, newest first
 *   GET  /admin/articles/{id}/revisions/{rev}     its diff against the current text
 *   POST /admin/articles/{id}/revisions/{rev}/restore
 *
 * A restore whose slug was taken meanwhile re-renders the trash page (409)
 * with a slug field beside that item and the error under it; posting a new
 * slug restores it. The diff is the domain's (site_diff_lines), shown as a
 * table whose rows say in words (visually hidden) whether a line was
 * removed or added, and marked up with <del>/<ins>.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define EDITOR_REVISIONS 5 /* the newest ones the editor lists itself */

static struct view_val *trash_row(struct req *req, const char *kind, int64_t id, const char *title,
                                  const char *slug, int64_t at, int tz)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "kind", kind);
	view_set_str(m, "kind_label",
	             admin_t(req, arena_sprintf(req->arena, "admin.trash.kind_%s", kind)));
	view_set_str(m, "path", arena_sprintf(req->arena, "%ss", kind));
	view_set_int(m, "id", id);
	view_set_str(m, "title", title);
	view_set_str(m, "slug", slug);
	view_set_str(m, "trashed_at", admin_time_fmt(req->arena, at, tz, ' '));
	view_set_str(m, "purge_at",
	             admin_time_fmt(req->arena, at + SITE_TRASH_DAYS * 86400LL, tz, ' '));
	return m;
}

/* Renders the trash; conflict names the item whose restore needs a new
 * slug (kind, id, the error), NULL for none. */
static void trash_page(struct req *req, int status, const char *ckind, int64_t cid,
                       const char *cerr, const char *cslug)
{
	struct site_settings s;
	struct site_trashed *arts = NULL;
	struct nl_trashed *nl = NULL;
	size_t na = 0, nn = 0;
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc = site_trash_articles(req->db, req->arena, &arts, &na);
	if (!rc)
		rc = nl_trash_items(req->db, req->arena, &nl, &nn);
	if (rc) {
		admin_fail(req, "trash_items", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "trash"), *list = view_list(req->arena);
	for (size_t i = 0; i < na + nn; i++) {
		bool art = i < na;
		const char *kind = art ? "article" : nl[i - na].kind;
		int64_t id = art ? arts[i].id : nl[i - na].id;
		struct view_val *m = trash_row(req, kind, id, art ? arts[i].title : nl[i - na].name,
		                               art ? arts[i].slug : nl[i - na].slug,
		                               art ? arts[i].trashed_at : nl[i - na].trashed_at,
		                               s.tz_offset_min);
		if (ckind && !strcmp(ckind, kind) && cid == id) {
			view_set_str(m, "error", cerr);
			view_set_str(m, "new_slug", cslug);
		}
		view_push(list, m);
	}
	view_set(ctx, "items", list);
	view_set_int(ctx, "days", SITE_TRASH_DAYS);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, status, "admin/trash.html", ctx);
}

static void admin_trash_get(struct req *req)
{
	trash_page(req, 200, NULL, 0, NULL, NULL);
}

/* Runs the restore of kind ("article", "list", "broadcast"). */
static enum jm_rc restore(struct req *req, const char *kind, int64_t id, const char *slug,
                          struct jm_err *err)
{
	if (!strcmp(kind, "article"))
		return site_article_restore(req->db, id, slug, err);
	if (!strcmp(kind, "list"))
		return nl_list_restore(req->db, id, slug, err);
	return nl_broadcast_restore(req->db, id, err);
}

static void restore_post(struct req *req, const char *kind)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	const char *slug = form_get(&f, "slug");
	enum jm_rc rc = restore(req, kind, id, slug, &err);
	if (rc == JM_CONFLICT || rc == JM_INVALID) {
		const char *key = rc == JM_INVALID             ? "admin.trash.err_slug_invalid"
		                  : !strcmp(err.field, "slug") ? "admin.trash.err_slug_taken"
		                  : !strcmp(kind, "broadcast") ? "admin.trash.err_list_trashed"
		                                               : "admin.trash.err_conflict";
		trash_page(req, rc == JM_INVALID ? 422 : 409, kind, id, admin_t(req, key),
		           slug ? slug : "");
		return;
	}
	if (!admin_check(req, rc, "trash_restore"))
		return;
	http_redirect(req, 303, "/admin/trash?done=restored");
}

static void admin_trash_article(struct req *req)
{
	restore_post(req, "article");
}

static void admin_trash_list(struct req *req)
{
	restore_post(req, "list");
}

static void admin_trash_broadcast(struct req *req)
{
	restore_post(req, "broadcast");
}

static void admin_broadcast_delete(struct req *req)
{
	struct jm_err err = {0};
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	enum jm_rc rc = nl_broadcast_trash(req->db, id, &err);
	if (rc == JM_CONFLICT) {
		admin_error(req, 409, "admin.trash.err_broadcast_sent");
		return;
	}
	if (!admin_check(req, rc, "nl_broadcast_trash"))
		return;
	http_redirect(req, 303, "/admin/broadcasts?done=trashed");
}

/* ---- revisions ---- */

static struct view_val *rev_row(struct req *req, const struct site_revision *r, int tz)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", r->id);
	view_set_str(m, "title", r->title);
	view_set_str(m, "author", *r->author ? r->author : admin_t(req, "admin.rev.unknown"));
	view_set_str(m, "at", admin_time_fmt(req->arena, r->created_at, tz, ' '));
	return m;
}

void admin_editor_revisions(struct req *req, struct view_val *ctx, int64_t id, int tz)
{
	struct site_revision *v = NULL;
	size_t n = 0;
	if (site_revision_list(req->db, req->arena, id, &v, &n) != JM_OK)
		return; /* the editor works without its history */
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < n && i < EDITOR_REVISIONS; i++)
		view_push(list, rev_row(req, &v[i], tz));
	view_set(ctx, "revisions", list);
	view_set_int(ctx, "revisions_count", (int64_t)n);
}

static void admin_revisions_get(struct req *req)
{
	struct site_settings s;
	struct article a;
	struct site_revision *v = NULL;
	size_t n = 0;
	int64_t id;
	if (!admin_param_id(req, &id) || !admin_settings(req, &s))
		return;
	enum jm_rc rc = site_article_get(req->db, req->arena, id, &a);
	if (!rc)
		rc = site_revision_list(req->db, req->arena, id, &v, &n);
	if (!admin_check(req, rc, "site_revision_list"))
		return;
	struct view_val *ctx = admin_ctx(req, "articles"), *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(list, rev_row(req, &v[i], s.tz_offset_min));
	view_set(ctx, "revisions", list);
	view_set_int(ctx, "id", id);
	view_set_str(ctx, "title", a.title);
	view_set_int(ctx, "kept", SITE_REVISIONS_KEPT);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, 200, "admin/revisions.html", ctx);
}

/* The article and revision named by {id} and {rev}; false after answering. */
static bool load_rev(struct req *req, struct article *a, struct site_revision *r)
{
	int64_t id, rev = 0;
	if (!admin_param_id(req, &id))
		return false;
	const char *s = req_param(req, "rev");
	enum jm_rc rc = s && admin_nl_int(s, &rev) ? site_article_get(req->db, req->arena, id, a)
	                                           : JM_NOT_FOUND;
	if (!rc)
		rc = site_revision_get(req->db, req->arena, id, rev, r);
	return admin_check(req, rc, "site_revision_get");
}

static struct view_val *diff_rows(struct req *req, const struct site_revision *r,
                                  const struct article *a, int64_t *changed)
{
	struct site_diff_line *d = NULL;
	size_t n = 0;
	site_diff_lines(req->arena, r->body_md, a->body_md, &d, &n);
	struct view_val *list = view_list(req->arena);
	*changed = 0;
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		const char *op = d[i].op == '-' ? "del" : d[i].op == '+' ? "ins" : "same";
		*changed += d[i].op != ' ';
		view_set_str(m, "op", op);
		view_set_strn(m, "text", d[i].text, d[i].len);
		if (d[i].old_no)
			view_set_int(m, "old_no", d[i].old_no);
		if (d[i].new_no)
			view_set_int(m, "new_no", d[i].new_no);
		view_push(list, m);
	}
	return list;
}

static void admin_revision_get(struct req *req)
{
	struct site_settings s;
	struct article a;
	struct site_revision r;
	int64_t changed = 0;
	if (!admin_settings(req, &s) || !load_rev(req, &a, &r))
		return;
	struct view_val *ctx = admin_ctx(req, "articles");
	view_set(ctx, "diff", diff_rows(req, &r, &a, &changed));
	view_set_int(ctx, "changed", changed);
	view_set(ctx, "rev", rev_row(req, &r, s.tz_offset_min));
	view_set_int(ctx, "id", a.id);
	view_set_str(ctx, "title", a.title);
	view_set_bool(ctx, "title_changed", strcmp(a.title, r.title) != 0);
	admin_render(req, 200, "admin/revision.html", ctx);
}

static void admin_revision_restore(struct req *req)
{
	struct form f;
	struct article a;
	struct site_revision r;
	struct jm_err err = {0};
	if (!admin_form(req, &f) || !load_rev(req, &a, &r))
		return;
	const struct auth_user *u = admin_user(req);
	struct article_input in = {
	        .title = r.title, .body_md = r.body_md, .has_title = true, .has_body = true};
	in.html_trusted = auth_user_is_owner(u);
	in.editor_id = u ? u->id : 0;
	if (!admin_check(req, site_article_update(req->db, a.id, &in, &err), "site_article_update"))
		return;
	http_redirect(
	        req, 303,
	        arena_sprintf(req->arena, "/admin/articles/%lld?saved=restored", (long long)a.id));
}

void admin_trash_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/trash", admin_trash_get, adm);
	router_add(r, "POST", "/admin/trash/articles/{id}/restore", admin_trash_article, adm);
	router_add(r, "POST", "/admin/trash/lists/{id}/restore", admin_trash_list, adm);
	router_add(r, "POST", "/admin/trash/broadcasts/{id}/restore", admin_trash_broadcast, adm);
	router_add(r, "POST", "/admin/broadcasts/{id}/delete", admin_broadcast_delete, adm);
	router_add(r, "GET", "/admin/articles/{id}/revisions", admin_revisions_get, adm);
	router_add(r, "GET", "/admin/articles/{id}/revisions/{rev}", admin_revision_get, adm);
	router_add(r, "POST", "/admin/articles/{id}/revisions/{rev}/restore",
	           admin_revision_restore, adm);
}
