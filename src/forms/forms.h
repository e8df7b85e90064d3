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
	int64_t answers; /* verified answers only (a stranger's once confirmed) */
};

/* ---- answering (answer.c; answer) ----
 * A reader answers a form on its public page (web/forms.c). Two ways in:
 *   - from a mail link: {{form:SLUG}} in a broadcast is that reader's own
 *     URL /forms/SLUG?t=TOKEN (forms_token_make); the answer is theirs,
 *     verified at once, and they may see and edit it until the form closes;
 *   - anyone else gives a name and an email: the person is found or made
 *     (people_ensure, never renaming anyone), the answer is stored
 *     unverified — not on their timeline, not counted, changing nothing on
 *     the person — and a link to confirm it is mailed to the address
 *     (forms_answer_verify), as a sign-up is confirmed.
 * A verified answer is a "form_answer" event on the person's timeline and
 * counts in the engagement score (network/score.c). */
#define FORMS_FILE_MAX      (10 << 20)  /* bytes of one uploaded file */
#define FORMS_VALUES_MAX    1000        /* values of one answer (a multi's options each) */
#define FORMS_NAME_MAX      100         /* bytes of a stranger's name */
#define FORMS_TOKEN_MAX     160         /* a token with its NUL */
#define FORMS_CONFIRM_TTL   (7 * 86400) /* the mailed confirmation link */
#define FORMS_MIN_FILL      3           /* seconds: a form sent faster is a bot */
#define FORMS_STAMP_MAX     86400       /* a page older than a day must be reloaded */
#define FORMS_STAMP_PURPOSE "forms"     /* of the page's auth stamp */
#define FORMS_PER_IP_HOUR   30          /* answers per IP per hour (setting forms_per_ip_hour) */
#define FORMS_PER_EMAIL_DAY 10          /* answers per address per day (forms_per_email_day) */

/* The per-recipient token of form slug for person_id (never expires; a
 * token of one form never passes another's check). */
void forms_token_make(const unsigned char secret[32], const char *slug, int64_t person_id,
                      char out[FORMS_TOKEN_MAX]);
/* *person_id of token for slug: JM_INVALID when it is malformed, altered,
 * or made for another form. Says nothing of whether the person exists. */
enum jm_rc forms_token_parse(const unsigned char secret[32], const char *slug, const char *token,
                             int64_t *person_id) JM_WUR;

/* One value as given: a multi field gives one per chosen option. */
struct forms_value {
	const char *key, *value;
};
/* One uploaded file of a file field. */
struct forms_upload {
	const char *key;  /* the field */
	const char *name; /* as sent (untrusted: kept as the download's name only) */
	const char *data; /* the bytes, or NULL with path (a spooled upload) */
	size_t len;
	const char *path;
};
struct forms_answer_in {
	/* A reader from their token (forms_token_parse): verified at once. 0:
	 * a stranger, who gives name and email. */
	int64_t person_id;
	int64_t answer_id; /* with person_id: edit this answer of theirs; 0 = a new one */
	const char *name, *email;
	const struct forms_value *values;
	size_t nvalues;
	const struct forms_upload *files;
	size_t nfiles;
	bool consent; /* the consent box (required when the form has consent_text) */
	/* The public page's defences (web/forms.c): the hidden honeypot must be
	 * empty, the page's signed stamp (purpose FORMS_STAMP_PURPOSE) at
	 * least FORMS_MIN_FILL seconds and at most a day old and single use,
	 * and the per-IP and per-address limits (auth/ratelimit.c keys
	 * "form-ip:", "form-email:"). Off for trusted callers. */
	bool public_form;
	const char *honeypot, *stamp, *ip;
	const unsigned char *secret; /* signs stamps and links (required) */
	const char *base_url;        /* of the confirmation link; NULL = setting base_url */
};
/* One refusal of an answer's input, for the page to show beside its
 * field: key is the field's key or "name", "email", "consent", "form";
 * code is core/field.c's (jm_field_value_code) or "unknown_field",
 * "file_type", "file_large"; msg English. */
struct forms_answer_error {
	const char *key, *code, *msg;
};
/* Every refusal of in's values, name, email and consent against form f,
 * without the database: *errs (arena) gets them, *n how many (0 = fine). */
void forms_answer_check(struct arena *a, const struct forms_form *f,
                        const struct forms_answer_in *in, struct forms_answer_error **errs,
                        size_t *n);
/* Stores an answer of in to form f (as forms_get* loaded it) in one
 * transaction, *answer_id = its id. Refusals (nothing stored, err names
 * the key as forms_answer_check does): JM_INVALID for input and the bot
 * checks ("honeypot", "stamp", "stamp_fast", "stamp_old", "stamp_used");
 * JM_TOO_LARGE for a file past FORMS_FILE_MAX; JM_CONFLICT "form" when
 * the form is closed or not open yet, "answer" when the person has
 * max_answers_per_person answers already (decided under a lock on the
 * form's row, so two at once never both pass), "full" for an event full
 * without a waitlist; JM_FORBIDDEN "answer" to edit an answer that is
 * not the person's; JM_RATE_LIMITED "ip" or "email". Status by kind: ask
 * 'received', job 'applied', event as forms_event_place places it (in
 * the same transaction). An edit replaces the values (a file field left
 * empty keeps its file) and verifies an unverified answer. */
enum jm_rc forms_answer_submit(struct db *db, const struct forms_form *f,
                               const struct forms_answer_in *in, int64_t now, int64_t *answer_id,
                               struct jm_err *err) JM_WUR;
/* The link mailed to confirm answer_id: a token for forms_answer_verify. */
void forms_confirm_token(const unsigned char secret[32], int64_t answer_id, int64_t now,
                         char out[FORMS_TOKEN_MAX]);
/* Confirms the answer of a mailed link: verified, on the timeline, in the
 * score; an event's registration is placed again (a held seat becomes a
 * seat). *answer_id gets it. JM_OK also when it was confirmed before;
 * JM_INVALID for a link that is not ours, JM_NOT_FOUND when it expired
 * or the answer is gone, JM_CONFLICT "full" as forms_answer_submit. */
enum jm_rc forms_answer_verify(struct db *db, const unsigned char secret[32], const char *token,
                               int64_t now, int64_t *answer_id, struct jm_err *err) JM_WUR;
/* One answer with its values (in field order, as stored). */
struct forms_answer {
	int64_t id, form_id, person_id;
	const char *status;
	bool verified;
	int64_t created_at, updated_at;
	struct forms_value *values;
	size_t nvalues;
};
/* Answer id in arena a: JM_NOT_FOUND when there is none. */
enum jm_rc forms_answer_get(struct db *db, struct arena *a, int64_t id,
                            struct forms_answer **out) JM_WUR;
/* The person's newest answer to form_id that is not cancelled or expired
 * (*out NULL when none), and *count how many such they have. */
enum jm_rc forms_answer_mine(struct db *db, struct arena *a, int64_t form_id, int64_t person_id,
                             struct forms_answer **out, int64_t *count) JM_WUR;
/* The name and email of person_id (arena): JM_NOT_FOUND when gone. */
enum jm_rc forms_answer_person(struct db *db, struct arena *a, int64_t person_id, const char **name,
                               const char **email) JM_WUR;
/* A file of an answer, for staff (admin/forms/files/{id}): name, type,
 * bytes into out (cap FORMS_FILE_MAX). JM_NOT_FOUND. */
enum jm_rc forms_answer_file(struct db *db, struct arena *a, int64_t id, const char **name,
                             const char **ctype, struct buf *out) JM_WUR;

const char *forms_kind_name(enum forms_kind k);
bool forms_kind_parse(const char *s, enum forms_kind *out);

/* ---- forms and their fields (form.c; formcore) ----
 * The definition rules, checked by forms_create and forms_update alike
 * (admin, API and CLI refuse the same forms), each failure JM_INVALID with
 * err naming the field (the 0024 column name, "fields" for the fields):
 *   kind ask|job|event; slug core/slug.c's rule, 1..FORMS_SLUG_MAX bytes
 *   (derived from the title when empty on create; JM_CONFLICT "slug" when
 *   taken); title 1..200 bytes on one line; description, thanks,
 *   consent_text bounded Markdown; status open|closed; opens_at < closes_at
 *   when both are set; max_answers_per_person >= 0; list_id 0 or an
 *   existing list; fields: core/field.h's definitions, at most
 *   FORMS_FIELDS_MAX, no key twice.
 *   event: starts_at required, ends_at 0 or >= starts_at, capacity,
 *   party_capacity, reminder_hours >= 0, online_url "" or http(s);
 *   other kinds: no event values.
 *   job: all eight working conditions required; other kinds: none.
 * Changing the kind of a form that has answers: JM_CONFLICT "kind". */
#define FORMS_SLUG_MAX   100
#define FORMS_FIELDS_MAX 100
#define FORMS_TITLE_MAX  200

/* Creates the form in (in->id, created_at, updated_at, answers ignored;
 * NULL strings read as ""; status NULL = "open") and its fields in one
 * transaction: *id = the new form's id. Nothing is stored on failure. */
enum jm_rc forms_create(struct db *db, const struct forms_form *in, int64_t now, int64_t *id,
                        struct jm_err *err) JM_WUR;
/* The form with its fields (in position order) and answer count, in
 * arena a: JM_NOT_FOUND when there is none. */
enum jm_rc forms_get(struct db *db, struct arena *a, int64_t id, struct forms_form **out) JM_WUR;
enum jm_rc forms_get_slug(struct db *db, struct arena *a, const char *slug,
                          struct forms_form **out) JM_WUR;
/* Replaces the whole definition of form id with in (fields included: a
 * PATCH reads the form, overlays what it was given and calls this), under
 * the same rules as forms_create. Answers keep their values (they are
 * keyed by field key). JM_NOT_FOUND, JM_INVALID, JM_CONFLICT. */
enum jm_rc forms_update(struct db *db, int64_t id, const struct forms_form *in, int64_t now,
                        struct jm_err *err) JM_WUR;
/* Deletes the form with its fields and answers (ON DELETE CASCADE):
 * JM_NOT_FOUND when there is none. */
enum jm_rc forms_delete(struct db *db, int64_t id) JM_WUR;

/* forms_list's filter: kind NULL = every kind, status NULL = both. */
struct forms_list_q {
	const char *kind, *status;
	int page, per_page; /* 1-based; per_page <= 100 */
};
/* Newest first (created_at, id), without their fields (nfields 0) but
 * with answer counts; *total = matching forms. Arena-owned. */
enum jm_rc forms_list(struct db *db, struct arena *a, const struct forms_list_q *q,
                      struct forms_form **items, size_t *n, int64_t *total) JM_WUR;
/* Whether form f takes answers at now: FORMS_OPEN when its status is
 * "open" and opens_at <= now < closes_at (an unset bound is no bound);
 * else why not — the one rule for the public page, answering, and editing
 * one's answer "until the form closes". */
enum forms_open { FORMS_OPEN, FORMS_CLOSED, FORMS_NOT_YET, FORMS_ENDED };
enum forms_open forms_open_at(const struct forms_form *f, int64_t now);
/* The form's fields as the field engine sees them (one struct jm_field
 * per forms_field, same order), for checking values: arena-owned. */
struct jm_field;
struct jm_field *forms_fields_engine(struct arena *a, const struct forms_form *f);
/* ---- job posts (job.c; helper "job") ----
 * The pipeline of an application: applied → screening → interview →
 * offer → hired | declined. A move goes forward any number of steps
 * (applied → interview skips screening), "declined" is reachable from every
 * status but the two final ones, and hired and declined are final: no move
 * leaves them (an application declined by mistake is reopened by hand in
 * the data, not by the API). Every status change and every note is an
 * answer_notes row, newest last. */
#define FORMS_JOB_STATUSES   6
#define FORMS_JOB_CONDITIONS 8
#define FORMS_NOTE_MAX       10000 /* bytes of one note */

/* The statuses in pipeline order (applied … hired, declined). */
extern const char *const forms_job_statuses[FORMS_JOB_STATUSES];
bool forms_job_status_ok(const char *s);
/* True when an application may move from → to under the rules above. */
bool forms_job_move_ok(const char *from, const char *to);

/* Sets the status of answer_id (a job post's application) and/or adds a
 * note: status NULL or "" = the status stays; note NULL or "" = no text; at
 * (Unix seconds, 0 = none) the date the note is about (an interview on
 * 12/10 14:00); user_id the staff member (0 = none). One answer_notes row
 * records it (status set only when it changed). The same status again is
 * no change, not an error. Its own transaction.
 * JM_NOT_FOUND: no such answer. JM_INVALID (err names "status", "note" or
 * "at"): an unknown status, a status on an answer that is not a job
 * application, a note over FORMS_NOTE_MAX or not UTF-8, nothing at all to
 * do. JM_CONFLICT (field "status"): a move the pipeline does not allow. */
enum jm_rc forms_answer_set_status(struct db *db, int64_t answer_id, const char *status,
                                   const char *note, int64_t at, int64_t user_id, int64_t now,
                                   struct jm_err *err) JM_WUR;

/* One condition of a job post: the column's name (duties, …) and value. */
struct forms_job_row {
	const char *key, *value;
};
/* The eight conditions of f in the order the law lists them. */
void forms_job_rows(const struct forms_form *f, struct forms_job_row out[FORMS_JOB_CONDITIONS]);
/* The label of a condition in the reader's language ("業務内容") for a key
 * of forms_job_row, or "apply" (the line before the link): the caller's
 * catalog, so this module needs no view. */
typedef const char *(*forms_label_fn)(const char *key, void *user);
/* The announcement of a job post to a list: a draft broadcast (the mail
 * magazine's nl_broadcast_create) to list_id (0 = the form's list_id) with
 * the title as subject and a body of the description, the conditions
 * ("**label**: value", labels from label) and the reader's personal link
 * ({{form:SLUG}}). The owner reviews and sends it from the broadcasts.
 * JM_INVALID (field "list_id") when there is no list; the broadcast's own
 * errors as nl_broadcast_create gives them. */
enum jm_rc forms_job_announce(struct db *db, const struct forms_form *f, int64_t list_id,
                              forms_label_fn label, void *user, int64_t *broadcast_id,
                              struct jm_err *err) JM_WUR;

struct forms_job_value {
	const char *key, *value; /* a multi field: one per chosen option */
};
struct forms_job_file {
	int64_t id, bytes;
	const char *name, *ctype;
};
struct forms_job_note {
	int64_t id, user_id, at, created_at; /* at: 0 = none */
	const char *user_name, *status, *body;
};
/* An application as the board and the applicant card show it. */
struct forms_applicant {
	int64_t id, form_id, person_id, message_id; /* message_id: the mail thread, 0 = none */
	const char *name, *email, *status;
	bool verified;
	int64_t created_at, status_at;
	struct forms_job_value *values; /* by field position, then value */
	size_t nvalues;
	/* forms_job_applicant only: */
	struct forms_job_file *files;
	size_t nfiles;
	struct forms_job_note *notes; /* oldest first */
	size_t nnotes;
};
/* Every application of form_id (at most FORMS_BOARD_MAX, newest first)
 * with its values, into arena arrays. */
#define FORMS_BOARD_MAX 500
enum jm_rc forms_job_board(struct db *db, struct arena *a, int64_t form_id,
                           struct forms_applicant **out, size_t *n) JM_WUR;
/* One application of form_id with values, files and notes. JM_NOT_FOUND
 * when answer_id is not an answer of form_id. */
enum jm_rc forms_job_applicant(struct db *db, struct arena *a, int64_t form_id, int64_t answer_id,
                               struct forms_applicant *out) JM_WUR;
/* A person's history as a reader, for the applicant card: newest first,
 * at most FORMS_HISTORY_MAX of each; the counts are of all. */
#define FORMS_HISTORY_MAX 20
struct forms_history_item {
	int64_t id, at;
	const char *title;
};
struct forms_history {
	int64_t subscribed_since; /* the first active subscription's start, 0 = none */
	struct forms_history_item *broadcasts, *messages, *replies, *asks, *events;
	size_t nbroadcasts, nmessages, nreplies, nasks, nevents;
	int64_t broadcasts_total, messages_total, replies_total, asks_total, events_total;
};
/* broadcasts: deliveries of a broadcast sent to them; messages: what they
 * wrote in (threads the owner started are not theirs); replies: the
 * owner's mails to them; asks: their verified answers to asks; events:
 * events they attended (checked in). */
enum jm_rc forms_job_history(struct db *db, struct arena *a, int64_t person_id,
                             struct forms_history *out) JM_WUR;

/* Mails the applicant answer_id from the owner, threaded: the first mail
 * makes the application a thread in the inbox (inbox_thread_start, subject
 * the form's title, body the application's values), every mail goes out
 * through inbox_reply_send (In-Reply-To and References, the delivery
 * queue, the timeline, last contact). subject "" = "Re: " + the title;
 * base_url (NULL = the setting) names the Message-IDs' host.
 * JM_NOT_FOUND: no such answer of form_id; JM_INVALID as inbox_reply_send
 * (field "subject" or "body"). */
enum jm_rc forms_job_mail(struct db *db, int64_t form_id, int64_t answer_id, int64_t user_id,
                          const char *subject, const char *body, const char *base_url, int64_t now,
                          int64_t *reply_id, struct jm_err *err) JM_WUR;

/* Closes the job post form_id: status "closed", so it takes no new
 * application (the public page says so). JM_NOT_FOUND when it is no job
 * post. */
enum jm_rc forms_job_close(struct db *db, int64_t form_id, int64_t now, struct jm_err *err) JM_WUR;

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
 *   "waitlisted" no seat: on the waitlist in the order received (a
 *                stranger's place is marked unconfirmed with held_until
 *                too; it does not expire, and the mail click clears it);
 *   "full"       no seat and f->event.waitlist is off: returns
 *                JM_CONFLICT, nothing changed — the caller rolls back and
 *                answers 409 "満席" (forms.answer.err_full).
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
/* ---- results (results.c): what the owner does with the answers ---- */

/* One answer with its person, as the results page and the API show it. */
struct forms_result {
	int64_t id, created_at;
	const char *status;
	bool verified;
	struct {
		int64_t id;
		const char *name, *email, *stage; /* "" when empty */
		int64_t engagement;
		int64_t subscribed_since; /* earliest active subscription (confirmed, else
		                             created); 0 = not subscribed */
		int64_t give, take;       /* people.gave / people.asks (network/score.c) */
		bool freeloader;
	} person;
	/* The values, one pair per stored row (a 'multi' field: one per chosen
	 * option), in the order of the form's fields. */
	const char **keys, **vals;
	size_t nvals;
};

#define FORMS_RESULTS_MAX     500       /* rows of one page */
#define FORMS_LIST_UNVERIFIED (1u << 0) /* unverified answers too */

/* A page of results with the form's fields (the columns, the filter's
 * choices), all in the caller's arena. */
struct forms_results {
	const char *title, *slug, *kind; /* the form's */
	struct forms_field *fields;
	size_t nfields;
	struct forms_result *rows;
	size_t n;
	int64_t next; /* the cursor of the following page; 0 at the end */
};

/* A page of form_id's answers, newest first: those with id < cursor (0 =
 * from the newest), at most limit (1..FORMS_RESULTS_MAX); with key and
 * value (both or neither) only the answers holding that value (for a
 * 'multi' field: that option among others) — a walk of
 * answer_values_filter. Verified answers only unless flags has
 * FORMS_LIST_UNVERIFIED. JM_INVALID (err names "key", "value", "cursor" or
 * "limit") for a half filter, a key the form does not have, a bad cursor
 * or limit; JM_NOT_FOUND for an unknown form. Read-only and indexed:
 * fine on the event loop. */
enum jm_rc forms_answers_list(struct db *db, struct arena *a, int64_t form_id, const char *key,
                              const char *value, int64_t cursor, size_t limit, unsigned flags,
                              struct forms_results *out, struct jm_err *err) JM_WUR;

/* The fields of form_id in their order; JM_NOT_FOUND for an unknown form. */
enum jm_rc forms_results_fields(struct db *db, struct arena *a, int64_t form_id,
                                struct forms_field **out, size_t *n) JM_WUR;

/* A bulk action over answers: on each answer's person (once per person),
 * through people/ and network/. */
enum forms_bulk_op {
	FORMS_BULK_TAG,         /* arg: the tag */
	FORMS_BULK_UNTAG,       /* arg: the tag */
	FORMS_BULK_FIELD,       /* key = value (a custom field) */
	FORMS_BULK_INTERACTION, /* kind, note; happened now */
	FORMS_BULK_STAGE,       /* arg: the stage (reason "bulk", as the people list) */
};
struct forms_bulk {
	enum forms_bulk_op op;
	const char *arg, *key, *value, *kind, *note;
	const int64_t *answer_ids;
	size_t n; /* 1..FORMS_BULK_MAX */
	/* all: every answer of the filter (as forms_answers_list reads
	 * filter_key, filter_value and flags) instead of answer_ids — the
	 * answers beyond the page the owner sees. */
	bool all;
	const char *filter_key, *filter_value;
	unsigned flags;
};
#define FORMS_BULK_MAX     10000  /* answer ids */
#define FORMS_BULK_ALL_MAX 100000 /* people of an "all" action */
/* Applies b to the people who gave the answers of form_id: all or
 * nothing, in one transaction (opened here). JM_INVALID (err names the
 * field: "answer_ids", "tag", "key", "value", "kind", "note", "stage",
 * "filter") for bad input, an answer id that is not one of form_id's or a
 * filter no answer matches; nothing is changed then. *people = how many
 * people it applied to. */
enum jm_rc forms_answers_bulk(struct db *db, int64_t form_id, const struct forms_bulk *b,
                              int64_t now, int64_t *people, struct jm_err *err) JM_WUR;

/* The results as CSV for Excel: a header (id, created_at, status, email,
 * name, stage, engagement, subscribed_since, give, take, then each field's
 * label), one row per answer oldest first (a 'multi' field's options
 * joined with "; "), filtered as forms_answers_list. sjis: CP932 (a
 * character CP932 lacks becomes "?", counted in *substituted), else UTF-8
 * with a BOM. Cells are quoted by libcsv and guarded against formulas
 * (newsletter's CSV rules). write gets chunks. Reads everything: run it on
 * the worker pool. */
enum jm_rc forms_results_csv(struct db *db, int64_t form_id, const char *key, const char *value,
                             unsigned flags, bool sjis,
                             enum jm_rc (*write)(const char *p, size_t len, void *user), void *user,
                             size_t *substituted, struct jm_err *err) JM_WUR;

/* The funnel report's row (network/reports.c calls it through admin):
 * the people who answered an ask (verified) in [from, to), counted by
 * their stage now (net_stages order). */
enum jm_rc forms_ask_responders(struct db *db, int64_t from, int64_t to, int64_t counts[4]) JM_WUR;
struct net_funnel;
/* The same over the funnel report's period: from the start of f's first
 * month (in zone) to now. */
enum jm_rc forms_funnel_askers(struct db *db, const struct net_funnel *f, const char *zone,
                               int64_t now, int64_t counts[4]) JM_WUR;

#endif
