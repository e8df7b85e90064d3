/*
 * arena.c — bump allocator for one request or one job.
 * Blocks are chained; large allocations get a block of their own. Deferred
 * cleanups (sqlite3_reset, json_decref, ...) run in reverse order on free.
 */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct arena_defer {
	struct arena_defer *next;
	void (*fn)(void *);
	void *p;
};

struct arena {
	struct arena_block *head;
	struct arena_defer *defers;
	size_t block_size;
};

static struct arena_block *block_new(size_t size)
{
	struct arena_block *b = xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->used = 0;
	b->size = size;
	return b;
}

struct arena *arena_new(size_t block_size)
{
	struct arena *a = xcalloc(1, sizeof(*a));
	a->block_size = block_size ? block_size : 4096;
	return a;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	while (a->defers) {
		struct arena_defer *d = a->defers;
		a->defers = d->next;
		d->fn(d->p);
	}
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *n = b->next;
		free(b);
		b = n;
	}
	free(a);
}

void arena_reset(struct arena *a)
{
	while (a->defers) {
		struct arena_defer *d = a->defers;
		a->defers = d->next;
		d->fn(d->p);
	}
	struct arena_block *keep = NULL, *b = a->head;
	while (b) {
		struct arena_block *n = b->next;
		if (!keep && b->size == a->block_size) {
			keep = b;
			keep->used = 0;
			keep->next = NULL;
		} else {
			free(b);
		}
		b = n;
	}
	a->head = keep;
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	struct arena_block *b = a->head;
	if (!b || b->size - b->used < n) {
		if (n > a->block_size / 2) {
			/* Big allocation: own block, linked behind the head so
			 * the head keeps serving small requests. */
			struct arena_block *big = block_new(n);
			big->used = n;
			if (b) {
				big->next = b->next;
				b->next = big;
			} else {
				a->head = big;
			}
			return big->data;
		}
		b = block_new(a->block_size);
		b->next = a->head;
		a->head = b;
	}
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

void *arena_calloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return arena_strdup(a, "");
	}
	char *p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void arena_defer(struct arena *a, void (*fn)(void *), void *p)
{
	struct arena_defer *d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->p = p;
	d->next = a->defers;
	a->defers = d;
}

char *arena_join(struct arena *a, const char *const *v, size_t n, const char *sep)
{
	size_t sl = strlen(sep), total = 1;
	for (size_t i = 0; i < n; i++)
		total += strlen(v[i]) + (i ? sl : 0);
	char *out = arena_alloc(a, total), *p = out;
	for (size_t i = 0; i < n; i++) {
		if (i) {
			memcpy(p, sep, sl);
			p += sl;
		}
		size_t l = strlen(v[i]);
		memcpy(p, v[i], l);
		p += l;
	}
	*p = '\0';
	return out;
}

void *arena_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : 8;
	if (elem && ncap > SIZE_MAX / 2 / elem) {
		log_at(LOG_ERROR, "core", "arena_grow: %zu items of %zu bytes", ncap, elem);
		abort(); /* like an allocation failure: callers grow bounded lists */
	}
	void *nv = arena_alloc(a, ncap * elem);
	if (n)
		memcpy(nv, v, n * elem);
	*cap = ncap;
	return nv;
}
