/*
 * search.c — GET /search?q=WORDS[&page=N]: the public site search page
 * (the search itself is site/search.c). Result pages are cached per
 * folded query and page (see "the result cache" below) and sent with
 * no-store (every query is its own page; what a visitor typed is shown
 * back, escaped), never indexed by crawlers. No q or a q without words:
 * the search box and a hint; a query too long or not text: 400 with the
 * reason on the page; past the last page: the page says there is nothing
 * more. A miss runs on the worker pool (http_defer).
 */
#include <string.h>

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
		/* A hit shows its snippet, never an excerpt: giving the snippet
		 * as one spares web_article_val parsing the body once more. */
		struct article art = r->hits[i].art;
		const char *s = r->hits[i].snippet_html;
		art.excerpt = s;
		struct view_val *m = web_article_val(pg, &art);
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

/* ---- the result cache ----
 * A result page depends on the query only through its folded words (the
 * key, site_search_key) except where the visitor's own text is shown back:
 * the search box, the title and the paging links. The cached page holds
 * two tokens there — derived from the site's secret, so no article can
 * contain them — and every answer fills in that visitor's q, HTML-escaped
 * or percent-encoded: ＰＹＴＨＯＮ and python share one entry and each
 * sees what they typed. Entries carry the content generation read before
 * the search ran (web/cache.c), so a publish, an unpublish or a settings
 * change on any node retires them. */
void web_search_qtokens(const unsigned char *secret, size_t len, struct web_qtokens *t)
{
	char h[65];
	jm_hash_hex(secret, len, "site-search-q-html", 18, h);
	snprintf(t->html, sizeof(t->html), "jmq%.*s", WEB_QTOKEN_LEN - 3, h);
	jm_hash_hex(secret, len, "site-search-q-url", 17, h);
	snprintf(t->url, sizeof(t->url), "jmq%.*s", WEB_QTOKEN_LEN - 3, h);
}

/* The next place of token tok in [p, end), or NULL. */
static const char *next_token(const char *p, const char *end, const char *tok)
{
	return memmem(p, (size_t)(end - p), tok, WEB_QTOKEN_LEN);
}

/* The cached page b with each token replaced by q (escaped for its place)
 * into out. Each token's next place is looked up once: after a
 * replacement only the token just used is searched for again. */
static enum jm_rc fill_q(const struct http_blob *b, const struct web_qtokens *t, const char *q,
                         struct buf *out)
{
	const char *p = b->data, *end = b->data + b->len;
	const char *h = next_token(p, end, t->html), *u = next_token(p, end, t->url);
	enum jm_rc rc = JM_OK;
	while (!rc && p < end) {
		const char *at = !h ? u : !u ? h : h < u ? h : u;
		rc = buf_append(out, p, at ? (size_t)(at - p) : (size_t)(end - p));
		if (!rc && at == h && h) {
			rc = view_escape(out, q, strlen(q));
			h = next_token(h + WEB_QTOKEN_LEN, end, t->html);
		} else if (!rc && at) {
			rc = http_url_encode(out, q, strlen(q));
			u = next_token(u + WEB_QTOKEN_LEN, end, t->url);
		}
		p = at ? at + WEB_QTOKEN_LEN : end;
	}
	return rc;
}

/* Answers from a cached page: the same headers as a fresh one. */
static void send_filled(struct req *req, const struct http_blob *b, const struct web_qtokens *t,
                        const char *q, const char *state)
{
	struct buf out;
	buf_init(&out, WEB_RENDER_CAP);
	if (fill_q(b, t, q, &out) != JM_OK) {
		buf_free(&out);
		web_error_page(req, 500);
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_header(req, "x-robots-tag", "noindex");
	http_header(req, "x-search-cache", state);
	http_send_buf(req, 200, b->ctype, &out);
	buf_free(&out);
}

static const char *cache_key(struct req *req, int page, const char *words)
{
	return arena_sprintf(req->arena, "%d\n%s", page, words);
}

/* ---- a search on the worker pool ----
 * Ranking a page of hits reads the index for every word: milliseconds,
 * not for the loop that serves the cached pages. The results live in the
 * job's arena; the page is rendered (with the tokens) back on the loop. */
struct search_job {
	struct http_task job;
	const char *q, *key;
	int page;
	uint64_t gen; /* the content generation before the search ran */
	struct site_search_result r;
};

static void search_work(struct db *db, void *data)
{
	struct search_job *j = data;
	j->job.rc = site_search(db, j->job.a, j->q, j->page, SEARCH_PER_PAGE, &j->r, &j->job.err);
}

/* The result page of r with the tokens in place of q, as a blob. */
static struct http_blob *render_hits(struct req *req, const struct search_job *j,
                                     const struct web_qtokens *t)
{
	struct web_page pg;
	struct buf out;
	if (web_page_init(&pg, req, "/search") != JM_OK)
		return NULL;
	view_set_bool(pg.ctx, "has_query", j->r.nwords > 0);
	add_hits(&pg, &j->r);
	add_pages(&pg, t->url, j->page, j->r.total);
	view_set_str(pg.ctx, "q", t->html);
	const char *tl = i18n_get(req->app->i18n, pg.lang, "site.search");
	web_page_meta(&pg, arena_sprintf(req->arena, "%s: %s", tl, t->html), NULL, "website");
	if (!web_page_render(&pg, "site/search.html", &out))
		return NULL;
	struct http_blob *b =
	        http_blob_new(200, "text/html; charset=utf-8", out.ptr ? out.ptr : "", out.len, 0);
	buf_free(&out);
	return b;
}

static void search_done(struct req *req, void *data)
{
	struct search_job *j = data;
	if (j->job.rc) {
		web_error_page(req, http_status_for(j->job.rc));
		return;
	}
	const struct web_qtokens *t = web_cache_qtokens(req->app->cache);
	struct http_blob *b = render_hits(req, j, t);
	if (!b) {
		web_error_page(req, 500);
		return;
	}
	web_cache_search_put(req->app->cache, j->key, b, j->gen);
	send_filled(req, b, t, j->q, "miss");
	http_blob_unref(b);
}

/* Pages with no search to run: no words (the hint), or a query too long
 * or not text (400 with the reason). Never cached: no query is run. */
static void plain_page(struct req *req, enum jm_rc rc, const char *q)
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
	}
	view_set_str(pg.ctx, "q", status == 200 ? q : "");
	web_page_meta(&pg, i18n_get(req->app->i18n, pg.lang, "site.search"), NULL, "website");
	web_page_send_nostore(&pg, status, "site/search.html", true);
}

void web_search(struct req *req)
{
	const char *q, *words;
	int page = 1;
	size_t nwords = 0;
	struct jm_err err = {0};
	if (!read_query(req, &q, &page)) {
		plain_page(req, JM_INVALID, "");
		return;
	}
	enum jm_rc rc = site_search_key(req->arena, q, &words, &nwords, &err);
	if (rc || nwords == 0) {
		plain_page(req, rc, q);
		return;
	}
	const char *key = cache_key(req, page, words);
	struct http_blob *b = web_cache_search_get(req->app, key);
	if (b) {
		send_filled(req, b, web_cache_qtokens(req->app->cache), q, "hit");
		http_blob_unref(b);
		return;
	}
	struct search_job *j = http_task_new(sizeof(*j));
	j->gen = atomic_load_explicit(&req->app->content_gen, memory_order_acquire);
	j->q = http_task_str(&j->job, q);
	j->key = http_task_str(&j->job, key);
	j->page = page;
	http_defer(req, search_work, search_done, j, http_task_free);
}
