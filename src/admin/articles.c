/*
 * articles.c — the article list, the editor (create, save, publish,
 * schedule, unpublish, delete) and the server-rendered Markdown preview.
 *
 * The editor posts one form whose submit button says what to do:
 * action=draft|publish|schedule|unpublish, or preview=1 to re-render the
 * editor with the preview below it (the no-JS path; admin.js posts the same
 * form to /admin/preview instead). Tags are typed comma-separated, with ","
 * or the Japanese "、". A scheduled time is typed in the site's zone
 * (tz_offset_min) through a datetime-local input.
 *
 * Invariants: validation errors re-render the form with what was typed,
 * the message next to the field and status 422 (409 for a taken slug);
 * nothing is stored then. The site domain's write functions invalidate
 * cached public pages (site_content_written).
 *
 * Raw HTML (allow_raw_html) is the owner's alone: a body is stored with
 * its writer's trust (article_input.html_trusted), an editor's renders in
 * cmark's safe mode everywhere, and every preview is a document of its own
 * in an <iframe sandbox> (no script, an opaque origin) under the admin's
 * CSP, so no article markup ever runs with the admin's rights.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "site/site.h"

#define LIST_PER_PAGE   20
#define TAGS_MAX_PARSED 64

/* Display state: draft, published (live) or scheduled (future date). */
static const char *article_state(const char *status, int64_t published_at, int64_t now)
{
	if (!status || strcmp(status, "published") != 0)
		return "draft";
	return published_at > now ? "scheduled" : "published";
}

/* ---- list ---- */

static struct view_val *list_row(struct req *req, const struct article *a, int tz, int64_t now)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "id", a->id);
	view_set_str(m, "title", a->title);
	view_set_str(m, "slug", a->slug);
	view_set_str(m, "state", article_state(a->status, a->published_at, now));
	view_set_str(m, "published_at", admin_time_fmt(req->arena, a->published_at, tz, ' '));
	view_set_str(m, "updated_at", admin_time_fmt(req->arena, a->updated_at, tz, ' '));
	return m;
}

/* Reads ?status= and ?page= (bad values fall back to all / 1). */
static void list_query(struct req *req, struct article_query *q, const char **flash)
{
	struct form f;
	struct jm_err err = {0};
	q->page = 1;
	q->per_page = LIST_PER_PAGE;
	if (http_req_query(req, &f, &err) != JM_OK)
		return;
	const char *st = form_get(&f, "status");
	if (st && (strcmp(st, "draft") == 0 || strcmp(st, "published") == 0))
		q->status = st;
	const char *pg = form_get(&f, "page");
	long v = 0;
	for (const char *p = pg; p && *p >= '0' && *p <= '9' && v < 1000000; p++)
		v = v * 10 + (*p - '0');
	if (v > 0)
		q->page = (int)v;
	if (form_get(&f, "deleted"))
		*flash = "deleted";
}

void admin_articles_list(struct req *req)
{
	struct article_query q = {0};
	struct site_settings s;
	struct article *items = NULL;
	size_t n = 0;
	int64_t total = 0, now = jm_now();
	const char *flash = NULL;
	list_query(req, &q, &flash);
	if (!admin_settings(req, &s))
		return;
	enum jm_rc rc = site_article_list(req->db, req->arena, &q, &items, &n, &total);
	if (rc) {
		admin_fail(req, "site_article_list", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "articles");
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(list, list_row(req, &items[i], s.tz_offset_min, now));
	int64_t pages = (total + LIST_PER_PAGE - 1) / LIST_PER_PAGE;
	view_set(ctx, "articles", list);
	view_set_str(ctx, "status", q.status ? q.status : "");
	view_set_int(ctx, "total", total);
	view_set_int(ctx, "page", q.page);
	view_set_int(ctx, "pages", pages ? pages : 1);
	if (q.page > 1)
		view_set_int(ctx, "prev_page", q.page - 1);
	if (q.page < pages)
		view_set_int(ctx, "next_page", q.page + 1);
	view_set_str(ctx, "flash", flash);
	admin_render(req, 200, "admin/articles.html", ctx);
}

/* ---- editor ---- */

/* Tags joined for the text input. */
static struct view_val *editor_ctx(struct req *req, int64_t id, const char *state)
{
	struct view_val *ctx = admin_ctx(req, "articles");
	view_set_int(ctx, "id", id);
	view_set_str(ctx, "action_url",
	             id ? arena_sprintf(req->arena, "/admin/articles/%lld", (long long)id)
	                : "/admin/articles");
	view_set_str(ctx, "state", state);
	view_set_bool(ctx, "is_new", id == 0);
	view_set_bool(ctx, "is_live", strcmp(state, "draft") != 0);
	view_set_bool(ctx, "autosave", strcmp(state, "draft") == 0);
	return ctx;
}

/* The form values of an article as stored. */
static struct view_val *values_from_article(struct req *req, const struct article *a, int tz)
{
	struct view_val *v = view_map(req->arena);
	view_set_str(v, "title", a->title);
	view_set_str(v, "slug", a->slug);
	view_set_str(v, "body", a->body_md);
	view_set_str(v, "excerpt", a->excerpt);
	view_set_str(v, "featured_image", a->featured_image);
	view_set_str(v, "tags", arena_join(req->arena, a->tags, a->ntags, ", "));
	view_set_str(v, "published_at", admin_time_fmt(req->arena, a->published_at, tz, 'T'));
	return v;
}

/* The form values as typed. */
static struct view_val *values_from_form(struct req *req, const struct form *f)
{
	static const char *const keys[] = {"title", "slug",         "body",          "excerpt",
	                                   "tags",  "published_at", "featured_image"};
	struct view_val *v = view_map(req->arena);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		view_set_str(v, keys[i], form_get(f, keys[i]) ? form_get(f, keys[i]) : "");
	return v;
}

/* The preview is a document of its own, shown in an <iframe sandbox>
 * (srcdoc) and served with a sandboxing CSP: whatever an article's HTML
 * holds runs nowhere near the admin's rights (issue 8, defect 8). */
#define PREVIEW_HEAD                                                                               \
	"<!doctype html><html><head><meta charset=\"utf-8\">"                                      \
	"<meta name=\"referrer\" content=\"no-referrer\">"                                         \
	"<link rel=\"stylesheet\" href=\"/static/site.css\"></head>"                               \
	"<body class=\"preview-doc\"><article class=\"prose\">"
#define PREVIEW_TAIL "</article></body></html>"
#define PREVIEW_CSP                                                                                \
	"sandbox; default-src 'none'; img-src 'self' data: https:; style-src 'self'; "             \
	"frame-ancestors 'self'; form-action 'none'; base-uri 'none'"

/* body as Markdown in a preview document, raw HTML only when raw. */
static enum jm_rc preview_doc(const char *body, bool raw, struct buf *out)
{
	enum jm_rc rc = buf_appends(out, PREVIEW_HEAD);
	if (!rc)
		rc = site_markdown(body ? body : "", body ? strlen(body) : 0, raw, out);
	if (!rc)
		rc = buf_appends(out, PREVIEW_TAIL);
	return rc;
}

/* Whether the signed-in writer's raw HTML may render: an editor's body is
 * previewed (and stored) as safe Markdown. */
static bool writer_raw_ok(struct req *req, const struct site_settings *s)
{
	return s->allow_raw_html && auth_user_is_owner(admin_user(req));
}

/* Puts the preview document of body into ctx.preview_doc (for srcdoc). */
static enum jm_rc add_preview(struct req *req, struct view_val *ctx, const char *body, bool raw)
{
	struct buf doc;
	buf_init(&doc, 5u << 20);
	enum jm_rc rc = preview_doc(body, raw, &doc);
	if (rc == JM_OK)
		view_set_str(ctx, "preview_doc",
		             arena_strndup(req->arena, buf_cstr(&doc), doc.len));
	view_set_bool(ctx, "has_preview", true);
	buf_free(&doc);
	return rc;
}

/* ctx.categories: every category (indented by depth) as a checkbox,
 * checked when its slug is in checked[0..n). */
static void add_categories(struct req *req, struct view_val *ctx, const char **checked, size_t n)
{
	struct category *cs = NULL;
	size_t nc = 0;
	if (site_category_list(req->db, req->arena, &cs, &nc) != JM_OK)
		nc = 0;
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < nc; i++) {
		struct view_val *m = view_map(req->arena);
		bool on = false;
		for (size_t j = 0; j < n && !on; j++)
			on = checked[j] && !strcmp(checked[j], cs[i].slug);
		view_set_str(m, "slug", cs[i].slug);
		view_set_str(m, "name", cs[i].name);
		view_set_str(m, "indent", admin_category_indent(cs[i].depth));
		view_set_bool(m, "checked", on);
		view_push(list, m);
	}
	view_set(ctx, "categories", list);
	view_set_bool(ctx, "has_categories", nc > 0);
}

void admin_article_new(struct req *req)
{
	struct view_val *ctx = editor_ctx(req, 0, "draft");
	view_set(ctx, "v", view_map(req->arena));
	add_categories(req, ctx, NULL, 0);
	admin_render(req, 200, "admin/editor.html", ctx);
}

/* Reads ?saved=ACTION for the flash message after a redirect. */
static const char *saved_flash(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	if (http_req_query(req, &f, &err) != JM_OK)
		return NULL;
	const char *s = form_get(&f, "saved");
	static const char *const ok[] = {"draft",   "publish", "schedule", "unpublish",
	                                 "created", "save",    "restored"};
	for (size_t i = 0; s && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(s, ok[i]) == 0)
			return ok[i];
	return NULL;
}

void admin_article_edit(struct req *req)
{
	struct article a;
	struct site_settings s;
	int64_t id;
	if (!admin_param_id(req, &id) || !admin_settings(req, &s))
		return;
	enum jm_rc rc = site_article_get(req->db, req->arena, id, &a);
	if (!admin_check(req, rc, "site_article_get"))
		return;
	struct view_val *ctx =
	        editor_ctx(req, id, article_state(a.status, a.published_at, jm_now()));
	view_set(ctx, "v", values_from_article(req, &a, s.tz_offset_min));
	const char **slugs = arena_alloc(req->arena, (a.ncategories + 1) * sizeof(char *));
	for (size_t i = 0; i < a.ncategories; i++)
		slugs[i] = a.categories[i].slug;
	add_categories(req, ctx, slugs, a.ncategories);
	view_set_str(ctx, "public_path", arena_sprintf(req->arena, "/articles/%s", a.slug));
	view_set_str(ctx, "flash", saved_flash(req));
	admin_editor_revisions(req, ctx, id, s.tz_offset_min);
	/* The preview pane shows the stored text at once, JS or not. */
	/* As the site shows it: raw HTML only in a body an owner wrote. */
	bool raw = s.allow_raw_html && a.html_trusted;
	if (a.body_md && *a.body_md && (rc = add_preview(req, ctx, a.body_md, raw))) {
		admin_fail(req, "site_markdown", rc);
		return;
	}
	admin_render(req, 200, "admin/editor.html", ctx);
}

/* ---- saving ---- */

/* Trims ASCII white space and the ideographic space U+3000 at both ends. */
static struct str trim(const char *p, size_t len)
{
	for (;;) {
		if (len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++, len--;
		else if (len >= 3 && memcmp(p, "\xe3\x80\x80", 3) == 0)
			p += 3, len -= 3;
		else
			break;
	}
	for (;;) {
		char c = len ? p[len - 1] : 0;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			len--;
		else if (len >= 3 && memcmp(p + len - 3, "\xe3\x80\x80", 3) == 0)
			len -= 3;
		else
			break;
	}
	return str_from(p, len);
}

/* Length of the next tag in s: up to "," or "、" or the end. */
static size_t tag_span(const char *s, size_t *delim)
{
	size_t i = 0;
	for (; s[i]; i++) {
		if (s[i] == ',') {
			*delim = 1;
			return i;
		}
		if (s[i] == '\xe3' && s[i + 1] == '\x80' && s[i + 2] == '\x81') {
			*delim = 3;
			return i;
		}
	}
	*delim = 0;
	return i;
}

/* Splits "a, b、c" into trimmed non-empty tags. */
static bool split_tags(struct arena *a, const char *s, struct article_input *in)
{
	const char **tags = arena_alloc(a, TAGS_MAX_PARSED * sizeof(char *));
	size_t n = 0, delim = 0;
	while (s && *s) {
		size_t len = tag_span(s, &delim);
		struct str t = trim(s, len);
		if (t.len) {
			if (n == TAGS_MAX_PARSED)
				return false;
			tags[n++] = arena_strndup(a, t.p, t.len);
		}
		s += len + delim;
	}
	in->tags = tags;
	in->ntags = n;
	in->has_tags = true;
	return true;
}

/* Sets status and published_at from the pressed button. cur is the stored
 * article (NULL for a new one). */
static bool apply_action(struct req *req, const struct form *f, const struct article *cur,
                         const struct site_settings *st, struct article_input *in,
                         struct jm_err *err)
{
	const char *act = form_get(f, "action");
	int64_t now = jm_now();
	if (!act || strcmp(act, "save") == 0) {
		/* A plain save (Enter in a field) keeps the status. */
		if (!cur)
			in->status = "draft", in->has_status = true;
		return true;
	}
	if (strcmp(act, "draft") == 0 || strcmp(act, "unpublish") == 0) {
		in->status = "draft";
		in->has_status = true;
		return true;
	}
	in->status = "published";
	in->has_status = in->has_published_at = true;
	if (strcmp(act, "publish") == 0) {
		bool live = cur && strcmp(cur->status, "published") == 0 && cur->published_at &&
		            cur->published_at <= now;
		in->published_at = live ? cur->published_at : now;
		return true;
	}
	const char *when = form_get(f, "published_at");
	if (strcmp(act, "schedule") != 0) {
		jm_err_set(err, "action", "%s", admin_t(req, "admin.err.bad_request"));
		return false;
	}
	if (site_time_parse(st, when, &in->published_at) != JM_OK) {
		jm_err_set(err, "published_at", "%s", admin_t(req, "admin.editor.err_when"));
		return false;
	}
	if (site_schedule_check(in->published_at, now, "published_at", err)) {
		jm_err_set(err, "published_at", "%s", admin_t(req, "admin.editor.err_past"));
		return false;
	}
	return true;
}

static bool input_from_form(struct req *req, const struct form *f, const struct article *cur,
                            const struct site_settings *st, struct article_input *in,
                            struct jm_err *err)
{
	in->title = form_get(f, "title");
	in->has_title = in->title != NULL;
	in->slug = form_get(f, "slug");
	in->has_slug = in->slug && *in->slug;
	if (!in->has_slug)
		in->slug = NULL;
	in->body_md = form_get(f, "body");
	in->has_body = in->body_md != NULL;
	in->excerpt = form_get(f, "excerpt");
	in->has_excerpt = in->excerpt != NULL;
	in->featured_image = form_get(f, "featured_image");
	in->has_featured_image = in->featured_image != NULL;
	if (!split_tags(req->arena, form_get(f, "tags"), in)) {
		jm_err_set(err, "tags", "%s", admin_t(req, "admin.editor.err_tags"));
		return false;
	}
	/* The checkboxes: none checked clears them (the hidden marker says the
	 * form had them). One past the maximum lets the domain refuse. */
	if (form_get(f, "categories_shown")) {
		in->categories =
		        arena_alloc(req->arena, (ARTICLE_CATEGORIES_MAX + 1) * sizeof(char *));
		in->ncategories =
		        form_get_all(f, "categories", in->categories, ARTICLE_CATEGORIES_MAX + 1);
		in->has_categories = true;
	}
	return apply_action(req, f, cur, st, in, err);
}

/* Re-renders the editor with what was typed, an error and/or a preview. */
static void editor_again(struct req *req, int status, int64_t id, const struct article *cur,
                         const struct form *f, const struct jm_err *err)
{
	const char *state = cur ? article_state(cur->status, cur->published_at, jm_now()) : "draft";
	struct view_val *ctx = editor_ctx(req, id, state);
	view_set(ctx, "v", values_from_form(req, f));
	const char *checked[ARTICLE_CATEGORIES_MAX + 1];
	add_categories(req, ctx, checked,
	               form_get_all(f, "categories", checked, ARTICLE_CATEGORIES_MAX + 1));
	if (cur)
		view_set_str(ctx, "public_path",
		             arena_sprintf(req->arena, "/articles/%s", cur->slug));
	if (err && err->msg[0]) {
		struct view_val *errors = view_map(req->arena);
		const char *field = err->field[0] ? err->field : "form";
		if (strcmp(field, "body_md") == 0)
			field = "body";
		view_set_str(errors, arena_strdup(req->arena, field),
		             arena_strdup(req->arena, err->msg));
		view_set(ctx, "errors", errors);
		view_set_str(ctx, "error", arena_strdup(req->arena, err->msg));
	}
	if (status == 200) {
		struct site_settings s;
		if (!admin_settings(req, &s))
			return;
		enum jm_rc rc = add_preview(req, ctx, form_get(f, "body"), writer_raw_ok(req, &s));
		if (rc) {
			admin_fail(req, "site_markdown", rc);
			return;
		}
	}
	admin_render(req, status, "admin/editor.html", ctx);
}

/* ---- autosave (static/editor.js; admin_autosave_* in render.c) ----
 * It never publishes: no action is sent, so the status is kept (a new
 * article is a draft), and an article that is live or scheduled is not
 * autosaved at all (409): its edits would go public at once. */

/* Stores the article (id 0 = create) and answers. */
static void store(struct req *req, int64_t id, const struct article *cur, const struct form *f,
                  const struct article_input *in)
{
	struct jm_err err = {0};
	const struct auth_user *u = admin_user(req);
	int64_t new_id = id;
	enum jm_rc rc = id ? site_article_update(req->db, id, in, &err)
	                   : site_article_create(req->db, in, u ? u->id : 0, &new_id, &err);
	if (rc == JM_INVALID || rc == JM_CONFLICT || rc == JM_TOO_LARGE) {
		if (rc == JM_CONFLICT)
			jm_err_set(&err, "slug", "%s", admin_t(req, "admin.editor.err_slug_taken"));
		else
			admin_err_localize(req, &err, "admin.invalid.", "admin.err.invalid");
		if (admin_autosave_asked(f))
			admin_autosave_error(req, http_status_for(rc), &err);
		else
			editor_again(req, http_status_for(rc), id, cur, f, &err);
		return;
	}
	if (!admin_check(req, rc, "site_article_save"))
		return;
	if (admin_autosave_asked(f)) {
		admin_autosave_ok(
		        req, arena_sprintf(req->arena, "/admin/articles/%lld", (long long)new_id),
		        new_id);
		return;
	}
	const char *act = form_get(f, "action");
	const char *flash = !act ? "save" : act;
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/articles/%lld?saved=%s", (long long)new_id,
	                            flash));
}

/* POST /admin/articles and /admin/articles/{id}. */
static void save(struct req *req, int64_t id)
{
	struct form f;
	struct site_settings s;
	struct article cur, *curp = NULL;
	struct article_input in = {0};
	struct jm_err err = {0};
	if (!admin_form(req, &f) || !admin_settings(req, &s))
		return;
	if (id) {
		enum jm_rc rc = site_article_get(req->db, req->arena, id, &cur);
		if (!admin_check(req, rc, "site_article_get"))
			return;
		curp = &cur;
	}
	if (form_get(&f, "preview")) {
		editor_again(req, 200, id, curp, &f, NULL);
		return;
	}
	bool autosave = admin_autosave_asked(&f);
	if (autosave && (form_get(&f, "action") ||
	                 (curp && strcmp(article_state(curp->status, curp->published_at, jm_now()),
	                                 "draft") != 0))) {
		jm_err_set(&err, "form", "%s", admin_t(req, "admin.editor.autosave_live"));
		admin_autosave_error(req, 409, &err);
		return;
	}
	if (!input_from_form(req, &f, curp, &s, &in, &err)) {
		if (autosave)
			admin_autosave_error(req, 422, &err);
		else
			editor_again(req, 422, id, curp, &f, &err);
		return;
	}
	in.html_trusted = auth_user_is_owner(admin_user(req));
	in.editor_id = admin_user(req) ? admin_user(req)->id : 0; /* names the revision */
	store(req, id, curp, &f, &in);
}

void admin_article_create(struct req *req)
{
	save(req, 0);
}

void admin_article_save(struct req *req)
{
	int64_t id;
	if (admin_param_id(req, &id))
		save(req, id);
}

void admin_article_delete(struct req *req)
{
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	enum jm_rc rc = site_article_delete(req->db, id);
	if (!admin_check(req, rc, "site_article_delete"))
		return;
	http_redirect(req, 303, "/admin/articles?deleted=1");
}

/* POST /admin/preview: the body field rendered as a preview document,
 * sandboxed by its own CSP (no script, an opaque origin) even when opened
 * on its own. */
void admin_preview_post(struct req *req)
{
	struct form f;
	struct site_settings s;
	if (!admin_form(req, &f) || !admin_settings(req, &s))
		return;
	const char *body = form_get(&f, "body");
	struct buf html;
	buf_init(&html, 5u << 20);
	enum jm_rc rc = preview_doc(body, writer_raw_ok(req, &s), &html);
	if (rc == JM_TOO_LARGE) {
		buf_free(&html);
		http_send_text(req, 413, "too large");
		return;
	}
	if (rc) {
		buf_free(&html);
		admin_fail(req, "site_markdown", rc);
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_header(req, "content-security-policy", PREVIEW_CSP);
	http_header(req, "x-frame-options", "SAMEORIGIN");
	http_send_buf(req, 200, "text/html; charset=utf-8", &html);
	buf_free(&html);
}
