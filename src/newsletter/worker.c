/*
 * worker.c — the delivery worker: one scheduler thread (scheduled
 * broadcasts start, started ones are expanded, finished ones marked sent)
 * and `threads` sender threads. Each thread has its own database
 * connection; each sender its own SMTP client (mail_smtp, libcurl multi
 * over smtp_connections connections, RFC 5321) and DKIM signer.
 *
 * A sender loops: reload the mail settings when their generation moved
 * (site_settings_gen: bumped by every save, in any process), checked
 * before each claim and again after it, so a batch claimed after a
 * settings save is always rendered with that save's settings; claim a batch
 * of due deliveries (queue.c) within the caps and the sending window; for
 * each, skip rendering when its domain is clearly busy, render and sign
 * (render.c); send in slices the shared schedule grants (throttle.c),
 * checking each message's domain rate at its slice's time; record the
 * results with the granted send times.
 * Sending and recording run on the sender's transmitter thread (own
 * database connection) while the sender claims and renders the next batch,
 * so building and SMTP overlap; at most one batch per sender is on the
 * wire unrecorded, as before. With per-domain rates the sender sends its
 * batches itself.
 *
 * While the sender identity the law requires (name, From address, postal
 * address, contact) is incomplete, broadcast mail is not claimed and
 * welcome/test mail is put back (render.c refuses it): the deliveries wait
 * and the broadcast says why (nl_broadcast.waiting).
 *
 * Several workers may share one PostgreSQL database (claims skip each
 * other's rows; the rate, caps and domain rates are held in the database
 * over all of them). Each registers in send_workers and a heartbeat thread
 * renews its lease; the scheduler duties (and taking back the rows of
 * workers whose lease expired) run in one worker at a time, the one holding
 * the cluster lock NL_SCHED_LOCK. On SQLite run one worker per database
 * (`serve` runs it, `jinmyaku worker` runs it alone): its start resets rows
 * a killed worker left in 'sending'. Stopping lets the batch in hand finish
 * (rows still waiting for the schedule are put back, not counted as
 * attempts).
 *
 * Hidden test knobs (environment): JINMYAKU_RETRY_BASE_MS scales the retry
 * backoff (default 30000: 30 s, 2 min, 10 min, 1 h …), JINMYAKU_WORKER_BATCH
 * sets the claim size (default 50), JINMYAKU_LEASE_MS the lease (default
 * 15000; renewed every fifth of it).
 */
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "db/db.h"
#include "mail/mail.h"
#include "newsletter/delivery_int.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

#define MISSING_RETRY 30 /* seconds before a refused welcome/test mail is tried again */
#define POLL_MS       200
#define SCHED_MS      500
#define DEFAULT_BATCH 50
#define DEFAULT_RETRY 30000
#define THREADS_MAX   16
#define DEFAULT_LEASE 15000
#define RECOVER_MS    2000
/* The cluster lock of the delivery scheduler ("jm" + family 0x10). */
#define NL_SCHED_LOCK 0x6a6d000010LL

struct nl_worker {
	char *db_url, *base_url, *smtp_url, *data_dir, *listen;
	unsigned char secret[32];
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct nl_throttle *throttle;
	int nthreads, started; /* sender threads configured / running */
	pthread_t tids[THREADS_MAX];
	pthread_t sched, beat;
	bool sched_started, beat_started;
	struct sender *senders;
	struct db *beat_db; /* the heartbeat thread's connection */
	int64_t id;         /* send_workers.id: this process's lease */
	int64_t retry_base_ms, lease_ms;
	size_t batch;
};

/* A claimed and rendered batch, everything in its arena. */
struct batch {
	struct arena *a;
	struct nl_job *jobs;
	size_t n, k; /* claimed; rendered (items/map/msgs) */
	struct mail_send *items;
	size_t *map;
	struct buf *msgs;
};

/* A sender's transmitter thread: sends and records one batch while the
 * sender claims and renders the next, so building and SMTP overlap. */
struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
	bool started, busy, quit;
	struct batch *next; /* handed over, not yet taken */
	struct db *db;      /* the transmitter's connection (recording) */
};

struct sender {
	struct nl_worker *w;
	struct db *db;
	struct pipe pipe;
	struct arena *cfg_arena;
	struct nl_mail_cfg cfg;
	int64_t cfg_gen; /* settings generation cfg was loaded at */
	struct mail_smtp *smtp;
	char smtp_key[1200];
	struct mail_dkim *dkim;
	char dkim_key[600];
	struct nl_claim_cursor cursor; /* where its broadcast claims resume (PostgreSQL) */
};

/* Sleeps up to ms, waking at once when the worker stops. */
static void nap(struct nl_worker *w, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	if (!atomic_load(&w->stop))
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
	pthread_mutex_unlock(&w->mu);
}

static int int_setting(struct db *db, struct arena *a, const char *key)
{
	long v = strtol(site_setting_get(db, a, key), NULL, 10);
	return v < 0 ? 0 : v > 1000000000L ? 1000000000 : (int)v;
}

/* "https://host:port/path" → "host". */
static const char *url_host(struct arena *a, const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t n = strcspn(p, ":/?#");
	return n ? arena_strndup(a, p, n) : "localhost";
}

static const char *base_url(struct sender *s, struct arena *a)
{
	struct nl_worker *w = s->w;
	const char *b = *w->base_url ? w->base_url : site_setting_get(s->db, a, "base_url");
	if (!*b)
		b = arena_sprintf(a, "http://%s", *w->listen ? w->listen : "127.0.0.1:8080");
	size_t n = strlen(b);
	while (n && b[n - 1] == '/')
		n--;
	return arena_strndup(a, b, n);
}

static void cfg_strings(struct sender *s, struct arena *a, struct nl_mail_cfg *c)
{
	struct db *db = s->db;
	c->from_name = site_setting_get(db, a, "mail_from_name");
	c->from_addr = site_setting_get(db, a, "mail_from_addr");
	c->reply_to = site_setting_get(db, a, "mail_reply_to");
	c->postal = site_setting_get(db, a, "sender_postal_address");
	c->contact = site_setting_get(db, a, "sender_contact");
	c->missing = nl_sender_missing(
	        a, (const char *const[4]){c->from_name, c->from_addr, c->postal, c->contact});
	c->return_path = site_setting_get(db, a, "return_path");
	c->smtp_url = *s->w->smtp_url ? s->w->smtp_url : site_setting_get(db, a, "smtp_url");
	c->smtp_user = site_setting_get(db, a, "smtp_user");
	c->smtp_password = site_setting_get(db, a, "smtp_password");
	c->domain_rates = site_setting_get(db, a, "domain_rates");
	c->send_window = site_setting_get(db, a, "send_window");
	c->dkim_domain = site_setting_get(db, a, "dkim_domain");
	c->dkim_selector = site_setting_get(db, a, "dkim_selector");
	c->site_title = site_setting_get(db, a, "title");
	c->zone = site_setting_get(db, a, "timezone");
	c->base_url = base_url(s, a);
	c->host = url_host(a, c->base_url);
	if (!*c->from_addr)
		c->from_addr = arena_sprintf(a, "noreply@%s", c->host);
}

static bool selector_ok(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* (Re)loads the DKIM key when domain or selector changed. The key is in
 * the database (auth/secret.c), shared by every node. */
static void dkim_refresh(struct sender *s)
{
	const struct nl_mail_cfg *c = &s->cfg;
	char key[sizeof(s->dkim_key)];
	snprintf(key, sizeof(key), "%s|%s", c->dkim_domain, c->dkim_selector);
	if (!strcmp(key, s->dkim_key))
		return;
	snprintf(s->dkim_key, sizeof(s->dkim_key), "%s", key);
	mail_dkim_free(s->dkim);
	s->dkim = NULL;
	if (!*c->dkim_domain || !selector_ok(c->dkim_selector))
		return;
	char name[100];
	snprintf(name, sizeof(name), "%s%s", AUTH_SECRET_DKIM, c->dkim_selector);
	struct buf pem;
	buf_init(&pem, AUTH_SECRET_MAX);
	struct jm_err err = {0};
	enum jm_rc rc = auth_secret_get(s->db, name, &pem);
	if (rc == JM_NOT_FOUND)
		log_at(LOG_WARN, "worker", "no dkim key for selector %s: mail goes out unsigned",
		       c->dkim_selector);
	else if (rc)
		s->dkim_key[0] = '\0'; /* a database error: try again next time */
	else if (mail_dkim_load_pem(pem.ptr, pem.len, c->dkim_domain, c->dkim_selector, &s->dkim,
	                            &err) != JM_OK)
		log_at(LOG_ERROR, "worker", "dkim key %s: %s", c->dkim_selector, err.msg);
	if (pem.ptr)
		memset(pem.ptr, 0, pem.len);
	buf_free(&pem);
}

static void smtp_refresh(struct sender *s)
{
	const struct nl_mail_cfg *c = &s->cfg;
	char key[sizeof(s->smtp_key)];
	snprintf(key, sizeof(key), "%s|%s|%s|%d", c->smtp_url, c->smtp_user, c->smtp_password,
	         c->conns);
	if (!strcmp(key, s->smtp_key))
		return;
	snprintf(s->smtp_key, sizeof(s->smtp_key), "%s", key);
	mail_smtp_free(s->smtp);
	s->smtp = NULL;
	if (!*c->smtp_url)
		return;
	s->smtp = mail_smtp_new(c->smtp_url, c->smtp_user, c->smtp_password, c->conns);
	if (!s->smtp)
		log_at(LOG_ERROR, "worker", "smtp_url is not usable; nothing is sent");
}

/* Waits until the transmitter holds no batch. */
static void pipe_drain(struct pipe *p)
{
	if (!p->started)
		return;
	pthread_mutex_lock(&p->mu);
	while (p->next || p->busy)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* Reloads the mail settings when their generation moved since the last
 * load (or on the first call). */
static void cfg_refresh(struct sender *s)
{
	int64_t gen = 0;
	if (site_settings_gen(s->db, &gen) != JM_OK && s->cfg_arena)
		return; /* busy for a moment: keep the settings in hand */
	if (s->cfg_arena && gen == s->cfg_gen)
		return;
	pipe_drain(&s->pipe); /* the batch in flight uses smtp and cfg strings */
	struct arena *a = arena_new(8192);
	struct nl_mail_cfg c = {0};
	cfg_strings(s, a, &c);
	c.conns = int_setting(s->db, a, "smtp_connections");
	c.conns = c.conns < 1 ? 1 : c.conns > 64 ? 64 : c.conns;
	c.rate = int_setting(s->db, a, "rate_per_sec");
	c.cap_hour = int_setting(s->db, a, "cap_per_hour");
	c.cap_day = int_setting(s->db, a, "cap_per_day");
	c.iso_carriers = !strcmp(site_setting_get(s->db, a, "iso2022jp_carriers"), "1");
	nl_throttle_configure(s->w->throttle, c.rate, c.domain_rates);
	if (c.missing && (!s->cfg_arena || !s->cfg.missing))
		log_at(LOG_WARN, "worker", "sender identity incomplete (%s): bulk mail waits",
		       c.missing);
	s->cfg = c;
	smtp_refresh(s);
	dkim_refresh(s);
	arena_free(s->cfg_arena); /* after the refreshes: they compare old keys only */
	s->cfg_arena = a;
	s->cfg_gen = gen;
}

/* Renders every job; jobs that cannot go now get their result set. */
static size_t prepare(struct sender *s, struct arena *a, struct nl_job *jobs, size_t n,
                      struct mail_send *items, size_t *map, struct buf *msgs)
{
	struct nl_render_ctx rc = {s->db, &s->cfg, s->w->secret, s->dkim, jm_now(), NULL};
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct nl_job *j = &jobs[i];
		struct jm_err err = {0};
		if (!nl_throttle_domain_free(s->w->throttle, j->domain, &j->retry_at)) {
			j->result = JM_DONE;
			continue;
		}
		enum jm_rc r = nl_render(&rc, a, j, &msgs[k], &err);
		if (r == JM_CONFLICT) { /* sender identity incomplete: wait */
			buf_free(&msgs[k]);
			j->result = JM_DONE;
			j->retry_at = rc.now + MISSING_RETRY;
			continue;
		}
		if (r) {
			j->result = r == JM_NOT_FOUND ? JM_NOT_FOUND : JM_INVALID;
			snprintf(j->reply, sizeof(j->reply), "%.190s",
			         err.msg[0] ? err.msg : "render failed");
			buf_free(&msgs[k]);
			continue;
		}
		items[k] = (struct mail_send){.from = nl_envelope_from(&s->cfg),
		                              .rcpt = j->to_addr,
		                              .data = msgs[k].ptr,
		                              .len = msgs[k].len};
		map[k++] = i;
	}
	return k;
}

static void take_result(struct nl_job *j, const struct mail_send *it)
{
	j->result = it->rc == JM_OK || it->rc == JM_SMTP_PERM ? it->rc : JM_SMTP_TEMP;
	j->code = it->code;
	snprintf(j->reply, sizeof(j->reply), "%s", it->reply);
}

/* Keeps at the front of items[0..g) the messages whose domain rate allows
 * a send at at_us (map moves with them); the others go back to the queue.
 * Returns how many stay. */
static size_t domain_filter(struct sender *s, struct db *db, struct nl_job *jobs,
                            struct mail_send *items, size_t *map, size_t g, int64_t at_us)
{
	size_t m = 0;
	for (size_t x = 0; x < g; x++) {
		struct nl_job *j = &jobs[map[x]];
		if (!nl_throttle_domain(s->w->throttle, db, j->domain, at_us, &j->retry_at)) {
			j->result = JM_DONE;
			continue;
		}
		struct mail_send it = items[m];
		size_t mp = map[m];
		items[m] = items[x];
		map[m] = map[x];
		items[x] = it;
		map[x] = mp;
		m++;
	}
	return m;
}

/* Sends the k prepared items in slices the shared schedule grants (on db,
 * the caller's connection). */
static void transmit(struct sender *s, struct db *db, struct nl_job *jobs, struct mail_send *items,
                     size_t *map, size_t k)
{
	bool domains = nl_throttle_has_domains(s->w->throttle);
	size_t i = 0;
	while (i < k) {
		int64_t at_us = 0;
		size_t g = nl_throttle_acquire(s->w->throttle, db, k - i, &s->w->stop, &at_us);
		if (g == 0)
			break;
		size_t m = domains ? domain_filter(s, db, jobs, items + i, map + i, g, at_us) : g;
		if (m && mail_smtp_send(s->smtp, items + i, m) != JM_OK) {
			for (size_t x = i; x < i + m; x++) {
				items[x].rc = JM_SMTP_TEMP;
				if (!items[x].reply[0])
					snprintf(items[x].reply, sizeof(items[x].reply),
					         "no SMTP connection");
			}
		}
		for (size_t x = i; x < i + m; x++) {
			take_result(&jobs[map[x]], &items[x]);
			jobs[map[x]].sent_ms = at_us / 1000;
		}
		i += g;
	}
	for (; i < k; i++) { /* stopping: back to the queue, not an attempt */
		jobs[map[i]].result = JM_DONE;
		jobs[map[i]].retry_at = 0;
	}
}

/* Renders the n claimed jobs into a batch held by arena a. */
static struct batch *build_batch(struct sender *s, struct arena *a, struct nl_job *jobs, size_t n)
{
	struct batch *b = arena_calloc(a, sizeof(*b));
	b->a = a;
	b->jobs = jobs;
	b->n = n;
	b->items = arena_calloc(a, n * sizeof(*b->items));
	b->map = arena_calloc(a, n * sizeof(*b->map));
	b->msgs = arena_calloc(a, n * sizeof(*b->msgs));
	b->k = prepare(s, a, jobs, n, b->items, b->map, b->msgs);
	return b;
}

static void record(struct sender *s, struct db *db, struct nl_job *jobs, size_t n)
{
	/* The database may be busy for a moment: the results must not be lost,
	 * or the rows would wait for the next start in 'sending'. */
	for (int tries = 0; tries < 20; tries++) {
		if (nl_queue_record(db, jobs, n, jm_now(), s->w->retry_base_ms, s->w->id) == JM_OK)
			return;
		log_at(LOG_WARN, "worker", "recording results failed, retrying");
		nap(s->w, 250);
	}
	log_at(LOG_ERROR, "worker", "results of %zu deliveries not recorded", n);
}

/* Sends a batch, records its results on db and frees it. */
static void finish_batch(struct sender *s, struct db *db, struct batch *b)
{
	transmit(s, db, b->jobs, b->items, b->map, b->k);
	for (size_t i = 0; i < b->k; i++)
		buf_free(&b->msgs[i]);
	record(s, db, b->jobs, b->n);
	arena_free(b->a);
}

static void *pipe_main(void *arg)
{
	struct sender *s = arg;
	struct pipe *p = &s->pipe;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->next && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!p->next)
			break;
		struct batch *b = p->next;
		p->next = NULL;
		p->busy = true;
		pthread_mutex_unlock(&p->mu);
		finish_batch(s, p->db, b);
		pthread_mutex_lock(&p->mu);
		p->busy = false;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hands b to the transmitter once it has taken the previous batch. */
static void pipe_put(struct pipe *p, struct batch *b)
{
	pthread_mutex_lock(&p->mu);
	while (p->next)
		pthread_cond_wait(&p->cv, &p->mu);
	p->next = b;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void pipe_start(struct sender *s)
{
	struct pipe *p = &s->pipe;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->started = p->db && pthread_create(&p->tid, NULL, pipe_main, s) == 0;
}

/* Lets the transmitter finish its batches, then ends it. */
static void pipe_stop(struct pipe *p)
{
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->quit = true;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->tid, NULL);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

/* One claim-send-record round; false when there was nothing to do. */
static bool round_once(struct sender *s)
{
	const struct nl_mail_cfg *c = &s->cfg;
	int64_t now = jm_now();
	/* With a rate limit a thread claims at most one second of sending, so
	 * a confirmation queued meanwhile never waits behind a long batch. */
	size_t batch = s->w->batch;
	if (c->rate > 0 && (size_t)c->rate < batch)
		batch = (size_t)c->rate;
	struct nl_claim_opts o = {
	        .now = now,
	        .batch = batch,
	        .window_open = !c->missing &&
	                       nl_window_open(c->send_window, jm_tz_offset(c->zone, now), now),
	        .cap_hour = c->cap_hour,
	        .cap_day = c->cap_day,
	        .worker_id = s->w->id,
	        .cursor = &s->cursor,
	};
	struct arena *a = arena_new(65536);
	struct nl_job *jobs = NULL;
	size_t n = 0;
	enum jm_rc rc = nl_queue_claim(s->db, a, &o, &jobs, &n);
	if (rc)
		log_at(LOG_WARN, "worker", "claim failed: %s", jm_rc_name(rc));
	if (rc || !n) {
		arena_free(a);
		return false;
	}
	/* A save committed before these rows were queued is seen now. */
	cfg_refresh(s);
	struct batch *b = build_batch(s, a, jobs, n);
	/* Per-domain rates are granted while rendering: with them the batch
	 * goes out at once, so a grant is never a whole batch ahead. */
	if (s->pipe.started && !*c->domain_rates)
		pipe_put(&s->pipe, b);
	else
		finish_batch(s, s->db, b);
	return true;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	pipe_start(s);
	while (!atomic_load(&s->w->stop)) {
		cfg_refresh(s);
		if (!s->smtp || !round_once(s))
			nap(s->w, POLL_MS);
	}
	pipe_stop(&s->pipe);
	return NULL;
}

/* The scheduler duties run in one worker of the cluster at a time: the
 * one whose connection holds NL_SCHED_LOCK (a worker that dies releases
 * it with its connection, and the next pass of another takes it). */
static void *sched_main(void *arg)
{
	struct sender *s = arg; /* only its db is used */
	int64_t last_recover = 0;
	while (!atomic_load(&s->w->stop)) {
		if (db_try_lock(s->db, NL_SCHED_LOCK)) {
			enum jm_rc rc = nl_queue_schedule(s->db, jm_now());
			if (rc)
				log_at(LOG_WARN, "worker", "scheduler: %s", jm_rc_name(rc));
			if (jm_now_ms() - last_recover >= RECOVER_MS) {
				last_recover = jm_now_ms();
				if ((rc = nl_queue_recover(s->db)))
					log_at(LOG_WARN, "worker", "recovery: %s", jm_rc_name(rc));
			}
		}
		nap(s->w, SCHED_MS);
	}
	return NULL;
}

/* Renews this process's lease every fifth of it, on a connection of its
 * own so a long scheduler pass or a slow send never lets it lapse. */
static void *beat_main(void *arg)
{
	struct nl_worker *w = arg;
	while (!atomic_load(&w->stop)) {
		nap(w, (int)(w->lease_ms / 5));
		if (atomic_load(&w->stop))
			break;
		if (nl_queue_worker_renew(w->beat_db, w->id, w->lease_ms) != JM_OK)
			log_at(LOG_WARN, "worker", "worker=%lld lease not renewed",
			       (long long)w->id);
	}
	return NULL;
}

static struct nl_worker *worker_new(const struct nl_worker_opts *o);
static void worker_free(struct nl_worker *w);

/* ---- a test mail through the relay (the settings page's button) ---- */

/* The test message from the current settings into msg. */
static enum jm_rc test_message(struct sender *s, struct arena *a, const char *to, struct buf *msg,
                               struct jm_err *err)
{
	const struct nl_mail_cfg *c = &s->cfg;
	const char *at = strrchr(c->from_addr, '@');
	struct mail_msg m = {
	        .from_name = *c->from_name ? c->from_name : c->site_title,
	        .from_addr = c->from_addr,
	        .reply_to = *c->reply_to ? c->reply_to : NULL,
	        .to_addr = to,
	        .subject = "テストメール / Test mail (jinmyaku)",
	        .text = arena_sprintf(a,
	                              "jinmyaku の送信設定から送ったテストメールです。\n"
	                              "This is a test mail sent with jinmyaku's relay settings.\n\n"
	                              "%s\n",
	                              c->base_url),
	        .message_id_domain = at ? at + 1 : c->host,
	        .date = jm_now(),
	};
	buf_init(msg, 1 << 20);
	enum jm_rc rc = mail_build(&m, msg, err);
	if (!rc && s->dkim)
		rc = mail_dkim_sign(s->dkim, msg, err);
	return rc;
}

enum jm_rc nl_relay_test(const struct nl_worker_opts *o, const char *to, char reply[256],
                         struct jm_err *err)
{
	reply[0] = '\0';
	struct nl_worker_opts one = *o;
	one.threads = 1;
	struct nl_worker *w = worker_new(&one);
	struct sender *s = &w->senders[0];
	struct arena *a = arena_new(4096);
	struct buf msg = BUF_INIT;
	enum jm_rc rc = db_open(w->db_url, &s->db, err);
	if (rc)
		goto out;
	cfg_refresh(s); /* also opens the relay and loads the DKIM key */
	if (!s->smtp) {
		jm_err_set(err, "smtp_url",
		           *s->cfg.smtp_url ? "smtp_url is not usable" : "smtp_url is not set");
		rc = JM_INVALID;
		goto out;
	}
	if ((rc = test_message(s, a, to, &msg, err)))
		goto out;
	struct mail_send it = {
	        .from = nl_envelope_from(&s->cfg), .rcpt = to, .data = msg.ptr, .len = msg.len};
	rc = mail_smtp_send(s->smtp, &it, 1);
	if (!rc)
		rc = it.rc;
	snprintf(reply, 256, "%s", it.reply);
out:
	buf_free(&msg);
	arena_free(a);
	worker_free(w);
	return rc;
}

/* ---- start and stop ---- */

static int64_t env_int(const char *name, int64_t def, int64_t lo, int64_t hi)
{
	const char *v = getenv(name);
	char *end = NULL;
	long long n = v ? strtoll(v, &end, 10) : 0;
	if (!v || !*v || *end || n < lo || n > hi)
		return def;
	return n;
}

static void worker_free(struct nl_worker *w)
{
	for (int i = 0; w->senders && i <= w->nthreads; i++) {
		struct sender *s = &w->senders[i];
		mail_smtp_free(s->smtp);
		mail_dkim_free(s->dkim);
		arena_free(s->cfg_arena);
		db_close(s->db);
		db_close(s->pipe.db);
	}
	db_close(w->beat_db);
	free(w->senders);
	nl_throttle_free(w->throttle);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->db_url);
	free(w->base_url);
	free(w->smtp_url);
	free(w->data_dir);
	free(w->listen);
	free(w);
}

static struct nl_worker *worker_new(const struct nl_worker_opts *o)
{
	struct nl_worker *w = xcalloc(1, sizeof(*w));
	w->db_url = xstrdup(o->db_url);
	w->base_url = xstrdup(o->base_url ? o->base_url : "");
	w->smtp_url = xstrdup(o->smtp_url ? o->smtp_url : "");
	w->data_dir = xstrdup(o->data_dir ? o->data_dir : ".");
	w->listen = xstrdup(o->listen ? o->listen : "");
	memcpy(w->secret, o->secret, sizeof(w->secret));
	w->nthreads = o->threads > 0 ? (o->threads > THREADS_MAX ? THREADS_MAX : o->threads) : 2;
	w->retry_base_ms = env_int("JINMYAKU_RETRY_BASE_MS", DEFAULT_RETRY, 1, 3600000);
	w->batch = (size_t)env_int("JINMYAKU_WORKER_BATCH", DEFAULT_BATCH, 1, 1000);
	w->lease_ms = env_int("JINMYAKU_LEASE_MS", DEFAULT_LEASE, 1000, 3600000);
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->throttle = nl_throttle_new();
	w->senders = xcalloc((size_t)w->nthreads + 1, sizeof(*w->senders));
	for (int i = 0; i <= w->nthreads; i++)
		w->senders[i].w = w;
	return w;
}

/* Creates the threads with SIGINT/SIGTERM blocked, so stop signals always
 * reach the thread that waits for them (http's or `worker`'s main). */
static void spawn(struct nl_worker *w)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	while (w->started < w->nthreads && pthread_create(&w->tids[w->started], NULL, sender_main,
	                                                  &w->senders[w->started]) == 0)
		w->started++;
	if (w->started == w->nthreads &&
	    pthread_create(&w->sched, NULL, sched_main, &w->senders[w->nthreads]) == 0)
		w->sched_started = true;
	if (w->sched_started && pthread_create(&w->beat, NULL, beat_main, w) == 0)
		w->beat_started = true;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Takes a lease for this process, then puts back rows of workers gone. */
static enum jm_rc register_worker(struct nl_worker *w)
{
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	struct db *db = w->beat_db;
	enum jm_rc rc = nl_throttle_init(db);
	if (!rc)
		rc = nl_queue_worker_add(db, host, (int64_t)getpid(), w->lease_ms, &w->id);
	if (!rc && w->id <= 0)
		rc = JM_DB;
	if (!rc)
		rc = nl_queue_reset_inflight(db);
	return rc;
}

enum jm_rc nl_worker_start(const struct nl_worker_opts *o, struct nl_worker **out,
                           struct jm_err *err)
{
	*out = NULL;
	struct nl_worker *w = worker_new(o);
	enum jm_rc rc = JM_OK;
	for (int i = 0; i <= w->nthreads && !rc; i++)
		rc = db_open(w->db_url, &w->senders[i].db, err);
	for (int i = 0; i < w->nthreads && !rc; i++)
		rc = db_open(w->db_url, &w->senders[i].pipe.db, err);
	if (!rc)
		rc = db_open(w->db_url, &w->beat_db, err);
	if (!rc)
		rc = register_worker(w);
	if (rc) {
		if (!err || !err->msg[0])
			jm_err_set(err, "db", "the delivery worker cannot use the database");
		worker_free(w);
		return rc;
	}
	spawn(w);
	if (!w->beat_started) {
		nl_worker_stop(w);
		jm_err_set(err, NULL, "cannot start the delivery worker threads");
		return JM_NOMEM;
	}
	log_at(LOG_INFO, "worker", "started worker=%lld threads=%d batch=%zu", (long long)w->id,
	       w->nthreads, w->batch);
	*out = w;
	return JM_OK;
}

void nl_worker_stop(struct nl_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->stop, true);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->started; i++)
		pthread_join(w->tids[i], NULL);
	if (w->sched_started)
		pthread_join(w->sched, NULL);
	if (w->beat_started)
		pthread_join(w->beat, NULL);
	/* Every batch was recorded: nothing of this worker is in flight. */
	if (w->id && nl_queue_worker_remove(w->beat_db, w->id) != JM_OK)
		log_at(LOG_WARN, "worker", "worker=%lld not unregistered", (long long)w->id);
	log_at(LOG_INFO, "worker", "stopped");
	worker_free(w);
}
