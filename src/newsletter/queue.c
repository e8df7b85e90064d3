/*
 * queue.c — the one delivery queue (table deliveries) as the worker uses
 * it: reset after a crash, broadcast scheduling and expansion, atomic
 * claiming and recording of results with retry backoff and bounces.
 *
 * Invariants:
 *  - a row is 'sending' only while one sender thread holds it (claimed_by
 *    names its worker process). SQLite claims in one BEGIN IMMEDIATE
 *    transaction; PostgreSQL selects the rows FOR UPDATE SKIP LOCKED and
 *    marks them in the same statement, so two threads or worker processes
 *    never claim the same row and never wait for each other;
 *  - a row goes back from 'sending' to 'queued' only when its worker's
 *    lease has expired (or, on SQLite, when the one worker process
 *    restarts), and a result is recorded only by the worker holding the
 *    row: a live worker's in-flight rows are never taken over;
 *  - a broadcast's audience is inserted by one INSERT … SELECT (the
 *    database streams it; the worker never holds the audience in memory);
 *    ON CONFLICT DO NOTHING with UNIQUE(broadcast_id, person_id) makes a
 *    repeated expansion harmless;
 *  - transactional kinds (every kind but 'broadcast': confirm, welcome,
 *    test) are claimed first and also outside the sending window: they
 *    answer something a person just did and must not wait behind a large
 *    broadcast or until morning.
 */
#include "db/db.h"
#include "newsletter/delivery_int.h"
#include "newsletter/nl_int.h"

#define EXPAND_MAX 16 /* broadcasts expanded per scheduler pass */

/* ---- worker leases (send_workers; times in ms on the database's clock) ---- */

#define LEASE_ADD_SQL(CLOCK)                                                                       \
	"INSERT INTO send_workers(host, pid, started_at, lease_until) "                            \
	"VALUES (?1, ?2, " CLOCK " / 1000, " CLOCK " / 1000 + ?3) RETURNING id"
#define LEASE_RENEW_SQL(CLOCK)                                                                     \
	"UPDATE send_workers SET lease_until = " CLOCK " / 1000 + ?1 WHERE id = ?2"
#define LEASE_READD_SQL(CLOCK)                                                                     \
	"INSERT INTO send_workers(id, started_at, lease_until) "                                   \
	"VALUES (?1, " CLOCK " / 1000, " CLOCK " / 1000 + ?2) ON CONFLICT(id) DO NOTHING"
/* Rows held by no live lease (NULL: claimed before migration 0014). */
#define EXPIRED_SQL(CLOCK)                                                                         \
	"UPDATE deliveries SET state = 'queued', claimed_by = NULL WHERE state = 'sending' "       \
	"AND (claimed_by IS NULL OR claimed_by NOT IN (SELECT id FROM send_workers "               \
	"WHERE lease_until >= " CLOCK " / 1000))"
#define GONE_SQL(CLOCK) "DELETE FROM send_workers WHERE lease_until < " CLOCK " / 1000 - 3600000"

/* The texts of each pair differ only in the clock expression. */
enum jm_rc nl_queue_worker_add(struct db *db, const char *host, int64_t pid, int64_t lease_ms,
                               int64_t *id)
{
	return db_query_int(
	        db, id, 0,
	        DB_SQL(db, LEASE_ADD_SQL(NL_SQLITE_CLOCK_US), LEASE_ADD_SQL(NL_PG_CLOCK_US)), "tii",
	        host, pid, lease_ms);
}

enum jm_rc nl_queue_worker_renew(struct db *db, int64_t id, int64_t lease_ms)
{
	enum jm_rc rc = db_execf(
	        db,
	        DB_SQL(db, LEASE_RENEW_SQL(NL_SQLITE_CLOCK_US), LEASE_RENEW_SQL(NL_PG_CLOCK_US)),
	        "ii", lease_ms, id);
	if (rc || db_changes(db) > 0)
		return rc;
	/* Removed as gone (this process was stopped longer than an hour): its
	 * rows went back to the queue; from now on it holds a lease again. */
	log_at(LOG_WARN, "worker", "worker=%lld lease lost, renewed", (long long)id);
	return db_execf(
	        db,
	        DB_SQL(db, LEASE_READD_SQL(NL_SQLITE_CLOCK_US), LEASE_READD_SQL(NL_PG_CLOCK_US)),
	        "ii", id, lease_ms);
}

enum jm_rc nl_queue_worker_remove(struct db *db, int64_t id)
{
	return db_execf(db, "DELETE FROM send_workers WHERE id = ?", "i", id);
}

static enum jm_rc requeued(struct db *db, enum jm_rc rc, const char *why)
{
	int64_t n = rc ? 0 : db_changes(db);
	if (n > 0)
		log_at(LOG_WARN, "worker", "requeued=%lld in-flight deliveries of %s", (long long)n,
		       why);
	return rc;
}

enum jm_rc nl_queue_reset_inflight(struct db *db)
{
	/* SQLite has one worker process per database, so at its start every
	 * 'sending' row is a dead predecessor's; on PostgreSQL other workers
	 * may be sending right now: only rows of expired leases. */
	enum jm_rc rc = db_execf(db,
	                         DB_SQL(db,
	                                "UPDATE deliveries SET state = 'queued', claimed_by = NULL "
	                                "WHERE state = 'sending'",
	                                EXPIRED_SQL(NL_PG_CLOCK_US)),
	                         "");
	return requeued(db, rc, "a stopped worker");
}

enum jm_rc nl_queue_recover(struct db *db)
{
	enum jm_rc rc = db_execf(
	        db, DB_SQL(db, EXPIRED_SQL(NL_SQLITE_CLOCK_US), EXPIRED_SQL(NL_PG_CLOCK_US)), "");
	if ((rc = requeued(db, rc, "workers whose lease expired")))
		return rc;
	return db_execf(db, DB_SQL(db, GONE_SQL(NL_SQLITE_CLOCK_US), GONE_SQL(NL_PG_CLOCK_US)), "");
}

/* The recipient's domain: NL_DOMAIN_SQLITE or NL_DOMAIN_PG (nl_int.h). */
#define EXPAND_SQL(DOMAIN)                                                                         \
	"INSERT INTO deliveries(kind, broadcast_id, subscription_id, person_id, to_addr, domain, " \
	"created_at) "                                                                             \
	"SELECT 'broadcast', ?, s.id, p.id, p.email, " DOMAIN ", ? "                               \
	"FROM subscriptions s JOIN people p ON p.id = s.person_id "                                \
	"WHERE s.list_id = ? AND s.status = 'active' AND p.email IS NOT NULL AND p.blocked = 0 "   \
	"AND (p.freeloader = 0 OR ? = 0) "                                                         \
	"AND (NOT EXISTS (SELECT 1 FROM audience_terms a WHERE a.broadcast_id = ? "                \
	"                 AND a.kind = 'tag_any') "                                                \
	"  OR EXISTS (SELECT 1 FROM audience_terms a JOIN person_tags t ON t.tag = a.value "       \
	"             WHERE a.broadcast_id = ? AND a.kind = 'tag_any' AND t.person_id = p.id)) "   \
	"AND NOT EXISTS (SELECT 1 FROM audience_terms a JOIN person_tags t ON t.tag = a.value "    \
	"                WHERE a.broadcast_id = ? AND a.kind = 'tag_none' "                        \
	"                AND t.person_id = p.id) "                                                 \
	"AND NOT EXISTS (SELECT 1 FROM audience_terms a WHERE a.broadcast_id = ? "                 \
	"                AND a.kind = 'field_eq' AND NOT EXISTS (SELECT 1 FROM person_fields f "   \
	"                WHERE f.person_id = p.id AND f.key = a.key AND f.value = a.value)) "      \
	"AND NOT EXISTS (SELECT 1 FROM audience_terms a JOIN person_fields f "                     \
	"                ON f.key = a.key AND f.value = a.value WHERE a.broadcast_id = ? "         \
	"                AND a.kind = 'field_ne' AND f.person_id = p.id) "                         \
	"ON CONFLICT DO NOTHING"

/* An ask's audience leaves freeloaders (クレクレ) out by default (issue
 * 11): 1 when the broadcast carries {{form:SLUG}} (spaces and a fallback
 * allowed) of an ask whose include_freeloaders is 0. The forms table is
 * only read here. */
static enum jm_rc ask_without_freeloaders(struct db *db, int64_t id, int64_t *out)
{
	return db_query_int(db, out, 0,
	                    "SELECT 1 FROM broadcasts b JOIN forms f ON f.kind = 'ask' AND "
	                    "f.include_freeloaders = 0 WHERE b.id = ? AND ("
	                    "(b.subject || b.body_md) LIKE ('%form:' || f.slug || '}}%') OR "
	                    "(b.subject || b.body_md) LIKE ('%form:' || f.slug || '|%') OR "
	                    "(b.subject || b.body_md) LIKE ('%form:' || f.slug || ' %')) LIMIT 1",
	                    "i", id);
}

/* Expands one broadcast in its own transaction (skipped when it is no
 * longer 'sending' or was expanded meanwhile). */
static enum jm_rc expand(struct db *db, int64_t id, int64_t now)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_preparef(db, &st,
	                 "SELECT list_id FROM broadcasts "
	                 "WHERE id = ? AND status = 'sending' AND expanded = 0",
	                 "i", id);
	if (!rc) {
		rc = db_step(st);
		int64_t list = rc == JM_OK ? db_col_int(st, 0) : 0, no_free = 0;
		db_finalize(st);
		if (rc == JM_OK)
			rc = ask_without_freeloaders(db, id, &no_free);
		if (rc == JM_OK)
			rc = db_execf(
			        db,
			        DB_SQL(db, EXPAND_SQL(NL_DOMAIN_SQLITE), EXPAND_SQL(NL_DOMAIN_PG)),
			        "iiiiiiiii", id, now, list, no_free, id, id, id, id, id);
	}
	if (!rc)
		rc = db_execf(db,
		              "UPDATE broadcasts SET expanded = 1, total = (SELECT count(*) FROM "
		              "deliveries WHERE broadcast_id = ?) WHERE id = ?",
		              "ii", id, id);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return rc == JM_DONE ? JM_OK : rc;
	}
	log_at(LOG_INFO, "worker", "broadcast=%lld expanded", (long long)id);
	return JM_OK;
}

enum jm_rc nl_queue_schedule(struct db *db, int64_t now)
{
	enum jm_rc rc = db_execf(db,
	                         "UPDATE broadcasts SET status = 'sending', started_at = ?, "
	                         "expanded = 0 WHERE status = 'scheduled' AND scheduled_at <= ?",
	                         "ii", now, now);
	if (rc)
		return rc;
	int64_t ids[EXPAND_MAX];
	size_t n = 0;
	struct db_stmt *st = NULL;
	rc = db_prepare(db,
	                "SELECT id FROM broadcasts WHERE status = 'sending' AND expanded = 0 "
	                "ORDER BY id LIMIT 16",
	                &st);
	if (rc)
		return rc;
	while (n < EXPAND_MAX && (rc = db_step(st)) == JM_OK)
		ids[n++] = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_DONE && rc != JM_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = expand(db, ids[i], now)))
			return rc;
	return db_execf(db,
	                "UPDATE broadcasts SET status = 'sent', finished_at = ? "
	                "WHERE status = 'sending' AND expanded = 1 AND NOT EXISTS (SELECT 1 FROM "
	                "deliveries d WHERE d.broadcast_id = broadcasts.id "
	                "AND d.state IN ('queued', 'sending'))",
	                "i", now);
}

/* Claiming marks rows 'sending' and returns them in one statement per
 * source, so a row is never read after another worker could have taken
 * it. SQLite: the rows are chosen by a subquery naming its index (without
 * statistics SQLite picks deliveries_due (state, next_attempt_at) and sorts
 * every queued row of a large broadcast on each claim, which made a claim
 * O(queue) and a broadcast O(n^2); deliveries_broadcast (broadcast_id,
 * state) yields the rows in id order, the partial deliveries_tx_due holds
 * only the few transactional rows), the whole claim being one BEGIN
 * IMMEDIATE transaction. PostgreSQL: INDEXED BY does not exist there; the
 * rows are chosen FOR UPDATE SKIP LOCKED, so concurrent workers skip each
 * other's rows instead of waiting or claiming them twice (the planner takes
 * deliveries_tx_due and deliveries_broadcast_queue by itself). ?1 is the
 * claiming worker. */
#define CLAIM_SET                                                                                  \
	"UPDATE deliveries SET state = 'sending', attempts = attempts + 1, claimed_by = ?1 "
#define CLAIM_RETURNING                                                                            \
	" RETURNING id, kind, COALESCE(broadcast_id, 0), COALESCE(subscription_id, 0), "           \
	"COALESCE(person_id, 0), to_addr, domain, payload, attempts"
#define TX_DUE                                                                                     \
	"WHERE state = 'queued' AND kind <> 'broadcast' AND next_attempt_at <= ?2 "                \
	"ORDER BY kind = 'welcome', id LIMIT ?3"
#define BROADCAST_DUE                                                                              \
	"WHERE broadcast_id = ?2 AND state = 'queued' AND next_attempt_at <= ?3 "                  \
	"ORDER BY id LIMIT ?4"

static const char *const TX_CLAIM_SQLITE =
        CLAIM_SET "WHERE id IN (SELECT id FROM deliveries INDEXED BY deliveries_tx_due " TX_DUE
                  ")" CLAIM_RETURNING;
/* PostgreSQL also returns each row's subscription and person (a
 * data-modifying CTE, which SQLite lacks): rendering then needs no query
 * per message, where a round trip to the server costs far more than
 * SQLite's lookup in process (render.c looks it up when sub_loaded is
 * false). */
#define CLAIM_PG(DUE)                                                                              \
	"WITH c AS (SELECT id FROM deliveries " DUE " FOR UPDATE SKIP LOCKED), "                   \
	"u AS (" CLAIM_SET "WHERE id IN (SELECT id FROM c) RETURNING *) "                          \
	"SELECT u.id, u.kind, COALESCE(u.broadcast_id, 0), COALESCE(u.subscription_id, 0), "       \
	"COALESCE(u.person_id, 0), u.to_addr, u.domain, u.payload, u.attempts, "                   \
	"s.id IS NOT NULL, s.list_id, s.status, p.name, p.email FROM u "                           \
	"LEFT JOIN subscriptions s ON s.id = u.subscription_id "                                   \
	"LEFT JOIN people p ON p.id = s.person_id"
static const char *const TX_CLAIM_PG = CLAIM_PG(TX_DUE);
static const char *const BROADCAST_CLAIM_SQLITE = CLAIM_SET
        "WHERE id IN (SELECT id FROM deliveries INDEXED BY deliveries_broadcast " BROADCAST_DUE
        ")" CLAIM_RETURNING;
static const char *const BROADCAST_CLAIM_PG = CLAIM_PG(BROADCAST_DUE);
/* PostgreSQL keeps the index entries and row versions of claimed rows
 * until vacuum, and its generic plan walks the primary key in id order past
 * every row already sent: a claim cost O(rows sent), a broadcast O(n^2)
 * (12 ms a claim at 15,000 sent). So a thread resumes after the last id it
 * claimed in the broadcast (?5, struct nl_claim_cursor), and scans the
 * whole queue again only every CURSOR_FULL_S seconds or when the rows
 * after its cursor run out: rows put back below the cursor (a retry, a
 * throttled domain, an expired lease's) wait at most that long. */
#define BROADCAST_AFTER                                                                            \
	"WHERE broadcast_id = ?2 AND state = 'queued' AND next_attempt_at <= ?3 AND id > ?5 "      \
	"ORDER BY id LIMIT ?4"
static const char *const BROADCAST_AFTER_PG = CLAIM_PG(BROADCAST_AFTER);
#define CURSOR_FULL_S 5

/* Transactional rows first, welcome mail after the rest; then by id. */
static int job_cmp(const void *pa, const void *pb)
{
	const struct nl_job *a = pa, *b = pb;
	int wa = !strcmp(a->kind, "welcome"), wb = !strcmp(b->kind, "welcome");
	if (wa != wb)
		return wa - wb;
	return (a->id > b->id) - (a->id < b->id);
}

/* Reads the claimed rows st returns into jobs[*n…] (up to max), sorted
 * (RETURNING keeps no order); with_sub: the rows carry their subscription
 * (CLAIM_PG). */
static enum jm_rc collect(struct db_stmt *st, struct arena *a, struct nl_job *jobs, size_t *n,
                          size_t max, bool with_sub)
{
	size_t first = *n;
	enum jm_rc rc;
	while (*n < max && (rc = db_step(st)) == JM_OK) {
		struct nl_job *j = &jobs[(*n)++];
		memset(j, 0, sizeof(*j));
		j->id = db_col_int(st, 0);
		j->kind = db_col_dup(st, 1, a);
		j->broadcast_id = db_col_int(st, 2);
		j->subscription_id = db_col_int(st, 3);
		j->person_id = db_col_int(st, 4);
		j->to_addr = db_col_dup(st, 5, a);
		j->domain = db_col_dup(st, 6, a);
		j->payload = db_col_dup(st, 7, a);
		j->attempts = db_col_int(st, 8);
		if (with_sub) { /* CLAIM_PG */
			j->sub_loaded = true;
			j->sub_found = db_col_int(st, 9) != 0;
			j->sub_list = db_col_int(st, 10);
			j->sub_status = db_col_dup(st, 11, a);
			j->sub_name = db_col_dup(st, 12, a);
			j->sub_email = db_col_dup(st, 13, a);
		}
	}
	db_finalize(st);
	qsort(jobs + first, *n - first, sizeof(*jobs), job_cmp);
	return *n == max || rc == JM_DONE ? JM_OK : rc;
}

/* Claims due rows of broadcast bid into jobs: on PostgreSQL after the
 * thread's cursor first (BROADCAST_AFTER), then from the queue's start. */
static enum jm_rc claim_broadcast(struct db *db, struct arena *a, const struct nl_claim_opts *o,
                                  int64_t bid, struct nl_job *jobs, size_t *n, size_t max)
{
	bool pg = db_engine(db) == DB_PG;
	struct nl_claim_cursor *cur = pg ? o->cursor : NULL;
	if (cur && cur->bid != bid)
		*cur = (struct nl_claim_cursor){.bid = bid, .full_at = o->now};
	size_t first = *n;
	struct db_stmt *st = NULL;
	enum jm_rc rc = JM_OK;
	if (cur && cur->after > 0 && o->now - cur->full_at < CURSOR_FULL_S) {
		rc = db_preparef(db, &st, BROADCAST_AFTER_PG, "iiiii", o->worker_id, bid, o->now,
		                 (int64_t)(max - *n), cur->after);
		if (!rc)
			rc = collect(st, a, jobs, n, max, true);
	}
	if (!rc && *n < max) {
		if (cur)
			cur->full_at = o->now;
		rc = db_preparef(db, &st, DB_SQL(db, BROADCAST_CLAIM_SQLITE, BROADCAST_CLAIM_PG),
		                 "iiii", o->worker_id, bid, o->now, (int64_t)(max - *n));
		if (!rc)
			rc = collect(st, a, jobs, n, max, pg);
	}
	for (size_t i = first; cur && i < *n; i++)
		if (jobs[i].id > cur->after)
			cur->after = jobs[i].id;
	return rc;
}

/* Claims due rows into jobs: transactional ones, then (window open) rows
 * of sending broadcasts in broadcast order. */
static enum jm_rc claim_due(struct db *db, struct arena *a, const struct nl_claim_opts *o,
                            struct nl_job *jobs, size_t *n, size_t max)
{
	struct db_stmt *st = NULL;
	bool pg = db_engine(db) == DB_PG;
	enum jm_rc rc = db_preparef(db, &st, DB_SQL(db, TX_CLAIM_SQLITE, TX_CLAIM_PG), "iii",
	                            o->worker_id, o->now, (int64_t)max);
	if (rc || (rc = collect(st, a, jobs, n, max, pg)) || !o->window_open || *n == max)
		return rc;
	int64_t bids[EXPAND_MAX];
	size_t nb = 0;
	rc = db_prepare(db,
	                "SELECT id FROM broadcasts WHERE status = 'sending' AND expanded = 1 "
	                "ORDER BY id LIMIT 16",
	                &st);
	if (rc)
		return rc;
	while (nb < EXPAND_MAX && (rc = db_step(st)) == JM_OK)
		bids[nb++] = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	rc = JM_OK;
	for (size_t i = 0; i < nb && *n < max && !rc; i++)
		rc = claim_broadcast(db, a, o, bids[i], jobs, n, max);
	return rc;
}

enum jm_rc nl_queue_claim(struct db *db, struct arena *a, const struct nl_claim_opts *o,
                          struct nl_job **out, size_t *n)
{
	*n = 0;
	*out = NULL;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	int64_t room = nl_throttle_cap_room(db, o->cap_hour, o->cap_day, o->now);
	size_t max = room < (int64_t)o->batch ? (size_t)room : o->batch;
	struct nl_job *jobs = arena_calloc(a, (max ? max : 1) * sizeof(*jobs));
	size_t k = 0;
	if (max)
		rc = claim_due(db, a, o, jobs, &k, max);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	*out = jobs;
	*n = k;
	return JM_OK;
}

/* Backoff before attempt k+1 after k failed ones: 30 s, 2 min, 10 min,
 * 1 h, 2 h, 4 h, 8 h (for base 30000 ms). */
static int64_t backoff_s(int64_t attempts, int64_t base_ms)
{
	static const int64_t table[] = {30, 120, 600, 3600, 7200, 14400, 28800};
	size_t i = attempts < 1 ? 0 : (size_t)attempts - 1;
	if (i >= sizeof(table) / sizeof(table[0]))
		i = sizeof(table) / sizeof(table[0]) - 1;
	int64_t ms = table[i] * base_ms / 30;
	return ms < 1000 ? 1 : (ms + 999) / 1000;
}

/* "550 5.1.1 user unknown" and its relatives: the address does not exist. */
static bool unknown_user(const struct nl_job *j)
{
	const char *r = j->reply;
	if (strstr(r, "5.1.1") || strstr(r, "5.1.10"))
		return true;
	return (j->code == 550 || j->code == 551 || j->code == 553) &&
	       (strcasestr(r, "unknown") || strcasestr(r, "no such") ||
	        strcasestr(r, "does not exist") || strcasestr(r, "not found"));
}

static enum jm_rc bounce(struct db *db, const struct nl_job *j, int64_t now)
{
	enum jm_rc rc = db_execf(db,
	                         "UPDATE subscriptions SET status = 'bounced', updated_at = ? "
	                         "WHERE id = ? AND status IN ('active', 'pending')",
	                         "ii", now, j->subscription_id);
	if (rc || db_changes(db) == 0 || !j->person_id)
		return rc;
	return nl_event_add(db, j->person_id, "bounced", j->reply, now);
}

/* Every statement touches the row only while this worker still holds it
 * (claimed_by): a row taken back after an expired lease is another
 * worker's now. */
static enum jm_rc record_one(struct db *db, struct nl_job *j, int64_t now, int64_t base_ms,
                             int64_t wid)
{
	enum jm_rc rc;
	switch (j->result) {
	case JM_OK: {
		int64_t ms = j->sent_ms > 0 ? j->sent_ms : now * 1000;
		return db_execf(
		        db,
		        "UPDATE deliveries SET state = 'sent', sent_at = ?, sent_ms = ?, "
		        "last_reply = ? WHERE id = ? AND state = 'sending' AND claimed_by = ?",
		        "iitii", ms / 1000, ms, j->reply, j->id, wid);
	}
	case JM_DONE:
		return db_execf(db,
		                "UPDATE deliveries SET state = 'queued', attempts = attempts - 1, "
		                "next_attempt_at = ?, claimed_by = NULL "
		                "WHERE id = ? AND state = 'sending' AND claimed_by = ?",
		                "iii", j->retry_at, j->id, wid);
	case JM_NOT_FOUND:
		return db_execf(db,
		                "UPDATE deliveries SET state = 'cancelled', last_reply = ? "
		                "WHERE id = ? AND state = 'sending' AND claimed_by = ?",
		                "tii", j->reply, j->id, wid);
	case JM_SMTP_TEMP:
		if (j->attempts < NL_MAX_ATTEMPTS)
			return db_execf(db,
			                "UPDATE deliveries SET state = 'queued', last_reply = ?, "
			                "next_attempt_at = ?, claimed_by = NULL "
			                "WHERE id = ? AND state = 'sending' AND claimed_by = ?",
			                "tiii", j->reply, now + backoff_s(j->attempts, base_ms),
			                j->id, wid);
		__attribute__((fallthrough)); /* out of attempts: fail */
	default:
		rc = db_execf(db,
		              "UPDATE deliveries SET state = 'failed', last_reply = ? "
		              "WHERE id = ? AND state = 'sending' AND claimed_by = ?",
		              "tii", j->reply, j->id, wid);
		if (!rc && db_changes(db) > 0 && j->result == JM_SMTP_PERM && j->subscription_id &&
		    unknown_user(j))
			rc = bounce(db, j, now);
		return rc;
	}
}

/* PostgreSQL: the sent rows of a batch in one UPDATE, their ids, send
 * times and replies passed as three arrays (one statement text for any
 * batch size; SQLite has no arrays, and its per-row UPDATEs cost no round
 * trip). */
static const char *const SENT_MANY_PG =
        "UPDATE deliveries SET state = 'sent', sent_at = v.ms / 1000, sent_ms = v.ms, "
        "last_reply = v.reply FROM unnest(?1::bigint[], ?2::bigint[], ?3::text[]) "
        "AS v(id, ms, reply) WHERE deliveries.id = v.id AND deliveries.state = 'sending' "
        "AND deliveries.claimed_by = ?4";

/* s as an element of a PostgreSQL array literal: "…" with " and \\ escaped. */
static bool array_text(struct buf *b, const char *s)
{
	if (buf_appendc(b, '"'))
		return false;
	for (; *s; s++)
		if (((*s == '"' || *s == '\\') && buf_appendc(b, '\\')) || buf_appendc(b, *s))
			return false;
	return buf_appendc(b, '"') == JM_OK;
}

/* Appends job j to the three array literals (k: elements so far). */
static bool array_job(struct buf *ids, struct buf *ms, struct buf *replies, size_t k,
                      const struct nl_job *j, int64_t now)
{
	const char *sep = k ? "," : "{";
	long long at = j->sent_ms > 0 ? j->sent_ms : now * 1000;
	return !buf_appendf(ids, "%s%lld", sep, (long long)j->id) &&
	       !buf_appendf(ms, "%s%lld", sep, at) && !buf_appends(replies, sep) &&
	       array_text(replies, j->reply);
}

/* Records every JM_OK job of jobs[0..n) in one statement (PostgreSQL). */
static enum jm_rc record_sent_pg(struct db *db, const struct nl_job *jobs, size_t n, int64_t now,
                                 int64_t wid)
{
	struct buf ids, ms, replies;
	buf_init(&ids, n * 24 + 8);
	buf_init(&ms, n * 24 + 8);
	buf_init(&replies, n * (2 * sizeof(jobs->reply) + 4) + 8);
	enum jm_rc rc = JM_OK;
	size_t k = 0;
	for (size_t i = 0; i < n && !rc; i++)
		if (jobs[i].result == JM_OK && !array_job(&ids, &ms, &replies, k++, &jobs[i], now))
			rc = JM_TOO_LARGE;
	if (!rc && k &&
	    (buf_appendc(&ids, '}') || buf_appendc(&ms, '}') || buf_appendc(&replies, '}')))
		rc = JM_TOO_LARGE;
	if (!rc && k)
		rc = db_execf(db, SENT_MANY_PG, "ttti", buf_cstr(&ids), buf_cstr(&ms),
		              buf_cstr(&replies), wid);
	buf_free(&ids);
	buf_free(&ms);
	buf_free(&replies);
	return rc;
}

enum jm_rc nl_queue_record(struct db *db, struct nl_job *jobs, size_t n, int64_t now,
                           int64_t retry_base_ms, int64_t worker_id)
{
	bool pg = db_engine(db) == DB_PG;
	size_t other = 0; /* rows recorded one by one */
	for (size_t i = 0; i < n; i++)
		other += !pg || jobs[i].result != JM_OK;
	if (pg && !other) /* the usual batch: one statement, no transaction */
		return record_sent_pg(db, jobs, n, now, worker_id);
	if (!n)
		return JM_OK;
	enum jm_rc rc = db_begin(db);
	if (!rc && pg)
		rc = record_sent_pg(db, jobs, n, now, worker_id);
	for (size_t i = 0; i < n && !rc; i++)
		if (!pg || jobs[i].result != JM_OK)
			rc = record_one(db, &jobs[i], now, retry_base_ms, worker_id);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}
