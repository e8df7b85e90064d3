/*
 * ensure.c — creating people: people_ensure (find or create by normalised
 * email, the single entry for sign-up, contact form, admin adds and staff
 * accounts), people_insert (a full CRM or import row), and the row-level
 * updates of people that keep the table's invariants (people.h).
 *
 * Every creation here writes stage_at and a stage_changes row in the same
 * transaction as the person, so the funnel report never misses anyone.
 */
#include "people/people.h"

#include "auth/auth.h"
#include "db/db.h"

#define EMAIL_MAX 254

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Records the creation of id at stage: from '' to stage. */
static enum jm_rc stage_born(struct db *db, int64_t id, const char *stage, const char *reason,
                             int64_t now)
{
	return db_execf(db,
	                "INSERT INTO stage_changes(person_id, from_stage, to_stage, reason, "
	                "created_at) VALUES (?, '', ?, ?, ?)",
	                "itti", id, stage, reason, now);
}

enum jm_rc people_insert(struct db *db, const struct people_row *r, const char *reason, int64_t now,
                         int64_t *id)
{
	const char *stage = r->stage && *r->stage ? r->stage : "reader";
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "INSERT INTO people(email, name, furigana, company, title, stage, source, "
	        "notes_md, can_offer, looking_for, touch_days, last_contact_at, stage_at, "
	        "created_at, updated_at) VALUES (NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	        "NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?) RETURNING id",
	        "ttttttttttiiiii", or_empty(r->email), or_empty(r->name), or_empty(r->furigana),
	        or_empty(r->company), or_empty(r->title), stage, or_empty(r->source),
	        or_empty(r->notes_md), or_empty(r->can_offer), or_empty(r->looking_for),
	        r->touch_days, r->last_contact_at, now, now, now);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_DB : rc;
	if (!reason || !*reason)
		reason = r->source && *r->source ? r->source : "created";
	return stage_born(db, *id, stage, reason, now);
}

/* Copies email into norm normalised; false when it is not an address. */
static bool normalise(const char *email, char norm[EMAIL_MAX + 66])
{
	size_t n = email ? strlen(email) : 0;
	if (n == 0 || n >= EMAIL_MAX + 66)
		return false;
	memcpy(norm, email, n + 1);
	return auth_email_normalize(norm) && strlen(norm) <= EMAIL_MAX;
}

enum jm_rc people_ensure(struct db *db, const struct people_new *in, int64_t now, int64_t *id,
                         bool *created, struct jm_err *err)
{
	char norm[EMAIL_MAX + 66];
	if (!normalise(in->email, norm)) {
		jm_err_set(err, "email", "invalid email address");
		return JM_INVALID;
	}
	const char *name = or_empty(in->name);
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
	if (created)
		*created = rc == JM_DONE;
	if (rc == JM_DONE) {
		struct people_row r = {
		        .email = norm, .name = name, .source = in->source, .stage = in->stage};
		return people_insert(db, &r, NULL, now, id);
	}
	if (rc != JM_OK || !unnamed || !*name || !in->fill_name)
		return rc;
	return people_name_fill(db, *id, name, now);
}

enum jm_rc people_name_fill(struct db *db, int64_t id, const char *name, int64_t now)
{
	if (!name || !*name)
		return JM_OK;
	return db_execf(db, "UPDATE people SET name = ?, updated_at = ? WHERE id = ? AND name = ''",
	                "tii", name, now, id);
}

enum jm_rc people_update(struct db *db, int64_t id, const struct people_patch *p, int64_t now)
{
	enum jm_rc rc = db_execf(
	        db,
	        "UPDATE people SET email = CASE WHEN ? THEN NULLIF(?, '') ELSE email END, "
	        "name = CASE WHEN ? THEN ? ELSE name END, "
	        "furigana = CASE WHEN ? THEN ? ELSE furigana END, "
	        "company = CASE WHEN ? THEN ? ELSE company END, "
	        "title = CASE WHEN ? THEN ? ELSE title END, "
	        "source = CASE WHEN ? THEN ? ELSE source END, "
	        "can_offer = CASE WHEN ? THEN ? ELSE can_offer END, "
	        "looking_for = CASE WHEN ? THEN ? ELSE looking_for END, "
	        "notes_md = CASE WHEN ? THEN ? ELSE notes_md END, "
	        "touch_days = CASE WHEN ? THEN NULLIF(?, 0) ELSE touch_days END, "
	        "updated_at = ? WHERE id = ?",
	        "ititititititititititii", (int64_t)p->has_email, or_empty(p->email),
	        (int64_t)p->has_name, or_empty(p->name), (int64_t)p->has_furigana,
	        or_empty(p->furigana), (int64_t)p->has_company, or_empty(p->company),
	        (int64_t)p->has_title, or_empty(p->title), (int64_t)p->has_source,
	        or_empty(p->source), (int64_t)p->has_can_offer, or_empty(p->can_offer),
	        (int64_t)p->has_looking_for, or_empty(p->looking_for), (int64_t)p->has_notes,
	        or_empty(p->notes_md), (int64_t)p->has_touch_days, p->touch_days, now, id);
	if (!rc && db_changes(db) == 0)
		rc = JM_NOT_FOUND;
	return rc;
}

enum jm_rc people_fill(struct db *db, int64_t id, const struct people_row *r, int64_t now)
{
	return db_execf(db,
	                "UPDATE people SET name = COALESCE(NULLIF(?, ''), name), "
	                "furigana = COALESCE(NULLIF(?, ''), furigana), "
	                "company = COALESCE(NULLIF(?, ''), company), "
	                "title = COALESCE(NULLIF(?, ''), title), "
	                "can_offer = COALESCE(NULLIF(?, ''), can_offer), "
	                "looking_for = COALESCE(NULLIF(?, ''), looking_for), "
	                "notes_md = COALESCE(NULLIF(?, ''), notes_md), "
	                "source = COALESCE(NULLIF(?, ''), source), updated_at = ? WHERE id = ?",
	                "ttttttttii", or_empty(r->name), or_empty(r->furigana),
	                or_empty(r->company), or_empty(r->title), or_empty(r->can_offer),
	                or_empty(r->looking_for), or_empty(r->notes_md), or_empty(r->source), now,
	                id);
}

enum jm_rc people_touch(struct db *db, int64_t id, int64_t now)
{
	return db_execf(db, "UPDATE people SET updated_at = ? WHERE id = ?", "ii", now, id);
}

enum jm_rc people_delete(struct db *db, int64_t id)
{
	/* Foreign keys cascade to links, tags, fields, events, stage history,
	 * subscriptions, deliveries, messages, interactions and introductions;
	 * a staff account only loses its link to the person. */
	enum jm_rc rc = db_execf(db, "DELETE FROM people WHERE id = ?", "i", id);
	if (!rc && db_changes(db) == 0)
		rc = JM_NOT_FOUND;
	return rc;
}
