-- 0006 (PostgreSQL): one owner per table, as migrations/0006_people.sql.
--
-- digest_state: the keep-in-touch digest's last local day (network/touch.c)
-- is machine state of the network module, not a site setting; the value
-- moves over from settings. A singleton row (id 1): no identity.
CREATE TABLE digest_state (
  id        BIGINT PRIMARY KEY CHECK (id = 1),
  last_day  TEXT NOT NULL DEFAULT ''
);
INSERT INTO digest_state(id, last_day)
  SELECT 1, COALESCE((SELECT value FROM settings WHERE key = 'digest_last_day'), '');
DELETE FROM settings WHERE key = 'digest_last_day';

-- Search marking that never conflicts (issue 8, defect 1). On SQLite a
-- trigger fired by an upsert took the outer statement's conflict policy,
-- so 0005's INSERT OR IGNORE could fail the whole write; SQLite now marks
-- only WHERE NOT EXISTS, and never a NULL person. PostgreSQL's ON CONFLICT
-- DO NOTHING never had that flaw, and it also covers two transactions
-- marking the same person at once (each saw no row); the NOT EXISTS and the
-- NULL check are kept so both engines read alike, and an already marked
-- person costs a lookup instead of an attempted insert. The triggers stay:
-- only their shared functions change.
CREATE OR REPLACE FUNCTION search_dirty_people() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <= (SELECT indexed_to FROM search_state WHERE id = 1) THEN
    INSERT INTO search_dirty(person_id) SELECT NEW.id
      WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = NEW.id)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION search_dirty_new_indexed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1) THEN
    INSERT INTO search_dirty(person_id) SELECT NEW.person_id
      WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = NEW.person_id)
      ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
-- (search_dirty_old keeps 0005's check that the person still exists.)
CREATE OR REPLACE FUNCTION search_dirty_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_dirty(person_id) SELECT OLD.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = OLD.person_id)
      AND EXISTS (SELECT 1 FROM people WHERE id = OLD.person_id)
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION search_dirty_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_dirty(person_id) SELECT NEW.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = NEW.person_id)
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION search_dirty_new_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_dirty(person_id) SELECT NEW.person_id WHERE NEW.person_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = NEW.person_id)
    ON CONFLICT DO NOTHING;
  INSERT INTO search_dirty(person_id) SELECT OLD.person_id WHERE OLD.person_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = OLD.person_id)
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

-- Values of an unconfirmed sign-up (issue 8, defect 2): a sign-up for an
-- address that already belongs to someone only proposes a name and custom-
-- field values; they wait here, with the subscription, and reach the person
-- when the confirmation link is clicked.
ALTER TABLE subscriptions ADD COLUMN pending_name TEXT NOT NULL DEFAULT '';
CREATE TABLE subscription_pending_fields (
  subscription_id  BIGINT NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
  key              TEXT NOT NULL,
  value            TEXT NOT NULL,
  PRIMARY KEY (subscription_id, key)
);
