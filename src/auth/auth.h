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
/* The one password rule (sign-up, change, reset, invitation, CLI):
 * AUTH_PASSWORD_MIN..AUTH_PASSWORD_MAX bytes of UTF-8. JM_INVALID naming
 * "password" otherwise (err may be NULL). */
enum jm_rc auth_password_rule(const char *pw, struct jm_err *err) JM_WUR;
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
#define AUTH_UA_MAX     200 /* bytes of the User-Agent kept for the session list */
#define AUTH_SEEN_EVERY 60  /* seconds between two last_seen_at writes */
/* New session for user; token_out gets the cookie value (44 bytes).
 * user_agent and ip (may be NULL) are kept for the session list. */
enum jm_rc auth_session_create(struct db *db, const unsigned char secret[32], int64_t user_id,
                               const char *user_agent, const char *ip, char token_out[64]) JM_WUR;
/* JM_NOT_FOUND when unknown or expired. Moves the session's last_seen_at
 * forward (at most once every AUTH_SEEN_EVERY seconds). */
enum jm_rc auth_session_lookup(struct db *db, struct arena *a, const unsigned char secret[32],
                               const char *token, struct auth_user *out) JM_WUR;
void auth_session_delete(struct db *db, const unsigned char secret[32], const char *token);
/* One live session of a user, for the session list (arena strings). id is
 * the first 16 hex digits of its stored hash: it names the session without
 * being its cookie. */
struct auth_session {
	const char *id, *user_agent, *ip;
	int64_t created_at, last_seen_at;
};
/* The id (auth_session.id) of the session whose cookie is token. */
void auth_session_id(const unsigned char secret[32], const char *token, char out[17]);
/* The user's live sessions, most recently seen first (at most 200). */
enum jm_rc auth_session_list(struct db *db, struct arena *a, int64_t user_id,
                             struct auth_session **out, size_t *n) JM_WUR;
/* Ends the user's session id. JM_NOT_FOUND when it has none such. */
enum jm_rc auth_session_revoke(struct db *db, int64_t user_id, const char *id) JM_WUR;
/* Ends every session of the user but keep_token's (NULL: all of them). */
enum jm_rc auth_session_end_all(struct db *db, const unsigned char secret[32], int64_t user_id,
                                const char *keep_token) JM_WUR;

/* ---- the account (account.c) ----
 * Links sent by mail ("tickets") hold a random token whose keyed hash is
 * stored; each is used once. */
#define AUTH_RESET_TTL  3600        /* a password-reset link: one hour */
#define AUTH_INVITE_TTL (7 * 86400) /* an invitation: a week */
struct auth_ticket {
	int64_t user_id; /* reset: whose password; invite: 0 */
	const char *email, *role;
};
/* Checks current against the stored hash (JM_UNAUTHORIZED with err field
 * current_password when wrong), the new password's rule (JM_INVALID, field
 * password), stores its hash and ends every other session of the user (all
 * but keep_token's). Slow (argon2id twice): off the event loop. */
enum jm_rc auth_password_change(struct db *db, const unsigned char secret[32], int64_t user_id,
                                const char *current, const char *new_pw, const char *keep_token,
                                struct jm_err *err) JM_WUR;
/* A reset link for the account of email (normalised into email_out):
 * token_out gets the link's token. JM_NOT_FOUND (token_out "") when no
 * account has that address — after the same work, so that the caller can
 * answer alike. */
enum jm_rc auth_reset_issue(struct db *db, const unsigned char secret[32], const char *email,
                            int64_t now, char token_out[64], char email_out[256]) JM_WUR;
/* Uses the reset link token once: sets the new password (rule as above)
 * and ends every session of the account; *user_id gets it. JM_NOT_FOUND
 * when the link is unknown, used or expired. Slow (argon2id). */
enum jm_rc auth_reset_complete(struct db *db, const unsigned char secret[32], const char *token,
                               const char *new_pw, int64_t now, int64_t *user_id,
                               struct jm_err *err) JM_WUR;
/* An invitation for email with role: token_out gets the link's token.
 * JM_INVALID (err names email or role), JM_CONFLICT when a user has the
 * address already. */
enum jm_rc auth_invite_issue(struct db *db, const unsigned char secret[32], const char *email,
                             const char *role, int64_t now, char token_out[64], char email_out[256],
                             struct jm_err *err) JM_WUR;
/* The unused, unexpired ticket of kind ("reset", "invite") with token into
 * out (arena strings), without using it. JM_NOT_FOUND otherwise. */
enum jm_rc auth_ticket_peek(struct db *db, struct arena *a, const unsigned char secret[32],
                            const char *kind, const char *token, int64_t now,
                            struct auth_ticket *out) JM_WUR;
/* Marks the ticket used: JM_OK for exactly one caller, JM_NOT_FOUND for
 * every other (and for unknown or expired links). */
enum jm_rc auth_ticket_spend(struct db *db, const unsigned char secret[32], const char *kind,
                             const char *token, int64_t now) JM_WUR;
/* A row of the users page. */
struct auth_user_row {
	int64_t id, created_at;
	const char *email, *name, *role;
	bool two_factor;
};
enum jm_rc auth_user_list(struct db *db, struct arena *a, struct auth_user_row **out,
                          size_t *n) JM_WUR;
/* Removes the account (its sessions and API tokens with it; its person
 * stays in people). JM_CONFLICT (err) for the last owner, JM_NOT_FOUND. */
enum jm_rc auth_user_remove(struct db *db, int64_t id, struct jm_err *err) JM_WUR;

/* ---- two-factor sign-in (totp.c) ---- */
#define AUTH_TOTP_B32       40 /* a base32 key and its NUL */
#define AUTH_RECOVERY_CODES 10
/* RFC 4226 HOTP value (0..999999) of key at step. */
uint32_t auth_totp_code(const unsigned char *key, size_t keylen, int64_t step);
bool auth_totp_enabled(struct db *db, int64_t user_id);
/* Stores a new pending key for the user; secret_out gets it in base32. */
enum jm_rc auth_totp_begin(struct db *db, int64_t user_id, char secret_out[AUTH_TOTP_B32]) JM_WUR;
/* The pending key (arena), JM_NOT_FOUND when enrolment was not begun. */
enum jm_rc auth_totp_pending(struct db *db, struct arena *a, int64_t user_id,
                             const char **out) JM_WUR;
/* Turns two-factor on when code matches the pending key (else
 * JM_UNAUTHORIZED; JM_NOT_FOUND without one); codes gets the new recovery
 * codes, shown once. */
enum jm_rc auth_totp_confirm(struct db *db, const unsigned char secret[32], int64_t user_id,
                             const char *code, int64_t now,
                             char codes[AUTH_RECOVERY_CODES][16]) JM_WUR;
enum jm_rc auth_totp_disable(struct db *db, int64_t user_id) JM_WUR;
/* A sign-in's second step: a six-digit code (±1 step, later than the last
 * accepted one) or an unused recovery code. JM_OK uses it up;
 * JM_UNAUTHORIZED otherwise. */
enum jm_rc auth_totp_verify(struct db *db, const unsigned char secret[32], int64_t user_id,
                            const char *code, int64_t now) JM_WUR;
/* The otpauth:// URI an authenticator app reads (arena). */
enum jm_rc auth_totp_uri(struct arena *a, const char *issuer, const char *email,
                         const char *secret_b32, const char **out) JM_WUR;
/* Appends uri as a QR code in inline SVG (id "totp-qr") to out. */
enum jm_rc auth_totp_qr_svg(const char *uri, struct buf *out) JM_WUR;

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

/* Every stored secret (name, value), in the arena: for the backup archive. */
struct auth_secret {
	const char *name, *value;
};
enum jm_rc auth_secret_all(struct db *db, struct arena *a, struct auth_secret **out,
                           size_t *n) JM_WUR;

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
