/*
 * delivery_int.h — internals shared by the delivery queue (queue.c), the
 * throttles (throttle.c), message rendering (render.c) and the worker
 * threads (worker.c). Nothing outside src/newsletter/ includes this.
 *
 * The life of a delivery row: queued → sending (claimed by one sender
 * thread, attempts + 1) → sent | failed | back to queued (4xx: with a
 * backoff; a throttled domain: at the next allowed second, not counted as
 * an attempt) | cancelled (the subscription is no longer active).
 *
 * Several worker processes (on several machines, PostgreSQL) may share the
 * queue. Each registers a row in send_workers and renews its lease every
 * few seconds; a claimed row carries its worker's id (claimed_by) and only
 * that worker records its result. Rows of a worker whose lease expired
 * (killed, machine gone) go back to 'queued', so those few messages may go
 * out twice and no recipient is skipped; a live worker's rows are never
 * taken. On SQLite one worker process owns the database, so at its start
 * every row left 'sending' is a dead predecessor's and is reset at once.
 */
#ifndef JM_NL_DELIVERY_INT_H
#define JM_NL_DELIVERY_INT_H

#include <stdatomic.h>

#include "core/core.h"

struct db;
struct mail_dkim;

/* A snapshot of the mail settings (values in the loader's arena). */
struct nl_mail_cfg {
	const char *from_name, *from_addr, *reply_to, *postal, *contact, *return_path;
	const char *smtp_url, *smtp_user, *smtp_password;
	const char *domain_rates, *send_window, *dkim_domain, *dkim_selector;
	const char *base_url; /* no trailing slash */
	const char *host;     /* host part of base_url (List-Id, Message-ID fallback) */
	const char *site_title;
	const char *zone;    /* the site's IANA time zone (send_window is read in it) */
	const char *missing; /* the sender identity's empty settings, or NULL: while
	                        set, no broadcast is claimed and mail carrying the
	                        legal footer is refused (nl_render: JM_CONFLICT) */
	int conns, rate, cap_hour, cap_day;
	bool iso_carriers;
};

/* One claimed delivery and, after sending, its outcome. */
struct nl_job {
	int64_t id, broadcast_id, subscription_id, person_id, attempts;
	const char *kind, *to_addr, *domain, *payload;
	enum jm_rc result; /* JM_OK sent; JM_SMTP_TEMP retry; JM_NOT_FOUND cancel;
	                      JM_DONE put back (throttled, not an attempt); else failed */
	int64_t retry_at;  /* for JM_DONE */
	int64_t sent_ms;   /* JM_OK: when the send was granted (ms, the database's clock) */
	int code;
	char reply[200];
	/* The subscription as the claim read it (PostgreSQL claims return it,
	 * saving render.c a query per message): sub_found false = gone. */
	bool sub_loaded, sub_found;
	int64_t sub_list;
	const char *sub_status, *sub_name, *sub_email;
};

/* The database's clock in microseconds since the epoch, for SQL text.
 * PostgreSQL's clock_timestamp() is the one clock workers on several
 * machines share (now() would be the transaction's start); SQLite's 'now'
 * is this machine's, stable within one statement. */
#define NL_SQLITE_CLOCK_US "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
#define NL_PG_CLOCK_US     "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"

/* ---- queue.c ---- */
/* Registers this worker process: *id for claims, lease_ms from now. */
enum jm_rc nl_queue_worker_add(struct db *db, const char *host, int64_t pid, int64_t lease_ms,
                               int64_t *id) JM_WUR;
/* Renews the lease (re-creating the row if it was removed meanwhile). */
enum jm_rc nl_queue_worker_renew(struct db *db, int64_t id, int64_t lease_ms) JM_WUR;
/* Removes the row of a worker that stopped cleanly. */
enum jm_rc nl_queue_worker_remove(struct db *db, int64_t id) JM_WUR;
/* At a worker's start: rows left 'sending' by workers that are gone go
 * back to 'queued' (SQLite: every such row; PostgreSQL: rows of expired
 * leases only, other workers may be live). */
enum jm_rc nl_queue_reset_inflight(struct db *db) JM_WUR;
/* Periodically (one worker at a time): rows of expired leases go back to
 * 'queued'; rows of workers gone for an hour are removed. */
enum jm_rc nl_queue_recover(struct db *db) JM_WUR;
/* Scheduler duties: due scheduled broadcasts start; started broadcasts are
 * expanded (one INSERT … SELECT); finished ones become 'sent'. */
enum jm_rc nl_queue_schedule(struct db *db, int64_t now) JM_WUR;

/* Where a sender thread's broadcast claims resume on PostgreSQL (queue.c,
 * BROADCAST_AFTER); zeroed at the start, then kept by nl_queue_claim. */
struct nl_claim_cursor {
	int64_t bid, after; /* broadcast; the highest id claimed in it */
	int64_t full_at;    /* when the whole queue was last scanned (unix s) */
};

struct nl_claim_opts {
	int64_t now;
	size_t batch;
	bool window_open; /* false: only transactional kinds are claimed */
	int cap_hour, cap_day;
	int64_t worker_id;              /* send_workers.id, recorded in claimed_by */
	struct nl_claim_cursor *cursor; /* the thread's own (may be NULL) */
};
/* Claims up to o->batch due rows atomically, kinds confirm/test/welcome
 * first: SQLite in one BEGIN IMMEDIATE transaction; PostgreSQL with
 * FOR UPDATE SKIP LOCKED, so workers never claim the same row and never
 * wait for each other (except while hourly/daily caps are counted). Jobs in
 * the arena. */
enum jm_rc nl_queue_claim(struct db *db, struct arena *a, const struct nl_claim_opts *o,
                          struct nl_job **out, size_t *n) JM_WUR;
/* Records every job's result in one transaction (only rows worker_id still
 * holds); retry_base_ms scales the backoff table (30 s, 2 min, 10 min, 1 h,
 * … for the default 30000). On PostgreSQL the sent rows take one statement
 * (a batch of only those: no transaction), the others one each. */
enum jm_rc nl_queue_record(struct db *db, struct nl_job *jobs, size_t n, int64_t now,
                           int64_t retry_base_ms, int64_t worker_id) JM_WUR;
/* Attempts after which a 4xx is final. */
#define NL_MAX_ATTEMPTS 8

/* ---- throttle.c ---- */
struct nl_throttle;
struct nl_throttle *nl_throttle_new(void);
/* Makes the schedule's shared rows (once per worker start; idempotent). */
enum jm_rc nl_throttle_init(struct db *db) JM_WUR;
void nl_throttle_free(struct nl_throttle *t);
/* rate: messages per second over every worker on the database (0 = no
 * limit); domain_rates: "domain=per_second,…", also over every worker.
 * Thread-safe. */
void nl_throttle_configure(struct nl_throttle *t, int rate, const char *domain_rates);
/* Reserves up to want sends in the shared schedule (table send_slots, on
 * db: the caller's own connection), waits until their slot begins and
 * returns how many (1..want) may go now, with *at_us the slot's start
 * (microseconds since the epoch, the database's clock) to record. 0 when
 * *stop became true while waiting. */
size_t nl_throttle_acquire(struct nl_throttle *t, struct db *db, size_t want, atomic_bool *stop,
                           int64_t *at_us);
/* True when some domain has a rate of its own. */
bool nl_throttle_has_domains(struct nl_throttle *t);
/* A hint before rendering, reserving nothing: false (with *retry_at, unix
 * seconds) when domain was last granted so recently that it cannot go in
 * the next second. */
bool nl_throttle_domain_free(struct nl_throttle *t, const char *domain, int64_t *retry_at);
/* Reserves one send to domain at at_us (from nl_throttle_acquire): true
 * when its rate allows it (or it has none); false with *retry_at. */
bool nl_throttle_domain(struct nl_throttle *t, struct db *db, const char *domain, int64_t at_us,
                        int64_t *retry_at);
/* How many more messages the hourly/daily caps allow now, counting
 * deliveries sent in the window and those in flight on every worker
 * (INT64_MAX = no cap). Call inside the claim transaction: on PostgreSQL
 * it locks the caps row until the claim commits, so two workers' claims
 * cannot both take the last room. */
int64_t nl_throttle_cap_room(struct db *db, int cap_hour, int cap_day, int64_t now);
/* "HH:MM-HH:MM" in local time (tz_offset_min); empty or invalid = open. A
 * window may wrap midnight ("21:00-06:00"). */
bool nl_window_open(const char *window, int tz_offset_min, int64_t now);
bool nl_window_valid(const char *window);
/* True when "d=n,d=n" parses (domains ≤ 32, n 1..1000). */
bool nl_domain_rates_valid(const char *s);

/* ---- render.c ---- */
struct nl_render_ctx {
	struct db *db;
	const struct nl_mail_cfg *cfg;
	const unsigned char *secret; /* 32 bytes */
	struct mail_dkim *dkim;      /* NULL: unsigned */
	int64_t now;
	void *cache; /* per-batch broadcast/list cache (render.c, in the arena) */
};
/* Builds (and signs) the message for j into msg. JM_NOT_FOUND: nothing to
 * send any more (subscription not active, broadcast gone); JM_CONFLICT: the
 * sender identity is incomplete (cfg->missing), the delivery waits; other
 * errors: the delivery fails with err's message. */
enum jm_rc nl_render(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                     struct buf *msg, struct jm_err *err) JM_WUR;
/* Envelope sender: return_path, else from_addr. */
const char *nl_envelope_from(const struct nl_mail_cfg *cfg);

/* ---- render_tx.c ---- */
struct mail_msg;
/* Fills m (already holding the sender, recipient and date) for the kinds
 * "notify" and "reply" from j->payload. JM_INVALID for a bad payload. */
enum jm_rc nl_render_tx(struct nl_render_ctx *c, struct arena *a, const struct nl_job *j,
                        struct mail_msg *m, struct jm_err *err) JM_WUR;

#endif
