/*
 * delivery_int.h — internals shared by the delivery queue (queue.c), the
 * throttles (throttle.c), message rendering (render.c) and the worker
 * threads (worker.c). Nothing outside src/newsletter/ includes this.
 *
 * The life of a delivery row: queued → sending (claimed by one sender
 * thread, attempts + 1) → sent | failed | back to queued (4xx: with a
 * backoff; a throttled domain: at the next allowed second, not counted as
 * an attempt) | cancelled (the subscription is no longer active). A worker
 * killed with rows in 'sending' resets them to 'queued' at its next start,
 * so those few messages may go out twice and no recipient is skipped.
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
	int code;
	char reply[200];
};

/* ---- queue.c ---- */
/* Rows left 'sending' by a killed worker go back to 'queued'. */
enum jm_rc nl_queue_reset_inflight(struct db *db) JM_WUR;
/* Scheduler duties: due scheduled broadcasts start; started broadcasts are
 * expanded (one INSERT … SELECT); finished ones become 'sent'. */
enum jm_rc nl_queue_schedule(struct db *db, int64_t now) JM_WUR;

struct nl_claim_opts {
	int64_t now;
	size_t batch;
	bool window_open; /* false: only transactional kinds are claimed */
	int cap_hour, cap_day;
};
/* Claims up to o->batch due rows atomically (BEGIN IMMEDIATE), kinds
 * confirm/test/welcome first. Jobs in the arena. */
enum jm_rc nl_queue_claim(struct db *db, struct arena *a, const struct nl_claim_opts *o,
                          struct nl_job **out, size_t *n) JM_WUR;
/* Records every job's result in one transaction; retry_base_ms scales the
 * backoff table (30 s, 2 min, 10 min, 1 h, … for the default 30000). */
enum jm_rc nl_queue_record(struct db *db, struct nl_job *jobs, size_t n, int64_t now,
                           int64_t retry_base_ms) JM_WUR;
/* Attempts after which a 4xx is final. */
#define NL_MAX_ATTEMPTS 8

/* ---- throttle.c ---- */
struct nl_throttle;
struct nl_throttle *nl_throttle_new(void);
void nl_throttle_free(struct nl_throttle *t);
/* rate: messages per second over all sender threads (0 = no limit);
 * domain_rates: "domain=per_second,…". Thread-safe; history is kept. */
void nl_throttle_configure(struct nl_throttle *t, int rate, const char *domain_rates);
/* Waits until at least one send is allowed and returns how many (1..want)
 * may go now; 0 when *stop became true while waiting. */
size_t nl_throttle_acquire(struct nl_throttle *t, size_t want, atomic_bool *stop);
/* True (and the slot reserved) when domain may be sent to now; false with
 * *retry_at (unix seconds) when its per-domain rate is used up. */
bool nl_throttle_domain(struct nl_throttle *t, const char *domain, int64_t *retry_at);
/* How many more messages the hourly/daily caps allow now, counting
 * deliveries sent in the window and those in flight (INT64_MAX = no cap).
 * Call inside the claim transaction. */
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
