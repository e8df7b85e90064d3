-- 0001: the person-centric core, the site, accounts and analytics.
-- Times are unix seconds (INTEGER). Emails are stored normalised (lower-case).

-- Every human the system meets: subscriber, sender, applicant, contact.
CREATE TABLE people (
  id          INTEGER PRIMARY KEY,
  email       TEXT UNIQUE,
  name        TEXT NOT NULL DEFAULT '',
  furigana    TEXT NOT NULL DEFAULT '',
  company     TEXT NOT NULL DEFAULT '',
  title       TEXT NOT NULL DEFAULT '',
  stage       TEXT NOT NULL DEFAULT 'reader'
              CHECK (stage IN ('reader', 'fan', 'acquaintance', 'network')),
  freeloader  INTEGER NOT NULL DEFAULT 0,
  blocked     INTEGER NOT NULL DEFAULT 0,
  source      TEXT NOT NULL DEFAULT '',
  notes_md    TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX people_stage ON people(stage);

-- Staff accounts. A user is also a person (the owner is in their own network).
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  person_id     INTEGER REFERENCES people(id) ON DELETE SET NULL,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL DEFAULT '',
  role          TEXT NOT NULL CHECK (role IN ('owner', 'editor')),
  password_hash TEXT NOT NULL,
  lang          TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL
);

-- Sessions and API tokens are stored as keyed hashes, never in clear.
CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  prefix       TEXT NOT NULL,
  user_id      INTEGER REFERENCES users(id) ON DELETE CASCADE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);

CREATE TABLE settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);

CREATE TABLE articles (
  id            INTEGER PRIMARY KEY,
  slug          TEXT NOT NULL UNIQUE,
  title         TEXT NOT NULL,
  body_md       TEXT NOT NULL DEFAULT '',
  excerpt       TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
  published_at  INTEGER,
  author_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX articles_published ON articles(status, published_at);

CREATE TABLE tags (
  id    INTEGER PRIMARY KEY,
  name  TEXT NOT NULL UNIQUE
);

CREATE TABLE article_tags (
  article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  tag_id      INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_tag ON article_tags(tag_id);

-- Cookieless analytics: daily counters only, no addresses, no identifiers.
CREATE TABLE pageviews (
  day    TEXT NOT NULL,
  path   TEXT NOT NULL,
  views  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, path)
);
CREATE TABLE referrers (
  day    TEXT NOT NULL,
  host   TEXT NOT NULL,
  views  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, host)
);
