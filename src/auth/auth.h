/*
 * auth.h — staff accounts, sessions, CSRF tokens, API tokens, the
 * sign-in limiter, roles, and the public forms' signed stamps and rate
 * limits. Secrets are never stored in clear: passwords as
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
 * In the database (shared by every node), per client address (exact
 * keys), sliding one-minute window. */
#define AUTH_MAX_FAILS_PER_MIN 10
/* Reserves one sign-in attempt for ip at now, before the password is
 * checked, in a transaction of its own. JM_RATE_LIMITED (nothing recorded;
 * answer 429) when ip already has AUTH_MAX_FAILS_PER_MIN attempts in the
 * last minute, so no more than that many passwords per address and minute
 * ever reach the hash, across every node; JM_DB on a database error. */
enum jm_rc auth_login_reserve(struct db *db, const char *ip, int64_t now) JM_WUR;
/* Gives back the attempt reserved at stamp (the password was right, or it
 * was never checked): only failures stay counted. */
void auth_login_release(struct db *db, const char *ip, int64_t stamp);

/* ---- secrets every node shares (secret.c) ----
 * Named text values in the database ("signing": the signing key in hex;
 * "dkim:SELECTOR": a DKIM private key in PEM), written once, never
 * changed. Thread-safe as far as the connection is (one per thread). */
#define AUTH_SECRET_MAX     (64 * 1024)
#define AUTH_SECRET_SIGNING "signing"
#define AUTH_SECRET_DKIM    "dkim:" /* + selector */
/* out gets name's value. JM_NOT_FOUND when there is none. */
enum jm_rc auth_secret_get(struct db *db, const char *name, struct buf *out) JM_WUR;
/* Stores a new secret: JM_CONFLICT when name has one already (never
 * replaced), JM_TOO_LARGE past AUTH_SECRET_MAX. */
enum jm_rc auth_secret_put(struct db *db, const char *name, const char *value, int64_t now) JM_WUR;
/* Stores candidate unless name has a value already, then reads back the
 * value that holds (this candidate or an earlier one — another node's that
 * started at the same time) into out. */
enum jm_rc auth_secret_ensure(struct db *db, const char *name, const char *candidate, int64_t now,
                              struct buf *out) JM_WUR;
/* auth_secret_ensure with the contents of the file at path (an older
 * installation's key file). JM_IO with err naming the path when it cannot
 * be read. */
enum jm_rc auth_secret_import_file(struct db *db, const char *name, const char *path, int64_t now,
                                   struct buf *out, struct jm_err *err) JM_WUR;

/* ---- roles (roles.c) ---- */
/* True for a signed-in owner (NULL is no one). */
bool auth_user_is_owner(const struct auth_user *u);
/* True when the value of a route's op/action field is an owner-only verb
 * (erase, send, schedule, resume, cancel, delete, merge, export). NULL is
 * not. */
bool auth_op_needs_owner(const char *op);

/* ---- signed form stamps (stamp.c) ----
 * "T.NONCE.MAC": the time a public form was handed out, signed with the
 * app secret for one purpose ("signup", "contact"). */
#define AUTH_STAMP_LEN 80
enum auth_stamp_verdict {
	AUTH_STAMP_OK,      /* authentic, min_age..max_age old */
	AUTH_STAMP_MISSING, /* NULL or "": the form carried none */
	AUTH_STAMP_BAD,     /* malformed, forged, other purpose, or from the future */
	AUTH_STAMP_FAST,    /* authentic but younger than min_age: a bot */
	AUTH_STAMP_OLD,     /* authentic but older than max_age: reload the form */
};
/* A fresh stamp for purpose issued at now into out (NUL-terminated). */
void auth_stamp_make(const unsigned char secret[32], const char *purpose, int64_t now,
                     char out[AUTH_STAMP_LEN]);
/* Checks stamp (may be NULL) for purpose at now; *issued_at (may be NULL)
 * gets its time when it is authentic (FAST, OLD, OK). */
enum auth_stamp_verdict auth_stamp_check(const unsigned char secret[32], const char *purpose,
                                         const char *stamp, int64_t now, int64_t min_age,
                                         int64_t max_age, int64_t *issued_at);
/* Inside the caller's transaction: records an authentic stamp as used
 * until keep_until (when it would have expired anyway). JM_CONFLICT when it
 * was used before (a replay), JM_INVALID when it is no stamp. Drops the
 * expired records first. */
enum jm_rc auth_stamp_spend(struct db *db, const char *stamp, int64_t keep_until,
                            int64_t now) JM_WUR;

/* ---- rate limits of the public forms (ratelimit.c) ----
 * Hits per key (prefix || value, exact) in the database over a sliding
 * window of at most AUTH_RATE_KEEP seconds. Every function writes inside
 * the caller's transaction; old hits are dropped by auth_rate_add. */
#define AUTH_RATE_KEEP 86400
/* JM_RATE_LIMITED (nothing written) when the key has max hits within the
 * last window seconds; otherwise counts this hit and returns JM_OK. */
enum jm_rc auth_rate_hit(struct db *db, const char *prefix, const char *value, int64_t max,
                         int64_t window, int64_t now) JM_WUR;
/* *n = the key's hits after since. */
enum jm_rc auth_rate_count(struct db *db, const char *prefix, const char *value, int64_t since,
                           int64_t *n) JM_WUR;
/* Counts one hit of the key at now (for a hit counted after the check). */
enum jm_rc auth_rate_add(struct db *db, const char *prefix, const char *value, int64_t now) JM_WUR;
/* Erasure: drops the hits whose key names the person's address. */
enum jm_rc auth_rate_forget_person(struct db *db, int64_t person_id) JM_WUR;

/* Normalises an email in place (trim, lower-case) and checks its shape. */
bool auth_email_normalize(char *email);

#endif
