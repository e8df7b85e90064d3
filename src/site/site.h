/*
 * site.h — the publishing domain: settings, articles and tags, Markdown,
 * and cookieless page-view statistics. No HTTP here: handlers in web/,
 * admin/ and api/ call these functions.
 *
 * Memory: functions taking a struct arena allocate their results there.
 * Threading: every function uses the caller's db connection; site_stats is
 * thread-safe.
 */
#ifndef JM_SITE_H
#define JM_SITE_H

#include "core/core.h"

struct db;

/* ---- the page-cache generation (content.c) ----
 * Every write function whose change a public page shows (articles, site
 * settings, lists, broadcasts) ends with `return site_content_written(db,
 * rc)`: when rc is JM_OK it calls the hook the app registered, which
 * invalidates this process's cached pages, and bumps the generation row
 * and notifies SITE_CONTENT_CHANNEL so every other node invalidates its
 * own. Handlers never do it themselves. */
#define SITE_CONTENT_CHANNEL "jm_content"
/* Registers fn(ctx) as the hook (NULL: none); call before threads start. */
void site_content_hook(void (*fn)(void *ctx), void *ctx);
/* When rc is JM_OK: calls the hook, bumps and notifies (db may be NULL:
 * this process only). Returns rc. */
enum jm_rc site_content_written(struct db *db, enum jm_rc rc);
/* The shared content generation (content_state), for nodes that poll it. */
enum jm_rc site_content_gen(struct db *db, int64_t *gen) JM_WUR;
/* Cluster job (run by one node at a time, under its lock): announces the
 * articles whose scheduled publication time passed since the last run
 * (logged as event=scheduled_published), once across the cluster, and
 * bumps the generation so every node refreshes its lists. *n = how many. */
enum jm_rc site_publish_due(struct db *db, int64_t now, int64_t *n) JM_WUR;

/* ---- theme overrides shared by every node (theme.c) ----
 * Templates that replace same-named ones of the share directory, named by
 * their path below the theme directory ("site/layout.html"). */
#define SITE_THEME_MAX (4u << 20) /* bytes of one file, as view/ reads */
struct site_theme_file {
	const char *name, *body;
	size_t len;
};
/* True for a name the theme may hold: '/'-separated parts of letters,
 * digits, '_', '-' and '.', none starting with '.', ending in .html, .xml
 * or .txt, under 512 bytes. */
bool site_theme_name_ok(const char *name);
/* Stores body (len bytes) under name unless the stored copy is as new
 * (edited at mtime or later). JM_INVALID for a bad name, JM_TOO_LARGE past
 * SITE_THEME_MAX. */
enum jm_rc site_theme_put(struct db *db, const char *name, const char *body, size_t len,
                          int64_t mtime) JM_WUR;
/* Every stored file, in the arena. */
enum jm_rc site_theme_list(struct db *db, struct arena *a, struct site_theme_file **out,
                           size_t *n) JM_WUR;

/* ---- times the owner types (when.c): one rule each for admin, API, CLI ---- */
struct site_settings;
/* Parses "YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]" or "YYYY-MM-DD HH:MM"; a time
 * without a zone is read in the site's zone (st; NULL reads UTC).
 * JM_INVALID when s is NULL or not such a time. */
enum jm_rc site_time_parse(const struct site_settings *st, const char *s, int64_t *out) JM_WUR;
/* The schedule rule: JM_OK when when > now, else JM_INVALID with err
 * naming field ("<field> must be in the future"). */
enum jm_rc site_schedule_check(int64_t when, int64_t now, const char *field,
                               struct jm_err *err) JM_WUR;

/* ---- settings (settings.c) ----
 * One table describes every site setting; the admin settings page is
 * generated from it and saving validates against it. */
enum setting_type {
	SET_STR,
	SET_TEXT,
	SET_URL,
	SET_BOOL,
	SET_INT,
	SET_LANG,
	SET_ZONE, /* an IANA time zone name (core jm_tz_valid) */
	SET_SMTP, /* smtp:// or smtps:// relay URL, maybe with user:password@ */
};
struct setting_def {
	const char *key; /* also the form field name */
	enum setting_type type;
	const char *def;       /* default value as text */
	size_t max_len;        /* bytes; for SET_INT the maximum value */
	const char *label_key; /* i18n key for the label, e.g. "settings.site_title" */
	const char *group;     /* "site", "profile", "sns", "advanced" */
};
const struct setting_def *site_setting_defs(size_t *n);

/* A snapshot of all settings (values in the arena). */
struct site_settings {
	const char *title, *description, *base_url, *lang, *owner_name, *profile_md, *topics;
	const char *sns_x, *sns_youtube, *sns_instagram, *sns_note, *sns_facebook, *sns_github;
	bool allow_raw_html;
	int per_page;
	const char *tz;    /* the site's IANA zone ("Asia/Tokyo"): read times typed
	                      without zone with jm_time_parse_zone(s, tz, …) */
	int tz_offset_min; /* tz's offset from UTC now, in minutes (+540 JST): for
	                      showing times; daylight saving makes it differ
	                      from the offset at other instants */
};
enum jm_rc site_settings_load(struct db *db, struct arena *a, struct site_settings *out) JM_WUR;
/* The site's public URL without a trailing slash: override (the
 * --base-url flag) if set, else the base_url setting, else "http://" +
 * listen (the address the server answers on). */
const char *site_base_url(struct arena *a, const struct site_settings *s, const char *override,
                          const char *listen);
/* Raw value by key ("" if unset and no default). */
const char *site_setting_get(struct db *db, struct arena *a, const char *key);
/* smtp_url with its password left out ("smtp://user@host"), for showing;
 * url itself when it holds none. */
const char *site_smtp_url_public(struct arena *a, const char *url);
bool site_smtp_url_has_password(const char *url);
/* The settings generation: bumped by every write to settings, in the same
 * transaction (triggers of migration 0007, whoever writes).
 * A reader that saw gen g and sees it unchanged holds current settings. */
enum jm_rc site_settings_gen(struct db *db, int64_t *gen) JM_WUR;
/* Validates and stores the given key/value pairs in one transaction. Unknown
 * keys, over-long values, invalid URLs or UTF-8 → JM_INVALID naming the key;
 * nothing is stored then. An smtp_url equal to the stored one without its
 * password (as site_smtp_url_public showed it) keeps the stored password. */
enum jm_rc site_settings_save(struct db *db, const char *const *keys, const char *const *vals,
                              size_t n, struct jm_err *err) JM_WUR;

/* ---- articles and tags (article.c) ---- */
#define ARTICLE_TITLE_MAX 300 /* bytes */
#define ARTICLE_BODY_MAX  (1 << 20)
#define ARTICLE_SLUG_MAX  120
#define ARTICLE_TAGS_MAX  20
#define TAG_NAME_MAX      60

struct article {
	int64_t id;
	const char *slug, *title, *body_md, *excerpt;
	const char *status;   /* "draft" or "published" */
	int64_t published_at; /* 0 if never; may be in the future (scheduled) */
	int64_t created_at, updated_at;
	const char **tags;
	size_t ntags;
	bool html_trusted; /* body last written by an owner: raw HTML may render */
};

/* Input for create/update. For update only fields with has_* set change. */
struct article_input {
	const char *title, *slug, *body_md, *excerpt, *status;
	int64_t published_at;
	const char **tags;
	size_t ntags;
	bool has_title, has_slug, has_body, has_excerpt, has_status, has_published_at, has_tags;
	/* The writer is an owner. Raw HTML (allow_raw_html) renders only in a
	 * body an owner wrote; a new body from anyone else renders in safe
	 * mode. Only read when the body is set. */
	bool html_trusted;
};

/* Validation: title required (1..ARTICLE_TITLE_MAX, no control chars),
 * slug of core/slug.c's rule in 1..120 bytes, Japanese kept (derived from
 * the title when absent), status draft|published, tags ≤ 20 each ≤ 60 bytes. Errors name the field:
 * JM_INVALID (422), JM_CONFLICT on a duplicate slug (409). Publishing
 * without published_at sets it to now. */
enum jm_rc site_article_create(struct db *db, const struct article_input *in, int64_t author_id,
                               int64_t *id_out, struct jm_err *err) JM_WUR;
enum jm_rc site_article_update(struct db *db, int64_t id, const struct article_input *in,
                               struct jm_err *err) JM_WUR;
enum jm_rc site_article_delete(struct db *db, int64_t id) JM_WUR;
enum jm_rc site_article_get(struct db *db, struct arena *a, int64_t id, struct article *out) JM_WUR;
/* Only articles visible to readers (published, published_at <= now). */
enum jm_rc site_article_get_public(struct db *db, struct arena *a, const char *slug,
                                   struct article *out) JM_WUR;

struct article_query {
	bool public_only;   /* published and published_at <= now */
	const char *status; /* filter (admin/API), NULL = any */
	const char *tag;    /* filter by tag name, NULL = any */
	int page;           /* 1-based */
	int per_page;       /* 1..100 */
};
/* Newest first (published_at, then created_at). total = all matching rows. */
enum jm_rc site_article_list(struct db *db, struct arena *a, const struct article_query *q,
                             struct article **items, size_t *n, int64_t *total) JM_WUR;
/* Earliest published_at in the future, or 0: when the public cache must be
 * refreshed for a scheduled article. */
int64_t site_next_scheduled(struct db *db);
/* Tag names with article counts (public articles only). */
struct tag_count {
	const char *name;
	int64_t count;
};
enum jm_rc site_tag_list(struct db *db, struct arena *a, struct tag_count **items,
                         size_t *n) JM_WUR;

/* ---- after an article (related.c) ---- */
/* The public article just older (*prev) and just newer (*next) than art
 * (published_at, then id), in a; NULL when there is none. */
enum jm_rc site_article_neighbours(struct db *db, struct arena *a, const struct article *art,
                                   struct article **prev, struct article **next) JM_WUR;
/* Up to max public articles other than art: most tags shared first (then
 * the newest), filled up with the newest ones. *out in a. */
enum jm_rc site_article_related(struct db *db, struct arena *a, const struct article *art,
                                size_t max, struct article **out, size_t *n) JM_WUR;

/* ---- Markdown (markdown.c, cmark) ----
 * Raw HTML is dropped (cmark safe mode) unless allow_raw is set. */
enum jm_rc site_markdown(const char *md, size_t len, bool allow_raw, struct buf *out) JM_WUR;
/* As site_markdown, for an article page: a YouTube, X or Instagram URL
 * alone in a paragraph becomes a click-to-play facade or a link card
 * (embed.c), no third-party script. */
enum jm_rc site_markdown_embeds(const char *md, size_t len, bool allow_raw, struct buf *out) JM_WUR;
/* The embed markup for url (len bytes) appended to out, *done = true; or
 * nothing (*done = false) when url is none of those. */
enum jm_rc site_embed_html(const char *url, size_t len, struct buf *out, bool *done) JM_WUR;
/* Plain-text excerpt of at most max_chars characters from Markdown. */
char *site_excerpt(struct arena *a, const char *md, size_t len, size_t max_chars);

/* The readable text of Markdown (what site_excerpt cuts), appended to out
 * up to its cap (silently cut there, on a character boundary). */
enum jm_rc site_plain_text(const char *md, size_t len, struct buf *out) JM_WUR;

/* ---- the public site search (search.c, search_query.c) ----
 * Published, public articles found by words with the people search's
 * Japanese quality (2-character words, 全角/半角 and case folding), the same
 * hits in the same order on both engines. The index follows every article
 * write (article.c calls it inside its transactions). */
#define SITE_SEARCH_Q_MAX   400 /* bytes of a query */
#define SITE_SEARCH_Q_CHARS 100 /* characters of a query */
#define SITE_SEARCH_WORDS   8   /* words of a query; more are ignored */
struct site_search_hit {
	struct article art;
	const char *snippet_html; /* escaped text, the query's words in <mark> */
};
struct site_search_result {
	struct site_search_hit *hits;
	size_t n;      /* hits on this page */
	int64_t total; /* every hit */
	size_t nwords; /* searchable words in the query (0: nothing to search) */
};
/* Page `page` (1-based, per 1..100) of the hits for q, in a. A query over
 * SITE_SEARCH_Q_CHARS characters or SITE_SEARCH_Q_MAX bytes: JM_TOO_LARGE;
 * invalid UTF-8 or control characters: JM_INVALID (err names "q"). A
 * query without words answers JM_OK with nwords 0. */
enum jm_rc site_search(struct db *db, struct arena *a, const char *q, int page, int per,
                       struct site_search_result *out, struct jm_err *err) JM_WUR;
/* Empties the index and indexes every published article again, in one
 * transaction; *n (may be NULL) = how many. `jinmyaku reindex`. */
enum jm_rc site_search_rebuild(struct db *db, int64_t *n) JM_WUR;
/* At start-up: builds the index when it is empty while published articles
 * exist (the first start after migration 0021). */
enum jm_rc site_search_ensure(struct db *db) JM_WUR;

/* ---- page-view statistics (stats.c) ----
 * Counted in memory per (day, path) and (day, referrer host), flushed to
 * the database in batches; no cookies, no addresses, no identifiers. */
struct site_stats;
struct site_stats *site_stats_new(void);
void site_stats_free(struct site_stats *s);
/* Thread-safe, allocation-free on the hot path for known keys. referer may
 * be NULL; own_host is the site's host so internal navigation is not
 * counted as a referrer. */
void site_stats_hit(struct site_stats *s, const char *path, const char *referer,
                    const char *own_host);
/* Writes pending counts in one transaction and clears them. */
enum jm_rc site_stats_flush(struct site_stats *s, struct db *db) JM_WUR;

struct day_count {
	const char *day; /* "2026-11-29" */
	int64_t views;
};
struct key_count {
	const char *key; /* path or host */
	int64_t views;
};
/* Last `days` days including today, oldest first, zero-filled. */
enum jm_rc site_stats_daily(struct db *db, struct arena *a, int days,
                            struct day_count **out) JM_WUR;
enum jm_rc site_stats_top_paths(struct db *db, struct arena *a, int days, int limit,
                                struct key_count **out, size_t *n) JM_WUR;
enum jm_rc site_stats_top_referrers(struct db *db, struct arena *a, int days, int limit,
                                    struct key_count **out, size_t *n) JM_WUR;

#endif
