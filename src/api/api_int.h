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
/* Answers a domain failure: INVALID→422 "invalid", CONFLICT→409 "conflict",
 * NOT_FOUND→404 "not_found", TOO_LARGE→413, anything else 500 (logged).
 * err (may be NULL) gives the message and field. */
void api_send_rc(struct req *req, enum jm_rc rc, const struct jm_err *err);

/* Checks Content-Type (415), parses the body (400 "invalid_json" with line
 * and column), requires an object nested at most API_JSON_MAX_DEPTH deep.
 * Returns a reference owned by req->arena (do not decref), or NULL after
 * answering. */
json_t *api_body_object(struct req *req);

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

/* Registers the /api/v1/articles routes (articles.c). */
void api_articles_routes(struct router *r);

#endif
