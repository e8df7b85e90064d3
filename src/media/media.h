/*
 * media.h — the media library: uploaded images, their resized variants and
 * the files every node serves under /media/. No HTTP here: admin/, api/,
 * web/ and the importers call these functions.
 *
 * An image is taken in once (media_add_file): its bytes are sniffed (JPEG,
 * PNG, GIF, WebP, HEIC/HEIF; never the name or a Content-Type: SVG and
 * anything else are refused), its size and pixel count are capped, EXIF
 * orientation is applied and every piece of metadata (GPS location
 * included) is dropped, and it is resized with libvips to the widths of
 * MEDIA_WIDTHS that are narrower than it (never upscaled) plus its own
 * width (at most the largest), each as WebP and as a JPEG or PNG fallback.
 *
 * The database is the source of truth (tables media and media_files: the
 * bytes of every variant), so an image taken in by one node is served by
 * every node; DATA/media/ is each node's cache of media_files, filled on
 * first request (media_file_get + media_cache_put).
 *
 * File names say everything a page needs without a query:
 *     /media/<key>-<w>x<h>.<webp|jpg|png>
 * <key> is 20 lowercase hex digits; the variants of an image of W x H are
 * media_variants(W, H). The library's URL of an image is its largest
 * fallback, /media/<key>-<W>x<H>.<jpg|png>.
 *
 * Threading: every function uses the caller's connection; media_add_file
 * is slow (hundreds of milliseconds for a large photo) — call it off the
 * event loop. Memory: results live in the caller's arena.
 */
#ifndef JM_MEDIA_H
#define JM_MEDIA_H

#include "core/core.h"

struct db;

#define MEDIA_KEY_LEN     20
#define MEDIA_MAX_BYTES   (20 * 1024 * 1024) /* default size limit of one upload */
#define MEDIA_MAX_PIXELS  (50 * 1000 * 1000) /* width x height limit (decompression bombs) */
#define MEDIA_MAX_SIDE    20000              /* pixels, either side */
#define MEDIA_NAME_MAX    200                /* bytes of the original file name kept */
#define MEDIA_MAX_VARIANT 4                  /* widths per image */
/* The widths offered to browsers (srcset); the largest caps every image. */
#define MEDIA_WIDTHS                                                                               \
	{                                                                                          \
		480, 960, 1600                                                                     \
	}

/* One width of an image: the WebP and the fallback file of that size. */
struct media_variant {
	int width, height;
	const char *webp;     /* "/media/<key>-<w>x<h>.webp" */
	const char *fallback; /* "/media/<key>-<w>x<h>.jpg" or ".png" */
};

struct media {
	int64_t id;
	const char *key;       /* MEDIA_KEY_LEN hex digits */
	const char *url;       /* the largest fallback: "/media/<key>-<W>x<H>.jpg" */
	const char *orig_name; /* as the owner's computer named it ("" if none) */
	const char *ext;       /* fallback format: "jpg" or "png" */
	int width, height;     /* the largest variant's */
	int64_t bytes;         /* all files together */
	int64_t created_at;
	size_t nvariants; /* narrowest first */
	struct media_variant variants[MEDIA_MAX_VARIANT];
};

/* Limits of one media_add_file; zero fields take the defaults above. */
struct media_limits {
	int64_t max_bytes, max_pixels;
};

/* Starts libvips (once per process; thread-safe) and blocks its loaders of
 * formats we never take. media_shutdown ends it at exit. */
void media_init(void);
void media_shutdown(void);

/* Adds the image in the file at path to the library; orig_name is the name
 * the owner's computer gave it (untrusted, only shown; NULL for none). The
 * same bytes added twice give the same row (by content hash): *out is the
 * row either way and *created (may be NULL) says whether it is new.
 * Errors (err->field holds the reason code for the message catalog,
 * "media.err.<code>"; err->msg an English sentence):
 *   JM_TOO_LARGE  "too_large" (file over max_bytes), "pixels" (over
 *                 max_pixels or MEDIA_MAX_SIDE: a decompression bomb),
 *   JM_INVALID    "type" (not an image we take: SVG, text, PDF…),
 *                 "corrupt" (looks like an image but does not decode),
 *   JM_IO, JM_DB.
 * The one entry for the admin, the API and the importers (WordPress,
 * はてな): they pass a local file. lim may be NULL. Slow: off the loop. */
enum jm_rc media_add_file(struct db *db, struct arena *a, const char *path, const char *orig_name,
                          const struct media_limits *lim, struct media *out, bool *created,
                          struct jm_err *err) JM_WUR;

/* One row by id; JM_NOT_FOUND. */
enum jm_rc media_get(struct db *db, struct arena *a, int64_t id, struct media *out) JM_WUR;
/* Newest first; total = every row. page is 1-based, per_page 1..200. */
enum jm_rc media_list(struct db *db, struct arena *a, int page, int per_page, struct media **items,
                      size_t *n, int64_t *total) JM_WUR;
/* Deletes the row and its files (the database's and this node's cache
 * under cache_dir, may be NULL) and notifies MEDIA_CHANNEL so other nodes
 * drop theirs. JM_NOT_FOUND when there is none. */
#define MEDIA_CHANNEL "jm_media"
enum jm_rc media_delete(struct db *db, int64_t id, const char *cache_dir) JM_WUR;

/* ---- names and URLs ---- */
/* Parses a library URL or file name ("/media/<key>-<w>x<h>.<ext>", or an
 * absolute URL ending so, or the bare file name): true with the key (out,
 * MEDIA_KEY_LEN + 1 bytes), width, height and extension. */
bool media_url_parse(const char *url, char key[MEDIA_KEY_LEN + 1], int *w, int *h,
                     const char **ext);
/* The variants of an image whose largest is W x H: the MEDIA_WIDTHS
 * narrower than W and W itself, heights in proportion. Returns how many
 * (<= MEDIA_MAX_VARIANT) written to widths/heights. */
size_t media_variants(int W, int H, int *widths, int *heights);
/* True when name is a file name this module could have made (the only
 * names media_file_get and the cache look at: no '/', no "..").  */
bool media_file_name_ok(const char *name);
/* The Content-Type of a file name by its extension ("image/webp"…), NULL
 * for another extension. */
const char *media_ctype(const char *name);

/* ---- serving ---- */
/* The bytes of one file (a name media_file_name_ok accepts) from the
 * database into out (out's cap applies). JM_NOT_FOUND. */
enum jm_rc media_file_get(struct db *db, const char *name, struct buf *out) JM_WUR;
/* Writes one file into the cache directory (written to a temporary name
 * and renamed: readers never see half a file). */
enum jm_rc media_cache_put(const char *cache_dir, const char *name, const void *p,
                           size_t len) JM_WUR;
/* Removes every cached file of key (another node deleted it). */
void media_cache_drop(const char *cache_dir, const char *key);
/* Removes the cached files whose image is no longer in the library (one
 * deleted while this node was down or could not hear of it) and temporary
 * files left behind; *removed = how many. Run by `serve` before serving. */
enum jm_rc media_cache_sweep(struct db *db, const char *cache_dir, int64_t *removed) JM_WUR;

#endif
