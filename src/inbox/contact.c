/*
 * contact.c — the contact form's domain: the categories it offers and a
 * submission.
 *
 * A submission is checked in this order: the bot defences (the hidden
 * honeypot must be empty; the form's signed stamp — auth/stamp.c, purpose
 * "contact" — must be at least INBOX_MIN_FILL_SECONDS and at most a day
 * old), then each field. Then, in one transaction: the stamp is spent
 * (single use: the same form posted twice stores one message), the rate
 * limits (auth/ratelimit.c keys "contact-ip:IP" and "contact-email:ADDR":
 * one hit per stored message), the person (found by address, or created
 * at stage "reader"), the message with its Message-ID
 * "<contact-ID.RANDOM@host>", a "message" entry on the person's timeline
 * and the owner's notification, a "notify" delivery
 * (newsletter/render_tx.c) whose Reply-To is the sender, and when the owner
 * set one, the fixed acknowledgement to the sender. Any error rolls
 * everything back: nothing is stored for a refused message.
 *
 * Name and subject end up in mail headers (To name, Subject): they are
 * refused when they hold any control character (CR and LF above all), or a
 * Unicode line or paragraph separator (RFC 5322 header lines; STYLE.md 12).
 * Everything else is stored as typed and escaped wherever it is shown.
 */
#include <jansson.h>

#include "inbox/inbox.h"

#include "auth/auth.h"
#include "db/db.h"
#include "mail/mail.h"
#include "people/people.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define FORM_CLOCK_SKEW 60 /* a stamp this far ahead still passes (auth/stamp.c) */
#define CATEGORIES_MAX  50
#define CATEGORY_MAX    100
#define PAGE_MAX        500
#define FALLBACK_HOST   "contact.jinmyaku.invalid"
#define NOTIFY_PREFIX   "[お問い合わせ] "
#define WINDOW_IP       3600
#define WINDOW_EMAIL    86400

/* ---- categories ---- */

enum jm_rc inbox_categories(struct db *db, struct arena *a, const char ***out, size_t *n)
{
	const char *s = site_setting_get(db, a, "contact_categories");
	const char **v = arena_calloc(a, (CATEGORIES_MAX + 1) * sizeof(*v));
	*n = 0;
	while (s && *s && *n < CATEGORIES_MAX) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		const char *p = s;
		while (len && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
			len--;
		if (len && len <= CATEGORY_MAX)
			v[(*n)++] = arena_strndup(a, p, len);
		s = nl ? nl + 1 : NULL;
	}
	*out = v;
	return JM_OK;
}

/* ---- validation ---- */

static enum jm_rc bad(struct jm_err *err, const char *field, const char *why)
{
	jm_err_set(err, field, "%s", why);
	return JM_INVALID;
}

/* The honeypot and the signed stamp (its single use is recorded when the
 * message is stored, inside the transaction). */
static enum jm_rc check_form(const struct inbox_contact *in, int64_t now, struct jm_err *err)
{
	if (in->honeypot && *in->honeypot)
		return bad(err, "honeypot", "honeypot filled");
	if (!in->secret)
		return bad(err, "stamp", "missing form stamp");
	switch (auth_stamp_check(in->secret, INBOX_STAMP_PURPOSE, in->stamp, now,
	                         INBOX_MIN_FILL_SECONDS, INBOX_STAMP_MAX_AGE, NULL)) {
	case AUTH_STAMP_OK: return JM_OK;
	case AUTH_STAMP_FAST: return bad(err, "stamp_fast", "sent too fast");
	case AUTH_STAMP_OLD: return bad(err, "stamp_old", "form expired");
	default: return bad(err, "stamp", "missing or forged form stamp");
	}
}

static bool category_ok(struct db *db, const char *c)
{
	struct arena *a = arena_new(1024);
	const char **v = NULL;
	size_t n = 0;
	bool ok = false;
	if (inbox_categories(db, a, &v, &n) == JM_OK)
		for (size_t i = 0; c && i < n && !ok; i++)
			ok = strcmp(v[i], c) == 0;
	arena_free(a);
	return ok;
}

/* The fields; email is normalised into norm. */
static enum jm_rc check_fields(struct db *db, const struct inbox_contact *in, char norm[256],
                               struct jm_err *err)
{
	size_t len = in->name ? strlen(in->name) : 0;
	if (jm_blank(in->name) || len > INBOX_NAME_MAX || !jm_header_value_ok(in->name, len))
		return bad(err, "name", "required, one line, at most 100 bytes");
	len = in->email ? strlen(in->email) : 0;
	if (len == 0 || len > 254)
		return bad(err, "email", "invalid email address");
	memcpy(norm, in->email, len + 1);
	if (!auth_email_normalize(norm) || !mail_addr_valid(norm))
		return bad(err, "email", "invalid email address");
	if (!category_ok(db, in->category))
		return bad(err, "category", "not one of the configured categories");
	len = in->subject ? strlen(in->subject) : 0;
	if (len > INBOX_SUBJECT_MAX || !jm_header_value_ok(in->subject ? in->subject : "", len))
		return bad(err, "subject", "one line, at most 200 bytes");
	len = in->body ? strlen(in->body) : 0;
	if (jm_blank(in->body) || len > INBOX_BODY_MAX || !utf8_valid(in->body, len) ||
	    utf8_has_controls(in->body, len))
		return bad(err, "body", "required, at most 10000 bytes, no control characters");
	return JM_OK;
}

/* ---- rate limits ---- */

/* Refuses a sender over a limit; otherwise counts this message
 * (auth/ratelimit.c, keys "contact-ip:" and "contact-email:"). */
static enum jm_rc rate_limit(struct db *db, const char *ip, const char *email, int64_t now,
                             struct jm_err *err)
{
	enum jm_rc rc = auth_rate_hit(db, "contact-ip:", ip, INBOX_PER_IP_HOUR, WINDOW_IP, now);
	if (rc == JM_RATE_LIMITED) {
		jm_err_set(err, "ip", "too many messages from this address; try again in an hour");
		return rc;
	}
	if (!rc)
		rc = auth_rate_hit(db, "contact-email:", email, INBOX_PER_EMAIL_DAY, WINDOW_EMAIL,
		                   now);
	if (rc == JM_RATE_LIMITED)
		jm_err_set(err, "email", "too many messages from this email address today");
	return rc;
}

/* ---- storing ---- */

/* The host of a base URL ("https://host:port/x" → "host"), or a fixed one. */
static const char *url_host(struct arena *a, const char *url)
{
	const char *p = url ? strstr(url, "://") : NULL;
	if (!p)
		return FALLBACK_HOST;
	p += 3;
	size_t n = strcspn(p, ":/?#");
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
		            p[i]))
			return FALLBACK_HOST;
	return n && n < 200 ? arena_strndup(a, p, n) : FALLBACK_HOST;
}

struct submit {
	const struct inbox_contact *in;
	struct arena *a;
	const char *email, *base, *host, *msgid;
	int64_t now, person_id, id;
};

static enum jm_rc insert_message(struct db *db, struct submit *s)
{
	const struct inbox_contact *in = s->in;
	const char *page = in->page && strlen(in->page) <= PAGE_MAX ? in->page : "";
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "INSERT INTO messages(person_id, form, category, subject, body, name, email, "
	        "status, ip, page, msgid, created_at, updated_at) "
	        "VALUES (?, 'contact', ?, ?, ?, ?, ?, 'new', ?, ?, '', ?, ?) RETURNING id",
	        "itttttttii", s->person_id, in->category, in->subject ? in->subject : "", in->body,
	        in->name, s->email, in->ip ? in->ip : "", page, s->now, s->now);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		s->id = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_DB : rc;
	char tok[32];
	jm_random_token(tok, 12);
	const char *msgid =
	        arena_sprintf(s->a, "<contact-%lld.%s@%s>", (long long)s->id, tok, s->host);
	s->msgid = msgid;
	return db_execf(db, "UPDATE messages SET msgid = ? WHERE id = ?", "ti", msgid, s->id);
}

/* ---- threads the owner starts (inbox_thread_start) ---- */

/* The person's name and address as a message row keeps them. */
static enum jm_rc person_addr(struct db *db, struct arena *a, int64_t person_id, const char **name,
                              const char **email)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT name, email FROM people WHERE id = ?", "i", person_id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		*name = db_col_dup(st, 0, a);
		*email = db_col_dup(st, 1, a);
	}
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	return **email ? JM_OK : JM_INVALID;
}

enum jm_rc inbox_thread_start(struct db *db, int64_t person_id, const char *form,
                              const char *subject, const char *body, const char *base_url,
                              int64_t now, int64_t *message_id)
{
	struct arena *a = arena_new(4096);
	const char *name = "", *email = "";
	struct db_stmt *st = NULL;
	enum jm_rc rc = person_addr(db, a, person_id, &name, &email);
	if (!rc)
		rc = db_preparef(
		        db, &st,
		        "INSERT INTO messages(person_id, form, subject, body, name, email, "
		        "status, msgid, created_at, updated_at) "
		        "VALUES (?, ?, ?, ?, ?, ?, 'archived', '', ?, ?) RETURNING id",
		        "itttttii", person_id, form, subject, body, name, email, now, now);
	if (!rc) {
		rc = db_step(st);
		if (rc == JM_OK)
			*message_id = db_col_int(st, 0);
		db_finalize(st);
		rc = rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_DB : rc;
	}
	if (!rc) {
		char tok[32];
		jm_random_token(tok, 12);
		const char *host = url_host(
		        a, base_url && *base_url ? base_url : site_setting_get(db, a, "base_url"));
		const char *msgid = arena_sprintf(a, "<%s-%lld.%s@%s>", form,
		                                  (long long)*message_id, tok, host);
		rc = db_execf(db, "UPDATE messages SET msgid = ? WHERE id = ?", "ti", msgid,
		              *message_id);
	}
	arena_free(a);
	return rc;
}

/* The owner's address: setting contact_notify_to, else the first owner's. */
static const char *notify_to(struct db *db, struct arena *a)
{
	const char *to = site_setting_get(db, a, "contact_notify_to");
	if (to && *to && mail_addr_valid(to))
		return to;
	struct db_stmt *st = NULL;
	if (db_prepare(db, "SELECT email FROM users WHERE role = 'owner' ORDER BY id LIMIT 1",
	               &st) != JM_OK)
		return NULL;
	to = db_step(st) == JM_OK ? db_col_dup(st, 0, a) : NULL;
	db_finalize(st);
	return to && mail_addr_valid(to) ? to : NULL;
}

static enum jm_rc queue_notify(struct db *db, struct submit *s)
{
	const struct inbox_contact *in = s->in;
	const char *to = notify_to(db, s->a);
	if (!to) {
		log_at(LOG_WARN, "inbox", "message=%lld no owner address to notify",
		       (long long)s->id);
		return JM_OK;
	}
	const char *subj = in->subject && *in->subject ? in->subject : in->category;
	const char *text =
	        arena_sprintf(s->a,
	                      "お問い合わせフォームから新しいメッセージが届きました。\n\n"
	                      "お名前: %s\nメール: %s\n種別: %s\n件名: %s\n\n%s\n\n----\n"
	                      "このメールに返信すると、送信者に直接届きます。\n"
	                      "管理画面で見る・返信する:\n%s/admin/inbox/%lld\n",
	                      in->name, s->email, in->category, in->subject ? in->subject : "",
	                      in->body, s->base, (long long)s->id);
	json_t *p = json_pack("{s:s+, s:s, s:s}", "subject", NOTIFY_PREFIX, subj, "text", text,
	                      "reply_to", s->email);
	char *js = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (!js)
		return JM_NOMEM;
	int64_t did = 0;
	enum jm_rc rc = nl_queue_tx(db, "notify", 0, to, js, s->now, &did);
	free(js);
	return rc;
}

/* The optional acknowledgement to the sender: subject and text are the
 * owner's fixed settings (nothing the visitor typed, not even their name,
 * goes into it, so the form cannot be used to relay spam). It carries the
 * message's own Message-ID, which the owner's replies point at
 * (In-Reply-To), so they thread under it in the sender's mail program. */
static enum jm_rc queue_autoreply(struct db *db, struct submit *s)
{
	const char *text = site_setting_get(db, s->a, "contact_autoreply_text");
	const char *subj = site_setting_get(db, s->a, "contact_autoreply_subject");
	if (!text || !text[strspn(text, " \t\r\n")])
		return JM_OK;
	json_t *p = json_pack("{s:s, s:s, s:s}", "subject",
	                      subj && *subj ? subj : "お問い合わせを受け付けました", "text", text,
	                      "message_id", s->msgid);
	char *js = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (!js)
		return JM_NOMEM;
	int64_t did = 0;
	enum jm_rc rc = nl_queue_tx(db, "reply", s->person_id, s->email, js, s->now, &did);
	free(js);
	return rc;
}

static enum jm_rc store(struct db *db, struct submit *s, struct jm_err *err)
{
	const struct inbox_contact *in = s->in;
	bool created = false;
	/* Single use: a replayed stamp stores nothing (the transaction rolls
	 * back) and never counts against the limits. */
	enum jm_rc rc = auth_stamp_spend(db, in->stamp,
	                                 s->now + INBOX_STAMP_MAX_AGE + FORM_CLOCK_SKEW, s->now);
	if (rc == JM_CONFLICT || rc == JM_INVALID)
		return bad(err, "stamp_used", "this form was sent already");
	if (!rc)
		rc = rate_limit(db, in->ip ? in->ip : "", s->email, s->now, err);
	if (!rc)
		rc = people_ensure(db,
		                   &(struct people_new){.email = s->email,
		                                        .name = in->name,
		                                        .source = "contact"},
		                   s->now, &s->person_id, &created, err);
	if (!rc)
		rc = insert_message(db, s);
	if (!rc)
		rc = people_event_add(db, s->person_id, "message",
		                      in->subject && *in->subject ? in->subject : in->category,
		                      s->now);
	if (!rc)
		rc = queue_notify(db, s);
	if (!rc)
		rc = queue_autoreply(db, s);
	return rc;
}

enum jm_rc inbox_contact_submit(struct db *db, const struct inbox_contact *in, int64_t *message_id,
                                struct jm_err *err)
{
	char norm[256];
	int64_t now = in->now ? in->now : jm_now();
	enum jm_rc rc = check_form(in, now, err);
	if (!rc)
		rc = check_fields(db, in, norm, err);
	if (rc || in->check_only) {
		*message_id = 0;
		return rc;
	}
	struct arena *a = arena_new(8192);
	const char *base =
	        in->base_url && *in->base_url ? in->base_url : site_setting_get(db, a, "base_url");
	struct submit s = {.in = in, .a = a, .email = norm, .base = base, .now = now};
	s.host = url_host(a, base);
	if ((rc = db_begin(db)))
		goto out;
	rc = store(db, &s, err);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		goto out;
	}
	*message_id = s.id;
	log_at(LOG_INFO, "inbox", "message=%lld person=%lld stored", (long long)s.id,
	       (long long)s.person_id);
out:
	arena_free(a);
	return rc;
}
