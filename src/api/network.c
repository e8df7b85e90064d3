/*
 * network.c — the rest of the network (人脈) CRM as JSON:
 * /api/v1/people/{id}/interactions, /api/v1/introductions, the inbox's
 * /api/v1/messages (list, show with replies, status, reply by mail) and
 * /api/v1/reports/funnel and /reports/circle?year=. Handlers stay thin:
 * parse, call net_* / inbox_*, render with jansson.
 *
 * JSON shapes:
 *   interaction  {"id","person_id","kind","note","amount" (yen or null),
 *                 "happened_at","date" (YYYY-MM-DD, site zone),"created_at"}
 *   introduction {"id","introducer_id","person_id","to_id" (null = the
 *                 owner),"introducer_name","person_name","to_name","note",
 *                 "happened_at","date","created_at"}
 *   message      {"id","person_id","form","category","subject","body",
 *                 "name","email","status","ip","page","msgid","created_at",
 *                 "updated_at"} (+ "replies":[{"id","user_id","subject",
 *                 "body","msgid","state","created_at"}] for one message)
 *   funnel       {"counts":{stage: n},"months":[{"month","fan",
 *                 "acquaintance","network"}]}
 *   circle       {"year","counts":{"kept","new","dropped","this_year",
 *                 "last_year"},"kept","new","dropped":[{"id","name",
 *                 "company","stage","count"}],"network_share_pct",
 *                 "same_faces"}
 * The two reports read whole tables or years of interactions: they run on
 * the worker pool (http_defer, struct http_task), after their parameters
 * were checked on the loop.
 * Dates typed as "YYYY-MM-DD" are midnight in the site's time zone.
 * Bodies are strict as in people.c: unknown keys and wrong types are a 422
 * naming the key; an id in a body naming nobody is a 422 naming it.
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "forms/forms.h"
#include "auth/auth.h"
#include "http/http.h"
#include "inbox/inbox.h"
#include "network/network.h"
#include "site/site.h"

#define INBOX_Q_MAX 200

bool api_parse_day(const char *s, int tz_offset_min, int64_t *out)
{
	return s && strlen(s) == 10 && jm_time_parse(s, tz_offset_min, out) == JM_OK;
}

static json_t *day_json(int64_t t, int tz_offset_min)
{
	char day[16];
	jm_time_day(t + (int64_t)tz_offset_min * 60, day);
	return json_string(day);
}

/* The site's time zone; answers 500 and returns false when it cannot. */
static bool site_tz(struct req *req, int *tz)
{
	struct site_settings st;
	if (!api_load_settings(req, &st))
		return false;
	*tz = st.tz_offset_min;
	return true;
}

/* The site's IANA zone into out; false (500 sent) when it cannot. */
static bool site_zone(struct req *req, char out[64])
{
	struct site_settings st;
	if (!api_load_settings(req, &st))
		return false;
	snprintf(out, 64, "%s", st.tz);
	return true;
}

/* A second path parameter (name) as an id; 404 naming what when bad. */
static bool path_id2(struct req *req, const char *name, const char *what, int64_t *id)
{
	if (api_parse_id(req_param(req, name), id))
		return true;
	api_send_error(req, 404, "not_found", arena_sprintf(req->arena, "no such %s", what), NULL);
	return false;
}

/* "date" (YYYY-MM-DD, site zone) or "happened_at" (unix seconds), not
 * both; *has tells whether either was sent. */
static bool get_when(struct req *req, json_t *b, int tz, int64_t *at, bool *has)
{
	json_t *d = json_object_get(b, "date"), *h = json_object_get(b, "happened_at");
	*has = d || h;
	if (d && h) {
		api_send_error(req, 422, "invalid", "give date or happened_at, not both",
		               "happened_at");
		return false;
	}
	if (d && (!json_is_string(d) || !api_parse_day(json_string_value(d), tz, at))) {
		api_type_error(req, "date", "a date YYYY-MM-DD");
		return false;
	}
	if (h && (!json_is_integer(h) || json_integer_value(h) < 1)) {
		api_type_error(req, "happened_at", "a positive integer (unix seconds)");
		return false;
	}
	if (h)
		*at = json_integer_value(h);
	return true;
}

/* The person of the {id} path parameter must exist (404 otherwise). */
static bool path_person(struct req *req, int64_t *id)
{
	struct net_person p;
	struct jm_err err = {0};
	if (!api_path_id(req, "person", id))
		return false;
	enum jm_rc rc = net_person_get(req->db, req->arena, *id, &p);
	if (rc) {
		api_send_person_rc(req, rc, &err);
		return false;
	}
	return true;
}

/* ---- interactions ---- */

static json_t *interaction_json(const struct net_interaction *x, int tz)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(x->id));
	json_object_set_new(o, "person_id", json_integer(x->person_id));
	json_object_set_new(o, "kind", api_jstr(x->kind));
	json_object_set_new(o, "note", api_jstr(x->note));
	json_object_set_new(o, "amount", x->has_amount ? json_integer(x->amount) : json_null());
	json_object_set_new(o, "happened_at", api_jtime(x->happened_at));
	json_object_set_new(o, "date", day_json(x->happened_at, tz));
	json_object_set_new(o, "created_at", api_jtime(x->created_at));
	return o;
}

/* GET /api/v1/people/{id}/interactions?page=&per_page=, newest first. */
static void interactions_index(struct req *req)
{
	struct form q;
	struct net_interaction *items = NULL;
	size_t n = 0;
	int64_t id, total = 0;
	int page, per_page, tz;
	if (!api_query(req, &q) || !api_parse_pagination(req, &q, &page, &per_page) ||
	    !path_person(req, &id) || !site_tz(req, &tz))
		return;
	enum jm_rc rc =
	        net_interaction_list(req->db, req->arena, id, page, per_page, &items, &n, &total);
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, interaction_json(&items[i], tz));
	api_send_json(req, 200, api_page_json(arr, page, per_page, total));
}

/* amount: a non-negative integer or null. */
static bool get_amount(struct req *req, json_t *b, struct net_interaction *x)
{
	json_t *v = json_object_get(b, "amount");
	if (!v || json_is_null(v))
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		api_type_error(req, "amount", "a non-negative integer or null");
		return false;
	}
	x->has_amount = true;
	x->amount = json_integer_value(v);
	return true;
}

/* POST /api/v1/people/{id}/interactions → 201 + the interaction. */
static void interactions_create(struct req *req)
{
	static const char *const keys[] = {"kind", "date", "happened_at", "note", "amount", NULL};
	struct net_interaction x = {.note = ""};
	struct jm_err err = {0};
	bool has_kind = false, has_note = false, has_when = false;
	int64_t now = jm_now();
	int tz;
	if (!path_person(req, &x.person_id))
		return;
	json_t *b = api_body(req, keys);
	if (!b || !site_tz(req, &tz) || !api_get_str(req, b, "kind", false, &x.kind, &has_kind) ||
	    !api_get_str(req, b, "note", true, &x.note, &has_note) ||
	    !get_when(req, b, tz, &x.happened_at, &has_when) || !get_amount(req, b, &x))
		return;
	if (!has_kind || !has_when) {
		api_missing(req, has_kind ? "date" : "kind");
		return;
	}
	if (!net_interaction_kind_valid(x.kind)) {
		api_send_error(req, 422, "invalid",
		               "kind must be meeting, meal, call, email, message, deal, referral, "
		               "help_given or help_received",
		               "kind");
		return;
	}
	enum jm_rc rc = net_interaction_add(req->db, &x, now, &x.id, &err);
	if (rc) {
		api_send_rc(req, rc, &err);
		return;
	}
	x.created_at = now;
	api_send_json(req, 201, interaction_json(&x, tz));
}

/* DELETE /api/v1/people/{id}/interactions/{iid} → 204. */
static void interactions_delete(struct req *req)
{
	int64_t id, iid;
	if (!api_path_id(req, "person", &id) || !path_id2(req, "iid", "interaction", &iid))
		return;
	enum jm_rc rc = net_interaction_delete(req->db, id, iid);
	if (rc == JM_NOT_FOUND) {
		api_send_error(req, 404, "not_found", "no such interaction", NULL);
		return;
	}
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	api_send_no_content(req);
}

/* ---- introductions ---- */

static json_t *opt_id(int64_t id)
{
	return id ? json_integer(id) : json_null();
}

static json_t *intro_json(const struct net_intro *x, int tz)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(x->id));
	json_object_set_new(o, "introducer_id", opt_id(x->introducer_id));
	json_object_set_new(o, "person_id", json_integer(x->person_id));
	json_object_set_new(o, "to_id", opt_id(x->to_id));
	json_object_set_new(o, "introducer_name", api_jstr(x->introducer_name));
	json_object_set_new(o, "person_name", api_jstr(x->person_name));
	json_object_set_new(o, "to_name", api_jstr(x->to_name));
	json_object_set_new(o, "note", api_jstr(x->note));
	json_object_set_new(o, "happened_at", api_jtime(x->happened_at));
	json_object_set_new(o, "date", day_json(x->happened_at, tz));
	json_object_set_new(o, "created_at", api_jtime(x->created_at));
	return o;
}

/* Answers with the introductions involving person_id (0 = all), or only
 * the one whose id is only_id (status 201) when only_id is not 0. */
static void send_intros(struct req *req, int64_t person_id, int64_t only_id)
{
	struct net_intro *items = NULL;
	size_t n = 0;
	int tz;
	if (!site_tz(req, &tz))
		return;
	enum jm_rc rc = net_intro_list(req->db, req->arena, person_id, &items, &n);
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		if (only_id && items[i].id == only_id) {
			json_decref(arr);
			api_send_json(req, 201, intro_json(&items[i], tz));
			return;
		}
		if (!only_id)
			json_array_append_new(arr, intro_json(&items[i], tz));
	}
	if (only_id) {
		json_decref(arr);
		api_send_rc(req, JM_DB, NULL);
		return;
	}
	api_send_json(req, 200, json_pack("{s:o}", "items", arr));
}

/* GET /api/v1/introductions?person_id= */
static void intros_index(struct req *req)
{
	struct form q;
	int64_t pid = 0;
	if (!api_query(req, &q))
		return;
	const char *s = form_get(&q, "person_id");
	if (s && *s && !api_parse_id(s, &pid)) {
		api_send_error(req, 400, "invalid_parameter",
		               "person_id must be a positive integer", "person_id");
		return;
	}
	send_intros(req, pid, 0);
}

/* key as a person id or null (0 = the owner). */
static bool get_side(struct req *req, json_t *b, const char *key, int64_t *out)
{
	json_t *v = json_object_get(b, key);
	bool has = false;
	*out = 0;
	if (json_is_null(v))
		return true;
	return api_get_id(req, b, key, out, &has);
}

/* POST /api/v1/introductions {"introducer_id"|null,"person_id","to_id"|null,
 * "date"|"happened_at","note"} → 201 + the introduction. */
static void intros_create(struct req *req)
{
	static const char *const keys[] = {"introducer_id", "person_id", "to_id", "date",
	                                   "happened_at",   "note",      NULL};
	struct net_intro x = {.note = ""};
	struct jm_err err = {0};
	bool has_pid = false, has_note = false, has_when = false;
	int64_t id = 0, now = jm_now();
	int tz;
	json_t *b = api_body(req, keys);
	if (!b || !site_tz(req, &tz) || !get_side(req, b, "introducer_id", &x.introducer_id) ||
	    !get_side(req, b, "to_id", &x.to_id) ||
	    !api_get_id(req, b, "person_id", &x.person_id, &has_pid) ||
	    !api_get_str(req, b, "note", true, &x.note, &has_note) ||
	    !get_when(req, b, tz, &x.happened_at, &has_when))
		return;
	if (!has_pid) {
		api_missing(req, "person_id");
		return;
	}
	if (!has_when)
		x.happened_at = now;
	enum jm_rc rc = net_intro_add(req->db, &x, now, &id, &err);
	if (rc == JM_NOT_FOUND) { /* an id in the body names nobody */
		if (!err.field[0])
			jm_err_set(&err, "person_id", "no such person");
		rc = JM_INVALID;
	}
	if (rc) {
		api_send_rc(req, rc, &err);
		return;
	}
	send_intros(req, x.person_id, id);
}

static void intros_delete(struct req *req)
{
	int64_t id;
	if (!api_path_id(req, "introduction", &id))
		return;
	enum jm_rc rc = net_intro_delete(req->db, id);
	if (rc == JM_NOT_FOUND) {
		api_send_error(req, 404, "not_found", "no such introduction", NULL);
		return;
	}
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	api_send_no_content(req);
}

/* ---- messages ---- */

static json_t *message_json(const struct inbox_message *m)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(m->id));
	json_object_set_new(o, "person_id", json_integer(m->person_id));
	json_object_set_new(o, "form", api_jstr(m->form));
	json_object_set_new(o, "category", api_jstr(m->category));
	json_object_set_new(o, "subject", api_jstr(m->subject));
	json_object_set_new(o, "body", api_jstr(m->body));
	json_object_set_new(o, "name", api_jstr(m->name));
	json_object_set_new(o, "email", api_jstr(m->email));
	json_object_set_new(o, "status", api_jstr(m->status));
	json_object_set_new(o, "ip", api_jstr(m->ip));
	json_object_set_new(o, "page", api_jstr(m->page));
	json_object_set_new(o, "msgid", api_jstr(m->msgid));
	json_object_set_new(o, "created_at", api_jtime(m->created_at));
	json_object_set_new(o, "updated_at", api_jtime(m->updated_at));
	return o;
}

static json_t *reply_json(const struct inbox_reply *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "message_id", json_integer(r->message_id));
	json_object_set_new(o, "user_id", opt_id(r->user_id));
	json_object_set_new(o, "subject", api_jstr(r->subject));
	json_object_set_new(o, "body", api_jstr(r->body));
	json_object_set_new(o, "msgid", api_jstr(r->msgid));
	json_object_set_new(o, "state", api_jstr(r->state));
	json_object_set_new(o, "created_at", api_jtime(r->created_at));
	return o;
}

static void send_message_rc(struct req *req, enum jm_rc rc, struct jm_err *err)
{
	if (rc == JM_NOT_FOUND && !err->msg[0])
		jm_err_set(err, NULL, "no such message");
	api_send_rc(req, rc, err);
}

/* Answers with one message and its replies (status), or with only the
 * reply reply_id (status) when reply_id is not 0. */
static void send_message(struct req *req, int status, int64_t id, int64_t reply_id)
{
	struct inbox_message m;
	struct jm_err err = {0};
	enum jm_rc rc = inbox_message_get(req->db, req->arena, id, &m);
	if (rc) {
		send_message_rc(req, rc, &err);
		return;
	}
	json_t *o = message_json(&m), *replies = json_array();
	for (size_t i = 0; i < m.nreplies; i++) {
		if (reply_id && m.replies[i].id == reply_id) {
			json_decref(o);
			json_decref(replies);
			api_send_json(req, status, reply_json(&m.replies[i]));
			return;
		}
		json_array_append_new(replies, reply_json(&m.replies[i]));
	}
	json_object_set_new(o, "replies", replies);
	api_send_json(req, status, o);
}

static bool messages_query(struct req *req, const struct form *q, struct inbox_query *iq)
{
	static const char *const statuses[] = {"new", "replied", "archived", "spam", "all"};
	memset(iq, 0, sizeof(*iq));
	if (!api_parse_pagination(req, q, &iq->page, &iq->per_page))
		return false;
	const char *st = form_get(q, "status"), *cat = form_get(q, "category");
	const char *s = form_get(q, "q"), *pid = form_get(q, "person_id");
	iq->status = st && *st ? st : NULL;
	iq->category = cat && *cat ? cat : NULL;
	iq->q = s && *s ? s : NULL;
	size_t i = 0;
	while (iq->status && i < 5 && strcmp(iq->status, statuses[i]) != 0)
		i++;
	if (i == 5) {
		api_send_error(req, 400, "invalid_parameter",
		               "status must be new, replied, archived, spam or all", "status");
		return false;
	}
	if (iq->q && strlen(iq->q) > INBOX_Q_MAX) {
		api_send_error(req, 400, "invalid_parameter", "q must be at most 200 bytes", "q");
		return false;
	}
	if (pid && *pid && !api_parse_id(pid, &iq->person_id)) {
		api_send_error(req, 400, "invalid_parameter",
		               "person_id must be a positive integer", "person_id");
		return false;
	}
	return true;
}

/* GET /api/v1/messages?status=&category=&q=&person_id=&page=&per_page= */
static void messages_index(struct req *req)
{
	struct form q;
	struct inbox_query iq;
	struct inbox_message *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	if (!api_query(req, &q) || !messages_query(req, &q, &iq))
		return;
	enum jm_rc rc = inbox_list(req->db, req->arena, &iq, &items, &n, &total);
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, message_json(&items[i]));
	api_send_json(req, 200, api_page_json(arr, iq.page, iq.per_page, total));
}

static void messages_show(struct req *req)
{
	int64_t id;
	if (api_path_id(req, "message", &id))
		send_message(req, 200, id, 0);
}

/* PATCH /api/v1/messages/{id} {"status"} */
static void messages_patch(struct req *req)
{
	static const char *const keys[] = {"status", NULL};
	struct jm_err err = {0};
	const char *status = NULL;
	bool has = false;
	int64_t id;
	if (!api_path_id(req, "message", &id))
		return;
	json_t *b = api_body(req, keys);
	if (!b || !api_get_str(req, b, "status", false, &status, &has))
		return;
	if (!has) {
		api_missing(req, "status");
		return;
	}
	enum jm_rc rc = inbox_message_set_status(req->db, id, status, jm_now(), &err);
	if (rc == JM_INVALID && !err.field[0])
		jm_err_set(&err, "status", "status must be new, replied, archived or spam");
	if (rc) {
		send_message_rc(req, rc, &err);
		return;
	}
	send_message(req, 200, id, 0);
}

/* POST /api/v1/messages/{id}/reply {"subject","body"} → 201 + the reply
 * (its "state" is the delivery's: queued until the worker sends it). */
static void messages_reply(struct req *req)
{
	static const char *const keys[] = {"subject", "body", NULL};
	const struct auth_user *user = req->user;
	struct jm_err err = {0};
	const char *subject = "", *body = NULL;
	bool has_subject = false, has_body = false;
	int64_t id, reply_id = 0;
	if (!api_path_id(req, "message", &id))
		return;
	json_t *b = api_body(req, keys);
	if (!b || !api_get_str(req, b, "subject", true, &subject, &has_subject) ||
	    !api_get_str(req, b, "body", false, &body, &has_body))
		return;
	if (!has_body) {
		api_missing(req, "body");
		return;
	}
	enum jm_rc rc = inbox_reply_send(req->db, id, user ? user->id : 0, subject, body, jm_now(),
	                                 &reply_id, &err);
	if (rc) {
		send_message_rc(req, rc, &err);
		return;
	}
	http_header(req, "location",
	            arena_sprintf(req->arena, "/api/v1/messages/%lld", (long long)id));
	send_message(req, 201, id, reply_id);
}

/* ---- reports ---- */

/* GET /api/v1/reports/funnel: counts every person, so off the loop. */
struct funnel_job {
	struct http_task job;
	int64_t now;
	int tz;
	char zone[64];
	struct net_funnel f;
	int64_t askers[4];
};

static void funnel_work(struct db *db, void *data)
{
	struct funnel_job *j = data;
	j->job.rc = net_report_funnel(db, j->job.a, j->now, j->zone, &j->f);
	if (!j->job.rc)
		j->job.rc = forms_funnel_askers(db, &j->f, j->zone, j->now, j->askers);
}

static void funnel_done(struct req *req, void *data)
{
	const struct funnel_job *j = data;
	const struct net_funnel *f = &j->f;
	if (j->job.rc) {
		api_send_rc(req, j->job.rc, NULL);
		return;
	}
	json_t *counts = json_object(), *months = json_array(), *askers = json_object();
	for (size_t i = 0; i < 4; i++) {
		json_object_set_new(counts, net_stages[i], json_integer(f->counts[i]));
		json_object_set_new(askers, net_stages[i], json_integer(j->askers[i]));
	}
	for (size_t i = 0; i < f->nmonths; i++)
		json_array_append_new(
		        months, json_pack("{s:s, s:I, s:I, s:I}", "month", f->months[i].month,
		                          "fan", (json_int_t)f->months[i].to_fan, "acquaintance",
		                          (json_int_t)f->months[i].to_acquaintance, "network",
		                          (json_int_t)f->months[i].to_network));
	api_send_json(req, 200,
	              json_pack("{s:o, s:o, s:o}", "counts", counts, "months", months,
	                        "ask_responders", askers));
}

static void reports_funnel(struct req *req)
{
	int tz;
	char zone[64];
	if (!site_tz(req, &tz) || !site_zone(req, zone))
		return;
	struct funnel_job *j = http_task_new(sizeof(*j));
	j->now = jm_now();
	j->tz = tz;
	memcpy(j->zone, zone, sizeof(zone));
	http_defer(req, funnel_work, funnel_done, j, http_task_free);
}

static json_t *circle_people(const struct net_circle_person *p, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(p[i].id));
		json_object_set_new(o, "name", api_jstr(p[i].name));
		json_object_set_new(o, "company", api_jstr(p[i].company));
		json_object_set_new(o, "stage", api_jstr(p[i].stage));
		json_object_set_new(o, "count", json_integer(p[i].count));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *circle_json(const struct net_circle *c)
{
	json_t *o = json_object(), *counts = json_object();
	json_object_set_new(counts, "kept", json_integer((json_int_t)c->nkept));
	json_object_set_new(counts, "new", json_integer((json_int_t)c->nadded));
	json_object_set_new(counts, "dropped", json_integer((json_int_t)c->ndropped));
	json_object_set_new(counts, "this_year", json_integer(c->this_year));
	json_object_set_new(counts, "last_year", json_integer(c->last_year));
	json_object_set_new(o, "year", json_integer(c->year));
	json_object_set_new(o, "counts", counts);
	json_object_set_new(o, "kept", circle_people(c->kept, c->nkept));
	json_object_set_new(o, "new", circle_people(c->added, c->nadded));
	json_object_set_new(o, "dropped", circle_people(c->dropped, c->ndropped));
	json_object_set_new(o, "network_share_pct", json_integer(c->network_share_pct));
	json_object_set_new(o, "same_faces", json_boolean(c->same_faces));
	return o;
}

/* GET /api/v1/reports/circle?year=YYYY (default: this year, site zone):
 * two years of interactions, so off the loop. */
struct circle_job {
	struct http_task job;
	int year, tz;
	char zone[64];
	struct net_circle c;
};

static void circle_work(struct db *db, void *data)
{
	struct circle_job *j = data;
	j->job.rc = net_report_circle(db, j->job.a, j->year, j->zone, &j->c);
}

static void circle_done(struct req *req, void *data)
{
	struct circle_job *j = data;
	if (j->job.rc) {
		api_send_rc(req, j->job.rc, &j->job.err);
		return;
	}
	api_send_json(req, 200, circle_json(&j->c));
}

static void reports_circle(struct req *req)
{
	struct form q;
	int64_t year = 0;
	int tz;
	char zone[64];
	if (!api_query(req, &q) || !site_tz(req, &tz) || !site_zone(req, zone))
		return;
	const char *ys = form_get(&q, "year");
	if (ys && (!api_parse_id(ys, &year) || strlen(ys) > 6)) {
		api_send_error(req, 400, "invalid_parameter", "year must be a number like 2025",
		               "year");
		return;
	}
	if (!ys) {
		time_t t = (time_t)(jm_now() + (int64_t)tz * 60);
		struct tm tm;
		gmtime_r(&t, &tm);
		year = tm.tm_year + 1900;
	}
	if (year < 1970 || year > 9999) {
		api_send_error(req, 422, "invalid", "year must be from 1970 to 9999", "year");
		return;
	}
	struct circle_job *j = http_task_new(sizeof(*j));
	j->year = (int)year;
	j->tz = tz;
	memcpy(j->zone, zone, sizeof(zone));
	http_defer(req, circle_work, circle_done, j, http_task_free);
}

void api_network_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/people/{id}/interactions", interactions_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/people/{id}/interactions", interactions_create, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/people/{id}/interactions/{iid}", interactions_delete,
	           ROUTE_API);
	router_add(r, "GET", "/api/v1/introductions", intros_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/introductions", intros_create, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/introductions/{id}", intros_delete, ROUTE_API);
	router_add(r, "GET", "/api/v1/messages", messages_index, ROUTE_API);
	router_add(r, "GET", "/api/v1/messages/{id}", messages_show, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/messages/{id}", messages_patch, ROUTE_API);
	router_add(r, "POST", "/api/v1/messages/{id}/reply", messages_reply, ROUTE_API);
	router_add(r, "GET", "/api/v1/reports/funnel", reports_funnel, ROUTE_API);
	router_add(r, "GET", "/api/v1/reports/circle", reports_circle, ROUTE_API);
}
