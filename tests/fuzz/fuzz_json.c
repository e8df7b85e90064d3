/*
 * fuzz_json.c — libFuzzer target for JSON request bodies: the API's one
 * body parser (api_json_parse in src/api/input.c: jansson with duplicate
 * keys refused, an object required, nesting capped) and then the typed
 * readers every handler uses on what it accepted.
 *
 * Invariants checked: an accepted body is an object; every error carries
 * a message; a refused body returns NULL (nothing leaks, see ASan).
 */
#include <jansson.h>
#include <stdint.h>

#include "api/api_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jm_err err = {0};
	json_t *o = api_json_parse((const char *)data, size, &err);
	if (!o) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (!json_is_object(o))
		abort();
	/* What a handler reads: strings must come back as valid UTF-8. */
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (!utf8_valid(k, strlen(k)))
			abort();
		if (json_is_string(v) && !utf8_valid(json_string_value(v), json_string_length(v)))
			abort();
	}
	json_decref(o);
	return 0;
}
