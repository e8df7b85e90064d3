/*
 * form_jobs.c — the job pipeline in the JSON API:
 *
 *   PATCH /api/v1/forms/{id}/answers/{aid}  {"status","note","at"}
 *
 * moves an application through applied → screening → interview → offer →
 * hired | declined and/or adds a note with a date (forms_answer_set_status,
 * forms/job.c), then answers 200 with the application:
 * {"id","form_id","person":{"id","name","email"},"status","verified",
 *  "values":{key: value, or [values] for a multi field},"created_at",
 *  "status_at","notes":[{"id","status","note","at","user_id","created_at"}]}
 * (times ISO 8601 UTC, null when none; notes oldest first).
 *
 * Errors: an unknown status (or a status on an answer of no job post) →
 * 400 "invalid_status"; a move the pipeline forbids → 409 "conflict"; an
 * answer of another form or no such answer → 404; a bad note or "at" →
 * 422 naming the field. "at" is Unix seconds or ISO 8601 (a time without
 * a zone in the site's zone, as /api/v1/broadcasts reads scheduled_at).
 */
#include <jansson.h>

#include "api/api_int.h"

#include "app.h"
#include "auth/auth.h"
#include "forms/forms.h"
#include "http/http.h"
#include "site/site.h"

static json_t *values_json(const struct forms_applicant *ap)
{
	json_t *o = json_object();
	for (size_t i = 0; i < ap->nvalues; i++) {
		const struct forms_job_value *v = &ap->values[i];
		json_t *old = json_object_get(o, v->key);
		if (!old) {
			json_object_set_new(o, v->key, json_string(v->value));
			continue;
		}
		if (!json_is_array(old)) { /* a second value: the field is a multi */
			json_t *arr = json_array();
			json_array_append(arr, old);
			json_object_set_new(o, v->key, arr);
			old = arr;
		}
		json_array_append_new(old, json_string(v->value));
	}
	return o;
}

static json_t *notes_json(const struct forms_applicant *ap)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < ap->nnotes; i++) {
		const struct forms_job_note *n = &ap->notes[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(n->id));
		json_object_set_new(o, "status", api_jstr(n->status));
		json_object_set_new(o, "note", api_jstr(n->body));
		json_object_set_new(o, "at", api_jtime(n->at));
		json_object_set_new(o, "user_id",
		                    n->user_id ? json_integer(n->user_id) : json_null());
		json_object_set_new(o, "created_at", api_jtime(n->created_at));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *applicant_json(const struct forms_applicant *ap)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(ap->id));
	json_object_set_new(o, "form_id", json_integer(ap->form_id));
	json_object_set_new(o, "person",
	                    json_pack("{s:I, s:o, s:o}", "id", (json_int_t)ap->person_id, "name",
	                              api_jstr(ap->name), "email", api_jstr(ap->email)));
	json_object_set_new(o, "status", api_jstr(ap->status));
	json_object_set_new(o, "verified", json_boolean(ap->verified));
	json_object_set_new(o, "values", values_json(ap));
	json_object_set_new(o, "created_at", api_jtime(ap->created_at));
	json_object_set_new(o, "status_at", api_jtime(ap->status_at));
	json_object_set_new(o, "notes", notes_json(ap));
	return o;
}

/* "at": null, Unix seconds or ISO 8601. */
static bool get_at(struct req *req, json_t *b, int64_t *at)
{
	json_t *v = json_object_get(b, "at");
	*at = 0;
	if (!v || json_is_null(v))
		return true;
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*at = json_integer_value(v);
		return true;
	}
	struct site_settings st;
	if (json_is_string(v) && !api_load_settings(req, &st))
		return false;
	if (!json_is_string(v) || site_time_parse(&st, json_string_value(v), at)) {
		api_send_error(
		        req, 422, "invalid",
		        "at must be Unix seconds or an ISO 8601 time like 2026-12-10T14:00:00",
		        "at");
		return false;
	}
	return true;
}

static const char *const patch_keys[] = {"status", "note", "at", NULL};

static void answer_patch(struct req *req)
{
	int64_t form_id = 0, aid = 0, at = 0;
	const char *status = NULL, *note = NULL;
	bool has = false;
	struct jm_err err = {0};
	struct forms_applicant ap;
	if (!api_path_id(req, "form", &form_id))
		return;
	if (!api_parse_id(req_param(req, "aid"), &aid)) {
		api_send_error(req, 404, "not_found", "no such answer", NULL);
		return;
	}
	json_t *b = api_body(req, patch_keys);
	if (!b || !api_get_str(req, b, "status", true, &status, &has) ||
	    !api_get_str(req, b, "note", true, &note, &has) || !get_at(req, b, &at))
		return;
	enum jm_rc rc = forms_job_applicant(req->db, req->arena, form_id, aid, &ap);
	if (rc == JM_NOT_FOUND) {
		api_send_error(req, 404, "not_found", "no such answer of this form", NULL);
		return;
	}
	const struct auth_user *u = req->user;
	if (!rc)
		rc = forms_answer_set_status(req->db, aid, status, note, at, u ? u->id : 0,
		                             jm_now(), &err);
	if (rc == JM_INVALID && !strcmp(err.field, "status")) {
		api_send_error(req, 400, "invalid_status", err.msg, "status");
		return;
	}
	if (!rc)
		rc = forms_job_applicant(req->db, req->arena, form_id, aid, &ap);
	if (rc) {
		api_send_rc(req, rc, &err);
		return;
	}
	api_send_json(req, 200, applicant_json(&ap));
}

void api_form_jobs_routes(struct router *r)
{
	router_add(r, "PATCH", "/api/v1/forms/{id}/answers/{aid}", answer_patch, ROUTE_API);
}
