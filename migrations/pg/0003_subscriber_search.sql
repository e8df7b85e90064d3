-- 0003 (PostgreSQL): on SQLite this migration creates people_fts, an FTS5
-- trigram index over people.name and people.email, and the three triggers
-- (people_fts_ai, people_fts_ad, people_fts_au) that keep it in sync; it
-- holds nothing else.
-- people_fts (FTS5 on SQLite): PostgreSQL searches a bigram term table,
-- migration 0012.
-- The file exists so that both engines record the same migration names;
-- its one statement does nothing.
DO $$ BEGIN END $$;
