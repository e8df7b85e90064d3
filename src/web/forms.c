/*
 * forms.c — a form's public page (asks, job posts, events): GET
 * /forms/{slug} shows it, POST /forms/{slug} answers it (the answer's
 * thanks page is the POST's own response), GET /forms/{slug}/confirm
 * confirms a stranger's answer from the mailed link. The domain
 * (forms/answer.c) checks and stores; this file reads the form and
 * renders.
 *
 * Invariants:
 * - Nothing here is cached (every page holds a fresh signed stamp or a
 *   reader's token): every answer is no-store, and the pages with a token
 *   are noindex.
 * - The page carries no CSRF token (there is no session); the signed
 *   single-use stamp, the honeypot `website` and the rate limits stand in
 *   for it, as on /contact.
 * - Field inputs are named "f_KEY", so a form's own keys never meet the
 *   page's fixed names (name, email, consent, t, answer, form_token).
 * - A refusal re-renders the form with what the visitor typed (the engine
 *   escapes it) and each message beside its field, with the status of the
 *   refusal (422, 409, 403, 413, 429). Files are not kept: they must be
 *   chosen again.
 * - The POST route is an upload route (ROUTE_UPLOAD: file parts are spooled
 *   to DATA/tmp, up to --max-upload); a form without a file field still
 *   refuses a body past --max-body.
 */
#include "auth/auth.h"
#include "core/field.h"
#include "forms/forms.h"
#include "web/web_int.h"

#include <time.h>

#define NO_STORE  "no-store"
#define FIELD_PFX "f_"

/* Everything a render of the form page needs. */
struct fpage {
	struct req *req;
	const struct forms_form *f;
	const char *token; /* the reader's (t), or NULL */
	int64_t person_id;
	const char *pname, *pemail;
	const struct forms_answer *mine; /* the reader's answer being edited */
	int64_t count;                   /* the reader's answers */
	const struct form *typed;        /* a refused POST's values */
	const struct forms_answer_error *errs;
	size_t nerrs;
	const char *summary; /* catalog key of the message on top, or NULL */
};

static const char *t_(struct req *req, const char *lang, const char *key)
{
	return i18n_get(req->app->i18n, lang, key);
}

static const char *form_path(struct req *req, const char *slug)
{
	struct buf b = BUF_INIT;
	buf_init(&b, 1024);
	const char *out = "/forms/";
	if (buf_appends(&b, "/forms/") == JM_OK && http_url_encode(&b, slug, strlen(slug)) == JM_OK)
		out = arena_strdup(req->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* Markdown the owner wrote, rendered as articles are. */
static void set_md(struct web_page *pg, struct view_val *m, const char *key, const char *md)
{
	struct buf b = BUF_INIT;
	buf_init(&b, WEB_RENDER_CAP);
	if (md && *md && site_markdown(md, strlen(md), pg->s.allow_raw_html, &b) == JM_OK)
		view_set_html(m, key, arena_strndup(pg->req->arena, buf_cstr(&b), b.len), b.len);
	buf_free(&b);
}

/* "2026-12-24 19:00" in the site's zone ("" for 0). */
static const char *when(struct web_page *pg, int64_t t)
{
	if (!t)
		return "";
	time_t tt = (time_t)(t + (int64_t)pg->s.tz_offset_min * 60);
	struct tm tm;
	char out[32];
	gmtime_r(&tt, &tm);
	strftime(out, sizeof(out), "%Y-%m-%d %H:%M", &tm);
	return arena_strdup(pg->req->arena, out);
}

/* The job post's working conditions (職業安定法), those that are set, in
 * the law's order (forms_job_rows). */
static struct view_val *job_rows(struct web_page *pg, const struct forms_form *f)
{
	struct forms_job_row rows[FORMS_JOB_CONDITIONS];
	forms_job_rows(f, rows);
	struct view_val *l = view_list(pg->req->arena);
	for (size_t i = 0; i < FORMS_JOB_CONDITIONS; i++) {
		if (!*rows[i].value)
			continue;
		struct view_val *m = view_map(pg->req->arena);
		const char *k = arena_sprintf(pg->req->arena, "forms.answer.job.%s", rows[i].key);
		view_set_str(m, "label", t_(pg->req, pg->lang, k));
		view_set_str(m, "value", rows[i].value);
		view_push(l, m);
	}
	return l;
}

static struct view_val *event_val(struct web_page *pg, const struct forms_event *e)
{
	struct view_val *m = view_map(pg->req->arena);
	view_set_str(m, "starts", when(pg, e->starts_at));
	view_set_str(m, "ends", when(pg, e->ends_at));
	view_set_str(m, "venue", e->venue);
	view_set_str(m, "fee", e->fee);
	view_set_int(m, "capacity", e->capacity);
	view_set_str(m, "party_title", e->party_title);
	return m;
}

/* The form's own description, kind details and state. */
static struct view_val *form_val(struct web_page *pg, const struct forms_form *f)
{
	struct view_val *m = view_map(pg->req->arena);
	int64_t now = jm_now();
	view_set_str(m, "title", f->title);
	view_set_str(m, "kind", forms_kind_name(f->kind));
	view_set_str(m, "action", form_path(pg->req, f->slug));
	set_md(pg, m, "description_html", f->description);
	set_md(pg, m, "consent_html", f->consent_text);
	view_set_bool(m, "has_consent", f->consent_text && *f->consent_text);
	enum forms_open open = forms_open_at(f, now);
	view_set_bool(m, "closed", open == FORMS_CLOSED || open == FORMS_ENDED);
	view_set_bool(m, "not_yet", open == FORMS_NOT_YET);
	view_set_str(m, "opens", when(pg, f->opens_at));
	view_set_str(m, "closes", when(pg, f->closes_at));
	if (f->kind == FORMS_JOB)
		view_set(m, "job", job_rows(pg, f));
	if (f->kind == FORMS_EVENT) {
		view_set(m, "event", event_val(pg, &f->event));
		web_event_ctx(pg, f); /* seats left, waitlist (web/event.c) */
	}
	return m;
}

static const char *error_of(const struct fpage *p, const char *key)
{
	for (size_t i = 0; i < p->nerrs; i++)
		if (!strcmp(p->errs[i].key, key))
			return p->errs[i].code;
	return NULL;
}

/* The values to show for field key: what was typed, else the answer
 * being edited. */
static size_t shown_values(const struct fpage *p, const char *key, const char **v, size_t max)
{
	if (p->typed)
		return form_get_all(p->typed, arena_sprintf(p->req->arena, FIELD_PFX "%s", key), v,
		                    max);
	size_t n = 0;
	for (size_t i = 0; p->mine && i < p->mine->nvalues && n < max; i++)
		if (!strcmp(p->mine->values[i].key, key))
			v[n++] = p->mine->values[i].value;
	return n;
}

static struct view_val *options_val(struct arena *a, const struct forms_field *fd, const char **v,
                                    size_t n)
{
	struct view_val *l = view_list(a);
	for (size_t i = 0; i < fd->noptions; i++) {
		struct view_val *o = view_map(a);
		bool on = false;
		for (size_t j = 0; j < n && !on; j++)
			on = !strcmp(v[j], fd->options[i]);
		view_set_str(o, "value", fd->options[i]);
		view_set_bool(o, "checked", on);
		view_set_int(o, "index", (int64_t)i);
		view_push(l, o);
	}
	return l;
}

static const char *input_type(const char *type)
{
	static const char *const same[] = {"email", "url", "number", "date", "tel"};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		if (!strcmp(type, same[i]))
			return type;
	return "text";
}

static struct view_val *field_val(struct web_page *pg, const struct fpage *p,
                                  const struct forms_field *fd)
{
	struct arena *a = pg->req->arena;
	struct view_val *m = view_map(a);
	const char **v = arena_alloc(a, (FORMS_VALUES_MAX + 1) * sizeof(*v));
	size_t n = shown_values(p, fd->key, v, FORMS_VALUES_MAX);
	const char *type = fd->type ? fd->type : "text";
	view_set_str(m, "key", fd->key);
	view_set_str(m, "name", arena_sprintf(a, FIELD_PFX "%s", fd->key));
	view_set_str(m, "label", fd->label);
	view_set_str(m, "type", type);
	view_set_str(m, "input_type", input_type(type));
	view_set_bool(m, "required", fd->required);
	view_set_str(m, "value", n ? v[0] : "");
	view_set_bool(m, "checked", n && *v[0] && strcmp(v[0], "0") != 0);
	view_set_bool(m, "has_file", !strcmp(type, "file") && n > 0);
	view_set(m, "options", options_val(a, fd, v, n));
	const char *code = error_of(p, fd->key);
	if (code)
		view_set_str(m, "error",
		             t_(pg->req, pg->lang, arena_sprintf(a, "forms.answer.err.%s", code)));
	return m;
}

/* The stranger's name and email, or the reader's own. */
static void person_ctx(struct web_page *pg, const struct fpage *p, struct view_val *c)
{
	struct arena *a = pg->req->arena;
	struct view_val *errs = view_map(a);
	static const char *const keys[] = {"name", "email", "consent"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *code = error_of(p, keys[i]);
		if (code)
			view_set_str(errs, keys[i],
			             t_(pg->req, pg->lang,
			                arena_sprintf(a, "forms.answer.err.%s", code)));
	}
	view_set(c, "errors", errs);
	view_set_bool(c, "reader", p->person_id != 0);
	view_set_str(c, "token", p->token);
	view_set_str(c, "reader_name", p->pname);
	view_set_str(c, "reader_email", p->pemail);
	view_set_str(c, "name", p->typed ? form_get(p->typed, "name") : "");
	view_set_str(c, "email", p->typed ? form_get(p->typed, "email") : "");
	view_set_bool(c, "consent",
	              p->typed ? form_get(p->typed, "consent") != NULL : p->mine != NULL);
}

/* The reader's own answer: edited, or a new one when more are allowed. */
static void mine_ctx(struct web_page *pg, const struct fpage *p, struct view_val *c)
{
	if (!p->mine)
		return;
	view_set_int(c, "answer_id", p->mine->id);
	view_set_str(c, "answered_at", when(pg, p->mine->created_at));
	int64_t max = p->f->max_answers_per_person;
	view_set_bool(c, "may_add", max == 0 || p->count < max);
	view_set_str(c, "new_url",
	             arena_sprintf(pg->req->arena, "%s?t=%s&new=1", form_path(pg->req, p->f->slug),
	                           p->token));
}

static void form_page(struct req *req, int status, const struct fpage *p)
{
	struct web_page pg;
	if (web_page_init(&pg, req, form_path(req, p->f->slug)) != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	struct arena *a = req->arena;
	char stamp[AUTH_STAMP_LEN];
	auth_stamp_make(req->app->secret, FORMS_STAMP_PURPOSE, jm_now(), stamp);
	struct view_val *c = form_val(&pg, p->f);
	view_set_str(c, "stamp", arena_strdup(a, stamp));
	struct view_val *fields = view_list(a);
	for (size_t i = 0; i < p->f->nfields; i++)
		view_push(fields, field_val(&pg, p, &p->f->fields[i]));
	view_set(c, "fields", fields);
	person_ctx(&pg, p, c);
	mine_ctx(&pg, p, c);
	if (p->typed && form_get(p->typed, "answer")) /* a refused edit stays one */
		view_set_str(c, "answer_id", form_get(p->typed, "answer"));
	if (p->summary)
		view_set_str(c, "error_summary", t_(req, pg.lang, p->summary));
	view_set(pg.ctx, "form", c);
	web_page_meta(&pg, p->f->title, NULL, "website");
	web_page_send_nostore(&pg, status, "site/form.html", p->token != NULL);
}

/* A short page with one message (a bad link, a confirmation). */
static void message_page(struct req *req, int status, const struct forms_form *f,
                         const char *title_key, const char *text_key)
{
	struct web_page pg;
	if (web_page_init(&pg, req, NULL) != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	struct view_val *c = view_map(req->arena);
	view_set_str(c, "text", t_(req, pg.lang, text_key));
	if (f) {
		view_set_str(c, "title", f->title);
		view_set_str(c, "action", form_path(req, f->slug));
	}
	view_set(pg.ctx, "form", c);
	web_page_meta(&pg, t_(req, pg.lang, title_key), NULL, "website");
	web_page_send_nostore(&pg, status, "site/form_message.html", true);
}

/* The form named by the route, or NULL after answering 404. */
static struct forms_form *load_form(struct req *req)
{
	const char *slug = req_param(req, "slug");
	struct forms_form *f = NULL;
	enum jm_rc rc = slug ? forms_get_slug(req->db, req->arena, slug, &f) : JM_NOT_FOUND;
	if (rc) {
		if (rc != JM_NOT_FOUND)
			log_at(LOG_ERROR, "web", "form load rc=%s", jm_rc_name(rc));
		web_error_page(req, rc == JM_NOT_FOUND ? 404 : 500);
		return NULL;
	}
	return f;
}

/* The reader of token t (may be NULL: none); false after answering 403
 * for a token that is not this form's. */
static bool reader_of(struct req *req, struct fpage *p, const char *t)
{
	if (!t || !*t)
		return true;
	enum jm_rc rc = forms_token_parse(req->app->secret, p->f->slug, t, &p->person_id);
	if (!rc)
		rc = forms_answer_person(req->db, req->arena, p->person_id, &p->pname, &p->pemail);
	if (rc) {
		p->person_id = 0;
		message_page(req, 403, p->f, "forms.answer.bad_link_title",
		             "forms.answer.bad_link");
		return false;
	}
	p->token = t;
	return true;
}

static void forms_get_h(struct req *req)
{
	struct fpage p = {.req = req};
	struct form q;
	struct jm_err err = {0};
	if (http_req_query(req, &q, &err) != JM_OK) {
		web_error_page(req, 400);
		return;
	}
	if (!(p.f = load_form(req)) || !reader_of(req, &p, form_get(&q, "t")))
		return;
	struct forms_answer *mine = NULL;
	if (p.person_id && forms_answer_mine(req->db, req->arena, p.f->id, p.person_id, &mine,
	                                     &p.count) != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	if (!form_get(&q, "new"))
		p.mine = mine;
	form_page(req, 200, &p);
}

/* ---- answering ---- */

/* The answer as the page sent it. */
static void answer_in(struct req *req, const struct form *fm, const struct forms_form *f,
                      struct forms_answer_in *in)
{
	struct arena *a = req->arena;
	struct forms_value *vals = NULL;
	struct forms_upload *ups = arena_calloc(a, (fm->nfiles + 1) * sizeof(*ups));
	size_t n = 0, cap = 0;
	const char **v = arena_alloc(a, (FORMS_VALUES_MAX + 1) * sizeof(*v));
	for (size_t i = 0; i < f->nfields; i++) {
		const char *name = arena_sprintf(a, FIELD_PFX "%s", f->fields[i].key);
		size_t k = form_get_all(fm, name, v, FORMS_VALUES_MAX);
		for (size_t j = 0; j < k; j++) {
			vals = arena_grow(a, vals, n, &cap, sizeof(*vals));
			vals[n++] = (struct forms_value){f->fields[i].key, v[j]};
		}
		for (size_t j = 0; j < fm->nfiles; j++)
			if (!strcmp(fm->files[j].field, name))
				ups[in->nfiles++] = (struct forms_upload){
				        f->fields[i].key, fm->files[j].filename, fm->files[j].data,
				        fm->files[j].len, fm->files[j].path};
	}
	in->values = vals;
	in->nvalues = n;
	in->files = ups;
	const char *aid = form_get(fm, "answer");
	in->answer_id = aid ? strtoll(aid, NULL, 10) : 0;
	in->name = form_get(fm, "name");
	in->email = form_get(fm, "email");
	in->consent = form_get(fm, "consent") != NULL;
	in->public_form = true;
	in->honeypot = form_get(fm, "website");
	in->stamp = form_get(fm, "form_token");
	in->ip = http_req_ip(req);
	in->secret = req->app->secret;
	struct site_settings s;
	if (site_settings_load(req->db, a, &s) == JM_OK)
		in->base_url = site_base_url(a, &s, req->app->cfg.base_url, req->app->cfg.listen);
}

/* The catalog key of a refusal the domain returned (err->field). */
static const char *refusal_key(enum jm_rc rc, const char *field)
{
	static const struct {
		const char *field, *key;
	} keys[] = {
	        {"honeypot", "site.contact.err_honeypot"}, {"stamp_fast", "site.contact.err_fast"},
	        {"stamp_old", "site.contact.err_expired"}, {"stamp_used", "site.contact.err_used"},
	        {"stamp", "site.contact.err_token"},       {"full", "forms.answer.err_full"},
	        {"token", "forms.answer.bad_link"},        {"form", "forms.answer.err_closed"},
	};
	if (rc == JM_RATE_LIMITED)
		return strcmp(field, "email") == 0 ? "site.contact.err_rate_email"
		                                   : "site.contact.err_rate_ip";
	if (rc == JM_CONFLICT && !strcmp(field, "answer"))
		return "forms.answer.err_twice";
	if (rc == JM_FORBIDDEN)
		return "forms.answer.err_not_yours";
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(field, keys[i].field))
			return keys[i].key;
	return "forms.answer.err_summary";
}

static bool has_file_field(const struct forms_form *f)
{
	for (size_t i = 0; i < f->nfields; i++)
		if (f->fields[i].type && !strcmp(f->fields[i].type, "file"))
			return true;
	return false;
}

static void thanks_page(struct req *req, const struct forms_form *f, int64_t answer_id,
                        const char *token);

static void refuse_page(struct req *req, struct fpage *p, enum jm_rc rc, const struct jm_err *err)
{
	struct forms_answer_error *e = arena_calloc(req->arena, sizeof(*e));
	e->key = arena_strdup(req->arena, err->field);
	e->code = rc == JM_TOO_LARGE ? "file_large" : "invalid";
	p->errs = e;
	p->nerrs = 1;
	bool field = false;
	for (size_t i = 0; i < p->f->nfields && !field; i++)
		field = !strcmp(p->f->fields[i].key, err->field);
	p->summary = field || !strcmp(err->field, "email") || !strcmp(err->field, "name")
	                     ? "forms.answer.err_summary"
	                     : refusal_key(rc, err->field);
	form_page(req, http_status_for(rc), p);
}

static void forms_post_h(struct req *req)
{
	struct fpage p = {.req = req};
	struct form fm;
	struct jm_err err = {0};
	if (!(p.f = load_form(req)))
		return;
	/* Only a form with a file field takes more than --max-body. */
	if (!has_file_field(p.f) && req->body.len > (size_t)req->app->cfg.max_body) {
		web_error_page(req, 413);
		return;
	}
	enum jm_rc rc = http_req_form(req, &fm, &err);
	if (rc) {
		web_error_page(req, rc == JM_TOO_LARGE ? 413 : rc == JM_IO ? 500 : 400);
		return;
	}
	if (!reader_of(req, &p, form_get(&fm, "t")))
		return;
	struct forms_answer_in in = {.person_id = p.person_id};
	answer_in(req, &fm, p.f, &in);
	p.typed = &fm;
	struct forms_answer_error *errs = NULL;
	forms_answer_check(req->arena, p.f, &in, &errs, &p.nerrs);
	p.errs = errs;
	for (size_t i = 0; i < p.nerrs; i++)
		if (!strcmp(errs[i].code, "file_large"))
			rc = JM_TOO_LARGE;
	if (p.nerrs) {
		p.summary = "forms.answer.err_summary";
		form_page(req, rc == JM_TOO_LARGE ? 413 : 422, &p);
		return;
	}
	int64_t id = 0;
	rc = forms_answer_submit(req->db, p.f, &in, jm_now(), &id, &err);
	if (rc == JM_OK) {
		thanks_page(req, p.f, id, p.token);
		return;
	}
	if (rc == JM_DB || rc == JM_IO || rc == JM_NOMEM || rc == JM_NOT_FOUND) {
		log_at(LOG_ERROR, "web", "form answer rc=%s", jm_rc_name(rc));
		web_error_page(req, 500);
		return;
	}
	refuse_page(req, &p, rc, &err);
}

/* ---- thanks and confirmation ---- */

/* The answer's values as {label, values} rows, in field order. */
static struct view_val *answer_rows(struct web_page *pg, const struct forms_form *f,
                                    const struct forms_answer *ans)
{
	struct arena *a = pg->req->arena;
	struct view_val *rows = view_list(a);
	for (size_t i = 0; i < f->nfields; i++) {
		const struct forms_field *fd = &f->fields[i];
		bool file = fd->type && !strcmp(fd->type, "file");
		struct view_val *vals = view_list(a);
		size_t n = 0;
		for (size_t j = 0; j < ans->nvalues; j++)
			if (!strcmp(ans->values[j].key, fd->key) && ++n)
				view_push(vals, view_str(a, file ? t_(pg->req, pg->lang,
				                                      "forms.answer.file_attached")
				                                 : ans->values[j].value));
		if (!n)
			continue;
		struct view_val *m = view_map(a);
		view_set_str(m, "label", fd->label);
		view_set(m, "values", vals);
		view_push(rows, m);
	}
	return rows;
}

static void result_page(struct req *req, const struct forms_form *f, int64_t answer_id,
                        const char *token, bool confirmed)
{
	struct web_page pg;
	struct forms_answer *ans = NULL;
	if (web_page_init(&pg, req, NULL) != JM_OK ||
	    forms_answer_get(req->db, req->arena, answer_id, &ans) != JM_OK) {
		web_error_page(req, 500);
		return;
	}
	struct view_val *c = view_map(req->arena);
	view_set_str(c, "title", f->title);
	view_set_str(c, "kind", forms_kind_name(f->kind));
	set_md(&pg, c, "thanks_html", f->thanks);
	view_set_bool(c, "verified", ans->verified);
	view_set_bool(c, "confirmed_now", confirmed);
	view_set_str(c, "status", ans->status);
	view_set(c, "rows", answer_rows(&pg, f, ans));
	if (token)
		view_set_str(c, "edit_url",
		             arena_sprintf(req->arena, "%s?t=%s", form_path(req, f->slug), token));
	view_set(pg.ctx, "form", c);
	web_page_meta(&pg, t_(req, pg.lang, "forms.answer.thanks_title"), NULL, "website");
	web_page_send_nostore(&pg, 200, "site/form_thanks.html", true);
}

static void thanks_page(struct req *req, const struct forms_form *f, int64_t answer_id,
                        const char *token)
{
	result_page(req, f, answer_id, token, false);
}

static void forms_confirm_h(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	struct forms_form *f = load_form(req);
	if (!f)
		return;
	if (http_req_query(req, &q, &err) != JM_OK) {
		web_error_page(req, 400);
		return;
	}
	int64_t id = 0;
	enum jm_rc rc = forms_answer_verify(req->db, req->app->secret, form_get(&q, "token"),
	                                    jm_now(), &id, &err);
	if (rc == JM_OK) {
		result_page(req, f, id, NULL, true);
		return;
	}
	if (rc == JM_INVALID || rc == JM_NOT_FOUND || rc == JM_CONFLICT) {
		message_page(req, http_status_for(rc == JM_INVALID ? JM_FORBIDDEN : rc), f,
		             "forms.answer.bad_link_title",
		             rc == JM_CONFLICT    ? "forms.answer.err_full"
		             : rc == JM_NOT_FOUND ? "forms.answer.link_expired"
		                                  : "forms.answer.bad_link");
		return;
	}
	log_at(LOG_ERROR, "web", "form confirm rc=%s", jm_rc_name(rc));
	web_error_page(req, 500);
}

void web_forms_routes(struct router *r)
{
	router_add(r, "GET", "/forms/{slug}", forms_get_h, 0);
	router_add(r, "POST", "/forms/{slug}", forms_post_h, ROUTE_UPLOAD);
	router_add(r, "GET", "/forms/{slug}/confirm", forms_confirm_h, 0);
}
