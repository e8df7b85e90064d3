/*
 * import.h — moving in from another blog: WordPress's WXR export (note.com
 * exports WXR too) and はてなブログ's export (Movable Type's text format).
 * The file is read whole and checked before anything is written; content
 * becomes the site's Markdown; images are taken from a local folder, never
 * fetched; everything is stored through site_import in one transaction, so
 * a bad file or a failure leaves nothing half-imported and importing the
 * same file twice changes nothing.
 *
 * Threading: one call per db connection; nothing global but libxml2's
 * parser, which is thread-safe once initialised (imp_init).
 */
#ifndef JM_IMPORT_H
#define JM_IMPORT_H

#include <stdio.h>

#include "core/core.h"

struct db;

#define IMP_FILE_MAX ((size_t)1 << 30) /* bytes of an export file */

struct imp_opts {
	/* WordPress: a copy of the old site's wp-content/uploads; はてな: a
	 * folder holding the images by file name. NULL: images stay linked. */
	const char *uploads_dir;
	const char *tz; /* the site's zone, for times the file gives without one */
};

/* One line of the report: an item and what became of it. The outcome is
 * the CLI's English; code and arg say the same for a translation (the
 * admin's catalog keys "import.line.<code>", arg in place of {arg}). */
struct imp_line {
	const char *kind;    /* "post", "page", "image", "category", a post type… */
	const char *title;   /* the item's title or file name */
	const char *outcome; /* "imported as /articles/…", "skipped: trashed"… */
	const char *code;    /* "imported", "trashed", "image_stored"… (batch.c) */
	const char *arg;     /* the detail in the outcome (a path, a count…) or "" */
	bool skipped;
};
struct imp_report {
	int64_t imported, already, skipped, categories;
	int64_t images_found, images_stored, images_missing;
	struct imp_line *lines; /* in the caller's arena */
	size_t nlines, cap;
};

/* Calls xmlInitParser once (call before threads use the importers). */
void imp_init(void);

/* Imports the export in data[0..len) (the caller keeps it). Report lines
 * and strings go to arena a. JM_INVALID with one line in err for a file
 * that is not what it should be (not XML, truncated, a DOCTYPE — entities
 * are never expanded —, another format); JM_TOO_LARGE past IMP_FILE_MAX;
 * JM_DB when storing failed (then nothing was stored). */
enum jm_rc imp_wordpress(struct db *db, struct arena *a, const char *data, size_t len,
                         const struct imp_opts *o, struct imp_report *rep,
                         struct jm_err *err) JM_WUR;
enum jm_rc imp_hatena(struct db *db, struct arena *a, const char *data, size_t len,
                      const struct imp_opts *o, struct imp_report *rep, struct jm_err *err) JM_WUR;

/* Writes the report: one tab-separated line per item (kind, title,
 * outcome), then one summary line. */
void imp_report_write(const struct imp_report *rep, FILE *out);
/* The summary line alone, in the arena. */
const char *imp_report_summary(struct arena *a, const struct imp_report *rep);

#endif
