/*
 * forms.c — フォーム in the admin: the list of forms (asks, job posts,
 * events) with their status and answer counts, and the builder that
 * creates and edits a form of each kind, then deletes it (the owner's,
 * after a ticked confirmation: its answers go with it).
 *
 * The builder works without JavaScript. Its fields are rows (f0_key,
 * f0_label, f0_type, f0_options, f0_required, f0_pos, f0_remove, …; nrows
 * says how many) with BLANK_ROWS blank rows below the stored ones: a row
 * with neither key nor label is ignored, a ticked "remove" drops it, the
 * rows are stored in the order of their position numbers, and the
 * "refresh" button shows the typed form again sorted with more blank rows,
 * storing nothing. The event section is shown for events and the working
 * conditions for job posts; the kind is chosen when the form is created.
 *
 * Invariants: the form's rules are the domain's (forms_create/update): a
 * refused form is shown again as typed with the message (422, 409 for a
 * taken slug) and nothing stored. Times are typed in the site's zone.
 * Every form posts the CSRF token; every string goes through the catalog.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "core/field.h"
#include "forms/forms.h"
#include "site/site.h"

#define BLANK_ROWS 3
#define MAX_ROWS   (FORMS_FIELDS_MAX + 60)
#define PER_PAGE   50

/* The builder's text inputs that map 1:1 onto the form. */
static const char *const TEXT_KEYS[] = {"title",
                                        "slug",
                                        "description",
                                        "thanks",
                                        "consent_text",
                                        "venue",
                                        "online_url",
                                        "fee",
                                        "party_title",
                                        "duties",
                                        "contract_period",
                                        "workplace",
                                        "working_hours",
                                        "holidays",
                                        "wage",
                                        "social_insurance",
                                        "smoking_measures"};
/* Its whole-number inputs and its times (datetime-local). */
static const char *const NUM_KEYS[] = {"max_answers_per_person", "capacity", "party_capacity",
                                       "reminder_hours"};
static const char *const TIME_KEYS[] = {"opens_at", "closes_at", "starts_at", "ends_at"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char **text_slot(struct forms_form *f, size_t i)
{
	const char **slots[] = {&f->title,
	                        &f->slug,
	                        &f->description,
	                        &f->thanks,
	                        &f->consent_text,
	                        &f->event.venue,
	                        &f->event.online_url,
	                        &f->event.fee,
	                        &f->event.party_title,
	                        &f->job.duties,
	                        &f->job.contract_period,
	                        &f->job.workplace,
	                        &f->job.working_hours,
	                        &f->job.holidays,
	                        &f->job.wage,
	                        &f->job.social_insurance,
	                        &f->job.smoking_measures};
	return slots[i];
}

static int64_t *num_slot(struct forms_form *f, size_t i)
{
	int64_t *slots[] = {&f->max_answers_per_person, &f->event.capacity,
	                    &f->event.party_capacity, &f->event.reminder_hours};
	return slots[i];
}

static int64_t *time_slot(struct forms_form *f, size_t i)
{
	int64_t *slots[] = {&f->opens_at, &f->closes_at, &f->event.starts_at, &f->event.ends_at};
	return slots[i];
}

static const char *kind_label(struct req *req, enum forms_kind k)
{
	return admin_t(req,
	               arena_sprintf(req->arena, "forms.formcore.kind_%s", forms_kind_name(k)));
}

/* ---- the list ---- */

static struct view_val *list_row(struct req *req, const struct forms_form *f, int tz)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", f->id);
	view_set_str(m, "kind", forms_kind_name(f->kind));
	view_set_str(m, "kind_label", kind_label(req, f->kind));
	view_set_str(m, "title", f->title);
	view_set_str(m, "slug", f->slug);
	view_set_str(m, "status", f->status);
	view_set_int(m, "answers", f->answers);
	view_set_str(m, "opens_at", admin_time_fmt(req->arena, f->opens_at, tz, ' '));
	view_set_str(m, "closes_at", admin_time_fmt(req->arena, f->closes_at, tz, ' '));
	view_set_str(m, "starts_at", admin_time_fmt(req->arena, f->event.starts_at, tz, ' '));
	return m;
}

static void admin_forms_list(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	struct site_settings st;
	struct forms_list_q lq = {.page = 1, .per_page = PER_PAGE};
	struct forms_form *items = NULL;
	size_t n = 0;
	int64_t total = 0, page = 1;
	enum forms_kind k;
	if (http_req_query(req, &q, &err) != JM_OK)
		memset(&q, 0, sizeof(q));
	if (forms_kind_parse(form_get(&q, "kind"), &k))
		lq.kind = forms_kind_name(k);
	if (admin_nl_int(form_get(&q, "page"), &page) && page >= 1 && page <= 100000)
		lq.page = (int)page;
	if (!admin_settings(req, &st))
		return;
	enum jm_rc rc = forms_list(req->db, req->arena, &lq, &items, &n, &total);
	if (rc) {
		admin_fail(req, "forms_list", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "forms"), *rows = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(rows, list_row(req, &items[i], st.tz_offset_min));
	view_set(ctx, "forms", rows);
	view_set_str(ctx, "kind", lq.kind ? lq.kind : "");
	view_set_int(ctx, "total", total);
	view_set_int(ctx, "page", lq.page);
	view_set_int(ctx, "prev", lq.page > 1 ? lq.page - 1 : 0);
	view_set_int(ctx, "next", (int64_t)lq.page * PER_PAGE < total ? lq.page + 1 : 0);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, 200, "admin/forms.html", ctx);
}

/* ---- the builder: values shown ---- */

static struct view_val *field_row(struct req *req, int i, const struct forms_field *x)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "i", i);
	view_set_int(m, "pos", i + 1);
	if (!x) {
		view_set_str(m, "type", "text");
		return m;
	}
	view_set_str(m, "key", x->key);
	view_set_str(m, "label", x->label);
	view_set_str(m, "type", x->type);
	view_set_str(m, "options",
	             arena_join(req->arena, (const char *const *)x->options, x->noptions, "\n"));
	view_set_bool(m, "required", x->required);
	view_set_bool(m, "stored", true);
	return m;
}

static struct view_val *type_options(struct req *req)
{
	struct view_val *l = view_list(req->arena);
	for (unsigned t = 0; t < JM_FIELD_NTYPES; t++) {
		struct view_val *m = view_map(req->arena);
		const char *name = jm_field_type_name((enum jm_field_type)t);
		view_set_str(m, "value", name);
		view_set_str(
		        m, "label",
		        admin_t(req, arena_sprintf(req->arena, "forms.formcore.type_%s", name)));
		view_push(l, m);
	}
	return l;
}

/* The form's values as the inputs show them. typed (may be NULL) holds
 * the time inputs as typed, which win over f's. */
static struct view_val *values_of(struct req *req, struct forms_form *f, const char **typed, int tz)
{
	struct view_val *v = view_map(req->arena);
	for (size_t i = 0; i < NELEM(TEXT_KEYS); i++)
		view_set_str(v, TEXT_KEYS[i], *text_slot(f, i) ? *text_slot(f, i) : "");
	for (size_t i = 0; i < NELEM(NUM_KEYS); i++)
		view_set_int(v, NUM_KEYS[i], *num_slot(f, i));
	for (size_t i = 0; i < NELEM(TIME_KEYS); i++)
		view_set_str(v, TIME_KEYS[i],
		             typed && typed[i]
		                     ? typed[i]
		                     : admin_time_fmt(req->arena, *time_slot(f, i), tz, 'T'));
	view_set_str(v, "status", f->status ? f->status : "open");
	view_set_bool(v, "waitlist", f->event.waitlist);
	view_set_bool(v, "include_freeloaders", f->include_freeloaders);
	return v;
}

struct page {
	int64_t id;
	struct forms_form *f;
	const char **typed; /* the time inputs as typed, or NULL */
	int blank;          /* blank rows below the fields */
	const struct jm_err *err;
};

static void builder(struct req *req, int status, const struct page *p)
{
	struct site_settings st;
	if (!admin_settings(req, &st))
		return;
	struct view_val *ctx = admin_ctx(req, "forms"), *rows = view_list(req->arena);
	view_set_int(ctx, "id", p->id);
	view_set_bool(ctx, "is_new", p->id == 0);
	view_set_str(ctx, "kind", forms_kind_name(p->f->kind));
	view_set_str(ctx, "kind_label", kind_label(req, p->f->kind));
	view_set_str(ctx, "action_url",
	             p->id ? arena_sprintf(req->arena, "/admin/forms/%lld", (long long)p->id)
	                   : "/admin/forms");
	view_set(ctx, "v", values_of(req, p->f, p->typed, st.tz_offset_min));
	for (size_t i = 0; i < p->f->nfields; i++)
		view_push(rows, field_row(req, (int)i, &p->f->fields[i]));
	for (int i = 0; i < p->blank; i++)
		view_push(rows, field_row(req, (int)p->f->nfields + i, NULL));
	view_set(ctx, "fields", rows);
	view_set_int(ctx, "nrows", (int64_t)p->f->nfields + p->blank);
	view_set(ctx, "types", type_options(req));
	view_set(ctx, "lists", admin_nl_list_options(req, p->f->list_id, NULL));
	view_set_int(ctx, "answers", p->f->answers);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	if (p->err && p->err->msg[0]) {
		view_set_str(ctx, "error", arena_strdup(req->arena, p->err->msg));
		view_set_str(ctx, "error_field", arena_strdup(req->arena, p->err->field));
	}
	admin_render(req, status, "admin/form_edit.html", ctx);
}

static void admin_form_new(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	struct forms_form f = {.status = "open", .max_answers_per_person = 1};
	f.event.waitlist = true;
	if (http_req_query(req, &q, &err) != JM_OK ||
	    !forms_kind_parse(form_get(&q, "kind"), &f.kind))
		f.kind = FORMS_ASK;
	struct page p = {.f = &f, .blank = BLANK_ROWS};
	builder(req, 200, &p);
}

static void admin_form_edit(struct req *req)
{
	int64_t id;
	struct forms_form *f = NULL;
	if (!admin_param_id(req, &id) ||
	    !admin_check(req, forms_get(req->db, req->arena, id, &f), "forms_get"))
		return;
	struct page p = {.id = id, .f = f, .blank = BLANK_ROWS};
	builder(req, 200, &p);
}

/* ---- the builder: what was posted ---- */

/* Splits a textarea into trimmed non-empty lines. */
static void split_lines(struct arena *a, const char *s, struct forms_field *x)
{
	size_t cap = 0;
	x->options = NULL;
	x->noptions = 0;
	while (s && *s && x->noptions < JM_FIELD_OPTIONS_MAX + 1) {
		size_t len = strcspn(s, "\r\n"), b = 0, e = len;
		while (b < e && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (e > b) {
			x->options = arena_grow(a, x->options, x->noptions, &cap, sizeof(char *));
			x->options[x->noptions++] = arena_strndup(a, s + b, e - b);
		}
		s += len;
		while (*s == '\r' || *s == '\n')
			s++;
	}
}

struct row {
	struct forms_field x;
	int64_t pos;
	size_t i;
};

static const char *row_get(struct req *req, const struct form *f, size_t i, const char *what)
{
	return form_get(f, arena_sprintf(req->arena, "f%zu_%s", i, what));
}

/* Reads row i; false when it is blank or removed. */
static bool read_row(struct req *req, const struct form *f, size_t i, struct row *r)
{
	const char *key = row_get(req, f, i, "key"), *label = row_get(req, f, i, "label");
	enum jm_field_type t;
	if ((!key || !*key) && (!label || !*label))
		return false;
	if (row_get(req, f, i, "remove"))
		return false;
	memset(r, 0, sizeof(*r));
	r->i = i;
	r->x.key = key ? key : "";
	r->x.label = label ? label : "";
	r->x.type = row_get(req, f, i, "type") ? row_get(req, f, i, "type") : "text";
	r->x.required = row_get(req, f, i, "required") != NULL;
	if (jm_field_type_parse(r->x.type, &t) && jm_field_has_options(t))
		split_lines(req->arena, row_get(req, f, i, "options"), &r->x);
	if (!admin_nl_int(row_get(req, f, i, "pos"), &r->pos))
		r->pos = (int64_t)i + 1;
	return true;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The posted rows, in the order of their positions. */
static void read_fields(struct req *req, const struct form *f, struct forms_form *out)
{
	int64_t total = 0;
	if (!admin_nl_int(form_get(f, "nrows"), &total) || total > MAX_ROWS)
		total = 0;
	struct row *rows = arena_calloc(req->arena, (size_t)(total + 1) * sizeof(*rows));
	size_t n = 0;
	for (size_t i = 0; i < (size_t)total; i++)
		n += read_row(req, f, i, &rows[n]);
	qsort(rows, n, sizeof(*rows), row_cmp);
	out->fields = arena_calloc(req->arena, (n + 1) * sizeof(*out->fields));
	out->nfields = n;
	for (size_t i = 0; i < n; i++)
		out->fields[i] = rows[i].x;
}

/* A number input: empty is 0; anything else must be digits. */
static bool read_nums(struct req *req, const struct form *f, struct forms_form *out,
                      struct jm_err *err)
{
	for (size_t i = 0; i < NELEM(NUM_KEYS); i++) {
		const char *s = form_get(f, NUM_KEYS[i]);
		int64_t v = 0;
		if (s && *s && !admin_nl_int(s, &v)) {
			jm_err_set(err, NUM_KEYS[i], "bad number");
			return false;
		}
		*num_slot(out, i) = v;
	}
	return true;
}

static bool read_times(struct req *req, const struct form *f, const struct site_settings *st,
                       struct forms_form *out, const char **typed, struct jm_err *err)
{
	for (size_t i = 0; i < NELEM(TIME_KEYS); i++) {
		const char *s = form_get(f, TIME_KEYS[i]);
		typed[i] = s ? s : "";
		*time_slot(out, i) = 0;
		if (s && *s && site_time_parse(st, s, time_slot(out, i)) != JM_OK) {
			jm_err_set(err, TIME_KEYS[i], "bad time");
			return false;
		}
	}
	return true;
}

/* The posted builder into out (strings owned by the request). */
static bool read_builder(struct req *req, const struct form *f, const struct site_settings *st,
                         struct forms_form *out, const char **typed, struct jm_err *err)
{
	int64_t list_id = 0;
	for (size_t i = 0; i < NELEM(TEXT_KEYS); i++)
		*text_slot(out, i) = form_get(f, TEXT_KEYS[i]) ? form_get(f, TEXT_KEYS[i]) : "";
	out->status = form_get(f, "status") && !strcmp(form_get(f, "status"), "closed") ? "closed"
	                                                                                : "open";
	out->event.waitlist = form_get(f, "waitlist") != NULL;
	out->include_freeloaders = form_get(f, "include_freeloaders") != NULL;
	out->list_id = admin_nl_int(form_get(f, "list_id"), &list_id) ? list_id : 0;
	if (out->kind != FORMS_EVENT) /* sections of other kinds are not shown */
		out->event = (struct forms_event){.waitlist = true};
	if (out->kind != FORMS_JOB)
		out->job = (struct forms_job){0};
	read_fields(req, f, out);
	return read_times(req, f, st, out, typed, err) && read_nums(req, f, out, err);
}

/* The domain's English message in the UI's language; a fields error keeps
 * its detail (which row, which rule). */
static void localize(struct req *req, enum jm_rc rc, struct jm_err *err)
{
	if (rc == JM_CONFLICT) {
		jm_err_set(err, "slug", "%s", admin_t(req, "forms.formcore.err_slug_taken"));
		return;
	}
	if (strcmp(err->field, "fields") == 0) {
		char detail[sizeof(err->msg)];
		snprintf(detail, sizeof(detail), "%s", err->msg);
		jm_err_set(err, "fields", "%s (%s)", admin_t(req, "forms.formcore.err_fields"),
		           detail);
		return;
	}
	admin_err_localize(req, err, "forms.formcore.err_", "admin.err.invalid");
}

static void save(struct req *req, int64_t id)
{
	struct form f;
	struct site_settings st;
	struct jm_err err = {0};
	struct forms_form *cur = NULL, in = {0};
	const char *typed[NELEM(TIME_KEYS)] = {0};
	if (!admin_form(req, &f) || !admin_settings(req, &st))
		return;
	if (id && !admin_check(req, forms_get(req->db, req->arena, id, &cur), "forms_get"))
		return;
	if (cur)
		in.kind = cur->kind, in.answers = cur->answers;
	else if (!forms_kind_parse(form_get(&f, "kind"), &in.kind))
		in.kind = FORMS_ASK;
	bool ok = read_builder(req, &f, &st, &in, typed, &err);
	const char *action = form_get(&f, "action");
	struct page p = {.id = id, .f = &in, .typed = typed, .blank = BLANK_ROWS, .err = &err};
	if (action && strcmp(action, "refresh") == 0) { /* more rows, sorted; nothing stored */
		builder(req, 200, &p);
		return;
	}
	enum jm_rc rc = JM_INVALID;
	if (ok)
		rc = id ? forms_update(req->db, id, &in, jm_now(), &err)
		        : forms_create(req->db, &in, jm_now(), &id, &err);
	if (rc == JM_INVALID || rc == JM_CONFLICT) {
		localize(req, rc, &err);
		builder(req, http_status_for(rc), &p);
		return;
	}
	if (rc) {
		admin_check(req, rc, "forms_save");
		return;
	}
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/forms/%lld?done=saved", (long long)id));
}

static void admin_form_create(struct req *req)
{
	save(req, 0);
}

static void admin_form_save(struct req *req)
{
	int64_t id;
	if (admin_param_id(req, &id))
		save(req, id);
}

/* Deletes the form and its answers once "confirm" is ticked; without it
 * the builder comes back with the message and nothing is deleted. */
static void admin_form_delete(struct req *req)
{
	struct form f;
	int64_t id;
	struct forms_form *cur = NULL;
	if (!admin_param_id(req, &id) || !admin_form(req, &f) ||
	    !admin_check(req, forms_get(req->db, req->arena, id, &cur), "forms_get"))
		return;
	if (!form_get(&f, "confirm")) {
		struct jm_err err = {0};
		jm_err_set(&err, "confirm", "%s", admin_t(req, "forms.formcore.err_confirm"));
		struct page p = {.id = id, .f = cur, .blank = BLANK_ROWS, .err = &err};
		builder(req, 422, &p);
		return;
	}
	if (!admin_check(req, forms_delete(req->db, id), "forms_delete"))
		return;
	http_redirect(req, 303, "/admin/forms?done=deleted");
}

void admin_forms_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/forms", admin_forms_list, adm);
	router_add(r, "GET", "/admin/forms/new", admin_form_new, adm);
	router_add(r, "POST", "/admin/forms", admin_form_create, adm);
	router_add(r, "GET", "/admin/forms/{id}", admin_form_edit, adm);
	router_add(r, "POST", "/admin/forms/{id}", admin_form_save, adm);
	router_add(r, "POST", "/admin/forms/{id}/delete", admin_form_delete, adm);
}
