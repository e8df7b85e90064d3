/*
 * map.c — the network map: people and introduction edges laid out by
 * Graphviz (libgvc + cgraph, sfdp engine) and rendered as an SVG document.
 * The only file of the program that includes Graphviz headers.
 *
 * Nodes: the people at the requested stage (default acquaintance and
 * network) and tag, most engaged first, up to max_nodes; the people those
 * reach through introductions (any stage, within the same cap); and the
 * owner in the middle. Edges: introducer → person for "A introduced me to
 * B", a dashed person → other for "I introduced A to B", and a faint owner
 * → person edge for everyone on the map nobody introduced, so the map
 * reads as "how I came to know everyone". Each person node links to
 * base_url + "/admin/people/{id}" (target _top, for an <object> embed).
 *
 * Escaping: Graphviz's SVG renderer XML-escapes labels, tooltips and
 * attribute values; what we do beforehand is double every backslash, since
 * labels are Graphviz escStrings (\N, \G, \n … would otherwise expand).
 * A name that itself spells an HTML entity ("&lt;") is shown decoded,
 * because Graphviz resolves entities in labels; it never becomes markup.
 * Node URLs are Graphviz-rendered without escaping '&', so a base URL with
 * anything but plain URL characters is dropped in favour of relative links.
 *
 * Threading: Graphviz keeps global state (the prototype graph that
 * gvContext changes, error handlers), so the drawing part runs under one
 * process-wide mutex with a context created and freed per call. The
 * context is built from the core (SVG) and neato-layout (sfdp) plugins
 * only: loading every configured plugin would pull in pango and
 * fontconfig, which cost ~150 ms per process and keep allocations that
 * LeakSanitizer reports; without a text-layout plugin Graphviz estimates
 * label widths from built-in font metrics, which is enough for boxes.
 *
 * libgvc and libcgraph are loaded with dlopen at the first map, not linked:
 * with libexpat, libltdl, libcdt and libpathplan they add ~0.5 MB to every
 * process, and a site that never draws the map should not carry them. The
 * functions used are looked up once into `gv`; the names below are macros
 * over that table. The plugins above are then found beside the loaded
 * libgvc as before.
 */
#include <dlfcn.h>
#include <pthread.h>

#include <gvc.h>

#include "network/network.h"
#include "network/people_int.h"

#include "db/db.h"

#define MAP_DEFAULT_MAX 2000
#define MAP_LABEL_MAX   120 /* bytes of a name or company shown in a node */
/* The owner is the "me" node, not one of the people drawn. */
#define NOT_OWNER NET_NOT_OWNER("id")

/* Fill colours per stage (net_stages order), as in the funnel chart. */
static const char *const map_fill[4] = {"#cbd5e1", "#7dd3fc", "#fcd34d", "#6ee7b7"};

enum edge_kind { EDGE_INTRO, EDGE_BY_ME, EDGE_OWNER };

struct map_node {
	int64_t id;
	const char *name, *company, *email, *stage;
	bool introduced; /* has a drawn "introduced to me" edge */
	Agnode_t *gv;
};

struct map_edge {
	int64_t from, to; /* 0 = the owner */
	enum edge_kind kind;
};

struct map_data {
	struct arena *a;
	struct map_node *nodes;
	size_t n, cap, nsel;
	struct map_edge *edges;
	size_t ne, cape;
	int64_t *extra; /* endpoints outside the selection, before loading */
	size_t nextra, capextra;
	int64_t *index; /* node ids sorted, with their position: pairs */
	int64_t more;   /* people left out by the cap */
};

/* ---- Graphviz, loaded on first use ---- */

/* Sonames of Graphviz 2.43 … 9 (cgraph.so.6, gvc.so.6), as the plugins'. */
#define GV_CGRAPH_LIB "libcgraph.so.6"
#define GV_GVC_LIB    "libgvc.so.6"

static struct {
	__typeof__(agopen) *open; /* from libcgraph */
	__typeof__(agclose) *close;
	__typeof__(agnode) *node;
	__typeof__(agedge) *edge;
	__typeof__(agattr) *attr;
	__typeof__(agsafeset) *safeset;
	__typeof__(agseterr) *seterr;
	__typeof__(agseterrf) *seterrf;
	__typeof__(Agdirected) *directed;
	__typeof__(gvContext) *context; /* from libgvc */
	__typeof__(gvContextPlugins) *context_plugins;
	__typeof__(gvLayout) *layout;
	__typeof__(gvRenderData) *render_data;
	__typeof__(gvFreeRenderData) *free_render_data;
	__typeof__(gvFreeLayout) *free_layout;
	__typeof__(gvFreeContext) *free_context;
} gv;

#define agopen           (*gv.open)
#define agclose          (*gv.close)
#define agnode           (*gv.node)
#define agedge           (*gv.edge)
#define agattr           (*gv.attr)
#define agsafeset        (*gv.safeset)
#define agseterr         (*gv.seterr)
#define agseterrf        (*gv.seterrf)
#define Agdirected       (*gv.directed)
#define gvContext        (*gv.context)
#define gvContextPlugins (*gv.context_plugins)
#define gvLayout         (*gv.layout)
#define gvRenderData     (*gv.render_data)
#define gvFreeRenderData (*gv.free_render_data)
#define gvFreeLayout     (*gv.free_layout)
#define gvFreeContext    (*gv.free_context)

static pthread_once_t gv_once = PTHREAD_ONCE_INIT;
static bool gv_ok;

static void gv_load(void)
{
	static const char *const libs[2] = {GV_CGRAPH_LIB, GV_GVC_LIB};
	static const char *const names[] = {
	        "agopen",       "agclose",          "agnode",           "agedge",
	        "agattr",       "agsafeset",        "agseterr",         "agseterrf",
	        "Agdirected",   "gvContext",        "gvContextPlugins", "gvLayout",
	        "gvRenderData", "gvFreeRenderData", "gvFreeLayout",     "gvFreeContext",
	};
	enum { FIRST_GVC = 9 }; /* names[] from here on are libgvc's */
	void *h[2];
	/* libgvc first: it needs libcgraph, so a missing libgvc loads nothing.
	 * The handles stay open for the life of the process. */
	for (int i = 1; i >= 0; i--) {
		if (!(h[i] = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL))) {
			log_at(LOG_ERROR, "network", "cannot load Graphviz: %s", dlerror());
			return;
		}
	}
	void **slot = (void **)&gv; /* the members are in the order of names[] */
	_Static_assert(sizeof(gv) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
	               "one pointer per name");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(slot[i] = dlsym(h[i >= FIRST_GVC], names[i]))) {
			log_at(LOG_ERROR, "network", "%s lacks %s", libs[i >= FIRST_GVC], names[i]);
			return;
		}
	}
	gv_ok = true;
}

static pthread_mutex_t map_mu = PTHREAD_MUTEX_INITIALIZER;
static lt_symlist_t map_builtins[3];
static bool map_plugins_tried;

/* ---- collecting people and edges ---- */

static void node_push(struct map_data *d, struct db_stmt *st)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->nodes = xrealloc(d->nodes, d->cap * sizeof(*d->nodes));
	}
	struct map_node *m = &d->nodes[d->n++];
	memset(m, 0, sizeof(*m));
	m->id = db_col_int(st, 0);
	m->name = db_col_dup(st, 1, d->a);
	m->company = db_col_dup(st, 2, d->a);
	m->email = db_col_dup(st, 3, d->a);
	m->stage = db_col_dup(st, 4, d->a);
}

/* How many people the filter matches beyond the ones drawn. */
static enum jm_rc count_selected(const struct net_map_query *q, struct db *db, const char *s1,
                                 const char *s2, struct map_data *d)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc;
	if (q->tag)
		rc = db_preparef(db, &st,
		                 "SELECT count(*) FROM people WHERE stage IN (?, ?) AND id IN "
		                 "(SELECT person_id FROM person_tags WHERE tag = ?) AND " NOT_OWNER,
		                 "ttt", s1, s2, q->tag);
	else
		rc = db_preparef(db, &st,
		                 "SELECT count(*) FROM people WHERE stage IN (?, ?) AND " NOT_OWNER,
		                 "tt", s1, s2);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		d->more = db_col_int(st, 0) - (int64_t)d->nsel;
	db_finalize(st);
	return rc == JM_OK ? JM_OK : JM_DB;
}

static enum jm_rc load_selected(struct db *db, const struct net_map_query *q, size_t max,
                                struct map_data *d)
{
	const char *s1 = q->stage ? q->stage : "acquaintance",
	           *s2 = q->stage ? q->stage : "network";
	struct db_stmt *st = NULL;
	enum jm_rc rc;
	if (q->tag)
		rc = db_preparef(db, &st,
		                 "SELECT id, name, company, email, stage FROM people "
		                 "WHERE stage IN (?, ?) AND id IN (SELECT person_id FROM "
		                 "person_tags WHERE tag = ?) AND " NOT_OWNER
		                 " ORDER BY engagement DESC, id LIMIT ?",
		                 "ttti", s1, s2, q->tag, (int64_t)max + 1);
	else
		rc = db_preparef(db, &st,
		                 "SELECT id, name, company, email, stage FROM people "
		                 "WHERE stage IN (?, ?) AND " NOT_OWNER
		                 " ORDER BY engagement DESC, id LIMIT ?",
		                 "tti", s1, s2, (int64_t)max + 1);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK && d->n < max)
		node_push(d, st);
	bool over = rc == JM_OK;
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	d->nsel = d->n;
	if (!over)
		return JM_OK;
	/* Only now is the exact number of people left out worth a count. */
	return count_selected(q, db, s1, s2, d);
}

static int cmp_pair(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* (Re)builds the sorted id → position index over every node. */
static void index_build(struct map_data *d)
{
	d->index = xrealloc(d->index, (d->n ? d->n : 1) * 2 * sizeof(int64_t));
	for (size_t i = 0; i < d->n; i++) {
		d->index[2 * i] = d->nodes[i].id;
		d->index[2 * i + 1] = (int64_t)i;
	}
	if (d->n)
		qsort(d->index, d->n, 2 * sizeof(int64_t), cmp_pair);
}

static struct map_node *node_find(const struct map_data *d, int64_t id)
{
	const int64_t *p =
	        d->n ? bsearch(&id, d->index, d->n, 2 * sizeof(int64_t), cmp_pair) : NULL;
	return p ? &d->nodes[p[1]] : NULL;
}

static void edge_push(struct map_data *d, int64_t from, int64_t to, enum edge_kind kind)
{
	if (d->ne == d->cape) {
		d->cape = d->cape ? d->cape * 2 : 64;
		d->edges = xrealloc(d->edges, d->cape * sizeof(*d->edges));
	}
	d->edges[d->ne++] = (struct map_edge){from, to, kind};
}

static void extra_push(struct map_data *d, int64_t id)
{
	if (!id || node_find(d, id))
		return;
	if (d->nextra == d->capextra) {
		d->capextra = d->capextra ? d->capextra * 2 : 32;
		d->extra = xrealloc(d->extra, d->capextra * sizeof(*d->extra));
	}
	d->extra[d->nextra++] = id;
}

/* An introduction becomes one or two edges when it touches the selection;
 * its other ends are remembered as extra people to draw. */
static void intro_edges(struct map_data *d, int64_t by, int64_t person, int64_t to)
{
	bool touches = node_find(d, by) || node_find(d, person) || node_find(d, to);
	if (!touches)
		return;
	if (!to) {
		edge_push(d, by, person, EDGE_INTRO);
	} else if (!by) {
		edge_push(d, person, to, EDGE_BY_ME);
	} else {
		edge_push(d, by, person, EDGE_INTRO);
		edge_push(d, by, to, EDGE_INTRO);
	}
	extra_push(d, by);
	extra_push(d, person);
	extra_push(d, to);
}

static enum jm_rc load_intros(struct db *db, struct map_data *d)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db,
	                           "SELECT coalesce(introducer_id, 0), person_id, "
	                           "coalesce(to_id, 0) FROM introductions ORDER BY id",
	                           &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK)
		intro_edges(d, db_col_int(st, 0), db_col_int(st, 1), db_col_int(st, 2));
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* Extra people are read EXTRA_BATCH ids per statement: one statement per
 * person cost a round trip each, which on PostgreSQL (a socket and the
 * server's executor per statement) made the map slower than sfdp alone. */
#define EXTRA_BATCH 128

static void extras_sql(unsigned mask, struct buf *b)
{
	(void)mask;
	enum jm_rc rc = buf_appends(b, "SELECT id, name, company, email, stage FROM people "
	                               "WHERE id IN (?");
	for (int i = 1; i < EXTRA_BATCH; i++)
		rc |= buf_appends(b, ", ?");
	rc |= buf_appends(b, ") AND " NOT_OWNER " ORDER BY id");
	if (rc)
		abort(); /* uncapped: only an allocation can fail, and that aborts */
}

/* The people among ids[0..n) (sorted), in id order, until the cap. */
static enum jm_rc load_extra_batch(struct db *db, const int64_t *ids, size_t n, size_t max,
                                   struct map_data *d)
{
	static char *cache[1];
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, db_sql_variant(cache, 1, 0, extras_sql), &st);
	if (rc)
		return rc;
	/* Unused slots repeat the last id: the text stays one cached statement. */
	for (size_t i = 0; i < EXTRA_BATCH; i++)
		db_bind_int(st, (int)i + 1, ids[i < n ? i : n - 1]);
	while (d->n < max && (rc = db_step(st)) == JM_OK)
		node_push(d, st);
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

/* Loads the extra people, as many as the cap leaves room for ("N more"
 * counts the filter's people only), in id order. */
static enum jm_rc load_extras(struct db *db, size_t max, struct map_data *d)
{
	enum jm_rc rc = JM_OK;
	size_t n = 0;
	if (d->nextra)
		qsort(d->extra, d->nextra, sizeof(int64_t), cmp_pair);
	for (size_t i = 0; i < d->nextra; i++) /* drop duplicates */
		if (i == 0 || d->extra[i] != d->extra[n - 1])
			d->extra[n++] = d->extra[i];
	for (size_t i = 0; i < n && d->n < max && !rc; i += EXTRA_BATCH)
		rc = load_extra_batch(db, d->extra + i, n - i < EXTRA_BATCH ? n - i : EXTRA_BATCH,
		                      max, d);
	index_build(d);
	return rc;
}

/* Drops edges to people left out and links the owner to everyone nobody
 * on the map introduced (so every chain of introductions starts at the
 * owner and the map is one piece). */
static void finish_edges(struct map_data *d)
{
	size_t k = 0;
	for (size_t i = 0; i < d->ne; i++) {
		struct map_edge e = d->edges[i];
		struct map_node *to = node_find(d, e.to);
		if ((e.from && !node_find(d, e.from)) || (e.to && !to))
			continue;
		if (e.kind == EDGE_INTRO && to)
			to->introduced = true;
		d->edges[k++] = e;
	}
	d->ne = k;
	for (size_t i = 0; i < d->n; i++)
		if (!d->nodes[i].introduced)
			edge_push(d, 0, d->nodes[i].id, EDGE_OWNER);
}

static enum jm_rc map_collect(struct db *db, const struct net_map_query *q, struct map_data *d)
{
	size_t max = q->max_nodes ? q->max_nodes : MAP_DEFAULT_MAX;
	enum jm_rc rc = load_selected(db, q, max, d);
	if (rc)
		return rc;
	index_build(d);
	rc = load_intros(db, d);
	if (!rc)
		rc = load_extras(db, max, d);
	if (!rc)
		finish_edges(d);
	return rc;
}

/* ---- drawing ---- */

/* s with every backslash doubled (Graphviz escString), cut to max bytes. */
static char *gv_text(struct arena *a, const char *s, size_t max)
{
	size_t len = utf8_truncate(s, strlen(s), max), k = 0;
	char *o = arena_alloc(a, len * 2 + 1);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			o[k++] = '\\';
		o[k++] = s[i];
	}
	o[k] = '\0';
	return o;
}

/* True when base can be glued in front of a path inside an SVG attribute
 * as it is (Graphviz does not escape '&' in URLs). */
static bool plain_url(const char *base)
{
	for (const char *p = base; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/"
		            "._~-[]%",
		            *p))
			return false;
	return true;
}

static void draw_person(Agraph_t *g, struct arena *a, struct map_node *m, const char *base)
{
	char name[32];
	snprintf(name, sizeof(name), "p%lld", (long long)m->id);
	m->gv = agnode(g, name, 1);
	const char *who = m->name[0] ? m->name : m->email[0] ? m->email : name;
	char *label = gv_text(a, who, MAP_LABEL_MAX);
	if (m->company[0])
		label = arena_sprintf(a, "%s\\n%s", label, gv_text(a, m->company, MAP_LABEL_MAX));
	int r = net_stage_rank(m->stage);
	agsafeset(m->gv, "label", label, "");
	agsafeset(m->gv, "tooltip", arena_sprintf(a, "%s (%s)", label, m->stage), "");
	agsafeset(m->gv, "fillcolor", (char *)map_fill[r >= 0 ? r : 0], "");
	agsafeset(m->gv, "URL", arena_sprintf(a, "%s/admin/people/%lld", base, (long long)m->id),
	          "");
	agsafeset(m->gv, "id", arena_sprintf(a, "person-%lld", (long long)m->id), "");
	agsafeset(m->gv, "class", arena_sprintf(a, "stage-%s", r >= 0 ? m->stage : "reader"), "");
}

static void graph_attrs(Agraph_t *g, struct arena *a, size_t n, int64_t more, const char *more_l)
{
	/* Measured (2 cores, release build): full Prism overlap removal costs
	 * ~120 ms at 500 nodes and ~1 s at 2000; ten Prism passes look as tidy
	 * for a big map at a quarter of the time; "scale" is fast but spreads
	 * the drawing five times wider. The fast quadtree saves another ~30 %. */
	agattr(g, AGRAPH, "overlap", n <= 400 ? "prism" : "prism10");
	agattr(g, AGRAPH, "quadtree", "fast");
	agattr(g, AGRAPH, "splines", "false");
	agattr(g, AGRAPH, "outputorder", "edgesfirst");
	agattr(g, AGRAPH, "bgcolor", "transparent");
	agattr(g, AGRAPH, "pad", "0.2");
	agattr(g, AGRAPH, "fontname", "Helvetica");
	agattr(g, AGRAPH, "fontsize", "12");
	agattr(g, AGRAPH, "labelloc", "b");
	if (more > 0)
		agattr(g, AGRAPH, "label",
		       arena_sprintf(a, "%lld %s", (long long)more, gv_text(a, more_l, 200)));
	agattr(g, AGNODE, "shape", "box");
	agattr(g, AGNODE, "style", "filled,rounded");
	agattr(g, AGNODE, "fontname", "Helvetica");
	agattr(g, AGNODE, "fontsize", "10");
	agattr(g, AGNODE, "color", "#64748b");
	agattr(g, AGNODE, "penwidth", "0.6");
	agattr(g, AGNODE, "margin", "0.08,0.03");
	agattr(g, AGNODE, "target", "_top");
	agattr(g, AGEDGE, "color", "#64748b");
	agattr(g, AGEDGE, "arrowsize", "0.5");
	agattr(g, AGEDGE, "style", "solid");
}

static Agraph_t *build_graph(struct map_data *d, const struct net_map_query *q)
{
	Agraph_t *g = agopen("network", Agdirected, NULL);
	const char *base = q->base_url && plain_url(q->base_url) ? q->base_url : "";
	graph_attrs(g, d->a, d->n, d->more, q->more_label ? q->more_label : "人は表示していません");
	Agnode_t *me = agnode(g, "me", 1);
	agsafeset(me, "label", gv_text(d->a, q->me_label ? q->me_label : "わたし", 60), "");
	agsafeset(me, "shape", "ellipse", "");
	agsafeset(me, "fillcolor", "#1e3a8a", "");
	agsafeset(me, "fontcolor", "#ffffff", "");
	agsafeset(me, "fontsize", "13", "");
	agsafeset(me, "id", "me", "");
	for (size_t i = 0; i < d->n; i++)
		draw_person(g, d->a, &d->nodes[i], base);
	for (size_t i = 0; i < d->ne; i++) {
		const struct map_edge *e = &d->edges[i];
		struct map_node *f = e->from ? node_find(d, e->from) : NULL;
		Agnode_t *from = f ? f->gv : me, *to = e->to ? node_find(d, e->to)->gv : me;
		Agedge_t *ge = agedge(g, from, to, NULL, 1);
		if (e->kind == EDGE_BY_ME)
			agsafeset(ge, "style", "dashed", "");
		else if (e->kind == EDGE_OWNER)
			agsafeset(ge, "color", "#cbd5e1", "");
	}
	return g;
}

static int gv_log(char *msg)
{
	log_at(LOG_WARN, "network", "graphviz=%s", msg);
	return 0;
}

/* The core and neato-layout plugins, found beside libgvc (called under
 * map_mu, once). On failure the caller falls back to gvContext(). */
static void plugins_load(void)
{
	static const char *const libs[2][2] = {
	        {"libgvplugin_core.so.6", "gvplugin_core_LTX_library"},
	        {"libgvplugin_neato_layout.so.6", "gvplugin_neato_layout_LTX_library"}};
	Dl_info info;
	char dir[512], file[640];
	map_plugins_tried = true;
	if (!dladdr((void *)gvContext, &info) || !info.dli_fname)
		return;
	const char *slash = strrchr(info.dli_fname, '/');
	int dl = slash ? (int)(slash - info.dli_fname) : 0;
	snprintf(dir, sizeof(dir), "%.*s/graphviz", dl, info.dli_fname);
	for (int i = 0; i < 2; i++) {
		snprintf(file, sizeof(file), "%s/%s", dir, libs[i][0]);
		void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
		void *sym = h ? dlsym(h, libs[i][1]) : NULL;
		if (!sym) {
			log_at(LOG_WARN, "network", "graphviz plugin=%s missing, loading all",
			       file);
			if (h)
				dlclose(h);
			map_builtins[0].name = NULL;
			return;
		}
		map_builtins[i].name = libs[i][1];
		map_builtins[i].address = sym;
	}
}

static GVC_t *context_new(void)
{
	if (!map_plugins_tried)
		plugins_load();
	return map_builtins[0].name ? gvContextPlugins(map_builtins, 0) : gvContext();
}

static enum jm_rc map_draw(struct map_data *d, const struct net_map_query *q, struct buf *out,
                           struct jm_err *err)
{
	char *data = NULL;
	unsigned int len = 0;
	enum jm_rc rc = JM_OK;
	pthread_mutex_lock(&map_mu);
	agusererrf prev_f = agseterrf(gv_log);
	agerrlevel_t prev_l = agseterr(AGERR);
	GVC_t *gvc = context_new();
	Agraph_t *g = build_graph(d, q);
	if (gvLayout(gvc, g, "sfdp") != 0) {
		jm_err_set(err, NULL, "graph layout failed");
		rc = JM_IO;
	} else if (gvRenderData(gvc, g, "svg", &data, &len) != 0 || !data) {
		jm_err_set(err, NULL, "graph rendering failed");
		rc = JM_IO;
	} else {
		rc = buf_append(out, data, len);
	}
	gvFreeRenderData(data);
	gvFreeLayout(gvc, g);
	agclose(g);
	gvFreeContext(gvc);
	agseterr(prev_l);
	agseterrf(prev_f);
	pthread_mutex_unlock(&map_mu);
	return rc;
}

enum jm_rc net_map_svg(struct db *db, const struct net_map_query *q, struct buf *out,
                       struct jm_err *err)
{
	struct net_map_query qq = *q;
	if (qq.stage && !*qq.stage)
		qq.stage = NULL;
	if (qq.tag && !*qq.tag)
		qq.tag = NULL;
	if (qq.stage && !net_stage_valid(qq.stage)) {
		jm_err_set(err, "stage", "unknown stage");
		return JM_INVALID;
	}
	if (qq.tag && strlen(qq.tag) > 60) {
		jm_err_set(err, "tag", "tag too long (max 60 bytes)");
		return JM_INVALID;
	}
	pthread_once(&gv_once, gv_load);
	if (!gv_ok) {
		jm_err_set(err, NULL, "Graphviz (" GV_GVC_LIB ") is not installed");
		return JM_IO;
	}
	struct map_data d = {.a = arena_new(1 << 16)};
	int64_t t0 = jm_now_ms();
	enum jm_rc rc = map_collect(db, &qq, &d);
	int64_t t1 = jm_now_ms();
	if (!rc)
		rc = map_draw(&d, &qq, out, err);
	log_at(LOG_DEBUG, "network",
	       "map nodes=%zu edges=%zu more=%lld collect_ms=%lld draw_ms=%lld", d.n, d.ne,
	       (long long)d.more, (long long)(t1 - t0), (long long)(jm_now_ms() - t1));
	free(d.nodes);
	free(d.edges);
	free(d.extra);
	free(d.index);
	arena_free(d.a);
	return rc;
}
