-- 0017 (PostgreSQL): the admin's pending CSV uploads; as
-- migrations/0017_import_uploads.sql, with bytea for the file.
CREATE TABLE import_uploads (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL DEFAULT '',
  bytes       BYTEA,
  status      TEXT,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);
CREATE INDEX import_uploads_updated ON import_uploads(updated_at);
