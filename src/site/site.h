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

/* ---- backup (backup.c) ----
 * Writes the backup archive (tar.gz: the SQLite snapshot, DATA/media, the
 * shared keys and theme files; on PostgreSQL all but the database, with
 * the pg_dump step in its README.txt) to path, replacing it only when
 * complete. JM_IO / JM_DB with err on failure (nothing at path then, or
 * the old file). Runs as long as the copy takes: off any event loop. */
enum jm_rc site_backup_write(struct db *db, const char *data_dir, const char *path,
                             struct jm_err *err) JM_WUR;

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
	SET_ZONE,  /* an IANA time zone name (core jm_tz_valid) */
	SET_SMTP,  /* smtp:// or smtps:// relay URL, maybe with user:password@ */
	SET_MEDIA, /* an image of the media library by its URL, or "" (site_featured_image_ok) */
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
/* The definition of key, NULL for no setting. */
const struct setting_def *site_setting_def(const char *key);
/* A secret (smtp_password): never shown back — the admin, the API and the
 * CLI say only whether it is set — and never taken from a command line. */
bool site_setting_is_secret(const char *key);
/* A catalog lookup (view's i18n_get through its caller: site/ does not
 * include view/): the text of key in lang. */
typedef const char *(*site_text_fn)(const void *ctx, const char *lang, const char *key);
/* Why site_settings_save refused (err from it; val the refused value, may
 * be NULL), in lang's words (t with tctx): returns "「label」: reason" (en "label:
 * reason"), *why the reason alone (for beside the field). One text for the
 * settings page, the API and the CLI. Arena strings. */
const char *site_setting_refusal(site_text_fn t, const void *tctx, const char *lang,
                                 struct arena *a, const struct jm_err *err, const char *val,
                                 const char **why);

/* A snapshot of all settings (values in the arena). */
struct site_settings {
	const char *title, *description, *base_url, *lang, *owner_name, *profile_md, *topics;
	const char *sns_x, *sns_youtube, *sns_instagram, *sns_note, *sns_facebook, *sns_github;
	const char *site_image, *site_logo, *site_favicon; /* /media/ URLs or "" */
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
/* Validates the key/value pairs as site_settings_save does, every one of
 * them: errs (caller's, at least max(n, 1) entries) gets one jm_err per
 * refused pair (field = its key), in the order given, and *nbad their
 * count. JM_OK when all pass, else JM_INVALID. Reads and stores nothing,
 * so a form can show every error beside its field. */
enum jm_rc site_settings_check(const char *const *keys, const char *const *vals, size_t n,
                               struct jm_err *errs, size_t *nbad) JM_WUR;
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

struct category;

struct article {
	int64_t id;
	const char *slug, *title, *body_md, *excerpt;
	const char *status;   /* "draft" or "published" */
	int64_t published_at; /* 0 if never; may be in the future (scheduled) */
	int64_t created_at, updated_at;
	const char **tags;
	size_t ntags;
	bool html_trusted; /* body last written by an owner: raw HTML may render */
	/* Its categories (by name). */
	struct category *categories;
	size_t ncategories;
	const char *featured_image; /* a /media/ URL (og:image), "" for none */
};

/* Input for create/update. For update only fields with has_* set change. */
struct article_input {
	const char *title, *slug, *body_md, *excerpt, *status;
	const char *featured_image; /* "" clears it */
	int64_t published_at;
	const char **tags;
	size_t ntags;
	const char **categories; /* slugs of existing categories */
	size_t ncategories;
	bool has_title, has_slug, has_body, has_excerpt, has_status, has_published_at, has_tags,
	        has_categories;
	bool has_featured_image;
	/* The writer is an owner. Raw HTML (allow_raw_html) renders only in a
	 * body an owner wrote; a new body from anyone else renders in safe
	 * mode. Only read when the body is set. */
	bool html_trusted;
	/* Who saves (users.id, 0: unknown): the update's revision names them
	 * (create records author_id). */
	int64_t editor_id;
};

/* Validation: title required (1..ARTICLE_TITLE_MAX, no control chars),
 * slug of core/slug.c's rule in 1..120 bytes, Japanese kept (derived from
 * the title when absent), status draft|published, tags ≤ 20 each ≤ 60 bytes,
 * categories ≤ 20 slugs of existing categories. Errors name the field:
 * JM_INVALID (422), JM_CONFLICT on a duplicate slug (409). Publishing
 * without published_at sets it to now. */
/* The featured image rule (admin, API, CLI): empty, or an image of the
 * media library by its URL ("/media/<key>-<w>x<h>.<jpg|png|webp>"). */
bool site_featured_image_ok(const char *url);
enum jm_rc site_article_create(struct db *db, const struct article_input *in, int64_t author_id,
                               int64_t *id_out, struct jm_err *err) JM_WUR;
enum jm_rc site_article_update(struct db *db, int64_t id, const struct article_input *in,
                               struct jm_err *err) JM_WUR;
enum jm_rc site_article_get(struct db *db, struct arena *a, int64_t id, struct article *out) JM_WUR;
/* Only articles visible to readers (published, published_at <= now). */
enum jm_rc site_article_get_public(struct db *db, struct arena *a, const char *slug,
                                   struct article *out) JM_WUR;

struct article_query {
	bool public_only;    /* published and published_at <= now */
	const char *status;  /* filter (admin/API), NULL = any */
	const char *tag;     /* filter by tag name, NULL = any */
	int64_t category_id; /* filter: this category or any below it, 0 = any */
	int page;            /* 1-based */
	int per_page;        /* 1..100 */
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

/* ---- categories (category.c): a tree beside the tags ---- */
#define CATEGORY_NAME_MAX      60 /* bytes */
#define ARTICLE_CATEGORIES_MAX 20 /* per article */
struct category {
	int64_t id, parent_id; /* parent_id 0: top level */
	const char *name, *slug;
	int depth;     /* 0 for top level (site_category_list) */
	int64_t count; /* public articles in it directly (site_category_list) */
};
/* Creates a category: name 1..CATEGORY_NAME_MAX bytes on one line; slug
 * of core/slug.c's rule (NULL or "": derived from the name, suffixed when
 * taken); parent_id 0 or an existing category. JM_INVALID naming the
 * field, JM_CONFLICT for a taken explicit slug. */
enum jm_rc site_category_create(struct db *db, const char *name, const char *slug,
                                int64_t parent_id, int64_t *id_out, struct jm_err *err) JM_WUR;
/* Deletes one; its children move to the top level, its articles keep
 * their other categories. JM_NOT_FOUND when there is none. */
enum jm_rc site_category_delete(struct db *db, int64_t id) JM_WUR;
/* The whole tree, each parent followed by its children (by name), depth
 * set; in the arena. */
enum jm_rc site_category_list(struct db *db, struct arena *a, struct category **out,
                              size_t *n) JM_WUR;
/* One category by slug or id: JM_NOT_FOUND when there is none. */
enum jm_rc site_category_by_slug(struct db *db, struct arena *a, const char *slug,
                                 struct category *out) JM_WUR;
enum jm_rc site_category_get(struct db *db, struct arena *a, int64_t id,
                             struct category *out) JM_WUR;

/* ---- old URLs (redirect.c) ----
 * The key of an old URL: path percent-decoded, a trailing '/' dropped
 * (except the root's), then "?" and the query as given when there is one.
 * NULL when it is not valid UTF-8 or longer than SITE_REDIRECT_MAX. */
#define SITE_REDIRECT_MAX 1000
const char *site_redirect_key(struct arena *a, const char *path, size_t plen, const char *query,
                              size_t qlen);
/* The slug of the public article an old URL (a key as above) stands for:
 * JM_NOT_FOUND when none (or the article is not public). */
enum jm_rc site_redirect_find(struct db *db, struct arena *a, const char *key,
                              const char **slug) JM_WUR;

/* ---- imports from another blog (import.c) ----
 * A parsed export (src/import/ reads the files) written in ONE
 * transaction: a database error leaves nothing imported. Items already
 * imported from the same source (by key) are left alone, so importing a
 * file twice changes nothing. */
struct site_import_category {
	const char *slug, *name, *parent_slug; /* parent_slug NULL: top level */
};
enum site_import_result {
	SITE_IMPORT_NEW,     /* imported now as article_id */
	SITE_IMPORT_SEEN,    /* imported before: nothing changed */
	SITE_IMPORT_INVALID, /* refused: why says which field */
};
struct site_import_item {
	const char *key;         /* the source's key: guid, post id, BASENAME */
	struct article_input in; /* categories: slugs of the file's categories;
	                            a taken slug gets a -2, -3 suffix */
	const char **old_paths;  /* old URLs, path[?query] as in the export */
	size_t nold;
	/* OUT */
	enum site_import_result result;
	int64_t article_id;
	const char *slug, *why; /* in the arena */
};
/* source: "wordpress", "hatena". Categories are created when their slug is
 * new (parents first; *new_cats counts them); an existing slug is reused. */
enum jm_rc site_import(struct db *db, struct arena *a, const char *source,
                       const struct site_import_category *cats, size_t ncats,
                       struct site_import_item *items, size_t n, int64_t *new_cats,
                       struct jm_err *err) JM_WUR;

/* ---- the trash (trash.c) ----
 * Deleting an article moves it to the trash for SITE_TRASH_DAYS: it is no
 * longer served, listed or editable (site_article_get answers
 * JM_NOT_FOUND), its slug is free for others, and it can be restored. */
#define SITE_TRASH_DAYS 30
/* Moves the article to the trash. JM_NOT_FOUND: no such article (or it is
 * already in the trash). */
enum jm_rc site_article_delete(struct db *db, int64_t id) JM_WUR;
/* Takes the article out of the trash with its old slug, or new_slug when
 * given (NULL or "": the old one). JM_CONFLICT (err names "slug", says to
 * choose a new one) when another article holds that slug meanwhile;
 * JM_INVALID for a bad new_slug; JM_NOT_FOUND when not in the trash. */
enum jm_rc site_article_restore(struct db *db, int64_t id, const char *new_slug,
                                struct jm_err *err) JM_WUR;
struct site_trashed {
	int64_t id;
	const char *title, *slug; /* slug: the one it had */
	int64_t trashed_at;
};
/* Trashed articles, newest trashed first (in the arena). */
enum jm_rc site_trash_articles(struct db *db, struct arena *a, struct site_trashed **out,
                               size_t *n) JM_WUR;
/* Removes for good the articles trashed at now - SITE_TRASH_DAYS days or
 * earlier (with their tags and revisions); *n = how many. For the hourly
 * cluster job. */
enum jm_rc site_trash_purge(struct db *db, int64_t now, int64_t *n) JM_WUR;

/* ---- revisions (revision.c) ----
 * Every save of an article keeps a revision; the newest
 * SITE_REVISIONS_KEPT per article are kept. */
#define SITE_REVISIONS_KEPT 50
struct site_revision {
	int64_t id, article_id, created_at;
	const char *title, *body_md;
	const char *author; /* name or email; "" when unknown (API, deleted user) */
};
/* Adds a revision holding the article's stored title and body, inside the
 * caller's transaction, and drops the oldest past SITE_REVISIONS_KEPT.
 * author_id 0: unknown. Called by article.c's writes only. */
enum jm_rc site_revision_add(struct db *db, int64_t article_id, int64_t author_id) JM_WUR;
/* The article's revisions, newest first (in the arena). */
enum jm_rc site_revision_list(struct db *db, struct arena *a, int64_t article_id,
                              struct site_revision **out, size_t *n) JM_WUR;
/* One revision of that article; JM_NOT_FOUND otherwise. */
enum jm_rc site_revision_get(struct db *db, struct arena *a, int64_t article_id, int64_t rev_id,
                             struct site_revision *out) JM_WUR;
/* A line diff from old to new_ (arena): op ' ' same, '-' only in old,
 * '+' only in new; line numbers 1-based, 0 where the line is absent. */
struct site_diff_line {
	char op;
	const char *text;
	size_t len;
	int64_t old_no, new_no;
};
void site_diff_lines(struct arena *a, const char *old, const char *new_,
                     struct site_diff_line **out, size_t *n);

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
 * Raw HTML is dropped (cmark safe mode) unless allow_raw is set. Images of
 * the media library render as <picture> with WebP and JPEG/PNG srcsets. */
enum jm_rc site_markdown(const char *md, size_t len, bool allow_raw, struct buf *out) JM_WUR;
struct site_md_opts {
	bool allow_raw;
	bool mail;            /* library images as one JPEG/PNG <img>, absolute */
	const char *base_url; /* the site's, without a trailing slash: mail's
	                         image URLs start with it (and library URLs
	                         written absolute are recognised) */
	bool embeds;          /* article pages: YouTube/X/Instagram URLs alone
	                         on a line become a facade or a card (embed.c) */
};
enum jm_rc site_markdown_opts(const char *md, size_t len, const struct site_md_opts *o,
                              struct buf *out) JM_WUR;

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
/* The query as the search sees it, for caching result pages: its words
 * folded and joined by one space, in a ("" when it has none: *nwords 0);
 * the same errors as site_search. Two queries with the same key find the
 * same hits. */
enum jm_rc site_search_key(struct arena *a, const char *q, const char **key, size_t *nwords,
                           struct jm_err *err) JM_WUR;
/* Empties the index and indexes every published article again, in one
 * transaction; *n (may be NULL) = how many. `jinmyaku reindex`: retire
 * true, every node drops its cached result pages. `jinmyaku migrate`
 * passes false: it indexes a copy no node serves yet, whose content_state
 * must stay the source's (--verify-only compares it). */
enum jm_rc site_search_rebuild(struct db *db, bool retire, int64_t *n) JM_WUR;
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
