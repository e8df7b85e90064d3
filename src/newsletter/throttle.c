/*
 * throttle.c — the limits outgoing mail keeps, so relays and the receiving
 * providers (Japanese carriers above all) accept it:
 *
 *  - a rate per second over every sender thread. Two rules together: the
 *    last `rate` grants must span at least one second (so no 1-second
 *    window ever holds more than `rate` sends), and grants are spaced
 *    1/rate apart with a burst of rate/10 (so messages flow evenly instead
 *    of in bursts at each second). A new throttle starts as if `rate`
 *    messages had just been sent, which keeps the bound across a restart;
 *  - caps per hour and per rolling day, counted in the database from
 *    deliveries.sent_at plus the rows in flight, so pause, resume and
 *    restart cannot reset them;
 *  - a rate per recipient domain ("docomo.ne.jp=1,…", messages per second),
 *    kept in a small in-memory map; a row of a busy domain goes back to the
 *    queue for the next allowed second without counting as an attempt;
 *  - an optional sending window ("08:00-21:00" local time).
 *
 * Thread-safe: one struct nl_throttle is shared by the sender threads.
 */
#include <pthread.h>
#include <unistd.h>

#include "db/db.h"
#include "newsletter/delivery_int.h"

#define RATE_MAX    10000
#define DOMAINS_MAX 32
/* The "second" of the rate rules, 2% long: the margin absorbs the jitter
 * between granting a send and the server seeing it, so a receiver counting
 * per second never sees more than `rate`. */
#define WINDOW_MS 1020

struct dom_rate {
	char name[64];
	int per_sec;
	int64_t next_ms; /* monotonic ms of the next allowed send */
};

struct nl_throttle {
	pthread_mutex_t mu;
	int rate;
	int64_t *ring; /* grant times of the last `rate` sends (monotonic ms) */
	size_t head;
	double tat; /* theoretical arrival time of the next grant (ms) */
	struct dom_rate dom[DOMAINS_MAX];
	size_t ndom;
	char dom_src[1024]; /* the domain_rates text the map was built from */
};

struct nl_throttle *nl_throttle_new(void)
{
	struct nl_throttle *t = xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void nl_throttle_free(struct nl_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->ring);
	free(t);
}

/* Parses "d=n,d=n" into out (may be NULL to only validate). */
static bool parse_domains(const char *s, struct dom_rate *out, size_t *n)
{
	*n = 0;
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		const char *eq = strchr(s, '=');
		size_t len = eq ? (size_t)(eq - s) : 0;
		if (!eq || len == 0 || len >= sizeof(out->name) || *n == DOMAINS_MAX)
			return false;
		char *end = NULL;
		long v = strtol(eq + 1, &end, 10);
		if (end == eq + 1 || v < 1 || v > 1000 || (*end && *end != ',' && *end != ' '))
			return false;
		if (out) {
			memcpy(out[*n].name, s, len);
			out[*n].name[len] = '\0';
			out[*n].per_sec = (int)v;
		}
		(*n)++;
		s = end;
	}
	return true;
}

bool nl_domain_rates_valid(const char *s)
{
	size_t n;
	return parse_domains(s, NULL, &n);
}

static void set_domains(struct nl_throttle *t, const char *src, int64_t now)
{
	struct dom_rate nd[DOMAINS_MAX];
	size_t n = 0;
	if (!parse_domains(src, nd, &n)) {
		log_at(LOG_WARN, "worker", "domain_rates=\"%s\" invalid, ignored", src);
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		/* A domain seen before keeps its schedule; a new one waits one
		 * interval, as if it had just been sent to. */
		nd[i].next_ms = now + 1000 / nd[i].per_sec;
		for (size_t j = 0; j < t->ndom; j++)
			if (strcasecmp(t->dom[j].name, nd[i].name) == 0)
				nd[i].next_ms = t->dom[j].next_ms;
	}
	memcpy(t->dom, nd, n * sizeof(nd[0]));
	t->ndom = n;
	snprintf(t->dom_src, sizeof(t->dom_src), "%s", src);
}

void nl_throttle_configure(struct nl_throttle *t, int rate, const char *domain_rates)
{
	if (rate < 0)
		rate = 0;
	if (rate > RATE_MAX)
		rate = RATE_MAX;
	int64_t now = jm_now_ms();
	pthread_mutex_lock(&t->mu);
	if (rate != t->rate || (rate && !t->ring)) {
		free(t->ring);
		t->ring = NULL;
		t->rate = rate;
		t->head = 0;
		t->tat = (double)now;
		if (rate) {
			t->ring = xcalloc((size_t)rate, sizeof(*t->ring));
			for (int i = 0; i < rate; i++)
				t->ring[i] = now;
		}
	}
	if (strcmp(domain_rates, t->dom_src) != 0)
		set_domains(t, domain_rates, now);
	pthread_mutex_unlock(&t->mu);
}

/* How long (ms) until one more grant is allowed; 0 = now. Locked. */
static int64_t wait_ms(struct nl_throttle *t, int64_t now)
{
	double interval = (double)WINDOW_MS / t->rate;
	int burst = t->rate / 10 > 1 ? t->rate / 10 : 1;
	double tau = (burst - 1) * interval;
	int64_t w1 = t->ring[t->head] + WINDOW_MS - now; /* oldest of the last `rate` */
	double w2 = t->tat - tau - (double)now;
	int64_t w = w1 > 0 ? w1 : 0;
	if (w2 > (double)w)
		w = (int64_t)w2 + 1;
	return w;
}

static void grant(struct nl_throttle *t, int64_t now)
{
	t->ring[t->head] = now;
	t->head = (t->head + 1) % (size_t)t->rate;
	double interval = (double)WINDOW_MS / t->rate;
	t->tat = (t->tat > (double)now ? t->tat : (double)now) + interval;
}

size_t nl_throttle_acquire(struct nl_throttle *t, size_t want, atomic_bool *stop)
{
	while (!atomic_load(stop)) {
		pthread_mutex_lock(&t->mu);
		if (!t->rate) {
			pthread_mutex_unlock(&t->mu);
			return want;
		}
		int64_t now = jm_now_ms();
		size_t got = 0;
		while (got < want && wait_ms(t, now) == 0) {
			grant(t, now);
			got++;
		}
		int64_t w = got ? 0 : wait_ms(t, now);
		pthread_mutex_unlock(&t->mu);
		if (got)
			return got;
		usleep((useconds_t)((w > 50 ? 50 : w) * 1000));
	}
	return 0;
}

bool nl_throttle_domain(struct nl_throttle *t, const char *domain, int64_t *retry_at)
{
	bool ok = true;
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->ndom; i++) {
		struct dom_rate *d = &t->dom[i];
		if (strcasecmp(d->name, domain) != 0)
			continue;
		int64_t now = jm_now_ms();
		if (now >= d->next_ms) {
			d->next_ms = now + 1000 / d->per_sec;
		} else {
			ok = false;
			*retry_at = jm_now() + (d->next_ms - now + 999) / 1000;
		}
		break;
	}
	pthread_mutex_unlock(&t->mu);
	return ok;
}

static int64_t count_since(struct db *db, int64_t since)
{
	struct db_stmt *st = NULL;
	int64_t n = 0;
	if (db_preparef(db, &st, "SELECT count(*) FROM deliveries WHERE sent_at >= ?", "i",
	                since) != JM_OK)
		return INT64_MAX / 2; /* unknown: claim nothing rather than overrun */
	if (db_step(st) == JM_OK)
		n = db_col_int(st, 0);
	db_finalize(st);
	return n;
}

static int64_t count_inflight(struct db *db)
{
	struct db_stmt *st = NULL;
	int64_t n = 0;
	if (db_prepare(db, "SELECT count(*) FROM deliveries WHERE state = 'sending'", &st) != JM_OK)
		return INT64_MAX / 2;
	if (db_step(st) == JM_OK)
		n = db_col_int(st, 0);
	db_finalize(st);
	return n;
}

int64_t nl_throttle_cap_room(struct db *db, int cap_hour, int cap_day, int64_t now)
{
	if (cap_hour <= 0 && cap_day <= 0)
		return INT64_MAX;
	int64_t inflight = count_inflight(db);
	int64_t room = INT64_MAX;
	if (cap_hour > 0)
		room = cap_hour - count_since(db, now - 3600) - inflight;
	if (cap_day > 0) {
		int64_t d = cap_day - count_since(db, now - 86400) - inflight;
		room = d < room ? d : room;
	}
	return room > 0 ? room : 0;
}

/* "HH:MM" → minutes of the day, or -1. */
static int parse_hm(const char *s, size_t len)
{
	if (len != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	return h <= 24 && m < 60 && h * 60 + m <= 1440 ? h * 60 + m : -1;
}

static bool parse_window(const char *w, int *from, int *to)
{
	const char *dash = strchr(w, '-');
	if (!dash)
		return false;
	*from = parse_hm(w, (size_t)(dash - w));
	*to = parse_hm(dash + 1, strlen(dash + 1));
	return *from >= 0 && *to >= 0;
}

bool nl_window_valid(const char *window)
{
	int a, b;
	return !*window || parse_window(window, &a, &b);
}

bool nl_window_open(const char *window, int tz_offset_min, int64_t now)
{
	int from, to;
	if (!*window || !parse_window(window, &from, &to) || from == to)
		return true;
	int64_t local = now + (int64_t)tz_offset_min * 60;
	int minute = (int)(((local % 86400) + 86400) % 86400 / 60);
	if (from < to)
		return minute >= from && minute < to;
	return minute >= from || minute < to; /* wraps midnight */
}
