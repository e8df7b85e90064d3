/*
 * slug.c — the one slug rule of the site: article, list (and any later)
 * slugs are made and checked here.
 *
 * The rule (README "Slugs"): a slug is the title folded with Unicode
 * NFKC_Casefold (core/fold.c: ＡＢＣ → abc, ３ → 3, ｶﾀｶﾅ → カタカナ), keeping
 * the word characters of every script — letters, marks and digits, so
 * Japanese stays Japanese, as WordPress does by default — and turning every
 * run of anything else (spaces, 、。「」!?/…) into one '-'. Leading and
 * trailing '-' are dropped. In URLs a slug is percent-encoded as one path
 * segment (RFC 3986 section 2.1); routing decodes it.
 *
 * Invariants: a made slug is valid UTF-8 of 1..max bytes (cut on a
 * character boundary), holds no '/', '?', '#', '%' or control character,
 * and passes jm_slug_valid; jm_slug_valid accepts every slug the earlier
 * ASCII rule ([a-z0-9-]) accepted, so stored slugs stay valid.
 */
#include "core/core.h"

#define FOLD_CAP 4096 /* bytes of folded title looked at */

/* True when the code point at s[i..next) may stand in a slug as is. */
static bool slug_cp_ok(uint32_t cp)
{
	if (cp == '-')
		return true;
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9');
	return cp != 0xFFFD && jm_cp_is_word(cp);
}

/* The folded form of s into f; without ICU, s with ASCII lower-cased. */
static void fold_or_lower(const char *s, size_t len, struct buf *f)
{
	if (jm_fold(s, len, f) == JM_OK)
		return;
	buf_reset(f);
	for (size_t i = 0; i < len; i++) {
		char c = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
		if (buf_appendc(f, c) != JM_OK)
			break;
	}
}

size_t jm_slug_make(const char *s, size_t len, char *out, size_t max)
{
	struct buf f;
	buf_init(&f, FOLD_CAP);
	fold_or_lower(s, len, &f);
	const char *p = buf_cstr(&f);
	size_t n = 0, flen = f.len;
	bool dash = false;
	for (size_t i = 0; i < flen && n < max;) {
		uint32_t cp;
		size_t next = jm_utf8_next(p, flen, i, &cp);
		if (cp == '-' || !slug_cp_ok(cp)) {
			dash = n > 0;
			i = next;
			continue;
		}
		size_t need = (next - i) + (dash ? 1 : 0);
		if (n + need > max)
			break;
		if (dash)
			out[n++] = '-';
		memcpy(out + n, p + i, next - i);
		n += next - i;
		dash = false;
		i = next;
	}
	out[n] = '\0';
	buf_free(&f);
	return n;
}

bool jm_slug_valid(const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0;
	if (len == 0 || len > max || !utf8_valid(s, len))
		return false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		i = jm_utf8_next(s, len, i, &cp);
		if (!slug_cp_ok(cp))
			return false;
	}
	if (len == strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-"))
		return true; /* ASCII: no folding needed */
	/* Non-ASCII must already be folded (no ＡＢＣ, no ｶﾀｶﾅ): one spelling
	 * per slug. */
	struct buf f;
	buf_init(&f, FOLD_CAP);
	bool ok = jm_fold(s, len, &f) == JM_OK && f.len == len && memcmp(f.ptr, s, len) == 0;
	buf_free(&f);
	return ok;
}
