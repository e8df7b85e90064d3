-- 0004 (PostgreSQL): what the delivery worker needs beyond 0002, as
-- migrations/0004_delivery_worker.sql (which says what each part is for).

ALTER TABLE broadcasts ADD COLUMN expanded BIGINT NOT NULL DEFAULT 0;

CREATE TABLE audience_terms (
  broadcast_id  BIGINT NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL CHECK (kind IN ('tag_any', 'tag_none', 'field_eq', 'field_ne')),
  key           TEXT NOT NULL DEFAULT '',
  value         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audience_terms_broadcast ON audience_terms(broadcast_id, kind);

CREATE INDEX deliveries_tx_due ON deliveries(next_attempt_at)
  WHERE state = 'queued' AND kind <> 'broadcast';
