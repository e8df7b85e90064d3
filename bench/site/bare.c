/*
 * bare.c — the limit for bench/site: the same bytes jinmyaku answers for a
 * cached article, served from memory by bare libh2o (the library the app
 * links, libh2o-evloop) with no router, no page-cache lookup, no filters,
 * no page-view counting: one handler on "/" that adds the recorded headers
 * and sends the recorded body in one piece.
 *
 * The process layout copies the app's: one event loop per thread, each on
 * its own SO_REUSEPORT listener, the thread count given like --threads.
 *
 *   bare PORT BODY_FILE HEADERS_FILE [THREADS]
 *
 * HEADERS_FILE holds "name: value" lines (the app's answer minus date,
 * server, content-length and connection, which h2o writes itself). Stops
 * on SIGTERM/SIGINT (the default action: nothing to flush). Built by
 * bench/site/run with cc; not part of the app and never installed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>

#define MAX_THREADS 64
#define MAX_HEADERS 32

struct bare_header {
	char *name, *value;
	size_t name_len, value_len;
};

static char *g_body;
static size_t g_body_len;
static struct bare_header g_headers[MAX_HEADERS];
static int g_nheaders;
static h2o_globalconf_t g_config;

struct bare_loop {
	h2o_context_t ctx;
	h2o_accept_ctx_t accept_ctx;
	int fd;
	pthread_t tid;
};

static struct bare_loop g_loops[MAX_THREADS];

/* The body goes out in one h2o_send, so the generator is never called. */
static h2o_generator_t bare_generator = {NULL, NULL};

static int bare_on_req(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	req->res.status = 200;
	req->res.reason = "OK";
	for (int i = 0; i < g_nheaders; i++)
		h2o_add_header_by_str(&req->pool, &req->res.headers, g_headers[i].name,
		                      g_headers[i].name_len, 1, NULL, g_headers[i].value,
		                      g_headers[i].value_len);
	req->res.content_length = g_body_len;
	h2o_start_response(req, &bare_generator);
	h2o_iovec_t body = h2o_iovec_init(g_body, g_body_len);
	h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
	return 0;
}

static char *bare_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *p = NULL;
	if (fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		rewind(f);
		p = n >= 0 ? malloc((size_t)n + 1) : NULL;
		if (p && fread(p, 1, (size_t)n, f) == (size_t)n) {
			p[n] = '\0';
			*len = (size_t)n;
		} else {
			free(p);
			p = NULL;
		}
	}
	fclose(f);
	return p;
}

/* "name: value" lines; names lower-cased as HTTP/1.1 h2o writes them. */
static int bare_load_headers(const char *path)
{
	size_t len = 0;
	char *text = bare_slurp(path, &len);
	if (!text)
		return -1;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		char *colon = strchr(line, ':');
		if (!colon || g_nheaders == MAX_HEADERS)
			continue;
		*colon = '\0';
		char *value = colon + 1;
		while (*value == ' ')
			value++;
		for (char *c = line; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		g_headers[g_nheaders++] =
		        (struct bare_header){line, value, strlen(line), strlen(value)};
	}
	return 0;
}

static int bare_listen(int port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, SOMAXCONN) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void bare_on_accept(h2o_socket_t *listener, const char *err)
{
	if (err)
		return;
	struct bare_loop *l = listener->data;
	h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
	if (sock)
		h2o_accept(&l->accept_ctx, sock);
}

static void *bare_loop_main(void *arg)
{
	struct bare_loop *l = arg;
	h2o_socket_t *listener =
	        h2o_evloop_socket_create(l->ctx.loop, l->fd, H2O_SOCKET_FLAG_DONT_READ);
	listener->data = l;
	h2o_socket_read_start(listener, bare_on_accept);
	for (;;)
		h2o_evloop_run(l->ctx.loop, INT32_MAX);
	return NULL;
}

static void bare_config(void)
{
	h2o_config_init(&g_config);
	g_config.server_name = h2o_iovec_init(H2O_STRLIT("jinmyaku")); /* as the app's */
	h2o_hostconf_t *host =
	        h2o_config_register_host(&g_config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	h2o_pathconf_t *pc = h2o_config_register_path(host, "/", 0);
	h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
	h->on_req = bare_on_req;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s PORT BODY_FILE HEADERS_FILE [THREADS]\n", argv[0]);
		return 2;
	}
	int port = (int)strtol(argv[1], NULL, 10);
	long threads = argc > 4 ? strtol(argv[4], NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1 || threads > MAX_THREADS)
		threads = threads < 1 ? 1 : MAX_THREADS;
	g_body = bare_slurp(argv[2], &g_body_len);
	if (!g_body || bare_load_headers(argv[3]) != 0) {
		fprintf(stderr, "bare: cannot read %s or %s\n", argv[2], argv[3]);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	bare_config();
	for (long i = 0; i < threads; i++) {
		struct bare_loop *l = &g_loops[i];
		l->fd = bare_listen(port);
		if (l->fd < 0) {
			fprintf(stderr, "bare: cannot listen on %d: %s\n", port, strerror(errno));
			return 1;
		}
		h2o_context_init(&l->ctx, h2o_evloop_create(), &g_config);
		l->accept_ctx.ctx = &l->ctx;
		l->accept_ctx.hosts = g_config.hosts;
	}
	for (long i = 0; i < threads; i++)
		pthread_create(&g_loops[i].tid, NULL, bare_loop_main, &g_loops[i]);
	fprintf(stderr, "bare: listening on 127.0.0.1:%d, %ld loops, %zu-byte body\n", port,
	        threads, g_body_len);
	pthread_join(g_loops[0].tid, NULL);
	return 0;
}
