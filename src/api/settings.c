/*
 * settings.c — GET/PATCH /api/v1/settings (owner tokens only; api.c's
 * role table): the site settings for deployments that are scripted.
 *
 * GET answers {"settings": {key: value}} for every setting of the table
 * (site_setting_defs): booleans as true/false, integers as numbers, the
 * rest as strings; a secret (smtp_password) as {"set": true|false}, never
 * its value, and the relay URL without its password. PATCH takes an object
 * of key: string|number|boolean and stores all of it or nothing through
 * site_settings_save — the validation of the settings page — and a refusal
 * is 400 with the page's words (site_setting_refusal) naming the field.
 * A secret is written like any other value ("" removes it) and answered
 * like GET.
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "http/http.h"
#include "site/site.h"
#include "view/view.h"

static json_t *setting_json(struct req *req, const struct setting_def *d)
{
	const char *v = site_setting_get(req->db, req->arena, d->key);
	if (site_setting_is_secret(d->key))
		return json_pack("{s:b}", "set", v && *v);
	if (d->type == SET_BOOL)
		return json_boolean(v && (!strcmp(v, "1") || !strcmp(v, "true")));
	if (d->type == SET_INT)
		return json_integer(strtoll(v ? v : "0", NULL, 10));
	if (d->type == SET_SMTP)
		v = site_smtp_url_public(req->arena, v);
	return json_string(v ? v : "");
}

static void settings_get(struct req *req)
{
	size_t n = 0;
	const struct setting_def *defs = site_setting_defs(&n);
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, defs[i].key, setting_json(req, &defs[i]));
	api_send_json(req, 200, json_pack("{s:o}", "settings", o));
}

/* The text to store for a JSON value; NULL for a type no setting takes. */
static const char *value_text(struct req *req, json_t *v)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "1" : "0";
	if (json_is_integer(v))
		return arena_sprintf(req->arena, "%lld", (long long)json_integer_value(v));
	return NULL;
}

static const char *api_i18n_text(const void *c, const char *lang, const char *key)
{
	return i18n_get(c, lang, key);
}

static void settings_patch(struct req *req)
{
	json_t *b = api_body_object(req);
	if (!b)
		return;
	size_t n = json_object_size(b), k = 0;
	const char **keys = arena_alloc(req->arena, (n + 1) * sizeof(char *));
	const char **vals = arena_alloc(req->arena, (n + 1) * sizeof(char *));
	struct jm_err err = {0};
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		keys[k] = key;
		if (!(vals[k++] = value_text(req, v))) {
			api_send_error(req, 400, "invalid",
			               "a setting is a string, number or boolean", key);
			return;
		}
	}
	enum jm_rc rc = site_settings_save(req->db, keys, vals, k, &err);
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		const char *why = NULL, *bad = NULL;
		for (size_t i = 0; i < k; i++)
			if (!strcmp(keys[i], err.field))
				bad = vals[i];
		const char *msg = site_setting_refusal(api_i18n_text, req->app->i18n, req->lang,
		                                       req->arena, &err, bad, &why);
		api_send_error(req, 400, "invalid", msg, err.field[0] ? err.field : NULL);
		return;
	}
	if (rc) {
		api_send_rc(req, rc, &err);
		return;
	}
	settings_get(req);
}

void api_settings_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/settings", settings_get, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/settings", settings_patch, ROUTE_API);
}
