/*
 * template.c — loads a directory of templates into a view, links includes,
 * extends and blocks, and checks the whole set before anything renders.
 *
 * view_load reads every *.html, *.xml and *.txt below the template
 * directory, lets same-named files of the override directory replace them,
 * parses each one (tpl_parse.c) and links the set: every include and extends
 * target must exist, the include/extends graph must be free of cycles, a
 * template that extends holds nothing but blocks, and each of its top-level
 * blocks must exist in an ancestor. After view_finish the view is never
 * written again, so it may be shared by threads.
 */
#include "view/view_int.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#define MAX_TEMPLATE_BYTES (4u << 20)
#define MAX_DIR_DEPTH      16

struct view *view_new(const struct i18n *cat)
{
	struct view *v = xcalloc(1, sizeof(*v));
	v->a = arena_new(64 * 1024);
	v->cat = cat;
	return v;
}

void view_free(struct view *v)
{
	if (!v)
		return;
	arena_free(v->a);
	free(v->tpls);
	free(v);
}

static struct tpl *tpl_lookup(const struct view *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->tpls[i]->name, name))
			return v->tpls[i];
	return NULL;
}

void view_add_source(struct view *v, const char *name, const char *path, const char *src,
                     size_t len)
{
	struct tpl *t = tpl_lookup(v, name);
	if (!t) {
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 32;
			v->tpls = xrealloc(v->tpls, v->cap * sizeof(*v->tpls));
		}
		t = arena_calloc(v->a, sizeof(*t));
		t->name = arena_strdup(v->a, name);
		v->tpls[v->n++] = t;
	}
	t->path = arena_strdup(v->a, path ? path : name);
	t->src = arena_strndup(v->a, src, len);
	t->len = len;
}

static int tpl_cmp(const void *a, const void *b)
{
	return strcmp((*(struct tpl *const *)a)->name, (*(struct tpl *const *)b)->name);
}

/* Binary search over the sorted templates. */
static struct tpl *tpl_bsearch(const struct view *v, const char *name)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, v->tpls[mid]->name);
		if (c == 0)
			return v->tpls[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct tpl *view_tpl_find(const struct view *v, const char *name)
{
	if (!v || !name || !v->finished)
		return NULL;
	return tpl_bsearch(v, name);
}

bool view_has(const struct view *v, const char *name)
{
	return view_tpl_find(v, name) != NULL;
}

/* ---- linking ---- */

static enum jm_rc link_refs(struct view *v, struct tpl *t, struct jm_err *err)
{
	if (t->parent_name) {
		t->parent = tpl_bsearch(v, t->parent_name);
		if (!t->parent) {
			jm_err_set(err, NULL, "%s:%d: extends missing template '%s'", t->path,
			           t->parent_line, t->parent_name);
			return JM_INVALID;
		}
	}
	for (struct node *n = t->includes; n; n = n->u.inc.next_ref) {
		n->u.inc.target = tpl_bsearch(v, n->u.inc.name);
		if (!n->u.inc.target) {
			jm_err_set(err, NULL, "%s:%d: include of missing template '%s'", t->path,
			           n->line, n->u.inc.name);
			return JM_INVALID;
		}
	}
	return JM_OK;
}

enum { WHITE, GREY, BLACK };

/* Depth-first search for a cycle through includes and extends. */
static enum jm_rc check_cycles(struct tpl *t, struct jm_err *err)
{
	if (t->mark == BLACK)
		return JM_OK;
	t->mark = GREY;
	struct tpl *p = (struct tpl *)t->parent;
	if (p && (p->mark == GREY || check_cycles(p, err))) {
		if (p->mark == GREY)
			jm_err_set(err, NULL, "%s:%d: extends cycle through '%s'", t->path,
			           t->parent_line, p->name);
		return JM_INVALID;
	}
	for (struct node *n = t->includes; n; n = n->u.inc.next_ref) {
		struct tpl *i = (struct tpl *)n->u.inc.target;
		if (i->mark == GREY) {
			jm_err_set(err, NULL, "%s:%d: include cycle through '%s'", t->path, n->line,
			           i->name);
			return JM_INVALID;
		}
		if (check_cycles(i, err))
			return JM_INVALID;
	}
	t->mark = BLACK;
	return JM_OK;
}

static bool text_is_blank(struct str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] != ' ' && s.p[i] != '\t' && s.p[i] != '\n' && s.p[i] != '\r')
			return false;
	return true;
}

static bool ancestor_has_block(const struct tpl *t, const char *name)
{
	for (t = t->parent; t; t = t->parent)
		for (const struct node *b = t->blocks; b; b = b->u.block.next_block)
			if (!strcmp(b->u.block.name, name))
				return true;
	return false;
}

/* A child template holds only blocks, each overriding an ancestor's block. */
static enum jm_rc check_child(const struct tpl *t, struct jm_err *err)
{
	if (!t->parent)
		return JM_OK;
	for (const struct node *n = t->body; n; n = n->next) {
		if (n->kind == N_TEXT && text_is_blank(n->u.text))
			continue;
		if (n->kind != N_BLOCK) {
			jm_err_set(err, NULL,
			           "%s:%d: only {%% block %%} may follow {%% extends %%}", t->path,
			           n->line);
			return JM_INVALID;
		}
		if (!ancestor_has_block(t, n->u.block.name)) {
			jm_err_set(err, NULL, "%s:%d: block '%s' is not in '%s' or its parents",
			           t->path, n->line, n->u.block.name, t->parent->name);
			return JM_INVALID;
		}
	}
	return JM_OK;
}

enum jm_rc view_finish(struct view *v, struct jm_err *err)
{
	enum jm_rc rc = JM_OK;
	if (v->n)
		qsort(v->tpls, v->n, sizeof(*v->tpls), tpl_cmp);
	for (size_t i = 0; i < v->n && !rc; i++)
		rc = view_tpl_parse(v, v->tpls[i], err);
	for (size_t i = 0; i < v->n && !rc; i++)
		rc = link_refs(v, v->tpls[i], err);
	for (size_t i = 0; i < v->n && !rc; i++)
		rc = check_cycles(v->tpls[i], err);
	for (size_t i = 0; i < v->n && !rc; i++)
		rc = check_child(v->tpls[i], err);
	v->finished = rc == JM_OK;
	return rc;
}

enum jm_rc view_parse_string(const char *name, const char *src, size_t len, const struct i18n *cat,
                             struct view **out, struct jm_err *err)
{
	struct view *v = view_new(cat);
	view_add_source(v, name, NULL, src, len);
	enum jm_rc rc = view_finish(v, err);
	if (rc) {
		view_free(v);
		v = NULL;
	}
	*out = v;
	return rc;
}

/* ---- reading directories ---- */

static bool is_template_name(const char *n)
{
	size_t len = strlen(n);
	static const char *const ext[] = {".html", ".xml", ".txt"};
	for (size_t i = 0; i < 3; i++) {
		size_t el = strlen(ext[i]);
		if (len > el && !strcmp(n + len - el, ext[i]))
			return true;
	}
	return false;
}

static enum jm_rc add_file(struct view *v, const char *path, const char *name, struct jm_err *err)
{
	struct buf b;
	buf_init(&b, MAX_TEMPLATE_BYTES);
	enum jm_rc rc = jm_read_file(path, &b, err);
	if (!rc)
		view_add_source(v, name, path, b.ptr ? b.ptr : "", b.len);
	buf_free(&b);
	return rc;
}

static enum jm_rc add_dir(struct view *v, const char *root, const char *rel, int depth,
                          struct jm_err *err);

/* Adds one directory entry: a subdirectory or a template file. */
static enum jm_rc add_entry(struct view *v, const char *root, const char *rel, const char *ent,
                            int depth, struct jm_err *err)
{
	char name[1024], path[2048];
	struct stat st;
	if (ent[0] == '.')
		return JM_OK;
	if ((size_t)snprintf(name, sizeof(name), "%s%s%s", rel, *rel ? "/" : "", ent) >=
	            sizeof(name) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", root, name) >= sizeof(path)) {
		jm_err_set(err, NULL, "%s/%s: path too long", root, rel);
		return JM_INVALID;
	}
	if (stat(path, &st) != 0)
		return JM_OK; /* a dangling link is not a template */
	if (S_ISDIR(st.st_mode))
		return add_dir(v, root, name, depth + 1, err);
	if (!S_ISREG(st.st_mode) || !is_template_name(ent))
		return JM_OK;
	return add_file(v, path, name, err);
}

static enum jm_rc add_dir(struct view *v, const char *root, const char *rel, int depth,
                          struct jm_err *err)
{
	char path[2048];
	if (depth > MAX_DIR_DEPTH) {
		jm_err_set(err, NULL, "%s/%s: directories nested too deep", root, rel);
		return JM_INVALID;
	}
	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	DIR *d = opendir(path);
	if (!d) {
		jm_err_set(err, NULL, "%s: %s", path, strerror(errno));
		return JM_IO;
	}
	enum jm_rc rc = JM_OK;
	struct dirent *de;
	while (!rc && (de = readdir(d)) != NULL)
		rc = add_entry(v, root, rel, de->d_name, depth, err);
	closedir(d);
	return rc;
}

enum jm_rc view_load(const char *dir, const char *override_dir, const struct i18n *cat,
                     struct view **out, struct jm_err *err)
{
	struct view *v = view_new(cat);
	struct stat st;
	enum jm_rc rc = JM_OK;
	*out = NULL;
	if (cat && (rc = i18n_check(cat, err)))
		goto out;
	if ((rc = add_dir(v, dir, "", 0, err)))
		goto out;
	if (override_dir && stat(override_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (rc = add_dir(v, override_dir, "", 0, err)))
		goto out;
	rc = view_finish(v, err);
out:
	if (rc)
		view_free(v);
	else
		*out = v;
	return rc;
}
