-- 0013: several `serve` nodes with their own DATA directories on one
-- database behave as one site (the SQLite text of this migration explains
-- each table; this is the same schema by the PostgreSQL rules).

CREATE TABLE node_secrets (
  name        TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

CREATE TABLE content_state (
  id                 BIGINT PRIMARY KEY CHECK (id = 1),
  gen                BIGINT NOT NULL,
  published_through  BIGINT NOT NULL
);
INSERT INTO content_state(id, gen, published_through)
  VALUES (1, 1, CAST(extract(epoch FROM now()) AS BIGINT));

CREATE TABLE theme_files (
  name        TEXT PRIMARY KEY,
  body        TEXT NOT NULL,
  updated_at  BIGINT NOT NULL
);
