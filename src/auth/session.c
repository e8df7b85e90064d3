/*
 * session.c — admin sessions and CSRF tokens. The cookie holds a random
 * token; the database holds only its keyed hash, so a leaked database does
 * not leak live sessions. CSRF tokens are a keyed hash of the cookie they
 * are bound to and need no storage.
 */
#include "auth/auth_int.h"
#include "db/db.h"

static void token_hash(const unsigned char secret[32], const char *purpose, const char *token,
                       char out[65])
{
	char msg[256];
	snprintf(msg, sizeof(msg), "%s:%s", purpose, token);
	jm_hash_hex(secret, 32, msg, strlen(msg), out);
}

enum jm_rc auth_session_create(struct db *db, const unsigned char secret[32], int64_t user_id,
                               char token_out[64])
{
	jm_random_token(token_out, 32);
	char h[65];
	token_hash(secret, "session", token_out, h);
	int64_t now = jm_now();
	/* Expired sessions are swept whenever someone signs in. */
	if (db_execf(db, "DELETE FROM sessions WHERE expires_at < ?", "i", now) != JM_OK)
		log_at(LOG_WARN, "auth", "session sweep failed");
	return db_execf(db,
	                "INSERT INTO sessions(token_hash, user_id, created_at, expires_at) VALUES "
	                "(?, ?, ?, ?)",
	                "tiii", h, user_id, now, now + AUTH_SESSION_TTL);
}

enum jm_rc auth_session_lookup(struct db *db, struct arena *a, const unsigned char secret[32],
                               const char *token, struct auth_user *out)
{
	if (!token || strlen(token) < 20 || strlen(token) > 100)
		return JM_NOT_FOUND;
	char h[65];
	token_hash(secret, "session", token, h);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?",
	        "ti", h, jm_now());
	if (rc)
		return rc;
	rc = db_step(st);
	int64_t uid = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	return auth_user_by_id(db, a, uid, out);
}

void auth_session_delete(struct db *db, const unsigned char secret[32], const char *token)
{
	if (!token)
		return;
	char h[65];
	token_hash(secret, "session", token, h);
	if (db_execf(db, "DELETE FROM sessions WHERE token_hash = ?", "t", h) != JM_OK)
		log_at(LOG_WARN, "auth", "session delete failed");
}

void auth_csrf_token(const unsigned char secret[32], const char *binding, char out[65])
{
	token_hash(secret, "csrf", binding ? binding : "", out);
}

bool auth_csrf_check(const unsigned char secret[32], const char *binding, const char *token)
{
	if (!binding || !*binding || !token || strlen(token) != 64)
		return false;
	char want[65];
	auth_csrf_token(secret, binding, want);
	return jm_secure_eq(want, token);
}
