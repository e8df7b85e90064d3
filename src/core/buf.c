/*
 * buf.c — growable, always NUL-terminated byte buffer with a hard cap.
 * The cap is what keeps user-driven sizes (bodies, rendered pages, CSV rows)
 * bounded: an append past it fails with JM_TOO_LARGE and changes nothing.
 */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_NOCAP (SIZE_MAX / 2)

void buf_init(struct buf *b, size_t cap)
{
	b->ptr = NULL;
	b->len = 0;
	b->size = 0;
	b->cap = cap;
}

static enum jm_rc buf_reserve(struct buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : BUF_NOCAP;
	if (extra > cap || b->len > cap - extra)
		return JM_TOO_LARGE;
	size_t need = b->len + extra + 1;
	if (need <= b->size)
		return JM_OK;
	size_t n = b->size ? b->size : 64;
	while (n < need)
		n *= 2;
	char *p = realloc(b->ptr, n);
	if (!p)
		return JM_NOMEM;
	b->ptr = p;
	b->size = n;
	return JM_OK;
}

enum jm_rc buf_append(struct buf *b, const void *p, size_t len)
{
	enum jm_rc rc = buf_reserve(b, len);
	if (rc)
		return rc;
	if (len)
		memcpy(b->ptr + b->len, p, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return JM_OK;
}

enum jm_rc buf_appends(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum jm_rc buf_appendc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum jm_rc buf_vappendf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return JM_INVALID;
	enum jm_rc rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return JM_OK;
}

enum jm_rc buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum jm_rc rc = buf_vappendf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *buf_cstr(struct buf *b)
{
	return b->ptr ? b->ptr : "";
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->size = 0;
}

char *buf_take(struct buf *b, size_t *len)
{
	char *p = b->ptr ? b->ptr : xstrdup("");
	if (len)
		*len = b->len;
	b->ptr = NULL;
	b->len = b->size = 0;
	return p;
}

enum jm_rc jm_read_file(const char *path, struct buf *b, struct jm_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		jm_err_set(err, NULL, "%s: %s", path, strerror(errno));
		return JM_IO;
	}
	char chunk[8192];
	size_t n;
	enum jm_rc rc = JM_OK;
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(b, chunk, n);
	if (!rc && ferror(f))
		rc = JM_IO;
	fclose(f);
	if (rc == JM_IO)
		jm_err_set(err, NULL, "%s: read error", path);
	else if (rc == JM_TOO_LARGE)
		jm_err_set(err, NULL, "%s: file too large", path);
	return rc;
}
