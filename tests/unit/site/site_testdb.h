/* site_testdb.h — a throw-away migrated SQLite database for site tests. */
#ifndef SITE_TESTDB_H
#define SITE_TESTDB_H

#include "db/db.h"

/* Creates a temp dir, opens DIR/test.db and applies migrations/. */
struct db *site_testdb_open(void);
/* Closes the database and removes the files. */
void site_testdb_close(struct db *db);

#endif
