/*
 * subscribe.c — sign-up, confirmation and unsubscription, with consent
 * recorded as Japan's 特定電子メール法 asks (when, from which form or page
 * and address, the wording agreed to), and the shared writers of nl_int.h.
 *
 * Invariants: one sign-up is one transaction; a sign-up's name and custom-
 * field values reach an existing person only when the address's owner
 * confirms (they wait in subscription_pending_fields until then), a person
 * the sign-up created at once; an active subscriber signing
 * up again and a rate-limited attempt get the same neutral answer and
 * cause no mail (no address probing, no flooding a victim); the queued
 * confirmation row carries only ids and the address — the worker renders
 * the mail from the subscription, so nothing a form sent is ever echoed.
 * Confirm and unsubscribe are idempotent. Unsubscribing takes effect at
 * once and cancels the person's queued mails of that list (RFC 8058).
 */
#include <strings.h>

#include "auth/auth.h"
#include "newsletter/nl_int.h"
#include "people/people.h"

#define SOURCE_MAX 500
#define IP_MAX     64

/* ---- shared helpers (nl_int.h) ---- */

bool nl_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max * 4 || !jm_header_value_ok(s, n)) /* names and fields are merge fields */
		return false;
	return utf8_count(s, n) <= max;
}

bool nl_email_norm(const char *email, char out[NL_EMAIL_MAX + 2])
{
	size_t n = email ? strlen(email) : 0;
	if (n == 0 || n > NL_EMAIL_MAX + 64)
		return false;
	char tmp[NL_EMAIL_MAX + 66];
	memcpy(tmp, email, n + 1);
	if (!auth_email_normalize(tmp) || strlen(tmp) > NL_EMAIL_MAX)
		return false;
	memcpy(out, tmp, strlen(tmp) + 1);
	return true;
}

const char *nl_email_domain(const char *email)
{
	const char *at = strrchr(email, '@');
	return at ? at + 1 : "";
}

enum jm_rc nl_event_add(struct db *db, int64_t person_id, const char *kind, const char *detail,
                        int64_t now)
{
	return people_event_add(db, person_id, kind, detail, now);
}

enum jm_rc nl_delivery_queue(struct db *db, const char *kind, int64_t subscription_id,
                             int64_t person_id, const char *to_addr, int64_t now)
{
	return db_execf(
	        db,
	        "INSERT INTO deliveries(kind, subscription_id, person_id, to_addr, domain, "
	        "state, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
	        "tiittii", kind, subscription_id, person_id, to_addr, nl_email_domain(to_addr), now,
	        now);
}

enum jm_rc nl_unsubscribe_tx(struct db *db, int64_t subscription_id, int64_t now, const char *how)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT s.status, s.person_id, s.list_id, l.slug "
	                            "FROM subscriptions s JOIN lists l ON l.id = s.list_id "
	                            "WHERE s.id = ?",
	                            "i", subscription_id);
	if (rc)
		return rc;
	rc = db_step(st);
	bool already = rc == JM_OK && strcmp(db_col_text(st, 0, NULL), "unsubscribed") == 0;
	int64_t person = rc == JM_OK ? db_col_int(st, 1) : 0;
	int64_t list = rc == JM_OK ? db_col_int(st, 2) : 0;
	char detail[200];
	if (rc == JM_OK)
		snprintf(detail, sizeof(detail), "%s%s%s", db_col_text(st, 3, NULL),
		         how && *how ? " " : "", how ? how : "");
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	if (already)
		return JM_OK;
	rc = db_execf(db,
	              "UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = ?, "
	              "updated_at = ? WHERE id = ?",
	              "iii", now, now, subscription_id);
	if (!rc)
		rc = nl_event_add(db, person, "unsubscribed", detail, now);
	if (!rc)
		rc = db_execf(db,
		              "UPDATE deliveries SET state = 'cancelled' WHERE person_id = ? "
		              "AND state = 'queued' AND (subscription_id = ? OR broadcast_id IN "
		              "(SELECT id FROM broadcasts WHERE list_id = ?))",
		              "iii", person, subscription_id, list);
	return rc;
}

/* ---- sign-up ---- */

struct signup {
	const struct nl_signup *in;
	struct nl_list list;
	char email[NL_EMAIL_MAX + 2];
	const char *name, *source, *ip;
	const char **vals; /* normalised value per list field */
	struct arena *a;
	int64_t person_id, sub_id;
	const char *status; /* current subscription status, NULL = none */
};

static const char *input_value(const struct nl_signup *in, const char *key)
{
	for (size_t i = 0; i < in->nfields; i++)
		if (in->field_keys[i] && strcmp(in->field_keys[i], key) == 0)
			return in->field_vals[i] ? in->field_vals[i] : "";
	return "";
}

/* ---- custom-field values (nl_int.h; the sign-up form and the CSV import) ----
 * The value rules are the field engine's (core/field.c), so a list field
 * and a form field of the same type accept the same values. */

const char *nl_checkbox_value(const char *v)
{
	return jm_field_checkbox_value(v);
}

enum nl_value_check nl_field_check(const struct nl_field *f, const char *v, bool from_form,
                                   const char **out)
{
	struct jm_field jf = {.key = f->key,
	                      .label = f->label,
	                      .type = f->type,
	                      .options = (const char *const *)f->options,
	                      .noptions = f->noptions,
	                      .required = f->required};
	switch (jm_field_value_check(&jf, v, from_form, out)) {
	case JM_FV_OK: return NL_VALUE_OK;
	case JM_FV_REQUIRED: return NL_VALUE_REQUIRED;
	case JM_FV_NOT_OPTION: return NL_VALUE_NOT_OPTION;
	case JM_FV_NOT_CHECKBOX: return NL_VALUE_NOT_CHECKBOX;
	case JM_FV_TOO_LONG: return NL_VALUE_TOO_LONG;
	default: return NL_VALUE_BAD;
	}
}

static enum jm_rc check_field(const struct nl_field *f, const char *v, const char **out,
                              struct jm_err *err)
{
	switch (nl_field_check(f, v, true, out)) {
	case NL_VALUE_OK: return JM_OK;
	case NL_VALUE_TOO_LONG:
	case NL_VALUE_NOT_CHECKBOX: /* not from a form */
		jm_err_set(err, f->key, "%s: at most %d characters on one line", f->label,
		           NL_VALUE_MAX);
		break;
	case NL_VALUE_NOT_OPTION:
		jm_err_set(err, f->key, "%s: choose one of the options", f->label);
		break;
	case NL_VALUE_REQUIRED: jm_err_set(err, f->key, "%s is required", f->label); break;
	case NL_VALUE_BAD: jm_err_set(err, f->key, "%s: not a valid %s", f->label, f->type); break;
	}
	return JM_INVALID;
}

/* A copy of s cut to max bytes on a character boundary ("" if not UTF-8). */
static const char *capped(struct arena *a, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || !utf8_valid(s, n))
		return "";
	return arena_strndup(a, s, utf8_truncate(s, n, max));
}

static enum jm_rc validate_signup(struct db *db, struct arena *a, struct signup *s,
                                  struct jm_err *err)
{
	const struct nl_signup *in = s->in;
	if (!nl_email_norm(in->email, s->email)) {
		jm_err_set(err, "email", "invalid email address");
		return JM_INVALID;
	}
	s->name = in->name ? in->name : "";
	if (!nl_text_ok(s->name, NL_NAME_MAX)) {
		jm_err_set(err, "name", "name: at most %d characters on one line", NL_NAME_MAX);
		return JM_INVALID;
	}
	enum jm_rc rc = nl_list_by_slug(db, a, in->list_slug ? in->list_slug : "", &s->list);
	if (rc) {
		if (rc == JM_NOT_FOUND)
			jm_err_set(err, "list", "no such list");
		return rc;
	}
	s->vals = arena_calloc(a, (s->list.nfields + 1) * sizeof(char *));
	for (size_t i = 0; i < s->list.nfields && !rc; i++)
		rc = check_field(&s->list.fields[i], input_value(in, s->list.fields[i].key),
		                 &s->vals[i], err);
	s->source = capped(a, in->source, SOURCE_MAX);
	s->ip = capped(a, in->ip, IP_MAX);
	return rc;
}

/* Loads the person and their subscription of the list, if any. */
static enum jm_rc find_existing(struct db *db, struct arena *a, struct signup *s)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT p.id, s.id, s.status FROM people p LEFT JOIN "
	                            "subscriptions s ON s.person_id = p.id AND s.list_id = ? "
	                            "WHERE p.email = ?",
	                            "it", s->list.id, s->email);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		s->person_id = db_col_int(st, 0);
		s->sub_id = db_col_int(st, 1);
		s->status = db_col_null(st, 2) ? NULL : db_col_dup(st, 2, a);
	}
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc write_subscription(struct db *db, struct signup *s, int64_t now)
{
	bool dbl = s->list.double_optin;
	const char *status = dbl ? "pending" : "active";
	struct db_stmt *st = NULL;
	enum jm_rc rc;
	if (s->sub_id)
		rc = db_preparef(db, &st,
		                 "UPDATE subscriptions SET status = ?, updated_at = ?, "
		                 "confirmed_at = ?, unsubscribed_at = NULL, consent_at = ?, "
		                 "consent_source = ?, consent_ip = ?, consent_text = ? "
		                 "WHERE id = ? RETURNING id",
		                 "tiiittti", status, now, now, now, s->source, s->ip,
		                 s->list.consent_text, s->sub_id);
	else
		rc = db_preparef(db, &st,
		                 "INSERT INTO subscriptions(status, updated_at, confirmed_at, "
		                 "consent_at, consent_source, consent_ip, consent_text, person_id, "
		                 "list_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
		                 "RETURNING id",
		                 "tiiitttiii", status, now, now, now, s->source, s->ip,
		                 s->list.consent_text, s->person_id, s->list.id, now);
	if (rc)
		return rc;
	if (dbl) /* pending until the link is clicked */
		db_bind_null(st, 3);
	rc = db_step(st);
	if (rc == JM_OK)
		s->sub_id = db_col_int(st, 0);
	db_finalize(st);
	return rc;
}

static bool is_mapped(const struct nl_field *f)
{
	return f->person && *f->person;
}

/* A field mapped onto a person column (0011) fills that column of the
 * person this sign-up created (write_values calls this only then); an
 * existing person's columns are not a stranger's to set (issue 8, item 2). */
static enum jm_rc write_person_col(struct db *db, const struct signup *s, const struct nl_field *f,
                                   const char *v, int64_t now)
{
	if (!*v)
		return JM_OK;
	struct people_patch p = {0};
	if (!strcmp(f->person, "name"))
		p.name = v, p.has_name = true;
	else if (!strcmp(f->person, "furigana"))
		p.furigana = v, p.has_furigana = true;
	else if (!strcmp(f->person, "company"))
		p.company = v, p.has_company = true;
	else
		p.title = v, p.has_title = true;
	return people_update(db, s->person_id, &p, now);
}

static enum jm_rc write_fields(struct db *db, const struct signup *s, int64_t now)
{
	const char **keys = arena_alloc(s->a, (s->list.nfields + 1) * sizeof(char *));
	const char **vals = arena_alloc(s->a, (s->list.nfields + 1) * sizeof(char *));
	size_t n = 0;
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < s->list.nfields && !rc; i++) {
		if (is_mapped(&s->list.fields[i])) {
			rc = write_person_col(db, s, &s->list.fields[i], s->vals[i], now);
			continue;
		}
		keys[n] = s->list.fields[i].key;
		vals[n++] = s->vals[i];
	}
	return rc ? rc : people_fields_set(db, s->person_id, keys, vals, n);
}

/* Keeps the sign-up's name and values with the subscription until it is
 * confirmed (replacing those of an earlier unconfirmed sign-up). A field
 * mapped onto a person column is not kept: those columns are set only for
 * a person the sign-up created. */
static enum jm_rc write_pending(struct db *db, const struct signup *s)
{
	enum jm_rc rc = db_execf(db, "UPDATE subscriptions SET pending_name = ? WHERE id = ?", "ti",
	                         s->name, s->sub_id);
	if (!rc)
		rc = db_execf(db,
		              "DELETE FROM subscription_pending_fields WHERE subscription_id = ?",
		              "i", s->sub_id);
	for (size_t i = 0; i < s->list.nfields && !rc; i++)
		if (!is_mapped(&s->list.fields[i]))
			rc = db_execf(
			        db,
			        "INSERT INTO subscription_pending_fields(subscription_id, key, "
			        "value) VALUES (?, ?, ?)",
			        "itt", s->sub_id, s->list.fields[i].key, s->vals[i]);
	return rc;
}

/* A sign-up's values are someone's word about the address's owner: they
 * reach a person the sign-up created at once, an existing person only
 * through the confirmation link (double opt-in), never on a single opt-in
 * list (nobody confirms there). */
static enum jm_rc write_values(struct db *db, const struct signup *s, bool created, int64_t now)
{
	if (created)
		return write_fields(db, s, now);
	return s->list.double_optin ? write_pending(db, s) : JM_OK;
}

/* The writes of a sign-up that passed the limits. */
static enum jm_rc signup_write(struct db *db, struct signup *s, int64_t now,
                               enum nl_signup_result *result)
{
	bool was_pending = s->status && strcmp(s->status, "pending") == 0, created = false;
	struct people_new pn = {.email = s->email, .name = s->name, .source = "newsletter"};
	enum jm_rc rc = people_ensure(db, &pn, now, &s->person_id, &created, NULL);
	if (!rc)
		rc = write_subscription(db, s, now);
	if (!rc)
		rc = write_values(db, s, created, now);
	if (!rc && !was_pending)
		rc = nl_event_add(db, s->person_id, "subscribed", s->list.slug, now);
	if (rc)
		return rc;
	if (s->list.double_optin) {
		*result = NL_SIGNUP_CONFIRM_SENT;
		rc = nl_delivery_queue(db, "confirm", s->sub_id, s->person_id, s->email, now);
		return rc ? rc : auth_rate_add(db, "email:", s->email, now);
	}
	*result = NL_SIGNUP_ACTIVE;
	if (*s->list.welcome_md)
		rc = nl_delivery_queue(db, "welcome", s->sub_id, s->person_id, s->email, now);
	return rc;
}

/* Inside the transaction: limits, then the writes. */
static enum jm_rc signup_tx(struct db *db, struct arena *a, struct signup *s,
                            enum nl_signup_result *result)
{
	int64_t now = s->in->now ? s->in->now : jm_now(), n = 0;
	*result = NL_SIGNUP_NEUTRAL;
	enum jm_rc rc = auth_rate_hit(db, "ip:", s->ip, NL_RATE_IP_MAX, NL_RATE_IP_WINDOW, now);
	if (rc == JM_RATE_LIMITED)
		return JM_OK;
	if (!rc)
		rc = find_existing(db, a, s);
	if (rc || (s->status && strcmp(s->status, "active") == 0))
		return rc;
	if (s->list.double_optin) {
		rc = auth_rate_count(db, "email:", s->email, now - NL_RATE_EMAIL_WINDOW, &n);
		if (rc || n >= NL_RATE_EMAIL_MAX)
			return rc;
	}
	return signup_write(db, s, now, result);
}

enum jm_rc nl_signup(struct db *db, const unsigned char secret[32], const struct nl_signup *in,
                     enum nl_signup_result *result, struct jm_err *err)
{
	(void)secret; /* tokens are made when the worker renders the mail */
	struct arena *a = arena_new(4096);
	struct signup s = {.in = in, .a = a};
	*result = NL_SIGNUP_NEUTRAL;
	enum jm_rc rc = validate_signup(db, a, &s, err);
	if (rc)
		goto out;
	rc = db_begin(db);
	if (rc)
		goto out;
	rc = signup_tx(db, a, &s, result);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		*result = NL_SIGNUP_NEUTRAL;
		jm_err_set(err, NULL, "could not save the sign-up");
	}
out:
	arena_free(a);
	return rc;
}

/* ---- confirm, unsubscribe ---- */

/* Reads the values an unconfirmed sign-up left with subscription id into
 * arena arrays. */
static enum jm_rc pending_read(struct db *db, struct arena *a, int64_t id, const char **name,
                               const char ***keys, const char ***vals, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*n = 0;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT s.pending_name, f.key, f.value FROM subscriptions s LEFT JOIN "
	        "subscription_pending_fields f ON f.subscription_id = s.id WHERE s.id = ? "
	        "ORDER BY f.key",
	        "i", id);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		*name = db_col_dup(st, 0, a);
		if (db_col_null(st, 1))
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			const char **k = arena_alloc(a, cap * sizeof(*k)),
			           **v = arena_alloc(a, cap * sizeof(*v));
			if (*n) {
				memcpy(k, *keys, *n * sizeof(*k));
				memcpy(v, *vals, *n * sizeof(*v));
			}
			*keys = k;
			*vals = v;
		}
		(*keys)[*n] = db_col_dup(st, 1, a);
		(*vals)[(*n)++] = db_col_dup(st, 2, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* The confirmation is the address owner's word: the values their sign-up
 * proposed reach the person now (a name only when they have none). */
static enum jm_rc apply_pending(struct db *db, int64_t id, int64_t person, int64_t now)
{
	struct arena *a = arena_new(2048);
	const char *name = "", **keys = NULL, **vals = NULL;
	size_t n = 0;
	enum jm_rc rc = pending_read(db, a, id, &name, &keys, &vals, &n);
	if (!rc)
		rc = people_name_fill(db, person, name, now);
	if (!rc && n)
		rc = people_fields_set(db, person, keys, vals, n);
	if (!rc)
		rc = db_execf(db, "UPDATE subscriptions SET pending_name = '' WHERE id = ?", "i",
		              id);
	if (!rc)
		rc = db_execf(db,
		              "DELETE FROM subscription_pending_fields WHERE subscription_id = ?",
		              "i", id);
	arena_free(a);
	return rc;
}

static enum jm_rc confirm_tx(struct db *db, int64_t id, int64_t now, int64_t *list_id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT s.status, s.person_id, s.list_id, p.email, l.slug, "
	                            "l.welcome_md != '' FROM subscriptions s "
	                            "JOIN people p ON p.id = s.person_id "
	                            "JOIN lists l ON l.id = s.list_id WHERE s.id = ? "
	                            "AND l.trashed_at IS NULL",
	                            "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc != JM_OK) {
		db_finalize(st);
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	}
	const char *status = db_col_text(st, 0, NULL);
	bool pending = strcmp(status, "pending") == 0, active = strcmp(status, "active") == 0;
	int64_t person = db_col_int(st, 1);
	*list_id = db_col_int(st, 2);
	char email[NL_EMAIL_MAX + 2], slug[64];
	snprintf(email, sizeof(email), "%s", db_col_text(st, 3, NULL));
	snprintf(slug, sizeof(slug), "%s", db_col_text(st, 4, NULL));
	bool welcome = db_col_int(st, 5) != 0;
	db_finalize(st);
	if (!pending)
		return active ? JM_OK : JM_CONFLICT;
	rc = db_execf(db,
	              "UPDATE subscriptions SET status = 'active', confirmed_at = ?, "
	              "consent_at = ?, updated_at = ? WHERE id = ?",
	              "iiii", now, now, now, id);
	if (!rc)
		rc = apply_pending(db, id, person, now);
	if (!rc)
		rc = nl_event_add(db, person, "confirmed", slug, now);
	if (!rc && welcome)
		rc = nl_delivery_queue(db, "welcome", id, person, email, now);
	return rc;
}

enum jm_rc nl_confirm(struct db *db, int64_t subscription_id, int64_t now, struct nl_list *list_out,
                      struct arena *a)
{
	int64_t list_id = 0;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = confirm_tx(db, subscription_id, now ? now : jm_now(), &list_id);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	if (list_out && a)
		rc = nl_list_get(db, a, list_id, list_out);
	return rc;
}

enum jm_rc nl_unsubscribe(struct db *db, int64_t subscription_id, int64_t now, const char *how)
{
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = nl_unsubscribe_tx(db, subscription_id, now ? now : jm_now(), how);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}
