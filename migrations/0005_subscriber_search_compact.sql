-- 0005: a smaller subscriber search index. people_fts (0003) kept every
-- trigram's positions (detail=full) and per-row token counts; a million
-- people made it ~140 MB and its upkeep a third of a bulk import. Search
-- needs neither: src/newsletter/subscriber.c matches all trigrams of the
-- query (AND) and then confirms the substring with LIKE on the few hits.
-- detail=none keeps only which rows hold a trigram (~1/4 of the size).
-- Same name, same external content over people, same triggers.

DROP TRIGGER IF EXISTS people_fts_ai;
DROP TRIGGER IF EXISTS people_fts_ad;
DROP TRIGGER IF EXISTS people_fts_au;
DROP TABLE IF EXISTS people_fts;

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

INSERT INTO people_fts(people_fts, rank) VALUES ('automerge', 16);

INSERT INTO people_fts(people_fts) VALUES ('rebuild');
