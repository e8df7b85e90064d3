/* Unit tests for media_sniff (src/media/image.c): the format comes from the
 * first bytes only, and nothing but the five raster formats passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/media_int.h"

static const char *sniff(const char *p, size_t n)
{
	return media_sniff((const unsigned char *)p, n);
}

static void test_formats(void **state)
{
	(void)state;
	assert_string_equal(sniff("\xff\xd8\xff\xe0\0\x10JFIF", 10), "jpeg");
	assert_string_equal(sniff("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), "png");
	assert_string_equal(sniff("GIF89a\x01\0\x01\0", 10), "gif");
	assert_string_equal(sniff("RIFF\x24\0\0\0WEBPVP8 ", 16), "webp");
	assert_string_equal(sniff("\0\0\0\x18"
	                          "ftypheic\0\0\0\0",
	                          16),
	                    "heif");
	assert_string_equal(sniff("\0\0\0\x1c"
	                          "ftypmif1\0\0\0\0",
	                          16),
	                    "heif");
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	        "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\">",
	        "<svg onload=\"alert(1)\"></svg>",
	        "%PDF-1.4\n%\xe2\xe3\xcf\xd3",
	        "just some text\n",
	        "<html><img src=x onerror=alert(1)>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(sniff(bad[i], strlen(bad[i])));
	/* Containers with NUL bytes: a RIFF that is not WebP, an MP4. */
	assert_null(sniff("RIFF\x24\0\0\0WAVEfmt ", 16));
	assert_null(sniff("\0\0\0\x18"
	                  "ftypisom\0\0\0\0",
	                  16));
	assert_null(sniff("\xff\xd8", 2)); /* too short to tell */
	assert_null(sniff("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_formats),
	        cmocka_unit_test(test_refused),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	media_shutdown();
	return rc;
}
