-- 0021 (PostgreSQL): nothing to change. On SQLite person_fields becomes a
-- WITHOUT ROWID table (one B-tree instead of a table and its key index);
-- PostgreSQL keeps a heap and its primary-key index either way. The file
-- exists so the schema version reads the same on both engines.
SELECT 1;
