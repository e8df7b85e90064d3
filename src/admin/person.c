/*
 * person.c — one person in the admin: the page with who they are (name and
 * 読み, company, title, links, tags, custom fields including the sign-up
 * fields, can offer / looking for, notes as Markdown rendered in cmark's
 * safe mode), the stage with its history (from → to, when, why), the flags
 * (freeloader = クレクレ, blocked), the engagement score with its
 * breakdown, the give/take balance, the subscriptions in short and ONE
 * timeline of everything (net_timeline); and the forms that change them:
 * edit, stage with a reason, flags, interactions (add, delete),
 * introductions in three directions, merging another person into this one,
 * and erasure.
 *
 * Invariants: every form on the page carries the CSRF token (the route
 * flags check it); a form error re-renders the whole page with 422 and the
 * message beside that form, changing nothing; merge and erase need an
 * explicit confirm=1; nothing a stranger typed is marked safe — only the
 * notes' HTML, which cmark produced with raw HTML off.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "network/network.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define TIMELINE_MAX   200
#define NOTES_HTML_CAP (4u << 20)
#define AMOUNT_DIGITS  15

/* The UI text of prefix + name, or name itself when the catalog lacks it. */
static const char *label_of(struct req *req, const char *prefix, const char *name)
{
	const char *key = arena_sprintf(req->arena, "%s%s", prefix, name ? name : "");
	const char *t = admin_t(req, key);
	return strcmp(t, key) == 0 ? (name ? name : "") : t;
}

/* An http(s) URL is linked; anything else (already refused by the domain)
 * is only shown as text. */
static bool url_linkable(const char *u)
{
	return u && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0);
}

static struct view_val *str_list(struct req *req, const char **v, size_t n)
{
	struct view_val *l = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(l, view_str(req->arena, v[i]));
	return l;
}

static void set_basics(struct req *req, struct view_val *ctx, const struct net_person *p, int tz)
{
	view_set_int(ctx, "id", p->id);
	view_set_str(ctx, "name", p->name);
	view_set_str(ctx, "furigana", p->furigana);
	view_set_str(ctx, "email", p->email);
	view_set_str(ctx, "company", p->company);
	view_set_str(ctx, "title", p->title);
	view_set_str(ctx, "source", admin_source_label(req, p->source));
	view_set_str(ctx, "stage", p->stage);
	view_set_str(ctx, "stage_label", admin_people_stage_label(req, p->stage));
	view_set_bool(ctx, "freeloader", p->freeloader);
	view_set_bool(ctx, "blocked", p->blocked);
	view_set_str(ctx, "can_offer", p->can_offer);
	view_set_str(ctx, "looking_for", p->looking_for);
	view_set_str(ctx, "created_at", admin_time_fmt(req->arena, p->created_at, tz, ' '));
	view_set_str(ctx, "last_contact", admin_time_fmt(req->arena, p->last_contact_at, tz, ' '));
	view_set_int(ctx, "touch_days", p->touch_days);
	view_set(ctx, "tags", str_list(req, p->tags, p->ntags));
	struct view_val *links = view_list(req->arena);
	for (size_t i = 0; i < p->nlinks; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "kind", p->links[i].kind);
		view_set_str(m, "url", p->links[i].url);
		view_set_bool(m, "linkable", url_linkable(p->links[i].url));
		view_push(links, m);
	}
	view_set(ctx, "links", links);
	struct view_val *fields = view_list(req->arena);
	for (size_t i = 0; i < p->nfields; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "key", p->field_keys[i]);
		view_set_str(m, "value", p->field_vals[i]);
		view_push(fields, m);
	}
	view_set(ctx, "fields", fields);
	view_set(ctx, "stages", admin_people_stage_options(req, p->stage));
}

static enum jm_rc set_notes(struct req *req, struct view_val *ctx, const struct net_person *p)
{
	struct buf html;
	buf_init(&html, NOTES_HTML_CAP);
	/* Safe mode: raw HTML and javascript: links are dropped by cmark. */
	enum jm_rc rc = site_markdown(p->notes_md, strlen(p->notes_md), false, &html);
	if (rc == JM_OK && html.len)
		view_set_html(ctx, "notes_html", arena_strndup(req->arena, html.ptr, html.len),
		              html.len);
	buf_free(&html);
	return rc;
}

static enum jm_rc set_history(struct req *req, struct view_val *ctx, int64_t id, int tz)
{
	struct net_stage_change *h = NULL;
	size_t n = 0;
	enum jm_rc rc = net_stage_history(req->db, req->arena, id, &h, &n);
	if (rc)
		return rc;
	struct view_val *l = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "from", h[i].from);
		view_set_str(m, "from_label",
		             h[i].from && *h[i].from ? admin_people_stage_label(req, h[i].from)
		                                     : "");
		view_set_str(m, "to", h[i].to);
		view_set_str(m, "to_label", admin_people_stage_label(req, h[i].to));
		view_set_str(m, "reason", admin_source_label(req, h[i].reason));
		view_set_str(m, "at", admin_time_fmt(req->arena, h[i].at, tz, ' '));
		view_push(l, m);
	}
	view_set(ctx, "history", l);
	return JM_OK;
}

static enum jm_rc set_score(struct req *req, struct view_val *ctx, const struct net_person *p)
{
	struct net_score sc;
	enum jm_rc rc = net_score_get(req->db, p->id, jm_now(), &sc);
	if (rc)
		return rc;
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "total", sc.total);
	view_set_int(m, "subscribed", sc.subscribed);
	view_set_int(m, "replies", sc.replies);
	view_set_int(m, "tips", sc.tips);
	view_set_int(m, "forms", sc.forms);
	view_set_int(m, "interactions", sc.interactions);
	view_set_int(m, "opens_clicks", sc.opens_clicks);
	view_set(ctx, "score", m);
	view_set_int(ctx, "given", p->given);
	view_set_int(ctx, "received", p->received);
	view_set_str(ctx, "balance",
	             p->given > p->received ? "give" : (p->given < p->received ? "take" : "even"));
	return JM_OK;
}

static void set_subs(struct req *req, struct view_val *ctx, int64_t id)
{
	struct nl_person np;
	struct view_val *l = view_list(req->arena);
	int64_t active = 0;
	if (nl_person_get(req->db, req->arena, id, &np) == JM_OK) {
		for (size_t i = 0; i < np.nsubs; i++) {
			struct view_val *m = view_map(req->arena);
			view_set_str(m, "list", np.subs[i].list_slug);
			view_set_str(m, "status", np.subs[i].status);
			view_push(l, m);
			active += strcmp(np.subs[i].status, "active") == 0;
		}
	}
	view_set(ctx, "subs", l);
	view_set_int(ctx, "subs_active", active);
}

/* The UI text of key with {by}, {person} and {to} replaced by the names. */
static const char *intro_fill(struct req *req, const char *key, const struct net_event *e)
{
	const char *names[3] = {e->intro_by, e->intro_person, e->intro_to};
	static const char *const marks[3] = {"{by}", "{person}", "{to}"};
	struct buf b = {0};
	const char *s = admin_t(req, key), *out = NULL;
	while (*s) {
		int i = 0;
		while (i < 3 && strncmp(s, marks[i], strlen(marks[i])) != 0)
			i++;
		size_t skip = i < 3 ? strlen(marks[i]) : 1;
		const char *part = i < 3 ? (names[i] && *names[i] ? names[i] : "?") : s;
		if (buf_append(&b, part, i < 3 ? strlen(part) : 1) != JM_OK)
			goto out;
		s += skip;
	}
	out = arena_strndup(req->arena, buf_cstr(&b), b.len);
out:
	buf_free(&b);
	return out ? out : e->title;
}

/* A timeline title in the UI language: interactions name their kind,
 * stage changes read "from → to" in stage names, introductions are a
 * sentence told from the owner's side. */
static const char *event_title(struct req *req, const struct net_event *e)
{
	if (strcmp(e->kind, "interaction") == 0)
		return label_of(req, "admin.people.kind.", e->title);
	if (strcmp(e->kind, "introduction") == 0)
		return intro_fill(req,
		                  !e->intro_to_id   ? "admin.people.intro.to_me"
		                  : !e->intro_by_id ? "admin.people.intro.by_me"
		                                    : "admin.people.intro.between",
		                  e);
	if (strcmp(e->kind, "stage") != 0)
		return e->title;
	const char *arrow = strstr(e->title, " → ");
	if (!arrow)
		return admin_people_stage_label(req, e->title);
	const char *from = arena_strndup(req->arena, e->title, (size_t)(arrow - e->title));
	return arena_sprintf(req->arena, "%s → %s", admin_people_stage_label(req, from),
	                     admin_people_stage_label(req, arrow + strlen(" → ")));
}

struct view_val *admin_person_event_val(struct req *req, const struct net_event *e, int tz)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "kind", e->kind);
	view_set_str(m, "kind_label", label_of(req, "admin.people.ev.", e->kind));
	view_set_str(m, "title", event_title(req, e));
	if (e->has_amount)
		view_set_int(m, "amount", e->amount);
	/* a stage change's reason may be an internal word ("created", a source) */
	view_set_str(m, "detail",
	             strcmp(e->kind, "stage") == 0 ? admin_source_label(req, e->detail)
	                                           : e->detail);
	view_set_str(m, "at", admin_time_fmt(req->arena, e->at, tz, ' '));
	view_set_int(m, "ref_id", e->ref_id);
	view_set_int(m, "other_id", e->other_id);
	return m;
}

static enum jm_rc set_timeline(struct req *req, struct view_val *ctx, int64_t id, int tz)
{
	struct net_event *ev = NULL;
	size_t n = 0;
	enum jm_rc rc = net_timeline(req->db, req->arena, id, TIMELINE_MAX, &ev, &n);
	if (rc)
		return rc;
	struct view_val *l = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = admin_person_event_val(req, &ev[i], tz);
		bool inter = strcmp(ev[i].kind, "interaction") == 0;
		view_set_bool(m, "deletable", inter && ev[i].ref_id);
		view_push(l, m);
	}
	view_set(ctx, "timeline", l);
	return JM_OK;
}

static void set_form_options(struct req *req, struct view_val *ctx, const struct form *f)
{
	static const char *const dirs[] = {"introduced_by", "introduced_me_to", "i_introduced"};
	const char *kind = f ? form_get(f, "kind") : NULL;
	const char *dir = f ? form_get(f, "direction") : NULL;
	struct view_val *kinds = view_list(req->arena);
	for (size_t i = 0; i < 9; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "value", net_interaction_kinds[i]);
		view_set_str(m, "label",
		             label_of(req, "admin.people.kind.", net_interaction_kinds[i]));
		view_set_bool(m, "selected", kind && strcmp(kind, net_interaction_kinds[i]) == 0);
		view_push(kinds, m);
	}
	view_set(ctx, "kinds", kinds);
	struct view_val *dl = view_list(req->arena);
	for (size_t i = 0; i < 3; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "value", dirs[i]);
		view_set_str(m, "label", label_of(req, "admin.people.dir.", dirs[i]));
		view_set_bool(m, "selected", dir && strcmp(dir, dirs[i]) == 0);
		view_push(dl, m);
	}
	view_set(ctx, "directions", dl);
}

/* The person page; which (may be NULL) names the form whose error err
 * holds, f what was typed into it. */
/* Renders the person page; after a form error, err's message beside that
 * form (which) with what was typed, and cands (may be NULL): the people a
 * name could mean, each a button that resubmits the form with its id. */
static void person_page_with(struct req *req, int64_t id, int status, const char *which,
                             const struct form *f, const struct jm_err *err, struct view_val *cands)
{
	struct net_person p;
	struct site_settings s;
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc = net_person_get(req->db, req->arena, id, &p);
	if (!admin_check(req, rc, "net_person_get"))
		return;
	struct view_val *ctx = admin_ctx(req, "people");
	set_basics(req, ctx, &p, s.tz_offset_min);
	rc = set_notes(req, ctx, &p);
	rc = rc ? rc : set_history(req, ctx, id, s.tz_offset_min);
	rc = rc ? rc : set_score(req, ctx, &p);
	rc = rc ? rc : set_timeline(req, ctx, id, s.tz_offset_min);
	if (rc) {
		admin_fail(req, "person page", rc);
		return;
	}
	set_subs(req, ctx, id);
	int64_t me = 0;
	view_set_bool(ctx, "is_me", net_owner_person(req->db, &me) == JM_OK && me == id);
	set_form_options(req, ctx, f);
	if (which && err && err->msg[0]) {
		struct view_val *errors = view_map(req->arena);
		view_set_str(errors, which, arena_strdup(req->arena, err->msg));
		view_set(ctx, "errors", errors);
		struct view_val *fv = view_map(req->arena);
		for (size_t i = 0; f && i < f->n; i++)
			view_set_str(fv, f->keys[i], f->vals[i]);
		view_set(ctx, arena_sprintf(req->arena, "fv_%s", which), fv);
		if (cands)
			view_set(ctx, arena_sprintf(req->arena, "cands_%s", which), cands);
	}
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, status, "admin/person.html", ctx);
}

static void person_page(struct req *req, int64_t id, int status, const char *which,
                        const struct form *f, const struct jm_err *err)
{
	person_page_with(req, id, status, which, f, err, NULL);
}

static void admin_person_get(struct req *req)
{
	int64_t id;
	if (admin_param_id(req, &id))
		person_page(req, id, 200, NULL, NULL, NULL);
}

static void done(struct req *req, int64_t id, const char *word)
{
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/people/%lld?done=%s", (long long)id, word));
}

/* Answers a domain result of one of the page's forms: 303 back on success,
 * the page with 422 (409 for conflict) and the message on bad input. */
static void answer(struct req *req, int64_t id, enum jm_rc rc, const char *which,
                   const struct form *f, struct jm_err *err, const char *word)
{
	if (rc == JM_OK) {
		done(req, id, word);
		return;
	}
	if (rc == JM_INVALID || rc == JM_TOO_LARGE || rc == JM_CONFLICT ||
	    (rc == JM_NOT_FOUND && err->field[0])) {
		char fb[64];
		snprintf(fb, sizeof(fb), "admin.people.err_%s", which);
		admin_err_localize(req, err, "admin.people.invalid.", fb);
		/* a form naming a missing person is bad input, not a missing page */
		person_page(req, id, rc == JM_NOT_FOUND ? 422 : http_status_for(rc), which, f, err);
		return;
	}
	admin_check(req, rc, which);
}

/* Form error the handler found itself (before the domain). */
static void reject(struct req *req, int64_t id, const char *which, const struct form *f,
                   const char *field, const char *key)
{
	struct jm_err err = {0};
	jm_err_set(&err, field, "%s", admin_t(req, key));
	person_page(req, id, 422, which, f, &err);
}

/* ---- edit ---- */

static void admin_person_edit(struct req *req)
{
	struct net_person p;
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	enum jm_rc rc = net_person_get(req->db, req->arena, id, &p);
	if (admin_check(req, rc, "net_person_get"))
		admin_people_form_page(req, 200, id, NULL, &p, NULL);
}

static void admin_person_update(struct req *req)
{
	struct form f;
	struct net_person_input in;
	struct jm_err err = {0};
	int64_t id;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	if (!admin_people_read_form(req, &f, false, &in, &err)) {
		admin_people_form_page(req, 422, id, &f, NULL, &err);
		return;
	}
	enum jm_rc rc = net_person_update(req->db, id, &in, jm_now(), &err);
	if (rc == JM_CONFLICT) {
		jm_err_set(&err, "email", "%s", admin_t(req, "admin.people.err_email_taken"));
		admin_people_form_page(req, 409, id, &f, NULL, &err);
		return;
	}
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		admin_err_localize(req, &err, "admin.people.invalid.", "admin.err.invalid");
		admin_people_form_page(req, 422, id, &f, NULL, &err);
		return;
	}
	if (admin_check(req, rc, "net_person_update"))
		done(req, id, "saved");
}

/* ---- stage and flags ---- */

static void admin_person_stage(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	const char *stage = form_get(&f, "stage");
	const char *reason = form_get(&f, "reason");
	if (!net_stage_valid(stage)) {
		reject(req, id, "stage", &f, "stage", "admin.people.err_stage");
		return;
	}
	enum jm_rc rc =
	        net_person_set_stage(req->db, id, stage, reason ? reason : "", jm_now(), &err);
	answer(req, id, rc, "stage", &f, &err, "stage");
}

static void admin_person_flag(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	const char *flag = form_get(&f, "flag");
	const char *on = form_get(&f, "on");
	if (!flag || (strcmp(flag, "freeloader") != 0 && strcmp(flag, "blocked") != 0) || !on ||
	    (strcmp(on, "1") != 0 && strcmp(on, "0") != 0)) {
		reject(req, id, "flag", &f, "flag", "admin.people.err_flag");
		return;
	}
	enum jm_rc rc = net_person_set_flag(req->db, id, flag, on[0] == '1', jm_now(), &err);
	answer(req, id, rc, "flag", &f, &err, "flag");
}

/* ---- interactions ---- */

/* "YYYY-MM-DD" in the site's zone: today → now (keeps the timeline's
 * order), another day → its noon; "" → now. */
static bool parse_day(const char *s, int tz, int64_t now, int64_t *out)
{
	char today[16], buf[32];
	if (!s || !*s) {
		*out = now;
		return true;
	}
	jm_time_day(now + (int64_t)tz * 60, today);
	if (strlen(s) != 10)
		return false;
	if (strcmp(s, today) == 0) {
		*out = now;
		return true;
	}
	snprintf(buf, sizeof(buf), "%s 12:00", s);
	return jm_time_parse(buf, tz, out) == JM_OK;
}

/* "¥12,000", "12000円", "12000" → 12000; "" → no amount. */
static bool parse_amount(const char *s, bool *has, int64_t *out)
{
	static const char *const skip[] = {",", " ", "¥", "￥", "円", "，"};
	char digits[AMOUNT_DIGITS + 1];
	size_t n = 0;
	while (s && *s) {
		size_t k = 0;
		for (size_t i = 0; !k && i < sizeof(skip) / sizeof(skip[0]); i++)
			if (strncmp(s, skip[i], strlen(skip[i])) == 0)
				k = strlen(skip[i]);
		if (k) {
			s += k;
			continue;
		}
		if (*s < '0' || *s > '9' || n == AMOUNT_DIGITS)
			return false;
		digits[n++] = *s++;
	}
	digits[n] = '\0';
	*has = n > 0;
	return n == 0 || admin_nl_int(digits, out);
}

static void admin_person_interaction_add(struct req *req)
{
	struct form f;
	struct site_settings s;
	struct jm_err err = {0};
	struct net_interaction in = {0};
	int64_t id, iid = 0, now = jm_now();
	if (!admin_param_id(req, &id) || !admin_form(req, &f) || !admin_settings(req, &s))
		return;
	in.person_id = id;
	in.kind = form_get(&f, "kind");
	in.note = form_get(&f, "note") ? form_get(&f, "note") : "";
	if (!net_interaction_kind_valid(in.kind)) {
		reject(req, id, "interaction", &f, "kind", "admin.people.invalid.kind");
		return;
	}
	if (!parse_day(form_get(&f, "date"), s.tz_offset_min, now, &in.happened_at)) {
		reject(req, id, "interaction", &f, "date", "admin.people.err_date");
		return;
	}
	if (!parse_amount(form_get(&f, "amount"), &in.has_amount, &in.amount)) {
		reject(req, id, "interaction", &f, "amount", "admin.people.invalid.amount");
		return;
	}
	enum jm_rc rc = net_interaction_add(req->db, &in, now, &iid, &err);
	answer(req, id, rc, "interaction", &f, &err, "interaction");
}

static void admin_person_interaction_delete(struct req *req)
{
	int64_t id, iid;
	const char *p = req_param(req, "iid");
	if (!admin_param_id(req, &id))
		return;
	if (!p || !admin_nl_int(p, &iid) || iid <= 0) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	enum jm_rc rc = net_interaction_delete(req->db, id, iid);
	if (admin_check(req, rc, "net_interaction_delete"))
		done(req, id, "interaction_deleted");
}

/* ---- introductions ---- */

static void admin_person_intro_add(struct req *req)
{
	struct form f;
	struct site_settings s;
	struct jm_err err = {0};
	struct net_intro in = {0};
	int64_t id, other = 0, iid = 0, now = jm_now();
	if (!admin_param_id(req, &id) || !admin_form(req, &f) || !admin_settings(req, &s))
		return;
	const char *dir = form_get(&f, "direction");
	struct view_val *cands = NULL;
	if (!admin_people_resolve(req, &f, "other", &other, &err, &cands)) {
		person_page_with(req, id, 422, "intro", &f, &err, cands);
		return;
	}
	if (dir && strcmp(dir, "introduced_by") == 0) {
		in.introducer_id = other;
		in.person_id = id;
	} else if (dir && strcmp(dir, "introduced_me_to") == 0) {
		in.introducer_id = id;
		in.person_id = other;
	} else if (dir && strcmp(dir, "i_introduced") == 0) {
		in.person_id = id;
		in.to_id = other;
	} else {
		reject(req, id, "intro", &f, "direction", "admin.people.invalid.direction");
		return;
	}
	if (other == id) {
		reject(req, id, "intro", &f, "other", "admin.people.err_self");
		return;
	}
	if (!parse_day(form_get(&f, "date"), s.tz_offset_min, now, &in.happened_at)) {
		reject(req, id, "intro", &f, "date", "admin.people.err_date");
		return;
	}
	in.note = form_get(&f, "note") ? form_get(&f, "note") : "";
	enum jm_rc rc = net_intro_add(req->db, &in, now, &iid, &err);
	if (rc == JM_NOT_FOUND && !err.field[0])
		jm_err_set(&err, "other", "not found");
	answer(req, id, rc, "intro", &f, &err, "intro");
}

/* ---- merge and erase ---- */

static bool confirmed(const struct form *f)
{
	const char *c = form_get(f, "confirm");
	return c && *c && strcmp(c, "0") != 0;
}

static void admin_person_merge(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	int64_t id, other = 0;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	struct view_val *cands = NULL;
	if (!admin_people_resolve(req, &f, "other", &other, &err, &cands)) {
		person_page_with(req, id, 422, "merge", &f, &err, cands);
		return;
	}
	if (other == id) {
		reject(req, id, "merge", &f, "other", "admin.people.err_self");
		return;
	}
	if (!confirmed(&f)) {
		reject(req, id, "merge", &f, "confirm", "admin.people.err_confirm");
		return;
	}
	enum jm_rc rc = net_person_merge(req->db, id, other, jm_now(), &err);
	if (rc == JM_NOT_FOUND)
		jm_err_set(&err, "other", "%s", admin_t(req, "admin.people.err_no_such_person"));
	const char *back = form_get(&f, "back");
	if (rc == JM_OK && back && strcmp(back, "/admin/people/duplicates") == 0) {
		http_redirect(req, 303, "/admin/people/duplicates?done=merged");
		return;
	}
	answer(req, id, rc, "merge", &f, &err, "merged");
}

static void admin_person_delete(struct req *req)
{
	struct form f;
	int64_t id;
	if (!admin_param_id(req, &id) || !admin_form(req, &f))
		return;
	if (!confirmed(&f)) {
		reject(req, id, "delete", &f, "confirm", "admin.people.err_confirm");
		return;
	}
	enum jm_rc rc = net_person_delete(req->db, id);
	if (admin_check(req, rc, "net_person_delete"))
		http_redirect(req, 303, "/admin/people?done=deleted");
}

void admin_person_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/people/{id}", admin_person_get, adm);
	router_add(r, "GET", "/admin/people/{id}/edit", admin_person_edit, adm);
	router_add(r, "POST", "/admin/people/{id}", admin_person_update, adm);
	router_add(r, "POST", "/admin/people/{id}/stage", admin_person_stage, adm);
	router_add(r, "POST", "/admin/people/{id}/flag", admin_person_flag, adm);
	router_add(r, "POST", "/admin/people/{id}/interactions", admin_person_interaction_add, adm);
	router_add(r, "POST", "/admin/people/{id}/interactions/{iid}/delete",
	           admin_person_interaction_delete, adm);
	router_add(r, "POST", "/admin/people/{id}/introductions", admin_person_intro_add, adm);
	router_add(r, "POST", "/admin/people/{id}/merge", admin_person_merge, adm);
	router_add(r, "POST", "/admin/people/{id}/delete", admin_person_delete, adm);
}
