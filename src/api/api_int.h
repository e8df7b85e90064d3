/*
 * api_int.h — helpers shared by the JSON API's handler files (api.c holds
 * them, articles.c uses them). Not included outside src/api/.
 *
 * Convention: a helper that returns bool has already answered the request
 * when it returns false, so the handler just returns.
 *
 * Include <jansson.h> before this header (core.h poisons banned functions).
 */
#ifndef JM_API_INT_H
#define JM_API_INT_H

#include "core/core.h"

struct req;
struct router;
struct form;
struct site_settings;

#define API_JSON_MAX_DEPTH   32 /* containers nested deeper than this: 400 */
#define API_PER_PAGE_DEFAULT 20
#define API_PER_PAGE_MAX     100
#define API_PAGE_MAX         1000000

/* Sends root as compact JSON (application/json; charset=utf-8,
 * Cache-Control: no-store). Takes ownership of root (may be NULL: 500). */
void api_send_json(struct req *req, int status, json_t *root);
/* Sends {"error":{"code","message","field"?}} with Cache-Control: no-store. */
void api_send_error(struct req *req, int status, const char *code, const char *msg,
                    const char *field);
/* Answers a domain failure with http_status_for's status and
 * jm_rc_name's code (422 "invalid", 409 "conflict" naming "slug" when err
 * names no field, 404 "not_found", 413 "too_large", ...); a 5xx is logged
 * and answered "internal". err (may be NULL) gives message and field. */
void api_send_rc(struct req *req, enum jm_rc rc, const struct jm_err *err);

/* Checks Content-Type (415), parses the body (400 "invalid_json" with line
 * and column), requires an object nested at most API_JSON_MAX_DEPTH deep.
 * Returns a reference owned by req->arena (do not decref), or NULL after
 * answering. */
json_t *api_body_object(struct req *req);
/* The parse behind it, without HTTP (also the JSON fuzz target's entry):
 * a new reference to the object (caller decrefs), or NULL with err's
 * message (syntax with line and column, not an object, too deep). */
json_t *api_json_parse(const char *p, size_t len, struct jm_err *err);

/* ---- the request body (input.c) ----
 * Every JSON endpoint reads its body with api_body: api_body_object plus
 * a 422 "unknown_field" naming the first key that is not in keys
 * (NULL-ended), so a misspelt field (say "body_md") is refused instead of
 * silently ignored. Returns the body (owned by req->arena) or NULL after
 * answering. */
json_t *api_body(struct req *req, const char *const keys[]);
bool api_only_keys(struct req *req, json_t *o, const char *const allowed[]);
/* The same check for an object nested in the body's key parent (an
 * element of "links", "fields"): the 422 names parent as the field and
 * the unknown key in its message. */
bool api_nested_keys(struct req *req, json_t *o, const char *const allowed[], const char *parent);

/* A positive decimal id ("0", signs, spaces, overflow: false). */
bool api_parse_id(const char *s, int64_t *out);

/* Reads page and per_page from the query (defaults 1 and
 * API_PER_PAGE_DEFAULT); answers 400 naming the field when bad. */
bool api_parse_pagination(struct req *req, const struct form *q, int *page, int *per_page);

/* Loads the site settings into req->arena; answers 500 on failure. */
bool api_load_settings(struct req *req, struct site_settings *out);
/* The public base URL without a trailing slash: JINMYAKU_BASE_URL (the
 * app config) first, else the site setting. Arena-owned. */
const char *api_base_url(struct req *req, const struct site_settings *st);

/* Registers /api/v1/media (media.c). */
void api_media_routes(struct router *r);
struct media;
/* An image as the API shows it (media.c). */
json_t *api_media_json(const struct media *m);
/* Registers the /api/v1/articles routes (articles.c). */
void api_articles_routes(struct router *r);
/* Registers /api/v1/lists, /subscribers (newsletter.c) and /broadcasts
 * (broadcasts.c). */
void api_newsletter_routes(struct router *r);
void api_broadcasts_routes(struct router *r);

/* ---- typed input and output (input.c) ----
 * The api_get_* readers leave *has false when key is absent, set *out and
 * *has when it has the right JSON type, and answer 422 naming key (and
 * return false) otherwise. Strings are owned by the body. */
void api_type_error(struct req *req, const char *field, const char *want);
void api_missing(struct req *req, const char *field); /* 422 missing_field */
bool api_get_str(struct req *req, json_t *o, const char *key, bool nullable, const char **out,
                 bool *has); /* nullable: null reads as "" */
bool api_get_bool(struct req *req, json_t *o, const char *key, bool *out, bool *has);
bool api_get_id(struct req *req, json_t *o, const char *key, int64_t *out, bool *has);
/* A JSON string (NULL as ""); a time as ISO 8601 UTC (0 as null). */
json_t *api_jstr(const char *s);
json_t *api_jtime(int64_t t);
/* The {id} route parameter; answers 404 "no such <what>" when it is bad. */
bool api_path_id(struct req *req, const char *what, int64_t *id);
/* api_send_rc with a default message naming what, 409 naming "status",
 * and the domain's field "list" spelled "list_id". */
void api_send_nl_rc(struct req *req, enum jm_rc rc, struct jm_err *err, const char *what);
/* Parses the query string; answers 400 when it is malformed. */
bool api_query(struct req *req, struct form *q);
/* {"items","page","per_page","total","total_pages"}; takes items. */
json_t *api_page_json(json_t *items, int page, int per_page, int64_t total);
void api_send_no_content(struct req *req); /* 204 */
/* The trash and article revisions (trash.c). */
void api_trash_routes(struct router *r);

/* ---- people and the network (people.c, network.c) ---- */
/* Registers /api/v1/people (people.c) and /people/{id}/interactions,
 * /introductions, /messages, /reports (network.c). */
void api_people_routes(struct router *r);
void api_network_routes(struct router *r);
/* /api/v1/forms: form CRUD (forms.c). */
void api_forms_routes(struct router *r);
/* /api/v1/forms/{id}/answers: list, bulk, export (form_results.c). */
void api_form_results_routes(struct router *r);
/* GET/PATCH /api/v1/settings (settings.c). */
void api_settings_routes(struct router *r);
/* api_send_rc with "no such person" for NOT_FOUND and field "email" for
 * CONFLICT when the domain left them empty. */
void api_send_person_rc(struct req *req, enum jm_rc rc, struct jm_err *err);
/* "YYYY-MM-DD" as midnight in the zone tz_offset_min (minutes east of
 * UTC); false when s is not such a date. */
bool api_parse_day(const char *s, int tz_offset_min, int64_t *out);

/* PATCH /api/v1/forms/{id}/answers/{aid}: the job pipeline (form_jobs.c). */
void api_form_jobs_routes(struct router *r);

#endif
