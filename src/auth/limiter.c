/*
 * limiter.c — failed-login counter per client address over a sliding
 * minute. A fixed-size open-addressing table: an attacker cycling through
 * addresses can evict entries but never grow memory.
 */
#include <pthread.h>

#include "auth/auth.h"

#define SLOTS  4096
#define WINDOW 60

struct slot {
	char ip[48];
	int64_t stamps[AUTH_MAX_FAILS_PER_MIN + 1]; /* ring of failure times */
	int next;
};

struct auth_limiter {
	pthread_mutex_t mu;
	struct slot slots[SLOTS];
};

struct auth_limiter *auth_limiter_new(void)
{
	struct auth_limiter *l = xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void auth_limiter_free(struct auth_limiter *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static struct slot *find(struct auth_limiter *l, const char *ip, bool create)
{
	uint32_t h = 2166136261u;
	for (const char *p = ip; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	struct slot *s = &l->slots[h % SLOTS];
	if (strcmp(s->ip, ip) == 0)
		return s;
	if (!create)
		return NULL;
	memset(s, 0, sizeof(*s));
	snprintf(s->ip, sizeof(s->ip), "%s", ip);
	return s;
}

bool auth_limiter_blocked(struct auth_limiter *l, const char *ip, int64_t now)
{
	pthread_mutex_lock(&l->mu);
	struct slot *s = find(l, ip, false);
	int recent = 0;
	for (int i = 0; s && i < AUTH_MAX_FAILS_PER_MIN + 1; i++)
		if (s->stamps[i] && now - s->stamps[i] < WINDOW)
			recent++;
	pthread_mutex_unlock(&l->mu);
	return recent >= AUTH_MAX_FAILS_PER_MIN;
}

void auth_limiter_fail(struct auth_limiter *l, const char *ip, int64_t now)
{
	pthread_mutex_lock(&l->mu);
	struct slot *s = find(l, ip, true);
	s->stamps[s->next] = now;
	s->next = (s->next + 1) % (AUTH_MAX_FAILS_PER_MIN + 1);
	pthread_mutex_unlock(&l->mu);
}
