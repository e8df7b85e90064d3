/*
 * tpl_parse.c — turns one template's source into a tree of nodes.
 *
 * The grammar is the one documented in view.h. The parser is recursive
 * descent over a small tag lexer: text is copied by reference (the source
 * stays in the view's arena), tags become nodes, and every error names
 * path:line of the tag that caused it. Nesting of blocks and of `not` is
 * capped so a hostile template cannot exhaust the stack.
 *
 * Whitespace control: a '-' just inside a tag ("{%-", "-%}", "{{-", "-}}",
 * "{#-", "-#}") removes the whitespace on that side of the tag.
 */
#include "view/view_int.h"

#include <ctype.h>

#define MAX_DEPTH   64
#define MAX_FILTERS 16
#define MAX_SEGS    32

enum tok_kind { TK_END, TK_IDENT, TK_STR, TK_INT, TK_PIPE, TK_LP, TK_RP, TK_COMMA, TK_EQ, TK_NE };

struct tok {
	enum tok_kind kind;
	struct str s; /* TK_IDENT text, TK_STR unescaped text (arena) */
	int64_t i;    /* TK_INT */
	bool trim;    /* TK_END written as "-%}" or "-}}" */
};

struct parser {
	struct view *v;
	struct tpl *t;
	struct jm_err *err;
	const char *p, *end;
	int line;
	bool trim_next;  /* the previous tag ended with '-' */
	bool seen_tag;   /* a tag other than a comment came before */
	int depth;       /* open if/for/block bodies */
	int block_depth; /* open blocks */
	char close;      /* '}' inside {{ }}, '%' inside {% %} */
	int tag_line;    /* line of the tag being lexed */
	bool peeked;
	struct tok pk;
};

static enum jm_rc perr(struct parser *ps, int line, const char *fmt, ...) JM_FMT(3, 4);

static enum jm_rc perr(struct parser *ps, int line, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jm_err_set(ps->err, NULL, "%s:%d: %s", ps->t->path, line, msg);
	return JM_INVALID;
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}
static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Skips spaces inside a tag, counting lines. */
static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end && isspace((unsigned char)*ps->p)) {
		if (*ps->p == '\n')
			ps->line++;
		ps->p++;
	}
}

/* Lexes a dotted name: ident ('.' (ident | digits))*. */
static enum jm_rc lex_ident(struct parser *ps, struct tok *tk)
{
	const char *s = ps->p;
	for (;;) {
		while (ps->p < ps->end && is_ident_char(*ps->p))
			ps->p++;
		if (ps->p + 1 < ps->end && ps->p[0] == '.' && is_ident_char(ps->p[1])) {
			ps->p++;
			continue;
		}
		break;
	}
	tk->kind = TK_IDENT;
	tk->s = str_from(s, (size_t)(ps->p - s));
	return JM_OK;
}

static enum jm_rc lex_int(struct parser *ps, struct tok *tk)
{
	int64_t n = 0;
	while (ps->p < ps->end && isdigit((unsigned char)*ps->p)) {
		if (n > (INT64_MAX - 9) / 10)
			return perr(ps, ps->line, "number too large");
		n = n * 10 + (*ps->p++ - '0');
	}
	if (ps->p < ps->end && is_ident_start(*ps->p))
		return perr(ps, ps->line, "bad number");
	tk->kind = TK_INT;
	tk->i = n;
	return JM_OK;
}

/* Lexes "..." or '...' with \" \' \\ \n \t escapes into the arena. */
static enum jm_rc lex_string(struct parser *ps, struct tok *tk)
{
	char q = *ps->p++;
	struct buf b = BUF_INIT;
	enum jm_rc rc = JM_OK;
	while (ps->p < ps->end && *ps->p != q && *ps->p != '\n') {
		char c = *ps->p++;
		if (c == '\\' && ps->p < ps->end && *ps->p != '\n') {
			c = *ps->p++;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		if ((rc = buf_appendc(&b, c)))
			goto out;
	}
	if (ps->p >= ps->end || *ps->p != q) {
		rc = perr(ps, ps->line, "unterminated string");
		goto out;
	}
	ps->p++;
	tk->kind = TK_STR;
	tk->s = str_from(arena_strndup(ps->v->a, b.ptr ? b.ptr : "", b.len), b.len);
out:
	buf_free(&b);
	return rc;
}

/* Recognises the end of the current tag, with or without '-'. */
static bool lex_close(struct parser *ps, struct tok *tk)
{
	const char *q = ps->p;
	bool trim = false;
	if (q < ps->end && *q == '-') {
		trim = true;
		q++;
	}
	if (ps->end - q < 2 || q[0] != ps->close || q[1] != '}')
		return false;
	ps->p = q + 2;
	tk->kind = TK_END;
	tk->trim = trim;
	return true;
}

static enum jm_rc lex_punct(struct parser *ps, struct tok *tk)
{
	char c = *ps->p;
	char n = ps->p + 1 < ps->end ? ps->p[1] : '\0';
	if ((c == '=' || c == '!') && n == '=') {
		tk->kind = c == '=' ? TK_EQ : TK_NE;
		ps->p += 2;
		return JM_OK;
	}
	if (c != '|' && c != '(' && c != ')' && c != ',') {
		if (isprint((unsigned char)c))
			return perr(ps, ps->line, "unexpected '%c' in tag", c);
		return perr(ps, ps->line, "unexpected byte 0x%02x in tag", (unsigned char)c);
	}
	tk->kind = c == '|' ? TK_PIPE : c == '(' ? TK_LP : c == ')' ? TK_RP : TK_COMMA;
	ps->p++;
	return JM_OK;
}

static enum jm_rc lex(struct parser *ps, struct tok *tk)
{
	if (ps->peeked) {
		ps->peeked = false;
		*tk = ps->pk;
		return JM_OK;
	}
	memset(tk, 0, sizeof(*tk));
	skip_space(ps);
	if (ps->p >= ps->end)
		return perr(ps, ps->tag_line, "unclosed %s", ps->close == '}' ? "{{" : "{%");
	if (lex_close(ps, tk))
		return JM_OK;
	char c = *ps->p;
	if (is_ident_start(c))
		return lex_ident(ps, tk);
	if (isdigit((unsigned char)c))
		return lex_int(ps, tk);
	if (c == '"' || c == '\'')
		return lex_string(ps, tk);
	return lex_punct(ps, tk);
}

static enum jm_rc peek(struct parser *ps, struct tok *tk)
{
	enum jm_rc rc = lex(ps, tk);
	if (rc)
		return rc;
	ps->pk = *tk;
	ps->peeked = true;
	return JM_OK;
}

static bool tok_is(const struct tok *tk, const char *word)
{
	return tk->kind == TK_IDENT && str_eq(tk->s, word);
}

static enum jm_rc expect_end(struct parser *ps, const char *tag)
{
	struct tok tk;
	enum jm_rc rc = lex(ps, &tk);
	if (rc)
		return rc;
	if (tk.kind != TK_END)
		return perr(ps, ps->line, "unexpected text in {%% %s %%}", tag);
	ps->trim_next = tk.trim;
	return JM_OK;
}

static enum jm_rc expect_string(struct parser *ps, const char *tag, struct str *out)
{
	struct tok tk;
	enum jm_rc rc = lex(ps, &tk);
	if (rc)
		return rc;
	if (tk.kind != TK_STR || tk.s.len == 0)
		return perr(ps, ps->tag_line, "{%% %s %%} needs a quoted name", tag);
	*out = tk.s;
	return JM_OK;
}

/* ---- paths and expressions ---- */

static enum jm_rc path_t_key(struct parser *ps, struct str key, int line, struct path *out)
{
	const struct i18n *cat = ps->v->cat;
	if (cat && !i18n_has(cat, key.p, key.len))
		return perr(ps, line, "unknown i18n key '%.*s'", (int)key.len, key.p);
	char *k = arena_strndup(ps->v->a, key.p, key.len);
	for (int i = 0; i < 2; i++) {
		const char *text = cat ? i18n_get(cat, i ? "en" : "ja", k) : k;
		out->tval[i] = arena_calloc(ps->v->a, sizeof(struct view_val));
		out->tval[i]->type = VV_STR;
		out->tval[i]->u.s = str_from(text, strlen(text));
	}
	out->kind = PATH_T;
	return JM_OK;
}

/* Splits a dotted name into segments and classifies lang / t.key. */
static enum jm_rc parse_path(struct parser *ps, struct str name, struct path *out)
{
	struct str segs[MAX_SEGS];
	size_t n = 0;
	const char *s = name.p, *e = name.p + name.len;
	memset(out, 0, sizeof(*out));
	while (s < e) {
		const char *dot = memchr(s, '.', (size_t)(e - s));
		const char *se = dot ? dot : e;
		if (n == MAX_SEGS)
			return perr(ps, ps->line, "path too long");
		segs[n++] = str_from(s, (size_t)(se - s));
		s = dot ? dot + 1 : e;
	}
	if (str_eq(segs[0], "t")) {
		if (n < 2)
			return perr(ps, ps->line, "'t' is reserved: write t.some.key");
		return path_t_key(ps, str_from(name.p + 2, name.len - 2), ps->line, out);
	}
	if (str_eq(segs[0], "lang")) {
		if (n > 1)
			return perr(ps, ps->line, "'lang' is reserved and has no fields");
		out->kind = PATH_LANG;
		return JM_OK;
	}
	out->kind = PATH_CTX;
	out->segs = arena_alloc(ps->v->a, n * sizeof(struct str));
	memcpy(out->segs, segs, n * sizeof(struct str));
	out->nsegs = n;
	return JM_OK;
}

static struct expr *expr_new(struct parser *ps, enum ex_kind kind)
{
	struct expr *e = arena_calloc(ps->v->a, sizeof(*e));
	e->kind = kind;
	return e;
}

static void lit_from_tok(struct view_val *lit, const struct tok *tk)
{
	if (tk->kind == TK_STR) {
		lit->type = VV_STR;
		lit->u.s = tk->s;
	} else {
		lit->type = VV_INT;
		lit->u.i = tk->i;
	}
}

static bool is_keyword(const struct tok *tk)
{
	return tok_is(tk, "not") || tok_is(tk, "and") || tok_is(tk, "or") || tok_is(tk, "in");
}

/* primary := path | "string" | integer */
static enum jm_rc parse_primary(struct parser *ps, struct expr **out)
{
	struct tok tk;
	enum jm_rc rc = lex(ps, &tk);
	if (rc)
		return rc;
	if (tk.kind == TK_STR || tk.kind == TK_INT) {
		*out = expr_new(ps, EX_LIT);
		lit_from_tok(&(*out)->lit, &tk);
		return JM_OK;
	}
	if (tk.kind != TK_IDENT || is_keyword(&tk))
		return perr(ps, ps->line, "expected a name, string or number");
	*out = expr_new(ps, EX_PATH);
	return parse_path(ps, tk.s, &(*out)->path);
}

/* cmp := primary (('==' | '!=') primary)? */
static enum jm_rc parse_cmp(struct parser *ps, struct expr **out)
{
	struct tok tk;
	enum jm_rc rc = parse_primary(ps, out);
	if (rc || (rc = peek(ps, &tk)))
		return rc;
	if (tk.kind != TK_EQ && tk.kind != TK_NE)
		return JM_OK;
	ps->peeked = false;
	struct expr *e = expr_new(ps, tk.kind == TK_EQ ? EX_EQ : EX_NE);
	e->l = *out;
	*out = e;
	return parse_primary(ps, &e->r);
}

/* unary := 'not' unary | cmp */
static enum jm_rc parse_unary(struct parser *ps, struct expr **out, int depth)
{
	struct tok tk;
	enum jm_rc rc = peek(ps, &tk);
	if (rc)
		return rc;
	if (!tok_is(&tk, "not"))
		return parse_cmp(ps, out);
	if (depth >= MAX_DEPTH)
		return perr(ps, ps->line, "expression nested too deep");
	ps->peeked = false;
	*out = expr_new(ps, EX_NOT);
	return parse_unary(ps, &(*out)->l, depth + 1);
}

/* Parses a chain of `sub (word sub)*` into a left-leaning tree. */
static enum jm_rc parse_chain(struct parser *ps, struct expr **out, bool is_or)
{
	struct tok tk;
	enum jm_rc rc = is_or ? parse_chain(ps, out, false) : parse_unary(ps, out, 0);
	while (!rc && !(rc = peek(ps, &tk)) && tok_is(&tk, is_or ? "or" : "and")) {
		ps->peeked = false;
		struct expr *e = expr_new(ps, is_or ? EX_OR : EX_AND);
		e->l = *out;
		*out = e;
		rc = is_or ? parse_chain(ps, &e->r, false) : parse_unary(ps, &e->r, 0);
	}
	return rc;
}

static enum jm_rc parse_cond(struct parser *ps, struct expr **out)
{
	return parse_chain(ps, out, true);
}

/* ---- filters ---- */

static const struct {
	const char *name;
	enum filter_kind kind;
	int nargs;
} filter_table[] = {
        {"raw", F_RAW, 0},       {"url", F_URL, 0},     {"json", F_JSON, 0},
        {"upper", F_UPPER, 0},   {"lower", F_LOWER, 0}, {"default", F_DEFAULT, 1},
        {"length", F_LENGTH, 0},
};

static enum jm_rc parse_filter_args(struct parser *ps, struct filter *f, int *nargs)
{
	struct tok tk;
	enum jm_rc rc;
	*nargs = 0;
	if ((rc = peek(ps, &tk)) || tk.kind != TK_LP)
		return rc;
	ps->peeked = false;
	for (;;) {
		if ((rc = lex(ps, &tk)))
			return rc;
		if (tk.kind == TK_RP && *nargs == 0)
			return JM_OK;
		if (tk.kind != TK_STR && tk.kind != TK_INT)
			return perr(ps, ps->line, "filter arguments must be strings or numbers");
		if ((*nargs)++ == 0)
			lit_from_tok(&f->arg, &tk);
		if ((rc = lex(ps, &tk)))
			return rc;
		if (tk.kind == TK_RP)
			return JM_OK;
		if (tk.kind != TK_COMMA)
			return perr(ps, ps->line, "expected ',' or ')' in filter arguments");
	}
}

static enum jm_rc parse_filter(struct parser *ps, struct filter *f)
{
	struct tok tk;
	enum jm_rc rc = lex(ps, &tk);
	if (rc)
		return rc;
	if (tk.kind != TK_IDENT)
		return perr(ps, ps->line, "expected a filter name after '|'");
	size_t i;
	for (i = 0; i < sizeof(filter_table) / sizeof(filter_table[0]); i++)
		if (str_eq(tk.s, filter_table[i].name))
			break;
	if (i == sizeof(filter_table) / sizeof(filter_table[0]))
		return perr(ps, ps->line, "unknown filter '%.*s'", (int)tk.s.len, tk.s.p);
	memset(f, 0, sizeof(*f));
	f->kind = filter_table[i].kind;
	int nargs;
	if ((rc = parse_filter_args(ps, f, &nargs)))
		return rc;
	if (nargs != filter_table[i].nargs)
		return perr(ps, ps->line, "filter '%s' takes %d argument(s)", filter_table[i].name,
		            filter_table[i].nargs);
	return JM_OK;
}

static struct node *node_new(struct parser *ps, enum node_kind kind, int line)
{
	struct node *n = arena_calloc(ps->v->a, sizeof(*n));
	n->kind = kind;
	n->line = line;
	return n;
}

/* {{ primary | filter ... }} */
static enum jm_rc parse_output(struct parser *ps, struct node **out)
{
	struct filter fs[MAX_FILTERS];
	size_t nf = 0;
	struct tok tk;
	struct node *n = node_new(ps, N_OUT, ps->tag_line);
	enum jm_rc rc = parse_primary(ps, &n->u.out.e);
	while (!rc && !(rc = lex(ps, &tk)) && tk.kind == TK_PIPE) {
		if (nf == MAX_FILTERS)
			return perr(ps, ps->line, "too many filters");
		rc = parse_filter(ps, &fs[nf++]);
	}
	if (rc)
		return rc;
	if (tk.kind != TK_END)
		return perr(ps, ps->line, "expected '|' or '}}'");
	ps->trim_next = tk.trim;
	n->u.out.filters = arena_alloc(ps->v->a, nf * sizeof(*fs));
	if (nf)
		memcpy(n->u.out.filters, fs, nf * sizeof(*fs));
	n->u.out.nfilters = nf;
	*out = n;
	return JM_OK;
}

/* ---- tags and bodies ---- */

/* How a body ended: the closing word (empty at end of input) and its line. */
struct ending {
	struct str word;
	int line;
};

static const char *const end_words[] = {"elif", "else", "endif", "endfor", "endblock", NULL};

static bool word_in(const char *const *list, struct str w)
{
	for (; list && *list; list++)
		if (str_eq(w, *list))
			return true;
	return false;
}

static enum jm_rc parse_body(struct parser *ps, struct node **out, const char *const *ends,
                             struct ending *ended);

/* Parses a nested body, refusing runaway nesting and a missing end tag. */
static enum jm_rc parse_nested(struct parser *ps, struct node **out, const char *const *ends,
                               struct ending *end, const char *what, int line)
{
	if (ps->depth >= MAX_DEPTH)
		return perr(ps, line, "tags nested too deep");
	ps->depth++;
	enum jm_rc rc = parse_body(ps, out, ends, end);
	ps->depth--;
	if (!rc && end->word.len == 0)
		return perr(ps, line, "unclosed {%% %s %%}", what);
	return rc;
}

static enum jm_rc parse_if(struct parser *ps, struct node **out)
{
	static const char *const ends[] = {"elif", "else", "endif", NULL};
	static const char *const endif[] = {"endif", NULL};
	int line = ps->tag_line;
	struct ending end;
	struct node *n = node_new(ps, N_IF, line);
	enum jm_rc rc;
	*out = n;
	if ((rc = parse_cond(ps, &n->u.cond.cond)) || (rc = expect_end(ps, "if")) ||
	    (rc = parse_nested(ps, &n->u.cond.body, ends, &end, "if", line)))
		return rc;
	while (str_eq(end.word, "elif")) {
		struct node *alt = node_new(ps, N_IF, end.line);
		n->u.cond.alt = alt;
		n = alt;
		if ((rc = parse_cond(ps, &n->u.cond.cond)) || (rc = expect_end(ps, "elif")) ||
		    (rc = parse_nested(ps, &n->u.cond.body, ends, &end, "if", line)))
			return rc;
	}
	if (str_eq(end.word, "else")) {
		struct node *alt = node_new(ps, N_IF, end.line);
		n->u.cond.alt = alt;
		if ((rc = expect_end(ps, "else")) ||
		    (rc = parse_nested(ps, &alt->u.cond.body, endif, &end, "if", line)))
			return rc;
	}
	return expect_end(ps, "endif");
}

static enum jm_rc expect_name(struct parser *ps, const char *tag, struct str *out)
{
	struct tok tk;
	enum jm_rc rc = lex(ps, &tk);
	if (rc)
		return rc;
	if (tk.kind != TK_IDENT || memchr(tk.s.p, '.', tk.s.len) || is_keyword(&tk))
		return perr(ps, ps->tag_line, "{%% %s %%} needs a plain name", tag);
	*out = tk.s;
	return JM_OK;
}

static enum jm_rc parse_for_head(struct parser *ps, struct node *n)
{
	struct tok tk;
	enum jm_rc rc = expect_name(ps, "for", &n->u.loop.var);
	if (rc)
		return rc;
	struct str var = n->u.loop.var;
	if (str_eq(var, "loop") || str_eq(var, "lang") || str_eq(var, "t"))
		return perr(ps, ps->tag_line, "'%.*s' is reserved", (int)var.len, var.p);
	if ((rc = lex(ps, &tk)))
		return rc;
	if (!tok_is(&tk, "in"))
		return perr(ps, ps->tag_line, "expected {%% for x in list %%}");
	if ((rc = lex(ps, &tk)))
		return rc;
	if (tk.kind != TK_IDENT || is_keyword(&tk))
		return perr(ps, ps->tag_line, "expected a list after 'in'");
	if ((rc = parse_path(ps, tk.s, &n->u.loop.list)))
		return rc;
	return expect_end(ps, "for");
}

static enum jm_rc parse_for(struct parser *ps, struct node **out)
{
	static const char *const ends[] = {"else", "endfor", NULL};
	static const char *const endfor[] = {"endfor", NULL};
	int line = ps->tag_line;
	struct ending end;
	struct node *n = node_new(ps, N_FOR, line);
	enum jm_rc rc;
	*out = n;
	if ((rc = parse_for_head(ps, n)) ||
	    (rc = parse_nested(ps, &n->u.loop.body, ends, &end, "for", line)))
		return rc;
	if (str_eq(end.word, "else")) {
		if ((rc = expect_end(ps, "else")) ||
		    (rc = parse_nested(ps, &n->u.loop.empty, endfor, &end, "for", line)))
			return rc;
	}
	return expect_end(ps, "endfor");
}

static enum jm_rc parse_include(struct parser *ps, struct node **out)
{
	struct str name = {0};
	struct node *n = node_new(ps, N_INCLUDE, ps->tag_line);
	enum jm_rc rc = expect_string(ps, "include", &name);
	if (rc || (rc = expect_end(ps, "include")))
		return rc;
	n->u.inc.name = name.p;
	n->u.inc.next_ref = ps->t->includes;
	ps->t->includes = n;
	*out = n;
	return JM_OK;
}

static enum jm_rc parse_extends(struct parser *ps)
{
	struct str name = {0};
	int line = ps->tag_line;
	if (ps->seen_tag || ps->t->parent_name)
		return perr(ps, line, "{%% extends %%} must be the first tag");
	enum jm_rc rc = expect_string(ps, "extends", &name);
	if (rc || (rc = expect_end(ps, "extends")))
		return rc;
	ps->t->parent_name = name.p;
	ps->t->parent_line = line;
	return JM_OK;
}

/* After {% endblock %}: an optional repeat of the block's name, then %}. */
static enum jm_rc parse_endblock(struct parser *ps, const char *name)
{
	struct tok tk;
	enum jm_rc rc = lex(ps, &tk);
	if (rc)
		return rc;
	if (tk.kind == TK_IDENT) {
		if (!str_eq(tk.s, name))
			return perr(ps, ps->line, "{%% endblock %.*s %%} closes block '%s'",
			            (int)tk.s.len, tk.s.p, name);
		return expect_end(ps, "endblock");
	}
	if (tk.kind != TK_END)
		return perr(ps, ps->line, "unexpected text in {%% endblock %%}");
	ps->trim_next = tk.trim;
	return JM_OK;
}

static enum jm_rc parse_block(struct parser *ps, struct node **out)
{
	static const char *const ends[] = {"endblock", NULL};
	int line = ps->tag_line;
	struct str name = {0};
	struct ending end;
	enum jm_rc rc = expect_name(ps, "block", &name);
	if (rc || (rc = expect_end(ps, "block")))
		return rc;
	for (const struct node *b = ps->t->blocks; b; b = b->u.block.next_block)
		if (str_eq(name, b->u.block.name))
			return perr(ps, line, "block '%.*s' defined twice", (int)name.len, name.p);
	struct node *n = node_new(ps, N_BLOCK, line);
	n->u.block.name = arena_strndup(ps->v->a, name.p, name.len);
	n->u.block.nested = ps->block_depth > 0;
	n->u.block.next_block = ps->t->blocks;
	ps->t->blocks = n;
	*out = n;
	ps->block_depth++;
	rc = parse_nested(ps, &n->u.block.body, ends, &end, "block", line);
	ps->block_depth--;
	return rc ? rc : parse_endblock(ps, n->u.block.name);
}

static struct str escape_to_arena(struct parser *ps, const char *s)
{
	struct buf b = BUF_INIT;
	if (view_escape(&b, s, strlen(s)) != JM_OK)
		abort(); /* uncapped buffer: only OOM can fail */
	struct str r = str_from(arena_strndup(ps->v->a, buf_cstr(&b), b.len), b.len);
	buf_free(&b);
	return r;
}

static enum jm_rc parse_t(struct parser *ps, struct node **out)
{
	struct str key = {0};
	struct path p;
	int line = ps->tag_line;
	enum jm_rc rc = expect_string(ps, "t", &key);
	if (rc || (rc = expect_end(ps, "t")))
		return rc;
	if ((rc = path_t_key(ps, key, line, &p)))
		return rc;
	struct node *n = node_new(ps, N_T, line);
	for (int i = 0; i < 2; i++)
		n->u.t[i] = escape_to_arena(ps, p.tval[i]->u.s.p);
	*out = n;
	return JM_OK;
}

static enum jm_rc parse_stmt_kind(struct parser *ps, struct str w, struct node **n)
{
	if (str_eq(w, "if"))
		return parse_if(ps, n);
	if (str_eq(w, "for"))
		return parse_for(ps, n);
	if (str_eq(w, "include"))
		return parse_include(ps, n);
	if (str_eq(w, "block"))
		return parse_block(ps, n);
	if (str_eq(w, "t"))
		return parse_t(ps, n);
	return perr(ps, ps->tag_line, "unknown tag {%% %.*s %%}", (int)w.len, w.p);
}

/* {% word ... %}: either ends the current body or becomes a node. */
static enum jm_rc parse_stmt(struct parser *ps, struct node ***tail, const char *const *ends,
                             struct ending *ended)
{
	struct tok tk;
	struct node *n = NULL;
	enum jm_rc rc = lex(ps, &tk);
	if (rc)
		return rc;
	if (tk.kind != TK_IDENT)
		return perr(ps, ps->tag_line, "expected a tag name after {%%");
	if (word_in(end_words, tk.s)) {
		if (!word_in(ends, tk.s))
			return perr(ps, ps->tag_line, "unexpected {%% %.*s %%}", (int)tk.s.len,
			            tk.s.p);
		ended->word = tk.s;
		ended->line = ps->tag_line;
		return JM_OK;
	}
	if (str_eq(tk.s, "extends"))
		return parse_extends(ps);
	ps->seen_tag = true;
	if ((rc = parse_stmt_kind(ps, tk.s, &n)))
		return rc;
	**tail = n;
	*tail = &n->next;
	return JM_OK;
}

static enum jm_rc parse_comment(struct parser *ps)
{
	const char *s = ps->p;
	for (const char *q = s; q + 1 < ps->end; q++) {
		if (q[0] == '#' && q[1] == '}') {
			ps->trim_next = q > s && q[-1] == '-';
			for (; s < q; s++)
				ps->line += *s == '\n';
			ps->p = q + 2;
			return JM_OK;
		}
	}
	return perr(ps, ps->tag_line, "unclosed {#");
}

/* Start of the next "{{", "{%" or "{#" at or after p, or end. */
static const char *find_tag(const char *p, const char *end)
{
	while (p < end) {
		const char *q = memchr(p, '{', (size_t)(end - p));
		if (!q || q + 1 >= end)
			return end;
		if (q[1] == '{' || q[1] == '%' || q[1] == '#')
			return q;
		p = q + 1;
	}
	return end;
}

/* Adds the text [s, e) as a node, applying the whitespace trims. */
static void add_text(struct parser *ps, struct node ***tail, const char *s, const char *e,
                     bool trim_right)
{
	int line = ps->line;
	for (const char *q = s; q < e; q++)
		ps->line += *q == '\n';
	if (ps->trim_next)
		while (s < e && isspace((unsigned char)*s))
			s++;
	ps->trim_next = false;
	if (trim_right)
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
	if (s == e)
		return;
	struct node *n = node_new(ps, N_TEXT, line);
	n->u.text = str_from(s, (size_t)(e - s));
	**tail = n;
	*tail = &n->next;
}

static enum jm_rc parse_body(struct parser *ps, struct node **out, const char *const *ends,
                             struct ending *ended)
{
	struct node **tail = out;
	*out = NULL;
	ended->word = str_from("", 0);
	for (;;) {
		const char *q = find_tag(ps->p, ps->end);
		bool trim = q + 2 < ps->end && q[2] == '-';
		add_text(ps, &tail, ps->p, q, trim);
		ps->p = q;
		if (q >= ps->end)
			return JM_OK;
		ps->p = q + 2 + (trim ? 1 : 0);
		ps->tag_line = ps->line;
		ps->peeked = false;
		enum jm_rc rc;
		if (q[1] == '#') {
			rc = parse_comment(ps);
		} else if (q[1] == '{') {
			ps->close = '}';
			ps->seen_tag = true;
			struct node *n = NULL;
			if (!(rc = parse_output(ps, &n))) {
				*tail = n;
				tail = &n->next;
			}
		} else {
			ps->close = '%';
			rc = parse_stmt(ps, &tail, ends, ended);
		}
		if (rc || ended->word.len)
			return rc;
	}
}

enum jm_rc view_tpl_parse(struct view *v, struct tpl *t, struct jm_err *err)
{
	struct parser ps = {0};
	struct ending end;
	ps.v = v;
	ps.t = t;
	ps.err = err;
	ps.p = t->src;
	ps.end = t->src + t->len;
	ps.line = 1;
	return parse_body(&ps, &t->body, NULL, &end);
}
