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
	FORMS_BULK_INTERACTION, /* kind, note, now */
	FORMS_BULK_STAGE,       /* arg: the stage, reason "form:<slug>" */
};
struct forms_bulk {
	enum forms_bulk_op op;
	const char *arg, *key, *value, *kind, *note;
	const int64_t *answer_ids;
	size_t n; /* 1..FORMS_BULK_MAX */
};
#define FORMS_BULK_MAX 10000
/* Applies b to the people who gave the answers of form_id: all or
 * nothing, in one transaction (opened here). JM_INVALID (err names the
 * field: "answer_ids", "tag", "key", "value", "kind", "note", "stage")
 * for bad input or an answer id that is not one of form_id's; nothing is
 * changed then. *people = how many people it applied to. */
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
