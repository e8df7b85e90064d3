/*
 * io.c — people import and export as CSV (RFC 4180 as libcsv reads and
 * writes it). Columns: email, name, furigana, company, title, stage, tags
 * ("a;b" or "a,b"), can_offer, looking_for, notes, source, links
 * ("kind=url;kind=url"), last_contact (ISO 8601 or YYYY-MM-DD).
 *
 * Import: UTF-8 (a BOM is skipped) or, when the bytes are not UTF-8,
 * Shift_JIS/CP932 as Excel saves it (converted by nl_cp932_to_utf8). The
 * first row must be a header naming some of the columns above in any
 * order (unknown columns are ignored; email or name must be there), read
 * by the one header rule of jm_csvhead_field — the subscriber import's
 * too — so メールアドレス, 氏名, お名前, 会社名, フリガナ, 役職, タグ … name them
 * as well, in full- or half-width. Rows
 * go through the shared two-pass driver of io_rec.c: one bad row and
 * nothing of the file is imported.
 *
 * Export writes the same columns in UTF-8 (optional BOM), so an export
 * imports back unchanged. Spreadsheet formula injection: a cell that
 * would start with = + - @ TAB or CR (after any apostrophes) gets one more
 * leading apostrophe, and the import strips exactly that one apostrophe
 * again (nl_csv_needs_guard, shared with the subscriber export).
 */
#include <csv.h>

#include "network/io_int.h"

#include "newsletter/newsletter.h"

#define CSV_COLS_MAX  64
#define CSV_FIELD_MAX (NET_IO_MAX_BYTES / 4) /* one cell; notes are ≤ 100 kB */
#define OUT_CHUNK     65536

enum col {
	C_EMAIL,
	C_NAME,
	C_FURIGANA,
	C_COMPANY,
	C_TITLE,
	C_STAGE,
	C_TAGS,
	C_CAN_OFFER,
	C_LOOKING_FOR,
	C_NOTES,
	C_SOURCE,
	C_LINKS,
	C_LAST_CONTACT,
	C_N
};
static const char *const col_names[C_N] = {"email",  "name",  "furigana",    "company",     "title",
                                           "stage",  "tags",  "can_offer",   "looking_for", "notes",
                                           "source", "links", "last_contact"};

/* The import side of the formula guard: drops the apostrophe the export
 * added (nl_csv_guard_len). */
static char *unguard(char *s)
{
	return s + nl_csv_guard_len(s, strlen(s));
}

/* ---- import: parsing ---- */

struct cimp {
	net_io_each_fn each;
	void *user;
	struct net_import_report *rep;
	struct jm_err *err;
	struct csv_parser p;
	int64_t line, row_line;
	bool row_done, header_seen, too_long, has_nul;
	struct buf row; /* the current row's cells, each NUL-ended */
	size_t off[CSV_COLS_MAX];
	size_t nf, ncols;
	int col[C_N]; /* header position of each known column, -1 = absent */
	enum jm_rc rc;
};

static void on_field(void *s, size_t len, void *data)
{
	struct cimp *c = data;
	if (c->rc)
		return;
	if (c->nf == CSV_COLS_MAX) {
		c->nf++; /* counted, so the row is reported as too wide */
		return;
	}
	if (c->nf > CSV_COLS_MAX)
		return;
	if (len > CSV_FIELD_MAX) {
		c->too_long = true;
		len = 0;
	}
	if (memchr(s, '\0', len))
		c->has_nul = true;
	c->off[c->nf++] = c->row.len;
	c->rc = buf_append(&c->row, s, len);
	if (!c->rc)
		c->rc = buf_appendc(&c->row, '\0');
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static char *cell(struct cimp *c, enum col k)
{
	int i = c->col[k];
	if (i < 0 || (size_t)i >= c->nf)
		return (char *)"";
	return unguard(trim(c->row.ptr + c->off[i]));
}

static void fail_code(struct cimp *c, const char *code, const char *field, int64_t line)
{
	struct jm_row_err *w = &c->rep->fail;
	snprintf(w->code, sizeof(w->code), "%s", code);
	snprintf(w->field, sizeof(w->field), "%s", field ? field : "");
	w->line = line;
}

static enum jm_rc read_header(struct cimp *c)
{
	c->header_seen = true;
	c->ncols = c->nf;
	for (size_t i = 0; i < c->nf && i < CSV_COLS_MAX; i++) {
		const char *h = trim(c->row.ptr + c->off[i]);
		const char *f = jm_csvhead_field(h); /* the shared header rule */
		for (int k = 0; k < C_N; k++) {
			if (!f || strcmp(f, col_names[k]) != 0)
				continue;
			if (c->col[k] >= 0) {
				jm_err_set(c->err, "file", "line %lld: the column %s appears twice",
				           (long long)c->row_line, col_names[k]);
				fail_code(c, "twice", h, c->row_line);
				return JM_INVALID;
			}
			c->col[k] = (int)i;
		}
	}
	if (c->col[C_EMAIL] < 0 && c->col[C_NAME] < 0) {
		jm_err_set(c->err, "file",
		           "line %lld: no header row (the first row must name the columns, "
		           "e.g. email,name,furigana,company,tags)",
		           (long long)c->row_line);
		fail_code(c, "no_header", NULL, c->row_line);
		return JM_INVALID;
	}
	return JM_OK;
}

static void split_tags(struct net_io_rec *r, char *s)
{
	for (char *t = s; t;) {
		char *end = strpbrk(t, ";,");
		if (end)
			*end = '\0';
		t = trim(t);
		if (*t && !net_io_add_tag(r, t))
			return;
		t = end ? end + 1 : NULL;
	}
}

/* "kind=url;kind=url"; a bare http(s) URL is a "site" link. */
static void split_links(struct net_io_rec *r, char *s)
{
	for (char *l = s; l;) {
		char *end = strchr(l, ';'), *eq;
		if (end)
			*end = '\0';
		l = trim(l);
		if (!strncmp(l, "http://", 7) || !strncmp(l, "https://", 8)) {
			if (!net_io_add_link(r, "site", l))
				return;
		} else if (*l && (eq = strchr(l, '='))) {
			*eq = '\0';
			if (!net_io_add_link(r, trim(l), trim(eq + 1)))
				return;
		} else if (*l) {
			r->bad = "invalid links (kind=url;kind=url)";
			return;
		}
		l = end ? end + 1 : NULL;
	}
}

static enum jm_rc data_row(struct cimp *c)
{
	struct net_io_rec r;
	net_io_rec_clear(&r);
	r.line = c->row_line;
	if (c->nf != c->ncols) {
		char why[80];
		snprintf(why, sizeof(why), "expected %zu columns, found %zu", c->ncols, c->nf);
		r.bad = why;
		return c->each(&r, c->user);
	}
	if (c->too_long || c->has_nul)
		r.bad = c->too_long ? "a cell is too long" : "a cell holds a NUL byte";
	r.email = cell(c, C_EMAIL);
	r.name = cell(c, C_NAME);
	r.furigana = cell(c, C_FURIGANA);
	r.company = cell(c, C_COMPANY);
	r.title = cell(c, C_TITLE);
	r.stage = cell(c, C_STAGE);
	r.can_offer = cell(c, C_CAN_OFFER);
	r.looking_for = cell(c, C_LOOKING_FOR);
	r.notes = cell(c, C_NOTES);
	r.source = cell(c, C_SOURCE);
	r.last_contact_text = cell(c, C_LAST_CONTACT);
	split_tags(&r, cell(c, C_TAGS));
	split_links(&r, cell(c, C_LINKS));
	return c->each(&r, c->user);
}

static void on_row(int ch, void *data)
{
	struct cimp *c = data;
	(void)ch;
	if (!c->rc)
		c->rc = c->header_seen ? data_row(c) : read_header(c);
	c->nf = 0;
	c->too_long = c->has_nul = false;
	c->row.len = 0;
	c->row_done = true;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* Feeds the parser line by line so every row knows the line it starts on. */
static enum jm_rc feed(struct cimp *c, const char *p, size_t n)
{
	while (n && !c->rc) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) + 1 : n;
		if (c->row_done && !blank(p, k)) {
			c->row_line = c->line;
			c->row_done = false;
		}
		if (csv_parse(&c->p, p, k, on_field, on_row, c) != k) {
			if (!c->rc) {
				jm_err_set(c->err, "file", "line %lld: broken quote (%s)",
				           (long long)c->line, csv_strerror(csv_error(&c->p)));
				fail_code(c, "quote", NULL, c->line);
			}
			return c->rc ? c->rc : JM_INVALID;
		}
		c->line += nl != NULL;
		p += k;
		n -= k;
	}
	return c->rc;
}

/* The parser of net_io_import: data is UTF-8 already (see decode). */
static enum jm_rc parse_csv(const char *data, size_t len, net_io_each_fn each, void *user,
                            struct net_import_report *rep, struct jm_err *err)
{
	struct cimp c = {.each = each, .user = user, .rep = rep, .err = err, .line = 1};
	c.row_done = true;
	for (int k = 0; k < C_N; k++)
		c.col[k] = -1;
	buf_init(&c.row, 0);
	if (csv_init(&c.p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return JM_NOMEM;
	enum jm_rc rc = feed(&c, data, len);
	if (!rc && csv_fini(&c.p, on_field, on_row, &c) != 0) {
		jm_err_set(err, "file", "line %lld: unterminated quoted field",
		           (long long)c.row_line);
		fail_code(&c, "quote", NULL, c.row_line);
		rc = JM_INVALID;
	}
	rc = rc ? rc : c.rc;
	if (!rc && !c.header_seen) {
		jm_err_set(err, "file", "the file is empty");
		fail_code(&c, "empty", NULL, 0);
		rc = JM_INVALID;
	}
	csv_free(&c.p);
	buf_free(&c.row);
	return rc;
}

/* UTF-8 without its BOM, or CP932 converted (in a). */
static enum jm_rc decode(struct arena *a, const char *data, size_t len, const char **out,
                         size_t *outlen, struct jm_err *err, struct jm_row_err *fail)
{
	if (utf8_valid(data, len)) {
		size_t bom = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
		*out = data + bom;
		*outlen = len - bom;
		return JM_OK;
	}
	enum jm_rc rc = nl_cp932_to_utf8(a, data, len, false, out, outlen);
	if (rc == JM_INVALID)
		jm_err_set(err, "file", "the file is neither UTF-8 nor Shift_JIS");
	else if (rc)
		jm_err_set(err, "file", "Shift_JIS conversion is not available");
	if (rc)
		snprintf(fail->code, sizeof(fail->code), "%s",
		         rc == JM_INVALID ? "encoding" : "no_sjis");
	return rc;
}

enum jm_rc net_people_import_csv(struct db *db, const char *data, size_t len, int64_t now,
                                 struct net_import_report *rep, struct jm_err *err)
{
	struct jm_err dummy = {0};
	err = err ? err : &dummy;
	memset(rep, 0, sizeof(*rep));
	if (len > NET_IO_MAX_BYTES) {
		jm_err_set(err, "file", "the file is too large (at most 64 MiB)");
		snprintf(rep->fail.code, sizeof(rep->fail.code), "too_large");
		return JM_TOO_LARGE;
	}
	struct arena *a = arena_new(4096);
	const char *text = NULL;
	size_t n = 0;
	enum jm_rc rc = decode(a, data ? data : "", data ? len : 0, &text, &n, err, &rep->fail);
	if (!rc)
		rc = net_io_import(db, text, n, parse_csv, now, rep, err);
	arena_free(a);
	return rc;
}

/* ---- export ---- */

struct cexp {
	struct net_io_out o;
	struct buf guarded, lists; /* scratch: a guarded cell, joined tags/links */
	char *scratch;
	size_t scratch_size;
};

/* One cell, guarded, quoted by libcsv, then "," or CRLF. */
static enum jm_rc out_cell(struct cexp *w, const char *s, size_t n, bool last)
{
	enum jm_rc rc = JM_OK;
	if (nl_csv_needs_guard(s, n)) {
		buf_reset(&w->guarded);
		rc = buf_appendc(&w->guarded, '\'');
		rc = rc ? rc : buf_append(&w->guarded, s, n);
		s = buf_cstr(&w->guarded);
		n = w->guarded.len;
	}
	size_t need = 2 * n + 2;
	if (!rc && need > w->scratch_size) {
		w->scratch = xrealloc(w->scratch, need);
		w->scratch_size = need;
	}
	if (!rc)
		rc = buf_append(&w->o.b, w->scratch, csv_write(w->scratch, w->scratch_size, s, n));
	return rc ? rc : buf_appends(&w->o.b, last ? "\r\n" : ",");
}

static enum jm_rc out_str(struct cexp *w, const char *s)
{
	return out_cell(w, s, strlen(s), false);
}

static enum jm_rc out_lists(struct cexp *w, const struct net_io_rec *r)
{
	struct buf *t = &w->lists;
	enum jm_rc rc = JM_OK;
	buf_reset(t);
	for (size_t i = 0; i < r->ntags && !rc; i++)
		rc = buf_appendf(t, "%s%s", i ? ";" : "", r->tags[i]);
	rc = rc ? rc : out_cell(w, buf_cstr(t), t->len, false);
	rc = rc ? rc : out_str(w, r->can_offer);
	rc = rc ? rc : out_str(w, r->looking_for);
	rc = rc ? rc : out_str(w, r->notes);
	rc = rc ? rc : out_str(w, r->source);
	buf_reset(t);
	for (size_t i = 0; i < r->nlinks && !rc; i++)
		rc = buf_appendf(t, "%s%s=%s", i ? ";" : "", r->links[i].kind, r->links[i].url);
	return rc ? rc : out_cell(w, buf_cstr(t), t->len, false);
}

static enum jm_rc out_row(struct net_io_rec *r, void *user)
{
	struct cexp *w = user;
	const char *v[] = {r->email, r->name, r->furigana, r->company, r->title, r->stage};
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && !rc; i++)
		rc = out_str(w, v[i]);
	if (!rc)
		rc = out_lists(w, r);
	char iso[32] = "";
	if (r->last_contact > 0)
		jm_time_iso(r->last_contact, iso);
	rc = rc ? rc : out_cell(w, iso, strlen(iso), true);
	return rc ? rc : net_io_flush(&w->o, OUT_CHUNK);
}

enum jm_rc net_people_export_csv(struct db *db, const struct net_people_query *q, bool bom,
                                 enum jm_rc (*write)(const char *p, size_t len, void *user),
                                 void *user)
{
	struct cexp w = {.o = {.write = write, .user = user}};
	buf_init(&w.o.b, 0);
	buf_init(&w.guarded, 0);
	buf_init(&w.lists, 0);
	enum jm_rc rc = bom ? buf_appends(&w.o.b, "\xEF\xBB\xBF") : JM_OK;
	for (int k = 0; k < C_N && !rc; k++)
		rc = out_cell(&w, col_names[k], strlen(col_names[k]), k == C_N - 1);
	if (!rc)
		rc = net_io_export_each(db, q, out_row, &w);
	if (!rc)
		rc = net_io_flush(&w.o, 0);
	buf_free(&w.o.b);
	buf_free(&w.guarded);
	buf_free(&w.lists);
	free(w.scratch);
	return rc;
}

/* ---- either format ---- */

static bool looks_like_vcard(const char *p, size_t n)
{
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3, n -= 3;
	while (n && (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t'))
		p++, n--;
	return n >= 11 && strncasecmp(p, "BEGIN:VCARD", 11) == 0;
}

enum jm_rc net_people_import(struct db *db, const char *data, size_t len, int64_t now, bool *vcard,
                             struct net_import_report *rep, struct jm_err *err)
{
	bool v = data && looks_like_vcard(data, len);
	if (vcard)
		*vcard = v;
	return v ? net_people_import_vcard(db, data, len, now, rep, err)
	         : net_people_import_csv(db, data, len, now, rep, err);
}
