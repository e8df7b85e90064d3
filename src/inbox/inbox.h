/*
 * inbox.h — what strangers write in: the contact form (/contact) with its
 * defences (honeypot, minimum fill time, per-IP and per-email limits,
 * length limits), the stored messages linked to their person, the owner's
 * inbox (new / replied / archived / spam, categories, search) and replies
 * that go out by mail with threading headers (In-Reply-To, References).
 *
 * No HTTP here. Everything a stranger typed is stored as typed (validated
 * for length and UTF-8, never interpreted) and must be escaped wherever it
 * is shown. Mails go through the one delivery queue (deliveries, kinds
 * "notify" and "reply", rendered by newsletter/render_tx.c).
 */
#ifndef JM_INBOX_H
#define JM_INBOX_H

#include "core/core.h"

struct db;

/* Limits (bytes). */
#define INBOX_NAME_MAX         100
#define INBOX_SUBJECT_MAX      200
#define INBOX_BODY_MAX         10000
#define INBOX_MIN_FILL_SECONDS 3         /* a form sent faster is a bot */
#define INBOX_STAMP_MAX_AGE    86400     /* a form older than a day must be reloaded */
#define INBOX_STAMP_PURPOSE    "contact" /* of the form's auth stamp */
#define INBOX_PER_IP_HOUR      5         /* messages per IP per hour */
#define INBOX_PER_EMAIL_DAY    5         /* messages per address per 24 h */

/* Categories offered by the form: setting "contact_categories", one per
 * line; default 情報提供 / 仕事のご依頼 / 取材 / その他. */
enum jm_rc inbox_categories(struct db *db, struct arena *a, const char ***out, size_t *n) JM_WUR;

/* A contact-form submission as the form sent it. */
struct inbox_contact {
	const char *name, *email, *category, *subject, *body;
	const char *honeypot;        /* the hidden field: must be empty */
	const char *stamp;           /* the form's signed stamp (auth_stamp_make, purpose
	                                INBOX_STAMP_PURPOSE), NULL = missing */
	const unsigned char *secret; /* the app secret the stamp is signed with */
	const char *ip, *page;
	int64_t now;
	const char *base_url; /* the site's base URL (site_base_url) for the Message-ID
	                         host and the admin link; NULL = the base_url setting */
	bool check_only;      /* the confirmation step (確認画面): run every check,
	                         store nothing, spend no stamp; JM_OK, id 0 */
};
/* Validates (err->field names the field: "name" 1..INBOX_NAME_MAX, no
 * control characters; "email" a valid mailbox; "category" one of the
 * configured; "subject" ≤ INBOX_SUBJECT_MAX, one line; "body"
 * 1..INBOX_BODY_MAX; the bot checks: "honeypot" filled, "stamp" missing
 * or forged, "stamp_fast" younger than INBOX_MIN_FILL_SECONDS, "stamp_old"
 * older than INBOX_STAMP_MAX_AGE, "stamp_used" sent before — a stamp is
 * single use) → JM_INVALID; over a rate limit → JM_RATE_LIMITED (field
 * "ip" or "email"). Stores the message (status "new") linked to its
 * person (created at stage "reader" when new), logs it on the timeline and
 * queues the owner's notification (setting "contact_notify_to", else the
 * owner's email; Reply-To is the sender). Nothing is stored on error. */
enum jm_rc inbox_contact_submit(struct db *db, const struct inbox_contact *in, int64_t *message_id,
                                struct jm_err *err) JM_WUR;

struct inbox_reply {
	int64_t id, message_id, user_id;
	const char *subject, *body, *msgid, *state; /* state: the delivery's, "" if none */
	int64_t created_at;
};

struct inbox_message {
	int64_t id, person_id;
	const char *form, *category, *subject, *body, *name, *email, *status, *ip, *page, *msgid;
	int64_t created_at, updated_at;
	/* inbox_message_get only: */
	struct inbox_reply *replies; /* oldest first */
	size_t nreplies;
};

struct inbox_query {
	const char *status;   /* NULL = new + replied (not archived, not spam) ; "all" = any */
	const char *category; /* NULL = any */
	const char *q;        /* subject/body/name/email contains (≤ 200 bytes), NULL = all */
	int64_t person_id;    /* 0 = any */
	int page, per_page;
};
/* Newest first. */
enum jm_rc inbox_list(struct db *db, struct arena *a, const struct inbox_query *q,
                      struct inbox_message **out, size_t *n, int64_t *total) JM_WUR;
/* Counts per status (new, replied, archived, spam) for the inbox tabs: one
 * row each of message_counts, kept by triggers (migration 0005). */
enum jm_rc inbox_counts(struct db *db, int64_t counts[4]) JM_WUR;
enum jm_rc inbox_message_get(struct db *db, struct arena *a, int64_t id,
                             struct inbox_message *out) JM_WUR;
/* status: new | replied | archived | spam. */
enum jm_rc inbox_message_set_status(struct db *db, int64_t id, const char *status, int64_t now,
                                    struct jm_err *err) JM_WUR;
enum jm_rc inbox_message_delete(struct db *db, int64_t id) JM_WUR;

/* Sends the owner's reply: subject (default "Re: " + the message's
 * subject, one line ≤ 200) and body (1..20000) go out by mail to the
 * sender with In-Reply-To = the message's msgid and References = the
 * message's msgid followed by every earlier reply's; From is the site's
 * sender. Marks the message "replied", sets the person's last contact and
 * logs the reply on the timeline. */
enum jm_rc inbox_reply_send(struct db *db, int64_t message_id, int64_t user_id, const char *subject,
                            const char *body, int64_t now, int64_t *reply_id,
                            struct jm_err *err) JM_WUR;

/* A thread the owner starts with a person about something they did not
 * write by mail (a job application: forms/job.c): a message row with form
 * (a short [a-z]+ word, also the Message-ID's prefix), subject and body as
 * given, the person's name and address, status "archived" (it is no
 * stranger's mail waiting in the inbox) and a Message-ID of its own (on
 * base_url's host; NULL = the base_url setting's), so
 * inbox_reply_send can mail the person on it, threaded. The caller keeps
 * *message_id to continue the thread. JM_NOT_FOUND for an unknown person,
 * JM_INVALID for one without an address. Runs on the caller's connection,
 * inside the caller's transaction if any. */
enum jm_rc inbox_thread_start(struct db *db, int64_t person_id, const char *form,
                              const char *subject, const char *body, const char *base_url,
                              int64_t now, int64_t *message_id) JM_WUR;

/* Merge (people_merge's owner for messages): from's messages become
 * into's. Inside the caller's transaction. (merge.c) */
enum jm_rc inbox_person_merge_move(struct db *db, int64_t into, int64_t from) JM_WUR;

#endif
