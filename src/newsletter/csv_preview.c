/*
 * csv_preview.c — the first rows of a CSV file for the admin's import
 * mapping step (RFC 4180 as libcsv reads it), decoded like nl_import_csv:
 * UTF-8 (a BOM is skipped) or Shift_JIS/CP932 through iconv, chosen or
 * detected (a file that is not valid UTF-8 is taken as CP932).
 *
 * Only the first PREVIEW_BYTES of the file are decoded and parsed, so the
 * cost does not grow with the file.
 */
#include <csv.h>

#include "newsletter/newsletter.h"

#define PREVIEW_BYTES (256u << 10)
#define PREVIEW_COLS  256
#define PREVIEW_CELL  2000 /* bytes kept of one cell */

struct pv {
	struct arena *a;
	struct nl_csv_preview *out;
	size_t max_rows;
	const char *cells[PREVIEW_COLS];
	size_t n;
};

static void on_field(void *s, size_t len, void *data)
{
	struct pv *p = data;
	if (p->out->nrows >= p->max_rows || p->n >= PREVIEW_COLS)
		return;
	if (len > PREVIEW_CELL)
		len = utf8_truncate(s, len, PREVIEW_CELL);
	p->cells[p->n++] = arena_strndup(p->a, s, len);
}

static void on_row(int c, void *data)
{
	struct pv *p = data;
	(void)c;
	if (p->out->nrows < p->max_rows && p->n > 0) {
		const char **row = arena_calloc(p->a, (p->n + 1) * sizeof(char *));
		memcpy(row, p->cells, p->n * sizeof(char *));
		p->out->rows[p->out->nrows++] = row;
		if (p->n > p->out->ncols)
			p->out->ncols = p->n;
	}
	p->n = 0;
}

/* Converts at most PREVIEW_BYTES of CP932 into UTF-8 (out, in the arena). */
static enum jm_rc from_sjis(struct arena *a, const char *data, size_t len, const char **out,
                            size_t *outlen)
{
	return nl_cp932_to_utf8(a, data, len < PREVIEW_BYTES ? len : PREVIEW_BYTES, true, out,
	                        outlen);
}

/* Widens short rows to ncols with NULLs. */
static void pad_rows(struct arena *a, struct nl_csv_preview *out)
{
	for (size_t r = 0; r < out->nrows; r++) {
		const char **row = arena_calloc(a, (out->ncols + 1) * sizeof(char *));
		for (size_t c = 0; c < out->ncols && out->rows[r][c]; c++)
			row[c] = out->rows[r][c];
		out->rows[r] = row;
	}
}

enum jm_rc nl_csv_preview(struct arena *a, const char *data, size_t len, enum nl_encoding enc,
                          size_t max_rows, struct nl_csv_preview *out, struct jm_err *err)
{
	struct csv_parser cp;
	struct pv p = {.a = a, .out = out, .max_rows = max_rows};
	memset(out, 0, sizeof(*out));
	out->rows = arena_calloc(a, (max_rows + 1) * sizeof(*out->rows));
	bool utf8 = utf8_valid(data, len);
	if (enc == NL_ENC_UTF8 && !utf8) {
		jm_err_set(err, "file", "file is not valid UTF-8");
		out->fail = "not_utf8";
		return JM_INVALID;
	}
	out->detected =
	        enc == NL_ENC_SJIS || (enc == NL_ENC_AUTO && !utf8) ? NL_ENC_SJIS : NL_ENC_UTF8;
	const char *text = data;
	size_t n = len;
	bool whole = len <= PREVIEW_BYTES; /* else the last row may be cut */
	if (out->detected == NL_ENC_SJIS) {
		enum jm_rc rc = from_sjis(a, data, len, &text, &n);
		if (rc) {
			jm_err_set(err, "file", "file is not Shift_JIS");
			out->fail = "encoding";
			return rc;
		}
	} else {
		if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
			text += 3, n -= 3;
		n = utf8_truncate(text, n, PREVIEW_BYTES);
	}
	if (csv_init(&cp, CSV_STRICT) != 0)
		return JM_NOMEM;
	size_t done = csv_parse(&cp, text, n, on_field, on_row, &p);
	if (done != n) {
		jm_err_set(err, "file", "broken quote (%s)", csv_strerror(csv_error(&cp)));
		out->fail = "quote";
		csv_free(&cp);
		return JM_INVALID;
	}
	if (whole && csv_fini(&cp, on_field, on_row, &p) != 0) {
		jm_err_set(err, "file", "unterminated quoted field");
		out->fail = "quote";
		csv_free(&cp);
		return JM_INVALID;
	}
	csv_free(&cp);
	if (out->nrows == 0) {
		jm_err_set(err, "file", "the file is empty");
		out->fail = "empty";
		return JM_INVALID;
	}
	pad_rows(a, out);
	return JM_OK;
}

/* ---- the header rule (nl_csv_map) ---- */

/* The list field the header names by the field's own key or label. */
static const struct nl_field *field_named(const struct nl_list *l, const char *h)
{
	for (size_t i = 0; i < l->nfields; i++)
		if (jm_csvhead_same(h, l->fields[i].key) || jm_csvhead_same(h, l->fields[i].label))
			return &l->fields[i];
	return NULL;
}

/* The list field that stands for person field pf: mapped onto it, or
 * keyed or labelled with one of its synonyms (会社名 for company). */
static const struct nl_field *field_for(const struct nl_list *l, const char *pf)
{
	for (size_t i = 0; i < l->nfields; i++) {
		const struct nl_field *f = &l->fields[i];
		const char *k = jm_csvhead_field(f->key), *lb = jm_csvhead_field(f->label);
		if ((f->person && !strcmp(f->person, pf)) || (k && !strcmp(k, pf)) ||
		    (lb && !strcmp(lb, pf)))
			return f;
	}
	return NULL;
}

static bool person_col(const char *pf)
{
	return pf && (!strcmp(pf, "furigana") || !strcmp(pf, "company") || !strcmp(pf, "title"));
}

/* Maps column c with header h; *mapped tells whether it took anything. */
static void map_one(const struct nl_list *l, const char *h, int c, struct nl_import_opts *o,
                    bool *mapped)
{
	const char *pf = jm_csvhead_field(h);
	const struct nl_field *f = field_named(l, h);
	if (!f && pf && !strcmp(pf, "email") && o->col_email < 0)
		o->col_email = c;
	else if (!f && pf && !strcmp(pf, "name") && o->col_name < 0)
		o->col_name = c;
	else if (f || (pf && (f = field_for(l, pf)) != NULL))
		o->field_keys[c] = f->key;
	else if (person_col(pf))
		o->person_cols[c] = pf;
	else
		return;
	*mapped = true;
}

void nl_csv_map(struct arena *a, const struct nl_list *l, const char *const *cells, size_t ncols,
                struct nl_import_opts *o)
{
	bool mapped = false, at = false;
	o->col_email = o->col_name = -1;
	o->field_keys = arena_calloc(a, (ncols + 1) * sizeof(*o->field_keys));
	o->person_cols = arena_calloc(a, (ncols + 1) * sizeof(*o->person_cols));
	o->ncols_mapped = ncols;
	for (size_t c = 0; c < ncols; c++) {
		const char *h = cells[c] ? cells[c] : "";
		at |= strchr(h, '@') != NULL;
		map_one(l, h, (int)c, o, &mapped);
	}
	o->has_header = o->col_email >= 0 || (!at && mapped);
	if (o->has_header)
		return;
	/* No header: the first column is the email, the second the name. */
	memset(o->field_keys, 0, (ncols + 1) * sizeof(*o->field_keys));
	memset(o->person_cols, 0, (ncols + 1) * sizeof(*o->person_cols));
	o->col_email = 0;
	o->col_name = ncols > 1 ? 1 : -1;
}

const char *nl_import_consent_source(struct arena *a, const char *file, const char *who,
                                     int64_t now)
{
	char iso[32];
	jm_time_iso(now, iso);
	const char *base = file ? strrchr(file, '/') : NULL;
	base = base ? base + 1 : file && *file ? file : "-";
	/* One line, bounded: the source column is shown and exported. */
	char name[120], by[140];
	size_t n = utf8_truncate(base, strlen(base), sizeof(name) - 1);
	memcpy(name, base, n);
	name[n] = '\0';
	for (char *p = name; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '_';
	snprintf(by, sizeof(by), "%s", who && *who ? who : "cli");
	return arena_sprintf(a, "import file=%s by=%s at=%s", name, by, iso);
}
