/*
 * tpl_render.c — walks a parsed template tree and appends the page to a
 * capped buffer.
 *
 * Everything that can go wrong with a template was caught by view_load, so
 * rendering fails only when the output buffer's cap is hit (JM_TOO_LARGE)
 * or memory runs out; then the buffer is restored to its length on entry.
 * Output is HTML-escaped unless the value is safe HTML (view_set_html) or
 * went through the raw, url or json filters. A render reads the view and
 * the context only, so any number of threads may render one view at once.
 */
#include "view/view_int.h"

#include <inttypes.h>

#define JSON_MAX_DEPTH 32

/* One level of {% for %}: the loop variable and the loop.* values. */
struct frame {
	const struct frame *up;
	struct str var;
	const struct view_val *item;
	struct view_val index, index0, first, last, length;
};

struct rstate {
	const struct view_val *ctx;
	int lang; /* 0 = ja, 1 = en */
	struct view_val langv;
	struct buf *out;
	const struct frame *top;
	struct buf scratch[2]; /* filter results, used alternately */
	uint64_t steps, max_steps;
};

/* ---- escaping ---- */

static const char *html_entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

enum jm_rc view_escape(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;
	enum jm_rc rc;
	for (size_t i = 0; i < len; i++) {
		const char *ent = html_entity((unsigned char)s[i]);
		if (!ent)
			continue;
		if ((rc = buf_append(out, s + run, i - run)) || (rc = buf_appends(out, ent)))
			return rc;
		run = i + 1;
	}
	return buf_append(out, s + run, len - run);
}

static bool url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static enum jm_rc url_encode(struct buf *out, struct str s)
{
	static const char hex[] = "0123456789ABCDEF";
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < s.len && !rc; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (url_unreserved(c)) {
			rc = buf_appendc(out, (char)c);
		} else {
			char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
			rc = buf_append(out, enc, 3);
		}
	}
	return rc;
}

/* ---- values as text ---- */

/* The text of a scalar; tmp holds the digits of an integer. */
static struct str val_text(const struct view_val *v, char tmp[24])
{
	if (!v)
		return str_from("", 0);
	switch (v->type) {
	case VV_STR:
	case VV_HTML: return v->u.s;
	case VV_INT: return str_from(tmp, (size_t)snprintf(tmp, 24, "%" PRId64, v->u.i));
	case VV_BOOL: return v->u.b ? STR_LIT("true") : STR_LIT("false");
	default: return str_from("", 0);
	}
}

/* ---- json filter: safe inside <script> because < > & ' never appear raw ---- */

static enum jm_rc json_escape_byte(struct buf *b, unsigned char c)
{
	switch (c) {
	case '"': return buf_appends(b, "\\\"");
	case '\\': return buf_appends(b, "\\\\");
	case '\n': return buf_appends(b, "\\n");
	case '\r': return buf_appends(b, "\\r");
	case '\t': return buf_appends(b, "\\t");
	default: return buf_appendf(b, "\\u%04x", c);
	}
}

static enum jm_rc json_string(struct buf *b, struct str s)
{
	enum jm_rc rc = buf_appendc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < s.len && !rc; i++) {
		unsigned char c = (unsigned char)s.p[i];
		bool sep = c == 0xE2 && i + 2 < s.len && (unsigned char)s.p[i + 1] == 0x80 &&
		           ((unsigned char)s.p[i + 2] == 0xA8 || (unsigned char)s.p[i + 2] == 0xA9);
		if (!sep && c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' &&
		    c != '&' && c != '\'' && c != 0x7F)
			continue;
		if ((rc = buf_append(b, s.p + run, i - run)))
			return rc;
		if (sep) {
			rc = buf_appends(b,
			                 (unsigned char)s.p[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
			i += 2;
		} else {
			rc = json_escape_byte(b, c);
		}
		run = i + 1;
	}
	if (rc || (rc = buf_append(b, s.p + run, s.len - run)))
		return rc;
	return buf_appendc(b, '"');
}

/* True when a later entry of map replaces entry i (the last set wins). */
static bool map_shadowed(const struct view_val *map, size_t i)
{
	const struct vv_ent *e = &map->u.c.ents[i];
	for (size_t j = i + 1; j < map->u.c.n; j++)
		if (map->u.c.ents[j].klen == e->klen &&
		    !memcmp(map->u.c.ents[j].key, e->key, e->klen))
			return true;
	return false;
}

static enum jm_rc json_value(struct buf *b, const struct view_val *v, int depth);

static enum jm_rc json_container(struct buf *b, const struct view_val *v, int depth)
{
	bool map = v->type == VV_MAP;
	bool first = true;
	enum jm_rc rc = buf_appendc(b, map ? '{' : '[');
	for (size_t i = 0; i < v->u.c.n && !rc; i++) {
		if (map && map_shadowed(v, i))
			continue;
		if (!first && (rc = buf_appendc(b, ',')))
			return rc;
		first = false;
		if (map) {
			const struct vv_ent *e = &v->u.c.ents[i];
			if ((rc = json_string(b, str_from(e->key, e->klen))) ||
			    (rc = buf_appendc(b, ':')))
				return rc;
			rc = json_value(b, e->v, depth + 1);
		} else {
			rc = json_value(b, v->u.c.items[i], depth + 1);
		}
	}
	return rc ? rc : buf_appendc(b, map ? '}' : ']');
}

static enum jm_rc json_value(struct buf *b, const struct view_val *v, int depth)
{
	if (!v || v->type == VV_NULL || depth > JSON_MAX_DEPTH)
		return buf_appends(b, "null");
	switch (v->type) {
	case VV_STR:
	case VV_HTML: return json_string(b, v->u.s);
	case VV_INT: return buf_appendf(b, "%" PRId64, v->u.i);
	case VV_BOOL: return buf_appends(b, v->u.b ? "true" : "false");
	default: return json_container(b, v, depth);
	}
}

/* ---- lookups ---- */

static const struct view_val *loop_field(const struct frame *f, struct str name)
{
	if (str_eq(name, "index"))
		return &f->index;
	if (str_eq(name, "index0"))
		return &f->index0;
	if (str_eq(name, "first"))
		return &f->first;
	if (str_eq(name, "last"))
		return &f->last;
	if (str_eq(name, "length"))
		return &f->length;
	return NULL;
}

static const struct view_val *child(const struct view_val *v, struct str seg)
{
	if (v->type == VV_MAP)
		return view_val_get(v, seg.p, seg.len);
	if (v->type != VV_LIST || seg.len > 9)
		return NULL;
	size_t i = 0;
	for (size_t k = 0; k < seg.len; k++) {
		if (seg.p[k] < '0' || seg.p[k] > '9')
			return NULL;
		i = i * 10 + (size_t)(seg.p[k] - '0');
	}
	return i < v->u.c.n ? v->u.c.items[i] : NULL;
}

/* Resolves a path's first segment: loop variables, then loop.*, then ctx. */
static const struct view_val *first_seg(const struct rstate *rs, const struct path *p, size_t *used)
{
	struct str s0 = p->segs[0];
	*used = 1;
	for (const struct frame *f = rs->top; f; f = f->up)
		if (f->var.len == s0.len && !memcmp(f->var.p, s0.p, s0.len))
			return f->item;
	if (rs->top && str_eq(s0, "loop")) {
		*used = 2;
		return p->nsegs < 2 ? NULL : loop_field(rs->top, p->segs[1]);
	}
	return view_val_get(rs->ctx, s0.p, s0.len);
}

static const struct view_val *lookup(const struct rstate *rs, const struct path *p)
{
	if (p->kind == PATH_LANG)
		return &rs->langv;
	if (p->kind == PATH_T)
		return p->tval[rs->lang];
	size_t i;
	const struct view_val *v = first_seg(rs, p, &i);
	for (; i < p->nsegs && v; i++)
		v = child(v, p->segs[i]);
	return v;
}

/* ---- conditions ---- */

static const struct view_val *operand(const struct rstate *rs, const struct expr *e)
{
	return e->kind == EX_PATH ? lookup(rs, &e->path) : e->kind == EX_LIT ? &e->lit : NULL;
}

/* == and != compare the rendered text, so 3 == "3" and missing == "". */
static bool vals_equal(const struct view_val *a, const struct view_val *b)
{
	char ta[24], tb[24];
	struct str sa = val_text(a, ta), sb = val_text(b, tb);
	return sa.len == sb.len && !memcmp(sa.p, sb.p, sa.len);
}

static bool eval(const struct rstate *rs, const struct expr *e)
{
	switch (e->kind) {
	case EX_PATH:
	case EX_LIT: return view_val_truthy(operand(rs, e));
	case EX_NOT: return !eval(rs, e->l);
	case EX_AND: return eval(rs, e->l) && eval(rs, e->r);
	case EX_OR: return eval(rs, e->l) || eval(rs, e->r);
	case EX_EQ: return vals_equal(operand(rs, e->l), operand(rs, e->r));
	case EX_NE: return !vals_equal(operand(rs, e->l), operand(rs, e->r));
	}
	return false;
}

/* ---- output and filters ---- */

/* The value flowing through a filter chain. */
struct fval {
	const struct view_val *v;
	bool safe;
	struct view_val tmp[2];
	int k; /* which tmp/scratch the next filter writes */
};

static bool is_blank(const struct view_val *v)
{
	return !v || v->type == VV_NULL ||
	       ((v->type == VV_STR || v->type == VV_HTML) && v->u.s.len == 0);
}

static size_t val_length(const struct view_val *v)
{
	if (!v)
		return 0;
	if (v->type == VV_LIST || v->type == VV_MAP)
		return v->u.c.n;
	if (v->type != VV_STR && v->type != VV_HTML)
		return 0;
	return utf8_valid(v->u.s.p, v->u.s.len) ? utf8_count(v->u.s.p, v->u.s.len) : v->u.s.len;
}

/* Runs a filter that produces text into the next scratch buffer. */
static enum jm_rc filter_text(struct rstate *rs, struct fval *fv, enum filter_kind kind)
{
	struct buf *b = &rs->scratch[fv->k];
	char tmp[24];
	struct str s = val_text(fv->v, tmp);
	enum jm_rc rc = JM_OK;
	buf_reset(b);
	if (kind == F_URL) {
		rc = url_encode(b, s);
	} else if (kind == F_JSON) {
		rc = json_value(b, fv->v, 0);
	} else if (!(rc = buf_append(b, s.p, s.len))) {
		for (size_t i = 0; i < b->len; i++) {
			char c = b->ptr[i];
			if (kind == F_UPPER && c >= 'a' && c <= 'z')
				b->ptr[i] = (char)(c - 'a' + 'A');
			else if (kind == F_LOWER && c >= 'A' && c <= 'Z')
				b->ptr[i] = (char)(c - 'A' + 'a');
		}
	}
	if (rc)
		return rc;
	fv->tmp[fv->k].type = VV_STR;
	fv->tmp[fv->k].u.s = str_from(buf_cstr(b), b->len);
	fv->v = &fv->tmp[fv->k];
	fv->k ^= 1;
	if (kind != F_UPPER && kind != F_LOWER)
		fv->safe = true;
	return JM_OK;
}

static enum jm_rc apply_filter(struct rstate *rs, struct fval *fv, const struct filter *f)
{
	switch (f->kind) {
	case F_RAW: fv->safe = true; return JM_OK;
	case F_DEFAULT:
		if (is_blank(fv->v)) {
			fv->v = &f->arg;
			fv->safe = false;
		}
		return JM_OK;
	case F_LENGTH:
		fv->tmp[fv->k].type = VV_INT;
		fv->tmp[fv->k].u.i = (int64_t)val_length(fv->v);
		fv->v = &fv->tmp[fv->k];
		fv->k ^= 1;
		return JM_OK;
	default: return filter_text(rs, fv, f->kind);
	}
}

static enum jm_rc render_out(struct rstate *rs, const struct node *n)
{
	struct fval fv = {0};
	const struct expr *e = n->u.out.e;
	fv.v = operand(rs, e);
	fv.safe = fv.v && fv.v->type == VV_HTML;
	for (size_t i = 0; i < n->u.out.nfilters; i++) {
		enum jm_rc rc = apply_filter(rs, &fv, &n->u.out.filters[i]);
		if (rc)
			return rc;
	}
	char tmp[24];
	struct str s = val_text(fv.v, tmp);
	if (fv.safe)
		return buf_append(rs->out, s.p, s.len);
	return view_escape(rs->out, s.p, s.len);
}

/* ---- nodes ---- */

static enum jm_rc render_nodes(struct rstate *rs, const struct node *n, const struct tpl *leaf);

static enum jm_rc step(struct rstate *rs)
{
	return rs->max_steps && ++rs->steps > rs->max_steps ? JM_TOO_LARGE : JM_OK;
}

static enum jm_rc render_tpl(struct rstate *rs, const struct tpl *t)
{
	const struct tpl *root = t;
	while (root->parent)
		root = root->parent;
	return render_nodes(rs, root->body, t);
}

/* The most derived definition of a block, searching from leaf upwards. */
static const struct node *find_block(const struct tpl *leaf, const struct node *n)
{
	for (const struct tpl *t = leaf; t; t = t->parent)
		for (const struct node *b = t->blocks; b; b = b->u.block.next_block)
			if (!strcmp(b->u.block.name, n->u.block.name))
				return b;
	return n;
}

static enum jm_rc render_if(struct rstate *rs, const struct node *n, const struct tpl *leaf)
{
	for (; n; n = n->u.cond.alt)
		if (!n->u.cond.cond || eval(rs, n->u.cond.cond))
			return render_nodes(rs, n->u.cond.body, leaf);
	return JM_OK;
}

static void frame_init(struct frame *f, const struct frame *up, struct str var, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->up = up;
	f->var = var;
	f->index.type = f->index0.type = f->length.type = VV_INT;
	f->first.type = f->last.type = VV_BOOL;
	f->length.u.i = (int64_t)len;
}

static enum jm_rc render_for(struct rstate *rs, const struct node *n, const struct tpl *leaf)
{
	const struct view_val *l = lookup(rs, &n->u.loop.list);
	if (!l || l->type != VV_LIST || l->u.c.n == 0)
		return render_nodes(rs, n->u.loop.empty, leaf);
	struct frame f;
	enum jm_rc rc = JM_OK;
	size_t len = l->u.c.n;
	frame_init(&f, rs->top, n->u.loop.var, len);
	rs->top = &f;
	for (size_t i = 0; i < len && !rc; i++) {
		f.item = l->u.c.items[i];
		f.index.u.i = (int64_t)i + 1;
		f.index0.u.i = (int64_t)i;
		f.first.u.b = i == 0;
		f.last.u.b = i + 1 == len;
		if (!(rc = step(rs)))
			rc = render_nodes(rs, n->u.loop.body, leaf);
	}
	rs->top = f.up;
	return rc;
}

static enum jm_rc render_node(struct rstate *rs, const struct node *n, const struct tpl *leaf)
{
	switch (n->kind) {
	case N_TEXT: return buf_append(rs->out, n->u.text.p, n->u.text.len);
	case N_OUT: return render_out(rs, n);
	case N_IF: return render_if(rs, n, leaf);
	case N_FOR: return render_for(rs, n, leaf);
	case N_INCLUDE: return render_tpl(rs, n->u.inc.target);
	case N_BLOCK: return render_nodes(rs, find_block(leaf, n)->u.block.body, leaf);
	case N_T: return buf_append(rs->out, n->u.t[rs->lang].p, n->u.t[rs->lang].len);
	}
	return JM_OK;
}

static enum jm_rc render_nodes(struct rstate *rs, const struct node *n, const struct tpl *leaf)
{
	enum jm_rc rc = JM_OK;
	for (; n && !rc; n = n->next)
		if (!(rc = step(rs)))
			rc = render_node(rs, n, leaf);
	return rc;
}

enum jm_rc view_render_limited(const struct view *v, const char *name, struct view_val *ctx,
                               const char *lang, struct buf *out, uint64_t max_steps)
{
	const struct tpl *t = view_tpl_find(v, name);
	if (!t)
		return JM_NOT_FOUND;
	struct rstate rs = {0};
	rs.ctx = ctx;
	rs.lang = lang && !strcmp(lang, "en");
	rs.langv.type = VV_STR;
	rs.langv.u.s = rs.lang ? STR_LIT("en") : STR_LIT("ja");
	rs.out = out;
	rs.max_steps = max_steps;
	buf_init(&rs.scratch[0], out->cap);
	buf_init(&rs.scratch[1], out->cap);
	size_t start = out->len;
	enum jm_rc rc = render_tpl(&rs, t);
	buf_free(&rs.scratch[0]);
	buf_free(&rs.scratch[1]);
	if (rc && out->ptr) {
		out->len = start;
		out->ptr[start] = '\0';
	}
	return rc;
}

enum jm_rc view_render(const struct view *v, const char *name, struct view_val *ctx,
                       const char *lang, struct buf *out)
{
	return view_render_limited(v, name, ctx, lang, out, 0);
}
