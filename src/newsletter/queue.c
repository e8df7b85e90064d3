/*
 * queue.c — the one delivery queue (table deliveries) as the worker uses
 * it: reset after a crash, broadcast scheduling and expansion, atomic
 * claiming and recording of results with retry backoff and bounces.
 *
 * Invariants:
 *  - a row is 'sending' only while one sender thread holds it; claiming
 *    is one BEGIN IMMEDIATE transaction, so two threads (or processes)
 *    never claim the same row;
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

enum jm_rc nl_queue_reset_inflight(struct db *db)
{
	enum jm_rc rc =
	        db_exec(db, "UPDATE deliveries SET state = 'queued' WHERE state = 'sending'");
	int64_t n = rc ? 0 : db_changes(db);
	if (n > 0)
		log_at(LOG_WARN, "worker", "requeued=%lld in-flight deliveries of a stopped worker",
		       (long long)n);
	return rc;
}

static const char *const EXPAND_SQL =
        "INSERT INTO deliveries(kind, broadcast_id, subscription_id, person_id, to_addr, domain, "
        "created_at) "
        "SELECT 'broadcast', ?, s.id, p.id, p.email, "
        "lower(substr(p.email, instr(p.email, '@') + 1)), ? "
        "FROM subscriptions s JOIN people p ON p.id = s.person_id "
        "WHERE s.list_id = ? AND s.status = 'active' AND p.email IS NOT NULL AND p.blocked = 0 "
        "AND (NOT EXISTS (SELECT 1 FROM audience_terms a WHERE a.broadcast_id = ? "
        "                 AND a.kind = 'tag_any') "
        "  OR EXISTS (SELECT 1 FROM audience_terms a JOIN person_tags t ON t.tag = a.value "
        "             WHERE a.broadcast_id = ? AND a.kind = 'tag_any' AND t.person_id = p.id)) "
        "AND NOT EXISTS (SELECT 1 FROM audience_terms a JOIN person_tags t ON t.tag = a.value "
        "                WHERE a.broadcast_id = ? AND a.kind = 'tag_none' "
        "                AND t.person_id = p.id) "
        "AND NOT EXISTS (SELECT 1 FROM audience_terms a WHERE a.broadcast_id = ? "
        "                AND a.kind = 'field_eq' AND NOT EXISTS (SELECT 1 FROM person_fields f "
        "                WHERE f.person_id = p.id AND f.key = a.key AND f.value = a.value)) "
        "AND NOT EXISTS (SELECT 1 FROM audience_terms a JOIN person_fields f "
        "                ON f.key = a.key AND f.value = a.value WHERE a.broadcast_id = ? "
        "                AND a.kind = 'field_ne' AND f.person_id = p.id) "
        "ON CONFLICT DO NOTHING";

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
		int64_t list = rc == JM_OK ? db_col_int(st, 0) : 0;
		db_finalize(st);
		if (rc == JM_OK)
			rc = db_execf(db, EXPAND_SQL, "iiiiiiii", id, now, list, id, id, id, id,
			              id);
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

/* Appends due ids from st (already bound) to ids, up to max. */
static enum jm_rc collect(struct db_stmt *st, int64_t *ids, size_t *n, size_t max)
{
	enum jm_rc rc;
	while (*n < max && (rc = db_step(st)) == JM_OK)
		ids[(*n)++] = db_col_int(st, 0);
	db_finalize(st);
	return *n == max || rc == JM_DONE ? JM_OK : rc;
}

/* Both queries name their index: without statistics SQLite picks
 * deliveries_due (state, next_attempt_at) and sorts every queued row of a
 * large broadcast on each claim, which made a claim O(queue) and a
 * broadcast O(n^2). deliveries_broadcast (broadcast_id, state) yields the
 * rows in id order; the partial deliveries_tx_due holds only the few
 * transactional rows. */
static enum jm_rc due_ids(struct db *db, const struct nl_claim_opts *o, int64_t *ids, size_t *n,
                          size_t max)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id FROM deliveries INDEXED BY deliveries_tx_due "
	                            "WHERE state = 'queued' AND kind <> 'broadcast' "
	                            "AND next_attempt_at <= ? "
	                            "ORDER BY kind = 'welcome', id LIMIT ?",
	                            "ii", o->now, (int64_t)max);
	if (rc || (rc = collect(st, ids, n, max)) || !o->window_open || *n == max)
		return rc;
	int64_t bids[EXPAND_MAX];
	size_t nb = 0;
	rc = db_prepare(db,
	                "SELECT id FROM broadcasts WHERE status = 'sending' AND expanded = 1 "
	                "ORDER BY id LIMIT 16",
	                &st);
	if (rc || (rc = collect(st, bids, &nb, EXPAND_MAX)))
		return rc;
	for (size_t i = 0; i < nb && *n < max && !rc; i++) {
		rc = db_preparef(
		        db, &st,
		        "SELECT id FROM deliveries INDEXED BY deliveries_broadcast "
		        "WHERE broadcast_id = ? AND state = 'queued' AND next_attempt_at <= ? "
		        "ORDER BY id LIMIT ?",
		        "iii", bids[i], o->now, (int64_t)(max - *n));
		if (!rc)
			rc = collect(st, ids, n, max);
	}
	return rc;
}

/* Marks one row 'sending' and reads it into j. */
static enum jm_rc take(struct db *db, struct arena *a, int64_t id, struct nl_job *j)
{
	enum jm_rc rc = db_execf(db,
	                         "UPDATE deliveries SET state = 'sending', attempts = attempts + 1 "
	                         "WHERE id = ?",
	                         "i", id);
	struct db_stmt *st = NULL;
	if (!rc)
		rc = db_preparef(db, &st,
		                 "SELECT kind, COALESCE(broadcast_id, 0), "
		                 "COALESCE(subscription_id, 0), COALESCE(person_id, 0), to_addr, "
		                 "domain, payload, attempts FROM deliveries WHERE id = ?",
		                 "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		memset(j, 0, sizeof(*j));
		j->id = id;
		j->kind = db_col_dup(st, 0, a);
		j->broadcast_id = db_col_int(st, 1);
		j->subscription_id = db_col_int(st, 2);
		j->person_id = db_col_int(st, 3);
		j->to_addr = db_col_dup(st, 4, a);
		j->domain = db_col_dup(st, 5, a);
		j->payload = db_col_dup(st, 6, a);
		j->attempts = db_col_int(st, 7);
	}
	db_finalize(st);
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
	int64_t *ids = arena_alloc(a, (max ? max : 1) * sizeof(*ids));
	size_t k = 0;
	if (max)
		rc = due_ids(db, o, ids, &k, max);
	struct nl_job *jobs = arena_calloc(a, (k ? k : 1) * sizeof(*jobs));
	for (size_t i = 0; i < k && !rc; i++)
		rc = take(db, a, ids[i], &jobs[i]);
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

static enum jm_rc record_one(struct db *db, struct nl_job *j, int64_t now, int64_t base_ms)
{
	enum jm_rc rc;
	switch (j->result) {
	case JM_OK:
		return db_execf(db,
		                "UPDATE deliveries SET state = 'sent', sent_at = ?, last_reply = ? "
		                "WHERE id = ? AND state = 'sending'",
		                "iti", now, j->reply, j->id);
	case JM_DONE:
		return db_execf(db,
		                "UPDATE deliveries SET state = 'queued', attempts = attempts - 1, "
		                "next_attempt_at = ? WHERE id = ? AND state = 'sending'",
		                "ii", j->retry_at, j->id);
	case JM_NOT_FOUND:
		return db_execf(db,
		                "UPDATE deliveries SET state = 'cancelled', last_reply = ? "
		                "WHERE id = ? AND state = 'sending'",
		                "ti", j->reply, j->id);
	case JM_SMTP_TEMP:
		if (j->attempts < NL_MAX_ATTEMPTS)
			return db_execf(db,
			                "UPDATE deliveries SET state = 'queued', last_reply = ?, "
			                "next_attempt_at = ? WHERE id = ? AND state = 'sending'",
			                "tii", j->reply, now + backoff_s(j->attempts, base_ms),
			                j->id);
		__attribute__((fallthrough)); /* out of attempts: fail */
	default:
		rc = db_execf(db,
		              "UPDATE deliveries SET state = 'failed', last_reply = ? "
		              "WHERE id = ? AND state = 'sending'",
		              "ti", j->reply, j->id);
		if (!rc && j->result == JM_SMTP_PERM && j->subscription_id && unknown_user(j))
			rc = bounce(db, j, now);
		return rc;
	}
}

enum jm_rc nl_queue_record(struct db *db, struct nl_job *jobs, size_t n, int64_t now,
                           int64_t retry_base_ms)
{
	if (!n)
		return JM_OK;
	enum jm_rc rc = db_begin(db);
	for (size_t i = 0; i < n && !rc; i++)
		rc = record_one(db, &jobs[i], now, retry_base_ms);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}
