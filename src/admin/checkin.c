/*
 * checkin.c — an event's day, from a phone (forms/event_checkin.c):
 *
 *   GET  /admin/forms/{id}/checkin         the confirmed list with a search
 *                                          box, one POST button per row
 *                                          (works without JavaScript)
 *   POST /admin/forms/{id}/checkin         answer=ID or code=JM-… (the
 *                                          受付票's QR): checks in, back to
 *                                          the list or the scan page
 *   GET  /admin/forms/{id}/checkin/scan    the camera scan (static/checkin.js:
 *                                          BarcodeDetector when the browser
 *                                          has it) or a typed/pasted code
 *   GET  /admin/forms/{id}/checkin/fans    the reviewed action: attendees
 *   POST /admin/forms/{id}/checkin/fans    at stage fan, ticked → 知り合い
 *                                          (owner only, never automatic)
 */
#include <stdlib.h>

#include "admin/admin_int.h"

#include "app.h"
#include "forms/forms.h"
#include "site/site.h"

#define FANS_MAX 1000

/* The event of the {id} route parameter, or a 404 answered. */
static bool load_event(struct req *req, struct forms_form *f)
{
	int64_t id = 0;
	if (!admin_param_id(req, &id))
		return false;
	return admin_check(req, forms_event_get(req->db, req->arena, id, f), "forms_event_get");
}

static struct view_val *attendee_val(struct req *req, const struct forms_attendee *x, int tz)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "answer_id", x->answer_id);
	view_set_int(m, "person_id", x->person_id);
	view_set_str(m, "name", *x->name ? x->name : x->email);
	view_set_str(m, "email", x->email);
	view_set_str(m, "party", x->party);
	view_set_str(m, "stage", x->stage);
	view_set_bool(m, "held", !x->verified);
	view_set_str(m, "attended_at", admin_time_fmt(req->arena, x->attended_at, tz, ' '));
	return m;
}

/* The flash of a check-in's redirect: ?in=ID (done), ?again=ID (before),
 * ?bad=1 (no such code). */
static void flash(struct req *req, const struct form *q, struct view_val *ctx,
                  const struct forms_attendee *all, size_t n)
{
	const char *in = form_get(q, "in"), *again = form_get(q, "again");
	int64_t id = strtoll(in ? in : again ? again : "0", NULL, 10);
	for (size_t i = 0; id && i < n; i++)
		if (all[i].answer_id == id)
			view_set_str(ctx, in ? "flash_in" : "flash_again",
			             *all[i].name ? all[i].name : all[i].email);
	view_set_bool(ctx, "flash_bad", form_get(q, "bad") != NULL);
}

static void render_list(struct req *req, const struct forms_form *f, const char *tpl)
{
	struct form q;
	struct jm_err err = {0};
	struct site_settings s;
	struct forms_attendee *all = NULL;
	size_t n = 0, done = 0;
	if (http_req_query(req, &q, &err) != JM_OK)
		memset(&q, 0, sizeof(q));
	const char *search = form_get(&q, "q") ? form_get(&q, "q") : "";
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc = forms_event_attendees(req->db, req->arena, f->id, search, &all, &n);
	if (rc) {
		admin_fail(req, "forms_event_attendees", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "forms"), *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		view_push(list, attendee_val(req, &all[i], s.tz_offset_min));
		done += all[i].attended_at != 0;
	}
	view_set(ctx, "attendees", list);
	view_set_int(ctx, "form_id", f->id);
	view_set_str(ctx, "title", f->title);
	view_set_str(ctx, "q", search);
	view_set_int(ctx, "count", (int64_t)n);
	view_set_int(ctx, "done", (int64_t)done);
	flash(req, &q, ctx, all, n);
	admin_render(req, 200, tpl, ctx);
}

void admin_checkin_get(struct req *req)
{
	struct forms_form f;
	if (load_event(req, &f))
		render_list(req, &f, "admin/checkin.html");
}

void admin_checkin_scan(struct req *req)
{
	struct forms_form f;
	if (!load_event(req, &f))
		return;
	/* The one admin page that may use the camera (the 受付票's QR). */
	http_header(req, "permissions-policy",
	            "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), "
	            "display-capture=()");
	render_list(req, &f, "admin/checkin_scan.html");
}

void admin_checkin_post(struct req *req)
{
	struct forms_form f;
	struct form b;
	struct jm_err err = {0};
	int64_t aid = 0, pid = 0;
	bool already = false;
	if (!load_event(req, &f) || !admin_form(req, &b))
		return;
	const char *code = form_get(&b, "code"), *ans = form_get(&b, "answer");
	const char *back = form_get(&b, "back"), *q = form_get(&b, "q");
	bool ok = code && *code ? forms_event_code_parse(req->app->secret, code, &aid)
	                        : (aid = strtoll(ans ? ans : "0", NULL, 10)) > 0;
	enum jm_rc rc = ok ? forms_event_checkin(req->db, f.id, aid, jm_now(), &pid, &already, &err)
	                   : JM_NOT_FOUND;
	if (rc && rc != JM_NOT_FOUND) {
		admin_fail(req, "forms_event_checkin", rc);
		return;
	}
	if (!rc)
		log_at(LOG_INFO, "admin", "event=checkin form=%lld answer=%lld again=%d",
		       (long long)f.id, (long long)aid, already);
	struct buf loc = BUF_INIT;
	rc = buf_appendf(&loc, "/admin/forms/%lld/checkin%s?", (long long)f.id,
	                 back && !strcmp(back, "scan") ? "/scan" : "");
	if (!rc)
		rc = ok && !already && !err.msg[0] ? buf_appendf(&loc, "in=%lld", (long long)aid)
		     : ok && already               ? buf_appendf(&loc, "again=%lld", (long long)aid)
		                                   : buf_appends(&loc, "bad=1");
	if (!rc && q && *q && !(rc = buf_appends(&loc, "&q=")))
		rc = http_url_encode(&loc, q, strlen(q));
	http_redirect(req, 303, rc ? "/admin" : buf_cstr(&loc));
	buf_free(&loc);
}

/* ---- fans who came → 知り合い ---- */

static void fans_render(struct req *req, const struct forms_form *f, int64_t moved)
{
	struct forms_attendee *fans = NULL;
	size_t n = 0;
	struct site_settings s;
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc = forms_event_fans(req->db, req->arena, f->id, &fans, &n);
	if (rc) {
		admin_fail(req, "forms_event_fans", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "forms"), *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(list, attendee_val(req, &fans[i], s.tz_offset_min));
	view_set(ctx, "fans", list);
	view_set_int(ctx, "form_id", f->id);
	view_set_str(ctx, "title", f->title);
	view_set_int(ctx, "moved", moved);
	view_set_bool(ctx, "applied", moved >= 0);
	admin_render(req, 200, "admin/checkin_fans.html", ctx);
}

void admin_checkin_fans_get(struct req *req)
{
	struct forms_form f;
	if (load_event(req, &f))
		fans_render(req, &f, -1);
}

void admin_checkin_fans_post(struct req *req)
{
	struct forms_form f;
	struct form b;
	struct jm_err err = {0};
	const char *vals[FANS_MAX];
	int64_t ids[FANS_MAX], moved = 0;
	if (!load_event(req, &f) || !admin_form(req, &b))
		return;
	size_t n = form_get_all(&b, "person", vals, FANS_MAX);
	for (size_t i = 0; i < n; i++)
		ids[i] = strtoll(vals[i], NULL, 10);
	enum jm_rc rc = forms_event_fans_apply(req->db, f.id, ids, n, jm_now(), &moved, &err);
	if (rc) {
		admin_fail(req, "forms_event_fans_apply", rc);
		return;
	}
	log_at(LOG_INFO, "admin", "event=event_fans_moved form=%lld moved=%lld", (long long)f.id,
	       (long long)moved);
	fans_render(req, &f, moved);
}
