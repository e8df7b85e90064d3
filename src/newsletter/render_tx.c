/*
 * render_tx.c — transactional mails to one address that belong to no list:
 *
 *  notify  to the owner (a new contact message, the daily digest), with
 *          Reply-To set to whoever the mail is about;
 *  reply   the owner's answer to a message, threaded with In-Reply-To and
 *          References (RFC 5322 section 3.6.4) and sent with the
 *          Message-ID the inbox stored for it;
 *  event   a registration's confirmation, waitlist, promotion or reminder
 *          (forms/event_mail.c), with extra parts: the iCalendar
 *          invitation and the 受付票 QR image. "{base_url}" in its text
 *          becomes the site's base URL when it is sent (links to the
 *          registrant's own page).
 *
 * nl_queue_tx stores everything the mail needs as the delivery's payload
 * (JSON, jansson), so rendering reads no other table: the mail goes out
 * even if the message it answers was deleted meanwhile. The payload is
 * validated when queued (required strings, addresses, ids) and mail_build
 * checks every header value again (no CR/LF reaches a header). These mails
 * are text only, from the site's sender, with no List-Id and no
 * List-Unsubscribe: they are one-to-one mail, not a mail magazine.
 */
#include <jansson.h>

#include "db/db.h"
#include "mail/mail.h"
#include "newsletter/delivery_int.h"
#include "newsletter/newsletter.h"
#include "newsletter/nl_int.h"

#define PAYLOAD_MAX (256u << 10)
#define HEADER_MAX  8192

static bool kind_ok(const char *kind)
{
	return kind &&
	       (!strcmp(kind, "notify") || !strcmp(kind, "reply") || !strcmp(kind, "event"));
}

/* The string member key of p, or NULL when absent or not a string. */
static const char *member(json_t *p, const char *key)
{
	return json_string_value(json_object_get(p, key));
}

/* "parts": absent, or an array of at most 8 objects with a "ctype" and
 * "b64" string, optional "filename", "cid" strings and "alternative",
 * "inline" booleans (mail_build checks the header values again). */
static bool parts_ok(json_t *parts)
{
	size_t i;
	json_t *v;
	if (!parts)
		return true;
	if (!json_is_array(parts) || json_array_size(parts) > 8)
		return false;
	json_array_foreach(parts, i, v)
	{
		if (!json_is_object(v) || !member(v, "ctype") || !member(v, "b64"))
			return false;
	}
	return true;
}

/* Required and optional members with the right types and no line breaks
 * where a header will hold them. */
static bool payload_ok(json_t *p)
{
	static const char *const opt[] = {"to_name", "reply_to", "message_id", "in_reply_to",
	                                  "references"};
	if (!json_is_object(p) || !member(p, "subject") || !member(p, "text"))
		return false;
	if (strpbrk(member(p, "subject"), "\r\n"))
		return false;
	for (size_t i = 0; i < sizeof(opt) / sizeof(opt[0]); i++) {
		json_t *v = json_object_get(p, opt[i]);
		if (v && !json_is_null(v) &&
		    (!json_is_string(v) || strpbrk(json_string_value(v), "\r\n") ||
		     strlen(json_string_value(v)) > HEADER_MAX))
			return false;
	}
	const char *rt = member(p, "reply_to");
	return (!rt || !*rt || mail_addr_valid(rt)) && parts_ok(json_object_get(p, "parts"));
}

enum jm_rc nl_queue_tx(struct db *db, const char *kind, int64_t person_id, const char *to_addr,
                       const char *payload_json, int64_t now, int64_t *delivery_id)
{
	if (!kind_ok(kind) || !to_addr || !mail_addr_valid(to_addr) || !payload_json ||
	    strlen(payload_json) > PAYLOAD_MAX)
		return JM_INVALID;
	json_error_t je;
	json_t *p = json_loads(payload_json, JSON_REJECT_DUPLICATES, &je);
	bool ok = payload_ok(p);
	json_decref(p);
	if (!ok)
		return JM_INVALID;
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "INSERT INTO deliveries(kind, person_id, to_addr, domain, "
	                            "payload, next_attempt_at, created_at) "
	                            "VALUES (?, NULLIF(?, 0), ?, ?, ?, ?, ?) RETURNING id",
	                            "titttii", kind, person_id, to_addr, nl_email_domain(to_addr),
	                            payload_json, now, now);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK && delivery_id)
		*delivery_id = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_DB : rc;
}

/* A copy of member key in the arena, or NULL when absent or empty. */
static const char *dup_member(struct arena *a, json_t *p, const char *key)
{
	const char *v = member(p, key);
	return v && *v ? arena_strdup(a, v) : NULL;
}

/* The payload's extra parts into m, and "{base_url}" in the text of an
 * event mail replaced. */
static void fill_parts(struct nl_render_ctx *c, struct arena *a, json_t *p, struct mail_msg *m)
{
	json_t *parts = json_object_get(p, "parts"), *v;
	size_t i, n = json_array_size(parts);
	struct mail_extra *mp = n ? arena_calloc(a, n * sizeof(*mp)) : NULL;
	json_array_foreach(parts, i, v)
	{
		mp[i].ctype = arena_strdup(a, member(v, "ctype"));
		mp[i].data = arena_strdup(a, member(v, "b64"));
		mp[i].len = strlen(member(v, "b64"));
		mp[i].base64 = true;
		mp[i].filename = dup_member(a, v, "filename");
		mp[i].content_id = dup_member(a, v, "cid");
		mp[i].alternative = json_is_true(json_object_get(v, "alternative"));
		mp[i].inline_disp = json_is_true(json_object_get(v, "inline"));
	}
	m->parts = mp;
	m->nparts = n;
	const char *key = "{base_url}", *t = m->text, *hit;
	if (!t || !strstr(t, key))
		return;
	struct buf b = BUF_INIT;
	for (; (hit = strstr(t, key)); t = hit + strlen(key))
		if (buf_append(&b, t, (size_t)(hit - t)) || buf_appends(&b, c->cfg->base_url))
			break;
	if (!buf_appends(&b, t))
		m->text = arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
}

enum jm_rc nl_render_tx(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                        struct mail_msg *m, struct jm_err *err)
{
	json_error_t je;
	json_t *p = json_loads(j->payload ? j->payload : "", 0, &je);
	if (!payload_ok(p)) {
		json_decref(p);
		jm_err_set(err, "payload", "bad %s payload", j->kind);
		return JM_INVALID;
	}
	m->subject = dup_member(a, p, "subject");
	m->text = arena_strdup(a, member(p, "text"));
	m->html = NULL;
	m->to_name = dup_member(a, p, "to_name");
	const char *rt = dup_member(a, p, "reply_to");
	if (rt)
		m->reply_to = rt;
	m->message_id = dup_member(a, p, "message_id");
	m->in_reply_to = dup_member(a, p, "in_reply_to");
	m->references = dup_member(a, p, "references");
	fill_parts(c, a, p, m);
	json_decref(p);
	if (!m->subject) {
		jm_err_set(err, "subject", "empty subject");
		return JM_INVALID;
	}
	return JM_OK;
}
