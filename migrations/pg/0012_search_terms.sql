-- 0012 (PostgreSQL): the people search without FTS5 and without any
-- extension (pg_bigm and PGroonga are not in Debian 12 nor on most managed
-- services; pg_trgm needs three characters and, with the C ctype this
-- database runs with, sees no Japanese letters at all).
--
-- network/search_pg.c keeps an inverted index of its own, written by the
-- same search_dirty drain (net_search_sync) that fills people_search on
-- SQLite and tokenised exactly as the jm_cjk tokenizer does (db/fts_cjk.c:
-- NFKC + case folding, CJK bigrams plus the last character of each run,
-- Latin words), so a query finds the same people and ranks them the same.
--
-- search_docs: one row per indexed person — the document's columns as
-- stored text (snippets are cut from them), the filter values that live in
-- the meta column on SQLite, and the list of the person's terms (so the old
-- rows of search_terms are found by primary key when the person is
-- re-indexed or deleted, without an index on person_id).
CREATE TABLE search_docs (
  person_id   BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
  stage_rank  BIGINT NOT NULL,
  flagged     BIGINT NOT NULL,              -- freeloader or blocked
  meta        TEXT NOT NULL DEFAULT '',     -- as SQLite's meta column: "xs2 xflag xt<hash> …"
  name        TEXT NOT NULL DEFAULT '',
  company     TEXT NOT NULL DEFAULT '',
  offer       TEXT NOT NULL DEFAULT '',
  notes       TEXT NOT NULL DEFAULT '',
  tags        TEXT NOT NULL DEFAULT '',
  messages    TEXT NOT NULL DEFAULT '',
  terms       TEXT NOT NULL DEFAULT ''      -- the person's terms, space-separated
);
-- The default search leaves flagged people out: a handful of rows.
CREATE INDEX search_docs_flagged ON search_docs(person_id) WHERE flagged = 1;

-- search_terms: one row per (term, person). pos lists the positions of the
-- term in the document, comma-separated, each column * 2^24 + the token's
-- position in that column as FTS5 counts them (a run's last character
-- shares the position of the run's last bigram); phrases and the 1-char
-- prefix are matched on them. score is jm_rank of the term alone (name 10,
-- company 8, offer 6, notes 3, tags 5, messages 1; w * tf / (tf + 1) per
-- column), so a one-term query reads its page straight off
-- search_terms_score in rank order. The primary key carries pos: a term's
-- rows are read from the index alone, one contiguous range, instead of one
-- heap page per person.
CREATE TABLE search_terms (
  term       TEXT NOT NULL,
  person_id  BIGINT NOT NULL,
  score      DOUBLE PRECISION NOT NULL,
  pos        TEXT NOT NULL,
  PRIMARY KEY (term, person_id) INCLUDE (pos)
);
-- Best first, with the positions (network/search_pg.c: a phrase reads its
-- first token's rows in score order until the page is certain).
CREATE INDEX search_terms_score ON search_terms(term, score DESC, person_id) INCLUDE (pos);

-- A document leaves with its terms (people deletion cascades to search_docs).
CREATE FUNCTION search_docs_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM search_terms
   WHERE term = ANY (string_to_array(OLD.terms, ' ')) AND person_id = OLD.person_id;
  RETURN OLD;
END $$;
CREATE TRIGGER search_docs_del AFTER DELETE ON search_docs
  FOR EACH ROW EXECUTE FUNCTION search_docs_del();

-- The 読み sort key, as on SQLite (see migrations/0012_search_terms.sql):
-- the furigana with katakana turned into hiragana.
ALTER TABLE people ADD COLUMN furigana_key TEXT NOT NULL DEFAULT '';
CREATE FUNCTION people_furigana_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.furigana_key := translate(NEW.furigana,
    'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ',
    'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ');
  RETURN NEW;
END $$;
CREATE TRIGGER people_furigana_key BEFORE INSERT OR UPDATE OF furigana ON people
  FOR EACH ROW EXECUTE FUNCTION people_furigana_key();
UPDATE people SET furigana_key = translate(furigana,
    'ァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶヽヾ',
    'ぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖゝゞ')
 WHERE furigana <> '';
