/*
 * job.c — job posts (採用): the pipeline of an application (applied →
 * screening → interview → offer → hired | declined) with its notes and
 * dates, the public page's table of the working conditions a Japanese job
 * ad must show (職業安定法 第5条の3: 業務内容, 契約期間, 就業場所, 就業時間,
 * 休日, 賃金, 社会保険, 受動喫煙対策), the announcement to a list as a draft
 * broadcast. The pipeline's rules and the conditions' order are
 * job_rules.c's; the board and card's reads and mail to the applicant
 * are job_card.c's.
 *
 * Invariants: answers.status of a job application only changes here, and
 * every change writes an answer_notes row in the same transaction (the
 * card's log is complete). Reads of other modules' tables (subscriptions,
 * deliveries, messages) are reads only; writes go through their owners
 * (nl_broadcast_create, inbox_thread_start, inbox_reply_send).
 */
#include "forms/forms.h"

#include "db/db.h"
#include "inbox/inbox.h"
#include "newsletter/newsletter.h"

/* ---- status and notes ---- */

struct target {
	int64_t person_id;
	char kind[8], status[16];
};

static enum jm_rc load_target(struct db *db, int64_t answer_id, struct target *t)
{
	struct db_stmt *st = NULL;
	/* PostgreSQL (READ COMMITTED) locks the row so two moves at once are
	 * checked one after the other; SQLite's BEGIN IMMEDIATE already holds
	 * the writer lock. */
	enum jm_rc rc = db_preparef(db, &st,
	                            DB_SQL(db,
	                                   "SELECT f.kind, a.status, a.person_id FROM answers a "
	                                   "JOIN forms f ON f.id = a.form_id WHERE a.id = ?",
	                                   "SELECT f.kind, a.status, a.person_id FROM answers a "
	                                   "JOIN forms f ON f.id = a.form_id WHERE a.id = ? "
	                                   "FOR UPDATE OF a"),
	                            "i", answer_id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		snprintf(t->kind, sizeof(t->kind), "%s", db_col_text(st, 0, NULL));
		snprintf(t->status, sizeof(t->status), "%s", db_col_text(st, 1, NULL));
		t->person_id = db_col_int(st, 2);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

static enum jm_rc check_note(const char *note, int64_t at, struct jm_err *err)
{
	size_t len = note ? strlen(note) : 0;
	if (len > FORMS_NOTE_MAX ||
	    (len && (!utf8_valid(note, len) || utf8_has_controls(note, len)))) {
		jm_err_set(err, "note", "at most %d bytes of text", FORMS_NOTE_MAX);
		return JM_INVALID;
	}
	if (at < 0 || at > 253402300799) { /* up to 9999-12-31 */
		jm_err_set(err, "at", "a time as Unix seconds");
		return JM_INVALID;
	}
	return JM_OK;
}

/* Which status this call sets ("" = none) after checking the move. */
static enum jm_rc check_move(const struct target *t, const char *status, const char **set,
                             struct jm_err *err)
{
	*set = "";
	if (!status || !*status || strcmp(status, t->status) == 0)
		return JM_OK;
	if (strcmp(t->kind, "job") != 0) {
		jm_err_set(err, "status",
		           "only a job post's applications move through the pipeline");
		return JM_INVALID;
	}
	if (!forms_job_status_ok(status)) {
		jm_err_set(err, "status",
		           "one of applied, screening, interview, offer, hired, declined");
		return JM_INVALID;
	}
	if (!forms_job_move_ok(t->status, status)) {
		jm_err_set(err, "status", "an application cannot move from %s to %s", t->status,
		           status);
		return JM_CONFLICT;
	}
	*set = status;
	return JM_OK;
}

static enum jm_rc set_status_tx(struct db *db, int64_t answer_id, const char *status,
                                const char *note, int64_t at, int64_t user_id, int64_t now,
                                struct jm_err *err)
{
	struct target t = {0};
	const char *set = "";
	enum jm_rc rc = load_target(db, answer_id, &t);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "answer", "no such answer");
	if (!rc)
		rc = check_move(&t, status, &set, err);
	if (!rc && !*set && (!note || !*note) && !at && !(status && *status)) {
		jm_err_set(err, "status", "nothing to do: give a status, a note or a date");
		rc = JM_INVALID;
	}
	if (!rc && *set)
		rc = db_execf(db,
		              "UPDATE answers SET status = ?, status_at = ?, updated_at = ? "
		              "WHERE id = ?",
		              "tiii", set, now, now, answer_id);
	if (!rc && (*set || (note && *note) || at))
		rc = db_execf(db,
		              "INSERT INTO answer_notes(answer_id, user_id, status, body, at, "
		              "created_at) VALUES (?, NULLIF(?, 0), ?, ?, NULLIF(?, 0), ?)",
		              "iittii", answer_id, user_id > 0 ? user_id : 0, set, note ? note : "",
		              at, now);
	return rc;
}

enum jm_rc forms_answer_set_status(struct db *db, int64_t answer_id, const char *status,
                                   const char *note, int64_t at, int64_t user_id, int64_t now,
                                   struct jm_err *err)
{
	now = now ? now : jm_now();
	enum jm_rc rc = check_note(note, at, err);
	if (rc)
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	rc = db_end(db, set_status_tx(db, answer_id, status, note, at, user_id, now, err));
	if (!rc)
		log_at(LOG_INFO, "forms", "answer=%lld status=%s note=%d", (long long)answer_id,
		       status && *status ? status : "-", note && *note);
	return rc;
}

/* ---- the announcement ---- */

/* The broadcast's Markdown: description, the conditions, the link. */
static enum jm_rc announce_body(const struct forms_form *f, forms_label_fn label, void *user,
                                struct buf *b)
{
	struct forms_job_row rows[FORMS_JOB_CONDITIONS];
	forms_job_rows(f, rows);
	enum jm_rc rc = JM_OK;
	if (f->description && *f->description)
		rc = buf_appendf(b, "%s\n\n", f->description);
	for (size_t i = 0; !rc && i < FORMS_JOB_CONDITIONS; i++)
		rc = buf_appendf(b, "**%s**: %s\n\n", label(rows[i].key, user),
		                 *rows[i].value ? rows[i].value : "—");
	if (!rc)
		rc = buf_appendf(b, "%s\n\n{{form:%s}}\n", label("apply", user), f->slug);
	return rc;
}

enum jm_rc forms_job_announce(struct db *db, const struct forms_form *f, int64_t list_id,
                              forms_label_fn label, void *user, int64_t *broadcast_id,
                              struct jm_err *err)
{
	if (f->kind != FORMS_JOB) {
		jm_err_set(err, "kind", "only a job post is announced this way");
		return JM_INVALID;
	}
	list_id = list_id ? list_id : f->list_id;
	if (list_id <= 0) {
		jm_err_set(err, "list_id", "choose the list to announce the post to");
		return JM_INVALID;
	}
	struct buf b;
	buf_init(&b, 256u << 10);
	enum jm_rc rc = announce_body(f, label, user, &b);
	struct nl_broadcast_input in = {.list_id = list_id,
	                                .subject = f->title,
	                                .body_md = buf_cstr(&b),
	                                .has_list = true,
	                                .has_subject = true,
	                                .has_body = true};
	if (!rc)
		rc = nl_broadcast_create(db, &in, broadcast_id, err);
	buf_free(&b);
	if (!rc)
		log_at(LOG_INFO, "forms", "form=%lld announced broadcast=%lld", (long long)f->id,
		       (long long)*broadcast_id);
	return rc;
}

enum jm_rc forms_job_close(struct db *db, int64_t form_id, int64_t now, struct jm_err *err)
{
	struct arena *a = arena_new(8192);
	struct forms_form *f = NULL;
	/* Through forms_update, as PATCH {"status":"closed"} goes: the form's
	 * rules and side effects stay form.c's. */
	enum jm_rc rc = forms_get(db, a, form_id, &f);
	if (!rc && f->kind != FORMS_JOB)
		rc = JM_NOT_FOUND;
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "form", "no such job post");
	if (!rc && strcmp(f->status, "closed") != 0) {
		f->status = "closed";
		rc = forms_update(db, form_id, f, now ? now : jm_now(), err);
	}
	arena_free(a);
	return rc;
}
