/*
 * newsletter.h — the mail magazine domain: lists and their sign-up fields,
 * subscriptions with recorded consent (特定電子メール法), signed confirm and
 * unsubscribe tokens, CSV import/export, broadcasts with audiences and merge
 * fields, and the one delivery queue with its worker.
 *
 * No HTTP here (handlers live in web/, admin/, api/); MIME, DKIM and SMTP
 * are mail/'s. Every subscriber is a row of people: subscribing creates or
 * links the person by normalised email.
 *
 * Memory: results are allocated in the caller's arena. Threading: functions
 * use the caller's db connection; the worker runs on threads of its own.
 */
#ifndef JM_NEWSLETTER_H
#define JM_NEWSLETTER_H

#include "core/core.h"
#include "core/field.h"

struct db;

/* ---- lists and fields (list.c) ---- */
/* The field types a list's sign-up fields take, with the field engine's
 * (core/field.h) names and rules: its one-line types (migration 0025).
 * Not textarea (a list field is a merge field, which may reach a subject
 * line), multi (a person keeps one value per key) or file. */
#define NL_FIELD_TYPES                                                                             \
	(JM_FIELD_BIT(JM_FIELD_TEXT) | JM_FIELD_BIT(JM_FIELD_SELECT) |                             \
	 JM_FIELD_BIT(JM_FIELD_CHECKBOX) | JM_FIELD_BIT(JM_FIELD_EMAIL) |                          \
	 JM_FIELD_BIT(JM_FIELD_URL) | JM_FIELD_BIT(JM_FIELD_NUMBER) |                              \
	 JM_FIELD_BIT(JM_FIELD_DATE) | JM_FIELD_BIT(JM_FIELD_TEL))
struct nl_field {
	int64_t id;
	const char *key, *label, *type; /* one of NL_FIELD_TYPES' names */
	const char **options;           /* select options */
	size_t noptions;
	bool required;
	/* The person's own column the value is kept in instead of a custom
	 * field: "" (none), "name", "furigana", "company" or "title". NULL
	 * counts as "". Sign-up and import write it there (migration 0011). */
	const char *person;
};

struct nl_list {
	int64_t id;
	const char *slug, *name, *description, *charset, *consent_text;
	const char *welcome_subject, *welcome_md;
	bool public_, double_optin;
	int64_t created_at;
	int64_t active, pending, unsubscribed, bounced; /* counts (list_get/list_all) */
	struct nl_field *fields;
	size_t nfields;
};

/* Input for create/update; for update only has_* fields change. */
struct nl_list_input {
	const char *slug, *name, *description, *charset, *consent_text, *welcome_subject,
	        *welcome_md;
	bool public_, double_optin;
	bool has_slug, has_name, has_description, has_charset, has_consent_text, has_welcome,
	        has_public, has_double_optin;
};

/* Validation: name 1..100 bytes, slug of core/slug.c's rule in 1..60
 * bytes (Japanese kept; derived from the name when a new list has none,
 * kept when an update empties it), charset utf-8 | iso-2022-jp.
 * JM_INVALID naming the field, JM_CONFLICT on a taken slug. */
enum jm_rc nl_list_create(struct db *db, const struct nl_list_input *in, int64_t *id,
                          struct jm_err *err) JM_WUR;
enum jm_rc nl_list_update(struct db *db, int64_t id, const struct nl_list_input *in,
                          struct jm_err *err) JM_WUR;
/* Removes a list at once (undoing a create that failed half-way); deleting
 * as the owner asks is nl_list_trash. */
enum jm_rc nl_list_delete(struct db *db, int64_t id) JM_WUR;
enum jm_rc nl_list_get(struct db *db, struct arena *a, int64_t id, struct nl_list *out) JM_WUR;
enum jm_rc nl_list_by_slug(struct db *db, struct arena *a, const char *slug,
                           struct nl_list *out) JM_WUR;
enum jm_rc nl_list_all(struct db *db, struct arena *a, struct nl_list **out, size_t *n) JM_WUR;
/* Replaces the list's fields (key [a-z0-9_]{1,40}, label 1..100 bytes,
 * person "" or one of nl_person_field_ok's, at most one field per person
 * field). */
enum jm_rc nl_list_set_fields(struct db *db, int64_t list_id, const struct nl_field *f, size_t n,
                              struct jm_err *err) JM_WUR;

/* True for "", "name", "furigana", "company" and "title" (NULL too): the
 * person columns a list field may map onto. */
bool nl_person_field_ok(const char *p);

/* ---- the trash (trash.c) ----
 * Deleting a list or an unsent broadcast moves it to the trash for
 * NL_TRASH_DAYS, restorable; a trashed list accepts no sign-up and sends
 * nothing, and its subscriptions come back unchanged with it. */
#define NL_TRASH_DAYS    30
#define NL_LIST_SLUG_MAX 60
/* JM_NOT_FOUND; JM_CONFLICT (err says why) while a broadcast outside the
 * trash refers to the list. Cancels its queued confirmation mails. */
enum jm_rc nl_list_trash(struct db *db, int64_t id, struct jm_err *err) JM_WUR;
/* With its old slug, or new_slug when given; JM_CONFLICT (err names
 * "slug") when another list took it meanwhile; JM_INVALID bad new_slug. */
enum jm_rc nl_list_restore(struct db *db, int64_t id, const char *new_slug,
                           struct jm_err *err) JM_WUR;
/* Only a broadcast that sent nothing: JM_CONFLICT (err says why) for one
 * sending, paused, sent, or cancelled after sending part. */
enum jm_rc nl_broadcast_trash(struct db *db, int64_t id, struct jm_err *err) JM_WUR;
/* JM_CONFLICT while its list is in the trash. A schedule whose time passed
 * comes back as a draft. */
enum jm_rc nl_broadcast_restore(struct db *db, int64_t id, struct jm_err *err) JM_WUR;
struct nl_trashed {
	const char *kind; /* "list" or "broadcast" */
	int64_t id;
	const char *name, *slug; /* list name or broadcast subject; a list's old slug */
	int64_t trashed_at;
};
/* Every trashed list and broadcast, newest trashed first (in the arena). */
enum jm_rc nl_trash_items(struct db *db, struct arena *a, struct nl_trashed **out,
                          size_t *n) JM_WUR;
/* Removes for good what was trashed NL_TRASH_DAYS days before now or
 * earlier; *n = rows removed. For the hourly cluster job. */
enum jm_rc nl_trash_purge(struct db *db, int64_t now, int64_t *n) JM_WUR;

/* ---- sign-up, confirm, unsubscribe (subscribe.c) ---- */
#define NL_CONFIRM_TTL (7 * 86400)

/* A sign-up as a form sent it. Field values are keyed by nl_field.key. */
struct nl_signup {
	const char *email, *name;
	const char *list_slug;
	const char **field_keys, **field_vals;
	size_t nfields;
	const char *source; /* page URL or "form:/subscribe", "embed", "admin", "api" */
	const char *ip;
	int64_t now;
};

enum nl_signup_result {
	NL_SIGNUP_CONFIRM_SENT, /* new or pending: a confirmation mail is queued */
	NL_SIGNUP_ACTIVE,       /* single opt-in list: subscribed at once */
	NL_SIGNUP_NEUTRAL,      /* already active, or rate limited: same answer, no mail */
};

/* Validates (email shape, name ≤ 100 chars, required fields, select
 * options, lengths ≤ 1000) → JM_INVALID naming the field; unknown list →
 * JM_NOT_FOUND. Creates or links the person (the name and field values
 * reach an existing person only at confirmation: nl_confirm; a new person
 * at once; never on a single opt-in list), records consent (when, source,
 * IP, list wording), queues the confirmation (or welcome) delivery. Mails
 * are limited per address and per IP (NL_SIGNUP_NEUTRAL beyond); the
 * confirmation mail never contains what the form received. */
enum jm_rc nl_signup(struct db *db, const unsigned char secret[32], const struct nl_signup *in,
                     enum nl_signup_result *result, struct jm_err *err) JM_WUR;

/* Signed tokens (keyed BLAKE2b with the app secret). Confirm tokens expire
 * after NL_CONFIRM_TTL; unsubscribe tokens do not. out >= 128 bytes. */
void nl_token_confirm(const unsigned char secret[32], int64_t subscription_id, int64_t now,
                      char *out);
void nl_token_unsubscribe(const unsigned char secret[32], int64_t subscription_id, char *out);
/* JM_OK with the subscription id; JM_INVALID tampered; JM_NOT_FOUND expired. */
enum jm_rc nl_token_check(const unsigned char secret[32], const char *kind, const char *token,
                          int64_t now, int64_t *subscription_id) JM_WUR;

/* A form's link tokens ("f."): id and issued signed for ctx — a form's
 * slug for the per-recipient link of the {{form:SLUG}} merge field
 * (issued 0), "/confirm" for an answer's confirmation link; the forms
 * module (forms_token_make) reads and makes them. ctx <= 200 bytes.
 * out >= 128 bytes. check: JM_INVALID when malformed or not signed for
 * ctx. */
void nl_token_form(const unsigned char secret[32], const char *ctx, int64_t id, int64_t issued,
                   char *out);
enum jm_rc nl_token_form_check(const unsigned char secret[32], const char *ctx, const char *token,
                               int64_t *id, int64_t *issued) JM_WUR;

/* base_url + "/forms/" + slug (percent-encoded as one path segment) +
 * suffix (copied as is), in a: the URL of a form's page (render.c).
 * NULL when too long. */
const char *nl_form_url(struct arena *a, const char *base_url, const char *slug,
                        const char *suffix);

/* Confirms (idempotent); queues the welcome mail once if the list has one. */
enum jm_rc nl_confirm(struct db *db, int64_t subscription_id, int64_t now, struct nl_list *list_out,
                      struct arena *a) JM_WUR;
/* Unsubscribes at once (idempotent); cancels that person's queued mails of
 * the list. */
enum jm_rc nl_unsubscribe(struct db *db, int64_t subscription_id, int64_t now,
                          const char *how) JM_WUR;

/* ---- subscribers (subscriber.c) ---- */
struct nl_subscriber {
	int64_t person_id, subscription_id;
	const char *email, *name, *status, *list_slug;
	int64_t created_at, confirmed_at;
	const char *consent_source, *consent_ip, *consent_text;
	int64_t consent_at;
	const char **tags;
	size_t ntags;
};
/* Lists (public ones only if public_only) by id with their fields but
 * without the counts, charset or welcome texts: cheap enough for every
 * public page render (prefs.c). At most 200. */
enum jm_rc nl_list_all_brief(struct db *db, struct arena *a, bool public_only, struct nl_list **out,
                             size_t *n) JM_WUR;
/* The lists the person behind subscription_id is on, any status, one
 * nl_subscriber per subscription (subscription_id, list_slug, status,
 * email), ordered by list id; for the unsubscribe page's preferences
 * (prefs.c). JM_NOT_FOUND when the subscription is gone. */
enum jm_rc nl_subscription_prefs(struct db *db, struct arena *a, int64_t subscription_id,
                                 struct nl_subscriber **out, size_t *n) JM_WUR;

/* The subscription a signed link's id stands for now: a merge of two
 * people on one list keeps one row and records the other id as an alias
 * (subscription_aliases), so links mailed earlier keep working. *id is
 * left as is when it is no alias. */
enum jm_rc nl_subscription_resolve(struct db *db, int64_t *id) JM_WUR;

struct nl_subscriber_query {
	int64_t list_id;    /* 0 = any list */
	const char *status; /* NULL = any */
	const char *q;      /* email/name search (prefix on email, FTS on name), NULL = all */
	const char *tag;    /* NULL = any */
	const char *field_key, *field_val; /* custom-field filter, NULL = none */
	int page, per_page;
};
enum jm_rc nl_subscriber_list(struct db *db, struct arena *a, const struct nl_subscriber_query *q,
                              struct nl_subscriber **out, size_t *n, int64_t *total) JM_WUR;
/* Adds a subscriber by hand (consent source "admin", active at once). */
enum jm_rc nl_subscriber_add(struct db *db, int64_t list_id, const char *email, const char *name,
                             int64_t *person_id, struct jm_err *err) JM_WUR;
enum nl_bulk_op { NL_BULK_TAG, NL_BULK_UNTAG, NL_BULK_UNSUBSCRIBE, NL_BULK_ERASE };
/* Applies op to the given people (arg = tag for TAG/UNTAG). ERASE removes
 * every personal datum of those people (the person row and all it owns). */
enum jm_rc nl_bulk(struct db *db, enum nl_bulk_op op, const int64_t *person_ids, size_t n,
                   int64_t list_id, const char *arg) JM_WUR;
/* One person as the admin's subscriber page shows them (person.c): every
 * subscription with its status and consent record, custom-field values and
 * tags. JM_NOT_FOUND for an unknown id. */
struct nl_person {
	int64_t id;
	const char *email, *name;
	int64_t created_at;
	struct nl_subscriber *subs; /* one per list, any status, by list id */
	size_t nsubs;
	const char **field_keys, **field_vals;
	size_t nfields;
	const char **tags;
	size_t ntags;
};
enum jm_rc nl_person_get(struct db *db, struct arena *a, int64_t person_id,
                         struct nl_person *out) JM_WUR;
/* A person's custom-field values by key and tags by tag (person_fields,
 * person_tags), into arena arrays; also the people hub's person page. */
enum jm_rc nl_person_fields(struct db *db, struct arena *a, int64_t person_id, const char ***keys,
                            const char ***vals, size_t *n) JM_WUR;
enum jm_rc nl_person_tags(struct db *db, struct arena *a, int64_t person_id, const char ***tags,
                          size_t *n) JM_WUR;
/* Merge (people_merge's owner for subscriptions and deliveries): from's
 * rows become into's, keeping the better one where both have a row for
 * the same list or broadcast. Inside the caller's transaction. */
enum jm_rc nl_person_merge_move(struct db *db, int64_t into, int64_t from) JM_WUR;
/* History of a person (person_events), newest first. */
struct nl_event {
	const char *kind, *detail;
	int64_t at;
};
enum jm_rc nl_person_events(struct db *db, struct arena *a, int64_t person_id,
                            struct nl_event **out, size_t *n) JM_WUR;

/* ---- CSV import/export (csv.c, libcsv + iconv) ---- */
enum nl_encoding { NL_ENC_AUTO, NL_ENC_UTF8, NL_ENC_SJIS };
struct nl_import_opts {
	int64_t list_id;
	enum nl_encoding encoding;
	int col_email, col_name; /* 0-based columns; col_name -1 = none */
	const char **field_keys; /* custom field per column, NULL entries = skip */
	/* per column: the person's own column it fills ("furigana", "company",
	 * "title"), NULL = none; may be NULL as a whole */
	const char **person_cols;
	size_t ncols_mapped;
	const char *tag; /* tag every imported person (may be NULL) */
	bool has_header;
	bool send_optin;    /* false: the owner declared consent (active now) */
	const char *source; /* consent source, e.g. "import:file.csv" */
};
/* The consent source of an import whose consent the owner declared: the
 * file name, who declared it (a user's email or "cli") and when, e.g.
 * "import file=members.csv by=owner@example.jp at=2026-12-07T05:00:00Z"
 * (in a). (csv_preview.c) */
const char *nl_import_consent_source(struct arena *a, const char *file, const char *who,
                                     int64_t now);
struct nl_import_report {
	int64_t rows, imported, merged, skipped;
	/* First bad rows with their line numbers ("line 12: invalid email"),
	 * and the same as codes for a message in the UI's language. */
	char errors[20][160];
	struct jm_row_err why[20];
	int nerrors;
	/* why the whole import failed, when it returns an error (code "" when
	 * it was not about the file) */
	struct jm_row_err fail;
	enum nl_encoding detected;
};
/* progress(done_bytes, total_bytes, user) is called every few thousand rows. */
typedef void (*nl_progress_fn)(int64_t done, int64_t total, void *user);
/* Imports a whole file in one transaction per batch; a file that cannot be
 * read as the encoding, is empty or has a broken quote gives JM_INVALID and
 * imports nothing. */
enum jm_rc nl_import_csv(struct db *db, const unsigned char secret[32], const char *data,
                         size_t len, const struct nl_import_opts *o, nl_progress_fn progress,
                         void *user, struct nl_import_report *rep, struct jm_err *err) JM_WUR;

/* The first max_rows rows of a CSV file, decoded as nl_import_csv would
 * (for the admin's column-mapping step). Cells live in the arena; a short
 * row has NULL past its end; ncols is the widest row. JM_INVALID (err) when
 * those rows cannot be read as the encoding or hold a broken quote, or the
 * file is empty. (csv_preview.c) */
struct nl_csv_preview {
	const char ***rows; /* rows[r][c] */
	size_t nrows, ncols;
	enum nl_encoding detected;
	const char *fail; /* on JM_INVALID: "not_utf8", "encoding", "quote", "empty" */
};
enum jm_rc nl_csv_preview(struct arena *a, const char *data, size_t len, enum nl_encoding enc,
                          size_t max_rows, struct nl_csv_preview *out, struct jm_err *err) JM_WUR;
/* Maps a header row (cells[0..ncols), NULL cells allowed) onto the list:
 * the one rule of the CLI import and the admin's mapping screen. Per
 * column, first match: a list field whose key or label is the header
 * (jm_csvhead_same); the email; the name; a list field that names the same
 * person field (its person mapping, key or label, e.g. 会社名 for 会社);
 * the person's furigana, company or title; else skipped. The row is a
 * header when a column names the email, or when no cell holds an '@' and
 * some column is mapped (then col_email is -1 when no column is the
 * email). Otherwise there is no header: column 1 is the email, column 2
 * the name. Sets col_email, col_name, field_keys, person_cols,
 * ncols_mapped and has_header of o (arrays in a). (csv_preview.c) */
void nl_csv_map(struct arena *a, const struct nl_list *l, const char *const *cells, size_t ncols,
                struct nl_import_opts *o);
/* Converts CP932 (Shift_JIS as Excel saves it) to UTF-8 in the arena,
 * NUL-terminated. partial: a character cut at the end of data is dropped
 * (previews of a file's beginning). JM_INVALID for bytes that are not CP932,
 * JM_IO when iconv has no CP932. (encoding.c) */
enum jm_rc nl_cp932_to_utf8(struct arena *a, const char *data, size_t len, bool partial,
                            const char **out, size_t *outlen) JM_WUR;
/* Writes email,name,status,subscribed_at,consent_*,fields… (UTF-8, optional BOM). */
enum jm_rc nl_export_csv(struct db *db, int64_t list_id, bool bom,
                         enum jm_rc (*write)(const char *p, size_t len, void *user),
                         void *user) JM_WUR;

/* Spreadsheet formula-injection guard (OWASP "CSV Injection") of every
 * CSV export and import: subscribers (csv.c) and people (network/io.c).
 * A cell needs the guard when, after any run of leading apostrophes, it
 * starts with = + - @ TAB or CR; the export then writes one more
 * apostrophe in front of it. The import drops one leading apostrophe only
 * when what follows still needs the guard. So export → import gives every
 * value back unchanged, and a value that never needed the guard ("'quoted",
 * "it's", "'81") is never touched; the only values an import changes are
 * ones a spreadsheet shows without their first apostrophe anyway ("'=1+1"
 * imports as "=1+1", "'+81 3…" as "+81 3…"). (csv.c) */
bool nl_csv_needs_guard(const char *s, size_t n);
/* 1 when the import drops s's first byte (the guard's apostrophe), else 0. */
size_t nl_csv_guard_len(const char *s, size_t n);

/* ---- broadcasts (broadcast.c) ---- */
struct nl_broadcast {
	int64_t id, list_id;
	const char *subject, *body_md, *audience, *status, *slug;
	bool public_;
	int64_t scheduled_at, started_at, finished_at, created_at;
	int64_t total, sent, failed, queued; /* counts from deliveries */
	double rate;                         /* messages per second over the last minute */
	const char *waiting; /* why queued mail does not go out (NULL: it does), e.g.
	                        "sender identity incomplete: sender_postal_address" */
};
/* The settings of the sender identity the law requires (特定電子メール法)
 * that are empty in vals (mail_from_name, mail_from_addr,
 * sender_postal_address, sender_contact, in that order), joined by ", " in
 * the arena; NULL when all are set. Broadcasts are refused and bulk mail
 * waits while any is missing. */
const char *nl_sender_missing(struct arena *a, const char *const vals[4]);
struct nl_broadcast_input {
	int64_t list_id;
	const char *subject, *body_md, *audience, *slug;
	bool public_;
	int64_t scheduled_at;
	bool has_list, has_subject, has_body, has_audience, has_slug, has_public, has_scheduled_at;
};
enum jm_rc nl_broadcast_create(struct db *db, const struct nl_broadcast_input *in, int64_t *id,
                               struct jm_err *err) JM_WUR;
enum jm_rc nl_broadcast_update(struct db *db, int64_t id, const struct nl_broadcast_input *in,
                               struct jm_err *err) JM_WUR;
enum jm_rc nl_broadcast_get(struct db *db, struct arena *a, int64_t id,
                            struct nl_broadcast *out) JM_WUR;
enum jm_rc nl_broadcast_list(struct db *db, struct arena *a, int page, int per_page,
                             struct nl_broadcast **out, size_t *n, int64_t *total) JM_WUR;
/* Public back numbers: sent and marked public, newest first. */
enum jm_rc nl_backnumbers(struct db *db, struct arena *a, int page, int per_page,
                          struct nl_broadcast **out, size_t *n, int64_t *total) JM_WUR;
enum jm_rc nl_backnumber_get(struct db *db, struct arena *a, const char *slug,
                             struct nl_broadcast *out) JM_WUR;

/* Sending: send now (or at scheduled_at); the audience is expanded into
 * deliveries by the worker with one INSERT … SELECT, never in memory.
 * Refused (JM_INVALID, field "settings") while the sender's name, postal
 * address or contact setting is empty. */
enum jm_rc nl_broadcast_send(struct db *db, int64_t id, int64_t now, struct jm_err *err) JM_WUR;
enum jm_rc nl_broadcast_pause(struct db *db, int64_t id) JM_WUR;
enum jm_rc nl_broadcast_resume(struct db *db, int64_t id) JM_WUR;
enum jm_rc nl_broadcast_cancel(struct db *db, int64_t id) JM_WUR;
/* Queues one test message of the broadcast to addr (merge fields get their
 * fallbacks). */
enum jm_rc nl_broadcast_test(struct db *db, int64_t id, const char *addr,
                             struct jm_err *err) JM_WUR;

/* Merge fields: {{name|読者}}, {{email}}, {{company|}} (custom fields by key).
 * lookup returns NULL for an unknown/empty value; the fallback is used then. */
typedef const char *(*nl_lookup_fn)(const char *key, void *user);
enum jm_rc nl_merge(const char *tpl, size_t len, nl_lookup_fn lookup, void *user, bool html_escape,
                    struct buf *out) JM_WUR;

/* ---- the delivery worker (queue.c, worker.c) ---- */
struct nl_worker;
struct nl_worker_opts {
	const char *db_url;
	const unsigned char *secret; /* 32 bytes */
	const char *base_url;        /* for confirm/unsubscribe links; "" = setting */
	const char *smtp_url;        /* JINMYAKU_SMTP_URL overrides the setting */
	const char *data_dir;        /* DKIM key lives in DATA/dkim/ */
	int threads;                 /* sending threads (default 2) */
	const char *listen;          /* base URL fallback "http://" + listen when neither
	                                base_url nor the setting is set (may be NULL) */
};
/* Starts the worker threads: resets rows left 'sending' by a killed worker
 * to 'queued', expands started broadcasts, sends due deliveries within the
 * throttles, retries 4xx with backoff, fails 5xx (5.1.1 also bounces the
 * subscription). */
enum jm_rc nl_worker_start(const struct nl_worker_opts *o, struct nl_worker **out,
                           struct jm_err *err) JM_WUR;
/* Stops after in-flight messages finish. NULL is a no-op. */
void nl_worker_stop(struct nl_worker *w);
/* Sends one test mail to `to` through the relay the current settings (and
 * o's overrides) configure, as the worker would (same From, DKIM), on its
 * own connection to o->db_url. reply gets the relay's last answer ("250 …"
 * or the SMTP error text). JM_OK when the relay accepted it; JM_SMTP_TEMP /
 * JM_SMTP_PERM with reply; JM_INVALID (field smtp_url) without a usable
 * relay. Blocks for up to the connect timeout: call it off the event loop. */
enum jm_rc nl_relay_test(const struct nl_worker_opts *o, const char *to, char reply[256],
                         struct jm_err *err) JM_WUR;

/* ---- transactional mails to one address (render_tx.c) ----
 * kind "notify": to the owner (a new contact message, the daily digest);
 * kind "reply": the owner's reply to a message; kind "event": an event
 * registration's mail (forms/). payload is a JSON object:
 *   {"subject": "...", "text": "...",            required, UTF-8
 *    "to_name": "...", "reply_to": "addr",       optional
 *    "message_id": "<id@host>",                  optional fixed Message-ID
 *    "in_reply_to": "<…>", "references": "<…> <…>",  optional threading
 *    "parts": [{"ctype", "b64", "filename", "cid",     optional extra parts
 *               "alternative": bool, "inline": bool}]}  (struct mail_extra)
 * "{base_url}" in an event mail's text becomes the site's base URL.
 * Sent from the site's sender (mail_from_name/addr), without List-Id or
 * List-Unsubscribe, text only. Queues one deliveries row due now. */
enum jm_rc nl_queue_tx(struct db *db, const char *kind, int64_t person_id, const char *to_addr,
                       const char *payload_json, int64_t now, int64_t *delivery_id) JM_WUR;

#endif
