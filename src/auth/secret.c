/*
 * secret.c — the secrets every node of one site shares, kept in table
 * node_secrets (owned here, written nowhere else): the signing key of
 * links, CSRF tokens and form stamps ("signing") and the DKIM private keys
 * ("dkim:SELECTOR"). Two nodes with separate DATA directories on one
 * database so sign and verify with the same key.
 *
 * Invariants: a secret is written once and never changed (a published DKIM
 * key or a key that signed mailed links must stay what it was). Creation
 * races between nodes starting together are settled by the database: each
 * inserts its candidate with ON CONFLICT DO NOTHING and then reads back
 * the row, so every node ends with the one value that was inserted first.
 * Values are text (hex or PEM) no larger than AUTH_SECRET_MAX.
 */
#include "auth/auth.h"
#include "db/db.h"

enum jm_rc auth_secret_get(struct db *db, const char *name, struct buf *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT value FROM node_secrets WHERE name = ?", "t", name);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		size_t len = 0;
		const char *v = db_col_text(st, 0, &len);
		buf_reset(out);
		rc = len > AUTH_SECRET_MAX ? JM_TOO_LARGE : buf_append(out, v ? v : "", len);
	} else if (rc == JM_DONE) {
		rc = JM_NOT_FOUND;
	}
	db_finalize(st);
	return rc;
}

enum jm_rc auth_secret_put(struct db *db, const char *name, const char *value, int64_t now)
{
	if (strlen(value) > AUTH_SECRET_MAX)
		return JM_TOO_LARGE;
	return db_execf(db, "INSERT INTO node_secrets(name, value, created_at) VALUES (?, ?, ?)",
	                "tti", name, value, now);
}

enum jm_rc auth_secret_ensure(struct db *db, const char *name, const char *candidate, int64_t now,
                              struct buf *out)
{
	if (strlen(candidate) > AUTH_SECRET_MAX)
		return JM_TOO_LARGE;
	enum jm_rc rc =
	        db_execf(db,
	                 "INSERT INTO node_secrets(name, value, created_at) VALUES (?, ?, ?) "
	                 "ON CONFLICT(name) DO NOTHING",
	                 "tti", name, candidate, now);
	return rc ? rc : auth_secret_get(db, name, out);
}

enum jm_rc auth_secret_import_file(struct db *db, const char *name, const char *path, int64_t now,
                                   struct buf *out, struct jm_err *err)
{
	struct buf file;
	buf_init(&file, AUTH_SECRET_MAX);
	enum jm_rc rc = jm_read_file(path, &file, err);
	if (!rc)
		rc = auth_secret_ensure(db, name, buf_cstr(&file), now, out);
	if (file.ptr) /* a secret: do not leave it in freed memory */
		memset(file.ptr, 0, file.len);
	buf_free(&file);
	return rc;
}

enum jm_rc auth_secret_all(struct db *db, struct arena *a, struct auth_secret **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = db_prepare(db, "SELECT name, value FROM node_secrets ORDER BY name", &st);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		(*out)[*n].name = db_col_dup(st, 0, a);
		(*out)[(*n)++].value = db_col_dup(st, 1, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}
