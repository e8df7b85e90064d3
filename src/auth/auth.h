/*
 * auth.h — staff accounts, sessions, CSRF tokens, API tokens and the
 * sign-in limiter. Secrets are never stored in clear: passwords as
 * argon2id, session ids and API tokens as keyed BLAKE2b hashes.
 */
#ifndef JM_AUTH_H
#define JM_AUTH_H

#include "core/core.h"

struct db;

#define AUTH_SESSION_COOKIE    "jm_session"
#define AUTH_PRESESSION_COOKIE "jm_pre"
#define AUTH_SESSION_TTL       (14 * 86400)
#define AUTH_PASSWORD_MIN      8
#define AUTH_PASSWORD_MAX      256

struct auth_user {
	int64_t id;
	const char *email, *name, *role, *lang;
};

/* ---- users (user.c) ---- */
/* Checks a new user (auth_user_validate, name ≤ 200 bytes on one line)
 * and hashes the password into hash. Slow (argon2id): not on an event
 * loop. people_user_add (people/) creates the person, then the user. */
enum jm_rc auth_user_prepare(char email[256], const char *name, const char *role,
                             const char *password, char hash[128], struct jm_err *err) JM_WUR;
/* Inserts the users row of person_id inside the caller's transaction.
 * JM_CONFLICT if the email exists. */
enum jm_rc auth_user_insert(struct db *db, int64_t person_id, const char *email, const char *name,
                            const char *role, const char *hash, int64_t *id_out) JM_WUR;
/* Merge (people_merge's owner for users): accounts of from point at into. */
enum jm_rc auth_user_person_move(struct db *db, int64_t into, int64_t from) JM_WUR;
/* The checks of a new user that need no database (email normalised in
 * place). */
enum jm_rc auth_user_validate(char *email, const char *role, const char *password,
                              struct jm_err *err) JM_WUR;
int64_t auth_user_count(struct db *db);
/* Checks credentials. Slow (argon2id): call through http_defer. Unknown
 * email and wrong password both give JM_UNAUTHORIZED (and take the same
 * time: a dummy hash is verified for unknown users). */
enum jm_rc auth_login_check(struct db *db, struct arena *a, const char *email, const char *password,
                            struct auth_user *out) JM_WUR;
enum jm_rc auth_user_set_lang(struct db *db, int64_t user_id, const char *lang) JM_WUR;

/* ---- sessions (session.c) ---- */
/* New session for user; token_out gets the cookie value (44 bytes). */
enum jm_rc auth_session_create(struct db *db, const unsigned char secret[32], int64_t user_id,
                               char token_out[64]) JM_WUR;
/* JM_NOT_FOUND when unknown or expired. */
enum jm_rc auth_session_lookup(struct db *db, struct arena *a, const unsigned char secret[32],
                               const char *token, struct auth_user *out) JM_WUR;
void auth_session_delete(struct db *db, const unsigned char secret[32], const char *token);

/* ---- CSRF (session.c) ----
 * The token is a keyed hash of the session cookie (or of the pre-session
 * cookie on the login and setup pages), so it needs no storage. */
void auth_csrf_token(const unsigned char secret[32], const char *binding, char out[65]);
bool auth_csrf_check(const unsigned char secret[32], const char *binding, const char *token);

/* ---- API tokens (token.c) ---- */
/* Creates a token named name; token_out gets "jm_" + 43 chars, shown once. */
enum jm_rc auth_token_create(struct db *db, const unsigned char secret[32], const char *name,
                             int64_t user_id, char token_out[64], struct jm_err *err) JM_WUR;
/* Resolves a bearer token to its user (owner if the token has none). */
enum jm_rc auth_token_lookup(struct db *db, struct arena *a, const unsigned char secret[32],
                             const char *token, struct auth_user *out) JM_WUR;
struct api_token {
	int64_t id;
	const char *name, *prefix;
	int64_t created_at, last_used_at;
};
enum jm_rc auth_token_list(struct db *db, struct arena *a, struct api_token **out,
                           size_t *n) JM_WUR;
enum jm_rc auth_token_revoke(struct db *db, int64_t id) JM_WUR;

/* ---- sign-in limiter (limiter.c) ----
 * In memory, per client address (exact keys), sliding one-minute window.
 * Thread-safe. */
#define AUTH_MAX_FAILS_PER_MIN 10
struct auth_limiter;
struct auth_limiter *auth_limiter_new(void);
void auth_limiter_free(struct auth_limiter *l);
/* Reserves one sign-in attempt for ip at now, before the password is
 * checked. Returns false (nothing recorded; answer 429) when ip already
 * has AUTH_MAX_FAILS_PER_MIN attempts in the last minute, so no more than
 * that many passwords per address and minute ever reach the hash. */
bool auth_limiter_reserve(struct auth_limiter *l, const char *ip, int64_t now);
/* Gives back the attempt reserved at stamp (the password was right, or it
 * was never checked): only failures stay counted. */
void auth_limiter_release(struct auth_limiter *l, const char *ip, int64_t stamp);

/* ---- roles (roles.c) ---- */
/* True for a signed-in owner (NULL is no one). */
bool auth_user_is_owner(const struct auth_user *u);
/* True when the value of a route's op/action field is an owner-only verb
 * (erase, send, schedule, resume, cancel, delete, merge, export). NULL is
 * not. */
bool auth_op_needs_owner(const char *op);

/* Normalises an email in place (trim, lower-case) and checks its shape. */
bool auth_email_normalize(char *email);

#endif
