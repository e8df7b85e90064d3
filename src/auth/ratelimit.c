/*
 * ratelimit.c — the database-backed rate limiter of the public forms
 * (sign-up, contact, /forms/{slug}): hits per key over a sliding window,
 * kept in table signup_attempts (named for its first user; owned here,
 * written nowhere else). Stored hits survive restarts and are shared by every process on
 * the database.
 *
 * A key is prefix || value ("ip:1.2.3.4", "email:a@b.c", "contact-ip:…",
 * "contact-email:…", "form-ip:…", "form-email:…"), compared exactly. No
 * window is longer than AUTH_RATE_KEEP; every hit added drops the hits
 * older than that (an indexed range delete), so the table holds at most one
 * day of hits and no caller has to remember a cleanup.
 *
 * Every function writes inside the caller's transaction (none begins or
 * commits), so a refused or rolled-back form leaves no hit behind.
 * auth_rate_hit counts and adds under a lock on its key held to the end of
 * that transaction, so concurrent hits on several nodes never pass the
 * limit together: SQLite's write transaction is that lock already;
 * PostgreSQL (READ COMMITTED) takes a transaction-scoped advisory lock.
 */
#include "auth/auth.h"
#include "db/db.h"

enum jm_rc auth_rate_count(struct db *db, const char *prefix, const char *value, int64_t since,
                           int64_t *n)
{
	struct db_stmt *st = NULL;
	*n = 0;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT count(*) FROM signup_attempts "
	                            "WHERE key = ? || ? AND created_at > ?",
	                            "tti", prefix, value ? value : "", since);
	if (rc)
		return rc;
	rc = db_step(st);
	*n = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	return rc == JM_OK ? JM_OK : JM_DB;
}

enum jm_rc auth_rate_add(struct db *db, const char *prefix, const char *value, int64_t now)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM signup_attempts WHERE created_at <= ?", "i",
	                         now - AUTH_RATE_KEEP);
	if (!rc)
		rc = db_execf(db, "INSERT INTO signup_attempts(key, created_at) VALUES (? || ?, ?)",
		              "tti", prefix, value ? value : "", now);
	return rc;
}

/* Serialises hits on one key until the caller's transaction ends. */
static enum jm_rc key_lock(struct db *db, const char *prefix, const char *value)
{
	char h[65];
	size_t pl = strlen(prefix), vl = value ? strlen(value) : 0;
	char *k = xmalloc(pl + vl + 1);
	memcpy(k, prefix, pl);
	memcpy(k + pl, value ? value : "", vl + 1);
	jm_hash_hex(NULL, 0, k, pl + vl, h);
	free(k);
	int64_t key = 0;
	for (int i = 0; i < 15; i++) /* 60 bits of the hash */
		key = key << 4 | (h[i] <= '9' ? h[i] - '0' : h[i] - 'a' + 10);
	/* SQLite: the caller's write transaction serialises already. */
	return db_execf(db, DB_SQL(db, "SELECT ?", "SELECT pg_advisory_xact_lock(?)"), "i", key);
}

enum jm_rc auth_rate_hit(struct db *db, const char *prefix, const char *value, int64_t max,
                         int64_t window, int64_t now)
{
	int64_t n = 0;
	if (window > AUTH_RATE_KEEP)
		window = AUTH_RATE_KEEP;
	enum jm_rc rc = key_lock(db, prefix, value);
	if (!rc)
		rc = auth_rate_count(db, prefix, value, now - window, &n);
	if (!rc && n >= max)
		return JM_RATE_LIMITED;
	return rc ? rc : auth_rate_add(db, prefix, value, now);
}

enum jm_rc auth_rate_forget_person(struct db *db, int64_t person_id)
{
	return db_execf(db,
	                "DELETE FROM signup_attempts WHERE key IN "
	                "(SELECT 'email:' || email FROM people WHERE id = ?1 UNION ALL "
	                "SELECT 'contact-email:' || email FROM people WHERE id = ?1 UNION ALL "
	                "SELECT 'form-email:' || email FROM people WHERE id = ?1)",
	                "i", person_id);
}
