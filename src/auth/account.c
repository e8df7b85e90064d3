/*
 * account.c — what a staff member does with their own account and the
 * owner with the others': change the password, reset it through a link
 * sent by mail, invite a new editor by mail, list and remove accounts.
 *
 * Links by mail ("tickets": a password reset, an invitation) carry a random
 * token of 32 bytes; the database keeps only its keyed hash (BLAKE2b with
 * the site's secret, as for sessions), so a leaked database holds no usable
 * link. A ticket is used by one UPDATE that sets used_at only while it is
 * unused and unexpired: of two requests with the same link exactly one
 * gets it. A reset lasts AUTH_RESET_TTL, an invitation AUTH_INVITE_TTL.
 *
 * Invariants: a password change or a reset signs out every other session
 * of the account (a reset all of them); a removed user's sessions and
 * tokens go with it (ON DELETE CASCADE); the last owner is never removed.
 * Passwords are hashed (argon2id, slow) before any transaction starts.
 */
#include "auth/auth.h"
#include "auth/auth_int.h"
#include "db/db.h"

static void ticket_hash(const unsigned char secret[32], const char *token, char out[65])
{
	char msg[128];
	snprintf(msg, sizeof(msg), "ticket:%s", token ? token : "");
	jm_hash_hex(secret, 32, msg, strlen(msg), out);
}

enum jm_rc auth_password_change(struct db *db, const unsigned char secret[32], int64_t user_id,
                                const char *current, const char *new_pw, const char *keep_token,
                                struct jm_err *err)
{
	char hash[128];
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT password_hash FROM users WHERE id = ?", "i", user_id);
	if (rc)
		return rc;
	rc = db_step(st);
	bool ok = rc == JM_OK && current &&
	          jm_password_verify(db_col_text(st, 0, NULL) ? db_col_text(st, 0, NULL) : "",
	                             current);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	if (!ok) {
		jm_err_set(err, "current_password", "the current password is wrong");
		return JM_UNAUTHORIZED;
	}
	if ((rc = auth_password_rule(new_pw, err)) || (rc = jm_password_hash(new_pw, hash)))
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	rc = db_execf(db, "UPDATE users SET password_hash = ? WHERE id = ?", "ti", hash, user_id);
	if (!rc)
		rc = auth_session_end_all(db, secret, user_id, keep_token);
	return db_end(db, rc);
}

/* Inserts a ticket of kind; token_out gets the link's token. */
static enum jm_rc ticket_insert(struct db *db, const unsigned char secret[32], const char *kind,
                                int64_t user_id, const char *email, const char *role, int64_t ttl,
                                int64_t now, char token_out[64])
{
	char h[65];
	jm_random_token(token_out, 32);
	ticket_hash(secret, token_out, h);
	/* Spent and expired tickets are swept whenever one is made. */
	if (db_execf(db, "DELETE FROM account_tickets WHERE expires_at < ?", "i", now - 86400))
		log_at(LOG_WARN, "auth", "ticket sweep failed");
	return db_execf(db,
	                "INSERT INTO account_tickets(token_hash, kind, user_id, email, role, "
	                "created_at, expires_at) VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?)",
	                "ttittii", h, kind, user_id, email, role ? role : "", now, now + ttl);
}

enum jm_rc auth_reset_issue(struct db *db, const unsigned char secret[32], const char *email_in,
                            int64_t now, char token_out[64], char email_out[256])
{
	int64_t uid = 0;
	snprintf(email_out, 256, "%s", email_in ? email_in : "");
	bool shape = auth_email_normalize(email_out);
	enum jm_rc rc =
	        db_query_int(db, &uid, 0, "SELECT id FROM users WHERE email = ?", "t", email_out);
	if (rc)
		return rc;
	if (!shape || uid == 0) {
		/* The same work as for a known address, minus the row: the
		 * answer and its time do not tell who has an account. */
		char h[65];
		jm_random_token(token_out, 32);
		ticket_hash(secret, token_out, h);
		token_out[0] = '\0';
		return JM_NOT_FOUND;
	}
	return ticket_insert(db, secret, "reset", uid, email_out, "", AUTH_RESET_TTL, now,
	                     token_out);
}

enum jm_rc auth_ticket_peek(struct db *db, struct arena *a, const unsigned char secret[32],
                            const char *kind, const char *token, int64_t now,
                            struct auth_ticket *out)
{
	char h[65];
	if (!token || strlen(token) < 20 || strlen(token) > 100)
		return JM_NOT_FOUND;
	ticket_hash(secret, token, h);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT coalesce(user_id, 0), email, role FROM account_tickets "
	                            "WHERE token_hash = ? AND kind = ? AND used_at IS NULL AND "
	                            "expires_at > ?",
	                            "tti", h, kind, now);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		out->user_id = db_col_int(st, 0);
		out->email = db_col_dup(st, 1, a);
		out->role = db_col_dup(st, 2, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

enum jm_rc auth_ticket_spend(struct db *db, const unsigned char secret[32], const char *kind,
                             const char *token, int64_t now)
{
	char h[65];
	if (!token || strlen(token) < 20 || strlen(token) > 100)
		return JM_NOT_FOUND;
	ticket_hash(secret, token, h);
	enum jm_rc rc = db_execf(db,
	                         "UPDATE account_tickets SET used_at = ? WHERE token_hash = ? AND "
	                         "kind = ? AND used_at IS NULL AND expires_at > ?",
	                         "itti", now, h, kind, now);
	return rc ? rc : db_changes(db) == 1 ? JM_OK : JM_NOT_FOUND;
}

enum jm_rc auth_reset_complete(struct db *db, const unsigned char secret[32], const char *token,
                               const char *new_pw, int64_t now, int64_t *user_id,
                               struct jm_err *err)
{
	char hash[128];
	struct arena *a = arena_new(512);
	struct auth_ticket t = {0};
	enum jm_rc rc = auth_ticket_peek(db, a, secret, "reset", token, now, &t);
	if (!rc)
		rc = auth_password_rule(new_pw, err);
	if (!rc)
		rc = jm_password_hash(new_pw, hash);
	if (!rc)
		rc = db_begin(db);
	if (rc)
		goto out;
	rc = auth_ticket_spend(db, secret, "reset", token, now);
	if (!rc)
		rc = db_execf(db, "UPDATE users SET password_hash = ? WHERE id = ?", "ti", hash,
		              t.user_id);
	if (!rc) /* whoever knew the old password is signed out everywhere */
		rc = auth_session_end_all(db, secret, t.user_id, NULL);
	rc = db_end(db, rc);
	if (!rc)
		*user_id = t.user_id;
out:
	arena_free(a);
	return rc;
}

enum jm_rc auth_invite_issue(struct db *db, const unsigned char secret[32], const char *email_in,
                             const char *role, int64_t now, char token_out[64], char email_out[256],
                             struct jm_err *err)
{
	int64_t uid = 0;
	snprintf(email_out, 256, "%s", email_in ? email_in : "");
	if (!auth_email_normalize(email_out)) {
		jm_err_set(err, "email", "invalid email address");
		return JM_INVALID;
	}
	if (!role || (strcmp(role, "owner") != 0 && strcmp(role, "editor") != 0)) {
		jm_err_set(err, "role", "role must be owner or editor");
		return JM_INVALID;
	}
	enum jm_rc rc =
	        db_query_int(db, &uid, 0, "SELECT id FROM users WHERE email = ?", "t", email_out);
	if (!rc && uid) {
		jm_err_set(err, "email", "a user with this email already exists");
		return JM_CONFLICT;
	}
	return rc ? rc
	          : ticket_insert(db, secret, "invite", 0, email_out, role, AUTH_INVITE_TTL, now,
	                          token_out);
}

enum jm_rc auth_user_list(struct db *db, struct arena *a, struct auth_user_row **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = db_prepare(db,
	                           "SELECT id, email, name, role, created_at, totp_secret <> '' "
	                           "FROM users ORDER BY id",
	                           &st);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		struct auth_user_row *u = &(*out)[(*n)++];
		u->id = db_col_int(st, 0);
		u->email = db_col_dup(st, 1, a);
		u->name = db_col_dup(st, 2, a);
		u->role = db_col_dup(st, 3, a);
		u->created_at = db_col_int(st, 4);
		u->two_factor = db_col_int(st, 5) != 0;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc auth_user_remove(struct db *db, int64_t id, struct jm_err *err)
{
	int64_t owners = 0;
	char role[16] = "";
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	/* Counted inside the transaction: two owners removing each other at
	 * once cannot both succeed (the write lock, or the row lock on PG). */
	rc = db_preparef(db, &st, "SELECT role FROM users WHERE id = ?", "i", id);
	if (!rc && (rc = db_step(st)) == JM_OK)
		snprintf(role, sizeof(role), "%s", db_col_text(st, 0, NULL));
	db_finalize(st);
	if (rc == JM_DONE)
		rc = JM_NOT_FOUND;
	if (!rc)
		rc = db_query_int(db, &owners, 0,
		                  DB_SQL(db, "SELECT count(*) FROM users WHERE role = 'owner'",
		                         /* lock the owners' rows against a concurrent removal */
		                         "SELECT count(*) FROM (SELECT id FROM users WHERE role = "
		                         "'owner' FOR UPDATE) o"),
		                  "");
	if (!rc && !strcmp(role, "owner") && owners <= 1) {
		jm_err_set(err, "user", "the last owner cannot be removed");
		rc = JM_CONFLICT;
	}
	if (!rc)
		rc = db_execf(db, "DELETE FROM sessions WHERE user_id = ?", "i", id);
	if (!rc)
		rc = db_execf(db, "DELETE FROM users WHERE id = ?", "i", id);
	return db_end(db, rc);
}
