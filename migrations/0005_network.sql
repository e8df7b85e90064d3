-- 0005: the people hub, the contact-form inbox and the network (人脈) CRM.
-- People (0001) gain what the owner knows of them; interactions, introductions
-- and messages all point at a person. Times are unix seconds.

ALTER TABLE people ADD COLUMN can_offer TEXT NOT NULL DEFAULT '';    -- what they give
ALTER TABLE people ADD COLUMN looking_for TEXT NOT NULL DEFAULT '';  -- what they need
ALTER TABLE people ADD COLUMN last_contact_at INTEGER;               -- newest interaction or reply sent
ALTER TABLE people ADD COLUMN touch_days INTEGER;                    -- keep-in-touch interval; NULL = the stage's
ALTER TABLE people ADD COLUMN engagement INTEGER NOT NULL DEFAULT 0; -- score (network/score.c)
ALTER TABLE people ADD COLUMN stage_at INTEGER;                      -- when the stage last changed
ALTER TABLE people ADD COLUMN asks INTEGER NOT NULL DEFAULT 0;       -- requests from them + help given (score.c)
ALTER TABLE people ADD COLUMN gave INTEGER NOT NULL DEFAULT 0;       -- tips, help and referrals from them

-- The people list filters by stage and sorts by engagement or last contact.
-- New rows (reader, 0, NULL, '') land at the end of each index, so bulk
-- imports append to them instead of scattering writes.
CREATE INDEX people_stage_engagement ON people(stage, engagement DESC, id);
CREATE INDEX people_engagement ON people(engagement DESC, id);
CREATE INDEX people_stage_contact ON people(stage, last_contact_at);
-- Freeloader suggestions (asks ≥ 3, nothing given): a handful of rows.
CREATE INDEX people_asks ON people(asks DESC, id) WHERE gave = 0 AND asks >= 3;
-- The few people with a keep-in-touch interval of their own (network/touch.c).
CREATE INDEX people_touch_days ON people(touch_days) WHERE touch_days IS NOT NULL;

-- Links: site, X, Facebook, LinkedIn, note, YouTube … (kind is free text).
CREATE TABLE person_links (
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  kind       TEXT NOT NULL,
  url        TEXT NOT NULL,
  position   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX person_links_person ON person_links(person_id, position);

-- Every stage change: from → to, when, why. from_stage '' = created.
CREATE TABLE stage_changes (
  id          INTEGER PRIMARY KEY,
  person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  from_stage  TEXT NOT NULL DEFAULT '',
  to_stage    TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL
);
CREATE INDEX stage_changes_person ON stage_changes(person_id, created_at);
CREATE INDEX stage_changes_at ON stage_changes(created_at, to_stage);

-- Meetings, meals (会食), calls, mails, messages, deals, referrals, help given
-- (by the owner to them) and help received (from them).
CREATE TABLE interactions (
  id           INTEGER PRIMARY KEY,
  person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  kind         TEXT NOT NULL CHECK (kind IN ('meeting', 'meal', 'call', 'email', 'message',
                                             'deal', 'referral', 'help_given', 'help_received')),
  happened_at  INTEGER NOT NULL,
  note         TEXT NOT NULL DEFAULT '',
  amount       INTEGER,               -- yen, optional (deals, meals)
  created_at   INTEGER NOT NULL
);
CREATE INDEX interactions_person ON interactions(person_id, happened_at);
-- The circle review reads one year of meetings/meals/calls/deals.
CREATE INDEX interactions_at ON interactions(happened_at, kind, person_id);

-- The circle review's rollup: meetings, meals, calls and deals per person
-- per calendar year in the site's time zone (setting tz_offset_min, default
-- +540), kept by triggers and rebuilt when that setting changes, so a review
-- reads two small ranges instead of every interaction of two years.
CREATE TABLE circle_years (
  year       INTEGER NOT NULL,
  person_id  INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  n          INTEGER NOT NULL,
  PRIMARY KEY (year, person_id)
) WITHOUT ROWID;
CREATE INDEX circle_years_person ON circle_years(person_id);

CREATE TRIGGER circle_years_i AFTER INSERT ON interactions WHEN new.kind IN ('meeting', 'meal', 'call', 'deal') BEGIN
  INSERT INTO circle_years(year, person_id, n)
    SELECT CAST(strftime('%Y', new.happened_at + 60 * COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'tz_offset_min'), 540), 'unixepoch') AS INTEGER), new.person_id, 1 WHERE 1
    ON CONFLICT(year, person_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER circle_years_d AFTER DELETE ON interactions WHEN old.kind IN ('meeting', 'meal', 'call', 'deal') BEGIN
  UPDATE circle_years SET n = n - 1
    WHERE year = CAST(strftime('%Y', old.happened_at + 60 * COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'tz_offset_min'), 540), 'unixepoch') AS INTEGER) AND person_id = old.person_id;
  DELETE FROM circle_years WHERE person_id = old.person_id AND n <= 0;
END;
CREATE TRIGGER circle_years_u AFTER UPDATE OF person_id, happened_at, kind ON interactions BEGIN
  UPDATE circle_years SET n = n - 1
    WHERE old.kind IN ('meeting', 'meal', 'call', 'deal') AND year = CAST(strftime('%Y', old.happened_at + 60 * COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'tz_offset_min'), 540), 'unixepoch') AS INTEGER) AND person_id = old.person_id;
  DELETE FROM circle_years WHERE person_id = old.person_id AND n <= 0;
  INSERT INTO circle_years(year, person_id, n)
    SELECT CAST(strftime('%Y', new.happened_at + 60 * COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'tz_offset_min'), 540), 'unixepoch') AS INTEGER), new.person_id, 1 WHERE new.kind IN ('meeting', 'meal', 'call', 'deal')
    ON CONFLICT(year, person_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER circle_years_tz_i AFTER INSERT ON settings WHEN new.key = 'tz_offset_min' BEGIN
  DELETE FROM circle_years;
  INSERT INTO circle_years(year, person_id, n)
    SELECT CAST(strftime('%Y', i.happened_at + 60 * COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'tz_offset_min'), 540), 'unixepoch') AS INTEGER), i.person_id, count(*) FROM interactions i
    WHERE i.kind IN ('meeting', 'meal', 'call', 'deal') GROUP BY 1, 2;
END;
CREATE TRIGGER circle_years_tz_u AFTER UPDATE OF value ON settings
  WHEN new.key = 'tz_offset_min' AND new.value IS NOT old.value BEGIN
  DELETE FROM circle_years;
  INSERT INTO circle_years(year, person_id, n)
    SELECT CAST(strftime('%Y', i.happened_at + 60 * COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'tz_offset_min'), 540), 'unixepoch') AS INTEGER), i.person_id, count(*) FROM interactions i
    WHERE i.kind IN ('meeting', 'meal', 'call', 'deal') GROUP BY 1, 2;
END;

-- "A introduced me to B": introducer_id = A, person_id = B, to_id NULL.
-- "I introduced A to B":  introducer_id NULL, person_id = A, to_id = B.
-- NULL on either side stands for the owner.
CREATE TABLE introductions (
  id             INTEGER PRIMARY KEY,
  introducer_id  INTEGER REFERENCES people(id) ON DELETE CASCADE,
  person_id      INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  to_id          INTEGER REFERENCES people(id) ON DELETE CASCADE,
  happened_at    INTEGER NOT NULL,
  note           TEXT NOT NULL DEFAULT '',
  created_at     INTEGER NOT NULL,
  CHECK (introducer_id IS NOT NULL OR to_id IS NOT NULL)
);
CREATE INDEX introductions_introducer ON introductions(introducer_id);
CREATE INDEX introductions_person ON introductions(person_id);
CREATE INDEX introductions_to ON introductions(to_id);

-- What strangers write in: the contact form today, asks and job posts later
-- (form = 'contact' or a form slug).
CREATE TABLE messages (
  id          INTEGER PRIMARY KEY,
  person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  form        TEXT NOT NULL DEFAULT 'contact',
  category    TEXT NOT NULL DEFAULT '',
  subject     TEXT NOT NULL DEFAULT '',
  body        TEXT NOT NULL DEFAULT '',
  name        TEXT NOT NULL DEFAULT '',  -- as typed in the form
  email       TEXT NOT NULL DEFAULT '',  -- as typed (normalised)
  status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'replied', 'archived', 'spam')),
  ip          TEXT NOT NULL DEFAULT '',
  page        TEXT NOT NULL DEFAULT '',  -- where the form was sent from
  msgid       TEXT NOT NULL,             -- RFC 5322 Message-ID the thread hangs on, "<…@host>"
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX messages_status ON messages(status, created_at);
CREATE INDEX messages_category ON messages(category, status, created_at);
CREATE INDEX messages_person ON messages(person_id, created_at);
CREATE INDEX messages_created ON messages(created_at);

-- Messages per status for the inbox tabs and the dashboard, kept by
-- triggers: counting a status of a million messages took tens of ms.
CREATE TABLE message_counts (
  status  TEXT PRIMARY KEY,
  n       INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO message_counts(status, n)
  VALUES ('new', 0), ('replied', 0), ('archived', 0), ('spam', 0);
CREATE TRIGGER message_counts_i AFTER INSERT ON messages BEGIN
  UPDATE message_counts SET n = n + 1 WHERE status = new.status;
END;
CREATE TRIGGER message_counts_d AFTER DELETE ON messages BEGIN
  UPDATE message_counts SET n = n - 1 WHERE status = old.status;
END;
CREATE TRIGGER message_counts_u AFTER UPDATE OF status ON messages
  WHEN new.status IS NOT old.status
BEGIN
  UPDATE message_counts SET n = n - 1 WHERE status = old.status;
  UPDATE message_counts SET n = n + 1 WHERE status = new.status;
END;

-- The owner's replies, sent by mail through the delivery queue.
CREATE TABLE message_replies (
  id           INTEGER PRIMARY KEY,
  message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
  subject      TEXT NOT NULL,
  body         TEXT NOT NULL,
  msgid        TEXT NOT NULL,           -- this reply's Message-ID
  delivery_id  INTEGER REFERENCES deliveries(id) ON DELETE SET NULL,
  created_at   INTEGER NOT NULL
);
CREATE INDEX message_replies_message ON message_replies(message_id, created_at);

-- Merging two people who were on the same list keeps one subscription; the
-- other's id lives on here so the unsubscribe and confirm links already
-- mailed for it (signed with that id) still work.
CREATE TABLE subscription_aliases (
  old_id  INTEGER PRIMARY KEY,
  new_id  INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE
);

-- Who can help: one document per person (network/search.c), tokenised by
-- the jm_cjk tokenizer registered by db/ (NFKC + case folding, CJK bigrams,
-- words for Latin script). rowid = people.id.
-- meta holds filter tokens only (stage, flags, hashed tags), so that the
-- stage/tag/flag filters are part of the MATCH and need no join. The
-- one-character prefix index answers one-character queries ("本"*) from a
-- single list instead of merging every bigram that starts with it.
CREATE VIRTUAL TABLE people_search USING fts5(
  name, company, offer, notes, tags, messages, meta,
  tokenize = 'jm_cjk', prefix = '1'
);

-- People whose search document or engagement score is out of date. New
-- people are found by id (> search_state.indexed_to), so bulk imports add
-- no row here; later changes mark the person by trigger.
CREATE TABLE search_dirty (
  person_id  INTEGER PRIMARY KEY
);
CREATE TABLE search_state (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_to  INTEGER NOT NULL DEFAULT 0   -- every people.id <= this has been indexed once
);
INSERT INTO search_state(id, indexed_to) VALUES (1, 0);

CREATE TRIGGER search_dirty_people AFTER UPDATE OF name, furigana, email, company, title,
  can_offer, looking_for, notes_md, stage, freeloader, blocked ON people
  WHEN new.id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (new.id);
END;
CREATE TRIGGER search_dirty_people_del AFTER DELETE ON people BEGIN
  DELETE FROM people_search WHERE rowid = old.id;
  DELETE FROM search_dirty WHERE person_id = old.id;
END;
-- New custom-field values are marked by their writers (newsletter/csv.c
-- once per import batch, newsletter/subscribe.c per sign-up; network/
-- people.c deletes a person's fields before writing them): a per-row
-- trigger here cost a million-row import a few percent.
CREATE TRIGGER search_dirty_fields_u AFTER UPDATE ON person_fields
  WHEN new.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (new.person_id);
END;
CREATE TRIGGER search_dirty_fields_d AFTER DELETE ON person_fields BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (old.person_id);
END;
CREATE TRIGGER search_dirty_tags_i AFTER INSERT ON person_tags
  WHEN new.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (new.person_id);
END;
CREATE TRIGGER search_dirty_tags_d AFTER DELETE ON person_tags BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (old.person_id);
END;
CREATE TRIGGER search_dirty_messages_i AFTER INSERT ON messages
  WHEN new.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (new.person_id);
END;
CREATE TRIGGER search_dirty_messages_u AFTER UPDATE OF person_id, subject, body, category, status
  ON messages
BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (new.person_id);
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (old.person_id);
END;
CREATE TRIGGER search_dirty_interactions_i AFTER INSERT ON interactions
  WHEN new.person_id <= (SELECT indexed_to FROM search_state WHERE id = 1)
BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (new.person_id);
END;
CREATE TRIGGER search_dirty_interactions_d AFTER DELETE ON interactions BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (old.person_id);
END;
CREATE TRIGGER search_dirty_subscriptions AFTER UPDATE OF status ON subscriptions BEGIN
  INSERT OR IGNORE INTO search_dirty(person_id) VALUES (new.person_id);
END;
