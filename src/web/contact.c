/*
 * contact.c — the public contact form (お問い合わせ): GET /contact, POST
 * /contact and GET /contact/thanks. The domain (inbox/contact.c) checks
 * and stores; this file only reads the form and renders.
 *
 * Invariants:
 * - Nothing here is cached: every GET renders a fresh signed stamp
 *   (auth/stamp.c: the render time for the minimum-fill-time check, single
 *   use), so the page never goes through the public page cache, and every
 *   answer is no-store.
 * - The public form carries no CSRF token (there is no session); the
 *   signed token plus the honeypot stand in for it.
 * - With the setting contact_confirm, a first POST only checks (nothing is
 *   stored, the stamp is not spent) and shows what will be sent with the
 *   same values in hidden fields: 送信する posts them again with
 *   confirmed=1, 修正する (edit=1) goes back to the filled form.
 * - A refused message re-renders the form with the visitor's values (the
 *   engine escapes them) and one clear message: 422 for a field or a bot
 *   check, 429 over a rate limit. Nothing is stored then.
 */
#include "auth/auth.h"
#include "inbox/inbox.h"
#include "web/web_int.h"

#define NO_STORE    "no-store"
#define REFERER_MAX 500

/* A refusal to show: the form field it belongs to and the catalog key. */
struct contact_error {
	const char *field, *key;
};

static void send_page(struct web_page *pg, int status, const char *tpl, const char *title_key)
{
	web_page_meta(pg, i18n_get(pg->req->app->i18n, pg->lang, title_key), NULL, "website");
	web_page_send_nostore(pg, status, tpl, false);
}

static const char *val(const struct form *f, const char *key)
{
	const char *v = f ? form_get(f, key) : NULL;
	return v ? v : "";
}

/* The categories as {value, selected} for the <select>. */
static struct view_val *category_options(struct req *req, const char *selected)
{
	const char **cats = NULL;
	size_t n = 0;
	if (inbox_categories(req->db, req->arena, &cats, &n) != JM_OK)
		n = 0;
	return view_options(req->arena, cats, n, selected);
}

/* The form page; f (may be NULL) holds what the visitor typed, e (may be
 * NULL) the refusal. */
static void form_page(struct req *req, int status, const struct form *f,
                      const struct contact_error *e)
{
	struct web_page pg;
	if (web_page_init(&pg, req, "/contact") != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	struct arena *a = req->arena;
	char tok[AUTH_STAMP_LEN];
	auth_stamp_make(req->app->secret, INBOX_STAMP_PURPOSE, jm_now(), tok);
	struct view_val *c = view_map(a);
	view_set_str(c, "token", arena_strdup(a, tok));
	static const char *const keys[] = {"name", "email", "subject", "message"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		view_set_str(c, keys[i], val(f, keys[i]));
	view_set(c, "categories", category_options(req, f ? form_get(f, "category") : NULL));
	struct view_val *errs = view_map(a);
	if (e) {
		const char *msg = i18n_get(req->app->i18n, pg.lang, e->key);
		view_set_str(errs, e->field, msg);
		view_set_str(c, "error_summary", msg);
	}
	view_set(c, "errors", errs);
	view_set(pg.ctx, "contact", c);
	send_page(&pg, status, "site/contact.html", "site.contact.title");
}

/* The confirmation step: what will be sent, escaped, and the same form
 * values in hidden fields. */
static void confirm_page(struct req *req, const struct form *f)
{
	struct web_page pg;
	if (web_page_init(&pg, req, "/contact") != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	struct view_val *c = view_map(req->arena);
	static const char *const keys[] = {"name",    "email",   "category",
	                                   "subject", "message", "form_token"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		view_set_str(c, keys[i], val(f, keys[i]));
	view_set(pg.ctx, "contact", c);
	send_page(&pg, 200, "site/contact_confirm.html", "site.contact.confirm_title");
}

static void contact_get(struct req *req)
{
	form_page(req, 200, NULL, NULL);
}

static void contact_thanks(struct req *req)
{
	struct web_page pg;
	if (web_page_init(&pg, req, "/contact/thanks") != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	send_page(&pg, 200, "site/contact_thanks.html", "site.contact.thanks_title");
}

/* The message for a bot check the domain refused (err->field). */
static const char *form_error_key(const char *field)
{
	if (strcmp(field, "honeypot") == 0)
		return "site.contact.err_honeypot";
	if (strcmp(field, "stamp_fast") == 0)
		return "site.contact.err_fast";
	if (strcmp(field, "stamp_old") == 0)
		return "site.contact.err_expired";
	if (strcmp(field, "stamp_used") == 0)
		return "site.contact.err_used";
	return "site.contact.err_token";
}

/* The refusal for the domain's err: the form field and the message. */
static struct contact_error refusal(const struct inbox_contact *in, enum jm_rc rc,
                                    const struct jm_err *err)
{
	const char *fld = err->field;
	if (rc == JM_RATE_LIMITED)
		return strcmp(fld, "email") == 0
		               ? (struct contact_error){"email", "site.contact.err_rate_email"}
		               : (struct contact_error){"form", "site.contact.err_rate_ip"};
	if (strcmp(fld, "name") == 0)
		return (struct contact_error){"name", jm_blank(in->name)
		                                              ? "site.contact.err_required"
		                                              : "site.contact.err_name"};
	if (strcmp(fld, "email") == 0)
		return (struct contact_error){"email", jm_blank(in->email)
		                                               ? "site.contact.err_required"
		                                               : "site.contact.err_email"};
	if (strcmp(fld, "category") == 0)
		return (struct contact_error){"category", "site.contact.err_category"};
	if (strcmp(fld, "subject") == 0)
		return (struct contact_error){"subject", "site.contact.err_subject"};
	if (strcmp(fld, "body") == 0)
		return (struct contact_error){"message", jm_blank(in->body)
		                                                 ? "site.contact.err_required"
		                                                 : "site.contact.err_message"};
	return (struct contact_error){"form", form_error_key(fld)};
}

/* Where the form was sent from: the Referer when it is short, one line. */
static const char *sent_from(struct req *req)
{
	const char *r = http_req_header(req, "referer");
	if (!r || strlen(r) > REFERER_MAX || !utf8_valid(r, strlen(r)) ||
	    utf8_has_controls(r, strlen(r)) || strpbrk(r, "\r\n\t"))
		return "/contact";
	return r;
}

static void contact_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	enum jm_rc rc = http_req_form(req, &f, &err);
	if (rc) {
		web_error_page(req, rc == JM_TOO_LARGE ? 413 : 400);
		return;
	}
	struct site_settings s;
	if (site_settings_load(req->db, req->arena, &s) != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	struct inbox_contact in = {
	        .name = form_get(&f, "name"),
	        .email = form_get(&f, "email"),
	        .category = form_get(&f, "category"),
	        .subject = form_get(&f, "subject"),
	        .body = form_get(&f, "message"),
	        .honeypot = form_get(&f, "website"),
	        .stamp = form_get(&f, "form_token"),
	        .secret = req->app->secret,
	        .ip = http_req_ip(req),
	        .page = sent_from(req),
	        .now = jm_now(),
	        .base_url =
	                site_base_url(req->arena, &s, req->app->cfg.base_url, req->app->cfg.listen),
	};
	int64_t id = 0;
	if (form_get(&f, "edit")) { /* 修正する: back to the filled form */
		form_page(req, 200, &f, NULL);
		return;
	}
	const char *confirm = site_setting_get(req->db, req->arena, "contact_confirm");
	in.check_only = confirm && strcmp(confirm, "1") == 0 && !form_get(&f, "confirmed");
	rc = inbox_contact_submit(req->db, &in, &id, &err);
	if (rc == JM_OK && in.check_only) {
		confirm_page(req, &f);
		return;
	}
	if (rc == JM_OK) {
		http_header(req, "cache-control", NO_STORE);
		http_redirect(req, 303, "/contact/thanks");
		return;
	}
	if (rc != JM_INVALID && rc != JM_RATE_LIMITED) {
		log_at(LOG_ERROR, "web", "contact submit rc=%s", jm_rc_name(rc));
		web_error_page(req, 500);
		return;
	}
	struct contact_error e = refusal(&in, rc, &err);
	form_page(req, http_status_for(rc), &f, &e);
}

void web_contact_routes(struct router *r)
{
	router_add(r, "GET", "/contact", contact_get, 0);
	router_add(r, "POST", "/contact", contact_post, 0);
	router_add(r, "GET", "/contact/thanks", contact_thanks, 0);
}
