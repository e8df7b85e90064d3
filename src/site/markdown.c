/*
 * markdown.c — owner Markdown (CommonMark, via cmark) to HTML, and
 * plain-text excerpts.
 *
 * Safety: cmark 0.30's default options are its safe mode: raw HTML blocks
 * and inline HTML are replaced by comments and javascript:/vbscript:/file:/
 * data: (non-image) link targets are dropped. CMARK_OPT_UNSAFE is only used
 * when the owner turned allow_raw_html on. Smart punctuation stays off so
 * Japanese text and code are never rewritten.
 *
 * Images of the media library (![alt](/media/<key>-<w>x<h>.jpg)) become a
 * <picture> with the WebP variants and an <img srcset> of the JPEG/PNG
 * ones, width, height and loading="lazy" (the variants follow from the
 * name: media_variants); in mail, one JPEG/PNG <img> at an absolute URL.
 * Every other image renders as cmark renders it.
 */
#include <cmark.h>

#include "core/core.h"
#include "media/media.h"
#include "site/site.h"
#include "site/site_int.h"

/* Appends s HTML-escaped (text and attribute values). */
static void put_esc(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		enum jm_rc rc;
		switch (*s) {
		case '&': rc = buf_appends(b, "&amp;"); break;
		case '<': rc = buf_appends(b, "&lt;"); break;
		case '>': rc = buf_appends(b, "&gt;"); break;
		case '"': rc = buf_appends(b, "&quot;"); break;
		case '\'': rc = buf_appends(b, "&#39;"); break;
		default: rc = buf_appendc(b, *s); break;
		}
		if (rc)
			return;
	}
}

/* The alternative text of an image: its children's text, as cmark's own
 * renderer writes it. */
static void put_alt(struct buf *b, cmark_node *img)
{
	cmark_iter *it = cmark_iter_new(img);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(n);
		if (ev == CMARK_EVENT_ENTER && (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE))
			put_esc(b, cmark_node_get_literal(n));
		else if (ev == CMARK_EVENT_ENTER &&
		         (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK))
			(void)!buf_appendc(b, ' ');
	}
	cmark_iter_free(it);
}

/* One srcset: every variant of key in ext, with its width. */
static void put_srcset(struct buf *b, const char *base, const char *key, const int *ws,
                       const int *hs, size_t n, const char *ext)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			(void)!buf_appends(b, ", ");
		put_esc(b, base);
		(void)!buf_appendf(b, "/media/%s-%dx%d.%s %dw", key, ws[i], hs[i], ext, ws[i]);
	}
}

#define PICTURE_SIZES "(max-width: 46rem) 100vw, 46rem"
#define MAIL_WIDTH    600 /* pixels: the width mail clients lay out */

/* The page's HTML of a library image (key, W x H, ext from its URL):
 * <picture> with the WebP variants, and an <img> with the JPEG/PNG ones,
 * its size and lazy loading. A .webp URL gives no fallback (its format is
 * not in the name): the WebP variants only. */
static void put_picture(struct buf *b, cmark_node *img, const char *key, int W, int H,
                        const char *ext)
{
	int ws[MEDIA_MAX_VARIANT], hs[MEDIA_MAX_VARIANT];
	size_t n = media_variants(W, H, ws, hs);
	bool webp_only = !strcmp(ext, "webp");
	if (!webp_only) {
		(void)!buf_appends(b, "<picture><source type=\"image/webp\" srcset=\"");
		put_srcset(b, "", key, ws, hs, n, "webp");
		(void)!buf_appends(b, "\" sizes=\"" PICTURE_SIZES "\">");
	}
	(void)!buf_appendf(b, "<img src=\"/media/%s-%dx%d.%s\" srcset=\"", key, W, H, ext);
	put_srcset(b, "", key, ws, hs, n, ext);
	(void)!buf_appendf(b, "\" sizes=\"" PICTURE_SIZES "\" width=\"%d\" height=\"%d\" alt=\"", W,
	                   H);
	put_alt(b, img);
	(void)!buf_appends(b, "\"");
	const char *title = cmark_node_get_title(img);
	if (title && *title) {
		(void)!buf_appends(b, " title=\"");
		put_esc(b, title);
		(void)!buf_appends(b, "\"");
	}
	(void)!buf_appends(b, " loading=\"lazy\" decoding=\"async\">");
	if (!webp_only)
		(void)!buf_appends(b, "</picture>");
}

/* The mail's HTML of a library image: one <img>, JPEG or PNG (mail
 * programs show no WebP), the variant nearest twice the mail's width,
 * absolute URL, laid out at most MAIL_WIDTH wide. */
static void put_mail_img(struct buf *b, cmark_node *img, const char *base, const char *key, int W,
                         int H, const char *ext)
{
	int ws[MEDIA_MAX_VARIANT], hs[MEDIA_MAX_VARIANT];
	size_t n = media_variants(W, H, ws, hs), pick = n - 1;
	for (size_t i = 0; i < n; i++)
		if (ws[i] >= 2 * MAIL_WIDTH * 3 / 4) {
			pick = i;
			break;
		}
	int w = ws[pick] > MAIL_WIDTH ? MAIL_WIDTH : ws[pick];
	int h = (int)(((int64_t)hs[pick] * w + ws[pick] / 2) / ws[pick]);
	(void)!buf_appends(b, "<img src=\"");
	put_esc(b, base);
	(void)!buf_appendf(b, "/media/%s-%dx%d.%s\" width=\"%d\" height=\"%d\" alt=\"", key,
	                   ws[pick], hs[pick], ext, w, h > 0 ? h : 1);
	put_alt(b, img);
	(void)!buf_appends(b, "\" style=\"max-width:100%;height:auto;border:0\">");
}

/* The library image an image node points at: "/media/<name>" or, for
 * mail, the same under the site's base URL. */
static bool library_image(cmark_node *img, const struct site_md_opts *o, char *key, int *w, int *h,
                          const char **ext)
{
	const char *url = cmark_node_get_url(img);
	if (!url)
		return false;
	size_t bl = o->base_url ? strlen(o->base_url) : 0;
	if (bl && !strncmp(url, o->base_url, bl))
		url += bl;
	return !strncmp(url, "/media/", 7) && media_url_parse(url, key, w, h, ext);
}

/* Replaces every library image of doc by a custom inline node holding its
 * HTML (written by us, every attribute escaped: cmark prints a custom
 * node's text as it is, in safe mode too). */
static void rewrite_images(cmark_node *doc, const struct site_md_opts *o)
{
	cmark_node *found[256];
	size_t n = 0;
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && n < 256) {
		cmark_node *node = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(node) == CMARK_NODE_IMAGE)
			found[n++] = node;
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < n; i++) {
		char key[MEDIA_KEY_LEN + 1];
		int w, h;
		const char *ext;
		if (!library_image(found[i], o, key, &w, &h, &ext))
			continue;
		struct buf b;
		buf_init(&b, 8192);
		if (o->mail)
			put_mail_img(&b, found[i], o->base_url ? o->base_url : "", key, w, h, ext);
		else
			put_picture(&b, found[i], key, w, h, ext);
		cmark_node *c = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);
		cmark_node_set_on_enter(c, buf_cstr(&b));
		cmark_node_insert_before(found[i], c);
		cmark_node_free(found[i]); /* unlinks it */
		buf_free(&b);
	}
}

enum jm_rc site_markdown_opts(const char *md, size_t len, const struct site_md_opts *o,
                              struct buf *out)
{
	if (len > ARTICLE_BODY_MAX)
		return JM_TOO_LARGE;
	int opts = CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8;
	if (o->allow_raw)
		opts |= CMARK_OPT_UNSAFE;
	cmark_node *doc = cmark_parse_document(md ? md : "", md ? len : 0, opts);
	if (!doc)
		return JM_NOMEM;
	rewrite_images(doc, o);
	enum jm_rc rc = o->embeds ? site_embed_pass(doc) : JM_OK;
	char *html = rc ? NULL : cmark_render_html(doc, opts);
	cmark_node_free(doc);
	if (!rc && !html)
		rc = JM_NOMEM;
	if (!rc)
		rc = buf_appends(out, html);
	if (html)
		cmark_get_default_mem_allocator()->free(html);
	return rc;
}

enum jm_rc site_markdown(const char *md, size_t len, bool allow_raw, struct buf *out)
{
	struct site_md_opts o = {.allow_raw = allow_raw};
	return site_markdown_opts(md, len, &o, out);
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
