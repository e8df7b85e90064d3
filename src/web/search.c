/*
 * search.c — GET /search?q=WORDS[&page=N]: the public site search page
 * (the search itself is site/search.c). Never cached (every query is its
 * own page; what a visitor typed is shown back, escaped), never indexed
 * by crawlers. No q or a q without words: the search box and a hint; a
 * query too long or not text: 400 with the reason on the page; past the
 * last page: the page says there is nothing more.
 */
#include "web/web_int.h"

#define SEARCH_PER_PAGE 10

/* "/search?q=<q>&page=n" with q percent-encoded, in the arena. */
static const char *page_url(struct req *req, const char *q, int page)
{
	struct buf b;
	buf_init(&b, 8 * SITE_SEARCH_Q_MAX);
	enum jm_rc rc = buf_appends(&b, "/search?q=");
	if (!rc)
		rc = http_url_encode(&b, q, strlen(q));
	if (!rc && page > 1)
		rc = buf_appendf(&b, "&page=%d", page);
	const char *out = rc ? "/search" : arena_strndup(req->arena, b.ptr, b.len);
	buf_free(&b);
	return out;
}

static void add_pages(struct web_page *pg, const char *q, int page, int64_t total)
{
	struct arena *a = pg->req->arena;
	int64_t pages = total <= 0 ? 1 : (total + SEARCH_PER_PAGE - 1) / SEARCH_PER_PAGE;
	struct view_val *p = view_map(a);
	view_set_int(p, "page", page);
	view_set_int(p, "pages", pages);
	view_set_bool(p, "has_prev", page > 1 && page - 1 <= pages);
	view_set_bool(p, "has_next", page < pages);
	view_set_bool(p, "show", pages > 1);
	view_set_str(p, "prev_url", page_url(pg->req, q, page - 1));
	view_set_str(p, "next_url", page_url(pg->req, q, page + 1));
	view_set(pg->ctx, "pagination", p);
}

static void add_hits(struct web_page *pg, const struct site_search_result *r)
{
	struct view_val *list = view_list(pg->req->arena);
	for (size_t i = 0; i < r->n; i++) {
		struct view_val *m = web_article_val(pg, &r->hits[i].art);
		const char *s = r->hits[i].snippet_html;
		view_set_html(m, "snippet", s, strlen(s));
		view_push(list, m);
	}
	view_set(pg->ctx, "results", list);
	view_set_bool(pg->ctx, "has_results", r->n > 0);
	view_set_int(pg->ctx, "total", r->total);
}

/* The query's q and page; false when the query string is malformed. */
static bool read_query(struct req *req, const char **q, int *page)
{
	struct form f;
	struct jm_err err = {0};
	*q = "";
	if (http_req_query(req, &f, &err) != JM_OK || !web_query_page(req, page))
		return false;
	const char *v = form_get(&f, "q");
	*q = v ? v : "";
	return true;
}

/* The search runs on the worker pool (http_defer): ranking a page of hits
 * reads the index for every word — milliseconds, not for the loop that
 * serves the cached pages. Its results live in the job's arena. */
struct search_job {
	struct http_task job;
	const char *q;
	int page;
	struct site_search_result r;
};

static void search_work(struct db *db, void *data)
{
	struct search_job *j = data;
	j->job.rc = site_search(db, j->job.a, j->q, j->page, SEARCH_PER_PAGE, &j->r, &j->job.err);
}

/* The page for rc (JM_INVALID/JM_TOO_LARGE: 400 with the reason) and r. */
static void search_page(struct req *req, enum jm_rc rc, bool ok, const char *q, int page,
                        const struct site_search_result *r)
{
	struct web_page pg;
	if (web_page_init(&pg, req, "/search") != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	int status = 200;
	if (rc == JM_TOO_LARGE || rc == JM_INVALID) {
		status = 400;
		view_set_bool(pg.ctx, rc == JM_TOO_LARGE ? "too_long" : "invalid", true);
		q = rc == JM_TOO_LARGE ? "" : q;
	} else if (rc) {
		web_error_page(req, http_status_for(rc));
		return;
	} else {
		view_set_bool(pg.ctx, "has_query", r->nwords > 0);
		add_hits(&pg, r);
		add_pages(&pg, q, page, r->total);
	}
	view_set_str(pg.ctx, "q", ok && status == 200 ? q : "");
	const char *tl = i18n_get(req->app->i18n, pg.lang, "site.search");
	web_page_meta(&pg, *q && status == 200 ? arena_sprintf(req->arena, "%s: %s", tl, q) : tl,
	              NULL, "website");
	web_page_send_nostore(&pg, status, "site/search.html", true);
}

static void search_done(struct req *req, void *data)
{
	struct search_job *j = data;
	search_page(req, j->job.rc, true, j->q, j->page, &j->r);
}

void web_search(struct req *req)
{
	const char *q;
	int page = 1;
	if (!read_query(req, &q, &page)) {
		search_page(req, JM_INVALID, false, q, page, NULL);
		return;
	}
	struct search_job *j = http_task_new(sizeof(*j));
	j->q = http_task_str(&j->job, q);
	j->page = page;
	http_defer(req, search_work, search_done, j, http_task_free);
}
