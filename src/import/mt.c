/*
 * mt.c — はてなブログ's export: Movable Type's text format, read line by
 * line (it is no XML). An entry is header lines ("KEY: value": AUTHOR,
 * TITLE, BASENAME, STATUS, DATE "MM/DD/YYYY hh:mm:ss", CATEGORY (any
 * number), IMAGE, CONVERT BREAKS…), then sections each opened by a line
 * "-----" and a name line ("BODY:", "EXTENDED BODY:", "EXCERPT:",
 * "COMMENT:"…), and ends with a line "--------".
 *
 * Checks before anything is stored: valid UTF-8, the first line a known
 * header, every entry with a TITLE and ended by "--------" (a file cut
 * short is refused, naming the line). Times are read in the site's zone
 * (はてな writes the blog's local time). Categories are flat (はてな has
 * no parents); the old URL kept for a 301 is /entry/BASENAME. Images stay
 * linked to はてな's servers unless a folder of them is given.
 */
#include <strings.h>

#include "import/import_int.h"

#define MT_LINE_MAX (1u << 20)

struct mt_entry {
	const char *title, *basename, *status, *date, *image, *convert;
	const char **cats;
	size_t ncats, ccap;
	struct buf body, excerpt;
	int line;
};

struct mt {
	struct imp_batch *b;
	struct imp_images *images;
	const char *tz;
	struct mt_entry e;
	int lineno;
	enum { HEAD, SECTION_NAME, SECTION } state;
	struct buf *section; /* the section being read, or NULL (ignored) */
	int entries;
};

static const char *const KEYS[] = {
        "AUTHOR",         "TITLE",       "BASENAME", "STATUS",   "ALLOW COMMENTS",
        "CONVERT BREAKS", "ALLOW PINGS", "DATE",     "CATEGORY", "PRIMARY CATEGORY",
        "IMAGE",          "TAGS",        "NO ENTRY", NULL};

/* The value of "KEY: value" when the line is a known header, else NULL. */
static const char *header(const char *line, const char **key)
{
	for (const char *const *k = KEYS; *k; k++) {
		size_t l = strlen(*k);
		if (!strncmp(line, *k, l) && line[l] == ':') {
			*key = *k;
			return line + l + 1 + (line[l + 1] == ' ');
		}
	}
	return NULL;
}

/* "MM/DD/YYYY hh:mm:ss" (optionally " AM"/" PM") in zone. */
static int64_t mt_time(const char *s, const char *tz)
{
	int mo, d, y, h, mi, sec = 0, n = 0;
	char ampm[3] = "";
	if (sscanf(s, "%d/%d/%d %d:%d:%d%n", &mo, &d, &y, &h, &mi, &sec, &n) < 5)
		return 0;
	if (n && sscanf(s + n, " %2[APMapm]", ampm) == 1) {
		if ((ampm[0] | 0x20) == 'p' && h < 12)
			h += 12;
		else if ((ampm[0] | 0x20) == 'a' && h == 12)
			h = 0;
	}
	char iso[40];
	snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi, sec);
	int64_t t = 0;
	return jm_time_parse_zone(iso, tz ? tz : "Asia/Tokyo", &t) == JM_OK ? t : 0;
}

static void entry_reset(struct mt *m)
{
	buf_free(&m->e.body);
	buf_free(&m->e.excerpt);
	memset(&m->e, 0, sizeof(m->e));
	buf_init(&m->e.body, ARTICLE_BODY_MAX);
	buf_init(&m->e.excerpt, 64 * 1024);
	m->e.line = m->lineno + 1;
}

static void add_categories(struct mt *m, struct article_input *in)
{
	in->categories = arena_alloc(m->b->a, (m->e.ncats + 1) * sizeof(char *));
	for (size_t i = 0; i < m->e.ncats && in->ncategories < ARTICLE_CATEGORIES_MAX; i++) {
		const char *name = imp_one_line(m->b->a, m->e.cats[i], CATEGORY_NAME_MAX);
		const char *slug = *name ? imp_slug(m->b->a, name) : NULL;
		if (!slug)
			continue;
		imp_batch_category(m->b, slug, name, NULL);
		in->categories[in->ncategories++] = slug;
	}
	in->has_categories = true;
}

/* The entry read so far becomes an item of the batch. */
static enum jm_rc entry_end(struct mt *m, struct jm_err *err)
{
	struct arena *a = m->b->a;
	const char *title = imp_one_line(a, m->e.title, ARTICLE_TITLE_MAX);
	if (!m->e.title) {
		jm_err_set(err, "file", "line %d: an entry without TITLE", m->e.line);
		return JM_INVALID;
	}
	struct site_import_item *it = imp_batch_item(m->b, "post", *title ? title : "(無題)");
	struct article_input *in = &it->in;
	const char *base = m->e.basename ? imp_one_line(a, m->e.basename, 200) : "";
	it->key = *base ? base : arena_sprintf(a, "%s|%s", m->e.date ? m->e.date : "", title);
	in->title = *title ? title : "(無題)";
	in->has_title = in->has_status = in->has_body = in->has_tags = true;
	in->status = m->e.status && !strcasecmp(m->e.status, "Publish") ? "published" : "draft";
	in->published_at = m->e.date ? mt_time(m->e.date, m->tz) : 0;
	in->has_published_at = in->published_at > 0;
	add_categories(m, in);
	bool classic = m->e.convert && !strcmp(m->e.convert, "1");
	struct buf md;
	buf_init(&md, ARTICLE_BODY_MAX);
	enum jm_rc rc = imp_html_to_md(buf_cstr(&m->e.body), m->e.body.len, classic, imp_images_url,
	                               m->images, &md);
	in->body_md = arena_strndup(a, buf_cstr(&md), md.len);
	buf_free(&md);
	if (m->e.excerpt.len) {
		in->excerpt = imp_one_line(a, buf_cstr(&m->e.excerpt), 1000);
		in->has_excerpt = true;
	}
	if (*base) {
		it->old_paths = arena_alloc(a, sizeof(char *));
		it->old_paths[it->nold++] = arena_sprintf(a, "/entry/%s", base);
	}
	if (m->e.image)
		m->b->meta[m->b->nitems - 1].featured = imp_one_line(a, m->e.image, 2000);
	if (rc == JM_TOO_LARGE) {
		m->b->nitems--;
		m->b->rep->skipped++;
		imp_report_add(m->b->rep, a, "post", title, true, "too_long",
		               arena_sprintf(a, "%d", ARTICLE_BODY_MAX));
		rc = JM_OK;
	}
	m->entries++;
	entry_reset(m);
	return rc;
}

static void head_line(struct mt *m, const char *key, const char *v)
{
	struct arena *a = m->b->a;
	const char **slot = !strcmp(key, "TITLE")            ? &m->e.title
	                    : !strcmp(key, "BASENAME")       ? &m->e.basename
	                    : !strcmp(key, "STATUS")         ? &m->e.status
	                    : !strcmp(key, "DATE")           ? &m->e.date
	                    : !strcmp(key, "IMAGE")          ? &m->e.image
	                    : !strcmp(key, "CONVERT BREAKS") ? &m->e.convert
	                                                     : NULL;
	if (slot) {
		*slot = arena_strdup(a, v);
	} else if (!strcmp(key, "CATEGORY") && m->e.ncats < 64) {
		m->e.cats = arena_grow(a, m->e.cats, m->e.ncats, &m->e.ccap, sizeof(char *));
		m->e.cats[m->e.ncats++] = arena_strdup(a, v);
	}
}

static enum jm_rc one_line(struct mt *m, const char *line, struct jm_err *err)
{
	const char *key = NULL, *v;
	if (!strcmp(line, "--------"))
		return entry_end(m, err);
	if (!strcmp(line, "-----")) {
		m->state = SECTION_NAME;
		return JM_OK;
	}
	switch (m->state) {
	case SECTION_NAME:
		m->section = !strcmp(line, "BODY:") || !strcmp(line, "EXTENDED BODY:") ? &m->e.body
		             : !strcmp(line, "EXCERPT:") ? &m->e.excerpt
		                                         : NULL;
		m->state = SECTION;
		return JM_OK;
	case SECTION:
		if (!m->section)
			return JM_OK;
		if (buf_appends(m->section, line) || buf_appendc(m->section, '\n')) {
			jm_err_set(err, "file", "line %d: an entry longer than %d bytes", m->lineno,
			           ARTICLE_BODY_MAX);
			return JM_TOO_LARGE;
		}
		return JM_OK;
	case HEAD:
		if ((v = header(line, &key)) != NULL)
			head_line(m, key, v);
		else if (*line) {
			jm_err_set(err, "file",
			           "line %d: not a Movable Type / はてなブログ export (expected a "
			           "header such as TITLE:)",
			           m->lineno);
			return JM_INVALID;
		}
		return JM_OK;
	}
	return JM_OK;
}

/* Reads every line; a file must end its last entry with "--------". */
static enum jm_rc read_lines(struct mt *m, const char *data, size_t len, struct jm_err *err)
{
	enum jm_rc rc = JM_OK;
	bool open = false;
	struct buf line;
	buf_init(&line, MT_LINE_MAX);
	for (size_t i = 0; i < len && !rc;) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (data + i)) : len - i;
		size_t ll = l && data[i + l - 1] == '\r' ? l - 1 : l;
		m->lineno++;
		buf_reset(&line);
		rc = buf_append(&line, data + i, ll);
		if (rc)
			jm_err_set(err, "file", "line %d is longer than %u bytes", m->lineno,
			           MT_LINE_MAX);
		else
			rc = one_line(m, buf_cstr(&line), err);
		open = strcmp(buf_cstr(&line), "--------") != 0 && (open || line.len);
		if (!strcmp(buf_cstr(&line), "--------"))
			m->state = HEAD;
		i += l + 1;
	}
	buf_free(&line);
	if (!rc && open) {
		jm_err_set(err, "file", "truncated: the entry from line %d has no closing --------",
		           m->e.line);
		rc = JM_INVALID;
	}
	if (!rc && !m->entries) {
		jm_err_set(err, "file", "not a Movable Type / はてなブログ export: no entry");
		rc = JM_INVALID;
	}
	return rc;
}

enum jm_rc imp_hatena(struct db *db, struct arena *a, const char *data, size_t len,
                      const struct imp_opts *o, struct imp_report *rep, struct jm_err *err)
{
	if (len > IMP_FILE_MAX) {
		jm_err_set(err, "file", "the file is larger than %zu MB", IMP_FILE_MAX >> 20);
		return JM_TOO_LARGE;
	}
	if (!utf8_valid(data, len)) {
		jm_err_set(err, "file", "not UTF-8 text (a はてなブログ export is UTF-8)");
		return JM_INVALID;
	}
	imp_init();
	struct imp_batch b = {.a = a, .rep = rep};
	struct mt m = {
	        .b = &b, .tz = o->tz, .images = imp_images_new(a, db, o->uploads_dir, false, rep)};
	entry_reset(&m);
	enum jm_rc rc = read_lines(&m, data, len, err);
	buf_free(&m.e.body);
	buf_free(&m.e.excerpt);
	for (size_t i = 0; i < b.nitems && !rc; i++)
		if (b.meta[i].featured)
			imp_batch_featured(&b, i,
			                   imp_images_url(m.images, b.meta[i].featured, true));
	if (!rc)
		rc = imp_batch_store(db, "hatena", &b, err);
	return rc;
}
