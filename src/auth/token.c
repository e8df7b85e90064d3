/*
 * token.c — API tokens: "jm_" + 32 random bytes (base64url), shown once;
 * stored as a keyed hash plus a short prefix to tell them apart in the UI.
 */
#include "auth/auth_int.h"
#include "db/db.h"

static void hash_token(const unsigned char secret[32], const char *token, char out[65])
{
	char msg[160];
	snprintf(msg, sizeof(msg), "api:%s", token);
	jm_hash_hex(secret, 32, msg, strlen(msg), out);
}

enum jm_rc auth_token_create(struct db *db, const unsigned char secret[32], const char *name,
                             int64_t user_id, char token_out[64], struct jm_err *err)
{
	size_t nl = name ? strlen(name) : 0;
	if (nl == 0 || nl > 100 || !utf8_valid(name, nl) || utf8_has_controls(name, nl)) {
		jm_err_set(err, "name", "token name must be 1 to 100 characters");
		return JM_INVALID;
	}
	memcpy(token_out, "jm_", 3);
	jm_random_token(token_out + 3, 32); /* 43 chars + NUL fits in 61 */
	char h[65], prefix[16];
	hash_token(secret, token_out, h);
	snprintf(prefix, sizeof(prefix), "%.10s", token_out);
	enum jm_rc rc =
	        db_execf(db,
	                 "INSERT INTO api_tokens(name, token_hash, prefix, user_id, created_at) "
	                 "VALUES (?, ?, ?, NULLIF(?, 0), ?)",
	                 "tttii", name, h, prefix, user_id, jm_now());
	if (rc)
		jm_err_set(err, NULL, "cannot store token: %s", jm_rc_name(rc));
	return rc;
}

enum jm_rc auth_token_lookup(struct db *db, struct arena *a, const unsigned char secret[32],
                             const char *token, struct auth_user *out)
{
	if (!token || strncmp(token, "jm_", 3) != 0 || strlen(token) > 100)
		return JM_UNAUTHORIZED;
	char h[65];
	hash_token(secret, token, h);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT t.id, coalesce(t.user_id, (SELECT min(id) FROM users "
	                            "WHERE role = 'owner')) "
	                            "FROM api_tokens t WHERE t.token_hash = ?",
	                            "t", h);
	if (rc)
		return rc;
	rc = db_step(st);
	int64_t tid = 0, uid = 0;
	if (rc == JM_OK) {
		tid = db_col_int(st, 0);
		uid = db_col_int(st, 1);
	}
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_UNAUTHORIZED : rc;
	if (auth_user_by_id(db, a, uid, out) != JM_OK)
		return JM_UNAUTHORIZED;
	/* Coarse last-use stamp: at most one write per token per minute. */
	if (db_execf(db,
	             "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND "
	             "coalesce(last_used_at, 0) < ? - 60",
	             "iii", jm_now(), tid, jm_now()) != JM_OK)
		log_at(LOG_WARN, "auth", "token last_used update failed");
	return JM_OK;
}

enum jm_rc auth_token_list(struct db *db, struct arena *a, struct api_token **out, size_t *n)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(
	        db,
	        "SELECT id, name, prefix, created_at, coalesce(last_used_at, 0) FROM api_tokens "
	        "ORDER BY id DESC LIMIT 200",
	        &st);
	if (rc)
		return rc;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	while ((rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		struct api_token *t = &(*out)[(*n)++];
		t->id = db_col_int(st, 0);
		t->name = db_col_dup(st, 1, a);
		t->prefix = db_col_dup(st, 2, a);
		t->created_at = db_col_int(st, 3);
		t->last_used_at = db_col_int(st, 4);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc auth_token_revoke(struct db *db, int64_t id)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM api_tokens WHERE id = ?", "i", id);
	if (rc == JM_OK && db_changes(db) == 0)
		return JM_NOT_FOUND;
	return rc;
}
