/*
 * reply.c — the owner's reply to a message, sent by mail through the
 * delivery queue (kind "reply", newsletter/render_tx.c).
 *
 * Threading (RFC 5322 section 3.6.4): In-Reply-To is the message's own
 * Message-ID; References is the message's Message-ID followed by every
 * earlier reply's, oldest first (of a long thread only the newest
 * REFS_KEEP - 1 replies). The reply gets its own
 * Message-ID here and hands it to the queue ("message_id"), so the msgid
 * stored in message_replies is exactly the Message-ID header that goes out
 * and later replies can point at it.
 *
 * The mail quotes the message below the owner's text ("> " before each
 * line, at most QUOTE_MAX bytes, after a line naming the sender), as mail
 * programs do; the stored reply keeps only what the owner wrote.
 *
 * One transaction: the reply row, the delivery, the message marked
 * "replied", the person's last contact and a "reply" timeline entry. An
 * error stores nothing.
 */
#include <jansson.h>

#include "inbox/inbox.h"

#include "db/db.h"
#include "people/people.h"
#include "newsletter/newsletter.h"

#define REPLY_SUBJECT_MAX INBOX_SUBJECT_MAX
#define REPLY_BODY_MAX    20000
#define REFS_KEEP         20
#define REFS_CAP          8192
#define QUOTE_MAX         8000

/* What a reply needs of its message. */
struct thread {
	int64_t person_id;
	const char *subject, *name, *email, *msgid, *host, *body;
	struct buf refs; /* msgid + earlier replies' msgids */
};

static bool subject_ok(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > REPLY_SUBJECT_MAX || !utf8_valid(s, len))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* "Re: " + the message's subject (cut on a character boundary), or a
 * fixed subject when the message has none. */
static const char *default_subject(struct arena *a, const char *orig)
{
	if (!orig || !*orig)
		return "Re: お問い合わせ";
	if (strncmp(orig, "Re: ", 4) == 0 || strncmp(orig, "RE: ", 4) == 0)
		return orig;
	size_t n = utf8_truncate(orig, strlen(orig), REPLY_SUBJECT_MAX - 4);
	return arena_sprintf(a, "Re: %.*s", (int)n, orig);
}

static enum jm_rc check_input(const char *subject, const char *body, struct jm_err *err)
{
	if (!subject_ok(subject)) {
		jm_err_set(err, "subject", "one line, at most 200 bytes");
		return JM_INVALID;
	}
	size_t len = body ? strlen(body) : 0;
	if (!body || !body[strspn(body, " \t\r\n")] || len > REPLY_BODY_MAX ||
	    !utf8_valid(body, len) || utf8_has_controls(body, len)) {
		jm_err_set(err, "body", "required, at most 20000 bytes");
		return JM_INVALID;
	}
	return JM_OK;
}

static enum jm_rc load_message(struct db *db, struct arena *a, int64_t id, struct thread *t)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT person_id, subject, name, email, msgid, body FROM messages "
	                    "WHERE id = ?",
	                    "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		t->person_id = db_col_int(st, 0);
		t->subject = db_col_dup(st, 1, a);
		t->name = db_col_dup(st, 2, a);
		t->email = db_col_dup(st, 3, a);
		t->msgid = db_col_dup(st, 4, a);
		t->body = db_col_dup(st, 5, a);
	}
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	const char *at = strrchr(t->msgid, '@');
	size_t n = at ? strlen(at + 1) : 0;
	t->host = n > 1 ? arena_strndup(a, at + 1, n - 1) : "reply.jinmyaku.invalid";
	return JM_OK;
}

/* References: the message's msgid, then the earlier replies', oldest
 * first (only the newest REFS_KEEP - 1 of a long thread). */
static enum jm_rc load_refs(struct db *db, int64_t id, struct thread *t)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT msgid FROM (SELECT msgid, created_at, id FROM "
	                    "message_replies WHERE message_id = ? ORDER BY created_at DESC, "
	                    "id DESC LIMIT ?) AS r ORDER BY created_at, id",
	                    "ii", id, (int64_t)(REFS_KEEP - 1));
	if (rc)
		return rc;
	rc = buf_appends(&t->refs, t->msgid);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		const char *m = db_col_text(st, 0, NULL);
		if (m && *m)
			rc = buf_appendf(&t->refs, " %s", m);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* body, a blank line, "NAME <EMAIL>:" and the message quoted line by line
 * (cut on a character boundary past QUOTE_MAX bytes). */
static enum jm_rc quoted(const struct thread *t, const char *body, struct buf *out)
{
	const char *q = t->body ? t->body : "";
	size_t n = utf8_truncate(q, strlen(q), QUOTE_MAX);
	enum jm_rc rc = buf_appendf(out, "%s\n\n%s <%s>:\n", body, t->name, t->email);
	while (!rc && n > 0) {
		const char *nl = memchr(q, '\n', n);
		size_t len = nl ? (size_t)(nl - q) : n;
		size_t cut = len && q[len - 1] == '\r' ? len - 1 : len;
		rc = buf_appendf(out, ">%s%.*s\n", cut ? " " : "", (int)cut, q);
		len += nl ? 1 : 0;
		q += len;
		n -= len;
	}
	return rc;
}

static enum jm_rc queue_mail(struct db *db, struct thread *t, const char *subject, const char *body,
                             const char *msgid, int64_t now, int64_t *did)
{
	struct buf text;
	buf_init(&text, REPLY_BODY_MAX + QUOTE_MAX * 2 + 1024);
	enum jm_rc rc = quoted(t, body, &text);
	if (rc) {
		buf_free(&text);
		return rc;
	}
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "subject", subject, "text",
	                      buf_cstr(&text), "to_name", t->name, "message_id", msgid,
	                      "in_reply_to", t->msgid, "references", buf_cstr(&t->refs));
	char *js = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	buf_free(&text);
	if (!js)
		return JM_NOMEM;
	rc = nl_queue_tx(db, "reply", t->person_id, t->email, js, now, did);
	free(js);
	return rc;
}

static enum jm_rc record(struct db *db, int64_t message_id, int64_t user_id, const char *subject,
                         const char *body, const char *msgid, int64_t did, int64_t now,
                         int64_t *reply_id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "INSERT INTO message_replies(message_id, user_id, subject, "
	                            "body, msgid, delivery_id, created_at) "
	                            "VALUES (?, NULLIF(?, 0), ?, ?, ?, ?, ?) RETURNING id",
	                            "iitttii", message_id, user_id > 0 ? user_id : 0, subject, body,
	                            msgid, did, now);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*reply_id = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_DB : rc;
	return db_execf(db, "UPDATE messages SET status = 'replied', updated_at = ? WHERE id = ?",
	                "ii", now, message_id);
}

static enum jm_rc send_tx(struct db *db, struct arena *a, int64_t message_id, int64_t user_id,
                          const char *subject, const char *body, int64_t now, int64_t *reply_id,
                          struct jm_err *err)
{
	struct thread t = {0};
	buf_init(&t.refs, REFS_CAP);
	int64_t did = 0;
	enum jm_rc rc = load_message(db, a, message_id, &t);
	if (!rc && (!subject || !*subject))
		subject = default_subject(a, t.subject);
	if (!rc)
		rc = check_input(subject, body, err);
	if (!rc)
		rc = load_refs(db, message_id, &t);
	char tok[32];
	jm_random_token(tok, 16);
	const char *msgid =
	        arena_sprintf(a, "<reply-%lld.%s@%s>", (long long)message_id, tok, t.host);
	if (!rc && (rc = queue_mail(db, &t, subject, body, msgid, now, &did)) == JM_INVALID)
		jm_err_set(err, "email", "the message's address cannot take a reply");
	if (!rc)
		rc = record(db, message_id, user_id, subject, body, msgid, did, now, reply_id);
	if (!rc && (rc = people_contact_at(db, t.person_id, now)) == JM_NOT_FOUND)
		rc = JM_OK; /* a message of nobody known: nothing to date */
	if (!rc)
		rc = people_event_add(db, t.person_id, "reply", subject, now);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "message", "no such message");
	buf_free(&t.refs);
	return rc;
}

enum jm_rc inbox_reply_send(struct db *db, int64_t message_id, int64_t user_id, const char *subject,
                            const char *body, int64_t now, int64_t *reply_id, struct jm_err *err)
{
	struct arena *a = arena_new(8192);
	now = now ? now : jm_now();
	enum jm_rc rc = db_begin(db);
	if (rc)
		goto out;
	rc = send_tx(db, a, message_id, user_id, subject, body, now, reply_id, err);
	rc = db_end(db, rc);
	if (!rc)
		log_at(LOG_INFO, "inbox", "message=%lld reply=%lld queued", (long long)message_id,
		       (long long)*reply_id);
out:
	arena_free(a);
	return rc;
}
