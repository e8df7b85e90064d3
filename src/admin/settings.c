/*
 * settings.c — GET/POST /admin/settings: a form generated from the site's
 * settings table (site_setting_defs), grouped into site, profile (/about),
 * SNS, mail and advanced sections, saved in one validated transaction by
 * site_settings_save.
 *
 * Field names are the setting keys. A check box that is not ticked sends
 * nothing, so booleans are stored as "off" when their key is absent; other
 * settings missing from the form are left unchanged, and so is a secret
 * (smtp_password) sent empty: its input never shows the stored value. The
 * relay URL is shown without its password (site_smtp_url_public) and saving
 * it unchanged keeps the password; the page says whether one is set.
 *
 * The time zone is a select of IANA names (jm_tz_names). Every field is
 * checked (site_settings_check) and every refusal shown beside its field in
 * the UI's language, with what was typed kept; the banner names the one
 * refused field, or lists them all with links when there are several.
 *
 * POST /admin/settings/test-mail sends one mail to the signed-in owner
 * through the saved relay settings (nl_relay_test, on the worker pool) and
 * shows the relay's answer on the page.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

static const char *const group_order[] = {"site", "profile", "sns",     "images",
                                          "mail", "inbox",   "network", "advanced"};
#define NGROUPS (sizeof(group_order) / sizeof(group_order[0]))

static const char *type_name(enum setting_type t)
{
	switch (t) {
	case SET_TEXT: return "text";
	case SET_URL: return "url";
	case SET_BOOL: return "bool";
	case SET_INT: return "int";
	case SET_LANG: return "lang";
	case SET_ZONE: return "zone";
	case SET_SMTP: return "smtp";
	case SET_MEDIA: return "media";
	case SET_STR: break;
	}
	return "str";
}

/* Secrets (smtp_password) are never sent to the browser: the input stays
 * empty, and an empty value on save keeps the stored one. */
static bool is_secret(const struct setting_def *d)
{
	return site_setting_is_secret(d->key);
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

/* The zone select's options, value selected. */
static struct view_val *zone_options(struct req *req, const char *value)
{
	size_t n = 0;
	const char *const *names = jm_tz_names(&n);
	struct view_val *list = view_list(req->arena);
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		struct view_val *o = view_map(req->arena);
		bool sel = value && !strcmp(names[i], value);
		found |= sel;
		view_set_str(o, "name", names[i]);
		view_set_bool(o, "selected", sel);
		view_push(list, o);
	}
	if (!found && value && *value) { /* e.g. Etc/GMT-9 from an old offset */
		struct view_val *o = view_map(req->arena);
		view_set_str(o, "name", value);
		view_set_bool(o, "selected", true);
		view_push(list, o);
	}
	return list;
}

/* The refusals of one save, already in the UI's language. */
struct refusals {
	struct jm_err *errs;
	size_t n;
};

static const char *refusal_for(const struct refusals *r, const char *key)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (strcmp(r->errs[i].field, key) == 0)
			return r->errs[i].msg;
	return NULL;
}

static struct view_val *field(struct req *req, const struct setting_def *d, const char *value,
                              const struct refusals *bad, bool pw_set)
{
	struct view_val *m = view_map(req->arena);
	view_set_str(m, "key", d->key);
	view_set_str(m, "type", is_secret(d) ? "password" : type_name(d->type));
	if (is_secret(d) || d->type == SET_SMTP)
		view_set_bool(m, "pw_set", pw_set);
	if (is_secret(d))
		value = "";
	if (d->type == SET_SMTP)
		value = site_smtp_url_public(req->arena, value);
	if (d->type == SET_ZONE)
		view_set(m, "zones", zone_options(req, value));
	view_set_str(m, "label", admin_t(req, d->label_key));
	view_set_str(m, "value", value ? value : "");
	view_set_bool(m, "checked", truthy(value));
	view_set_int(m, "max", (int64_t)d->max_len);
	view_set_str(m, "id", arena_sprintf(req->arena, "set-%s", d->key));
	const char *why = refusal_for(bad, d->key);
	if (why)
		view_set_str(m, "error", arena_strdup(req->arena, why));
	return m;
}

/* True when a relay password is stored (smtp_password or in smtp_url). */
static bool relay_password_set(struct req *req)
{
	return *site_setting_get(req->db, req->arena, "smtp_password") ||
	       site_smtp_url_has_password(site_setting_get(req->db, req->arena, "smtp_url"));
}

/* The outcome of a test mail, for the page (NULL: none sent). */
struct test_result {
	bool ok;
	const char *text;
};

/* Renders the form; values come from f when given (after an error), else
 * from the database. */
static void settings_render(struct req *req, int status, const struct form *f,
                            const struct refusals *bad, struct view_val *banner, bool saved,
                            const struct test_result *tr)
{
	bool pw_set = relay_password_set(req);
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
		view_push(fields[group_index(d->group)], field(req, d, v, bad, pw_set));
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
	if (banner)
		view_set(ctx, "error", banner);
	if (tr) {
		view_set_bool(ctx, "test_sent", true);
		view_set_bool(ctx, "test_ok", tr->ok);
		view_set_str(ctx, "test_reply", tr->text);
	}
	admin_render(req, status, "admin/settings.html", ctx);
}

void admin_settings_get(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	bool saved = http_req_query(req, &q, &err) == JM_OK && form_get(&q, "saved");
	settings_render(req, 200, NULL, NULL, NULL, saved, NULL);
}

static const char *admin_i18n_text(const void *c, const char *lang, const char *key)
{
	return i18n_get(c, lang, key);
}

/* Replaces each domain message in bad with the reason in the UI's language
 * (beside the field) and answers the banner: {"one": "「label」: reason"}
 * for one refusal, {"items": [{id, text}]} for several
 * (site_setting_refusal: the API and the CLI say the same). */
static struct view_val *localize(struct req *req, const struct form *f, struct refusals *bad)
{
	struct view_val *banner = view_map(req->arena), *items = view_list(req->arena);
	for (size_t i = 0; i < bad->n; i++) {
		struct jm_err *e = &bad->errs[i];
		const char *why = NULL;
		const char *text =
		        site_setting_refusal(admin_i18n_text, req->app->i18n, req->lang, req->arena,
		                             e, e->field[0] ? form_get(f, e->field) : NULL, &why);
		snprintf(e->msg, sizeof(e->msg), "%s", why);
		struct view_val *it = view_map(req->arena);
		view_set_str(it, "id", arena_sprintf(req->arena, "set-%s", e->field));
		view_set_str(it, "text", text);
		view_push(items, it);
		if (bad->n == 1)
			view_set_str(banner, "one", text);
	}
	if (bad->n > 1) {
		view_set(banner, "items", items);
		view_set_int(banner, "count", (int64_t)bad->n);
	}
	return banner;
}

/* The pairs the form sends: every setting but an untouched secret; an
 * unticked check box is "off". Returns their count. */
static size_t form_pairs(const struct form *f, const char **keys, const char **vals)
{
	size_t n = 0, k = 0;
	const struct setting_def *defs = site_setting_defs(&n);
	for (size_t i = 0; i < n; i++) {
		const char *v = form_get(f, defs[i].key);
		if (defs[i].type == SET_BOOL)
			v = bool_text(&defs[i], v != NULL);
		else if (is_secret(&defs[i]) && form_get(f, "smtp_password_clear"))
			v = ""; /* "remove the stored password" ticked */
		else if (!v || (is_secret(&defs[i]) && !*v))
			continue;
		keys[k] = defs[i].key;
		vals[k++] = v;
	}
	return k;
}

void admin_settings_post(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	size_t n = 0;
	if (!admin_form(req, &f))
		return;
	site_setting_defs(&n);
	const char **keys = arena_alloc(req->arena, (n + 1) * sizeof(char *));
	const char **vals = arena_alloc(req->arena, (n + 1) * sizeof(char *));
	size_t k = form_pairs(&f, keys, vals);
	struct refusals bad = {arena_alloc(req->arena, (k + 1) * sizeof(struct jm_err)), 0};
	memset(bad.errs, 0, (k + 1) * sizeof(struct jm_err));
	/* Every field first, so each error stands beside its own field. */
	enum jm_rc rc = site_settings_check(keys, vals, k, bad.errs, &bad.n);
	if (!rc)
		rc = site_settings_save(req->db, keys, vals, k, &err);
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		if (!bad.n)
			bad.errs[bad.n++] = err;
		settings_render(req, 422, &f, &bad, localize(req, &f, &bad), false, NULL);
		return;
	}
	if (rc) {
		admin_fail(req, "site_settings_save", rc);
		return;
	}
	http_redirect(req, 303, "/admin/settings?saved=1");
}

/* ---- POST /admin/settings/test-mail ---- */

struct test_job {
	struct http_task job;
	struct nl_worker_opts o;
	const char *to;
	char reply[256];
};

static void test_work(struct db *db, void *data)
{
	(void)db; /* nl_relay_test opens its own connection, as a worker would */
	struct test_job *j = data;
	j->job.rc = nl_relay_test(&j->o, j->to, j->reply, &j->job.err);
}

static void test_done(struct req *req, void *data)
{
	struct test_job *j = data;
	struct test_result tr = {.ok = j->job.rc == JM_OK};
	const char *key = tr.ok ? "admin.settings.test_ok"
	                  : j->job.rc == JM_INVALID && !strcmp(j->job.err.field, "smtp_url")
	                          ? "admin.settings.test_norelay"
	                          : "admin.settings.test_fail";
	const char *detail = j->reply[0] ? j->reply : j->job.err.msg;
	if (strstr(detail, "STARTTLS")) /* ours (mail/smtp.c): say it in the UI's language */
		key = "admin.settings.test_tls";
	tr.text = arena_sprintf(req->arena, "%s %s", admin_t(req, key), detail);
	settings_render(req, 200, NULL, NULL, NULL, false, &tr);
}

void admin_settings_test_mail(struct req *req)
{
	struct form f;
	if (!admin_form(req, &f))
		return;
	const struct auth_user *u = admin_user(req);
	const struct app_config *c = &req->app->cfg;
	struct test_job *j = http_task_new(sizeof(*j));
	j->to = http_task_str(&j->job, u ? u->email : "");
	j->o = (struct nl_worker_opts){
	        .db_url = http_task_str(&j->job, c->db_url),
	        .secret = req->app->secret,
	        .base_url = http_task_str(&j->job, c->base_url),
	        .smtp_url = http_task_str(&j->job, c->smtp_url),
	        .data_dir = http_task_str(&j->job, c->data_dir),
	        .threads = 1,
	        .listen = http_task_str(&j->job, c->listen),
	};
	http_defer(req, test_work, test_done, j, http_task_free);
}
