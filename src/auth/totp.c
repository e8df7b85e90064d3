/*
 * totp.c — two-factor sign-in: time-based one-time passwords (RFC 6238:
 * HOTP of RFC 4226 over 30-second steps, HMAC-SHA-1 from OpenSSL, six
 * digits), the enrolment QR code (libqrencode, drawn as inline SVG) and
 * ten single-use recovery codes.
 *
 * Enrolment is two steps: auth_totp_begin stores a new key as pending and
 * shows it; auth_totp_confirm turns it on once a code made from it is
 * typed back, and hands out the recovery codes (shown once; stored as
 * keyed hashes).
 *
 * Invariants: a code is accepted for the step before, the step of and the
 * step after now (clock drift) and only for a step later than the last one
 * accepted (users.totp_last_step, moved forward by one conditional UPDATE:
 * two requests with the same code cannot both pass). A recovery code is
 * deleted by the statement that accepts it.
 */
#include <ctype.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <qrencode.h>

#include "auth/auth.h"
#include "db/db.h"

#define TOTP_STEP    30
#define TOTP_KEY_LEN 20
#define REC_COUNT    10

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void b32_encode(const unsigned char *p, size_t n, char *out)
{
	unsigned buf = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		buf = (buf << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = b32[(buf << (5 - bits)) & 31];
	out[o] = '\0';
}

/* Decodes base32 (upper case, no padding); the byte count or -1. */
static int b32_decode(const char *s, unsigned char *out, size_t cap)
{
	unsigned buf = 0;
	int bits = 0;
	size_t o = 0;
	for (; *s; s++) {
		const char *c = strchr(b32, *s);
		if (!c || !*c)
			return -1;
		buf = (buf << 5) | (unsigned)(c - b32);
		bits += 5;
		if (bits >= 8) {
			if (o == cap)
				return -1;
			out[o++] = (unsigned char)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	return (int)o;
}

uint32_t auth_totp_code(const unsigned char *key, size_t keylen, int64_t step)
{
	unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	for (int i = 7; i >= 0; i--, step >>= 8)
		msg[i] = (unsigned char)(step & 0xff);
	if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac, &maclen) || maclen < 20)
		return UINT32_MAX; /* never a six-digit code */
	unsigned off = mac[maclen - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	               ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	return bin % 1000000;
}

/* The step within ±1 of now's whose code is code, later than after; 0 when
 * none. */
static int64_t match_step(const char *secret_b32, const char *code, int64_t now, int64_t after)
{
	unsigned char key[64];
	int kl = b32_decode(secret_b32, key, sizeof(key));
	if (kl <= 0 || strlen(code) != 6 || strspn(code, "0123456789") != 6)
		return 0;
	uint32_t want = (uint32_t)strtoul(code, NULL, 10);
	int64_t s0 = now / TOTP_STEP;
	for (int64_t s = s0 - 1; s <= s0 + 1; s++)
		if (s > after && auth_totp_code(key, (size_t)kl, s) == want)
			return s;
	return 0;
}

bool auth_totp_enabled(struct db *db, int64_t user_id)
{
	int64_t on = 0;
	return db_query_int(db, &on, 0,
	                    "SELECT count(*) FROM users WHERE id = ? AND totp_secret <> ''", "i",
	                    user_id) == JM_OK &&
	       on > 0;
}

enum jm_rc auth_totp_begin(struct db *db, int64_t user_id, char secret_out[AUTH_TOTP_B32])
{
	unsigned char key[TOTP_KEY_LEN];
	jm_random_bytes(key, sizeof(key));
	b32_encode(key, sizeof(key), secret_out);
	enum jm_rc rc = db_execf(db, "UPDATE users SET totp_pending = ? WHERE id = ?", "ti",
	                         secret_out, user_id);
	return rc ? rc : db_changes(db) ? JM_OK : JM_NOT_FOUND;
}

enum jm_rc auth_totp_pending(struct db *db, struct arena *a, int64_t user_id, const char **out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT totp_pending FROM users WHERE id = ?", "i", user_id);
	if (rc)
		return rc;
	rc = db_step(st);
	*out = rc == JM_OK ? db_col_dup(st, 0, a) : "";
	db_finalize(st);
	return rc == JM_OK ? (**out ? JM_OK : JM_NOT_FOUND) : rc == JM_DONE ? JM_NOT_FOUND : rc;
}

static void rec_hash(const unsigned char secret[32], int64_t user_id, const char *code,
                     char out[65])
{
	char msg[96], norm[32];
	size_t n = 0;
	for (const char *p = code; *p && n + 1 < sizeof(norm); p++)
		if (*p != '-' && *p != ' ')
			norm[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	norm[n] = '\0';
	snprintf(msg, sizeof(msg), "recovery:%lld:%s", (long long)user_id, norm);
	jm_hash_hex(secret, 32, msg, strlen(msg), out);
}

/* Ten fresh codes "xxxxx-xxxxx" replacing the user's old ones, in the
 * caller's transaction. */
static enum jm_rc rec_make(struct db *db, const unsigned char secret[32], int64_t user_id,
                           char codes[AUTH_RECOVERY_CODES][16])
{
	static const char alpha[] = "abcdefghjkmnpqrstuvwxyz23456789";
	enum jm_rc rc = db_execf(db, "DELETE FROM recovery_codes WHERE user_id = ?", "i", user_id);
	for (int i = 0; i < AUTH_RECOVERY_CODES && !rc; i++) {
		unsigned char r[10];
		char h[65];
		jm_random_bytes(r, sizeof(r));
		for (int k = 0; k < 10; k++)
			codes[i][k + (k >= 5)] = alpha[r[k] % (sizeof(alpha) - 1)];
		codes[i][5] = '-';
		codes[i][11] = '\0';
		rec_hash(secret, user_id, codes[i], h);
		rc = db_execf(db, "INSERT INTO recovery_codes(user_id, code_hash) VALUES (?, ?)",
		              "it", user_id, h);
	}
	return rc;
}

enum jm_rc auth_totp_confirm(struct db *db, const unsigned char secret[32], int64_t user_id,
                             const char *code, int64_t now, char codes[AUTH_RECOVERY_CODES][16])
{
	struct arena *a = arena_new(256);
	const char *pending = NULL;
	enum jm_rc rc = auth_totp_pending(db, a, user_id, &pending);
	int64_t step = rc ? 0 : match_step(pending, code ? code : "", now, 0);
	if (!rc && !step)
		rc = JM_UNAUTHORIZED;
	if (!rc && !(rc = db_begin(db))) {
		rc = db_execf(db,
		              "UPDATE users SET totp_secret = totp_pending, totp_pending = '', "
		              "totp_last_step = ? WHERE id = ?",
		              "ii", step, user_id);
		if (!rc)
			rc = rec_make(db, secret, user_id, codes);
		rc = db_end(db, rc);
	}
	arena_free(a);
	return rc;
}

enum jm_rc auth_totp_disable(struct db *db, int64_t user_id)
{
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_execf(db,
	              "UPDATE users SET totp_secret = '', totp_pending = '', totp_last_step = 0 "
	              "WHERE id = ?",
	              "i", user_id);
	if (!rc)
		rc = db_execf(db, "DELETE FROM recovery_codes WHERE user_id = ?", "i", user_id);
	return db_end(db, rc);
}

/* A six-digit code: moves totp_last_step forward, or JM_UNAUTHORIZED. */
static enum jm_rc verify_totp(struct db *db, int64_t user_id, const char *code, int64_t now)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT totp_secret, totp_last_step FROM users WHERE id = ?",
	                    "i", user_id);
	if (rc)
		return rc;
	int64_t step = 0;
	if ((rc = db_step(st)) == JM_OK)
		step = match_step(db_col_text(st, 0, NULL) ? db_col_text(st, 0, NULL) : "", code,
		                  now, db_col_int(st, 1));
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_UNAUTHORIZED : rc;
	if (!step)
		return JM_UNAUTHORIZED;
	rc = db_execf(db, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
	              "iii", step, user_id, step);
	return rc ? rc : db_changes(db) == 1 ? JM_OK : JM_UNAUTHORIZED;
}

enum jm_rc auth_totp_verify(struct db *db, const unsigned char secret[32], int64_t user_id,
                            const char *code, int64_t now)
{
	if (!code || !*code || strlen(code) > 32)
		return JM_UNAUTHORIZED;
	if (strlen(code) == 6 && strspn(code, "0123456789") == 6)
		return verify_totp(db, user_id, code, now);
	char h[65];
	rec_hash(secret, user_id, code, h);
	enum jm_rc rc =
	        db_execf(db, "DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?", "it",
	                 user_id, h);
	return rc ? rc : db_changes(db) == 1 ? JM_OK : JM_UNAUTHORIZED;
}

enum jm_rc auth_totp_uri(struct arena *a, const char *issuer, const char *email,
                         const char *secret_b32, const char **out)
{
	struct buf b;
	buf_init(&b, 2048);
	const char *parts[] = {issuer, ":", email};
	enum jm_rc rc = buf_appends(&b, "otpauth://totp/");
	for (size_t i = 0; i < 3; i++)
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p && !rc; p++)
			rc = isalnum(*p) || strchr("-._~@", *p) ? buf_appendc(&b, (char)*p)
			                                        : buf_appendf(&b, "%%%02X", *p);
	if (!rc)
		rc = buf_appendf(&b, "?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=%d",
		                 secret_b32, "jinmyaku", TOTP_STEP);
	*out = rc ? "" : arena_strdup(a, b.ptr);
	buf_free(&b);
	return rc;
}

enum jm_rc auth_totp_qr_svg(const char *uri, struct buf *out)
{
	QRcode *q = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return JM_INVALID;
	int w = q->width, m = 4; /* the quiet zone of four modules */
	enum jm_rc rc =
	        buf_appendf(out,
	                    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	                    "width=\"220\" height=\"220\" shape-rendering=\"crispEdges\" "
	                    "role=\"img\" id=\"totp-qr\"><rect width=\"100%%\" "
	                    "height=\"100%%\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
	                    w + 2 * m, w + 2 * m);
	for (int y = 0; y < w && !rc; y++)
		for (int x = 0; x < w && !rc; x++)
			if (q->data[y * w + x] & 1)
				rc = buf_appendf(out, "M%d %dh1v1h-1z", x + m, y + m);
	if (!rc)
		rc = buf_append(out, "\"/></svg>", 9);
	QRcode_free(q);
	return rc;
}
