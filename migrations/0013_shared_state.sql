-- 0013: several `serve` nodes with their own DATA directories on one
-- database behave as one site, so what every node needs beyond its flags
-- lives here rather than in DATA.

-- Shared secrets (owner: auth/secret.c): 'signing' is the key of signed
-- links, CSRF tokens and form stamps (hex of 32 bytes; an older DATA/secret
-- is imported at the first start, so links signed before still verify);
-- 'dkim:SELECTOR' is that selector's DKIM private key (PEM). A row is
-- written once — two nodes starting together insert with ON CONFLICT DO
-- NOTHING and both read back the winner — and never changed.
CREATE TABLE node_secrets (
  name        TEXT PRIMARY KEY,
  value       TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

-- The public pages' content generation (owner: site/content.c): bumped
-- after every write that changes what a public page shows, so a node that
-- missed a notification (or an engine without one) still sees the change
-- by polling one row. published_through: scheduled publications up to this
-- time have been announced (by the one node holding the cluster lock).
CREATE TABLE content_state (
  id                 INTEGER PRIMARY KEY CHECK (id = 1),
  gen                INTEGER NOT NULL,
  published_through  INTEGER NOT NULL
);
INSERT INTO content_state(id, gen, published_through)
  VALUES (1, 1, CAST(strftime('%s', 'now') AS INTEGER));

-- Theme overrides (owner: site/theme.c): templates an owner put in a
-- node's DATA/theme/, by their path there ("site/layout.html"). A node
-- stores its files at start (the newest edit of a name wins) and loads
-- every row, so all nodes render with the same theme.
CREATE TABLE theme_files (
  name        TEXT PRIMARY KEY,
  body        TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
