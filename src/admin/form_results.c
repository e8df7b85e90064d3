/*
 * form_results.c — an ask's results page in the admin (読者への問いかけの
 * 結果):
 *   GET  /admin/forms/{id}/answers?filter=KEY:VALUE&cursor=&unverified=1
 *        the responders with their answers, stage, engagement,
 *        subscribed-since and give/take, filtered by any answer (one select
 *        of every field's choices, "はい、編集者を知っています"), newest
 *        first, a page at a time (forms_answers_list)
 *   POST /admin/forms/{id}/answers/bulk   one action on the ticked answers:
 *        tag, untag, custom field, interaction, stage (forms_answers_bulk)
 *   GET  /admin/forms/{id}/answers.csv?enc=utf8|sjis&filter=   the CSV
 *        for Excel, on the worker pool
 * Phone-ready through the admin shell: the table scrolls in its card with
 * the name column fixed, every input has a label.
 *
 * Invariants: handlers are thin (forms/results.c holds every rule); bad
 * input answers 422 in the UI language and changes nothing; everything a
 * reader typed is escaped by the template engine.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "forms/forms.h"
#include "network/network.h"
#include "site/site.h"
#include "web/web.h"

#define PER_PAGE 50

/* ?filter=KEY:VALUE (the select) or ?key=&value= (links): key and value. */
static void read_filter(struct req *req, const struct form *q, const char **key, const char **value)
{
	const char *f = form_get(q, "filter");
	*key = form_get(q, "key");
	*value = form_get(q, "value");
	if (*key && !**key)
		*key = NULL;
	if (!*key)
		*value = NULL;
	const char *colon = f ? strchr(f, ':') : NULL;
	if (colon) {
		*key = arena_strndup(req->arena, f, (size_t)(colon - f));
		*value = colon + 1;
	}
}

/* The filter select: every choice of every select, multi and checkbox
 * field, grouped by field. */
static struct view_val *filter_groups(struct req *req, const struct forms_results *r,
                                      const char *key, const char *value)
{
	struct view_val *groups = view_list(req->arena);
	static const char *const checked[] = {"1"}; /* the field engine's ticked box */
	for (size_t i = 0; i < r->nfields; i++) {
		const struct forms_field *f = &r->fields[i];
		bool box = strcmp(f->type, "checkbox") == 0;
		const char *const *opts = box ? checked : f->options;
		size_t nopts = box ? 1 : f->noptions;
		if (!box && strcmp(f->type, "select") != 0 && strcmp(f->type, "multi") != 0)
			continue;
		struct view_val *g = view_map(req->arena), *os = view_list(req->arena);
		view_set_str(g, "label", f->label);
		for (size_t k = 0; k < nopts; k++) {
			struct view_val *o = view_map(req->arena);
			view_set_str(o, "value",
			             arena_sprintf(req->arena, "%s:%s", f->key, opts[k]));
			view_set_str(o, "label", box ? admin_t(req, "forms.results.yes") : opts[k]);
			view_set_bool(o, "selected",
			              key && value && !strcmp(key, f->key) &&
			                      !strcmp(value, opts[k]));
			view_push(os, o);
		}
		view_set(g, "options", os);
		view_push(groups, g);
	}
	return groups;
}

/* One row's answer cells, in the order of the fields: {text, file} where
 * text is the values ("; "-joined for a multi field) and file, for a file
 * field, the answer_files id behind the staff-only download. */
static struct view_val *row_cells(struct req *req, const struct forms_results *r,
                                  const struct forms_result *row)
{
	struct view_val *cells = view_list(req->arena);
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < r->nfields; i++) {
		buf_reset(&b);
		for (size_t k = 0; k < row->nvals; k++)
			if (strcmp(row->keys[k], r->fields[i].key) == 0 &&
			    buf_appendf(&b, "%s%s", b.len ? "; " : "", row->vals[k]) != JM_OK)
				break;
		struct view_val *c = view_map(req->arena);
		const char *text = arena_strdup(req->arena, buf_cstr(&b));
		bool file = strcmp(r->fields[i].type, "file") == 0 && *text;
		view_set_str(c, "text", file ? admin_t(req, "forms.results.file") : text);
		view_set_str(c, "file", file ? text : "");
		view_push(cells, c);
	}
	buf_free(&b);
	return cells;
}

static struct view_val *rows_val(struct req *req, const struct forms_results *r, int tz)
{
	struct view_val *rows = view_list(req->arena);
	for (size_t i = 0; i < r->n; i++) {
		const struct forms_result *x = &r->rows[i];
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", x->id);
		view_set_int(m, "person_id", x->person.id);
		view_set_str(m, "name", *x->person.name ? x->person.name : x->person.email);
		view_set_str(m, "email", x->person.email);
		view_set_str(m, "stage", x->person.stage);
		view_set_str(m, "stage_label", admin_people_stage_label(req, x->person.stage));
		view_set_bool(m, "freeloader", x->person.freeloader);
		view_set_bool(m, "unverified", !x->verified);
		view_set_int(m, "engagement", x->person.engagement);
		view_set_int(m, "give", x->person.give);
		view_set_int(m, "take", x->person.take);
		view_set_str(m, "since",
		             admin_time_fmt(req->arena, x->person.subscribed_since, tz, ' '));
		view_set_str(m, "at", admin_time_fmt(req->arena, x->created_at, tz, ' '));
		view_set(m, "cells", row_cells(req, r, x));
		view_push(rows, m);
	}
	return rows;
}

static struct view_val *kind_options(struct req *req)
{
	struct view_val *l = view_list(req->arena);
	for (size_t i = 0; i < sizeof(net_interaction_kinds) / sizeof(net_interaction_kinds[0]);
	     i++) {
		struct view_val *m = view_map(req->arena);
		char key[64];
		snprintf(key, sizeof(key), "admin.people.kind.%s", net_interaction_kinds[i]);
		view_set_str(m, "value", net_interaction_kinds[i]);
		view_set_str(m, "label", admin_t(req, key));
		view_push(l, m);
	}
	return l;
}

/* "filter=…&unverified=1" of this view, for the pager and the CSV links. */
static const char *view_qs(struct req *req, const char *key, const char *value, bool unverified)
{
	struct buf b;
	buf_init(&b, 8192);
	if (key && value && buf_appends(&b, "&filter=") == JM_OK &&
	    http_url_encode(&b, key, strlen(key)) == JM_OK && buf_appends(&b, ":") == JM_OK &&
	    http_url_encode(&b, value, strlen(value)) != JM_OK)
		buf_reset(&b);
	if (unverified && buf_appends(&b, "&unverified=1") != JM_OK)
		buf_reset(&b);
	const char *s = arena_strdup(req->arena, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void results_get(struct req *req)
{
	int64_t id, cursor = 0;
	struct form q;
	struct jm_err err = {0};
	struct forms_results r;
	struct site_settings s;
	const char *key, *value;
	if (!admin_param_id(req, &id) || !admin_settings(req, &s))
		return;
	if (http_req_query(req, &q, &err) != JM_OK) {
		admin_error(req, 400, "admin.err.bad_request");
		return;
	}
	struct view_val *ctx = admin_ctx(req, "forms");
	read_filter(req, &q, &key, &value);
	const char *c = form_get(&q, "cursor");
	if (c && *c && !admin_nl_int(c, &cursor))
		cursor = -1;
	bool unverified = form_get(&q, "unverified") != NULL;
	enum jm_rc rc = forms_answers_list(req->db, req->arena, id, key, value, cursor, PER_PAGE,
	                                   unverified ? FORMS_LIST_UNVERIFIED : 0, &r, &err);
	if (rc == JM_INVALID) { /* a stale link: show everything, say why */
		view_set_str(ctx, "error", admin_t(req, "forms.results.err_filter"));
		key = value = NULL;
		rc = forms_answers_list(req->db, req->arena, id, NULL, NULL, 0, PER_PAGE,
		                        unverified ? FORMS_LIST_UNVERIFIED : 0, &r, &err);
	}
	if (!admin_check(req, rc, "forms_answers_list"))
		return;
	view_set_str(ctx, "title", r.title);
	view_set_str(ctx, "slug", r.slug);
	struct view_val *heads = view_list(req->arena);
	for (size_t i = 0; i < r.nfields; i++)
		view_push(heads, view_str(req->arena, r.fields[i].label));
	view_set_int(ctx, "id", id);
	view_set(ctx, "heads", heads);
	view_set(ctx, "groups", filter_groups(req, &r, key, value));
	view_set(ctx, "rows", rows_val(req, &r, s.tz_offset_min));
	view_set(ctx, "stages", admin_people_stage_options(req, NULL));
	view_set(ctx, "kinds", kind_options(req));
	view_set_bool(ctx, "filtered", key != NULL);
	view_set_str(ctx, "filter_key", key ? key : "");
	view_set_str(ctx, "filter_value", value ? value : "");
	view_set_bool(ctx, "unverified", unverified);
	view_set_int(ctx, "next", r.next);
	view_set_bool(ctx, "paged", cursor > 0);
	view_set_str(ctx, "qs", view_qs(req, key, value, unverified));
	view_set_str(ctx, "back", arena_strndup(req->arena, req->path.p, req->path.len));
	const char *done = admin_nl_flash(req);
	view_set_str(ctx, "flash", done ? done : "");
	const char *np = form_get(&q, "n");
	view_set_str(ctx, "flash_n", np && admin_nl_int(np, &cursor) ? np : "");
	admin_render(req, 200, "admin/form_results.html", ctx);
}

/* ---- bulk ---- */

static bool op_parse(const char *s, enum forms_bulk_op *op)
{
	static const char *const names[] = {"tag", "untag", "field", "interaction", "stage"};
	for (int i = 0; s && i < 5; i++)
		if (strcmp(s, names[i]) == 0) {
			*op = (enum forms_bulk_op)i;
			return true;
		}
	return false;
}

static size_t read_ids(struct req *req, const struct form *f, int64_t **ids)
{
	const char **raw = arena_alloc(req->arena, FORMS_BULK_MAX * sizeof(char *));
	size_t n = form_get_all(f, "id", raw, FORMS_BULK_MAX), k = 0;
	*ids = arena_alloc(req->arena, (n + 1) * sizeof(int64_t));
	for (size_t i = 0; i < n; i++)
		if (admin_nl_int(raw[i], &(*ids)[k]) && (*ids)[k] > 0)
			k++;
	return k;
}

/* The UI message for a refused bulk: forms.results.err_<field>. */
static void bulk_refused(struct req *req, const struct jm_err *err)
{
	char key[96];
	snprintf(key, sizeof(key), "forms.results.err_%s",
	         !strcmp(err->field, "filter") ? "filter_bulk"
	         : err->field[0]               ? err->field
	                                       : "op");
	const char *t = admin_t(req, key);
	admin_error(req, 422, strcmp(t, key) == 0 ? "forms.results.err_op" : key);
}

static void results_bulk(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	struct forms_bulk b = {0};
	int64_t id, people = 0, *ids = NULL;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	const char *op = form_get(&f, "op");
	if (!op_parse(op, &b.op)) {
		admin_error(req, 422, "forms.results.err_op");
		return;
	}
	b.n = read_ids(req, &f, &ids);
	b.answer_ids = ids;
	/* "every answer of this filter", beyond the page shown */
	const char *all = form_get(&f, "all");
	b.all = all && strcmp(all, "1") == 0;
	b.filter_key = form_get(&f, "filter_key");
	if (b.filter_key && !*b.filter_key)
		b.filter_key = NULL;
	b.filter_value = b.filter_key ? form_get(&f, "filter_value") : NULL;
	b.flags = form_get(&f, "unverified") ? FORMS_LIST_UNVERIFIED : 0;
	b.arg = form_get(&f, b.op == FORMS_BULK_STAGE ? "stage" : "tag");
	b.key = form_get(&f, "key");
	b.value = form_get(&f, "value");
	b.kind = form_get(&f, "kind");
	b.note = form_get(&f, "note");
	enum jm_rc rc = forms_answers_bulk(req->db, id, &b, jm_now(), &people, &err);
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		bulk_refused(req, &err);
		return;
	}
	if (!admin_check(req, rc, "forms_answers_bulk"))
		return;
	const char *back = form_get(&f, "back");
	char base[64];
	snprintf(base, sizeof(base), "/admin/forms/%lld/answers", (long long)id);
	if (!back || strncmp(back, base, strlen(base)) != 0 || !admin_safe_next(back))
		back = base;
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "%s%sdone=bulk_%s&n=%lld", back,
	                            strchr(back, '?') ? "&" : "?", op, (long long)people));
}

/* ---- CSV ---- */

static void csv_refuse(struct req *req, enum jm_rc rc, const struct jm_err *err)
{
	if (rc == JM_INVALID)
		admin_error(req, 422, "forms.results.err_filter");
	else
		admin_check(req, rc, "forms_results_csv");
}

static void results_csv(struct req *req)
{
	int64_t id;
	struct form q;
	struct jm_err err = {0};
	const char *key, *value;
	if (!admin_param_id(req, &id))
		return;
	if (http_req_query(req, &q, &err) != JM_OK) {
		admin_error(req, 400, "admin.err.bad_request");
		return;
	}
	const char *enc = form_get(&q, "enc");
	if (enc && strcmp(enc, "utf8") != 0 && strcmp(enc, "sjis") != 0) {
		admin_error(req, 422, "forms.results.err_enc");
		return;
	}
	read_filter(req, &q, &key, &value);
	web_form_csv(req, id, key, value, form_get(&q, "unverified") ? FORMS_LIST_UNVERIFIED : 0,
	             enc && strcmp(enc, "sjis") == 0, csv_refuse);
}

void admin_form_results_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/forms/{id}/answers", results_get, adm);
	router_add(r, "POST", "/admin/forms/{id}/answers/bulk", results_bulk, adm);
	router_add(r, "GET", "/admin/forms/{id}/answers.csv", results_csv, adm);
}
