-- 0017: the admin's subscriber CSV import keeps the uploaded file in the
-- database between its steps (upload, column mapping, start, progress),
-- not in one node's DATA/imports/: behind a load balancer each step may
-- land on another node (admin/newsletter_import.c).
--
-- id: the import's random id in /admin/imports/{id} (22 characters).
-- bytes: the file as uploaded (any encoding); NULL once imported.
-- status: the progress or the report as JSON, written by the node running
-- the import; NULL until started (starting claims the row by setting it).
-- A row untouched for a day is removed by the scheduler.
CREATE TABLE import_uploads (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL DEFAULT '',
  bytes       BLOB,
  status      TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX import_uploads_updated ON import_uploads(updated_at);
