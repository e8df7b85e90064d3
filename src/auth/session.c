/*
 * session.c — admin sessions and CSRF tokens. The cookie holds a random
 * token; the database holds only its keyed hash, so a leaked database does
 * not leak live sessions. CSRF tokens are a keyed hash of the cookie they
 * are bound to and need no storage.
 */
#include "auth/auth_int.h"
#include "db/db.h"

/* Copies at most size-1 bytes of s (may be NULL) into out, cut at a
 * character boundary, control characters replaced by spaces. */
static void clip_utf8(char *out, size_t size, const char *s)
{
	size_t n = 0;
	for (; s && s[n] && n + 1 < size; n++)
		out[n] = (unsigned char)s[n] < 0x20 || s[n] == 0x7f ? ' ' : s[n];
	while (n > 0 && s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--; /* do not end inside a multi-byte character */
	out[n] = '\0';
	if (!utf8_valid(out, n))
		out[0] = '\0';
}

static void token_hash(const unsigned char secret[32], const char *purpose, const char *token,
                       char out[65])
{
	char msg[256];
	snprintf(msg, sizeof(msg), "%s:%s", purpose, token);
	jm_hash_hex(secret, 32, msg, strlen(msg), out);
}

enum jm_rc auth_session_create(struct db *db, const unsigned char secret[32], int64_t user_id,
                               const char *user_agent, const char *ip, char token_out[64])
{
	jm_random_token(token_out, 32);
	char h[65];
	token_hash(secret, "session", token_out, h);
	int64_t now = jm_now();
	/* Expired sessions are swept whenever someone signs in. */
	if (db_execf(db, "DELETE FROM sessions WHERE expires_at < ?", "i", now) != JM_OK)
		log_at(LOG_WARN, "auth", "session sweep failed");
	char ua[AUTH_UA_MAX + 1];
	clip_utf8(ua, sizeof(ua), user_agent);
	return db_execf(db,
	                "INSERT INTO sessions(token_hash, user_id, created_at, expires_at, "
	                "user_agent, ip, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
	                "tiiitti", h, user_id, now, now + AUTH_SESSION_TTL, ua, ip ? ip : "", now);
}

enum jm_rc auth_session_lookup(struct db *db, struct arena *a, const unsigned char secret[32],
                               const char *token, struct auth_user *out)
{
	if (!token || strlen(token) < 20 || strlen(token) > 100)
		return JM_NOT_FOUND;
	char h[65];
	token_hash(secret, "session", token, h);
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT user_id, last_seen_at FROM sessions WHERE token_hash = ? AND "
	                    "expires_at > ?",
	                    "ti", h, jm_now());
	if (rc)
		return rc;
	rc = db_step(st);
	int64_t uid = rc == JM_OK ? db_col_int(st, 0) : 0;
	int64_t seen = rc == JM_OK ? db_col_int(st, 1) : 0, now = jm_now();
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	/* At most one write a minute per session, not one per request. */
	if (now - seen >= AUTH_SEEN_EVERY &&
	    db_execf(db, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", "it", now,
	             h) != JM_OK)
		log_at(LOG_WARN, "auth", "session last-seen update failed");
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

/* ---- the session list ---- */

void auth_session_id(const unsigned char secret[32], const char *token, char out[17])
{
	char h[65];
	token_hash(secret, "session", token ? token : "", h);
	memcpy(out, h, 16);
	out[16] = '\0';
}

enum jm_rc auth_session_list(struct db *db, struct arena *a, int64_t user_id,
                             struct auth_session **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT substr(token_hash, 1, 16), user_agent, ip, created_at, "
	                    "last_seen_at FROM sessions WHERE user_id = ? AND expires_at > ? "
	                    "ORDER BY last_seen_at DESC, created_at DESC LIMIT 200",
	                    "ii", user_id, jm_now());
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		struct auth_session *s = &(*out)[(*n)++];
		s->id = db_col_dup(st, 0, a);
		s->user_agent = db_col_dup(st, 1, a);
		s->ip = db_col_dup(st, 2, a);
		s->created_at = db_col_int(st, 3);
		s->last_seen_at = db_col_int(st, 4);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc auth_session_revoke(struct db *db, int64_t user_id, const char *id)
{
	if (!id || strlen(id) != 16 || strspn(id, "0123456789abcdef") != 16)
		return JM_NOT_FOUND;
	enum jm_rc rc = db_execf(db,
	                         "DELETE FROM sessions WHERE user_id = ? AND "
	                         "substr(token_hash, 1, 16) = ?",
	                         "it", user_id, id);
	return rc ? rc : db_changes(db) ? JM_OK : JM_NOT_FOUND;
}

enum jm_rc auth_session_end_all(struct db *db, const unsigned char secret[32], int64_t user_id,
                                const char *keep_token)
{
	char h[65] = "";
	if (keep_token)
		token_hash(secret, "session", keep_token, h);
	return db_execf(db, "DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?", "it",
	                user_id, h);
}
