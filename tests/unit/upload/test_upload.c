/* Unit tests for src/upload/upload.c (the admin imports' pending uploads,
 * table import_uploads) on a migrated SQLite database: bytes that are not
 * text kept whole (stored from a file), the kind and the name kept apart,
 * the name as valid UTF-8, a head of the bytes, one claim per upload, a
 * begun upload claimed already, the bytes dropped at the end, and the
 * day-old sweep. (On PostgreSQL the same
 * path is covered by tests/integration/test_nodes.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../site/site_testdb.h"
#include "upload/upload.h"

/* Stores len bytes of p as upload id through a temporary file. */
static enum jm_rc store(struct db *db, const char *id, const char *name, const void *p, size_t len)
{
	char path[] = "/tmp/jm-upload-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
	enum jm_rc rc = upload_store_file(db, id, "csv", name, path);
	unlink(path);
	return rc;
}

static const char *name_of(struct db *db, struct arena *a, const char *id)
{
	const char *kind = NULL, *name = NULL;
	if (!upload_info(db, a, id, &kind, &name))
		return NULL;
	assert_string_equal(kind, "csv");
	return name;
}

static void test_upload_steps(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	static const char data[] = "\x83\x81\x81[\x83\x8b,\x00name\r\n\xff"; /* Shift_JIS, a NUL */
	assert_int_equal(store(db, "AAAAAAAAAAAAAAAAAAAAAA", "名簿.csv", data, sizeof(data) - 1),
	                 JM_OK);
	struct buf b;
	buf_init(&b, 64);
	assert_int_equal(upload_bytes(db, "AAAAAAAAAAAAAAAAAAAAAA", &b), JM_OK);
	assert_int_equal(b.len, sizeof(data) - 1);
	assert_memory_equal(b.ptr, data, sizeof(data) - 1);
	buf_reset(&b);
	assert_int_equal(upload_bytes(db, "BBBBBBBBBBBBBBBBBBBBBB", &b), JM_NOT_FOUND);
	assert_int_equal(upload_head(db, "AAAAAAAAAAAAAAAAAAAAAA", 5, &b), JM_OK);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.ptr, data, 5);
	buf_reset(&b);
	assert_string_equal(name_of(db, a, "AAAAAAAAAAAAAAAAAAAAAA"), "名簿.csv");
	assert_null(upload_status(db, a, "AAAAAAAAAAAAAAAAAAAAAA"));
	/* One claim: the second finds it started; an unknown id is not found. */
	assert_int_equal(upload_claim(db, "AAAAAAAAAAAAAAAAAAAAAA"), JM_OK);
	assert_int_equal(upload_claim(db, "AAAAAAAAAAAAAAAAAAAAAA"), JM_CONFLICT);
	assert_int_equal(upload_claim(db, "BBBBBBBBBBBBBBBBBBBBBB"), JM_NOT_FOUND);
	assert_non_null(strstr(upload_status(db, a, "AAAAAAAAAAAAAAAAAAAAAA"), "queued"));
	assert_int_equal(
	        upload_set_status(db, "AAAAAAAAAAAAAAAAAAAAAA", "{\"state\":\"done\"}", true),
	        JM_OK);
	assert_string_equal(upload_status(db, a, "AAAAAAAAAAAAAAAAAAAAAA"), "{\"state\":\"done\"}");
	assert_int_equal(upload_bytes(db, "AAAAAAAAAAAAAAAAAAAAAA", &b), JM_NOT_FOUND);
	/* The day-old sweep keeps what was touched within the day. */
	assert_int_equal(upload_sweep(db, jm_now() + 3600), JM_OK);
	assert_non_null(upload_status(db, a, "AAAAAAAAAAAAAAAAAAAAAA"));
	assert_int_equal(upload_sweep(db, jm_now() + 86400 + 10), JM_OK);
	assert_null(name_of(db, a, "AAAAAAAAAAAAAAAAAAAAAA"));
	buf_free(&b);
	arena_free(a);
}

/* A name that is not UTF-8 is replaced; a long one is cut on a character. */
static void test_upload_names(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	assert_int_equal(store(db, "CCCCCCCCCCCCCCCCCCCCCC", "\x96\xbc\x95\xeb.csv", "x", 1),
	                 JM_OK);
	assert_string_equal(name_of(db, a, "CCCCCCCCCCCCCCCCCCCCCC"), "upload");
	char longname[400] = "";
	for (int i = 0; i < 100; i++)
		memcpy(longname + 3 * i, "名", 3); /* 300 bytes */
	assert_int_equal(store(db, "DDDDDDDDDDDDDDDDDDDDDD", longname, "x", 1), JM_OK);
	const char *n = name_of(db, a, "DDDDDDDDDDDDDDDDDDDDDD");
	assert_int_equal(strlen(n), 198); /* 66 whole characters */
	assert_int_equal(store(db, "DDDDDDDDDDDDDDDDDDDDDD", "again", "x", 1), JM_CONFLICT);
	arena_free(a);
}

/* A begun upload (the blog import's) holds no bytes and is claimed. */
static void test_upload_begin(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	const char *kind = NULL, *name = NULL;
	assert_int_equal(upload_begin(db, "EEEEEEEEEEEEEEEEEEEEEE", "wordpress", "a:b.xml"), JM_OK);
	assert_true(upload_info(db, a, "EEEEEEEEEEEEEEEEEEEEEE", &kind, &name));
	assert_string_equal(kind, "wordpress");
	assert_string_equal(name, "a:b.xml");
	assert_non_null(strstr(upload_status(db, a, "EEEEEEEEEEEEEEEEEEEEEE"), "queued"));
	assert_int_equal(upload_claim(db, "EEEEEEEEEEEEEEEEEEEEEE"), JM_CONFLICT);
	assert_false(upload_info(db, a, "FFFFFFFFFFFFFFFFFFFFFF", &kind, &name));
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_upload_steps, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_upload_names, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_upload_begin, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
