-- 0021: person_fields becomes a WITHOUT ROWID table keyed by (person_id,
-- key). Every reader already goes through that key (the PRIMARY KEY's
-- index), so rows come back in the same order; but a rowid table kept the
-- row and its key index as two B-trees, and a million-row subscriber
-- import wrote both for every custom value (newsletter/csv.c,
-- people_batch_fields): now one. The triggers of 0006 go with the old
-- table and are created again unchanged.

ALTER TABLE person_fields RENAME TO person_fields_0020;
CREATE TABLE person_fields (
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (person_id, key)
) WITHOUT ROWID;
INSERT INTO person_fields(person_id, key, value)
  SELECT person_id, key, value FROM person_fields_0020 ORDER BY person_id, key;
DROP TABLE person_fields_0020;

-- As 0006: values changed for people already in the search index.
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
