/*
 * newsletter.c — the mail magazine's public forms: the sign-up form in the
 * layout's slot and at /subscribe (plus /subscribe/embed.js for other
 * sites), the double opt-in confirmation link, and the unsubscribe page
 * with its RFC 8058 one-click POST.
 *
 * Invariants:
 * - Every answer here is Cache-Control: no-store. The slot form on cached
 *   pages holds nothing per visitor and no stamp: a stamp signed when the
 *   cache rendered the page would let a bot post at once. The visitor's
 *   browser fetches a fresh stamp (GET /subscribe/stamp, static/signup.js)
 *   when the page loads; without JavaScript the post has no stamp and gets
 *   the /subscribe form back, stamped, with the values typed (422). A
 *   stamp is accepted from TS_MIN_AGE to TS_MAX_AGE after it was issued.
 * - A sign-up answers the same neutral page for a new, a pending, an
 *   already active and a rate-limited address (no address probing). A
 *   filled honeypot or a too-fast form is refused (400) and mails nothing.
 * - A GET never changes a subscription except the one-click confirm link;
 *   unsubscribing takes a POST (link scanners fetch URLs), which needs no
 *   cookie and no CSRF token (RFC 8058 section 3.1) and is idempotent.
 * - Bad tokens get a clear 400 page and change nothing.
 */
#include "auth/auth.h"
#include "newsletter/newsletter.h"
#include "web/web_int.h"

#define TS_MIN_AGE    2
#define TS_MAX_AGE    (7 * 86400)
#define STAMP_PURPOSE "signup"
#define SOURCE_MAX    500
#define TOKEN_MAX     512
#define UNSUB_MAX     200
#define ONE_CLICK     "One-Click"
#define NO_STORE      "no-store"
#define HOW_ONE       "one-click"
#define HOW_PAGE      "page"
#define FORM_SOURCE   "form:/subscribe"

/* ---- the signed stamp (bot check, auth/stamp.c) ---- */

/* GET /subscribe/stamp — a fresh stamp as text/plain, never cached: the
 * cached pages' slot form carries none, and static/signup.js fetches one
 * per visitor when the page loads (same origin, so the CSP's
 * connect-src 'self' allows it). One hash, no database, no template. */
static void stamp_get(struct req *req)
{
	char ts[AUTH_STAMP_LEN];
	auth_stamp_make(req->app->secret, STAMP_PURPOSE, jm_now(), ts);
	http_header(req, "cache-control", NO_STORE);
	http_header(req, "x-robots-tag", "noindex");
	http_send_text(req, 200, ts);
}

/* ---- lists and their view values ---- */

/* The list a form names, or the first public list for NULL/"". Only public
 * lists take sign-ups from the public site. */
static enum jm_rc signup_list(struct req *req, const char *slug, struct nl_list *out)
{
	struct nl_list *all = NULL;
	size_t n = 0;
	enum jm_rc rc = nl_list_all_brief(req->db, req->arena, true, &all, &n);
	for (size_t i = 0; !rc && i < n; i++)
		if (!slug || !*slug || strcmp(all[i].slug, slug) == 0) {
			*out = all[i];
			return JM_OK;
		}
	return rc ? rc : JM_NOT_FOUND;
}

static const char *form_val(const struct form *f, const char *key)
{
	return f ? form_get(f, key) : NULL;
}

/* A form error to show: the field it belongs to and the message. */
struct form_error {
	const char *field, *msg;
};

/* One custom field with the value the visitor sent (f and e may be NULL). */
static struct view_val *field_val(struct arena *a, const struct nl_field *fd, const struct form *f,
                                  const struct form_error *e)
{
	struct view_val *m = view_map(a);
	const char *v = form_val(f, fd->key);
	view_set_str(m, "key", fd->key);
	view_set_str(m, "label", fd->label);
	view_set_str(m, "type", fd->type);
	view_set_bool(m, "required", fd->required);
	view_set_str(m, "value", v ? v : "");
	view_set_bool(m, "checked", v && *v);
	if (e && e->field && strcmp(e->field, fd->key) == 0)
		view_set_str(m, "error", e->msg);
	view_set(m, "options", view_options(a, fd->options, fd->noptions, v));
	return m;
}

static struct view_val *list_val(struct arena *a, const struct nl_list *l, const struct form *f,
                                 const struct form_error *e)
{
	struct view_val *m = view_map(a);
	view_set_str(m, "slug", l->slug);
	view_set_str(m, "name", l->name);
	view_set_str(m, "description", l->description);
	view_set_str(m, "consent_text", l->consent_text);
	view_set_bool(m, "double_optin", l->double_optin);
	struct view_val *fields = view_list(a);
	for (size_t i = 0; i < l->nfields; i++)
		view_push(fields, field_val(a, &l->fields[i], f, e));
	view_set(m, "fields", fields);
	return m;
}

/* ctx.signup, what site/signup_form.html renders: the list, a freshly
 * signed stamp (none when stamped is false: a page for the cache, whose
 * form gets its stamp per visitor from GET /subscribe/stamp), and on a
 * re-render the visitor's values and the error. */
static struct view_val *signup_val(struct req *req, const struct nl_list *l, const struct form *f,
                                   const struct form_error *e, bool stamped)
{
	struct arena *a = req->arena;
	char ts[AUTH_STAMP_LEN] = "";
	if (stamped)
		auth_stamp_make(req->app->secret, STAMP_PURPOSE, jm_now(), ts);
	struct view_val *m = view_map(a);
	view_set_str(m, "ts", arena_strdup(a, ts));
	view_set(m, "list", list_val(a, l, f, e));
	view_set_str(m, "email", form_val(f, "email"));
	view_set_str(m, "name", form_val(f, "name"));
	struct view_val *errs = view_map(a);
	if (e && e->field)
		view_set_str(errs, e->field, e->msg);
	view_set(m, "errors", errs);
	return m;
}

void web_signup_ctx(struct web_page *pg)
{
	struct nl_list l;
	enum jm_rc rc = signup_list(pg->req, NULL, &l);
	if (rc) {
		if (rc != JM_NOT_FOUND)
			log_at(LOG_WARN, "web", "sign-up slot: lists rc=%s", jm_rc_name(rc));
		return;
	}
	view_set(pg->ctx, "signup", signup_val(pg->req, &l, NULL, NULL, false));
}

/* ---- rendering (never cached) ---- */

/* Renders tpl with status, Cache-Control: no-store and robots noindex. */
static void send_page(struct web_page *pg, int status, const char *tpl, const char *title_key)
{
	web_page_meta(pg, i18n_get(pg->req->app->i18n, pg->lang, title_key), NULL, "website");
	web_page_send_nostore(pg, status, tpl, true);
}

static bool page_start(struct web_page *pg, struct req *req, const char *path)
{
	if (web_page_init(pg, req, path) == JM_OK)
		return true;
	web_error_page(req, 500);
	return false;
}

/* The standalone form page: the public lists and the chosen list's form,
 * with the visitor's values and the error on a re-render. */
static void subscribe_form(struct web_page *pg, int status, const struct nl_list *l,
                           const struct form *f, const struct form_error *e)
{
	struct arena *a = pg->req->arena;
	struct nl_list *all = NULL;
	size_t n = 0, npub = 0;
	struct view_val *lists = view_list(a);
	if (nl_list_all_brief(pg->req->db, a, true, &all, &n) == JM_OK)
		for (size_t i = 0; i < n; i++) {
			struct view_val *m = list_val(a, &all[i], NULL, NULL);
			view_set_bool(m, "selected", l && all[i].id == l->id);
			view_push(lists, m);
			npub++;
		}
	view_set(pg->ctx, "lists", lists);
	view_set_bool(pg->ctx, "many_lists", npub > 1);
	if (l) {
		struct view_val *su = signup_val(pg->req, l, f, e, true);
		const char *src = form_val(f, "source");
		view_set_str(su, "source", src && *src ? src : FORM_SOURCE);
		view_set(pg->ctx, "signup", su);
	}
	if (e)
		view_set_str(pg->ctx, "error_summary", e->msg);
	send_page(pg, status, "site/subscribe.html", "site.nl.subscribe_title");
}

/* GET /subscribe[?list=slug] */
static void subscribe_get(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	struct web_page pg;
	struct nl_list l;
	if (http_req_query(req, &q, &err) != JM_OK) {
		web_error_page(req, 400);
		return;
	}
	const char *slug = form_get(&q, "list");
	enum jm_rc rc = signup_list(req, slug, &l);
	if (rc == JM_NOT_FOUND && slug && *slug) {
		web_error_page(req, 404);
		return;
	}
	if (rc && rc != JM_NOT_FOUND) {
		web_error_page(req, 500);
		return;
	}
	if (!page_start(&pg, req, "/subscribe"))
		return;
	subscribe_form(&pg, 200, rc ? NULL : &l, NULL, NULL);
}

/* A neutral refusal (honeypot, bad or too-fast form): 400, no mail. */
static void signup_rejected(struct req *req)
{
	struct web_page pg;
	if (!page_start(&pg, req, NULL))
		return;
	view_set_bool(pg.ctx, "rejected", true);
	send_page(&pg, 400, "site/subscribe.html", "site.nl.rejected_title");
}

static void signup_thanks(struct req *req, const struct nl_list *l)
{
	struct web_page pg;
	if (!page_start(&pg, req, NULL))
		return;
	view_set_bool(pg.ctx, "thanks", true);
	view_set(pg.ctx, "list", list_val(req->arena, l, NULL, NULL));
	send_page(&pg, 200, "site/subscribe.html",
	          l->double_optin ? "site.nl.thanks_title" : "site.nl.thanks_active_title");
}

/* The catalog message for a bad field (the domain's English text stays in
 * the log): empty means "required". */
static const char *field_error(struct req *req, const char *lang, const char *field,
                               const struct form *f)
{
	const char *v = form_get(f, field);
	const char *key = "site.nl.err_field";
	if (!v || !*v)
		key = "site.nl.err_required";
	else if (strcmp(field, "email") == 0) /* say why: a full-width ＠ … */
		key = arena_sprintf(req->arena, "err.email.%s", jm_email_problem(v));
	else if (strcmp(field, "name") == 0)
		key = "site.nl.err_name";
	else if (strcmp(field, "list") == 0)
		key = "site.nl.err_list";
	return i18n_get(req->app->i18n, lang, key);
}

/* 422: the form again with the visitor's values and the message. */
static void signup_invalid(struct req *req, const struct nl_list *l, const struct form *f,
                           const char *field, const char *msg_key)
{
	struct web_page pg;
	if (!page_start(&pg, req, "/subscribe"))
		return;
	struct form_error e = {.field = field && *field ? field : "email"};
	e.msg = msg_key ? i18n_get(req->app->i18n, pg.lang, msg_key)
	                : field_error(req, pg.lang, e.field, f);
	subscribe_form(&pg, 422, l, f, &e);
}

/* Builds the domain's sign-up from the form: the list's fields by key. */
static void signup_input(struct req *req, const struct form *f, const struct nl_list *l,
                         struct nl_signup *in)
{
	memset(in, 0, sizeof(*in));
	in->email = form_get(f, "email");
	in->name = form_get(f, "name");
	in->list_slug = l->slug;
	in->field_keys = arena_calloc(req->arena, (l->nfields + 1) * sizeof(char *));
	in->field_vals = arena_calloc(req->arena, (l->nfields + 1) * sizeof(char *));
	for (size_t i = 0; i < l->nfields; i++) {
		in->field_keys[i] = l->fields[i].key;
		in->field_vals[i] = form_get(f, l->fields[i].key);
	}
	in->nfields = l->nfields;
	const char *src = form_get(f, "source");
	if (!src || !*src || strlen(src) > SOURCE_MAX || utf8_has_controls(src, strlen(src)))
		src = FORM_SOURCE;
	in->source = src;
	in->ip = http_req_ip(req);
	in->now = jm_now();
	if (!in->email)
		in->email = "";
}

/* POST /subscribe */
static void subscribe_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	struct nl_list l;
	struct nl_signup in;
	enum nl_signup_result res;
	if (http_req_form(req, &f, &err) != JM_OK) {
		signup_rejected(req);
		return;
	}
	const char *hp = form_get(&f, "website");
	enum auth_stamp_verdict tv =
	        auth_stamp_check(req->app->secret, STAMP_PURPOSE, form_get(&f, "ts"), jm_now(),
	                         TS_MIN_AGE, TS_MAX_AGE, NULL);
	if ((hp && *hp) || tv == AUTH_STAMP_BAD || tv == AUTH_STAMP_FAST) {
		log_at(LOG_INFO, "web", "sign-up refused reason=%s",
		       hp && *hp               ? "honeypot"
		       : tv == AUTH_STAMP_FAST ? "fast"
		                               : "stamp");
		signup_rejected(req);
		return;
	}
	enum jm_rc rc = signup_list(req, form_get(&f, "list"), &l);
	if (rc == JM_NOT_FOUND) {
		bool any = signup_list(req, NULL, &l) == JM_OK;
		signup_invalid(req, any ? &l : NULL, &f, "list", "site.nl.err_list");
		return;
	}
	if (!rc && tv == AUTH_STAMP_OLD) {
		signup_invalid(req, &l, &f, "email", "site.nl.err_expired");
		return;
	}
	/* No stamp: a cached page's form sent without JavaScript (or before
	 * signup.js fetched one). The form again, stamped, with the values. */
	if (!rc && tv == AUTH_STAMP_MISSING) {
		signup_invalid(req, &l, &f, "form", "site.nl.err_stamp");
		return;
	}
	if (!rc) {
		signup_input(req, &f, &l, &in);
		rc = nl_signup(req->db, req->app->secret, &in, &res, &err);
	}
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		log_at(LOG_DEBUG, "web", "sign-up invalid field=%s msg=\"%s\"", err.field, err.msg);
		signup_invalid(req, &l, &f, err.field, NULL);
		return;
	}
	if (rc) {
		log_at(LOG_ERROR, "web", "sign-up failed rc=%s", jm_rc_name(rc));
		web_error_page(req, 500);
		return;
	}
	signup_thanks(req, &l);
}

/* ---- confirm ---- */

static const char *query_token(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	if (http_req_query(req, &q, &err) != JM_OK)
		return NULL;
	const char *t = form_get(&q, "token");
	return t && *t && strlen(t) <= TOKEN_MAX ? t : NULL;
}

/* A 400 page for a bad link; expired tells the visitor to sign up again. */
static void bad_link(struct req *req, const char *tpl, bool expired)
{
	struct web_page pg;
	if (!page_start(&pg, req, NULL))
		return;
	view_set_bool(pg.ctx, "invalid", true);
	view_set_bool(pg.ctx, "expired", expired);
	send_page(&pg, 400, tpl,
	          expired ? "site.nl.link_expired_title" : "site.nl.link_invalid_title");
}

/* GET /subscribe/confirm?token= — one click confirms (no second page). */
static void confirm_get(struct req *req)
{
	const char *tok = query_token(req);
	int64_t id = 0;
	struct nl_list l;
	enum jm_rc rc =
	        tok ? nl_token_check(req->app->secret, "confirm", tok, jm_now(), &id) : JM_INVALID;
	if (!rc)
		rc = nl_subscription_resolve(req->db, &id);
	if (!rc)
		rc = nl_confirm(req->db, id, jm_now(), &l, req->arena);
	/* CONFLICT: the subscription ended (unsubscribed, bounced) meanwhile. */
	if (rc == JM_INVALID || rc == JM_NOT_FOUND || rc == JM_CONFLICT) {
		bad_link(req, "site/confirm.html", rc == JM_NOT_FOUND && id == 0);
		return;
	}
	if (rc) {
		log_at(LOG_ERROR, "web", "confirm failed rc=%s", jm_rc_name(rc));
		web_error_page(req, 500);
		return;
	}
	struct web_page pg;
	if (!page_start(&pg, req, NULL))
		return;
	view_set(pg.ctx, "list", list_val(req->arena, &l, NULL, NULL));
	send_page(&pg, 200, "site/confirm.html", "site.nl.confirmed_title");
}

/* ---- unsubscribe ---- */

/* Checks the token and loads the person's subscriptions; answers the 400
 * page itself and returns false when the link is bad or gone. */
static bool unsub_load(struct req *req, const char **tok, int64_t *id, struct nl_subscriber **subs,
                       size_t *n)
{
	*tok = query_token(req);
	enum jm_rc rc = *tok ? nl_token_check(req->app->secret, "unsubscribe", *tok, jm_now(), id)
	                     : JM_INVALID;
	if (!rc)
		rc = nl_subscription_resolve(req->db, id);
	if (!rc)
		rc = nl_subscription_prefs(req->db, req->arena, *id, subs, n);
	if (rc == JM_INVALID || rc == JM_NOT_FOUND) {
		bad_link(req, "site/unsubscribe.html", false);
		return false;
	}
	if (rc) {
		web_error_page(req, 500);
		return false;
	}
	return true;
}

/* ctx.subs: the person's lists with names, this link's list first-checked. */
/* The display name of the list with slug (the slug if it is gone). */
static const char *list_name(const struct nl_list *all, size_t n, const char *slug)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].slug, slug) == 0)
			return all[i].name;
	return slug;
}

static void unsub_ctx(struct web_page *pg, int64_t id, const struct nl_subscriber *subs, size_t n,
                      const char *tok)
{
	struct arena *a = pg->req->arena;
	struct view_val *list = view_list(a);
	struct nl_list *all = NULL;
	size_t nall = 0;
	if (nl_list_all_brief(pg->req->db, a, false, &all, &nall) != JM_OK)
		nall = 0;
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(a);
		view_set_int(m, "id", subs[i].subscription_id);
		view_set_str(m, "name", list_name(all, nall, subs[i].list_slug));
		view_set_str(m, "status", subs[i].status);
		view_set_bool(m, "active",
		              strcmp(subs[i].status, "active") == 0 ||
		                      strcmp(subs[i].status, "pending") == 0);
		view_set_bool(m, "this", subs[i].subscription_id == id);
		view_push(list, m);
		if (subs[i].subscription_id == id)
			view_set_str(pg->ctx, "email", subs[i].email);
	}
	view_set(pg->ctx, "subs", list);
	view_set_str(pg->ctx, "token", tok);
}

/* GET /unsubscribe?token= — a page with the button; changes nothing. */
static void unsubscribe_get(struct req *req)
{
	const char *tok;
	int64_t id = 0;
	struct nl_subscriber *subs = NULL;
	size_t n = 0;
	struct web_page pg;
	if (!unsub_load(req, &tok, &id, &subs, &n) || !page_start(&pg, req, NULL))
		return;
	unsub_ctx(&pg, id, subs, n, tok);
	send_page(&pg, 200, "site/unsubscribe.html", "site.nl.unsub_title");
}

/* The subscriptions a POST stops: the checked ones of this person, or the
 * link's own when none is named (one-click, or a bare button). */
static size_t unsub_targets(const struct form *f, int64_t id, const struct nl_subscriber *subs,
                            size_t n, int64_t *out)
{
	const char *vals[UNSUB_MAX];
	size_t nv = form_get(f, "List-Unsubscribe") ? 0 : form_get_all(f, "sub", vals, UNSUB_MAX);
	size_t k = 0;
	for (size_t i = 0; i < nv; i++) {
		int64_t v = strtoll(vals[i], NULL, 10);
		for (size_t j = 0; j < n; j++)
			if (subs[j].subscription_id == v && k < UNSUB_MAX)
				out[k++] = v;
	}
	if (k == 0)
		out[k++] = id;
	return k;
}

/* POST /unsubscribe?token= — RFC 8058 one-click (body
 * "List-Unsubscribe=One-Click", no cookie, no CSRF token) or the page's
 * button; idempotent, 200. */
static void unsubscribe_post(struct req *req)
{
	const char *tok;
	int64_t id = 0, targets[UNSUB_MAX];
	struct nl_subscriber *subs = NULL;
	size_t n = 0;
	struct form f;
	struct jm_err err = {0};
	struct web_page pg;
	if (!unsub_load(req, &tok, &id, &subs, &n))
		return;
	if (http_req_form(req, &f, &err) != JM_OK)
		memset(&f, 0, sizeof(f)); /* an odd body still unsubscribes the link */
	const char *oc = form_get(&f, "List-Unsubscribe");
	bool one_click = oc && strcmp(oc, ONE_CLICK) == 0;
	size_t k = unsub_targets(&f, id, subs, n, targets);
	for (size_t i = 0; i < k; i++) {
		enum jm_rc rc = nl_unsubscribe(req->db, targets[i], jm_now(),
		                               one_click ? HOW_ONE : HOW_PAGE);
		if (rc && rc != JM_NOT_FOUND) {
			log_at(LOG_ERROR, "web", "unsubscribe failed rc=%s", jm_rc_name(rc));
			web_error_page(req, 500);
			return;
		}
	}
	if (nl_subscription_prefs(req->db, req->arena, id, &subs, &n) != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	if (!page_start(&pg, req, NULL))
		return;
	unsub_ctx(&pg, id, subs, n, tok);
	view_set_bool(pg.ctx, "done", true);
	send_page(&pg, 200, "site/unsubscribe.html", "site.nl.unsub_done_title");
}

/* ---- the embed for other sites ---- */

/* Appends s as the inside of a JavaScript string literal that is also safe
 * inside an HTML <script> element (no quote, backslash, <, >, & or line
 * terminator survives). */
static enum jm_rc js_string(struct buf *b, const char *s, size_t len)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < len && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
			rc = buf_appendf(b, "\\u%04x", 0x2000 + ((unsigned char)s[i + 2] - 0x80));
			i += 2;
		} else if (c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c < 0x20) {
			rc = buf_appendf(b, "\\u%04x", c);
		} else {
			rc = buf_appendc(b, (char)c);
		}
	}
	return rc;
}

/* Renders the sign-up partial for another site: absolute action, source
 * "embed", a fresh signed time. */
static enum jm_rc embed_form(struct web_page *pg, const struct nl_list *l, struct buf *html)
{
	struct arena *a = pg->req->arena;
	struct view_val *m = signup_val(pg->req, l, NULL, NULL, true);
	view_set_str(m, "action", arena_sprintf(a, "%s/subscribe", pg->base));
	view_set_str(m, "source", "embed");
	view_set_bool(m, "embed", true);
	view_set(pg->ctx, "signup", m);
	return view_render(pg->req->app->view, "site/signup_form.html", pg->ctx, pg->lang, html);
}

/* GET /subscribe/embed.js[?list=slug] — a script that writes the sign-up
 * form where its <script> tag stands (see web_signup_snippet). */
void web_signup_embed(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	struct web_page pg;
	struct nl_list l;
	struct buf html, js;
	if (http_req_query(req, &q, &err) != JM_OK ||
	    signup_list(req, form_get(&q, "list"), &l) != JM_OK) {
		http_header(req, "cache-control", NO_STORE);
		http_send_text(req, 404, "no such public list");
		return;
	}
	if (!page_start(&pg, req, NULL))
		return;
	buf_init(&html, WEB_RENDER_CAP);
	buf_init(&js, WEB_RENDER_CAP);
	enum jm_rc rc = embed_form(&pg, &l, &html);
	if (!rc)
		rc = buf_appends(&js, "(function(){var s=document.currentScript,"
		                      "d=document.createElement(\"div\");"
		                      "d.className=\"jm-signup-embed\";d.innerHTML=\"");
	if (!rc)
		rc = js_string(&js, buf_cstr(&html), html.len);
	if (!rc)
		rc = buf_appends(&js, "\";s.parentNode.insertBefore(d,s);})();\n");
	buf_free(&html);
	if (rc) {
		buf_free(&js);
		web_error_page(req, 500);
		return;
	}
	http_header(req, "cache-control", NO_STORE);
	http_send_buf(req, 200, "text/javascript; charset=utf-8", &js);
	buf_free(&js);
}

const char *web_signup_snippet(struct arena *a, const char *base, const char *list_slug)
{
	struct buf b;
	buf_init(&b, 4096);
	enum jm_rc rc = buf_appends(&b, "<script src=\"");
	if (!rc)
		rc = view_escape(&b, base, strlen(base));
	if (!rc)
		rc = buf_appends(&b, "/subscribe/embed.js?list=");
	if (!rc)
		rc = http_url_encode(&b, list_slug, strlen(list_slug));
	if (!rc)
		rc = buf_appends(&b, "\" charset=\"utf-8\"></script>");
	const char *out = rc ? "" : arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return out;
}

void web_newsletter_routes(struct router *r)
{
	router_add(r, "GET", "/subscribe", subscribe_get, 0);
	router_add(r, "POST", "/subscribe", subscribe_post, 0);
	router_add(r, "GET", "/subscribe/confirm", confirm_get, 0);
	router_add(r, "GET", "/subscribe/embed.js", web_signup_embed, 0);
	router_add(r, "GET", "/subscribe/stamp", stamp_get, 0);
	router_add(r, "GET", "/unsubscribe", unsubscribe_get, 0);
	router_add(r, "POST", "/unsubscribe", unsubscribe_post, 0);
	web_backnumber_routes(r);
}
