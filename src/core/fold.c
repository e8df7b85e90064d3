/*
 * fold.c — text folding for search and duplicate detection: Unicode
 * NFKC_Casefold (UAX #15 normalisation form KC plus full case folding, as
 * ICU implements it): full-width ＡＢＣ → abc, half-width ｶﾀｶﾅ → カタカナ,
 * ｶﾞ → ガ, ㈱ → (株), default ignorables (ZWSP, soft hyphen) removed.
 *
 * The text is cut at normalisation boundaries (unorm2_hasBoundaryBefore)
 * into chunks that fold independently, so every output byte can be traced
 * back to the source bytes it came from (jm_fold_map): the search tokenizer
 * indexes folded text while its offsets still point into the original text
 * for snippets and highlights. ASCII and the common CJK blocks, which fold
 * to themselves, skip ICU.
 *
 * ICU (libicuuc) is loaded with dlopen at the first fold that needs it, not
 * linked: with libstdc++ and its data it adds ~1.5 MB to every process, and a
 * site that never searches people should not carry it. Text that is all
 * ASCII never loads it. The soname and the exported names carry ICU's
 * major version (urename.h turns unorm2_normalize into unorm2_normalize_72),
 * so both are taken from the headers the program was built with. When the
 * library is missing, folding fails with JM_IO (logged once) and the
 * character classes fall back to the CJK blocks above.
 *
 * Only this file includes ICU headers.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uversion.h>

#include "core/core.h"

#define CHUNK_MAX 32   /* code points in one chunk (longer runs of marks are cut) */
#define DEST_MAX  2048 /* UTF-16 units out of one chunk (NFKC expands ≤ 18×) */

/* ---- ICU, loaded on first use ---- */

/* Stringifies after macro expansion: ICU_STR(u_charType) → "u_charType_72". */
#define ICU_STR_(x) #x
#define ICU_STR(x)  ICU_STR_(x)
#define ICU_LIB     "libicuuc.so." ICU_STR(U_ICU_VERSION_MAJOR_NUM)

static struct {
	__typeof__(unorm2_getNFKCCasefoldInstance) *nfkc_casefold;
	__typeof__(unorm2_normalize) *normalize;
	__typeof__(unorm2_hasBoundaryBefore) *has_boundary_before;
	__typeof__(u_charType) *char_type;
	__typeof__(uscript_hasScript) *has_script;
} icu;

static pthread_once_t icu_once = PTHREAD_ONCE_INIT;
static const UNormalizer2 *icu_n2; /* NULL when ICU could not be loaded */

static void icu_load(void)
{
	/* The handle stays open for the life of the process. */
	void *h = dlopen(ICU_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_at(LOG_ERROR, "core", "cannot load ICU, text folding is off: %s", dlerror());
		return;
	}
	static const char *const names[] = {
	        ICU_STR(unorm2_getNFKCCasefoldInstance),
	        ICU_STR(unorm2_normalize),
	        ICU_STR(unorm2_hasBoundaryBefore),
	        ICU_STR(u_charType),
	        ICU_STR(uscript_hasScript),
	};
	void **slot = (void **)&icu; /* the members are in the order of names[] */
	_Static_assert(sizeof(icu) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
	               "one function pointer per name");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(slot[i] = dlsym(h, names[i]))) {
			log_at(LOG_ERROR, "core", "%s lacks %s, text folding is off", ICU_LIB,
			       names[i]);
			return;
		}
	}
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *n2 = icu.nfkc_casefold(&st);
	if (U_FAILURE(st)) {
		log_at(LOG_ERROR, "core", "ICU has no NFKC_Casefold data (error %d)", (int)st);
		return;
	}
	icu_n2 = n2;
}

/* True once ICU is loaded and usable (loads it the first time). */
static bool icu_ready(void)
{
	pthread_once(&icu_once, icu_load);
	return icu_n2 != NULL;
}

/* Decodes one code point at s[*i]; -1 (and one byte skipped) when malformed. */
static int32_t next_cp(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	size_t n = c < 0x80             ? 1
	           : (c & 0xE0) == 0xC0 ? 2
	           : (c & 0xF0) == 0xE0 ? 3
	           : (c & 0xF8) == 0xF0 ? 4
	                                : 0;
	if (!n || n > len - *i || !utf8_valid((const char *)s + *i, n)) {
		(*i)++;
		return -1;
	}
	int32_t cp = n == 1 ? c : c & (0x7F >> n);
	for (size_t k = 1; k < n; k++)
		cp = (cp << 6) | (s[*i + k] & 0x3F);
	*i += n;
	return cp;
}

/* Code points that NFKC_Casefold maps to themselves and that start a chunk. */
static bool fold_identity(int32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3041 && c <= 0x3096) ||
	       (c >= 0x30A1 && c <= 0x30FA) || c == 0x30FC || (c >= 0xAC00 && c <= 0xD7A3);
}

struct fold_out {
	struct buf *out;
	uint32_t *map; /* 2 per output byte, NULL when not wanted */
	size_t map_n, map_size;
	bool want_map;
};

static enum jm_rc emit(struct fold_out *o, const char *p, size_t n, size_t from, size_t to)
{
	enum jm_rc rc = buf_append(o->out, p, n);
	if (rc || !o->want_map)
		return rc;
	if (o->map_n + 2 * n > o->map_size) {
		o->map_size = (o->map_n + 2 * n) * 2 + 64;
		o->map = xrealloc(o->map, o->map_size * sizeof(*o->map));
	}
	for (size_t k = 0; k < n; k++) {
		o->map[o->map_n++] = (uint32_t)from;
		o->map[o->map_n++] = (uint32_t)to;
	}
	return JM_OK;
}

/* UTF-16 → UTF-8 of one normalised chunk, then emit. */
static enum jm_rc emit_utf16(struct fold_out *o, const UChar *u, int32_t n, size_t from, size_t to)
{
	char tmp[DEST_MAX * 3];
	size_t len = 0;
	for (int32_t k = 0; k < n; k++) {
		uint32_t c = u[k];
		if (c >= 0xD800 && c <= 0xDBFF && k + 1 < n && u[k + 1] >= 0xDC00 &&
		    u[k + 1] <= 0xDFFF) {
			c = 0x10000 + ((c - 0xD800) << 10) + (u[k + 1] - 0xDC00);
			k++;
		}
		if (c < 0x80) {
			tmp[len++] = (char)c;
		} else if (c < 0x800) {
			tmp[len++] = (char)(0xC0 | (c >> 6));
			tmp[len++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			tmp[len++] = (char)(0xE0 | (c >> 12));
			tmp[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
			tmp[len++] = (char)(0x80 | (c & 0x3F));
		} else {
			tmp[len++] = (char)(0xF0 | (c >> 18));
			tmp[len++] = (char)(0x80 | ((c >> 12) & 0x3F));
			tmp[len++] = (char)(0x80 | ((c >> 6) & 0x3F));
			tmp[len++] = (char)(0x80 | (c & 0x3F));
		}
	}
	return len ? emit(o, tmp, len, from, to) : JM_OK;
}

/* Normalises the chunk of code points cps[0..n) taken from s[from..to). */
static enum jm_rc fold_chunk(struct fold_out *o, const UNormalizer2 *n2, const int32_t *cps,
                             size_t n, size_t from, size_t to)
{
	UChar src[CHUNK_MAX * 2], dst[DEST_MAX];
	int32_t sn = 0;
	for (size_t k = 0; k < n; k++) {
		int32_t c = cps[k];
		if (c >= 0x10000) {
			src[sn++] = (UChar)(0xD800 + ((c - 0x10000) >> 10));
			src[sn++] = (UChar)(0xDC00 + ((c - 0x10000) & 0x3FF));
		} else {
			src[sn++] = (UChar)c;
		}
	}
	UErrorCode st = U_ZERO_ERROR;
	int32_t dn = icu.normalize(n2, src, sn, dst, DEST_MAX, &st);
	if (U_FAILURE(st))
		return JM_OK; /* cannot happen within the bounds above: drop the chunk */
	return emit_utf16(o, dst, dn, from, to);
}

/* True when the code point starting at s[i] begins a new chunk. */
static bool boundary_at(const UNormalizer2 *n2, const unsigned char *s, size_t len, size_t i)
{
	if (i >= len || s[i] < 0x80)
		return true;
	size_t j = i;
	int32_t c = next_cp(s, len, &j);
	return c < 0 || icu.has_boundary_before(n2, c);
}

static bool all_ascii(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 0x80)
			return false;
	return true;
}

static enum jm_rc fold_run(const char *text, size_t len, struct fold_out *o)
{
	const unsigned char *s = (const unsigned char *)text;
	/* ASCII is folded below without asking the normaliser. */
	const UNormalizer2 *n2 = NULL;
	if (!all_ascii(s, len)) {
		if (!icu_ready())
			return JM_IO;
		n2 = icu_n2;
	}
	size_t i = 0;
	enum jm_rc rc = JM_OK;
	while (i < len && rc == JM_OK) {
		size_t from = i;
		int32_t cps[CHUNK_MAX];
		size_t n = 0;
		int32_t c = next_cp(s, len, &i);
		if (c < 0)
			continue;
		cps[n++] = c;
		while (n < CHUNK_MAX && !boundary_at(n2, s, len, i))
			cps[n++] = next_cp(s, len, &i);
		if (n == 1 && c < 0x80) {
			char a = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			rc = emit(o, &a, 1, from, i);
		} else if (n == 1 && fold_identity(c)) {
			rc = emit(o, text + from, i - from, from, i);
		} else {
			rc = fold_chunk(o, n2, cps, n, from, i);
		}
	}
	return rc;
}

enum jm_rc jm_fold(const char *s, size_t len, struct buf *out)
{
	struct fold_out o = {.out = out};
	enum jm_rc rc = fold_run(s, len, &o);
	if (rc == JM_OK && !out->ptr)
		rc = buf_append(out, "", 0);
	return rc;
}

enum jm_rc jm_fold_map(const char *s, size_t len, struct buf *out, uint32_t **map)
{
	*map = NULL;
	if (len > UINT32_MAX)
		return JM_TOO_LARGE;
	struct fold_out o = {.out = out, .want_map = true};
	enum jm_rc rc = fold_run(s, len, &o);
	if (rc == JM_OK && !out->ptr)
		rc = buf_append(out, "", 0);
	if (rc) {
		free(o.map);
		return rc;
	}
	*map = o.map ? o.map : xcalloc(1, sizeof(uint32_t));
	return JM_OK;
}

bool jm_cp_is_cjk(uint32_t cp)
{
	if (fold_identity((int32_t)cp))
		return true;
	if (cp < 0x1100 || cp > 0x10FFFF)
		return false;
	if (!icu_ready())
		return false;
	int8_t t = icu.char_type((UChar32)cp);
	bool letter = t == U_UPPERCASE_LETTER || t == U_LOWERCASE_LETTER ||
	              t == U_TITLECASE_LETTER || t == U_MODIFIER_LETTER || t == U_OTHER_LETTER ||
	              t == U_NON_SPACING_MARK || t == U_COMBINING_SPACING_MARK ||
	              t == U_LETTER_NUMBER;
	if (!letter)
		return false;
	UChar32 c = (UChar32)cp;
	return icu.has_script(c, USCRIPT_HAN) || icu.has_script(c, USCRIPT_HIRAGANA) ||
	       icu.has_script(c, USCRIPT_KATAKANA) || icu.has_script(c, USCRIPT_HANGUL);
}

bool jm_cp_is_word(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		       (cp >= '0' && cp <= '9');
	if (cp > 0x10FFFF)
		return false;
	if (!icu_ready())
		return true; /* without ICU every non-ASCII code point counts as a letter */
	return (U_MASK(icu.char_type((UChar32)cp)) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK)) !=
	       0;
}

size_t jm_utf8_next(const char *s, size_t len, size_t i, uint32_t *cp)
{
	size_t j = i;
	int32_t c = next_cp((const unsigned char *)s, len, &j);
	*cp = c < 0 ? 0xFFFD : (uint32_t)c;
	return j;
}
