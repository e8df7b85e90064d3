/*
 * email_why.c — why an address is not an email address, as a reason code
 * the UI turns into a sentence ("err.email.<code>" in po/): the sign-up
 * form, the admin forms and both CSV imports tell the owner that the
 * address has a full-width ＠ instead of only saying the value is invalid.
 *
 * The checks mirror auth_email_normalize (the rule that decides); this
 * file only explains a refusal, it never accepts anything.
 */
#include "core/core.h"

#define EMAIL_MAX 254

/* True when s holds a full-width form (U+FF01..U+FF5E) or U+3000. */
static bool has_fullwidth(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i = jm_utf8_next(s, n, i, &cp);
		if ((cp >= 0xFF01 && cp <= 0xFF5E) || cp == 0x3000)
			return true;
	}
	return false;
}

static bool has_bad_ascii(const char *s, size_t n, bool *space)
{
	bool bad = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		*space |= c == ' ' || c == '\t';
		bad |= c < ' ' || c == 0x7F || c == '<' || c == '>' || c == '"' || c == ',' ||
		       c == ';';
	}
	return bad;
}

const char *jm_email_problem(const char *email)
{
	const char *s = email ? email : "";
	size_t n = strlen(s);
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	bool space = false;
	if (n == 0)
		return "empty";
	if (n > EMAIL_MAX)
		return "too_long";
	if (memmem(s, n, "\xEF\xBC\xA0", 3)) /* ＠ */
		return "fullwidth_at";
	if (has_fullwidth(s, n))
		return "fullwidth";
	bool bad = has_bad_ascii(s, n, &space);
	if (bad || space)
		return space ? "space" : "bad_char";
	const char *at = memchr(s, '@', n);
	if (!at)
		return "no_at";
	if (memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return "many_at";
	if (at == s)
		return "no_local";
	size_t dl = n - (size_t)(at - s) - 1;
	if (dl == 0 || !memchr(at + 1, '.', dl) || at[1] == '.' || s[n - 1] == '.')
		return "domain";
	return "format";
}
