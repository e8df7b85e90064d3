/*
 * token.c — signed confirm and unsubscribe tokens for links in mails
 * (RFC 8058 one-click unsubscribe URLs carry the "u." kind).
 *
 * Format: KIND "." base64url(SUBSCRIPTION_ID ":" ISSUED_AT) "." MAC, where
 * KIND is "c" (confirm) or "u" (unsubscribe), base64url is RFC 4648 §5
 * without padding and MAC is the first 32 hex digits of keyed BLAKE2b (the
 * app secret) over "nl:" KIND "." PAYLOAD, so a token of one kind never
 * passes as the other. Unsubscribe tokens carry ISSUED_AT 0 and never
 * expire; confirm tokens expire NL_CONFIRM_TTL after they were issued.
 *
 * A form's tokens (kind "f", forms/answer.c) sign the same payload over
 * "nl:f:" CTX "." PAYLOAD, CTX naming the form (its slug) or the purpose,
 * so a token made for one form never passes as another's; the reader
 * decides about expiry.
 */
#include <inttypes.h>

#include "newsletter/nl_int.h"

#define MAC_HEX     32
#define PAYLOAD_MAX 64
#define TOKEN_MAX   127

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t b64url_encode(const unsigned char *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = B64URL[(v >> 18) & 63];
		out[o++] = B64URL[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = B64URL[(v >> 6) & 63];
		if (i + 2 < len)
			out[o++] = B64URL[v & 63];
	}
	out[o] = '\0';
	return o;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(B64URL, c) : NULL;
	return p ? (int)(p - B64URL) : -1;
}

/* Decodes unpadded base64url; false on a bad character or length. */
static bool b64url_decode(const char *in, size_t len, char *out, size_t outsz)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	if (len % 4 == 1)
		return false;
	for (size_t i = 0; i < len; i++) {
		int v = b64_val(in[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outsz)
				return false;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return true;
}

static void mac_of(const unsigned char secret[32], char kind, const char *payload, size_t len,
                   char out[MAC_HEX + 1])
{
	char msg[PAYLOAD_MAX + 8];
	int n = snprintf(msg, sizeof(msg), "nl:%c.%.*s", kind, (int)len, payload);
	char hex[65];
	jm_hash_hex(secret, 32, msg, (size_t)n, hex);
	memcpy(out, hex, MAC_HEX);
	out[MAC_HEX] = '\0';
}

static void make(const unsigned char secret[32], char kind, int64_t id, int64_t issued, char *out)
{
	char raw[48], b64[PAYLOAD_MAX + 1], mac[MAC_HEX + 1];
	int n = snprintf(raw, sizeof(raw), "%" PRId64 ":%" PRId64, id, issued);
	size_t bl = b64url_encode((const unsigned char *)raw, (size_t)n, b64);
	mac_of(secret, kind, b64, bl, mac);
	snprintf(out, 128, "%c.%s.%s", kind, b64, mac);
}

void nl_token_confirm(const unsigned char secret[32], int64_t subscription_id, int64_t now,
                      char *out)
{
	make(secret, 'c', subscription_id, now, out);
}

void nl_token_unsubscribe(const unsigned char secret[32], int64_t subscription_id, char *out)
{
	make(secret, 'u', subscription_id, 0, out);
}

/* Parses "ID:ISSUED" with both parts decimal, ID > 0, ISSUED >= 0. */
static bool parse_payload(const char *s, int64_t *id, int64_t *issued)
{
	char *end = NULL;
	errno = 0;
	long long a = strtoll(s, &end, 10);
	if (errno || end == s || *end != ':' || a <= 0 || !(*s >= '0' && *s <= '9'))
		return false;
	const char *t = end + 1;
	long long b = strtoll(t, &end, 10);
	if (errno || end == t || *end || b < 0 || !(*t >= '0' && *t <= '9'))
		return false;
	*id = a;
	*issued = b;
	return true;
}

enum jm_rc nl_token_check(const unsigned char secret[32], const char *kind, const char *token,
                          int64_t now, int64_t *subscription_id)
{
	/* kind may be spelt "confirm"/"unsubscribe" or "c"/"u". */
	char k = kind && (kind[0] == 'c' || kind[0] == 'u') ? kind[0] : 0;
	size_t len = token ? strlen(token) : 0;
	if (!k || len < 5 || len > TOKEN_MAX || token[0] != k || token[1] != '.')
		return JM_INVALID;
	const char *payload = token + 2;
	const char *dot = strchr(payload, '.');
	if (!dot || (size_t)(dot - payload) > PAYLOAD_MAX || strlen(dot + 1) != MAC_HEX)
		return JM_INVALID;
	char mac[MAC_HEX + 1];
	mac_of(secret, k, payload, (size_t)(dot - payload), mac);
	if (!jm_secure_eq(mac, dot + 1))
		return JM_INVALID;
	char raw[PAYLOAD_MAX];
	int64_t id = 0, issued = 0;
	if (!b64url_decode(payload, (size_t)(dot - payload), raw, sizeof(raw)) ||
	    !parse_payload(raw, &id, &issued))
		return JM_INVALID;
	if (k == 'c') {
		if (issued > now + 300) /* issued in the future: not ours */
			return JM_INVALID;
		if (now - issued > NL_CONFIRM_TTL)
			return JM_NOT_FOUND;
	}
	*subscription_id = id;
	return JM_OK;
}

#define CTX_MAX 200

/* The MAC of a form token: over "nl:f:" ctx "." payload. */
static void mac_form(const unsigned char secret[32], const char *ctx, const char *payload,
                     size_t len, char out[MAC_HEX + 1])
{
	char msg[CTX_MAX + PAYLOAD_MAX + 16], hex[65];
	int n = snprintf(msg, sizeof(msg), "nl:f:%.*s.%.*s", CTX_MAX, ctx, (int)len, payload);
	jm_hash_hex(secret, 32, msg, n > 0 ? (size_t)n : 0, hex);
	memcpy(out, hex, MAC_HEX);
	out[MAC_HEX] = '\0';
}

void nl_token_form(const unsigned char secret[32], const char *ctx, int64_t id, int64_t issued,
                   char *out)
{
	char raw[48], b64[PAYLOAD_MAX + 1], mac[MAC_HEX + 1];
	int n = snprintf(raw, sizeof(raw), "%" PRId64 ":%" PRId64, id, issued);
	size_t bl = b64url_encode((const unsigned char *)raw, (size_t)n, b64);
	mac_form(secret, ctx, b64, bl, mac);
	snprintf(out, 128, "f.%s.%s", b64, mac);
}

enum jm_rc nl_token_form_check(const unsigned char secret[32], const char *ctx, const char *token,
                               int64_t *id, int64_t *issued)
{
	size_t len = token ? strlen(token) : 0;
	if (!ctx || strlen(ctx) > CTX_MAX || len < 5 || len > TOKEN_MAX || token[0] != 'f' ||
	    token[1] != '.')
		return JM_INVALID;
	const char *payload = token + 2;
	const char *dot = strchr(payload, '.');
	if (!dot || (size_t)(dot - payload) > PAYLOAD_MAX || strlen(dot + 1) != MAC_HEX)
		return JM_INVALID;
	char mac[MAC_HEX + 1], raw[PAYLOAD_MAX];
	mac_form(secret, ctx, payload, (size_t)(dot - payload), mac);
	if (!jm_secure_eq(mac, dot + 1) ||
	    !b64url_decode(payload, (size_t)(dot - payload), raw, sizeof(raw)) ||
	    !parse_payload(raw, id, issued))
		return JM_INVALID;
	return JM_OK;
}
