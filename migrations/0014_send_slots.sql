-- 0014: several `jinmyaku worker` processes share one delivery queue and
-- its limits (newsletter/queue.c, newsletter/throttle.c).
--
-- deliveries.sent_ms: when the send was granted, in milliseconds since the
-- epoch on the database's clock (the one clock every worker shares); the
-- per-second limits are checked against it. sent_at stays the second.
-- deliveries.claimed_by: the send_workers row of the worker holding a
-- 'sending' row; only that worker records its result, and the row goes
-- back to the queue when that worker's lease has expired.
ALTER TABLE deliveries ADD COLUMN sent_ms INTEGER;
ALTER TABLE deliveries ADD COLUMN claimed_by INTEGER;

-- One row per running worker process; lease_until (ms, database clock) is
-- renewed every few seconds while the process lives.
CREATE TABLE send_workers (
  id           INTEGER PRIMARY KEY,
  host         TEXT NOT NULL DEFAULT '',
  pid          INTEGER NOT NULL DEFAULT 0,
  started_at   INTEGER NOT NULL,
  lease_until  INTEGER NOT NULL
);

-- The shared send schedule. 'rate': the per-second rate's slot grid (slot
-- index, its start in microseconds, messages granted in it, the last
-- grant and the clock it was made at, the extra wait before the next slot
-- after a restart); 'domain:NAME': the last send granted to a rate-limited
-- domain (at_us); 'caps': the row claims lock while hourly/daily caps are
-- counted. Rows are made by the workers (nl_throttle_init), so a copied
-- installation carries no stale schedule.
CREATE TABLE send_slots (
  scope    TEXT PRIMARY KEY,
  slot     INTEGER NOT NULL DEFAULT 0,
  at_us    INTEGER NOT NULL DEFAULT 0,
  used     INTEGER NOT NULL DEFAULT 0,
  granted  INTEGER NOT NULL DEFAULT 0,
  seen_us  INTEGER NOT NULL DEFAULT 0,
  extra_us INTEGER NOT NULL DEFAULT 0
);
