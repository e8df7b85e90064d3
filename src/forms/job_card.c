/*
 * job_card.c — what the admin's pipeline board and applicant card read
 * (forms.h, "job posts"): the applications of a job post with their values,
 * one application with its files and notes, the applicant's history as a
 * reader, and mail to the applicant.
 *
 * The history reads other modules' tables and writes none of them: every
 * branch is a range of a per-person index (subscriptions' UNIQUE
 * (person_id, list_id), messages_person, answers_person) or, for the
 * broadcasts received, a probe of deliveries' UNIQUE (broadcast_id,
 * person_id) per broadcast (SQLite's CROSS JOIN keeps broadcasts the outer
 * loop; deliveries has no per-person index), so its cost follows the
 * person's own history and the number of broadcasts, not the deliveries.
 *
 * Mail to an applicant is threaded by the inbox: the application becomes a
 * thread there once (answers.message_id, migration 0028) and every mail is
 * an inbox reply on it, so In-Reply-To/References, the queue, the timeline
 * and the last-contact date are the inbox's and nothing is rebuilt here.
 */
#include "forms/forms.h"

#include "db/db.h"
#include "inbox/inbox.h"

#define GROW 16

/* ---- applications ---- */

static const char APPLICANT_COLS[] =
        "SELECT a.id, a.form_id, a.person_id, COALESCE(a.message_id, 0), p.name, "
        "COALESCE(p.email, ''), a.status, a.verified, a.created_at, a.status_at "
        "FROM answers a JOIN people p ON p.id = a.person_id ";

static void read_applicant(struct db_stmt *st, struct arena *a, struct forms_applicant *o)
{
	memset(o, 0, sizeof(*o));
	o->id = db_col_int(st, 0);
	o->form_id = db_col_int(st, 1);
	o->person_id = db_col_int(st, 2);
	o->message_id = db_col_int(st, 3);
	o->name = db_col_dup(st, 4, a);
	o->email = db_col_dup(st, 5, a);
	o->status = db_col_dup(st, 6, a);
	o->verified = db_col_int(st, 7) != 0;
	o->created_at = db_col_int(st, 8);
	o->status_at = db_col_int(st, 9);
}

/* Grows an arena array of n elements of size sz to hold one more. */
static void *grow(struct arena *a, void *p, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return p;
	size_t nc = *cap ? *cap * 2 : GROW;
	void *q = arena_alloc(a, nc * sz);
	if (n)
		memcpy(q, p, n * sz);
	*cap = nc;
	return q;
}

/* The values of the answers in apps (sorted by id descending), attached
 * to each: one range of answer_values' primary key (answer ids from the
 * oldest in apps to the newest), in field order. */
static enum jm_rc load_values(struct db *db, struct arena *a, int64_t form_id,
                              struct forms_applicant *apps, size_t n)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT v.answer_id, v.key, v.value FROM answer_values v "
	                    "LEFT JOIN form_fields f ON f.form_id = v.form_id AND f.key = v.key "
	                    "WHERE v.answer_id BETWEEN ? AND ? AND v.form_id = ? "
	                    "ORDER BY v.answer_id DESC, COALESCE(f.position, 0), v.key, v.value",
	                    "iii", apps[n - 1].id, apps[0].id, form_id);
	if (rc)
		return rc;
	size_t i = 0, cap = 0;
	while ((rc = db_step(st)) == JM_OK) {
		int64_t aid = db_col_int(st, 0);
		while (i < n && apps[i].id > aid)
			i++, cap = 0;
		if (i == n)
			break;
		struct forms_applicant *o = &apps[i];
		if (o->id != aid)
			continue;
		o->values = grow(a, o->values, o->nvalues, &cap, sizeof(*o->values));
		o->values[o->nvalues].key = db_col_dup(st, 1, a);
		o->values[o->nvalues++].value = db_col_dup(st, 2, a);
	}
	db_finalize(st);
	return rc == JM_DONE || rc == JM_OK ? JM_OK : rc;
}

enum jm_rc forms_job_board(struct db *db, struct arena *a, int64_t form_id,
                           struct forms_applicant **out, size_t *n)
{
	static const char sql[] = "WHERE a.form_id = ? ORDER BY a.id DESC LIMIT ?";
	struct db_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	const char *q = arena_sprintf(a, "%s%s", APPLICANT_COLS, sql);
	enum jm_rc rc = db_preparef(db, &st, q, "ii", form_id, (int64_t)FORMS_BOARD_MAX);
	if (rc)
		return rc;
	size_t cap = 0;
	while ((rc = db_step(st)) == JM_OK) {
		*out = grow(a, *out, *n, &cap, sizeof(**out));
		read_applicant(st, a, &(*out)[(*n)++]);
	}
	db_finalize(st);
	if (rc != JM_DONE)
		return rc;
	return *n ? load_values(db, a, form_id, *out, *n) : JM_OK;
}

static enum jm_rc load_files(struct db *db, struct arena *a, struct forms_applicant *o)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id, name, ctype, bytes FROM answer_files "
	                            "WHERE answer_id = ? ORDER BY id",
	                            "i", o->id);
	if (rc)
		return rc;
	size_t cap = 0;
	while ((rc = db_step(st)) == JM_OK) {
		o->files = grow(a, o->files, o->nfiles, &cap, sizeof(*o->files));
		struct forms_job_file *f = &o->files[o->nfiles++];
		f->id = db_col_int(st, 0);
		f->name = db_col_dup(st, 1, a);
		f->ctype = db_col_dup(st, 2, a);
		f->bytes = db_col_int(st, 3);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc load_notes(struct db *db, struct arena *a, struct forms_applicant *o)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT n.id, COALESCE(n.user_id, 0), COALESCE(u.name, ''), "
	                            "n.status, n.body, COALESCE(n.at, 0), n.created_at "
	                            "FROM answer_notes n LEFT JOIN users u ON u.id = n.user_id "
	                            "WHERE n.answer_id = ? ORDER BY n.id",
	                            "i", o->id);
	if (rc)
		return rc;
	size_t cap = 0;
	while ((rc = db_step(st)) == JM_OK) {
		o->notes = grow(a, o->notes, o->nnotes, &cap, sizeof(*o->notes));
		struct forms_job_note *x = &o->notes[o->nnotes++];
		x->id = db_col_int(st, 0);
		x->user_id = db_col_int(st, 1);
		x->user_name = db_col_dup(st, 2, a);
		x->status = db_col_dup(st, 3, a);
		x->body = db_col_dup(st, 4, a);
		x->at = db_col_int(st, 5);
		x->created_at = db_col_int(st, 6);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc forms_job_applicant(struct db *db, struct arena *a, int64_t form_id, int64_t answer_id,
                               struct forms_applicant *out)
{
	struct db_stmt *st = NULL;
	const char *q = arena_sprintf(a, "%sWHERE a.id = ? AND a.form_id = ?", APPLICANT_COLS);
	enum jm_rc rc = db_preparef(db, &st, q, "ii", answer_id, form_id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		read_applicant(st, a, out);
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	rc = load_values(db, a, form_id, out, 1);
	if (!rc)
		rc = load_files(db, a, out);
	return rc ? rc : load_notes(db, a, out);
}

/* ---- the reader history ---- */

/* Runs sql (one parameter: the person; columns id, title, at; newest
 * first, LIMIT FORMS_HISTORY_MAX) into an arena array. */
static enum jm_rc history_items(struct db *db, struct arena *a, const char *sql, int64_t person_id,
                                struct forms_history_item **out, size_t *n)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, sql, "ii", person_id, (int64_t)FORMS_HISTORY_MAX);
	if (rc)
		return rc;
	*out = arena_alloc(a, FORMS_HISTORY_MAX * sizeof(**out));
	*n = 0;
	while (*n < FORMS_HISTORY_MAX && (rc = db_step(st)) == JM_OK) {
		struct forms_history_item *it = &(*out)[(*n)++];
		it->id = db_col_int(st, 0);
		it->title = db_col_dup(st, 1, a);
		it->at = db_col_int(st, 2);
	}
	db_finalize(st);
	return rc == JM_DONE || rc == JM_OK ? JM_OK : rc;
}

static const char SUBSCRIBED_SQL[] =
        "SELECT COALESCE(min(COALESCE(confirmed_at, created_at)), 0) FROM subscriptions "
        "WHERE person_id = ? AND status = 'active'";
/* CROSS JOIN: SQLite keeps broadcasts outside (see the file comment);
 * PostgreSQL plans it as the inner join it is. */
static const char BROADCASTS_SQL[] =
        "SELECT b.id, b.subject, d.sent_at FROM broadcasts b CROSS JOIN deliveries d "
        "WHERE d.broadcast_id = b.id AND d.person_id = ? AND d.state = 'sent' "
        "ORDER BY d.sent_at DESC, b.id DESC LIMIT ?";
static const char BROADCASTS_N[] =
        "SELECT count(*) FROM broadcasts b CROSS JOIN deliveries d "
        "WHERE d.broadcast_id = b.id AND d.person_id = ? AND d.state = 'sent'";
static const char MESSAGES_SQL[] =
        "SELECT id, CASE WHEN subject <> '' THEN subject ELSE category END, created_at "
        "FROM messages WHERE person_id = ? AND status <> 'spam' AND form <> 'job' "
        "ORDER BY created_at DESC, id DESC LIMIT ?";
static const char MESSAGES_N[] = "SELECT count(*) FROM messages WHERE person_id = ? "
                                 "AND status <> 'spam' AND form <> 'job'";
static const char REPLIES_SQL[] =
        "SELECT r.id, r.subject, r.created_at FROM messages m "
        "JOIN message_replies r ON r.message_id = m.id WHERE m.person_id = ? "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT ?";
static const char REPLIES_N[] = "SELECT count(*) FROM messages m JOIN message_replies r "
                                "ON r.message_id = m.id WHERE m.person_id = ?";
static const char ASKS_SQL[] =
        "SELECT a.id, f.title, a.created_at FROM answers a JOIN forms f ON f.id = a.form_id "
        "WHERE a.person_id = ? AND f.kind = 'ask' AND a.verified = 1 "
        "ORDER BY a.created_at DESC, a.id DESC LIMIT ?";
static const char ASKS_N[] = "SELECT count(*) FROM answers a JOIN forms f ON f.id = a.form_id "
                             "WHERE a.person_id = ? AND f.kind = 'ask' AND a.verified = 1";
static const char EVENTS_SQL[] =
        "SELECT a.id, f.title, a.attended_at FROM answers a JOIN forms f ON f.id = a.form_id "
        "WHERE a.person_id = ? AND f.kind = 'event' AND a.attended_at IS NOT NULL "
        "ORDER BY a.attended_at DESC, a.id DESC LIMIT ?";
static const char EVENTS_N[] =
        "SELECT count(*) FROM answers a JOIN forms f ON f.id = a.form_id "
        "WHERE a.person_id = ? AND f.kind = 'event' AND a.attended_at IS NOT NULL";

struct history_part {
	const char *list_sql, *count_sql;
	struct forms_history_item **items;
	size_t *n;
	int64_t *total;
};

enum jm_rc forms_job_history(struct db *db, struct arena *a, int64_t person_id,
                             struct forms_history *out)
{
	memset(out, 0, sizeof(*out));
	const struct history_part parts[] = {
	        {BROADCASTS_SQL, BROADCASTS_N, &out->broadcasts, &out->nbroadcasts,
	         &out->broadcasts_total},
	        {MESSAGES_SQL, MESSAGES_N, &out->messages, &out->nmessages, &out->messages_total},
	        {REPLIES_SQL, REPLIES_N, &out->replies, &out->nreplies, &out->replies_total},
	        {ASKS_SQL, ASKS_N, &out->asks, &out->nasks, &out->asks_total},
	        {EVENTS_SQL, EVENTS_N, &out->events, &out->nevents, &out->events_total},
	};
	enum jm_rc rc = db_query_int(db, &out->subscribed_since, 0, SUBSCRIBED_SQL, "i", person_id);
	for (size_t i = 0; !rc && i < sizeof(parts) / sizeof(parts[0]); i++) {
		rc = history_items(db, a, parts[i].list_sql, person_id, parts[i].items, parts[i].n);
		if (!rc)
			rc = db_query_int(db, parts[i].total, 0, parts[i].count_sql, "i",
			                  person_id);
	}
	return rc;
}

/* ---- mail to the applicant ---- */

/* The thread's opening text: the application's values, one per line. */
static const char *thread_body(struct arena *a, const struct forms_applicant *ap)
{
	struct buf b;
	buf_init(&b, 64u << 10);
	for (size_t i = 0; i < ap->nvalues; i++)
		if (buf_appendf(&b, "%s: %s\n", ap->values[i].key, ap->values[i].value))
			break;
	const char *s = arena_strdup(a, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* The application's thread: the one it has, else a new one (in a
 * transaction of its own, so two mails at once make one thread). */
static enum jm_rc thread_of(struct db *db, struct arena *a, const struct forms_applicant *ap,
                            const char *base_url, int64_t now, int64_t *mid)
{
	int64_t title_form = ap->form_id;
	const char *title = "";
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_query_int(db, mid, 0, "SELECT COALESCE(message_id, 0) FROM answers WHERE id = ?",
	                  "i", ap->id);
	if (!rc && !*mid &&
	    !(rc = db_preparef(db, &st, "SELECT title FROM forms WHERE id = ?", "i", title_form))) {
		if ((rc = db_step(st)) == JM_OK)
			title = db_col_dup(st, 0, a);
		db_finalize(st);
		rc = rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
		if (!rc)
			rc = inbox_thread_start(db, ap->person_id, "job", title, thread_body(a, ap),
			                        base_url, now, mid);
		if (!rc)
			rc = db_execf(db, "UPDATE answers SET message_id = ? WHERE id = ?", "ii",
			              *mid, ap->id);
	}
	return db_end(db, rc);
}

enum jm_rc forms_job_mail(struct db *db, int64_t form_id, int64_t answer_id, int64_t user_id,
                          const char *subject, const char *body, const char *base_url, int64_t now,
                          int64_t *reply_id, struct jm_err *err)
{
	struct arena *a = arena_new(8192);
	struct forms_applicant ap;
	int64_t mid = 0;
	now = now ? now : jm_now();
	enum jm_rc rc = forms_job_applicant(db, a, form_id, answer_id, &ap);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "answer", "no such application");
	/* An empty body is refused before a thread is made for nothing. */
	if (!rc && (!body || !body[strspn(body, " \t\r\n")])) {
		jm_err_set(err, "body", "required, at most 20000 bytes");
		rc = JM_INVALID;
	}
	if (!rc && !*ap.email) {
		jm_err_set(err, "email", "the applicant has no address");
		rc = JM_INVALID;
	}
	if (!rc)
		rc = thread_of(db, a, &ap, base_url, now, &mid);
	if (!rc)
		rc = inbox_reply_send(db, mid, user_id, subject ? subject : "", body, now, reply_id,
		                      err);
	arena_free(a);
	return rc;
}
