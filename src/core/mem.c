/*
 * mem.c — OOM-aborting allocation, result names, error details, slices.
 * Small internal allocations abort loudly (like Redis zmalloc): running on
 * after a failed malloc only moves the crash somewhere harder to read.
 */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void oom(size_t n)
{
	fprintf(stderr, "jinmyaku: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

const char *jm_rc_name(enum jm_rc rc)
{
	static const char *const names[] = {
	        [JM_OK] = "ok",
	        [JM_NOMEM] = "no_memory",
	        [JM_TOO_LARGE] = "too_large",
	        [JM_INVALID] = "invalid",
	        [JM_NOT_FOUND] = "not_found",
	        [JM_CONFLICT] = "conflict",
	        [JM_UNAUTHORIZED] = "unauthorized",
	        [JM_FORBIDDEN] = "forbidden",
	        [JM_RATE_LIMITED] = "rate_limited",
	        [JM_IO] = "io_error",
	        [JM_DB] = "db_error",
	        [JM_SMTP_TEMP] = "smtp_temporary",
	        [JM_SMTP_PERM] = "smtp_permanent",
	        [JM_DONE] = "done",
	};
	if ((size_t)rc < sizeof(names) / sizeof(names[0]) && names[rc])
		return names[rc];
	return "unknown";
}

void jm_err_set(struct jm_err *err, const char *field, const char *fmt, ...)
{
	if (!err)
		return;
	snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

bool str_eq(struct str a, const char *lit)
{
	size_t n = strlen(lit);
	return a.len == n && (n == 0 || memcmp(a.p, lit, n) == 0);
}

bool str_eq_nocase(struct str a, const char *lit)
{
	size_t n = strlen(lit);
	return a.len == n && (n == 0 || strncasecmp(a.p, lit, n) == 0);
}
