/*
 * backup.c — `jinmyaku backup FILE` and the admin's backup download: one
 * gzip-compressed tar archive (POSIX ustar, written here on zlib: a plain,
 * well-known format every system can open with `tar xzf`) holding
 *
 *   jinmyaku.db      a consistent snapshot of the SQLite database (its
 *                    online backup API, db_backup: the server keeps writing)
 *   media/…          DATA/media, the uploaded media library, as it is
 *   keys/NAME        every shared secret (node_secrets: the signing key,
 *                    keys/dkim:SELECTOR the DKIM private keys), also in the
 *                    snapshot, here as files for a restore by hand
 *   theme/…          the theme overrides every node shares (theme_files)
 *   README.txt       what is inside and how to restore it; on PostgreSQL
 *                    the pg_dump step, since the database is not inside
 *
 * Invariants: the archive is written under FILE.partial-XXXXXX and renamed
 * to FILE only when complete and fsync'ed, so FILE is either the previous
 * file or a whole new archive, never a part (a killed backup leaves only a
 * .partial file). Every temporary file is removed on every return. Names
 * longer than ustar holds (100 bytes, or 155 + 100 split at a '/') are
 * left out with a warning, never truncated. Symbolic links are not
 * followed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "auth/auth.h"
#include "db/db.h"
#include "site/site.h"

#define TAR_BLOCK  512
#define WALK_DEPTH 16

struct tar {
	gzFile gz;
	bool failed;
	int64_t mtime;
};

static void octal(char *field, size_t size, uint64_t v)
{
	snprintf(field, size, "%0*llo", (int)size - 1, (unsigned long long)v);
}

/* Splits name into ustar's prefix and name fields; false when it does not
 * fit. */
static bool split_name(const char *name, char hdr[TAR_BLOCK])
{
	size_t n = strlen(name);
	if (n < 100) {
		memcpy(hdr, name, n);
		return true;
	}
	for (size_t i = n < 156 ? n - 1 : 155; i > 0; i--) {
		if (name[i] == '/' && n - i - 1 < 100 && n - i - 1 > 0) {
			memcpy(hdr + 345, name, i);
			memcpy(hdr, name + i + 1, n - i - 1);
			return true;
		}
	}
	return false;
}

static void tar_write(struct tar *t, const void *p, size_t len)
{
	if (!t->failed && len && gzwrite(t->gz, p, (unsigned)len) != (int)len)
		t->failed = true;
}

/* One entry header: a file of size bytes (type '0') or a directory ('5'). */
static bool tar_header(struct tar *t, const char *name, uint64_t size, char type)
{
	char h[TAR_BLOCK];
	memset(h, 0, sizeof(h));
	if (!split_name(name, h)) {
		log_at(LOG_WARN, "backup", "left out (name too long for tar): %s", name);
		return false;
	}
	octal(h + 100, 8, type == '5' ? 0700 : 0600);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size);
	octal(h + 136, 12, (uint64_t)t->mtime);
	memset(h + 148, ' ', 8);
	h[156] = type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof(h); i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	tar_write(t, h, sizeof(h));
	return true;
}

static void tar_pad(struct tar *t, uint64_t size)
{
	static const char zero[TAR_BLOCK];
	if (size % TAR_BLOCK)
		tar_write(t, zero, TAR_BLOCK - size % TAR_BLOCK);
}

static void tar_mem(struct tar *t, const char *name, const char *p, size_t len)
{
	if (tar_header(t, name, len, '0')) {
		tar_write(t, p, len);
		tar_pad(t, len);
	}
}

/* Adds the regular file at path as name; JM_IO (err) when it cannot be
 * read whole. */
static enum jm_rc tar_file(struct tar *t, const char *name, const char *path, struct jm_err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		jm_err_set(err, "file", "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return JM_IO;
	}
	uint64_t left = (uint64_t)st.st_size;
	if (tar_header(t, name, left, '0')) {
		char chunk[64 * 1024];
		while (left > 0 && !t->failed) {
			ssize_t got = read(fd, chunk, left < sizeof(chunk) ? left : sizeof(chunk));
			if (got <= 0)
				break;
			tar_write(t, chunk, (size_t)got);
			left -= (uint64_t)got;
		}
		tar_pad(t, (uint64_t)st.st_size);
	}
	close(fd);
	if (left > 0) { /* shrank while read: the archive would be corrupt */
		jm_err_set(err, "file", "%s changed while it was read", path);
		return JM_IO;
	}
	return JM_OK;
}

/* Adds the tree at dir as prefix/…, sorted by readdir's order. */
static enum jm_rc tar_tree(struct tar *t, const char *prefix, const char *dir, int depth,
                           struct jm_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? JM_OK
		                       : (jm_err_set(err, "file", "cannot read %s", dir), JM_IO);
	enum jm_rc rc = JM_OK;
	(void)tar_header(t, prefix, 0, '5');
	struct dirent *e;
	while (rc == JM_OK && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue; /* ., .., and temporary files of uploads under way */
		char path[4096], name[4096];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(name, sizeof(name), "%s/%s", prefix, e->d_name);
		if (lstat(path, &st) != 0)
			continue; /* removed meanwhile */
		if (S_ISREG(st.st_mode))
			rc = tar_file(t, name, path, err);
		else if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH)
			rc = tar_tree(t, name, path, depth + 1, err);
	}
	closedir(d);
	return rc;
}

static const char readme_sqlite[] =
        "jinmyaku backup\n\n"
        "jinmyaku.db  the database (a consistent snapshot)\n"
        "media/       DATA/media, the media library\n"
        "keys/        the signing key and DKIM keys (also inside the database)\n"
        "theme/       theme overrides (also inside the database)\n\n"
        "Restore: stop jinmyaku, copy jinmyaku.db and media/ into the data directory\n"
        "(--data), start it again.\n";
static const char readme_pg[] =
        "jinmyaku backup (PostgreSQL)\n\n"
        "The database is NOT in this archive: save it with pg_dump, e.g.\n"
        "  pg_dump --format=custom --file=jinmyaku.pgdump \"$JINMYAKU_DB\"\n"
        "and restore with pg_restore --dbname=... jinmyaku.pgdump.\n\n"
        "media/       DATA/media, the media library\n"
        "keys/        the signing key and DKIM keys (also in the database)\n"
        "theme/       theme overrides (also in the database)\n";

/* The entries that come from the database's tables. */
static enum jm_rc tar_db_rows(struct tar *t, struct db *db, struct jm_err *err)
{
	struct arena *a = arena_new(16384);
	struct auth_secret *s = NULL;
	struct site_theme_file *f = NULL;
	size_t ns = 0, nf = 0;
	enum jm_rc rc = auth_secret_all(db, a, &s, &ns);
	if (!rc)
		rc = site_theme_list(db, a, &f, &nf);
	for (size_t i = 0; !rc && i < ns; i++)
		tar_mem(t, arena_sprintf(a, "keys/%s", s[i].name), s[i].value, strlen(s[i].value));
	for (size_t i = 0; !rc && i < nf; i++)
		tar_mem(t, arena_sprintf(a, "theme/%s", f[i].name), f[i].body, f[i].len);
	if (rc)
		jm_err_set(err, NULL, "cannot read the keys and theme: %s", jm_rc_name(rc));
	arena_free(a);
	return rc;
}

/* Writes the archive's entries to fd (closed here). */
static enum jm_rc write_archive(int fd, struct db *db, const char *data_dir, const char *snap,
                                struct jm_err *err)
{
	struct tar t = {.gz = gzdopen(fd, "wb6"), .mtime = jm_now()};
	if (!t.gz) {
		close(fd);
		jm_err_set(err, "file", "cannot start the archive");
		return JM_NOMEM;
	}
	bool pg = db_engine(db) == DB_PG;
	const char *readme = pg ? readme_pg : readme_sqlite;
	enum jm_rc rc = JM_OK;
	tar_mem(&t, "README.txt", readme, strlen(readme));
	if (!pg)
		rc = tar_file(&t, "jinmyaku.db", snap, err);
	char media[1100];
	snprintf(media, sizeof(media), "%s/media", data_dir);
	if (!rc)
		rc = tar_tree(&t, "media", media, 0, err);
	if (!rc)
		rc = tar_db_rows(&t, db, err);
	static const char end[2 * TAR_BLOCK];
	tar_write(&t, end, sizeof(end));
	if (gzclose(t.gz) != Z_OK || (t.failed && !rc)) {
		jm_err_set(err, "file", "cannot write the archive (disk full?)");
		rc = rc ? rc : JM_IO;
	}
	return rc;
}

static bool fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	bool ok = fd >= 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

enum jm_rc site_backup_write(struct db *db, const char *data_dir, const char *path,
                             struct jm_err *err)
{
	char tmp[4200], snap[4300], dir[4200];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.partial-XXXXXX", path) >= sizeof(tmp)) {
		jm_err_set(err, "file", "path too long: %s", path);
		return JM_INVALID;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		jm_err_set(err, "file", "cannot create %s: %s", tmp, strerror(errno));
		return JM_IO;
	}
	snprintf(snap, sizeof(snap), "%s.db", tmp);
	enum jm_rc rc = db_engine(db) == DB_PG ? JM_OK : db_backup(db, snap, err);
	if (rc)
		close(fd);
	else
		rc = write_archive(fd, db, data_dir, snap, err);
	unlink(snap);
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	if (!rc && (!fsync_path(tmp, O_RDONLY) || rename(tmp, path) != 0 ||
	            !fsync_path(slash ? dir : ".", O_RDONLY | O_DIRECTORY))) {
		jm_err_set(err, "file", "cannot write %s: %s", path, strerror(errno));
		rc = JM_IO;
	}
	if (rc)
		unlink(tmp);
	return rc;
}
