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
		csv_free(&cp);
		return JM_INVALID;
	}
	if (whole && csv_fini(&cp, on_field, on_row, &p) != 0) {
		jm_err_set(err, "file", "unterminated quoted field");
		csv_free(&cp);
		return JM_INVALID;
	}
	csv_free(&cp);
	if (out->nrows == 0) {
		jm_err_set(err, "file", "the file is empty");
		return JM_INVALID;
	}
	pad_rows(a, out);
	return JM_OK;
}
