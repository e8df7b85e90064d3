/*
 * fuzz_fold.c — libFuzzer target for search-query folding (jm_fold and
 * jm_fold_map in src/core/fold.c: NFKC_Casefold through ICU, 全角/半角).
 *
 * Invariants: folding gives valid UTF-8; the map holds, per folded byte,
 * a [start, end) range inside the input; the folded text folds again
 * without error. (Not idempotence: a malformed byte or CHUNK_MAX marks end
 * a normalisation chunk, by design.) Malformed bytes are dropped, never
 * read past the end.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct buf out, again, mapped;
	uint32_t *map = NULL;
	buf_init(&out, 1 << 16);
	buf_init(&again, 1 << 16);
	buf_init(&mapped, 1 << 16);
	if (jm_fold(s, size, &out) == JM_OK) {
		if (!utf8_valid(out.ptr ? out.ptr : "", out.len))
			abort();
		if (jm_fold(out.ptr ? out.ptr : "", out.len, &again) != JM_OK ||
		    !utf8_valid(again.ptr ? again.ptr : "", again.len))
			abort();
	}
	if (jm_fold_map(s, size, &mapped, &map) == JM_OK) {
		for (size_t i = 0; map && i < mapped.len; i++)
			if (map[2 * i] > map[2 * i + 1] || map[2 * i + 1] > size)
				abort();
	}
	free(map);
	buf_free(&out);
	buf_free(&again);
	buf_free(&mapped);
	return 0;
}
