/*
 * images.c — the images of an imported blog, taken from a local folder
 * (never fetched: an import makes no network request).
 *
 * WordPress: a URL's part after "/wp-content/uploads/" ("2024/01/犬.jpg",
 * percent-decoded) is looked up below the folder (a copy of the old
 * site's wp-content/uploads); a resized copy's name ("犬-300x200.jpg",
 * "犬-scaled.jpg") falls back to the original's. はてな: the URL's file
 * name is looked up in the folder. A path never leaves the folder: parts
 * "..", "." or empty are refused.
 *
 * Each distinct URL is resolved once and reported once.
 */
#include <strings.h>
#include <sys/stat.h>

#include "http/http.h"
#include "import/import_int.h"
#include "media/media.h"

struct seen {
	const char *url, *new_url; /* new_url NULL: keep the URL */
};

struct imp_images {
	struct arena *a;
	struct db *db;
	const char *dir;
	bool wordpress;
	struct imp_report *rep;
	struct seen *seen;
	size_t nseen, cap;
};

struct imp_images *imp_images_new(struct arena *a, struct db *db, const char *dir, bool wordpress,
                                  struct imp_report *rep)
{
	struct imp_images *im = arena_calloc(a, sizeof(*im));
	*im = (struct imp_images){.a = a, .db = db, .dir = dir, .wordpress = wordpress, .rep = rep};
	return im;
}

/* Adds the local file at path (named name as uploaded) to the media
 * library — sniffed, stripped and resized like an upload, the same bytes
 * always the same row, so a second import stores nothing new — and returns
 * the library's URL (in a), or NULL with *why saying why it was refused. */
static const char *media_store(struct db *db, struct arena *a, const char *path, const char *name,
                               const char **why)
{
	struct media m;
	struct jm_err err = {0};
	if (media_add_file(db, a, path, name, NULL, &m, NULL, &err) != JM_OK) {
		*why = arena_strdup(a, err.msg[0] ? err.msg : "the media library refused it");
		return NULL;
	}
	return m.url;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* rel ("2024/01/a.jpg") stays inside the folder: no empty, "." or ".."
 * part, no leading '/', no control character. */
static bool rel_ok(const char *rel)
{
	if (!*rel || *rel == '/' || utf8_has_controls(rel, strlen(rel)))
		return false;
	for (const char *p = rel; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 0 || (l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += l + (p[l] == '/');
	}
	return true;
}

/* rel without WordPress's size suffix ("-300x200" or "-scaled" before
 * the extension), or NULL when it has none. */
static const char *unsized(struct arena *a, const char *rel)
{
	const char *dot = strrchr(rel, '.'), *slash = strrchr(rel, '/');
	if (!dot || (slash && dot < slash))
		return NULL;
	const char *dash = dot;
	while (dash > rel && dash[-1] != '-' && dash[-1] != '/')
		dash--;
	if (dash == rel || dash[-1] != '-')
		return NULL;
	const char *s = dash; /* the suffix, between '-' and '.' */
	bool sized = false;
	if ((size_t)(dot - s) == 6 && !memcmp(s, "scaled", 6)) {
		sized = true;
	} else {
		const char *x = memchr(s, 'x', (size_t)(dot - s));
		sized = x && x > s && x + 1 < dot;
		for (const char *p = s; sized && p < dot; p++)
			sized = p == x || (*p >= '0' && *p <= '9');
	}
	if (!sized)
		return NULL;
	return arena_sprintf(a, "%.*s%s", (int)(dash - 1 - rel), rel, dot);
}

const char *imp_images_find(struct imp_images *im, const char *url)
{
	if (!im->dir || !url)
		return NULL;
	const char *rel = NULL;
	size_t end = strcspn(url, "?#");
	if (im->wordpress) {
		const char *u = strstr(url, "/wp-content/uploads/");
		if (u)
			rel = http_url_decode(im->a, u + 20, end - (size_t)(u + 20 - url), false);
	} else {
		const char *slash = NULL;
		for (const char *p = url; p < url + end; p++)
			slash = *p == '/' ? p : slash;
		if (slash)
			rel = http_url_decode(im->a, slash + 1, end - (size_t)(slash + 1 - url),
			                      false);
	}
	if (!rel || !rel_ok(rel))
		return NULL;
	const char *path = arena_sprintf(im->a, "%s/%s", im->dir, rel);
	if (is_file(path))
		return path;
	const char *orig = im->wordpress ? unsized(im->a, rel) : NULL;
	path = orig ? arena_sprintf(im->a, "%s/%s", im->dir, orig) : NULL;
	return path && is_file(path) ? path : NULL;
}

static bool looks_like_image(const char *url)
{
	static const char *const ext[] = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", NULL};
	size_t end = strcspn(url, "?#");
	for (const char *const *e = ext; *e; e++) {
		size_t l = strlen(*e);
		if (end >= l && !strncasecmp(url + end - l, *e, l))
			return true;
	}
	return false;
}

const char *imp_images_url(void *images, const char *url, bool image)
{
	struct imp_images *im = images;
	if (!im || !im->dir || !url || (!image && !looks_like_image(url)))
		return NULL;
	if (im->wordpress && !strstr(url, "/wp-content/uploads/"))
		return NULL;
	for (size_t i = 0; i < im->nseen; i++)
		if (!strcmp(im->seen[i].url, url))
			return im->seen[i].new_url;
	const char *path = imp_images_find(im, url);
	const char *name = path ? strrchr(path, '/') + 1 : url;
	const char *why = "";
	const char *stored = path ? media_store(im->db, im->a, path, name, &why) : NULL;
	if (!path) {
		im->rep->images_missing++;
		imp_report_add(im->rep, im->a, "image", url, true, "image_missing", im->dir);
	} else {
		im->rep->images_found++;
		im->rep->images_stored += stored != NULL;
		if (stored)
			imp_report_add(im->rep, im->a, "image", url, false, "image_stored", stored);
		else
			imp_report_add(im->rep, im->a, "image", url, true, "image_refused", why);
	}
	im->seen = arena_grow(im->a, im->seen, im->nseen, &im->cap, sizeof(*im->seen));
	im->seen[im->nseen++] = (struct seen){arena_strdup(im->a, url), stored};
	return stored;
}
