/*
 * staff.c — a staff account is also a person (the owner is in their own
 * network): people_user_add creates or finds the person (stage "network",
 * source "staff") and the users row (auth/) in one transaction.
 */
#include "people/people.h"

#include "auth/auth.h"
#include "db/db.h"

static enum jm_rc user_tx(struct db *db, const char *email, const char *name, const char *role,
                          const char *hash, int64_t *id_out, struct jm_err *err)
{
	int64_t now = jm_now(), person = 0;
	struct people_new pn = {
	        .email = email, .name = name, .source = "staff", .stage = "network"};
	enum jm_rc rc = people_ensure(db, &pn, now, &person, NULL, err);
	return rc ? rc : auth_user_insert(db, person, email, name, role, hash, id_out);
}

enum jm_rc people_user_add(struct db *db, const char *email_in, const char *name, const char *role,
                           const char *password, int64_t *id_out, struct jm_err *err)
{
	char email[256], hash[128];
	snprintf(email, sizeof(email), "%s", email_in ? email_in : "");
	name = name ? name : "";
	enum jm_rc rc = auth_user_prepare(email, name, role, password, hash, err);
	if (rc)
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	rc = user_tx(db, email, name, role, hash, id_out, err);
	if (rc == JM_OK)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (rc == JM_CONFLICT)
			jm_err_set(err, "email", "a user with this email already exists");
		else if (rc != JM_INVALID)
			jm_err_set(err, NULL, "cannot create user: %s", jm_rc_name(rc));
	}
	return rc;
}
