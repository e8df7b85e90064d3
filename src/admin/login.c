/*
 * login.c — first-run setup, sign-in, sign-out and the UI language switch.
 *
 * Password hashing and checking (argon2id) are slow, so they run through
 * http_defer_hash on the password-hashing threads (bounded queue: when it
 * is full the answer is 429 at once) with their own database connection;
 * the session is created back on the loop thread. Data handed to a worker
 * is a malloc'ed copy (never the request arena) and is wiped before it is
 * freed because it holds a password.
 *
 * Invariants: an unknown e-mail and a wrong password get the same answer
 * (401, same message, no cookie); an attempt is reserved in the
 * per-address limiter (in the database: every node counts together)
 * before its password is checked (a right password
 * gives it back), so an address past its limit gets 429 and no hash, however
 * many requests it sends at once; setup
 * only exists while there are no users at all (404 afterwards).
 */
#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "people/people.h"

/* A sign-in or setup job for the worker pool. */
struct login_job {
	char *email, *name, *password, *next, *ip;
	int64_t stamp; /* when the limiter reserved the attempt */
	enum jm_rc rc;
	int64_t user_id;
	struct jm_err err;
};

static void job_free(void *p)
{
	struct login_job *j = p;
	if (!j)
		return;
	if (j->password) {
		volatile char *s = j->password;
		while (*s)
			*s++ = 0;
	}
	free(j->email);
	free(j->name);
	free(j->password);
	free(j->next);
	free(j->ip);
	free(j);
}

static struct login_job *job_new(const char *email, const char *name, const char *password)
{
	struct login_job *j = xcalloc(1, sizeof(*j));
	j->email = xstrdup(email ? email : "");
	j->name = xstrdup(name ? name : "");
	j->password = xstrdup(password ? password : "");
	return j;
}

/* The password-hashing queue is full. */
static void too_busy(struct req *req)
{
	http_header(req, "retry-after", "5");
	admin_error(req, 429, "admin.login.busy");
}

/* ---- setup ---- */

static void setup_render(struct req *req, int status, const struct form *f,
                         const struct jm_err *err)
{
	struct view_val *ctx = admin_ctx(req, NULL);
	view_set_str(ctx, "email", f ? form_get(f, "email") : "");
	view_set_str(ctx, "name", f ? form_get(f, "name") : "");
	if (err && err->msg[0]) {
		struct view_val *errors = view_map(req->arena);
		view_set_str(errors, err->field[0] ? err->field : "form",
		             arena_strdup(req->arena, err->msg));
		view_set(ctx, "errors", errors);
		view_set_str(ctx, "error", arena_strdup(req->arena, err->msg));
	}
	admin_render(req, status, "admin/setup.html", ctx);
}

void admin_setup_get(struct req *req)
{
	if (auth_user_count(req->db) != 0) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	setup_render(req, 200, NULL, NULL);
}

static void setup_work(struct db *db, void *data)
{
	struct login_job *j = data;
	/* Checked again here: two first-run forms may race. */
	if (auth_user_count(db) != 0) {
		j->rc = JM_NOT_FOUND;
		return;
	}
	j->rc = people_user_add(db, j->email, j->name, "owner", j->password, &j->user_id, &j->err);
}

static void setup_done(struct req *req, void *data)
{
	struct login_job *j = data;
	struct form f;
	struct jm_err ferr = {0};
	if (j->rc == JM_OK) {
		log_at(LOG_INFO, "admin", "event=setup user=%lld", (long long)j->user_id);
		admin_session_start(req, j->user_id, "/admin/");
		return;
	}
	if (j->rc == JM_NOT_FOUND) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	if (http_req_form(req, &f, &ferr) != JM_OK) {
		admin_fail(req, "setup form", JM_INVALID);
		return;
	}
	if (j->rc == JM_CONFLICT)
		jm_err_set(&j->err, "email", "%s", admin_t(req, "admin.err.email_taken"));
	else if (j->rc == JM_INVALID)
		admin_err_localize(req, &j->err, "admin.invalid.", "admin.err.invalid");
	else
		jm_err_set(&j->err, "form", "%s", admin_t(req, "admin.err.internal"));
	setup_render(req, http_status_for(j->rc), &f, &j->err);
}

void admin_setup_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	if (auth_user_count(req->db) != 0) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	if (!admin_form(req, &f))
		return;
	const char *pw = form_get(&f, "password");
	const char *pw2 = form_get(&f, "password_confirm");
	const char *email = form_get(&f, "email");
	if (!email || !*email) {
		jm_err_set(&err, "email", "%s", admin_t(req, "admin.err.email_required"));
	} else if (auth_password_rule(pw, NULL) != JM_OK) {
		jm_err_set(&err, "password", "%s", admin_t(req, "admin.err.password_length"));
	} else if (!pw2 || strcmp(pw, pw2) != 0) {
		jm_err_set(&err, "password_confirm", "%s",
		           admin_t(req, "admin.err.password_mismatch"));
	}
	if (err.msg[0]) {
		setup_render(req, 422, &f, &err);
		return;
	}
	struct login_job *j = job_new(email, form_get(&f, "name"), pw);
	if (!http_defer_hash(req, setup_work, setup_done, j, job_free)) {
		job_free(j);
		too_busy(req);
	}
}

/* ---- login ---- */

static void login_render(struct req *req, int status, const char *email, const char *next,
                         const char *error_key, const char *done)
{
	struct view_val *ctx = admin_ctx(req, NULL);
	view_set_str(ctx, "done", done);
	view_set_str(ctx, "email", email ? email : "");
	view_set_str(ctx, "next", next && admin_safe_next(next) ? next : "");
	if (error_key)
		view_set_str(ctx, "error", admin_t(req, error_key));
	admin_render(req, status, "admin/login.html", ctx);
}

void admin_login_get(struct req *req)
{
	struct form q;
	struct jm_err qerr = {0};
	const char *next = NULL;
	if (admin_user(req)) {
		http_redirect(req, 303, "/admin/");
		return;
	}
	if (auth_user_count(req->db) == 0) {
		http_redirect(req, 303, "/admin/setup");
		return;
	}
	if (http_req_query(req, &q, &qerr) == JM_OK)
		next = form_get(&q, "next");
	login_render(req, 200, NULL, next, NULL, admin_nl_flash(req));
}

static void login_work(struct db *db, void *data)
{
	struct login_job *j = data;
	struct arena *a = arena_new(4096);
	struct auth_user u;
	j->rc = auth_login_check(db, a, j->email, j->password, &u);
	if (j->rc == JM_OK)
		j->user_id = u.id;
	arena_free(a);
}

/* ---- the second step: a TOTP or recovery code ----
 * After the right password of an account with two-factor on, the browser
 * gets a cookie "UID:STAMP" (a form stamp, stamp.c, signed for the purpose
 * "2fa:UID", good for LOGIN_2FA_MAX_AGE) instead of a session, and the code
 * page. Every code tried counts against the sign-in limiter like a
 * password. */
#define LOGIN_2FA_COOKIE  "jm_2fa"
#define LOGIN_2FA_MAX_AGE 300

static void second_step(struct req *req, int64_t uid, const char *next)
{
	char stamp[AUTH_STAMP_LEN], purpose[40];
	snprintf(purpose, sizeof(purpose), "2fa:%lld", (long long)uid);
	auth_stamp_make(req->app->secret, purpose, jm_now(), stamp);
	http_set_cookie(req, LOGIN_2FA_COOKIE,
	                arena_sprintf(req->arena, "%lld:%s", (long long)uid, stamp),
	                LOGIN_2FA_MAX_AGE, app_cookie_flags(req));
	http_header(req, "cache-control", "no-store");
	struct buf loc;
	buf_init(&loc, 4096);
	enum jm_rc rc = buf_appends(&loc, "/admin/login/2fa");
	if (!rc && next && *next && !(rc = buf_appends(&loc, "?next=")))
		rc = http_url_encode(&loc, next, strlen(next));
	http_redirect(req, 303, rc ? "/admin/login/2fa" : arena_strdup(req->arena, loc.ptr));
	buf_free(&loc);
}

/* The user the second-step cookie names, 0 when it is missing, forged or
 * too old. */
static int64_t second_step_user(struct req *req)
{
	const char *c = http_req_cookie(req, LOGIN_2FA_COOKIE);
	char *end = NULL, purpose[40];
	long long uid = c ? strtoll(c, &end, 10) : 0;
	if (uid <= 0 || !end || *end != ':')
		return 0;
	snprintf(purpose, sizeof(purpose), "2fa:%lld", uid);
	return auth_stamp_check(req->app->secret, purpose, end + 1, jm_now(), 0, LOGIN_2FA_MAX_AGE,
	                        NULL) == AUTH_STAMP_OK
	               ? (int64_t)uid
	               : 0;
}

static void code_render(struct req *req, int status, const char *next, const char *error_key)
{
	struct view_val *ctx = admin_ctx(req, NULL);
	view_set_str(ctx, "next", next && admin_safe_next(next) ? next : "");
	if (error_key)
		view_set_str(ctx, "error", admin_t(req, error_key));
	admin_render(req, status, "admin/login_2fa.html", ctx);
}

static void admin_login_2fa_get(struct req *req)
{
	struct form q;
	struct jm_err qerr = {0};
	if (!second_step_user(req)) {
		http_redirect(req, 303, "/admin/login");
		return;
	}
	code_render(req, 200, http_req_query(req, &q, &qerr) == JM_OK ? form_get(&q, "next") : NULL,
	            NULL);
}

static void admin_login_2fa_post(struct req *req)
{
	struct form f;
	const char *ip = http_req_ip(req);
	int64_t now = jm_now(), uid = second_step_user(req);
	if (!admin_form(req, &f))
		return;
	const char *next = form_get(&f, "next");
	if (!uid) {
		login_render(req, 401, NULL, next, "admin.login.code_expired", NULL);
		return;
	}
	enum jm_rc rc = auth_login_reserve(req->db, ip, now);
	if (rc == JM_RATE_LIMITED) {
		http_header(req, "retry-after", "60");
		admin_error(req, 429, "admin.login.too_many");
		return;
	}
	if (!rc)
		rc = auth_totp_verify(req->db, req->app->secret, uid, form_get(&f, "code"), now);
	if (rc == JM_UNAUTHORIZED) {
		log_at(LOG_INFO, "admin", "event=login_code_failed ip=%s", ip);
		code_render(req, 401, next, "admin.login.code_failed");
		return;
	}
	auth_login_release(req->db, ip, now);
	if (rc) {
		admin_fail(req, "auth_totp_verify", rc);
		return;
	}
	log_at(LOG_INFO, "admin", "event=login user=%lld factor=2", (long long)uid);
	http_set_cookie(req, LOGIN_2FA_COOKIE, "", 0, app_cookie_flags(req));
	admin_session_start(req, uid, next && admin_safe_next(next) ? next : "/admin/");
}

void admin_login_routes(struct router *r)
{
	router_add(r, "GET", "/admin/login/2fa", admin_login_2fa_get, ROUTE_CSRF);
	router_add(r, "POST", "/admin/login/2fa", admin_login_2fa_post, ROUTE_CSRF);
}

static void login_done(struct req *req, void *data)
{
	struct login_job *j = data;
	if (j->rc != JM_UNAUTHORIZED && j->rc != JM_NOT_FOUND)
		auth_login_release(req->db, j->ip, j->stamp);
	if (j->rc == JM_OK && auth_totp_enabled(req->db, j->user_id)) {
		second_step(req, j->user_id, j->next);
		return;
	}
	if (j->rc == JM_OK) {
		log_at(LOG_INFO, "admin", "event=login user=%lld", (long long)j->user_id);
		admin_session_start(req, j->user_id, j->next[0] ? j->next : "/admin/");
		return;
	}
	if (j->rc != JM_UNAUTHORIZED && j->rc != JM_NOT_FOUND) {
		admin_fail(req, "auth_login_check", j->rc);
		return;
	}
	log_at(LOG_INFO, "admin", "event=login_failed ip=%s", j->ip);
	login_render(req, 401, j->email, j->next, "admin.login.failed", NULL);
}

void admin_login_post(struct req *req)
{
	struct form f;
	const char *ip = http_req_ip(req);
	int64_t now = jm_now();
	if (!admin_form(req, &f))
		return;
	enum jm_rc rc = auth_login_reserve(req->db, ip, now);
	if (rc == JM_RATE_LIMITED) {
		http_header(req, "retry-after", "60");
		admin_error(req, 429, "admin.login.too_many");
		return;
	}
	if (rc) {
		admin_fail(req, "auth_login_reserve", rc);
		return;
	}
	const char *email = form_get(&f, "email");
	const char *pw = form_get(&f, "password");
	const char *next = form_get(&f, "next");
	if (!email || !*email || !pw || !*pw) {
		login_render(req, 401, email, next, "admin.login.failed", NULL);
		return;
	}
	struct login_job *j = job_new(email, NULL, pw);
	j->next = xstrdup(next && admin_safe_next(next) ? next : "");
	j->ip = xstrdup(ip);
	j->stamp = now;
	if (!http_defer_hash(req, login_work, login_done, j, job_free)) {
		auth_login_release(req->db, ip, now); /* never checked */
		job_free(j);
		too_busy(req);
	}
}

void admin_logout_post(struct req *req)
{
	const char *tok = http_req_cookie(req, AUTH_SESSION_COOKIE);
	if (tok && *tok)
		auth_session_delete(req->db, req->app->secret, tok);
	http_set_cookie(req, AUTH_SESSION_COOKIE, "", 0, COOKIE_HTTPONLY);
	http_header(req, "cache-control", "no-store");
	http_redirect(req, 303, "/admin/login");
}

/* ---- language ---- */

void admin_lang_post(struct req *req)
{
	struct form f;
	const struct auth_user *u = admin_user(req);
	if (!admin_form(req, &f))
		return;
	const char *lang = form_get(&f, "lang");
	const char *next = form_get(&f, "next");
	if (!lang || (strcmp(lang, "ja") != 0 && strcmp(lang, "en") != 0)) {
		admin_error(req, 400, "admin.err.bad_request");
		return;
	}
	enum jm_rc rc = auth_user_set_lang(req->db, u->id, lang);
	if (rc != JM_OK) {
		admin_fail(req, "auth_user_set_lang", rc);
		return;
	}
	http_redirect(req, 303, next && admin_safe_next(next) ? next : "/admin/");
}
