/* Unit tests for src/media/names.c: the file names every page renders
 * variants from, and the widths of an image's variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "media/media.h"

#define KEY "0123456789abcdef0123"

static void test_variants_never_upscale(void **state)
{
	(void)state;
	int w[MEDIA_MAX_VARIANT], h[MEDIA_MAX_VARIANT];
	assert_int_equal(media_variants(1600, 1200, w, h), 3);
	assert_int_equal(w[0], 480);
	assert_int_equal(h[0], 360);
	assert_int_equal(w[1], 960);
	assert_int_equal(h[1], 720);
	assert_int_equal(w[2], 1600);
	assert_int_equal(media_variants(1000, 10, w, h), 3);
	assert_int_equal(w[2], 1000);
	assert_int_equal(h[0], 5);
	assert_int_equal(media_variants(480, 100, w, h), 1); /* 480 itself, once */
	assert_int_equal(media_variants(300, 3000, w, h), 1);
	assert_int_equal(w[0], 300);
	assert_int_equal(h[0], 3000);
	assert_int_equal(media_variants(1000, 1, w, h), 3);
	assert_int_equal(h[0], 1); /* never 0 pixels */
}

static void test_url_parse(void **state)
{
	(void)state;
	char key[MEDIA_KEY_LEN + 1];
	int w = 0, h = 0;
	const char *ext = NULL;
	assert_true(media_url_parse("/media/" KEY "-1600x900.jpg", key, &w, &h, &ext));
	assert_string_equal(key, KEY);
	assert_int_equal(w, 1600);
	assert_int_equal(h, 900);
	assert_string_equal(ext, "jpg");
	assert_true(media_url_parse("https://blog.example.jp/media/" KEY "-480x270.webp", key, &w,
	                            &h, &ext));
	assert_string_equal(ext, "webp");
	assert_true(media_url_parse(KEY "-1x1.png", key, &w, &h, &ext));
	static const char *const bad[] = {
	        "/media/" KEY "-1600x900.gif", "/media/" KEY "-01600x900.jpg",
	        "/media/" KEY "-0x900.jpg",    "/media/" KEY "-1600x900.jpg.html",
	        "/media/" KEY "-123456x9.jpg", "/media/0123456789ABCDEF0123-1x1.jpg",
	        "/media/../" KEY "-1x1.jpg",   "/media/sub/" KEY "-1x1.jpg",
	        "x/media/" KEY "-1x1.jpg",     "/media/" KEY "1x1.jpg",
	        "/media/" KEY "-1600x.jpg",    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(media_url_parse(bad[i], key, &w, &h, &ext));
	assert_false(media_url_parse(NULL, key, &w, &h, &ext));
}

static void test_file_names_and_types(void **state)
{
	(void)state;
	assert_true(media_file_name_ok(KEY "-10x10.webp"));
	assert_false(media_file_name_ok("/media/" KEY "-10x10.webp"));
	assert_false(media_file_name_ok(".." KEY "-10x10.webp"));
	assert_false(media_file_name_ok(NULL));
	assert_string_equal(media_ctype(KEY "-1x1.webp"), "image/webp");
	assert_string_equal(media_ctype(KEY "-1x1.jpg"), "image/jpeg");
	assert_string_equal(media_ctype(KEY "-1x1.png"), "image/png");
	assert_null(media_ctype("x.svg"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_variants_never_upscale),
	        cmocka_unit_test(test_url_parse),
	        cmocka_unit_test(test_file_names_and_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
