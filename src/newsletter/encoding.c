/*
 * encoding.c — whole-buffer conversion of Shift_JIS as Windows and Excel
 * save it (CP932) into UTF-8, with iconv. Shared by the CSV preview of the
 * subscriber import and by the people import of the network module, so
 * iconv stays inside this module.
 *
 * Invariant: the output never outgrows its buffer: one CP932 byte becomes
 * at most three UTF-8 bytes (half-width katakana 0xA1..0xDF).
 */
#include <errno.h>
#include <iconv.h>

#include "newsletter/newsletter.h"

enum jm_rc nl_cp932_to_utf8(struct arena *a, const char *data, size_t len, bool partial,
                            const char **out, size_t *outlen)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1)
		return JM_IO;
	size_t inleft = len, cap = len * 3 + 4, oleft = cap;
	char *buf = arena_alloc(a, cap), *o = buf, *in = (char *)data;
	size_t r = iconv(cd, &in, &inleft, &o, &oleft);
	iconv_close(cd);
	/* EINVAL: a character cut at the end of the input (a preview's limit). */
	if (r == (size_t)-1 && !(partial && errno == EINVAL))
		return JM_INVALID;
	*o = '\0';
	*out = buf;
	*outlen = (size_t)(o - buf);
	return JM_OK;
}

/* The other way, for the exports Excel opens: a character CP932 lacks
 * (an emoji, 𠮷, ①… are in it; 🙂 is not) becomes "?" and is counted, so
 * the page can say so. iconv stops at each one; the loop steps over one
 * UTF-8 character and goes on. */
enum jm_rc nl_utf8_to_cp932(const char *s, size_t len, struct buf *out, size_t *substituted)
{
	iconv_t cd = iconv_open("CP932", "UTF-8");
	if (cd == (iconv_t)-1)
		return JM_IO;
	char chunk[4096];
	char *in = (char *)s;
	size_t inleft = len;
	enum jm_rc rc = JM_OK;
	while (inleft > 0 && !rc) {
		char *o = chunk;
		size_t oleft = sizeof(chunk);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		int e = errno;
		rc = buf_append(out, chunk, (size_t)(o - chunk));
		if (rc || r != (size_t)-1 || e == E2BIG)
			continue;
		/* EILSEQ (no CP932 for it) or EINVAL (cut short): one character out */
		size_t k = 1;
		while (k < inleft && ((unsigned char)in[k] & 0xC0) == 0x80)
			k++;
		in += k;
		inleft -= k;
		(*substituted)++;
		rc = buf_appendc(out, '?');
	}
	iconv_close(cd);
	return rc;
}
