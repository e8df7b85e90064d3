/*
 * html2md.c — an imported post's HTML to the site's Markdown (CommonMark,
 * as site/markdown.c renders it), through libxml2's HTML parser.
 *
 * Articles are stored as Markdown and rendered in cmark's safe mode, which
 * drops raw HTML: so an import converts rather than storing HTML. What the
 * converter keeps: paragraphs, headings, lists, quotes, code, links,
 * images, emphasis, line breaks, tables (one line per row), YouTube embeds
 * (the URL alone on a line). What it drops: scripts, styles, forms, other
 * iframes, comments — so WordPress's block markup (<!-- wp:… --> comments)
 * leaves only its content — and shortcodes ([caption], [gallery]…).
 * Classic posts (no block markup) are read as wpautop reads them: a blank
 * line separates paragraphs, a single newline is a line break.
 *
 * Safety: the parser runs with HTML_PARSE_NONET (nothing fetched); the
 * text is escaped for Markdown, so a post's text never becomes markup;
 * cmark's safe mode still judges every link at render time.
 *
 * Inside an inline buffer, '\x01' stands for a line break and '\x02' for
 * a paragraph break until the paragraph is written out (a break at either
 * end of a paragraph then simply vanishes).
 */
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "import/import_int.h"

#define BRK  '\x01'
#define PARA '\x02'

struct h2m {
	bool classic;
	imp_url_fn url_fn;
	void *ud;
	size_t cap;
	bool in_link;
	int depth;
};

static bool name_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name && !strcmp((const char *)n->name, name);
}

static bool name_in(const xmlNode *n, const char *const *names)
{
	for (; *names; names++)
		if (name_is(n, *names))
			return true;
	return false;
}

static const char *const BLOCKS[] = {
        "address", "article",    "aside",  "blockquote", "center", "dd",    "details", "div", "dl",
        "dt",      "figcaption", "figure", "footer",     "h1",     "h2",    "h3",      "h4",  "h5",
        "h6",      "header",     "hr",     "li",         "main",   "nav",   "ol",      "p",   "pre",
        "section", "summary",    "table",  "tbody",      "thead",  "tfoot", "tr",      "td",  "th",
        "ul",      "body",       "html",   "iframe",     NULL};
static const char *const DROPPED[] = {
        "script",   "style",  "noscript", "form",  "button",   "input", "select",
        "textarea", "object", "embed",    "svg",   "template", "head",  "title",
        "meta",     "link",   "video",    "audio", "canvas",   "map",   NULL};

static const char *attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (a->name && !strcmp((const char *)a->name, name) && a->children &&
		    a->children->type == XML_TEXT_NODE)
			return (const char *)a->children->content;
	return NULL;
}

static enum jm_rc put(struct buf *b, const char *s)
{
	return buf_appends(b, s);
}

/* Length of a shortcode tag starting at s ("[caption …]", "[/gallery]"),
 * 0 when s starts none. */
static size_t shortcode_len(const char *s)
{
	static const char *const codes[] = {"caption", "gallery",  "embed",      "video",
	                                    "audio",   "playlist", "wp_caption", NULL};
	if (*s != '[')
		return 0;
	const char *p = s + 1 + (s[1] == '/');
	for (const char *const *c = codes; *c; c++) {
		size_t l = strlen(*c);
		if (!strncmp(p, *c, l) && (p[l] == ']' || p[l] == ' ')) {
			const char *end = strchr(p, ']');
			return end ? (size_t)(end + 1 - s) : 0;
		}
	}
	return 0;
}

/* Whether s ("&…") reads as an HTML entity: &name; or &#digits;. */
static bool entity_at(const char *s)
{
	size_t n = 1 + (s[1] == '#');
	size_t start = n;
	for (; n < 34; n++) {
		char c = (char)(s[n] | 0x20);
		if (!((c >= 'a' && c <= 'z') || (s[n] >= '0' && s[n] <= '9')))
			break;
	}
	return n > start && s[n] == ';';
}

/* Appends text, escaped for Markdown, white space folded (classic: blank
 * lines → PARA, one newline → BRK). */
static enum jm_rc put_text(struct h2m *h, struct buf *il, const char *s)
{
	enum jm_rc rc = JM_OK;
	while (*s && !rc) {
		size_t sc = shortcode_len(s);
		if (sc) {
			s += sc;
			continue;
		}
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			int nl = 0;
			for (; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
				nl += *s == '\n';
			rc = buf_appendc(il, !h->classic || !nl ? ' ' : nl == 1 ? BRK : PARA);
			continue;
		}
		/* Markdown's punctuation; '&' only where it starts an entity. */
		if (strchr("\\`*_[]<>#", *s) || (*s == '&' && entity_at(s)))
			rc = buf_appendc(il, '\\');
		if (!rc)
			rc = buf_appendc(il, *s++);
	}
	return rc;
}

/* Writes the paragraph collected in il (markers resolved) to out as one
 * block, and empties il. */
static enum jm_rc flush(struct buf *il, struct buf *out)
{
	struct buf t;
	buf_init(&t, out->cap ? out->cap : il->cap);
	enum jm_rc rc = JM_OK;
	char pend = 0; /* ' ', BRK or PARA waiting for the next character */
	for (size_t i = 0; i < il->len && !rc; i++) {
		char c = il->ptr[i];
		if (c == ' ' || c == BRK || c == PARA) {
			if (t.len && (c == PARA || (c == BRK && pend != PARA) || !pend))
				pend = c;
			continue;
		}
		if (pend)
			rc = put(&t, pend == PARA ? "\n\n" : pend == BRK ? "\\\n" : " ");
		pend = 0;
		if (!rc)
			rc = buf_appendc(&t, c);
	}
	if (!rc && t.len) {
		if (out->len)
			rc = put(out, "\n\n");
		if (!rc)
			rc = buf_append(out, t.ptr, t.len);
	}
	buf_free(&t);
	buf_reset(il);
	return rc;
}

static enum jm_rc inline_nodes(struct h2m *h, xmlNode *n, struct buf *il);
static enum jm_rc blocks(struct h2m *h, xmlNode *first, struct buf *out);

/* A URL for Markdown's (…): rewritten by the caller's hook, characters
 * that would end it percent-encoded. */
static enum jm_rc put_url(struct h2m *h, struct buf *b, const char *url, bool image)
{
	const char *u = h->url_fn ? h->url_fn(h->ud, url, image) : NULL;
	enum jm_rc rc = JM_OK;
	for (const char *p = u ? u : url; *p && !rc; p++) {
		if (*p == ' ' || *p == '(' || *p == ')' || *p == '<' || *p == '>' ||
		    (unsigned char)*p < 0x20)
			rc = buf_appendf(b, "%%%02X", (unsigned char)*p);
		else
			rc = buf_appendc(b, *p);
	}
	return rc;
}

static enum jm_rc put_image(struct h2m *h, const xmlNode *n, struct buf *il)
{
	const char *src = attr(n, "src"), *alt = attr(n, "alt");
	if (!src || !*src)
		return JM_OK;
	enum jm_rc rc = put(il, "![");
	for (const char *p = alt ? alt : ""; *p && !rc; p++) {
		if (strchr("\\[]", *p))
			rc = buf_appendc(il, '\\');
		if (!rc)
			rc = buf_appendc(il, *p == '\n' || *p == '\r' ? ' ' : *p);
	}
	if (!rc)
		rc = put(il, "](");
	if (!rc)
		rc = put_url(h, il, src, true);
	return rc ? rc : put(il, ")");
}

/* Whether b holds anything but white space and markers. */
static bool has_content(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (!strchr(" \x01\x02", b->ptr[i]))
			return true;
	return false;
}

/* Wraps the rendered children of n in mark (** or *), spaces kept outside
 * so the delimiters stay flanking. */
static enum jm_rc put_wrapped(struct h2m *h, xmlNode *n, const char *mark, struct buf *il)
{
	struct buf t;
	buf_init(&t, h->cap);
	enum jm_rc rc = inline_nodes(h, n->children, &t);
	size_t s = 0, e = t.len;
	while (s < e && strchr(" \x01\x02", t.ptr[s]))
		s++;
	while (e > s && strchr(" \x01\x02", t.ptr[e - 1]))
		e--;
	if (!rc && s < e) {
		rc = buf_append(il, t.ptr, s);
		if (!rc)
			rc = buf_appendf(il, "%s%.*s%s", mark, (int)(e - s), t.ptr + s, mark);
		if (!rc)
			rc = buf_append(il, t.ptr + e, t.len - e);
	}
	buf_free(&t);
	return rc;
}

static enum jm_rc put_link(struct h2m *h, xmlNode *n, struct buf *il)
{
	const char *href = attr(n, "href");
	if (h->in_link || !href || !*href || !strncmp(href, "javascript:", 11))
		return inline_nodes(h, n->children, il);
	struct buf t;
	buf_init(&t, h->cap);
	h->in_link = true;
	enum jm_rc rc = inline_nodes(h, n->children, &t);
	h->in_link = false;
	if (!rc && has_content(&t)) {
		rc = put(il, "[");
		for (size_t i = 0; i < t.len && !rc; i++) /* no paragraph inside a link */
			rc = buf_appendc(il, t.ptr[i] == PARA ? ' ' : t.ptr[i]);
		if (!rc)
			rc = put(il, "](");
		if (!rc)
			rc = put_url(h, il, href, false);
		if (!rc)
			rc = put(il, ")");
	}
	buf_free(&t);
	return rc;
}

/* Inline code: as many backticks as its longest run plus one. */
static enum jm_rc put_code(xmlNode *n, struct buf *il)
{
	xmlChar *c = xmlNodeGetContent(n);
	const char *s = c ? (const char *)c : "";
	int run = 0, longest = 0;
	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	enum jm_rc rc = JM_OK;
	if (*s) {
		for (int i = 0; i <= longest && !rc; i++)
			rc = buf_appendc(il, '`');
		if (!rc && (s[0] == '`' || s[strlen(s) - 1] == '`'))
			rc = buf_appendc(il, ' ');
		for (const char *p = s; *p && !rc; p++)
			rc = buf_appendc(il, *p == '\n' ? ' ' : *p);
		if (!rc && (s[0] == '`' || s[strlen(s) - 1] == '`'))
			rc = buf_appendc(il, ' ');
		for (int i = 0; i <= longest && !rc; i++)
			rc = buf_appendc(il, '`');
	}
	xmlFree(c);
	return rc;
}

static enum jm_rc inline_node(struct h2m *h, xmlNode *n, struct buf *il)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
		return put_text(h, il, (const char *)n->content);
	if (n->type != XML_ELEMENT_NODE || name_in(n, DROPPED))
		return JM_OK;
	if (name_is(n, "br"))
		return buf_appendc(il, BRK);
	if (name_is(n, "img"))
		return put_image(h, n, il);
	if (name_is(n, "a"))
		return put_link(h, n, il);
	if (name_is(n, "strong") || name_is(n, "b"))
		return put_wrapped(h, n, "**", il);
	if (name_is(n, "em") || name_is(n, "i"))
		return put_wrapped(h, n, "*", il);
	if (name_is(n, "code") || name_is(n, "kbd") || name_is(n, "tt") || name_is(n, "samp"))
		return put_code(n, il);
	return inline_nodes(h, n->children, il);
}

static enum jm_rc inline_nodes(struct h2m *h, xmlNode *n, struct buf *il)
{
	enum jm_rc rc = JM_OK;
	if (++h->depth > 200) /* a pathological nesting: its text is dropped */
		rc = JM_OK;
	else
		for (; n && !rc; n = n->next)
			rc = inline_node(h, n, il);
	h->depth--;
	return rc;
}

/* Appends block to out after sep (when out holds something), each line
 * prefixed: first (the first line's prefix) then rest (the others'). */
static enum jm_rc put_lines(struct buf *out, const char *sep, const char *block, size_t len,
                            const char *first, const char *rest)
{
	if (!len)
		return JM_OK;
	enum jm_rc rc = out->len ? put(out, sep) : JM_OK;
	const char *pre = first;
	for (size_t i = 0; i < len && !rc;) {
		const char *nl = memchr(block + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (block + i)) : len - i;
		if (l)
			rc = put(out, pre);
		else if (*pre == '>')
			rc = put(out, ">");
		if (!rc)
			rc = buf_append(out, block + i, l);
		if (!rc && nl)
			rc = buf_appendc(out, '\n');
		i += l + (nl != NULL);
		pre = rest;
	}
	return rc;
}

/* A block after a blank line. */
static enum jm_rc put_prefixed(struct buf *out, const char *block, size_t len, const char *first,
                               const char *rest)
{
	return put_lines(out, "\n\n", block, len, first, rest);
}

static enum jm_rc block_list(struct h2m *h, xmlNode *n, struct buf *out)
{
	bool ordered = name_is(n, "ol");
	int num = 1;
	struct buf items, one;
	buf_init(&items, h->cap);
	buf_init(&one, h->cap);
	enum jm_rc rc = JM_OK;
	for (xmlNode *c = n->children; c && !rc; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		buf_reset(&one);
		rc = blocks(h, c->children, &one);
		if (rc || !one.len)
			continue;
		char mark[16];
		snprintf(mark, sizeof(mark), ordered ? "%d. " : "- ", num++);
		const char *pad = ordered ? (num > 10 ? "    " : "   ") : "  ";
		/* Items of a list are one block: one newline between them. */
		rc = put_lines(&items, "\n", one.ptr, one.len, mark, pad);
	}
	if (!rc && items.len)
		rc = put_prefixed(out, items.ptr, items.len, "", "");
	buf_free(&items);
	buf_free(&one);
	return rc;
}

static enum jm_rc block_pre(xmlNode *n, struct buf *out)
{
	xmlChar *c = xmlNodeGetContent(n);
	const char *s = c ? (const char *)c : "";
	size_t len = strlen(s);
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	int run = 0, longest = 2;
	for (size_t i = 0; i < len; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		longest = run > longest ? run : longest;
	}
	char fence[64];
	int fl = longest + 1 < 60 ? longest + 1 : 60;
	memset(fence, '`', (size_t)fl);
	fence[fl] = '\0';
	enum jm_rc rc = out->len ? put(out, "\n\n") : JM_OK;
	if (!rc)
		rc = buf_appendf(out, "%s\n%.*s\n%s", fence, (int)len, s, fence);
	xmlFree(c);
	return rc;
}

/* A heading or a table cell: its inline text on one line. */
static enum jm_rc one_line(struct h2m *h, xmlNode *n, struct buf *line)
{
	struct buf il;
	buf_init(&il, h->cap);
	enum jm_rc rc = inline_nodes(h, n->children, &il);
	for (size_t i = 0; i < il.len && !rc; i++)
		if (il.ptr[i] != ' ' || (line->len && line->ptr[line->len - 1] != ' '))
			rc = buf_appendc(line, strchr("\x01\x02", il.ptr[i]) ? ' ' : il.ptr[i]);
	while (line->len && line->ptr[line->len - 1] == ' ')
		line->ptr[--line->len] = '\0';
	buf_free(&il);
	return rc;
}

static enum jm_rc block_heading(struct h2m *h, xmlNode *n, struct buf *out)
{
	struct buf line;
	buf_init(&line, h->cap);
	enum jm_rc rc = buf_appendf(&line, "%.*s ", n->name[1] - '0', "######");
	size_t head = line.len;
	if (!rc)
		rc = one_line(h, n, &line);
	if (!rc && line.len > head)
		rc = put_prefixed(out, line.ptr, line.len, "", "");
	buf_free(&line);
	return rc;
}

/* Rows of a table, each on a line of cells joined by " | ". */
static enum jm_rc table_rows(struct h2m *h, xmlNode *n, struct buf *t)
{
	enum jm_rc rc = JM_OK;
	for (xmlNode *c = n->children; c && !rc; c = c->next) {
		if (name_is(c, "thead") || name_is(c, "tbody") || name_is(c, "tfoot")) {
			rc = table_rows(h, c, t);
			continue;
		}
		if (!name_is(c, "tr"))
			continue;
		size_t start = t->len;
		if (t->len)
			rc = put(t, "\\\n");
		size_t cells = t->len;
		for (xmlNode *d = c->children; d && !rc; d = d->next)
			if (name_is(d, "td") || name_is(d, "th")) {
				if (t->len > cells)
					rc = put(t, " | ");
				if (!rc)
					rc = one_line(h, d, t);
			}
		if (!rc && t->len == cells && cells != start) /* a row without cells */
			t->len = start, t->ptr[start] = '\0';
	}
	return rc;
}

static enum jm_rc block_iframe(xmlNode *n, struct buf *out)
{
	const char *src = attr(n, "src");
	const char *id = src ? strstr(src, "youtube.com/embed/") : NULL;
	if (!id)
		id = src ? strstr(src, "youtube-nocookie.com/embed/") : NULL;
	if (!id)
		return JM_OK;
	id = strstr(id, "/embed/") + 7;
	size_t l = strcspn(id, "?&\"/#");
	enum jm_rc rc = out->len ? put(out, "\n\n") : JM_OK;
	return rc ? rc : buf_appendf(out, "https://www.youtube.com/watch?v=%.*s", (int)l, id);
}

static enum jm_rc block(struct h2m *h, xmlNode *n, struct buf *out)
{
	if (name_in(n, DROPPED))
		return JM_OK;
	if (n->name[0] == 'h' && n->name[1] >= '1' && n->name[1] <= '6' && !n->name[2])
		return block_heading(h, n, out);
	if (name_is(n, "ul") || name_is(n, "ol"))
		return block_list(h, n, out);
	if (name_is(n, "pre"))
		return block_pre(n, out);
	if (name_is(n, "hr"))
		return put_prefixed(out, "* * *", 5, "", "");
	if (name_is(n, "iframe"))
		return block_iframe(n, out);
	if (name_is(n, "table")) {
		struct buf t;
		buf_init(&t, h->cap);
		enum jm_rc rc = table_rows(h, n, &t);
		if (!rc)
			rc = put_prefixed(out, t.ptr, t.len, "", "");
		buf_free(&t);
		return rc;
	}
	if (!name_is(n, "blockquote"))
		return blocks(h, n->children, out);
	struct buf q;
	buf_init(&q, h->cap);
	enum jm_rc rc = blocks(h, n->children, &q);
	if (!rc)
		rc = put_prefixed(out, q.ptr, q.len, "> ", "> ");
	buf_free(&q);
	return rc;
}

static enum jm_rc blocks(struct h2m *h, xmlNode *first, struct buf *out)
{
	struct buf il;
	buf_init(&il, h->cap);
	enum jm_rc rc = JM_OK;
	if (++h->depth > 200) {
		h->depth--;
		return JM_OK;
	}
	for (xmlNode *n = first; n && !rc; n = n->next) {
		if (n->type == XML_ELEMENT_NODE && name_in(n, BLOCKS)) {
			rc = flush(&il, out);
			if (!rc)
				rc = block(h, n, out);
		} else {
			rc = inline_node(h, n, &il);
		}
	}
	if (!rc)
		rc = flush(&il, out);
	h->depth--;
	buf_free(&il);
	return rc;
}

static xmlNode *find_body(xmlNode *n)
{
	for (; n; n = n->next) {
		if (name_is(n, "body"))
			return n;
		xmlNode *b = name_is(n, "html") ? find_body(n->children) : NULL;
		if (b)
			return b;
	}
	return NULL;
}

enum jm_rc imp_html_to_md(const char *html, size_t len, bool classic, imp_url_fn url_fn, void *ud,
                          struct buf *out)
{
	if (len == 0)
		return JM_OK;
	if (len > INT32_MAX)
		return JM_TOO_LARGE;
	htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
	                                HTML_PARSE_NONET | HTML_PARSE_NOERROR |
	                                        HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT);
	if (!doc)
		return JM_INVALID;
	struct h2m h = {.classic = classic, .url_fn = url_fn, .ud = ud, .cap = out->cap};
	xmlNode *body = find_body(xmlDocGetRootElement(doc));
	enum jm_rc rc = body ? blocks(&h, body->children, out) : JM_OK;
	xmlFreeDoc(doc);
	return rc;
}
