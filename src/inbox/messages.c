/*
 * messages.c — the owner's inbox: listing with filters (status, category,
 * person, text), counts per status for the tabs, one message with its
 * replies and their delivery states, status changes and deletion.
 *
 * The filters walk the indexes of migration 0005: messages_status
 * (status, created_at), messages_category (category, status, created_at)
 * and messages_person (person_id, created_at). The text filter is a LIKE
 * over the rows the other filters leave (one status of one inbox), with
 * the pattern's wildcards escaped; it is bounded by INBOX_Q_MAX bytes.
 * The SQL text is assembled from fixed fragments only; every value is a
 * bound parameter. SQLite's LIKE ignores case for ASCII letters and
 * PostgreSQL's does not: there both sides go through lower(), which under
 * the C ctype the database runs with folds ASCII only, so both engines
 * find the same messages.
 */
#include "inbox/inbox.h"

#include "db/db.h"

#define INBOX_Q_MAX  200
#define PER_PAGE_MAX 200
#define PER_PAGE_DEF 50
#define MSG_COLS                                                                                   \
	"id, person_id, form, category, subject, body, name, email, status, ip, page, msgid, "     \
	"created_at, updated_at"

static const char *const statuses[4] = {"new", "replied", "archived", "spam"};

static bool status_valid(const char *s)
{
	for (size_t i = 0; s && i < 4; i++)
		if (!strcmp(s, statuses[i]))
			return true;
	return false;
}

static void read_message(struct db_stmt *st, struct arena *a, struct inbox_message *m)
{
	memset(m, 0, sizeof(*m));
	m->id = db_col_int(st, 0);
	m->person_id = db_col_int(st, 1);
	m->form = db_col_dup(st, 2, a);
	m->category = db_col_dup(st, 3, a);
	m->subject = db_col_dup(st, 4, a);
	m->body = db_col_dup(st, 5, a);
	m->name = db_col_dup(st, 6, a);
	m->email = db_col_dup(st, 7, a);
	m->status = db_col_dup(st, 8, a);
	m->ip = db_col_dup(st, 9, a);
	m->page = db_col_dup(st, 10, a);
	m->msgid = db_col_dup(st, 11, a);
	m->created_at = db_col_int(st, 12);
	m->updated_at = db_col_int(st, 13);
}

/* ---- the list ---- */

/* A WHERE clause of fixed fragments and its parameters, in order. */
struct where {
	struct buf sql;
	const char *text[4];
	int ntext;
	const char *like;
	int64_t person_id;
	bool by_person;
};

/* "%q%" with \ % _ escaped (ESCAPE '\'). */
static const char *like_pattern(struct arena *a, const char *q)
{
	char *out = arena_alloc(a, strlen(q) * 2 + 3), *o = out;
	*o++ = '%';
	for (; *q; q++) {
		if (*q == '\\' || *q == '%' || *q == '_')
			*o++ = '\\';
		*o++ = *q;
	}
	*o++ = '%';
	*o = '\0';
	return out;
}

static enum jm_rc build_where(struct db *db, struct arena *a, const struct inbox_query *q,
                              struct where *w)
{
	enum jm_rc rc = buf_appends(&w->sql, " WHERE 1 = 1");
	if (!q->status)
		rc = rc ? rc : buf_appends(&w->sql, " AND status IN ('new', 'replied')");
	else if (strcmp(q->status, "all") != 0) {
		rc = rc ? rc : buf_appends(&w->sql, " AND status = ?");
		w->text[w->ntext++] = q->status;
	}
	if (q->category) {
		rc = rc ? rc : buf_appends(&w->sql, " AND category = ?");
		w->text[w->ntext++] = q->category;
	}
	if (q->person_id > 0) {
		rc = rc ? rc : buf_appends(&w->sql, " AND person_id = ?");
		w->by_person = true;
		w->person_id = q->person_id;
	}
	if (q->q && *q->q) {
		/* ASCII case ignored on both engines (see the opening comment). */
		const char *like = DB_SQL(
		        db,
		        " AND (subject LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\'"
		        " OR name LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')",
		        " AND (lower(subject) LIKE lower(?) ESCAPE '\\' OR lower(body) LIKE "
		        "lower(?) "
		        "ESCAPE '\\' OR lower(name) LIKE lower(?) ESCAPE '\\' OR lower(email) LIKE "
		        "lower(?) ESCAPE '\\')");
		rc = rc ? rc : buf_appends(&w->sql, like);
		w->like = like_pattern(a, q->q);
	}
	return rc;
}

/* Binds w's parameters from index 1 (the LIKE pattern once per column). */
static int bind_where(struct db_stmt *st, const struct where *w)
{
	int i = 1;
	for (int k = 0; k < w->ntext; k++)
		db_bind_text(st, i++, w->text[k], SIZE_MAX);
	if (w->by_person)
		db_bind_int(st, i++, w->person_id);
	for (int k = 0; w->like && k < 4; k++)
		db_bind_text(st, i++, w->like, SIZE_MAX);
	return i;
}

static enum jm_rc count_rows(struct db *db, struct arena *a, struct where *w, int64_t *total)
{
	const char *sql = arena_sprintf(a, "SELECT count(*) FROM messages%s", buf_cstr(&w->sql));
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, sql, &st);
	if (rc)
		return rc;
	bind_where(st, w);
	rc = db_step(st);
	*total = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	return rc == JM_OK ? JM_OK : JM_DB;
}

static enum jm_rc page_rows(struct db *db, struct arena *a, struct where *w,
                            const struct inbox_query *q, struct inbox_message **out, size_t *n)
{
	int per = q->per_page > 0 && q->per_page <= PER_PAGE_MAX ? q->per_page : PER_PAGE_DEF;
	int64_t page = q->page > 0 ? q->page : 1;
	const char *sql = arena_sprintf(a,
	                                "SELECT " MSG_COLS " FROM messages%s "
	                                "ORDER BY created_at DESC, id DESC LIMIT %d OFFSET %lld",
	                                buf_cstr(&w->sql), per, (long long)((page - 1) * per));
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, sql, &st);
	if (rc)
		return rc;
	bind_where(st, w);
	struct inbox_message *v = arena_calloc(a, (size_t)per * sizeof(*v));
	*n = 0;
	while ((rc = db_step(st)) == JM_OK)
		read_message(st, a, &v[(*n)++]);
	db_finalize(st);
	*out = v;
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc inbox_list(struct db *db, struct arena *a, const struct inbox_query *q,
                      struct inbox_message **out, size_t *n, int64_t *total)
{
	*out = NULL;
	*n = 0;
	*total = 0;
	if (q->status && strcmp(q->status, "all") != 0 && !status_valid(q->status))
		return JM_INVALID;
	if (q->q && (strlen(q->q) > INBOX_Q_MAX || !utf8_valid(q->q, strlen(q->q))))
		return JM_INVALID;
	struct where w = {0};
	buf_init(&w.sql, 4096);
	enum jm_rc rc = build_where(db, a, q, &w);
	if (!rc)
		rc = count_rows(db, a, &w, total);
	if (!rc)
		rc = page_rows(db, a, &w, q, out, n);
	buf_free(&w.sql);
	return rc;
}

enum jm_rc inbox_counts(struct db *db, int64_t counts[4])
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < 4 && !rc; i++) {
		struct db_stmt *st = NULL;
		rc = db_preparef(db, &st, "SELECT n FROM message_counts WHERE status = ?", "t",
		                 statuses[i]);
		if (rc)
			break;
		rc = db_step(st);
		counts[i] = rc == JM_OK ? db_col_int(st, 0) : 0;
		db_finalize(st);
		rc = rc == JM_OK ? JM_OK : JM_DB;
	}
	return rc;
}

/* ---- one message ---- */

static enum jm_rc load_replies(struct db *db, struct arena *a, struct inbox_message *m)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT r.id, r.message_id, COALESCE(r.user_id, 0), r.subject, r.body, r.msgid, "
	        "COALESCE(d.state, ''), r.created_at FROM message_replies r "
	        "LEFT JOIN deliveries d ON d.id = r.delivery_id "
	        "WHERE r.message_id = ? ORDER BY r.created_at, r.id",
	        "i", m->id);
	if (rc)
		return rc;
	size_t cap = 0;
	m->replies = NULL;
	while ((rc = db_step(st)) == JM_OK) {
		m->replies = arena_grow(a, m->replies, m->nreplies, &cap, sizeof(*m->replies));
		struct inbox_reply *r = &m->replies[m->nreplies++];
		memset(r, 0, sizeof(*r));
		r->id = db_col_int(st, 0);
		r->message_id = db_col_int(st, 1);
		r->user_id = db_col_int(st, 2);
		r->subject = db_col_dup(st, 3, a);
		r->body = db_col_dup(st, 4, a);
		r->msgid = db_col_dup(st, 5, a);
		r->state = db_col_dup(st, 6, a);
		r->created_at = db_col_int(st, 7);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc inbox_message_get(struct db *db, struct arena *a, int64_t id, struct inbox_message *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT " MSG_COLS " FROM messages WHERE id = ?", "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		read_message(st, a, out);
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	return load_replies(db, a, out);
}

enum jm_rc inbox_message_set_status(struct db *db, int64_t id, const char *status, int64_t now,
                                    struct jm_err *err)
{
	if (!status_valid(status)) {
		jm_err_set(err, "status", "status must be new, replied, archived or spam");
		return JM_INVALID;
	}
	enum jm_rc rc = db_execf(db, "UPDATE messages SET status = ?, updated_at = ? WHERE id = ?",
	                         "tii", status, now, id);
	if (!rc && db_changes(db) == 0)
		rc = JM_NOT_FOUND;
	return rc;
}

enum jm_rc inbox_message_delete(struct db *db, int64_t id)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM messages WHERE id = ?", "i", id);
	if (!rc && db_changes(db) == 0)
		rc = JM_NOT_FOUND;
	return rc;
}
