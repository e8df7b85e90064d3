/*
 * people.h — THE hub: the one module that writes `people` and everything
 * hanging on a person (person_tags, person_fields, person_links,
 * person_events, stage_changes, search_dirty). newsletter/, inbox/,
 * network/ and the staff accounts call these functions; none of them
 * writes those tables (scripts/check-owners checks it).
 *
 * Invariants kept here, whoever calls:
 * - a person's email is stored normalised (auth_email_normalize) or NULL;
 * - every person created gets stage_at and a stage_changes row (from '');
 * - every write that changes what the people search indexes marks the
 *   person in search_dirty (people indexed already, id <= indexed_to;
 *   newer ones are found by id). Marking never conflicts: it is an
 *   INSERT … WHERE NOT EXISTS, so it is safe inside any upsert.
 *
 * No HTTP here. Every function runs on the caller's connection and, unless
 * it says otherwise, inside the caller's transaction (none opens one).
 * Validation of user input (lengths, formats) belongs to the callers'
 * domain rules; these functions write what they are given.
 */
#ifndef JM_PEOPLE_H
#define JM_PEOPLE_H

#include "core/core.h"

struct db;

/* ---- finding or creating (ensure.c) ---- */
struct people_new {
	const char *email;  /* required; normalised here (JM_INVALID, field "email") */
	const char *name;   /* NULL or "" = none */
	const char *source; /* NULL = "" ; also the stage-history reason */
	const char *stage;  /* stage of a new person; NULL = "reader" */
	/* An existing person without a name takes name. Off for input nobody
	 * has confirmed (an unconfirmed sign-up must not name someone). */
	bool fill_name;
};
/* Finds the person with the (normalised) email or creates them with
 * stage_at = now and a stage_changes row; *created (may be NULL) tells
 * which. JM_INVALID (err field "email") for something not an address. */
enum jm_rc people_ensure(struct db *db, const struct people_new *in, int64_t now, int64_t *id,
                         bool *created, struct jm_err *err) JM_WUR;

/* The full row of a person created by the CRM or an import. Strings may
 * be NULL for ""; email "" = none. */
struct people_row {
	const char *email, *name, *furigana, *company, *title, *stage, *source;
	const char *notes_md, *can_offer, *looking_for;
	int64_t touch_days;      /* 0 = NULL (the stage's) */
	int64_t last_contact_at; /* 0 = NULL */
};
/* Inserts the row (stage NULL = "reader") with its stage history (reason:
 * reason, else source, else "created"). JM_CONFLICT when the email is
 * taken. */
enum jm_rc people_insert(struct db *db, const struct people_row *r, const char *reason, int64_t now,
                         int64_t *id) JM_WUR;

/* The columns people_update may change, each applied only when its has_*
 * flag is set (email "" clears it). */
struct people_patch {
	const char *email, *name, *furigana, *company, *title, *source;
	const char *can_offer, *looking_for, *notes_md;
	int64_t touch_days;
	bool has_email, has_name, has_furigana, has_company, has_title, has_source, has_can_offer,
	        has_looking_for, has_notes, has_touch_days;
};
/* JM_NOT_FOUND for an unknown id, JM_CONFLICT for a taken email. */
enum jm_rc people_update(struct db *db, int64_t id, const struct people_patch *p,
                         int64_t now) JM_WUR;
/* Import: every non-empty string of r (name, furigana, company, title,
 * can_offer, looking_for, notes_md, source) replaces the stored value;
 * email, stage and last contact are left alone. */
enum jm_rc people_fill(struct db *db, int64_t id, const struct people_row *r, int64_t now) JM_WUR;
/* Sets the name of a person who has none (nothing otherwise). */
enum jm_rc people_name_fill(struct db *db, int64_t id, const char *name, int64_t now) JM_WUR;
/* updated_at = now. */
enum jm_rc people_touch(struct db *db, int64_t id, int64_t now) JM_WUR;
/* Erasure: deletes the person; foreign keys cascade to every row pointing
 * at them. JM_NOT_FOUND for an unknown id. */
enum jm_rc people_delete(struct db *db, int64_t id) JM_WUR;
/* JM_OK when the person exists, JM_NOT_FOUND when not. */
enum jm_rc people_exists(struct db *db, int64_t id) JM_WUR;

/* ---- stage, flags, contact, score (write.c) ---- */
/* Moves id to stage (a valid stage name) recording from → to with reason;
 * same stage → JM_OK, nothing written; JM_NOT_FOUND for an unknown id. */
enum jm_rc people_stage_set(struct db *db, int64_t id, const char *stage, const char *reason,
                            int64_t now) JM_WUR;
/* Sets people.freeloader (freeloader true) or people.blocked; *changed
 * tells whether the value moved. JM_NOT_FOUND for an unknown id. */
enum jm_rc people_flag_set(struct db *db, int64_t id, bool freeloader, bool on, int64_t now,
                           bool *changed) JM_WUR;
/* last_contact_at = max(last_contact_at, at). JM_NOT_FOUND for an
 * unknown id. */
enum jm_rc people_contact_at(struct db *db, int64_t id, int64_t at) JM_WUR;
/* last_contact_at = the newest interaction or reply sent (NULL if none). */
enum jm_rc people_contact_recompute(struct db *db, int64_t id) JM_WUR;
/* Stores the engagement score and its give/take counts (when they differ). */
enum jm_rc people_score_set(struct db *db, int64_t id, int64_t engagement, int64_t asks,
                            int64_t gave) JM_WUR;

/* ---- tags, fields, links, events (lists.c) ---- */
/* *added (may be NULL): whether the tag was new; an unknown id adds nothing. */
enum jm_rc people_tag_add(struct db *db, int64_t id, const char *tag, bool *added) JM_WUR;
enum jm_rc people_tag_remove(struct db *db, int64_t id, const char *tag) JM_WUR;
enum jm_rc people_tags_replace(struct db *db, int64_t id, const char *const *tags, size_t n) JM_WUR;
/* Sets (inserts or overwrites) custom-field values. */
enum jm_rc people_fields_set(struct db *db, int64_t id, const char *const *keys,
                             const char *const *vals, size_t n) JM_WUR;
enum jm_rc people_fields_replace(struct db *db, int64_t id, const char *const *keys,
                                 const char *const *vals, size_t n) JM_WUR;
struct people_link {
	const char *kind, *url;
};
enum jm_rc people_links_replace(struct db *db, int64_t id, const struct people_link *links,
                                size_t n) JM_WUR;
/* Appends a link unless the person has it already; *added tells. */
enum jm_rc people_link_add(struct db *db, int64_t id, const struct people_link *l,
                           bool *added) JM_WUR;
/* Appends a person_events row (kind ≤ 40 bytes, detail ≤ 2000; NULL = ""). */
enum jm_rc people_event_add(struct db *db, int64_t id, const char *kind, const char *detail,
                            int64_t now) JM_WUR;

/* ---- search marking (search.c) ---- */
/* Marks the person for the people search (a no-op for people not indexed
 * yet); never conflicts. */
enum jm_rc people_search_mark(struct db *db, int64_t id) JM_WUR;
/* The indexer has caught up with id / with everyone. */
enum jm_rc people_search_clean(struct db *db, int64_t id) JM_WUR;
enum jm_rc people_search_clean_all(struct db *db) JM_WUR;

/* ---- batches (batch.c): million-row imports ----
 * A staging table (a temp table of the caller, name given as a trusted
 * constant) with columns line, email (normalised), name, furigana,
 * company, title, pid. */
#define PEOPLE_COL_FURIGANA (1u << 1)
#define PEOPLE_COL_COMPANY  (1u << 2)
#define PEOPLE_COL_TITLE    (1u << 3)
/* Creates the people of staging that do not exist yet (source, stage
 * "reader", stage_at and a stage_changes row each, with the staged name,
 * furigana, company and title), sets pid on every staged row, and fills
 * an existing person's empty name — and the columns in cols
 * (PEOPLE_COL_*) — with the file's first value; never overwrites one.
 * *created = how many were new. */
enum jm_rc people_batch_ensure(struct db *db, const char *staging, const char *source, int64_t now,
                               unsigned cols, int64_t *created) JM_WUR;
/* Tags every staged person. */
enum jm_rc people_batch_tag(struct db *db, const char *staging, const char *tag) JM_WUR;
/* Sets custom field keys[k - 1] to staging column f<k> (k = 1 … n; NULL
 * there: no value) on the person of each staged line (later lines win),
 * and marks the search. */
enum jm_rc people_batch_fields(struct db *db, const char *staging, const char *const *keys,
                               size_t n) JM_WUR;
/* One event per person_id that select_ids (a SELECT of one column with one
 * integer parameter, given arg) yields. */
enum jm_rc people_batch_event(struct db *db, const char *select_ids, int64_t arg, const char *kind,
                              const char *detail, int64_t now) JM_WUR;

/* ---- merge (merge.c) ---- */
/* An owner of rows pointing at people: move moves from's rows to into
 * (resolving clashes its own way) inside the merge's transaction. */
struct people_merge_owner {
	const char *name; /* for logs: "newsletter", "inbox", … */
	enum jm_rc (*move)(struct db *db, int64_t into, int64_t from);
};
/* Folds `from` into `into` and deletes `from`, losing nothing (see
 * merge.c), asking each owner to move its rows. JM_INVALID for from ==
 * into (field "from"), JM_NOT_FOUND for an unknown id (field "into" or
 * "from"). Opens its own transaction. */
enum jm_rc people_merge(struct db *db, int64_t into, int64_t from, int64_t now,
                        const struct people_merge_owner *owners, size_t nowners,
                        struct jm_err *err) JM_WUR;

/* ---- staff accounts (staff.c) ---- */
/* Validates (auth_user_prepare) and creates the user with its person row
 * (stage "network", source "staff"; an existing person is kept as is).
 * Slow (argon2id): not on an event loop. JM_CONFLICT if a user has the
 * email. Opens its own transaction. */
enum jm_rc people_user_add(struct db *db, const char *email, const char *name, const char *role,
                           const char *password, int64_t *id_out, struct jm_err *err) JM_WUR;

#endif
