/*
 * view_int.h — internals shared by the files of src/view: the value
 * representation, the parsed template tree, the loaded view and the entry
 * points used by tests and the fuzz target.
 *
 * Invariants: every node, expression and template source lives in the
 * view's arena and is never modified after view_finish succeeds, which is
 * what makes a loaded view safe to share between threads.
 */
#ifndef JM_VIEW_INT_H
#define JM_VIEW_INT_H

#include "view/view.h"

/* ---- values ---- */
enum vv_type { VV_NULL, VV_STR, VV_HTML, VV_INT, VV_BOOL, VV_MAP, VV_LIST };

struct vv_ent {
	const char *key;
	size_t klen;
	struct view_val *v;
};

struct view_val {
	enum vv_type type;
	union {
		struct str s; /* VV_STR, VV_HTML */
		int64_t i;    /* VV_INT */
		bool b;       /* VV_BOOL */
		struct {
			struct arena *a;
			struct vv_ent *ents;
			struct view_val **items;
			size_t n, cap;
		} c; /* VV_MAP (ents) and VV_LIST (items) */
	} u;
};

/* Value of key in map (the last one set wins); NULL when absent. */
const struct view_val *view_val_get(const struct view_val *map, const char *key, size_t klen);
/* True for anything but missing/null/false/0/""/empty list or map. */
bool view_val_truthy(const struct view_val *v);

/* ---- parsed templates ---- */
enum ex_kind { EX_PATH, EX_LIT, EX_NOT, EX_EQ, EX_NE, EX_AND, EX_OR };
enum path_kind { PATH_CTX, PATH_LANG, PATH_T };

struct path {
	enum path_kind kind;
	struct str *segs;
	size_t nsegs;
	struct view_val *tval[2]; /* PATH_T: the text in ja and en */
};

struct expr {
	enum ex_kind kind;
	struct expr *l, *r;  /* EX_NOT uses l; EX_EQ..EX_OR use both */
	struct path path;    /* EX_PATH */
	struct view_val lit; /* EX_LIT */
};

enum filter_kind { F_RAW, F_URL, F_JSON, F_UPPER, F_LOWER, F_DEFAULT, F_LENGTH };

struct filter {
	enum filter_kind kind;
	struct view_val arg; /* F_DEFAULT */
};

enum node_kind { N_TEXT, N_OUT, N_IF, N_FOR, N_INCLUDE, N_BLOCK, N_T };

struct tpl;

struct node {
	enum node_kind kind;
	int line;
	struct node *next;
	union {
		struct str text; /* N_TEXT */
		struct {
			struct expr *e;
			struct filter *filters;
			size_t nfilters;
		} out;
		struct {
			struct expr *cond; /* NULL for the final else */
			struct node *body;
			struct node *alt; /* next elif/else as an N_IF node */
		} cond;
		struct {
			struct str var;
			struct path list;
			struct node *body, *empty;
		} loop;
		struct {
			const char *name;
			const struct tpl *target;
			struct node *next_ref; /* chain of includes of one template */
		} inc;
		struct {
			const char *name;
			struct node *body;
			struct node *next_block; /* chain of blocks of one template */
			bool nested;             /* inside another block */
		} block;
		struct str t[2]; /* N_T: escaped text in ja and en */
	} u;
};

struct tpl {
	const char *name; /* "site/article.html" */
	const char *path; /* shown in errors */
	const char *src;
	size_t len;
	struct node *body;
	const char *parent_name; /* from {% extends %} */
	int parent_line;
	const struct tpl *parent;
	struct node *includes; /* N_INCLUDE chain */
	struct node *blocks;   /* N_BLOCK chain */
	int mark;              /* cycle check colour */
};

struct view {
	struct arena *a;
	const struct i18n *cat;
	struct tpl **tpls;
	size_t n, cap;
	bool finished;
};

/* Parses t->src into t's tree (tpl_parse.c). Errors name t->path:line. */
enum jm_rc view_tpl_parse(struct view *v, struct tpl *t, struct jm_err *err) JM_WUR;
/* Looks a template up by name; NULL when absent. Needs a finished view. */
const struct tpl *view_tpl_find(const struct view *v, const char *name);

/* ---- building a view without a directory (tests, fuzzing) ---- */
/* An empty view; cat may be NULL (then {% t %} renders the key). */
struct view *view_new(const struct i18n *cat);
/* Adds (or replaces) a template; src is copied. path may be NULL (= name). */
void view_add_source(struct view *v, const char *name, const char *path, const char *src,
                     size_t len);
/* Parses and links every added template; JM_INVALID with file:line in err. */
enum jm_rc view_finish(struct view *v, struct jm_err *err) JM_WUR;
/* One template from memory, as view_new + view_add_source + view_finish. */
enum jm_rc view_parse_string(const char *name, const char *src, size_t len, const struct i18n *cat,
                             struct view **out, struct jm_err *err) JM_WUR;
/* view_render with a bound on the work done (max_steps nodes visited; 0 =
 * unbounded); exceeding it returns JM_TOO_LARGE. The fuzz target uses it. */
enum jm_rc view_render_limited(const struct view *v, const char *name, struct view_val *ctx,
                               const char *lang, struct buf *out, uint64_t max_steps) JM_WUR;

/* ---- i18n ---- */
/* Builds a catalog from the text of ja.po and en.po; the names appear in errors. */
enum jm_rc i18n_from_po(const char *ja, size_t ja_len, const char *ja_name, const char *en,
                        size_t en_len, const char *en_name, struct i18n **out,
                        struct jm_err *err) JM_WUR;
/* True when key is in the catalog. */
bool i18n_has(const struct i18n *c, const char *key, size_t klen);

#endif
