/*
 * form_jobs.c — a job post's applicants in the admin (採用):
 *
 *   GET  /admin/forms/{id}/board                      the pipeline as a board
 *   POST /admin/forms/{id}/answers/{aid}/status       move / note (board, card)
 *   GET  /admin/forms/{id}/answers/{aid}              the applicant card
 *   POST /admin/forms/{id}/answers/{aid}/mail         mail the applicant
 *   POST /admin/forms/{id}/announce                   a draft broadcast to the list
 *   POST /admin/forms/{id}/close                      no new applications
 *
 * The board has a column per status (applied … hired, declined); each
 * card carries a select of the moves the pipeline allows and a button, so
 * it works without JavaScript; on a phone the columns stack (admin.css).
 * The card shows every answer (files link to form_files.c's download:
 * staff only, always an attachment),
 * the notes and status changes with their dates, the mail thread and the
 * applicant's history as a reader.
 *
 * Invariants: everything an applicant typed is rendered escaped; every
 * POST carries the CSRF token (ROUTE_CSRF); a refused input re-renders the
 * page with what was typed and the reason.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "forms/forms.h"
#include "inbox/inbox.h"
#include "site/site.h"

#define SUMMARY_VALUES 3  /* values shown on a board card */
#define SUMMARY_CHARS  60 /* characters of each */

/* ---- small helpers ---- */

static const char *status_label(struct req *req, const char *st)
{
	return admin_t(req, arena_sprintf(req->arena, "forms.job.st.%s",
	                                  forms_job_status_ok(st) ? st : "applied"));
}

static const char *cond_label(const char *key, void *user)
{
	struct req *req = user;
	/* The public page's labels (web/forms.c), so the mail says the same. */
	if (!strcmp(key, "apply"))
		return admin_t(req, "forms.job.apply");
	return admin_t(req, arena_sprintf(req->arena, "forms.answer.job.%s", key));
}

/* The {aid} (or other) route parameter as a positive id; 404 when bad. */
static bool param_id(struct req *req, const char *name, int64_t *out)
{
	if (admin_nl_int(req_param(req, name), out) && *out > 0)
		return true;
	admin_error(req, 404, "admin.err.not_found");
	return false;
}

/* The job post {id}: 404 unless it is a form of kind job. */
static bool load_job(struct req *req, int64_t *id, struct forms_form **f)
{
	if (!admin_param_id(req, id))
		return false;
	enum jm_rc rc = forms_get(req->db, req->arena, *id, f);
	if (!rc && (*f)->kind != FORMS_JOB)
		rc = JM_NOT_FOUND;
	return admin_check(req, rc, "forms_get");
}

static const char *cut(struct arena *a, const char *s)
{
	size_t len = strlen(s), n = utf8_truncate(s, len, SUMMARY_CHARS * 3);
	char *c = arena_strndup(a, s, n);
	for (char *p = c; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
	return n < len ? arena_sprintf(a, "%s…", c) : c;
}

static struct view_val *form_val(struct req *req, const struct forms_form *f)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", f->id);
	view_set_str(m, "title", f->title);
	view_set_str(m, "slug", f->slug);
	view_set_str(m, "status", f->status);
	view_set_bool(m, "closed", f->status && !strcmp(f->status, "closed"));
	view_set_int(m, "list_id", f->list_id);
	return m;
}

/* {value, label} of every status the application may move to. */
static struct view_val *moves_val(struct req *req, const char *from)
{
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < FORMS_JOB_STATUSES; i++) {
		const char *to = forms_job_statuses[i];
		if (!forms_job_move_ok(from, to))
			continue;
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "value", to);
		view_set_str(m, "label", status_label(req, to));
		view_push(list, m);
	}
	return list;
}

/* ---- the board ---- */

/* The field of f with key, or NULL. */
static const struct forms_field *field_of(const struct forms_form *f, const char *key)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (!strcmp(f->fields[i].key, key))
			return &f->fields[i];
	return NULL;
}

static struct view_val *card_val(struct req *req, const struct forms_form *f,
                                 const struct forms_applicant *ap, int tz)
{
	struct view_val *c = view_map(req->arena);
	view_set_int(c, "id", ap->id);
	view_set_str(c, "name", *ap->name ? ap->name : ap->email);
	view_set_str(c, "email", ap->email);
	view_set_str(c, "status", ap->status);
	view_set_bool(c, "verified", ap->verified);
	view_set_str(c, "applied", admin_time_fmt(req->arena, ap->created_at, tz, ' '));
	struct view_val *vals = view_list(req->arena);
	for (size_t i = 0; i < ap->nvalues && i < SUMMARY_VALUES; i++) {
		struct view_val *v = view_map(req->arena);
		const struct forms_field *fd = field_of(f, ap->values[i].key);
		view_set_str(v, "key", fd ? fd->label : ap->values[i].key);
		view_set_str(v, "value", cut(req->arena, ap->values[i].value));
		view_push(vals, v);
	}
	view_set(c, "values", vals);
	view_set(c, "moves", moves_val(req, ap->status));
	return c;
}

static struct view_val *columns_val(struct req *req, const struct forms_form *f,
                                    const struct forms_applicant *apps, size_t n, int tz)
{
	struct view_val *cols = view_list(req->arena);
	for (size_t s = 0; s < FORMS_JOB_STATUSES; s++) {
		const char *st = forms_job_statuses[s];
		struct view_val *col = view_map(req->arena), *cards = view_list(req->arena);
		int64_t count = 0;
		for (size_t i = n; i-- > 0;) /* oldest application first in its column */
			if (!strcmp(apps[i].status, st)) {
				view_push(cards, card_val(req, f, &apps[i], tz));
				count++;
			}
		view_set_str(col, "status", st);
		view_set_str(col, "label", status_label(req, st));
		view_set_int(col, "count", count);
		view_set(col, "cards", cards);
		view_push(cols, col);
	}
	return cols;
}

static void board_page(struct req *req, int status, const char *error)
{
	int64_t id = 0;
	struct forms_form *f = NULL;
	struct forms_applicant *apps = NULL;
	size_t n = 0;
	struct site_settings s;
	if (!admin_settings(req, &s) || !load_job(req, &id, &f))
		return;
	if (!admin_check(req, forms_job_board(req->db, req->arena, id, &apps, &n),
	                 "forms_job_board"))
		return;
	struct view_val *ctx = admin_ctx(req, "forms");
	view_set(ctx, "form", form_val(req, f));
	view_set(ctx, "columns", columns_val(req, f, apps, n, s.tz_offset_min));
	view_set_int(ctx, "total", (int64_t)n);
	view_set(ctx, "lists", admin_nl_list_options(req, f->list_id, NULL));
	if (error)
		view_set_str(ctx, "error", error);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, status, "admin/form_board.html", ctx);
}

static void board_get(struct req *req)
{
	board_page(req, 200, NULL);
}

/* ---- the applicant card ---- */

/* The file of ap whose id is the value s, or NULL. */
static const struct forms_job_file *file_of(const struct forms_applicant *ap, const char *s)
{
	int64_t id = 0;
	for (size_t i = 0; admin_nl_int(s, &id) && i < ap->nfiles; i++)
		if (ap->files[i].id == id)
			return &ap->files[i];
	return NULL;
}

static struct view_val *answers_val(struct req *req, const struct forms_form *f,
                                    const struct forms_applicant *ap)
{
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < ap->nvalues; i++) {
		const struct forms_job_value *v = &ap->values[i];
		const struct forms_field *fd = field_of(f, v->key);
		const struct forms_job_file *file =
		        fd && !strcmp(fd->type, "file") ? file_of(ap, v->value) : NULL;
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "key", v->key);
		view_set_str(m, "label", fd ? fd->label : v->key);
		view_set_str(m, "value", file ? file->name : v->value);
		if (file) {
			/* The download is form_files.c's (staff only, an attachment). */
			view_set_str(m, "file_url",
			             arena_sprintf(req->arena, "/admin/forms/files/%lld",
			                           (long long)file->id));
			view_set_int(m, "bytes", file->bytes);
		}
		view_push(list, m);
	}
	return list;
}

static struct view_val *notes_val(struct req *req, const struct forms_applicant *ap, int tz)
{
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < ap->nnotes; i++) {
		const struct forms_job_note *n = &ap->notes[i];
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", n->id);
		view_set_str(m, "status", n->status);
		if (*n->status)
			view_set_str(m, "status_label", status_label(req, n->status));
		view_set_str(m, "body", n->body);
		view_set_str(m, "at", admin_time_fmt(req->arena, n->at, tz, ' '));
		view_set_str(m, "by", n->user_name);
		view_set_str(m, "created_at", admin_time_fmt(req->arena, n->created_at, tz, ' '));
		view_push(list, m);
	}
	return list;
}

static struct view_val *items_val(struct req *req, const struct forms_history_item *it, size_t n,
                                  int64_t total, int tz)
{
	struct view_val *m = view_map(req->arena), *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		struct view_val *v = view_map(req->arena);
		view_set_int(v, "id", it[i].id);
		view_set_str(v, "title", it[i].title);
		view_set_str(v, "at", admin_time_fmt(req->arena, it[i].at, tz, ' '));
		view_push(list, v);
	}
	view_set(m, "items", list);
	view_set_int(m, "total", total);
	return m;
}

static struct view_val *history_val(struct req *req, int64_t person_id, int tz)
{
	struct forms_history h;
	enum jm_rc rc = forms_job_history(req->db, req->arena, person_id, &h);
	if (rc) {
		log_at(LOG_WARN, "admin", "job history person=%lld rc=%s", (long long)person_id,
		       jm_rc_name(rc));
		return NULL;
	}
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "subscribed_since",
	             admin_time_fmt(req->arena, h.subscribed_since, tz, ' '));
	view_set(m, "broadcasts",
	         items_val(req, h.broadcasts, h.nbroadcasts, h.broadcasts_total, tz));
	view_set(m, "messages", items_val(req, h.messages, h.nmessages, h.messages_total, tz));
	view_set(m, "replies", items_val(req, h.replies, h.nreplies, h.replies_total, tz));
	view_set(m, "asks", items_val(req, h.asks, h.nasks, h.asks_total, tz));
	view_set(m, "events", items_val(req, h.events, h.nevents, h.events_total, tz));
	return m;
}

/* The mails sent on the application's thread, oldest first. */
static struct view_val *mails_val(struct req *req, int64_t message_id, int tz)
{
	struct view_val *list = view_list(req->arena);
	struct inbox_message m;
	if (!message_id || inbox_message_get(req->db, req->arena, message_id, &m) != JM_OK)
		return list;
	for (size_t i = 0; i < m.nreplies; i++) {
		struct view_val *v = view_map(req->arena);
		view_set_str(v, "subject", m.replies[i].subject);
		view_set_str(v, "body", m.replies[i].body);
		view_set_str(v, "state", m.replies[i].state);
		view_set_str(v, "created_at",
		             admin_time_fmt(req->arena, m.replies[i].created_at, tz, ' '));
		view_push(list, v);
	}
	return list;
}

struct card_form {
	const struct form *f; /* a refused input, or NULL */
	const struct jm_err *err;
};

static void card_page(struct req *req, int status, const struct card_form *in)
{
	int64_t id = 0, aid = 0;
	struct forms_form *f = NULL;
	struct forms_applicant ap;
	struct site_settings s;
	if (!admin_settings(req, &s) || !load_job(req, &id, &f) || !param_id(req, "aid", &aid))
		return;
	if (!admin_check(req, forms_job_applicant(req->db, req->arena, id, aid, &ap),
	                 "forms_job_applicant"))
		return;
	int tz = s.tz_offset_min;
	struct view_val *ctx = admin_ctx(req, "forms"), *a = card_val(req, f, &ap, tz);
	view_set_int(a, "person_id", ap.person_id);
	view_set_str(a, "status_label", status_label(req, ap.status));
	view_set(ctx, "form", form_val(req, f));
	view_set(ctx, "a", a);
	view_set(ctx, "answers", answers_val(req, f, &ap));
	view_set(ctx, "notes", notes_val(req, &ap, tz));
	view_set(ctx, "mails", mails_val(req, ap.message_id, tz));
	struct view_val *h = history_val(req, ap.person_id, tz);
	if (h)
		view_set(ctx, "history", h);
	const char *subj = in && in->f ? form_get(in->f, "subject") : NULL;
	view_set_str(ctx, "mail_subject",
	             subj ? subj : arena_sprintf(req->arena, "Re: %s", f->title));
	view_set_str(ctx, "mail_body", in && in->f ? form_get(in->f, "body") : "");
	view_set_str(ctx, "note_body", in && in->f ? form_get(in->f, "note") : "");
	if (in && in->err && in->err->msg[0]) {
		view_set_str(ctx, "error", arena_strdup(req->arena, in->err->msg));
		view_set_str(ctx, "error_field", arena_strdup(req->arena, in->err->field));
	}
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, status, "admin/form_applicant.html", ctx);
}

static void card_get(struct req *req)
{
	card_page(req, 200, NULL);
}

/* ---- posts ---- */

static const char *card_url(struct req *req, int64_t id, int64_t aid, const char *done)
{
	return arena_sprintf(req->arena, "/admin/forms/%lld/answers/%lld?done=%s", (long long)id,
	                     (long long)aid, done);
}

/* "at" of the note form: a datetime-local in the site's zone, "" = none. */
static bool read_at(struct req *req, const struct form *f, int64_t *at, struct jm_err *err)
{
	const char *s = form_get(f, "at");
	struct site_settings st;
	*at = 0;
	if (!s || !*s)
		return true;
	if (!admin_settings(req, &st))
		return false;
	if (site_time_parse(&st, s, at) == JM_OK)
		return true;
	jm_err_set(err, "at", "%s", admin_t(req, "forms.job.err_at"));
	return true;
}

static void status_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id = 0, aid = 0, at = 0;
	struct forms_applicant ap;
	if (!admin_param_id(req, &id) || !param_id(req, "aid", &aid) || !admin_form(req, &f) ||
	    !read_at(req, &f, &at, &err))
		return;
	enum jm_rc rc =
	        err.msg[0] ? JM_INVALID : forms_job_applicant(req->db, req->arena, id, aid, &ap);
	const struct auth_user *u = admin_user(req);
	if (!rc)
		rc = forms_answer_set_status(req->db, aid, form_get(&f, "status"),
		                             form_get(&f, "note"), at, u ? u->id : 0, jm_now(),
		                             &err);
	if (rc == JM_INVALID || rc == JM_CONFLICT) {
		admin_err_localize(req, &err, "forms.job.err_", "admin.err.invalid");
		struct card_form cf = {&f, &err};
		card_page(req, rc == JM_CONFLICT ? 409 : 422, &cf);
		return;
	}
	if (!admin_check(req, rc, "forms_answer_set_status"))
		return;
	const char *next = form_get(&f, "next");
	http_redirect(req, 303, admin_safe_next(next) ? next : card_url(req, id, aid, "saved"));
}

static void mail_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id = 0, aid = 0, reply_id = 0;
	if (!admin_param_id(req, &id) || !param_id(req, "aid", &aid) || !admin_form(req, &f))
		return;
	const struct auth_user *u = admin_user(req);
	struct site_settings s;
	if (!admin_settings(req, &s))
		return;
	const char *base =
	        site_base_url(req->arena, &s, req->app->cfg.base_url, req->app->cfg.listen);
	enum jm_rc rc = forms_job_mail(req->db, id, aid, u ? u->id : 0, form_get(&f, "subject"),
	                               form_get(&f, "body"), base, jm_now(), &reply_id, &err);
	if (rc == JM_INVALID) {
		admin_err_localize(req, &err, "forms.job.err_", "admin.err.invalid");
		struct card_form cf = {&f, &err};
		card_page(req, 422, &cf);
		return;
	}
	if (admin_check(req, rc, "forms_job_mail"))
		http_redirect(req, 303, card_url(req, id, aid, "mailed"));
}

static void announce_post(struct req *req)
{
	struct form fm;
	struct jm_err err = {0};
	int64_t id = 0, list_id = 0, bid = 0;
	struct forms_form *f = NULL;
	if (!load_job(req, &id, &f) || !admin_form(req, &fm))
		return;
	if (!admin_nl_int(form_get(&fm, "list_id"), &list_id))
		list_id = 0;
	enum jm_rc rc = forms_job_announce(req->db, f, list_id, cond_label, req, &bid, &err);
	if (rc == JM_INVALID || rc == JM_CONFLICT) {
		admin_err_localize(req, &err, "forms.job.err_", "admin.err.invalid");
		board_page(req, 422, err.msg);
		return;
	}
	if (admin_check(req, rc, "forms_job_announce"))
		http_redirect(req, 303,
		              arena_sprintf(req->arena, "/admin/broadcasts/%lld", (long long)bid));
}

static void close_post(struct req *req)
{
	struct form fm;
	struct jm_err err = {0};
	int64_t id = 0;
	struct forms_form *f = NULL;
	if (!load_job(req, &id, &f) || !admin_form(req, &fm))
		return;
	enum jm_rc rc = forms_job_close(req->db, id, jm_now(), &err);
	if (admin_check(req, rc, "forms_job_close"))
		http_redirect(req, 303,
		              arena_sprintf(req->arena, "/admin/forms/%lld/board?done=closed",
		                            (long long)id));
}

void admin_form_jobs_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/forms/{id}/board", board_get, adm);
	router_add(r, "POST", "/admin/forms/{id}/announce", announce_post, adm);
	router_add(r, "POST", "/admin/forms/{id}/close", close_post, adm);
	router_add(r, "GET", "/admin/forms/{id}/answers/{aid}", card_get, adm);
	router_add(r, "POST", "/admin/forms/{id}/answers/{aid}/status", status_post, adm);
	router_add(r, "POST", "/admin/forms/{id}/answers/{aid}/mail", mail_post, adm);
}
