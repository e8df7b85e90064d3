/*
 * core.h — the few building blocks every module shares: the result enum,
 * error details, capped growable buffers, string slices, per-request arenas,
 * logging, UTF-8 checks and time helpers.
 *
 * Invariants: a struct buf is always NUL-terminated when ptr != NULL; sizes
 * a user can drive go through a capped buffer and come back as JM_TOO_LARGE;
 * small internal allocations abort on OOM (xmalloc & co).
 */
#ifndef JM_CORE_H
#define JM_CORE_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JM_WUR       __attribute__((warn_unused_result))
#define JM_FMT(a, b) __attribute__((format(printf, a, b)))

/* One result code for the whole program. http/ maps them to statuses. */
enum jm_rc {
	JM_OK = 0,
	JM_NOMEM,        /* allocation failed */
	JM_TOO_LARGE,    /* an input exceeded its configured cap */
	JM_INVALID,      /* malformed or semantically wrong input */
	JM_NOT_FOUND,    /* no such object */
	JM_CONFLICT,     /* unique key already taken (slug, email) */
	JM_UNAUTHORIZED, /* missing or bad credentials */
	JM_FORBIDDEN,    /* authenticated but not allowed, or CSRF */
	JM_RATE_LIMITED, /* too many attempts */
	JM_IO,           /* file or socket error */
	JM_DB,           /* database error */
	JM_SMTP_TEMP,    /* 4xx from a mail server: retry later */
	JM_SMTP_PERM,    /* 5xx from a mail server: give up */
	JM_DONE,         /* iteration finished (db_step: no more rows) */
};

/* Human-readable name of a code ("invalid", "not_found", ...). */
const char *jm_rc_name(enum jm_rc rc);

/* Optional error detail: which input field was wrong and why. */
struct jm_err {
	char field[64];
	char msg[256];
};

/* One refused row of an import: its line, a reason code (the catalog's
 * "import.err.<code>"), the column or field it is about and a detail
 * (code "email": jm_email_problem's reason). A whole-file failure uses the
 * same shape with the catalog's "import.fail.<code>". */
struct jm_row_err {
	int64_t line;
	char code[40];
	char field[64];
	char detail[24];
};

/* Fills err (if not NULL); field may be NULL. */
void jm_err_set(struct jm_err *err, const char *field, const char *fmt, ...) JM_FMT(3, 4);

/* ---- allocation that aborts on OOM (for internal, bounded sizes) ---- */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* ---- string slice ---- */
struct str {
	const char *p;
	size_t len;
};
#define STR_LIT(s) ((struct str){(s), sizeof(s) - 1})
static inline struct str str_from(const char *s, size_t len)
{
	return (struct str){s, len};
}
bool str_eq(struct str a, const char *lit);
bool str_eq_nocase(struct str a, const char *lit);

/* ---- growable buffer with a hard cap ----
 * cap == 0 means "no cap beyond SIZE_MAX/2". Appending past the cap leaves
 * the buffer unchanged and returns JM_TOO_LARGE. */
struct buf {
	char *ptr;
	size_t len;
	size_t size;
	size_t cap;
};
#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}
void buf_init(struct buf *b, size_t cap);
enum jm_rc buf_append(struct buf *b, const void *p, size_t len) JM_WUR;
enum jm_rc buf_appends(struct buf *b, const char *s) JM_WUR;
enum jm_rc buf_appendc(struct buf *b, char c) JM_WUR;
enum jm_rc buf_appendf(struct buf *b, const char *fmt, ...) JM_FMT(2, 3) JM_WUR;
enum jm_rc buf_vappendf(struct buf *b, const char *fmt, va_list ap) JM_FMT(2, 0) JM_WUR;
/* Returns a pointer to a NUL-terminated string (never NULL, "" if empty). */
const char *buf_cstr(struct buf *b);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* Hands the heap string to the caller (free() it); the buffer becomes empty. */
char *buf_take(struct buf *b, size_t *len);

/* ---- files ---- */
/* Reads the whole file at path into b (appending; b's cap applies: a larger
 * file gives JM_TOO_LARGE). JM_IO with err naming the path on failure. */
enum jm_rc jm_read_file(const char *path, struct buf *b, struct jm_err *err) JM_WUR;

/* ---- arena: bump allocator released as a whole ----
 * One per request (http/ ties it to the request's lifetime) or per job.
 * Deferred callbacks run in reverse registration order at arena_free. */
struct arena;
struct arena *arena_new(size_t block_size);
void arena_free(struct arena *a);
/* As arena_free, but keeps a and one block of its block size for reuse
 * (http/ recycles request arenas per event loop). */
void arena_reset(struct arena *a);
void *arena_alloc(struct arena *a, size_t n);  /* 16-aligned, aborts on OOM */
void *arena_calloc(struct arena *a, size_t n); /* zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...) JM_FMT(2, 3);
void arena_defer(struct arena *a, void (*fn)(void *), void *p);
/* The n strings of v joined with sep, in the arena. */
char *arena_join(struct arena *a, const char *const *v, size_t n, const char *sep);
/* The growable-array step: returns an arena array of elem-sized items with
 * room for at least n + 1 — v itself while n < *cap, else a block twice as
 * large (8 items at first) holding v's n items, with *cap updated. The old
 * block stays in the arena until it is freed. Use:
 *     v = arena_grow(a, v, n, &cap, sizeof(*v)); v[n++] = x; */
void *arena_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t elem);

/* ---- logging: key=value lines on stderr ---- */
enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
extern enum log_level log_min_level;
void log_write(enum log_level lvl, const char *module, const char *fmt, ...) JM_FMT(3, 4);
#define log_at(lvl, module, ...)                                                                   \
	do {                                                                                       \
		if ((lvl) >= log_min_level)                                                        \
			log_write((lvl), (module), __VA_ARGS__);                                   \
	} while (0)

/* ---- UTF-8 ---- */
/* True when p[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *p, size_t len);
/* Number of code points in valid UTF-8. */
size_t utf8_count(const char *p, size_t len);
/* Largest prefix length <= max_bytes that ends on a character boundary. */
size_t utf8_truncate(const char *p, size_t len, size_t max_bytes);
/* True if the string has control characters other than \t \n \r. */
bool utf8_has_controls(const char *p, size_t len);
/* True for NULL, "" and text of only spaces, tabs, line breaks and 全角 spaces
 * (U+3000): what a required field must not be. */
bool jm_blank(const char *s);

/* ---- mail header values (core/header.c) ----
 * The one input rule for every value that may reach a mail header (names,
 * companies and other merge fields, list names, subjects): true when
 * p[0..len) is UTF-8 without C0 controls (CR, LF, tab), DEL, C1 controls
 * (U+0080–U+009F, U+0085 included), U+2028/U+2029, or a literal "=?…?="
 * encoded word. NULL is fine (an absent value). Domain validators call it
 * so admin, API and CLI refuse the same values. */
bool jm_header_value_ok(const char *p, size_t len);

/* ---- search folding (core/fold.c, ICU) ---- */
/* Appends the NFKC_Casefold form of s[0..len) to out (out's cap applies:
 * JM_TOO_LARGE): ＡＢＣ → abc, ｶﾀｶﾅ → カタカナ, Editor → editor.
 * Malformed UTF-8 bytes are dropped. */
enum jm_rc jm_fold(const char *s, size_t len, struct buf *out) JM_WUR;
/* Same, and *map (malloc'ed, the caller frees it, also on error NULL) holds
 * two entries per byte appended to out — the [start, end) byte range of s
 * that produced it — so offsets in the folded text lead back to s. */
enum jm_rc jm_fold_map(const char *s, size_t len, struct buf *out, uint32_t **map) JM_WUR;
/* True for a letter of a CJK script: Han, Hiragana, Katakana (with ー),
 * Hangul. CJK punctuation and symbols (、。「」・) are not. */
bool jm_cp_is_cjk(uint32_t cp);
/* True for a letter, mark or digit of any script (a word character). */
bool jm_cp_is_word(uint32_t cp);
/* Decodes the code point at s[i] into *cp (U+FFFD for a malformed byte)
 * and returns the index after it. i < len. */
size_t jm_utf8_next(const char *s, size_t len, size_t i, uint32_t *cp);

/* ---- search tokens (core/cjk_tok.c) ---- */
#define JM_CJK_TOKEN_MAX 200 /* bytes of a non-CJK token; longer runs are cut */
#define JM_CJK_COLOCATED 1   /* token flag: at the position of the token before it */
/* Called per token with its folded bytes f[start, end) and flags; a
 * non-zero return stops the walk and is returned by jm_cjk_tokens. */
typedef int (*jm_cjk_token_fn)(void *user, const char *f, size_t start, size_t end, unsigned flags);
/* Cuts folded text f[0..flen) into the search's tokens, in order: a run of
 * non-CJK letters/digits is one token (cut at JM_CJK_TOKEN_MAX bytes); a run
 * of CJK letters gives its bigrams and, unless query, its last character
 * colocated with the last bigram (a one-character run is that character).
 * Returns 0 or the first non-zero fn result. */
int jm_cjk_tokens(const char *f, size_t flen, bool query, jm_cjk_token_fn fn, void *user);

/* ---- input rules shared by admin, API and CLI ---- */
/* The person field a CSV header names ("email", "name", "furigana",
 * "company", "title", "phone", "tags", "stage", "notes", "source",
 * "can_offer", "looking_for", "links", "last_contact"), by one table of
 * synonyms (メール, メールアドレス, 氏名, お名前, 会社名, フリガナ, 電話 …)
 * compared after NFKC_Casefold with spaces and punctuation dropped; NULL
 * when it names none. (core/csvhead.c) */
const char *jm_csvhead_field(const char *header);
/* True when a and b are the same header under that comparison. */
bool jm_csvhead_same(const char *a, const char *b);
/* Why email is not an address, as a reason code for the message catalog
 * ("err.email.<code>"): empty, too_long, fullwidth_at, fullwidth, space,
 * bad_char, no_at, many_at, no_local, domain, format. Only explains a
 * refusal made elsewhere (auth_email_normalize). (core/email_why.c) */
const char *jm_email_problem(const char *email);

/* ---- slugs (core/slug.c; the rule is written there and in the README) ----
 * jm_slug_make writes the slug of s[0..len) — NFKC_Casefold, the word
 * characters of every script kept (Japanese too), every other run turned
 * into one '-' — into out (>= max + 1 bytes), at most max bytes cut on a
 * character boundary, and returns its length: 0 when s has no word
 * character (the caller picks a fallback). jm_slug_valid: s is 1..max
 * bytes that jm_slug_make could have produced, '-' runs and ends allowed. */
size_t jm_slug_make(const char *s, size_t len, char *out, size_t max);
bool jm_slug_valid(const char *s, size_t max);

/* ---- time ---- */
int64_t jm_now(void);    /* unix seconds */
int64_t jm_now_ms(void); /* monotonic milliseconds */
/* "2026-11-29T09:00:00Z" into out (>= 21 bytes). */
void jm_time_iso(int64_t t, char out[32]);
/* RFC 7231 "Sun, 29 Nov 2026 09:00:00 GMT" into out (>= 30 bytes). */
void jm_time_http(int64_t t, char out[40]);
/* "2026-11-29" (UTC) into out. */
void jm_time_day(int64_t t, char out[16]);
/* Parses "YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]" or "YYYY-MM-DD HH:MM"; a time
 * without zone is taken in tz_offset_min (e.g. +540 for JST). */
enum jm_rc jm_time_parse(const char *s, int tz_offset_min, int64_t *out) JM_WUR;
/* The same, a time without zone read in the IANA zone `zone` (daylight
 * saving included): what the owner types is read in the site's zone. */
enum jm_rc jm_time_parse_zone(const char *s, const char *zone, int64_t *out) JM_WUR;
/* Seconds from 1970-01-01 to 00:00 of y-m-d (proleptic Gregorian, m 1..12). */
int64_t jm_time_civil(int y, int m, int d);

/* ---- IANA time zones (zone.c, ICU calendar; thread-safe, no TZ variable) ---- */
/* True when zone is a zone name ICU knows ("Asia/Tokyo", "UTC"). */
bool jm_tz_valid(const char *zone);
/* Minutes east of UTC in zone at instant t (daylight saving included);
 * 0 for an unknown zone. */
int jm_tz_offset(const char *zone, int64_t t);
/* The instant whose wall clock in zone reads `local` (local seconds: the
 * wall clock counted as if it were UTC). */
int64_t jm_tz_local_to_utc(const char *zone, int64_t local);
/* The zone names to offer (canonical locations and UTC, sorted); static,
 * never freed. */
const char *const *jm_tz_names(size_t *n);

/* ---- random + hashing (libsodium lives in core/crypto.c) ---- */
enum jm_rc jm_crypto_init(void) JM_WUR;
void jm_random_bytes(void *out, size_t n);
/* n random bytes encoded base64url (no padding) into out (size >= n*4/3+3). */
void jm_random_token(char *out, size_t n);
/* Keyed BLAKE2b of data, hex encoded into out (65 bytes). key may be NULL. */
void jm_hash_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65]);
/* Constant-time compare of two NUL-terminated strings. */
bool jm_secure_eq(const char *a, const char *b);
/* argon2id. hash_out >= 128 bytes. Slow: call off the event loop. */
enum jm_rc jm_password_hash(const char *pw, char hash_out[128]) JM_WUR;
bool jm_password_verify(const char *hash, const char *pw);

/* Banned functions (STYLE.md 8). Standard headers come first so their
 * declarations are seen before the poison; include third-party headers
 * before core.h. scripts/check-style greps for them too. */
#ifndef JM_ALLOW_BANNED
#pragma GCC poison strcpy strcat sprintf strncpy strtok atoi gets
#endif

#endif
