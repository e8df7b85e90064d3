/* site_testdb.h — a throw-away migrated SQLite database for the unit tests
 * of the domain modules, and one-value queries on it. */
#ifndef SITE_TESTDB_H
#define SITE_TESTDB_H

#include "db/db.h"

/* Creates a temp dir, opens DIR/test.db and applies migrations/. */
struct db *site_testdb_open(void);
/* Closes the database and removes the files. */
void site_testdb_close(struct db *db);
/* The open database's file, for a second connection (another node). */
const char *site_testdb_path(void);
/* cmocka setup and teardown: *state is the open database. */
int site_testdb_setup(void **state);
int site_testdb_teardown(void **state);

/* First column of the first row of sql as an integer (-1 when no row),
 * every '?' bound to arg (pass 0 when sql has none). */
int64_t q_int(struct db *db, const char *sql, int64_t arg);
/* Runs sql without parameters; fails the test when it fails. */
void exec_ok(struct db *db, const char *sql);

#endif
