/*
 * web_int.h — internals shared by the public site's handlers: the page
 * cache (cache.c), the common page context and rendering helpers (web.c).
 */
#ifndef JM_WEB_INT_H
#define JM_WEB_INT_H

#include "app.h"
#include "core/core.h"
#include "http/http.h"
#include "site/site.h"
#include "view/view.h"
#include "web/web.h"

#define WEB_KEY_MAX       1024       /* longest cacheable path + query */
#define WEB_RENDER_CAP    (8u << 20) /* a rendered page, bytes */
#define WEB_CACHE_CONTROL "public, no-cache"

/* ---- page cache (cache.c) ----
 * Key: the request path plus a normalised "?page=N"; value: a rendered
 * response stamped with the content generation it was rendered at. A hit
 * is one hash, one read lock and one reference count: no SQL, no template.
 * Thread-safe. */
#define WEB_STAT_MAX 512 /* longest page-view path kept with an entry */
/* The current response for key with a reference for the caller
 * (http_blob_unref it), or NULL on a miss. With stat non-NULL, only an
 * entry stored with its page-view path is found, and that path (or ""
 * for a page not counted) is copied into stat. */
struct http_blob *web_cache_get(struct app *app, const char *key, char stat[WEB_STAT_MAX]);
/* Stores b for key (takes no reference from the caller; adds its own) if
 * it was rendered at generation gen and the cache has room. stat is the
 * page-view path a hit counts (NULL: none), kept for web_serve_fast. */
void web_cache_put(struct web_cache *c, const char *key, const char *stat, struct http_blob *b,
                   uint64_t gen);
/* The site search's result pages (web/search.c) in a table of their own,
 * with the same generation rule: key "page\nfolded words" (the words as
 * site_search_words_parse cuts them). Full, it evicts rather than refuses:
 * every query string is a key, and search keys never crowd out pages. */
#define WEB_SEARCH_CACHE_ENTRIES 512
#define WEB_SEARCH_CACHE_BYTES   ((size_t)16 << 20)
struct http_blob *web_cache_search_get(struct app *app, const char *key);
/* The two placeholders a cached result page holds where the visitor's q
 * goes (web/search.c): derived from the site's secret, so no article can
 * contain them; made once in web_cache_new. */
#define WEB_QTOKEN_LEN 24
struct web_qtokens {
	char html[WEB_QTOKEN_LEN + 1], url[WEB_QTOKEN_LEN + 1];
};
void web_search_qtokens(const unsigned char *secret, size_t len, struct web_qtokens *t);
const struct web_qtokens *web_cache_qtokens(const struct web_cache *c);
void web_cache_search_put(struct web_cache *c, const char *key, struct http_blob *b, uint64_t gen);
/* The host[:port] of the site's base URL ("" before the first render);
 * the string stays valid until web_cache_free. */
const char *web_cache_host(struct web_cache *c);
void web_cache_set_host(struct web_cache *c, const char *base);
/* Scheduler state kept with the cache (used by web_tick on one thread). */
struct web_tick_state {
	int64_t next_scheduled; /* earliest future published_at seen, or 0 */
	int64_t last_flush_ms;
	int64_t last_sched_ms;
};
struct web_tick_state *web_cache_tick_state(struct web_cache *c);

/* ---- a public page being rendered (web.c) ---- */
struct web_page {
	struct req *req;
	struct site_settings s;
	const char *base;     /* absolute base URL without trailing slash */
	struct view_val *ctx; /* the template context */
	uint64_t gen;         /* content generation at the start of the render */
	/* page.* in the context, set when the page is sent */
	const char *url, *title, *desc, *type;
	const char *image; /* page.image (og:image): a /media/ URL, "" = the site's */
	const char *lang;  /* render language: the site's */
};
/* Loads settings and fills the context shared by all pages (site, sns);
 * path (may be NULL) gives page.url, the canonical URL. JM_DB on a
 * database error. */
enum jm_rc web_page_init(struct web_page *pg, struct req *req, const char *path) JM_WUR;
/* Sets page.title, page.description and page.type (og:type). */
void web_page_meta(struct web_page *pg, const char *title, const char *desc, const char *type);
/* Renders tpl with pg's context and answers 200 with ctype, caching the
 * response under key (if not NULL) and counting a view of stat_path (if
 * not NULL). Sends an error page itself on failure. */
void web_page_send(struct web_page *pg, const char *tpl, const char *ctype, const char *key,
                   const char *stat_path);
/* Renders tpl (HTML) with pg's context and answers status, never cached:
 * Cache-Control: no-store, plus X-Robots-Tag: noindex when noindex. For
 * pages that carry a form token or what a visitor typed. Sends an error
 * page itself on failure. */
void web_page_send_nostore(struct web_page *pg, int status, const char *tpl, bool noindex);
/* Renders tpl with pg's context (page.* set first) into out (buf_free it);
 * on failure logs and returns false, out then holding nothing. */
bool web_page_render(struct web_page *pg, const char *tpl, struct buf *out);
/* Answers from the cache if key has a current response (counting a view
 * of stat_path if not NULL); false on a miss. */
bool web_serve_cached(struct req *req, const char *key, const char *stat_path);

/* "/articles/" + the slug percent-encoded as one path segment (a slug may
 * be Japanese, core/slug.c): for links, canonical URLs, the sitemap, the
 * feed and the page cache's key. In the arena. */
const char *web_article_path(struct arena *a, const char *slug);
/* Adds an article's display fields (title, url, dates, tags, excerpt). */
struct view_val *web_article_val(struct web_page *pg, const struct article *a);
/* The article's Markdown rendered to HTML in the request arena (honouring
 * the allow_raw_html setting). */
enum jm_rc web_article_html(struct web_page *pg, const struct article *a, char **html, size_t *len);
/* Answers 301 to the article an old URL of an imported blog stands for
 * (GET/HEAD only); false when the URL is no such one. One indexed query:
 * called on a 404 and for "/?…" queries other than ?page=N, never on the
 * cached pages' path. */
bool web_redirect_old(struct req *req);
/* Parses ?page=N (absent = 1). False for a malformed or absurd value. */
bool web_query_page(const struct req *req, int *page);
/* Builds the cache key path[?page=N]; false if the path is too long. */
bool web_cache_key(const struct req *req, int page, char key[WEB_KEY_MAX]);
/* Counts a page view under stat_path unless the request is HEAD or the
 * client looks like a crawler. */
void web_count_view(struct req *req, const char *stat_path);

/* Mail magazine pages (newsletter.c, backnumbers.c). */
void web_newsletter_routes(struct router *r);
void web_backnumber_routes(struct router *r);
void web_signup_embed(struct req *req);
/* Sets ctx.signup for the layout's sign-up slot (the first public list, its
 * fields and a signed render time); leaves it unset when there is none. */
void web_signup_ctx(struct web_page *pg);

/* The contact form: /contact, /contact/thanks (contact.c). */
void web_contact_routes(struct router *r);
/* ---- event.c: an event's public block and the registrant's own page ---- */
struct forms_form;
void web_event_routes(struct router *r);
/* Sets "event" in pg's context (and returns it) for an event form f:
 * when (site zone), venue, online (bool only: the URL is never public),
 * fee, party_title, capacity, left (-1 = no limit), full, waitlist,
 * waiting, party_left. templates/site/event_block.html renders it. */
struct view_val *web_event_ctx(struct web_page *pg, const struct forms_form *f);
/* A form's public page: /forms/{slug}, its answer and confirmation (forms.c). */
void web_forms_routes(struct router *r);
/* GET /media/{name}: a file this node's cache lacks, from the database (media.c). */
void web_media_routes(struct router *r);

/* Handlers (pages.c, feeds.c). */
void web_home(struct req *req);
void web_article(struct req *req);
void web_tag(struct req *req);
void web_category(struct req *req);
void web_about(struct req *req);
void web_feed(struct req *req);
void web_sitemap(struct req *req);
void web_robots(struct req *req);
void web_healthz(struct req *req);
void web_search(struct req *req); /* search.c */

#endif
