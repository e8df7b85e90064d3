/*
 * picker.c — choosing another person without knowing their id: the
 * search-as-you-type endpoint behind admin.js's person picker
 * (GET /admin/people/suggest?q= → {"items": [{id, name, company, email,
 * stage, stage_label}]}) and the rule every form that names another person
 * (introductions, merge) resolves it by.
 *
 * The rule, in order: the picker's hidden `<field>_id` when it holds an id;
 * the typed text as an id ("42" or "#42"); as an email address (it holds
 * an '@'); as a name that exactly one person has (network/lookup.c compares
 * names folded with spaces dropped). An ambiguous or unknown name is bad
 * input (422) with the candidates listed, and nothing changes.
 *
 * The suggestions search the whole index, so they run on the worker pool;
 * resolving a name on submit is one search of at most 100 hits, answered
 * on the loop like the form's other short queries.
 *
 * Also here: the custom fields of the lists as select options, for the
 * audience conditions and the reader filter that used to take a raw key.
 */
#include "admin/admin_int.h"

#include "app.h"

#include "network/network.h"
#include "newsletter/newsletter.h"

#include <jansson.h>

#define PICK_Q_MAX     200 /* bytes, net_search's limit */
#define PICK_SUGGEST   8
#define PICK_CANDIDATE 8

static bool id_text(const char *s, int64_t *id)
{
	if (s && *s == '#')
		s++;
	return s && *s && strspn(s, "0123456789") == strlen(s) && admin_nl_int(s, id) && *id > 0;
}

/* "佐藤 健 · 青空出版 · sato@example.jp · ID 12" */
static const char *pick_label(struct req *req, const struct net_pick *p)
{
	return arena_sprintf(req->arena, "%s%s%s%s%s · ID %lld", *p->name ? p->name : p->email,
	                     *p->company ? " · " : "", p->company,
	                     *p->name && *p->email ? " · " : "", *p->name ? p->email : "",
	                     (long long)p->id);
}

static struct view_val *cand_list(struct req *req, const struct net_pick *p, size_t n)
{
	struct view_val *l = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", p[i].id);
		view_set_str(m, "label", pick_label(req, &p[i]));
		view_push(l, m);
	}
	return l;
}

static bool by_name(struct req *req, const char *s, const char *field, int64_t *id,
                    struct jm_err *err, struct view_val **cands)
{
	struct net_pick *p = NULL;
	size_t n = 0;
	bool exact = false;
	enum jm_rc rc = strlen(s) > PICK_Q_MAX
	                        ? JM_INVALID
	                        : net_person_find_name(req->db, req->arena, s, PICK_CANDIDATE, &p,
	                                               &n, &exact);
	if (rc == JM_OK && exact && n == 1) {
		*id = p[0].id;
		return true;
	}
	const char *key = rc != JM_OK ? "admin.people.err_person_ref"
	                  : exact     ? "admin.people.err_ambiguous"
	                  : n         ? "admin.people.err_no_name_near"
	                              : "admin.people.err_no_name";
	jm_err_set(err, field, "%s", admin_t(req, key));
	if (rc == JM_OK && n && cands)
		*cands = cand_list(req, p, n > PICK_CANDIDATE ? PICK_CANDIDATE : n);
	return false;
}

bool admin_people_resolve(struct req *req, const struct form *f, const char *field, int64_t *id,
                          struct jm_err *err, struct view_val **cands)
{
	const char *picked[4] = {0};
	size_t np = form_get_all(f, arena_sprintf(req->arena, "%s_id", field), picked, 4);
	if (cands)
		*cands = NULL;
	for (size_t i = 0; i < np; i++) /* the picker's (maybe empty) and a candidate button's */
		if (id_text(picked[i], id))
			return true;
	const char *s = form_get(f, field);
	while (s && (*s == ' ' || *s == '\t'))
		s++;
	if (id_text(s, id))
		return true;
	if (!s || !*s) {
		jm_err_set(err, field, "%s", admin_t(req, "admin.people.err_person_ref"));
		return false;
	}
	if (!strchr(s, '@'))
		return by_name(req, s, field, id, err, cands);
	enum jm_rc rc = net_person_find_email(req->db, s, id);
	if (rc == JM_OK)
		return true;
	jm_err_set(err, field, "%s",
	           admin_t(req, rc == JM_NOT_FOUND ? "admin.people.err_no_such_person"
	                                           : "admin.people.err_person_ref"));
	return false;
}

/* ---- GET /admin/people/suggest ---- */

struct suggest_job {
	struct http_task job;
	const char *q;
	struct net_pick *items;
	size_t n;
};

static void suggest_work(struct db *db, void *data)
{
	struct suggest_job *j = data;
	j->job.rc = net_person_suggest(db, j->job.a, j->q, PICK_SUGGEST, &j->items, &j->n);
}

static void suggest_send(struct req *req, const struct net_pick *p, size_t n)
{
	json_t *root = json_object(), *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id",
		                                     (json_int_t)p[i].id, "name", p[i].name,
		                                     "company", p[i].company, "email", p[i].email,
		                                     "stage", p[i].stage, "stage_label",
		                                     admin_people_stage_label(req, p[i].stage)));
	json_object_set_new(root, "items", arr);
	char *s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!s) {
		admin_fail(req, "suggest", JM_NOMEM);
		return;
	}
	http_header(req, "Cache-Control", "no-store");
	http_send(req, 200, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

static void suggest_done(struct req *req, void *data)
{
	struct suggest_job *j = data;
	/* words the index cannot search (only punctuation…) find nobody */
	if (j->job.rc == JM_INVALID || j->job.rc == JM_TOO_LARGE)
		suggest_send(req, NULL, 0);
	else if (j->job.rc)
		admin_fail(req, "net_person_suggest", j->job.rc);
	else
		suggest_send(req, j->items, j->n);
}

static void admin_people_suggest(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	if (http_req_query(req, &f, &err) != JM_OK) {
		admin_error(req, 400, "admin.err.bad_request");
		return;
	}
	const char *q = form_get(&f, "q");
	if (!q || !*q || strlen(q) > PICK_Q_MAX) {
		suggest_send(req, NULL, 0);
		return;
	}
	struct suggest_job *j = http_task_new(sizeof(*j));
	j->q = http_task_str(&j->job, q);
	http_defer(req, suggest_work, suggest_done, j, http_task_free);
}

void admin_picker_routes(struct router *r)
{
	router_add(r, "GET", "/admin/people/suggest", admin_people_suggest,
	           ROUTE_ADMIN | ROUTE_CSRF);
}

/* ---- custom fields as a select (audience conditions, the reader filter) ---- */

static bool opt_has(const char *const *seen, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(seen[i], key) == 0)
			return true;
	return false;
}

struct view_val *admin_field_options(struct req *req, int64_t list_id, const char *selected)
{
	struct view_val *l = view_list(req->arena);
	struct nl_list *lists = NULL;
	size_t n = 0, ns = 0;
	const char *seen[256];
	if (nl_list_all_brief(req->db, req->arena, false, &lists, &n) != JM_OK)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		if (list_id && lists[i].id != list_id)
			continue;
		for (size_t k = 0; k < lists[i].nfields && ns < 256; k++) {
			const struct nl_field *fd = &lists[i].fields[k];
			if (opt_has(seen, ns, fd->key))
				continue;
			seen[ns++] = fd->key;
			struct view_val *m = view_map(req->arena);
			view_set_str(m, "value", fd->key);
			view_set_str(m, "label",
			             *fd->label ? arena_sprintf(req->arena, "%s（%s）", fd->label,
			                                        fd->key)
			                        : fd->key);
			view_set_bool(m, "selected", selected && strcmp(selected, fd->key) == 0);
			view_push(l, m);
		}
	}
	/* A key no list defines (any more) stays choosable as it was saved. */
	if (selected && *selected && !opt_has(seen, ns, selected)) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "value", selected);
		view_set_str(m, "label", selected);
		view_set_bool(m, "selected", true);
		view_push(l, m);
	}
	return l;
}

/* ---- internal source values in words ---- */

const char *admin_source_label(struct req *req, const char *raw)
{
	static const char *const words[] = {"admin",  "contact", "newsletter", "staff",
	                                    "manual", "import",  "created",    "bulk"};
	if (!raw || !*raw)
		return "";
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(raw, words[i]) == 0)
			return admin_t(req, arena_sprintf(req->arena, "admin.src.%s", words[i]));
	const char *imp = admin_t(req, "admin.src.import");
	if (strncmp(raw, "import file=", 12) == 0) { /* "import file=F by=W at=T" */
		const char *end = strstr(raw + 12, " by=");
		int n = end ? (int)(end - raw - 12) : (int)strlen(raw + 12);
		return arena_sprintf(req->arena, "%s（%.*s）", imp, n, raw + 12);
	}
	if (strncmp(raw, "import:", 7) == 0)
		return arena_sprintf(req->arena, "%s（%s）", imp, raw + 7);
	if (raw[0] == '/' || strncmp(raw, "http://", 7) == 0 || strncmp(raw, "https://", 8) == 0)
		return arena_sprintf(req->arena, "%s（%s）", admin_t(req, "admin.src.signup"), raw);
	return raw;
}
