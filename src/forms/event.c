/*
 * event.c — the seats of an event (セミナー・読者交流会): placement in the
 * order received, the waitlist, holds of unverified registrations,
 * cancellation and promotion, the 懇親会 part with its own capacity.
 *
 * Invariants (every function here runs inside the caller's write
 * transaction and first locks the form's row, forms_event_lock):
 *   - The seats taken are the answers with status 'confirmed' whose hold
 *     has not run out (held_until NULL — verified — or later than now).
 *     Their number never exceeds the capacity (0 = no limit).
 *   - Registrations are placed one at a time under the lock, so answers.id
 *     order (the ids are handed out under the same lock when the caller
 *     locks before inserting) is the order received: a seat goes to the
 *     earlier one, and the waitlist is ordered by id.
 *   - A seat is only given from the waitlist's head (promotion), and never
 *     to a newcomer while someone waits.
 * PostgreSQL runs READ COMMITTED: the row lock (SELECT … FOR UPDATE) is
 * what serialises two registrations; SQLite's BEGIN IMMEDIATE already
 * holds the one writer lock.
 *
 * Mails (confirmation with the invitation, waitlisted, promoted) are
 * queued by event_mail.c in the same transaction.
 */
#include "forms/event_int.h"

#include <string.h>

#include "db/db.h"

enum jm_rc forms_event_lock(struct db *db, int64_t form_id)
{
	int64_t id = 0;
	/* SQLite has no FOR UPDATE: its write transaction is the lock. */
	enum jm_rc rc = db_query_int(db, &id, 0,
	                             DB_SQL(db, "SELECT id FROM forms WHERE id = ?",
	                                    "SELECT id FROM forms WHERE id = ? FOR UPDATE"),
	                             "i", form_id);
	if (rc)
		return rc;
	return id ? JM_OK : JM_NOT_FOUND;
}

/* Seats taken apart from answer `self`; party: the 懇親会 seats. */
static enum jm_rc seats_taken(struct db *db, int64_t form_id, int64_t self, bool party, int64_t now,
                              int64_t *out)
{
	return db_query_int(db, out, 0,
	                    party ? "SELECT count(*) FROM answers WHERE form_id = ? AND id <> ? "
	                            "AND status = 'confirmed' AND party = 'confirmed' "
	                            "AND (held_until IS NULL OR held_until > ?)"
	                          : "SELECT count(*) FROM answers WHERE form_id = ? AND id <> ? "
	                            "AND status = 'confirmed' "
	                            "AND (held_until IS NULL OR held_until > ?)",
	                    "iii", form_id, self, now);
}

/* How many wait before answer id (0 when nobody), which is being placed
 * anew: everyone waiting is before it (a new answer is the newest; one
 * placed again after its hold ran out joins the back). */
static enum jm_rc waiting_before(struct db *db, int64_t form_id, int64_t id, int64_t *out)
{
	return db_query_int(db, out, 0,
	                    "SELECT count(*) FROM answers WHERE form_id = ? AND id <> ? "
	                    "AND status = 'waitlisted'",
	                    "ii", form_id, id);
}

enum jm_rc event_answer_load(struct db *db, int64_t answer_id, struct event_answer *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT form_id, person_id, status, verified, held_until, party "
	                    "FROM answers WHERE id = ?",
	                    "i", answer_id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		memset(out, 0, sizeof(*out));
		out->id = answer_id;
		out->form_id = db_col_int(st, 0);
		out->person_id = db_col_int(st, 1);
		snprintf(out->status, sizeof(out->status), "%s", db_col_text(st, 2, NULL));
		out->verified = db_col_int(st, 3) != 0;
		out->held_until = db_col_null(st, 4) ? 0 : db_col_int(st, 4);
		snprintf(out->party, sizeof(out->party), "%s", db_col_text(st, 5, NULL));
	} else if (rc == JM_DONE)
		rc = JM_NOT_FOUND;
	db_finalize(st);
	return rc;
}

enum jm_rc event_set_status(struct db *db, int64_t answer_id, const char *status,
                            int64_t held_until, int64_t now)
{
	/* Joining the waitlist takes the form's next place (0030); the caller
	 * holds the form's lock. */
	return db_execf(db,
	                "UPDATE answers SET status = ?, held_until = NULLIF(?, 0), "
	                "status_at = CASE WHEN status = ? THEN status_at ELSE ? END, "
	                "queue_pos = CASE WHEN status <> 'waitlisted' AND ? = 1 THEN "
	                "(SELECT COALESCE(max(q.queue_pos), 0) + 1 FROM answers q "
	                "WHERE q.form_id = answers.form_id) ELSE queue_pos END, "
	                "updated_at = ? WHERE id = ?",
	                "titiiii", status, held_until, status, now,
	                (int64_t)(strcmp(status, "waitlisted") == 0), now, answer_id);
}

/* Whether the registrant asked for the 懇親会: the form's checkbox field
 * `party` (FORMS_EVENT_PARTY_KEY) holds a yes. */
static enum jm_rc party_wanted(struct db *db, int64_t answer_id, bool *out)
{
	int64_t n = 0;
	enum jm_rc rc =
	        db_query_int(db, &n, 0,
	                     "SELECT count(*) FROM answer_values WHERE answer_id = ? "
	                     "AND key = '" FORMS_EVENT_PARTY_KEY "' AND value <> '' "
	                     "AND lower(value) NOT IN ('0', 'no', 'false', 'off', 'いいえ')",
	                     "i", answer_id);
	*out = n > 0;
	return rc;
}

/* Places the 懇親会 part of a confirmed or waitlisted registration: a
 * party seat while the party's capacity (0 = no limit) allows and the main
 * seat is confirmed, else the party's waitlist. */
enum jm_rc event_party_place(struct db *db, const struct forms_form *f, int64_t answer_id,
                             const char *status, int64_t now)
{
	bool want = false;
	enum jm_rc rc;
	if (!f->event.party_title || !*f->event.party_title)
		return JM_OK;
	if ((rc = party_wanted(db, answer_id, &want)) || !want)
		return rc;
	const char *party = "waitlisted";
	if (!strcmp(status, "confirmed")) {
		int64_t taken = 0;
		if ((rc = seats_taken(db, f->id, answer_id, true, now, &taken)))
			return rc;
		if (f->event.party_capacity <= 0 || taken < f->event.party_capacity)
			party = "confirmed";
	}
	return db_execf(db, "UPDATE answers SET party = ? WHERE id = ?", "ti", party, answer_id);
}

/* A fresh placement: a seat when one is free and nobody waits before,
 * else the waitlist, else JM_CONFLICT (full, no waitlist). */
static enum jm_rc place_new(struct db *db, const struct forms_form *f, int64_t answer_id,
                            bool verified, int64_t now, const char **status)
{
	int64_t taken = 0, before = 0;
	enum jm_rc rc = seats_taken(db, f->id, answer_id, false, now, &taken);
	if (!rc)
		rc = waiting_before(db, f->id, answer_id, &before);
	if (rc)
		return rc;
	bool free_seat = f->event.capacity <= 0 || taken < f->event.capacity;
	if (free_seat && before == 0) {
		*status = "confirmed";
		return event_set_status(db, answer_id, "confirmed",
		                        verified ? 0 : now + FORMS_EVENT_HOLD, now);
	}
	if (!f->event.waitlist) {
		*status = "full";
		return JM_CONFLICT;
	}
	/* A stranger's place on the waitlist is marked unconfirmed the same
	 * way (held_until), so their mail click is news worth a mail. */
	*status = "waitlisted";
	return event_set_status(db, answer_id, "waitlisted", verified ? 0 : now + FORMS_EVENT_HOLD,
	                        now);
}

/* What a registration's current state means for a new call of place:
 * true when it keeps its place (*status set), false when it is placed
 * anew (new, expired, or a hold that ran out before the mail was
 * confirmed and whose seat is taken meanwhile). */
static enum jm_rc place_keep(struct db *db, const struct forms_form *f,
                             const struct event_answer *a, bool verified, int64_t now,
                             const char **status, bool *keep)
{
	*keep = false;
	if (!strcmp(a->status, "cancelled")) {
		*status = "cancelled";
		*keep = true;
		return JM_OK;
	}
	if (!strcmp(a->status, "waitlisted")) {
		*status = "waitlisted";
		*keep = true;
		return verified && a->held_until ? event_set_status(db, a->id, "waitlisted", 0, now)
		                                 : JM_OK;
	}
	if (strcmp(a->status, "confirmed") != 0)
		return JM_OK;
	if (a->held_until && a->held_until <= now) {
		int64_t taken = 0;
		enum jm_rc rc = seats_taken(db, f->id, a->id, false, now, &taken);
		if (rc || (f->event.capacity > 0 && taken >= f->event.capacity))
			return rc;
	}
	*status = "confirmed";
	*keep = true;
	int64_t held = verified ? 0 : a->held_until > now ? a->held_until : now + FORMS_EVENT_HOLD;
	return event_set_status(db, a->id, "confirmed", held, now);
}

enum jm_rc forms_event_place(struct db *db, const struct forms_form *f, int64_t answer_id,
                             bool verified, int64_t now, const char **status)
{
	struct event_answer a;
	bool keep = false;
	*status = "";
	if (f->kind != FORMS_EVENT)
		return JM_INVALID;
	enum jm_rc rc = forms_event_lock(db, f->id);
	if (!rc)
		rc = event_answer_load(db, answer_id, &a);
	if (!rc && a.form_id != f->id)
		rc = JM_INVALID;
	if (rc)
		return rc;
	rc = place_keep(db, f, &a, verified, now, status, &keep);
	if (!rc && !keep)
		rc = place_new(db, f, answer_id, verified, now, status);
	if (!rc && strcmp(*status, "cancelled") != 0 && !a.party[0])
		rc = event_party_place(db, f, answer_id, *status, now);
	/* A verified registrant hears of their place once: the confirmation
	 * (with the invitation) or the waitlist number — when the place is
	 * new, or when their mail confirmation turns a hold into a seat. */
	bool news = strcmp(a.status, *status) != 0 || !a.verified || a.held_until;
	if (!rc && verified && news && strcmp(*status, "cancelled") != 0)
		rc = event_mail_placed(db, f, answer_id, *status, now);
	return rc;
}

/* ---- promotion, cancellation, expiry ---- */

/* The waitlist's head, 0 when nobody waits. */
static enum jm_rc waitlist_head(struct db *db, int64_t form_id, int64_t *id)
{
	return db_query_int(db, id, 0,
	                    "SELECT id FROM answers WHERE form_id = ? AND status = 'waitlisted' "
	                    "ORDER BY queue_pos, id LIMIT 1",
	                    "i", form_id);
}

/* Gives every free seat to the waitlist's head, one by one; each promoted
 * registrant is told by mail (a stranger's promoted seat is held like a
 * new one). Under the form's lock. *n (may be NULL) counts promotions. */
static enum jm_rc promote(struct db *db, const struct forms_form *f, int64_t now, int64_t *n)
{
	for (;;) {
		int64_t taken = 0, head = 0;
		struct event_answer a;
		enum jm_rc rc = seats_taken(db, f->id, 0, false, now, &taken);
		if (!rc && f->event.capacity > 0 && taken >= f->event.capacity)
			return JM_OK;
		if (!rc)
			rc = waitlist_head(db, f->id, &head);
		if (rc || !head)
			return rc;
		if ((rc = event_answer_load(db, head, &a)))
			return rc;
		rc = event_set_status(db, head, "confirmed",
		                      a.verified ? 0 : now + FORMS_EVENT_HOLD, now);
		if (!rc && !strcmp(a.party, "waitlisted"))
			rc = db_execf(db, "UPDATE answers SET party = '' WHERE id = ?", "i", head);
		if (!rc)
			rc = event_party_place(db, f, head, "confirmed", now);
		if (!rc && a.verified)
			rc = event_mail_placed(db, f, head, "promoted", now);
		if (rc)
			return rc;
		if (n)
			(*n)++;
	}
}

/* Gives free 懇親会 seats to confirmed registrants waiting for one. */
static enum jm_rc promote_party(struct db *db, const struct forms_form *f, int64_t now)
{
	if (!f->event.party_title || !*f->event.party_title)
		return JM_OK;
	for (;;) {
		int64_t taken = 0, head = 0;
		enum jm_rc rc = seats_taken(db, f->id, 0, true, now, &taken);
		if (rc || (f->event.party_capacity > 0 && taken >= f->event.party_capacity))
			return rc;
		rc = db_query_int(
		        db, &head, 0,
		        "SELECT id FROM answers WHERE form_id = ? AND status = 'confirmed' "
		        "AND party = 'waitlisted' ORDER BY id LIMIT 1",
		        "i", f->id);
		if (rc || !head)
			return rc;
		rc = db_execf(db, "UPDATE answers SET party = 'confirmed' WHERE id = ?", "i", head);
		if (rc)
			return rc;
	}
}

enum jm_rc forms_event_cancel(struct db *db, int64_t answer_id, int64_t now, struct jm_err *err)
{
	struct arena *ar = arena_new(4096);
	struct forms_form f;
	struct event_answer a;
	enum jm_rc rc = event_answer_load(db, answer_id, &a);
	if (!rc)
		rc = forms_event_get(db, ar, a.form_id, &f);
	if (rc) {
		jm_err_set(err, "answer", "no such registration");
		goto out;
	}
	if ((rc = db_begin(db)))
		goto out;
	rc = forms_event_lock(db, f.id);
	if (!rc)
		rc = event_answer_load(db, answer_id, &a);
	if (!rc && !strcmp(a.status, "cancelled"))
		rc = JM_DONE; /* cancelled before: nothing changes */
	if (!rc)
		rc = event_set_status(db, answer_id, "cancelled", 0, now);
	if (!rc)
		rc = db_execf(db,
		              "UPDATE answers SET party = CASE WHEN party = '' THEN '' "
		              "ELSE 'cancelled' END WHERE id = ?",
		              "i", answer_id);
	if (!rc)
		rc = promote(db, &f, now, NULL);
	if (!rc)
		rc = promote_party(db, &f, now);
	rc = db_end(db, rc == JM_DONE ? JM_OK : rc);
out:
	arena_free(ar);
	return rc;
}

/* Releases the holds of one form that ran out, then fills the seats. */
static enum jm_rc expire_form(struct db *db, int64_t form_id, int64_t now, int64_t *n)
{
	struct arena *ar = arena_new(4096);
	struct forms_form f;
	enum jm_rc rc = forms_event_get(db, ar, form_id, &f);
	if (rc)
		goto out;
	if ((rc = db_begin(db)))
		goto out;
	rc = forms_event_lock(db, form_id);
	if (!rc)
		rc = db_execf(
		        db,
		        "UPDATE answers SET status = 'expired', status_at = ?, updated_at = ?, "
		        "party = CASE WHEN party = '' THEN '' ELSE 'cancelled' END "
		        "WHERE form_id = ? AND status = 'confirmed' AND verified = 0 "
		        "AND held_until IS NOT NULL AND held_until <= ?",
		        "iiii", now, now, form_id, now);
	if (!rc)
		*n += db_changes(db);
	if (!rc)
		rc = promote(db, &f, now, NULL);
	if (!rc)
		rc = promote_party(db, &f, now);
	rc = db_end(db, rc);
out:
	arena_free(ar);
	return rc;
}

/* The ids of event forms with a hold that ran out (at most max). */
static enum jm_rc forms_with(struct db *db, const char *sql, int64_t now, int64_t *ids, size_t max,
                             size_t *n)
{
	struct db_stmt *st = NULL;
	*n = 0;
	enum jm_rc rc = db_preparef(db, &st, sql, "ii", now, (int64_t)max);
	while (!rc && (rc = db_step(st)) == JM_OK)
		ids[(*n)++] = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc forms_event_tick(struct db *db, int64_t now, int64_t *expired, int64_t *reminded)
{
	int64_t ids[32];
	size_t n = 0;
	*expired = *reminded = 0;
	enum jm_rc rc = forms_with(db,
	                           "SELECT DISTINCT a.form_id FROM answers a "
	                           "JOIN forms f ON f.id = a.form_id AND f.kind = 'event' "
	                           "WHERE a.status = 'confirmed' AND a.verified = 0 "
	                           "AND a.held_until IS NOT NULL AND a.held_until <= ? "
	                           "ORDER BY a.form_id LIMIT ?",
	                           now, ids, 32, &n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = expire_form(db, ids[i], now, expired);
	if (!rc)
		rc = forms_with(db,
		                "SELECT id FROM forms WHERE kind = 'event' AND reminder_hours > 0 "
		                "AND reminded_at IS NULL AND starts_at IS NOT NULL "
		                "AND starts_at - reminder_hours * 3600 <= ?1 AND starts_at > ?1 "
		                "ORDER BY id LIMIT ?2",
		                now, ids, 32, &n);
	for (size_t i = 0; !rc && i < n; i++)
		rc = event_remind_form(db, ids[i], now, reminded);
	return rc;
}
