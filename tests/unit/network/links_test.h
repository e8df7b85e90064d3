/* links_test.h — helpers of the interactions/introductions/merge tests:
 * a text query and people inserted with plain SQL (a person without an
 * email, a chosen stage), so the tests do not depend on people.c. q_int and
 * exec_ok are site_testdb.h's. */
#ifndef LINKS_TEST_H
#define LINKS_TEST_H

#include "db/db.h"
#include "network/network.h"
#include "../site/site_testdb.h"

/* First column of the first row of sql as a string in a (NULL: no row). */
static inline const char *lq_text(struct db *db, struct arena *a, const char *sql, int64_t arg)
{
	struct db_stmt *st = NULL;
	if (db_prepare(db, sql, &st) != JM_OK)
		fail_msg("prepare: %s", sql);
	if (strchr(sql, '?'))
		db_bind_int(st, 1, arg);
	const char *v = db_step(st) == JM_OK ? db_col_dup(st, 0, a) : NULL;
	db_finalize(st);
	return v;
}

/* A person row; email NULL for none, stage NULL for "reader". */
static inline int64_t lmake_person(struct db *db, const char *email, const char *name,
                                   const char *company, const char *stage)
{
	struct db_stmt *st = NULL;
	if (db_preparef(db, &st,
	                "INSERT INTO people(email, name, company, stage, created_at, updated_at) "
	                "VALUES (?, ?, ?, ?, 1000, 1000) RETURNING id",
	                "tttt", email, name, company ? company : "", stage ? stage : "reader"))
		fail_msg("prepare person");
	if (db_step(st) != JM_OK)
		fail_msg("insert person %s", name);
	int64_t id = db_col_int(st, 0);
	db_finalize(st);
	return id;
}

#endif
