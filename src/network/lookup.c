/*
 * lookup.c — finding a person by email address for the admin forms that
 * accept "a person id or an email" (merge, introductions). The address is
 * normalised the same way as everywhere else (auth_email_normalize) and
 * looked up through the unique people.email index.
 */
#include "network/network.h"

#include "auth/auth.h"
#include "db/db.h"

enum jm_rc net_person_find_email(struct db *db, const char *email, int64_t *id)
{
	char norm[320];
	size_t n = email ? strlen(email) : 0;
	if (n == 0 || n >= sizeof(norm))
		return JM_INVALID;
	memcpy(norm, email, n + 1);
	if (!auth_email_normalize(norm))
		return JM_INVALID;
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, "SELECT id FROM people WHERE email = ?", "t", norm);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}
