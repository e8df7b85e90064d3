/*
 * users.c — accounts that are not one's own: the owner's users page
 * (invite an editor or owner by mail, remove an account), the invitation
 * page an invitee opens, and the password reset by mail ("forgot
 * password", then the link's page).
 *
 * Both links go out as transactional mail (nl_queue_tx, the path of the
 * contact form's notifications), queued in the same transaction that made
 * the link, so a link exists only when its mail is queued and vice versa.
 *
 * Invariants: asking for a reset answers the same page whether or not the
 * address has an account (auth_reset_issue does the same work for both;
 * only the mail differs); reset requests are limited per client address
 * and per address asked for (auth/ratelimit.c, shared by every node); a
 * link works once and a reset one for an hour; a reset signs the account
 * out everywhere. Passwords are hashed on the hashing threads.
 */
#include <jansson.h>

#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "db/db.h"
#include "newsletter/newsletter.h"
#include "people/people.h"
#include "site/site.h"

#define RESET_PER_IP    10 /* reset requests per client address an hour */
#define RESET_PER_EMAIL 3  /* reset mails per address asked for an hour */

/* Queues the mail carrying a link (path + token) to to, in the request's
 * language: subject key, lead text key, then the link. */
static enum jm_rc link_mail(struct req *req, const char *to, const char *subject_key,
                            const char *lead_key, const char *path, const char *token)
{
	struct site_settings st;
	enum jm_rc rc = site_settings_load(req->db, req->arena, &st);
	if (rc)
		return rc;
	const char *base =
	        site_base_url(req->arena, &st, req->app->cfg.base_url, req->app->cfg.listen);
	const char *text =
	        arena_sprintf(req->arena, "%s\n\n%s%s?token=%s\n\n%s\n", admin_t(req, lead_key),
	                      base, path, token, admin_t(req, "mail.account.foot"));
	json_t *p = json_pack("{s:s, s:s}", "subject", admin_t(req, subject_key), "text", text);
	char *js = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (!js)
		return JM_NOMEM;
	int64_t did = 0;
	rc = nl_queue_tx(req->db, "notify", 0, to, js, jm_now(), &did);
	free(js);
	return rc;
}

/* ---- forgot password ---- */

static void forgot_render(struct req *req, int status, bool sent, const char *error_key)
{
	struct view_val *ctx = admin_ctx(req, NULL);
	view_set_bool(ctx, "sent", sent);
	if (error_key)
		view_set_str(ctx, "error", admin_t(req, error_key));
	admin_render(req, status, "admin/forgot.html", ctx);
}

static void forgot_get(struct req *req)
{
	forgot_render(req, 200, false, NULL);
}

/* In one transaction: the limits, the link, its mail. The per-address
 * limit counts every address asked for, with an account or not, so its
 * 429 tells nothing either. */
static enum jm_rc forgot_tx(struct req *req, const char *email, int64_t now)
{
	char token[64], norm[256];
	snprintf(norm, sizeof(norm), "%s", email);
	(void)auth_email_normalize(norm);
	enum jm_rc rc = db_begin(req->db);
	if (rc)
		return rc;
	rc = auth_rate_hit(req->db, "reset-ip:", http_req_ip(req), RESET_PER_IP, 3600, now);
	if (!rc)
		rc = auth_rate_hit(req->db, "reset-email:", norm, RESET_PER_EMAIL, 3600, now);
	if (!rc)
		rc = auth_reset_issue(req->db, req->app->secret, email, now, token, norm);
	if (!rc)
		rc = link_mail(req, norm, "mail.reset.subject", "mail.reset.lead", "/admin/reset",
		               token);
	explicit_bzero(token, sizeof(token));
	if (rc == JM_NOT_FOUND) /* no such account: nothing to keep but the hits */
		return db_commit(req->db);
	return db_end(req->db, rc);
}

static void forgot_post(struct req *req)
{
	struct form f;
	if (!admin_form(req, &f))
		return;
	const char *email = form_get(&f, "email");
	enum jm_rc rc = forgot_tx(req, email ? email : "", jm_now());
	if (rc == JM_RATE_LIMITED) {
		http_header(req, "retry-after", "3600");
		forgot_render(req, 429, false, "admin.forgot.too_many");
		return;
	}
	if (rc) {
		admin_fail(req, "forgot", rc);
		return;
	}
	log_at(LOG_INFO, "admin", "event=reset_requested ip=%s", http_req_ip(req));
	forgot_render(req, 200, true, NULL);
}

/* ---- the links' pages (reset, invite) ---- */

/* A job setting a password from a link. */
struct link_job {
	struct http_task job;
	char *token, *password, *name;
	int64_t user_id;
	const unsigned char *secret;
};

static void link_job_free(void *p)
{
	struct link_job *j = p;
	for (volatile char *c = j->password; c && *c; c++)
		*c = 0;
	http_task_free(j);
}

/* The page a mailed link opens (templates/admin/link_password.html): kind
 * "invite" (name and password) or "reset" (password); its words are the
 * catalog's admin.<kind>.title, .lead and .submit. */
static void link_render(struct req *req, int status, const char *kind, const char *token,
                        const struct auth_ticket *t, const char *error_key)
{
	struct view_val *ctx = admin_ctx(req, NULL);
	view_set_str(ctx, "kind", kind);
	view_set_bool(ctx, "ask_name", strcmp(kind, "invite") == 0);
	static const char *const words[] = {"title", "lead", "submit"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		view_set_str(
		        ctx, words[i],
		        admin_t(req, arena_sprintf(req->arena, "admin.%s.%s", kind, words[i])));
	view_set_str(ctx, "token", token ? token : "");
	view_set_str(ctx, "email", t ? t->email : "");
	if (error_key)
		view_set_str(ctx, "error", admin_t(req, error_key));
	admin_render(req, status, "admin/link_password.html", ctx);
}

/* The ticket of kind named by ?token=; answers 410 and returns false when
 * the link is unknown, used or expired. */
static bool link_ticket(struct req *req, const char *kind, const char *token, struct auth_ticket *t)
{
	enum jm_rc rc =
	        auth_ticket_peek(req->db, req->arena, req->app->secret, kind, token, jm_now(), t);
	if (rc == JM_NOT_FOUND)
		admin_error(req, 410, "admin.link.gone");
	else if (rc)
		admin_fail(req, "auth_ticket_peek", rc);
	return rc == JM_OK;
}

static const char *query_token(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	return http_req_query(req, &q, &err) == JM_OK ? form_get(&q, "token") : NULL;
}

/* The password pair of a link's form: false after answering 422. */
static bool link_passwords(struct req *req, const struct form *f, const char *kind,
                           const struct auth_ticket *t)
{
	const char *pw = form_get(f, "password"), *pw2 = form_get(f, "password_confirm");
	const char *key = auth_password_rule(pw, NULL) != JM_OK ? "admin.err.password_length"
	                  : !pw2 || strcmp(pw, pw2)             ? "admin.err.password_mismatch"
	                                                        : NULL;
	if (key)
		link_render(req, 422, kind, form_get(f, "token"), t, key);
	return key == NULL;
}

static void reset_get(struct req *req)
{
	struct auth_ticket t;
	const char *token = query_token(req);
	if (link_ticket(req, "reset", token, &t))
		link_render(req, 200, "reset", token, &t, NULL);
}

static void reset_work(struct db *db, void *data)
{
	struct link_job *j = data;
	j->job.rc = auth_reset_complete(db, j->secret, j->token, j->password, jm_now(), &j->user_id,
	                                &j->job.err);
}

static void reset_done(struct req *req, void *data)
{
	struct link_job *j = data;
	if (j->job.rc == JM_NOT_FOUND) {
		admin_error(req, 410, "admin.link.gone");
		return;
	}
	if (!admin_check(req, j->job.rc, "auth_reset_complete"))
		return;
	log_at(LOG_INFO, "admin", "event=password_reset user=%lld", (long long)j->user_id);
	http_redirect(req, 303, "/admin/login?done=reset");
}

/* Hands the link's form to the hashing threads. */
static void link_defer(struct req *req, const struct form *f, http_work_fn work, http_done_fn done)
{
	struct link_job *j = http_task_new(sizeof(*j));
	j->token = (char *)http_task_str(&j->job, form_get(f, "token"));
	j->password = (char *)http_task_str(&j->job, form_get(f, "password"));
	j->name = (char *)http_task_str(&j->job, form_get(f, "name") ? form_get(f, "name") : "");
	j->secret = req->app->secret;
	if (!http_defer_hash(req, work, done, j, link_job_free)) {
		link_job_free(j);
		http_header(req, "retry-after", "5");
		admin_error(req, 429, "admin.login.busy");
	}
}

static void reset_post(struct req *req)
{
	struct form f;
	struct auth_ticket t;
	if (!admin_form(req, &f) || !link_ticket(req, "reset", form_get(&f, "token"), &t))
		return;
	if (link_passwords(req, &f, "reset", &t))
		link_defer(req, &f, reset_work, reset_done);
}

static void invite_get(struct req *req)
{
	struct auth_ticket t;
	const char *token = query_token(req);
	if (link_ticket(req, "invite", token, &t))
		link_render(req, 200, "invite", token, &t, NULL);
}

static void invite_work(struct db *db, void *data)
{
	struct link_job *j = data;
	struct arena *a = arena_new(512);
	struct auth_ticket t;
	int64_t now = jm_now();
	j->job.rc = auth_ticket_peek(db, a, j->secret, "invite", j->token, now, &t);
	/* The address is unique: of two uses of one link, one account. */
	if (!j->job.rc)
		j->job.rc = people_user_add(db, t.email, j->name, t.role, j->password, &j->user_id,
		                            &j->job.err);
	if (!j->job.rc && auth_ticket_spend(db, j->secret, "invite", j->token, now) != JM_OK)
		log_at(LOG_WARN, "admin", "invitation used twice at once");
	arena_free(a);
}

static void invite_done(struct req *req, void *data)
{
	struct link_job *j = data;
	if (j->job.rc == JM_NOT_FOUND || j->job.rc == JM_CONFLICT) {
		admin_error(req, 410, "admin.link.gone");
		return;
	}
	if (j->job.rc == JM_INVALID) {
		link_render(req, 422, "invite", j->token, NULL, "admin.invite.err_name");
		return;
	}
	if (!admin_check(req, j->job.rc, "invite"))
		return;
	log_at(LOG_INFO, "admin", "event=invite_accepted user=%lld", (long long)j->user_id);
	admin_session_start(req, j->user_id, "/admin/");
}

static void invite_post(struct req *req)
{
	struct form f;
	struct auth_ticket t;
	if (!admin_form(req, &f) || !link_ticket(req, "invite", form_get(&f, "token"), &t))
		return;
	if (link_passwords(req, &f, "invite", &t))
		link_defer(req, &f, invite_work, invite_done);
}

/* ---- the owner's users page ---- */

static void users_render(struct req *req, int status, const struct form *f, const char *error)
{
	struct auth_user_row *u = NULL;
	size_t n = 0;
	struct site_settings st;
	if (!admin_settings(req, &st) ||
	    !admin_check(req, auth_user_list(req->db, req->arena, &u, &n), "auth_user_list"))
		return;
	struct view_val *ctx = admin_ctx(req, "users"), *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", u[i].id);
		view_set_str(m, "email", u[i].email);
		view_set_str(m, "name", u[i].name);
		view_set_str(m, "role", u[i].role);
		view_set_str(
		        m, "role_label",
		        admin_t(req, arena_sprintf(req->arena, "admin.users.role_%s", u[i].role)));
		view_set_bool(m, "two_factor", u[i].two_factor);
		view_set_bool(m, "me", u[i].id == admin_user(req)->id);
		view_set_str(m, "created_at",
		             admin_time_fmt(req->arena, u[i].created_at, st.tz_offset_min, ' '));
		view_push(list, m);
	}
	view_set(ctx, "users", list);
	view_set_str(ctx, "invite_email", f ? form_get(f, "email") : "");
	const char *flash = admin_nl_flash(req);
	if (flash)
		view_set_str(ctx, "flash",
		             admin_t(req, arena_sprintf(req->arena, "admin.users.done_%s", flash)));
	if (error)
		view_set_str(ctx, "error", error);
	admin_render(req, status, "admin/users.html", ctx);
}

static void users_get(struct req *req)
{
	users_render(req, 200, NULL, NULL);
}

static void invite_create_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	char token[64], norm[256];
	if (!admin_form(req, &f))
		return;
	const char *role = form_get(&f, "role") ? form_get(&f, "role") : "editor";
	enum jm_rc rc = db_begin(req->db);
	if (!rc)
		rc = auth_invite_issue(req->db, req->app->secret, form_get(&f, "email"), role,
		                       jm_now(), token, norm, &err);
	if (!rc)
		rc = link_mail(req, norm, "mail.invite.subject", "mail.invite.lead",
		               "/admin/invite", token);
	rc = db_end(req->db, rc);
	if (rc == JM_INVALID || rc == JM_CONFLICT) {
		const char *key = rc == JM_CONFLICT            ? "admin.err.email_taken"
		                  : !strcmp(err.field, "role") ? "admin.users.err_role"
		                                               : "admin.users.err_email";
		users_render(req, 422, &f, admin_t(req, key));
		return;
	}
	if (admin_check(req, rc, "invite"))
		http_redirect(req, 303, "/admin/users?done=invited");
}

static void user_remove_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id;
	if (!admin_form(req, &f) || !admin_param_id(req, &id))
		return;
	enum jm_rc rc = auth_user_remove(req->db, id, &err);
	if (rc == JM_CONFLICT) {
		users_render(req, 409, NULL, admin_t(req, "admin.users.err_last_owner"));
		return;
	}
	if (!admin_check(req, rc, "auth_user_remove"))
		return;
	log_at(LOG_INFO, "admin", "event=user_removed user=%lld by=%lld", (long long)id,
	       (long long)admin_user(req)->id);
	http_redirect(req, 303,
	              id == admin_user(req)->id ? "/admin/login" : "/admin/users?done=removed");
}

void admin_users_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/forgot", forgot_get, ROUTE_CSRF);
	router_add(r, "POST", "/admin/forgot", forgot_post, ROUTE_CSRF);
	router_add(r, "GET", "/admin/reset", reset_get, ROUTE_CSRF);
	router_add(r, "POST", "/admin/reset", reset_post, ROUTE_CSRF);
	router_add(r, "GET", "/admin/invite", invite_get, ROUTE_CSRF);
	router_add(r, "POST", "/admin/invite", invite_post, ROUTE_CSRF);
	router_add(r, "GET", "/admin/users", users_get, adm);
	router_add(r, "POST", "/admin/users/invite", invite_create_post, adm);
	router_add(r, "POST", "/admin/users/{id}/remove", user_remove_post, adm);
}
