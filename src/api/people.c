/*
 * people.c — /api/v1/people: the people hub as JSON. List (filters, sort,
 * pages) and "who can help with X" search (q), create, show, partial
 * update (with stage changes and flags), delete, merge and the timeline.
 * Handlers stay thin: parse the request, call net_*, render with jansson.
 * The list and the search run on the worker pool (http_defer) once their
 * parameters were checked on the loop.
 *
 * Person JSON: {"id","email","name","furigana","company","title","stage",
 * "source","can_offer","looking_for","notes" (Markdown),"freeloader",
 * "blocked","touch_days","engagement","created_at","updated_at",
 * "stage_at","last_contact_at"} and, for one person, "links":[{"kind",
 * "url"}],"tags":[…],"fields":{key: value},"stage_history":[{"from","to",
 * "reason","at"}],"score":{"total","subscribed","replies","tips","forms",
 * "interactions","opens_clicks"},"give_take":{"given","received"}.
 * A search hit: {"id","name","company","stage","snippet","rank"} (lower
 * rank is better).
 *
 * Bodies are strict: an unknown key is a 422 naming it, a key with the
 * wrong JSON type is a 422 naming it, and a refused request changes
 * nothing (the stage and its reason are checked before anything is
 * written, so a PATCH is all or nothing).
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "http/http.h"
#include "network/network.h"
#include "site/site.h"

#define PERSON_LINKS_MAX  20
#define PERSON_TAGS_MAX   50
#define PERSON_FIELDS_MAX 100
#define STAGE_REASON_MAX  500
#define TIMELINE_DEFAULT  100
#define TIMELINE_MAX      500
#define SEARCH_Q_MAX      200

/* ---- shared helpers (declared in api_int.h) ---- */

void api_send_person_rc(struct req *req, enum jm_rc rc, struct jm_err *err)
{
	if (rc == JM_NOT_FOUND && !err->msg[0])
		jm_err_set(err, NULL, "no such person");
	if (rc == JM_CONFLICT && !err->field[0])
		jm_err_set(err, "email", "another person has this email");
	api_send_rc(req, rc, err);
}

/* ---- output ---- */

static json_t *person_base_json(const struct net_person *p)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(p->id));
	json_object_set_new(o, "email", api_jstr(p->email));
	json_object_set_new(o, "name", api_jstr(p->name));
	json_object_set_new(o, "furigana", api_jstr(p->furigana));
	json_object_set_new(o, "company", api_jstr(p->company));
	json_object_set_new(o, "title", api_jstr(p->title));
	json_object_set_new(o, "stage", api_jstr(p->stage));
	json_object_set_new(o, "source", api_jstr(p->source));
	json_object_set_new(o, "can_offer", api_jstr(p->can_offer));
	json_object_set_new(o, "looking_for", api_jstr(p->looking_for));
	json_object_set_new(o, "notes", api_jstr(p->notes_md));
	json_object_set_new(o, "freeloader", json_boolean(p->freeloader));
	json_object_set_new(o, "blocked", json_boolean(p->blocked));
	json_object_set_new(o, "touch_days", json_integer(p->touch_days));
	json_object_set_new(o, "engagement", json_integer(p->engagement));
	json_object_set_new(o, "created_at", api_jtime(p->created_at));
	json_object_set_new(o, "updated_at", api_jtime(p->updated_at));
	json_object_set_new(o, "stage_at", api_jtime(p->stage_at));
	json_object_set_new(o, "last_contact_at", api_jtime(p->last_contact_at));
	return o;
}

/* links, tags and custom fields of a person from net_person_get. */
static void person_lists_json(json_t *o, const struct net_person *p)
{
	json_t *links = json_array(), *tags = json_array(), *fields = json_object();
	for (size_t i = 0; i < p->nlinks; i++)
		json_array_append_new(links,
		                      json_pack("{s:o, s:o}", "kind", api_jstr(p->links[i].kind),
		                                "url", api_jstr(p->links[i].url)));
	for (size_t i = 0; i < p->ntags; i++)
		json_array_append_new(tags, api_jstr(p->tags[i]));
	for (size_t i = 0; i < p->nfields; i++)
		json_object_set_new(fields, p->field_keys[i], api_jstr(p->field_vals[i]));
	json_object_set_new(o, "links", links);
	json_object_set_new(o, "tags", tags);
	json_object_set_new(o, "fields", fields);
}

static json_t *score_json(const struct net_score *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "total", json_integer(s->total));
	json_object_set_new(o, "subscribed", json_integer(s->subscribed));
	json_object_set_new(o, "replies", json_integer(s->replies));
	json_object_set_new(o, "tips", json_integer(s->tips));
	json_object_set_new(o, "forms", json_integer(s->forms));
	json_object_set_new(o, "interactions", json_integer(s->interactions));
	json_object_set_new(o, "opens_clicks", json_integer(s->opens_clicks));
	return o;
}

static json_t *history_json(const struct net_stage_change *h, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "from", api_jstr(h[i].from));
		json_object_set_new(o, "to", api_jstr(h[i].to));
		json_object_set_new(o, "reason", api_jstr(h[i].reason));
		json_object_set_new(o, "at", api_jtime(h[i].at));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* Answers with the whole person (status 200 or 201). */
static void send_person(struct req *req, int status, int64_t id)
{
	struct net_person p;
	struct net_stage_change *h = NULL;
	struct net_score sc;
	size_t nh = 0;
	struct jm_err err = {0};
	enum jm_rc rc = net_person_get(req->db, req->arena, id, &p);
	if (!rc)
		rc = net_stage_history(req->db, req->arena, id, &h, &nh);
	if (!rc)
		rc = net_score_get(req->db, id, jm_now(), &sc);
	if (rc) {
		api_send_person_rc(req, rc, &err);
		return;
	}
	json_t *o = person_base_json(&p);
	person_lists_json(o, &p);
	json_object_set_new(o, "stage_history", history_json(h, nh));
	json_object_set_new(o, "score", score_json(&sc));
	json_object_set_new(o, "give_take",
	                    json_pack("{s:I, s:I}", "given", (json_int_t)p.given, "received",
	                              (json_int_t)p.received));
	api_send_json(req, status, o);
}

/* ---- input ---- */

/* links: an array of {"kind","url"} (null clears them). */
static bool get_links(struct req *req, json_t *b, struct net_person_input *in)
{
	static const char *const keys[] = {"kind", "url", NULL};
	json_t *v = json_object_get(b, "links");
	if (!v)
		return true;
	in->has_links = true;
	size_t n = json_is_array(v) ? json_array_size(v) : 0;
	if ((!json_is_array(v) && !json_is_null(v)) || n > PERSON_LINKS_MAX) {
		api_type_error(req, "links", "an array of at most 20 {\"kind\",\"url\"} objects");
		return false;
	}
	struct net_link *l = arena_calloc(req->arena, (n + 1) * sizeof(*l));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		json_t *k = json_object_get(e, "kind"), *u = json_object_get(e, "url");
		if (json_is_object(e) && !api_nested_keys(req, e, keys, "links"))
			return false;
		if (!json_is_object(e) || !json_is_string(u) || (k && !json_is_string(k))) {
			api_type_error(req, "links", "an array of {\"kind\",\"url\"} strings");
			return false;
		}
		l[i].kind = k ? json_string_value(k) : "site";
		l[i].url = json_string_value(u);
	}
	in->links = l;
	in->nlinks = n;
	return true;
}

/* tags: an array of strings (null clears them). */
static bool get_tags(struct req *req, json_t *b, struct net_person_input *in)
{
	json_t *v = json_object_get(b, "tags");
	if (!v)
		return true;
	in->has_tags = true;
	size_t n = json_is_array(v) ? json_array_size(v) : 0;
	if ((!json_is_array(v) && !json_is_null(v)) || n > PERSON_TAGS_MAX) {
		api_type_error(req, "tags", "an array of at most 50 strings");
		return false;
	}
	const char **t = arena_calloc(req->arena, (n + 1) * sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		if (!json_is_string(e)) {
			api_type_error(req, "tags", "an array of strings");
			return false;
		}
		t[i] = json_string_value(e);
	}
	in->tags = t;
	in->ntags = n;
	return true;
}

/* fields: an object of string values (null clears them). */
static bool get_fields(struct req *req, json_t *b, struct net_person_input *in)
{
	json_t *v = json_object_get(b, "fields");
	if (!v)
		return true;
	in->has_fields = true;
	size_t n = json_is_object(v) ? json_object_size(v) : 0, i = 0;
	if ((!json_is_object(v) && !json_is_null(v)) || n > PERSON_FIELDS_MAX) {
		api_type_error(req, "fields", "an object of at most 100 string values");
		return false;
	}
	const char **keys = arena_calloc(req->arena, (n + 1) * sizeof(*keys));
	const char **vals = arena_calloc(req->arena, (n + 1) * sizeof(*vals));
	for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it), i++) {
		json_t *e = json_object_iter_value(it);
		if (!json_is_string(e)) {
			api_type_error(req, "fields", "an object of string values");
			return false;
		}
		keys[i] = json_object_iter_key(it);
		vals[i] = json_string_value(e);
	}
	in->field_keys = keys;
	in->field_vals = vals;
	in->nfields = n;
	return true;
}

/* touch_days: an integer 0..3650 or null (0 = the stage's interval). */
static bool get_touch_days(struct req *req, json_t *b, struct net_person_input *in)
{
	json_t *v = json_object_get(b, "touch_days");
	if (!v)
		return true;
	in->has_touch_days = true;
	in->touch_days = json_is_integer(v) ? json_integer_value(v) : 0;
	if ((!json_is_integer(v) && !json_is_null(v)) || in->touch_days < 0 ||
	    in->touch_days > 3650) {
		api_type_error(req, "touch_days", "an integer from 0 to 3650 or null");
		return false;
	}
	return true;
}

static bool person_input(struct req *req, json_t *b, struct net_person_input *in)
{
	memset(in, 0, sizeof(*in));
	return api_get_str(req, b, "email", true, &in->email, &in->has_email) &&
	       api_get_str(req, b, "name", false, &in->name, &in->has_name) &&
	       api_get_str(req, b, "furigana", true, &in->furigana, &in->has_furigana) &&
	       api_get_str(req, b, "company", true, &in->company, &in->has_company) &&
	       api_get_str(req, b, "title", true, &in->title, &in->has_title) &&
	       api_get_str(req, b, "source", true, &in->source, &in->has_source) &&
	       api_get_str(req, b, "can_offer", true, &in->can_offer, &in->has_can_offer) &&
	       api_get_str(req, b, "looking_for", true, &in->looking_for, &in->has_looking_for) &&
	       api_get_str(req, b, "notes", true, &in->notes_md, &in->has_notes) &&
	       get_links(req, b, in) && get_tags(req, b, in) && get_fields(req, b, in) &&
	       get_touch_days(req, b, in);
}

/* What a body asks beside the plain fields: a stage (with its reason) and
 * the two flags. */
struct person_extra {
	const char *stage, *reason;
	bool has_stage, has_reason;
	bool freeloader, blocked, has_freeloader, has_blocked;
};

/* Reads and checks stage, stage_reason and the flags before anything is
 * written, so that their failure cannot leave a half-done request. */
static bool person_extra(struct req *req, json_t *b, struct person_extra *x)
{
	memset(x, 0, sizeof(*x));
	if (!api_get_str(req, b, "stage", false, &x->stage, &x->has_stage) ||
	    !api_get_str(req, b, "stage_reason", true, &x->reason, &x->has_reason) ||
	    !api_get_bool(req, b, "freeloader", &x->freeloader, &x->has_freeloader) ||
	    !api_get_bool(req, b, "blocked", &x->blocked, &x->has_blocked))
		return false;
	if (x->has_stage && !net_stage_valid(x->stage)) {
		api_send_error(req, 422, "invalid",
		               "stage must be reader, fan, acquaintance or network", "stage");
		return false;
	}
	if (x->has_reason && !x->has_stage) {
		api_send_error(req, 422, "invalid", "stage_reason goes with stage", "stage_reason");
		return false;
	}
	if (x->has_reason && (strlen(x->reason) > STAGE_REASON_MAX ||
	                      utf8_has_controls(x->reason, strlen(x->reason)))) {
		api_send_error(req, 422, "invalid",
		               "stage_reason must be at most 500 bytes without control characters",
		               "stage_reason");
		return false;
	}
	return true;
}

/* Applies the stage change and flags of x (already checked). */
static enum jm_rc apply_extra(struct req *req, int64_t id, const struct person_extra *x,
                              int64_t now, struct jm_err *err)
{
	enum jm_rc rc = JM_OK;
	if (x->has_stage)
		rc = net_person_set_stage(req->db, id, x->stage, x->has_reason ? x->reason : "",
		                          now, err);
	if (!rc && x->has_freeloader)
		rc = net_person_set_flag(req->db, id, "freeloader", x->freeloader, now, err);
	if (!rc && x->has_blocked)
		rc = net_person_set_flag(req->db, id, "blocked", x->blocked, now, err);
	return rc;
}

static bool input_has_any(const struct net_person_input *in)
{
	return in->has_email || in->has_name || in->has_furigana || in->has_company ||
	       in->has_title || in->has_source || in->has_can_offer || in->has_looking_for ||
	       in->has_notes || in->has_links || in->has_tags || in->has_fields ||
	       in->has_touch_days;
}

/* ---- handlers ---- */

static const char *const create_keys[] = {
        "email",       "name",       "furigana",   "company", "title", "source",
        "stage",       "tags",       "links",      "fields",  "notes", "can_offer",
        "looking_for", "touch_days", "freeloader", "blocked", NULL};
static const char *const patch_keys[] = {
        "email",       "name",       "furigana",   "company", "title",        "source",
        "stage",       "tags",       "links",      "fields",  "notes",        "can_offer",
        "looking_for", "touch_days", "freeloader", "blocked", "stage_reason", NULL};

/* POST /api/v1/people → 201 + Location + the person. */
static void people_create(struct req *req)
{
	struct net_person_input in;
	struct person_extra x;
	struct jm_err err = {0};
	int64_t id = 0, now = jm_now();
	json_t *b = api_body(req, create_keys);
	if (!b || !person_input(req, b, &in) || !person_extra(req, b, &x))
		return;
	in.stage = x.has_stage ? x.stage : NULL;
	x.has_stage = false; /* recorded by the create itself */
	enum jm_rc rc = net_person_create(req->db, &in, now, &id, &err);
	if (!rc && (rc = apply_extra(req, id, &x, now, &err)) != JM_OK)
		if (net_person_delete(req->db, id) != JM_OK)
			log_at(LOG_ERROR, "api", "msg=\"cannot undo person %lld\"", (long long)id);
	if (rc) {
		api_send_person_rc(req, rc, &err);
		return;
	}
	http_header(req, "location",
	            arena_sprintf(req->arena, "/api/v1/people/%lld", (long long)id));
	send_person(req, 201, id);
}

static void people_show(struct req *req)
{
	int64_t id;
	if (api_path_id(req, "person", &id))
		send_person(req, 200, id);
}

/* PATCH /api/v1/people/{id}: only the keys sent change. */
static void people_patch(struct req *req)
{
	struct net_person_input in;
	struct net_person cur;
	struct person_extra x;
	struct jm_err err = {0};
	int64_t id, now = jm_now();
	if (!api_path_id(req, "person", &id))
		return;
	json_t *b = api_body(req, patch_keys);
	if (!b || !person_input(req, b, &in) || !person_extra(req, b, &x))
		return;
	enum jm_rc rc = net_person_get(req->db, req->arena, id, &cur);
	if (!rc && input_has_any(&in))
		rc = net_person_update(req->db, id, &in, now, &err);
	if (!rc)
		rc = apply_extra(req, id, &x, now, &err);
	if (rc) {
		api_send_person_rc(req, rc, &err);
		return;
	}
	send_person(req, 200, id);
}

static void people_delete(struct req *req)
{
	struct jm_err err = {0};
	int64_t id;
	if (!api_path_id(req, "person", &id))
		return;
	enum jm_rc rc = net_person_delete(req->db, id);
	if (rc) {
		api_send_person_rc(req, rc, &err);
		return;
	}
	api_send_no_content(req);
}

/* POST /api/v1/people/{id}/merge {"from": id}: from is folded into {id}. */
static void people_merge(struct req *req)
{
	static const char *const keys[] = {"from", NULL};
	struct net_person into;
	struct jm_err err = {0};
	int64_t id, from = 0;
	bool has_from = false;
	if (!api_path_id(req, "person", &id))
		return;
	json_t *b = api_body(req, keys);
	if (!b || !api_get_id(req, b, "from", &from, &has_from))
		return;
	if (!has_from) {
		api_missing(req, "from");
		return;
	}
	enum jm_rc rc = net_person_get(req->db, req->arena, id, &into);
	if (rc) {
		api_send_person_rc(req, rc, &err);
		return;
	}
	if (from == id) {
		api_send_error(req, 422, "invalid", "a person cannot be merged into itself",
		               "from");
		return;
	}
	rc = net_person_merge(req->db, id, from, jm_now(), &err);
	if (rc == JM_NOT_FOUND) { /* {id} exists: the body names an unknown person */
		jm_err_set(&err, "from", "no such person");
		rc = JM_INVALID;
	}
	if (rc) {
		api_send_person_rc(req, rc, &err);
		return;
	}
	send_person(req, 200, id);
}

/* One side of an introduction: {"id","name"}, or null for the owner. */
static json_t *intro_side(int64_t id, const char *name)
{
	return id ? json_pack("{s:I,s:o}", "id", (json_int_t)id, "name", api_jstr(name))
	          : json_null();
}

/* {"introducer","person","to"}: "introducer introduced person to to". */
static json_t *intro_json(const struct net_event *e)
{
	return json_pack("{s:o,s:o,s:o}", "introducer", intro_side(e->intro_by_id, e->intro_by),
	                 "person", intro_side(e->intro_person_id, e->intro_person), "to",
	                 intro_side(e->intro_to_id, e->intro_to));
}

/* GET /api/v1/people/{id}/timeline?limit= → {"items":[{"kind","title",
 * "detail","at","ref_id","other_id","amount"}]}, newest first; an
 * introduction adds "introduction": {"introducer","person","to"}, each
 * {"id","name"} or null for the owner. */
static void people_timeline(struct req *req)
{
	struct form q;
	struct net_person p;
	struct net_event *ev = NULL;
	struct jm_err err = {0};
	size_t n = 0;
	int64_t id, limit = TIMELINE_DEFAULT;
	if (!api_path_id(req, "person", &id) || !api_query(req, &q))
		return;
	const char *ls = form_get(&q, "limit");
	if (ls && (!api_parse_id(ls, &limit) || limit > TIMELINE_MAX)) {
		api_send_error(req, 400, "invalid_parameter",
		               "limit must be an integer from 1 to 500", "limit");
		return;
	}
	enum jm_rc rc = net_person_get(req->db, req->arena, id, &p);
	if (!rc)
		rc = net_timeline(req->db, req->arena, id, (size_t)limit, &ev, &n);
	if (rc) {
		api_send_person_rc(req, rc, &err);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "kind", api_jstr(ev[i].kind));
		json_object_set_new(o, "title", api_jstr(ev[i].title));
		json_object_set_new(o, "detail", api_jstr(ev[i].detail));
		json_object_set_new(o, "at", api_jtime(ev[i].at));
		json_object_set_new(o, "ref_id", json_integer(ev[i].ref_id));
		json_object_set_new(o, "other_id", json_integer(ev[i].other_id));
		json_object_set_new(o, "amount",
		                    ev[i].has_amount ? json_integer(ev[i].amount) : json_null());
		if (strcmp(ev[i].kind, "introduction") == 0)
			json_object_set_new(o, "introduction", intro_json(&ev[i]));
		json_array_append_new(items, o);
	}
	api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

/* ---- the list and the search ---- */

static bool bad_param(struct req *req, const char *field, const char *msg)
{
	api_send_error(req, 400, "invalid_parameter", msg, field);
	return false;
}

static const char *nonempty(const struct form *q, const char *key)
{
	const char *s = form_get(q, key);
	return s && *s ? s : NULL;
}

static bool parse_sort(const char *s, enum net_sort *out)
{
	static const struct {
		const char *name;
		enum net_sort sort;
	} sorts[] = {{"engagement", NET_SORT_ENGAGEMENT},
	             {"name", NET_SORT_NAME},
	             {"last_contact", NET_SORT_LAST_CONTACT},
	             {"created", NET_SORT_CREATED}};
	for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++)
		if (strcmp(s, sorts[i].name) == 0) {
			*out = sorts[i].sort;
			return true;
		}
	return false;
}

/* contact_before / contact_after: YYYY-MM-DD in the site's zone. */
static bool contact_param(struct req *req, const struct form *q, const char *key, int64_t *out)
{
	struct site_settings st;
	const char *s = nonempty(q, key);
	if (!s)
		return true;
	if (!api_load_settings(req, &st))
		return false;
	if (!api_parse_day(s, st.tz_offset_min, out))
		return bad_param(req, key,
		                 arena_sprintf(req->arena, "%s must be a date YYYY-MM-DD", key));
	return true;
}

static bool people_query(struct req *req, const struct form *q, struct net_people_query *pq)
{
	memset(pq, 0, sizeof(*pq));
	if (!api_parse_pagination(req, q, &pq->page, &pq->per_page))
		return false;
	pq->stage = nonempty(q, "stage");
	pq->tag = nonempty(q, "tag");
	pq->flag = nonempty(q, "flag");
	pq->source = nonempty(q, "source");
	const char *sort = nonempty(q, "sort");
	if (pq->stage && !net_stage_valid(pq->stage))
		return bad_param(req, "stage",
		                 "stage must be reader, fan, acquaintance or network");
	if (pq->flag && strcmp(pq->flag, "freeloader") && strcmp(pq->flag, "blocked") &&
	    strcmp(pq->flag, "none"))
		return bad_param(req, "flag", "flag must be freeloader, blocked or none");
	if (sort && !parse_sort(sort, &pq->sort))
		return bad_param(req, "sort",
		                 "sort must be engagement, name, last_contact or created");
	return contact_param(req, q, "contact_before", &pq->contact_before) &&
	       contact_param(req, q, "contact_after", &pq->contact_after);
}

/* The filters a search takes: stage, tag and include_flagged (0|1); the
 * list's other filters and sort mean nothing there and are refused. */
static bool search_query(struct req *req, const struct form *q, struct net_search_query *sq)
{
	static const char *const list_only[] = {"flag", "source", "sort", "contact_before",
	                                        "contact_after"};
	memset(sq, 0, sizeof(*sq));
	if (!api_parse_pagination(req, q, &sq->page, &sq->per_page))
		return false;
	for (size_t i = 0; i < sizeof(list_only) / sizeof(list_only[0]); i++)
		if (nonempty(q, list_only[i]))
			return bad_param(req, list_only[i],
			                 arena_sprintf(req->arena, "%s cannot be used with q",
			                               list_only[i]));
	sq->q = nonempty(q, "q");
	sq->stage = nonempty(q, "stage");
	sq->tag = nonempty(q, "tag");
	const char *inc = nonempty(q, "include_flagged");
	if (sq->stage && !net_stage_valid(sq->stage))
		return bad_param(req, "stage",
		                 "stage must be reader, fan, acquaintance or network");
	if (inc && strcmp(inc, "0") && strcmp(inc, "1"))
		return bad_param(req, "include_flagged", "include_flagged must be 0 or 1");
	if (strlen(sq->q) > SEARCH_Q_MAX)
		return bad_param(req, "q", "q must be at most 200 bytes");
	sq->include_flagged = inc && strcmp(inc, "1") == 0;
	return true;
}

static json_t *hit_json(const struct net_hit *h)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(h->person_id));
	json_object_set_new(o, "name", api_jstr(h->name));
	json_object_set_new(o, "company", api_jstr(h->company));
	json_object_set_new(o, "stage", api_jstr(h->stage));
	json_object_set_new(o, "snippet", api_jstr(h->snippet));
	json_object_set_new(o, "rank", json_real(h->rank));
	return o;
}

/* The list and the search run on the worker pool with a copy of their
 * query in the job's arena: the search ranks every match of the index, the
 * list's total counts every matching person (a million readers is a long
 * count), and sorts or filters without a stage read every row. */
struct people_job {
	struct http_task job;
	bool search;
	struct net_search_query sq;
	struct net_people_query pq;
	struct net_hit *hits;
	struct net_person *items;
	size_t n;
	int64_t total;
};

static void people_work(struct db *db, void *data)
{
	struct people_job *j = data;
	j->job.rc = j->search ? net_search(db, j->job.a, &j->sq, &j->hits, &j->n, &j->total,
	                                   &j->job.err)
	                      : net_people_list(db, j->job.a, &j->pq, &j->items, &j->n, &j->total);
}

static void people_done(struct req *req, void *data)
{
	struct people_job *j = data;
	if (j->search && j->job.rc == JM_INVALID) {
		bad_param(req, "q", j->job.err.msg[0] ? j->job.err.msg : "q is not a valid search");
		return;
	}
	if (j->job.rc) {
		api_send_rc(req, j->job.rc, j->search ? &j->job.err : NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < j->n; i++)
		json_array_append_new(arr, j->search ? hit_json(&j->hits[i])
		                                     : person_base_json(&j->items[i]));
	json_t *o = j->search ? api_page_json(arr, j->sq.page, j->sq.per_page, j->total)
	                      : api_page_json(arr, j->pq.page, j->pq.per_page, j->total);
	if (j->search)
		json_object_set_new(o, "q", api_jstr(j->sq.q));
	api_send_json(req, 200, o);
}

static void people_search(struct req *req, const struct form *q)
{
	struct net_search_query sq;
	if (!search_query(req, q, &sq))
		return;
	struct people_job *j = http_task_new(sizeof(*j));
	j->search = true;
	j->sq = sq;
	j->sq.q = http_task_str(&j->job, sq.q);
	j->sq.stage = http_task_str(&j->job, sq.stage);
	j->sq.tag = http_task_str(&j->job, sq.tag);
	http_defer(req, people_work, people_done, j, http_task_free);
}

static void people_list(struct req *req, const struct form *q)
{
	struct net_people_query pq;
	if (!people_query(req, q, &pq))
		return;
	struct people_job *j = http_task_new(sizeof(*j));
	j->pq = pq;
	j->pq.stage = http_task_str(&j->job, pq.stage);
	j->pq.tag = http_task_str(&j->job, pq.tag);
	j->pq.flag = http_task_str(&j->job, pq.flag);
	j->pq.source = http_task_str(&j->job, pq.source);
	http_defer(req, people_work, people_done, j, http_task_free);
}

/* GET /api/v1/people: the list, or the search when q is not empty. */
static void people_index(struct req *req)
{
	struct form q;
	if (!api_query(req, &q))
		return;
	if (nonempty(&q, "q"))
		people_search(req, &q);
	else
		people_list(req, &q);
}

void api_people_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/people", people_index, ROUTE_API);
	router_add(r, "POST", "/api/v1/people", people_create, ROUTE_API);
	router_add(r, "GET", "/api/v1/people/{id}", people_show, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/people/{id}", people_patch, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/people/{id}", people_delete, ROUTE_API);
	router_add(r, "POST", "/api/v1/people/{id}/merge", people_merge, ROUTE_API);
	router_add(r, "GET", "/api/v1/people/{id}/timeline", people_timeline, ROUTE_API);
}
