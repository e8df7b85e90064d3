/*
 * wxr.c — WordPress's export (WXR: RSS 2.0 with the wp:, content:,
 * excerpt: and dc: namespaces; note.com exports the same) read with
 * libxml2's tree parser.
 *
 * Safety: XML_PARSE_NONET (nothing fetched), no XML_PARSE_NOENT or
 * DTDLOAD (entities are never substituted, no external DTD is read), and a
 * document with a DOCTYPE is refused outright: WXR has none, and an
 * entity declaration is the XXE and billion-laughs attack's way in.
 *
 * What becomes what: posts and pages become articles (status publish and
 * future stay published, draft/pending/private become drafts), trash and
 * auto-drafts are skipped, attachments are only the images' source, any
 * other post type (menus, revisions, blocks…) is skipped and counted.
 * Old URLs kept for 301s: the item's <link> path, /?p=ID (posts) and
 * /?page_id=ID (pages), below the blog's own path.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "import/import_int.h"

enum ns { NS_NONE, NS_WP, NS_CONTENT, NS_EXCERPT, NS_DC, NS_OTHER };

static enum ns ns_of(const xmlNode *n)
{
	const char *h = n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
	if (!h)
		return NS_NONE;
	if (strstr(h, "/excerpt/"))
		return NS_EXCERPT;
	if (!strncmp(h, "http://wordpress.org/export/", 28))
		return NS_WP;
	if (!strcmp(h, "http://purl.org/rss/1.0/modules/content/"))
		return NS_CONTENT;
	if (!strcmp(h, "http://purl.org/dc/elements/1.1/"))
		return NS_DC;
	return NS_OTHER;
}

static bool is(const xmlNode *n, enum ns ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && ns_of(n) == ns &&
	       !strcmp((const char *)n->name, name);
}

static xmlNode *child(const xmlNode *n, enum ns ns, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (is(c, ns, name))
			return c;
	return NULL;
}

/* The text of an element (its CDATA too), in the arena; "" when absent. */
static const char *text_of(struct arena *a, const xmlNode *n)
{
	if (!n)
		return "";
	xmlChar *c = xmlNodeGetContent(n);
	char *s = arena_strdup(a, c ? (const char *)c : "");
	xmlFree(c);
	return s;
}

static const char *ctext(struct arena *a, const xmlNode *n, enum ns ns, const char *name)
{
	return text_of(a, child(n, ns, name));
}

static const char *attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *at = n->properties; at; at = at->next)
		if (!strcmp((const char *)at->name, name) && at->children)
			return (const char *)at->children->content;
	return NULL;
}

/* ---- parsing and checking the file ---- */

static xmlDoc *parse(const char *data, size_t len, struct jm_err *err)
{
	xmlParserCtxt *ctx = xmlNewParserCtxt();
	if (!ctx) {
		jm_err_set(err, "file", "out of memory");
		return NULL;
	}
	xmlDoc *doc = xmlCtxtReadMemory(ctx, data, (int)len, "export.xml", NULL,
	                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || !ctx->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctx);
		char msg[160] = "";
		if (e && e->message)
			snprintf(msg, sizeof(msg), "%s", e->message);
		msg[strcspn(msg, "\r\n")] = '\0';
		jm_err_set(err, "file", "not well-formed XML (line %d: %s)", e ? e->line : 0,
		           msg[0] ? msg : "unreadable");
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (doc->intSubset || doc->extSubset) {
		jm_err_set(err, "file",
		           "refused: the XML declares a DOCTYPE (entities are not "
		           "expanded; a WordPress export has none)");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctx);
	return doc;
}

/* The <channel> of a WXR document, or NULL (err says why). */
static xmlNode *wxr_channel(xmlDoc *doc, struct jm_err *err)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *ch = root && !strcmp((const char *)root->name, "rss") ? root->children : NULL;
	for (; ch && !(ch->type == XML_ELEMENT_NODE && !strcmp((const char *)ch->name, "channel"));
	     ch = ch->next)
		;
	bool wp = ch && child(ch, NS_WP, "wxr_version");
	for (xmlNode *it = ch ? ch->children : NULL; it && !wp; it = it->next)
		wp = it->type == XML_ELEMENT_NODE && child(it, NS_WP, "post_type");
	if (!wp)
		jm_err_set(err, "file",
		           "not a WordPress export (WXR): no <rss><channel> with "
		           "WordPress's wp: elements");
	return wp ? ch : NULL;
}

/* ---- categories and tags ---- */

static void channel_categories(struct imp_batch *b, xmlNode *ch)
{
	for (xmlNode *c = ch->children; c; c = c->next) {
		if (!is(c, NS_WP, "category"))
			continue;
		const char *name =
		        imp_one_line(b->a, ctext(b->a, c, NS_WP, "cat_name"), CATEGORY_NAME_MAX);
		const char *slug = imp_slug(b->a, ctext(b->a, c, NS_WP, "category_nicename"));
		const char *parent = imp_slug(b->a, ctext(b->a, c, NS_WP, "category_parent"));
		if (!slug && *name)
			slug = imp_slug(b->a, name);
		if (slug && *name)
			imp_batch_category(b, slug, name, parent);
	}
}

/* The item's <category> elements: categories (slugs, added to the batch
 * when the channel did not list them) and tags (names). */
static void item_terms(struct imp_batch *b, xmlNode *item, struct article_input *in)
{
	size_t ccap = 0, tcap = 0;
	for (xmlNode *c = item->children; c; c = c->next) {
		if (!is(c, NS_NONE, "category"))
			continue;
		const char *domain = attr(c, "domain"), *nice = attr(c, "nicename");
		const char *name = imp_one_line(b->a, text_of(b->a, c), CATEGORY_NAME_MAX);
		if (!*name || !domain)
			continue;
		if (!strcmp(domain, "post_tag") && in->ntags < ARTICLE_TAGS_MAX) {
			in->tags = arena_grow(b->a, in->tags, in->ntags, &tcap, sizeof(char *));
			in->tags[in->ntags++] = imp_one_line(b->a, name, TAG_NAME_MAX);
		} else if (!strcmp(domain, "category") &&
		           in->ncategories < ARTICLE_CATEGORIES_MAX) {
			const char *slug = imp_slug(b->a, nice ? nice : name);
			if (!slug)
				continue;
			imp_batch_category(b, slug, name, NULL);
			in->categories = arena_grow(b->a, in->categories, in->ncategories, &ccap,
			                            sizeof(char *));
			in->categories[in->ncategories++] = slug;
		}
	}
	in->has_tags = in->has_categories = true;
}

/* ---- items ---- */

struct wxr {
	struct imp_batch *b;
	struct imp_images *images;
	const char *tz;
	const char *base_path; /* the blog's path ("" at the root, "/blog") */
	xmlNode *ch;
	int64_t other_types[8];
	const char *other_names[8];
};

/* The attachment URL of post id, or NULL. */
static const char *attachment_url(struct wxr *w, const char *id)
{
	for (xmlNode *it = w->ch->children; it && *id; it = it->next) {
		if (it->type != XML_ELEMENT_NODE || strcmp((const char *)it->name, "item"))
			continue;
		if (!strcmp(ctext(w->b->a, it, NS_WP, "post_id"), id) &&
		    !strcmp(ctext(w->b->a, it, NS_WP, "post_type"), "attachment"))
			return ctext(w->b->a, it, NS_WP, "attachment_url");
	}
	return NULL;
}

static const char *featured_of(struct wxr *w, xmlNode *item)
{
	for (xmlNode *m = item->children; m; m = m->next)
		if (is(m, NS_WP, "postmeta") &&
		    !strcmp(ctext(w->b->a, m, NS_WP, "meta_key"), "_thumbnail_id"))
			return attachment_url(w, ctext(w->b->a, m, NS_WP, "meta_value"));
	return NULL;
}

/* The publication time: post_date_gmt, else post_date in the site's zone;
 * 0 when neither is a time (drafts carry 0000-00-00). */
static int64_t item_time(struct wxr *w, xmlNode *item)
{
	int64_t t = 0;
	const char *g = ctext(w->b->a, item, NS_WP, "post_date_gmt");
	if (*g && strncmp(g, "0000", 4) && jm_time_parse(g, 0, &t) == JM_OK)
		return t;
	const char *l = ctext(w->b->a, item, NS_WP, "post_date");
	if (*l && strncmp(l, "0000", 4) &&
	    jm_time_parse_zone(l, w->tz ? w->tz : "UTC", &t) == JM_OK)
		return t;
	return 0;
}

static enum jm_rc item_body(struct wxr *w, xmlNode *item, struct article_input *in)
{
	const char *html = ctext(w->b->a, item, NS_CONTENT, "encoded");
	struct buf md;
	buf_init(&md, ARTICLE_BODY_MAX);
	bool classic = !strstr(html, "<!-- wp:");
	enum jm_rc rc = imp_html_to_md(html, strlen(html), classic, imp_images_url, w->images, &md);
	in->body_md = arena_strndup(w->b->a, buf_cstr(&md), md.len);
	in->has_body = true;
	buf_free(&md);
	const char *ex = ctext(w->b->a, item, NS_EXCERPT, "encoded");
	if (*ex) {
		in->excerpt = imp_one_line(w->b->a, ex, 1000);
		in->has_excerpt = true;
	}
	return rc;
}

static void item_paths(struct wxr *w, xmlNode *item, struct site_import_item *it, bool page,
                       const char *id)
{
	struct arena *a = w->b->a;
	it->old_paths = arena_alloc(a, 3 * sizeof(char *));
	const char *link = imp_url_path(a, ctext(a, item, NS_NONE, "link"));
	if (link)
		it->old_paths[it->nold++] = link;
	if (*id)
		it->old_paths[it->nold++] =
		        arena_sprintf(a, "%s/?%s=%s", w->base_path, page ? "page_id" : "p", id);
}

/* Why an item is not imported (a report line's code; "other": counted by
 * its type), or NULL to import it. */
static const char *skip_reason(const char *type, const char *status)
{
	if (strcmp(type, "post") && strcmp(type, "page"))
		return "other";
	if (!strcmp(status, "trash"))
		return "trashed";
	if (!strcmp(status, "auto-draft"))
		return "auto_draft";
	if (!strcmp(status, "inherit"))
		return "revision";
	return NULL;
}

static void count_other(struct wxr *w, const char *type)
{
	for (int i = 0; i < 8; i++) {
		if (!w->other_names[i])
			w->other_names[i] = type;
		if (!strcmp(w->other_names[i], type)) {
			w->other_types[i]++;
			return;
		}
	}
}

static enum jm_rc one_item(struct wxr *w, xmlNode *item)
{
	struct arena *a = w->b->a;
	const char *type = ctext(a, item, NS_WP, "post_type"),
	           *status = ctext(a, item, NS_WP, "status");
	const char *title = imp_one_line(a, ctext(a, item, NS_NONE, "title"), ARTICLE_TITLE_MAX);
	const char *why = skip_reason(type, status);
	if (why && !strcmp(why, "other")) {
		count_other(w, type);
		return JM_OK;
	}
	if (why) {
		w->b->rep->skipped++;
		imp_report_add(w->b->rep, a, type, title, true, why, NULL);
		return JM_OK;
	}
	const char *id = ctext(a, item, NS_WP, "post_id");
	struct site_import_item *it = imp_batch_item(w->b, !strcmp(type, "page") ? "page" : "post",
	                                             *title ? title : "(無題)");
	const char *guid = ctext(a, item, NS_NONE, "guid");
	it->key = *guid ? guid : arena_sprintf(a, "post:%s", id);
	struct article_input *in = &it->in;
	in->title = *title ? title : "(無題)";
	in->slug = imp_slug(a, ctext(a, item, NS_WP, "post_name"));
	in->has_title = true;
	in->has_slug = in->slug != NULL;
	bool pub = !strcmp(status, "publish") || !strcmp(status, "future");
	in->status = pub ? "published" : "draft";
	in->has_status = true;
	in->published_at = item_time(w, item);
	in->has_published_at = in->published_at > 0;
	item_terms(w->b, item, in);
	item_paths(w, item, it, !strcmp(type, "page"), id);
	w->b->meta[w->b->nitems - 1].featured = featured_of(w, item);
	enum jm_rc rc = item_body(w, item, in);
	if (rc == JM_TOO_LARGE) { /* never stored cut short */
		w->b->nitems--;
		w->b->rep->skipped++;
		imp_report_add(w->b->rep, a, type, title, true, "too_long",
		               arena_sprintf(a, "%d", ARTICLE_BODY_MAX));
		rc = JM_OK;
	}
	return rc;
}

/* Featured images: found in the folder and stored like the content's. */
static void featured_images(struct wxr *w)
{
	for (size_t i = 0; i < w->b->nitems; i++) {
		const char *url = w->b->meta[i].featured;
		if (!url)
			continue;
		const char *stored = imp_images_url(w->images, url, true);
		imp_batch_featured(w->b, i, stored);
	}
}

static void report_others(struct wxr *w)
{
	for (int i = 0; i < 8 && w->other_names[i]; i++) {
		bool att = !strcmp(w->other_names[i], "attachment");
		imp_report_add(w->b->rep, w->b->a, w->other_names[i], "", true,
		               att ? "attachments" : "other_type",
		               arena_sprintf(w->b->a, "%lld", (long long)w->other_types[i]));
	}
}

enum jm_rc imp_wordpress(struct db *db, struct arena *a, const char *data, size_t len,
                         const struct imp_opts *o, struct imp_report *rep, struct jm_err *err)
{
	if (len > IMP_FILE_MAX) {
		jm_err_set(err, "file", "the file is larger than %zu MB", IMP_FILE_MAX >> 20);
		return JM_TOO_LARGE;
	}
	imp_init();
	xmlDoc *doc = parse(data, len, err);
	xmlNode *ch = doc ? wxr_channel(doc, err) : NULL;
	if (!ch) {
		xmlFreeDoc(doc);
		return JM_INVALID;
	}
	struct imp_batch b = {.a = a, .rep = rep};
	const char *base = imp_url_path(a, ctext(a, ch, NS_NONE, "link"));
	size_t bl = base ? strlen(base) : 0;
	while (bl && base[bl - 1] == '/')
		bl--;
	struct wxr w = {.b = &b,
	                .tz = o->tz,
	                .ch = ch,
	                .base_path = base ? arena_strndup(a, base, bl) : "",
	                .images = imp_images_new(a, db, o->uploads_dir, true, rep)};
	channel_categories(&b, ch);
	enum jm_rc rc = JM_OK;
	for (xmlNode *it = ch->children; it && !rc; it = it->next)
		if (it->type == XML_ELEMENT_NODE && !strcmp((const char *)it->name, "item"))
			rc = one_item(&w, it);
	featured_images(&w);
	report_others(&w);
	xmlFreeDoc(doc);
	if (!rc)
		rc = imp_batch_store(db, "wordpress", &b, err);
	return rc;
}
