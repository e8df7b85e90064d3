/*
 * reports.c — the network reports in the admin: the funnel (people per
 * stage and monthly moves up, as an inline SVG chart, with the data again
 * as a table), suggestions to review and who is due to keep in touch
 * (GET /admin/reports); the yearly circle review with its kept / new /
 * dropped lists and the 「去年と同じ顔ぶれです」 warning
 * (GET /admin/reports/circle?year=); and the network map page with its
 * filters (GET /admin/map) embedding the SVG drawn by Graphviz
 * (GET /admin/map.svg).
 *
 * The reports read whole tables or years of interactions and the map runs
 * a graph layout, so all of them run on the worker pool (http_defer) with
 * their own arena; the done callback renders on the loop thread. Bad
 * filters (year, stage, tag) answer 400 with a message and read nothing.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "forms/forms.h"
#include "network/network.h"
#include "site/site.h"

#define REP_SUGGEST_MAX 20
#define REP_DUE_MAX     20
#define REP_LIST_MAX    500 /* people shown per circle list */
#define REP_SVG_CAP     (1u << 20)
#define MAP_SVG_CAP     (64u << 20)
#define REP_TAG_MAX     60
#define REP_YEARS       10 /* years offered in the selector */

static const char *const stage_keys[4] = {"admin.reports.stage_reader", "admin.reports.stage_fan",
                                          "admin.reports.stage_acquaintance",
                                          "admin.reports.stage_network"};

static const char *stage_label(struct req *req, const char *stage)
{
	int r = net_stage_rank(stage);
	return r >= 0 ? admin_t(req, stage_keys[r]) : stage;
}

/* Today's year in the site's zone. */
static int current_year(int64_t now, int tz)
{
	time_t t = (time_t)(now + (int64_t)tz * 60);
	struct tm tm;
	return gmtime_r(&t, &tm) ? tm.tm_year + 1900 : 1970;
}

/* ---- GET /admin/reports ---- */

struct funnel_job {
	struct http_task job;
	int64_t now;
	int tz;
	char zone[64];
	const char *labels[4]; /* catalog strings: live as long as the app */
	const char *what;
	struct net_funnel funnel;
	int64_t askers[4]; /* people who answered an ask in the period, by stage */
	struct buf svg;
	struct net_suggestion *sugg;
	size_t nsugg;
	struct net_person *due;
	size_t ndue;
	int64_t due_total;
};

static void funnel_work(struct db *db, void *data)
{
	struct funnel_job *j = data;
	j->what = "net_report_funnel";
	j->job.rc = net_report_funnel(db, j->job.a, j->now, j->zone, &j->funnel);
	if (!j->job.rc) {
		j->what = "forms_funnel_askers";
		j->job.rc = forms_funnel_askers(db, &j->funnel, j->zone, j->now, j->askers);
	}
	if (!j->job.rc) {
		j->what = "net_funnel_svg";
		j->job.rc = net_funnel_svg(&j->funnel, j->labels, &j->svg);
	}
	if (!j->job.rc) {
		j->what = "net_suggestions";
		j->job.rc =
		        net_suggestions(db, j->job.a, false, REP_SUGGEST_MAX, &j->sugg, &j->nsugg);
	}
	if (!j->job.rc) {
		j->what = "net_touch_due";
		j->job.rc = net_touch_due(db, j->job.a, j->now, REP_DUE_MAX, &j->due, &j->ndue,
		                          &j->due_total);
	}
}

static void funnel_free(void *data)
{
	struct funnel_job *j = data;
	buf_free(&j->svg);
	http_task_free(j);
}

static struct view_val *funnel_ctx(struct req *req, const struct funnel_job *j)
{
	struct arena *a = req->arena;
	struct view_val *stages = view_list(a), *months = view_list(a);
	for (int i = 0; i < 4; i++) {
		struct view_val *m = view_map(a);
		view_set_str(m, "stage", net_stages[i]);
		view_set_str(m, "label", j->labels[i]);
		view_set_int(m, "count", j->funnel.counts[i]);
		view_set_int(m, "askers", j->askers[i]);
		view_push(stages, m);
	}
	for (size_t i = 0; i < j->funnel.nmonths; i++) {
		const struct net_funnel_month *fm = &j->funnel.months[i];
		struct view_val *m = view_map(a);
		view_set_str(m, "month", arena_strdup(a, fm->month));
		view_set_int(m, "to_fan", fm->to_fan);
		view_set_int(m, "to_acquaintance", fm->to_acquaintance);
		view_set_int(m, "to_network", fm->to_network);
		view_push(months, m);
	}
	struct view_val *ctx = admin_ctx(req, "reports");
	view_set(ctx, "stages", stages);
	view_set(ctx, "months", months);
	view_set_html(ctx, "chart", arena_strndup(a, j->svg.ptr ? j->svg.ptr : "", j->svg.len),
	              j->svg.len);
	return ctx;
}

static void funnel_done(struct req *req, void *data)
{
	struct funnel_job *j = data;
	if (!admin_check(req, j->job.rc, j->what))
		return;
	struct view_val *ctx = funnel_ctx(req, j), *sugg = view_list(req->arena);
	struct view_val *due = view_list(req->arena);
	for (size_t i = 0; i < j->nsugg; i++) {
		const struct net_suggestion *s = &j->sugg[i];
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", s->person_id);
		view_set_str(m, "name", s->name && *s->name ? s->name : s->email);
		view_set_str(m, "stage", stage_label(req, s->stage));
		view_set_str(m, "why", s->why);
		view_set_int(m, "asks", s->asks);
		view_set_int(m, "given", s->given);
		view_push(sugg, m);
	}
	for (size_t i = 0; i < j->ndue; i++) {
		const struct net_person *p = &j->due[i];
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", p->id);
		view_set_str(m, "name", p->name && *p->name ? p->name : p->email);
		view_set_str(m, "company", p->company);
		view_set_str(m, "stage", stage_label(req, p->stage));
		view_set_str(m, "last", admin_time_fmt(req->arena, p->last_contact_at, j->tz, ' '));
		view_push(due, m);
	}
	view_set(ctx, "suggestions", sugg);
	view_set(ctx, "due", due);
	view_set_int(ctx, "due_total", j->due_total);
	admin_render(req, 200, "admin/reports.html", ctx);
}

static void admin_reports_get(struct req *req)
{
	struct site_settings s;
	if (!admin_settings(req, &s))
		return;
	struct funnel_job *j = http_task_new(sizeof(*j));
	j->now = jm_now();
	j->tz = s.tz_offset_min;
	snprintf(j->zone, sizeof(j->zone), "%s", s.tz);
	for (int i = 0; i < 4; i++)
		j->labels[i] = admin_t(req, stage_keys[i]);
	buf_init(&j->svg, REP_SVG_CAP);
	http_defer(req, funnel_work, funnel_done, j, funnel_free);
}

/* ---- GET /admin/reports/circle?year= ---- */

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

static struct view_val *people_list(struct req *req, const struct net_circle_person *v, size_t n)
{
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < n && i < REP_LIST_MAX; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", v[i].id);
		view_set_str(m, "name", *v[i].name ? v[i].name : "—");
		view_set_str(m, "company", v[i].company);
		view_set_str(m, "stage", v[i].stage);
		view_set_str(m, "stage_label", stage_label(req, v[i].stage));
		view_set_int(m, "count", v[i].count);
		view_push(list, m);
	}
	return list;
}

/* One list of the circle review: {id, title, n, people, count_label,
 * capped}. Dropped people are counted in the year before. */
static struct view_val *section(struct req *req, const char *id, const char *title_key,
                                const struct net_circle_person *v, size_t n, bool last_year)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "id", id);
	view_set_str(m, "title", admin_t(req, title_key));
	view_set_int(m, "n", (int64_t)n);
	view_set(m, "people", people_list(req, v, n));
	view_set_str(m, "count_label",
	             admin_t(req, last_year ? "admin.reports.col_times_last"
	                                    : "admin.reports.col_times"));
	view_set_bool(m, "capped", n > REP_LIST_MAX);
	return m;
}

/* The year selector: the last REP_YEARS years and the one shown. */
static struct view_val *year_options(struct req *req, int shown, int now_year)
{
	struct view_val *list = view_list(req->arena);
	bool seen = false;
	for (int y = now_year; y > now_year - REP_YEARS && y >= 1970; y--) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "year", y);
		view_set_bool(m, "selected", y == shown);
		seen |= y == shown;
		view_push(list, m);
	}
	if (!seen) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "year", shown);
		view_set_bool(m, "selected", true);
		view_push(list, m);
	}
	return list;
}

static void circle_done(struct req *req, void *data)
{
	struct circle_job *j = data;
	if (!admin_check(req, j->job.rc, "net_report_circle"))
		return;
	const struct net_circle *c = &j->c;
	struct view_val *ctx = admin_ctx(req, "reports");
	view_set_int(ctx, "year", c->year);
	view_set_int(ctx, "prev_year", c->year - 1);
	view_set_int(ctx, "next_year", c->year < 9999 ? c->year + 1 : 0);
	view_set(ctx, "years", year_options(req, c->year, current_year(jm_now(), j->tz)));
	struct view_val *secs = view_list(req->arena);
	view_push(secs, section(req, "kept", "admin.reports.kept", c->kept, c->nkept, false));
	view_push(secs, section(req, "added", "admin.reports.added", c->added, c->nadded, false));
	view_push(secs,
	          section(req, "dropped", "admin.reports.dropped", c->dropped, c->ndropped, true));
	view_set(ctx, "sections", secs);
	view_set_int(ctx, "nkept", (int64_t)c->nkept);
	view_set_int(ctx, "nadded", (int64_t)c->nadded);
	view_set_int(ctx, "ndropped", (int64_t)c->ndropped);
	view_set_int(ctx, "this_year", c->this_year);
	view_set_int(ctx, "last_year", c->last_year);
	view_set_int(ctx, "share", c->network_share_pct);
	view_set_bool(ctx, "same_faces", c->same_faces);
	view_set_int(ctx, "list_max", REP_LIST_MAX);
	admin_render(req, 200, "admin/circle.html", ctx);
}

/* ?year=: absent or empty = this year; else 1970..9999. */
static bool parse_year(struct req *req, int tz, int *year)
{
	struct form q;
	struct jm_err err = {0};
	int64_t v = 0;
	*year = current_year(jm_now(), tz);
	if (http_req_query(req, &q, &err) != JM_OK) {
		admin_error(req, 400, "admin.err.bad_request");
		return false;
	}
	const char *s = form_get(&q, "year");
	if (!s || !*s)
		return true;
	if (strlen(s) != 4 || !admin_nl_int(s, &v) || v < 1970 || v > 9999) {
		admin_error(req, 400, "admin.reports.err_year");
		return false;
	}
	*year = (int)v;
	return true;
}

static void admin_circle_get(struct req *req)
{
	struct site_settings s;
	int year;
	if (!admin_settings(req, &s) || !parse_year(req, s.tz_offset_min, &year))
		return;
	struct circle_job *j = http_task_new(sizeof(*j));
	j->year = year;
	j->tz = s.tz_offset_min;
	snprintf(j->zone, sizeof(j->zone), "%s", s.tz);
	http_defer(req, circle_work, circle_done, j, http_task_free);
}

/* ---- the network map ---- */

/* Reads ?stage=&tag= (empty = none). On a bad value answers 400 (an HTML
 * page, or text for the SVG) and returns false. */
static bool map_filters(struct req *req, bool svg, const char **stage, const char **tag)
{
	struct form q;
	struct jm_err err = {0};
	const char *key = NULL;
	*stage = *tag = NULL;
	if (http_req_query(req, &q, &err) != JM_OK)
		key = "admin.err.bad_request";
	const char *st = key ? NULL : form_get(&q, "stage");
	const char *tg = key ? NULL : form_get(&q, "tag");
	if (st && *st && !net_stage_valid(st))
		key = "admin.reports.err_stage";
	else if (tg && (strlen(tg) > REP_TAG_MAX || utf8_has_controls(tg, strlen(tg))))
		key = "admin.reports.err_tag";
	if (key && svg) {
		http_header(req, "cache-control", "no-store");
		http_send_text(req, 400, admin_t(req, key));
	} else if (key) {
		admin_error(req, 400, key);
	}
	*stage = st && *st ? st : NULL;
	*tag = tg && *tg ? tg : NULL;
	return key == NULL;
}

static void admin_map_get(struct req *req)
{
	const char *stage, *tag;
	if (!map_filters(req, false, &stage, &tag))
		return;
	struct view_val *ctx = admin_ctx(req, "map"), *stages = view_list(req->arena);
	for (int i = 0; i < 4; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "stage", net_stages[i]);
		view_set_str(m, "label", admin_t(req, stage_keys[i]));
		view_set_bool(m, "selected", stage && !strcmp(stage, net_stages[i]));
		view_push(stages, m);
	}
	view_set(ctx, "stages", stages);
	view_set_str(ctx, "stage", stage ? stage : "");
	view_set_str(ctx, "tag", tag ? tag : "");
	admin_render(req, 200, "admin/map.html", ctx);
}

struct map_job {
	char *stage, *tag; /* NULL = none */
	const char *me, *more;
	enum jm_rc rc;
	struct jm_err err;
	struct buf svg;
};

static void map_work(struct db *db, void *data)
{
	struct map_job *j = data;
	struct net_map_query q = {.stage = j->stage,
	                          .tag = j->tag,
	                          .base_url = "",
	                          .me_label = j->me,
	                          .more_label = j->more};
	j->rc = net_map_svg(db, &q, &j->svg, &j->err);
}

static void map_done(struct req *req, void *data)
{
	struct map_job *j = data;
	http_header(req, "cache-control", "no-store");
	if (j->rc == JM_INVALID) {
		http_send_text(req, 400, j->err.msg);
		return;
	}
	if (j->rc) {
		admin_fail(req, "net_map_svg", j->rc);
		return;
	}
	/* Links only: nothing in the drawing may run or load anything. The
	 * admin's own map page embeds it: frame-ancestors 'self' overrides the
	 * admin-wide X-Frame-Options: DENY, which would block the <object>. */
	http_header(req, "content-security-policy",
	            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'");
	http_send_buf(req, 200, "image/svg+xml; charset=utf-8", &j->svg);
}

static void map_free(void *data)
{
	struct map_job *j = data;
	buf_free(&j->svg);
	free(j->stage);
	free(j->tag);
	free(j);
}

static void admin_map_svg(struct req *req)
{
	const char *stage, *tag;
	if (!map_filters(req, true, &stage, &tag))
		return;
	struct map_job *j = xcalloc(1, sizeof(*j));
	j->stage = stage ? xstrdup(stage) : NULL;
	j->tag = tag ? xstrdup(tag) : NULL;
	j->me = admin_t(req, "admin.reports.map_me");
	j->more = admin_t(req, "admin.reports.map_more");
	buf_init(&j->svg, MAP_SVG_CAP);
	http_defer(req, map_work, map_done, j, map_free);
}

void admin_reports_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/reports", admin_reports_get, adm);
	router_add(r, "GET", "/admin/reports/circle", admin_circle_get, adm);
	router_add(r, "GET", "/admin/map", admin_map_get, adm);
	router_add(r, "GET", "/admin/map.svg", admin_map_svg, adm);
}
