/*
 * stamp.c — the signed form stamp of the public forms (sign-up, contact):
 * proof that a form was handed out by this server at a given time, for the
 * bot checks (a human takes a few seconds to fill a form in; a stamp from
 * last month is stale), and, for forms that must not be replayed, a
 * single-use record.
 *
 * A stamp reads "T.NONCE.MAC": T the issue time (unix seconds, decimal),
 * NONCE 16 random base64url characters, MAC the first 32 hex digits of
 * keyed BLAKE2b (the app secret) over "stamp:PURPOSE:T:NONCE". The purpose
 * keeps one form's stamps from passing another's check. The nonce makes
 * every stamp unique, so a spent one can be told from a fresh one issued
 * in the same second.
 *
 * Spent stamps (table form_stamps_used, owned here) are kept until they
 * would have expired anyway; every spend drops the expired rows first, so
 * the table holds at most the stamps spent within one lifetime.
 */
#include "auth/auth.h"
#include "db/db.h"

#define NONCE_BYTES 12 /* 16 base64url characters */
#define NONCE_LEN   16
#define MAC_HEX     32
#define CLOCK_SKEW  60 /* a stamp this far in the future still passes */

static void stamp_mac(const unsigned char secret[32], const char *purpose, int64_t t,
                      const char *nonce, size_t nlen, char out[MAC_HEX + 1])
{
	char msg[160], hex[65];
	int n = snprintf(msg, sizeof(msg), "stamp:%s:%lld:%.*s", purpose, (long long)t, (int)nlen,
	                 nonce);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0; /* a purpose too long for msg: a MAC nobody can match */
	jm_hash_hex(secret, 32, msg, (size_t)n, hex);
	memcpy(out, hex, MAC_HEX);
	out[MAC_HEX] = '\0';
}

void auth_stamp_make(const unsigned char secret[32], const char *purpose, int64_t now,
                     char out[AUTH_STAMP_LEN])
{
	char nonce[32], mac[MAC_HEX + 1];
	jm_random_token(nonce, NONCE_BYTES);
	stamp_mac(secret, purpose, now, nonce, NONCE_LEN, mac);
	snprintf(out, AUTH_STAMP_LEN, "%lld.%.*s.%s", (long long)now, NONCE_LEN, nonce, mac);
}

/* Splits and authenticates stamp; *t gets its time. */
static bool stamp_authentic(const unsigned char secret[32], const char *purpose, const char *stamp,
                            int64_t *t)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t nd = stamp ? strspn(stamp, "0123456789") : 0;
	if (nd == 0 || nd > 12 || stamp[nd] != '.')
		return false;
	const char *nonce = stamp + nd + 1;
	if (strspn(nonce, b64) != NONCE_LEN || nonce[NONCE_LEN] != '.')
		return false;
	const char *mac = nonce + NONCE_LEN + 1;
	if (strlen(mac) != MAC_HEX)
		return false;
	*t = strtoll(stamp, NULL, 10);
	char want[MAC_HEX + 1];
	stamp_mac(secret, purpose, *t, nonce, NONCE_LEN, want);
	return *t > 0 && jm_secure_eq(want, mac);
}

enum auth_stamp_verdict auth_stamp_check(const unsigned char secret[32], const char *purpose,
                                         const char *stamp, int64_t now, int64_t min_age,
                                         int64_t max_age, int64_t *issued_at)
{
	int64_t t = 0;
	if (!stamp || !*stamp)
		return AUTH_STAMP_MISSING;
	if (!stamp_authentic(secret, purpose, stamp, &t) || t > now + CLOCK_SKEW)
		return AUTH_STAMP_BAD;
	if (issued_at)
		*issued_at = t;
	if (now - t < min_age)
		return AUTH_STAMP_FAST;
	return now - t > max_age ? AUTH_STAMP_OLD : AUTH_STAMP_OK;
}

enum jm_rc auth_stamp_spend(struct db *db, const char *stamp, int64_t keep_until, int64_t now)
{
	const char *mac = stamp ? strrchr(stamp, '.') : NULL;
	if (!mac || strlen(mac + 1) != MAC_HEX)
		return JM_INVALID;
	enum jm_rc rc =
	        db_execf(db, "DELETE FROM form_stamps_used WHERE expires_at <= ?", "i", now);
	if (!rc)
		rc = db_execf(db,
		              "INSERT INTO form_stamps_used(mac, expires_at) VALUES (?, ?) "
		              "ON CONFLICT(mac) DO NOTHING",
		              "ti", mac + 1, keep_until > now ? keep_until : now + 1);
	if (!rc && db_changes(db) == 0)
		rc = JM_CONFLICT;
	return rc;
}
