/*
 * store.c — the media library's tables (media, media_files; migration
 * 0018), its file names, and each node's cache of the files in DATA/media/.
 *
 * Invariants: a media row and all of its files are written in one
 * transaction, so a node that finds the row finds every file; the same
 * bytes are one row (media.hash is UNIQUE; two nodes taking the same file
 * at once end with the first one's row); a file name is derived from the
 * row (media_url_parse reverses it), so pages render the variants of an
 * image from its URL alone, without a query.
 */
#include <dirent.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "media/media_int.h"

/* Fills the URLs of m from its key, size and ext. */
static void media_fill(struct arena *a, struct media *m)
{
	int ws[MEDIA_MAX_VARIANT], hs[MEDIA_MAX_VARIANT];
	m->nvariants = media_variants(m->width, m->height, ws, hs);
	for (size_t i = 0; i < m->nvariants; i++) {
		struct media_variant *v = &m->variants[i];
		v->width = ws[i];
		v->height = hs[i];
		v->webp = arena_sprintf(a, "/media/%s-%dx%d.webp", m->key, ws[i], hs[i]);
		v->fallback = arena_sprintf(a, "/media/%s-%dx%d.%s", m->key, ws[i], hs[i], m->ext);
	}
	m->url = m->variants[m->nvariants - 1].fallback;
}

#define MEDIA_COLS "id, name_key, orig_name, ext, width, height, bytes, created_at"

static void media_row(struct db_stmt *st, struct arena *a, struct media *m)
{
	memset(m, 0, sizeof(*m));
	m->id = db_col_int(st, 0);
	m->key = db_col_dup(st, 1, a);
	m->orig_name = db_col_dup(st, 2, a);
	m->ext = db_col_dup(st, 3, a);
	m->width = (int)db_col_int(st, 4);
	m->height = (int)db_col_int(st, 5);
	m->bytes = db_col_int(st, 6);
	m->created_at = db_col_int(st, 7);
	media_fill(a, m);
}

/* One row by a text or integer column. */
static enum jm_rc media_find(struct db *db, struct arena *a, const char *sql, const char *types,
                             const char *s, int64_t id, struct media *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = types[0] == 't' ? db_preparef(db, &st, sql, "t", s)
	                                : db_preparef(db, &st, sql, "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		media_row(st, a, out);
	else if (rc == JM_DONE)
		rc = JM_NOT_FOUND;
	db_finalize(st);
	return rc;
}

enum jm_rc media_get(struct db *db, struct arena *a, int64_t id, struct media *out)
{
	return media_find(db, a, "SELECT " MEDIA_COLS " FROM media WHERE id = ?", "i", NULL, id,
	                  out);
}

enum jm_rc media_list(struct db *db, struct arena *a, int page, int per_page, struct media **items,
                      size_t *n, int64_t *total)
{
	*items = NULL;
	*n = 0;
	if (page < 1)
		page = 1;
	if (per_page < 1 || per_page > 200)
		per_page = 50;
	enum jm_rc rc = db_query_int(db, total, 0, "SELECT count(*) FROM media", "");
	struct db_stmt *st = NULL;
	if (!rc)
		rc = db_preparef(db, &st,
		                 "SELECT " MEDIA_COLS
		                 " FROM media ORDER BY created_at DESC, id DESC "
		                 "LIMIT ? OFFSET ?",
		                 "ii", (int64_t)per_page, (int64_t)(page - 1) * per_page);
	size_t cap = 0;
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		*items = arena_grow(a, *items, *n, &cap, sizeof(**items));
		media_row(st, a, &(*items)[(*n)++]);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* ---- taking a file in ---- */

/* The name to show: the last path part of what the client sent, valid
 * UTF-8 without control characters, at most MEDIA_NAME_MAX bytes. */
static const char *clean_name(struct arena *a, const char *name)
{
	if (!name)
		return "";
	const char *slash = strrchr(name, '/'), *back = strrchr(name, '\\');
	if (back && (!slash || back > slash))
		slash = back;
	if (slash)
		name = slash + 1;
	size_t len = strlen(name);
	if (!utf8_valid(name, len) || utf8_has_controls(name, len) || strpbrk(name, "\t\r\n"))
		return "";
	return arena_strndup(a, name, utf8_truncate(name, len, MEDIA_NAME_MAX));
}

static enum jm_rc insert_file(struct db *db, int64_t id, const char *key, const struct media_out *o)
{
	struct db_stmt *st = NULL;
	char name[96];
	snprintf(name, sizeof(name), "%s-%dx%d.%s", key, o->width, o->height, o->ext);
	enum jm_rc rc = db_prepare(db,
	                           "INSERT INTO media_files(name, media_id, width, height, ctype, "
	                           "data) VALUES (?, ?, ?, ?, ?, ?)",
	                           &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, name, SIZE_MAX);
	db_bind_int(st, 2, id);
	db_bind_int(st, 3, o->width);
	db_bind_int(st, 4, o->height);
	db_bind_text(st, 5, media_ctype(name), SIZE_MAX);
	db_bind_blob(st, 6, o->data, o->len);
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc == JM_OK ? JM_DB : rc;
}

/* Writes the row and its files in one transaction; *id_out the new id. */
static enum jm_rc insert_media(struct db *db, const char *hash, const char *key, const char *name,
                               int W, int H, const char *ext, const struct media_out *outs,
                               size_t n, int64_t *id_out)
{
	int64_t bytes = 0;
	for (size_t i = 0; i < n; i++)
		bytes += (int64_t)outs[i].len;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_query_int(db, id_out, 0,
	                  "INSERT INTO media(hash, name_key, orig_name, width, height, ext, bytes, "
	                  "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	                  "tttiitii", hash, key, name, (int64_t)W, (int64_t)H, ext, bytes,
	                  jm_now());
	for (size_t i = 0; i < n && rc == JM_OK; i++)
		rc = insert_file(db, *id_out, key, &outs[i]);
	return db_end(db, rc);
}

/* The file's bytes, mapped read-only; checks the size limit. */
static enum jm_rc map_file(const char *path, int64_t max_bytes, void **p, size_t *len,
                           struct jm_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		jm_err_set(err, NULL, "cannot read the file");
		return JM_IO;
	}
	enum jm_rc rc = JM_OK;
	if (sb.st_size > max_bytes) {
		jm_err_set(err, "too_large", "the file is larger than %lld MB",
		           (long long)(max_bytes >> 20));
		rc = JM_TOO_LARGE;
	} else if (sb.st_size < 12) {
		jm_err_set(err, "type", "not an image (JPEG, PNG, GIF, WebP or HEIC)");
		rc = JM_INVALID;
	} else {
		*len = (size_t)sb.st_size;
		*p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*p == MAP_FAILED) {
			jm_err_set(err, NULL, "cannot read the file");
			rc = JM_IO;
		}
	}
	close(fd);
	return rc;
}

/* Sniffs and hashes the mapped file. */
static enum jm_rc identify(const char *path, const struct media_limits *lim, const char **fmt,
                           char hash[65], struct jm_err *err)
{
	void *p = NULL;
	size_t len = 0;
	enum jm_rc rc = map_file(path, lim->max_bytes, &p, &len, err);
	if (rc)
		return rc;
	*fmt = media_sniff(p, len);
	if (!*fmt) {
		jm_err_set(err, "type", "not an image (JPEG, PNG, GIF, WebP or HEIC)");
		rc = JM_INVALID;
	} else {
		jm_hash_hex(NULL, 0, p, len, hash);
	}
	munmap(p, len);
	return rc;
}

enum jm_rc media_add_file(struct db *db, struct arena *a, const char *path, const char *orig_name,
                          const struct media_limits *lim, struct media *out, bool *created,
                          struct jm_err *err)
{
	struct media_limits l = {MEDIA_MAX_BYTES, MEDIA_MAX_PIXELS};
	if (lim && lim->max_bytes > 0)
		l.max_bytes = lim->max_bytes;
	if (lim && lim->max_pixels > 0)
		l.max_pixels = lim->max_pixels;
	if (created)
		*created = false;
	const char *fmt = NULL;
	char hash[65];
	enum jm_rc rc = identify(path, &l, &fmt, hash, err);
	if (rc)
		return rc;
	static const char by_hash[] = "SELECT " MEDIA_COLS " FROM media WHERE hash = ?";
	rc = media_find(db, a, by_hash, "t", hash, 0, out);
	if (rc != JM_NOT_FOUND)
		return rc;
	struct media_out outs[2 * MEDIA_MAX_VARIANT];
	size_t n = 0;
	int W = 0, H = 0;
	const char *ext = NULL;
	rc = media_image_make(path, fmt, l.max_pixels, a, outs, &n, &W, &H, &ext, err);
	if (rc)
		return rc;
	char key[MEDIA_KEY_LEN + 1];
	memcpy(key, hash, MEDIA_KEY_LEN);
	key[MEDIA_KEY_LEN] = '\0';
	int64_t id = 0;
	rc = insert_media(db, hash, key, clean_name(a, orig_name), W, H, ext, outs, n, &id);
	if (rc == JM_CONFLICT) /* the same file, taken in meanwhile elsewhere */
		return media_find(db, a, by_hash, "t", hash, 0, out);
	if (rc == JM_OK && created)
		*created = true;
	return rc ? rc : media_get(db, a, id, out);
}

enum jm_rc media_delete(struct db *db, int64_t id, const char *cache_dir)
{
	struct arena *a = arena_new(1024);
	struct media m;
	enum jm_rc rc = media_get(db, a, id, &m);
	if (!rc)
		rc = db_execf(db, "DELETE FROM media WHERE id = ?", "i", id);
	if (!rc && cache_dir)
		media_cache_drop(cache_dir, m.key);
	if (!rc && db_notify(db, MEDIA_CHANNEL, m.key) != JM_OK)
		log_at(LOG_WARN, "media", "could not tell other nodes of deleted key=%s", m.key);
	arena_free(a);
	return rc;
}

/* ---- serving and the cache ---- */

enum jm_rc media_file_get(struct db *db, const char *name, struct buf *out)
{
	if (!media_file_name_ok(name))
		return JM_NOT_FOUND;
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT data FROM media_files WHERE name = ?", "t", name);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		rc = db_col_blob(st, 0, out);
	else if (rc == JM_DONE)
		rc = JM_NOT_FOUND;
	db_finalize(st);
	return rc;
}

enum jm_rc media_cache_put(const char *cache_dir, const char *name, const void *p, size_t len)
{
	if (!media_file_name_ok(name))
		return JM_INVALID;
	mkdir(cache_dir, 0700);
	char tmp[1200], path[1200];
	char rnd[16];
	jm_random_token(rnd, 8);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%s", cache_dir, name, rnd);
	snprintf(path, sizeof(path), "%s/%s", cache_dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return JM_IO;
	const char *s = p;
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, s + done, len - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	bool ok = done == len && close(fd) == 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return JM_IO;
	}
	return JM_OK;
}

void media_cache_drop(const char *cache_dir, const char *key)
{
	size_t kl = strlen(key);
	if (kl != MEDIA_KEY_LEN || strspn(key, "0123456789abcdef") != kl)
		return;
	DIR *d = opendir(cache_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (!strncmp(e->d_name, key, kl) && e->d_name[kl] == '-') {
			char path[1200];
			snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
			unlink(path);
		}
	closedir(d);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every key of the library, sorted, in a. */
static enum jm_rc load_keys(struct db *db, struct arena *a, char ***keys, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*keys = NULL;
	*n = 0;
	enum jm_rc rc = db_prepare(db, "SELECT name_key FROM media", &st);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		*keys = arena_grow(a, *keys, *n, &cap, sizeof(**keys));
		(*keys)[(*n)++] = db_col_dup(st, 0, a);
	}
	db_finalize(st);
	if (*n)
		qsort(*keys, *n, sizeof(**keys), key_cmp);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc media_cache_sweep(struct db *db, const char *cache_dir, int64_t *removed)
{
	struct arena *a = arena_new(16384);
	char **keys = NULL;
	size_t n = 0;
	*removed = 0;
	enum jm_rc rc = load_keys(db, a, &keys, &n);
	DIR *d = rc ? NULL : opendir(cache_dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char key[MEDIA_KEY_LEN + 1];
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			/* a temporary name media_cache_put left behind */
		} else if (!media_file_name_ok(e->d_name)) {
			continue;
		} else {
			memcpy(key, e->d_name, MEDIA_KEY_LEN);
			key[MEDIA_KEY_LEN] = '\0';
			const char *k = key;
			if (n && bsearch(&k, keys, n, sizeof(*keys), key_cmp))
				continue;
		}
		char path[1200];
		snprintf(path, sizeof(path), "%s/%s", cache_dir, e->d_name);
		if (unlink(path) == 0)
			++*removed;
	}
	if (d)
		closedir(d);
	arena_free(a);
	return rc;
}
