-- 0004: what the delivery worker needs beyond 0002.
--
-- broadcasts.expanded: the audience has been inserted into deliveries (the
-- worker expands a broadcast once, in one INSERT … SELECT).
-- audience_terms: a broadcast's audience JSON as rows, written when it is
-- sent, so the expansion is one fixed SQL statement with EXISTS subqueries
-- (no SQL built from user input, no JSON functions the backends differ on).
-- deliveries_tx_due: transactional mails (confirm, welcome, test) are found
-- without scanning a large broadcast's queued rows.

ALTER TABLE broadcasts ADD COLUMN expanded INTEGER NOT NULL DEFAULT 0;

CREATE TABLE audience_terms (
  broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
  kind          TEXT NOT NULL CHECK (kind IN ('tag_any', 'tag_none', 'field_eq', 'field_ne')),
  key           TEXT NOT NULL DEFAULT '',
  value         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audience_terms_broadcast ON audience_terms(broadcast_id, kind);

CREATE INDEX deliveries_tx_due ON deliveries(next_attempt_at)
  WHERE state = 'queued' AND kind <> 'broadcast';
