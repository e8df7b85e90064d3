/*
 * router.c — maps (method, path) to a handler through a trie of path
 * segments.
 *
 * Patterns (registered once at start-up) are '/'-separated segments: a
 * literal, "{name}" matching one non-empty segment, or a final "{name*}"
 * matching the non-empty rest of the path, slashes included. Parameter
 * values are percent-decoded per RFC 3986 section 2.1 ('+' stays '+') and
 * must be valid UTF-8 without NUL bytes.
 *
 * Invariants: every trie node keeps its literal children sorted (length,
 * then bytes) so a lookup is a binary search; at each node a literal child is
 * tried before the parameter child, and that before the rest child, with
 * backtracking, so literal routes win over parameter routes at the same
 * position. "/admin" and "/admin/" are different paths: the trailing slash
 * is an empty last segment. The router is immutable after start-up and can
 * then be shared by every event-loop thread without locking.
 */
#include "http/http.h"

/* One method registered at one node. */
struct route_ent {
	struct route_ent *next;
	char *method;
	http_handler_fn fn;
	unsigned flags;
	int nparams;
	char *names[HTTP_MAX_PARAMS];
};

struct node {
	char *seg; /* literal label, for literal children only */
	size_t seg_len;
	struct node **lits; /* sorted by seg_len, then bytes */
	size_t nlits;
	struct node *param; /* "{name}" child */
	struct node *rest;  /* "{name*}" child; always a leaf */
	struct route_ent *ents;
};

struct router {
	struct node root;
};

/* State of one lookup: the raw captured segments and what was seen. */
struct match {
	struct str method;
	bool head;
	struct str caps[HTTP_MAX_PARAMS];
	int ncaps;
	bool path_found;
};

/* Registration mistakes are programming errors found at start-up. */
static void router_die(const char *pattern, const char *why)
{
	fprintf(stderr, "router: bad route \"%s\": %s\n", pattern, why);
	abort();
}

struct router *router_new(void)
{
	return xcalloc(1, sizeof(struct router));
}

static void node_clear(struct node *n)
{
	for (size_t i = 0; i < n->nlits; i++) {
		node_clear(n->lits[i]);
		free(n->lits[i]);
	}
	free(n->lits);
	free(n->seg);
	if (n->param) {
		node_clear(n->param);
		free(n->param);
	}
	if (n->rest) {
		node_clear(n->rest);
		free(n->rest);
	}
	while (n->ents) {
		struct route_ent *e = n->ents;
		n->ents = e->next;
		for (int i = 0; i < e->nparams; i++)
			free(e->names[i]);
		free(e->method);
		free(e);
	}
}

void router_free(struct router *r)
{
	if (!r)
		return;
	node_clear(&r->root);
	free(r);
}

/* Orders segments by length, then bytes: cheap to compare, stable to search. */
static int seg_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return alen ? memcmp(a, b, alen) : 0;
}

/* Binary search; returns the index of the match or, in *pos, where to insert. */
static struct node *lit_find(const struct node *n, const char *s, size_t len, size_t *pos)
{
	size_t lo = 0, hi = n->nlits;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = seg_cmp(n->lits[mid]->seg, n->lits[mid]->seg_len, s, len);
		if (c == 0)
			return n->lits[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return NULL;
}

static struct node *lit_child(struct node *n, const char *s, size_t len)
{
	size_t pos = 0;
	struct node *c = lit_find(n, s, len, &pos);
	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->seg = xstrndup(s, len);
	c->seg_len = len;
	n->lits = xrealloc(n->lits, (n->nlits + 1) * sizeof(*n->lits));
	memmove(n->lits + pos + 1, n->lits + pos, (n->nlits - pos) * sizeof(*n->lits));
	n->lits[pos] = c;
	n->nlits++;
	return c;
}

static struct node *param_child(struct node **slot)
{
	if (!*slot)
		*slot = xcalloc(1, sizeof(**slot));
	return *slot;
}

/* Adds one pattern segment below n; records parameter names in e. */
static struct node *add_segment(struct node *n, const char *pattern, const char *s, size_t len,
                                bool last, struct route_ent *e)
{
	if (len < 2 || s[0] != '{' || s[len - 1] != '}') {
		if (memchr(s, '{', len) || memchr(s, '}', len))
			router_die(pattern, "braces must enclose a whole segment");
		return lit_child(n, s, len);
	}
	bool rest = s[len - 2] == '*';
	size_t name_len = len - 2 - (rest ? 1 : 0);
	if (name_len == 0)
		router_die(pattern, "empty parameter name");
	if (rest && !last)
		router_die(pattern, "{name*} must be the last segment");
	if (e->nparams == HTTP_MAX_PARAMS)
		router_die(pattern, "too many parameters");
	e->names[e->nparams++] = xstrndup(s + 1, name_len);
	return param_child(rest ? &n->rest : &n->param);
}

void router_add(struct router *r, const char *method, const char *pattern, http_handler_fn fn,
                unsigned flags)
{
	if (!pattern || pattern[0] != '/' || !method || !fn)
		router_die(pattern ? pattern : "(null)",
		           "needs a method, a handler and a pattern starting with '/'");
	struct route_ent *e = xcalloc(1, sizeof(*e));
	e->method = xstrdup(method);
	e->fn = fn;
	e->flags = flags;
	struct node *n = &r->root;
	const char *p = pattern[1] ? pattern + 1 : NULL;
	while (p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		n = add_segment(n, pattern, p, len, slash == NULL, e);
		p = slash ? slash + 1 : NULL;
	}
	for (struct route_ent *o = n->ents; o; o = o->next)
		if (strcmp(o->method, method) == 0)
			router_die(pattern, "registered twice for this method");
	e->next = n->ents;
	n->ents = e;
}

/* The node a registered pattern ends at, or NULL. */
static struct node *pattern_node(struct node *n, const char *pattern)
{
	const char *p = pattern[1] ? pattern + 1 : NULL;
	while (n && p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}')
			n = p[len - 2] == '*' ? n->rest : n->param;
		else
			n = lit_find(n, p, len, NULL);
		p = slash ? slash + 1 : NULL;
	}
	return n;
}

void router_add_flags(struct router *r, const char *method, const char *pattern, unsigned flags)
{
	struct node *n = pattern && pattern[0] == '/' ? pattern_node(&r->root, pattern) : NULL;
	for (struct route_ent *e = n ? n->ents : NULL; e; e = e->next) {
		if (strcmp(e->method, method) == 0) {
			e->flags |= flags;
			return;
		}
	}
	router_die(pattern ? pattern : "(null)", "no such route to add flags to");
}

/* The entry for the method at a leaf: an exact method wins, then GET for HEAD. */
static const struct route_ent *leaf_entry(const struct node *n, struct match *m)
{
	const struct route_ent *get = NULL;
	for (const struct route_ent *e = n->ents; e; e = e->next) {
		if (str_eq(m->method, e->method))
			return e;
		if (m->head && strcmp(e->method, "GET") == 0)
			get = e;
	}
	if (!get && n->ents)
		m->path_found = true;
	return get;
}

/* Matches the segments from p (NULL: none left) up to end, below n. */
static const struct route_ent *match_node(const struct node *n, const char *p, const char *end,
                                          struct match *m)
{
	if (!p)
		return leaf_entry(n, m);
	const char *slash = memchr(p, '/', (size_t)(end - p));
	size_t len = slash ? (size_t)(slash - p) : (size_t)(end - p);
	const char *next = slash ? slash + 1 : NULL;
	const struct route_ent *e = NULL;
	const struct node *lit = lit_find(n, p, len, NULL);
	if (lit && (e = match_node(lit, next, end, m)))
		return e;
	if (n->param && len > 0) {
		m->caps[m->ncaps++] = str_from(p, len);
		if ((e = match_node(n->param, next, end, m)))
			return e;
		m->ncaps--;
	}
	if (n->rest && end > p) {
		m->caps[m->ncaps++] = str_from(p, (size_t)(end - p));
		if ((e = leaf_entry(n->rest, m)))
			return e;
		m->ncaps--;
	}
	return NULL;
}

/* Fills out from the captures; false when a value does not decode. */
static bool fill_params(struct arena *a, const struct route_ent *e, const struct match *m,
                        struct route_params *out)
{
	for (int i = 0; i < m->ncaps; i++) {
		/* '+' stays '+' in a path; NUL, bad escapes and bad UTF-8 fail. */
		char *v = http_url_decode(a, m->caps[i].p, m->caps[i].len, false);
		if (!v)
			return false;
		out->name[i] = str_from(e->names[i], strlen(e->names[i]));
		out->val[i] = str_from(v, strlen(v));
		out->n = i + 1;
	}
	return true;
}

http_handler_fn router_match(const struct router *r, struct str method, struct str path,
                             struct arena *a, struct route_params *out, unsigned *flags,
                             bool *method_mismatch, bool *bad_param)
{
	struct match m = {.method = method, .head = str_eq(method, "HEAD")};
	out->n = 0;
	if (method_mismatch)
		*method_mismatch = false;
	if (bad_param)
		*bad_param = false;
	if (path.len == 0 || path.p[0] != '/')
		return NULL;
	const char *p = path.len > 1 ? path.p + 1 : NULL;
	const struct route_ent *e = match_node(&r->root, p, path.p + path.len, &m);
	if (!e) {
		if (method_mismatch)
			*method_mismatch = m.path_found;
		return NULL;
	}
	if (!fill_params(a, e, &m, out)) {
		out->n = 0;
		if (bad_param)
			*bad_param = true;
		return NULL;
	}
	if (flags)
		*flags = e->flags;
	return e->fn;
}

const char *req_param(const struct req *req, const char *name)
{
	for (int i = 0; i < req->params.n; i++)
		if (str_eq(req->params.name[i], name))
			return req->params.val[i].p;
	return NULL;
}
