/*
 * cache.c — the in-memory caches of rendered public pages.
 *
 * Two tables of the same kind: the pages (articles, home, tags…) and the
 * site search's result pages (web/search.c). Each is a chained hash table
 * behind one read-write lock. Every entry holds a reference to an
 * immutable http_blob and the content generation (app->content_gen) it was
 * rendered at; an entry whose generation is not the current one is stale
 * and is replaced by the next render of its key. The generation moves on
 * every content or settings write, on this node at once and on the others
 * through the database (site/content.c, app_node.c), so both tables follow
 * a publish everywhere.
 *
 * Invariants: a table holds at most its max entries and bytes. When full,
 * stale entries are purged; if that is not enough, the page table simply
 * caches no new page (never an unbounded growth from ?page=random or
 * invented paths), while the search table evicts entries from a clock
 * hand (any query string is a new key: new questions must still get in,
 * and search keys can never push articles out of the page table). The hit
 * path takes the read lock only.
 */
#include <pthread.h>

#include "web/web_int.h"

#define CACHE_BUCKETS     4096 /* power of two */
#define CACHE_MAX_ENTRIES 2000
#define CACHE_MAX_BYTES   ((size_t)64 << 20)
#define SEARCH_BUCKETS    1024 /* power of two */

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

struct table {
	pthread_rwlock_t lock;
	struct cache_ent **buckets;
	size_t nbuckets; /* power of two */
	size_t n, bytes, max_n, max_bytes;
	size_t hand; /* the search table's eviction clock: the next bucket */
	bool evict;  /* full: evict (search) rather than refuse (pages) */
};

struct web_cache {
	struct table pages, search;
	_Atomic(char *) own_host;   /* host of the base URL, for referrer counting */
	struct retired *retired;    /* guarded by pages.lock */
	struct web_tick_state tick; /* only touched by web_tick's thread */
	struct web_qtokens qt;      /* set once in web_cache_new */
};

static void table_init(struct table *t, size_t nbuckets, size_t max_n, size_t max_bytes, bool evict)
{
	pthread_rwlock_init(&t->lock, NULL);
	t->buckets = xcalloc(nbuckets, sizeof(*t->buckets));
	t->nbuckets = nbuckets;
	t->max_n = max_n;
	t->max_bytes = max_bytes;
	t->evict = evict;
}

struct web_cache *web_cache_new(const unsigned char *secret, size_t len)
{
	struct web_cache *c = xcalloc(1, sizeof(*c));
	web_search_qtokens(secret, len, &c->qt);
	table_init(&c->pages, CACHE_BUCKETS, CACHE_MAX_ENTRIES, CACHE_MAX_BYTES, false);
	table_init(&c->search, SEARCH_BUCKETS, WEB_SEARCH_CACHE_ENTRIES, WEB_SEARCH_CACHE_BYTES,
	           true);
	return c;
}

static void ent_free(struct cache_ent *e)
{
	http_blob_unref(e->blob);
	free(e);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct cache_ent *e = t->buckets[i];
		while (e) {
			struct cache_ent *next = e->next;
			ent_free(e);
			e = next;
		}
	}
	free(t->buckets);
	pthread_rwlock_destroy(&t->lock);
}

void web_cache_free(struct web_cache *c)
{
	if (!c)
		return;
	table_free(&c->pages);
	table_free(&c->search);
	while (c->retired) {
		struct retired *r = c->retired;
		c->retired = r->next;
		free(r->s);
		free(r);
	}
	free(atomic_load(&c->own_host));
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
	pthread_rwlock_wrlock(&c->pages.lock);
	r->s = atomic_exchange_explicit(&c->own_host, fresh, memory_order_acq_rel);
	r->next = c->retired;
	c->retired = r;
	pthread_rwlock_unlock(&c->pages.lock);
}

const struct web_qtokens *web_cache_qtokens(const struct web_cache *c)
{
	return &c->qt;
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

static struct cache_ent **find_slot(struct table *t, const char *key, uint32_t h)
{
	struct cache_ent **pp = &t->buckets[h & (t->nbuckets - 1)];
	while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->next;
	return pp;
}

static struct http_blob *table_get(struct table *t, const char *key, uint64_t gen,
                                   char stat[WEB_STAT_MAX])
{
	uint32_t h = key_hash(key);
	struct http_blob *b = NULL;
	pthread_rwlock_rdlock(&t->lock);
	struct cache_ent *e = *find_slot(t, key, h);
	if (e && e->gen == gen && (!stat || e->stat)) {
		b = e->blob;
		http_blob_ref(b);
		if (stat)
			memcpy(stat, e->stat, strlen(e->stat) + 1);
	}
	pthread_rwlock_unlock(&t->lock);
	return b;
}

struct http_blob *web_cache_get(struct app *app, const char *key, char stat[WEB_STAT_MAX])
{
	uint64_t gen = atomic_load_explicit(&app->content_gen, memory_order_acquire);
	return table_get(&app->cache->pages, key, gen, stat);
}

struct http_blob *web_cache_search_get(struct app *app, const char *key)
{
	uint64_t gen = atomic_load_explicit(&app->content_gen, memory_order_acquire);
	return table_get(&app->cache->search, key, gen, NULL);
}

static void unlink_ent(struct table *t, struct cache_ent **pp)
{
	struct cache_ent *e = *pp;
	*pp = e->next;
	t->n--;
	t->bytes -= e->blob->len;
	ent_free(e);
}

/* Drops every entry not rendered at gen; the caller holds the write lock. */
static void purge_stale(struct table *t, uint64_t gen)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct cache_ent **pp = &t->buckets[i];
		while (*pp) {
			if ((*pp)->gen == gen)
				pp = &(*pp)->next;
			else
				unlink_ent(t, pp);
		}
	}
}

static bool has_room(const struct table *t, size_t len)
{
	return t->n < t->max_n && t->bytes + len <= t->max_bytes;
}

/* Evicts whole buckets from the clock hand on until len fits; the caller
 * holds the write lock. */
static void evict(struct table *t, size_t len)
{
	for (size_t k = 0; k < t->nbuckets && t->n && !has_room(t, len); k++) {
		struct cache_ent **pp = &t->buckets[t->hand];
		while (*pp)
			unlink_ent(t, pp);
		t->hand = (t->hand + 1) & (t->nbuckets - 1);
	}
}

static void table_put(struct table *t, const char *key, const char *stat, struct http_blob *b,
                      uint64_t gen)
{
	size_t klen = strlen(key), slen = stat ? strlen(stat) : 0;
	bool stat_ok = slen < WEB_STAT_MAX; /* else only the handlers find it */
	if (klen >= WEB_KEY_MAX || b->len > t->max_bytes / 16)
		return;
	uint32_t h = key_hash(key);
	pthread_rwlock_wrlock(&t->lock);
	struct cache_ent **pp = find_slot(t, key, h);
	if (*pp) /* replace a stale (or concurrently rendered) entry */
		unlink_ent(t, pp);
	if (!has_room(t, b->len))
		purge_stale(t, gen);
	if (t->evict)
		evict(t, b->len);
	if (has_room(t, b->len)) {
		struct cache_ent *e = xmalloc(sizeof(*e) + klen + 1 + slen + 1);
		memcpy(e->key, key, klen + 1);
		memcpy(e->key + klen + 1, stat ? stat : "", slen + 1);
		e->stat = stat_ok ? e->key + klen + 1 : NULL;
		e->hash = h;
		e->gen = gen;
		e->blob = b;
		http_blob_ref(b);
		pp = &t->buckets[h & (t->nbuckets - 1)];
		e->next = *pp;
		*pp = e;
		t->n++;
		t->bytes += b->len;
	}
	pthread_rwlock_unlock(&t->lock);
}

void web_cache_put(struct web_cache *c, const char *key, const char *stat, struct http_blob *b,
                   uint64_t gen)
{
	table_put(&c->pages, key, stat, b, gen);
}

void web_cache_search_put(struct web_cache *c, const char *key, struct http_blob *b, uint64_t gen)
{
	table_put(&c->search, key, NULL, b, gen);
}
