/*
 * base.c — the names the whole network module shares (stages, interaction
 * kinds), finding or creating a person by email, and the timeline's
 * person_events rows. Used by inbox/ and newsletter-facing code too.
 */
#include "network/network.h"

#include "auth/auth.h"
#include "db/db.h"

const char *const net_stages[4] = {"reader", "fan", "acquaintance", "network"};
const char *const net_interaction_kinds[9] = {"meeting",  "meal",       "call",
                                              "email",    "message",    "deal",
                                              "referral", "help_given", "help_received"};

int net_stage_rank(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, net_stages[i]))
			return i;
	return -1;
}

bool net_stage_valid(const char *s)
{
	return net_stage_rank(s) >= 0;
}

bool net_interaction_kind_valid(const char *k)
{
	for (size_t i = 0; k && i < 9; i++)
		if (!strcmp(k, net_interaction_kinds[i]))
			return true;
	return false;
}

enum jm_rc net_event_add(struct db *db, int64_t person_id, const char *kind, const char *detail,
                         int64_t now)
{
	if (!kind || strlen(kind) > 40 || (detail && strlen(detail) > 2000))
		return JM_INVALID;
	return db_execf(db,
	                "INSERT INTO person_events(person_id, kind, detail, created_at) "
	                "VALUES (?, ?, ?, ?)",
	                "itti", person_id, kind, detail ? detail : "", now);
}

static enum jm_rc person_insert(struct db *db, const char *email, const char *name,
                                const char *source, int64_t now, int64_t *id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "INSERT INTO people(email, name, source, stage_at, created_at, "
	                            "updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
	                            "tttiii", email, name, source, now, now, now);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_DB : rc;
	return db_execf(db,
	                "INSERT INTO stage_changes(person_id, from_stage, to_stage, reason, "
	                "created_at) VALUES (?, '', 'reader', ?, ?)",
	                "iti", *id, source, now);
}

enum jm_rc net_person_ensure(struct db *db, const char *email, const char *name, const char *source,
                             int64_t now, int64_t *id, bool *created, struct jm_err *err)
{
	char norm[320];
	size_t n = email ? strlen(email) : 0;
	if (n == 0 || n >= sizeof(norm)) {
		jm_err_set(err, "email", "invalid email address");
		return JM_INVALID;
	}
	memcpy(norm, email, n + 1);
	if (!auth_email_normalize(norm) || strlen(norm) > 254) {
		jm_err_set(err, "email", "invalid email address");
		return JM_INVALID;
	}
	name = name ? name : "";
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT id, name = '' FROM people WHERE email = ?", "t", norm);
	if (rc)
		return rc;
	rc = db_step(st);
	bool unnamed = rc == JM_OK && db_col_int(st, 1);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	*created = rc == JM_DONE;
	if (rc == JM_DONE)
		return person_insert(db, norm, name, source ? source : "", now, id);
	if (rc != JM_OK || !unnamed || !*name)
		return rc;
	return db_execf(db, "UPDATE people SET name = ?, updated_at = ? WHERE id = ?", "tii", name,
	                now, *id);
}
