/*
 * settings.c — GET/POST /admin/settings: a form generated from the site's
 * settings table (site_setting_defs), grouped into site, profile (/about),
 * SNS, mail and advanced sections, saved in one validated transaction by
 * site_settings_save.
 *
 * Field names are the setting keys. A check box that is not ticked sends
 * nothing, so booleans are stored as "off" when their key is absent; other
 * settings missing from the form are left unchanged, and so is a secret
 * (smtp_password) sent empty: its input never shows the stored value.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "site/site.h"

static const char *const group_order[] = {"site",  "profile", "sns",     "mail",
                                          "inbox", "network", "advanced"};
#define NGROUPS (sizeof(group_order) / sizeof(group_order[0]))

static const char *type_name(enum setting_type t)
{
	switch (t) {
	case SET_TEXT: return "text";
	case SET_URL: return "url";
	case SET_BOOL: return "bool";
	case SET_INT: return "int";
	case SET_LANG: return "lang";
	case SET_STR: break;
	}
	return "str";
}

/* Secrets (smtp_password) are never sent to the browser: the input stays
 * empty, and an empty value on save keeps the stored one. */
static bool is_secret(const struct setting_def *d)
{
	return strstr(d->key, "password") != NULL;
}

static bool truthy(const char *v)
{
	return v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "on") == 0 ||
	             strcmp(v, "yes") == 0);
}

/* The stored spelling of a boolean, following the default's style. */
static const char *bool_text(const struct setting_def *d, bool on)
{
	bool words = d->def && (strcmp(d->def, "true") == 0 || strcmp(d->def, "false") == 0);
	return words ? (on ? "true" : "false") : (on ? "1" : "0");
}

/* Index of group in group_order; unknown groups go to "advanced". */
static size_t group_index(const char *g)
{
	for (size_t i = 0; i < NGROUPS; i++)
		if (g && strcmp(g, group_order[i]) == 0)
			return i;
	return NGROUPS - 1;
}

static struct view_val *field(struct req *req, const struct setting_def *d, const char *value,
                              const struct jm_err *err)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "key", d->key);
	view_set_str(m, "type", is_secret(d) ? "password" : type_name(d->type));
	if (is_secret(d))
		value = "";
	view_set_str(m, "label", admin_t(req, d->label_key));
	view_set_str(m, "value", value ? value : "");
	view_set_bool(m, "checked", truthy(value));
	view_set_int(m, "max", (int64_t)d->max_len);
	view_set_str(m, "id", arena_sprintf(req->arena, "set-%s", d->key));
	if (err && err->msg[0] && strcmp(err->field, d->key) == 0)
		view_set_str(m, "error", arena_strdup(req->arena, err->msg));
	return m;
}

/* Renders the form; values come from f when given (after an error), else
 * from the database. */
static void settings_render(struct req *req, int status, const struct form *f,
                            const struct jm_err *err, bool saved)
{
	size_t n = 0;
	const struct setting_def *defs = site_setting_defs(&n);
	struct view_val *fields[NGROUPS];
	struct view_val *groups = view_list(req->arena);
	for (size_t g = 0; g < NGROUPS; g++)
		fields[g] = view_list(req->arena);
	for (size_t i = 0; i < n; i++) {
		const struct setting_def *d = &defs[i];
		const char *v =
		        f ? form_get(f, d->key) : site_setting_get(req->db, req->arena, d->key);
		if (f && d->type == SET_BOOL)
			v = v ? "1" : "0";
		view_push(fields[group_index(d->group)], field(req, d, v, err));
	}
	for (size_t g = 0; g < NGROUPS; g++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "id", group_order[g]);
		view_set_str(m, "label",
		             admin_t(req, arena_sprintf(req->arena, "admin.settings.group_%s",
		                                        group_order[g])));
		view_set(m, "fields", fields[g]);
		view_push(groups, m);
	}
	struct view_val *ctx = admin_ctx(req, "settings");
	view_set(ctx, "groups", groups);
	view_set_bool(ctx, "saved", saved);
	if (err && err->msg[0])
		view_set_str(ctx, "error", arena_strdup(req->arena, err->msg));
	admin_render(req, status, "admin/settings.html", ctx);
}

void admin_settings_get(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	bool saved = http_req_query(req, &q, &err) == JM_OK && form_get(&q, "saved");
	settings_render(req, 200, NULL, NULL, saved);
}

/* Replaces the domain's message with one for the field's type. */
static void localize(struct req *req, const struct setting_def *defs, size_t n, struct jm_err *err)
{
	const char *key = "admin.err.invalid";
	for (size_t i = 0; i < n && err->field[0]; i++) {
		if (strcmp(defs[i].key, err->field) != 0)
			continue;
		key = defs[i].type == SET_URL   ? "admin.settings.err_url"
		      : defs[i].type == SET_INT ? "admin.settings.err_int"
		                                : "admin.settings.err_value";
	}
	snprintf(err->msg, sizeof(err->msg), "%s", admin_t(req, key));
}

void admin_settings_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	size_t n = 0, k = 0;
	if (!admin_form(req, &f))
		return;
	const struct setting_def *defs = site_setting_defs(&n);
	const char **keys = arena_alloc(req->arena, (n + 1) * sizeof(char *));
	const char **vals = arena_alloc(req->arena, (n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *v = form_get(&f, defs[i].key);
		if (defs[i].type == SET_BOOL)
			v = bool_text(&defs[i], v != NULL);
		else if (!v || (is_secret(&defs[i]) && !*v))
			continue;
		keys[k] = defs[i].key;
		vals[k++] = v;
	}
	enum jm_rc rc = site_settings_save(req->db, keys, vals, k, &err);
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		localize(req, defs, n, &err);
		settings_render(req, 422, &f, &err, false);
		return;
	}
	if (rc) {
		admin_fail(req, "site_settings_save", rc);
		return;
	}
	http_redirect(req, 303, "/admin/settings?saved=1");
}
