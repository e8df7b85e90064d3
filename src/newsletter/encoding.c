/*
 * encoding.c — whole-buffer conversion of Shift_JIS as Windows and Excel
 * save it (CP932) into UTF-8, with iconv. Shared by the CSV preview of the
 * subscriber import and by the people import of the network module, so
 * iconv stays inside this module.
 *
 * Invariant: the output never outgrows its buffer: one CP932 byte becomes
 * at most three UTF-8 bytes (half-width katakana 0xA1..0xDF).
 */
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
