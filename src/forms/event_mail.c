/*
 * event_mail.c — the mails of an event registration, queued in the
 * caller's transaction as transactional deliveries of kind "event"
 * (newsletter/render_tx.c), so they go out with the worker's retries,
 * throttles and DKIM, and a rolled-back registration sends nothing:
 *
 *   confirmed / promoted  the seat, with the iCalendar invitation (a
 *                         text/calendar; method=REQUEST alternative and the
 *                         same as invite.ics) and the 受付票 QR image;
 *   waitlisted            the place on the waitlist (number N);
 *   reminder              reminder_hours before starts_at, once.
 *
 * The online URL appears only here and on the registrant's own page,
 * never on the public page. Links carry "{base_url}", which the worker
 * fills in (the base URL is the node's configuration, not the database's).
 * Texts are Japanese or English by the site's language setting.
 */
#include <jansson.h>
#include <sodium.h>

#include "auth/auth.h"
#include "db/db.h"
#include "forms/event_int.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

/* The registrant and the sender, read once per mail. */
struct mail_ctx {
	struct arena *a;
	const struct forms_form *f;
	int64_t answer_id, person_id, now;
	const char *email, *name, *party, *lang, *tz;
	const char *from_name, *from_addr, *host;
	unsigned char secret[32];
	bool en;
};

static enum jm_rc load_secret(struct db *db, unsigned char out[32])
{
	struct buf v = BUF_INIT;
	enum jm_rc rc = auth_secret_get(db, AUTH_SECRET_SIGNING, &v);
	size_t n = 0;
	if (!rc && (sodium_hex2bin(out, 32, v.ptr, v.len, NULL, &n, NULL) != 0 || n != 32))
		rc = JM_INVALID;
	sodium_memzero(v.ptr, v.len);
	buf_free(&v);
	return rc;
}

static enum jm_rc ctx_load(struct db *db, struct mail_ctx *c)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT a.person_id, coalesce(p.email, ''), coalesce(p.name, ''), "
	                    "a.party FROM answers a JOIN people p ON p.id = a.person_id "
	                    "WHERE a.id = ?",
	                    "i", c->answer_id);
	if (rc)
		return rc;
	if ((rc = db_step(st)) == JM_OK) {
		c->person_id = db_col_int(st, 0);
		c->email = db_col_dup(st, 1, c->a);
		c->name = db_col_dup(st, 2, c->a);
		c->party = db_col_dup(st, 3, c->a);
	}
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	c->lang = site_setting_get(db, c->a, "lang");
	c->en = c->lang && !strcmp(c->lang, "en");
	c->tz = site_setting_get(db, c->a, "timezone");
	c->from_name = site_setting_get(db, c->a, "mail_from_name");
	c->from_addr = site_setting_get(db, c->a, "mail_from_addr");
	return load_secret(db, c->secret);
}

/* "2026年12月20日 14:00" in the site's zone (English: "2026-12-20 14:00"). */
static const char *when(const struct mail_ctx *c, int64_t t)
{
	time_t lt = (time_t)(t + (int64_t)jm_tz_offset(c->tz, t) * 60);
	struct tm tm;
	char out[64];
	gmtime_r(&lt, &tm);
	strftime(out, sizeof(out), c->en ? "%Y-%m-%d %H:%M" : "%Y年%m月%d日 %H:%M", &tm);
	return arena_strdup(c->a, out);
}

const char *forms_event_when(struct arena *a, const struct forms_form *f, const char *tz, bool en)
{
	struct mail_ctx c = {.a = a, .tz = tz, .en = en};
	if (!f->event.starts_at)
		return "";
	const char *s = when(&c, f->event.starts_at);
	if (f->event.ends_at > f->event.starts_at) {
		const char *e = when(&c, f->event.ends_at);
		/* The same day: only the end's time. */
		if (!strncmp(s, e, strlen(s) - 5))
			e += strlen(s) - 5;
		s = arena_sprintf(a, "%s〜%s", s, e);
	}
	return arena_sprintf(a, "%s (%s)", s, tz && *tz ? tz : "UTC");
}

/* The event's facts, one per line; with_online: the online URL too. */
static enum jm_rc facts(const struct mail_ctx *c, bool with_online, struct buf *b)
{
	const struct forms_event *e = &c->f->event;
	enum jm_rc rc = buf_appendf(b, "%s: %s\n", c->en ? "When" : "日時",
	                            forms_event_when(c->a, c->f, c->tz, c->en));
	if (!rc && e->venue && *e->venue)
		rc = buf_appendf(b, "%s: %s\n", c->en ? "Venue" : "会場", e->venue);
	if (!rc && with_online && e->online_url && *e->online_url)
		rc = buf_appendf(b, "%s: %s\n", c->en ? "Online" : "オンライン", e->online_url);
	if (!rc && e->fee && *e->fee)
		rc = buf_appendf(b, "%s: %s\n", c->en ? "Fee" : "参加費", e->fee);
	if (!rc && e->party_title && *e->party_title && c->party && *c->party) {
		static const char *const ja[] = {"参加", "キャンセル待ち", "キャンセル"};
		static const char *const en[] = {"attending", "waitlisted", "cancelled"};
		int i = !strcmp(c->party, "confirmed")    ? 0
		        : !strcmp(c->party, "waitlisted") ? 1
		                                          : 2;
		rc = buf_appendf(b, "%s: %s (%s)\n", c->en ? "Party" : "懇親会", e->party_title,
		                 c->en ? en[i] : ja[i]);
	}
	return rc;
}

/* The registrant's own page (details, online URL, cancel button). */
static const char *own_link(const struct mail_ctx *c)
{
	char tok[FORMS_EVENT_TOKEN_LEN];
	forms_event_token(c->secret, c->answer_id, tok);
	return arena_sprintf(c->a, "{base_url}/event/cancel?t=%s", tok);
}

/* The invitation and the 受付票 as payload parts. */
static enum jm_rc add_parts(const struct mail_ctx *c, json_t *payload)
{
	struct buf ics = BUF_INIT, png = BUF_INIT;
	char code[FORMS_EVENT_CODE_LEN];
	forms_event_code(c->secret, c->answer_id, code);
	const char *host = c->from_addr && strchr(c->from_addr, '@') ? strchr(c->from_addr, '@') + 1
	                                                             : "jinmyaku.invalid";
	struct event_ical_in in = {
	        .uid = arena_sprintf(c->a, "event-%lld-answer-%lld@%s", (long long)c->f->id,
	                             (long long)c->answer_id, host),
	        .title = c->f->title,
	        .location = *c->f->event.venue ? c->f->event.venue : c->f->event.online_url,
	        .description = c->f->event.online_url,
	        .org_name = c->from_name,
	        .org_addr =
	                c->from_addr && *c->from_addr ? c->from_addr : "events@jinmyaku.invalid",
	        .att_name = c->name,
	        .att_addr = c->email,
	        .now = c->now,
	        .starts_at = c->f->event.starts_at,
	        .ends_at = c->f->event.ends_at,
	};
	enum jm_rc rc = event_ical(&in, &ics);
	if (!rc)
		rc = event_qr_png(code, &png);
	if (rc)
		goto out;
	char *ics64 = arena_alloc(
	        c->a, sodium_base64_ENCODED_LEN(ics.len, sodium_base64_VARIANT_ORIGINAL));
	char *png64 = arena_alloc(
	        c->a, sodium_base64_ENCODED_LEN(png.len, sodium_base64_VARIANT_ORIGINAL));
	sodium_bin2base64(ics64, sodium_base64_ENCODED_LEN(ics.len, sodium_base64_VARIANT_ORIGINAL),
	                  (const unsigned char *)ics.ptr, ics.len, sodium_base64_VARIANT_ORIGINAL);
	sodium_bin2base64(png64, sodium_base64_ENCODED_LEN(png.len, sodium_base64_VARIANT_ORIGINAL),
	                  (const unsigned char *)png.ptr, png.len, sodium_base64_VARIANT_ORIGINAL);
	json_t *parts = json_pack(
	        "[{s:s, s:s, s:b}, {s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:b}]", "ctype",
	        "text/calendar; method=REQUEST; charset=UTF-8", "b64", ics64, "alternative", 1,
	        "ctype", "application/ics; name=invite.ics", "b64", ics64, "filename", "invite.ics",
	        "ctype", "image/png", "b64", png64, "filename", "uketsuke.png", "cid",
	        arena_sprintf(c->a, "qr-%lld@%s", (long long)c->answer_id, host), "inline", 1);
	rc = parts ? JM_OK : JM_NOMEM;
	if (parts)
		json_object_set_new(payload, "parts", parts);
out:
	buf_free(&ics);
	buf_free(&png);
	return rc;
}

/* Subject and opening line per kind of mail. */
static void words(const struct mail_ctx *c, const char *kind, int64_t number, const char **subject,
                  const char **intro)
{
	struct arena *a = c->a;
	const char *t = c->f->title;
	if (!strcmp(kind, "waitlisted")) {
		*subject = c->en ? arena_sprintf(a, "Waitlisted (number %lld): %s",
		                                 (long long)number, t)
		                 : arena_sprintf(a, "【キャンセル待ち %lld 番】%s",
		                                 (long long)number, t);
		*intro =
		        c->en ? arena_sprintf(
		                        a,
		                        "The event is full. You are number %lld on the waitlist; "
		                        "we will write as soon as a seat is free.",
		                        (long long)number)
		              : arena_sprintf(a,
		                              "満席のため、キャンセル待ち %lld 番でお受けしました。"
		                              "お席が空きしだいご連絡します。",
		                              (long long)number);
	} else if (!strcmp(kind, "promoted")) {
		*subject = arena_sprintf(
		        a, c->en ? "A seat is yours: %s" : "【繰り上げ参加確定】%s", t);
		*intro = c->en ? "A seat came free and it is yours now."
		               : "キャンセルが出たため、お席をご用意できました。";
	} else if (!strcmp(kind, "reminder")) {
		*subject = arena_sprintf(a, c->en ? "Reminder: %s" : "【リマインド】%s", t);
		*intro = c->en ? "A reminder of the event you registered for."
		               : "お申し込みいただいたイベントが近づきました。";
	} else {
		*subject = arena_sprintf(a, c->en ? "Registration confirmed: %s" : "【参加確定】%s",
		                         t);
		*intro = c->en ? "Your seat is confirmed."
		               : "お申し込みを受け付けました。お席を確保しました。";
	}
}

/* The text of a mail of kind for the registrant. */
static enum jm_rc body(const struct mail_ctx *c, const char *kind, const char *intro, struct buf *b)
{
	bool seat = strcmp(kind, "waitlisted") != 0;
	char code[FORMS_EVENT_CODE_LEN];
	forms_event_code(c->secret, c->answer_id, code);
	enum jm_rc rc = buf_appendf(b, c->en ? "%s%s\n\n%s\n\n「%s」\n" : "%s%s\n\n%s\n\n「%s」\n",
	                            *c->name ? c->name : "", *c->name ? (c->en ? "," : " 様") : "",
	                            intro, c->f->title);
	if (!rc)
		rc = facts(c, seat, b);
	if (!rc && seat)
		rc = buf_appendf(
		        b,
		        c->en ? "\nYour ticket (受付票): show the attached QR code at the "
		                "door.\nCheck-in code: %s\n"
		              : "\n受付票: 当日は添付の QR コードを受付でお見せください。\n"
		                "受付コード: %s\n",
		        code);
	if (!rc)
		rc = buf_appendf(
		        b,
		        c->en ? "\nYour registration, and cancelling it if you cannot "
		                "come:\n%s\n"
		              : "\nお申し込みの確認・ご都合が悪くなった場合のキャンセル:\n%s\n",
		        own_link(c));
	return rc;
}

/* The waitlist number of answer_id (1 = next). */
static enum jm_rc waitlist_number(struct db *db, const struct mail_ctx *c, int64_t *n)
{
	return db_query_int(
	        db, n, 1,
	        "SELECT count(*) FROM answers WHERE form_id = ? AND status = 'waitlisted' "
	        "AND queue_pos <= (SELECT queue_pos FROM answers WHERE id = ?)",
	        "ii", c->f->id, c->answer_id);
}

enum jm_rc event_mail_placed(struct db *db, const struct forms_form *f, int64_t answer_id,
                             const char *kind, int64_t now)
{
	struct mail_ctx c = {.a = arena_new(8192), .f = f, .answer_id = answer_id, .now = now};
	struct buf text = BUF_INIT;
	json_t *payload = NULL;
	char *js = NULL;
	const char *subject = NULL, *intro = NULL;
	int64_t number = 0, did = 0;
	enum jm_rc rc = ctx_load(db, &c);
	if (!rc && !strcmp(kind, "waitlisted"))
		rc = waitlist_number(db, &c, &number);
	if (rc || !c.email || !*c.email)
		goto out;
	words(&c, kind, number, &subject, &intro);
	if ((rc = body(&c, kind, intro, &text)))
		goto out;
	payload = json_pack("{s:s, s:s, s:s}", "subject", subject, "text", buf_cstr(&text),
	                    "to_name", c.name);
	if (!payload)
		rc = JM_NOMEM;
	if (!rc && strcmp(kind, "waitlisted") != 0)
		rc = add_parts(&c, payload);
	if (!rc && !(js = json_dumps(payload, JSON_COMPACT)))
		rc = JM_NOMEM;
	if (!rc)
		rc = nl_queue_tx(db, "event", c.person_id, c.email, js, now, &did);
out:
	sodium_memzero(c.secret, sizeof(c.secret));
	free(js);
	json_decref(payload);
	buf_free(&text);
	arena_free(c.a);
	return rc;
}

enum jm_rc event_remind_form(struct db *db, int64_t form_id, int64_t now, int64_t *n)
{
	struct arena *a = arena_new(4096);
	struct forms_form f;
	int64_t ids[FORMS_EVENT_BATCH];
	size_t k = 0;
	struct db_stmt *st = NULL;
	enum jm_rc rc = forms_event_get(db, a, form_id, &f);
	if (rc || (rc = db_begin(db)))
		goto out;
	rc = forms_event_lock(db, form_id);
	if (!rc)
		rc = db_preparef(
		        db, &st,
		        "SELECT id FROM answers WHERE form_id = ? AND status = 'confirmed' "
		        "AND verified = 1 AND reminded_at IS NULL ORDER BY id LIMIT ?",
		        "ii", form_id, (int64_t)FORMS_EVENT_BATCH);
	while (!rc && (rc = db_step(st)) == JM_OK)
		ids[k++] = db_col_int(st, 0);
	db_finalize(st);
	rc = rc == JM_DONE ? JM_OK : rc;
	for (size_t i = 0; !rc && i < k; i++) {
		rc = event_mail_placed(db, &f, ids[i], "reminder", now);
		if (!rc)
			rc = db_execf(db, "UPDATE answers SET reminded_at = ? WHERE id = ?", "ii",
			              now, ids[i]);
	}
	/* The event is done once a batch comes back short. */
	if (!rc && k < FORMS_EVENT_BATCH)
		rc = db_execf(db, "UPDATE forms SET reminded_at = ? WHERE id = ?", "ii", now,
		              form_id);
	if (!rc)
		*n += (int64_t)k;
	rc = db_end(db, rc);
out:
	arena_free(a);
	return rc;
}
