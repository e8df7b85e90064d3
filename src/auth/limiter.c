/*
 * limiter.c — sign-in attempts per client address over a sliding minute,
 * counted in the database (table signup_attempts, keys "login-ip:ADDR",
 * through ratelimit.c) so every node of a site counts against one limit.
 *
 * An attempt is reserved before the password is checked (the check is a
 * slow argon2id hash): counting and reserving happen in one transaction
 * under a per-address lock (SQLite: the write transaction itself, which
 * one writer holds at a time; PostgreSQL: a transaction-scoped advisory
 * lock on the key, because READ COMMITTED lets two counts run side by
 * side), so however many requests from one address arrive at once, on
 * however many nodes, at most AUTH_MAX_FAILS_PER_MIN of them per minute get
 * to the hash; the rest are refused at once. A right password gives its
 * reservation back, so only failures stay counted.
 *
 * Invariants: keys are exact (the whole address string is compared; two
 * addresses never share a counter). Rows older than AUTH_RATE_KEEP are
 * dropped by every hit (ratelimit.c), so an address-cycling attacker grows
 * the table by at most a day of attempts.
 */
#include "auth/auth.h"
#include "db/db.h"

#define WINDOW       60
#define LOGIN_PREFIX "login-ip:"
#define ADDR_MAX     64

enum jm_rc auth_login_reserve(struct db *db, const char *ip, int64_t now)
{
	if (strlen(ip) >= ADDR_MAX)
		return JM_RATE_LIMITED; /* never an address: refuse rather than truncate */
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = auth_rate_hit(db, LOGIN_PREFIX, ip, AUTH_MAX_FAILS_PER_MIN, WINDOW, now);
	return db_end(db, rc);
}

void auth_login_release(struct db *db, const char *ip, int64_t stamp)
{
	/* One row of the reservation's second (several may share it). SQLite
	 * names a row by rowid, PostgreSQL by ctid: the table has no key. */
	if (db_execf(db,
	             DB_SQL(db,
	                    "DELETE FROM signup_attempts WHERE rowid = (SELECT rowid FROM "
	                    "signup_attempts WHERE key = ? || ? AND created_at = ? LIMIT 1)",
	                    "DELETE FROM signup_attempts WHERE ctid = (SELECT ctid FROM "
	                    "signup_attempts WHERE key = ? || ? AND created_at = ? LIMIT 1)"),
	             "tti", LOGIN_PREFIX, ip, stamp) != JM_OK)
		log_at(LOG_WARN, "auth", "a sign-in reservation was not given back");
}
