-- 0003: fast subscriber search at a million rows. people_fts indexes the
-- name and email of every person as trigrams (substring search that works
-- for Japanese names without a word splitter; queries of 3+ characters).
-- It is an external-content table over people kept in sync by triggers, so
-- nothing is stored twice. Shorter queries use the people.email UNIQUE
-- index as a prefix range instead.
-- detail=none keeps only which rows hold a trigram, not where (a quarter of
-- the size, and far cheaper to grow during bulk imports): the search asks
-- for all trigrams of the query and confirms the substring with LIKE on
-- the hits (src/newsletter/subscriber.c).

CREATE VIRTUAL TABLE people_fts USING fts5(
  name, email,
  content = 'people', content_rowid = 'id',
  tokenize = 'trigram', detail = none, columnsize = 0
);

CREATE TRIGGER people_fts_ai AFTER INSERT ON people BEGIN
  INSERT INTO people_fts(rowid, name, email) VALUES (new.id, new.name, COALESCE(new.email, ''));
END;

CREATE TRIGGER people_fts_ad AFTER DELETE ON people BEGIN
  INSERT INTO people_fts(people_fts, rowid, name, email)
    VALUES ('delete', old.id, old.name, COALESCE(old.email, ''));
END;

CREATE TRIGGER people_fts_au AFTER UPDATE OF name, email ON people BEGIN
  INSERT INTO people_fts(people_fts, rowid, name, email)
    VALUES ('delete', old.id, old.name, COALESCE(old.email, ''));
  INSERT INTO people_fts(rowid, name, email) VALUES (new.id, new.name, COALESCE(new.email, ''));
END;

-- Merge index segments in larger steps: bulk imports write one segment per
-- batch, and merging every 4 costs a quarter of the import time.
INSERT INTO people_fts(people_fts, rank) VALUES ('automerge', 16);

INSERT INTO people_fts(people_fts) VALUES ('rebuild');
