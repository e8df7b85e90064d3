/*
 * markdown.c — owner Markdown (CommonMark, via cmark) to HTML, and
 * plain-text excerpts.
 *
 * Safety: cmark 0.30's default options are its safe mode: raw HTML blocks
 * and inline HTML are replaced by comments and javascript:/vbscript:/file:/
 * data: (non-image) link targets are dropped. CMARK_OPT_UNSAFE is only used
 * when the owner turned allow_raw_html on. Smart punctuation stays off so
 * Japanese text and code are never rewritten.
 */
#include <cmark.h>

#include "core/core.h"
#include "site/site.h"

enum jm_rc site_markdown(const char *md, size_t len, bool allow_raw, struct buf *out)
{
	if (len > ARTICLE_BODY_MAX)
		return JM_TOO_LARGE;
	int opts = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
	if (allow_raw)
		opts |= CMARK_OPT_UNSAFE;
	char *html = cmark_markdown_to_html(md ? md : "", md ? len : 0, opts);
	if (!html)
		return JM_NOMEM;
	enum jm_rc rc = buf_appends(out, html);
	cmark_get_default_mem_allocator()->free(html);
	return rc;
}

/* Appends text to b, folding runs of white space into one space. Stops
 * quietly at the buffer's cap (the excerpt only needs the start). */
static void append_folded(struct buf *b, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c == ' ' && (b->len == 0 || b->ptr[b->len - 1] == ' '))
			continue;
		if (buf_appendc(b, c) != JM_OK)
			return;
	}
}

static void append_space(struct buf *b)
{
	if (b->len && b->ptr[b->len - 1] != ' ')
		(void)!buf_appendc(b, ' ');
}

/* Collects the readable text of a document (no raw HTML, URLs or code
 * blocks; inline code stays). */
static void collect_text(cmark_node *doc, struct buf *b, size_t max_bytes)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && b->len < max_bytes) {
		cmark_node *n = cmark_iter_get_node(it);
		switch (cmark_node_get_type(n)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			if (ev == CMARK_EVENT_ENTER)
				append_folded(b, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK: append_space(b); break;
		case CMARK_NODE_CODE_BLOCK: /* leaves: code is no summary */
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_THEMATIC_BREAK: append_space(b); break;
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
		case CMARK_NODE_ITEM:
			if (ev == CMARK_EVENT_EXIT)
				append_space(b);
			break;
		default: break;
		}
	}
	cmark_iter_free(it);
}

enum jm_rc site_plain_text(const char *md, size_t len, struct buf *out)
{
	if (!md || !len)
		return JM_OK;
	if (len > ARTICLE_BODY_MAX)
		return JM_TOO_LARGE;
	cmark_node *doc = cmark_parse_document(md, len, CMARK_OPT_VALIDATE_UTF8);
	if (!doc)
		return JM_NOMEM;
	collect_text(doc, out, out->cap ? out->cap : SIZE_MAX);
	cmark_node_free(doc);
	while (out->len && out->ptr[out->len - 1] == ' ')
		out->len--;
	while (out->len && !utf8_valid(out->ptr, out->len)) /* the cap may split a character */
		out->len--;
	if (out->ptr)
		out->ptr[out->len] = '\0';
	return JM_OK;
}

char *site_excerpt(struct arena *a, const char *md, size_t len, size_t max_chars)
{
	if (!md || !len || !max_chars)
		return arena_strdup(a, "");
	if (len > ARTICLE_BODY_MAX)
		len = utf8_truncate(md, len, ARTICLE_BODY_MAX);
	cmark_node *doc = cmark_parse_document(md, len, CMARK_OPT_VALIDATE_UTF8);
	if (!doc)
		return arena_strdup(a, "");
	/* A character is at most 4 bytes; collect a little more than needed. */
	size_t max_bytes = max_chars * 4 + 8;
	struct buf b = BUF_INIT;
	buf_init(&b, max_bytes + 64);
	collect_text(doc, &b, max_bytes);
	cmark_node_free(doc);
	size_t n = b.len;
	while (n && b.ptr[n - 1] == ' ')
		n--;
	const char *s = b.ptr ? b.ptr : "";
	while (n && !utf8_valid(s, n)) /* the cap may have split a character */
		n--;
	char *res;
	if (utf8_count(s, n) <= max_chars) {
		res = arena_strndup(a, s, n);
	} else {
		/* Keep max_chars - 1 characters and end with an ellipsis. */
		size_t cut = 0, chars = 0;
		while (cut < n && chars < max_chars - 1) {
			cut++;
			while (cut < n && ((unsigned char)s[cut] & 0xC0) == 0x80)
				cut++;
			chars++;
		}
		while (cut && s[cut - 1] == ' ')
			cut--;
		res = arena_sprintf(a, "%.*s…", (int)cut, s);
	}
	buf_free(&b);
	return res;
}
