/*
 * forms.h — asks (読者への問いかけ), job posts (採用) and events
 * (セミナー・読者交流会): kinds of one form engine. The one module that
 * writes forms, form_fields, answers, answer_values, answer_files and
 * answer_notes (migration 0024).
 *
 * Files (issue 11; each part has one owner while it is being built):
 *   form.c      forms and their fields: create, get, update, delete, list,
 *               the rules of a form's definition (core/field.c's field
 *               engine, shared with the lists' sign-up fields)
 *   answer.c    answering: values checked against the fields, a person
 *               found or made through people/, verified or held for the
 *               mail confirmation, edited by its own reader until the form
 *               closes; per-recipient tokens ({{form:SLUG}})
 *   results.c   answers listed and filtered by any value, bulk actions
 *               (tag, untag, field, interaction, stage), CSV export
 *   event.c     seats and waitlist (taken in the order received, the race
 *               for the last seat), holds, cancellation and promotion,
 *               reminders, check-in, iCalendar (libical) and the 受付票 QR
 *   job.c       the pipeline (applied → … → hired | declined), notes and
 *               dates, the applicant's reader history
 *
 * No HTTP here: api/forms.c, admin/forms*.c and web/forms.c call these.
 * Functions run on the caller's connection; a function that needs a
 * transaction says so.
 */
#ifndef JM_FORMS_H
#define JM_FORMS_H

#include "core/core.h"

struct db;
struct arena;

enum forms_kind { FORMS_ASK, FORMS_JOB, FORMS_EVENT };

struct forms_field {
	const char *key, *label, *type; /* core/field.c's types */
	const char **options;           /* select, multi */
	size_t noptions;
	bool required;
};

/* The working conditions a job post must state (職業安定法). Every one is
 * required on a job post. */
struct forms_job {
	const char *duties, *contract_period, *workplace, *working_hours, *holidays, *wage,
	        *social_insurance, *smoking_measures;
};

struct forms_event {
	int64_t starts_at, ends_at; /* 0 = none */
	const char *venue, *online_url, *fee, *party_title;
	int64_t capacity, party_capacity, reminder_hours;
	bool waitlist;
};

struct forms_form {
	int64_t id;
	enum forms_kind kind;
	const char *slug, *title, *description, *thanks, *consent_text, *status;
	int64_t opens_at, closes_at;    /* 0 = no bound */
	int64_t max_answers_per_person; /* 0 = any number */
	int64_t list_id;                /* 0 = none */
	bool include_freeloaders;
	struct forms_event event;
	struct forms_job job;
	struct forms_field *fields;
	size_t nfields;
	int64_t created_at, updated_at;
	int64_t answers; /* count, in lists and gets */
};

const char *forms_kind_name(enum forms_kind k);
bool forms_kind_parse(const char *s, enum forms_kind *out);

/* ---- events: seats, waitlist, holds (event.c; helper "event") ---- */
#define FORMS_EVENT_HOLD      (24 * 3600) /* a stranger's seat waits this long for the mail click */
#define FORMS_EVENT_PARTY_KEY "party"     /* the checkbox field asking for the 懇親会 */

/* Locks the form's row for the rest of the caller's transaction
 * (PostgreSQL: SELECT … FOR UPDATE; SQLite: the write transaction is the
 * lock already). Call it FIRST in a registration's transaction, before the
 * answer row is inserted, so answers.id order is the order received.
 * JM_NOT_FOUND when the form is gone. */
enum jm_rc forms_event_lock(struct db *db, int64_t form_id) JM_WUR;
/* Places registration answer_id (a row of f, inserted by the caller with
 * status '' — or any status that is not an event's — in the same
 * transaction) and sets its status; *status (static) gets it:
 *   "confirmed"  a seat is free and nobody waits: taken now; when
 *                !verified it is held until now + FORMS_EVENT_HOLD
 *                (held_until), then released (forms_event_tick);
 *   "waitlisted" no seat: on the waitlist in the order received;
 *   "full"       no seat and f->event.waitlist is off: returns
 *                JM_CONFLICT, nothing changed — the caller rolls back and
 *                answers 409 with the catalog's forms.event.full_error ("満席…").
 * Called again (forms_answer_verify) for the same answer it keeps its
 * place: a held seat becomes a confirmed one (held_until NULL), a seat
 * whose hold ran out is placed anew. Capacity 0 = no limit. Seats are
 * counted over confirmed answers whose hold has not run out. When the form
 * has a 懇親会 (party_title) and the answer's FORMS_EVENT_PARTY_KEY value
 * says yes, answers.party is placed against party_capacity the same way
 * (waitlisted when full). When verified, the confirmation (iCalendar
 * invitation + 受付票 QR) or the waitlist mail is queued. Runs inside the
 * caller's write transaction (it locks the form itself too). */
enum jm_rc forms_event_place(struct db *db, const struct forms_form *f, int64_t answer_id,
                             bool verified, int64_t now, const char **status) JM_WUR;

/* Cancels registration answer_id (the registrant's own link): status
 * 'cancelled', its 懇親会 seat too, and the freed seats go to the head of
 * the waitlist, who is told by mail. A second cancel changes nothing
 * (JM_OK). JM_NOT_FOUND for an unknown answer. Own transaction. */
enum jm_rc forms_event_cancel(struct db *db, int64_t answer_id, int64_t now,
                              struct jm_err *err) JM_WUR;
/* The scheduler's duty (once across the cluster): holds past held_until
 * become 'expired' and their seats go to the waitlist (promoted people are
 * mailed); events within reminder_hours of starts_at mail their confirmed
 * attendees once (answers.reminded_at, then forms.reminded_at). Bounded
 * work per call; counts in *expired, *reminded. Own transactions. */
enum jm_rc forms_event_tick(struct db *db, int64_t now, int64_t *expired, int64_t *reminded) JM_WUR;

/* The registrant's own link token ("ID.SIG", /event/cancel?t=) and the
 * 受付票's check-in code ("JM-ID-SIG", in the QR code): HMACs of the
 * answer id with the signing secret. parse: true and *answer_id when the
 * signature holds (the code also typed by hand: blanks, lower case). */
#define FORMS_EVENT_TOKEN_LEN 56
#define FORMS_EVENT_CODE_LEN  40
void forms_event_token(const unsigned char secret[32], int64_t answer_id,
                       char out[FORMS_EVENT_TOKEN_LEN]);
bool forms_event_token_parse(const unsigned char secret[32], const char *token, int64_t *answer_id);
void forms_event_code(const unsigned char secret[32], int64_t answer_id,
                      char out[FORMS_EVENT_CODE_LEN]);
bool forms_event_code_parse(const unsigned char secret[32], const char *code, int64_t *answer_id);

/* Seats of an event: taken (confirmed, holds not run out), left (-1: no
 * limit), waiting (waitlisted), the 懇親会's taken. */
struct forms_event_seats {
	int64_t taken, left, waiting, party_taken;
};
enum jm_rc forms_event_seats(struct db *db, const struct forms_form *f, int64_t now,
                             struct forms_event_seats *out) JM_WUR;
/* "2026年12月20日 14:00〜16:00 (Asia/Tokyo)" in zone tz (en: ISO-like), in a. */
const char *forms_event_when(struct arena *a, const struct forms_form *f, const char *tz, bool en);

/* The event columns of form id (no fields; strings in a): JM_NOT_FOUND
 * unless it is an event. */
enum jm_rc forms_event_get(struct db *db, struct arena *a, int64_t id, struct forms_form *f) JM_WUR;

/* One registration with its event, for the registrant's own page. */
struct forms_registration {
	struct forms_form form; /* the event columns only (no fields) */
	int64_t answer_id, person_id;
	const char *status, *party, *name, *email; /* in the arena */
};
/* JM_NOT_FOUND when answer_id is not a registration of an event. */
enum jm_rc forms_event_registration(struct db *db, struct arena *a, int64_t answer_id,
                                    struct forms_registration *out) JM_WUR;

/* A confirmed registrant, for the check-in list. Strings in the arena. */
struct forms_attendee {
	int64_t answer_id, person_id, attended_at; /* attended_at 0 = not yet */
	const char *name, *email, *party, *stage;
	bool verified;
};
/* The confirmed registrants whose name or email contains q ("" = all),
 * not yet checked in first, at most 1000. */
enum jm_rc forms_event_attendees(struct db *db, struct arena *a, int64_t form_id, const char *q,
                                 struct forms_attendee **out, size_t *n) JM_WUR;
/* Checks answer_id in at form_id: attended_at = now and one interaction
 * "met at EVENT" (network/) on the person; *already when it was checked in
 * before (nothing changes). JM_NOT_FOUND (err) when it is not a confirmed
 * registration of this event. */
enum jm_rc forms_event_checkin(struct db *db, int64_t form_id, int64_t answer_id, int64_t now,
                               int64_t *person_id, bool *already, struct jm_err *err) JM_WUR;
/* The attendees who came and are at stage fan: the candidates the owner
 * reviews for 知り合い (acquaintance). */
enum jm_rc forms_event_fans(struct db *db, struct arena *a, int64_t form_id,
                            struct forms_attendee **out, size_t *n) JM_WUR;
/* Moves the ticked person_ids that are still candidates to acquaintance
 * (one all-or-nothing bulk change, network/); *moved counts them. Never
 * called but on the owner's reviewed submit. */
enum jm_rc forms_event_fans_apply(struct db *db, int64_t form_id, const int64_t *person_ids,
                                  size_t n, int64_t now, int64_t *moved, struct jm_err *err) JM_WUR;

#endif
