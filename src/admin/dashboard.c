/*
 * dashboard.c — GET /admin/: page views per day for the last 30 days (an
 * inline SVG chart from chart.c), the ten most read paths and referrer hosts
 * over those days, how many articles are published and in draft, who is due
 * to keep in touch with (net_touch_due, the ten most overdue) and how many
 * inbox messages are new; and, until everything in it is done, the first
 * steps of a new site (the sender settings, a list, DKIM, the first
 * article, a public sign-up form), each linking to where it is done.
 *
 * All numbers come from the cookieless daily counters of site/stats.c; the
 * page says so. The queries are indexed and bounded (30 days), so they run
 * on the loop thread.
 */
#include "admin/admin_int.h"

#include "auth/auth.h"
#include "inbox/inbox.h"
#include "network/network.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define DASH_DAYS 30
#define DASH_TOP  10

static struct view_val *key_counts(struct arena *a, const struct key_count *kc, size_t n)
{
	struct view_val *list = view_list(a);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(a);
		view_set_str(m, "key", kc[i].key);
		view_set_int(m, "views", kc[i].views);
		view_push(list, m);
	}
	return list;
}

/* Number of articles with status (NULL = all). */
static enum jm_rc count_articles(struct req *req, const char *status, int64_t *total)
{
	struct article_query q = {.status = status, .page = 1, .per_page = 1};
	struct article *items;
	size_t n;
	return site_article_list(req->db, req->arena, &q, &items, &n, total);
}

static enum jm_rc add_chart(struct req *req, struct view_val *ctx)
{
	struct day_count *days = NULL;
	struct buf svg;
	int64_t sum = 0;
	enum jm_rc rc = site_stats_daily(req->db, req->arena, DASH_DAYS, &days);
	if (rc)
		return rc;
	buf_init(&svg, 1 << 20);
	rc = admin_chart_svg(&svg, days, DASH_DAYS, admin_t(req, "admin.dash.views_unit"),
	                     admin_t(req, "admin.dash.chart_title"));
	if (rc) {
		buf_free(&svg);
		return rc;
	}
	for (int i = 0; i < DASH_DAYS; i++)
		sum += days[i].views;
	view_set_html(ctx, "chart", arena_strndup(req->arena, svg.ptr, svg.len), svg.len);
	view_set_int(ctx, "views_total", sum);
	view_set_int(ctx, "views_today", days[DASH_DAYS - 1].views);
	buf_free(&svg);
	return JM_OK;
}

static enum jm_rc add_tops(struct req *req, struct view_val *ctx)
{
	struct key_count *kc = NULL;
	size_t n = 0;
	enum jm_rc rc = site_stats_top_paths(req->db, req->arena, DASH_DAYS, DASH_TOP, &kc, &n);
	if (rc)
		return rc;
	view_set(ctx, "top_paths", key_counts(req->arena, kc, n));
	rc = site_stats_top_referrers(req->db, req->arena, DASH_DAYS, DASH_TOP, &kc, &n);
	if (rc)
		return rc;
	view_set(ctx, "top_referrers", key_counts(req->arena, kc, n));
	return JM_OK;
}

/* The people due a call or a mail, and the new inbox messages. */
static enum jm_rc add_network(struct req *req, struct view_val *ctx, int tz)
{
	struct net_person *due = NULL;
	size_t n = 0;
	int64_t total = 0, counts[4] = {0};
	enum jm_rc rc = net_touch_due(req->db, req->arena, jm_now(), DASH_TOP, &due, &n, &total);
	if (rc)
		return rc;
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", due[i].id);
		view_set_str(m, "name", due[i].name[0] ? due[i].name : due[i].email);
		view_set_str(m, "company", due[i].company);
		view_set_str(m, "stage_label", admin_people_stage_label(req, due[i].stage));
		view_set_str(m, "stage", due[i].stage);
		view_set_str(m, "last_contact",
		             admin_time_fmt(req->arena, due[i].last_contact_at, tz, ' '));
		view_push(list, m);
	}
	view_set(ctx, "due", list);
	view_set_int(ctx, "due_total", total);
	rc = inbox_counts(req->db, counts);
	view_set_int(ctx, "inbox_new", counts[0]);
	return rc;
}

static bool set(struct req *req, const char *key)
{
	const char *v = site_setting_get(req->db, req->arena, key);
	return v && *v;
}

static void step(struct req *req, struct view_val *l, const char *id, const char *href, bool done,
                 int *left)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "id", id);
	view_set_str(m, "href", href);
	view_set_str(m, "label", admin_t(req, arena_sprintf(req->arena, "admin.start.%s", id)));
	view_set_str(m, "hint", admin_t(req, arena_sprintf(req->arena, "admin.start.%s_hint", id)));
	view_set_bool(m, "done", done);
	view_push(l, m);
	*left += !done;
}

/* The first steps, shown until every one is done (owner only: the
 * settings are theirs). */
static void add_onboarding(struct req *req, struct view_val *ctx, int64_t published)
{
	struct nl_list *lists = NULL;
	size_t n = 0;
	bool pub = false;
	int left = 0;
	const struct auth_user *u = admin_user(req);
	if (!u || strcmp(u->role, "owner") != 0)
		return;
	if (nl_list_all_brief(req->db, req->arena, false, &lists, &n) != JM_OK)
		n = 0;
	for (size_t i = 0; i < n; i++)
		pub = pub || lists[i].public_;
	struct view_val *l = view_list(req->arena);
	step(req, l, "sender", "/admin/settings#group-mail",
	     set(req, "mail_from_name") && set(req, "mail_from_addr") &&
	             set(req, "sender_postal_address") && set(req, "sender_contact"),
	     &left);
	step(req, l, "list", "/admin/lists/new", n > 0, &left);
	step(req, l, "dkim", "/admin/settings#group-mail",
	     set(req, "dkim_domain") && set(req, "dkim_selector"), &left);
	step(req, l, "article", "/admin/articles/new", published > 0, &left);
	step(req, l, "signup", n ? "/admin/lists" : "/admin/lists/new", pub, &left);
	if (left) {
		view_set(ctx, "start_steps", l);
		view_set_int(ctx, "start_left", left);
	}
}

void admin_dashboard_get(struct req *req)
{
	struct view_val *ctx = admin_ctx(req, "dashboard");
	struct site_settings s;
	int64_t published = 0, drafts = 0;
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc = add_chart(req, ctx);
	if (!rc)
		rc = add_tops(req, ctx);
	if (!rc)
		rc = count_articles(req, "published", &published);
	if (!rc)
		rc = count_articles(req, "draft", &drafts);
	if (!rc)
		rc = add_network(req, ctx, s.tz_offset_min);
	if (rc) {
		admin_fail(req, "dashboard", rc);
		return;
	}
	view_set_int(ctx, "published", published);
	view_set_int(ctx, "drafts", drafts);
	add_onboarding(req, ctx, published);
	view_set_int(ctx, "days", DASH_DAYS);
	admin_render(req, 200, "admin/dashboard.html", ctx);
}
