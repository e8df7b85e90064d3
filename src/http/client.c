/*
 * client.c — who the client is when the server sits behind a reverse
 * proxy: the list of trusted proxies (--trusted-proxies CIDR,...) and the
 * one function that resolves a request's client address. Everything that
 * keys on the client (sign-in limiter, public-form limits, the consent
 * record, the access log) uses that one resolved address.
 *
 * Rules: the socket peer is the client unless it is a trusted proxy. Then
 * the hops of X-Forwarded-For (all its header lines, in order; RFC 7239
 * Forwarded "for=" when there is no X-Forwarded-For) are walked from the
 * right: each proxy appends the address it saw, so the rightmost hop that
 * is not itself trusted is the client. Hops to the left of it were written
 * by the client and are never believed. A hop that is not an address
 * ("unknown", an obfuscated name, garbage) ends the walk at the last
 * trusted address. Addresses come out canonical (inet_ntop; IPv4-mapped
 * IPv6 as IPv4), so one client is always one key.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <h2o.h>

#include "http/http_int.h"

#define MAX_CIDRS 64
#define MAX_HOPS  64

struct addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char b[16];
};

struct cidr {
	struct addr a;
	int bits;
};

struct http_cidrs {
	int n;
	struct cidr c[MAX_CIDRS];
};

/* Parses an address (IPv4-mapped IPv6 becomes IPv4). */
static bool addr_parse(const char *s, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out->b) != 1)
		return false;
	out->family = AF_INET6;
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (memcmp(out->b, mapped, 12) == 0) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		out->family = AF_INET;
	}
	return true;
}

static bool addr_from_sockaddr(const struct sockaddr *sa, struct addr *out)
{
	char text[INET6_ADDRSTRLEN];
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text,
		          sizeof(text));
	else
		return false;
	return addr_parse(text, out);
}

static bool cidr_parse(const char *s, size_t len, struct cidr *out)
{
	char text[INET6_ADDRSTRLEN + 8];
	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	char *slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	if (!addr_parse(text, &out->a))
		return false;
	int max = out->a.family == AF_INET ? 32 : 128;
	out->bits = max;
	if (slash) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || bits < 0 || bits > max)
			return false;
		out->bits = (int)bits;
	}
	return true;
}

enum jm_rc http_cidrs_parse(const char *s, struct http_cidrs **out, struct jm_err *err)
{
	struct http_cidrs *c = xcalloc(1, sizeof(*c));
	const char *p = s;
	while (*p) {
		p += strspn(p, " \t");
		size_t len = strcspn(p, ",");
		size_t trimmed = len;
		while (trimmed && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t'))
			trimmed--;
		if (c->n == MAX_CIDRS || !cidr_parse(p, trimmed, &c->c[c->n])) {
			if (c->n == MAX_CIDRS)
				jm_err_set(err, "trusted-proxies", "more than %d entries",
				           MAX_CIDRS);
			else
				jm_err_set(err, "trusted-proxies", "invalid CIDR \"%.*s\"",
				           (int)trimmed, p);
			free(c);
			return JM_INVALID;
		}
		c->n++;
		p += len;
		if (*p == ',')
			p++;
	}
	if (out)
		*out = c;
	else
		free(c);
	return JM_OK;
}

void http_cidrs_free(struct http_cidrs *c)
{
	free(c);
}

static bool cidrs_match(const struct http_cidrs *c, const struct addr *a)
{
	for (int i = 0; c && i < c->n; i++) {
		const struct cidr *r = &c->c[i];
		if (r->a.family != a->family)
			continue;
		int full = r->bits / 8, rest = r->bits % 8;
		if (memcmp(r->a.b, a->b, (size_t)full) != 0)
			continue;
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if (rest == 0 || (r->a.b[full] & mask) == (a->b[full] & mask))
			return true;
	}
	return false;
}

/* One hop as written by a proxy: optional quotes, "[v6]:port", "v4:port",
 * or a bare address. */
static bool hop_parse(const char *s, size_t len, struct addr *out)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
		s++, len -= 2;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return false;
		s++;
		len = (size_t)(close - s);
	} else {
		const char *colon = memchr(s, ':', len);
		if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1))
			len = (size_t)(colon - s); /* IPv4 with a port */
	}
	char text[INET6_ADDRSTRLEN];
	if (len == 0 || len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	return addr_parse(text, out);
}

struct hops {
	int n;
	struct str h[MAX_HOPS]; /* the rightmost MAX_HOPS, left to right */
};

static void hops_push(struct hops *hs, const char *p, size_t len)
{
	if (hs->n == MAX_HOPS) {
		memmove(hs->h, hs->h + 1, (MAX_HOPS - 1) * sizeof(hs->h[0]));
		hs->n--;
	}
	hs->h[hs->n++] = str_from(p, len);
}

/* The value of "for" in one Forwarded element ("for=a;proto=http"). */
static struct str forwarded_for(const char *p, size_t len)
{
	while (len) {
		size_t n = 0;
		while (n < len && p[n] != ';')
			n++;
		const char *q = p;
		size_t m = n;
		while (m && (*q == ' ' || *q == '\t'))
			q++, m--;
		if (m > 4 && strncasecmp(q, "for=", 4) == 0)
			return str_from(q + 4, m - 4);
		p += n < len ? n + 1 : n;
		len -= n < len ? n + 1 : n;
	}
	return str_from("", 0);
}

static void collect(h2o_req_t *hr, const char *name, bool forwarded, struct hops *hs)
{
	size_t nl = strlen(name);
	for (ssize_t i = -1; (i = h2o_find_header_by_str(&hr->headers, name, nl, i)) >= 0;) {
		const char *p = hr->headers.entries[i].value.base;
		size_t len = hr->headers.entries[i].value.len;
		while (len) {
			size_t n = 0;
			while (n < len && p[n] != ',')
				n++;
			struct str v = forwarded ? forwarded_for(p, n) : str_from(p, n);
			hops_push(hs, v.p, v.len);
			p += n < len ? n + 1 : n;
			len -= n < len ? n + 1 : n;
		}
	}
}

void http_client_resolve(const struct http_cidrs *trusted, h2o_req_t *hr,
                         char out[INET6_ADDRSTRLEN])
{
	struct sockaddr_storage ss;
	struct addr cur;
	out[0] = '\0';
	socklen_t sl = hr->conn->callbacks->get_peername(hr->conn, (struct sockaddr *)&ss);
	if (!sl || !addr_from_sockaddr((struct sockaddr *)&ss, &cur))
		return;
	if (cidrs_match(trusted, &cur)) {
		struct hops hs = {0};
		collect(hr, "x-forwarded-for", false, &hs);
		if (hs.n == 0)
			collect(hr, "forwarded", true, &hs);
		for (int i = hs.n - 1; i >= 0; i--) {
			struct addr a;
			if (!hop_parse(hs.h[i].p, hs.h[i].len, &a))
				break;
			cur = a;
			if (!cidrs_match(trusted, &a))
				break;
		}
	}
	inet_ntop(cur.family, cur.b, out, INET6_ADDRSTRLEN);
}

/* The access log's client field: the resolved address, for every path
 * (static files too). Declines, so the next handler serves the request. */
struct client_handler {
	h2o_handler_t super;
	const struct http_cidrs *trusted;
};

static int log_client(h2o_handler_t *self, h2o_req_t *hr)
{
	const struct http_cidrs *trusted = ((struct client_handler *)self)->trusted;
	ssize_t i;
	while ((i = h2o_find_header_by_str(&hr->headers, H2O_STRLIT(HTTP_CLIENT_HEADER), -1)) >= 0)
		h2o_delete_header(&hr->headers, i);
	char *ip = h2o_mem_alloc_pool(&hr->pool, INET6_ADDRSTRLEN);
	http_client_resolve(trusted, hr, ip);
	h2o_add_header_by_str(&hr->pool, &hr->headers, H2O_STRLIT(HTTP_CLIENT_HEADER), 0, NULL, ip,
	                      strlen(ip));
	return -1;
}

void http_log_client_register(struct st_h2o_pathconf_t *pc, const struct http_cidrs *trusted)
{
	struct client_handler *h = (struct client_handler *)h2o_create_handler(pc, sizeof(*h));
	h->super.on_req = log_client;
	h->trusted = trusted;
}
