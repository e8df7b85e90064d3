/*
 * nl_int.h — helpers shared inside src/newsletter/ (not for other modules).
 *
 * Every helper here writes inside the caller's transaction: none of them
 * begins or commits. Times are unix seconds.
 */
#ifndef JM_NL_INT_H
#define JM_NL_INT_H

#include "db/db.h"
#include "newsletter/newsletter.h"

/* Sign-up rate limits (auth_rate_*, auth/ratelimit.c). */
#define NL_RATE_EMAIL_MAX    3     /* confirmation mails per address … */
#define NL_RATE_EMAIL_WINDOW 86400 /* … per 24 hours */
#define NL_RATE_IP_MAX       10    /* sign-ups per client address … */
#define NL_RATE_IP_WINDOW    3600  /* … per hour */

#define NL_NAME_MAX  100  /* code points of a subscriber's name */
#define NL_VALUE_MAX 1000 /* code points of a custom-field value */
#define NL_EMAIL_MAX 254  /* bytes of an address */

/* True when s (NUL-terminated) is valid UTF-8 of at most max code points
 * without control characters (tab, CR and LF included). */
bool nl_text_ok(const char *s, size_t max);

/* Normalises email into out (trim, lower-case; auth_email_normalize) and
 * checks its shape. False for an invalid or over-long address. */
bool nl_email_norm(const char *email, char out[NL_EMAIL_MAX + 2]);

/* The domain part of a normalised address ("" when there is no '@'). */
const char *nl_email_domain(const char *email);

/* Appends one row to person_events (people_event_add). */
enum jm_rc nl_event_add(struct db *db, int64_t person_id, const char *kind, const char *detail,
                        int64_t now) JM_WUR;

/* Queues one transactional mail (kind "confirm" or "welcome") of a
 * subscription as a deliveries row, due now. The worker renders the mail
 * from the subscription when it sends; nothing else goes in the row. */
enum jm_rc nl_delivery_queue(struct db *db, const char *kind, int64_t subscription_id,
                             int64_t person_id, const char *to_addr, int64_t now) JM_WUR;

/* Unsubscribes one subscription inside the caller's transaction
 * (idempotent): status, unsubscribed_at, an "unsubscribed" event (detail:
 * list slug and how), and that person's queued mails of the list
 * cancelled. JM_NOT_FOUND when the subscription does not exist. */
enum jm_rc nl_unsubscribe_tx(struct db *db, int64_t subscription_id, int64_t now,
                             const char *how) JM_WUR;

/* A checkbox value as a CSV or form spells it: "1" for 1, true, yes, y,
 * on, checked, はい, ✓, ✔, ☑, ○, 〇, １; "" for empty, 0, false, no, n, off,
 * いいえ, ×, ✗, ☐, ０ (ASCII case ignored); NULL for anything else. "1" and
 * "" are what a sign-up stores. (subscribe.c) */
const char *nl_checkbox_value(const char *v);

/* Checks one custom-field value against its list field — the one rule of
 * the sign-up form and the CSV import: at most NL_VALUE_MAX characters on
 * one line; a select value is one of the options or empty; a checkbox
 * value is normalised by nl_checkbox_value; a required field is not empty.
 * from_form: a checkbox spelling nl_checkbox_value does not know counts as
 * ticked (a form sends a ticked box's value attribute, whatever it is);
 * otherwise it is NL_VALUE_NOT_CHECKBOX. On NL_VALUE_OK *out is the value
 * to store (v itself, or "1"/"" for a checkbox). The rules are the field
 * engine's (core/field.h). (subscribe.c) */
enum nl_value_check {
	NL_VALUE_OK,
	NL_VALUE_TOO_LONG,
	NL_VALUE_NOT_OPTION,
	NL_VALUE_NOT_CHECKBOX,
	NL_VALUE_REQUIRED,
	NL_VALUE_BAD /* not the shape of its type (email, url, number, date, tel) */
};
enum nl_value_check nl_field_check(const struct nl_field *f, const char *v, bool from_form,
                                   const char **out);

/* Fills l->fields (in position order) for the list l->id (list.c). */
enum jm_rc nl_list_load_fields(struct db *db, struct arena *a, struct nl_list *l) JM_WUR;

/* A recipient's domain (deliveries.domain) in SQL, from p.email: the text
 * after '@', lower-cased. SQLite calls the search instr(), PostgreSQL
 * strpos(); both delivery writers (queue expansion, import confirmations)
 * use these two texts. */
#define NL_DOMAIN_SQLITE "lower(substr(p.email, instr(p.email, '@') + 1))"
#define NL_DOMAIN_PG     "lower(substr(p.email, strpos(p.email, '@') + 1))"

/* ---- the import's staging table (csv_stage.c) ----
 * nl_import(line, email, name, furigana, company, title, pid, f1 … fN):
 * a TEMP table of the connection, (re)created by nl_stage_open with
 * nfields custom-field columns. Rows are buffered and written hundreds per
 * INSERT; nl_stage_index writes the rest and builds the email index the
 * batch statements need; nl_stage_clear empties the table for the next
 * batch. All inside the caller's transaction. */
struct nl_stage;
enum jm_rc nl_stage_open(struct db *db, size_t nfields, struct nl_stage **out) JM_WUR;
/* vals: email, name, furigana, company, title, then the nfields values
 * (NULL for none); copied. */
enum jm_rc nl_stage_add(struct nl_stage *s, int64_t line, const char *const *vals) JM_WUR;
enum jm_rc nl_stage_flush(struct nl_stage *s) JM_WUR;
enum jm_rc nl_stage_index(struct nl_stage *s) JM_WUR;
enum jm_rc nl_stage_clear(struct nl_stage *s) JM_WUR;
void nl_stage_free(struct nl_stage *s);

#endif
