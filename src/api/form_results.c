/*
 * form_results.c — what the owner does with a form's answers, as JSON:
 *   GET  /api/v1/forms/{id}/answers?key=K&value=V&cursor=&limit=&unverified=1
 *        → {"items":[{"id","person":{"id","name","email","stage",
 *           "engagement","subscribed_since","give","take"},
 *           "values":{K:V…},"status","verified","created_at"}],
 *           "next_cursor": id or null,"limit"}
 *        newest first; a 'multi' field's value is an array; times ISO 8601
 *        UTC as /api/v1/broadcasts; the next page is ?cursor=next_cursor.
 *   POST /api/v1/forms/{id}/answers/bulk {"op":"tag"|"untag"|"field"|
 *        "interaction"|"stage","answer_ids":[…], "tag" | "key","value" |
 *        "kind","note" | "stage"} → {"op","answers","people"}; instead of
 *        answer_ids, "all":true with "filter":{"key","value"} (and
 *        "unverified":true) acts on every answer of the filter
 *   GET  /api/v1/forms/{id}/answers/export?enc=utf8|sjis&key=&value= → CSV
 * Bad input answers 400 with the field named and changes nothing (the
 * bulk runs in one transaction, forms/results.c); an unknown form 404.
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "forms/forms.h"
#include "http/http.h"
#include "web/web.h"

#define LIMIT_DEFAULT 50

static void send_bad(struct req *req, enum jm_rc rc, const struct jm_err *err, const char *what)
{
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		api_send_error(req, 400, "invalid", err->msg[0] ? err->msg : "invalid input",
		               err->field[0] ? err->field : NULL);
		return;
	}
	if (rc == JM_NOT_FOUND) {
		api_send_error(req, 404, "not_found", what, NULL);
		return;
	}
	api_send_rc(req, rc, err);
}

static bool is_multi(const struct forms_results *r, const char *key)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return strcmp(r->fields[i].type, "multi") == 0;
	return false;
}

static json_t *values_json(const struct forms_results *r, const struct forms_result *row)
{
	json_t *o = json_object();
	for (size_t i = 0; i < row->nvals; i++) {
		const char *k = row->keys[i];
		if (!is_multi(r, k)) {
			json_object_set_new(o, k, api_jstr(row->vals[i]));
			continue;
		}
		json_t *arr = json_object_get(o, k);
		if (!arr) {
			arr = json_array();
			json_object_set_new(o, k, arr);
		}
		json_array_append_new(arr, api_jstr(row->vals[i]));
	}
	return o;
}

static json_t *result_json(const struct forms_results *r, const struct forms_result *row)
{
	json_t *p = json_object(), *o = json_object();
	json_object_set_new(p, "id", json_integer(row->person.id));
	json_object_set_new(p, "name", api_jstr(row->person.name));
	json_object_set_new(p, "email", api_jstr(row->person.email));
	json_object_set_new(p, "stage", api_jstr(row->person.stage));
	json_object_set_new(p, "engagement", json_integer(row->person.engagement));
	json_object_set_new(p, "subscribed_since", api_jtime(row->person.subscribed_since));
	json_object_set_new(p, "give", json_integer(row->person.give));
	json_object_set_new(p, "take", json_integer(row->person.take));
	json_object_set_new(p, "freeloader", json_boolean(row->person.freeloader));
	json_object_set_new(o, "id", json_integer(row->id));
	json_object_set_new(o, "person", p);
	json_object_set_new(o, "values", values_json(r, row));
	json_object_set_new(o, "status", api_jstr(row->status));
	json_object_set_new(o, "verified", json_boolean(row->verified));
	json_object_set_new(o, "created_at", api_jtime(row->created_at));
	return o;
}

/* A non-negative decimal no larger than max from the query; 400 naming
 * it when bad. */
static bool query_num(struct req *req, const struct form *q, const char *name, int64_t max,
                      int64_t *out)
{
	const char *s = form_get(q, name);
	if (!s)
		return true;
	if (!api_parse_id(s, out) || *out > max) {
		api_send_error(req, 400, "invalid_parameter",
		               arena_sprintf(req->arena, "%s must be an integer from 1 to %lld",
		                             name, (long long)max),
		               name);
		return false;
	}
	return true;
}

static unsigned list_flags(const struct form *q)
{
	const char *u = form_get(q, "unverified");
	return u && strcmp(u, "1") == 0 ? FORMS_LIST_UNVERIFIED : 0;
}

static void answers_index(struct req *req)
{
	int64_t id, cursor = 0, limit = LIMIT_DEFAULT;
	struct form q;
	struct forms_results r;
	struct jm_err err = {0};
	if (!api_path_id(req, "form", &id) || !api_query(req, &q) ||
	    !query_num(req, &q, "cursor", INT64_MAX, &cursor) ||
	    !query_num(req, &q, "limit", FORMS_RESULTS_MAX, &limit))
		return;
	enum jm_rc rc = forms_answers_list(req->db, req->arena, id, form_get(&q, "key"),
	                                   form_get(&q, "value"), cursor, (size_t)limit,
	                                   list_flags(&q), &r, &err);
	if (rc) {
		send_bad(req, rc, &err, "no such form");
		return;
	}
	json_t *items = json_array(), *o = json_object();
	for (size_t i = 0; i < r.n; i++)
		json_array_append_new(items, result_json(&r, &r.rows[i]));
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "next_cursor", r.next ? json_integer(r.next) : json_null());
	json_object_set_new(o, "limit", json_integer(limit));
	api_send_json(req, 200, o);
}

/* ---- bulk ---- */

static bool bulk_op(const char *s, enum forms_bulk_op *op)
{
	static const char *const names[] = {"tag", "untag", "field", "interaction", "stage"};
	for (int i = 0; s && i < 5; i++)
		if (strcmp(s, names[i]) == 0) {
			*op = (enum forms_bulk_op)i;
			return true;
		}
	return false;
}

/* "all": true with an optional "filter":{"key","value"} and
 * "unverified": every answer of the filter instead of answer_ids. */
static bool bulk_all(struct req *req, json_t *b, struct forms_bulk *in)
{
	bool has = false, unverified = false;
	json_t *f = json_object_get(b, "filter");
	static const char *const fkeys[] = {"key", "value", NULL};
	if (!api_get_bool(req, b, "all", &in->all, &has) ||
	    !api_get_bool(req, b, "unverified", &unverified, &has))
		return false;
	in->flags = unverified ? FORMS_LIST_UNVERIFIED : 0;
	if (!f || json_is_null(f))
		return true;
	if (!json_is_object(f) || !api_nested_keys(req, f, fkeys, "filter")) {
		if (!json_is_object(f))
			api_type_error(req, "filter", "an object {\"key\",\"value\"}");
		return false;
	}
	return api_get_str(req, f, "key", false, &in->filter_key, &has) &&
	       api_get_str(req, f, "value", false, &in->filter_value, &has);
}

/* "answer_ids": an array of positive integers (1..FORMS_BULK_MAX). */
static bool bulk_ids(struct req *req, json_t *b, struct forms_bulk *in)
{
	json_t *ids = json_object_get(b, "answer_ids");
	if (in->all && !ids)
		return true;
	size_t n = json_is_array(ids) ? json_array_size(ids) : 0;
	if (n == 0 || n > FORMS_BULK_MAX) {
		api_send_error(req, 400, "invalid", "answer_ids must be an array of 1 to 10000 ids",
		               "answer_ids");
		return false;
	}
	int64_t *v = arena_alloc(req->arena, n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(ids, i);
		if (!json_is_integer(e) || json_integer_value(e) < 1) {
			api_send_error(req, 400, "invalid",
			               "answer_ids must hold positive integers", "answer_ids");
			return false;
		}
		v[i] = json_integer_value(e);
	}
	in->answer_ids = v;
	in->n = n;
	return true;
}

/* The op's own strings; every one is optional here, forms/ says which are
 * missing. */
static bool bulk_args(struct req *req, json_t *b, struct forms_bulk *in)
{
	bool has = false;
	const char *tag = NULL, *stage = NULL;
	if (!api_get_str(req, b, "tag", false, &tag, &has) ||
	    !api_get_str(req, b, "stage", false, &stage, &has) ||
	    !api_get_str(req, b, "key", false, &in->key, &has) ||
	    !api_get_str(req, b, "value", true, &in->value, &has) ||
	    !api_get_str(req, b, "kind", false, &in->kind, &has) ||
	    !api_get_str(req, b, "note", true, &in->note, &has))
		return false;
	in->arg = in->op == FORMS_BULK_STAGE ? stage : tag;
	return true;
}

static void answers_bulk(struct req *req)
{
	static const char *const keys[] = {"op",    "answer_ids", "tag",        "key",
	                                   "value", "kind",       "note",       "stage",
	                                   "all",   "filter",     "unverified", NULL};
	struct forms_bulk in = {0};
	struct jm_err err = {0};
	const char *op = NULL;
	bool has = false;
	int64_t id, people = 0;
	if (!api_path_id(req, "form", &id))
		return;
	json_t *b = api_body(req, keys);
	if (!b || !api_get_str(req, b, "op", false, &op, &has))
		return;
	if (!bulk_op(op, &in.op)) {
		api_send_error(req, 400, "invalid",
		               "op must be one of tag, untag, field, interaction, stage", "op");
		return;
	}
	if (!bulk_all(req, b, &in) || !bulk_ids(req, b, &in) || !bulk_args(req, b, &in))
		return;
	enum jm_rc rc = forms_answers_bulk(req->db, id, &in, jm_now(), &people, &err);
	if (rc) {
		send_bad(req, rc, &err, "no such form");
		return;
	}
	api_send_json(req, 200,
	              json_pack("{s:s, s:I, s:I}", "op", op, "answers",
	                        (json_int_t)(in.all ? people : (int64_t)in.n), "people",
	                        (json_int_t)people));
}

/* ---- export ---- */

static void csv_refuse(struct req *req, enum jm_rc rc, const struct jm_err *err)
{
	send_bad(req, rc, err, "no such form");
}

static void answers_export(struct req *req)
{
	int64_t id;
	struct form q;
	if (!api_path_id(req, "form", &id) || !api_query(req, &q))
		return;
	const char *enc = form_get(&q, "enc");
	if (enc && strcmp(enc, "utf8") != 0 && strcmp(enc, "sjis") != 0) {
		api_send_error(req, 400, "invalid_parameter", "enc must be utf8 or sjis", "enc");
		return;
	}
	web_form_csv(req, id, form_get(&q, "key"), form_get(&q, "value"), list_flags(&q),
	             enc && strcmp(enc, "sjis") == 0, csv_refuse);
}

void api_form_results_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/forms/{id}/answers", answers_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/forms/{id}/answers/bulk", answers_bulk, ROUTE_API);
	router_add(r, "GET", "/api/v1/forms/{id}/answers/export", answers_export, ROUTE_API);
}
