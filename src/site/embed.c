/*
 * embed.c — the site's other media in articles: a YouTube, X or Instagram
 * URL alone on a line (site_markdown_embeds) becomes a block the site
 * styles, with no third-party script and nothing fetched from elsewhere
 * before the reader asks:
 *   - YouTube (youtube.com/watch?v=ID, youtu.be/ID, youtube.com/shorts/ID):
 *     a click-to-play facade — a styled box that links to the video. No
 *     thumbnail: i.ytimg.com would see every reader of the page (their
 *     address, the page they read) before anyone chose to play. The site's
 *     own static/embed.js swaps in the privacy-enhanced player
 *     (www.youtube-nocookie.com/embed/ID) after the click; the public CSP
 *     allows that one frame source (http/headers.c). Without script the link
 *     opens YouTube.
 *   - X (twitter.com|x.com/USER/status/N) and Instagram
 *     (instagram.com/p|reel/CODE): a link card.
 * Safety: the HTML is built only from the parts the patterns accept
 * (letters, digits, '_' and '-'), never from the rest of the URL, so it
 * needs no escaping and keeps safe mode's guarantee: nothing the author
 * typed reaches the page as markup.
 */
#include <cmark.h>

#include "core/core.h"
#include "site/site.h"
#include "site/site_int.h"

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* The run of id characters at s (at most max); its length, 0 if longer. */
static size_t id_run(const char *s, size_t len, size_t max)
{
	size_t n = 0;
	while (n < len && id_char(s[n]))
		n++;
	return n <= max ? n : 0;
}

/* Strips "http(s)://" and one of the hosts (NULL-ended list); the path
 * after it, or NULL. */
static const char *after_host(const char *u, size_t len, const char *const *hosts, size_t *rest)
{
	size_t skip = len >= 8 && !memcmp(u, "https://", 8)  ? 8
	              : len >= 7 && !memcmp(u, "http://", 7) ? 7
	                                                     : 0;
	if (!skip)
		return NULL;
	for (size_t i = 0; hosts[i]; i++) {
		size_t h = strlen(hosts[i]);
		if (len - skip > h && !memcmp(u + skip, hosts[i], h) && u[skip + h] == '/') {
			*rest = len - skip - h - 1;
			return u + skip + h + 1;
		}
	}
	return NULL;
}

/* Whether s[n..len) is the end of the URL: nothing, '/', '?' or '#' then anything. */
static bool url_end(const char *s, size_t n, size_t len)
{
	return n == len || s[n] == '?' || s[n] == '#' ||
	       (s[n] == '/' && (n + 1 == len || s[n + 1] == '?'));
}

/* The 11-character video id of a YouTube URL into id[12]. */
static bool youtube_id(const char *u, size_t len, char id[12])
{
	static const char *const yt[] = {"www.youtube.com", "youtube.com", "m.youtube.com", NULL};
	static const char *const be[] = {"youtu.be", NULL};
	size_t rest = 0, n;
	const char *p = after_host(u, len, be, &rest);
	if (!p && (p = after_host(u, len, yt, &rest)) != NULL) {
		if (rest > 7 && !memcmp(p, "shorts/", 7)) {
			p += 7, rest -= 7;
		} else if (rest > 6 && !memcmp(p, "watch?", 6)) {
			const char *v = p + 5; /* at '?'; find "v=" after '?' or '&' */
			const char *end = p + rest;
			while (v && v < end &&
			       !((*v == '?' || *v == '&') && end - v > 2 && v[1] == 'v' &&
			         v[2] == '='))
				v = memchr(v + 1, '&', (size_t)(end - v - 1));
			if (!v || v >= end)
				return false;
			n = id_run(v + 3, (size_t)(end - v - 3), 11);
			bool ok =
			        n == 11 && (v + 3 + n == end || v[3 + n] == '&' || v[3 + n] == '#');
			if (ok)
				memcpy(id, v + 3, 11), id[11] = '\0';
			return ok;
		} else {
			return false;
		}
	}
	if (!p)
		return false;
	n = id_run(p, rest, 11);
	if (n != 11 || !url_end(p, n, rest))
		return false;
	memcpy(id, p, 11);
	id[11] = '\0';
	return true;
}

static enum jm_rc youtube_html(const char *id, struct buf *out)
{
	return buf_appendf(out,
	                   "<div class=\"embed embed-youtube\" data-youtube=\"%s\">"
	                   "<a class=\"embed-play\" href=\"https://www.youtube.com/watch?v=%s\" "
	                   "target=\"_blank\" rel=\"noopener noreferrer\">"
	                   "<span class=\"embed-icon\" aria-hidden=\"true\">\xe2\x96\xb6</span>"
	                   "<span class=\"embed-site\">YouTube</span>"
	                   "<span class=\"embed-url\">youtube.com/watch?v=%s</span></a></div>\n",
	                   id, id, id);
}

/* X / Twitter: USER/status/N. */
static enum jm_rc x_card(const char *u, size_t len, struct buf *out, bool *done)
{
	static const char *const hosts[] = {"x.com",           "www.x.com",          "twitter.com",
	                                    "www.twitter.com", "mobile.twitter.com", NULL};
	size_t rest = 0;
	const char *p = after_host(u, len, hosts, &rest);
	size_t un = p ? id_run(p, rest, 15) : 0;
	if (!un || rest - un < 8 || memcmp(p + un, "/status/", 8) != 0)
		return JM_OK;
	const char *d = p + un + 8;
	size_t dn = 0, dmax = rest - un - 8;
	while (dn < dmax && dn < 20 && d[dn] >= '0' && d[dn] <= '9')
		dn++;
	if (!dn || !url_end(d, dn, dmax))
		return JM_OK;
	*done = true;
	return buf_appendf(
	        out,
	        "<div class=\"embed embed-card embed-x\"><a href=\"https://x.com/%.*s/"
	        "status/%.*s\" target=\"_blank\" rel=\"noopener noreferrer\">"
	        "<span class=\"embed-site\">X</span><span class=\"embed-title\">@%.*s"
	        "</span><span class=\"embed-url\">x.com/%.*s/status/%.*s</span></a></div>\n",
	        (int)un, p, (int)dn, d, (int)un, p, (int)un, p, (int)dn, d);
}

/* Instagram: p/CODE or reel/CODE. */
static enum jm_rc instagram_card(const char *u, size_t len, struct buf *out, bool *done)
{
	static const char *const hosts[] = {"www.instagram.com", "instagram.com", NULL};
	size_t rest = 0, k = 0;
	const char *p = after_host(u, len, hosts, &rest);
	if (p && rest > 2 && !memcmp(p, "p/", 2))
		k = 2;
	else if (p && rest > 5 && !memcmp(p, "reel/", 5))
		k = 5;
	if (!k)
		return JM_OK;
	size_t cn = id_run(p + k, rest - k, 40);
	if (!cn || !url_end(p + k, cn, rest - k))
		return JM_OK;
	*done = true;
	return buf_appendf(
	        out,
	        "<div class=\"embed embed-card embed-instagram\"><a href=\"https://www."
	        "instagram.com/%.*s%.*s/\" target=\"_blank\" rel=\"noopener noreferrer\">"
	        "<span class=\"embed-site\">Instagram</span><span class=\"embed-url\">"
	        "instagram.com/%.*s%.*s/</span></a></div>\n",
	        (int)k, p, (int)cn, p + k, (int)k, p, (int)cn, p + k);
}

enum jm_rc site_embed_html(const char *url, size_t len, struct buf *out, bool *done)
{
	char id[12];
	*done = false;
	if (youtube_id(url, len, id)) {
		*done = true;
		return youtube_html(id, out);
	}
	enum jm_rc rc = x_card(url, len, out, done);
	if (!rc && !*done)
		rc = instagram_card(url, len, out, done);
	return rc;
}

/* ---- the Markdown pass ---- */

/* The URL a paragraph holds alone, into u: its text (one or more text
 * nodes, spaces around trimmed, none inside), or an autolink — a link whose
 * text is its URL. */
static bool lone_url(cmark_node *para, struct buf *u)
{
	cmark_node *c = cmark_node_first_child(para);
	if (c && cmark_node_get_type(c) == CMARK_NODE_LINK && !cmark_node_next(c)) {
		const char *url = cmark_node_get_url(c);
		cmark_node *t = cmark_node_first_child(c);
		if (!url || !t || cmark_node_next(t) || cmark_node_get_type(t) != CMARK_NODE_TEXT ||
		    strcmp(cmark_node_get_literal(t), url) != 0)
			return false;
		return buf_appends(u, url) == JM_OK;
	}
	for (; c; c = cmark_node_next(c))
		if (cmark_node_get_type(c) != CMARK_NODE_TEXT ||
		    buf_appends(u, cmark_node_get_literal(c)) != JM_OK)
			return false;
	size_t a = 0, n = u->len;
	while (a < n && u->ptr[a] == ' ')
		a++;
	while (n > a && u->ptr[n - 1] == ' ')
		n--;
	memmove(u->ptr, u->ptr + a, n - a);
	u->len = n - a;
	return u->len > 0 && !memchr(u->ptr, ' ', u->len);
}

/* Replaces each top-level paragraph that is a lone embeddable URL by a
 * custom block holding site_embed_html's markup (rendered as is; built
 * from checked parts only, see embed.c). */
enum jm_rc site_embed_pass(cmark_node *doc)
{
	enum jm_rc rc = JM_OK;
	struct buf u, h;
	buf_init(&u, 4096);
	buf_init(&h, 4096);
	for (cmark_node *n = cmark_node_first_child(doc), *next; n && !rc; n = next) {
		next = cmark_node_next(n);
		bool done = false;
		buf_reset(&u);
		buf_reset(&h);
		if (cmark_node_get_type(n) != CMARK_NODE_PARAGRAPH || !lone_url(n, &u))
			continue;
		rc = site_embed_html(u.ptr, u.len, &h, &done);
		if (rc || !done)
			continue;
		cmark_node *blk = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
		if (!blk || !cmark_node_set_on_enter(blk, buf_cstr(&h)) ||
		    !cmark_node_insert_before(n, blk)) {
			cmark_node_free(blk);
			rc = JM_NOMEM;
			break;
		}
		cmark_node_free(n);
	}
	buf_free(&u);
	buf_free(&h);
	return rc;
}

enum jm_rc site_markdown_embeds(const char *md, size_t len, bool allow_raw, struct buf *out)
{
	struct site_md_opts o = {.allow_raw = allow_raw, .embeds = true};
	return site_markdown_opts(md, len, &o, out);
}
