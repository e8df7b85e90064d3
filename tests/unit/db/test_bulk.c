/* Unit tests for db_bulk_mode on SQLite (src/db/sqlite.c): foreign keys
 * are off while a bulk writer holds the connection and on again after it,
 * also when the writer left its transaction open (rolled back then), so a
 * pooled connection never goes back to other requests unchecked; the page
 * cache returns to its default size. CHECK constraints go off and on with
 * them; db_bind_text_static binds without a copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"

static const char *const schema =
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
        "  REFERENCES parent(id) ON DELETE CASCADE);"
        "INSERT INTO parent(id) VALUES (1);"
        "CREATE TABLE staged (s TEXT NOT NULL CHECK (s IN ('a', 'b')));";

static struct db *open_mem(void)
{
	struct db *db = NULL;
	struct jm_err err = {0};
	assert_int_equal(db_open("sqlite::memory:", &db, &err), JM_OK);
	assert_int_equal(db_exec(db, schema), JM_OK);
	return db;
}

static int64_t pragma(struct db *db, const char *sql)
{
	int64_t v = -1;
	assert_int_equal(db_query_int(db, &v, -1, sql, ""), JM_OK);
	return v;
}

static enum jm_rc orphan(struct db *db, int64_t id)
{
	return db_execf(db, "INSERT INTO child(id, parent_id) VALUES (?, 99)", "i", id);
}

static void test_keys_off_then_on(void **state)
{
	(void)state;
	struct db *db = open_mem();
	assert_int_equal(pragma(db, "PRAGMA foreign_keys"), 1);
	assert_int_not_equal(orphan(db, 1), JM_OK);
	assert_int_equal(db_bulk_mode(db, true), JM_OK);
	assert_int_equal(pragma(db, "PRAGMA foreign_keys"), 0);
	assert_int_equal(pragma(db, "PRAGMA cache_size"), -65536);
	assert_int_equal(db_begin(db), JM_OK);
	assert_int_equal(orphan(db, 2), JM_OK); /* the bulk writer's own promise */
	assert_int_equal(db_exec(db, "DELETE FROM child"), JM_OK);
	assert_int_equal(db_commit(db), JM_OK);
	assert_int_equal(db_bulk_mode(db, false), JM_OK);
	assert_int_equal(pragma(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(pragma(db, "PRAGMA cache_size"), -2000);
	assert_int_not_equal(orphan(db, 3), JM_OK);
	/* cascades work again */
	assert_int_equal(db_exec(db, "INSERT INTO child(id, parent_id) VALUES (4, 1); "
	                             "DELETE FROM parent WHERE id = 1"),
	                 JM_OK);
	assert_int_equal(pragma(db, "SELECT count(*) FROM child"), 0);
	db_close(db);
}

static enum jm_rc staged(struct db *db, const char *s)
{
	return db_execf(db, "INSERT INTO staged(s) VALUES (?)", "t", s);
}

static void test_checks_off_then_on(void **state)
{
	(void)state;
	struct db *db = open_mem();
	assert_int_equal(staged(db, "z"), JM_INVALID);
	assert_int_equal(db_bulk_mode(db, true), JM_OK);
	assert_int_equal(pragma(db, "PRAGMA ignore_check_constraints"), 1);
	assert_int_equal(staged(db, "a"), JM_OK);
	assert_int_equal(db_bulk_mode(db, false), JM_OK);
	assert_int_equal(pragma(db, "PRAGMA ignore_check_constraints"), 0);
	assert_int_equal(staged(db, "z"), JM_INVALID);
	assert_int_equal(staged(db, "b"), JM_OK);
	db_close(db);
}

static void test_bind_static(void **state)
{
	(void)state;
	struct db *db = open_mem();
	char v[] = "ab";
	struct db_stmt *st = NULL;
	assert_int_equal(db_prepare(db, "INSERT INTO staged(s) VALUES (?), (?)", &st), JM_OK);
	db_bind_text_static(st, 1, v, 1); /* "a": a length, not the NUL */
	db_bind_text_static(st, 2, v + 1, SIZE_MAX);
	assert_int_equal(db_step(st), JM_DONE);
	db_finalize(st);
	v[0] = 'x'; /* the rows hold copies once written */
	assert_int_equal(pragma(db, "SELECT count(*) FROM staged WHERE s IN ('a', 'b')"), 2);
	db_close(db);
}

static void test_left_open(void **state)
{
	(void)state;
	struct db *db = open_mem();
	assert_int_equal(db_bulk_mode(db, true), JM_OK);
	assert_int_equal(db_begin(db), JM_OK);
	assert_int_equal(orphan(db, 1), JM_OK);
	/* leaving bulk mode inside the transaction rolls it back: the pragma
	 * would be a no-op there and the keys would stay off */
	assert_int_equal(db_bulk_mode(db, false), JM_OK);
	assert_int_equal(pragma(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(pragma(db, "SELECT count(*) FROM child"), 0);
	assert_int_not_equal(orphan(db, 2), JM_OK);
	db_close(db);
}

int main(void)
{
	assert_int_equal(jm_crypto_init(), JM_OK);
	log_min_level = (enum log_level)(LOG_ERROR + 1);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_keys_off_then_on),
	        cmocka_unit_test(test_left_open),
	        cmocka_unit_test(test_checks_off_then_on),
	        cmocka_unit_test(test_bind_static),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
