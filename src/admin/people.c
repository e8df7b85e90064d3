/*
 * people.c — the people hub in the admin (人): the list with its filters
 * (stage, tag, flag, source, last contact before a day), sorts and pages;
 * the "who can help" search (net_search, ranked, with a plain-text snippet;
 * flagged people only when asked); bulk tag / untag / stage change; adding
 * a person by hand (a business card from a seminar or 異業種交流会) with the
 * form shared by the edit page; and the suggested duplicates with a merge
 * button each.
 *
 * The list, the search and the duplicates read much (a count of every
 * matching person, the whole index, every person): they run on the worker
 * pool (http_defer, struct http_task) after the filters were checked on the
 * loop.
 *
 * Invariants: handlers are thin (every rule lives in network/); bad input
 * answers 422 (409 for a taken email) with the message in the UI language
 * and changes nothing; everything a person typed is rendered escaped.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "network/network.h"
#include "site/site.h"

#define PEOPLE_PER_PAGE  50
#define PEOPLE_BULK_MAX  500
#define PEOPLE_LINKS_MAX 20
#define PEOPLE_TAGS_MAX  50
#define PEOPLE_DUPS_MAX  50
#define PEOPLE_TOUCH_MAX 3650
#define PEOPLE_QS_KEYS   8
#define PEOPLE_Q_MAX     200 /* bytes of search words (net_search's limit) */

static const char *const qs_keys[PEOPLE_QS_KEYS] = {
        "q", "stage", "tag", "flag", "source", "contact_before", "sort", "include_flagged"};

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

const char *admin_people_stage_label(const struct req *req, const char *stage)
{
	if (!net_stage_valid(stage))
		return stage ? stage : "";
	char key[64];
	snprintf(key, sizeof(key), "admin.people.stage.%s", stage);
	return admin_t(req, key);
}

struct view_val *admin_people_stage_options(struct req *req, const char *selected)
{
	struct view_val *l = view_list(req->arena);
	for (size_t i = 0; i < 4; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "value", net_stages[i]);
		view_set_str(m, "label", admin_people_stage_label(req, net_stages[i]));
		view_set_bool(m, "selected", selected && strcmp(selected, net_stages[i]) == 0);
		view_push(l, m);
	}
	return l;
}

/* ---- the list and the search ---- */

struct list_filters {
	struct net_people_query q;
	const char *text; /* the search words, NULL = list */
	const char *sort, *contact_before;
	bool include_flagged;
	const char *qs;  /* "&k=v…" for pager links */
	const char *bad; /* i18n key of a filter error, NULL = fine */
};

static bool sort_parse(const char *s, enum net_sort *out)
{
	static const char *const names[] = {"engagement", "name", "last_contact", "created"};
	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum net_sort)i;
			return true;
		}
	return false;
}

static void filters_qs(struct req *req, const struct form *f, struct list_filters *lf)
{
	struct buf b;
	buf_init(&b, 8192);
	for (size_t i = 0; i < PEOPLE_QS_KEYS; i++) {
		const char *val = form_get(f, qs_keys[i]);
		if (!val || !*val)
			continue;
		if (buf_appendf(&b, "&%s=", qs_keys[i]) != JM_OK ||
		    http_url_encode(&b, val, strlen(val)) != JM_OK)
			break;
	}
	lf->qs = arena_strdup(req->arena, buf_cstr(&b));
	buf_free(&b);
}

/* Reads the filters; an unknown stage/flag/sort or a bad day sets lf->bad. */
static void read_filters(struct req *req, int tz, struct list_filters *lf)
{
	struct form f;
	struct jm_err err = {0};
	int64_t v = 0;
	memset(lf, 0, sizeof(*lf));
	lf->q.page = 1;
	lf->q.per_page = PEOPLE_PER_PAGE;
	lf->qs = "";
	if (http_req_query(req, &f, &err) != JM_OK) {
		lf->bad = "admin.err.bad_request";
		return;
	}
	lf->text = nonempty(form_get(&f, "q"));
	lf->q.stage = nonempty(form_get(&f, "stage"));
	lf->q.tag = nonempty(form_get(&f, "tag"));
	lf->q.flag = nonempty(form_get(&f, "flag"));
	lf->q.source = nonempty(form_get(&f, "source"));
	lf->sort = nonempty(form_get(&f, "sort"));
	lf->contact_before = nonempty(form_get(&f, "contact_before"));
	lf->include_flagged = nonempty(form_get(&f, "include_flagged")) != NULL;
	if (admin_nl_int(form_get(&f, "page"), &v) && v > 0 && v < 1000000)
		lf->q.page = (int)v;
	filters_qs(req, &f, lf);
	if (lf->q.stage && !net_stage_valid(lf->q.stage))
		lf->bad = "admin.people.err_stage";
	if (lf->q.flag && strcmp(lf->q.flag, "freeloader") != 0 &&
	    strcmp(lf->q.flag, "blocked") != 0 && strcmp(lf->q.flag, "none") != 0)
		lf->bad = "admin.people.err_flag";
	if (lf->text && strlen(lf->text) > PEOPLE_Q_MAX)
		lf->bad = "admin.people.err_query";
	if (lf->sort && !sort_parse(lf->sort, &lf->q.sort))
		lf->bad = "admin.people.err_sort";
	if (lf->contact_before) {
		const char *t = arena_sprintf(req->arena, "%.10s 00:00", lf->contact_before);
		if (strlen(lf->contact_before) != 10 ||
		    jm_time_parse(t, tz, &lf->q.contact_before) != JM_OK)
			lf->bad = "admin.people.err_date";
	}
}

static struct view_val *person_row(struct req *req, const struct net_person *p, int tz, int64_t me)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", p->id);
	view_set_bool(m, "me", p->id == me); /* the owner: わたし, not one more person */
	view_set_str(m, "name", p->name);
	view_set_str(m, "furigana", p->furigana);
	view_set_str(m, "email", p->email);
	view_set_str(m, "company", p->company);
	view_set_str(m, "title", p->title);
	view_set_str(m, "stage", p->stage);
	view_set_str(m, "stage_label", admin_people_stage_label(req, p->stage));
	view_set_bool(m, "freeloader", p->freeloader);
	view_set_bool(m, "blocked", p->blocked);
	view_set_int(m, "engagement", p->engagement);
	view_set_str(m, "last_contact", admin_time_fmt(req->arena, p->last_contact_at, tz, ' '));
	view_set_str(m, "created_at", admin_time_fmt(req->arena, p->created_at, tz, ' '));
	return m;
}

static struct view_val *hit_row(struct req *req, const struct net_hit *h, int64_t me)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", h->person_id);
	view_set_bool(m, "me", h->person_id == me); /* わたし, with no stage of its own */
	view_set_str(m, "name", h->name);
	view_set_str(m, "company", h->company);
	view_set_str(m, "stage", h->stage);
	view_set_str(m, "stage_label", admin_people_stage_label(req, h->stage));
	view_set_str(m, "snippet", h->snippet);
	return m;
}

static void set_filters_ctx(struct req *req, struct view_val *ctx, const struct list_filters *lf)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "q", lf->text ? lf->text : "");
	view_set_str(m, "stage", lf->q.stage ? lf->q.stage : "");
	view_set_str(m, "tag", lf->q.tag ? lf->q.tag : "");
	view_set_str(m, "flag", lf->q.flag ? lf->q.flag : "");
	view_set_str(m, "source", lf->q.source ? lf->q.source : "");
	view_set_str(m, "sort", lf->sort ? lf->sort : "engagement");
	view_set_str(m, "contact_before", lf->contact_before ? lf->contact_before : "");
	view_set_bool(m, "include_flagged", lf->include_flagged);
	view_set(ctx, "f", m);
	view_set(ctx, "stages", admin_people_stage_options(req, lf->q.stage));
}

static void set_pager(struct req *req, struct view_val *ctx, const struct list_filters *lf,
                      int64_t total)
{
	int64_t pages = (total + PEOPLE_PER_PAGE - 1) / PEOPLE_PER_PAGE;
	view_set_int(ctx, "total", total);
	view_set_int(ctx, "page", lf->q.page);
	view_set_int(ctx, "pages", pages ? pages : 1);
	if (lf->q.page > 1)
		view_set_int(ctx, "prev_page", lf->q.page - 1);
	if (lf->q.page < pages)
		view_set_int(ctx, "next_page", lf->q.page + 1);
	view_set_str(ctx, "qs", lf->qs);
	view_set_str(ctx, "back",
	             arena_sprintf(req->arena, "/admin/people?page=%d%s", lf->q.page, lf->qs));
}

static struct view_val *page_ctx(struct req *req, const struct list_filters *lf)
{
	struct view_val *ctx = admin_ctx(req, "people");
	set_filters_ctx(req, ctx, lf);
	view_set_bool(ctx, "searching", lf->text != NULL);
	return ctx;
}

/* Answers once the rows are in ctx: a bad filter or query is a 422 on the
 * same page, any other failure a 500. */
static void people_page(struct req *req, struct view_val *ctx, struct list_filters *lf,
                        enum jm_rc rc, int64_t total)
{
	if (rc == JM_INVALID || rc == JM_TOO_LARGE)
		lf->bad = "admin.people.err_query";
	else if (rc) {
		admin_fail(req, lf->text ? "net_search" : "net_people_list", rc);
		return;
	}
	set_pager(req, ctx, lf, total);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	if (lf->bad)
		view_set_str(ctx, "error", admin_t(req, lf->bad));
	admin_render(req, lf->bad ? 422 : 200, "admin/people.html", ctx);
}

/* The list and the search run on the worker pool with a copy of their
 * query in the job's arena: the search ranks every match of the index, the
 * list's total counts every matching person (a million readers is a long
 * count), and sorts or filters without a stage read every row. */
struct people_job {
	struct http_task job;
	int tz;
	bool search;
	struct net_search_query sq;
	struct net_people_query q;
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
	                      : net_people_list(db, j->job.a, &j->q, &j->items, &j->n, &j->total);
}

/* Back on the loop the filters are read again from the request (cheap,
 * and the same as before) for the form and the pager. */
static void people_done(struct req *req, void *data)
{
	struct people_job *j = data;
	struct list_filters lf;
	read_filters(req, j->tz, &lf);
	struct view_val *ctx = page_ctx(req, &lf);
	int64_t me = 0;
	if (net_owner_person(req->db, &me) != JM_OK)
		me = 0;
	if (!j->job.rc) {
		struct view_val *rows = view_list(req->arena);
		for (size_t i = 0; i < j->n; i++)
			view_push(rows, j->search ? hit_row(req, &j->hits[i], me)
			                          : person_row(req, &j->items[i], j->tz, me));
		view_set(ctx, j->search ? "hits" : "people", rows);
	}
	people_page(req, ctx, &lf, j->job.rc, j->total);
}

static void people_start(struct req *req, const struct list_filters *lf, int tz)
{
	struct people_job *j = http_task_new(sizeof(*j));
	j->tz = tz;
	j->search = lf->text != NULL;
	j->sq.q = http_task_str(&j->job, lf->text);
	j->sq.stage = http_task_str(&j->job, lf->q.stage);
	j->sq.tag = http_task_str(&j->job, lf->q.tag);
	j->sq.include_flagged = lf->include_flagged;
	j->sq.page = lf->q.page;
	j->sq.per_page = PEOPLE_PER_PAGE;
	j->q = lf->q;
	j->q.stage = j->sq.stage;
	j->q.tag = j->sq.tag;
	j->q.flag = http_task_str(&j->job, lf->q.flag);
	j->q.source = http_task_str(&j->job, lf->q.source);
	http_defer(req, people_work, people_done, j, http_task_free);
}

static void admin_people_list(struct req *req)
{
	struct list_filters lf;
	struct site_settings s;
	if (!admin_settings(req, &s))
		return;
	read_filters(req, s.tz_offset_min, &lf);
	if (lf.bad) {
		people_page(req, page_ctx(req, &lf), &lf, JM_OK, 0);
		return;
	}
	people_start(req, &lf, s.tz_offset_min);
}

/* ---- bulk actions ---- */

static size_t read_ids(struct req *req, const struct form *f, int64_t **ids)
{
	const char **raw = arena_alloc(req->arena, PEOPLE_BULK_MAX * sizeof(char *));
	size_t n = form_get_all(f, "id", raw, PEOPLE_BULK_MAX), k = 0;
	*ids = arena_alloc(req->arena, (n + 1) * sizeof(int64_t));
	for (size_t i = 0; i < n; i++)
		if (admin_nl_int(raw[i], &(*ids)[k]) && (*ids)[k] > 0)
			k++;
	return k;
}

static bool bulk_op(const char *s, enum net_bulk_op *op)
{
	if (s && strcmp(s, "tag") == 0)
		*op = NET_BULK_TAG;
	else if (s && strcmp(s, "untag") == 0)
		*op = NET_BULK_UNTAG;
	else if (s && strcmp(s, "stage") == 0)
		*op = NET_BULK_STAGE;
	else
		return false;
	return true;
}

static void admin_people_bulk(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	enum net_bulk_op op;
	int64_t *ids = NULL;
	if (!admin_form(req, &f))
		return;
	const char *back = form_get(&f, "back");
	if (!admin_safe_next(back) || strncmp(back, "/admin/people", 13) != 0)
		back = "/admin/people";
	size_t n = read_ids(req, &f, &ids);
	const char *arg = form_get(&f, "arg");
	if (!bulk_op(form_get(&f, "op"), &op)) {
		admin_error(req, 422, "admin.people.err_op");
		return;
	}
	/* A stage change comes from the stage select; "arg" is the tag box
	 * (and the stage in forms from before the select). */
	if (op == NET_BULK_STAGE && nonempty(form_get(&f, "stage")))
		arg = form_get(&f, "stage");
	if (n == 0) {
		admin_error(req, 422, "admin.people.err_none_selected");
		return;
	}
	if (!arg || !*arg || (op == NET_BULK_STAGE && !net_stage_valid(arg))) {
		admin_error(req, 422,
		            op == NET_BULK_STAGE ? "admin.people.err_stage"
		                                 : "admin.people.err_tag");
		return;
	}
	enum jm_rc rc = net_people_bulk(req->db, op, ids, n, arg, jm_now(), &err);
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		admin_error(req, 422,
		            op == NET_BULK_STAGE ? "admin.people.err_stage"
		                                 : "admin.people.err_tag");
		return;
	}
	if (!admin_check(req, rc, "net_people_bulk"))
		return;
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "%s%sdone=bulk_%s", back,
	                            strchr(back, '?') ? "&" : "?", form_get(&f, "op")));
}

/* ---- the person form (new and edit) ---- */

/* Splits on , 、 ， and trims ASCII and ideographic spaces. */
static size_t split_tags(struct req *req, const char *s, const char **out, size_t max, bool *over)
{
	size_t n = 0;
	*over = false;
	while (s && *s) {
		size_t len = 0, adv = 0;
		while (s[len] && s[len] != ',' && strncmp(s + len, "、", 3) != 0 &&
		       strncmp(s + len, "，", 3) != 0)
			len++;
		adv = len + (s[len] == ',' ? 1 : (s[len] ? 3 : 0));
		const char *b = s, *e = s + len;
		for (;;) {
			if (b < e && (*b == ' ' || *b == '\t'))
				b++;
			else if (e - b >= 3 && strncmp(b, "　", 3) == 0)
				b += 3;
			else
				break;
		}
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
			e--;
		while (e - b >= 3 && strncmp(e - 3, "　", 3) == 0)
			e -= 3;
		if (e > b && n == max)
			*over = true;
		else if (e > b)
			out[n++] = arena_strndup(req->arena, b, (size_t)(e - b));
		s += adv;
	}
	return n;
}

static const char *link_kind_for(const char *url)
{
	static const struct {
		const char *host, *kind;
	} hosts[] = {{"x.com", "x"},
	             {"twitter.com", "x"},
	             {"facebook.com", "facebook"},
	             {"linkedin.com", "linkedin"},
	             {"note.com", "note"},
	             {"youtube.com", "youtube"},
	             {"instagram.com", "instagram"},
	             {"github.com", "github"}};
	const char *h = strstr(url, "://");
	h = h ? h + 3 : url;
	if (strncmp(h, "www.", 4) == 0)
		h += 4;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		size_t n = strlen(hosts[i].host);
		if (strncmp(h, hosts[i].host, n) == 0 &&
		    (h[n] == '/' || h[n] == '\0' || h[n] == ':'))
			return hosts[i].kind;
	}
	return "site";
}

/* One link a line: "URL" or "kind URL". */
static bool parse_links(struct req *req, const char *s, struct net_person_input *in)
{
	struct net_link *links = arena_calloc(req->arena, PEOPLE_LINKS_MAX * sizeof(*links));
	size_t n = 0;
	while (s && *s) {
		size_t len = strcspn(s, "\n");
		char *line = arena_strndup(req->arena, s, len);
		s += len + (s[len] ? 1 : 0);
		char *b = line, *e = line + strlen(line);
		while (*b == ' ' || *b == '\t')
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (!*b)
			continue;
		if (n == PEOPLE_LINKS_MAX)
			return false;
		char *sp = b + strcspn(b, " \t");
		if (*sp && strncmp(b, "http", 4) != 0) {
			*sp++ = '\0';
			while (*sp == ' ' || *sp == '\t')
				sp++;
			links[n].kind = b;
			links[n].url = sp;
		} else {
			links[n].kind = link_kind_for(b);
			links[n].url = b;
		}
		n++;
	}
	in->links = links;
	in->nlinks = n;
	return true;
}

static const char *field_or(const struct form *f, const char *key)
{
	const char *v = form_get(f, key);
	return v ? v : "";
}

static bool read_extras(struct req *req, const struct form *f, bool create,
                        struct net_person_input *in, struct jm_err *err)
{
	int64_t touch = 0;
	const char *td = field_or(f, "touch_days");
	if (*td && (!admin_nl_int(td, &touch) || touch > PEOPLE_TOUCH_MAX)) {
		jm_err_set(err, "touch_days", "%s",
		           admin_t(req, "admin.people.invalid.touch_days"));
		return false;
	}
	in->touch_days = touch;
	in->has_touch_days = true;
	if (create) {
		in->stage = nonempty(form_get(f, "stage"));
		if (in->stage && !net_stage_valid(in->stage)) {
			jm_err_set(err, "stage", "%s", admin_t(req, "admin.people.err_stage"));
			return false;
		}
	}
	if (!*in->name && !*in->email) {
		jm_err_set(err, "name", "%s", admin_t(req, "admin.people.err_name_or_email"));
		return false;
	}
	return true;
}

bool admin_people_read_form(struct req *req, const struct form *f, bool create,
                            struct net_person_input *in, struct jm_err *err)
{
	bool over = false;
	memset(in, 0, sizeof(*in));
	in->name = field_or(f, "name");
	in->furigana = field_or(f, "furigana");
	in->email = field_or(f, "email");
	in->company = field_or(f, "company");
	in->title = field_or(f, "title");
	in->source = form_get(f, "source") ? form_get(f, "source") : (create ? "manual" : "");
	in->can_offer = field_or(f, "can_offer");
	in->looking_for = field_or(f, "looking_for");
	in->notes_md = field_or(f, "notes");
	in->has_name = in->has_furigana = in->has_email = in->has_company = in->has_title = true;
	in->has_source = in->has_can_offer = in->has_looking_for = in->has_notes = true;
	in->has_links = in->has_tags = true;
	const char **tags = arena_alloc(req->arena, PEOPLE_TAGS_MAX * sizeof(char *));
	in->ntags = split_tags(req, field_or(f, "tags"), tags, PEOPLE_TAGS_MAX, &over);
	in->tags = tags;
	if (over) {
		jm_err_set(err, "tags", "%s", admin_t(req, "admin.people.invalid.tags"));
		return false;
	}
	if (!parse_links(req, field_or(f, "links"), in)) {
		jm_err_set(err, "links", "%s", admin_t(req, "admin.people.invalid.links"));
		return false;
	}
	return read_extras(req, f, create, in, err);
}

static void form_values_from_person(struct req *req, struct view_val *v, const struct net_person *p)
{
	struct buf b;
	buf_init(&b, 64 * 1024);
	view_set_str(v, "name", p->name);
	view_set_str(v, "furigana", p->furigana);
	view_set_str(v, "email", p->email);
	view_set_str(v, "company", p->company);
	view_set_str(v, "title", p->title);
	view_set_str(v, "source", p->source);
	view_set_str(v, "can_offer", p->can_offer);
	view_set_str(v, "looking_for", p->looking_for);
	view_set_str(v, "notes", p->notes_md);
	view_set_str(v, "tags", arena_join(req->arena, p->tags, p->ntags, ", "));
	if (p->touch_days > 0)
		view_set_int(v, "touch_days", p->touch_days);
	for (size_t i = 0; i < p->nlinks; i++)
		if (buf_appendf(&b, "%s %s\n", p->links[i].kind, p->links[i].url) != JM_OK)
			break;
	view_set_str(v, "links", arena_strdup(req->arena, buf_cstr(&b)));
	buf_free(&b);
}

void admin_people_form_page(struct req *req, int status, int64_t id, const struct form *f,
                            const struct net_person *p, const struct jm_err *err)
{
	static const char *const keys[] = {"name",      "furigana",    "email", "company",
	                                   "title",     "source",      "tags",  "links",
	                                   "can_offer", "looking_for", "notes", "touch_days"};
	struct view_val *ctx = admin_ctx(req, "people");
	struct view_val *v = view_map(req->arena);
	if (f) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			view_set_str(v, keys[i], form_get(f, keys[i]));
	} else if (p) {
		form_values_from_person(req, v, p);
	} else {
		view_set_str(v, "source", "manual");
	}
	view_set(ctx, "v", v);
	view_set_int(ctx, "id", id);
	view_set_bool(ctx, "is_new", id == 0);
	if (id == 0)
		view_set(
		        ctx, "stages",
		        admin_people_stage_options(req, f ? form_get(f, "stage") : "acquaintance"));
	if (err && err->msg[0]) {
		struct view_val *errors = view_map(req->arena);
		view_set_str(errors, err->field[0] ? err->field : "form",
		             arena_strdup(req->arena, err->msg));
		view_set(ctx, "errors", errors);
		view_set_str(ctx, "error", arena_strdup(req->arena, err->msg));
	}
	admin_render(req, status, "admin/person_form.html", ctx);
}

static void admin_people_new(struct req *req)
{
	admin_people_form_page(req, 200, 0, NULL, NULL, NULL);
}

static void admin_people_create(struct req *req)
{
	struct form f;
	struct net_person_input in;
	struct jm_err err = {0};
	int64_t id = 0;
	if (!admin_form(req, &f))
		return;
	if (!admin_people_read_form(req, &f, true, &in, &err)) {
		admin_people_form_page(req, 422, 0, &f, NULL, &err);
		return;
	}
	enum jm_rc rc = net_person_create(req->db, &in, jm_now(), &id, &err);
	if (rc == JM_CONFLICT) {
		jm_err_set(&err, "email", "%s", admin_t(req, "admin.people.err_email_taken"));
		admin_people_form_page(req, 409, 0, &f, NULL, &err);
		return;
	}
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		admin_err_localize(req, &err, "admin.people.invalid.", "admin.err.invalid");
		admin_err_email(req, &err, form_get(&f, "email"));
		admin_people_form_page(req, 422, 0, &f, NULL, &err);
		return;
	}
	if (!admin_check(req, rc, "net_person_create"))
		return;
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/people/%lld?done=created", (long long)id));
}

/* ---- duplicates ---- */

/* net_duplicates reads every person: the pairs and both people of each
 * are read on the worker pool. */
struct dups_job {
	struct http_task job;
	struct net_dup *d;
	size_t n;
	struct net_person *sides; /* a and b of each pair; id 0 = unreadable */
};

static void dups_work(struct db *db, void *data)
{
	struct dups_job *j = data;
	j->job.rc = net_duplicates(db, j->job.a, PEOPLE_DUPS_MAX, &j->d, &j->n);
	if (j->job.rc)
		return;
	j->sides = arena_calloc(j->job.a, (2 * j->n + 1) * sizeof(*j->sides));
	for (size_t i = 0; i < 2 * j->n; i++) {
		int64_t id = i % 2 ? j->d[i / 2].b : j->d[i / 2].a;
		if (net_person_get(db, j->job.a, id, &j->sides[i]) != JM_OK)
			memset(&j->sides[i], 0, sizeof(j->sides[i]));
	}
}

static struct view_val *dup_side(struct req *req, int64_t id, const struct net_person *p)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", id);
	if (!p->id)
		return m;
	view_set_str(m, "name", p->name);
	view_set_str(m, "furigana", p->furigana);
	view_set_str(m, "email", p->email);
	view_set_str(m, "company", p->company);
	view_set_str(m, "stage", p->stage);
	view_set_str(m, "stage_label", admin_people_stage_label(req, p->stage));
	return m;
}

static void dups_done(struct req *req, void *data)
{
	struct dups_job *j = data;
	if (!admin_check(req, j->job.rc, "net_duplicates"))
		return;
	struct view_val *ctx = admin_ctx(req, "people");
	struct view_val *l = view_list(req->arena);
	for (size_t i = 0; i < j->n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set(m, "a", dup_side(req, j->d[i].a, &j->sides[2 * i]));
		view_set(m, "b", dup_side(req, j->d[i].b, &j->sides[2 * i + 1]));
		view_set_str(m, "why", j->d[i].why);
		view_push(l, m);
	}
	view_set(ctx, "pairs", l);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, 200, "admin/people_duplicates.html", ctx);
}

static void admin_people_duplicates(struct req *req)
{
	struct dups_job *j = http_task_new(sizeof(*j));
	http_defer(req, dups_work, dups_done, j, http_task_free);
}

void admin_people_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/people", admin_people_list, adm);
	router_add(r, "POST", "/admin/people", admin_people_create, adm);
	router_add(r, "GET", "/admin/people/new", admin_people_new, adm);
	router_add(r, "POST", "/admin/people/bulk", admin_people_bulk, adm);
	router_add(r, "GET", "/admin/people/duplicates", admin_people_duplicates, adm);
	admin_picker_routes(r);
	admin_person_routes(r);
}
