/*
 * newsletter_broadcasts.c — broadcasts in the admin (配信): the list with
 * status and counts, the composer (list, subject, Markdown body with merge
 * fields, audience by tags and custom-field conditions, public back number),
 * server-rendered HTML and plain-text previews with merge fallbacks, a test
 * send, send now or schedule (datetime-local in the site's zone), and the
 * progress page with pause / resume / cancel whose counts admin.js polls
 * from GET /admin/broadcasts/{id}/status (JSON).
 *
 * The composer posts one form whose button says what to do: action=save,
 * preview, test, send or schedule (like the article editor). Sending is
 * refused by the domain while the sender settings (特定電子メール法: name,
 * postal address, contact) are empty; the page then says so with a link to
 * the settings. A draft is stored before it is tested or sent, so what was
 * typed is never lost; a draft is also autosaved while it is typed, and
 * leaving with unsaved changes warns (static/editor.js, the article
 * editor's mechanism: the form posted with autosave=1, answered in JSON).
 */
#include <jansson.h>

#include "admin/admin_int.h"

#include "app.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define BC_PER_PAGE 20
#define BC_CONDS    3  /* custom-field condition rows in the form */
#define BC_TAGS_MAX 50 /* tags in one include/exclude box */
#define BC_PREVIEW  (4u << 20)

static struct view_val *bc_row(struct req *req, const struct nl_broadcast *b,
                               const struct nl_list *lists, size_t nlists, int tz)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", b->id);
	view_set_str(m, "subject", b->subject);
	view_set_str(m, "status", b->status);
	for (size_t i = 0; i < nlists; i++)
		if (lists[i].id == b->list_id)
			view_set_str(m, "list", lists[i].name);
	view_set_int(m, "total", b->total);
	view_set_int(m, "sent", b->sent);
	view_set_int(m, "failed", b->failed);
	view_set_str(m, "created_at", admin_time_fmt(req->arena, b->created_at, tz, ' '));
	view_set_str(m, "started_at", admin_time_fmt(req->arena, b->started_at, tz, ' '));
	view_set_str(m, "scheduled_at", admin_time_fmt(req->arena, b->scheduled_at, tz, ' '));
	return m;
}

static void bc_list(struct req *req)
{
	struct nl_broadcast *items = NULL;
	struct nl_list *lists = NULL;
	struct site_settings s;
	struct form q;
	struct jm_err err = {0};
	size_t n = 0, nlists = 0;
	int64_t total = 0, page = 1;
	if (http_req_query(req, &q, &err) != JM_OK || !admin_nl_int(form_get(&q, "page"), &page) ||
	    page < 1 || page > 1000000)
		page = 1;
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc =
	        nl_broadcast_list(req->db, req->arena, (int)page, BC_PER_PAGE, &items, &n, &total);
	rc = rc ? rc : nl_list_all(req->db, req->arena, &lists, &nlists);
	if (rc) {
		admin_fail(req, "nl_broadcast_list", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "broadcasts");
	struct view_val *rows = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(rows, bc_row(req, &items[i], lists, nlists, s.tz_offset_min));
	view_set(ctx, "broadcasts", rows);
	int64_t pages = (total + BC_PER_PAGE - 1) / BC_PER_PAGE;
	view_set_int(ctx, "page", page);
	view_set_int(ctx, "pages", pages ? pages : 1);
	if (page > 1)
		view_set_int(ctx, "prev_page", page - 1);
	if (page < pages)
		view_set_int(ctx, "next_page", page + 1);
	view_set_bool(ctx, "has_lists", nlists > 0);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, 200, "admin/nl_broadcasts.html", ctx);
}

/* ---- audience JSON <-> form ---- */

/* Splits "a, b、c" into a JSON array of trimmed tags. */
static json_t *tags_json(const char *s)
{
	json_t *arr = json_array();
	while (s && *s && json_array_size(arr) <= BC_TAGS_MAX) {
		size_t len = 0, skip = 0;
		while (s[len] && s[len] != ',' && strncmp(s + len, "\xe3\x80\x81", 3) != 0)
			len++;
		skip = s[len] == ',' ? 1 : s[len] ? 3 : 0;
		size_t b = 0, e = len;
		while (b < e && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (e > b)
			json_array_append_new(arr, json_stringn(s + b, e - b));
		s += len + skip;
	}
	return arr;
}

/* The audience JSON of the form (arena string); NULL when the form is
 * not UTF-8 enough for jansson (the domain rejects bad input anyway). */
static const char *audience_from_form(struct req *req, const struct form *f)
{
	json_t *root = json_object();
	json_t *fields = json_array();
	json_object_set_new(root, "tags_any", tags_json(form_get(f, "tags_any")));
	json_object_set_new(root, "tags_none", tags_json(form_get(f, "tags_none")));
	for (int i = 0; i < BC_CONDS; i++) {
		const char *k = form_get(f, arena_sprintf(req->arena, "cond%d_key", i));
		const char *op = form_get(f, arena_sprintf(req->arena, "cond%d_op", i));
		const char *v = form_get(f, arena_sprintf(req->arena, "cond%d_val", i));
		if (!k || !*k)
			continue;
		json_array_append_new(fields, json_pack("{s:s, s:s, s:s}", "key", k, "op",
		                                        op && strcmp(op, "ne") == 0 ? "ne" : "eq",
		                                        "value", v ? v : ""));
	}
	json_object_set_new(root, "fields", fields);
	char *s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	const char *out = s ? arena_strdup(req->arena, s) : NULL;
	free(s);
	return out;
}

/* Fills the form values v (tags_any, tags_none, condN_*) from stored JSON. */
static void audience_to_values(struct req *req, const char *audience, struct view_val *v)
{
	json_t *j = json_loads(audience ? audience : "{}", 0, NULL);
	static const char *const keys[] = {"tags_any", "tags_none"};
	for (size_t k = 0; k < 2; k++) {
		struct buf b;
		buf_init(&b, 0);
		size_t i;
		json_t *t;
		json_array_foreach(json_object_get(j, keys[k]), i,
		                   t) if (json_is_string(t) &&
		                          buf_appendf(&b, "%s%s", i ? ", " : "",
		                                      json_string_value(t)) != JM_OK) break;
		view_set_str(v, keys[k], arena_strdup(req->arena, buf_cstr(&b)));
		buf_free(&b);
	}
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(j, "fields"), i, c)
	{
		if (i >= BC_CONDS)
			break;
		const char *names[] = {"key", "op", "value"}, *suffix[] = {"key", "op", "val"};
		for (size_t x = 0; x < 3; x++) {
			const char *s = json_string_value(json_object_get(c, names[x]));
			view_set_str(v, arena_sprintf(req->arena, "cond%zu_%s", i, suffix[x]),
			             arena_strdup(req->arena, s ? s : ""));
		}
	}
	json_decref(j);
}

/* ---- previews ---- */

static const char *no_values(const char *key, void *user)
{
	(void)key;
	(void)user;
	return NULL; /* every merge field shows its fallback */
}

/* The HTML and plain-text previews of body (arena strings). */
static enum jm_rc render_preview(struct req *req, const char *body, const char **html,
                                 const char **text)
{
	struct buf md, out;
	buf_init(&md, BC_PREVIEW);
	buf_init(&out, BC_PREVIEW);
	size_t len = body ? strlen(body) : 0;
	enum jm_rc rc = site_markdown(body ? body : "", len, false, &md);
	rc = rc ? rc : nl_merge(buf_cstr(&md), md.len, no_values, NULL, true, &out);
	if (!rc)
		*html = arena_strndup(req->arena, buf_cstr(&out), out.len);
	buf_reset(&out);
	rc = rc ? rc : nl_merge(body ? body : "", len, no_values, NULL, false, &out);
	if (!rc)
		*text = arena_strndup(req->arena, buf_cstr(&out), out.len);
	buf_free(&md);
	buf_free(&out);
	return rc;
}

/* POST /admin/broadcasts/preview: {"html": …, "text": …} for admin.js. */
static void bc_preview_post(struct req *req)
{
	struct form f;
	const char *html = "", *text = "";
	if (!admin_form(req, &f))
		return;
	enum jm_rc rc = render_preview(req, form_get(&f, "body"), &html, &text);
	if (rc == JM_TOO_LARGE) {
		http_send_text(req, 413, "too large");
		return;
	}
	if (rc) {
		admin_fail(req, "preview", rc);
		return;
	}
	json_t *j = json_pack("{s:s, s:s}", "html", html, "text", text);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		admin_fail(req, "json", JM_INVALID);
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_send(req, 200, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

/* ---- the composer ---- */

/* Merge-field help: name, email and the list's custom fields. */
static struct view_val *merge_help(struct req *req, int64_t list_id)
{
	struct view_val *l = view_list(req->arena);
	struct nl_list list;
	if (!list_id || nl_list_get(req->db, req->arena, list_id, &list) != JM_OK)
		return l;
	for (size_t i = 0; i < list.nfields; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "key", list.fields[i].key);
		view_set_str(m, "label", list.fields[i].label);
		view_set_str(m, "tag", arena_sprintf(req->arena, "{{%s|}}", list.fields[i].key));
		view_push(l, m);
	}
	return l;
}

static struct view_val *values_from_bc(struct req *req, const struct nl_broadcast *b, int tz)
{
	struct view_val *v = view_map(req->arena);
	view_set_int(v, "list", b->list_id);
	view_set_str(v, "subject", b->subject);
	view_set_str(v, "body", b->body_md);
	view_set_bool(v, "public", b->public_);
	view_set_str(v, "slug", b->slug);
	view_set_str(v, "scheduled_at", admin_time_fmt(req->arena, b->scheduled_at, tz, 'T'));
	audience_to_values(req, b->audience, v);
	return v;
}

static struct view_val *values_from_form(struct req *req, const struct form *f)
{
	static const char *const keys[] = {"subject",  "body",      "slug",   "scheduled_at",
	                                   "tags_any", "tags_none", "test_to"};
	struct view_val *v = view_map(req->arena);
	int64_t list = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		view_set_str(v, keys[i], form_get(f, keys[i]) ? form_get(f, keys[i]) : "");
	for (int i = 0; i < BC_CONDS; i++) {
		const char *suffix[] = {"key", "op", "val"};
		for (size_t x = 0; x < 3; x++) {
			const char *k = arena_sprintf(req->arena, "cond%d_%s", i, suffix[x]);
			view_set_str(v, k, form_get(f, k) ? form_get(f, k) : "");
		}
	}
	if (admin_nl_int(form_get(f, "list"), &list))
		view_set_int(v, "list", list);
	view_set_bool(v, "public", form_get(f, "public") != NULL);
	return v;
}

struct composer {
	int64_t id;
	const struct nl_broadcast *cur; /* stored broadcast, NULL when new */
	const struct form *f;           /* typed values after an error/preview */
	const struct jm_err *err;
	bool preview;
};

/* The field of condition i as typed (after an error) or as stored. */
static const char *cond_key(struct req *req, const struct composer *c, int i)
{
	if (c->f)
		return form_get(c->f, arena_sprintf(req->arena, "cond%d_key", i));
	if (!c->cur || !c->cur->audience)
		return NULL;
	json_t *j = json_loads(c->cur->audience, 0, NULL);
	const char *k = json_string_value(
	        json_object_get(json_array_get(json_object_get(j, "fields"), (size_t)i), "key"));
	const char *out = k ? arena_strdup(req->arena, k) : NULL;
	json_decref(j);
	return out;
}

static void composer_render(struct req *req, int status, const struct composer *c)
{
	struct site_settings s;
	int64_t first = 0;
	if (!admin_settings(req, &s))
		return;
	struct view_val *ctx = admin_ctx(req, "broadcasts");
	struct view_val *v = c->f     ? values_from_form(req, c->f)
	                     : c->cur ? values_from_bc(req, c->cur, s.tz_offset_min)
	                              : view_map(req->arena);
	int64_t list = c->cur ? c->cur->list_id : 0;
	if (c->f && !admin_nl_int(form_get(c->f, "list"), &list))
		list = 0;
	view_set(ctx, "lists", admin_nl_list_options(req, list, &first));
	view_set(ctx, "merge_fields", merge_help(req, list ? list : first));
	for (int i = 0; i < BC_CONDS; i++) /* each condition's field as a select */
		view_set(ctx, arena_sprintf(req->arena, "cf%d", i),
		         admin_field_options(req, 0, cond_key(req, c, i)));
	/* Written here: "{{" in a template would be a template tag. */
	view_set_str(ctx, "mf_name", admin_t(req, "admin.nl.mf_name_example"));
	view_set_str(ctx, "mf_email", "{{email}}");
	view_set(ctx, "v", v);
	view_set_int(ctx, "id", c->id);
	view_set_bool(ctx, "is_new", c->id == 0);
	view_set_str(ctx, "state", c->cur ? c->cur->status : "draft");
	view_set_str(ctx, "action_url",
	             c->id ? arena_sprintf(req->arena, "/admin/broadcasts/%lld", (long long)c->id)
	                   : "/admin/broadcasts");
	view_set_str(ctx, "flash", admin_nl_flash(req));
	const char *body = c->f ? form_get(c->f, "body") : c->cur ? c->cur->body_md : "";
	const char *html = NULL, *text = NULL;
	if ((c->preview || (body && *body)) && render_preview(req, body, &html, &text) == JM_OK) {
		view_set_html(ctx, "preview_html", html, strlen(html));
		view_set_str(ctx, "preview_text", text);
	}
	if (c->err && c->err->msg[0]) {
		view_set_str(ctx, "error", arena_strdup(req->arena, c->err->msg));
		view_set_str(ctx, "error_field", arena_strdup(req->arena, c->err->field));
		view_set_bool(ctx, "error_settings", strcmp(c->err->field, "settings") == 0);
	}
	admin_render(req, status, "admin/nl_compose.html", ctx);
}

/* The settings nl_broadcast_send named as missing ("…: key, key"), as
 * their labels: 「発行者の住所」「発行者の連絡先」. */
static const char *missing_labels(struct req *req, const char *msg)
{
	const char *p = strstr(msg, ": ");
	struct buf b = BUF_INIT;
	for (p = p ? p + 2 : ""; *p;) {
		size_t n = strcspn(p, ", ");
		char key[80];
		snprintf(key, sizeof(key), "setting.%.*s", (int)n, p);
		const char *label = admin_t(req, key), *paren = strstr(label, " (");
		int ln = paren ? (int)(paren - label) : (int)strlen(label); /* without the hint */
		if (n && buf_appendf(&b, "「%.*s」", ln, label) != JM_OK)
			break;
		p += n + strspn(p + n, ", ");
	}
	const char *out = arena_strdup(req->arena, b.len ? b.ptr : "");
	buf_free(&b);
	return out;
}

static void bc_new(struct req *req)
{
	struct composer c = {0};
	composer_render(req, 200, &c);
}

/* ---- the progress page ---- */

static struct view_val *progress_map(struct req *req, const struct nl_broadcast *b)
{
	struct view_val *m = view_map(req->arena);
	int64_t done = b->sent + b->failed;
	int64_t pct = b->total > 0                     ? done * 100 / b->total
	              : strcmp(b->status, "sent") == 0 ? 100
	                                               : 0;
	view_set_int(m, "total", b->total);
	view_set_int(m, "sent", b->sent);
	view_set_int(m, "failed", b->failed);
	view_set_int(m, "queued", b->queued);
	view_set_int(m, "percent", pct > 100 ? 100 : pct);
	view_set_str(m, "rate", arena_sprintf(req->arena, "%.1f", b->rate));
	return m;
}

static void progress_render(struct req *req, const struct nl_broadcast *b)
{
	struct site_settings s;
	if (!admin_settings(req, &s))
		return;
	struct view_val *ctx = admin_ctx(req, "broadcasts");
	view_set_int(ctx, "id", b->id);
	view_set_str(ctx, "subject", b->subject);
	view_set_str(ctx, "state", b->status);
	struct view_val *bm = view_map(req->arena); /* for nl_bc_state.html */
	view_set_str(bm, "status", b->status);
	view_set(ctx, "b", bm);
	view_set_str(ctx, "slug", b->slug);
	view_set_bool(ctx, "public", b->public_);
	view_set(ctx, "p", progress_map(req, b));
	view_set_bool(ctx, "waiting", b->waiting != NULL); /* sender identity incomplete */
	view_set_str(ctx, "started_at",
	             admin_time_fmt(req->arena, b->started_at, s.tz_offset_min, ' '));
	view_set_str(ctx, "finished_at",
	             admin_time_fmt(req->arena, b->finished_at, s.tz_offset_min, ' '));
	view_set_str(ctx, "scheduled_at",
	             admin_time_fmt(req->arena, b->scheduled_at, s.tz_offset_min, ' '));
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, 200, "admin/nl_progress.html", ctx);
}

/* Loads broadcast id or answers 404/500. */
static bool load_bc(struct req *req, int64_t id, struct nl_broadcast *b)
{
	enum jm_rc rc = nl_broadcast_get(req->db, req->arena, id, b);
	return admin_check(req, rc, "nl_broadcast_get");
}

static void bc_get(struct req *req)
{
	struct nl_broadcast b;
	int64_t id;
	if (!admin_param_id(req, &id) || !load_bc(req, id, &b))
		return;
	if (strcmp(b.status, "draft") == 0) {
		struct composer c = {.id = id, .cur = &b};
		composer_render(req, 200, &c);
		return;
	}
	progress_render(req, &b);
}

static void bc_status(struct req *req)
{
	struct nl_broadcast b;
	int64_t id;
	if (!admin_param_id(req, &id) || !load_bc(req, id, &b))
		return;
	int64_t done = b.sent + b.failed;
	int64_t pct = b.total > 0 ? done * 100 / b.total : strcmp(b.status, "sent") == 0 ? 100 : 0;
	json_t *j = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:f}", "id", (json_int_t)b.id,
	                      "status", b.status, "total", (json_int_t)b.total, "sent",
	                      (json_int_t)b.sent, "failed", (json_int_t)b.failed, "queued",
	                      (json_int_t)b.queued, "percent", (json_int_t)(pct > 100 ? 100 : pct),
	                      "rate", b.rate);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		admin_fail(req, "json", JM_INVALID);
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_send(req, 200, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

/* ---- saving and sending ---- */

static bool input_from_form(struct req *req, const struct form *f, const struct site_settings *st,
                            struct nl_broadcast_input *in, struct jm_err *err)
{
	const char *act = form_get(f, "action");
	if (!admin_nl_int(form_get(f, "list"), &in->list_id) || in->list_id == 0) {
		jm_err_set(err, "list_id", "%s", admin_t(req, "admin.nl.err_list"));
		return false;
	}
	in->subject = form_get(f, "subject") ? form_get(f, "subject") : "";
	in->body_md = form_get(f, "body") ? form_get(f, "body") : "";
	in->slug = form_get(f, "slug");
	in->public_ = form_get(f, "public") != NULL;
	in->audience = audience_from_form(req, f);
	in->has_list = in->has_subject = in->has_body = in->has_public = true;
	in->has_audience = in->audience != NULL;
	in->has_slug = in->slug && *in->slug;
	in->has_scheduled_at = true;
	in->scheduled_at = 0;
	if (!act || strcmp(act, "schedule") != 0)
		return true;
	const char *when = form_get(f, "scheduled_at");
	if (site_time_parse(st, when, &in->scheduled_at) != JM_OK) {
		jm_err_set(err, "scheduled_at", "%s", admin_t(req, "admin.editor.err_when"));
		return false;
	}
	if (site_schedule_check(in->scheduled_at, jm_now(), "scheduled_at", err)) {
		jm_err_set(err, "scheduled_at", "%s", admin_t(req, "admin.editor.err_past"));
		return false;
	}
	return true;
}

/* After storing: test send, send/schedule, or just saved. */
static void after_store(struct req *req, struct composer *c, const char *act)
{
	struct jm_err err = {0};
	enum jm_rc rc = JM_OK;
	const char *done = "saved";
	if (strcmp(act, "test") == 0) {
		rc = nl_broadcast_test(req->db, c->id, form_get(c->f, "test_to"), &err);
		done = "test";
		if (rc == JM_INVALID)
			jm_err_set(&err, "test_to", "%s", admin_t(req, "admin.nl.err_test_to"));
	} else if (strcmp(act, "send") == 0 || strcmp(act, "schedule") == 0) {
		rc = nl_broadcast_send(req->db, c->id, jm_now(), &err);
		done = act[1] == 'e' ? "sent" : "scheduled";
		if (rc == JM_INVALID && strcmp(err.field, "settings") == 0)
			snprintf(err.msg, sizeof(err.msg), "%s %s",
			         admin_t(req, "admin.nl.err_sender_missing"),
			         missing_labels(req, err.msg));
		else if (rc == JM_INVALID || rc == JM_CONFLICT)
			admin_err_localize(req, &err, "admin.nl.invalid.", "admin.err.invalid");
	}
	if (rc == JM_INVALID || rc == JM_CONFLICT) {
		c->err = &err;
		composer_render(req, http_status_for(rc), c);
		return;
	}
	if (rc) {
		admin_fail(req, "nl_broadcast_send", rc);
		return;
	}
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/broadcasts/%lld?done=%s", (long long)c->id,
	                            done));
}

/* A refusal of the form: in JSON to an autosave, else the composer again. */
static void bc_refuse(struct req *req, int status, struct composer *c, const struct form *f)
{
	if (admin_autosave_asked(f))
		admin_autosave_error(req, status, c->err);
	else
		composer_render(req, status, c);
}

/* Autosave (static/editor.js, as the article editor) only keeps a draft:
 * a scheduled broadcast's edits would go out, and an action is never
 * autosaved. False after answering 409. */
static bool bc_autosave_allowed(struct req *req, const struct form *f,
                                const struct nl_broadcast *cur)
{
	if (!admin_autosave_asked(f) ||
	    (!form_get(f, "action") && (!cur || strcmp(cur->status, "draft") == 0)))
		return true;
	struct jm_err err = {0};
	jm_err_set(&err, "form", "%s", admin_t(req, "admin.nl.autosave_not_draft"));
	admin_autosave_error(req, 409, &err);
	return false;
}

static void bc_save(struct req *req, int64_t id)
{
	struct form f;
	struct site_settings s;
	struct nl_broadcast cur;
	struct nl_broadcast_input in = {0};
	struct jm_err err = {0};
	if (!admin_form(req, &f) || !admin_settings(req, &s))
		return;
	if (id && !load_bc(req, id, &cur))
		return;
	struct composer c = {.id = id, .cur = id ? &cur : NULL, .f = &f, .err = &err};
	const char *act = form_get(&f, "action") ? form_get(&f, "action") : "save";
	if (form_get(&f, "preview") || strcmp(act, "preview") == 0) {
		c.err = NULL;
		c.preview = true;
		composer_render(req, 200, &c);
		return;
	}
	if (!bc_autosave_allowed(req, &f, c.cur))
		return;
	if (!input_from_form(req, &f, &s, &in, &err)) {
		bc_refuse(req, 422, &c, &f);
		return;
	}
	enum jm_rc rc = id ? nl_broadcast_update(req->db, id, &in, &err)
	                   : nl_broadcast_create(req->db, &in, &c.id, &err);
	if (rc == JM_INVALID || rc == JM_CONFLICT || rc == JM_TOO_LARGE) {
		admin_err_localize(req, &err, "admin.nl.invalid.", "admin.err.invalid");
		bc_refuse(req, http_status_for(rc), &c, &f);
		return;
	}
	if (rc) {
		admin_fail(req, "nl_broadcast_save", rc);
		return;
	}
	if (admin_autosave_asked(&f))
		admin_autosave_ok(
		        req, arena_sprintf(req->arena, "/admin/broadcasts/%lld", (long long)c.id),
		        c.id);
	else
		after_store(req, &c, act);
}

static void bc_create(struct req *req)
{
	bc_save(req, 0);
}

static void bc_update(struct req *req)
{
	int64_t id;
	if (admin_param_id(req, &id))
		bc_save(req, id);
}

/* POST /admin/broadcasts/{id}/pause|resume|cancel */
static void bc_transition(struct req *req, enum jm_rc (*fn)(struct db *, int64_t), const char *w)
{
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	enum jm_rc rc = fn(req->db, id);
	if (rc == JM_NOT_FOUND) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	if (rc == JM_CONFLICT) {
		admin_error(req, 409, "admin.nl.err_state");
		return;
	}
	if (rc) {
		admin_fail(req, w, rc);
		return;
	}
	http_redirect(
	        req, 303,
	        arena_sprintf(req->arena, "/admin/broadcasts/%lld?done=%s", (long long)id, w));
}

static void bc_pause(struct req *req)
{
	bc_transition(req, nl_broadcast_pause, "paused");
}

static void bc_resume(struct req *req)
{
	bc_transition(req, nl_broadcast_resume, "resumed");
}

static void bc_cancel(struct req *req)
{
	bc_transition(req, nl_broadcast_cancel, "cancelled");
}

void admin_nl_broadcast_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/broadcasts", bc_list, adm);
	router_add(r, "GET", "/admin/broadcasts/new", bc_new, adm);
	router_add(r, "POST", "/admin/broadcasts", bc_create, adm);
	router_add(r, "POST", "/admin/broadcasts/preview", bc_preview_post, adm);
	router_add(r, "GET", "/admin/broadcasts/{id}", bc_get, adm);
	router_add(r, "POST", "/admin/broadcasts/{id}", bc_update, adm);
	router_add(r, "GET", "/admin/broadcasts/{id}/status", bc_status, adm);
	router_add(r, "POST", "/admin/broadcasts/{id}/pause", bc_pause, adm);
	router_add(r, "POST", "/admin/broadcasts/{id}/resume", bc_resume, adm);
	router_add(r, "POST", "/admin/broadcasts/{id}/cancel", bc_cancel, adm);
}
