/*
 * account.c — the signed-in user's own account at /admin/account: change
 * the password, see the active sessions and sign them out, turn two-factor
 * sign-in (TOTP) on or off.
 *
 * Changing the password needs the current one; the check is a slow hash,
 * so it runs on the password-hashing threads (http_defer_hash) and counts
 * against the sign-in limiter of the client's address like a sign-in
 * (a stolen session cannot guess the password faster than the login form
 * could). A change signs out every other session of the account.
 *
 * Two-factor enrolment: "begin" stores a pending key and shows it as a QR
 * code (inline SVG) and as text; "confirm" with a code from the app turns
 * it on and shows the ten recovery codes once. Turning it off needs a
 * current code (or a recovery code). Every code typed here counts against
 * the sign-in limiter too.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "site/site.h"

/* ---- the page ---- */

static struct view_val *sessions_val(struct req *req, int tz)
{
	struct auth_session *s = NULL;
	size_t n = 0;
	char cur[17];
	auth_session_id(req->app->secret, http_req_cookie(req, AUTH_SESSION_COOKIE), cur);
	struct view_val *list = view_list(req->arena);
	if (auth_session_list(req->db, req->arena, admin_user(req)->id, &s, &n) != JM_OK)
		return list;
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "id", s[i].id);
		view_set_str(m, "user_agent", s[i].user_agent);
		view_set_str(m, "ip", s[i].ip);
		view_set_str(m, "created_at", admin_time_fmt(req->arena, s[i].created_at, tz, ' '));
		view_set_str(m, "last_seen_at",
		             admin_time_fmt(req->arena, s[i].last_seen_at, tz, ' '));
		view_set_bool(m, "current", strcmp(s[i].id, cur) == 0);
		view_push(list, m);
	}
	return list;
}

/* What the page shows besides the defaults. */
struct acct_view {
	int status;
	const char *flash;     /* a done word */
	const char *pw_error;  /* the password form's error */
	const char *pw_field;  /* the field it is about */
	const char *tf_error;  /* the two-factor form's error */
	const char *tf_secret; /* enrolment under way: the pending key */
	char (*codes)[16];     /* recovery codes, shown once */
};

static void totp_ctx(struct req *req, struct view_val *ctx, const struct acct_view *v)
{
	const struct auth_user *u = admin_user(req);
	view_set_bool(ctx, "totp_on", auth_totp_enabled(req->db, u->id));
	if (v->tf_secret) {
		const char *uri = NULL;
		struct buf svg;
		buf_init(&svg, 256 << 10);
		if (auth_totp_uri(req->arena, "jinmyaku", u->email, v->tf_secret, &uri) == JM_OK &&
		    auth_totp_qr_svg(uri, &svg) == JM_OK)
			view_set_html(ctx, "totp_qr", arena_strndup(req->arena, svg.ptr, svg.len),
			              svg.len); /* view keeps the pointer */
		buf_free(&svg);
		view_set_str(ctx, "totp_secret", v->tf_secret);
		view_set_str(ctx, "totp_uri", uri ? uri : "");
	}
	if (v->codes) {
		struct view_val *list = view_list(req->arena);
		for (int i = 0; i < AUTH_RECOVERY_CODES; i++)
			view_push(list,
			          view_str(req->arena, arena_strdup(req->arena, v->codes[i])));
		view_set(ctx, "recovery_codes", list);
	}
	if (v->tf_error)
		view_set_str(ctx, "tf_error", v->tf_error);
}

static void account_render(struct req *req, const struct acct_view *v)
{
	struct site_settings st;
	if (!admin_settings(req, &st))
		return;
	struct view_val *ctx = admin_ctx(req, "account");
	view_set(ctx, "sessions", sessions_val(req, st.tz_offset_min));
	if (v->flash)
		view_set_str(
		        ctx, "flash",
		        admin_t(req, arena_sprintf(req->arena, "admin.account.done_%s", v->flash)));
	if (v->pw_error) {
		view_set_str(ctx, "pw_error", v->pw_error);
		view_set_str(ctx, "pw_field", v->pw_field ? v->pw_field : "");
	}
	totp_ctx(req, ctx, v);
	admin_render(req, v->status ? v->status : 200, "admin/account.html", ctx);
}

static void account_get(struct req *req)
{
	struct acct_view v = {.flash = admin_nl_flash(req)};
	const char *pending = NULL;
	/* An enrolment begun and not confirmed shows its key again. */
	if (!auth_totp_enabled(req->db, admin_user(req)->id) &&
	    auth_totp_pending(req->db, req->arena, admin_user(req)->id, &pending) == JM_OK)
		v.tf_secret = pending;
	account_render(req, &v);
}

/* ---- change the password ---- */

struct pw_job {
	struct http_task job;
	char *current, *new_pw, *keep, *ip;
	int64_t user_id, stamp;
	const unsigned char *secret;
};

static void wipe(char *s)
{
	for (volatile char *p = s; p && *p; p++)
		*p = 0;
}

static void pw_job_free(void *p)
{
	struct pw_job *j = p;
	wipe(j->current);
	wipe(j->new_pw);
	http_task_free(j);
}

static void pw_work(struct db *db, void *data)
{
	struct pw_job *j = data;
	j->job.rc = auth_password_change(db, j->secret, j->user_id, j->current, j->new_pw, j->keep,
	                                 &j->job.err);
}

static void pw_done(struct req *req, void *data)
{
	struct pw_job *j = data;
	struct acct_view v = {.status = 422, .pw_field = j->job.err.field};
	if (j->job.rc != JM_UNAUTHORIZED)
		auth_login_release(req->db, j->ip, j->stamp); /* only wrong guesses count */
	if (j->job.rc == JM_OK) {
		log_at(LOG_INFO, "admin", "event=password_changed user=%lld",
		       (long long)j->user_id);
		http_redirect(req, 303, "/admin/account?done=password");
		return;
	}
	if (j->job.rc == JM_UNAUTHORIZED)
		v.pw_error = admin_t(req, "admin.account.err_current");
	else if (j->job.rc == JM_INVALID)
		v.pw_error = admin_t(req, "admin.err.password_length");
	else {
		admin_fail(req, "auth_password_change", j->job.rc);
		return;
	}
	account_render(req, &v);
}

/* The limiter's answer for a guess of the current password; false after
 * answering. */
static bool reserve_guess(struct req *req, int64_t now)
{
	enum jm_rc rc = auth_login_reserve(req->db, http_req_ip(req), now);
	if (rc == JM_RATE_LIMITED) {
		http_header(req, "retry-after", "60");
		admin_error(req, 429, "admin.login.too_many");
	} else if (rc) {
		admin_fail(req, "auth_login_reserve", rc);
	}
	return rc == JM_OK;
}

static void password_post(struct req *req)
{
	struct form f;
	if (!admin_form(req, &f))
		return;
	const char *cur = form_get(&f, "current_password"), *pw = form_get(&f, "password");
	const char *pw2 = form_get(&f, "password_confirm");
	struct acct_view v = {.status = 422, .pw_field = "password"};
	if (auth_password_rule(pw, NULL) != JM_OK)
		v.pw_error = admin_t(req, "admin.err.password_length");
	else if (!pw2 || strcmp(pw, pw2) != 0)
		v.pw_error = admin_t(req, "admin.err.password_mismatch"),
		v.pw_field = "password_confirm";
	if (v.pw_error) {
		account_render(req, &v);
		return;
	}
	int64_t now = jm_now();
	if (!reserve_guess(req, now))
		return;
	struct pw_job *j = http_task_new(sizeof(*j));
	j->current = (char *)http_task_str(&j->job, cur ? cur : "");
	j->new_pw = (char *)http_task_str(&j->job, pw);
	j->keep = (char *)http_task_str(&j->job, http_req_cookie(req, AUTH_SESSION_COOKIE));
	j->ip = (char *)http_task_str(&j->job, http_req_ip(req));
	j->user_id = admin_user(req)->id;
	j->stamp = now;
	j->secret = req->app->secret;
	if (!http_defer_hash(req, pw_work, pw_done, j, pw_job_free)) {
		auth_login_release(req->db, http_req_ip(req), now);
		pw_job_free(j);
		http_header(req, "retry-after", "5");
		admin_error(req, 429, "admin.login.busy");
	}
}

/* ---- sessions ---- */

static void signout_others_post(struct req *req)
{
	struct form f;
	if (!admin_form(req, &f))
		return;
	enum jm_rc rc = auth_session_end_all(req->db, req->app->secret, admin_user(req)->id,
	                                     http_req_cookie(req, AUTH_SESSION_COOKIE));
	if (admin_check(req, rc, "auth_session_end_all"))
		http_redirect(req, 303, "/admin/account?done=signed_out");
}

static void session_revoke_post(struct req *req)
{
	struct form f;
	if (!admin_form(req, &f))
		return;
	enum jm_rc rc = auth_session_revoke(req->db, admin_user(req)->id, req_param(req, "id"));
	if (admin_check(req, rc, "auth_session_revoke"))
		http_redirect(req, 303, "/admin/account?done=session_ended");
}

/* ---- two-factor ---- */

static void totp_begin_post(struct req *req)
{
	struct form f;
	char key[AUTH_TOTP_B32];
	if (!admin_form(req, &f))
		return;
	if (auth_totp_enabled(req->db, admin_user(req)->id)) {
		http_redirect(req, 303, "/admin/account");
		return;
	}
	enum jm_rc rc = auth_totp_begin(req->db, admin_user(req)->id, key);
	if (admin_check(req, rc, "auth_totp_begin"))
		http_redirect(req, 303, "/admin/account#two-factor");
}

static void totp_confirm_post(struct req *req)
{
	struct form f;
	char codes[AUTH_RECOVERY_CODES][16];
	int64_t now = jm_now();
	if (!admin_form(req, &f) || !reserve_guess(req, now))
		return;
	const struct auth_user *u = admin_user(req);
	enum jm_rc rc = auth_totp_confirm(req->db, req->app->secret, u->id, form_get(&f, "code"),
	                                  now, codes);
	if (rc != JM_UNAUTHORIZED)
		auth_login_release(req->db, http_req_ip(req), now);
	struct acct_view v = {.status = 200};
	if (rc == JM_OK) {
		log_at(LOG_INFO, "admin", "event=totp_on user=%lld", (long long)u->id);
		v.codes = codes;
		v.flash = "totp_on";
	} else if (rc == JM_UNAUTHORIZED || rc == JM_NOT_FOUND) {
		v.status = 422;
		v.tf_error = admin_t(req, "admin.account.err_code");
		if (auth_totp_pending(req->db, req->arena, u->id, &v.tf_secret) != JM_OK)
			v.tf_secret = NULL;
	} else {
		admin_fail(req, "auth_totp_confirm", rc);
		return;
	}
	account_render(req, &v);
	explicit_bzero(codes, sizeof(codes));
}

static void totp_disable_post(struct req *req)
{
	struct form f;
	int64_t now = jm_now();
	if (!admin_form(req, &f) || !reserve_guess(req, now))
		return; /* a code is a guess like a password: the same limiter */
	const struct auth_user *u = admin_user(req);
	enum jm_rc rc =
	        auth_totp_verify(req->db, req->app->secret, u->id, form_get(&f, "code"), now);
	if (rc == JM_UNAUTHORIZED) {
		struct acct_view v = {.status = 422,
		                      .tf_error = admin_t(req, "admin.account.err_code")};
		account_render(req, &v);
		return;
	}
	auth_login_release(req->db, http_req_ip(req), now);
	if (!rc)
		rc = auth_totp_disable(req->db, u->id);
	if (admin_check(req, rc, "auth_totp_disable"))
		http_redirect(req, 303, "/admin/account?done=totp_off");
}

void admin_account_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/account", account_get, adm);
	router_add(r, "POST", "/admin/account/password", password_post, adm);
	router_add(r, "POST", "/admin/account/sessions/signout-others", signout_others_post, adm);
	router_add(r, "POST", "/admin/account/sessions/{id}/end", session_revoke_post, adm);
	router_add(r, "POST", "/admin/account/2fa/begin", totp_begin_post, adm);
	router_add(r, "POST", "/admin/account/2fa/confirm", totp_confirm_post, adm);
	router_add(r, "POST", "/admin/account/2fa/disable", totp_disable_post, adm);
}
