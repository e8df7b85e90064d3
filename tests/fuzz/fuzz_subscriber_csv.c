/*
 * fuzz_subscriber_csv.c — libFuzzer target for the subscriber CSV reader:
 * nl_csv_preview (src/newsletter/csv_preview.c, the rows the admin maps
 * columns on, decoded as the import decodes: BOM, UTF-8 or CP932 via
 * encoding.c, libcsv strict quoting) and the spreadsheet-formula guard
 * (nl_csv_needs_guard / nl_csv_guard_len in csv.c) on every cell.
 *
 * The first byte picks the encoding (auto, UTF-8, Shift_JIS). Invariants: every
 * cell is NUL-terminated valid UTF-8; a short row has NULL past its end;
 * the guard never drops more than one byte.
 */
#include <stdint.h>

#include "newsletter/newsletter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_cells(const struct nl_csv_preview *p)
{
	for (size_t r = 0; r < p->nrows; r++) {
		bool ended = false;
		for (size_t c = 0; c < p->ncols; c++) {
			const char *s = p->rows[r][c];
			if (!s) {
				ended = true;
				continue;
			}
			size_t n = strlen(s);
			if (ended || !utf8_valid(s, n) || nl_csv_guard_len(s, n) > 1)
				abort();
			(void)nl_csv_needs_guard(s, n);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	static const enum nl_encoding encs[] = {NL_ENC_AUTO, NL_ENC_UTF8, NL_ENC_SJIS};
	enum nl_encoding enc = encs[data[0] % 3];
	struct arena *a = arena_new(4096);
	struct nl_csv_preview p;
	struct jm_err err = {0};
	if (nl_csv_preview(a, (const char *)data + 1, size - 1, enc, 20, &p, &err) == JM_OK)
		check_cells(&p);
	arena_free(a);
	return 0;
}
