/*
 * form.c — forms and their fields (forms.h): the definition rules, create,
 * get, update, delete and list, on both engines. Fields are checked by the
 * one field engine (core/field.h) that the lists' sign-up fields use too.
 *
 * Invariants: a stored form passed check_form (the rules in forms.h); its
 * fields are written with it in one transaction and replaced as a whole,
 * so a refused call stores nothing. Select and multi options are stored
 * one per line (form_fields.options), as list_fields keeps them.
 */
#include "forms/forms.h"

#include "core/field.h"
#include "db/db.h"
#include "site/site.h"

#define DESC_MAX    20000 /* bytes of the Markdown description */
#define THANKS_MAX  5000
#define CONSENT_MAX 5000
#define JOB_MAX     5000 /* bytes of one working condition */
#define LINE_MAX_   500  /* venue, fee, party title */

static const char *const KINDS[] = {"ask", "job", "event"};

const char *forms_kind_name(enum forms_kind k)
{
	return (size_t)k < sizeof(KINDS) / sizeof(KINDS[0]) ? KINDS[k] : "";
}

bool forms_kind_parse(const char *s, enum forms_kind *out)
{
	for (size_t i = 0; s && i < sizeof(KINDS) / sizeof(KINDS[0]); i++)
		if (strcmp(s, KINDS[i]) == 0) {
			*out = (enum forms_kind)i;
			return true;
		}
	return false;
}

/* ---- the definition rules ---- */

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* Valid UTF-8 of at most max bytes; newlines allowed, other controls not. */
static bool long_ok(const char *s, size_t max)
{
	size_t n = strlen(nz(s));
	return n <= max && utf8_valid(nz(s), n) && !utf8_has_controls(nz(s), n);
}

/* min..max bytes on one line, safe in a mail header (titles reach subjects). */
static bool line_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(nz(s));
	return n >= min && n <= max && utf8_valid(nz(s), n) && jm_header_value_ok(nz(s), n);
}

static bool url_ok(const char *s)
{
	struct jm_field f = {.key = "online_url", .label = "online_url", .type = "url"};
	const char *out;
	return !*nz(s) || jm_field_value_check(&f, s, false, &out) == JM_FV_OK;
}

static enum jm_rc bad(struct jm_err *err, const char *field, const char *msg)
{
	jm_err_set(err, field, "%s", msg);
	return JM_INVALID;
}

static bool event_empty(const struct forms_event *e)
{
	return !e->starts_at && !e->ends_at && !*nz(e->venue) && !*nz(e->online_url) &&
	       !*nz(e->fee) && !*nz(e->party_title) && !e->capacity && !e->party_capacity &&
	       !e->reminder_hours;
}

static enum jm_rc check_event(const struct forms_form *f, struct jm_err *err)
{
	const struct forms_event *e = &f->event;
	if (f->kind != FORMS_EVENT)
		return event_empty(e) ? JM_OK
		                      : bad(err, "starts_at", "event details are only for events");
	if (e->starts_at <= 0)
		return bad(err, "starts_at", "starts_at is required for an event");
	if (e->ends_at && e->ends_at < e->starts_at)
		return bad(err, "ends_at", "ends_at must not be before starts_at");
	if (e->capacity < 0)
		return bad(err, "capacity", "capacity must be 0 (no limit) or more");
	if (e->party_capacity < 0)
		return bad(err, "party_capacity", "party_capacity must be 0 (no limit) or more");
	if (e->reminder_hours < 0 || e->reminder_hours > 24 * 60)
		return bad(err, "reminder_hours", "reminder_hours must be 0 to 1440");
	if (!line_ok(e->venue, 0, LINE_MAX_))
		return bad(err, "venue", "venue must be at most 500 bytes on one line");
	if (!url_ok(e->online_url))
		return bad(err, "online_url", "online_url must be an http:// or https:// URL");
	if (!line_ok(e->fee, 0, LINE_MAX_))
		return bad(err, "fee", "fee must be at most 500 bytes on one line");
	if (!line_ok(e->party_title, 0, LINE_MAX_))
		return bad(err, "party_title", "party_title must be at most 500 bytes on one line");
	return JM_OK;
}

/* The eight conditions with their column names, in 0024's order. */
static void job_conds(const struct forms_job *j, const char *v[8])
{
	v[0] = j->duties, v[1] = j->contract_period, v[2] = j->workplace;
	v[3] = j->working_hours, v[4] = j->holidays, v[5] = j->wage;
	v[6] = j->social_insurance, v[7] = j->smoking_measures;
}

static const char *const JOB_COLS[8] = {"duties",           "contract_period", "workplace",
                                        "working_hours",    "holidays",        "wage",
                                        "social_insurance", "smoking_measures"};

static enum jm_rc check_job(const struct forms_form *f, struct jm_err *err)
{
	const char *v[8];
	job_conds(&f->job, v);
	for (int i = 0; i < 8; i++) {
		if (f->kind != FORMS_JOB && *nz(v[i])) {
			jm_err_set(err, JOB_COLS[i], "%s is only for job posts", JOB_COLS[i]);
			return JM_INVALID;
		}
		if (f->kind == FORMS_JOB && (jm_blank(v[i]) || !long_ok(v[i], JOB_MAX))) {
			jm_err_set(err, JOB_COLS[i],
			           "%s is required for a job post (at most %d bytes)", JOB_COLS[i],
			           JOB_MAX);
			return JM_INVALID;
		}
	}
	return JM_OK;
}

static void field_get(size_t i, void *user, struct jm_field *out)
{
	const struct forms_field *f = &((const struct forms_field *)user)[i];
	*out = (struct jm_field){.key = f->key,
	                         .label = f->label,
	                         .type = f->type,
	                         .options = (const char *const *)f->options,
	                         .noptions = f->noptions,
	                         .required = f->required};
}

static enum jm_rc check_common(const struct forms_form *f, struct jm_err *err)
{
	if ((unsigned)f->kind > FORMS_EVENT)
		return bad(err, "kind", "kind must be ask, job or event");
	if (!line_ok(f->title, 1, FORMS_TITLE_MAX))
		return bad(err, "title", "title is required (at most 200 bytes on one line)");
	if (!jm_slug_valid(nz(f->slug), FORMS_SLUG_MAX))
		return bad(err, "slug", "slug must be 1 to 100 bytes of letters, digits and -");
	if (!long_ok(f->description, DESC_MAX))
		return bad(err, "description", "description must be at most 20000 bytes");
	if (!long_ok(f->thanks, THANKS_MAX))
		return bad(err, "thanks", "thanks must be at most 5000 bytes");
	if (!long_ok(f->consent_text, CONSENT_MAX))
		return bad(err, "consent_text", "consent_text must be at most 5000 bytes");
	if (strcmp(nz(f->status), "open") != 0 && strcmp(nz(f->status), "closed") != 0)
		return bad(err, "status", "status must be open or closed");
	if (f->opens_at < 0 || f->closes_at < 0)
		return bad(err, f->opens_at < 0 ? "opens_at" : "closes_at",
		           "times must be positive");
	if (f->opens_at && f->closes_at && f->opens_at >= f->closes_at)
		return bad(err, "closes_at", "closes_at must be after opens_at");
	if (f->max_answers_per_person < 0)
		return bad(err, "max_answers_per_person",
		           "max_answers_per_person must be 0 (any number) or more");
	if (f->list_id < 0)
		return bad(err, "list_id", "no such list");
	return JM_OK;
}

static enum jm_rc check_form(struct db *db, const struct forms_form *f, struct jm_err *err)
{
	enum jm_rc rc = check_common(f, err);
	if (!rc)
		rc = check_event(f, err);
	if (!rc)
		rc = check_job(f, err);
	if (!rc && (f->nfields && !f->fields))
		rc = bad(err, "fields", "fields missing");
	if (!rc)
		rc = jm_field_defs_check(f->nfields, FORMS_FIELDS_MAX, JM_FIELD_ALL, field_get,
		                         f->fields, "fields", err);
	if (!rc && f->list_id) {
		int64_t found = 0;
		rc = db_query_int(db, &found, 0, "SELECT 1 FROM lists WHERE id = ?", "i",
		                  f->list_id);
		if (!rc && !found)
			rc = bad(err, "list_id", "no such list");
	}
	return rc;
}

/* ---- writes ---- */

#define FORM_SET_COLS                                                                              \
	"kind, slug, title, description, thanks, consent_text, status, opens_at, closes_at, "      \
	"max_answers_per_person, list_id, include_freeloaders, starts_at, ends_at, venue, "        \
	"online_url, capacity, waitlist, fee, reminder_hours, party_title, party_capacity, "       \
	"duties, contract_period, workplace, working_hours, holidays, wage, social_insurance, "    \
	"smoking_measures"

static void bind_time(struct db_stmt *st, int idx, int64_t t)
{
	if (t)
		db_bind_int(st, idx, t);
	else
		db_bind_null(st, idx);
}

/* Binds FORM_SET_COLS to parameters 1..30. */
static void bind_form(struct db_stmt *st, const struct forms_form *f)
{
	const struct forms_event *e = &f->event;
	const char *jv[8];
	db_bind_text(st, 1, forms_kind_name(f->kind), SIZE_MAX);
	db_bind_text(st, 2, nz(f->slug), SIZE_MAX);
	db_bind_text(st, 3, nz(f->title), SIZE_MAX);
	db_bind_text(st, 4, nz(f->description), SIZE_MAX);
	db_bind_text(st, 5, nz(f->thanks), SIZE_MAX);
	db_bind_text(st, 6, nz(f->consent_text), SIZE_MAX);
	db_bind_text(st, 7, nz(f->status), SIZE_MAX);
	bind_time(st, 8, f->opens_at);
	bind_time(st, 9, f->closes_at);
	db_bind_int(st, 10, f->max_answers_per_person);
	bind_time(st, 11, f->list_id);
	db_bind_int(st, 12, f->include_freeloaders);
	bind_time(st, 13, e->starts_at);
	bind_time(st, 14, e->ends_at);
	db_bind_text(st, 15, nz(e->venue), SIZE_MAX);
	db_bind_text(st, 16, nz(e->online_url), SIZE_MAX);
	db_bind_int(st, 17, e->capacity);
	db_bind_int(st, 18, e->waitlist);
	db_bind_text(st, 19, nz(e->fee), SIZE_MAX);
	db_bind_int(st, 20, e->reminder_hours);
	db_bind_text(st, 21, nz(e->party_title), SIZE_MAX);
	db_bind_int(st, 22, e->party_capacity);
	job_conds(&f->job, jv);
	for (int i = 0; i < 8; i++)
		db_bind_text(st, 23 + i, nz(jv[i]), SIZE_MAX);
}

static enum jm_rc insert_fields(struct db *db, int64_t form_id, const struct forms_form *f)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM form_fields WHERE form_id = ?", "i", form_id);
	for (size_t i = 0; i < f->nfields && !rc; i++) {
		const struct forms_field *x = &f->fields[i];
		struct buf opts = BUF_INIT;
		for (size_t j = 0; j < x->noptions && !rc; j++)
			rc = buf_appendf(&opts, "%s%s", j ? "\n" : "", x->options[j]);
		if (!rc)
			rc = db_execf(db,
			              "INSERT INTO form_fields(form_id, key, label, type, options, "
			              "required, position) VALUES (?, ?, ?, ?, ?, ?, ?)",
			              "ittttii", form_id, x->key, x->label, x->type,
			              buf_cstr(&opts), (int64_t)x->required, (int64_t)i);
		buf_free(&opts);
	}
	return rc;
}

static enum jm_rc save_error(enum jm_rc rc, struct jm_err *err)
{
	if (rc == JM_CONFLICT && !err->msg[0])
		jm_err_set(err, "slug", "this slug is already used");
	else if (rc && rc != JM_INVALID && rc != JM_NOT_FOUND && rc != JM_CONFLICT)
		jm_err_set(err, NULL, "could not save the form");
	return rc;
}

/* A free slug from the title (core/slug.c), "form" when it has no word
 * character, then -2, -3… while taken. */
static enum jm_rc slug_derive(struct db *db, const char *title, char out[FORMS_SLUG_MAX + 1])
{
	if (!jm_slug_make(nz(title), strlen(nz(title)), out, FORMS_SLUG_MAX - 4))
		snprintf(out, FORMS_SLUG_MAX + 1, "form");
	return db_slug_free(db, "SELECT 1 FROM forms WHERE slug = ? AND id <> ?", 0, out,
	                    FORMS_SLUG_MAX);
}

static enum jm_rc insert_form(struct db *db, const struct forms_form *f, int64_t now, int64_t *id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db,
	                           "INSERT INTO forms(" FORM_SET_COLS ", created_at, updated_at) "
	                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	                           "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	                           &st);
	if (rc)
		return rc;
	bind_form(st, f);
	db_bind_int(st, 31, now);
	db_bind_int(st, 32, now);
	rc = db_step(st);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	return rc;
}

enum jm_rc forms_create(struct db *db, const struct forms_form *in, int64_t now, int64_t *id,
                        struct jm_err *err)
{
	struct forms_form m = *in;
	char derived[FORMS_SLUG_MAX + 1];
	int64_t nid = 0;
	if (!m.status)
		m.status = "open";
	enum jm_rc rc = db_begin(db);
	if (rc)
		return save_error(rc, err);
	if (!*nz(m.slug) && line_ok(m.title, 1, FORMS_TITLE_MAX)) {
		rc = slug_derive(db, m.title, derived);
		m.slug = derived;
	}
	if (!rc)
		rc = check_form(db, &m, err);
	if (!rc)
		rc = insert_form(db, &m, now, &nid);
	if (!rc)
		rc = insert_fields(db, nid, &m);
	rc = db_end(db, rc);
	if (!rc && id)
		*id = nid;
	return site_content_written(db, save_error(rc, err));
}

static enum jm_rc update_form(struct db *db, int64_t id, const struct forms_form *f, int64_t now)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(
	        db,
	        "UPDATE forms SET kind = ?, slug = ?, title = ?, description = ?, thanks = ?, "
	        "consent_text = ?, status = ?, opens_at = ?, closes_at = ?, "
	        "max_answers_per_person = ?, list_id = ?, include_freeloaders = ?, starts_at = ?, "
	        "ends_at = ?, venue = ?, online_url = ?, capacity = ?, waitlist = ?, fee = ?, "
	        "reminder_hours = ?, party_title = ?, party_capacity = ?, duties = ?, "
	        "contract_period = ?, workplace = ?, working_hours = ?, holidays = ?, wage = ?, "
	        "social_insurance = ?, smoking_measures = ?, updated_at = ? WHERE id = ?",
	        &st);
	if (rc)
		return rc;
	bind_form(st, f);
	db_bind_int(st, 31, now);
	db_bind_int(st, 32, id);
	rc = db_step(st);
	db_finalize(st);
	if (rc == JM_DONE)
		rc = db_changes(db) ? JM_OK : JM_NOT_FOUND;
	return rc;
}

/* JM_CONFLICT when form id has answers and in changes its kind. */
static enum jm_rc kind_change(struct db *db, int64_t id, const struct forms_form *in,
                              struct jm_err *err)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT kind, (SELECT count(*) FROM answers WHERE form_id = ?) "
	                            "FROM forms WHERE id = ?",
	                            "ii", id, id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_DONE) {
		rc = JM_NOT_FOUND;
		jm_err_set(err, NULL, "no such form");
	} else if (rc == JM_OK && db_col_int(st, 1) > 0 &&
	           strcmp(db_col_text(st, 0, NULL), forms_kind_name(in->kind)) != 0) {
		rc = JM_CONFLICT;
		jm_err_set(err, "kind", "the kind of a form with answers cannot change");
	}
	db_finalize(st);
	return rc;
}

enum jm_rc forms_update(struct db *db, int64_t id, const struct forms_form *in, int64_t now,
                        struct jm_err *err)
{
	struct forms_form m = *in;
	if (!m.status)
		m.status = "open";
	enum jm_rc rc = db_begin(db);
	if (rc)
		return save_error(rc, err);
	rc = kind_change(db, id, &m, err);
	if (!rc)
		rc = check_form(db, &m, err);
	if (!rc)
		rc = update_form(db, id, &m, now);
	if (!rc)
		rc = insert_fields(db, id, &m);
	rc = db_end(db, rc);
	if (rc == JM_NOT_FOUND && !err->msg[0])
		jm_err_set(err, NULL, "no such form");
	return site_content_written(db, save_error(rc, err));
}

enum jm_rc forms_delete(struct db *db, int64_t id)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM forms WHERE id = ?", "i", id);
	if (!rc && !db_changes(db))
		rc = JM_NOT_FOUND;
	return site_content_written(db, rc);
}

/* ---- reads ---- */

#define FORM_COLS                                                                                  \
	"f.id, " FORM_SET_COLS ", f.created_at, f.updated_at, "                                    \
	"(SELECT count(*) FROM answers a WHERE a.form_id = f.id AND a.verified = 1)"

static char *col(struct db_stmt *st, int c, struct arena *a)
{
	char *s = db_col_dup(st, c, a);
	return s ? s : arena_strdup(a, "");
}

static void read_job(struct db_stmt *st, struct arena *a, struct forms_job *j)
{
	const char **v[8] = {&j->duties,           &j->contract_period, &j->workplace,
	                     &j->working_hours,    &j->holidays,        &j->wage,
	                     &j->social_insurance, &j->smoking_measures};
	for (int i = 0; i < 8; i++)
		*v[i] = col(st, 23 + i, a);
}

/* One row of FORM_COLS: column 0 the id, 1..30 FORM_SET_COLS. */
static void read_form(struct db_stmt *st, struct arena *a, struct forms_form *f)
{
	struct forms_event *e = &f->event;
	f->id = db_col_int(st, 0);
	if (!forms_kind_parse(db_col_text(st, 1, NULL), &f->kind))
		f->kind = FORMS_ASK;
	f->slug = col(st, 2, a), f->title = col(st, 3, a), f->description = col(st, 4, a);
	f->thanks = col(st, 5, a), f->consent_text = col(st, 6, a), f->status = col(st, 7, a);
	f->opens_at = db_col_int(st, 8), f->closes_at = db_col_int(st, 9);
	f->max_answers_per_person = db_col_int(st, 10);
	f->list_id = db_col_int(st, 11);
	f->include_freeloaders = db_col_int(st, 12) != 0;
	e->starts_at = db_col_int(st, 13), e->ends_at = db_col_int(st, 14);
	e->venue = col(st, 15, a), e->online_url = col(st, 16, a);
	e->capacity = db_col_int(st, 17), e->waitlist = db_col_int(st, 18) != 0;
	e->fee = col(st, 19, a), e->reminder_hours = db_col_int(st, 20);
	e->party_title = col(st, 21, a), e->party_capacity = db_col_int(st, 22);
	read_job(st, a, &f->job);
	f->created_at = db_col_int(st, 31), f->updated_at = db_col_int(st, 32);
	f->answers = db_col_int(st, 33);
}

static enum jm_rc load_fields(struct db *db, struct arena *a, struct forms_form *f)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT key, label, type, options, required FROM form_fields "
	                            "WHERE form_id = ? ORDER BY position, id",
	                            "i", f->id);
	if (rc)
		return rc;
	f->fields = NULL;
	f->nfields = 0;
	while ((rc = db_step(st)) == JM_OK) {
		f->fields = arena_grow(a, f->fields, f->nfields, &cap, sizeof(*f->fields));
		struct forms_field *x = &f->fields[f->nfields++];
		x->key = col(st, 0, a), x->label = col(st, 1, a), x->type = col(st, 2, a);
		x->noptions = jm_field_options_split(a, col(st, 3, a), &x->options);
		x->required = db_col_int(st, 4) != 0;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc get_where(struct db *db, struct arena *a, const char *sql, const char *types,
                            int64_t id, const char *slug, struct forms_form **out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = slug ? db_preparef(db, &st, sql, types, slug)
	                     : db_preparef(db, &st, sql, types, id);
	if (rc)
		return rc;
	rc = db_step(st);
	struct forms_form *f = NULL;
	if (rc == JM_OK) {
		f = arena_calloc(a, sizeof(*f));
		read_form(st, a, f);
	}
	db_finalize(st);
	if (rc == JM_DONE)
		return JM_NOT_FOUND;
	if (!rc)
		rc = load_fields(db, a, f);
	if (!rc)
		*out = f;
	return rc;
}

enum jm_rc forms_get(struct db *db, struct arena *a, int64_t id, struct forms_form **out)
{
	return get_where(db, a, "SELECT " FORM_COLS " FROM forms f WHERE f.id = ?", "i", id, NULL,
	                 out);
}

enum jm_rc forms_get_slug(struct db *db, struct arena *a, const char *slug, struct forms_form **out)
{
	if (!slug || !*slug)
		return JM_NOT_FOUND;
	return get_where(db, a, "SELECT " FORM_COLS " FROM forms f WHERE f.slug = ?", "t", 0, slug,
	                 out);
}

enum jm_rc forms_list(struct db *db, struct arena *a, const struct forms_list_q *q,
                      struct forms_form **items, size_t *n, int64_t *total)
{
	const char *kind = q->kind && *q->kind ? q->kind : NULL;
	const char *status = q->status && *q->status ? q->status : NULL;
	int per = q->per_page > 0 ? q->per_page : 20, page = q->page > 0 ? q->page : 1;
	struct db_stmt *st = NULL;
	size_t cap = 0;
	enum jm_rc rc = db_query_int(db, total, 0,
	                             "SELECT count(*) FROM forms WHERE kind = coalesce(?, kind) "
	                             "AND status = coalesce(?, status)",
	                             "tt", kind, status);
	if (!rc)
		rc = db_preparef(db, &st,
		                 "SELECT " FORM_COLS
		                 " FROM forms f WHERE f.kind = coalesce(?, f.kind) "
		                 "AND f.status = coalesce(?, f.status) "
		                 "ORDER BY f.created_at DESC, f.id DESC LIMIT ? OFFSET ?",
		                 "ttii", kind, status, (int64_t)per, (int64_t)(page - 1) * per);
	if (rc)
		return rc;
	*items = NULL;
	*n = 0;
	while ((rc = db_step(st)) == JM_OK) {
		*items = arena_grow(a, *items, *n, &cap, sizeof(**items));
		memset(&(*items)[*n], 0, sizeof(**items));
		read_form(st, a, &(*items)[(*n)++]);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

struct jm_field *forms_fields_engine(struct arena *a, const struct forms_form *f)
{
	struct jm_field *v = arena_calloc(a, (f->nfields + 1) * sizeof(*v));
	for (size_t i = 0; i < f->nfields; i++)
		field_get(i, f->fields, &v[i]);
	return v;
}

enum forms_open forms_open_at(const struct forms_form *f, int64_t now)
{
	if (!f->status || strcmp(f->status, "open") != 0)
		return FORMS_CLOSED;
	if (f->opens_at && now < f->opens_at)
		return FORMS_NOT_YET;
	if (f->closes_at && now >= f->closes_at)
		return FORMS_ENDED;
	return FORMS_OPEN;
}
