/*
 * stats.c — cookieless page-view counters. Hits are counted in memory per
 * (UTC day, path) and (UTC day, referrer host) in two small open-addressing
 * hash maps, each behind its own mutex, and written to the pageviews and
 * referrers tables in one transaction by site_stats_flush.
 *
 * The counters are sharded: each thread counts into its own shard (picked
 * once per thread), so two event loops never wait on each other's mutex;
 * the flush collects every shard.
 *
 * Several nodes on one database each count in memory and flush their own
 * counts additively (views = views + this node's count), so the totals are
 * the sum over every node and no node's flush overwrites another's.
 *
 * Invariants: no address, cookie or identifier is ever kept; each map holds
 * at most MAP_MAX keys (hits for new keys beyond that are dropped, so a
 * crawler inventing paths cannot grow memory); a failed flush puts its
 * counts back. The hot path for a known key allocates nothing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"

#define MAP_SLOTS 8192 /* power of two; at most half full */
#define MAP_MAX   (MAP_SLOTS / 2)
#define KEY_MAX   400 /* "YYYY-MM-DD " + path or host, bytes */

struct slot {
	char *key; /* "YYYY-MM-DD key", malloc'd; NULL = empty */
	uint32_t hash;
	int64_t count;
};

#define SHARDS 8 /* more than the event loops of a usual machine */

struct counter_map {
	pthread_mutex_t mu;
	struct slot *slots;
	size_t used;
};

struct shard {
	_Alignas(64) struct counter_map paths; /* own cache lines per shard */
	struct counter_map refs;
};

struct site_stats {
	struct shard shards[SHARDS];
	atomic_uint next_shard;
};

static _Thread_local int my_shard = -1;

static void map_init(struct counter_map *m)
{
	pthread_mutex_init(&m->mu, NULL);
	m->slots = xcalloc(MAP_SLOTS, sizeof(struct slot));
	m->used = 0;
}

static void map_clear(struct slot *slots)
{
	for (size_t i = 0; i < MAP_SLOTS; i++)
		free(slots[i].key);
}

struct site_stats *site_stats_new(void)
{
	struct site_stats *s = aligned_alloc(64, sizeof(*s));
	if (!s)
		abort();
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < SHARDS; i++) {
		map_init(&s->shards[i].paths);
		map_init(&s->shards[i].refs);
	}
	return s;
}

void site_stats_free(struct site_stats *s)
{
	if (!s)
		return;
	for (int i = 0; i < SHARDS; i++) {
		struct counter_map *maps[2] = {&s->shards[i].paths, &s->shards[i].refs};
		for (int j = 0; j < 2; j++) {
			map_clear(maps[j]->slots);
			free(maps[j]->slots);
			pthread_mutex_destroy(&maps[j]->mu);
		}
	}
	free(s);
}

static uint32_t hash_key(const char *k, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

/* Adds n to key; the caller holds m->mu. */
static void map_add_locked(struct counter_map *m, const char *key, size_t len, int64_t n)
{
	uint32_t h = hash_key(key, len);
	size_t i = h & (MAP_SLOTS - 1);
	while (m->slots[i].key) {
		struct slot *s = &m->slots[i];
		if (s->hash == h && strncmp(s->key, key, len) == 0 && s->key[len] == '\0') {
			s->count += n;
			return;
		}
		i = (i + 1) & (MAP_SLOTS - 1);
	}
	if (m->used >= MAP_MAX)
		return;
	m->slots[i].key = xstrndup(key, len);
	m->slots[i].hash = h;
	m->slots[i].count = n;
	m->used++;
}

static void map_add(struct counter_map *m, const char *key, size_t len, int64_t n)
{
	pthread_mutex_lock(&m->mu);
	map_add_locked(m, key, len, n);
	pthread_mutex_unlock(&m->mu);
}

/* Host part of an http(s) referer, lower-cased, without port or user
 * info, into out; false if there is none. */
static bool referer_host(const char *ref, char *out, size_t outsz)
{
	const char *p;
	if (strncmp(ref, "https://", 8) == 0)
		p = ref + 8;
	else if (strncmp(ref, "http://", 7) == 0)
		p = ref + 7;
	else
		return false;
	size_t end = strcspn(p, "/?#");
	const char *at = memchr(p, '@', end);
	if (at) {
		end -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	size_t n = 0;
	for (size_t i = 0; i < end && p[i] != ':'; i++) {
		char c = p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32), ok = true;
		if (!ok || n + 1 >= outsz)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return n > 0;
}

/* True when host equals own_host's host part (port ignored). */
static bool same_host(const char *host, const char *own_host)
{
	if (!own_host || !*own_host)
		return false;
	size_t n = strcspn(own_host, ":/");
	return strlen(host) == n && strncasecmp(host, own_host, n) == 0;
}

/* "YYYY-MM-DD " of now (UTC) into key: formatted once a day per thread,
 * then copied (the hit path formats nothing). Returns its length, 11. */
static size_t day_prefix(char *key)
{
	static _Thread_local int64_t day_no = -1;
	static _Thread_local char day[16];
	int64_t now = jm_now(), d = now / 86400;
	if (d != day_no) {
		jm_time_day(now, day);
		day[10] = ' ';
		day_no = d;
	}
	memcpy(key, day, 11);
	return 11;
}

void site_stats_hit(struct site_stats *s, const char *path, const char *referer,
                    const char *own_host)
{
	char key[KEY_MAX + 1];
	size_t plen = strlen(path);
	if (!s || plen == 0 || plen > KEY_MAX - 11)
		return;
	if (my_shard < 0)
		my_shard = (int)(atomic_fetch_add(&s->next_shard, 1) % SHARDS);
	struct shard *sh = &s->shards[my_shard];
	size_t n = day_prefix(key);
	memcpy(key + n, path, plen + 1);
	map_add(&sh->paths, key, n + plen, 1);
	char host[256];
	if (!referer || !referer_host(referer, host, sizeof(host)) || same_host(host, own_host))
		return;
	size_t hlen = strlen(host);
	if (hlen > KEY_MAX - n)
		return;
	memcpy(key + n, host, hlen + 1);
	map_add(&sh->refs, key, n + hlen, 1);
}

/* Takes all slots out of m (swapping in an empty table). */
static struct slot *map_take(struct counter_map *m)
{
	struct slot *fresh = xcalloc(MAP_SLOTS, sizeof(struct slot));
	pthread_mutex_lock(&m->mu);
	struct slot *old = m->slots;
	bool empty = m->used == 0;
	if (!empty) {
		m->slots = fresh;
		m->used = 0;
	}
	pthread_mutex_unlock(&m->mu);
	if (empty) {
		free(fresh);
		return NULL;
	}
	return old;
}

/* Puts counts back after a failed write. */
static void map_restore(struct counter_map *m, struct slot *slots)
{
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < MAP_SLOTS; i++)
		if (slots[i].key)
			map_add_locked(m, slots[i].key, strlen(slots[i].key), slots[i].count);
	pthread_mutex_unlock(&m->mu);
}

static int slot_cmp(const void *a, const void *b)
{
	return strcmp((*(struct slot *const *)a)->key, (*(struct slot *const *)b)->key);
}

/* Adds each slot's count to its row. Rows are written in key order: every
 * node's flush then locks them in one order, so flushes of several nodes
 * (PostgreSQL) wait for each other but never deadlock. */
static enum jm_rc write_slots(struct db *db, struct slot *slots, bool refs)
{
	struct slot **order = xmalloc(MAP_SLOTS * sizeof(*order));
	size_t n = 0;
	for (size_t i = 0; i < MAP_SLOTS; i++)
		if (slots[i].key)
			order[n++] = &slots[i];
	qsort(order, n, sizeof(*order), slot_cmp);
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < n && !rc; i++) {
		const char *k = order[i]->key;
		char day[16];
		snprintf(day, sizeof(day), "%.10s", k);
		if (refs)
			rc = db_execf(
			        db,
			        "INSERT INTO referrers(day, host, views) VALUES (?, ?, ?) "
			        "ON CONFLICT(day, host) DO UPDATE SET views = referrers.views + "
			        "excluded.views",
			        "tti", day, k + 11, order[i]->count);
		else
			rc = db_execf(
			        db,
			        "INSERT INTO pageviews(day, path, views) VALUES (?, ?, ?) "
			        "ON CONFLICT(day, path) DO UPDATE SET views = pageviews.views + "
			        "excluded.views",
			        "tti", day, k + 11, order[i]->count);
	}
	free(order);
	return rc;
}

/* Writes one shard's pending counts in one transaction. */
static enum jm_rc flush_shard(struct shard *sh, struct db *db)
{
	struct slot *paths = map_take(&sh->paths);
	struct slot *refs = map_take(&sh->refs);
	if (!paths && !refs)
		return JM_OK;
	enum jm_rc rc = db_begin(db);
	if (!rc && paths)
		rc = write_slots(db, paths, false);
	if (!rc && refs)
		rc = write_slots(db, refs, true);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		log_at(LOG_WARN, "site", "stats flush failed rc=%s", jm_rc_name(rc));
		if (paths)
			map_restore(&sh->paths, paths);
		if (refs)
			map_restore(&sh->refs, refs);
	}
	if (paths) {
		map_clear(paths);
		free(paths);
	}
	if (refs) {
		map_clear(refs);
		free(refs);
	}
	return rc;
}

enum jm_rc site_stats_flush(struct site_stats *s, struct db *db)
{
	if (!s)
		return JM_OK;
	enum jm_rc rc = JM_OK;
	for (int i = 0; i < SHARDS; i++) {
		enum jm_rc r = flush_shard(&s->shards[i], db);
		if (r && !rc)
			rc = r;
	}
	return rc;
}

/* ---- dashboard queries ---- */

/* First day ("YYYY-MM-DD") of a window of `days` days ending today. */
static void window_start(int days, char out[16])
{
	if (days < 1)
		days = 1;
	jm_time_day(jm_now() - (int64_t)(days - 1) * 86400, out);
}

enum jm_rc site_stats_daily(struct db *db, struct arena *a, int days, struct day_count **out)
{
	if (days < 1 || days > 3660)
		return JM_INVALID;
	struct day_count *arr = arena_calloc(a, (size_t)days * sizeof(*arr));
	int64_t now = jm_now();
	for (int i = 0; i < days; i++) {
		char d[16];
		jm_time_day(now - (int64_t)(days - 1 - i) * 86400, d);
		arr[i].day = arena_strdup(a, d);
	}
	char from[16];
	window_start(days, from);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT day, SUM(views) FROM pageviews WHERE day >= ? "
	                            "GROUP BY day ORDER BY day",
	                            "t", from);
	if (rc)
		return rc;
	int j = 0;
	while ((rc = db_step(st)) == JM_OK) {
		const char *d = db_col_text(st, 0, NULL);
		while (d && j < days && strcmp(arr[j].day, d) < 0)
			j++;
		if (d && j < days && strcmp(arr[j].day, d) == 0)
			arr[j].views = db_col_int(st, 1);
	}
	db_finalize(st);
	*out = arr;
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc top_keys(struct db_stmt *st, struct arena *a, int limit, struct key_count **out,
                           size_t *n)
{
	struct key_count *arr = arena_calloc(a, (size_t)limit * sizeof(*arr));
	size_t cnt = 0;
	enum jm_rc rc;
	while ((rc = db_step(st)) == JM_OK && cnt < (size_t)limit) {
		arr[cnt].key = db_col_dup(st, 0, a);
		arr[cnt++].views = db_col_int(st, 1);
	}
	db_finalize(st);
	*out = arr;
	*n = cnt;
	return rc == JM_DONE || rc == JM_OK ? JM_OK : rc;
}

enum jm_rc site_stats_top_paths(struct db *db, struct arena *a, int days, int limit,
                                struct key_count **out, size_t *n)
{
	if (limit < 1 || limit > 1000)
		return JM_INVALID;
	char from[16];
	window_start(days, from);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT path, SUM(views) AS v FROM pageviews WHERE day >= ? "
	                            "GROUP BY path ORDER BY v DESC, path LIMIT ?",
	                            "ti", from, (int64_t)limit);
	return rc ? rc : top_keys(st, a, limit, out, n);
}

enum jm_rc site_stats_top_referrers(struct db *db, struct arena *a, int days, int limit,
                                    struct key_count **out, size_t *n)
{
	if (limit < 1 || limit > 1000)
		return JM_INVALID;
	char from[16];
	window_start(days, from);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT host, SUM(views) AS v FROM referrers WHERE day >= ? "
	                            "GROUP BY host ORDER BY v DESC, host LIMIT ?",
	                            "ti", from, (int64_t)limit);
	return rc ? rc : top_keys(st, a, limit, out, n);
}
