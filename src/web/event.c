/*
 * event.c — the public side of events (forms/event.c):
 *
 *   GET  /event/cancel?t=TOKEN   the registrant's own page: the event, their
 *                                place, the online URL when their seat is
 *                                confirmed, and a button to cancel;
 *   POST /event/cancel?t=TOKEN   cancels (the seat goes to the waitlist's
 *                                head); again: nothing changes.
 *   web_event_ctx                the event block of /forms/{slug} (date and
 *                                time in the site's zone, venue, fee, seats
 *                                left / waitlist) — never the online URL.
 *
 * The token is the per-answer signed link mailed to the registrant
 * (forms_event_token); no session, no CSRF token: the link is the
 * credential, and only the POST changes anything.
 */
#include "web/web_int.h"

#include "app.h"
#include "forms/forms.h"

static bool page_start(struct web_page *pg, struct req *req)
{
	if (web_page_init(pg, req, NULL) == JM_OK)
		return true;
	web_error_page(req, 500);
	return false;
}

static void send(struct web_page *pg, int status, const char *title_key)
{
	web_page_meta(pg, i18n_get(pg->req->app->i18n, pg->lang, title_key), NULL, "website");
	web_page_send_nostore(pg, status, "site/event_own.html", true);
}

struct view_val *web_event_ctx(struct web_page *pg, const struct forms_form *f)
{
	struct arena *a = pg->req->arena;
	struct view_val *e = view_map(a);
	struct forms_event_seats seats;
	bool en = pg->lang && !strcmp(pg->lang, "en");
	view_set_str(e, "when", forms_event_when(a, f, pg->s.tz, en));
	view_set_str(e, "venue", f->event.venue ? f->event.venue : "");
	view_set_bool(e, "online", f->event.online_url && *f->event.online_url);
	view_set_str(e, "fee", f->event.fee ? f->event.fee : "");
	view_set_str(e, "party_title", f->event.party_title ? f->event.party_title : "");
	view_set_int(e, "capacity", f->event.capacity);
	view_set_int(e, "party_capacity", f->event.party_capacity);
	view_set_bool(e, "waitlist", f->event.waitlist);
	if (forms_event_seats(pg->req->db, f, jm_now(), &seats) == JM_OK) {
		view_set_int(e, "left", seats.left);
		view_set_bool(e, "full", seats.left == 0);
		view_set_bool(e, "unlimited", seats.left < 0);
		view_set_bool(e, "party_limited", f->event.party_capacity > 0);
		view_set_int(e, "waiting", seats.waiting);
		view_set_int(e, "party_left",
		             f->event.party_capacity > 0
		                     ? f->event.party_capacity - seats.party_taken
		                     : -1);
	}
	view_set(pg->ctx, "event", e);
	return e;
}

/* The registration of the request's token, or an "invalid link" page. */
static bool load(struct req *req, struct web_page *pg, const char **tok,
                 struct forms_registration *r)
{
	struct form q;
	struct jm_err err = {0};
	int64_t id = 0;
	*tok = http_req_query(req, &q, &err) == JM_OK ? form_get(&q, "t") : NULL;
	if (!page_start(pg, req))
		return false;
	enum jm_rc rc = forms_event_token_parse(req->app->secret, *tok, &id)
	                        ? forms_event_registration(req->db, req->arena, id, r)
	                        : JM_NOT_FOUND;
	if (rc == JM_OK)
		return true;
	if (rc != JM_NOT_FOUND) {
		log_at(LOG_ERROR, "web", "event registration rc=%s", jm_rc_name(rc));
		web_error_page(req, 500);
		return false;
	}
	view_set_bool(pg->ctx, "invalid", true);
	send(pg, 404, "forms.event.own_title");
	return false;
}

static void own_ctx(struct web_page *pg, const char *tok, const struct forms_registration *r)
{
	struct view_val *e = web_event_ctx(pg, &r->form);
	bool seat = !strcmp(r->status, "confirmed");
	view_set_str(e, "title", r->form.title);
	view_set_str(e, "status", r->status);
	view_set_str(e, "party", r->party);
	view_set_str(e, "name", r->name);
	/* The online URL: only to a registrant whose seat is confirmed. */
	view_set_str(e, "online_url", seat ? r->form.event.online_url : "");
	view_set_bool(e, "cancellable", seat || !strcmp(r->status, "waitlisted"));
	view_set_str(pg->ctx, "token", tok);
}

static void own_get(struct req *req)
{
	struct web_page pg;
	struct forms_registration r;
	const char *tok = NULL;
	if (!load(req, &pg, &tok, &r))
		return;
	own_ctx(&pg, tok, &r);
	send(&pg, 200, "forms.event.own_title");
}

static void own_post(struct req *req)
{
	struct web_page pg;
	struct forms_registration r;
	struct jm_err err = {0};
	const char *tok = NULL;
	if (!load(req, &pg, &tok, &r))
		return;
	enum jm_rc rc = forms_event_cancel(req->db, r.answer_id, jm_now(), &err);
	if (!rc)
		rc = forms_event_registration(req->db, req->arena, r.answer_id, &r);
	if (rc) {
		log_at(LOG_ERROR, "web", "event cancel rc=%s", jm_rc_name(rc));
		web_error_page(req, 500);
		return;
	}
	log_at(LOG_INFO, "web", "event=event_cancelled answer=%lld", (long long)r.answer_id);
	own_ctx(&pg, tok, &r);
	view_set_bool(pg.ctx, "done", true);
	send(&pg, 200, "forms.event.cancelled_title");
}

void web_event_routes(struct router *r)
{
	router_add(r, "GET", "/event/cancel", own_get, 0);
	router_add(r, "POST", "/event/cancel", own_post, 0);
}
