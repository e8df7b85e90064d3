/*
 * inbox.c — the owner's inbox in the admin (受信箱): tabs per status with
 * their counts, a category filter, text search and pagination; one message
 * beside its sender's person summary and whole history (net_timeline), the
 * replies sent so far with their delivery state, the reply form and the
 * status buttons (archive, spam, back to new).
 *
 * Invariants: everything a stranger typed (name, address, subject, body,
 * the page it came from) is rendered through the engine's escaping; the
 * body keeps its line breaks by CSS (white-space: pre-wrap) and is never
 * interpreted as HTML or Markdown. Every POST carries the CSRF token
 * (ROUTE_CSRF); a refused reply re-renders the page with what was typed.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "inbox/inbox.h"
#include "network/network.h"
#include "site/site.h"

#define INBOX_PER_PAGE 30
#define TIMELINE_MAX   100
#define EXCERPT_CHARS  80
#define Q_MAX          200

static const char *const tab_keys[5] = {"new", "replied", "archived", "spam", "all"};

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static bool status_ok(const char *s)
{
	for (size_t i = 0; s && i < 5; i++)
		if (!strcmp(s, tab_keys[i]))
			return true;
	return false;
}

/* UI label of a message status. */
static const char *status_label(const struct req *req, const char *st)
{
	char key[48];
	snprintf(key, sizeof(key), "admin.inbox.st_%s", status_ok(st) ? st : "new");
	return admin_t(req, key);
}

/* The first characters of the body on one line, for the list. */
static const char *excerpt(struct arena *a, const char *body)
{
	size_t len = strlen(body), cut = utf8_truncate(body, len, EXCERPT_CHARS * 3);
	char *s = arena_strndup(a, body, cut);
	for (char *p = s; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return cut < len ? arena_sprintf(a, "%s…", s) : s;
}

/* ---- the list ---- */

struct list_query {
	struct inbox_query q;
	const char *tab; /* "new" … "all"; the default view is "new" */
	const char *qs;  /* the filters as "&k=v…" for tab and pager links */
};

static void read_query(struct req *req, struct list_query *lq)
{
	struct form f;
	struct jm_err err = {0};
	int64_t v = 0;
	memset(lq, 0, sizeof(*lq));
	lq->q.page = 1;
	lq->q.per_page = INBOX_PER_PAGE;
	lq->tab = "new";
	lq->qs = "";
	if (http_req_query(req, &f, &err) != JM_OK)
		return;
	lq->q.category = nonempty(form_get(&f, "category"));
	const char *q = nonempty(form_get(&f, "q"));
	if (q && strlen(q) <= Q_MAX)
		lq->q.q = q;
	/* A search looks in every tab (a message answered a minute ago is
	 * "replied", not gone); a tab chosen afterwards narrows it. */
	if (status_ok(form_get(&f, "status")))
		lq->tab = form_get(&f, "status");
	else if (lq->q.q)
		lq->tab = "all";
	lq->q.status = lq->tab;
	if (admin_nl_int(form_get(&f, "page"), &v) && v > 0 && v < 1000000)
		lq->q.page = (int)v;
	struct buf b;
	buf_init(&b, 4096);
	if ((lq->q.category && (buf_appends(&b, "&category=") ||
	                        http_url_encode(&b, lq->q.category, strlen(lq->q.category)))) ||
	    (lq->q.q && (buf_appends(&b, "&q=") || http_url_encode(&b, lq->q.q, strlen(lq->q.q)))))
		buf_reset(&b);
	lq->qs = arena_strdup(req->arena, buf_cstr(&b));
	buf_free(&b);
}

static struct view_val *tabs_val(struct req *req, const char *active)
{
	int64_t counts[4] = {0};
	if (inbox_counts(req->db, counts) != JM_OK)
		log_at(LOG_WARN, "admin", "inbox counts failed");
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < 5; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "key", tab_keys[i]);
		view_set_str(m, "label", status_label(req, tab_keys[i]));
		if (i < 4)
			view_set_int(m, "count", counts[i]);
		view_set_bool(m, "active", strcmp(active, tab_keys[i]) == 0);
		view_push(list, m);
	}
	return list;
}

static struct view_val *category_options(struct req *req, const char *selected)
{
	const char **cats = NULL;
	size_t n = 0;
	if (inbox_categories(req->db, req->arena, &cats, &n) != JM_OK)
		n = 0;
	return view_options(req->arena, cats, n, selected);
}

static struct view_val *row_val(struct req *req, const struct inbox_message *m, int tz)
{
	struct view_val *r = view_map(req->arena);
	view_set_int(r, "id", m->id);
	view_set_int(r, "person_id", m->person_id);
	view_set_str(r, "name", m->name);
	view_set_str(r, "email", m->email);
	view_set_str(r, "subject", m->subject);
	view_set_str(r, "category", m->category);
	view_set_str(r, "status", m->status);
	view_set_str(r, "status_label", status_label(req, m->status));
	view_set_str(r, "excerpt", excerpt(req->arena, m->body));
	view_set_str(r, "created_at", admin_time_fmt(req->arena, m->created_at, tz, ' '));
	return r;
}

static void set_pager(struct req *req, struct view_val *ctx, const struct list_query *lq,
                      int64_t total)
{
	int64_t pages = (total + INBOX_PER_PAGE - 1) / INBOX_PER_PAGE;
	view_set_int(ctx, "total", total);
	view_set_int(ctx, "page", lq->q.page);
	view_set_int(ctx, "pages", pages ? pages : 1);
	if (lq->q.page > 1)
		view_set_int(ctx, "prev_page", lq->q.page - 1);
	if (lq->q.page < pages)
		view_set_int(ctx, "next_page", lq->q.page + 1);
	view_set_str(ctx, "qs", lq->qs);
	(void)req;
}

static void inbox_list_get(struct req *req)
{
	struct list_query lq;
	struct site_settings s;
	struct inbox_message *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	read_query(req, &lq);
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc = inbox_list(req->db, req->arena, &lq.q, &items, &n, &total);
	if (rc) {
		admin_fail(req, "inbox_list", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "inbox");
	struct view_val *rows = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(rows, row_val(req, &items[i], s.tz_offset_min));
	view_set(ctx, "messages", rows);
	view_set(ctx, "tabs", tabs_val(req, lq.tab));
	view_set(ctx, "categories", category_options(req, lq.q.category));
	struct view_val *f = view_map(req->arena);
	view_set_str(f, "status", lq.tab);
	view_set_str(f, "category", lq.q.category ? lq.q.category : "");
	view_set_str(f, "q", lq.q.q ? lq.q.q : "");
	view_set(ctx, "f", f);
	set_pager(req, ctx, &lq, total);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, 200, "admin/inbox.html", ctx);
}

/* ---- one message ---- */

static struct view_val *person_val(struct req *req, int64_t id, int tz)
{
	struct net_person p;
	enum jm_rc rc = net_person_get(req->db, req->arena, id, &p);
	if (rc) {
		if (rc != JM_NOT_FOUND)
			log_at(LOG_WARN, "admin", "inbox person=%lld rc=%s", (long long)id,
			       jm_rc_name(rc));
		return NULL;
	}
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", p.id);
	view_set_str(m, "name", p.name);
	view_set_str(m, "email", p.email);
	view_set_str(m, "company", p.company);
	view_set_str(m, "title", p.title);
	view_set_str(m, "stage", p.stage);
	view_set_str(m, "stage_label", admin_people_stage_label(req, p.stage));
	view_set_bool(m, "freeloader", p.freeloader);
	view_set_bool(m, "blocked", p.blocked);
	view_set_str(m, "last_contact", admin_time_fmt(req->arena, p.last_contact_at, tz, ' '));
	view_set_str(m, "tags", arena_join(req->arena, p.tags, p.ntags, ", "));
	view_set_str(m, "can_offer", p.can_offer);
	view_set_str(m, "looking_for", p.looking_for);
	return m;
}

static struct view_val *timeline_val(struct req *req, int64_t person_id, int tz)
{
	struct net_event *ev = NULL;
	size_t n = 0;
	struct view_val *list = view_list(req->arena);
	enum jm_rc rc = net_timeline(req->db, req->arena, person_id, TIMELINE_MAX, &ev, &n);
	if (rc)
		log_at(LOG_WARN, "admin", "inbox timeline person=%lld rc=%s", (long long)person_id,
		       jm_rc_name(rc));
	for (size_t i = 0; !rc && i < n; i++)
		view_push(list, admin_person_event_val(req, &ev[i], tz));
	return list;
}

static struct view_val *replies_val(struct req *req, const struct inbox_message *m, int tz)
{
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < m->nreplies; i++) {
		const struct inbox_reply *r = &m->replies[i];
		struct view_val *v = view_map(req->arena);
		char key[48];
		snprintf(key, sizeof(key), "admin.inbox.ds_%s", *r->state ? r->state : "none");
		view_set_int(v, "id", r->id);
		view_set_str(v, "subject", r->subject);
		view_set_str(v, "body", r->body);
		view_set_str(v, "msgid", r->msgid);
		view_set_str(v, "state", r->state);
		view_set_str(v, "state_label", admin_t(req, key));
		view_set_str(v, "created_at", admin_time_fmt(req->arena, r->created_at, tz, ' '));
		view_push(list, v);
	}
	return list;
}

static struct view_val *message_val(struct req *req, const struct inbox_message *m, int tz)
{
	struct view_val *v = view_map(req->arena);
	view_set_int(v, "id", m->id);
	view_set_int(v, "person_id", m->person_id);
	view_set_str(v, "name", m->name);
	view_set_str(v, "email", m->email);
	view_set_str(v, "subject", m->subject);
	view_set_str(v, "category", m->category);
	view_set_str(v, "body", m->body);
	view_set_str(v, "status", m->status);
	view_set_str(v, "status_label", status_label(req, m->status));
	view_set_str(v, "ip", m->ip);
	view_set_str(v, "page", m->page);
	view_set_str(v, "msgid", m->msgid);
	view_set_str(v, "created_at", admin_time_fmt(req->arena, m->created_at, tz, ' '));
	return v;
}

/* The message page; f and err (may be NULL) hold a refused reply. */
static void message_page(struct req *req, int status, int64_t id, const struct form *f,
                         const struct jm_err *err)
{
	struct site_settings s;
	struct inbox_message m;
	if (!admin_settings(req, &s))
		return;
	if (!admin_check(req, inbox_message_get(req->db, req->arena, id, &m), "inbox_message_get"))
		return;
	int tz = s.tz_offset_min;
	struct view_val *ctx = admin_ctx(req, "inbox");
	view_set(ctx, "m", message_val(req, &m, tz));
	view_set(ctx, "replies", replies_val(req, &m, tz));
	struct view_val *p = person_val(req, m.person_id, tz);
	if (p)
		view_set(ctx, "person", p);
	view_set(ctx, "timeline", timeline_val(req, m.person_id, tz));
	const char *subj = f ? form_get(f, "subject") : NULL;
	if (!subj)
		subj = *m.subject ? arena_sprintf(req->arena, "Re: %s", m.subject) : "Re: ";
	view_set_str(ctx, "reply_subject", subj);
	view_set_str(ctx, "reply_body", f ? form_get(f, "body") : "");
	if (err && err->msg[0]) {
		view_set_str(ctx, "error", arena_strdup(req->arena, err->msg));
		view_set_str(ctx, "error_field", arena_strdup(req->arena, err->field));
	}
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, status, "admin/inbox_message.html", ctx);
}

static void inbox_message_get_h(struct req *req)
{
	int64_t id = 0;
	if (admin_param_id(req, &id))
		message_page(req, 200, id, NULL, NULL);
}

static void inbox_reply_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id = 0, reply_id = 0;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	const struct auth_user *u = admin_user(req);
	const char *subject = form_get(&f, "subject");
	enum jm_rc rc = inbox_reply_send(req->db, id, u ? u->id : 0, subject ? subject : "",
	                                 form_get(&f, "body"), jm_now(), &reply_id, &err);
	if (rc == JM_INVALID) {
		admin_err_localize(req, &err, "admin.inbox.err_", "admin.err.invalid");
		message_page(req, 422, id, &f, &err);
		return;
	}
	if (!admin_check(req, rc, "inbox_reply_send"))
		return;
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/inbox/%lld?done=replied", (long long)id));
}

static void inbox_status_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id = 0;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	enum jm_rc rc =
	        inbox_message_set_status(req->db, id, form_get(&f, "status"), jm_now(), &err);
	if (rc == JM_INVALID) {
		admin_error(req, 422, "admin.inbox.err_status");
		return;
	}
	if (!admin_check(req, rc, "inbox_message_set_status"))
		return;
	const char *next = form_get(&f, "next");
	http_redirect(req, 303,
	              admin_safe_next(next)
	                      ? next
	                      : arena_sprintf(req->arena, "/admin/inbox/%lld?done=status",
	                                      (long long)id));
}

void admin_inbox_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/inbox", inbox_list_get, adm);
	router_add(r, "GET", "/admin/inbox/{id}", inbox_message_get_h, adm);
	router_add(r, "POST", "/admin/inbox/{id}/reply", inbox_reply_post, adm);
	router_add(r, "POST", "/admin/inbox/{id}/status", inbox_status_post, adm);
}
