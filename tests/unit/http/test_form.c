/* Unit tests for src/http/form.c (urlencoded forms, percent-encoding) and,
 * through form_parse_body, src/mail/multipart.c (multipart/form-data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"
#include "mail/mail.h"

static int setup(void **state)
{
	*state = arena_new(1024);
	return 0;
}

static int teardown(void **state)
{
	arena_free(*state);
	return 0;
}

static enum jm_rc parse(struct arena *a, const char *s, size_t max, struct form *f,
                        struct jm_err *err)
{
	return form_parse_urlencoded(a, s, strlen(s), max, f, err);
}

static void test_basic(void **state)
{
	struct form f;
	struct jm_err err = {{0}, {0}};
	assert_int_equal(parse(*state, "a=1&b=two+words&c=%41%62&d", 10, &f, &err), JM_OK);
	assert_int_equal(f.n, 4);
	assert_string_equal(f.keys[0], "a");
	assert_string_equal(form_get(&f, "a"), "1");
	assert_string_equal(form_get(&f, "b"), "two words");
	assert_int_equal(f.lens[1], 9);
	assert_string_equal(form_get(&f, "c"), "Ab");
	assert_string_equal(form_get(&f, "d"), "");
	assert_int_equal(f.lens[3], 0);
	assert_null(form_get(&f, "e"));
	assert_int_equal(f.nfiles, 0);
}

static void test_edge_pairs(void **state)
{
	struct form f;
	/* Empty pairs are skipped; only the first '=' splits; '=' may start a pair. */
	assert_int_equal(parse(*state, "&&a=b=c&&=v&%2B=%26&", 10, &f, NULL), JM_OK);
	assert_int_equal(f.n, 3);
	assert_string_equal(form_get(&f, "a"), "b=c");
	assert_string_equal(form_get(&f, ""), "v");
	assert_string_equal(form_get(&f, "+"), "&");
	assert_int_equal(parse(*state, "", 0, &f, NULL), JM_OK);
	assert_int_equal(f.n, 0);
	assert_null(form_get(&f, "a"));
	assert_int_equal(form_parse_urlencoded(*state, NULL, 0, 5, &f, NULL), JM_OK);
	assert_int_equal(f.n, 0);
	/* Only len bytes are read. */
	assert_int_equal(form_parse_urlencoded(*state, "x=1&y=2", 3, 5, &f, NULL), JM_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(form_get(&f, "x"), "1");
}

static void test_japanese(void **state)
{
	struct form f;
	const char *s =
	        "name=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E&%E8%A9%95%E4%BE%A1=%E8%89%AF%E3%81%84"
	        "&raw=東京";
	assert_int_equal(parse(*state, s, 10, &f, NULL), JM_OK);
	assert_string_equal(form_get(&f, "name"), "山田 太郎");
	assert_int_equal(f.lens[0], strlen("山田 太郎"));
	assert_string_equal(form_get(&f, "評価"), "良い");
	assert_string_equal(form_get(&f, "raw"), "東京");
}

static void expect_invalid(struct arena *a, const char *s, const char *field, const char *msg)
{
	struct form f;
	struct jm_err err = {{0}, {0}};
	assert_int_equal(parse(a, s, 10, &f, &err), JM_INVALID);
	assert_string_equal(err.field, field);
	assert_string_equal(err.msg, msg);
	assert_int_equal(f.n, 0);
}

static void test_bad_input(void **state)
{
	expect_invalid(*state, "ok=1&q=%zz", "q", "invalid percent-encoding");
	expect_invalid(*state, "q=%4", "q", "invalid percent-encoding");
	expect_invalid(*state, "q=abc%", "q", "invalid percent-encoding");
	expect_invalid(*state, "q=%g1", "q", "invalid percent-encoding");
	expect_invalid(*state, "%zz=1", "", "invalid percent-encoding");
	expect_invalid(*state, "q=%ff", "q", "invalid UTF-8");
	expect_invalid(*state, "q=%E6%97", "q", "invalid UTF-8");
	expect_invalid(*state, "q=%C0%80", "q", "invalid UTF-8");
	expect_invalid(*state, "%ff=1", "", "invalid UTF-8");
	expect_invalid(*state, "q=a%00b", "q", "NUL character not allowed");
	/* A NULL err is allowed. */
	struct form f;
	assert_int_equal(parse(*state, "q=%zz", 10, &f, NULL), JM_INVALID);
}

static void test_max_fields(void **state)
{
	struct form f;
	struct jm_err err = {{0}, {0}};
	assert_int_equal(parse(*state, "a=1&b=2&c=3", 3, &f, &err), JM_OK);
	assert_int_equal(f.n, 3);
	assert_int_equal(parse(*state, "a=1&b=2&c=3&d=4", 3, &f, &err), JM_TOO_LARGE);
	assert_int_equal(f.n, 0);
	assert_string_equal(err.msg, "too many fields (at most 3)");
	/* Skipped empty pairs do not count. */
	assert_int_equal(parse(*state, "a=1&&&b=2&&c=3&", 3, &f, &err), JM_OK);
	assert_int_equal(parse(*state, "a", 0, &f, &err), JM_TOO_LARGE);
}

static void test_get_all(void **state)
{
	struct form f;
	assert_int_equal(parse(*state, "tag=a&x=1&tag=b&tag=%E6%97%A5", 10, &f, NULL), JM_OK);
	const char *vals[4];
	assert_int_equal(form_get_all(&f, "tag", vals, 4), 3);
	assert_string_equal(vals[0], "a");
	assert_string_equal(vals[1], "b");
	assert_string_equal(vals[2], "日");
	assert_int_equal(form_get_all(&f, "tag", vals, 2), 2);
	assert_string_equal(vals[1], "b");
	assert_int_equal(form_get_all(&f, "none", vals, 4), 0);
	assert_string_equal(form_get(&f, "tag"), "a");
}

static void test_url_decode(void **state)
{
	assert_string_equal(http_url_decode(*state, "a+b%20c", 7, true), "a b c");
	assert_string_equal(http_url_decode(*state, "a+b%20c", 7, false), "a+b c");
	assert_string_equal(http_url_decode(*state, "%e6%97%a5", 9, false), "日");
	assert_string_equal(http_url_decode(*state, "", 0, false), "");
	assert_null(http_url_decode(*state, "%zz", 3, false));
	assert_null(http_url_decode(*state, "%4", 2, false));
	assert_null(http_url_decode(*state, "%ff", 3, false));
	assert_null(http_url_decode(*state, "%00", 3, false));
}

static void test_url_encode(void **state)
{
	struct buf b;
	buf_init(&b, 0);
	const char *in = "日本 a+b/c?d=e&f~g-h_i.j%";
	assert_int_equal(http_url_encode(&b, in, strlen(in)), JM_OK);
	assert_string_equal(buf_cstr(&b), "%E6%97%A5%E6%9C%AC%20a%2Bb%2Fc%3Fd%3De%26f~g-h_i.j%25");
	assert_string_equal(http_url_decode(*state, b.ptr, b.len, false), in);
	/* Round trip through the form decoder too. */
	buf_reset(&b);
	assert_int_equal(buf_appends(&b, "k="), JM_OK);
	assert_int_equal(http_url_encode(&b, in, strlen(in)), JM_OK);
	struct form f;
	assert_int_equal(form_parse_urlencoded(*state, b.ptr, b.len, 1, &f, NULL), JM_OK);
	assert_string_equal(form_get(&f, "k"), in);
	buf_free(&b);
	/* The cap is honoured. */
	buf_init(&b, 4);
	assert_int_equal(http_url_encode(&b, "日", 3), JM_TOO_LARGE);
	buf_free(&b);
}

#define CT "multipart/form-data; boundary=XyZ"

static const char two_fields_and_file[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"title\"\r\n"
        "\r\n"
        "Hello world\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"tags\"\r\n"
        "\r\n"
        "a\r\nb\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"\r\n"
        "Content-Type: Application/PDF\r\n"
        "\r\n"
        "%PDF\x00\x01\xff\r\n"
        "--XyZ--\r\n";

static void test_multipart(void **state)
{
	struct form f;
	struct jm_err err = {{0}, {0}};
	assert_int_equal(form_parse_body(*state, CT, two_fields_and_file,
	                                 sizeof(two_fields_and_file) - 1, 10, &f, &err),
	                 JM_OK);
	assert_int_equal(f.n, 2);
	assert_string_equal(form_get(&f, "title"), "Hello world");
	assert_int_equal(f.lens[0], 11);
	assert_string_equal(form_get(&f, "tags"), "a\r\nb");
	assert_int_equal(f.nfiles, 1);
	assert_string_equal(f.files[0].field, "cv");
	assert_string_equal(f.files[0].filename, "cv.pdf");
	assert_string_equal(f.files[0].ctype, "application/pdf");
	assert_int_equal(f.files[0].len, 7);
	assert_memory_equal(f.files[0].data, "%PDF\x00\x01\xff", 7);
	assert_null(form_get(&f, "cv"));
}

static void test_multipart_japanese(void **state)
{
	static const char body[] =
	        "preamble is ignored\r\n"
	        "--b1\r\n"
	        "Content-Disposition: form-data; name=\"お名前\"\r\n"
	        "Content-Type: text/plain; charset=UTF-8\r\n"
	        "\r\n"
	        "山田太郎\r\n"
	        "--b1\r\n"
	        "Content-Disposition: form-data; name=\"photo\"; filename=\"写真.jpg\"\r\n"
	        "\r\n"
	        "\r\n"
	        "--b1--\r\n";
	struct form f;
	assert_int_equal(form_parse_body(*state, "Multipart/Form-Data; boundary=\"b1\"", body,
	                                 sizeof(body) - 1, 10, &f, NULL),
	                 JM_OK);
	assert_int_equal(f.n, 1);
	assert_string_equal(form_get(&f, "お名前"), "山田太郎");
	assert_int_equal(f.lens[0], strlen("山田太郎"));
	assert_int_equal(f.nfiles, 1);
	assert_string_equal(f.files[0].filename, "写真.jpg");
	assert_string_equal(f.files[0].ctype, "application/octet-stream");
	assert_int_equal(f.files[0].len, 0);
}

static void expect_multipart_rc(struct arena *a, const char *ct, const char *body, size_t max,
                                enum jm_rc want)
{
	struct form f;
	struct jm_err err = {{0}, {0}};
	assert_int_equal(form_parse_body(a, ct, body, strlen(body), max, &f, &err), want);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(f.n, 0);
	assert_int_equal(f.nfiles, 0);
}

static void test_multipart_malformed(void **state)
{
	static const char ok[] =
	        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--\r\n";
	/* Missing or empty boundary, wrong subtype, header injection. */
	expect_multipart_rc(*state, "multipart/form-data", ok, 10, JM_INVALID);
	expect_multipart_rc(*state, "multipart/form-data; boundary=", ok, 10, JM_INVALID);
	expect_multipart_rc(*state, "multipart/mixed; boundary=XyZ", ok, 10, JM_INVALID);
	expect_multipart_rc(*state, "multipart/form-data; boundary=XyZ\r\nX: y", ok, 10,
	                    JM_INVALID);
	expect_multipart_rc(*state, "text/plain", ok, 10, JM_INVALID);
	/* No delimiter at all, a truncated body, a part without a name. */
	expect_multipart_rc(*state, CT, "just some text", 10, JM_INVALID);
	expect_multipart_rc(*state, CT, "", 10, JM_INVALID);
	expect_multipart_rc(*state, CT,
	                    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1234", 10,
	                    JM_INVALID);
	expect_multipart_rc(*state, CT, "--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--\r\n",
	                    10, JM_INVALID);
	expect_multipart_rc(*state, CT,
	                    "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n"
	                    "--XyZ--\r\n",
	                    10, JM_INVALID);
	/* A text field that is not UTF-8; the same bytes in a file are fine. */
	expect_multipart_rc(*state, CT,
	                    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xff\r\n"
	                    "--XyZ--\r\n",
	                    10, JM_INVALID);
	/* Too many parts. */
	expect_multipart_rc(*state, CT,
	                    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
	                    "--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n"
	                    "--XyZ\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n3\r\n"
	                    "--XyZ--\r\n",
	                    2, JM_TOO_LARGE);
}

static void test_multipart_nested(void **state)
{
	static const char body[] = "--XyZ\r\n"
	                           "Content-Disposition: form-data; name=\"files\"\r\n"
	                           "Content-Type: multipart/mixed; boundary=inner\r\n"
	                           "\r\n"
	                           "--inner\r\n"
	                           "Content-Disposition: file; filename=\"a.txt\"\r\n"
	                           "\r\n"
	                           "aaa\r\n"
	                           "--inner--\r\n"
	                           "--XyZ--\r\n";
	struct form f;
	struct jm_err err = {{0}, {0}};
	assert_int_equal(form_parse_body(*state, CT, body, sizeof(body) - 1, 10, &f, &err),
	                 JM_INVALID);
	assert_string_equal(err.msg, "nested multipart is not supported");
}

static void test_body_dispatch(void **state)
{
	struct form f;
	assert_int_equal(form_parse_body(*state, NULL, "a=1", 3, 5, &f, NULL), JM_OK);
	assert_string_equal(form_get(&f, "a"), "1");
	assert_int_equal(form_parse_body(*state, "", "a=2", 3, 5, &f, NULL), JM_OK);
	assert_string_equal(form_get(&f, "a"), "2");
	assert_int_equal(form_parse_body(*state, "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
	                                 "a=3", 3, 5, &f, NULL),
	                 JM_OK);
	assert_string_equal(form_get(&f, "a"), "3");
	struct jm_err err = {{0}, {0}};
	assert_int_equal(form_parse_body(*state, "application/json", "{}", 2, 5, &f, &err),
	                 JM_INVALID);
	assert_string_equal(err.msg, "unsupported content type");
	/* A prefix of the media type is not the media type. */
	assert_int_equal(form_parse_body(*state, "application/x-www-form-urlencodedX", "a=1", 3, 5,
	                                 &f, NULL),
	                 JM_INVALID);
}

static int group_teardown(void **state)
{
	(void)state;
	mail_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_edge_pairs, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_japanese, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_max_fields, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_get_all, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_url_decode, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_url_encode, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_multipart, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_multipart_japanese, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_multipart_malformed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_multipart_nested, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_body_dispatch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
