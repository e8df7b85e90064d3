/*
 * answer.c — answering a form (forms.h "answering"): the values checked
 * against the form's fields by core/field.c's engine, the person found or
 * made, the answer stored verified (a reader from their own mail link) or
 * held for the mailed confirmation (anyone else), edited by its reader
 * until the form closes; and the signed tokens of both links.
 *
 * Invariants:
 * - One transaction per answer, and the first thing it does is lock the
 *   form's row (PostgreSQL: SELECT … FOR UPDATE; SQLite: the write
 *   transaction, BEGIN IMMEDIATE, is the lock). Whether the form is open
 *   and how many answers the person has are read under that lock, so two
 *   answers sent at once where one is allowed store one: the second sees
 *   the first and gets JM_CONFLICT. Event placement (event.c) takes the
 *   same lock, so answer ids are handed out in the order received.
 * - A refusal stores nothing: no answer, no person, no spent stamp, no
 *   rate-limit hit, no mail.
 * - An unverified answer touches nothing beyond its own rows: people_ensure
 *   with fill_name off (an existing person keeps their name), no timeline
 *   event, no score, the confirmation mail queued without a person (the
 *   delivery is not on anyone's history). Verifying does the rest.
 * - The confirmation mail holds the form's title and the link, nothing the
 *   visitor typed (the form cannot be used to relay spam).
 * - Values are stored as the field engine returns them (a checkbox as "1");
 *   empty values are not stored; a multi field stores one row per option; a
 *   file field's value is its answer_files id. Files are sniffed (PDF, JPEG,
 *   PNG, Word): the type the browser claimed is never trusted.
 */
#include "forms/forms.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "core/field.h"
#include "db/db.h"
#include "network/network.h"
#include "newsletter/newsletter.h"
#include "people/people.h"
#include "site/site.h"

#define CONFIRM_CTX   "/confirm" /* a slug never holds '/' */
#define FORM_CLOCK    60         /* a stamp this far ahead still passes */
#define WINDOW_IP     3600
#define WINDOW_EMAIL  86400
#define FILE_NAME_MAX 200
#define MSG_MAX       256

/* ---- tokens ---- */

void forms_token_make(const unsigned char secret[32], const char *slug, int64_t person_id,
                      char out[FORMS_TOKEN_MAX])
{
	nl_token_form(secret, slug, person_id, 0, out);
}

enum jm_rc forms_token_parse(const unsigned char secret[32], const char *slug, const char *token,
                             int64_t *person_id)
{
	int64_t id = 0, issued = 0;
	if (!slug || !*slug || nl_token_form_check(secret, slug, token, &id, &issued) != JM_OK ||
	    issued != 0)
		return JM_INVALID;
	*person_id = id;
	return JM_OK;
}

void forms_confirm_token(const unsigned char secret[32], int64_t answer_id, int64_t now,
                         char out[FORMS_TOKEN_MAX])
{
	nl_token_form(secret, CONFIRM_CTX, answer_id, now, out);
}

static enum jm_rc confirm_parse(const unsigned char secret[32], const char *token, int64_t now,
                                int64_t *answer_id)
{
	int64_t id = 0, issued = 0;
	if (nl_token_form_check(secret, CONFIRM_CTX, token, &id, &issued) != JM_OK || issued <= 0 ||
	    issued > now + FORM_CLOCK)
		return JM_INVALID;
	*answer_id = id;
	return now - issued > FORMS_CONFIRM_TTL ? JM_NOT_FOUND : JM_OK;
}

/* ---- checking (no database) ---- */

/* A file accepted for storing: its sniffed type. */
struct pending_file {
	const struct forms_upload *up;
	const char *ctype;
};

struct checker {
	struct arena *a;
	const struct forms_answer_in *in;
	struct forms_answer_error *errs;
	size_t n, cap;
	struct forms_value *vals; /* what to store */
	size_t nvals, vcap;
	struct pending_file *files;
	size_t nfiles, fcap;
	bool too_large;
};

static void refuse(struct checker *c, const char *key, const char *code, const char *msg)
{
	c->errs = arena_grow(c->a, c->errs, c->n, &c->cap, sizeof(*c->errs));
	c->errs[c->n++] = (struct forms_answer_error){key, code, arena_strdup(c->a, msg)};
}

static void keep_value(struct checker *c, const char *key, const char *v)
{
	if (!v || !*v)
		return;
	c->vals = arena_grow(c->a, c->vals, c->nvals, &c->vcap, sizeof(*c->vals));
	c->vals[c->nvals++] = (struct forms_value){key, v};
}

/* The values in gives for key, in v (arena, n of them). */
static const char **values_of(struct checker *c, const char *key, size_t *n)
{
	const struct forms_answer_in *in = c->in;
	const char **v = arena_alloc(c->a, (in->nvalues + 1) * sizeof(*v));
	*n = 0;
	for (size_t i = 0; i < in->nvalues && i < FORMS_VALUES_MAX; i++)
		if (in->values[i].key && !strcmp(in->values[i].key, key))
			v[(*n)++] = in->values[i].value ? in->values[i].value : "";
	return v;
}

static const struct forms_upload *upload_of(const struct forms_answer_in *in, const char *key)
{
	for (size_t i = 0; i < in->nfiles; i++)
		if (in->files[i].key && !strcmp(in->files[i].key, key) &&
		    (in->files[i].len || (in->files[i].name && *in->files[i].name)))
			return &in->files[i];
	return NULL;
}

/* The first bytes of an upload into head (zero-filled), *n how many. */
static void upload_head(const struct forms_upload *up, unsigned char head[16], size_t *n)
{
	memset(head, 0, 16);
	*n = 0;
	if (up->data) {
		*n = up->len < 16 ? up->len : 16;
		memcpy(head, up->data, *n);
		return;
	}
	FILE *fp = up->path ? fopen(up->path, "rb") : NULL;
	if (fp) {
		*n = fread(head, 1, 16, fp);
		fclose(fp);
	}
}

/* The type of the upload by its first bytes (PDF, JPEG, PNG, Word .doc by
 * the OLE2 signature, .docx a ZIP named so), or NULL for anything else. */
static const char *sniff(const struct forms_upload *up)
{
	unsigned char h[16];
	size_t n = 0;
	upload_head(up, h, &n);
	const char *name = up->name ? up->name : "";
	size_t nl = strlen(name);
	if (n >= 5 && !memcmp(h, "%PDF-", 5))
		return "application/pdf";
	if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF)
		return "image/jpeg";
	if (n >= 8 && !memcmp(h, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (n >= 8 && !memcmp(h, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8))
		return "application/msword";
	if (n >= 4 && !memcmp(h, "PK\x03\x04", 4) && nl >= 5 && !strcasecmp(name + nl - 5, ".docx"))
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
	return NULL;
}

static void check_file(struct checker *c, const struct jm_field *f)
{
	const struct forms_upload *up = upload_of(c->in, f->key);
	if (!up) {
		/* An edit keeps the file it had (answer.c's edit). */
		if (f->required && !c->in->answer_id)
			refuse(c, f->key, "required", "a file is required");
		return;
	}
	if (up->len > FORMS_FILE_MAX) {
		c->too_large = true;
		refuse(c, f->key, "file_large", "the file is larger than 10 MB");
		return;
	}
	const char *ctype = up->len ? sniff(up) : NULL;
	if (!ctype) {
		refuse(c, f->key, "file_type", "send a PDF, JPEG, PNG or Word file");
		return;
	}
	c->files = arena_grow(c->a, c->files, c->nfiles, &c->fcap, sizeof(*c->files));
	c->files[c->nfiles++] = (struct pending_file){up, ctype};
}

static void check_field(struct checker *c, const struct jm_field *f)
{
	enum jm_field_type t = JM_FIELD_TEXT;
	if (!jm_field_type_parse(f->type, &t))
		t = JM_FIELD_TEXT;
	if (t == JM_FIELD_FILE) {
		check_file(c, f);
		return;
	}
	size_t n = 0;
	const char **v = values_of(c, f->key, &n);
	enum jm_field_value r = JM_FV_OK;
	const char *out = NULL;
	if (t == JM_FIELD_MULTI)
		r = jm_field_multi_check(f, v, n);
	else if (n > 1)
		r = JM_FV_NOT_OPTION; /* one value only */
	else
		r = jm_field_value_check(f, n ? v[0] : "", true, &out);
	if (r != JM_FV_OK) {
		char msg[MSG_MAX];
		jm_field_value_msg(f, r, msg, sizeof(msg));
		refuse(c, f->key, jm_field_value_code(r), msg);
		return;
	}
	for (size_t i = 0; t == JM_FIELD_MULTI && i < n; i++)
		keep_value(c, f->key, v[i]);
	if (t != JM_FIELD_MULTI)
		keep_value(c, f->key, out);
}

/* A stranger's name and email, and the consent box. */
static void check_person(struct checker *c, const struct forms_form *f)
{
	const struct forms_answer_in *in = c->in;
	if (f->consent_text && !jm_blank(f->consent_text) && !in->consent)
		refuse(c, "consent", "consent", "please agree to the handling of your information");
	if (in->person_id)
		return;
	size_t len = in->name ? strlen(in->name) : 0;
	if (jm_blank(in->name))
		refuse(c, "name", "required", "your name is required");
	else if (len > FORMS_NAME_MAX || !jm_header_value_ok(in->name, len))
		refuse(c, "name", "too_long", "one line of at most 100 bytes");
	char *norm = arena_strdup(c->a, in->email ? in->email : "");
	if (jm_blank(in->email))
		refuse(c, "email", "required", "your email address is required");
	else if (!auth_email_normalize(norm))
		refuse(c, "email", "email", "not an email address");
}

/* Values and files given for keys the form has not. */
static void check_unknown(struct checker *c, const struct jm_field *fs, size_t nf)
{
	const struct forms_answer_in *in = c->in;
	if (in->nvalues > FORMS_VALUES_MAX)
		refuse(c, "form", "too_long", "too many values");
	for (size_t i = 0; i < in->nvalues + in->nfiles; i++) {
		bool is_file = i >= in->nvalues;
		const char *k = is_file ? in->files[i - in->nvalues].key : in->values[i].key;
		bool known = false;
		for (size_t j = 0; k && j < nf && !known; j++)
			known = !strcmp(fs[j].key, k) &&
			        is_file == !strcmp(fs[j].type ? fs[j].type : "", "file");
		if (!known) {
			refuse(c, k ? k : "form", "unknown_field", "no such field in this form");
			return;
		}
	}
}

static void check_all(struct checker *c, const struct forms_form *f)
{
	struct jm_field *fs = forms_fields_engine(c->a, f);
	check_person(c, f);
	check_unknown(c, fs, f->nfields);
	for (size_t i = 0; i < f->nfields; i++)
		check_field(c, &fs[i]);
}

void forms_answer_check(struct arena *a, const struct forms_form *f,
                        const struct forms_answer_in *in, struct forms_answer_error **errs,
                        size_t *n)
{
	struct checker c = {.a = a, .in = in};
	check_all(&c, f);
	*errs = c.errs;
	*n = c.n;
}

/* The honeypot and the page's signed stamp (spent in the transaction). */
static enum jm_rc check_bot(const struct forms_answer_in *in, int64_t now, struct jm_err *err)
{
	const char *why = "honeypot filled", *field = "honeypot";
	if (in->honeypot && *in->honeypot) {
		jm_err_set(err, field, "%s", why);
		return JM_INVALID;
	}
	field = "stamp";
	switch (in->secret ? auth_stamp_check(in->secret, FORMS_STAMP_PURPOSE, in->stamp, now,
	                                      FORMS_MIN_FILL, FORMS_STAMP_MAX, NULL)
	                   : AUTH_STAMP_MISSING) {
	case AUTH_STAMP_OK: return JM_OK;
	case AUTH_STAMP_FAST: field = "stamp_fast", why = "sent too fast"; break;
	case AUTH_STAMP_OLD: field = "stamp_old", why = "the page expired; reload it"; break;
	default: why = "missing or forged form stamp";
	}
	jm_err_set(err, field, "%s", why);
	return JM_INVALID;
}

/* ---- storing ---- */

struct submit {
	const struct forms_form *f;
	const struct forms_answer_in *in;
	struct checker *c;
	struct arena *a;
	int64_t now, person_id, id;
	const char *email; /* the person's, normalised */
	bool fresh;        /* a new answer (not an edit) */
	bool newly_verified;
};

/* Locks form id's row until the transaction ends and reads into *cur
 * (a copy of the form) its state as committed now: status and bounds.
 * SQLite has no FOR UPDATE: its write transaction is the lock. */
static enum jm_rc lock_form(struct db *db, int64_t id, struct forms_form *cur)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        DB_SQL(db,
	               "SELECT status, coalesce(opens_at, 0), coalesce(closes_at, 0) FROM forms "
	               "WHERE id = ?",
	               "SELECT status, coalesce(opens_at, 0), coalesce(closes_at, 0) FROM forms "
	               "WHERE id = ? FOR UPDATE"),
	        "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		cur->status = strcmp(db_col_text(st, 0, NULL), "open") ? "closed" : "open";
		cur->opens_at = db_col_int(st, 1);
		cur->closes_at = db_col_int(st, 2);
	}
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
}

/* Locks the form and refuses it unless it takes answers now
 * (forms_open_at: the one rule, shared with the page). */
static enum jm_rc form_open(struct db *db, struct submit *s, struct jm_err *err)
{
	struct forms_form cur = *s->f;
	enum jm_rc rc = lock_form(db, s->f->id, &cur);
	if (rc)
		return rc;
	switch (forms_open_at(&cur, s->now)) {
	case FORMS_OPEN: return JM_OK;
	case FORMS_NOT_YET: jm_err_set(err, "form", "this form is not open yet"); break;
	default: jm_err_set(err, "form", "this form is closed");
	}
	return JM_CONFLICT;
}

/* A limit from the settings (forms_per_ip_hour, …), else dflt. */
static int64_t limit_of(struct db *db, struct arena *a, const char *key, int64_t dflt)
{
	const char *v = site_setting_get(db, a, key);
	char *end = NULL;
	long long n = v && *v ? strtoll(v, &end, 10) : 0;
	return end && !*end && n > 0 ? (int64_t)n : dflt;
}

/* The single-use stamp and the rate limits of the public page. */
static enum jm_rc defences(struct db *db, struct submit *s, struct jm_err *err)
{
	const struct forms_answer_in *in = s->in;
	enum jm_rc rc =
	        auth_stamp_spend(db, in->stamp, s->now + FORMS_STAMP_MAX + FORM_CLOCK, s->now);
	if (rc == JM_CONFLICT || rc == JM_INVALID) {
		jm_err_set(err, "stamp_used", "this form was sent already");
		return JM_INVALID;
	}
	int64_t ip_max = limit_of(db, s->a, "forms_per_ip_hour", FORMS_PER_IP_HOUR);
	int64_t mail_max = limit_of(db, s->a, "forms_per_email_day", FORMS_PER_EMAIL_DAY);
	if (!rc)
		rc = auth_rate_hit(db, "form-ip:", in->ip ? in->ip : "", ip_max, WINDOW_IP, s->now);
	if (rc == JM_RATE_LIMITED) {
		jm_err_set(err, "ip", "too many answers from this address; try again in an hour");
		return rc;
	}
	if (!rc)
		rc = auth_rate_hit(db, "form-email:", s->email, mail_max, WINDOW_EMAIL, s->now);
	if (rc == JM_RATE_LIMITED)
		jm_err_set(err, "email", "too many answers from this email address today");
	return rc;
}

/* The person answering: the token's (who must exist), or the stranger's,
 * found or made without renaming anyone. */
static enum jm_rc who(struct db *db, struct submit *s, struct jm_err *err)
{
	const struct forms_answer_in *in = s->in;
	if (in->person_id) {
		const char *name = NULL;
		s->person_id = in->person_id;
		enum jm_rc rc = forms_answer_person(db, s->a, in->person_id, &name, &s->email);
		if (rc == JM_NOT_FOUND)
			jm_err_set(err, "token", "this link is no longer valid");
		return rc == JM_NOT_FOUND ? JM_INVALID : rc;
	}
	char *norm = arena_strdup(s->a, in->email ? in->email : "");
	if (!auth_email_normalize(norm)) {
		jm_err_set(err, "email", "not an email address");
		return JM_INVALID;
	}
	s->email = norm;
	struct people_new p = {
	        .email = norm, .name = in->name, .source = "form", .fill_name = false};
	return people_ensure(db, &p, s->now, &s->person_id, NULL, err);
}

static const char *first_status(enum forms_kind k)
{
	return k == FORMS_ASK ? "received" : k == FORMS_JOB ? "applied" : "new";
}

static enum jm_rc insert_answer(struct db *db, struct submit *s, struct jm_err *err)
{
	const struct forms_form *f = s->f;
	int64_t n = 0;
	enum jm_rc rc = db_query_int(db, &n, 0,
	                             "SELECT count(*) FROM answers WHERE form_id = ? AND "
	                             "person_id = ? AND status NOT IN ('cancelled', 'expired')",
	                             "ii", f->id, s->person_id);
	if (rc)
		return rc;
	if (f->max_answers_per_person > 0 && n >= f->max_answers_per_person) {
		jm_err_set(err, "answer", "you have answered this form already");
		return JM_CONFLICT;
	}
	struct db_stmt *st = NULL;
	rc = db_preparef(db, &st,
	                 "INSERT INTO answers(form_id, person_id, status, verified, status_at, "
	                 "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
	                 "iitiiii", f->id, s->person_id, first_status(f->kind),
	                 (int64_t)(s->in->person_id != 0), s->now, s->now, s->now);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		s->id = db_col_int(st, 0);
	db_finalize(st);
	s->fresh = true;
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_DB : rc;
}

/* Drops an old file of key on answer id (its value and its bytes). */
static enum jm_rc drop_files(struct db *db, int64_t id, const char *key)
{
	return db_execf(db,
	                "DELETE FROM answer_files WHERE answer_id = ?1 AND CAST(id AS TEXT) IN "
	                "(SELECT value FROM answer_values WHERE answer_id = ?1 AND key = ?2)",
	                "it", id, key);
}

/* An edit: the person's own answer, its old values dropped (a file field
 * sent without a file keeps its file). */
static enum jm_rc edit_answer(struct db *db, struct submit *s, struct jm_err *err)
{
	struct forms_answer *old = NULL;
	enum jm_rc rc = forms_answer_get(db, s->a, s->in->answer_id, &old);
	if (rc == JM_NOT_FOUND ||
	    (!rc && (old->form_id != s->f->id || old->person_id != s->person_id))) {
		jm_err_set(err, "answer", "this answer is not yours");
		return JM_FORBIDDEN;
	}
	if (!rc && (!strcmp(old->status, "cancelled") || !strcmp(old->status, "expired"))) {
		jm_err_set(err, "answer", "this answer was cancelled");
		return JM_CONFLICT;
	}
	s->id = old ? old->id : 0;
	s->newly_verified = old && !old->verified;
	for (size_t i = 0; !rc && i < s->f->nfields; i++) {
		const struct forms_field *fd = &s->f->fields[i];
		bool file = fd->type && !strcmp(fd->type, "file");
		if (file && !upload_of(s->in, fd->key))
			continue;
		rc = file ? drop_files(db, s->id, fd->key) : JM_OK;
		rc = rc ? rc
		        : db_execf(db, "DELETE FROM answer_values WHERE answer_id = ? AND key = ?",
		                   "it", s->id, fd->key);
	}
	return rc ? rc
	          : db_execf(db, "UPDATE answers SET verified = 1, updated_at = ? WHERE id = ?",
	                     "ii", s->now, s->id);
}

static enum jm_rc insert_value(struct db *db, struct submit *s, const char *key, const char *v)
{
	return db_execf(db,
	                "INSERT INTO answer_values(answer_id, form_id, key, value) "
	                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
	                "iitt", s->id, s->f->id, key, v);
}

/* The name a file was sent with, fit to keep: one line of valid UTF-8. */
static const char *file_name(struct arena *a, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || !utf8_valid(name, n) || !jm_header_value_ok(name, n))
		return "file";
	return arena_strndup(a, name, utf8_truncate(name, n, FILE_NAME_MAX));
}

static enum jm_rc insert_file(struct db *db, struct submit *s, const struct pending_file *p)
{
	const struct forms_upload *up = p->up;
	struct buf b = BUF_INIT;
	const char *data = up->data;
	enum jm_rc rc = JM_OK;
	if (!data) {
		struct jm_err e = {0};
		buf_init(&b, FORMS_FILE_MAX + 1);
		if ((rc = jm_read_file(up->path, &b, &e)))
			return rc == JM_TOO_LARGE ? rc : JM_IO;
		data = buf_cstr(&b);
	}
	struct db_stmt *st = NULL;
	rc = db_prepare(db,
	                "INSERT INTO answer_files(answer_id, name, ctype, bytes, data, created_at) "
	                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
	                &st);
	if (!rc) {
		db_bind_int(st, 1, s->id);
		db_bind_text(st, 2, file_name(s->a, up->name), SIZE_MAX);
		db_bind_text(st, 3, p->ctype, SIZE_MAX);
		db_bind_int(st, 4, (int64_t)(up->data ? up->len : b.len));
		db_bind_blob(st, 5, data, up->data ? up->len : b.len);
		db_bind_int(st, 6, s->now);
		rc = db_step(st);
		int64_t fid = rc == JM_OK ? db_col_int(st, 0) : 0;
		db_finalize(st);
		rc = rc == JM_OK     ? insert_value(db, s, up->key,
		                                    arena_sprintf(s->a, "%lld", (long long)fid))
		     : rc == JM_DONE ? JM_DB
		                     : rc;
	}
	buf_free(&b);
	return rc;
}

static enum jm_rc insert_values(struct db *db, struct submit *s)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; !rc && i < s->c->nvals; i++)
		rc = insert_value(db, s, s->c->vals[i].key, s->c->vals[i].value);
	for (size_t i = 0; !rc && i < s->c->nfiles; i++)
		rc = insert_file(db, s, &s->c->files[i]);
	return rc;
}

/* What a verified answer changes on its person: the timeline and the
 * engagement score. */
static enum jm_rc verified_effects(struct db *db, const struct forms_form *f, int64_t person_id,
                                   int64_t now)
{
	enum jm_rc rc = people_event_add(db, person_id, "form_answer", f->title, now);
	return rc ? rc : net_score_update(db, &person_id, 1, now);
}

/* The mail to confirm an unverified answer: the form's title and the
 * link, in Japanese and English, to no person (not on anyone's history). */
static enum jm_rc queue_confirm(struct db *db, struct submit *s)
{
	const struct forms_answer_in *in = s->in;
	char tok[FORMS_TOKEN_MAX];
	forms_confirm_token(in->secret, s->id, s->now, tok);
	const char *base = in->base_url && *in->base_url ? in->base_url
	                                                 : site_setting_get(db, s->a, "base_url");
	const char *url =
	        nl_form_url(s->a, base, s->f->slug, arena_sprintf(s->a, "/confirm?token=%s", tok));
	if (!url)
		return JM_TOO_LARGE;
	const char *hold =
	        s->f->kind == FORMS_EVENT
	                ? "お席は24時間お取り置きします。/ Your seat is held for 24 hours.\n\n"
	                : "";
	const char *text = arena_sprintf(
	        s->a,
	        "「%s」へのご回答を確定するには、次のリンクを開いてください（7日間有効）。\n\n%"
	        "s\n\n"
	        "%sこのメールに心当たりがない場合は、何もしないでください。回答は確定されません。\n"
	        "\n"
	        "----\n\nTo confirm your answer to \"%s\", open this link (valid for 7 days):\n\n"
	        "%s\n\nIf you did not send it, ignore this mail: the answer stays unconfirmed.\n",
	        s->f->title, url, hold, s->f->title, url);
	json_t *p = json_pack("{s:s+, s:s}", "subject", "【回答の確認 / Please confirm】",
	                      s->f->title, "text", text);
	char *js = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (!js)
		return JM_NOMEM;
	enum jm_rc rc = nl_queue_tx(db, "reply", 0, s->email, js, s->now, NULL);
	free(js);
	return rc;
}

/* An event's seat (a new or newly verified registration), then the
 * effects of verification or the confirmation mail. */
static enum jm_rc after(struct db *db, struct submit *s, struct jm_err *err)
{
	bool verified = s->in->person_id != 0;
	enum jm_rc rc = JM_OK;
	if (s->f->kind == FORMS_EVENT && (s->fresh || s->newly_verified)) {
		const char *status = "";
		rc = forms_event_place(db, s->f, s->id, verified, s->now, &status);
		if (rc == JM_CONFLICT)
			jm_err_set(err, "full", "this event is full");
	}
	if (!rc && verified && (s->fresh || s->newly_verified))
		rc = verified_effects(db, s->f, s->person_id, s->now);
	if (!rc && !verified && s->fresh)
		rc = queue_confirm(db, s);
	return rc;
}

static enum jm_rc store(struct db *db, struct submit *s, struct jm_err *err)
{
	enum jm_rc rc = form_open(db, s, err);
	if (!rc)
		rc = who(db, s, err);
	if (!rc && s->in->public_form)
		rc = defences(db, s, err);
	if (!rc && s->in->answer_id && !s->in->person_id) {
		jm_err_set(err, "answer", "only the reader's own link can edit an answer");
		rc = JM_FORBIDDEN;
	}
	if (!rc)
		rc = s->in->answer_id ? edit_answer(db, s, err) : insert_answer(db, s, err);
	if (!rc)
		rc = insert_values(db, s);
	if (!rc)
		rc = after(db, s, err);
	return rc;
}

enum jm_rc forms_answer_submit(struct db *db, const struct forms_form *f,
                               const struct forms_answer_in *in, int64_t now, int64_t *answer_id,
                               struct jm_err *err)
{
	struct arena *a = arena_new(8192);
	struct checker c = {.a = a, .in = in};
	struct submit s = {.f = f, .in = in, .c = &c, .a = a, .now = now};
	enum jm_rc rc = JM_OK;
	*answer_id = 0;
	if (!in->secret) { /* signs the confirmation link */
		jm_err_set(err, "secret", "no signing secret");
		rc = JM_INVALID;
		goto out;
	}
	if (in->public_form && (rc = check_bot(in, now, err)))
		goto out;
	check_all(&c, f);
	if (c.n) {
		jm_err_set(err, c.errs[0].key, "%s", c.errs[0].msg);
		rc = c.too_large ? JM_TOO_LARGE : JM_INVALID;
		goto out;
	}
	if ((rc = db_begin(db)))
		goto out;
	rc = db_end(db, store(db, &s, err));
	if (!rc) {
		*answer_id = s.id;
		log_at(LOG_INFO, "forms", "form=%lld answer=%lld person=%lld %s", (long long)f->id,
		       (long long)s.id, (long long)s.person_id, s.fresh ? "stored" : "edited");
	}
out:
	arena_free(a);
	return rc;
}

/* ---- verification ---- */

static enum jm_rc verify_in(struct db *db, struct arena *a, int64_t id, int64_t now,
                            struct jm_err *err)
{
	struct forms_answer *ans = NULL;
	struct forms_form *f = NULL;
	struct forms_form cur = {0};
	int64_t form_id = 0;
	enum jm_rc rc =
	        db_query_int(db, &form_id, 0, "SELECT form_id FROM answers WHERE id = ?", "i", id);
	if (!rc && !form_id)
		rc = JM_NOT_FOUND;
	/* Under the form's lock, so that two clicks verify once. */
	if (!rc)
		rc = lock_form(db, form_id, &cur);
	if (!rc)
		rc = forms_answer_get(db, a, id, &ans);
	if (!rc)
		rc = forms_get(db, a, form_id, &f);
	if (rc || ans->verified)
		return rc;
	rc = db_execf(db, "UPDATE answers SET verified = 1, updated_at = ? WHERE id = ?", "ii", now,
	              id);
	if (!rc && f->kind == FORMS_EVENT && strcmp(ans->status, "cancelled") != 0) {
		const char *status = "";
		rc = forms_event_place(db, f, id, true, now, &status);
		if (rc == JM_CONFLICT)
			jm_err_set(err, "full", "this event is full");
	}
	return rc ? rc : verified_effects(db, f, ans->person_id, now);
}

enum jm_rc forms_answer_verify(struct db *db, const unsigned char secret[32], const char *token,
                               int64_t now, int64_t *answer_id, struct jm_err *err)
{
	int64_t id = 0;
	enum jm_rc rc = confirm_parse(secret, token, now, &id);
	*answer_id = id;
	if (rc) {
		jm_err_set(err, "token",
		           rc == JM_NOT_FOUND ? "this link has expired" : "this link is not valid");
		return rc;
	}
	struct arena *a = arena_new(4096);
	if (!(rc = db_begin(db)))
		rc = db_end(db, verify_in(db, a, id, now, err));
	arena_free(a);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "token", "this answer no longer exists");
	return rc;
}
