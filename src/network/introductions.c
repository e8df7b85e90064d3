/*
 * introductions.c — who introduced whom. Three people per row, where 0
 * (NULL in SQL) on the introducer or the "to" side stands for the owner:
 *   "A introduced me to B":  introducer = A, person = B, to = 0
 *   "I introduced A to B":   introducer = 0, person = A, to = B
 *   "A introduced B to C":   all three set (the owner only heard of it)
 * The people named must exist and be different people. The network map
 * (map.c) draws these rows as edges.
 */
#include "network/network.h"

#include "db/db.h"
#include "people/people.h"

#define NOTE_MAX     2000
#define FUTURE_SLACK 86400
#define LIST_MAX     5000

static enum jm_rc check_person(struct db *db, int64_t id, const char *field, struct jm_err *err)
{
	enum jm_rc rc = people_exists(db, id);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, field, "no such person");
	return rc;
}

static enum jm_rc check_sides(const struct net_intro *in, struct jm_err *err)
{
	if (in->person_id == 0) {
		jm_err_set(err, "person_id", "the person is missing");
		return JM_INVALID;
	}
	if (in->introducer_id < 0 || in->person_id < 0 || in->to_id < 0) {
		const char *f = in->person_id < 0       ? "person_id"
		                : in->introducer_id < 0 ? "introducer_id"
		                                        : "to_id";
		jm_err_set(err, f, "no such person");
		return JM_NOT_FOUND;
	}
	if (in->introducer_id == 0 && in->to_id == 0) {
		jm_err_set(err, "to_id", "the owner cannot be on both sides");
		return JM_INVALID;
	}
	if (in->introducer_id == in->person_id || (in->to_id && in->to_id == in->person_id) ||
	    (in->to_id && in->to_id == in->introducer_id)) {
		jm_err_set(err, in->introducer_id == in->person_id ? "person_id" : "to_id",
		           "a person cannot be introduced to themselves");
		return JM_INVALID;
	}
	return JM_OK;
}

static enum jm_rc check_input(struct db *db, const struct net_intro *in, int64_t now,
                              struct jm_err *err)
{
	enum jm_rc rc = check_sides(in, err);
	if (rc)
		return rc;
	size_t len = in->note ? strlen(in->note) : 0;
	if (len > NOTE_MAX ||
	    (len && (!utf8_valid(in->note, len) || utf8_has_controls(in->note, len)))) {
		jm_err_set(err, "note",
		           len > NOTE_MAX ? "too long (at most 2000 bytes)" : "invalid characters");
		return JM_INVALID;
	}
	if (in->happened_at <= 0 || in->happened_at > now + FUTURE_SLACK) {
		jm_err_set(err, "happened_at", "the date is missing or in the future");
		return JM_INVALID;
	}
	if (in->introducer_id && (rc = check_person(db, in->introducer_id, "introducer_id", err)))
		return rc;
	if ((rc = check_person(db, in->person_id, "person_id", err)))
		return rc;
	if (in->to_id && (rc = check_person(db, in->to_id, "to_id", err)))
		return rc;
	return JM_OK;
}

static void bind_side(struct db_stmt *st, int idx, int64_t id)
{
	if (id)
		db_bind_int(st, idx, id);
	else
		db_bind_null(st, idx);
}

enum jm_rc net_intro_add(struct db *db, const struct net_intro *in, int64_t now, int64_t *id,
                         struct jm_err *err)
{
	enum jm_rc rc = check_input(db, in, now, err);
	if (rc)
		return rc;
	struct db_stmt *st = NULL;
	rc = db_prepare(db,
	                "INSERT INTO introductions(introducer_id, person_id, to_id, happened_at, "
	                "note, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
	                &st);
	if (rc)
		return rc;
	bind_side(st, 1, in->introducer_id);
	db_bind_int(st, 2, in->person_id);
	bind_side(st, 3, in->to_id);
	db_bind_int(st, 4, in->happened_at);
	db_bind_text(st, 5, in->note ? in->note : "", SIZE_MAX);
	db_bind_int(st, 6, now);
	rc = db_step(st);
	if (rc == JM_OK && id)
		*id = db_col_int(st, 0);
	db_finalize(st);
	/* A person deleted between the check and the insert fails the key. */
	if (rc == JM_INVALID)
		jm_err_set(err, "person_id", "no such person");
	return rc == JM_DONE ? JM_DB : rc == JM_INVALID ? JM_NOT_FOUND : rc;
}

enum jm_rc net_intro_delete(struct db *db, int64_t id)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM introductions WHERE id = ?", "i", id);
	if (rc == JM_OK && db_changes(db) == 0)
		return JM_NOT_FOUND;
	return rc;
}

/* Names fall back to the email when a person has none; the owner's side
 * (0) gets "". */
#define INTRO_SELECT                                                                               \
	"SELECT i.id, COALESCE(i.introducer_id, 0), i.person_id, COALESCE(i.to_id, 0), "           \
	"COALESCE(NULLIF(a.name, ''), a.email, ''), COALESCE(NULLIF(p.name, ''), p.email, ''), "   \
	"COALESCE(NULLIF(t.name, ''), t.email, ''), i.note, i.happened_at, i.created_at "          \
	"FROM introductions i LEFT JOIN people a ON a.id = i.introducer_id "                       \
	"JOIN people p ON p.id = i.person_id LEFT JOIN people t ON t.id = i.to_id "

static const char sql_all[] = INTRO_SELECT "ORDER BY i.happened_at DESC, i.id DESC LIMIT ?";
static const char sql_person[] =
        INTRO_SELECT "WHERE i.id IN (SELECT id FROM introductions WHERE introducer_id = ? "
                     "UNION SELECT id FROM introductions WHERE person_id = ? "
                     "UNION SELECT id FROM introductions WHERE to_id = ?) "
                     "ORDER BY i.happened_at DESC, i.id DESC LIMIT ?";

static void read_row(struct db_stmt *st, struct arena *a, struct net_intro *r)
{
	r->id = db_col_int(st, 0);
	r->introducer_id = db_col_int(st, 1);
	r->person_id = db_col_int(st, 2);
	r->to_id = db_col_int(st, 3);
	r->introducer_name = db_col_dup(st, 4, a);
	r->person_name = db_col_dup(st, 5, a);
	r->to_name = db_col_dup(st, 6, a);
	r->note = db_col_dup(st, 7, a);
	r->happened_at = db_col_int(st, 8);
	r->created_at = db_col_int(st, 9);
}

enum jm_rc net_intro_list(struct db *db, struct arena *a, int64_t person_id, struct net_intro **out,
                          size_t *n)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = person_id ? db_preparef(db, &st, sql_person, "iiii", person_id, person_id,
	                                        person_id, (int64_t)LIST_MAX)
	                          : db_preparef(db, &st, sql_all, "i", (int64_t)LIST_MAX);
	if (rc)
		return rc;
	size_t cap = 16;
	*n = 0;
	*out = arena_calloc(a, cap * sizeof(**out));
	while ((rc = db_step(st)) == JM_OK) {
		if (*n == cap) {
			struct net_intro *bigger = arena_calloc(a, 2 * cap * sizeof(*bigger));
			memcpy(bigger, *out, cap * sizeof(*bigger));
			*out = bigger;
			cap *= 2;
		}
		read_row(st, a, &(*out)[(*n)++]);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}
