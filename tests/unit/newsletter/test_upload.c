/* Unit tests for src/newsletter/upload.c (the admin's pending CSV imports,
 * table import_uploads) on a migrated SQLite database: bytes that are not
 * text kept whole, the name kept as valid UTF-8, one claim per upload, the
 * bytes dropped at the end, and the day-old sweep. (On PostgreSQL the same
 * path is covered by tests/integration/test_nodes.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../site/site_testdb.h"
#include "newsletter/newsletter.h"

static void test_upload_steps(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	static const char data[] = "\x83\x81\x81[\x83\x8b,\x00name\r\n\xff"; /* Shift_JIS, a NUL */
	assert_int_equal(
	        nl_upload_store(db, "AAAAAAAAAAAAAAAAAAAAAA", "名簿.csv", data, sizeof(data) - 1),
	        JM_OK);
	struct buf b;
	buf_init(&b, 64);
	assert_int_equal(nl_upload_bytes(db, "AAAAAAAAAAAAAAAAAAAAAA", &b), JM_OK);
	assert_int_equal(b.len, sizeof(data) - 1);
	assert_memory_equal(b.ptr, data, sizeof(data) - 1);
	buf_reset(&b);
	assert_int_equal(nl_upload_bytes(db, "BBBBBBBBBBBBBBBBBBBBBB", &b), JM_NOT_FOUND);
	assert_string_equal(nl_upload_name(db, a, "AAAAAAAAAAAAAAAAAAAAAA"), "名簿.csv");
	assert_null(nl_upload_status(db, a, "AAAAAAAAAAAAAAAAAAAAAA"));
	/* One claim: the second finds it started; an unknown id is not found. */
	assert_int_equal(nl_upload_claim(db, "AAAAAAAAAAAAAAAAAAAAAA"), JM_OK);
	assert_int_equal(nl_upload_claim(db, "AAAAAAAAAAAAAAAAAAAAAA"), JM_CONFLICT);
	assert_int_equal(nl_upload_claim(db, "BBBBBBBBBBBBBBBBBBBBBB"), JM_NOT_FOUND);
	assert_non_null(strstr(nl_upload_status(db, a, "AAAAAAAAAAAAAAAAAAAAAA"), "queued"));
	assert_int_equal(
	        nl_upload_set_status(db, "AAAAAAAAAAAAAAAAAAAAAA", "{\"state\":\"done\"}", true),
	        JM_OK);
	assert_string_equal(nl_upload_status(db, a, "AAAAAAAAAAAAAAAAAAAAAA"),
	                    "{\"state\":\"done\"}");
	assert_int_equal(nl_upload_bytes(db, "AAAAAAAAAAAAAAAAAAAAAA", &b), JM_NOT_FOUND);
	/* The day-old sweep keeps what was touched within the day. */
	assert_int_equal(nl_upload_sweep(db, jm_now() + 3600), JM_OK);
	assert_non_null(nl_upload_status(db, a, "AAAAAAAAAAAAAAAAAAAAAA"));
	assert_int_equal(nl_upload_sweep(db, jm_now() + 86400 + 10), JM_OK);
	assert_null(nl_upload_name(db, a, "AAAAAAAAAAAAAAAAAAAAAA"));
	buf_free(&b);
	arena_free(a);
}

/* A name that is not UTF-8 is replaced; a long one is cut on a character. */
static void test_upload_names(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	assert_int_equal(
	        nl_upload_store(db, "CCCCCCCCCCCCCCCCCCCCCC", "\x96\xbc\x95\xeb.csv", "x", 1),
	        JM_OK);
	assert_string_equal(nl_upload_name(db, a, "CCCCCCCCCCCCCCCCCCCCCC"), "upload.csv");
	char longname[400] = "";
	for (int i = 0; i < 100; i++)
		memcpy(longname + 3 * i, "名", 3); /* 300 bytes */
	assert_int_equal(nl_upload_store(db, "DDDDDDDDDDDDDDDDDDDDDD", longname, "x", 1), JM_OK);
	const char *n = nl_upload_name(db, a, "DDDDDDDDDDDDDDDDDDDDDD");
	assert_int_equal(strlen(n), 198); /* 66 whole characters */
	assert_int_equal(nl_upload_store(db, "DDDDDDDDDDDDDDDDDDDDDD", "again", "x", 1),
	                 JM_CONFLICT);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_upload_steps, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_upload_names, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
