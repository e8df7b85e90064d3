-- 0002: the mail magazine. Subscribers are people (0001); everything that is
-- mailed goes through one queue, deliveries.

CREATE TABLE lists (
  id             INTEGER PRIMARY KEY,
  slug           TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  public         INTEGER NOT NULL DEFAULT 1,
  double_optin   INTEGER NOT NULL DEFAULT 1,
  charset        TEXT NOT NULL DEFAULT 'utf-8' CHECK (charset IN ('utf-8', 'iso-2022-jp')),
  consent_text   TEXT NOT NULL DEFAULT '',   -- the wording a subscriber agrees to
  welcome_subject TEXT NOT NULL DEFAULT '',
  welcome_md     TEXT NOT NULL DEFAULT '',   -- empty: no welcome mail
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);

-- Custom sign-up fields of a list (会社名, 興味のある分野 …).
CREATE TABLE list_fields (
  id        INTEGER PRIMARY KEY,
  list_id   INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,                  -- [a-z0-9_]+, the merge-field name
  label     TEXT NOT NULL,
  type      TEXT NOT NULL CHECK (type IN ('text', 'select', 'checkbox')),
  options   TEXT NOT NULL DEFAULT '',       -- select: one option per line
  required  INTEGER NOT NULL DEFAULT 0,
  position  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (list_id, key)
);

-- Values of custom fields, kept on the person (shared by every list).
CREATE TABLE person_fields (
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (person_id, key)
);

CREATE TABLE person_tags (
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  tag        TEXT NOT NULL,
  PRIMARY KEY (person_id, tag)
);
CREATE INDEX person_tags_tag ON person_tags(tag);

CREATE TABLE subscriptions (
  id               INTEGER PRIMARY KEY,
  person_id        INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  list_id          INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  confirmed_at     INTEGER,
  unsubscribed_at  INTEGER,
  -- Consent as 特定電子メール法 asks: when, where, from which address, what wording.
  consent_at       INTEGER,
  consent_source   TEXT NOT NULL DEFAULT '', -- form or page URL, "import", "admin"
  consent_ip       TEXT NOT NULL DEFAULT '',
  consent_text     TEXT NOT NULL DEFAULT '',
  UNIQUE (person_id, list_id)
);
CREATE INDEX subscriptions_list_status ON subscriptions(list_id, status, person_id);

-- A person's history (subscribed, confirmed, unsubscribed, bounced, imported …);
-- the people hub's timeline reads it too.
CREATE TABLE person_events (
  id         INTEGER PRIMARY KEY,
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  kind       TEXT NOT NULL,
  detail     TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX person_events_person ON person_events(person_id, created_at);

CREATE TABLE broadcasts (
  id            INTEGER PRIMARY KEY,
  list_id       INTEGER NOT NULL REFERENCES lists(id),
  subject       TEXT NOT NULL,
  body_md       TEXT NOT NULL DEFAULT '',
  audience      TEXT NOT NULL DEFAULT '{}',  -- JSON: {"tags_any":[],"tags_none":[],"fields":[…]}
  status        TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled')),
  scheduled_at  INTEGER,
  started_at    INTEGER,
  finished_at   INTEGER,
  public        INTEGER NOT NULL DEFAULT 0,  -- listed as a back number once sent
  slug          TEXT UNIQUE,
  total         INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);

-- The one delivery queue: confirmations, welcomes, broadcasts, test sends,
-- later step mails and notifications. One row per message to one address.
CREATE TABLE deliveries (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL,            -- 'confirm', 'welcome', 'broadcast', 'test', …
  broadcast_id     INTEGER REFERENCES broadcasts(id) ON DELETE CASCADE,
  subscription_id  INTEGER REFERENCES subscriptions(id) ON DELETE CASCADE,
  person_id        INTEGER REFERENCES people(id) ON DELETE CASCADE,
  to_addr          TEXT NOT NULL,
  domain           TEXT NOT NULL,            -- recipient domain, for per-domain rates
  state            TEXT NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL DEFAULT 0,
  last_reply       TEXT NOT NULL DEFAULT '',
  payload          TEXT NOT NULL DEFAULT '', -- kind-specific JSON (e.g. a test send's subject)
  created_at       INTEGER NOT NULL,
  sent_at          INTEGER,
  UNIQUE (broadcast_id, person_id)
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);
CREATE INDEX deliveries_broadcast ON deliveries(broadcast_id, state);
CREATE INDEX deliveries_sent_at ON deliveries(sent_at);

-- Sign-up attempts per address and per IP, for rate limits that survive restarts.
CREATE TABLE signup_attempts (
  key         TEXT NOT NULL,   -- "ip:1.2.3.4" or "email:a@b.c"
  created_at  INTEGER NOT NULL
);
CREATE INDEX signup_attempts_key ON signup_attempts(key, created_at);
