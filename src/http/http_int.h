/*
 * http_int.h — internals shared by the files of http/ (server.c, defer.c,
 * json.c). Nothing outside http/ includes this.
 */
#ifndef JM_HTTP_INT_H
#define JM_HTTP_INT_H

#include "db/db.h"
#include "http/http.h"

#define HTTP_MAX_FORM_FIELDS 256

/* ---- worker pool for http_defer (defer.c) ---- */
struct http_pool;
struct http_job;
struct http_pool *http_pool_new(const char *db_url, int nthreads);
void http_pool_free(struct http_pool *p);
/* Runs on the loop thread when a job's result arrives. */
void http_pool_finish(struct http_job *job);

/* server.c helpers used by defer.c */
struct http_pool *http_req_pool(struct req *req);
void *http_req_receiver(struct req *req);
void http_post_done(void *receiver, struct http_job *job);
/* Allocates size bytes freed with the request; fn runs at that moment. */
void *http_req_on_dispose(struct req *req, size_t size, void (*fn)(void *));

/* ---- security headers (headers.c) ---- */
enum http_hdr_set {
	HTTP_HDRS_SITE,   /* the public site */
	HTTP_HDRS_ADMIN,  /* /admin: own scripts only, never framed */
	HTTP_HDRS_API,    /* /api: JSON */
	HTTP_HDRS_STATIC, /* /static: h2o's file handler */
};
struct st_h2o_pathconf_t;
/* Attaches the set's constant security headers to every answer under pc;
 * HSTS too when tls. Call once per path at start-up. */
void http_headers_register(struct st_h2o_pathconf_t *pc, enum http_hdr_set set, bool tls);

/* {"error":{"code":..,"message":..,"field":..}} into b (json.c). */
void http_json_error_body(struct buf *b, const char *code, const char *msg, const char *field);

#endif
