/*
 * pg.c — the PostgreSQL backend of db.h on libpq (being written).
 */
#include "db/db_int.h"

enum jm_rc db_pg_open(const char *url, struct db **out, struct jm_err *err)
{
	(void)url;
	(void)out;
	jm_err_set(err, "db", "PostgreSQL support is not built in yet");
	return JM_INVALID;
}
