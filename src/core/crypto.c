/*
 * crypto.c — the only file that includes sodium.h: random tokens, keyed
 * BLAKE2b hashes (API tokens and session ids are stored hashed), constant-time
 * comparison and argon2id password hashing.
 */
#include "core.h"

#include <sodium.h>
#include <string.h>

enum jm_rc jm_crypto_init(void)
{
	return sodium_init() < 0 ? JM_IO : JM_OK;
}

void jm_random_bytes(void *out, size_t n)
{
	randombytes_buf(out, n);
}

void jm_random_token(char *out, size_t n)
{
	unsigned char raw[64];
	if (n > sizeof(raw))
		n = sizeof(raw);
	randombytes_buf(raw, n);
	sodium_bin2base64(out,
	                  sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	                  raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void jm_hash_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65])
{
	unsigned char h[32];
	if (keylen > crypto_generichash_KEYBYTES_MAX)
		keylen = crypto_generichash_KEYBYTES_MAX;
	crypto_generichash(h, sizeof(h), data, len, key, key ? keylen : 0);
	sodium_bin2hex(out, 65, h, sizeof(h));
}

bool jm_secure_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

enum jm_rc jm_password_hash(const char *pw, char hash_out[128])
{
	if (crypto_pwhash_str(hash_out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return JM_NOMEM;
	return JM_OK;
}

bool jm_password_verify(const char *hash, const char *pw)
{
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}
