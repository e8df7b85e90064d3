/*
 * upload.c — the admin imports' pending uploads in the database (table
 * import_uploads, migration 0017; contract in upload.h).
 *
 * Behind a load balancer the admin's upload, column mapping, start and
 * progress polls may each reach another node, so nothing of an import
 * waits in one node's DATA: the bytes as uploaded (a BLOB / bytea: the
 * file may be Shift_JIS, which PostgreSQL's text would refuse), the kind
 * and the file's name (the consent record, the report), and the status
 * JSON the admin writes and reads (this module only stores it).
 *
 * The name column holds "KIND:NAME" (the kind has no ':'), so the table
 * needs no migration for the kind; only this file knows.
 *
 * Invariants: one start claims an upload (status from NULL to queued in
 * one UPDATE, whichever node runs it); the bytes go when the import ends;
 * updated_at moves with every write, and a row it left a day behind is
 * swept.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "upload/upload.h"

#define UPLOAD_KEEP_S 86400 /* a day */
#define QUEUED        "{\"state\":\"queued\",\"percent\":0}"

/* Inserts the row; p NULL stores no bytes and a claimed status. */
static enum jm_rc insert(struct db *db, const char *id, const char *kind, const char *name,
                         const void *p, size_t len)
{
	struct db_stmt *st = NULL;
	int64_t now = jm_now();
	enum jm_rc rc =
	        db_prepare(db,
	                   "INSERT INTO import_uploads(id, name, bytes, status, created_at, "
	                   "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
	                   &st);
	if (rc)
		return rc;
	/* The name is shown and recorded as text: whole characters of valid
	 * UTF-8 only (PostgreSQL's text refuses anything else). */
	size_t nlen = strlen(name);
	if (!utf8_valid(name, nlen))
		name = "upload", nlen = strlen(name);
	char full[260];
	snprintf(full, sizeof(full), "%s:%.*s", kind, (int)utf8_truncate(name, nlen, 200), name);
	db_bind_text(st, 1, id, SIZE_MAX);
	db_bind_text(st, 2, full, SIZE_MAX);
	if (p)
		db_bind_blob(st, 3, p, len);
	else
		db_bind_null(st, 3);
	if (p)
		db_bind_null(st, 4);
	else
		db_bind_text(st, 4, QUEUED, SIZE_MAX);
	db_bind_int(st, 5, now);
	db_bind_int(st, 6, now);
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc == JM_OK ? JM_DB : rc;
}

enum jm_rc upload_store_file(struct db *db, const char *id, const char *kind, const char *name,
                             const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return JM_IO;
	}
	size_t len = (size_t)st.st_size;
	/* An empty file maps nothing; it is stored as zero bytes. */
	void *p = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : (void *)"";
	close(fd);
	if (p == MAP_FAILED)
		return JM_IO;
	enum jm_rc rc = insert(db, id, kind, name, p, len);
	if (len)
		munmap(p, len);
	return rc;
}

enum jm_rc upload_begin(struct db *db, const char *id, const char *kind, const char *name)
{
	return insert(db, id, kind, name, NULL, 0);
}

static enum jm_rc read_bytes(struct db *db, const char *id, const char *sql, size_t max,
                             struct buf *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = max ? db_preparef(db, &st, sql, "it", (int64_t)max, id)
	                    : db_preparef(db, &st, sql, "t", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		rc = db_col_null(st, 0) ? JM_NOT_FOUND : db_col_blob(st, 0, out);
	else if (rc == JM_DONE)
		rc = JM_NOT_FOUND;
	db_finalize(st);
	return rc;
}

enum jm_rc upload_bytes(struct db *db, const char *id, struct buf *out)
{
	return read_bytes(db, id, "SELECT bytes FROM import_uploads WHERE id = ?", 0, out);
}

enum jm_rc upload_head(struct db *db, const char *id, size_t max, struct buf *out)
{
	/* substr(blob, 1, n) gives bytes on SQLite, substr(bytea, 1, n) on
	 * PostgreSQL: portable. */
	return read_bytes(db, id, "SELECT substr(bytes, 1, ?) FROM import_uploads WHERE id = ?",
	                  max, out);
}

/* A text column of the row (NULL when no row or NULL), copied to a. */
static char *upload_text(struct db *db, struct arena *a, const char *id, const char *sql)
{
	struct db_stmt *st = NULL;
	char *out = NULL;
	if (db_preparef(db, &st, sql, "t", id) != JM_OK)
		return NULL;
	if (db_step(st) == JM_OK && !db_col_null(st, 0))
		out = db_col_dup(st, 0, a);
	db_finalize(st);
	return out;
}

bool upload_info(struct db *db, struct arena *a, const char *id, const char **kind,
                 const char **name)
{
	char *full = upload_text(db, a, id, "SELECT name FROM import_uploads WHERE id = ?");
	if (!full)
		return false;
	char *colon = strchr(full, ':');
	*kind = colon ? full : "";
	*name = colon ? colon + 1 : full;
	if (colon)
		*colon = '\0';
	return true;
}

char *upload_status(struct db *db, struct arena *a, const char *id)
{
	return upload_text(db, a, id, "SELECT status FROM import_uploads WHERE id = ?");
}

enum jm_rc upload_set_status(struct db *db, const char *id, const char *json, bool last)
{
	return db_execf(db,
	                last ? "UPDATE import_uploads SET status = ?, bytes = NULL, updated_at = ? "
	                       "WHERE id = ?"
	                     : "UPDATE import_uploads SET status = ?, updated_at = ? WHERE id = ?",
	                "tit", json, jm_now(), id);
}

enum jm_rc upload_claim(struct db *db, const char *id)
{
	enum jm_rc rc = db_execf(db,
	                         "UPDATE import_uploads SET status = '" QUEUED "', updated_at = ? "
	                         "WHERE id = ? AND status IS NULL AND bytes IS NOT NULL",
	                         "it", jm_now(), id);
	if (rc)
		return rc;
	if (db_changes(db) == 1)
		return JM_OK;
	int64_t n = 0;
	rc = db_query_int(db, &n, 0, "SELECT count(*) FROM import_uploads WHERE id = ?", "t", id);
	return rc ? rc : n ? JM_CONFLICT : JM_NOT_FOUND;
}

enum jm_rc upload_sweep(struct db *db, int64_t now)
{
	return db_execf(db, "DELETE FROM import_uploads WHERE updated_at < ?", "i",
	                now - UPLOAD_KEEP_S);
}
