/*
 * interactions.c — what the owner did with a person: meetings, meals (会食),
 * calls, mails, messages, deals, referrals, help given and help received.
 *
 * Last contact: people.last_contact_at is the newest of the person's
 * interactions (happened_at, whatever the kind) and the owner's replies to
 * their messages (message_replies.created_at). A message they sent alone
 * is not contact. Adding an interaction raises it (never lowers it) in the
 * same transaction; deleting one recomputes it from what remains, so a
 * value that came from elsewhere (a CSV import's last_contact column) is
 * replaced by what the database knows.
 */
#include "network/network.h"

#include "db/db.h"
#include "people/people.h"

#define NOTE_MAX     5000
#define FUTURE_SLACK 86400 /* a day: time zones and "later today" */
#define PER_PAGE_DEF 20
#define PER_PAGE_MAX 200

static enum jm_rc check_text(const char *s, size_t max, const char *field, struct jm_err *err)
{
	size_t len = s ? strlen(s) : 0;
	if (len > max) {
		jm_err_set(err, field, "too long (at most %zu bytes)", max);
		return JM_INVALID;
	}
	if (s && (!utf8_valid(s, len) || utf8_has_controls(s, len))) {
		jm_err_set(err, field, "invalid characters");
		return JM_INVALID;
	}
	return JM_OK;
}

static enum jm_rc check_input(const struct net_interaction *in, int64_t now, struct jm_err *err)
{
	if (in->person_id <= 0) {
		jm_err_set(err, "person_id", "no such person");
		return JM_NOT_FOUND;
	}
	if (!net_interaction_kind_valid(in->kind)) {
		jm_err_set(err, "kind", "unknown kind of interaction");
		return JM_INVALID;
	}
	if (in->happened_at <= 0 || in->happened_at > now + FUTURE_SLACK) {
		jm_err_set(err, "happened_at", "the date is missing or in the future");
		return JM_INVALID;
	}
	if (in->has_amount && in->amount < 0) {
		jm_err_set(err, "amount", "the amount cannot be negative");
		return JM_INVALID;
	}
	return check_text(in->note, NOTE_MAX, "note", err);
}

static enum jm_rc insert_row(struct db *db, const struct net_interaction *in, int64_t now,
                             int64_t *id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "INSERT INTO interactions(person_id, kind, happened_at, note, "
	                            "amount, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
	                            "itit", in->person_id, in->kind, in->happened_at,
	                            in->note ? in->note : "");
	if (rc)
		return rc;
	if (in->has_amount)
		db_bind_int(st, 5, in->amount);
	else
		db_bind_null(st, 5);
	db_bind_int(st, 6, now);
	rc = db_step(st);
	if (rc == JM_OK && id)
		*id = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_DONE ? JM_DB : rc;
}

enum jm_rc net_interaction_add(struct db *db, const struct net_interaction *in, int64_t now,
                               int64_t *id, struct jm_err *err)
{
	enum jm_rc rc = check_input(in, now, err);
	if (rc)
		return rc;
	rc = db_begin(db);
	if (rc)
		return rc;
	/* The person row is touched first: no row means no such person. */
	rc = people_contact_at(db, in->person_id, in->happened_at);
	if (rc == JM_NOT_FOUND) {
		jm_err_set(err, "person_id", "no such person");
		rc = JM_NOT_FOUND;
	}
	if (rc == JM_OK)
		rc = insert_row(db, in, now, id);
	return db_end(db, rc);
}

enum jm_rc net_interactions_add_many(struct db *db, const struct net_interaction *in,
                                     const int64_t *ids, size_t n, int64_t now, struct jm_err *err)
{
	struct net_interaction one = *in;
	one.person_id = n ? ids[0] : 0;
	enum jm_rc rc = check_input(&one, now, err);
	if (rc)
		return rc;
	rc = db_begin(db);
	for (size_t i = 0; i < n && !rc; i++) {
		one.person_id = ids[i];
		rc = people_contact_at(db, one.person_id, one.happened_at);
		rc = rc ? rc : insert_row(db, &one, now, NULL);
	}
	rc = db_end(db, rc);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "ids", "no such person");
	return rc;
}

enum jm_rc net_interaction_delete(struct db *db, int64_t person_id, int64_t id)
{
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_execf(db, "DELETE FROM interactions WHERE id = ? AND person_id = ?", "ii", id,
	              person_id);
	if (rc == JM_OK && db_changes(db) == 0)
		rc = JM_NOT_FOUND;
	if (rc == JM_OK)
		rc = people_contact_recompute(db, person_id);
	return db_end(db, rc);
}

static enum jm_rc count_of(struct db *db, int64_t person_id, int64_t *total)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT (SELECT count(*) FROM interactions WHERE person_id = ?), "
	                    "EXISTS (SELECT 1 FROM people WHERE id = ?)",
	                    "ii", person_id, person_id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		*total = db_col_int(st, 0);
		rc = db_col_int(st, 1) ? JM_OK : JM_NOT_FOUND;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_DB : rc;
}

static void read_row(struct db_stmt *st, struct arena *a, struct net_interaction *it)
{
	it->id = db_col_int(st, 0);
	it->person_id = db_col_int(st, 1);
	it->kind = db_col_dup(st, 2, a);
	it->happened_at = db_col_int(st, 3);
	it->note = db_col_dup(st, 4, a);
	it->has_amount = !db_col_null(st, 5);
	it->amount = db_col_int(st, 5);
	it->created_at = db_col_int(st, 6);
}

enum jm_rc net_interaction_list(struct db *db, struct arena *a, int64_t person_id, int page,
                                int per_page, struct net_interaction **out, size_t *n,
                                int64_t *total)
{
	per_page = per_page < 1 ? PER_PAGE_DEF : per_page > PER_PAGE_MAX ? PER_PAGE_MAX : per_page;
	page = page < 1 ? 1 : page;
	*n = 0;
	*out = arena_calloc(a, (size_t)per_page * sizeof(**out));
	enum jm_rc rc = count_of(db, person_id, total);
	if (rc)
		return rc;
	struct db_stmt *st = NULL;
	rc = db_preparef(db, &st,
	                 "SELECT id, person_id, kind, happened_at, note, amount, created_at "
	                 "FROM interactions WHERE person_id = ? "
	                 "ORDER BY happened_at DESC, id DESC LIMIT ? OFFSET ?",
	                 "iii", person_id, (int64_t)per_page, (int64_t)(page - 1) * per_page);
	if (rc)
		return rc;
	while (*n < (size_t)per_page && (rc = db_step(st)) == JM_OK)
		read_row(st, a, &(*out)[(*n)++]);
	db_finalize(st);
	return rc == JM_DONE || rc == JM_OK ? JM_OK : rc;
}
