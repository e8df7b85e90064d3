/*
 * event_checkin.c — the day of the event: the signed codes (the 受付票's
 * check-in code and the registrant's own link), the attendee list, the
 * check-in itself and the reviewed "fans who came → 知り合い" action; and
 * the event facts the pages show (seats left, the form's event columns).
 *
 * A check-in sets attended_at once and logs one interaction ("met at
 * EVENT", network/) on the person, which moves their last contact and
 * keep-in-touch and counts in the circle review; a second check-in of the
 * same registration changes nothing. Stages are the owner's judgement:
 * forms_event_fans_apply moves only the people the owner ticked.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "forms/event_int.h"
#include "network/network.h"
#include "site/site.h"

/* hex HMAC of "purpose:id" cut to n hex digits. */
static void sign(const unsigned char secret[32], const char *purpose, int64_t id, size_t n,
                 char *out)
{
	char msg[64], hex[65];
	snprintf(msg, sizeof(msg), "%s:%lld", purpose, (long long)id);
	jm_hash_hex(secret, 32, msg, strlen(msg), hex);
	if (n > 64)
		n = 64;
	memcpy(out, hex, n);
	out[n] = '\0';
}

void forms_event_token(const unsigned char secret[32], int64_t answer_id,
                       char out[FORMS_EVENT_TOKEN_LEN])
{
	char sig[33];
	sign(secret, "event-own", answer_id, 32, sig);
	snprintf(out, FORMS_EVENT_TOKEN_LEN, "%lld.%s", (long long)answer_id, sig);
}

void forms_event_code(const unsigned char secret[32], int64_t answer_id,
                      char out[FORMS_EVENT_CODE_LEN])
{
	char sig[13];
	sign(secret, "event-checkin", answer_id, 12, sig);
	snprintf(out, FORMS_EVENT_CODE_LEN, "JM-%lld-%s", (long long)answer_id, sig);
}

/* The id before sep in s when the rest is its signature. */
static bool parse_signed(const unsigned char secret[32], const char *s, const char *prefix,
                         char sep, bool code, int64_t *id)
{
	char *end = NULL, want[FORMS_EVENT_TOKEN_LEN];
	size_t pl = strlen(prefix);
	if (!s || strncmp(s, prefix, pl) != 0 || s[pl] < '1' || s[pl] > '9' || strlen(s) > 64)
		return false;
	long long v = strtoll(s + pl, &end, 10);
	if (!end || *end != sep || v <= 0)
		return false;
	if (code)
		forms_event_code(secret, v, want);
	else
		forms_event_token(secret, v, want);
	if (!jm_secure_eq(want, s))
		return false;
	*id = v;
	return true;
}

bool forms_event_token_parse(const unsigned char secret[32], const char *token, int64_t *answer_id)
{
	return parse_signed(secret, token, "", '.', false, answer_id);
}

bool forms_event_code_parse(const unsigned char secret[32], const char *code, int64_t *answer_id)
{
	/* Typed codes: tolerate surrounding blanks and lower case "jm-". */
	char c[72];
	size_t n = 0;
	while (code && (*code == ' ' || *code == '\t' || *code == '\n' || *code == '\r'))
		code++;
	for (; code && *code && n + 1 < sizeof(c); code++)
		if (*code != ' ' && *code != '\t' && *code != '\n' && *code != '\r')
			c[n++] = *code;
	c[n] = '\0';
	if (n >= 2 && (c[0] == 'j' || c[0] == 'J') && (c[1] == 'm' || c[1] == 'M'))
		c[0] = 'J', c[1] = 'M';
	return parse_signed(secret, c, "JM-", '-', true, answer_id);
}

enum jm_rc forms_event_get(struct db *db, struct arena *a, int64_t id, struct forms_form *f)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT slug, title, coalesce(starts_at, 0), coalesce(ends_at, 0), "
	                    "venue, online_url, capacity, waitlist, fee, reminder_hours, "
	                    "party_title, party_capacity, kind, status FROM forms WHERE id = ?",
	                    "i", id);
	if (rc)
		return rc;
	if ((rc = db_step(st)) == JM_OK) {
		memset(f, 0, sizeof(*f));
		f->id = id;
		f->slug = db_col_dup(st, 0, a);
		f->title = db_col_dup(st, 1, a);
		f->event.starts_at = db_col_int(st, 2);
		f->event.ends_at = db_col_int(st, 3);
		f->event.venue = db_col_dup(st, 4, a);
		f->event.online_url = db_col_dup(st, 5, a);
		f->event.capacity = db_col_int(st, 6);
		f->event.waitlist = db_col_int(st, 7) != 0;
		f->event.fee = db_col_dup(st, 8, a);
		f->event.reminder_hours = db_col_int(st, 9);
		f->event.party_title = db_col_dup(st, 10, a);
		f->event.party_capacity = db_col_int(st, 11);
		if (!forms_kind_parse(db_col_text(st, 12, NULL), &f->kind))
			f->kind = FORMS_ASK;
		f->status = db_col_dup(st, 13, a);
		f->description = f->thanks = f->consent_text = "";
	}
	db_finalize(st);
	if (rc == JM_DONE)
		return JM_NOT_FOUND;
	if (!rc && f->kind != FORMS_EVENT)
		return JM_NOT_FOUND;
	return rc;
}

enum jm_rc forms_event_seats(struct db *db, const struct forms_form *f, int64_t now,
                             struct forms_event_seats *out)
{
	memset(out, 0, sizeof(*out));
	enum jm_rc rc = db_query_int(db, &out->taken, 0,
	                             "SELECT count(*) FROM answers WHERE form_id = ? "
	                             "AND status = 'confirmed' "
	                             "AND (held_until IS NULL OR held_until > ?)",
	                             "ii", f->id, now);
	if (!rc)
		rc = db_query_int(db, &out->waiting, 0,
		                  "SELECT count(*) FROM answers WHERE form_id = ? "
		                  "AND status = 'waitlisted'",
		                  "i", f->id);
	if (!rc && f->event.party_title && *f->event.party_title)
		rc = db_query_int(db, &out->party_taken, 0,
		                  "SELECT count(*) FROM answers WHERE form_id = ? "
		                  "AND status = 'confirmed' AND party = 'confirmed'",
		                  "i", f->id);
	out->left = f->event.capacity <= 0            ? -1
	            : out->taken >= f->event.capacity ? 0
	                                              : f->event.capacity - out->taken;
	return rc;
}

enum jm_rc forms_event_registration(struct db *db, struct arena *a, int64_t answer_id,
                                    struct forms_registration *out)
{
	struct db_stmt *st = NULL;
	int64_t form_id = 0;
	memset(out, 0, sizeof(*out));
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT a.form_id, a.person_id, a.status, a.party, "
	                            "coalesce(p.name, ''), coalesce(p.email, '') FROM answers a "
	                            "JOIN people p ON p.id = a.person_id WHERE a.id = ?",
	                            "i", answer_id);
	if (!rc && (rc = db_step(st)) == JM_OK) {
		form_id = db_col_int(st, 0);
		out->answer_id = answer_id;
		out->person_id = db_col_int(st, 1);
		out->status = db_col_dup(st, 2, a);
		out->party = db_col_dup(st, 3, a);
		out->name = db_col_dup(st, 4, a);
		out->email = db_col_dup(st, 5, a);
	}
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	return forms_event_get(db, a, form_id, &out->form);
}

/* ---- the attendee list ---- */

/* "%q%" with q's own %, _ and \ taken literally (ESCAPE '\'). */
static const char *like_pattern(struct arena *a, const char *q)
{
	size_t n = strlen(q);
	char *out = arena_alloc(a, 2 * n + 3), *o = out;
	*o++ = '%';
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			*o++ = '\\';
		*o++ = *q;
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

enum jm_rc forms_event_attendees(struct db *db, struct arena *a, int64_t form_id, const char *q,
                                 struct forms_attendee **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	const char *like = like_pattern(a, q ? q : "");
	*out = NULL;
	*n = 0;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT a.id, a.person_id, coalesce(p.name, ''), coalesce(p.email, ''), a.party, "
	        "coalesce(a.attended_at, 0), a.verified, p.stage FROM answers a "
	        "JOIN people p ON p.id = a.person_id "
	        "WHERE a.form_id = ? AND a.status = 'confirmed' AND (lower(coalesce(p.name, '')) "
	        "LIKE lower(?) ESCAPE '\\' OR lower(coalesce(p.email, '')) LIKE lower(?) ESCAPE "
	        "'\\') "
	        "ORDER BY a.attended_at IS NOT NULL, p.name, a.id LIMIT 1000",
	        "itt", form_id, like, like);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		struct forms_attendee *x = &(*out)[(*n)++];
		x->answer_id = db_col_int(st, 0);
		x->person_id = db_col_int(st, 1);
		x->name = db_col_dup(st, 2, a);
		x->email = db_col_dup(st, 3, a);
		x->party = db_col_dup(st, 4, a);
		x->attended_at = db_col_int(st, 5);
		x->verified = db_col_int(st, 6) != 0;
		x->stage = db_col_dup(st, 7, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* ---- check-in ---- */

/* The interaction a check-in logs: "met at EVENT". */
static enum jm_rc log_meeting(struct db *db, struct arena *a, int64_t person_id, const char *title,
                              int64_t now, struct jm_err *err)
{
	const char *lang = site_setting_get(db, a, "lang");
	struct net_interaction in = {
	        .person_id = person_id,
	        .kind = "meeting",
	        .note = arena_sprintf(
	                a, lang && !strcmp(lang, "en") ? "met at %s" : "「%s」で会った", title),
	        .happened_at = now,
	};
	int64_t id = 0;
	return net_interaction_add(db, &in, now, &id, err);
}

enum jm_rc forms_event_checkin(struct db *db, int64_t form_id, int64_t answer_id, int64_t now,
                               int64_t *person_id, bool *already, struct jm_err *err)
{
	struct arena *a = arena_new(4096);
	struct forms_form f;
	struct event_answer x;
	*already = false;
	enum jm_rc rc = forms_event_get(db, a, form_id, &f);
	if (!rc)
		rc = event_answer_load(db, answer_id, &x);
	if (!rc && (x.form_id != form_id || strcmp(x.status, "confirmed") != 0))
		rc = JM_NOT_FOUND;
	if (rc) {
		jm_err_set(err, "code", "not a confirmed registration of this event");
		goto out;
	}
	*person_id = x.person_id;
	/* attended_at is set once (the guard makes a second tap a no-op) and
	 * committed before the interaction is logged in network/'s own
	 * transaction: a retry after a failure between the two logs nothing
	 * twice. */
	rc = db_execf(db,
	              "UPDATE answers SET attended_at = ?, updated_at = ? "
	              "WHERE id = ? AND attended_at IS NULL",
	              "iii", now, now, answer_id);
	if (!rc && db_changes(db) == 0)
		*already = true;
	if (!rc && !*already)
		rc = log_meeting(db, a, x.person_id, f.title, now, err);
out:
	arena_free(a);
	return rc;
}

/* ---- fans who came → 知り合い (reviewed by the owner) ---- */

enum jm_rc forms_event_fans(struct db *db, struct arena *a, int64_t form_id,
                            struct forms_attendee **out, size_t *n)
{
	struct forms_attendee *all = NULL;
	size_t k = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = forms_event_attendees(db, a, form_id, "", &all, &k);
	if (rc)
		return rc;
	*out = arena_alloc(a, (k ? k : 1) * sizeof(**out));
	for (size_t i = 0; i < k; i++)
		if (all[i].attended_at && all[i].stage && !strcmp(all[i].stage, "fan"))
			(*out)[(*n)++] = all[i];
	return JM_OK;
}

enum jm_rc forms_event_fans_apply(struct db *db, int64_t form_id, const int64_t *person_ids,
                                  size_t n, int64_t now, int64_t *moved, struct jm_err *err)
{
	struct arena *a = arena_new(4096);
	struct forms_attendee *fans = NULL;
	size_t k = 0, m = 0;
	*moved = 0;
	enum jm_rc rc = forms_event_fans(db, a, form_id, &fans, &k);
	int64_t *ids = arena_alloc(a, (n ? n : 1) * sizeof(*ids));
	/* Only the ticked people who are still fans who came: anything else
	 * in the request is left as it is. */
	for (size_t i = 0; !rc && i < n; i++)
		for (size_t j = 0; j < k; j++)
			if (fans[j].person_id == person_ids[i]) {
				ids[m++] = person_ids[i];
				break;
			}
	if (!rc && m)
		rc = net_people_bulk(db, NET_BULK_STAGE, ids, m, "acquaintance", now, err);
	if (!rc)
		*moved = (int64_t)m;
	arena_free(a);
	return rc;
}
