/*
 * batch.c — what both importers share: the parsed export (a batch of
 * categories and items), the text rules for what an export holds (one-line
 * titles, slugs, old URLs), storing through site_import and the report.
 */
#include <libxml/parser.h>
#include <pthread.h>

#include "http/http.h"
#include "import/import_int.h"

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

void imp_init(void)
{
	pthread_once(&xml_once, xml_init);
}

struct site_import_item *imp_batch_item(struct imp_batch *b, const char *kind, const char *title)
{
	size_t cap = b->icap;
	b->items = arena_grow(b->a, b->items, b->nitems, &cap, sizeof(*b->items));
	b->meta = arena_grow(b->a, b->meta, b->nitems, &b->icap, sizeof(*b->meta));
	struct site_import_item *it = &b->items[b->nitems];
	memset(it, 0, sizeof(*it));
	b->meta[b->nitems].kind = kind;
	b->meta[b->nitems].title = title;
	b->meta[b->nitems].featured = NULL;
	b->nitems++;
	return it;
}

void imp_batch_featured(struct imp_batch *b, size_t i, const char *stored)
{
	if (!stored)
		return; /* not in the library: the article has none (the report says why) */
	b->meta[i].featured = stored;
	b->items[i].in.featured_image = stored;
	b->items[i].in.has_featured_image = true;
}

void imp_batch_category(struct imp_batch *b, const char *slug, const char *name,
                        const char *parent_slug)
{
	for (size_t i = 0; i < b->ncats; i++)
		if (!strcmp(b->cats[i].slug, slug)) {
			if (!b->cats[i].parent_slug && parent_slug)
				b->cats[i].parent_slug = parent_slug;
			return;
		}
	b->cats = arena_grow(b->a, b->cats, b->ncats, &b->ccap, sizeof(*b->cats));
	b->cats[b->ncats++] = (struct site_import_category){slug, name, parent_slug};
}

/* The outcomes of a report line: code (the admin's catalog key
 * "import.line.<code>") and the CLI's English, "%s" the line's arg. */
static const struct {
	const char *code, *en;
} outcomes[] = {
        {"imported", "imported as %s"},
        {"imported_unpublished", "imported as %s (unpublished)"},
        {"seen", "skipped: imported before"},
        {"invalid", "skipped: %s"},
        {"trashed", "skipped: trashed"},
        {"auto_draft", "skipped: an automatic draft"},
        {"revision", "skipped: a revision"},
        {"too_long", "skipped: its content is longer than %s bytes"},
        {"attachments", "%s attachments: images are taken from the folder where the content or "
                        "a featured image uses them"},
        {"other_type", "%s skipped: not a post or page"},
        {"image_missing", "not found in %s: left linked"},
        {"image_stored", "stored as %s"},
        {"image_refused", "found, not stored (%s): left linked"},
};

void imp_report_add(struct imp_report *rep, struct arena *a, const char *kind, const char *title,
                    bool skipped, const char *code, const char *arg)
{
	const char *en = code;
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		if (!strcmp(outcomes[i].code, code))
			en = outcomes[i].en;
	arg = arg ? arena_strdup(a, arg) : "";
	const char *pct = strstr(en, "%s");
	const char *outcome =
	        pct ? arena_sprintf(a, "%.*s%s%s", (int)(pct - en), en, arg, pct + 2) : en;
	rep->lines = arena_grow(a, rep->lines, rep->nlines, &rep->cap, sizeof(*rep->lines));
	rep->lines[rep->nlines++] = (struct imp_line){arena_strdup(a, kind),
	                                              arena_strdup(a, title ? title : ""),
	                                              outcome,
	                                              code,
	                                              arg,
	                                              skipped};
}

const char *imp_one_line(struct arena *a, const char *s, size_t max)
{
	if (!s || !utf8_valid(s, strlen(s)))
		return "";
	char *t = arena_strdup(a, s);
	for (char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	char *e = t + strlen(t);
	while (*t == ' ')
		t++;
	while (e > t && e[-1] == ' ')
		*--e = '\0';
	t[utf8_truncate(t, strlen(t), max)] = '\0';
	return t;
}

const char *imp_slug(struct arena *a, const char *raw)
{
	if (!raw || !*raw)
		return NULL;
	const char *d = http_url_decode(a, raw, strlen(raw), false);
	if (!d || !utf8_valid(d, strlen(d)))
		return NULL;
	if (jm_slug_valid(d, ARTICLE_SLUG_MAX - 4))
		return d;
	char *out = arena_alloc(a, ARTICLE_SLUG_MAX + 1);
	return jm_slug_make(d, strlen(d), out, ARTICLE_SLUG_MAX - 4) ? out : NULL;
}

const char *imp_url_path(struct arena *a, const char *url)
{
	if (!url || !*url)
		return NULL;
	const char *p = strstr(url, "://");
	if (p) {
		p = strchr(p + 3, '/');
		if (!p) {
			const char *q = strchr(url, '?');
			return q ? arena_sprintf(a, "/%s", q) : "/";
		}
	} else if (url[0] == '/' && url[1] != '/') {
		p = url;
	} else {
		return NULL;
	}
	size_t n = strcspn(p, "#");
	return arena_strndup(a, p, n);
}

/* The report lines of the stored items. */
static void report_items(struct imp_batch *b)
{
	for (size_t i = 0; i < b->nitems; i++) {
		struct site_import_item *it = &b->items[i];
		const struct imp_meta *m = &b->meta[i];
		bool live = it->in.status && !strcmp(it->in.status, "published");
		if (it->result == SITE_IMPORT_NEW) {
			b->rep->imported++;
			imp_report_add(b->rep, b->a, m->kind, m->title, false,
			               live ? "imported" : "imported_unpublished",
			               arena_sprintf(b->a, "/articles/%s", it->slug));
		} else if (it->result == SITE_IMPORT_SEEN) {
			b->rep->already++;
			imp_report_add(b->rep, b->a, m->kind, m->title, true, "seen", NULL);
		} else {
			b->rep->skipped++;
			imp_report_add(b->rep, b->a, m->kind, m->title, true, "invalid", it->why);
		}
	}
}

enum jm_rc imp_batch_store(struct db *db, const char *source, struct imp_batch *b,
                           struct jm_err *err)
{
	enum jm_rc rc = site_import(db, b->a, source, b->cats, b->ncats, b->items, b->nitems,
	                            &b->rep->categories, err);
	if (rc) {
		if (!err->msg[0])
			jm_err_set(err, NULL, "storing the import failed; nothing was imported");
		return rc;
	}
	report_items(b);
	return JM_OK;
}

static void write_field(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' ? ' ' : *s, out);
}

const char *imp_report_summary(struct arena *a, const struct imp_report *rep)
{
	return arena_sprintf(a,
	                     "imported %lld, already imported %lld, skipped %lld; new categories "
	                     "%lld; images found %lld, stored %lld, missing %lld",
	                     (long long)rep->imported, (long long)rep->already,
	                     (long long)rep->skipped, (long long)rep->categories,
	                     (long long)rep->images_found, (long long)rep->images_stored,
	                     (long long)rep->images_missing);
}

void imp_report_write(const struct imp_report *rep, FILE *out)
{
	for (size_t i = 0; i < rep->nlines; i++) {
		write_field(out, rep->lines[i].kind);
		fputc('\t', out);
		write_field(out, rep->lines[i].title);
		fputc('\t', out);
		write_field(out, rep->lines[i].outcome);
		fputc('\n', out);
	}
	struct arena *a = arena_new(1024);
	fprintf(out, "%s\n", imp_report_summary(a, rep));
	arena_free(a);
}
