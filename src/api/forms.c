/*
 * forms.c — /api/v1/forms: create, list, show, edit and delete forms
 * (asks, job posts, events) as JSON, with the 0024 column names:
 *   {"id","kind","slug","title","description","thanks","consent_text",
 *    "status","opens_at","closes_at","max_answers_per_person","list_id",
 *    "include_freeloaders","fields":[{"key","label","type","options":[…],
 *    "required"}], events: "starts_at","ends_at","venue","online_url",
 *    "capacity","waitlist","fee","reminder_hours","party_title",
 *    "party_capacity"; job posts: "duties","contract_period","workplace",
 *    "working_hours","holidays","wage","social_insurance",
 *    "smoking_measures"; "answers_count","created_at","updated_at"}
 * Times are written as /api/v1/broadcasts writes them (ISO 8601 UTC, null
 * for none) and read as ISO 8601 (a time without a zone in the site's
 * zone) or Unix seconds. A form's rules are the domain's (forms/form.c):
 * 422 naming the field, 409 "slug" for a taken slug, 404 an unknown id.
 * A PATCH changes only the keys it names; "fields", when given, replaces
 * the whole list. Changing the kind clears the old kind's own section.
 */
#include <jansson.h>
#include <stddef.h>

#include "api/api_int.h"
#include "app.h"
#include "forms/forms.h"
#include "http/http.h"
#include "site/site.h"

static const char *const form_keys[] = {"kind",
                                        "slug",
                                        "title",
                                        "description",
                                        "thanks",
                                        "consent_text",
                                        "status",
                                        "opens_at",
                                        "closes_at",
                                        "max_answers_per_person",
                                        "list_id",
                                        "include_freeloaders",
                                        "fields",
                                        "starts_at",
                                        "ends_at",
                                        "venue",
                                        "online_url",
                                        "capacity",
                                        "waitlist",
                                        "fee",
                                        "reminder_hours",
                                        "party_title",
                                        "party_capacity",
                                        "duties",
                                        "contract_period",
                                        "workplace",
                                        "working_hours",
                                        "holidays",
                                        "wage",
                                        "social_insurance",
                                        "smoking_measures",
                                        NULL};

/* The text keys and where they go in struct forms_form. */
static const struct {
	const char *key;
	size_t off;
} STR_KEYS[] = {
        {"slug", offsetof(struct forms_form, slug)},
        {"title", offsetof(struct forms_form, title)},
        {"description", offsetof(struct forms_form, description)},
        {"thanks", offsetof(struct forms_form, thanks)},
        {"consent_text", offsetof(struct forms_form, consent_text)},
        {"status", offsetof(struct forms_form, status)},
        {"venue", offsetof(struct forms_form, event.venue)},
        {"online_url", offsetof(struct forms_form, event.online_url)},
        {"fee", offsetof(struct forms_form, event.fee)},
        {"party_title", offsetof(struct forms_form, event.party_title)},
        {"duties", offsetof(struct forms_form, job.duties)},
        {"contract_period", offsetof(struct forms_form, job.contract_period)},
        {"workplace", offsetof(struct forms_form, job.workplace)},
        {"working_hours", offsetof(struct forms_form, job.working_hours)},
        {"holidays", offsetof(struct forms_form, job.holidays)},
        {"wage", offsetof(struct forms_form, job.wage)},
        {"social_insurance", offsetof(struct forms_form, job.social_insurance)},
        {"smoking_measures", offsetof(struct forms_form, job.smoking_measures)},
};

/* The integer keys (times are read apart) and where they go. */
static const struct {
	const char *key;
	size_t off;
	bool time;
} INT_KEYS[] = {
        {"opens_at", offsetof(struct forms_form, opens_at), true},
        {"closes_at", offsetof(struct forms_form, closes_at), true},
        {"starts_at", offsetof(struct forms_form, event.starts_at), true},
        {"ends_at", offsetof(struct forms_form, event.ends_at), true},
        {"max_answers_per_person", offsetof(struct forms_form, max_answers_per_person), false},
        {"capacity", offsetof(struct forms_form, event.capacity), false},
        {"party_capacity", offsetof(struct forms_form, event.party_capacity), false},
        {"reminder_hours", offsetof(struct forms_form, event.reminder_hours), false},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- output ---- */

static json_t *fields_json(const struct forms_form *f)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < f->nfields; i++) {
		const struct forms_field *x = &f->fields[i];
		json_t *opts = json_array();
		for (size_t j = 0; j < x->noptions; j++)
			json_array_append_new(opts, api_jstr(x->options[j]));
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:b}", "key",
		                                     api_jstr(x->key), "label", api_jstr(x->label),
		                                     "type", api_jstr(x->type), "options", opts,
		                                     "required", x->required));
	}
	return arr;
}

static json_t *form_json(const struct forms_form *f, bool with_fields)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "kind", api_jstr(forms_kind_name(f->kind)));
	for (size_t i = 0; i < NELEM(STR_KEYS); i++)
		json_object_set_new(
		        o, STR_KEYS[i].key,
		        api_jstr(*(const char *const *)((const char *)f + STR_KEYS[i].off)));
	for (size_t i = 0; i < NELEM(INT_KEYS); i++) {
		int64_t v = *(const int64_t *)((const char *)f + INT_KEYS[i].off);
		json_object_set_new(o, INT_KEYS[i].key,
		                    INT_KEYS[i].time ? api_jtime(v) : json_integer(v));
	}
	json_object_set_new(o, "list_id", f->list_id ? json_integer(f->list_id) : json_null());
	json_object_set_new(o, "include_freeloaders", json_boolean(f->include_freeloaders));
	json_object_set_new(o, "waitlist", json_boolean(f->event.waitlist));
	if (with_fields)
		json_object_set_new(o, "fields", fields_json(f));
	json_object_set_new(o, "answers_count", json_integer(f->answers));
	json_object_set_new(o, "created_at", api_jtime(f->created_at));
	json_object_set_new(o, "updated_at", api_jtime(f->updated_at));
	return o;
}

static void send_form(struct req *req, int status, int64_t id)
{
	struct forms_form *f = NULL;
	enum jm_rc rc = forms_get(req->db, req->arena, id, &f);
	if (rc) {
		struct jm_err err = {0};
		jm_err_set(&err, NULL, "no such form");
		api_send_rc(req, rc, &err);
		return;
	}
	api_send_json(req, status, form_json(f, true));
}

/* ---- input ---- */

/* A time: ISO 8601 (site zone when it has none), Unix seconds, or null
 * ("" too: an emptied input). */
static bool get_time(struct req *req, json_t *b, const char *key, int64_t *out)
{
	json_t *v = json_object_get(b, key);
	struct site_settings st;
	if (!v)
		return true;
	if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) {
		*out = 0; /* none */
		return true;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_string(v)) {
		if (!api_load_settings(req, &st))
			return false;
		if (site_time_parse(&st, json_string_value(v), out) == JM_OK)
			return true;
	}
	api_send_error(req, 422, "invalid",
	               arena_sprintf(req->arena,
	                             "%s must be an ISO 8601 time like 2026-12-24T18:00:00+09:00 "
	                             "or Unix seconds",
	                             key),
	               key);
	return false;
}

static bool get_int(struct req *req, json_t *b, const char *key, int64_t *out)
{
	json_t *v = json_object_get(b, key);
	if (!v)
		return true;
	if (!json_is_integer(v)) {
		api_type_error(req, key, "an integer");
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

/* One element of "options": strings only. */
static bool get_options(struct req *req, struct forms_field *x, json_t *opts)
{
	if (!opts || json_is_null(opts))
		return true;
	if (!json_is_array(opts)) {
		api_send_error(req, 422, "invalid", "fields: options must be an array of strings",
		               "fields");
		return false;
	}
	x->noptions = json_array_size(opts);
	x->options = arena_calloc(req->arena, (x->noptions + 1) * sizeof(char *));
	for (size_t j = 0; j < x->noptions; j++) {
		json_t *s = json_array_get(opts, j);
		if (!json_is_string(s)) {
			api_send_error(req, 422, "invalid",
			               "fields: options must be an array of strings", "fields");
			return false;
		}
		x->options[j] = json_string_value(s);
	}
	return true;
}

static bool get_field(struct req *req, json_t *o, struct forms_field *x)
{
	static const char *const keys[] = {"key", "label", "type", "options", "required", NULL};
	if (!json_is_object(o)) {
		api_send_error(req, 422, "invalid", "fields must be an array of objects", "fields");
		return false;
	}
	if (!api_nested_keys(req, o, keys, "fields"))
		return false;
	json_t *k = json_object_get(o, "key"), *l = json_object_get(o, "label"),
	       *t = json_object_get(o, "type"), *r = json_object_get(o, "required");
	if ((k && !json_is_string(k)) || (l && !json_is_string(l)) || (t && !json_is_string(t)) ||
	    (r && !json_is_boolean(r))) {
		api_send_error(req, 422, "invalid",
		               "fields: key, label and type are strings, required true or false",
		               "fields");
		return false;
	}
	x->key = k ? json_string_value(k) : "";
	x->label = l ? json_string_value(l) : "";
	x->type = t ? json_string_value(t) : "text";
	x->required = r && json_is_true(r);
	return get_options(req, x, json_object_get(o, "options"));
}

static bool get_fields(struct req *req, json_t *b, struct forms_form *f)
{
	json_t *v = json_object_get(b, "fields");
	if (!v)
		return true;
	if (!json_is_array(v)) {
		api_type_error(req, "fields", "an array");
		return false;
	}
	f->nfields = json_array_size(v);
	f->fields = arena_calloc(req->arena, (f->nfields + 1) * sizeof(*f->fields));
	for (size_t i = 0; i < f->nfields; i++)
		if (!get_field(req, json_array_get(v, i), &f->fields[i]))
			return false;
	return true;
}

static bool get_kind(struct req *req, json_t *b, struct forms_form *f)
{
	json_t *v = json_object_get(b, "kind");
	enum forms_kind k;
	if (!v)
		return true;
	if (!json_is_string(v) || !forms_kind_parse(json_string_value(v), &k)) {
		api_send_error(req, 422, "invalid", "kind must be ask, job or event", "kind");
		return false;
	}
	if (k != f->kind) { /* the old kind's own section goes with it */
		if (f->kind == FORMS_EVENT)
			f->event = (struct forms_event){.waitlist = true};
		if (f->kind == FORMS_JOB)
			f->job = (struct forms_job){0};
	}
	f->kind = k;
	return true;
}

static bool get_list_id(struct req *req, json_t *b, struct forms_form *f)
{
	json_t *v = json_object_get(b, "list_id");
	bool has = false;
	if (v && json_is_null(v)) {
		f->list_id = 0;
		return true;
	}
	return api_get_id(req, b, "list_id", &f->list_id, &has);
}

/* Overlays the body's keys onto f. */
static bool form_input(struct req *req, json_t *b, struct forms_form *f)
{
	bool has = false;
	if (!get_kind(req, b, f))
		return false;
	for (size_t i = 0; i < NELEM(STR_KEYS); i++)
		if (!api_get_str(req, b, STR_KEYS[i].key, true,
		                 (const char **)((char *)f + STR_KEYS[i].off), &has))
			return false;
	for (size_t i = 0; i < NELEM(INT_KEYS); i++) {
		int64_t *out = (int64_t *)((char *)f + INT_KEYS[i].off);
		if (!(INT_KEYS[i].time ? get_time(req, b, INT_KEYS[i].key, out)
		                       : get_int(req, b, INT_KEYS[i].key, out)))
			return false;
	}
	return get_list_id(req, b, f) &&
	       api_get_bool(req, b, "include_freeloaders", &f->include_freeloaders, &has) &&
	       api_get_bool(req, b, "waitlist", &f->event.waitlist, &has) && get_fields(req, b, f);
}

/* ---- handlers ---- */

static void forms_api_create(struct req *req)
{
	struct forms_form f = {.status = "open", .max_answers_per_person = 1};
	struct jm_err err = {0};
	int64_t id = 0;
	f.event.waitlist = true;
	json_t *b = api_body(req, form_keys);
	if (!b)
		return;
	if (!json_object_get(b, "kind")) {
		api_missing(req, "kind");
		return;
	}
	if (!form_input(req, b, &f))
		return;
	enum jm_rc rc = forms_create(req->db, &f, jm_now(), &id, &err);
	if (rc) {
		api_send_rc(req, rc, &err);
		return;
	}
	http_header(req, "location",
	            arena_sprintf(req->arena, "/api/v1/forms/%lld", (long long)id));
	send_form(req, 201, id);
}

static bool query_choice(struct req *req, const struct form *q, const char *name,
                         const char *const *ok, const char **out)
{
	const char *s = form_get(q, name);
	*out = NULL;
	if (!s || !*s)
		return true;
	for (size_t i = 0; ok[i]; i++)
		if (strcmp(s, ok[i]) == 0) {
			*out = s;
			return true;
		}
	size_t n = 0;
	while (ok[n])
		n++;
	api_send_error(req, 400, "invalid_parameter",
	               arena_sprintf(req->arena, "%s must be one of %s", name,
	                             arena_join(req->arena, ok, n, ", ")),
	               name);
	return false;
}

static void forms_api_index(struct req *req)
{
	static const char *const kinds[] = {"ask", "job", "event", NULL};
	static const char *const statuses[] = {"open", "closed", NULL};
	struct form q;
	struct forms_list_q lq = {0};
	struct forms_form *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	if (!api_query(req, &q) || !api_parse_pagination(req, &q, &lq.page, &lq.per_page) ||
	    !query_choice(req, &q, "kind", kinds, &lq.kind) ||
	    !query_choice(req, &q, "status", statuses, &lq.status))
		return;
	enum jm_rc rc = forms_list(req->db, req->arena, &lq, &items, &n, &total);
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, form_json(&items[i], false));
	api_send_json(req, 200, api_page_json(arr, lq.page, lq.per_page, total));
}

static void forms_api_show(struct req *req)
{
	int64_t id;
	if (api_path_id(req, "form", &id))
		send_form(req, 200, id);
}

static void forms_api_patch(struct req *req)
{
	struct jm_err err = {0};
	struct forms_form *cur = NULL;
	int64_t id;
	if (!api_path_id(req, "form", &id))
		return;
	json_t *b = api_body(req, form_keys);
	if (!b)
		return;
	enum jm_rc rc = forms_get(req->db, req->arena, id, &cur);
	if (!rc && !form_input(req, b, cur))
		return;
	if (!rc)
		rc = forms_update(req->db, id, cur, jm_now(), &err);
	if (rc) {
		if (rc == JM_NOT_FOUND && !err.msg[0])
			jm_err_set(&err, NULL, "no such form");
		api_send_rc(req, rc, &err);
		return;
	}
	send_form(req, 200, id);
}

static void forms_api_delete(struct req *req)
{
	int64_t id;
	if (!api_path_id(req, "form", &id))
		return;
	enum jm_rc rc = forms_delete(req->db, id);
	if (rc) {
		struct jm_err err = {0};
		jm_err_set(&err, NULL, "no such form");
		api_send_rc(req, rc, &err);
		return;
	}
	api_send_no_content(req);
}

void api_forms_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/forms", forms_api_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/forms", forms_api_create, ROUTE_API);
	router_add(r, "GET", "/api/v1/forms/{id}", forms_api_show, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/forms/{id}", forms_api_patch, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/forms/{id}", forms_api_delete, ROUTE_API);
}
