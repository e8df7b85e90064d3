/*
 * fuzz_multipart.c — libFuzzer target for multipart/form-data bodies
 * (src/mail/multipart.c through form_parse_body in src/http/form.c) with
 * a fixed boundary, so every input is spent on the body: part headers,
 * Content-Disposition parameters (RFC 7578, RFC 2231 filename*), transfer
 * encodings, nesting, truncation.
 *
 * Invariants: every accepted field is NUL-terminated valid UTF-8 of the
 * length it claims; every file's data is NUL-terminated.
 */
#include <stdint.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(4096);
	struct form f;
	struct jm_err err = {0};
	const char *ct = "multipart/form-data; boundary=XyZ";
	if (form_parse_body(a, ct, (const char *)data, size, 64, &f, &err) == JM_OK) {
		for (size_t i = 0; i < f.n; i++)
			if (!utf8_valid(f.keys[i], strlen(f.keys[i])) ||
			    strlen(f.vals[i]) != f.lens[i] || !utf8_valid(f.vals[i], f.lens[i]))
				abort();
		for (size_t i = 0; i < f.nfiles; i++)
			if (f.files[i].data[f.files[i].len] != '\0')
				abort();
	}
	arena_free(a);
	return 0;
}
