/*
 * fuzz_html2md.c — libFuzzer target for the importers' HTML to Markdown
 * (src/import/html2md.c, libxml2's HTML parser): any bytes, read as
 * classic HTML when the first byte is odd, through a URL hook that
 * rewrites some URLs. The output must stay within its cap and be
 * NUL-terminated; a sanitizer report or a crash is the finding.
 */
#include <stdint.h>

#include "import/import_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *hook(void *ud, const char *url, bool image)
{
	(void)ud;
	return image && strlen(url) % 2 ? "/media/x.jpg" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out;
	buf_init(&out, 1u << 20);
	bool classic = size && (data[0] & 1);
	if (imp_html_to_md((const char *)data, size, classic, hook, NULL, &out) == JM_OK &&
	    (out.len > out.cap || (out.ptr && out.ptr[out.len] != '\0')))
		abort();
	buf_free(&out);
	return 0;
}
