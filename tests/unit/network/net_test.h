/* net_test.h — small helpers for the people and touch unit tests. */
#ifndef NET_TEST_H
#define NET_TEST_H

#include "db/db.h"
#include "network/network.h"

/* First column of the first row of sql as an integer, with one optional
 * integer parameter (pass 0 when the SQL has none); -1 when no row. */
static inline int64_t q_int(struct db *db, const char *sql, int64_t arg)
{
	struct db_stmt *st = NULL;
	if (db_prepare(db, sql, &st) != JM_OK)
		fail_msg("prepare: %s", sql);
	if (strchr(sql, '?'))
		db_bind_int(st, 1, arg);
	int64_t v = db_step(st) == JM_OK ? db_col_int(st, 0) : -1;
	db_finalize(st);
	return v;
}

/* Runs SQL without parameters that must succeed. */
static inline void exec_ok(struct db *db, const char *sql)
{
	if (db_exec(db, sql) != JM_OK)
		fail_msg("exec: %s: %s", sql, db_errmsg(db));
}

#endif
