/*
 * import_int.h — internals of import/: the parsed export (a batch), HTML
 * to Markdown, images from a folder, and the shared store step.
 */
#ifndef JM_IMPORT_INT_H
#define JM_IMPORT_INT_H

#include "core/core.h"
#include "db/db.h"
#include "import/import.h"
#include "site/site.h"

/* ---- HTML to Markdown (html2md.c) ----
 * url_fn(ud, url, image) may return a replacement for a link's or an
 * image's URL (NULL keeps it). */
typedef const char *(*imp_url_fn)(void *ud, const char *url, bool image);
/* Appends the Markdown of html[0..len) to out (capped: JM_TOO_LARGE).
 * classic: read blank lines and newlines as wpautop does. */
enum jm_rc imp_html_to_md(const char *html, size_t len, bool classic, imp_url_fn url_fn, void *ud,
                          struct buf *out) JM_WUR;

/* ---- a parsed export (batch.c) ---- */
struct imp_meta {
	const char *kind, *title;
	const char *featured; /* the featured image's URL, or NULL */
};
struct imp_batch {
	struct arena *a;
	struct site_import_category *cats;
	size_t ncats, ccap;
	struct site_import_item *items;
	struct imp_meta *meta; /* parallel to items */
	size_t nitems, icap;
	struct imp_report *rep;
};
/* A new item (zeroed) and its meta, appended. */
struct site_import_item *imp_batch_item(struct imp_batch *b, const char *kind, const char *title);
/* Item i's featured image: stored is its media library URL (the item gets
 * it as featured_image), NULL when it was not stored (nothing changes). */
void imp_batch_featured(struct imp_batch *b, size_t i, const char *stored);
/* Adds a category unless its slug is there already. */
void imp_batch_category(struct imp_batch *b, const char *slug, const char *name,
                        const char *parent_slug);
/* Adds a line to the report: code is one of batch.c's outcomes (its
 * English is the line's outcome), arg its detail (may be NULL). */
void imp_report_add(struct imp_report *rep, struct arena *a, const char *kind, const char *title,
                    bool skipped, const char *code, const char *arg);
/* Stores the batch (site_import) and reports each item. */
enum jm_rc imp_batch_store(struct db *db, const char *source, struct imp_batch *b,
                           struct jm_err *err) JM_WUR;

/* s on one line: control characters and newlines as spaces, spaces
 * trimmed, cut to max bytes on a character boundary; "" for NULL or
 * invalid UTF-8. In the arena. */
const char *imp_one_line(struct arena *a, const char *s, size_t max);
/* A slug from an export (maybe percent-encoded): kept when it follows the
 * site's rule, else remade from it; NULL when nothing is left. */
const char *imp_slug(struct arena *a, const char *raw);
/* The path[?query] of an absolute or root-relative URL, NULL if none. */
const char *imp_url_path(struct arena *a, const char *url);

/* ---- images from a folder (images.c) ---- */
struct imp_images;
/* wordpress: URLs are matched by their wp-content/uploads/ path (size
 * suffixes like -300x200 tried away); else by file name. dir NULL: every
 * URL stays as it is. */
struct imp_images *imp_images_new(struct arena *a, struct db *db, const char *dir, bool wordpress,
                                  struct imp_report *rep);
/* An imp_url_fn: the stored copy's URL for an image found in the folder,
 * NULL to keep the URL. Reports each image once. */
const char *imp_images_url(void *images, const char *url, bool image);
/* The local file for url (in the arena), or NULL (exported for tests). */
const char *imp_images_find(struct imp_images *im, const char *url);

#endif
