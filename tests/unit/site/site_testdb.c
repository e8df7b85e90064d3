/* site_testdb.c — a throw-away migrated SQLite database for site tests. */
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
