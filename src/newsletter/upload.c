/*
 * upload.c — the admin's pending CSV imports in the database (table
 * import_uploads, migration 0017; contract in newsletter.h).
 *
 * Behind a load balancer the admin's upload, column mapping, start and
 * progress polls may each reach another node, so nothing of an import
 * waits in one node's DATA: the bytes as uploaded (a BLOB / bytea: the
 * file may be Shift_JIS, which PostgreSQL's text would refuse), the
 * file's name for the consent record, and the status JSON the admin
 * writes and reads (this module only stores it).
 *
 * Invariants: one start claims an upload (status from NULL to queued in
 * one UPDATE, whichever node runs it); the bytes go when the import ends;
 * updated_at moves with every write, and a row it left a day behind is
 * swept.
 */
#include "newsletter/nl_int.h"

#define UPLOAD_KEEP_S 86400 /* a day */

enum jm_rc nl_upload_store(struct db *db, const char *id, const char *name, const void *p,
                           size_t len)
{
	struct db_stmt *st = NULL;
	int64_t now = jm_now();
	enum jm_rc rc = db_prepare(db,
	                           "INSERT INTO import_uploads(id, name, bytes, created_at, "
	                           "updated_at) VALUES (?, ?, ?, ?, ?)",
	                           &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, id, SIZE_MAX);
	/* The name is shown and recorded as text: whole characters of valid
	 * UTF-8 only (PostgreSQL's text refuses anything else). */
	size_t nlen = strlen(name);
	if (!utf8_valid(name, nlen))
		name = "upload.csv", nlen = strlen(name);
	db_bind_text(st, 2, name, utf8_truncate(name, nlen, 200));
	db_bind_blob(st, 3, p, len);
	db_bind_int(st, 4, now);
	db_bind_int(st, 5, now);
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc == JM_OK ? JM_DB : rc;
}

enum jm_rc nl_upload_bytes(struct db *db, const char *id, struct buf *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT bytes FROM import_uploads WHERE id = ?", "t", id);
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

char *nl_upload_name(struct db *db, struct arena *a, const char *id)
{
	return upload_text(db, a, id, "SELECT name FROM import_uploads WHERE id = ?");
}

char *nl_upload_status(struct db *db, struct arena *a, const char *id)
{
	return upload_text(db, a, id, "SELECT status FROM import_uploads WHERE id = ?");
}

enum jm_rc nl_upload_set_status(struct db *db, const char *id, const char *json, bool last)
{
	return db_execf(db,
	                last ? "UPDATE import_uploads SET status = ?, bytes = NULL, updated_at = ? "
	                       "WHERE id = ?"
	                     : "UPDATE import_uploads SET status = ?, updated_at = ? WHERE id = ?",
	                "tit", json, jm_now(), id);
}

enum jm_rc nl_upload_claim(struct db *db, const char *id)
{
	enum jm_rc rc = db_execf(db,
	                         "UPDATE import_uploads SET status = "
	                         "'{\"state\":\"queued\",\"percent\":0}', updated_at = ? "
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

enum jm_rc nl_upload_sweep(struct db *db, int64_t now)
{
	return db_execf(db, "DELETE FROM import_uploads WHERE updated_at < ?", "i",
	                now - UPLOAD_KEEP_S);
}
