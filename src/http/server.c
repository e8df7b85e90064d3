/*
 * server.c — the libh2o wrapper: one event loop per core on SO_REUSEPORT
 * listeners, h2o's file handler for /static/, its gzip filter and access
 * logger, our router for everything else, optional TLS with HTTP/2 (ALPN),
 * and graceful stop on SIGINT/SIGTERM (stop accepting, finish in-flight
 * requests, run the tick hook once more to flush counters).
 *
 * Accepting is bounded: each loop keeps at most its share of
 * max_connections open (a loop at its share stops reading its listener
 * until a connection closes; waiting clients stay in the kernel's
 * backlog), and an accept failing for want of file descriptors (EMFILE,
 * ENFILE) pauses the listener for ACCEPT_BACKOFF_MS instead of letting the
 * level-triggered listener wake the loop again at once (a busy spin).
 *
 * Invariants: only this module includes h2o.h; a struct req lives in the
 * h2o request pool and its arena is released with that pool.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>
#include <h2o/multithread.h>

#include "http/http_int.h"

#define MAX_LOOPS         64
#define ACCEPT_BACKOFF_MS 250
#define SPOOL_THRESHOLD   (2u << 20) /* request bodies larger go to a file */

/* A content type's h2o attributes, remembered per loop (blob_mime_attr). */
#define MIME_MEMO    8
#define SPARE_ARENAS 8
#define ARENA_BLOCK  8192
struct mime_memo {
	const char *ctype;
	const void *map;
	h2o_mime_attributes_t *attr;
};

struct loop_thread {
	h2o_context_t ctx; /* first: req->conn->ctx casts back to us */
	struct mime_memo mime[MIME_MEMO];
	struct arena *spare[SPARE_ARENAS]; /* reset request arenas for reuse */
	int nspare;
	struct server *srv;
	int index;
	int listen_fd;
	h2o_socket_t *listener;
	h2o_accept_ctx_t accept_ctx;
	struct db *db;
	h2o_multithread_queue_t *queue;
	h2o_multithread_receiver_t done_receiver;
	long inflight;
	int conns;     /* open client connections of this loop */
	int max_conns; /* this loop's share of max_connections */
	bool reading;  /* the listener is being read */
	h2o_timeout_t backoff;
	h2o_timeout_entry_t backoff_entry;
	pthread_t tid;
};

struct jm_handler {
	h2o_handler_t super;
	struct server *srv;
};

struct server {
	struct app *app;
	struct router *router;
	struct http_server_opts opts;
	h2o_globalconf_t config;
	SSL_CTX *ssl_ctx;
	int nloops;
	struct loop_thread loops[MAX_LOOPS];
	struct sockaddr_in addr;
	struct http_pool *pool;      /* http_defer */
	struct http_pool *hash_pool; /* http_defer_hash */
	struct http_cidrs *trusted;
	pthread_t sched_tid;
	struct db *sched_db;
	/* Every loop has made its h2o objects (pipes, epoll) before any loop
	 * accepts: one loop's accepted connections could otherwise take the
	 * last descriptors another loop still needs, and h2o aborts when it
	 * cannot make its queue's pipe. */
	pthread_barrier_t loops_ready;
};

static atomic_bool g_stopping;

bool http_stopping(void)
{
	return atomic_load(&g_stopping);
}

static struct loop_thread *thread_of(h2o_req_t *hr)
{
	return (struct loop_thread *)hr->conn->ctx;
}

/* ---- per-request state ---- */

struct req_holder {
	struct req req;
	struct loop_thread *lt;
};

/* A request's arena goes back to its loop (reset: its cleanups run now,
 * one block is kept), so the next request allocates nothing to start. */
static void req_dispose(void *p)
{
	struct req_holder *h = p;
	struct loop_thread *lt = h->lt;
	if (lt->nspare < SPARE_ARENAS) {
		arena_reset(h->req.arena);
		lt->spare[lt->nspare++] = h->req.arena;
	} else {
		arena_free(h->req.arena);
	}
	lt->inflight--;
}

static struct req *req_new(struct server *srv, h2o_req_t *hr)
{
	struct req_holder *h = h2o_mem_alloc_shared(&hr->pool, sizeof(*h), req_dispose);
	memset(h, 0, sizeof(*h));
	h->lt = thread_of(hr);
	h->lt->inflight++;
	struct req *req = &h->req;
	req->app = srv->app;
	req->db = h->lt->db;
	req->arena = h->lt->nspare ? h->lt->spare[--h->lt->nspare] : arena_new(ARENA_BLOCK);
	req->priv = hr;
	req->method = str_from(hr->method.base, hr->method.len);
	req->path = str_from(hr->path_normalized.base, hr->path_normalized.len);
	if (hr->query_at != SIZE_MAX)
		req->query =
		        str_from(hr->path.base + hr->query_at + 1, hr->path.len - hr->query_at - 1);
	if (hr->entity.base)
		req->body = str_from(hr->entity.base, hr->entity.len);
	req->lang = "ja";
	return req;
}

struct http_pool *http_req_pool(struct req *req, bool hash)
{
	struct server *srv = thread_of(req->priv)->srv;
	return hash ? srv->hash_pool : srv->pool;
}

static void send_error_page(struct server *srv, struct req *req, int status)
{
	if (srv->opts.error_page)
		srv->opts.error_page(req, status);
	else
		http_send_text(req, status, status == 404 ? "Not Found" : "Error");
}

static int on_req(h2o_handler_t *self, h2o_req_t *hr)
{
	struct server *srv = ((struct jm_handler *)self)->srv;
	struct req *req = req_new(srv, hr);
	if (srv->opts.cached && srv->opts.cached(req))
		return 0;
	bool mismatch = false, bad = false;
	http_handler_fn fn = router_match(srv->router, req->method, req->path, req->arena,
	                                  &req->params, &req->route_flags, &mismatch, &bad);
	if (srv->opts.before && !srv->opts.before(req))
		return 0;
	if (!fn) {
		send_error_page(srv, req, bad ? 400 : mismatch ? 405 : 404);
		return 0;
	}
	fn(req);
	return 0;
}

/* ---- request accessors ---- */

const char *http_req_header(struct req *req, const char *name)
{
	h2o_req_t *hr = req->priv;
	ssize_t i = h2o_find_header_by_str(&hr->headers, name, strlen(name), -1);
	if (i < 0)
		return NULL;
	h2o_iovec_t v = hr->headers.entries[i].value;
	return arena_strndup(req->arena, v.base, v.len);
}

const char *http_req_cookie(struct req *req, const char *name)
{
	const char *h = http_req_header(req, "cookie");
	size_t nl = strlen(name);
	while (h && *h) {
		while (*h == ' ' || *h == ';')
			h++;
		const char *end = strchr(h, ';');
		size_t len = end ? (size_t)(end - h) : strlen(h);
		if (len > nl && h[nl] == '=' && strncmp(h, name, nl) == 0)
			return arena_strndup(req->arena, h + nl + 1, len - nl - 1);
		h = end;
	}
	return NULL;
}

const char *http_req_host(struct req *req)
{
	h2o_req_t *hr = req->priv;
	return arena_strndup(req->arena, hr->authority.base, hr->authority.len);
}

const char *http_req_ip(struct req *req)
{
	if (!req->ip) {
		h2o_req_t *hr = req->priv;
		char *out = arena_alloc(req->arena, INET6_ADDRSTRLEN);
		http_client_resolve(thread_of(hr)->srv->trusted, hr, out);
		req->ip = out;
	}
	return req->ip;
}

bool http_req_is_https(struct req *req)
{
	h2o_req_t *hr = req->priv;
	return hr->scheme == &H2O_URL_SCHEME_HTTPS;
}

enum jm_rc http_req_form(struct req *req, struct form *out, struct jm_err *err)
{
	if (req->form) {
		*out = *req->form;
		return JM_OK;
	}
	const char *ct = http_req_header(req, "content-type");
	/* Upload routes take a folder of files: more parts than a form has. */
	enum jm_rc rc =
	        form_parse_body_spool(req->arena, ct, req->body.p, req->body.len,
	                              req->spool_dir ? HTTP_MAX_UPLOAD_PARTS : HTTP_MAX_FORM_FIELDS,
	                              req->spool_dir, out, err);
	if (rc == JM_OK) {
		req->form = arena_alloc(req->arena, sizeof(*req->form));
		*req->form = *out;
	}
	return rc;
}

enum jm_rc http_req_query(struct req *req, struct form *out, struct jm_err *err)
{
	return form_parse_urlencoded(req->arena, req->query.p, req->query.len, HTTP_MAX_FORM_FIELDS,
	                             out, err);
}

/* ---- responses ---- */

void http_header(struct req *req, const char *name, const char *value)
{
	h2o_req_t *hr = req->priv;
	size_t nl = strlen(name), vl = strlen(value);
	char *n = h2o_mem_alloc_pool(&hr->pool, nl + 1);
	memcpy(n, name, nl + 1);
	char *v = h2o_mem_alloc_pool(&hr->pool, vl + 1);
	memcpy(v, value, vl + 1);
	h2o_add_header_by_str(&hr->pool, &hr->res.headers, n, nl, 1, NULL, v, vl);
}

void http_set_cookie(struct req *req, const char *name, const char *value, int max_age,
                     unsigned flags)
{
	char age[48] = "";
	if (max_age >= 0)
		snprintf(age, sizeof(age), "; Max-Age=%d", max_age);
	char *c = arena_sprintf(req->arena, "%s=%s; Path=/; SameSite=Lax%s%s%s", name, value, age,
	                        (flags & COOKIE_HTTPONLY) ? "; HttpOnly" : "",
	                        (flags & COOKIE_SECURE) ? "; Secure" : "");
	http_header(req, "set-cookie", c);
}

static void start(h2o_req_t *hr, int status, const char *ctype)
{
	hr->res.status = status;
	hr->res.reason = status == 200 ? "OK" : "";
	if (ctype)
		h2o_add_header(&hr->pool, &hr->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype,
		               strlen(ctype));
}

void http_send(struct req *req, int status, const char *ctype, const char *body, size_t len)
{
	h2o_req_t *hr = req->priv;
	start(hr, status, ctype);
	h2o_send_inline(hr, body, len);
}

/* h2o's file sender streams the file from its descriptor (opened here, so
 * the caller may unlink the path as soon as this returns). */
bool http_send_file(struct req *req, int status, const char *ctype, const char *path)
{
	h2o_req_t *hr = req->priv;
	h2o_iovec_t mime = h2o_strdup(&hr->pool, ctype, SIZE_MAX);
	return h2o_file_send(hr, status, status == 200 ? "OK" : "", path, mime,
	                     H2O_FILE_FLAG_NO_ETAG) == 0;
}

void http_send_buf(struct req *req, int status, const char *ctype, struct buf *b)
{
	http_send(req, status, ctype, buf_cstr(b), b->len);
}

void http_send_text(struct req *req, int status, const char *text)
{
	http_send(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

void http_redirect(struct req *req, int status, const char *location)
{
	h2o_req_t *hr = req->priv;
	http_header(req, "location", location);
	start(hr, status, "text/plain; charset=utf-8");
	h2o_send_inline(hr, "", 0);
}

void http_send_json_error(struct req *req, int status, const char *code, const char *msg,
                          const char *field)
{
	struct buf b = BUF_INIT;
	http_json_error_body(&b, code, msg, field);
	http_send_buf(req, status, "application/json; charset=utf-8", &b);
	buf_free(&b);
}

/* ---- blobs: cached, immutable, reference-counted bodies ---- */

struct http_blob *http_blob_new(int status, const char *ctype, const char *data, size_t len,
                                int64_t mtime)
{
	struct http_blob *b = xmalloc(sizeof(*b) + len + 1);
	atomic_init(&b->refs, 1);
	b->status = status;
	b->ctype = ctype;
	b->mtime = mtime;
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	b->last_modified[0] = '\0';
	if (mtime > 0)
		jm_time_http(mtime, b->last_modified);
	char h[65];
	jm_hash_hex(NULL, 0, data, len, h);
	snprintf(b->etag, sizeof(b->etag), "\"%.32s\"", h);
	b->ctype_len = ctype ? strlen(ctype) : 0;
	b->etag_len = strlen(b->etag);
	b->last_modified_len = strlen(b->last_modified);
	return b;
}

void http_blob_ref(struct http_blob *b)
{
	atomic_fetch_add(&b->refs, 1);
}

void http_blob_unref(struct http_blob *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

static void blob_release(void *p)
{
	http_blob_unref(*(struct http_blob **)p);
}

static bool not_modified(h2o_req_t *hr, const struct http_blob *b)
{
	ssize_t i = h2o_find_header(&hr->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
	if (i >= 0) {
		h2o_iovec_t v = hr->headers.entries[i].value;
		return h2o_contains_token(v.base, v.len, b->etag, b->etag_len, ',');
	}
	i = h2o_find_header(&hr->headers, H2O_TOKEN_IF_MODIFIED_SINCE, -1);
	if (i >= 0 && b->mtime > 0) {
		h2o_iovec_t v = hr->headers.entries[i].value;
		size_t n = b->last_modified_len;
		return v.len == n && memcmp(v.base, b->last_modified, n) == 0;
	}
	return false;
}

/* The content type's attributes (compressible or not) as h2o's own
 * h2o_req_fill_mime_attributes would find them, looked up once per type
 * and loop: blobs' types are static strings, so the pointer is the key. */
static void blob_mime_attr(h2o_req_t *hr, const struct http_blob *b)
{
	struct loop_thread *lt = thread_of(hr);
	struct mime_memo *m = lt->mime;
	for (; m < lt->mime + MIME_MEMO && m->ctype; m++)
		if (m->ctype == b->ctype && m->map == hr->pathconf->mimemap) {
			hr->res.mime_attr = m->attr;
			return;
		}
	h2o_req_fill_mime_attributes(hr);
	if (m < lt->mime + MIME_MEMO)
		*m = (struct mime_memo){b->ctype, hr->pathconf->mimemap, hr->res.mime_attr};
}

/* A blob is sent in one piece, so its generator never gets called back. */
static h2o_generator_t blob_generator = {NULL, NULL};

/* Every header value a blob answer carries is the blob's own or a static
 * string: h2o gets pointers, nothing is formatted or copied. */
void http_send_blob(struct req *req, struct http_blob *b, const char *cache_control)
{
	h2o_req_t *hr = req->priv;
	h2o_headers_t *hs = &hr->res.headers;
	h2o_add_header(&hr->pool, hs, H2O_TOKEN_ETAG, NULL, b->etag, b->etag_len);
	if (b->mtime > 0)
		h2o_add_header(&hr->pool, hs, H2O_TOKEN_LAST_MODIFIED, NULL, b->last_modified,
		               b->last_modified_len);
	if (cache_control)
		h2o_add_header(&hr->pool, hs, H2O_TOKEN_CACHE_CONTROL, NULL, cache_control,
		               strlen(cache_control));
	if (b->status == 200 && not_modified(hr, b)) {
		hr->res.status = 304;
		hr->res.reason = "Not Modified";
		h2o_send_inline(hr, "", 0);
		return;
	}
	hr->res.status = b->status;
	hr->res.reason = b->status == 200 ? "OK" : "";
	if (b->ctype) {
		h2o_add_header(&hr->pool, hs, H2O_TOKEN_CONTENT_TYPE, NULL, b->ctype, b->ctype_len);
		blob_mime_attr(hr, b);
	}
	hr->res.content_length = b->len;
	struct http_blob **slot = h2o_mem_alloc_shared(&hr->pool, sizeof(*slot), blob_release);
	http_blob_ref(b);
	*slot = b;
	h2o_start_response(hr, &blob_generator);
	h2o_iovec_t body = h2o_iovec_init(b->data, b->len);
	h2o_send(hr, &body, 1, H2O_SEND_STATE_FINAL);
}

/* ---- deferred work results arrive here ---- */

static void on_done_messages(h2o_multithread_receiver_t *recv, h2o_linklist_t *messages)
{
	(void)recv;
	while (!h2o_linklist_is_empty(messages)) {
		h2o_multithread_message_t *m =
		        H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
		h2o_linklist_unlink(&m->link);
		http_pool_finish((struct http_job *)m);
	}
}

void http_post_done(void *receiver, struct http_job *job)
{
	h2o_multithread_send_message(receiver, (h2o_multithread_message_t *)job);
}

void *http_req_receiver(struct req *req)
{
	return &thread_of(req->priv)->done_receiver;
}

void *http_req_on_dispose(struct req *req, size_t size, void (*fn)(void *))
{
	h2o_req_t *hr = req->priv;
	return h2o_mem_alloc_shared(&hr->pool, size, fn);
}

/* ---- listeners and loops ---- */

static void on_accept(h2o_socket_t *listener, const char *err);

static void listener_set(struct loop_thread *lt, bool on)
{
	if (!lt->listener || lt->reading == on)
		return;
	if (on)
		h2o_socket_read_start(lt->listener, on_accept);
	else
		h2o_socket_read_stop(lt->listener);
	lt->reading = on;
}

static void on_conn_close(void *data)
{
	struct loop_thread *lt = data;
	lt->conns--;
	if (lt->conns < lt->max_conns && !h2o_timeout_is_linked(&lt->backoff_entry))
		listener_set(lt, true);
}

static void on_backoff_end(h2o_timeout_entry_t *e)
{
	struct loop_thread *lt = H2O_STRUCT_FROM_MEMBER(struct loop_thread, backoff_entry, e);
	if (lt->conns < lt->max_conns)
		listener_set(lt, true);
}

/* Out of descriptors: the pending connection stays in the backlog, and the
 * listener would wake us again at once; pause it for a while instead. */
static void accept_backoff(struct loop_thread *lt, int e)
{
	static _Atomic int64_t last_log;
	int64_t now = jm_now();
	if (atomic_exchange(&last_log, now) < now - 10)
		log_at(LOG_WARN, "http", "accept failed: %s; open=%d, pausing %d ms", strerror(e),
		       lt->conns, ACCEPT_BACKOFF_MS);
	listener_set(lt, false);
	if (!h2o_timeout_is_linked(&lt->backoff_entry))
		h2o_timeout_link(lt->ctx.loop, &lt->backoff, &lt->backoff_entry);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
	if (err)
		return;
	struct loop_thread *lt = listener->data;
	errno = 0;
	h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
	if (!sock) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_backoff(lt, errno);
		return;
	}
	lt->conns++;
	sock->on_close.cb = on_conn_close;
	sock->on_close.data = lt;
	h2o_accept(&lt->accept_ctx, sock);
	if (lt->conns >= lt->max_conns)
		listener_set(lt, false);
}

long http_fd_limit_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024;
	rlim_t want = rl.rlim_max == RLIM_INFINITY ? 65536 : rl.rlim_max;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		struct rlimit up = {want, rl.rlim_max};
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = want;
	}
	return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 24) ? (1 << 24)
	                                                               : (long)rl.rlim_cur;
}

/* SO_REUSEPORT would let a second server share a port that is already in
 * use; a plain bind first tells that the port is really free. */
static bool port_free(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	bool ok = bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	int saved = errno;
	close(fd);
	errno = saved;
	return ok;
}

static int open_listener(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void loop_shutdown(struct loop_thread *lt)
{
	listener_set(lt, false);
	if (h2o_timeout_is_linked(&lt->backoff_entry))
		h2o_timeout_unlink(&lt->backoff_entry);
	h2o_socket_close(lt->listener);
	lt->listener = NULL;
	h2o_context_request_shutdown(&lt->ctx);
	int64_t deadline = jm_now_ms() + 5000;
	while (lt->inflight > 0 && jm_now_ms() < deadline)
		h2o_evloop_run(lt->ctx.loop, 50);
}

/* A loop's h2o objects are made on the loop's own thread, never on the
 * thread that starts the server: libh2o keeps per-thread allocators (a
 * socket's input buffer comes from and goes back to the creating thread's
 * __thread h2o_socket_buffer_prototype, a recycling free list with no
 * lock). The done queue's pipe socket, made on the main thread, had every
 * loop taking and returning its read buffer through the main thread's
 * list at once: two loops popped the same chunk, and under many deferred
 * answers the heap was corrupted (http_pool_finish, then any malloc). */
static void loop_init_h2o(struct loop_thread *lt)
{
	struct server *srv = lt->srv;
	h2o_context_init(&lt->ctx, h2o_evloop_create(), &srv->config);
	lt->accept_ctx.ctx = &lt->ctx;
	lt->accept_ctx.hosts = srv->config.hosts;
	lt->accept_ctx.ssl_ctx = srv->ssl_ctx;
	lt->queue = h2o_multithread_create_queue(lt->ctx.loop);
	h2o_multithread_register_receiver(lt->queue, &lt->done_receiver, on_done_messages);
	lt->listener =
	        h2o_evloop_socket_create(lt->ctx.loop, lt->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
	lt->listener->data = lt;
}

static void *loop_main(void *arg)
{
	struct loop_thread *lt = arg;
	loop_init_h2o(lt);
	pthread_barrier_wait(&lt->srv->loops_ready);
	h2o_evloop_t *loop = lt->ctx.loop;
	h2o_timeout_init(loop, &lt->backoff, ACCEPT_BACKOFF_MS);
	lt->backoff_entry.cb = on_backoff_end;
	listener_set(lt, true);
	while (!http_stopping())
		h2o_evloop_run(loop, 200);
	loop_shutdown(lt);
	while (lt->nspare > 0)
		arena_free(lt->spare[--lt->nspare]);
	h2o_timeout_dispose(loop, &lt->backoff);
	return NULL;
}

/* The scheduler: calls the tick hook about once a second on a thread of its
 * own, so flushing counters (a write with fsync) never stalls a loop. */
static void *scheduler_main(void *arg)
{
	struct server *srv = arg;
	struct db *db = NULL;
	struct jm_err err = {0};
	if (db_open(srv->opts.db_url, &db, &err) != JM_OK) {
		log_at(LOG_ERROR, "http", "scheduler cannot open db: %s", err.msg);
		return NULL;
	}
	while (!http_stopping()) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		for (int i = 0; i < 10 && !http_stopping(); i++)
			nanosleep(&ts, NULL);
		srv->opts.tick(srv->app, db);
	}
	srv->sched_db = db; /* the final tick after the loops stop uses it */
	return NULL;
}

static enum jm_rc parse_listen(const char *s, struct sockaddr_in *addr, struct jm_err *err)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	if (!colon || (size_t)(colon - s) >= sizeof(host)) {
		jm_err_set(err, "listen", "expected HOST:PORT, got \"%s\"", s);
		return JM_INVALID;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_port = htons((uint16_t)port);
	if (*end || port < 0 || port > 65535 || inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
		jm_err_set(err, "listen", "invalid address \"%s\"", s);
		return JM_INVALID;
	}
	return JM_OK;
}

static enum jm_rc setup_tls(struct server *srv, struct jm_err *err)
{
	const struct http_server_opts *o = &srv->opts;
	if (!o->tls_cert && !o->tls_key)
		return JM_OK;
	if (!o->tls_cert || !o->tls_key) {
		jm_err_set(err, "tls", "--tls-cert and --tls-key go together");
		return JM_INVALID;
	}
	srv->ssl_ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_min_proto_version(srv->ssl_ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(srv->ssl_ctx, o->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(srv->ssl_ctx, o->tls_key, SSL_FILETYPE_PEM) != 1) {
		jm_err_set(err, "tls", "cannot load certificate %s or key %s", o->tls_cert,
		           o->tls_key);
		return JM_INVALID;
	}
	h2o_ssl_register_alpn_protocols(srv->ssl_ctx, h2o_http2_alpn_protocols);
	return JM_OK;
}

/* One path served by our router, with its own security headers (the
 * same handler everywhere; only the headers differ by path). */
static void register_app_path(struct server *srv, h2o_hostconf_t *host, const char *path,
                              enum http_hdr_set set, h2o_access_log_filehandle_t *alog)
{
	h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
	if (alog)
		http_log_client_register(pc, srv->trusted);
	struct jm_handler *h = (struct jm_handler *)h2o_create_handler(pc, sizeof(*h));
	h->super.on_req = on_req;
	h->srv = srv;
	http_headers_register(pc, set, srv->ssl_ctx != NULL);
	h2o_compress_args_t ca = {
	        .min_size = 256, .gzip = {.quality = 1}, .brotli = {.quality = -1}};
	h2o_compress_register(pc, &ca);
	if (alog)
		h2o_access_log_register(pc, alog);
}

/* /media: h2o's file handler on the node's cache directory (sendfile,
 * ETag, ranges), and behind it, for a file this node has not cached yet,
 * our router (the file handler passes a request on when the file does not
 * exist): the app's handler fills the cache from the database. No gzip:
 * images are compressed already. */
static void register_media_path(struct server *srv, h2o_hostconf_t *host,
                                h2o_access_log_filehandle_t *alog)
{
	h2o_pathconf_t *pc = h2o_config_register_path(host, "/media", 0);
	if (alog)
		http_log_client_register(pc, srv->trusted);
	h2o_mimemap_t *mm = h2o_mimemap_create();
	h2o_mimemap_set_default_type(mm, "application/octet-stream", NULL);
	h2o_mimemap_define_mimetype(mm, "webp", "image/webp", NULL);
	h2o_mimemap_define_mimetype(mm, "jpg", "image/jpeg", NULL);
	h2o_mimemap_define_mimetype(mm, "png", "image/png", NULL);
	h2o_file_register(pc, srv->opts.media_dir, NULL, mm, 0);
	h2o_mem_release_shared(mm);
	struct jm_handler *h = (struct jm_handler *)h2o_create_handler(pc, sizeof(*h));
	h->super.on_req = on_req;
	h->srv = srv;
	http_headers_register(pc, HTTP_HDRS_MEDIA, srv->ssl_ctx != NULL);
	if (alog)
		h2o_access_log_register(pc, alog);
}

static void setup_paths(struct server *srv)
{
	const struct http_server_opts *o = &srv->opts;
	h2o_config_init(&srv->config);
	srv->config.max_request_entity_size = o->max_body;
	srv->config.server_name = h2o_iovec_init(H2O_STRLIT("jinmyaku")); /* no version */
	h2o_hostconf_t *host = h2o_config_register_host(
	        &srv->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	h2o_access_log_filehandle_t *alog = NULL;
	if (o->access_log)
		alog = h2o_access_log_open_handle(o->access_log,
		                                  "%{" HTTP_CLIENT_HEADER
		                                  "}i %l %u %t \"%r\" %s %b "
		                                  "\"%{Referer}i\" \"%{User-agent}i\"",
		                                  H2O_LOGCONF_ESCAPE_APACHE);
	if (o->static_dir) {
		h2o_pathconf_t *pc = h2o_config_register_path(host, "/static", 0);
		if (alog)
			http_log_client_register(pc, srv->trusted);
		h2o_file_register(pc, o->static_dir, NULL, NULL, 0);
		http_headers_register(pc, HTTP_HDRS_STATIC, srv->ssl_ctx != NULL);
		if (alog)
			h2o_access_log_register(pc, alog);
	}
	if (o->media_dir)
		register_media_path(srv, host, alog);
	register_app_path(srv, host, "/admin", HTTP_HDRS_ADMIN, alog);
	register_app_path(srv, host, "/api", HTTP_HDRS_API, alog);
	register_app_path(srv, host, "/", HTTP_HDRS_SITE, alog);
}

static enum jm_rc init_loop(struct server *srv, int i, struct jm_err *err)
{
	struct loop_thread *lt = &srv->loops[i];
	lt->srv = srv;
	lt->index = i;
	lt->listen_fd = open_listener(&srv->addr);
	if (lt->listen_fd < 0) {
		jm_err_set(err, "listen", "cannot listen on %s: %s", srv->opts.listen,
		           strerror(errno));
		return JM_IO;
	}
	return db_open(srv->opts.db_url, &lt->db, err);
}

static void wait_for_signal(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	int sig = 0;
	sigwait(&set, &sig);
	log_at(LOG_INFO, "http", "signal=%d stopping", sig);
	atomic_store(&g_stopping, true);
}

static void block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The file-descriptor limit goes up to the hard limit, and the connection
 * cap (given, or half of what is left after a reserve for the database,
 * static files being sent and the worker) is shared out between loops. */
static void set_conn_limits(struct server *srv)
{
	long fds = http_fd_limit_raise();
	long max = srv->opts.max_connections;
	if (max <= 0)
		max = (fds - 128) / 2 < 16 ? 16 : (fds - 128) / 2;
	if (srv->opts.max_connections > 0 && max > fds)
		log_at(LOG_WARN, "http", "max_connections=%ld above the fd limit %ld", max, fds);
	for (int i = 0; i < srv->nloops; i++)
		srv->loops[i].max_conns = max / srv->nloops > 0 ? (int)(max / srv->nloops) : 1;
	log_at(LOG_INFO, "http", "fd_limit=%ld max_connections=%ld", fds, max);
}

/* The server lives for the whole process; keeping it reachable from here
 * means h2o's contexts are not reported as leaks at exit. */
static struct server *g_server;

enum jm_rc http_serve(struct app *app, struct router *r, const struct http_server_opts *o,
                      struct jm_err *err)
{
	struct server *srv = xcalloc(1, sizeof(*srv));
	g_server = srv;
	srv->app = app;
	srv->router = r;
	srv->opts = *o;
	srv->nloops = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (srv->nloops < 1 || srv->nloops > MAX_LOOPS)
		srv->nloops = srv->nloops < 1 ? 1 : MAX_LOOPS;
	enum jm_rc rc = parse_listen(o->listen, &srv->addr, err);
	if (!rc)
		rc = setup_tls(srv, err);
	if (!rc)
		rc = http_cidrs_parse(o->trusted_proxies ? o->trusted_proxies : "", &srv->trusted,
		                      err);
	if (rc)
		return rc;
	set_conn_limits(srv);
	if (!port_free(&srv->addr)) {
		jm_err_set(err, "listen", "cannot listen on %s: %s", o->listen, strerror(errno));
		return JM_IO;
	}
	block_signals();
	setup_paths(srv);
	if (o->spool_dir) {
		/* Request bodies past SPOOL_THRESHOLD grow in an unlinked file of
		 * spool_dir (mapped) rather than on the heap: an upload of 20 MB
		 * streams to disk as it arrives. */
		h2o_socket_buffer_mmap_settings.threshold = SPOOL_THRESHOLD;
		snprintf(h2o_socket_buffer_mmap_settings.fn_template,
		         sizeof(h2o_socket_buffer_mmap_settings.fn_template), "%s/h2o.b.XXXXXX",
		         o->spool_dir);
	}
	for (int i = 0; i < srv->nloops && !rc; i++)
		rc = init_loop(srv, i, err);
	if (rc)
		return rc;
	/* Listeners are bound (connections wait in the backlog) and no loop
	 * runs yet, so loop 0's connection is free to use here. */
	if (o->ready)
		o->ready(app, srv->loops[0].db);
	srv->pool = http_pool_new(o->db_url, o->workers > 0 ? o->workers : 2, 0);
	srv->hash_pool = http_pool_new(o->db_url, 1, o->hash_queue > 0 ? o->hash_queue : 16);
	pthread_barrier_init(&srv->loops_ready, NULL, (unsigned)srv->nloops + 1);
	for (int i = 0; i < srv->nloops; i++)
		pthread_create(&srv->loops[i].tid, NULL, loop_main, &srv->loops[i]);
	pthread_barrier_wait(&srv->loops_ready);
	if (o->tick)
		pthread_create(&srv->sched_tid, NULL, scheduler_main, srv);
	log_at(LOG_INFO, "http", "listening=%s%s loops=%d", srv->ssl_ctx ? "https://" : "http://",
	       o->listen, srv->nloops);

	wait_for_signal();
	for (int i = 0; i < srv->nloops; i++)
		pthread_join(srv->loops[i].tid, NULL);
	pthread_barrier_destroy(&srv->loops_ready);
	http_pool_free(srv->pool);
	http_pool_free(srv->hash_pool);
	if (o->tick) {
		pthread_join(srv->sched_tid, NULL);
		if (srv->sched_db)
			o->tick(app, srv->sched_db); /* flush what the last requests counted */
		db_close(srv->sched_db);
	}
	for (int i = 0; i < srv->nloops; i++) {
		db_close(srv->loops[i].db);
		srv->loops[i].db = NULL;
	}
	return JM_OK;
}
