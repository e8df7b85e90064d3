/*
 * answer_read.c — reading answers back (forms.h "answering"): one answer
 * with its values in the form's field order, a reader's own newest answer
 * (the page they edit it on), the person behind a token, and a file sent
 * with an answer for the staff's download. Read-only: answer.c writes.
 */
#include "forms/forms.h"

#include <string.h>

#include "db/db.h"

static enum jm_rc load_values(struct db *db, struct arena *a, struct forms_answer *ans)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT v.key, v.value FROM answer_values v LEFT JOIN "
	                            "form_fields f ON f.form_id = v.form_id AND f.key = v.key "
	                            "WHERE v.answer_id = ? ORDER BY coalesce(f.position, 0), "
	                            "coalesce(f.id, 0), v.key, v.value",
	                            "i", ans->id);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		ans->values = arena_grow(a, ans->values, ans->nvalues, &cap, sizeof(*ans->values));
		ans->values[ans->nvalues++] =
		        (struct forms_value){db_col_dup(st, 0, a), db_col_dup(st, 1, a)};
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc load_answer(struct db *db, struct arena *a, struct db_stmt *st,
                              struct forms_answer **out)
{
	enum jm_rc rc = db_step(st);
	struct forms_answer *ans = NULL;
	if (rc == JM_OK) {
		ans = arena_calloc(a, sizeof(*ans));
		ans->id = db_col_int(st, 0);
		ans->form_id = db_col_int(st, 1);
		ans->person_id = db_col_int(st, 2);
		ans->status = db_col_dup(st, 3, a);
		ans->verified = db_col_int(st, 4) != 0;
		ans->created_at = db_col_int(st, 5);
		ans->updated_at = db_col_int(st, 6);
	}
	db_finalize(st);
	*out = ans;
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	return load_values(db, a, ans);
}

#define ANSWER_COLS "id, form_id, person_id, status, verified, created_at, updated_at"

enum jm_rc forms_answer_get(struct db *db, struct arena *a, int64_t id, struct forms_answer **out)
{
	struct db_stmt *st = NULL;
	*out = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT " ANSWER_COLS " FROM answers WHERE id = ?", "i", id);
	return rc ? rc : load_answer(db, a, st, out);
}

enum jm_rc forms_answer_mine(struct db *db, struct arena *a, int64_t form_id, int64_t person_id,
                             struct forms_answer **out, int64_t *count)
{
	struct db_stmt *st = NULL;
	*out = NULL;
	enum jm_rc rc = db_query_int(db, count, 0,
	                             "SELECT count(*) FROM answers WHERE form_id = ? AND "
	                             "person_id = ? AND status NOT IN ('cancelled', 'expired')",
	                             "ii", form_id, person_id);
	if (!rc)
		rc = db_preparef(db, &st,
		                 "SELECT " ANSWER_COLS " FROM answers WHERE form_id = ? AND "
		                 "person_id = ? AND status NOT IN ('cancelled', 'expired') "
		                 "ORDER BY id DESC LIMIT 1",
		                 "ii", form_id, person_id);
	if (rc)
		return rc;
	rc = load_answer(db, a, st, out);
	return rc == JM_NOT_FOUND ? JM_OK : rc;
}

enum jm_rc forms_answer_person(struct db *db, struct arena *a, int64_t person_id, const char **name,
                               const char **email)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT name, coalesce(email, '') FROM people WHERE id = ?",
	                    "i", person_id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		*name = db_col_dup(st, 0, a);
		*email = db_col_dup(st, 1, a);
	}
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
}

enum jm_rc forms_answer_file(struct db *db, struct arena *a, int64_t id, const char **name,
                             const char **ctype, struct buf *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT name, ctype, data FROM answer_files WHERE id = ?", "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		*name = db_col_dup(st, 0, a);
		*ctype = db_col_dup(st, 1, a);
		rc = db_col_blob(st, 2, out);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}
