/*
 * fuzz_time.c — libFuzzer target for the time parser (jm_time_parse in
 * src/core/time.c) behind the one zone rule (site_time_parse in
 * src/site/when.c): ISO 8601 with or without a zone, "YYYY-MM-DD HH:MM".
 *
 * The first byte picks the site's offset (-720..+840 minutes); the rest is
 * the text. Invariants: no crash or UB on any input; an accepted time
 * formats back (jm_time_iso) to a string that parses to the same instant.
 */
#include <stdint.h>

#include "site/site.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 256)
		return 0;
	char s[257];
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	struct site_settings st = {.tz_offset_min = ((int)data[0] * 6) - 720};
	int64_t t = 0, back = 0;
	if (site_time_parse(&st, s, &t) != JM_OK)
		return 0;
	if (t < 0 || t > (int64_t)253402300799) /* 9999-12-31T23:59:59Z */
		return 0;
	char iso[32];
	jm_time_iso(t, iso);
	if (jm_time_parse(iso, 0, &back) != JM_OK || back != t)
		abort();
	return 0;
}
