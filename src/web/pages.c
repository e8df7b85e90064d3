/*
 * pages.c — the public HTML pages: home (latest articles, ?page=N), one
 * article, a tag's articles and /about. Each handler answers from the page
 * cache when it can; otherwise it reads the domain (site/), renders, caches
 * and counts the view. Unknown slugs, empty tags and pages past the last
 * one are 404s and are never cached.
 */
#include "web/web_int.h"

#define HTML_CTYPE "text/html; charset=utf-8"

/* Adds prev/next links for a list at base_path (already URL-safe). */
static void add_pagination(struct web_page *pg, const char *base_path, int page, int64_t total,
                           int per)
{
	struct arena *a = pg->req->arena;
	int64_t pages = total <= 0 ? 1 : (total + per - 1) / per;
	struct view_val *p = view_map(a);
	view_set_int(p, "page", page);
	view_set_int(p, "pages", pages);
	view_set_bool(p, "has_prev", page > 1);
	view_set_bool(p, "has_next", page < pages);
	view_set_bool(p, "show", pages > 1);
	if (page == 2)
		view_set_str(p, "prev_url", base_path);
	else if (page > 2)
		view_set_str(p, "prev_url", arena_sprintf(a, "%s?page=%d", base_path, page - 1));
	view_set_str(p, "next_url", arena_sprintf(a, "%s?page=%d", base_path, page + 1));
	view_set(pg->ctx, "pagination", p);
}

/* Lists public articles (optionally of one tag or one category and those
 * below it) into ctx.articles. Returns JM_NOT_FOUND for a page past the
 * last one. */
static enum jm_rc add_list(struct web_page *pg, const char *tag, int64_t category, int page,
                           const char *base_path, int64_t *total)
{
	struct article_query q = {.public_only = true,
	                          .tag = tag,
	                          .category_id = category,
	                          .page = page,
	                          .per_page = pg->s.per_page};
	struct article *items = NULL;
	size_t n = 0;
	enum jm_rc rc = site_article_list(pg->req->db, pg->req->arena, &q, &items, &n, total);
	if (rc)
		return rc;
	if (n == 0 && (page > 1 || tag))
		return JM_NOT_FOUND;
	struct view_val *list = view_list(pg->req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(list, web_article_val(pg, &items[i]));
	view_set(pg->ctx, "articles", list);
	view_set_bool(pg->ctx, "has_articles", n > 0);
	add_pagination(pg, base_path, page, *total, pg->s.per_page);
	return JM_OK;
}

static void fail(struct req *req, enum jm_rc rc)
{
	web_error_page(req, http_status_for(rc));
}

/* A query on "/" other than ?page=N: WordPress's /?p=123, /?page_id=5. */
static bool other_query(const struct req *req)
{
	return req->query.p && req->query.len &&
	       !(req->query.len > 5 && !memcmp(req->query.p, "page=", 5) &&
	         !memchr(req->query.p, '&', req->query.len));
}

void web_home(struct req *req)
{
	int page;
	if (other_query(req) && web_redirect_old(req))
		return;
	if (!web_query_page(req, &page)) {
		web_error_page(req, 404);
		return;
	}
	char key[WEB_KEY_MAX];
	bool cacheable = web_cache_key(req, page, key);
	if (cacheable && web_serve_cached(req, key, "/"))
		return;
	struct web_page pg;
	int64_t total = 0;
	enum jm_rc rc = web_page_init(
	        &pg, req, page > 1 ? arena_sprintf(req->arena, "/?page=%d", page) : "/");
	if (!rc)
		rc = add_list(&pg, NULL, 0, page, "/", &total);
	if (rc) {
		fail(req, rc);
		return;
	}
	if (page > 1)
		web_page_meta(&pg, arena_sprintf(req->arena, "%s (%d)", pg.s.title, page), NULL,
		              "website");
	web_page_send(&pg, "site/home.html", HTML_CTYPE, cacheable ? key : NULL, "/");
}

static bool slug_ok(const char *s)
{
	return jm_slug_valid(s, ARTICLE_SLUG_MAX);
}

#define RELATED_MAX 4

/* ctx.prev, ctx.next and ctx.related: where to read on. */
static enum jm_rc add_read_on(struct web_page *pg, const struct article *art)
{
	struct article *prev = NULL, *next = NULL, *rel = NULL;
	size_t n = 0;
	enum jm_rc rc = site_article_neighbours(pg->req->db, pg->req->arena, art, &prev, &next);
	if (!rc)
		rc = site_article_related(pg->req->db, pg->req->arena, art, RELATED_MAX, &rel, &n);
	if (rc)
		return rc;
	if (prev)
		view_set(pg->ctx, "prev", web_article_val(pg, prev));
	if (next)
		view_set(pg->ctx, "next", web_article_val(pg, next));
	view_set_bool(pg->ctx, "has_neighbours", prev || next);
	struct view_val *list = view_list(pg->req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(list, web_article_val(pg, &rel[i]));
	view_set(pg->ctx, "related", list);
	view_set_bool(pg->ctx, "has_related", n > 0);
	return JM_OK;
}

/* Fills ctx.article with the rendered body and its metadata. */
static enum jm_rc add_article(struct web_page *pg, const struct article *art)
{
	char *html;
	size_t len;
	enum jm_rc rc = web_article_html(pg, art, &html, &len);
	if (rc)
		return rc;
	struct view_val *m = web_article_val(pg, art);
	view_set_html(m, "html", html, len);
	struct view_val *cats = view_list(pg->req->arena);
	for (size_t i = 0; i < art->ncategories; i++) {
		struct view_val *c = view_map(pg->req->arena);
		view_set_str(c, "name", art->categories[i].name);
		view_set_str(c, "slug", art->categories[i].slug);
		view_push(cats, c);
	}
	view_set(m, "categories", cats);
	view_set_bool(m, "has_categories", art->ncategories > 0);
	/* The facade's loader only where there is a facade (site/embed.c): a
	 * page without video runs no script at all. */
	view_set_bool(m, "has_video", strstr(html, "<div class=\"embed embed-youtube\"") != NULL);
	view_set(pg->ctx, "article", m);
	rc = add_read_on(pg, art);
	if (rc)
		return rc;
	const char *ex = art->excerpt;
	if (!ex || !*ex)
		ex = site_excerpt(pg->req->arena, art->body_md, strlen(art->body_md), 120);
	web_page_meta(pg, art->title, ex, "article");
	pg->image = art->featured_image;
	return JM_OK;
}

void web_article(struct req *req)
{
	const char *slug = req_param(req, "slug");
	if (!slug || !*slug || strlen(slug) > ARTICLE_SLUG_MAX) {
		web_error_page(req, 404);
		return;
	}
	/* One cache entry per article however the slug was spelled in the
	 * request (raw UTF-8, %e3 or %E3): the key is the canonical path. Only
	 * stored (so valid) slugs are ever cached, and the encoding is
	 * one-to-one, so the full slug check (Unicode folding) waits for a
	 * miss. */
	const char *path = web_article_path(req->arena, slug);
	const char *stat = arena_sprintf(req->arena, "/articles/%s", slug);
	bool cacheable = strlen(path) < WEB_KEY_MAX;
	const char *key = path;
	if (cacheable && web_serve_cached(req, key, stat))
		return;
	if (!slug_ok(slug)) {
		web_error_page(req, 404);
		return;
	}
	struct web_page pg;
	struct article art;
	enum jm_rc rc = web_page_init(&pg, req, path);
	if (!rc)
		rc = site_article_get_public(req->db, req->arena, slug, &art);
	if (!rc)
		rc = add_article(&pg, &art);
	if (rc) {
		fail(req, rc);
		return;
	}
	web_page_send(&pg, "site/article.html", HTML_CTYPE, cacheable ? key : NULL, stat);
}

void web_tag(struct req *req)
{
	const char *tag = req_param(req, "tag");
	int page;
	if (!tag || !*tag || strlen(tag) > TAG_NAME_MAX || !web_query_page(req, &page)) {
		web_error_page(req, 404);
		return;
	}
	char key[WEB_KEY_MAX];
	bool cacheable = web_cache_key(req, page, key);
	const char *stat = arena_sprintf(req->arena, "/tags/%s", tag);
	if (cacheable && web_serve_cached(req, key, stat))
		return;
	struct buf enc;
	buf_init(&enc, 1024);
	enum jm_rc rc = buf_appends(&enc, "/tags/");
	if (!rc)
		rc = http_url_encode(&enc, tag, strlen(tag));
	const char *base_path = arena_strdup(req->arena, buf_cstr(&enc));
	buf_free(&enc);
	struct web_page pg;
	int64_t total = 0;
	if (!rc)
		rc = web_page_init(
		        &pg, req,
		        page > 1 ? arena_sprintf(req->arena, "%s?page=%d", base_path, page)
		                 : base_path);
	if (!rc)
		rc = add_list(&pg, tag, 0, page, base_path, &total);
	if (rc) {
		fail(req, rc);
		return;
	}
	view_set_str(pg.ctx, "tag", tag);
	view_set_int(pg.ctx, "total", total);
	const char *tl = i18n_get(req->app->i18n, pg.lang, "site.tag");
	web_page_meta(&pg, arena_sprintf(req->arena, "%s: %s", tl, tag), NULL, "website");
	web_page_send(&pg, "site/tag.html", HTML_CTYPE, cacheable ? key : NULL, stat);
}

/* Fills ctx.profile_html and the page metadata of /about. */
static enum jm_rc add_profile(struct web_page *pg)
{
	const char *md = pg->s.profile_md ? pg->s.profile_md : "";
	struct buf html;
	buf_init(&html, WEB_RENDER_CAP);
	enum jm_rc rc = site_markdown(md, strlen(md), pg->s.allow_raw_html, &html);
	if (!rc) {
		char *h = arena_strndup(pg->req->arena, html.ptr ? html.ptr : "", html.len);
		view_set_html(pg->ctx, "profile_html", h, html.len);
		view_set_bool(pg->ctx, "has_profile", html.len > 0);
	}
	buf_free(&html);
	const char *title = i18n_get(pg->req->app->i18n, pg->lang, "site.about");
	if (pg->s.owner_name && *pg->s.owner_name)
		title = arena_sprintf(pg->req->arena, "%s - %s", title, pg->s.owner_name);
	const char *desc = site_excerpt(pg->req->arena, md, strlen(md), 120);
	web_page_meta(pg, title, desc, "profile");
	return rc;
}

void web_about(struct req *req)
{
	char key[WEB_KEY_MAX];
	bool cacheable = web_cache_key(req, 1, key);
	if (cacheable && web_serve_cached(req, key, "/about"))
		return;
	struct web_page pg;
	enum jm_rc rc = web_page_init(&pg, req, "/about");
	if (!rc)
		rc = add_profile(&pg);
	if (rc) {
		fail(req, rc);
		return;
	}
	web_page_send(&pg, "site/about.html", HTML_CTYPE, cacheable ? key : NULL, "/about");
}

/* The path of a list page below prefix ("/tags/", "/category/") for the
 * name, percent-encoded as one segment; in the arena. */
static const char *list_path(struct arena *a, const char *prefix, const char *name, enum jm_rc *rc)
{
	struct buf enc;
	buf_init(&enc, 1024);
	*rc = buf_appends(&enc, prefix);
	if (!*rc)
		*rc = http_url_encode(&enc, name, strlen(name));
	const char *out = arena_strdup(a, buf_cstr(&enc));
	buf_free(&enc);
	return out;
}

/* /category/{slug}: the category's public articles and those of the
 * categories below it. */
void web_category(struct req *req)
{
	const char *slug = req_param(req, "slug");
	int page;
	if (!slug || !*slug || strlen(slug) > ARTICLE_SLUG_MAX || !web_query_page(req, &page)) {
		web_error_page(req, 404);
		return;
	}
	char key[WEB_KEY_MAX];
	bool cacheable = web_cache_key(req, page, key);
	const char *stat = arena_sprintf(req->arena, "/category/%s", slug);
	if (cacheable && web_serve_cached(req, key, stat))
		return;
	struct category cat;
	struct web_page pg;
	int64_t total = 0;
	enum jm_rc rc = JM_OK;
	const char *base_path = list_path(req->arena, "/category/", slug, &rc);
	if (!rc)
		rc = site_category_by_slug(req->db, req->arena, slug, &cat);
	if (!rc)
		rc = web_page_init(
		        &pg, req,
		        page > 1 ? arena_sprintf(req->arena, "%s?page=%d", base_path, page)
		                 : base_path);
	if (!rc)
		rc = add_list(&pg, NULL, cat.id, page, base_path, &total);
	if (!rc && total == 0)
		rc = JM_NOT_FOUND; /* an empty category is no page (as an empty tag) */
	if (rc) {
		fail(req, rc);
		return;
	}
	view_set_str(pg.ctx, "category", cat.name);
	view_set_int(pg.ctx, "total", total);
	const char *tl = i18n_get(req->app->i18n, pg.lang, "site.category");
	web_page_meta(&pg, arena_sprintf(req->arena, "%s: %s", tl, cat.name), NULL, "website");
	web_page_send(&pg, "site/category.html", HTML_CTYPE, cacheable ? key : NULL, stat);
}
