/*
 * http_int.h — internals shared by the files of http/ (server.c, defer.c,
 * json.c). Nothing outside http/ includes this.
 */
#ifndef JM_HTTP_INT_H
#define JM_HTTP_INT_H

#include "db/db.h"
#include "http/http.h"

#define HTTP_MAX_FORM_FIELDS  256
#define HTTP_MAX_UPLOAD_PARTS 4096 /* upload routes: a folder of images */

/* ---- worker pool for http_defer (defer.c) ---- */
struct http_pool;
struct http_job;
/* max_queued bounds the jobs waiting or running (0 = unbounded). */
struct http_pool *http_pool_new(const char *db_url, int nthreads, int max_queued);
void http_pool_free(struct http_pool *p);
/* Runs on the loop thread when a job's result arrives. */
void http_pool_finish(struct http_job *job);

/* server.c helpers used by defer.c */
/* The general pool, or (hash) the password-hashing one. */
struct http_pool *http_req_pool(struct req *req, bool hash);
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
	HTTP_HDRS_MEDIA,  /* /media: images named by content, cached a year */
};
struct st_h2o_pathconf_t;
/* Attaches the set's constant security headers to every answer under pc;
 * HSTS too when tls. Call once per path at start-up. */
void http_headers_register(struct st_h2o_pathconf_t *pc, enum http_hdr_set set, bool tls);

/* The client address of a request into out (client.c): the peer, or the
 * rightmost untrusted forwarded hop when the peer is a trusted proxy.
 * Empty when the peer is unknown. */
struct st_h2o_req_t;
void http_client_resolve(const struct http_cidrs *trusted, struct st_h2o_req_t *hr, char out[46]);

/* Access-log field for the resolved client address: a handler registered
 * first on a path sets this request header on every request (a client's
 * own header of that name is removed), and the log format prints it. */
#define HTTP_CLIENT_HEADER "x-jinmyaku-client"
void http_log_client_register(struct st_h2o_pathconf_t *pc, const struct http_cidrs *trusted);

/* {"error":{"code":..,"message":..,"field":..}} into b (json.c). */
void http_json_error_body(struct buf *b, const char *code, const char *msg, const char *field);

#endif
