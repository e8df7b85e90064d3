/*
 * people.c — one person of the hub: create, update, delete and read with
 * links, tags, custom fields and the give/take balance; stage changes with
 * their history; the freeloader and blocked flags.
 *
 * The writes themselves are people/'s (people.h), which keeps the table
 * invariants: every stage a person has been in is in stage_changes (the
 * first row, from '' to the first stage, is written at creation); an
 * email is stored normalised (auth_email_normalize) or NULL. Here: bad input is
 * rejected before anything is written, naming the field, and each public
 * writer runs in one transaction (BEGIN IMMEDIATE), so it cannot be called
 * inside a caller's transaction.
 *
 * Give/take (net_person_get): given counts the owner's help_given
 * interactions with the person; received counts help_received plus
 * referral interactions (a referral is logged when the person sends the
 * owner work or a contact).
 */
#include <strings.h>

#include "network/people_int.h"

#include "auth/auth.h"
#include "newsletter/newsletter.h"
#include "people/people.h"

#define ONE_LINE_MAX  200 /* name, furigana, company, title, source */
#define LONG_MAX_B    2000
#define NOTES_MAX     100000
#define LINKS_MAX     20
#define LINK_KIND_MAX 40
#define URL_MAX       500
#define TAGS_MAX      50
#define TAG_MAX       60
#define FIELDS_MAX    50
#define FIELD_KEY_MAX 60
#define FIELD_VAL_MAX 2000
#define REASON_MAX    500
#define TOUCH_MAX     3650
#define EMAIL_MAX     254

/* ---- validation ---- */

/* Valid UTF-8 of at most max bytes without control characters; a one-line
 * field refuses tab, CR and LF too. NULL counts as "". */
static bool text_ok(const char *s, size_t max, bool one_line)
{
	size_t n = s ? strlen(s) : 0;
	if (n > max || !utf8_valid(s ? s : "", n) || utf8_has_controls(s ? s : "", n))
		return false;
	return !one_line || jm_header_value_ok(s, n); /* a mail header may show it */
}

static enum jm_rc bad(struct jm_err *err, const char *field, const char *msg)
{
	jm_err_set(err, field, "%s", msg);
	return JM_INVALID;
}

static enum jm_rc check_line(const char *s, const char *field, struct jm_err *err)
{
	if (text_ok(s, ONE_LINE_MAX, true))
		return JM_OK;
	return bad(err, field, "must be one line of at most 200 bytes without control characters");
}

static bool url_ok(const char *u)
{
	size_t n = u ? strlen(u) : 0, skip = 0;
	if (n > URL_MAX || !text_ok(u, URL_MAX, true))
		return false;
	if (n > 7 && !strncasecmp(u, "http://", 7))
		skip = 7;
	else if (n > 8 && !strncasecmp(u, "https://", 8))
		skip = 8;
	if (!skip || u[skip] == '/' || u[skip] == '?' || u[skip] == '#')
		return false;
	for (size_t i = 0; i < n; i++)
		if (u[i] == ' ' || u[i] == '"' || u[i] == '<' || u[i] == '>')
			return false;
	return true;
}

static enum jm_rc check_links(const struct net_person_input *in, struct jm_err *err)
{
	if (in->nlinks > LINKS_MAX)
		return bad(err, "links", "at most 20 links");
	for (size_t i = 0; i < in->nlinks; i++) {
		const char *k = in->links[i].kind;
		if (!k || !*k || !text_ok(k, LINK_KIND_MAX, true))
			return bad(err, "links", "a link needs a kind of at most 40 bytes");
		if (!url_ok(in->links[i].url))
			return bad(err, "links",
			           "a link must be an http(s) URL of at most 500 bytes");
	}
	return JM_OK;
}

static bool tag_ok(const char *t)
{
	return t && *t && text_ok(t, TAG_MAX, true);
}

static enum jm_rc check_tags(const struct net_person_input *in, struct jm_err *err)
{
	if (in->ntags > TAGS_MAX)
		return bad(err, "tags", "at most 50 tags");
	for (size_t i = 0; i < in->ntags; i++)
		if (!tag_ok(in->tags[i]))
			return bad(err, "tags", "a tag must be one line of 1 to 60 bytes");
	return JM_OK;
}

static enum jm_rc check_fields(const struct net_person_input *in, struct jm_err *err)
{
	if (in->nfields > FIELDS_MAX)
		return bad(err, "fields", "at most 50 custom fields");
	for (size_t i = 0; i < in->nfields; i++) {
		const char *k = in->field_keys[i];
		if (!k || !*k || !text_ok(k, FIELD_KEY_MAX, true))
			return bad(err, "fields", "a field name must be one line of 1 to 60 bytes");
		if (!text_ok(in->field_vals[i], FIELD_VAL_MAX, false))
			return bad(err, "fields",
			           "a field value must be at most 2000 bytes of text");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(k, in->field_keys[j]))
				return bad(err, "fields", "a field name appears twice");
	}
	return JM_OK;
}

/* Normalises the email into norm ("" when empty). */
static enum jm_rc check_email(const char *email, char norm[EMAIL_MAX + 66], struct jm_err *err)
{
	size_t n = email ? strlen(email) : 0;
	norm[0] = '\0';
	if (n == 0)
		return JM_OK;
	if (n > EMAIL_MAX + 64 || !text_ok(email, EMAIL_MAX + 64, true))
		return bad(err, "email", "invalid email address");
	memcpy(norm, email, n + 1);
	if (!auth_email_normalize(norm) || strlen(norm) > EMAIL_MAX)
		return bad(err, "email", "invalid email address");
	return JM_OK;
}

static enum jm_rc check_lines(const struct net_person_input *in, bool all, struct jm_err *err)
{
	enum jm_rc rc = JM_OK;
	if (all || in->has_name)
		rc = check_line(in->name, "name", err);
	if (!rc && (all || in->has_furigana))
		rc = check_line(in->furigana, "furigana", err);
	if (!rc && (all || in->has_company))
		rc = check_line(in->company, "company", err);
	if (!rc && (all || in->has_title))
		rc = check_line(in->title, "title", err);
	if (!rc && (all || in->has_source))
		rc = check_line(in->source, "source", err);
	return rc;
}

/* Checks every member create (all) or update (has_*) would write. */
static enum jm_rc check_input(const struct net_person_input *in, bool all,
                              char norm[EMAIL_MAX + 66], struct jm_err *err)
{
	enum jm_rc rc = check_lines(in, all, err);
	if (!rc && (all || in->has_email))
		rc = check_email(in->email, norm, err);
	if (!rc && (all || in->has_can_offer) && !text_ok(in->can_offer, LONG_MAX_B, false))
		rc = bad(err, "can_offer", "at most 2000 bytes of text");
	if (!rc && (all || in->has_looking_for) && !text_ok(in->looking_for, LONG_MAX_B, false))
		rc = bad(err, "looking_for", "at most 2000 bytes of text");
	if (!rc && (all || in->has_notes) && !text_ok(in->notes_md, NOTES_MAX, false))
		rc = bad(err, "notes", "at most 100000 bytes of text");
	if (!rc && (all || in->has_links))
		rc = check_links(in, err);
	if (!rc && (all || in->has_tags))
		rc = check_tags(in, err);
	if (!rc && (all || in->has_fields))
		rc = check_fields(in, err);
	if (!rc && (all || in->has_touch_days) &&
	    (in->touch_days < 0 || in->touch_days > TOUCH_MAX))
		rc = bad(err, "touch_days", "must be 0 to 3650 days");
	return rc;
}

/* ---- links, tags, fields ---- */

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static enum jm_rc replace_links(struct db *db, int64_t id, const struct net_person_input *in)
{
	struct people_link v[LINKS_MAX];
	size_t n = in->nlinks < LINKS_MAX ? in->nlinks : LINKS_MAX; /* checked before */
	for (size_t i = 0; i < n; i++)
		v[i] = (struct people_link){in->links[i].kind, in->links[i].url};
	return people_links_replace(db, id, v, n);
}

static enum jm_rc write_lists(struct db *db, int64_t id, const struct net_person_input *in,
                              bool all)
{
	enum jm_rc rc = JM_OK;
	if (all || in->has_links)
		rc = replace_links(db, id, in);
	if (!rc && (all || in->has_tags))
		rc = people_tags_replace(db, id, in->tags, in->ntags);
	if (!rc && (all || in->has_fields))
		rc = people_fields_replace(db, id, in->field_keys, in->field_vals, in->nfields);
	return rc;
}

/* ---- create, update, delete ---- */

static enum jm_rc create_tx(struct db *db, const struct net_person_input *in, const char *email,
                            const char *stage, int64_t now, int64_t *id)
{
	struct people_row r = {
	        .email = email,
	        .name = in->name,
	        .furigana = in->furigana,
	        .company = in->company,
	        .title = in->title,
	        .stage = stage,
	        .source = in->source,
	        .notes_md = in->notes_md,
	        .can_offer = in->can_offer,
	        .looking_for = in->looking_for,
	        .touch_days = in->touch_days,
	};
	enum jm_rc rc = people_insert(db, &r, NULL, now, id);
	return rc ? rc : write_lists(db, *id, in, true);
}

enum jm_rc net_person_create(struct db *db, const struct net_person_input *in, int64_t now,
                             int64_t *id, struct jm_err *err)
{
	char email[EMAIL_MAX + 66];
	const char *stage = in->stage ? in->stage : "reader";
	enum jm_rc rc = check_input(in, true, email, err);
	if (rc)
		return rc;
	if (!net_stage_valid(stage))
		return bad(err, "stage", "unknown stage");
	if (!email[0] && !(in->name && *in->name))
		return bad(err, "name", "a name or an email is required");
	if ((rc = db_begin(db)))
		return rc;
	rc = db_end(db, create_tx(db, in, email, stage, now, id));
	if (rc == JM_CONFLICT)
		jm_err_set(err, "email", "another person has this email");
	return rc;
}

static enum jm_rc update_row(struct db *db, int64_t id, const struct net_person_input *in,
                             const char *email, int64_t now)
{
	struct people_patch p = {
	        .email = email,
	        .name = in->name,
	        .furigana = in->furigana,
	        .company = in->company,
	        .title = in->title,
	        .source = in->source,
	        .can_offer = in->can_offer,
	        .looking_for = in->looking_for,
	        .notes_md = in->notes_md,
	        .touch_days = in->touch_days,
	        .has_email = in->has_email,
	        .has_name = in->has_name,
	        .has_furigana = in->has_furigana,
	        .has_company = in->has_company,
	        .has_title = in->has_title,
	        .has_source = in->has_source,
	        .has_can_offer = in->has_can_offer,
	        .has_looking_for = in->has_looking_for,
	        .has_notes = in->has_notes,
	        .has_touch_days = in->has_touch_days,
	};
	return people_update(db, id, &p, now);
}

enum jm_rc net_person_update(struct db *db, int64_t id, const struct net_person_input *in,
                             int64_t now, struct jm_err *err)
{
	char email[EMAIL_MAX + 66] = ""; /* bound even when the patch has no email */
	enum jm_rc rc = check_input(in, false, email, err);
	if (rc)
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	rc = update_row(db, id, in, email, now);
	if (!rc)
		rc = write_lists(db, id, in, false);
	rc = db_end(db, rc);
	if (rc == JM_CONFLICT)
		jm_err_set(err, "email", "another person has this email");
	return rc;
}

enum jm_rc net_person_delete(struct db *db, int64_t id)
{
	return people_delete(db, id);
}

/* ---- read ---- */

void net_person_row(struct db_stmt *st, int c, struct arena *a, struct net_person *p)
{
	memset(p, 0, sizeof(*p));
	p->id = db_col_int(st, c);
	p->email = db_col_dup(st, c + 1, a);
	p->name = db_col_dup(st, c + 2, a);
	p->furigana = db_col_dup(st, c + 3, a);
	p->company = db_col_dup(st, c + 4, a);
	p->title = db_col_dup(st, c + 5, a);
	p->stage = db_col_dup(st, c + 6, a);
	p->source = db_col_dup(st, c + 7, a);
	p->can_offer = db_col_dup(st, c + 8, a);
	p->looking_for = db_col_dup(st, c + 9, a);
	p->notes_md = db_col_dup(st, c + 10, a);
	p->freeloader = db_col_int(st, c + 11) != 0;
	p->blocked = db_col_int(st, c + 12) != 0;
	p->created_at = db_col_int(st, c + 13);
	p->updated_at = db_col_int(st, c + 14);
	p->stage_at = db_col_int(st, c + 15);
	p->last_contact_at = db_col_int(st, c + 16);
	p->touch_days = db_col_int(st, c + 17);
	p->engagement = db_col_int(st, c + 18);
}

static enum jm_rc load_links(struct db *db, struct arena *a, struct net_person *p)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT kind, url FROM person_links WHERE person_id = ? "
	                            "ORDER BY position",
	                            "i", p->id);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		p->links = arena_grow(a, p->links, p->nlinks, &cap, sizeof(*p->links));
		p->links[p->nlinks].kind = db_col_dup(st, 0, a);
		p->links[p->nlinks++].url = db_col_dup(st, 1, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc load_give_take(struct db *db, struct net_person *p)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT COALESCE(sum(CASE WHEN kind = 'help_given' THEN 1 ELSE 0 END), 0), "
	        "COALESCE(sum(CASE WHEN kind IN ('help_received', 'referral') "
	        "THEN 1 ELSE 0 END), 0) "
	        "FROM interactions WHERE person_id = ?",
	        "i", p->id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		p->given = db_col_int(st, 0);
		p->received = db_col_int(st, 1);
	}
	db_finalize(st);
	return rc == JM_OK ? JM_OK : JM_DB;
}

enum jm_rc net_person_get(struct db *db, struct arena *a, int64_t id, struct net_person *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT " NET_PERSON_COLS "FROM people p WHERE p.id = ?", "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		net_person_row(st, 0, a, out);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	rc = load_links(db, a, out);
	/* tags and custom fields are the newsletter's tables, read as it does */
	rc = rc ? rc : nl_person_tags(db, a, out->id, &out->tags, &out->ntags);
	rc = rc ? rc
	        : nl_person_fields(db, a, out->id, &out->field_keys, &out->field_vals,
	                           &out->nfields);
	return rc ? rc : load_give_take(db, out);
}

/* ---- stage and flags ---- */

enum jm_rc net_stage_apply(struct db *db, int64_t id, const char *stage, const char *reason,
                           int64_t now)
{
	return people_stage_set(db, id, stage, reason, now);
}

enum jm_rc net_person_set_stage(struct db *db, int64_t id, const char *stage, const char *reason,
                                int64_t now, struct jm_err *err)
{
	if (!net_stage_valid(stage))
		return bad(err, "stage", "unknown stage");
	if (!text_ok(reason, REASON_MAX, false))
		return bad(err, "reason", "at most 500 bytes of text");
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_end(db, net_stage_apply(db, id, stage, or_empty(reason), now));
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "id", "no such person");
	return rc;
}

static enum jm_rc flag_tx(struct db *db, int64_t id, bool freeloader, bool on, int64_t now)
{
	bool changed = false;
	enum jm_rc rc = people_flag_set(db, id, freeloader, on, now, &changed);
	if (rc || !changed)
		return rc; /* unchanged: nothing to log */
	const char *detail = freeloader ? (on ? "freeloader on" : "freeloader off")
	                                : (on ? "blocked on" : "blocked off");
	return people_event_add(db, id, "flag", detail, now);
}

enum jm_rc net_person_set_flag(struct db *db, int64_t id, const char *flag, bool on, int64_t now,
                               struct jm_err *err)
{
	bool freeloader = flag && !strcmp(flag, "freeloader");
	if (!freeloader && !(flag && !strcmp(flag, "blocked")))
		return bad(err, "flag", "flag must be freeloader or blocked");
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_end(db, flag_tx(db, id, freeloader, on, now));
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "id", "no such person");
	return rc;
}

enum jm_rc net_stage_history(struct db *db, struct arena *a, int64_t person_id,
                             struct net_stage_change **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT from_stage, to_stage, reason, created_at "
	                    "FROM stage_changes WHERE person_id = ? ORDER BY created_at, id",
	                    "i", person_id);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		struct net_stage_change *c = &(*out)[(*n)++];
		c->from = db_col_dup(st, 0, a);
		c->to = db_col_dup(st, 1, a);
		c->reason = db_col_dup(st, 2, a);
		c->at = db_col_int(st, 3);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* ---- bulk ---- */

static enum jm_rc bulk_tx(struct db *db, enum net_bulk_op op, const int64_t *ids, size_t n,
                          const char *arg, int64_t now)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		if (op == NET_BULK_STAGE) {
			rc = net_stage_apply(db, ids[i], arg, "bulk", now);
			continue;
		}
		rc = people_exists(db, ids[i]);
		if (!rc && op == NET_BULK_TAG)
			rc = people_tag_add(db, ids[i], arg, NULL);
		else if (!rc)
			rc = people_tag_remove(db, ids[i], arg);
	}
	return rc;
}

enum jm_rc net_people_bulk_field(struct db *db, const int64_t *ids, size_t n, const char *key,
                                 const char *value, int64_t now, struct jm_err *err)
{
	(void)now;
	if (n == 0)
		return bad(err, "ids", "select at least one person");
	if (!key || !*key || !text_ok(key, FIELD_KEY_MAX, true))
		return bad(err, "key", "a field name must be one line of 1 to 60 bytes");
	if (!text_ok(value, FIELD_VAL_MAX, false))
		return bad(err, "value", "a field value must be at most 2000 bytes of text");
	const char *v = value ? value : "";
	enum jm_rc rc = db_begin(db);
	for (size_t i = 0; i < n && !rc; i++) {
		rc = people_exists(db, ids[i]);
		rc = rc ? rc : people_fields_set(db, ids[i], &key, &v, 1);
	}
	rc = db_end(db, rc);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "ids", "no such person");
	return rc;
}

enum jm_rc net_people_bulk(struct db *db, enum net_bulk_op op, const int64_t *ids, size_t n,
                           const char *arg, int64_t now, struct jm_err *err)
{
	if (n == 0)
		return bad(err, "ids", "select at least one person");
	if (n > 100000) {
		jm_err_set(err, "ids", "at most 100000 people at once");
		return JM_TOO_LARGE;
	}
	if (op == NET_BULK_STAGE && !net_stage_valid(arg))
		return bad(err, "arg", "unknown stage");
	if (op != NET_BULK_STAGE && !tag_ok(arg))
		return bad(err, "arg", "a tag must be one line of 1 to 60 bytes");
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_end(db, bulk_tx(db, op, ids, n, arg, now));
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "ids", "no such person");
	return rc;
}
