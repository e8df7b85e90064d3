/*
 * cache.c — the in-memory cache of rendered public pages.
 *
 * A chained hash table behind one read-write lock. Every entry holds a
 * reference to an immutable http_blob and the content generation
 * (app->content_gen) it was rendered at; an entry whose generation is not
 * the current one is stale and is replaced by the next render of its key.
 *
 * Invariants: at most CACHE_MAX_ENTRIES entries and CACHE_MAX_BYTES of
 * bodies; when full, stale entries are purged and, if that is not enough,
 * new pages are simply not cached (never an unbounded growth from
 * ?page=random or invented paths). The hit path takes the read lock only.
 */
#include <pthread.h>

#include "web/web_int.h"

#define CACHE_BUCKETS     4096 /* power of two */
#define CACHE_MAX_ENTRIES 2000
#define CACHE_MAX_BYTES   ((size_t)64 << 20)

struct cache_ent {
	struct cache_ent *next;
	uint32_t hash;
	uint64_t gen;
	struct http_blob *blob;
	const char *stat; /* page-view path after the key, "" none, NULL untold */
	char key[];
};

/* A replaced own-host string, kept until web_cache_free because readers
 * may still hold it (the host changes only when base_url does). */
struct retired {
	struct retired *next;
	char *s;
};

struct web_cache {
	pthread_rwlock_t lock;
	_Atomic(char *) own_host; /* host of the base URL, for referrer counting */
	struct retired *retired;  /* guarded by lock */
	struct cache_ent *buckets[CACHE_BUCKETS];
	size_t n;
	size_t bytes;
	struct web_tick_state tick; /* only touched by web_tick's thread */
};

struct web_cache *web_cache_new(void)
{
	struct web_cache *c = xcalloc(1, sizeof(*c));
	pthread_rwlock_init(&c->lock, NULL);
	return c;
}

static void ent_free(struct cache_ent *e)
{
	http_blob_unref(e->blob);
	free(e);
}

void web_cache_free(struct web_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		struct cache_ent *e = c->buckets[i];
		while (e) {
			struct cache_ent *next = e->next;
			ent_free(e);
			e = next;
		}
	}
	while (c->retired) {
		struct retired *r = c->retired;
		c->retired = r->next;
		free(r->s);
		free(r);
	}
	free(atomic_load(&c->own_host));
	pthread_rwlock_destroy(&c->lock);
	free(c);
}

const char *web_cache_host(struct web_cache *c)
{
	const char *h = atomic_load_explicit(&c->own_host, memory_order_acquire);
	return h ? h : "";
}

void web_cache_set_host(struct web_cache *c, const char *base)
{
	const char *p = strstr(base, "://");
	p = p ? p + 3 : base;
	size_t n = strcspn(p, "/?#");
	const char *cur = web_cache_host(c);
	if (strlen(cur) == n && strncmp(cur, p, n) == 0)
		return;
	char *fresh = xstrndup(p, n);
	struct retired *r = xmalloc(sizeof(*r));
	pthread_rwlock_wrlock(&c->lock);
	r->s = atomic_exchange_explicit(&c->own_host, fresh, memory_order_acq_rel);
	r->next = c->retired;
	c->retired = r;
	pthread_rwlock_unlock(&c->lock);
}

struct web_tick_state *web_cache_tick_state(struct web_cache *c)
{
	return &c->tick;
}

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

static struct cache_ent **find_slot(struct web_cache *c, const char *key, uint32_t h)
{
	struct cache_ent **pp = &c->buckets[h & (CACHE_BUCKETS - 1)];
	while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->next;
	return pp;
}

struct http_blob *web_cache_get(struct app *app, const char *key, char stat[WEB_STAT_MAX])
{
	struct web_cache *c = app->cache;
	uint64_t gen = atomic_load_explicit(&app->content_gen, memory_order_acquire);
	uint32_t h = key_hash(key);
	struct http_blob *b = NULL;
	pthread_rwlock_rdlock(&c->lock);
	struct cache_ent *e = *find_slot(c, key, h);
	if (e && e->gen == gen && (!stat || e->stat)) {
		b = e->blob;
		http_blob_ref(b);
		if (stat)
			memcpy(stat, e->stat, strlen(e->stat) + 1);
	}
	pthread_rwlock_unlock(&c->lock);
	return b;
}

/* Drops every entry not rendered at gen; the caller holds the write lock. */
static void purge_stale(struct web_cache *c, uint64_t gen)
{
	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		struct cache_ent **pp = &c->buckets[i];
		while (*pp) {
			struct cache_ent *e = *pp;
			if (e->gen == gen) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			c->n--;
			c->bytes -= e->blob->len;
			ent_free(e);
		}
	}
}

static bool has_room(const struct web_cache *c, size_t len)
{
	return c->n < CACHE_MAX_ENTRIES && c->bytes + len <= CACHE_MAX_BYTES;
}

void web_cache_put(struct web_cache *c, const char *key, const char *stat, struct http_blob *b,
                   uint64_t gen)
{
	size_t klen = strlen(key), slen = stat ? strlen(stat) : 0;
	bool stat_ok = slen < WEB_STAT_MAX; /* else only the handlers find it */
	if (klen >= WEB_KEY_MAX || b->len > CACHE_MAX_BYTES / 16)
		return;
	uint32_t h = key_hash(key);
	pthread_rwlock_wrlock(&c->lock);
	struct cache_ent **pp = find_slot(c, key, h);
	if (*pp) { /* replace a stale (or concurrently rendered) entry */
		struct cache_ent *old = *pp;
		*pp = old->next;
		c->n--;
		c->bytes -= old->blob->len;
		ent_free(old);
	}
	if (!has_room(c, b->len))
		purge_stale(c, gen);
	if (has_room(c, b->len)) {
		struct cache_ent *e = xmalloc(sizeof(*e) + klen + 1 + slen + 1);
		memcpy(e->key, key, klen + 1);
		memcpy(e->key + klen + 1, stat ? stat : "", slen + 1);
		e->stat = stat_ok ? e->key + klen + 1 : NULL;
		e->hash = h;
		e->gen = gen;
		e->blob = b;
		http_blob_ref(b);
		pp = &c->buckets[h & (CACHE_BUCKETS - 1)];
		e->next = *pp;
		*pp = e;
		c->n++;
		c->bytes += b->len;
	}
	pthread_rwlock_unlock(&c->lock);
}
