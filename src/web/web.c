/*
 * web.c — the public site's shared machinery: routes, the page context
 * every template gets (site, page), rendering into cached responses,
 * page-view counting, friendly error pages and the once-a-second tick.
 *
 * Public pages are rendered in the site's language (settings lang), not
 * the visitor's, so one cached response fits every visitor. Absolute URLs
 * (canonical, OGP, feed, sitemap) start from JINMYAKU_BASE_URL, else the
 * base_url setting, else http://LISTEN.
 */
#include <strings.h>

#include "web/web_int.h"

#define HTML_CTYPE     "text/html; charset=utf-8"
#define FLUSH_EVERY_MS 10000
#define PAGE_MAX       100000

void web_routes(struct app *app, struct router *r)
{
	(void)app;
	router_add(r, "GET", "/", web_home, 0);
	router_add(r, "GET", "/articles/{slug}", web_article, 0);
	router_add(r, "GET", "/tags/{tag}", web_tag, 0);
	router_add(r, "GET", "/category/{slug}", web_category, 0);
	router_add(r, "GET", "/about", web_about, 0);
	router_add(r, "GET", "/search", web_search, 0);
	router_add(r, "GET", "/feed.xml", web_feed, 0);
	router_add(r, "GET", "/sitemap.xml", web_sitemap, 0);
	router_add(r, "GET", "/robots.txt", web_robots, 0);
	router_add(r, "GET", "/healthz", web_healthz, 0);
	web_newsletter_routes(r);
	web_contact_routes(r);
	web_event_routes(r);
	web_forms_routes(r);
	web_media_routes(r);
}

/* ---- context ---- */

static const char *base_url(struct req *req, const struct site_settings *s)
{
	return site_base_url(req->arena, s, req->app->cfg.base_url, req->app->cfg.listen);
}

static void add_sns(struct web_page *pg, struct view_val *site)
{
	const struct {
		const char *name, *url;
	} sns[] = {
	        {"X", pg->s.sns_x},
	        {"YouTube", pg->s.sns_youtube},
	        {"Instagram", pg->s.sns_instagram},
	        {"note", pg->s.sns_note},
	        {"Facebook", pg->s.sns_facebook},
	        {"GitHub", pg->s.sns_github},
	};
	struct view_val *list = view_list(pg->req->arena);
	bool any = false;
	for (size_t i = 0; i < sizeof(sns) / sizeof(sns[0]); i++) {
		if (!sns[i].url || !*sns[i].url)
			continue;
		struct view_val *m = view_map(pg->req->arena);
		view_set_str(m, "name", sns[i].name);
		view_set_str(m, "url", sns[i].url);
		view_push(list, m);
		any = true;
	}
	view_set(site, "sns", list);
	view_set_bool(site, "has_sns", any);
}

enum jm_rc web_page_init(struct web_page *pg, struct req *req, const char *path)
{
	memset(pg, 0, sizeof(*pg));
	pg->req = req;
	pg->gen = atomic_load_explicit(&req->app->content_gen, memory_order_acquire);
	enum jm_rc rc = site_settings_load(req->db, req->arena, &pg->s);
	if (rc)
		return rc;
	struct arena *a = req->arena;
	pg->lang = strcmp(pg->s.lang, "en") == 0 ? "en" : "ja";
	pg->base = base_url(req, &pg->s);
	web_cache_set_host(req->app->cache, pg->base);
	pg->ctx = view_map(a);
	struct view_val *site = view_map(a);
	view_set_str(site, "title", pg->s.title);
	view_set_str(site, "description", pg->s.description);
	view_set_str(site, "lang", pg->lang);
	view_set_str(site, "owner_name", pg->s.owner_name);
	view_set_str(site, "author", *pg->s.owner_name ? pg->s.owner_name : pg->s.title);
	view_set_str(site, "topics", pg->s.topics);
	view_set_str(site, "base_url", pg->base);
	view_set_str(site, "feed_url", arena_sprintf(a, "%s/feed.xml", pg->base));
	char day[16];
	jm_time_day(jm_now(), day);
	view_set_str(site, "year", arena_strndup(a, day, 4));
	add_sns(pg, site);
	if (*pg->s.site_logo)
		view_set_str(site, "logo", pg->s.site_logo);
	if (*pg->s.site_favicon)
		view_set_str(site, "favicon", pg->s.site_favicon);
	view_set(pg->ctx, "site", site);
	pg->url = path ? arena_sprintf(a, "%s%s", pg->base, path) : NULL;
	web_page_meta(pg, pg->s.title, pg->s.description, "website");
	web_signup_ctx(pg);
	return JM_OK;
}

void web_page_meta(struct web_page *pg, const char *title, const char *desc, const char *type)
{
	pg->title = title;
	pg->desc = desc && *desc ? desc : pg->s.description;
	pg->type = type;
}

static void set_page_ctx(struct web_page *pg)
{
	struct view_val *page = view_map(pg->req->arena);
	view_set_str(page, "url", pg->url);
	view_set_str(page, "title", pg->title);
	view_set_str(page, "description", pg->desc);
	view_set_str(page, "type", pg->type);
	/* og:image must be absolute; without the page's own picture, the
	 * site's default one (settings), else none (twitter:card summary). */
	const char *img = pg->image && *pg->image ? pg->image : pg->s.site_image;
	if (img && *img)
		view_set_str(page, "image", arena_sprintf(pg->req->arena, "%s%s", pg->base, img));
	view_set_bool(page, "is_site_title", pg->title == pg->s.title);
	view_set(pg->ctx, "page", page);
}

/* Local date of t in the site's zone, written the site's way. */
static const char *display_date(struct web_page *pg, int64_t t)
{
	char d[16];
	jm_time_day(t + (int64_t)pg->s.tz_offset_min * 60, d);
	if (strcmp(pg->lang, "en") == 0)
		return arena_strdup(pg->req->arena, d);
	int y = (int)strtol(d, NULL, 10), m = (int)strtol(d + 5, NULL, 10);
	int dd = (int)strtol(d + 8, NULL, 10);
	return arena_sprintf(pg->req->arena, "%d年%d月%d日", y, m, dd);
}

static const char *iso(struct arena *a, int64_t t)
{
	char s[32];
	jm_time_iso(t, s);
	return arena_strdup(a, s);
}

enum jm_rc web_article_html(struct web_page *pg, const struct article *art, char **html,
                            size_t *len)
{
	struct buf b;
	buf_init(&b, WEB_RENDER_CAP);
	/* Raw HTML only in a body an owner wrote (issue 8, defect 8). */
	bool raw = pg->s.allow_raw_html && art->html_trusted;
	enum jm_rc rc = site_markdown_embeds(art->body_md, strlen(art->body_md), raw, &b);
	if (!rc) {
		*html = arena_strndup(pg->req->arena, buf_cstr(&b), b.len);
		*len = b.len;
	}
	buf_free(&b);
	return rc;
}

const char *web_article_path(struct arena *a, const char *slug)
{
	struct buf b;
	buf_init(&b, WEB_KEY_MAX * 4);
	enum jm_rc rc = buf_appends(&b, "/articles/");
	if (!rc)
		rc = http_url_encode(&b, slug, strlen(slug));
	/* A slug is at most ARTICLE_SLUG_MAX bytes: 9 times that always fits. */
	const char *out = rc ? "/articles/" : arena_strndup(a, b.ptr, b.len);
	buf_free(&b);
	return out;
}

struct view_val *web_article_val(struct web_page *pg, const struct article *art)
{
	struct arena *a = pg->req->arena;
	struct view_val *m = view_map(a);
	view_set_str(m, "title", art->title);
	view_set_str(m, "slug", art->slug);
	const char *path = web_article_path(a, art->slug);
	view_set_str(m, "path", path);
	view_set_str(m, "url", arena_sprintf(a, "%s%s", pg->base, path));
	const char *ex = art->excerpt;
	if (!ex || !*ex)
		ex = site_excerpt(a, art->body_md, strlen(art->body_md), 120);
	view_set_str(m, "excerpt", ex);
	view_set_str(m, "date", display_date(pg, art->published_at));
	view_set_str(m, "published_iso", iso(a, art->published_at));
	int64_t upd = art->updated_at > art->published_at ? art->updated_at : art->published_at;
	view_set_str(m, "updated_iso", iso(a, upd));
	char day[16];
	jm_time_day(upd, day);
	view_set_str(m, "updated_day", arena_strdup(a, day));
	struct view_val *tags = view_list(a);
	for (size_t i = 0; i < art->ntags; i++)
		view_push(tags, view_str(a, art->tags[i]));
	view_set(m, "tags", tags);
	view_set_bool(m, "has_tags", art->ntags > 0);
	return m;
}

/* ---- rendering and sending ---- */

bool web_page_render(struct web_page *pg, const char *tpl, struct buf *out)
{
	struct req *req = pg->req;
	buf_init(out, WEB_RENDER_CAP);
	set_page_ctx(pg);
	enum jm_rc rc = view_render(req->app->view, tpl, pg->ctx, pg->lang, out);
	if (rc == JM_OK)
		return true;
	log_at(LOG_ERROR, "web", "render %s failed rc=%s", tpl, jm_rc_name(rc));
	buf_free(out);
	return false;
}

/* web_page_render, answering 500 when it fails. */
static bool render_page(struct web_page *pg, const char *tpl, struct buf *out)
{
	if (web_page_render(pg, tpl, out))
		return true;
	web_error_page(pg->req, 500);
	return false;
}

void web_page_send(struct web_page *pg, const char *tpl, const char *ctype, const char *key,
                   const char *stat_path)
{
	struct req *req = pg->req;
	struct buf out;
	if (!render_page(pg, tpl, &out))
		return;
	struct http_blob *b = http_blob_new(200, ctype, out.ptr ? out.ptr : "", out.len, jm_now());
	buf_free(&out);
	if (key)
		web_cache_put(req->app->cache, key, stat_path, b, pg->gen);
	if (stat_path)
		web_count_view(req, stat_path);
	http_send_blob(req, b, WEB_CACHE_CONTROL);
	http_blob_unref(b);
}

void web_page_send_nostore(struct web_page *pg, int status, const char *tpl, bool noindex)
{
	struct req *req = pg->req;
	struct buf out;
	if (!render_page(pg, tpl, &out))
		return;
	http_header(req, "cache-control", "no-store");
	if (noindex)
		http_header(req, "x-robots-tag", "noindex");
	http_send_buf(req, status, HTML_CTYPE, &out);
	buf_free(&out);
}

/* Sends a cached answer b (when there is one) and counts its page view
 * (when stat_path names one); whether it was sent. */
static bool send_cached(struct req *req, struct http_blob *b, const char *stat_path)
{
	if (!b)
		return false;
	if (stat_path && *stat_path)
		web_count_view(req, stat_path);
	http_send_blob(req, b, WEB_CACHE_CONTROL);
	http_blob_unref(b);
	return true;
}

bool web_serve_cached(struct req *req, const char *key, const char *stat_path)
{
	return send_cached(req, web_cache_get(req->app, key, NULL), stat_path);
}

bool web_serve_fast(struct req *req)
{
	if (!str_eq(req->method, "GET") && !str_eq(req->method, "HEAD"))
		return false;
	char key[WEB_KEY_MAX], stat[WEB_STAT_MAX];
	size_t n = req->path.len, q = req->query.p ? req->query.len + 1 : 0;
	if (n + q >= sizeof(key))
		return false;
	memcpy(key, req->path.p, n);
	if (q) {
		key[n] = '?';
		memcpy(key + n + 1, req->query.p, q - 1);
	}
	key[n + q] = '\0';
	return send_cached(req, web_cache_get(req->app, key, stat), stat);
}

/* ---- request helpers ---- */

bool web_query_page(const struct req *req, int *page)
{
	*page = 1;
	const char *q = req->query.p, *end = q + req->query.len;
	while (q && q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp ? amp : end;
		if (pe - q >= 4 && memcmp(q, "page", 4) == 0 && (pe - q == 4 || q[4] == '=')) {
			const char *d = q + 5;
			long v = 0;
			if (d >= pe || pe - d > 6)
				return false;
			for (; d < pe; d++) {
				if (*d < '0' || *d > '9')
					return false;
				v = v * 10 + (*d - '0');
			}
			if (v < 1 || v > PAGE_MAX)
				return false;
			*page = (int)v;
		}
		q = amp ? amp + 1 : end;
	}
	return true;
}

bool web_cache_key(const struct req *req, int page, char key[WEB_KEY_MAX])
{
	if (req->path.len > WEB_KEY_MAX - 16)
		return false;
	if (page > 1)
		snprintf(key, WEB_KEY_MAX, "%.*s?page=%d", (int)req->path.len, req->path.p, page);
	else
		snprintf(key, WEB_KEY_MAX, "%.*s", (int)req->path.len, req->path.p);
	return true;
}

/* Whether word (lower case) starts at p, ASCII case ignored. */
static bool word_at(const char *p, const char *word)
{
	for (; *word; p++, word++)
		if ((*p | 0x20) != *word)
			return false;
	return true;
}

/* "bot", "spider" or "crawl" anywhere, ASCII case ignored: one pass over
 * the header (it runs on every counted hit). */
static bool looks_like_bot(const char *ua)
{
	if (!ua || !*ua)
		return true;
	for (const char *p = ua; *p; p++) {
		switch (*p | 0x20) {
		case 'b':
			if (word_at(p, "bot"))
				return true;
			break;
		case 's':
			if (word_at(p, "spider"))
				return true;
			break;
		case 'c':
			if (word_at(p, "crawl"))
				return true;
			break;
		default: break;
		}
	}
	return false;
}

void web_count_view(struct req *req, const char *stat_path)
{
	if (!str_eq(req->method, "GET") || !req->app->stats)
		return;
	if (looks_like_bot(http_req_header(req, "user-agent")))
		return;
	const char *ref = http_req_header(req, "referer");
	if (ref) {
		/* Internal navigation: from the request's own host or the site's. */
		const char *host = http_req_host(req);
		const char *p = strstr(ref, "://");
		if (host && p && strncasecmp(p + 3, host, strlen(host)) == 0 &&
		    strchr("/?#", p[3 + strlen(host)]))
			ref = NULL;
	}
	site_stats_hit(req->app->stats, stat_path, ref, web_cache_host(req->app->cache));
}

/* ---- error pages ---- */

static const char *error_title_key(int status)
{
	switch (status) {
	case 404: return "site.not_found_title";
	case 400: return "site.bad_request_title";
	case 405: return "site.method_title";
	default: return "site.error_title";
	}
}

bool web_redirect_old(struct req *req)
{
	if (!str_eq(req->method, "GET") && !str_eq(req->method, "HEAD"))
		return false;
	const char *key = site_redirect_key(req->arena, req->path.p, req->path.len, req->query.p,
	                                    req->query.p ? req->query.len : 0);
	const char *slug = NULL;
	if (!key || !req->db || site_redirect_find(req->db, req->arena, key, &slug) != JM_OK)
		return false;
	http_header(req, "cache-control", "public, max-age=3600");
	http_redirect(req, 301, web_article_path(req->arena, slug));
	return true;
}

void web_error_page(struct req *req, int status)
{
	/* An imported blog's old URL (/2024/01/slug/, /entry/…) matches no
	 * route: its article's page, if it has one (redirect.c). */
	if (status == 404 && web_redirect_old(req))
		return;
	struct web_page pg;
	if (!req->app->view || web_page_init(&pg, req, NULL) != JM_OK) {
		http_send_text(req, status, status == 404 ? "Not Found" : "Error");
		return;
	}
	const char *title = i18n_get(req->app->i18n, pg.lang, error_title_key(status));
	web_page_meta(&pg, title, NULL, "website");
	char code[16];
	snprintf(code, sizeof(code), "%d", status);
	view_set_str(pg.ctx, "code", arena_strdup(req->arena, code));
	view_set_bool(pg.ctx, "is_404", status == 404);
	set_page_ctx(&pg);
	struct buf out;
	buf_init(&out, WEB_RENDER_CAP);
	if (view_render(req->app->view, "site/error.html", pg.ctx, pg.lang, &out) != JM_OK) {
		buf_free(&out);
		http_send_text(req, status, status == 404 ? "Not Found" : "Error");
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_send_buf(req, status, HTML_CTYPE, &out);
	buf_free(&out);
}

/* ---- tick ---- */

void web_tick(struct app *app, struct db *db)
{
	struct web_tick_state *t = web_cache_tick_state(app->cache);
	int64_t now_ms = jm_now_ms();
	if (http_stopping() || now_ms - t->last_flush_ms >= FLUSH_EVERY_MS) {
		t->last_flush_ms = now_ms;
		if (site_stats_flush(app->stats, db) != JM_OK)
			log_at(LOG_WARN, "web", "page-view flush failed; will retry");
	}
	/* A scheduled article became public: every cached list is stale. (The
	 * flush above is forced on the last tick, after the server stopped.) */
	if (t->next_scheduled && t->next_scheduled <= jm_now()) {
		app_content_changed(app);
		log_at(LOG_INFO, "web", "scheduled article published; cache refreshed");
	}
	t->next_scheduled = site_next_scheduled(db);
}
