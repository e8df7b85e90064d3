/*
 * newsletter_lists.c — the mail magazine's lists in the admin (配信リスト):
 * the list of lists with their counts, the create/edit form with the
 * custom sign-up fields, delete, the snippet for embedding the sign-up
 * form on other sites (web's embed.js), and the route table of every
 * mail-magazine page.
 *
 * Custom fields are edited without JavaScript: the form shows the stored
 * fields plus NL_BLANK_ROWS blank rows (f0_key, f0_label, f0_type,
 * f0_options, f0_required, f0_remove, …; nfields says how many rows); a row
 * with an empty key is ignored, a row with "remove" ticked is dropped.
 *
 * Invariants: fields are checked here before anything is stored, so a bad
 * field re-renders the form (422) and changes nothing; a taken slug is 409.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "newsletter/newsletter.h"
#include "site/site.h"
#include "web/web.h"

#define NL_BLANK_ROWS 3
#define NL_MAX_FIELDS 40
#define NL_MAX_OPTS   100

/* ---- helpers shared by the mail-magazine pages ---- */

bool admin_nl_int(const char *s, int64_t *out)
{
	int64_t v = 0;
	if (!s || !*s || strlen(s) > 15)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return true;
}

struct view_val *admin_nl_list_options(struct req *req, int64_t selected, int64_t *first_id)
{
	struct nl_list *lists = NULL;
	size_t n = 0;
	struct view_val *out = view_list(req->arena);
	if (first_id)
		*first_id = 0;
	if (nl_list_all(req->db, req->arena, &lists, &n) != JM_OK)
		return out;
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", lists[i].id);
		view_set_str(m, "name", lists[i].name);
		view_set_str(m, "slug", lists[i].slug);
		view_set_bool(m, "selected", lists[i].id == selected);
		view_push(out, m);
		if (first_id && i == 0)
			*first_id = lists[i].id;
	}
	return out;
}

const char *admin_nl_flash(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	if (http_req_query(req, &q, &err) != JM_OK)
		return NULL;
	const char *f = form_get(&q, "done");
	for (const char *p = f; p && *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return NULL;
	return f;
}

/* ---- the list of lists ---- */

static void admin_nl_lists_get(struct req *req)
{
	struct nl_list *lists = NULL;
	size_t n = 0;
	enum jm_rc rc = nl_list_all(req->db, req->arena, &lists, &n);
	if (rc) {
		admin_fail(req, "nl_list_all", rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "lists");
	struct view_val *items = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_int(m, "id", lists[i].id);
		view_set_str(m, "name", lists[i].name);
		view_set_str(m, "slug", lists[i].slug);
		view_set_bool(m, "public", lists[i].public_);
		view_set_bool(m, "double_optin", lists[i].double_optin);
		view_set_int(m, "active", lists[i].active);
		view_set_int(m, "pending", lists[i].pending);
		view_set_int(m, "unsubscribed", lists[i].unsubscribed);
		view_set_int(m, "bounced", lists[i].bounced);
		view_push(items, m);
	}
	view_set(ctx, "lists", items);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	admin_render(req, 200, "admin/nl_lists.html", ctx);
}

/* ---- the edit form ---- */

static struct view_val *field_row(struct req *req, int idx, const struct nl_field *f)
{
	struct view_val *m = view_map(req->arena);
	view_set_int(m, "i", idx);
	if (!f) {
		view_set_str(m, "type", "text");
		return m;
	}
	struct buf opts;
	buf_init(&opts, 0);
	for (size_t k = 0; k < f->noptions; k++)
		if (buf_appendf(&opts, "%s%s", k ? "\n" : "", f->options[k]) != JM_OK)
			break;
	view_set_str(m, "key", f->key);
	view_set_str(m, "label", f->label);
	view_set_str(m, "type", f->type);
	view_set_str(m, "options", arena_strdup(req->arena, buf_cstr(&opts)));
	view_set_bool(m, "required", f->required);
	view_set_str(m, "person", f->person ? f->person : "");
	buf_free(&opts);
	return m;
}

/* What to paste on another site: web's script, which writes the sign-up
 * form (with the signed render time the bot check wants) where it stands,
 * and a plain link for readers without JavaScript. A hand-made static
 * <form> would be refused by that check, so none is offered. */
static const char *embed_snippet(struct req *req, const struct nl_list *l)
{
	struct site_settings s;
	if (site_settings_load(req->db, req->arena, &s) != JM_OK)
		return "";
	const char *base =
	        site_base_url(req->arena, &s, req->app->cfg.base_url, req->app->cfg.listen);
	struct buf b;
	buf_init(&b, 1u << 16);
	enum jm_rc rc = buf_appendf(&b, "%s\n<noscript><a href=\"",
	                            web_signup_snippet(req->arena, base, l->slug));
	rc = rc ? rc : view_escape(&b, base, strlen(base));
	/* A slug may be Japanese (core/slug.c): percent-encoded. */
	rc = rc ? rc : buf_appends(&b, "/subscribe?list=");
	rc = rc ? rc : http_url_encode(&b, l->slug, strlen(l->slug));
	rc = rc ? rc
	        : buf_appendf(&b, "\">%s</a></noscript>\n",
	                      admin_t(req, "admin.nl.snippet_submit"));
	const char *out = rc ? "" : arena_strdup(req->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

static struct view_val *values_from_list(struct req *req, const struct nl_list *l)
{
	struct view_val *v = view_map(req->arena);
	view_set_str(v, "name", l->name);
	view_set_str(v, "slug", l->slug);
	view_set_str(v, "description", l->description);
	view_set_str(v, "charset", l->charset);
	view_set_str(v, "consent_text", l->consent_text);
	view_set_str(v, "welcome_subject", l->welcome_subject);
	view_set_str(v, "welcome_md", l->welcome_md);
	view_set_bool(v, "public", l->public_);
	view_set_bool(v, "double_optin", l->double_optin);
	return v;
}

static struct view_val *values_from_form(struct req *req, const struct form *f)
{
	static const char *const keys[] = {"name",      "slug",         "description",
	                                   "charset",   "consent_text", "welcome_subject",
	                                   "welcome_md"};
	struct view_val *v = view_map(req->arena);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		view_set_str(v, keys[i], form_get(f, keys[i]) ? form_get(f, keys[i]) : "");
	view_set_bool(v, "public", form_get(f, "public") != NULL);
	view_set_bool(v, "double_optin", form_get(f, "double_optin") != NULL);
	return v;
}

/* Renders the editor; l is the stored list (NULL when new), f the form as
 * typed after an error (NULL: values from l or defaults). */
static void list_form(struct req *req, int status, int64_t id, const struct nl_list *l,
                      const struct form *f, const struct nl_field *rows, size_t nrows,
                      const struct jm_err *err)
{
	struct view_val *ctx = admin_ctx(req, "lists");
	view_set_int(ctx, "id", id);
	view_set_bool(ctx, "is_new", id == 0);
	view_set_str(ctx, "action_url",
	             id ? arena_sprintf(req->arena, "/admin/lists/%lld", (long long)id)
	                : "/admin/lists");
	struct view_val *v = f ? values_from_form(req, f) : l ? values_from_list(req, l) : NULL;
	if (!v) {
		v = view_map(req->arena);
		view_set_bool(v, "double_optin", true);
		view_set_bool(v, "public", true);
		view_set_str(v, "charset", "utf-8");
		view_set_str(v, "consent_text", admin_t(req, "admin.nl.consent_default"));
	}
	view_set(ctx, "v", v);
	struct view_val *fl = view_list(req->arena);
	for (size_t i = 0; i < nrows; i++)
		view_push(fl, field_row(req, (int)i, &rows[i]));
	for (int i = 0; i < NL_BLANK_ROWS; i++)
		view_push(fl, field_row(req, (int)nrows + i, NULL));
	view_set(ctx, "fields", fl);
	view_set_int(ctx, "nfields", (int64_t)nrows + NL_BLANK_ROWS);
	if (l && !f)
		view_set_str(ctx, "snippet", embed_snippet(req, l));
	if (l)
		view_set_str(ctx, "slug", l->slug);
	view_set_str(ctx, "flash", admin_nl_flash(req));
	if (err && err->msg[0]) {
		view_set_str(ctx, "error", arena_strdup(req->arena, err->msg));
		view_set_str(ctx, "error_field", arena_strdup(req->arena, err->field));
	}
	admin_render(req, status, "admin/nl_list_edit.html", ctx);
}

static void admin_nl_list_new(struct req *req)
{
	list_form(req, 200, 0, NULL, NULL, NULL, 0, NULL);
}

/* Loads list id or answers 404/500. */
static bool load_list(struct req *req, int64_t id, struct nl_list *l)
{
	enum jm_rc rc = nl_list_get(req->db, req->arena, id, l);
	return admin_check(req, rc, "nl_list_get");
}

static void admin_nl_list_edit(struct req *req)
{
	struct nl_list l;
	int64_t id;
	if (!admin_param_id(req, &id) || !load_list(req, id, &l))
		return;
	list_form(req, 200, id, &l, NULL, l.fields, l.nfields, NULL);
}

/* ---- saving ---- */

/* Splits a textarea into trimmed non-empty lines. */
static void split_lines(struct arena *a, const char *s, struct nl_field *f)
{
	const char **opts = arena_alloc(a, NL_MAX_OPTS * sizeof(char *));
	size_t n = 0;
	while (s && *s && n < NL_MAX_OPTS) {
		size_t len = strcspn(s, "\r\n");
		size_t b = 0, e = len;
		while (b < e && (s[b] == ' ' || s[b] == '\t'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
			e--;
		if (e > b)
			opts[n++] = arena_strndup(a, s + b, e - b);
		s += len;
		while (*s == '\r' || *s == '\n')
			s++;
	}
	f->options = opts;
	f->noptions = n;
}

/* Reads one field row; false when the row is blank or removed. */
static bool read_row(struct req *req, const struct form *f, int i, struct nl_field *out)
{
	const char *key = form_get(f, arena_sprintf(req->arena, "f%d_key", i));
	if (!key || !*key || form_get(f, arena_sprintf(req->arena, "f%d_remove", i)))
		return false;
	memset(out, 0, sizeof(*out));
	out->key = key;
	out->label = form_get(f, arena_sprintf(req->arena, "f%d_label", i));
	out->type = form_get(f, arena_sprintf(req->arena, "f%d_type", i));
	out->required = form_get(f, arena_sprintf(req->arena, "f%d_required", i)) != NULL;
	out->person = form_get(f, arena_sprintf(req->arena, "f%d_person", i));
	split_lines(req->arena, form_get(f, arena_sprintf(req->arena, "f%d_options", i)), out);
	if (!out->label || !*out->label)
		out->label = key;
	if (!out->type)
		out->type = "text";
	return true;
}

/* Validates one field and checks its key is not used by an earlier one. */
static bool field_ok(struct req *req, const struct nl_field *rows, size_t i, struct jm_err *err)
{
	const struct nl_field *x = &rows[i];
	const char *bad = NULL;
	enum jm_field_type t;
	if (!jm_field_key_ok(x->key)) /* the field engine's rules (core/field.h) */
		bad = "admin.nl.err_field_key";
	else if (strlen(x->label) > JM_FIELD_LABEL_MAX)
		bad = "admin.nl.err_field_label";
	else if (!jm_field_type_parse(x->type, &t) || !(NL_FIELD_TYPES & JM_FIELD_BIT(t)))
		bad = "admin.nl.err_field_type";
	else if (strcmp(x->type, "select") == 0 && x->noptions == 0)
		bad = "admin.nl.err_field_options";
	else if (!nl_person_field_ok(x->person))
		bad = "admin.nl.err_field_person";
	for (size_t k = 0; !bad && k < i; k++)
		if (strcmp(rows[k].key, x->key) == 0)
			bad = "admin.nl.err_field_dup";
		else if (x->person && *x->person && rows[k].person &&
		         !strcmp(rows[k].person, x->person))
			bad = "admin.nl.err_field_person";
	if (bad)
		jm_err_set(err, "fields", "%s: %s", admin_t(req, bad), x->key);
	return bad == NULL;
}

/* Reads and checks every field row of the form. */
static bool read_fields(struct req *req, const struct form *f, struct nl_field **rows, size_t *n,
                        struct jm_err *err)
{
	int64_t total = 0;
	if (!admin_nl_int(form_get(f, "nfields"), &total) || total > NL_MAX_FIELDS + NL_BLANK_ROWS)
		total = 0;
	*rows = arena_calloc(req->arena, (size_t)(total + 1) * sizeof(**rows));
	*n = 0;
	for (int i = 0; i < (int)total; i++) {
		if (!read_row(req, f, i, &(*rows)[*n]))
			continue;
		if (!field_ok(req, *rows, *n, err)) {
			(*n)++; /* shown again with the message */
			return false;
		}
		(*n)++;
	}
	if (*n > NL_MAX_FIELDS) {
		jm_err_set(err, "fields", "%s", admin_t(req, "admin.nl.err_field_many"));
		return false;
	}
	return true;
}

static void input_from_form(const struct form *f, struct nl_list_input *in)
{
	in->name = form_get(f, "name");
	in->slug = form_get(f, "slug");
	in->description = form_get(f, "description");
	in->charset = form_get(f, "charset");
	in->consent_text = form_get(f, "consent_text");
	in->welcome_subject = form_get(f, "welcome_subject");
	in->welcome_md = form_get(f, "welcome_md");
	in->public_ = form_get(f, "public") != NULL;
	in->double_optin = form_get(f, "double_optin") != NULL;
	in->has_name = in->name != NULL;
	in->has_slug = in->slug != NULL;
	in->has_description = in->description != NULL;
	in->has_charset = in->charset != NULL;
	in->has_consent_text = in->consent_text != NULL;
	in->has_welcome = in->welcome_subject != NULL || in->welcome_md != NULL;
	if (in->has_welcome && !in->welcome_subject)
		in->welcome_subject = "";
	if (in->has_welcome && !in->welcome_md)
		in->welcome_md = "";
	in->has_public = in->has_double_optin = true;
}

/* Creates (id 0) or updates the list, then stores its fields. */
static enum jm_rc store(struct req *req, int64_t *id, const struct nl_list_input *in,
                        const struct nl_field *rows, size_t n, struct jm_err *err)
{
	bool created = *id == 0;
	enum jm_rc rc = created ? nl_list_create(req->db, in, id, err)
	                        : nl_list_update(req->db, *id, in, err);
	if (rc)
		return rc;
	rc = nl_list_set_fields(req->db, *id, rows, n, err);
	if (rc && created && nl_list_delete(req->db, *id) != JM_OK)
		log_at(LOG_WARN, "admin", "could not remove list %lld", (long long)*id);
	if (rc && created)
		*id = 0;
	return rc;
}

static void save(struct req *req, int64_t id)
{
	struct form f;
	struct nl_list cur, *curp = NULL;
	struct nl_list_input in = {0};
	struct nl_field *rows = NULL;
	size_t n = 0;
	struct jm_err err = {0};
	if (!admin_form(req, &f))
		return;
	if (id && !load_list(req, id, &cur))
		return;
	curp = id ? &cur : NULL;
	input_from_form(&f, &in);
	enum jm_rc rc = JM_INVALID;
	if (read_fields(req, &f, &rows, &n, &err))
		rc = store(req, &id, &in, rows, n, &err);
	else
		id = curp ? id : 0;
	if (rc == JM_INVALID || rc == JM_CONFLICT || rc == JM_TOO_LARGE) {
		if (rc == JM_CONFLICT)
			jm_err_set(&err, "slug", "%s", admin_t(req, "admin.nl.err_slug_taken"));
		else if (strcmp(err.field, "fields") != 0)
			admin_err_localize(req, &err, "admin.nl.invalid.", "admin.err.invalid");
		list_form(req, http_status_for(rc), id, curp, &f, rows, n, &err);
		return;
	}
	if (rc) {
		admin_fail(req, "nl_list_save", rc);
		return;
	}
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/lists/%lld?done=saved", (long long)id));
}

static void admin_nl_list_create(struct req *req)
{
	save(req, 0);
}

static void admin_nl_list_save(struct req *req)
{
	int64_t id;
	if (admin_param_id(req, &id))
		save(req, id);
}

static void admin_nl_list_delete(struct req *req)
{
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	struct jm_err err = {0};
	enum jm_rc rc = nl_list_trash(req->db, id, &err); /* restorable for 30 days */
	if (rc == JM_NOT_FOUND) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	if (rc == JM_INVALID || rc == JM_CONFLICT) { /* broadcasts still point at it */
		admin_error(req, 409, "admin.nl.err_list_in_use");
		return;
	}
	if (rc) {
		admin_fail(req, "nl_list_trash", rc);
		return;
	}
	http_redirect(req, 303, "/admin/lists?done=deleted");
}

void admin_nl_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/lists", admin_nl_lists_get, adm);
	router_add(r, "GET", "/admin/lists/new", admin_nl_list_new, adm);
	router_add(r, "POST", "/admin/lists", admin_nl_list_create, adm);
	router_add(r, "GET", "/admin/lists/{id}", admin_nl_list_edit, adm);
	router_add(r, "POST", "/admin/lists/{id}", admin_nl_list_save, adm);
	router_add(r, "POST", "/admin/lists/{id}/delete", admin_nl_list_delete, adm);
	admin_nl_subscriber_routes(r);
	admin_nl_import_routes(r);
	admin_nl_broadcast_routes(r);
}
