/*
 * backup.c — `jinmyaku backup FILE` and the admin's backup download: one
 * gzip-compressed tar archive (GNU tar format, written with libarchive: a
 * plain, well-known format every system opens with `tar xzf`) holding
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
 * Streaming: every file goes into the archive in 64 KiB chunks straight
 * from its descriptor, so neither the archive nor a file is ever held in
 * memory whole; the archive's size has no cap but the disk. The snapshot
 * is written once, to a temporary file beside FILE, copied into the
 * archive and removed.
 *
 * Invariants: the archive is written under FILE.partial-XXXXXX and renamed
 * to FILE only when complete and fsync'ed, so FILE is either the previous
 * file or a whole new archive, never a part (a killed backup leaves only a
 * .partial file). Every temporary file is removed on every return. Names
 * of any length go in as the bytes they are on disk (UTF-8 here; the GNU
 * format needs no charset conversion, which libarchive cannot do in the
 * process's C locale — pax would). Symbolic links are not followed.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "db/db.h"
#include "site/site.h"

#define WALK_DEPTH 16
#define CHUNK      (64 * 1024)

struct bk {
	struct archive *ar;
	int64_t mtime;
	struct jm_err *err;
};

/* Records libarchive's message for a failed write; always JM_IO. */
static enum jm_rc ar_fail(struct bk *b, const char *what)
{
	const char *m = archive_error_string(b->ar);
	jm_err_set(b->err, "file", "cannot write the archive (%s): %s", what, m ? m : "disk full?");
	return JM_IO;
}

/* One entry header: a regular file of size bytes, or a directory. */
static enum jm_rc ar_header(struct bk *b, const char *name, int64_t size, bool dir)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_copy_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0700 : 0600);
	archive_entry_set_size(e, dir ? 0 : size);
	archive_entry_set_mtime(e, (time_t)b->mtime, 0);
	int r = archive_write_header(b->ar, e);
	archive_entry_free(e);
	return r == ARCHIVE_OK ? JM_OK : ar_fail(b, name);
}

static enum jm_rc ar_data(struct bk *b, const char *name, const void *p, size_t len)
{
	return len == 0 || archive_write_data(b->ar, p, len) == (la_ssize_t)len ? JM_OK
	                                                                        : ar_fail(b, name);
}

static enum jm_rc ar_mem(struct bk *b, const char *name, const char *p, size_t len)
{
	enum jm_rc rc = ar_header(b, name, (int64_t)len, false);
	return rc ? rc : ar_data(b, name, p, len);
}

/* Adds the regular file at path as name, in chunks; JM_IO (err) when it
 * cannot be read whole. */
static enum jm_rc ar_file(struct bk *b, const char *name, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		jm_err_set(b->err, "file", "cannot read %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return JM_IO;
	}
	uint64_t left = (uint64_t)st.st_size;
	enum jm_rc rc = ar_header(b, name, st.st_size, false);
	char *chunk = xmalloc(CHUNK);
	while (!rc && left > 0) {
		ssize_t got = read(fd, chunk, left < CHUNK ? left : CHUNK);
		if (got <= 0)
			break;
		rc = ar_data(b, name, chunk, (size_t)got);
		left -= (uint64_t)got;
	}
	free(chunk);
	close(fd);
	if (!rc && left > 0) { /* shrank while read: the archive would be corrupt */
		jm_err_set(b->err, "file", "%s changed while it was read", path);
		rc = JM_IO;
	}
	return rc;
}

/* Adds the tree at dir as prefix/…, in readdir's order. */
static enum jm_rc ar_tree(struct bk *b, const char *prefix, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return JM_OK;
		jm_err_set(b->err, "file", "cannot read %s", dir);
		return JM_IO;
	}
	enum jm_rc rc = ar_header(b, prefix, 0, true);
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
			rc = ar_file(b, name, path);
		else if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH)
			rc = ar_tree(b, name, path, depth + 1);
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
static enum jm_rc ar_db_rows(struct bk *b, struct db *db)
{
	struct arena *a = arena_new(16384);
	struct auth_secret *s = NULL;
	struct site_theme_file *f = NULL;
	size_t ns = 0, nf = 0;
	enum jm_rc rc = auth_secret_all(db, a, &s, &ns);
	if (!rc)
		rc = site_theme_list(db, a, &f, &nf);
	if (rc)
		jm_err_set(b->err, NULL, "cannot read the keys and theme: %s", jm_rc_name(rc));
	for (size_t i = 0; !rc && i < ns; i++)
		rc = ar_mem(b, arena_sprintf(a, "keys/%s", s[i].name), s[i].value,
		            strlen(s[i].value));
	for (size_t i = 0; !rc && i < nf; i++)
		rc = ar_mem(b, arena_sprintf(a, "theme/%s", f[i].name), f[i].body, f[i].len);
	arena_free(a);
	return rc;
}

/* Writes the archive's entries to fd (closed here); snap is the SQLite
 * snapshot's file, NULL on PostgreSQL. */
static enum jm_rc write_archive(int fd, struct db *db, const char *data_dir, const char *snap,
                                struct jm_err *err)
{
	struct bk b = {.ar = archive_write_new(), .mtime = jm_now(), .err = err};
	enum jm_rc rc = JM_OK;
	if (!b.ar || archive_write_set_format_gnutar(b.ar) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(b.ar) != ARCHIVE_OK ||
	    archive_write_set_filter_option(b.ar, "gzip", "compression-level", "6") != ARCHIVE_OK ||
	    archive_write_open_fd(b.ar, fd) != ARCHIVE_OK) {
		rc = b.ar ? ar_fail(&b, "start") : JM_NOMEM;
		goto out;
	}
	const char *readme = snap ? readme_sqlite : readme_pg;
	rc = ar_mem(&b, "README.txt", readme, strlen(readme));
	if (!rc && snap)
		rc = ar_file(&b, "jinmyaku.db", snap);
	char media[1100];
	snprintf(media, sizeof(media), "%s/media", data_dir);
	if (!rc)
		rc = ar_tree(&b, "media", media, 0);
	if (!rc)
		rc = ar_db_rows(&b, db);
	if (!rc && archive_write_close(b.ar) != ARCHIVE_OK)
		rc = ar_fail(&b, "end");
out:
	if (b.ar)
		archive_write_free(b.ar);
	close(fd);
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
	bool pg = db_engine(db) == DB_PG;
	snprintf(snap, sizeof(snap), "%s.db", tmp);
	enum jm_rc rc = pg ? JM_OK : db_backup(db, snap, err);
	if (rc)
		close(fd);
	else
		rc = write_archive(fd, db, data_dir, pg ? NULL : snap, err);
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
