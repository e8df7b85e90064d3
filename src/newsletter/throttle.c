/*
 * throttle.c — the limits outgoing mail keeps, so relays and the receiving
 * providers (Japanese carriers above all) accept it, held over every worker
 * process on the database together:
 *
 *  - a rate per second. The database holds one schedule (send_slots row
 *    'rate'): a grid of slots, N per window of WINDOW_US (one second and
 *    2%: the margin absorbs the jitter between a grant and the server
 *    seeing it), consecutive slots at least WINDOW_US / N apart, slot j
 *    holding at most cap(j) = floor((j mod N + 1) R / N) - floor((j mod N)
 *    R / N) messages — any N consecutive slots hold exactly R. A window of
 *    one second contains at most N slot starts, so at most R grants: the
 *    bound holds across workers, restarts and machines. One UPDATE takes
 *    room in the current slot while it still lies ahead, else opens the
 *    next one (at least a period later, or now); the caller sleeps until
 *    its slot begins and records that start as the send time. Grants are
 *    spread evenly (R/N messages every 1/N second) instead of bursting at
 *    each second;
 *  - caps per hour and per rolling day, counted in the database from
 *    deliveries.sent_at plus the rows in flight on every worker, under a
 *    row lock on PostgreSQL so claims cannot race past them;
 *  - a rate per recipient domain ("docomo.ne.jp=1,…", messages per second):
 *    row 'domain:NAME' holds the last grant; a send is granted only at
 *    least WINDOW_US / rate after it (one INSERT … ON CONFLICT DO UPDATE …
 *    WHERE), so no second holds more than rate sends to that domain. A row
 *    of a busy domain goes back to the queue for the next allowed second
 *    without counting as an attempt;
 *  - an optional sending window ("08:00-21:00" local time).
 *
 * Times are the database's clock (PostgreSQL: clock_timestamp(), so
 * workers on several machines share one; SQLite: this machine's), in
 * microseconds. Thread-safe: one struct nl_throttle (the configuration and
 * a per-domain hint) is shared by a worker's sender threads; each passes
 * its own connection.
 */
#include <ctype.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>

#include "db/db.h"
#include "newsletter/delivery_int.h"

#define RATE_MAX    10000
#define DOMAINS_MAX 32
#define WINDOW_US   1020000
#define NAP_US      50000    /* the longest sleep between checks of *stop */
#define HINT_US     200000   /* a domain free this soon is rendered (the send follows at once) */
#define OFFSET_US   10000000 /* how long a measured clock offset is trusted */
#define IDLE_US     1000000  /* a schedule idle this long restarts ... */
#define FRESH_US    250000   /* ... with this much more before its second slot */

struct dom_rate {
	char name[64];
	int per_sec;
	int64_t next_us; /* hint: the earliest next grant last seen (database clock) */
};

struct nl_throttle {
	pthread_mutex_t mu;
	int rate;
	struct dom_rate dom[DOMAINS_MAX];
	size_t ndom;
	char dom_src[1024];           /* the domain_rates text the map was built from */
	int64_t offset_us, offset_at; /* clock_offset and when it was measured (wall us) */
};

struct nl_throttle *nl_throttle_new(void)
{
	struct nl_throttle *t = xcalloc(1, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

enum jm_rc nl_throttle_init(struct db *db)
{
	return db_execf(db,
	                "INSERT INTO send_slots(scope) VALUES ('rate'), ('caps') "
	                "ON CONFLICT(scope) DO NOTHING",
	                "");
}

void nl_throttle_free(struct nl_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
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

void nl_throttle_configure(struct nl_throttle *t, int rate, const char *domain_rates)
{
	pthread_mutex_lock(&t->mu);
	t->rate = rate < 0 ? 0 : rate > RATE_MAX ? RATE_MAX : rate;
	if (strcmp(domain_rates, t->dom_src) != 0) {
		size_t n = 0;
		if (!parse_domains(domain_rates, t->dom, &n)) {
			log_at(LOG_WARN, "worker", "domain_rates=\"%s\" invalid, ignored",
			       domain_rates);
			n = 0;
		}
		for (size_t i = 0; i < n; i++) {
			t->dom[i].next_us = 0;
			for (char *c = t->dom[i].name; *c; c++)
				*c = (char)tolower((unsigned char)*c);
		}
		t->ndom = n;
		snprintf(t->dom_src, sizeof(t->dom_src), "%s", domain_rates);
	}
	pthread_mutex_unlock(&t->mu);
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The database's clock (this machine's if the query fails). */
static int64_t db_clock_us(struct db *db)
{
	int64_t v = 0;
	if (db_query_int(db, &v, 0,
	                 DB_SQL(db, "SELECT " NL_SQLITE_CLOCK_US, "SELECT " NL_PG_CLOCK_US),
	                 "") != JM_OK ||
	    v <= 0)
		v = wall_us();
	return v;
}

/* The database's clock minus this machine's (0 on SQLite), measured with
 * a plain query (no lock, no commit) every OFFSET_US: within half a round
 * trip. */
static int64_t clock_offset(struct nl_throttle *t, struct db *db)
{
	pthread_mutex_lock(&t->mu);
	int64_t off = t->offset_us, at = t->offset_at, now = wall_us();
	pthread_mutex_unlock(&t->mu);
	if (at && now - at < OFFSET_US && now >= at)
		return off;
	int64_t t0 = wall_us(), db_now = db_clock_us(db), t1 = wall_us();
	off = db_now - (t0 + t1) / 2;
	pthread_mutex_lock(&t->mu);
	t->offset_us = off;
	t->offset_at = t1;
	pthread_mutex_unlock(&t->mu);
	return off;
}

/* Slots per window: up to 20 messages a second, one per slot (evenly
 * spaced); beyond, about ten per slot, 20 to 50 slots a window. */
static int64_t slots_per_window(int rate)
{
	if (rate <= 20)
		return rate;
	int64_t n = rate / 10;
	return n < 20 ? 20 : n > 50 ? 50 : n;
}

/* One UPDATE takes room in the schedule. SET expressions all see the row
 * as it was (on both engines), so each column is computed from the old
 * slot: SHARE — the current slot still lies ahead (or begins now) and has
 * room: take min(want, room) in it; else open the next slot a period after
 * it (or now, after a pause) and take min(want, its cap). After a pause of
 * IDLE_US the first message needs a new SMTP connection (TCP, greeting,
 * EHLO, perhaps TLS) and reaches the server late against its slot while
 * the next ones are on time; so the slot after such a restart comes
 * FRESH_US later (extra_us), or that lateness could let a receiver count
 * one slot too many in a second. ?1 want, ?2 N, ?3 R, ?4 the period (us),
 * ?5 FRESH_US, ?6 IDLE_US. The clock is read once (k.c); on PostgreSQL a
 * wait for the row lock can make it a little older than the grant, which
 * only delays the send behind the recorded time, never ahead of it. The
 * texts differ only in the clock expression. */
#define CAP_OF(S)   "((" S ") % ?2 + 1) * ?3 / ?2 - ((" S ") % ?2) * ?3 / ?2"
#define MIN_WANT(X) "CASE WHEN ?1 < " X " THEN ?1 ELSE " X " END"
#define SHARE       "at_us >= k.c AND used < " CAP_OF("slot")
#define TAKE_NOW    MIN_WANT("(" CAP_OF("slot") " - used)")
#define TAKE_NEXT   MIN_WANT("(" CAP_OF("slot + 1") ")")
#define NEXT_AT     "at_us + ?4 + extra_us"
#define RESERVE_SQL(CLOCK)                                                                         \
	"UPDATE send_slots SET "                                                                   \
	"granted = CASE WHEN " SHARE " THEN " TAKE_NOW " ELSE " TAKE_NEXT " END, "                 \
	"used = CASE WHEN " SHARE " THEN used + " TAKE_NOW " ELSE " TAKE_NEXT " END, "             \
	"at_us = CASE WHEN " SHARE " THEN at_us WHEN " NEXT_AT " > k.c THEN " NEXT_AT " "          \
	"ELSE k.c END, "                                                                           \
	"extra_us = CASE WHEN " SHARE " THEN extra_us WHEN " NEXT_AT " <= k.c "                    \
	"AND k.c - at_us >= ?6 THEN ?5 ELSE 0 END, "                                               \
	"slot = CASE WHEN " SHARE " THEN slot ELSE slot + 1 END, "                                 \
	"seen_us = k.c "                                                                           \
	"FROM (SELECT " CLOCK " AS c) AS k WHERE scope = 'rate' "                                  \
	"RETURNING granted, at_us, seen_us"

/* Takes room for up to want sends: *got, the slot's start *at_us and the
 * clock *now_us it was granted at. */
static enum jm_rc reserve(struct db *db, int rate, size_t want, int64_t *got, int64_t *at_us,
                          int64_t *now_us)
{
	int64_t n = slots_per_window(rate);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, DB_SQL(db, RESERVE_SQL(NL_SQLITE_CLOCK_US), RESERVE_SQL(NL_PG_CLOCK_US)),
	        "iiiiii", (int64_t)want, n, (int64_t)rate, (WINDOW_US + n - 1) / n,
	        (int64_t)FRESH_US, (int64_t)IDLE_US);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		*got = db_col_int(st, 0);
		*at_us = db_col_int(st, 1);
		*now_us = db_col_int(st, 2);
	} else if (rc == JM_DONE) {
		rc = JM_NOT_FOUND; /* no 'rate' row: migration 0014 missing */
	}
	db_finalize(st);
	return rc;
}

/* Sleeps until the database's clock reads at_us (offset: its lead over
 * this machine's), in naps, each aimed at the deadline anew so their
 * overshoots do not add up; false when *stop is set. */
static bool sleep_until(int64_t at_us, int64_t offset, atomic_bool *stop)
{
	int64_t left;
	while (!atomic_load(stop) && (left = at_us - (wall_us() + offset)) > 0) {
		int64_t d = left > NAP_US ? NAP_US : left;
		struct timespec ts = {(time_t)(d / 1000000), (long)(d % 1000000) * 1000};
		nanosleep(&ts, NULL);
	}
	return !atomic_load(stop);
}

size_t nl_throttle_acquire(struct nl_throttle *t, struct db *db, size_t want, atomic_bool *stop,
                           int64_t *at_us)
{
	pthread_mutex_lock(&t->mu);
	int rate = t->rate;
	pthread_mutex_unlock(&t->mu);
	while (want && !atomic_load(stop)) {
		if (!rate) {
			*at_us = db_clock_us(db);
			return want;
		}
		int64_t got = 0, now = 0, offset = clock_offset(t, db);
		enum jm_rc rc = reserve(db, rate, want, &got, at_us, &now);
		if (rc || got <= 0) {
			log_at(LOG_WARN, "worker", "send schedule: %s", jm_rc_name(rc));
			sleep_until(wall_us() + offset + 200000, offset, stop);
			continue;
		}
		/* Until the slot begins on the database's clock, however long the
		 * statement waited for its lock or its commit. A slot abandoned on
		 * stop is lost capacity, never an excess. */
		if (!sleep_until(*at_us, offset, stop))
			return 0;
		return got > (int64_t)want ? want : (size_t)got;
	}
	return 0;
}

static struct dom_rate *find_domain(struct nl_throttle *t, const char *domain)
{
	for (size_t i = 0; i < t->ndom; i++)
		if (strcasecmp(t->dom[i].name, domain) == 0)
			return &t->dom[i];
	return NULL;
}

bool nl_throttle_has_domains(struct nl_throttle *t)
{
	pthread_mutex_lock(&t->mu);
	bool any = t->ndom > 0;
	pthread_mutex_unlock(&t->mu);
	return any;
}

bool nl_throttle_domain_free(struct nl_throttle *t, const char *domain, int64_t *retry_at)
{
	pthread_mutex_lock(&t->mu);
	struct dom_rate *d = find_domain(t, domain);
	bool ok = !d || d->next_us <= wall_us() + HINT_US;
	if (!ok)
		*retry_at = (d->next_us + 999999) / 1000000;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

/* Grants domain's row a send at at_us unless one was granted less than a
 * period before: one statement, atomic on both engines. */
static const char *const DOMAIN_SQL =
        "INSERT INTO send_slots(scope, at_us) VALUES (?1, ?2) "
        "ON CONFLICT(scope) DO UPDATE SET at_us = excluded.at_us "
        "WHERE send_slots.at_us + ?3 <= excluded.at_us RETURNING at_us";

bool nl_throttle_domain(struct nl_throttle *t, struct db *db, const char *domain, int64_t at_us,
                        int64_t *retry_at)
{
	pthread_mutex_lock(&t->mu);
	struct dom_rate *d = find_domain(t, domain);
	char scope[80];
	int64_t period = d ? (WINDOW_US + d->per_sec - 1) / d->per_sec : 0;
	if (d)
		snprintf(scope, sizeof(scope), "domain:%s", d->name);
	pthread_mutex_unlock(&t->mu);
	if (!period)
		return true;
	int64_t last = 0;
	bool ok = false;
	struct db_stmt *st = NULL;
	if (db_preparef(db, &st, DOMAIN_SQL, "tii", scope, at_us, period) == JM_OK) {
		ok = db_step(st) == JM_OK;
		db_finalize(st);
	}
	if (ok)
		last = at_us;
	else if (db_query_int(db, &last, 0, "SELECT at_us FROM send_slots WHERE scope = ?", "t",
	                      scope) != JM_OK)
		last = at_us; /* unknown: try again a period later */
	pthread_mutex_lock(&t->mu);
	if ((d = find_domain(t, domain)) != NULL)
		d->next_us = last + period;
	pthread_mutex_unlock(&t->mu);
	if (!ok)
		*retry_at = (last + period + 999999) / 1000000;
	return ok;
}

static int64_t count_since(struct db *db, int64_t since)
{
	int64_t n = 0;
	if (db_query_int(db, &n, 0, "SELECT count(*) FROM deliveries WHERE sent_at >= ?", "i",
	                 since) != JM_OK)
		return INT64_MAX / 2; /* unknown: claim nothing rather than overrun */
	return n;
}

int64_t nl_throttle_cap_room(struct db *db, int cap_hour, int cap_day, int64_t now)
{
	if (cap_hour <= 0 && cap_day <= 0)
		return INT64_MAX;
	/* The count and the claim after it must not interleave with another
	 * worker's: SQLite's BEGIN IMMEDIATE already serialises claims;
	 * PostgreSQL's READ COMMITTED needs the caps row locked until commit. */
	int64_t one = 0;
	if (db_query_int(db, &one, 0,
	                 DB_SQL(db, "SELECT 1 FROM send_slots WHERE scope = 'caps'",
	                        "SELECT 1 FROM send_slots WHERE scope = 'caps' FOR UPDATE"),
	                 "") != JM_OK)
		return 0;
	int64_t inflight = 0;
	if (db_query_int(db, &inflight, 0,
	                 "SELECT count(*) FROM deliveries WHERE state = 'sending'", "") != JM_OK)
		return 0;
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
