/*
 * tokens.c — API tokens: list, create (the token is shown once, on the
 * answer to the create request, and never again: only its hash and a short
 * prefix are stored) and revoke.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "site/site.h"

static void tokens_render(struct req *req, int status, const char *new_token, const char *name,
                          const struct jm_err *err, bool revoked)
{
	struct api_token *items = NULL;
	size_t n = 0;
	struct site_settings s;
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc = auth_token_list(req->db, req->arena, &items, &n);
	if (rc) {
		admin_fail(req, "auth_token_list", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "tokens");
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", items[i].id);
		view_set_str(m, "name", items[i].name);
		view_set_str(m, "prefix", items[i].prefix);
		view_set_str(m, "created_at",
		             admin_time_fmt(req->arena, items[i].created_at, s.tz_offset_min, ' '));
		view_set_str(
		        m, "last_used_at",
		        admin_time_fmt(req->arena, items[i].last_used_at, s.tz_offset_min, ' '));
		view_push(list, m);
	}
	view_set(ctx, "tokens", list);
	view_set_str(ctx, "new_token", new_token);
	view_set_str(ctx, "name", name ? name : "");
	view_set_bool(ctx, "revoked", revoked);
	if (err && err->msg[0])
		view_set_str(ctx, "error", arena_strdup(req->arena, err->msg));
	admin_render(req, status, "admin/tokens.html", ctx);
}

void admin_tokens_get(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	bool revoked = http_req_query(req, &q, &err) == JM_OK && form_get(&q, "revoked");
	tokens_render(req, 200, NULL, NULL, NULL, revoked);
}

void admin_tokens_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	char token[64];
	const struct auth_user *u = admin_user(req);
	if (!admin_form(req, &f))
		return;
	const char *name = form_get(&f, "name");
	if (!name || !*name) {
		jm_err_set(&err, "name", "%s", admin_t(req, "admin.tokens.err_name"));
		tokens_render(req, 422, NULL, name, &err, false);
		return;
	}
	enum jm_rc rc =
	        auth_token_create(req->db, req->app->secret, name, u ? u->id : 0, token, &err);
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		jm_err_set(&err, "name", "%s", admin_t(req, "admin.tokens.err_name"));
		tokens_render(req, 422, NULL, name, &err, false);
		return;
	}
	if (rc) {
		admin_fail(req, "auth_token_create", rc);
		return;
	}
	log_at(LOG_INFO, "admin", "event=token_created user=%lld", (long long)(u ? u->id : 0));
	tokens_render(req, 200, arena_strdup(req->arena, token), NULL, NULL, false);
}

void admin_token_revoke(struct req *req)
{
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	enum jm_rc rc = auth_token_revoke(req->db, id);
	if (!admin_check(req, rc, "auth_token_revoke"))
		return;
	http_redirect(req, 303, "/admin/tokens?revoked=1");
}
