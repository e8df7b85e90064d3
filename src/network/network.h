/*
 * network.h — the people hub and the network (人脈) CRM: people with stages
 * and their history, flags, links, can-offer/looking-for and notes;
 * interactions (which drive last contact and the give/take balance);
 * introductions; merging duplicates; the engagement score; keep-in-touch
 * reminders; "who can help with X" search; reports (funnel, circle
 * review) and the network map.
 *
 * No HTTP here. Results live in the caller's arena. Every function uses
 * the caller's db connection. Stages are "reader", "fan", "acquaintance",
 * "network" in that order; the system never promotes to acquaintance or
 * network by itself and never sets the freeloader flag by itself.
 */
#ifndef JM_NETWORK_H
#define JM_NETWORK_H

#include "core/core.h"

struct db;

/* ---- stages and kinds (people.c) ---- */
/* True for the four stage names. */
bool net_stage_valid(const char *s);
/* 0..3 in funnel order; -1 for an unknown name. */
int net_stage_rank(const char *s);
extern const char *const net_stages[4];
/* Interaction kinds: meeting meal call email message deal referral
 * help_given help_received. */
bool net_interaction_kind_valid(const char *k);
extern const char *const net_interaction_kinds[9];

/* ---- people (people.c) ---- */
struct net_link {
	const char *kind, *url; /* kind: "site", "x", "facebook", … (free, ≤ 40 bytes) */
};

struct net_person {
	int64_t id;
	const char *email; /* "" when none */
	const char *name, *furigana, *company, *title, *stage, *source;
	const char *can_offer, *looking_for, *notes_md;
	bool freeloader, blocked;
	int64_t created_at, updated_at, stage_at;
	int64_t last_contact_at; /* 0 = never */
	int64_t touch_days;      /* own keep-in-touch interval; 0 = the stage's */
	int64_t engagement;
	/* Filled by net_person_get only (lists leave them empty): */
	struct net_link *links;
	size_t nlinks;
	const char **tags;
	size_t ntags;
	const char **field_keys, **field_vals; /* custom fields incl. sign-up fields */
	size_t nfields;
	/* give/take: counts of help_given (+ referrals made by the owner) and
	 * help_received (+ referrals/tips from them) — net_person_get only */
	int64_t given, received;
};

/* Input for create/update; on update only has_* members change. Limits:
 * name ≤ 200 bytes, furigana/company/title ≤ 200, email a valid mailbox
 * (normalised to lower case; "" clears it), can_offer/looking_for ≤ 2000,
 * notes ≤ 100000, ≤ 20 links (url http(s) ≤ 500), ≤ 50 tags (each ≤ 60),
 * no control characters in one-line fields. JM_INVALID naming the field,
 * JM_CONFLICT (field "email") when another person has the email. */
struct net_person_input {
	const char *email, *name, *furigana, *company, *title, *source;
	const char *can_offer, *looking_for, *notes_md;
	const struct net_link *links;
	size_t nlinks;
	const char *const *tags;
	size_t ntags;
	const char *const *field_keys, *const *field_vals;
	size_t nfields;
	int64_t touch_days; /* 0 = the stage's */
	bool has_email, has_name, has_furigana, has_company, has_title, has_source, has_can_offer,
	        has_looking_for, has_notes, has_links, has_tags, has_fields, has_touch_days;
	/* create only: the first stage (NULL = "reader"), recorded in stage_changes */
	const char *stage;
};

enum jm_rc net_person_create(struct db *db, const struct net_person_input *in, int64_t now,
                             int64_t *id, struct jm_err *err) JM_WUR;
enum jm_rc net_person_update(struct db *db, int64_t id, const struct net_person_input *in,
                             int64_t now, struct jm_err *err) JM_WUR;
/* Deletes the person and everything that points at them (erasure). */
enum jm_rc net_person_delete(struct db *db, int64_t id) JM_WUR;
enum jm_rc net_person_get(struct db *db, struct arena *a, int64_t id,
                          struct net_person *out) JM_WUR;
/* The id of the person with this email (normalised first): JM_NOT_FOUND
 * when nobody has it, JM_INVALID for something that is not an address
 * (lookup.c). */
enum jm_rc net_person_find_email(struct db *db, const char *email, int64_t *id) JM_WUR;
/* The person row of the (first) owner — "me" on the map and in the
 * reports — or 0 when the owner has none (lookup.c). */
enum jm_rc net_owner_person(struct db *db, int64_t *id) JM_WUR;
/* Someone the owner named in a form or the admin's picker (lookup.c). */
struct net_pick {
	int64_t id;
	const char *name, *company, *email, *stage; /* "" when empty */
};
/* Up to max (1..50) people the search words q find (net_search with the
 * flagged included), best first, with their email; for the picker.
 * JM_INVALID for an empty or too long q. */
enum jm_rc net_person_suggest(struct db *db, struct arena *a, const char *q, size_t max,
                              struct net_pick **out, size_t *n) JM_WUR;
/* The people whose name is `name`, compared folded with spaces dropped
 * ("佐藤 健" = "佐藤　健" = "佐藤健"), among the search's matches for it:
 * *exact true and out = those people (the caller accepts exactly one);
 * *exact false when none has that name, and out = up to max other
 * matches as candidates (maybe none). JM_INVALID for an empty or too long
 * name. Strings in the arena. */
enum jm_rc net_person_find_name(struct db *db, struct arena *a, const char *name, size_t max,
                                struct net_pick **out, size_t *n, bool *exact) JM_WUR;

/* Stage change with its reason (≤ 500 bytes), recorded in stage_changes;
 * same stage → JM_OK, nothing recorded. */
enum jm_rc net_person_set_stage(struct db *db, int64_t id, const char *stage, const char *reason,
                                int64_t now, struct jm_err *err) JM_WUR;
/* Sets or clears a flag: "freeloader" or "blocked"; logged on the timeline. */
enum jm_rc net_person_set_flag(struct db *db, int64_t id, const char *flag, bool on, int64_t now,
                               struct jm_err *err) JM_WUR;

struct net_stage_change {
	const char *from, *to, *reason;
	int64_t at;
};
/* Oldest first. */
enum jm_rc net_stage_history(struct db *db, struct arena *a, int64_t person_id,
                             struct net_stage_change **out, size_t *n) JM_WUR;

/* The people list. */
enum net_sort {
	NET_SORT_ENGAGEMENT,   /* highest first (default) */
	NET_SORT_NAME,         /* furigana (読み), then name */
	NET_SORT_LAST_CONTACT, /* most recent first; never contacted last */
	NET_SORT_CREATED,      /* newest first */
};
struct net_people_query {
	const char *stage;      /* NULL = any */
	const char *tag;        /* NULL = any */
	const char *flag;       /* NULL = any; "freeloader", "blocked", "none" (neither) */
	const char *source;     /* NULL = any; prefix match ("import" matches "import:x.csv") */
	int64_t contact_before; /* >0: last contact before this time or never */
	int64_t contact_after;  /* >0: last contact at or after this time */
	enum net_sort sort;
	int page, per_page; /* page ≥ 1, per_page 1..200 */
};
/* Indexed: stage + engagement sort is a walk of people_stage_engagement. */
enum jm_rc net_people_list(struct db *db, struct arena *a, const struct net_people_query *q,
                           struct net_person **out, size_t *n, int64_t *total) JM_WUR;

enum net_bulk_op { NET_BULK_TAG, NET_BULK_UNTAG, NET_BULK_STAGE };
/* arg: the tag, or the stage (reason "bulk"). All or nothing. */
enum jm_rc net_people_bulk(struct db *db, enum net_bulk_op op, const int64_t *ids, size_t n,
                           const char *arg, int64_t now, struct jm_err *err) JM_WUR;

/* Sets custom field key (1..60 bytes, one line) to value (≤ 2000 bytes)
 * on every person of ids. All or nothing, one transaction. (people.c) */
enum jm_rc net_people_bulk_field(struct db *db, const int64_t *ids, size_t n, const char *key,
                                 const char *value, int64_t now, struct jm_err *err) JM_WUR;

/* ---- timeline (timeline.c) ---- */
struct net_event {
	const char *kind;   /* "subscribed", "unsubscribed", … (person_events kinds),
	                       "stage", "flag", "message", "reply", "interaction",
	                       "introduction", "merged", "note" */
	const char *title;  /* one line, plain text (escape when rendering) */
	const char *detail; /* more text, plain (may be "") */
	int64_t at;
	int64_t ref_id;   /* message/interaction/introduction id, 0 otherwise */
	int64_t other_id; /* the other person of an introduction, 0 otherwise */
	bool has_amount;  /* interactions with an amount (yen) */
	int64_t amount;
	/* Introductions only: the three sides, "by introduced person to to";
	 * id 0 and name NULL stand for the owner. title is then a compact
	 * "by: person ↔ to" with the owner's name; UIs build a sentence from
	 * these instead. */
	int64_t intro_by_id, intro_person_id, intro_to_id;
	const char *intro_by, *intro_person, *intro_to;
};
/* Everything about a person, newest first, at most limit entries:
 * person_events, stage changes, messages, replies, interactions,
 * introductions (either side). */
enum jm_rc net_timeline(struct db *db, struct arena *a, int64_t person_id, size_t limit,
                        struct net_event **out, size_t *n) JM_WUR;
/* Appends one entry to person_events (kind ≤ 40 bytes, detail ≤ 2000). */
enum jm_rc net_event_add(struct db *db, int64_t person_id, const char *kind, const char *detail,
                         int64_t now) JM_WUR;

/* ---- interactions (interactions.c) ---- */
struct net_interaction {
	int64_t id, person_id;
	const char *kind, *note;
	int64_t happened_at, created_at;
	bool has_amount;
	int64_t amount;
};
/* Validates kind, note ≤ 5000 bytes, happened_at > 0 and not more than a
 * day in the future, amount ≥ 0. Updates the person's last_contact_at
 * (max of happened_at) — every kind counts as contact. */
enum jm_rc net_interaction_add(struct db *db, const struct net_interaction *in, int64_t now,
                               int64_t *id, struct jm_err *err) JM_WUR;
/* The interaction in (its person_id ignored) once for each person of ids
 * (n ≥ 1): the same checks, all or nothing in one transaction. */
enum jm_rc net_interactions_add_many(struct db *db, const struct net_interaction *in,
                                     const int64_t *ids, size_t n, int64_t now,
                                     struct jm_err *err) JM_WUR;
enum jm_rc net_interaction_delete(struct db *db, int64_t person_id, int64_t id) JM_WUR;
/* Newest first. */
enum jm_rc net_interaction_list(struct db *db, struct arena *a, int64_t person_id, int page,
                                int per_page, struct net_interaction **out, size_t *n,
                                int64_t *total) JM_WUR;

/* ---- introductions (introductions.c) ---- */
struct net_intro {
	int64_t id;
	int64_t introducer_id; /* 0 = the owner ("I introduced A to B") */
	int64_t person_id;
	int64_t to_id; /* 0 = the owner ("A introduced me to B") */
	const char *introducer_name, *person_name, *to_name; /* filled by list */
	const char *note;
	int64_t happened_at, created_at;
};
/* Exactly one of introducer_id / to_id may be 0; the people must exist and
 * differ; note ≤ 2000. JM_INVALID / JM_NOT_FOUND (field names the side). */
enum jm_rc net_intro_add(struct db *db, const struct net_intro *in, int64_t now, int64_t *id,
                         struct jm_err *err) JM_WUR;
enum jm_rc net_intro_delete(struct db *db, int64_t id) JM_WUR;
/* Introductions involving person_id on any side (0 = all), newest first. */
enum jm_rc net_intro_list(struct db *db, struct arena *a, int64_t person_id, struct net_intro **out,
                          size_t *n) JM_WUR;

/* ---- merge (merge.c) ---- */
/* Folds `from` into `into` and deletes `from`, losing nothing: empty
 * scalar fields of `into` are filled from `from`; notes, can_offer and
 * looking_for are joined; links, tags, custom fields (into's value wins on
 * a clash, from's kept as "key (2)"), subscriptions (the better status
 * wins on a shared list), events, stage history, messages, interactions,
 * introductions (self-introductions dropped), deliveries, users move over;
 * the higher stage and either flag are kept; when `into` has no email it
 * takes from's. A "merged" event records what happened. JM_INVALID for
 * from == into, JM_NOT_FOUND for an unknown id. One transaction. */
enum jm_rc net_person_merge(struct db *db, int64_t into, int64_t from, int64_t now,
                            struct jm_err *err) JM_WUR;
/* Likely duplicates: same email ignoring case and dots/plus in gmail, or
 * the same NFKC-folded name + company. Pairs (a < b), at most max. */
struct net_dup {
	int64_t a, b;
	const char *why; /* "email" or "name_company" */
};
enum jm_rc net_duplicates(struct db *db, struct arena *a, size_t max, struct net_dup **out,
                          size_t *n) JM_WUR;

/* ---- engagement score and suggestions (score.c) ---- */
struct net_score {
	int64_t total;
	int64_t subscribed; /* points for months subscribed */
	int64_t replies;    /* messages that answer a broadcast or a reply */
	int64_t tips;       /* messages in an information-giving category (情報提供) */
	int64_t forms;      /* other form messages */
	int64_t interactions;
	int64_t opens_clicks; /* 0 until tracking exists */
	/* Give/take counts behind the freeloader suggestion (not points):
	 * asks = their non-tip messages + help the owner gave them;
	 * gave = their tips + help_received + referrals. */
	int64_t asks, gave;
};
/* Computes a person's score with its breakdown (no write). */
enum jm_rc net_score_get(struct db *db, int64_t person_id, int64_t now,
                         struct net_score *out) JM_WUR;
/* Recomputes and stores people.engagement for the given people. */
enum jm_rc net_score_update(struct db *db, const int64_t *ids, size_t n, int64_t now) JM_WUR;
/* The daily pass (months subscribed grow without any event): recomputes
 * the scores of up to max (≤ 500) people after *cursor, in one transaction,
 * and moves *cursor on. JM_DONE (cursor back to 0) when no one is left. */
enum jm_rc net_score_refresh(struct db *db, int64_t now, int64_t *cursor, size_t max) JM_WUR;

struct net_suggestion {
	int64_t person_id;
	const char *name, *email, *stage;
	const char *why; /* "freeloader": asks received ≥ 3 and nothing given;
	                    "fan": engaged reader worth a promotion */
	int64_t asks, given;
};
/* Suggestions for the owner to review; flagged people are left out unless
 * include_flagged. */
enum jm_rc net_suggestions(struct db *db, struct arena *a, bool include_flagged, size_t max,
                           struct net_suggestion **out, size_t *n) JM_WUR;

/* ---- keep in touch (touch.c) ---- */
/* Settings "touch_days_<stage>" (0 = no reminder; default network 90,
 * acquaintance 180). Due: interval set and last contact (or stage_at /
 * created_at when never contacted) older than the interval. Blocked
 * people are never due. Most overdue first. */
enum jm_rc net_touch_due(struct db *db, struct arena *a, int64_t now, size_t max,
                         struct net_person **out, size_t *n, int64_t *total) JM_WUR;
/* Queues the daily digest mail to the owner (setting "digest_enabled" =
 * "1", address: setting "digest_to" or the owner's email) when it has not
 * been sent today and something is due; *queued tells whether. Called by
 * the scheduler. */
enum jm_rc net_touch_digest(struct db *db, int64_t now, bool *queued) JM_WUR;

/* ---- "who can help with X" (search.c) ---- */
struct net_hit {
	int64_t person_id;
	const char *name, *company, *stage, *snippet; /* snippet: plain text */
	double rank;                                  /* lower is better (jm_rank, search.c) */
};
struct net_search_query {
	const char *q;        /* ≤ 200 bytes; NFKC-folded; words ANDed */
	const char *stage;    /* NULL = any */
	const char *tag;      /* NULL = any */
	bool include_flagged; /* freeloader/blocked left out unless true */
	int page, per_page;
};
/* Catches up the index first (net_search_sync with a small budget).
 * JM_INVALID for an empty or too long query (or an unknown stage); a query
 * with no letter or digit at all finds nothing. page < 1 counts as 1,
 * per_page ≤ 0 as 20, more than 100 as 100. *total counts matches up to
 * NET_SEARCH_TOTAL_MAX: a total equal to it means "that many or more". */
#define NET_SEARCH_TOTAL_MAX 1000
enum jm_rc net_search(struct db *db, struct arena *a, const struct net_search_query *q,
                      struct net_hit **out, size_t *n, int64_t *total, struct jm_err *err) JM_WUR;
/* Re-indexes up to max people that are new (id > indexed_to) or marked in
 * search_dirty, and recomputes their engagement; *left (may be NULL) =
 * what remains.
 * Called by the scheduler every second and before each search. */
enum jm_rc net_search_sync(struct db *db, int64_t now, size_t max, int64_t *left) JM_WUR;
/* Rebuilds everything (bench, repair). */
enum jm_rc net_search_rebuild(struct db *db, int64_t now) JM_WUR;

/* ---- reports (reports.c) ---- */
struct net_funnel_month {
	char month[8];                               /* "YYYY-MM" */
	int64_t to_fan, to_acquaintance, to_network; /* moves up into that stage */
};
struct net_funnel {
	int64_t counts[4]; /* people per stage now (net_stages order) */
	struct net_funnel_month *months;
	size_t nmonths; /* the last 12 months, oldest first */
};
enum jm_rc net_report_funnel(struct db *db, struct arena *a, int64_t now, const char *zone,
                             struct net_funnel *out) JM_WUR;
/* Appends an SVG chart of the funnel (counts and monthly moves). */
enum jm_rc net_funnel_svg(const struct net_funnel *f, const char *const stage_labels[4],
                          struct buf *out) JM_WUR;

struct net_circle_person {
	int64_t id;
	const char *name, *company, *stage;
	int64_t count; /* meetings, meals, calls and deals that year */
};
struct net_circle {
	int year;
	struct net_circle_person *kept, *added,
	        *dropped; /* kept/new this year, dropped since last */
	size_t nkept, nadded, ndropped;
	int64_t this_year, last_year; /* circle sizes */
	int64_t network_share_pct;    /* % of this year's circle at network stage */
	bool same_faces;              /* most of this year's circle (> 50%) was there last year */
};
/* Interactions of kind meeting, meal, call or deal in the calendar year
 * (site time zone) vs the year before. JM_INVALID for years outside
 * 1970..9999. */
enum jm_rc net_report_circle(struct db *db, struct arena *a, int year, const char *zone,
                             struct net_circle *out) JM_WUR;

/* ---- the network map (map.c, Graphviz libgvc) ---- */
struct net_map_query {
	const char *stage;    /* NULL = acquaintance and network */
	const char *tag;      /* NULL = any */
	const char *base_url; /* node links: base_url + "/admin/people/{id}" ("" = relative) */
	size_t max_nodes;     /* 0 = 2000 */
	/* Added by the reports helper (both optional, shown as given): */
	const char *me_label;   /* the owner's node; NULL = "わたし" */
	const char *more_label; /* after "N " when the cap left people out;
	                           NULL = "人は表示していません" */
};
/* People (coloured by stage) and introduction edges as an SVG document
 * (sfdp/neato layout), each node linking to its person page. Slow: call
 * through http_defer. Names are escaped by Graphviz's SVG renderer. */
enum jm_rc net_map_svg(struct db *db, const struct net_map_query *q, struct buf *out,
                       struct jm_err *err) JM_WUR;

/* ---- CSV and vCard (io.c, vcard.c) ---- */
/* CSV columns: email,name,furigana,company,title,stage,tags,can_offer,
 * looking_for,notes,source,links (kind=url;…),last_contact. Import
 * (libcsv) matches people by email (else creates); bad rows are reported
 * with line numbers and nothing of a bad file is imported. */
struct net_import_report {
	int64_t rows, created, updated, skipped;
	char errors[20][160];
	struct jm_row_err why[20]; /* the same as codes, for the UI's language */
	int nerrors;
	struct jm_row_err fail; /* why the file failed as a whole */
};
enum jm_rc net_people_import_csv(struct db *db, const char *data, size_t len, int64_t now,
                                 struct net_import_report *rep, struct jm_err *err) JM_WUR;
enum jm_rc net_people_export_csv(struct db *db, const struct net_people_query *q, bool bom,
                                 enum jm_rc (*write)(const char *p, size_t len, void *user),
                                 void *user) JM_WUR;
/* Either format, told apart by content: a file whose first non-blank line
 * is BEGIN:VCARD is a vCard file, anything else CSV. *vcard (may be NULL)
 * tells which was read. (io.c) */
enum jm_rc net_people_import(struct db *db, const char *data, size_t len, int64_t now, bool *vcard,
                             struct net_import_report *rep, struct jm_err *err) JM_WUR;
/* vCard 3.0 and 4.0 (RFC 2426, RFC 6350): FN, N, X-PHONETIC/SORT-AS
 * furigana, ORG, TITLE, EMAIL, URL, NOTE, CATEGORIES. */
enum jm_rc net_people_import_vcard(struct db *db, const char *data, size_t len, int64_t now,
                                   struct net_import_report *rep, struct jm_err *err) JM_WUR;
enum jm_rc net_people_export_vcard(struct db *db, const struct net_people_query *q, int version,
                                   enum jm_rc (*write)(const char *p, size_t len, void *user),
                                   void *user) JM_WUR;

#endif
