/*
 * newsletter.c — the mail magazine's JSON API: /api/v1/lists and
 * /api/v1/subscribers (+ /bulk); /api/v1/broadcasts is broadcasts.c.
 * Handlers stay thin: parse the JSON body (jansson, through api.c's and
 * input.c's helpers), call nl_*, render.
 *
 * JSON shapes:
 *   list       {"id","slug","name","description","public","double_optin",
 *               "charset","consent_text","welcome_subject","welcome_md",
 *               "created_at","counts":{"active","pending","unsubscribed",
 *               "bounced"},"fields":[{"key","label","type","options",
 *               "required"}]}
 *   subscriber {"person_id","subscription_id","email","name","status",
 *               "list","created_at","confirmed_at","tags",
 *               "consent":{"at","source","ip","text"}}
 *   broadcast  {"id","list_id","subject","body","audience","status",
 *               "slug","public","scheduled_at","started_at","finished_at",
 *               "created_at","counts":{"total","sent","failed","queued",
 *               "rate"}}
 * Errors follow api.c: 400 bad JSON or parameter, 401, 404, 409 (slug
 * taken, a state that does not allow the action), 415, 422 naming the
 * field; a refused request changes nothing.
 *
 * List writes invalidate cached public pages inside the domain
 * (site_content_written): the sign-up slot shows the first public list.
 *
 * A subscriber search (q) runs on the worker pool (http_defer, struct
 * http_task): at a million readers it may take a few hundred milliseconds.
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "http/http.h"
#include "newsletter/newsletter.h"

#define FIELDS_MAX   50
#define OPTIONS_MAX  100
#define BULK_IDS_MAX 100000

/* ---- lists ---- */

static json_t *list_json(const struct nl_list *l)
{
	json_t *o = json_object(), *fields = json_array(), *counts = json_object();
	for (size_t i = 0; i < l->nfields; i++) {
		const struct nl_field *f = &l->fields[i];
		json_t *fo = json_object(), *opts = json_array();
		for (size_t k = 0; k < f->noptions; k++)
			json_array_append_new(opts, api_jstr(f->options[k]));
		json_object_set_new(fo, "key", api_jstr(f->key));
		json_object_set_new(fo, "label", api_jstr(f->label));
		json_object_set_new(fo, "type", api_jstr(f->type));
		json_object_set_new(fo, "options", opts);
		json_object_set_new(fo, "required", json_boolean(f->required));
		json_object_set_new(fo, "person", api_jstr(f->person ? f->person : ""));
		json_array_append_new(fields, fo);
	}
	json_object_set_new(counts, "active", json_integer(l->active));
	json_object_set_new(counts, "pending", json_integer(l->pending));
	json_object_set_new(counts, "unsubscribed", json_integer(l->unsubscribed));
	json_object_set_new(counts, "bounced", json_integer(l->bounced));
	json_object_set_new(o, "id", json_integer(l->id));
	json_object_set_new(o, "slug", api_jstr(l->slug));
	json_object_set_new(o, "name", api_jstr(l->name));
	json_object_set_new(o, "description", api_jstr(l->description));
	json_object_set_new(o, "public", json_boolean(l->public_));
	json_object_set_new(o, "double_optin", json_boolean(l->double_optin));
	json_object_set_new(o, "charset", api_jstr(l->charset));
	json_object_set_new(o, "consent_text", api_jstr(l->consent_text));
	json_object_set_new(o, "welcome_subject", api_jstr(l->welcome_subject));
	json_object_set_new(o, "welcome_md", api_jstr(l->welcome_md));
	json_object_set_new(o, "created_at", api_jtime(l->created_at));
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "fields", fields);
	return o;
}

static void send_list(struct req *req, int status, int64_t id)
{
	struct nl_list l;
	struct jm_err err = {0};
	enum jm_rc rc = nl_list_get(req->db, req->arena, id, &l);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "list");
		return;
	}
	api_send_json(req, status, list_json(&l));
}

/* The keys a list body may hold (create and PATCH), and those of one
 * element of "fields". */
static const char *const list_keys[] = {"slug",
                                        "name",
                                        "description",
                                        "charset",
                                        "consent_text",
                                        "welcome_subject",
                                        "welcome_md",
                                        "public",
                                        "double_optin",
                                        "fields",
                                        NULL};
static const char *const field_keys[] = {"key",      "label",  "type", "options",
                                         "required", "person", NULL};

static bool list_input(struct req *req, json_t *b, struct nl_list_input *in)
{
	bool has_ws = false, has_wm = false;
	memset(in, 0, sizeof(*in));
	bool ok =
	        api_get_str(req, b, "slug", false, &in->slug, &in->has_slug) &&
	        api_get_str(req, b, "name", false, &in->name, &in->has_name) &&
	        api_get_str(req, b, "description", true, &in->description, &in->has_description) &&
	        api_get_str(req, b, "charset", false, &in->charset, &in->has_charset) &&
	        api_get_str(req, b, "consent_text", true, &in->consent_text,
	                    &in->has_consent_text) &&
	        api_get_str(req, b, "welcome_subject", true, &in->welcome_subject, &has_ws) &&
	        api_get_str(req, b, "welcome_md", true, &in->welcome_md, &has_wm) &&
	        api_get_bool(req, b, "public", &in->public_, &in->has_public) &&
	        api_get_bool(req, b, "double_optin", &in->double_optin, &in->has_double_optin);
	in->has_welcome = has_ws || has_wm;
	if (!has_ws)
		in->welcome_subject = NULL;
	if (!has_wm)
		in->welcome_md = NULL;
	return ok;
}

/* One element of "fields": {"key","label","type","options":[…],"required",
 * "person"} (person: "", "name", "furigana", "company" or "title" — the
 * person's own column the value is kept in). */
static bool field_input(struct req *req, json_t *fo, struct nl_field *f)
{
	bool has = false, req_has = false;
	if (!json_is_object(fo)) {
		api_type_error(req, "fields", "an array of objects");
		return false;
	}
	if (!api_nested_keys(req, fo, field_keys, "fields"))
		return false;
	f->type = "text";
	if (!api_get_str(req, fo, "key", false, &f->key, &has) ||
	    !api_get_str(req, fo, "label", false, &f->label, &has) ||
	    !api_get_str(req, fo, "type", false, &f->type, &has) ||
	    !api_get_bool(req, fo, "required", &f->required, &req_has) ||
	    !api_get_str(req, fo, "person", false, &f->person, &has))
		return false;
	json_t *opts = json_object_get(fo, "options");
	if (opts && !json_is_array(opts)) {
		api_type_error(req, "fields", "objects whose options is an array of strings");
		return false;
	}
	size_t n = opts ? json_array_size(opts) : 0;
	if (n > OPTIONS_MAX) {
		api_send_error(req, 422, "invalid", "at most 100 options per field", "fields");
		return false;
	}
	f->options = arena_calloc(req->arena, (n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(opts, i);
		if (!json_is_string(s)) {
			api_type_error(req, "fields",
			               "objects whose options is an array of strings");
			return false;
		}
		f->options[i] = json_string_value(s);
	}
	f->noptions = n;
	return true;
}

/* "fields" when present: *has tells; answers 422 on a bad shape. */
static bool fields_input(struct req *req, json_t *b, struct nl_field **out, size_t *n, bool *has)
{
	json_t *v = json_object_get(b, "fields");
	*has = v != NULL;
	*n = 0;
	if (!v)
		return true;
	if (!json_is_array(v)) {
		api_type_error(req, "fields", "an array of objects");
		return false;
	}
	if (json_array_size(v) > FIELDS_MAX) {
		api_send_error(req, 422, "invalid", "at most 50 fields", "fields");
		return false;
	}
	*n = json_array_size(v);
	*out = arena_calloc(req->arena, (*n + 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++)
		if (!field_input(req, json_array_get(v, i), &(*out)[i]))
			return false;
	return true;
}

/* POST /api/v1/lists → 201 + Location. Fields that fail validation undo
 * the whole create. */
static void lists_create(struct req *req)
{
	struct nl_list_input in;
	struct nl_field *fields = NULL;
	size_t nf = 0;
	bool has_fields;
	struct jm_err err = {0};
	int64_t id = 0;
	json_t *b = api_body(req, list_keys);
	if (!b)
		return;
	if (!json_object_get(b, "name")) {
		api_missing(req, "name");
		return;
	}
	if (!list_input(req, b, &in) || !fields_input(req, b, &fields, &nf, &has_fields))
		return;
	enum jm_rc rc = nl_list_create(req->db, &in, &id, &err);
	if (!rc && has_fields && (rc = nl_list_set_fields(req->db, id, fields, nf, &err)) != JM_OK)
		if (nl_list_delete(req->db, id) != JM_OK)
			log_at(LOG_ERROR, "api", "msg=\"cannot undo list %lld\"", (long long)id);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "list");
		return;
	}
	http_header(req, "location",
	            arena_sprintf(req->arena, "/api/v1/lists/%lld", (long long)id));
	send_list(req, 201, id);
}

/* GET /api/v1/lists → {"items":[…]} */
static void lists_index(struct req *req)
{
	struct nl_list *all = NULL;
	size_t n = 0;
	enum jm_rc rc = nl_list_all(req->db, req->arena, &all, &n);
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, list_json(&all[i]));
	api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

static void lists_show(struct req *req)
{
	int64_t id;
	if (api_path_id(req, "list", &id))
		send_list(req, 200, id);
}

/* Puts back the list as it was before a PATCH whose custom fields were
 * refused, so a refused request changes nothing. */
static void list_restore(struct req *req, const struct nl_list *cur)
{
	struct jm_err err = {0};
	struct nl_list_input in = {.slug = cur->slug,
	                           .name = cur->name,
	                           .description = cur->description,
	                           .charset = cur->charset,
	                           .consent_text = cur->consent_text,
	                           .welcome_subject = cur->welcome_subject,
	                           .welcome_md = cur->welcome_md,
	                           .public_ = cur->public_,
	                           .double_optin = cur->double_optin,
	                           .has_slug = true,
	                           .has_name = true,
	                           .has_description = true,
	                           .has_charset = true,
	                           .has_consent_text = true,
	                           .has_welcome = true,
	                           .has_public = true,
	                           .has_double_optin = true};
	if (nl_list_update(req->db, cur->id, &in, &err) != JM_OK)
		log_at(LOG_ERROR, "api", "msg=\"cannot restore list %lld\"", (long long)cur->id);
}

/* PATCH /api/v1/lists/{id}: only the fields sent change; "fields"
 * replaces all custom fields. */
static void lists_patch(struct req *req)
{
	struct nl_list_input in;
	struct nl_list cur;
	struct nl_field *fields = NULL;
	size_t nf = 0;
	bool has_fields;
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "list", &id))
		return;
	json_t *b = api_body(req, list_keys);
	if (!b || !list_input(req, b, &in) || !fields_input(req, b, &fields, &nf, &has_fields))
		return;
	enum jm_rc rc = nl_list_get(req->db, req->arena, id, &cur);
	if (!rc && in.has_welcome && !in.welcome_subject)
		in.welcome_subject = cur.welcome_subject;
	if (!rc && in.has_welcome && !in.welcome_md)
		in.welcome_md = cur.welcome_md;
	if (!rc)
		rc = nl_list_update(req->db, id, &in, &err);
	if (!rc && has_fields && (rc = nl_list_set_fields(req->db, id, fields, nf, &err)))
		list_restore(req, &cur);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "list");
		return;
	}
	send_list(req, 200, id);
}

static void lists_delete(struct req *req)
{
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "list", &id))
		return;
	/* Moves it to the trash (restorable for NL_TRASH_DAYS). */
	enum jm_rc rc = nl_list_trash(req->db, id, &err);
	if (rc) {
		api_send_nl_rc(req, rc, &err, "list");
		return;
	}
	api_send_no_content(req);
}

/* ---- subscribers ---- */

static json_t *subscriber_json(const struct nl_subscriber *s)
{
	json_t *o = json_object(), *tags = json_array(), *consent = json_object();
	for (size_t i = 0; i < s->ntags; i++)
		json_array_append_new(tags, api_jstr(s->tags[i]));
	json_object_set_new(consent, "at", api_jtime(s->consent_at));
	json_object_set_new(consent, "source", api_jstr(s->consent_source));
	json_object_set_new(consent, "ip", api_jstr(s->consent_ip));
	json_object_set_new(consent, "text", api_jstr(s->consent_text));
	json_object_set_new(o, "person_id", json_integer(s->person_id));
	json_object_set_new(o, "subscription_id", json_integer(s->subscription_id));
	json_object_set_new(o, "email", api_jstr(s->email));
	json_object_set_new(o, "name", api_jstr(s->name));
	json_object_set_new(o, "status", api_jstr(s->status));
	json_object_set_new(o, "list", api_jstr(s->list_slug));
	json_object_set_new(o, "created_at", api_jtime(s->created_at));
	json_object_set_new(o, "confirmed_at", api_jtime(s->confirmed_at));
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "consent", consent);
	return o;
}

static bool bad_param(struct req *req, const char *field, const char *msg)
{
	api_send_error(req, 400, "invalid_parameter", msg, field);
	return false;
}

static bool subscriber_query(struct req *req, struct nl_subscriber_query *sq)
{
	struct form q;
	memset(sq, 0, sizeof(*sq));
	if (!api_query(req, &q) || !api_parse_pagination(req, &q, &sq->page, &sq->per_page))
		return false;
	const char *list = form_get(&q, "list_id"), *st = form_get(&q, "status");
	if (list && *list && !api_parse_id(list, &sq->list_id))
		return bad_param(req, "list_id", "list_id must be a positive integer");
	if (st && *st && strcmp(st, "pending") && strcmp(st, "active") &&
	    strcmp(st, "unsubscribed") && strcmp(st, "bounced"))
		return bad_param(req, "status",
		                 "status must be pending, active, unsubscribed or bounced");
	sq->status = st && *st ? st : NULL;
	const char *s = form_get(&q, "q"), *tag = form_get(&q, "tag");
	sq->q = s && *s ? s : NULL;
	sq->tag = tag && *tag ? tag : NULL;
	const char *fk = form_get(&q, "field"), *fv = form_get(&q, "value");
	if (fk && *fk) {
		sq->field_key = fk;
		sq->field_val = fv ? fv : "";
	}
	return true;
}

static void send_subscribers(struct req *req, const struct nl_subscriber_query *sq,
                             const struct nl_subscriber *items, size_t n, int64_t total)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, subscriber_json(&items[i]));
	api_send_json(req, 200, api_page_json(arr, sq->page, sq->per_page, total));
}

/* A search (q not empty) scans the name index and counts every hit: at a
 * million readers it runs on the worker pool with a copy of the query in
 * the job's arena, after the parameters were checked on the loop. */
struct search_job {
	struct http_task job;
	struct nl_subscriber_query sq;
	struct nl_subscriber *items;
	size_t n;
	int64_t total;
};

static void search_work(struct db *db, void *data)
{
	struct search_job *j = data;
	j->job.rc = nl_subscriber_list(db, j->job.a, &j->sq, &j->items, &j->n, &j->total);
}

static void search_done(struct req *req, void *data)
{
	struct search_job *j = data;
	if (j->job.rc == JM_INVALID) /* the only input the domain refuses here is q */
		jm_err_set(&j->job.err, "q", "q must be at most 200 bytes of valid UTF-8");
	if (j->job.rc) {
		api_send_nl_rc(req, j->job.rc, &j->job.err, "list");
		return;
	}
	send_subscribers(req, &j->sq, j->items, j->n, j->total);
}

static void search_start(struct req *req, const struct nl_subscriber_query *sq)
{
	struct search_job *j = http_task_new(sizeof(*j));
	j->sq = *sq;
	j->sq.q = http_task_str(&j->job, sq->q);
	j->sq.status = http_task_str(&j->job, sq->status);
	j->sq.tag = http_task_str(&j->job, sq->tag);
	j->sq.field_key = http_task_str(&j->job, sq->field_key);
	j->sq.field_val = http_task_str(&j->job, sq->field_val);
	http_defer(req, search_work, search_done, j, http_task_free);
}

/* GET /api/v1/subscribers?list_id=&status=&q=&tag=&field=&value=&page=&per_page=
 * The paged list stays on the loop; a search goes to the worker pool. */
static void subscribers_index(struct req *req)
{
	struct nl_subscriber_query sq;
	struct nl_subscriber *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	if (!subscriber_query(req, &sq))
		return;
	if (sq.q) {
		search_start(req, &sq);
		return;
	}
	enum jm_rc rc = nl_subscriber_list(req->db, req->arena, &sq, &items, &n, &total);
	if (rc) {
		struct jm_err err = {0};
		api_send_nl_rc(req, rc, &err, "list");
		return;
	}
	send_subscribers(req, &sq, items, n, total);
}

/* POST /api/v1/subscribers {list_id, email, name} → 201: active at once
 * (consent source "admin"). */
static void subscribers_create(struct req *req)
{
	const char *email = NULL, *name = "";
	bool has_list = false, has_email = false, has_name = false;
	int64_t list_id = 0, pid = 0;
	struct jm_err err = {0};
	static const char *const keys[] = {"list_id", "email", "name", NULL};
	json_t *b = api_body(req, keys);
	if (!b || !api_get_id(req, b, "list_id", &list_id, &has_list) ||
	    !api_get_str(req, b, "email", false, &email, &has_email) ||
	    !api_get_str(req, b, "name", true, &name, &has_name))
		return;
	if (!has_list || !has_email) {
		api_missing(req, has_list ? "email" : "list_id");
		return;
	}
	enum jm_rc rc = nl_subscriber_add(req->db, list_id, email, name, &pid, &err);
	if (rc == JM_NOT_FOUND) { /* a body naming an unknown list is bad input */
		jm_err_set(&err, "list_id", "no such list");
		rc = JM_INVALID;
	}
	if (rc) {
		api_send_nl_rc(req, rc, &err, "list");
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "person_id", json_integer(pid));
	json_object_set_new(o, "list_id", json_integer(list_id));
	json_object_set_new(o, "email", api_jstr(email));
	json_object_set_new(o, "name", api_jstr(name));
	json_object_set_new(o, "status", api_jstr("active"));
	api_send_json(req, 201, o);
}

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

/* person_ids: a non-empty array of positive integers. */
static bool bulk_ids(struct req *req, json_t *b, int64_t **ids, size_t *n)
{
	json_t *v = json_object_get(b, "person_ids");
	if (!v) {
		api_missing(req, "person_ids");
		return false;
	}
	*n = json_is_array(v) ? json_array_size(v) : 0;
	if (*n == 0 || *n > BULK_IDS_MAX) {
		api_type_error(req, "person_ids", "an array of 1 to 100000 positive integers");
		return false;
	}
	*ids = arena_alloc(req->arena, *n * sizeof(**ids));
	for (size_t i = 0; i < *n; i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_integer(e) || json_integer_value(e) < 1) {
			api_type_error(req, "person_ids", "an array of positive integers");
			return false;
		}
		(*ids)[i] = json_integer_value(e);
	}
	return true;
}

/* POST /api/v1/subscribers/bulk {op, person_ids, list_id?, tag?} */
static void subscribers_bulk(struct req *req)
{
	const char *ops = NULL, *tag = NULL;
	bool has_op = false, has_tag = false, has_list = false;
	int64_t list_id = 0, *ids = NULL;
	size_t n = 0;
	enum nl_bulk_op op;
	static const char *const keys[] = {"op", "person_ids", "list_id", "tag", NULL};
	json_t *b = api_body(req, keys);
	if (!b || !api_get_str(req, b, "op", false, &ops, &has_op) ||
	    !api_get_str(req, b, "tag", false, &tag, &has_tag) ||
	    !api_get_id(req, b, "list_id", &list_id, &has_list))
		return;
	if (!has_op || !bulk_op(ops, &op)) {
		api_send_error(req, 422, has_op ? "invalid" : "missing_field",
		               "op must be tag, untag, unsubscribe or erase", "op");
		return;
	}
	if ((op == NL_BULK_TAG || op == NL_BULK_UNTAG) && (!tag || !*tag)) {
		api_missing(req, "tag");
		return;
	}
	if (!bulk_ids(req, b, &ids, &n))
		return;
	enum jm_rc rc = nl_bulk(req->db, op, ids, n, list_id, tag);
	if (rc == JM_INVALID) {
		api_send_error(req, 422, "invalid", "tag must be 1 to 100 characters on one line",
		               "tag");
		return;
	}
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	api_send_json(req, 200, json_pack("{s:s, s:I}", "op", ops, "count", (json_int_t)n));
}

void api_newsletter_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/lists", lists_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/lists", lists_create, ROUTE_API);
	router_add(r, "GET", "/api/v1/lists/{id}", lists_show, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/lists/{id}", lists_patch, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/lists/{id}", lists_delete, ROUTE_API);
	router_add(r, "GET", "/api/v1/subscribers", subscribers_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/subscribers", subscribers_create, ROUTE_API);
	router_add(r, "POST", "/api/v1/subscribers/bulk", subscribers_bulk, ROUTE_API);
	api_broadcasts_routes(r);
}
