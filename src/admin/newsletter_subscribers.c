/*
 * newsletter_subscribers.c — the mail magazine's readers in the admin (読者):
 * search and filters (list, status, tag, custom field) with pagination done
 * by the domain (nl_subscriber_list), bulk tag / untag / unsubscribe / erase
 * (erase asks once more on a confirmation page),
 * adding one reader by hand, a reader's page with subscriptions, recorded
 * consent (特定電子メール法), fields, tags and history, and the CSV export
 * of a list (built off the event loop with http_defer).
 *
 * A search (q) reads much at a million readers (a name scan plus a count
 * and sort of every hit): it runs on the worker pool (http_defer, struct
 * http_task); the plain paged list without q stays on the loop.
 *
 * Invariants: a bulk request without a selection or with a bad tag changes
 * nothing and answers 422; erase only happens on a POST carrying confirm=1.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define SUB_PER_PAGE    50
#define SUB_BULK_MAX    500
#define SUB_TAG_MAX     60
#define EXPORT_CAP      (1024u << 20) /* bytes of one CSV export */
#define SUB_FILTER_KEYS 6

static const char *const filter_keys[SUB_FILTER_KEYS] = {"q",   "list", "status",
                                                         "tag", "fkey", "fval"};

static bool status_ok(const char *s)
{
	return s && (strcmp(s, "active") == 0 || strcmp(s, "pending") == 0 ||
	             strcmp(s, "unsubscribed") == 0 || strcmp(s, "bounced") == 0);
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Reads the filters from the query string; the filter query (for pager
 * and "back" links) goes to *qs. */
static void read_query(struct req *req, struct nl_subscriber_query *q, const char **qs)
{
	struct form f;
	struct jm_err err = {0};
	int64_t v = 0;
	memset(q, 0, sizeof(*q));
	q->page = 1;
	q->per_page = SUB_PER_PAGE;
	*qs = "";
	if (http_req_query(req, &f, &err) != JM_OK)
		return;
	q->q = nonempty(form_get(&f, "q"));
	if (admin_nl_int(form_get(&f, "list"), &v))
		q->list_id = v;
	if (status_ok(form_get(&f, "status")))
		q->status = form_get(&f, "status");
	q->tag = nonempty(form_get(&f, "tag"));
	q->field_key = nonempty(form_get(&f, "fkey"));
	q->field_val = q->field_key ? form_get(&f, "fval") : NULL;
	if (q->field_key && !q->field_val)
		q->field_val = "";
	if (admin_nl_int(form_get(&f, "page"), &v) && v > 0 && v < 1000000)
		q->page = (int)v;
	struct buf b;
	buf_init(&b, 8192);
	for (size_t i = 0; i < SUB_FILTER_KEYS; i++) {
		const char *val = form_get(&f, filter_keys[i]);
		if (!val || !*val)
			continue;
		if (buf_appendf(&b, "&%s=", filter_keys[i]) != JM_OK ||
		    http_url_encode(&b, val, strlen(val)) != JM_OK)
			break;
	}
	*qs = arena_strdup(req->arena, buf_cstr(&b));
	buf_free(&b);
}

static struct view_val *sub_row(struct req *req, const struct nl_subscriber *s, int tz)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "person_id", s->person_id);
	view_set_str(m, "email", s->email);
	view_set_str(m, "name", s->name);
	view_set_str(m, "status", s->status);
	view_set_str(m, "list", s->list_slug);
	view_set_str(m, "tags", arena_join(req->arena, s->tags, s->ntags, ", "));
	view_set_str(m, "created_at", admin_time_fmt(req->arena, s->created_at, tz, ' '));
	return m;
}

static void set_query_ctx(struct req *req, struct view_val *ctx,
                          const struct nl_subscriber_query *q)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "q", q->q ? q->q : "");
	view_set_int(m, "list", q->list_id);
	view_set_str(m, "status", q->status ? q->status : "");
	view_set_str(m, "tag", q->tag ? q->tag : "");
	view_set_str(m, "fkey", q->field_key ? q->field_key : "");
	view_set_str(m, "fval", q->field_val ? q->field_val : "");
	view_set(ctx, "f", m);
	view_set(ctx, "field_opts", admin_field_options(req, q->list_id, q->field_key));
}

/* The reader list once the rows are known; add (may be NULL) holds what
 * was typed in the "add one" form after an error. */
static void list_render(struct req *req, int status, const struct nl_subscriber_query *q,
                        const char *qs, const struct nl_subscriber *items, size_t n, int64_t total,
                        int tz, const struct form *add, const struct jm_err *err)
{
	int64_t first = 0;
	struct view_val *ctx = admin_ctx(req, "subscribers");
	struct view_val *rows = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(rows, sub_row(req, &items[i], tz));
	view_set(ctx, "subs", rows);
	set_query_ctx(req, ctx, q);
	int64_t add_list = q->list_id;
	if (add) {
		if (!admin_nl_int(form_get(add, "list"), &add_list))
			add_list = q->list_id;
		view_set_str(ctx, "add_email", form_get(add, "email"));
		view_set_str(ctx, "add_name", form_get(add, "name"));
	}
	view_set(ctx, "lists", admin_nl_list_options(req, q->list_id, &first));
	view_set(ctx, "add_lists", admin_nl_list_options(req, add_list, NULL));
	int64_t pages = (total + SUB_PER_PAGE - 1) / SUB_PER_PAGE;
	view_set_int(ctx, "total", total);
	view_set_int(ctx, "page", q->page);
	view_set_int(ctx, "pages", pages ? pages : 1);
	if (q->page > 1)
		view_set_int(ctx, "prev_page", q->page - 1);
	if (q->page < pages)
		view_set_int(ctx, "next_page", q->page + 1);
	view_set_str(ctx, "qs", qs);
	view_set_str(ctx, "back",
	             arena_sprintf(req->arena, "/admin/subscribers?page=%d%s", q->page, qs));
	view_set_str(ctx, "flash", admin_nl_flash(req));
	if (err && err->msg[0])
		view_set_str(ctx, "error", arena_strdup(req->arena, err->msg));
	admin_render(req, status, "admin/nl_subscribers.html", ctx);
}

/* A search (q not empty) scans the name index and counts every hit: at a
 * million readers it runs on the worker pool with a copy of the query in
 * the job's arena. The page's status and the "add one" error come along;
 * the add form itself stays parsed in req->form. */
struct search_job {
	struct http_task job;
	struct nl_subscriber_query q;
	int status, tz;
	bool add;
	struct jm_err add_err;
	struct nl_subscriber *items;
	size_t n;
	int64_t total;
};

static void search_work(struct db *db, void *data)
{
	struct search_job *j = data;
	j->job.rc = nl_subscriber_list(db, j->job.a, &j->q, &j->items, &j->n, &j->total);
}

/* Back on the loop the filters are read again from the request (cheap,
 * and the same as before the search) for the form and the pager. */
static void search_done(struct req *req, void *data)
{
	struct search_job *j = data;
	struct nl_subscriber_query q;
	const char *qs;
	if (j->job.rc && j->job.rc != JM_INVALID) {
		admin_fail(req, "nl_subscriber_list", j->job.rc);
		return;
	}
	read_query(req, &q, &qs);
	if (j->job.rc == JM_INVALID) { /* q too long or not UTF-8: say so, 422 */
		struct jm_err qerr = {0};
		jm_err_set(&qerr, "q", "%s", admin_t(req, "admin.nl.err_q"));
		list_render(req, 422, &q, qs, NULL, 0, 0, j->tz, NULL, &qerr);
		return;
	}
	list_render(req, j->status, &q, qs, j->items, j->n, j->total, j->tz,
	            j->add ? req->form : NULL, &j->add_err);
}

static void search_start(struct req *req, int status, const struct nl_subscriber_query *q, int tz,
                         const struct form *add, const struct jm_err *err)
{
	struct search_job *j = http_task_new(sizeof(*j));
	j->q = *q;
	j->q.q = http_task_str(&j->job, q->q);
	j->q.status = http_task_str(&j->job, q->status);
	j->q.tag = http_task_str(&j->job, q->tag);
	j->q.field_key = http_task_str(&j->job, q->field_key);
	j->q.field_val = http_task_str(&j->job, q->field_val);
	j->status = status;
	j->tz = tz;
	j->add = add && req->form;
	if (err)
		j->add_err = *err;
	http_defer(req, search_work, search_done, j, http_task_free);
}

/* The reader list; add (may be NULL) holds what was typed in the "add one"
 * form after an error (it is req->form). */
static void list_page(struct req *req, int status, const struct form *add, const struct jm_err *err)
{
	struct nl_subscriber_query q;
	struct nl_subscriber *items = NULL;
	struct site_settings s;
	size_t n = 0;
	int64_t total = 0;
	const char *qs;
	read_query(req, &q, &qs);
	if (!admin_settings(req, &s))
		return;
	if (q.q) {
		search_start(req, status, &q, s.tz_offset_min, add, err);
		return;
	}
	enum jm_rc rc = nl_subscriber_list(req->db, req->arena, &q, &items, &n, &total);
	if (rc) {
		admin_fail(req, "nl_subscriber_list", rc);
		return;
	}
	list_render(req, status, &q, qs, items, n, total, s.tz_offset_min, add, err);
}

static void admin_nl_subscribers_get(struct req *req)
{
	list_page(req, 200, NULL, NULL);
}

static void admin_nl_subscriber_add(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t list_id = 0, person_id = 0;
	if (!admin_form(req, &f))
		return;
	enum jm_rc rc = JM_INVALID;
	if (!admin_nl_int(form_get(&f, "list"), &list_id) || list_id == 0)
		jm_err_set(&err, "list", "%s", admin_t(req, "admin.nl.err_list"));
	else
		rc = nl_subscriber_add(req->db, list_id, form_get(&f, "email"),
		                       form_get(&f, "name"), &person_id, &err);
	if (rc == JM_NOT_FOUND)
		jm_err_set(&err, "list", "%s", admin_t(req, "admin.nl.err_list"));
	if (rc == JM_INVALID || rc == JM_NOT_FOUND || rc == JM_CONFLICT || rc == JM_TOO_LARGE) {
		if (rc == JM_CONFLICT)
			jm_err_set(&err, "email", "%s", admin_t(req, "admin.nl.err_already"));
		else if (rc != JM_NOT_FOUND && strcmp(err.field, "list") != 0)
			admin_err_localize(req, &err, "admin.nl.invalid.", "admin.err.invalid");
		if (rc == JM_INVALID)
			admin_err_email(req, &err, form_get(&f, "email"));
		list_page(req, rc == JM_NOT_FOUND ? 422 : http_status_for(rc), &f, &err);
		return;
	}
	if (rc) {
		admin_fail(req, "nl_subscriber_add", rc);
		return;
	}
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/subscribers/%lld?done=added",
	                            (long long)person_id));
}

/* ---- bulk actions ---- */

static bool bulk_op(const char *s, enum nl_bulk_op *op)
{
	static const struct {
		const char *name;
		enum nl_bulk_op op;
	} ops[] = {{"tag", NL_BULK_TAG},
	           {"untag", NL_BULK_UNTAG},
	           {"unsubscribe", NL_BULK_UNSUBSCRIBE},
	           {"erase", NL_BULK_ERASE}};
	for (size_t i = 0; s && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i].name) == 0) {
			*op = ops[i].op;
			return true;
		}
	return false;
}

/* The person ids ticked in the form (ids=…), at most SUB_BULK_MAX. */
static size_t read_ids(struct req *req, const struct form *f, int64_t **ids)
{
	const char **raw = arena_alloc(req->arena, SUB_BULK_MAX * sizeof(char *));
	size_t n = form_get_all(f, "ids", raw, SUB_BULK_MAX), k = 0;
	*ids = arena_alloc(req->arena, (n + 1) * sizeof(int64_t));
	for (size_t i = 0; i < n; i++)
		if (admin_nl_int(raw[i], &(*ids)[k]) && (*ids)[k] > 0)
			k++;
	return k;
}

/* The confirmation page before erasing people. */
static void erase_confirm(struct req *req, const int64_t *ids, size_t n, const char *back)
{
	struct view_val *ctx = admin_ctx(req, "subscribers");
	struct view_val *l = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(l, view_int(req->arena, ids[i]));
	view_set(ctx, "ids", l);
	view_set_int(ctx, "count", (int64_t)n);
	view_set_str(ctx, "back", back);
	admin_render(req, 200, "admin/nl_erase_confirm.html", ctx);
}

static const char *with_flash(struct req *req, const char *back, const char *word)
{
	return arena_sprintf(req->arena, "%s%sdone=%s", back, strchr(back, '?') ? "&" : "?", word);
}

static void admin_nl_subscribers_bulk(struct req *req)
{
	struct form f;
	enum nl_bulk_op op;
	int64_t *ids = NULL, list_id = 0;
	if (!admin_form(req, &f))
		return;
	const char *back = form_get(&f, "back");
	if (!admin_safe_next(back))
		back = "/admin/subscribers";
	const char *tag = form_get(&f, "tag");
	size_t n = read_ids(req, &f, &ids);
	if (!bulk_op(form_get(&f, "op"), &op)) {
		admin_error(req, 422, "admin.nl.err_op");
		return;
	}
	if (n == 0) {
		admin_error(req, 422, "admin.nl.err_none_selected");
		return;
	}
	bool needs_tag = op == NL_BULK_TAG || op == NL_BULK_UNTAG;
	if (needs_tag &&
	    (!tag || !*tag || strlen(tag) > SUB_TAG_MAX || utf8_has_controls(tag, strlen(tag)))) {
		admin_error(req, 422, "admin.nl.err_tag");
		return;
	}
	if (op == NL_BULK_ERASE && !form_get(&f, "confirm")) {
		erase_confirm(req, ids, n, back);
		return;
	}
	if (!admin_nl_int(form_get(&f, "list"), &list_id))
		list_id = 0;
	enum jm_rc rc = nl_bulk(req->db, op, ids, n, list_id, needs_tag ? tag : NULL);
	if (rc) {
		admin_fail(req, "nl_bulk", rc);
		return;
	}
	if (op == NL_BULK_ERASE && strncmp(back, "/admin/subscribers/", 19) == 0)
		back = "/admin/subscribers";
	http_redirect(req, 303, with_flash(req, back, form_get(&f, "op")));
}

/* ---- one reader ---- */

static struct view_val *sub_map(struct req *req, const struct nl_subscriber *s,
                                const struct nl_list *lists, size_t nlists, int tz)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "list", s->list_slug);
	for (size_t i = 0; i < nlists; i++)
		if (strcmp(lists[i].slug, s->list_slug) == 0) {
			view_set_int(m, "list_id", lists[i].id);
			view_set_str(m, "list_name", lists[i].name);
		}
	view_set_str(m, "status", s->status);
	view_set_str(m, "created_at", admin_time_fmt(req->arena, s->created_at, tz, ' '));
	view_set_str(m, "confirmed_at", admin_time_fmt(req->arena, s->confirmed_at, tz, ' '));
	view_set_str(m, "consent_at", admin_time_fmt(req->arena, s->consent_at, tz, ' '));
	view_set_str(m, "consent_source", admin_source_label(req, s->consent_source));
	view_set_str(m, "consent_ip", s->consent_ip);
	view_set_str(m, "consent_text", s->consent_text);
	return m;
}

static void person_ctx(struct req *req, struct view_val *ctx, const struct nl_person *p, int tz)
{
	struct nl_list *lists = NULL;
	size_t nlists = 0;
	if (nl_list_all(req->db, req->arena, &lists, &nlists) != JM_OK)
		nlists = 0;
	view_set_int(ctx, "id", p->id);
	view_set_str(ctx, "email", p->email);
	view_set_str(ctx, "name", p->name);
	view_set_str(ctx, "created_at", admin_time_fmt(req->arena, p->created_at, tz, ' '));
	struct view_val *subs = view_list(req->arena);
	for (size_t i = 0; i < p->nsubs; i++)
		view_push(subs, sub_map(req, &p->subs[i], lists, nlists, tz));
	view_set(ctx, "subs", subs);
	struct view_val *fields = view_list(req->arena);
	for (size_t i = 0; i < p->nfields; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "key", p->field_keys[i]);
		view_set_str(m, "value", p->field_vals[i]);
		view_push(fields, m);
	}
	view_set(ctx, "fields", fields);
	struct view_val *tags = view_list(req->arena);
	for (size_t i = 0; i < p->ntags; i++)
		view_push(tags, view_str(req->arena, p->tags[i]));
	view_set(ctx, "tags", tags);
}

static void admin_nl_subscriber_get(struct req *req)
{
	struct nl_person p;
	struct nl_event *ev = NULL;
	struct site_settings s;
	size_t nev = 0;
	int64_t id;
	if (!admin_param_id(req, &id) || !admin_settings(req, &s))
		return;
	enum jm_rc rc = nl_person_get(req->db, req->arena, id, &p);
	if (rc == JM_NOT_FOUND) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	rc = rc ? rc : nl_person_events(req->db, req->arena, id, &ev, &nev);
	if (rc) {
		admin_fail(req, "nl_person_get", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "subscribers");
	person_ctx(req, ctx, &p, s.tz_offset_min);
	struct view_val *hist = view_list(req->arena);
	for (size_t i = 0; i < nev; i++) {
		struct view_val *m = view_map(req->arena);
		/* In words ("subscribed" is 登録), as on the person's timeline. */
		const char *key = arena_sprintf(req->arena, "admin.people.ev.%s", ev[i].kind);
		const char *label = admin_t(req, key);
		view_set_str(m, "kind", ev[i].kind);
		view_set_str(m, "kind_label", strcmp(label, key) ? label : ev[i].kind);
		view_set_str(m, "detail", ev[i].detail);
		view_set_str(m, "at", admin_time_fmt(req->arena, ev[i].at, s.tz_offset_min, ' '));
		view_push(hist, m);
	}
	view_set(ctx, "events", hist);
	view_set_str(ctx, "back",
	             arena_sprintf(req->arena, "/admin/subscribers/%lld", (long long)id));
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, 200, "admin/nl_subscriber.html", ctx);
}

/* ---- CSV export (off the loop) ---- */

struct export_job {
	int64_t list_id;
	bool bom;
	struct buf out;
	enum jm_rc rc;
	char filename[160];
};

static enum jm_rc export_write(const char *p, size_t len, void *user)
{
	struct export_job *j = user;
	return buf_append(&j->out, p, len);
}

static void export_work(struct db *db, void *data)
{
	struct export_job *j = data;
	j->rc = nl_export_csv(db, j->list_id, j->bom, export_write, j);
}

static void export_done(struct req *req, void *data)
{
	struct export_job *j = data;
	if (j->rc == JM_NOT_FOUND) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	if (j->rc == JM_TOO_LARGE) {
		admin_error(req, 413, "admin.err.too_large");
		return;
	}
	if (j->rc) {
		admin_fail(req, "nl_export_csv", j->rc);
		return;
	}
	http_header(req, "cache-control", "no-store");
	/* A slug may be Japanese (core/slug.c): an ASCII name for old clients
	 * and the real one as RFC 6266 filename* (RFC 8187 UTF-8 encoding). */
	struct buf cd;
	buf_init(&cd, 1024);
	bool ascii = strspn(j->filename, "abcdefghijklmnopqrstuvwxyz0123456789-.") ==
	             strlen(j->filename);
	enum jm_rc rc = buf_appendf(&cd, "attachment; filename=\"%s\"",
	                            ascii ? j->filename : "subscribers.csv");
	if (!rc && !ascii)
		rc = buf_appends(&cd, "; filename*=UTF-8''");
	if (!rc && !ascii)
		rc = http_url_encode(&cd, j->filename, strlen(j->filename));
	http_header(req, "content-disposition", arena_strdup(req->arena, buf_cstr(&cd)));
	buf_free(&cd);
	http_send_buf(req, 200, "text/csv; charset=utf-8", &j->out);
}

static void export_free(void *data)
{
	struct export_job *j = data;
	buf_free(&j->out);
	free(j);
}

static void admin_nl_list_export(struct req *req)
{
	struct nl_list l;
	struct form q;
	struct jm_err err = {0};
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	enum jm_rc rc = nl_list_get(req->db, req->arena, id, &l);
	if (!admin_check(req, rc, "nl_list_get"))
		return;
	struct export_job *j = xcalloc(1, sizeof(*j));
	j->list_id = id;
	const char *bom = http_req_query(req, &q, &err) == JM_OK ? form_get(&q, "bom") : NULL;
	j->bom = bom && strcmp(bom, "1") == 0;
	buf_init(&j->out, EXPORT_CAP);
	/* A slug has no quote, backslash or control character (core/slug.c). */
	snprintf(j->filename, sizeof(j->filename), "%s-subscribers.csv", l.slug);
	http_defer(req, export_work, export_done, j, export_free);
}

void admin_nl_subscriber_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/subscribers", admin_nl_subscribers_get, adm);
	router_add(r, "POST", "/admin/subscribers", admin_nl_subscriber_add, adm);
	router_add(r, "POST", "/admin/subscribers/bulk", admin_nl_subscribers_bulk, adm);
	router_add(r, "GET", "/admin/subscribers/{id}", admin_nl_subscriber_get, adm);
	router_add(r, "GET", "/admin/lists/{id}/export.csv", admin_nl_list_export, adm);
}
