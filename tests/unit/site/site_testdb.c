/* site_testdb.c — a throw-away migrated SQLite database for the unit tests
 * of the domain modules, and one-value queries on it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"
#include "site_testdb.h"

#ifndef JM_SOURCE_ROOT
#define JM_SOURCE_ROOT "."
#endif

static char dir[64];

struct db *site_testdb_open(void)
{
	snprintf(dir, sizeof(dir), "/tmp/jm-site-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/test.db", dir);
	struct db *db = NULL;
	struct jm_err err = {0};
	assert_int_equal(jm_crypto_init(), JM_OK);
	assert_int_equal(db_open(path, &db, &err), JM_OK);
	enum jm_rc rc = db_migrate(db, JM_SOURCE_ROOT "/migrations", &err);
	if (rc)
		fail_msg("migrate: %s", err.msg);
	return db;
}

void site_testdb_close(struct db *db)
{
	db_close(db);
	static const char *const names[] = {"test.db", "test.db-wal", "test.db-shm"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

const char *site_testdb_path(void)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/test.db", dir);
	return path;
}

int site_testdb_setup(void **state)
{
	*state = site_testdb_open();
	return 0;
}

int site_testdb_teardown(void **state)
{
	site_testdb_close(*state);
	return 0;
}

int64_t q_int(struct db *db, const char *sql, int64_t arg)
{
	struct db_stmt *st = NULL;
	if (db_prepare(db, sql, &st) != JM_OK)
		fail_msg("prepare: %s", sql);
	int k = 0;
	for (const char *q = strchr(sql, '?'); q; q = strchr(q + 1, '?'))
		db_bind_int(st, ++k, arg);
	int64_t v = db_step(st) == JM_OK ? db_col_int(st, 0) : -1;
	db_finalize(st);
	return v;
}

void exec_ok(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != JM_OK)
		fail_msg("exec: %s: %s", sql, db_errmsg(db));
}
