/*
 * write.c — the person's state beside the row itself: stage (with its
 * history), the freeloader/blocked flags, last contact and the stored
 * engagement score. Callers validate names (network/ knows the stages).
 */
#include "people/people.h"

#include "db/db.h"

enum jm_rc people_exists(struct db *db, int64_t id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, "SELECT 1 FROM people WHERE id = ?", "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

enum jm_rc people_stage_set(struct db *db, int64_t id, const char *stage, const char *reason,
                            int64_t now)
{
	/* The history row is written from the current stage: nothing is read
	 * first. */
	enum jm_rc rc = db_execf(db,
	                         "INSERT INTO stage_changes(person_id, from_stage, to_stage, "
	                         "reason, created_at) SELECT id, stage, ?, ?, ? FROM people "
	                         "WHERE id = ? AND stage != ?",
	                         "ttiit", stage, reason ? reason : "", now, id, stage);
	if (rc)
		return rc;
	if (db_changes(db) == 0)
		return people_exists(db, id);
	return db_execf(db,
	                "UPDATE people SET stage = ?, stage_at = ?, updated_at = ? WHERE id = ?",
	                "tiii", stage, now, now, id);
}

enum jm_rc people_flag_set(struct db *db, int64_t id, bool freeloader, bool on, int64_t now,
                           bool *changed)
{
	enum jm_rc rc;
	*changed = false;
	if (freeloader)
		rc = db_execf(db,
		              "UPDATE people SET freeloader = ?, updated_at = ? "
		              "WHERE id = ? AND freeloader != ?",
		              "iiii", (int64_t)on, now, id, (int64_t)on);
	else
		rc = db_execf(db,
		              "UPDATE people SET blocked = ?, updated_at = ? "
		              "WHERE id = ? AND blocked != ?",
		              "iiii", (int64_t)on, now, id, (int64_t)on);
	if (rc)
		return rc;
	if (db_changes(db) == 0)
		return people_exists(db, id);
	*changed = true;
	return JM_OK;
}

enum jm_rc people_contact_at(struct db *db, int64_t id, int64_t at)
{
	enum jm_rc rc = db_execf(db,
	                         "UPDATE people SET last_contact_at = CASE WHEN last_contact_at "
	                         "IS NULL OR last_contact_at < ? THEN ? ELSE last_contact_at END "
	                         "WHERE id = ?",
	                         "iii", at, at, id);
	if (rc == JM_OK && db_changes(db) == 0)
		rc = JM_NOT_FOUND;
	return rc;
}

enum jm_rc people_contact_recompute(struct db *db, int64_t id)
{
	return db_execf(db,
	                "UPDATE people SET last_contact_at = (SELECT max(t) FROM ("
	                "SELECT max(happened_at) AS t FROM interactions WHERE person_id = ? "
	                "UNION ALL SELECT max(r.created_at) FROM message_replies r "
	                "JOIN messages m ON m.id = r.message_id WHERE m.person_id = ?) AS x) "
	                "WHERE id = ?",
	                "iii", id, id, id);
}

enum jm_rc people_score_set(struct db *db, int64_t id, int64_t engagement, int64_t asks,
                            int64_t gave)
{
	return db_execf(db,
	                "UPDATE people SET engagement = ?1, asks = ?2, gave = ?3 "
	                "WHERE id = ?4 AND (engagement <> ?1 OR asks <> ?2 OR gave <> ?3)",
	                "iiii", engagement, asks, gave, id);
}
