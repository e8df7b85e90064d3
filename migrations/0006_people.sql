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

-- Search marking that never conflicts (issue 8, defect 1). The triggers of
-- 0005 marked with INSERT OR IGNORE; a trigger fired by an upsert's DO
-- UPDATE takes the outer statement's conflict policy (ABORT) instead, so
-- marking someone already marked failed the whole write ("UNIQUE
-- constraint failed: search_dirty.person_id": a CSV import over a tagged
-- person, a sign-up, a re-subscribe right after an unsubscribe). Each mark
-- now inserts only WHERE NOT EXISTS, whatever policy it runs under, and
-- never a NULL person (which would have become a new rowid).
DROP TRIGGER search_dirty_people;
DROP TRIGGER search_dirty_fields_u;
DROP TRIGGER search_dirty_fields_d;
DROP TRIGGER search_dirty_tags_i;
DROP TRIGGER search_dirty_tags_d;
DROP TRIGGER search_dirty_messages_i;
DROP TRIGGER search_dirty_messages_u;
DROP TRIGGER search_dirty_interactions_i;
DROP TRIGGER search_dirty_interactions_d;
DROP TRIGGER search_dirty_subscriptions;

CREATE TRIGGER search_dirty_people AFTER UPDATE OF name, furigana, email, company, title,
  can_offer, looking_for, notes_md, stage, freeloader, blocked ON people
  WHEN new.id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT INTO search_dirty(person_id) SELECT new.id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = new.id);
END;
-- New custom-field values are marked by people/ (people_fields_set,
-- people_batch_fields: once per import batch, not per row).
CREATE TRIGGER search_dirty_fields_u AFTER UPDATE ON person_fields
  WHEN new.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT INTO search_dirty(person_id) SELECT new.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = new.person_id);
END;
CREATE TRIGGER search_dirty_fields_d AFTER DELETE ON person_fields BEGIN
  INSERT INTO search_dirty(person_id) SELECT old.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = old.person_id);
END;
CREATE TRIGGER search_dirty_tags_i AFTER INSERT ON person_tags
  WHEN new.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT INTO search_dirty(person_id) SELECT new.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = new.person_id);
END;
CREATE TRIGGER search_dirty_tags_d AFTER DELETE ON person_tags BEGIN
  INSERT INTO search_dirty(person_id) SELECT old.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = old.person_id);
END;
CREATE TRIGGER search_dirty_messages_i AFTER INSERT ON messages
  WHEN new.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT INTO search_dirty(person_id) SELECT new.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = new.person_id);
END;
CREATE TRIGGER search_dirty_messages_u AFTER UPDATE OF person_id, subject, body, category, status
  ON messages
BEGIN
  INSERT INTO search_dirty(person_id) SELECT new.person_id WHERE new.person_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = new.person_id);
  INSERT INTO search_dirty(person_id) SELECT old.person_id WHERE old.person_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = old.person_id);
END;
CREATE TRIGGER search_dirty_interactions_i AFTER INSERT ON interactions
  WHEN new.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT INTO search_dirty(person_id) SELECT new.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = new.person_id);
END;
CREATE TRIGGER search_dirty_interactions_d AFTER DELETE ON interactions BEGIN
  INSERT INTO search_dirty(person_id) SELECT old.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = old.person_id);
END;
CREATE TRIGGER search_dirty_subscriptions AFTER UPDATE OF status ON subscriptions BEGIN
  INSERT INTO search_dirty(person_id) SELECT new.person_id
    WHERE NOT EXISTS (SELECT 1 FROM search_dirty WHERE person_id = new.person_id);
END;

-- Values of an unconfirmed sign-up (issue 8, defect 2): a sign-up for an
-- address that already belongs to someone only proposes a name and custom-
-- field values; they wait here, with the subscription (and so its confirm
-- token), and reach the person when the confirmation link is clicked. A
-- sign-up that creates the person applies them at once.
ALTER TABLE subscriptions ADD COLUMN pending_name TEXT NOT NULL DEFAULT '';
CREATE TABLE subscription_pending_fields (
  subscription_id  INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
  key              TEXT NOT NULL,
  value            TEXT NOT NULL,
  PRIMARY KEY (subscription_id, key)
);
