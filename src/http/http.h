/*
 * http.h — what handlers see of HTTP. Only http/ includes h2o.h.
 *
 * A handler gets a struct req, reads its input through the accessors below
 * and answers exactly once with one of the http_send* / http_redirect calls
 * (or hands slow work to http_defer and answers from the done callback).
 * Everything a handler allocates from req->arena is freed with the request.
 *
 * Threading: handlers run on the event-loop thread that accepted the
 * connection; req->db is that thread's own connection.
 */
#ifndef JM_HTTP_H
#define JM_HTTP_H

#include "core/core.h"

struct app;
struct db;
struct router;

#define HTTP_MAX_PARAMS 4

struct route_params {
	int n;
	struct str name[HTTP_MAX_PARAMS];
	struct str val[HTTP_MAX_PARAMS]; /* percent-decoded, valid UTF-8, NUL-terminated */
};

struct req {
	struct app *app;
	struct db *db;       /* this loop thread's connection */
	struct arena *arena; /* freed when the request is done */
	struct str method;
	struct str path;  /* normalised (no "..", no query), not decoded */
	struct str query; /* raw query string without '?', may be empty */
	struct str body;  /* request entity, may be empty */
	struct route_params params;
	unsigned route_flags;  /* flags given to router_add for the matched route */
	const char *lang;      /* "ja" or "en", chosen by the app middleware */
	void *user;            /* the signed-in user (auth/), or NULL */
	const char *csrf;      /* CSRF token for forms on this page (set by the app) */
	struct form *form;     /* body form, parsed once by http_req_form */
	const char *ip;        /* client address, resolved once by http_req_ip */
	const char *spool_dir; /* set by the app for upload routes: http_req_form
	                          writes file parts to files there */
	void *priv;            /* h2o_req_t; for http/ only */
};

/* ---- router (router.c) ----
 * Patterns are literal segments and {name} segments matching one non-empty
 * segment; a final {name*} matches the rest of the path. Literal routes win
 * over parameter routes. */
typedef void (*http_handler_fn)(struct req *req);
struct router *router_new(void);
void router_free(struct router *r);
/* method "GET", "POST", ... ; "GET" routes also answer HEAD. */
void router_add(struct router *r, const char *method, const char *pattern, http_handler_fn fn,
                unsigned flags);
/* ORs flags into the route registered for exactly method and pattern (the
 * same spelling, parameter names aside). A policy table kept apart from the
 * registrations (who may use a route) uses it; a route that does not exist
 * is a programming error and aborts at start-up. */
void router_add_flags(struct router *r, const char *method, const char *pattern, unsigned flags);
/* Returns the handler or NULL. On NULL, *method_mismatch tells whether the
 * path exists under another method (405) or not at all (404). A parameter
 * that is not valid UTF-8 after decoding gives NULL with *bad_param set. */
http_handler_fn router_match(const struct router *r, struct str method, struct str path,
                             struct arena *a, struct route_params *out, unsigned *flags,
                             bool *method_mismatch, bool *bad_param);
const char *req_param(const struct req *req, const char *name); /* NULL if absent */

/* ---- forms and query strings (form.c, multipart via mail/) ---- */
/* A file sent through a multipart/form-data file input. */
struct form_file {
	const char *field;    /* form field name */
	const char *filename; /* as the client sent it ("" for an empty input);
	                         untrusted: never use it as a path */
	const char *ctype;    /* lowercase media type, "application/octet-stream"
	                         when the part had none */
	const char *data;     /* the bytes, NUL-terminated for convenience;
	                         NULL when the form was spooled (path) */
	size_t len;
	const char *path; /* spooled forms: the file holding the bytes,
	                     removed with the request's arena */
};
struct form {
	size_t n;
	const char **keys; /* NUL-terminated, decoded, valid UTF-8 */
	const char **vals; /* same, and never holding a NUL byte */
	size_t *lens;
	size_t nfiles;                 /* multipart bodies only; else 0 */
	const struct form_file *files; /* arena-owned, body order */
};
/* Decodes application/x-www-form-urlencoded ('+' is space, %XX escapes).
 * JM_INVALID (with err) on a bad escape or invalid UTF-8; JM_TOO_LARGE when
 * there are more than max_fields fields. */
enum jm_rc form_parse_urlencoded(struct arena *a, const char *s, size_t len, size_t max_fields,
                                 struct form *out, struct jm_err *err) JM_WUR;
/* Decodes a body by its Content-Type: application/x-www-form-urlencoded
 * (also when content_type is NULL or empty) or multipart/form-data (parsed
 * by GMime in mail/; file parts go to out->files, the rest to the fields).
 * max_fields caps fields and files together. Returns JM_INVALID (with err)
 * for another media type or a malformed body, JM_TOO_LARGE past max_fields.
 * Everything lives in the arena. */
enum jm_rc form_parse_body(struct arena *a, const char *content_type, const char *body, size_t len,
                           size_t max_fields, struct form *out, struct jm_err *err) JM_WUR;
/* The same; when spool_dir is set, multipart file parts are written to
 * files there (form_file.path) instead of the arena. */
enum jm_rc form_parse_body_spool(struct arena *a, const char *content_type, const char *body,
                                 size_t len, size_t max_fields, const char *spool_dir,
                                 struct form *out, struct jm_err *err) JM_WUR;
/* Decodes the request body according to its Content-Type (urlencoded or
 * multipart/form-data). Parsed once; later calls return the same form.
 * With req->spool_dir set (upload routes), file parts go to files. */
enum jm_rc http_req_form(struct req *req, struct form *out, struct jm_err *err) JM_WUR;
/* Parses the query string. */
enum jm_rc http_req_query(struct req *req, struct form *out, struct jm_err *err) JM_WUR;
const char *form_get(const struct form *f, const char *key); /* first value or NULL */
/* All values of key (checkbox groups, tags[]); returns how many were stored. */
size_t form_get_all(const struct form *f, const char *key, const char **out, size_t max);
/* Percent-decodes s into the arena; NULL if malformed, not UTF-8 or
 * holding a NUL byte (%00). */
char *http_url_decode(struct arena *a, const char *s, size_t len, bool plus_is_space);
/* Percent-encodes a path segment or query component into out: every byte
 * but RFC 3986 unreserved ones (ALPHA DIGIT - . _ ~) becomes %XX. Returns
 * JM_TOO_LARGE when out's cap is reached. */
enum jm_rc http_url_encode(struct buf *out, const char *s, size_t len) JM_WUR;

/* ---- request accessors (server.c) ---- */
/* Header value copied into the arena (NUL-terminated), or NULL. */
const char *http_req_header(struct req *req, const char *name);
const char *http_req_cookie(struct req *req, const char *name);
/* The Host the client asked for (HTTP/1 Host or HTTP/2 :authority). */
const char *http_req_host(struct req *req);
/* The client's address as canonical text ("127.0.0.1", "2001:db8::1"):
 * the socket peer, or, when the peer is a trusted proxy
 * (http_server_opts.trusted_proxies), the rightmost hop of
 * X-Forwarded-For / Forwarded that is not itself trusted (client.c). The
 * one address every limit, consent record and the access log use; "" when
 * unknown. */
const char *http_req_ip(struct req *req);
bool http_req_is_https(struct req *req);

/* ---- responses ---- */
/* Adds a response header (name and value are copied). */
void http_header(struct req *req, const char *name, const char *value);
enum { COOKIE_HTTPONLY = 1, COOKIE_SECURE = 2 };
/* Set-Cookie with Path=/ and SameSite=Lax; max_age < 0 = session cookie,
 * 0 = delete. */
void http_set_cookie(struct req *req, const char *name, const char *value, int max_age,
                     unsigned flags);
/* Sends body (copied) with status and content type. */
void http_send(struct req *req, int status, const char *ctype, const char *body, size_t len);
void http_send_buf(struct req *req, int status, const char *ctype, struct buf *b);
/* Sends the file at path (streamed from its descriptor, never read into
 * memory whole). The file is opened before this returns: the caller may
 * unlink it then. False (nothing sent) when it cannot be opened. */
bool http_send_file(struct req *req, int status, const char *ctype, const char *path) JM_WUR;
void http_redirect(struct req *req, int status, const char *location);

/* An immutable, reference-counted body (the page cache holds them). */
struct http_blob {
	_Atomic int refs;
	int status;
	const char *ctype;                             /* static string */
	char etag[48];                                 /* "\"...\"" */
	int64_t mtime;                                 /* Last-Modified (0 = none) */
	char last_modified[40];                        /* mtime as an HTTP-date, computed once */
	size_t ctype_len, etag_len, last_modified_len; /* measured once */
	size_t len;
	char data[];
};
struct http_blob *http_blob_new(int status, const char *ctype, const char *data, size_t len,
                                int64_t mtime);
void http_blob_ref(struct http_blob *b);
void http_blob_unref(struct http_blob *b);
/* Sends a blob without copying it; answers 304 when If-None-Match or
 * If-Modified-Since match. cache_control may be NULL. */
void http_send_blob(struct req *req, struct http_blob *b, const char *cache_control);

/* The status for a result code, from the one table in status.c:
 * TOO_LARGE→413, INVALID→422, NOT_FOUND→404, CONFLICT→409,
 * UNAUTHORIZED→401, FORBIDDEN→403, RATE_LIMITED→429, anything else 500.
 * Every handler maps a domain failure through it. */
int http_status_for(enum jm_rc rc);
/* The table's default English message for rc ("invalid input", ...);
 * static. */
const char *http_status_msg(enum jm_rc rc);
/* JSON error {"error":{"code","message","field"?}} */
void http_send_json_error(struct req *req, int status, const char *code, const char *msg,
                          const char *field);
/* Plain short error (text/plain) for non-HTML clients and internal errors. */
void http_send_text(struct req *req, int status, const char *text);

/* ---- slow work off the loop ----
 * work runs on a worker thread with its own db connection; then done runs
 * back on the request's loop thread. If the client went away meanwhile, done
 * is not called. free_data (may be NULL) is always called last, on the loop
 * thread. data must not point into req->arena. */
typedef void (*http_work_fn)(struct db *db, void *data);
typedef void (*http_done_fn)(struct req *req, void *data);
void http_defer(struct req *req, http_work_fn work, http_done_fn done, void *data,
                void (*free_data)(void *));
/* http_defer for password hashing (sign-in, first-run setup): its own
 * threads and a bounded queue (http_server_opts.hash_queue), apart from the
 * pool that runs searches, exports and reports. Returns false when the
 * queue is full: nothing was queued, neither done nor free_data will be
 * called, the caller still owns data and answers 429. */
bool http_defer_hash(struct req *req, http_work_fn work, http_done_fn done, void *data,
                     void (*free_data)(void *)) JM_WUR;
/* The usual shape of deferred data: a struct whose first member is a
 * struct http_task, the job's own arena (the handler copies every input
 * into it before deferring, the worker allocates its results from it; the
 * request's arena is never touched from the worker) and the worker's
 * outcome. http_task_free is then the free_data. */
struct http_task {
	struct arena *a;
	enum jm_rc rc;
	struct jm_err err;
};
/* A zeroed job of size bytes (first member a struct http_task) with a fresh
 * arena. */
void *http_task_new(size_t size);
void http_task_free(void *job);
/* s copied into the job's arena; NULL stays NULL. */
const char *http_task_str(struct http_task *j, const char *s);

/* ---- trusted proxies (client.c) ---- */
struct http_cidrs;
/* Parses "CIDR[,CIDR...]": IPv4 or IPv6 networks ("10.0.0.0/8",
 * "fd00::/8"); a bare address is one host. "" is an empty list. JM_INVALID
 * with err naming the bad entry. out may be NULL to only validate; else
 * *out is the caller's, freed with http_cidrs_free. */
enum jm_rc http_cidrs_parse(const char *s, struct http_cidrs **out, struct jm_err *err) JM_WUR;
void http_cidrs_free(struct http_cidrs *c);

/* ---- server ---- */
struct http_server_opts {
	const char *listen;     /* "127.0.0.1:8080" */
	int threads;            /* event loops; 0 = number of cores */
	int workers;            /* worker threads for http_defer */
	size_t max_body;        /* request-body limit (413 beyond): the largest
	                           of every route's; the app checks its own
	                           smaller limit per route */
	const char *spool_dir;  /* bodies past a few MB are kept in files here
	                           (h2o's file-backed buffers), not on the heap */
	const char *static_dir; /* served at /static/ by h2o's file handler */
	const char *media_dir;  /* served at /media/ the same way; a file not
	                           there goes to the router (the app fills it) */
	const char *access_log; /* path or NULL */
	const char *tls_cert;   /* both set = HTTPS (HTTP/2 via ALPN) */
	const char *tls_key;
	const char *db_url;          /* each thread opens its own connection */
	const char *trusted_proxies; /* CIDR list (validated) or NULL */
	int max_connections;         /* open client connections; 0 = from the fd limit */
	int hash_queue;              /* password hashes waiting or running (>= 1) */
	/* Called for every request before routing (may answer and return false). */
	bool (*before)(struct req *req);
	/* Called first, before routing and before(): answers from a cache of
	 * public pages and returns true, or returns false (may be NULL). */
	bool (*cached)(struct req *req);
	/* Called once every listener is bound, before serving (may be NULL). */
	void (*ready)(struct app *app, struct db *db);
	/* Renders an error page for 400/404/405 the router decides (may be NULL). */
	void (*error_page)(struct req *req, int status);
	/* Called about every second on the scheduler thread, which has its own
	 * db connection (flush counters, publish scheduled articles); once more
	 * after the loops stopped. Never on an event loop. */
	void (*tick)(struct app *app, struct db *db);
};
/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit
 * now in force. */
long http_fd_limit_raise(void);
/* Runs until SIGINT/SIGTERM; then stops accepting, lets in-flight requests
 * finish (up to a few seconds) and returns. At most max_connections are
 * open at once (each loop takes its share; a loop at its share stops
 * accepting until one closes), and when accept fails for want of file
 * descriptors the loop stops accepting for a moment instead of spinning. */
enum jm_rc http_serve(struct app *app, struct router *r, const struct http_server_opts *o,
                      struct jm_err *err) JM_WUR;
/* True once a stop signal arrived (for other threads' loops). */
bool http_stopping(void);

#endif
