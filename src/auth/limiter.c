/*
 * limiter.c — sign-in attempts per client address over a sliding minute.
 *
 * An attempt is reserved before the password is checked (the check is a
 * slow argon2id hash): reserving and counting happen under one lock, so
 * however many requests from one address arrive at once, at most
 * AUTH_MAX_FAILS_PER_MIN of them per minute get to the hash; the rest are
 * refused at once. A right password gives its reservation back, so only
 * failures stay counted.
 *
 * Invariants: keys are exact (the whole address string is compared; two
 * addresses never share a counter). The table has a fixed size (no memory
 * growth under an address-cycling attacker): a key lives in one of PROBE
 * slots after its keyed hash (the key is random per process, so an
 * attacker cannot aim at a victim's slots), and when all of them are taken
 * the slot idle the longest is reused.
 */
#include <pthread.h>

#include "auth/auth.h"

#define SLOTS  8192
#define PROBE  16
#define WINDOW 60

struct slot {
	char ip[64];                            /* "" = free */
	int64_t stamps[AUTH_MAX_FAILS_PER_MIN]; /* attempt times; 0 = none */
	int64_t last;                           /* latest activity */
};

struct auth_limiter {
	pthread_mutex_t mu;
	unsigned char key[32];
	struct slot slots[SLOTS];
};

struct auth_limiter *auth_limiter_new(void)
{
	struct auth_limiter *l = xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	jm_random_bytes(l->key, sizeof(l->key));
	return l;
}

void auth_limiter_free(struct auth_limiter *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static uint32_t home(const struct auth_limiter *l, const char *ip)
{
	char h[65];
	uint32_t v = 0;
	jm_hash_hex(l->key, sizeof(l->key), ip, strlen(ip), h);
	for (int i = 0; i < 8; i++)
		v = v << 4 | (uint32_t)(h[i] <= '9' ? h[i] - '0' : h[i] - 'a' + 10);
	return v;
}

/* The slot holding ip, or (create) a free or the longest-idle slot of its
 * probe window, reset for ip. NULL when absent and !create. */
static struct slot *find(struct auth_limiter *l, const char *ip, bool create)
{
	uint32_t h = home(l, ip);
	struct slot *victim = NULL;
	for (uint32_t i = 0; i < PROBE; i++) {
		struct slot *s = &l->slots[(h + i) % SLOTS];
		if (s->ip[0] && strcmp(s->ip, ip) == 0)
			return s;
		if (!victim || (victim->ip[0] && (!s->ip[0] || s->last < victim->last)))
			victim = s;
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->ip, sizeof(victim->ip), "%s", ip);
	return victim;
}

bool auth_limiter_reserve(struct auth_limiter *l, const char *ip, int64_t now)
{
	if (strlen(ip) >= sizeof(((struct slot *)0)->ip))
		return false; /* never an address: refuse rather than truncate */
	pthread_mutex_lock(&l->mu);
	struct slot *s = find(l, ip, true);
	int recent = 0, oldest = 0;
	for (int i = 0; i < AUTH_MAX_FAILS_PER_MIN; i++) {
		if (s->stamps[i] && now - s->stamps[i] < WINDOW)
			recent++;
		if (s->stamps[i] < s->stamps[oldest])
			oldest = i;
	}
	bool ok = recent < AUTH_MAX_FAILS_PER_MIN;
	if (ok) /* the oldest stamp is free or expired when not all are recent */
		s->stamps[oldest] = now;
	s->last = now;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

void auth_limiter_release(struct auth_limiter *l, const char *ip, int64_t stamp)
{
	pthread_mutex_lock(&l->mu);
	struct slot *s = find(l, ip, false);
	for (int i = 0; s && i < AUTH_MAX_FAILS_PER_MIN; i++) {
		if (s->stamps[i] == stamp) {
			s->stamps[i] = 0;
			break;
		}
	}
	pthread_mutex_unlock(&l->mu);
}
