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
 * is 400 with the page's words (site_setting_refusal) naming every refused
 * field: {"error": {"code", "field", "message", "errors": [{field,
 * message}…]}}, the first refusal in "field"/"message" as in every other
 * API error.
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

/* A value of a JSON type no setting takes: its refusal's message, set here
 * and kept as it is (every other refusal is in the settings page's words). */
static const char wrong_type[] = "a setting is a string, number or boolean";

static const char *api_i18n_text(const void *c, const char *lang, const char *key)
{
	return i18n_get(c, lang, key);
}

/* Answers 400 naming every refused field: "field" and "message" are the
 * first's (as every API error), "errors" lists them all [{field, message}]. */
static void refuse_all(struct req *req, const char *const *keys, const char *const *vals, size_t k,
                       const struct jm_err *errs, size_t nbad)
{
	json_t *list = json_array();
	for (size_t i = 0; i < nbad; i++) {
		const char *why = NULL, *bad = NULL, *msg = wrong_type;
		for (size_t j = 0; j < k; j++)
			if (!strcmp(keys[j], errs[i].field))
				bad = vals[j];
		if (strcmp(errs[i].msg, wrong_type) != 0)
			msg = site_setting_refusal(api_i18n_text, req->app->i18n, req->lang,
			                           req->arena, &errs[i], bad, &why);
		json_t *e = json_pack("{s:s}", "message", msg);
		if (errs[i].field[0])
			json_object_set_new(e, "field", json_string(errs[i].field));
		json_array_append_new(list, e);
	}
	json_t *first = json_deep_copy(json_array_get(list, 0));
	json_object_set_new(first, "code", json_string("invalid"));
	json_object_set_new(first, "errors", list);
	api_send_json(req, 400, json_pack("{s:o}", "error", first));
}

static void settings_patch(struct req *req)
{
	json_t *b = api_body_object(req);
	if (!b)
		return;
	size_t n = json_object_size(b), k = 0, nbad = 0, ntype = 0;
	const char **keys = arena_alloc(req->arena, (n + 1) * sizeof(char *));
	const char **vals = arena_alloc(req->arena, (n + 1) * sizeof(char *));
	struct jm_err *types = arena_alloc(req->arena, (n + 1) * sizeof(struct jm_err));
	struct jm_err *errs = arena_alloc(req->arena, (2 * n + 2) * sizeof(struct jm_err));
	struct jm_err err = {0};
	const char *key;
	json_t *v;
	json_object_foreach(b, key, v)
	{
		const char *text = value_text(req, v);
		if (!text) /* a wrong type: refused with the others below */
			jm_err_set(&types[ntype++], key, "%s", wrong_type);
		else
			keys[k] = key, vals[k++] = text;
	}
	if (site_settings_check(keys, vals, k, errs, &nbad) == JM_OK && !ntype) {
		enum jm_rc rc = site_settings_save(req->db, keys, vals, k, &err);
		if (rc == JM_INVALID || rc == JM_TOO_LARGE)
			errs[nbad++] = err;
		else if (rc) {
			api_send_rc(req, rc, &err);
			return;
		}
	}
	for (size_t i = 0; i < ntype; i++)
		errs[nbad++] = types[i];
	if (nbad) {
		refuse_all(req, keys, vals, k, errs, nbad);
		return;
	}
	settings_get(req);
}

void api_settings_routes(struct router *r)
{
	router_add(r, "GET", "/api/v1/settings", settings_get, ROUTE_API);
	router_add(r, "PATCH", "/api/v1/settings", settings_patch, ROUTE_API);
}
