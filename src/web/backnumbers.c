/*
 * backnumbers.c — the mail magazine's public back numbers (バックナンバー):
 * /newsletter (sent broadcasts marked public, newest first, ?page=N),
 * /newsletter/{slug} (one issue as a web page) and /newsletter/feed.xml
 * (Atom 1.0, RFC 4287, content as escaped HTML per section 3.1.1.2).
 *
 * Merge fields render their fallbacks here ({{name|読者}} → 読者): nobody
 * is a recipient on the web. The body is merged first, then rendered as
 * Markdown (safe mode unless the site allows raw HTML).
 *
 * The pages are not kept in the page cache: a broadcast becomes public
 * when the delivery worker finishes it, which does not bump the content
 * generation. They still carry ETag/Last-Modified (304 on revalidation).
 */
#include "newsletter/newsletter.h"
#include "web/web_int.h"

#define HTML_CTYPE   "text/html; charset=utf-8"
#define ATOM_CTYPE   "application/atom+xml; charset=utf-8"
#define FEED_ENTRIES 20
#define SLUG_MAX     120
#define EXCERPT_MAX  120

static const char *no_lookup(const char *key, void *user)
{
	(void)key;
	(void)user;
	return NULL;
}

/* The issue's Markdown with every merge field replaced by its fallback. */
static enum jm_rc merged_md(struct arena *a, const struct nl_broadcast *b, char **md, size_t *len)
{
	struct buf out;
	buf_init(&out, WEB_RENDER_CAP);
	const char *src = b->body_md ? b->body_md : "";
	enum jm_rc rc = nl_merge(src, strlen(src), no_lookup, NULL, false, &out);
	if (!rc) {
		*md = arena_strndup(a, buf_cstr(&out), out.len);
		*len = out.len;
	}
	buf_free(&out);
	return rc;
}

static const char *iso(struct arena *a, int64_t t)
{
	char s[32];
	jm_time_iso(t, s);
	return arena_strdup(a, s);
}

/* When the issue went out (finished, else started, else created). */
static int64_t issue_time(const struct nl_broadcast *b)
{
	if (b->finished_at)
		return b->finished_at;
	return b->started_at ? b->started_at : b->created_at;
}

static const char *display_date(struct web_page *pg, int64_t t)
{
	char d[16];
	jm_time_day(t + (int64_t)pg->s.tz_offset_min * 60, d);
	if (strcmp(pg->lang, "en") == 0)
		return arena_strdup(pg->req->arena, d);
	return arena_sprintf(pg->req->arena, "%d年%d月%d日", (int)strtol(d, NULL, 10),
	                     (int)strtol(d + 5, NULL, 10), (int)strtol(d + 8, NULL, 10));
}

/* One issue's view value; with_html adds the rendered body as "html". */
static enum jm_rc issue_val(struct web_page *pg, const struct nl_broadcast *b, bool with_html,
                            struct view_val **out)
{
	struct arena *a = pg->req->arena;
	char *md;
	size_t len;
	enum jm_rc rc = merged_md(a, b, &md, &len);
	if (rc)
		return rc;
	struct view_val *m = view_map(a);
	int64_t t = issue_time(b);
	view_set_str(m, "title", b->subject);
	view_set_str(m, "slug", b->slug);
	view_set_str(m, "path", arena_sprintf(a, "/newsletter/%s", b->slug));
	view_set_str(m, "url", arena_sprintf(a, "%s/newsletter/%s", pg->base, b->slug));
	view_set_str(m, "date", display_date(pg, t));
	view_set_str(m, "published_iso", iso(a, t));
	view_set_str(m, "excerpt", site_excerpt(a, md, len, EXCERPT_MAX));
	if (with_html) {
		struct buf html;
		buf_init(&html, WEB_RENDER_CAP);
		/* Editors draft broadcasts: safe mode, as in the mail itself. */
		rc = site_markdown(md, len, false, &html);
		if (!rc) {
			char *h = arena_strndup(a, buf_cstr(&html), html.len);
			view_set_html(m, "html", h, html.len);
			view_set_strn(m, "content", h, html.len); /* escaped in the feed */
		}
		buf_free(&html);
	}
	*out = m;
	return rc;
}

/* Renders and answers 200 with an ETag, without caching the page. */
static void send_issue_page(struct web_page *pg, const char *tpl, const char *ctype, int64_t mtime)
{
	struct req *req = pg->req;
	struct view_val *page = view_map(req->arena);
	view_set_str(page, "url", pg->url);
	view_set_str(page, "title", pg->title);
	view_set_str(page, "description", pg->desc);
	view_set_str(page, "type", pg->type);
	view_set_bool(page, "is_site_title", false);
	view_set(pg->ctx, "page", page);
	struct buf out;
	buf_init(&out, WEB_RENDER_CAP);
	if (view_render(req->app->view, tpl, pg->ctx, pg->lang, &out) != JM_OK) {
		buf_free(&out);
		web_error_page(req, 500);
		return;
	}
	struct http_blob *b = http_blob_new(200, ctype, buf_cstr(&out), out.len, mtime);
	buf_free(&out);
	if (strcmp(ctype, HTML_CTYPE) == 0)
		web_count_view(req, req->path.p
		                            ? arena_strndup(req->arena, req->path.p, req->path.len)
		                            : "/newsletter");
	http_send_blob(req, b, WEB_CACHE_CONTROL);
	http_blob_unref(b);
}

static void add_pagination(struct web_page *pg, int page, int64_t total, int per)
{
	struct arena *a = pg->req->arena;
	int64_t pages = total <= 0 ? 1 : (total + per - 1) / per;
	struct view_val *p = view_map(a);
	view_set_int(p, "page", page);
	view_set_int(p, "pages", pages);
	view_set_bool(p, "has_prev", page > 1);
	view_set_bool(p, "has_next", page < pages);
	view_set_bool(p, "show", pages > 1);
	view_set_str(p, "prev_url",
	             page == 2 ? "/newsletter" : arena_sprintf(a, "/newsletter?page=%d", page - 1));
	view_set_str(p, "next_url", arena_sprintf(a, "/newsletter?page=%d", page + 1));
	view_set(pg->ctx, "pagination", p);
}

/* Fills ctx.issues with one page of back numbers; JM_NOT_FOUND past the
 * last page. *latest gets the newest issue's time. */
static enum jm_rc add_issues(struct web_page *pg, int page, int per, bool with_html,
                             int64_t *latest)
{
	struct nl_broadcast *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	enum jm_rc rc = nl_backnumbers(pg->req->db, pg->req->arena, page, per, &items, &n, &total);
	if (rc)
		return rc;
	if (n == 0 && page > 1)
		return JM_NOT_FOUND;
	struct view_val *list = view_list(pg->req->arena);
	*latest = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct view_val *v = NULL;
		if (!items[i].slug || !*items[i].slug)
			continue; /* no page to link to */
		rc = issue_val(pg, &items[i], with_html, &v);
		if (!rc)
			view_push(list, v);
		if (issue_time(&items[i]) > *latest)
			*latest = issue_time(&items[i]);
	}
	view_set(pg->ctx, "issues", list);
	view_set_bool(pg->ctx, "has_issues", n > 0);
	add_pagination(pg, page, total, per);
	return rc;
}

/* GET /newsletter[?page=N] */
static void backnumber_index(struct req *req)
{
	int page;
	struct web_page pg;
	int64_t latest = 0;
	if (!web_query_page(req, &page)) {
		web_error_page(req, 404);
		return;
	}
	enum jm_rc rc = web_page_init(
	        &pg, req,
	        page > 1 ? arena_sprintf(req->arena, "/newsletter?page=%d", page) : "/newsletter");
	if (!rc)
		rc = add_issues(&pg, page, pg.s.per_page > 0 ? pg.s.per_page : 10, false, &latest);
	if (rc) {
		web_error_page(req, http_status_for(rc));
		return;
	}
	const char *t = i18n_get(req->app->i18n, pg.lang, "site.nl.backnumbers");
	if (page > 1)
		t = arena_sprintf(req->arena, "%s (%d)", t, page);
	web_page_meta(&pg, t, NULL, "website");
	view_set_str(pg.ctx, "nl_feed_url",
	             arena_sprintf(req->arena, "%s/newsletter/feed.xml", pg.base));
	send_issue_page(&pg, "site/newsletter.html", HTML_CTYPE, latest);
}

static bool slug_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0 && n <= SLUG_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* GET /newsletter/{slug} */
static void backnumber_show(struct req *req)
{
	const char *slug = req_param(req, "slug");
	struct web_page pg;
	struct nl_broadcast b;
	struct view_val *v = NULL;
	if (!slug_ok(slug)) {
		web_error_page(req, 404);
		return;
	}
	enum jm_rc rc = web_page_init(&pg, req, arena_sprintf(req->arena, "/newsletter/%s", slug));
	if (!rc)
		rc = nl_backnumber_get(req->db, req->arena, slug, &b);
	if (!rc)
		rc = issue_val(&pg, &b, true, &v);
	if (rc) {
		web_error_page(req, http_status_for(rc));
		return;
	}
	view_set(pg.ctx, "issue", v);
	char *md;
	size_t len;
	const char *desc = "";
	if (merged_md(req->arena, &b, &md, &len) == JM_OK)
		desc = site_excerpt(req->arena, md, len, EXCERPT_MAX);
	web_page_meta(&pg, b.subject, desc, "article");
	send_issue_page(&pg, "site/newsletter_item.html", HTML_CTYPE, issue_time(&b));
}

/* GET /newsletter/feed.xml */
static void backnumber_feed(struct req *req)
{
	struct web_page pg;
	int64_t latest = 0;
	enum jm_rc rc = web_page_init(&pg, req, "/newsletter/feed.xml");
	if (!rc)
		rc = add_issues(&pg, 1, FEED_ENTRIES, true, &latest);
	if (rc) {
		web_error_page(req, 500);
		return;
	}
	view_set_str(pg.ctx, "updated_iso", iso(req->arena, latest ? latest : jm_now()));
	view_set_str(pg.ctx, "nl_feed_url",
	             arena_sprintf(req->arena, "%s/newsletter/feed.xml", pg.base));
	const char *t = i18n_get(req->app->i18n, pg.lang, "site.nl.backnumbers");
	web_page_meta(&pg, t, NULL, "website");
	send_issue_page(&pg, "site/newsletter_feed.xml", ATOM_CTYPE, latest);
}

void web_backnumber_routes(struct router *r)
{
	router_add(r, "GET", "/newsletter", backnumber_index, 0);
	router_add(r, "GET", "/newsletter/feed.xml", backnumber_feed, 0);
	router_add(r, "GET", "/newsletter/{slug}", backnumber_show, 0);
}
