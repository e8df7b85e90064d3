/*
 * fuzz_form.c — libFuzzer target for the form decoders of src/http/form.c
 * and the GMime-backed multipart/form-data parser of src/mail/multipart.c.
 *
 * The whole input is decoded as application/x-www-form-urlencoded and by
 * http_url_decode. It is then split at the first '\n': the first line is a
 * multipart boundary, the rest a multipart/form-data body. Every accepted
 * field must come back NUL-terminated, valid UTF-8 and without NUL bytes;
 * anything else aborts so the fuzzer reports it.
 */
#include <stdint.h>

#include "http/http.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_form(const struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (!utf8_valid(f->keys[i], strlen(f->keys[i])) ||
		    strlen(f->vals[i]) != f->lens[i] || !utf8_valid(f->vals[i], f->lens[i]))
			abort();
	}
	for (size_t i = 0; i < f->nfiles; i++)
		if (f->files[i].data[f->files[i].len] != '\0')
			abort();
}

static void fuzz_multipart(struct arena *a, const char *s, size_t size)
{
	const char *nl = memchr(s, '\n', size);
	size_t blen = nl ? (size_t)(nl - s) : size;
	const char *body = nl ? nl + 1 : "";
	size_t len = nl ? size - blen - 1 : 0;
	char *ct = arena_sprintf(a, "multipart/form-data; boundary=\"%.*s\"", (int)blen, s);
	struct form f;
	if (form_parse_body(a, ct, body, len, 64, &f, NULL) == JM_OK)
		check_form(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct arena *a = arena_new(4096);
	struct form f;
	struct jm_err err;
	if (form_parse_urlencoded(a, s, size, 1000, &f, &err) == JM_OK)
		check_form(&f);
	const char *d = http_url_decode(a, s, size, true);
	if (d && !utf8_valid(d, strlen(d)))
		abort();
	fuzz_multipart(a, s, size);
	arena_free(a);
	return 0;
}
