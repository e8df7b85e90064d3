/*
 * feeds.c — machine-read public resources: the Atom 1.0 feed (RFC 4287)
 * of the latest public articles, the sitemap (sitemaps.org 0.9),
 * robots.txt and /healthz.
 *
 * Entry content is the rendered article HTML carried as escaped text in
 * <content type="html">, as RFC 4287 section 3.1.1.2 requires; templates
 * escape it like every other owner string.
 */
#include "web/web_int.h"

#define FEED_ENTRIES  20
#define SITEMAP_PAGES 50 /* x 100 articles */

/* One feed entry: the article's fields plus its HTML as plain text. */
static enum jm_rc feed_entry(struct web_page *pg, const struct article *art, struct view_val **out)
{
	char *html;
	size_t len;
	enum jm_rc rc = web_article_html(pg, art, &html, &len);
	if (rc)
		return rc;
	struct view_val *m = web_article_val(pg, art);
	view_set_strn(m, "content", html, len); /* escaped again inside the XML */
	*out = m;
	return JM_OK;
}

void web_feed(struct req *req)
{
	if (web_serve_cached(req, "/feed.xml", NULL))
		return;
	struct web_page pg;
	struct article *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	struct article_query q = {.public_only = true, .page = 1, .per_page = FEED_ENTRIES};
	enum jm_rc rc = web_page_init(&pg, req, "/feed.xml");
	if (!rc)
		rc = site_article_list(req->db, req->arena, &q, &items, &n, &total);
	struct view_val *list = view_list(req->arena);
	int64_t updated = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct view_val *e = NULL;
		rc = feed_entry(&pg, &items[i], &e);
		if (!rc)
			view_push(list, e);
		if (items[i].updated_at > updated)
			updated = items[i].updated_at;
		if (items[i].published_at > updated)
			updated = items[i].published_at;
	}
	if (rc) {
		web_error_page(req, 500);
		return;
	}
	char ts[32];
	jm_time_iso(updated ? updated : jm_now(), ts);
	view_set_str(pg.ctx, "updated_iso", arena_strdup(req->arena, ts));
	view_set(pg.ctx, "entries", list);
	web_page_send(&pg, "site/feed.xml", "application/atom+xml; charset=utf-8", "/feed.xml",
	              NULL);
}

static void push_url(struct web_page *pg, struct view_val *list, const char *loc, const char *day)
{
	struct view_val *m = view_map(pg->req->arena);
	view_set_str(m, "loc", loc);
	view_set_str(m, "lastmod", day);
	view_push(list, m);
}

/* Adds every public article (newest first, capped) to list. */
static enum jm_rc sitemap_articles(struct web_page *pg, struct view_val *list)
{
	for (int page = 1; page <= SITEMAP_PAGES; page++) {
		struct article_query q = {.public_only = true, .page = page, .per_page = 100};
		struct article *items = NULL;
		size_t n = 0;
		int64_t total = 0;
		enum jm_rc rc =
		        site_article_list(pg->req->db, pg->req->arena, &q, &items, &n, &total);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++) {
			char day[16];
			int64_t t = items[i].updated_at > items[i].published_at
			                    ? items[i].updated_at
			                    : items[i].published_at;
			jm_time_day(t, day);
			push_url(pg, list,
			         arena_sprintf(pg->req->arena, "%s%s", pg->base,
			                       web_article_path(pg->req->arena, items[i].slug)),
			         arena_strdup(pg->req->arena, day));
		}
		if ((int64_t)page * 100 >= total)
			break;
	}
	return JM_OK;
}

static enum jm_rc sitemap_tags(struct web_page *pg, struct view_val *list)
{
	struct tag_count *tags = NULL;
	size_t n = 0;
	enum jm_rc rc = site_tag_list(pg->req->db, pg->req->arena, &tags, &n);
	for (size_t i = 0; i < n && !rc; i++) {
		struct buf u;
		buf_init(&u, 4096);
		rc = buf_appendf(&u, "%s/tags/", pg->base);
		if (!rc)
			rc = http_url_encode(&u, tags[i].name, strlen(tags[i].name));
		if (!rc)
			push_url(pg, list, arena_strdup(pg->req->arena, buf_cstr(&u)), NULL);
		buf_free(&u);
	}
	return rc;
}

void web_sitemap(struct req *req)
{
	if (web_serve_cached(req, "/sitemap.xml", NULL))
		return;
	struct web_page pg;
	enum jm_rc rc = web_page_init(&pg, req, "/sitemap.xml");
	struct view_val *list = view_list(req->arena);
	if (!rc) {
		push_url(&pg, list, arena_sprintf(req->arena, "%s/", pg.base), NULL);
		push_url(&pg, list, arena_sprintf(req->arena, "%s/about", pg.base), NULL);
		rc = sitemap_articles(&pg, list);
	}
	if (!rc)
		rc = sitemap_tags(&pg, list);
	if (rc) {
		web_error_page(req, 500);
		return;
	}
	view_set(pg.ctx, "urls", list);
	web_page_send(&pg, "site/sitemap.xml", "application/xml; charset=utf-8", "/sitemap.xml",
	              NULL);
}

void web_robots(struct req *req)
{
	if (web_serve_cached(req, "/robots.txt", NULL))
		return;
	struct web_page pg;
	if (web_page_init(&pg, req, "/robots.txt") != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	web_page_send(&pg, "site/robots.txt", "text/plain; charset=utf-8", "/robots.txt", NULL);
}

void web_healthz(struct req *req)
{
	http_header(req, "cache-control", "no-store");
	http_send(req, 200, "text/plain; charset=utf-8", "ok", 2);
}
