/*
 * input.c — small helpers for JSON API handlers beyond api.c's: reading
 * typed fields from a request object (422 naming the field on a wrong
 * type), the {id} path parameter, query strings, list envelopes and
 * domain errors, and api_body: the one reader of a JSON request body,
 * which refuses unknown fields. Used by every handler file.
 */
#include <jansson.h>

#include "api/api_int.h"
#include "http/http.h"

/* True when containers nest deeper than API_JSON_MAX_DEPTH; the recursion
 * stops at that depth, so it is bounded whatever the input. */
static bool too_deep(json_t *j, int depth)
{
	if (!json_is_object(j) && !json_is_array(j))
		return false;
	if (depth > API_JSON_MAX_DEPTH)
		return true;
	if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++)
			if (too_deep(json_array_get(j, i), depth + 1))
				return true;
		return false;
	}
	for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it))
		if (too_deep(json_object_iter_value(it), depth + 1))
			return true;
	return false;
}

json_t *api_json_parse(const char *p, size_t len, struct jm_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(p ? p : "", len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		jm_err_set(err, NULL, "%s at line %d column %d", jerr.text, jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(root))
		jm_err_set(err, NULL, "the body must be a JSON object");
	else if (too_deep(root, 1))
		jm_err_set(err, NULL, "JSON nested deeper than %d levels", API_JSON_MAX_DEPTH);
	else
		return root;
	json_decref(root);
	return NULL;
}

/* The first key of o that is not in allowed
 (NULL-ended), or NULL. */
static const char *unknown_key(json_t *o, const char *const allowed[])
{
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		const char *k = json_object_iter_key(it);
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], k) != 0)
			i++;
		if (!allowed[i])
			return k;
	}
	return NULL;
}

bool api_only_keys(struct req *req, json_t *o, const char *const allowed[])
{
	const char *k = unknown_key(o, allowed);
	if (!k)
		return true;
	api_send_error(req, 422, "unknown_field", arena_sprintf(req->arena, "unknown field %s", k),
	               k);
	return false;
}

bool api_nested_keys(struct req *req, json_t *o, const char *const allowed[], const char *parent)
{
	const char *k = unknown_key(o, allowed);
	if (!k)
		return true;
	api_send_error(req, 422, "unknown_field",
	               arena_sprintf(req->arena, "unknown field %s in %s", k, parent), parent);
	return false;
}

json_t *api_body(struct req *req, const char *const keys[])
{
	json_t *b = api_body_object(req);
	return b && api_only_keys(req, b, keys) ? b : NULL;
}

void api_type_error(struct req *req, const char *field, const char *want)
{
	char *msg = arena_sprintf(req->arena, "%s must be %s", field, want);
	api_send_error(req, 422, "invalid", msg, field);
}

void api_missing(struct req *req, const char *field)
{
	char *msg = arena_sprintf(req->arena, "%s is required", field);
	api_send_error(req, 422, "missing_field", msg, field);
}

/* key as a string (null reads as "" when nullable); absent leaves *has. */
bool api_get_str(struct req *req, json_t *o, const char *key, bool nullable, const char **out,
                 bool *has)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return true;
	if (json_is_string(v))
		*out = json_string_value(v);
	else if (nullable && json_is_null(v))
		*out = "";
	else {
		api_type_error(req, key, nullable ? "a string or null" : "a string");
		return false;
	}
	*has = true;
	return true;
}

bool api_get_bool(struct req *req, json_t *o, const char *key, bool *out, bool *has)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		api_type_error(req, key, "true or false");
		return false;
	}
	*out = json_is_true(v);
	*has = true;
	return true;
}

/* key as a positive integer id. */
bool api_get_id(struct req *req, json_t *o, const char *key, int64_t *out, bool *has)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		api_type_error(req, key, "a positive integer");
		return false;
	}
	*out = json_integer_value(v);
	*has = true;
	return true;
}

json_t *api_jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	return j ? j : json_string("");
}

json_t *api_jtime(int64_t t)
{
	char iso[32];
	if (t == 0)
		return json_null();
	jm_time_iso(t, iso);
	return json_string(iso);
}

/* The {id} route parameter; answers 404 naming what when it is bad. */
bool api_path_id(struct req *req, const char *what, int64_t *id)
{
	if (api_parse_id(req_param(req, "id"), id))
		return true;
	api_send_error(req, 404, "not_found", arena_sprintf(req->arena, "no such %s", what), NULL);
	return false;
}

void api_send_nl_rc(struct req *req, enum jm_rc rc, struct jm_err *err, const char *what)
{
	if (rc == JM_NOT_FOUND && !err->msg[0])
		jm_err_set(err, NULL, "no such %s", what);
	if (rc == JM_CONFLICT && !err->msg[0])
		jm_err_set(err, "status", "the %s's state does not allow this", what);
	if (strcmp(err->field, "list") == 0) /* the domain's name for list_id */
		memcpy(err->field, "list_id", sizeof("list_id"));
	api_send_rc(req, rc, err);
}

bool api_query(struct req *req, struct form *q)
{
	struct jm_err err = {0};
	if (http_req_query(req, q, &err) == JM_OK)
		return true;
	api_send_error(req, 400, "invalid_parameter", err.msg[0] ? err.msg : "malformed query",
	               err.field[0] ? err.field : NULL);
	return false;
}

json_t *api_page_json(json_t *items, int page, int per_page, int64_t total)
{
	json_t *o = json_object();
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "page", json_integer(page));
	json_object_set_new(o, "per_page", json_integer(per_page));
	json_object_set_new(o, "total", json_integer(total));
	json_object_set_new(o, "total_pages", json_integer((total + per_page - 1) / per_page));
	return o;
}

void api_send_no_content(struct req *req)
{
	http_header(req, "cache-control", "no-store");
	http_send(req, 204, NULL, "", 0);
}
