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
/* The label of a condition in the reader's language ("業務内容"): the
 * caller's catalog (forms.job.cond.<key>), so this module needs no view. */
typedef const char *(*forms_label_fn)(const char *key, void *user);
/* The public page's conditions table: <table class="job-conditions">, a
 * row per condition, the label as <th scope="row">, the value as the
 * owner's Markdown rendered safe (site_markdown, raw HTML off). Appends to
 * out (capped: JM_TOO_LARGE). Conditions left empty are shown as "—". */
enum jm_rc forms_job_conditions_html(const struct forms_form *f, forms_label_fn label, void *user,
                                     struct buf *out) JM_WUR;
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
/* A file sent with answer_id: its bytes appended to data (cap: the
 * buffer's), its name and type. JM_NOT_FOUND when it is not that
 * answer's. */
enum jm_rc forms_job_file(struct db *db, struct arena *a, int64_t answer_id, int64_t file_id,
                          struct buf *data, struct forms_job_file *out) JM_WUR;

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

#endif
