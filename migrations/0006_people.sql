-- 0006: one owner per table (src/OWNERS.tables, scripts/check-owners).
--
-- digest_state: the keep-in-touch digest's last local day (network/touch.c)
-- is machine state of the network module, not a site setting; the value
-- moves over from settings.
CREATE TABLE digest_state (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  last_day  TEXT NOT NULL DEFAULT ''
);
INSERT INTO digest_state(id, last_day)
  SELECT 1, COALESCE((SELECT value FROM settings WHERE key = 'digest_last_day'), '');
DELETE FROM settings WHERE key = 'digest_last_day';
