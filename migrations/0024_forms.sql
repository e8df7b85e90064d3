-- 0024: forms (issue 11): asks (読者への問いかけ), job posts (採用) and events
-- (セミナー・読者交流会) are kinds of one form engine, owned by src/forms/.
--
-- A form's fields use the same types, names and validation as a list's
-- sign-up fields (forms/field.c). Times are Unix seconds; NULL = no bound.
-- max_answers_per_person: 0 = any number. status: 'open' takes answers
-- between opens_at and closes_at; 'closed' takes none (closing a job post
-- closes its form).
CREATE TABLE forms (
  id            INTEGER PRIMARY KEY,
  kind          TEXT NOT NULL CHECK (kind IN ('ask', 'job', 'event')),
  slug          TEXT NOT NULL UNIQUE,
  title         TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',    -- Markdown
  thanks        TEXT NOT NULL DEFAULT '',    -- Markdown, shown after answering
  consent_text  TEXT NOT NULL DEFAULT '',    -- 個人情報の取り扱い: '' = none asked
  status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opens_at      INTEGER,
  closes_at     INTEGER,
  max_answers_per_person INTEGER NOT NULL DEFAULT 1 CHECK (max_answers_per_person >= 0),
  list_id       INTEGER REFERENCES lists(id) ON DELETE SET NULL, -- the list it is announced to
  include_freeloaders INTEGER NOT NULL DEFAULT 0, -- ask audience: クレクレ left out unless 1
  -- events
  starts_at     INTEGER,
  ends_at       INTEGER,
  venue         TEXT NOT NULL DEFAULT '',
  online_url    TEXT NOT NULL DEFAULT '',    -- shown to confirmed attendees only
  capacity      INTEGER NOT NULL DEFAULT 0,  -- seats; 0 = no limit
  waitlist      INTEGER NOT NULL DEFAULT 1,  -- 1: past capacity goes to the waitlist
  fee           TEXT NOT NULL DEFAULT '',    -- shown only ("3,000円（当日現金）")
  reminder_hours INTEGER NOT NULL DEFAULT 0, -- 0 = no reminder
  reminded_at   INTEGER,                     -- the reminder went out (once per event)
  party_title   TEXT NOT NULL DEFAULT '',    -- 懇親会: '' = none
  party_capacity INTEGER NOT NULL DEFAULT 0,
  -- job posts: the working conditions a Japanese job ad must show (職業安定法)
  duties        TEXT NOT NULL DEFAULT '',    -- 業務内容
  contract_period TEXT NOT NULL DEFAULT '',  -- 契約期間
  workplace     TEXT NOT NULL DEFAULT '',    -- 就業場所
  working_hours TEXT NOT NULL DEFAULT '',    -- 就業時間
  holidays      TEXT NOT NULL DEFAULT '',    -- 休日
  wage          TEXT NOT NULL DEFAULT '',    -- 賃金
  social_insurance TEXT NOT NULL DEFAULT '', -- 社会保険
  smoking_measures TEXT NOT NULL DEFAULT '', -- 受動喫煙対策
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX forms_kind ON forms(kind, created_at);

CREATE TABLE form_fields (
  id        INTEGER PRIMARY KEY,
  form_id   INTEGER NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,                  -- [a-z0-9_]{1,40}
  label     TEXT NOT NULL,
  type      TEXT NOT NULL CHECK (type IN ('text', 'textarea', 'select', 'multi', 'checkbox',
                                          'email', 'url', 'number', 'date', 'tel', 'file')),
  options   TEXT NOT NULL DEFAULT '',       -- select, multi: one option per line
  required  INTEGER NOT NULL DEFAULT 0,
  position  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (form_id, key)
);

-- One answer (an application, a registration) of one person to one form.
-- verified: 0 while a stranger's answer waits for the click on the link
-- mailed to the address given (it changes nothing on the person and is not
-- on their timeline until then); a reader from their personal mail link is
-- verified at once. status by kind:
--   ask:   'received'
--   job:   'applied' → 'screening' → 'interview' → 'offer' → 'hired' | 'declined'
--   event: 'confirmed' | 'waitlisted' | 'cancelled' | 'expired' (a held
--          seat whose mail confirmation did not come within held_until)
-- seq orders registrations as received (the waitlist order).
CREATE TABLE answers (
  id          INTEGER PRIMARY KEY,
  form_id     INTEGER NOT NULL REFERENCES forms(id) ON DELETE CASCADE,
  person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  status      TEXT NOT NULL,
  verified    INTEGER NOT NULL DEFAULT 0,
  held_until  INTEGER,                      -- event: an unverified seat is held until then
  party       TEXT NOT NULL DEFAULT '' CHECK (party IN ('', 'confirmed', 'waitlisted', 'cancelled')),
  attended_at INTEGER,                      -- event check-in
  reminded_at INTEGER,                      -- event reminder mailed to this attendee
  status_at   INTEGER NOT NULL,             -- when status last changed
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX answers_form ON answers(form_id, status, id);
CREATE INDEX answers_person ON answers(person_id, form_id);

-- The structured values of an answer: one row per value (a 'multi' field
-- has a row per chosen option), so "key=K&value=V" is an index lookup.
-- A 'file' value is the answer_files id.
CREATE TABLE answer_values (
  answer_id   INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
  form_id     INTEGER NOT NULL,
  key         TEXT NOT NULL,
  value       TEXT NOT NULL,
  PRIMARY KEY (answer_id, key, value)
);
CREATE INDEX answer_values_filter ON answer_values(form_id, key, value, answer_id);

-- Files sent with an answer (a 履歴書 PDF): kept in the database like the
-- media's bytes, so every node serves them; only staff can download them.
CREATE TABLE answer_files (
  id          INTEGER PRIMARY KEY,
  answer_id   INTEGER REFERENCES answers(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,                -- the name it was sent with
  ctype       TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  data        BLOB NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX answer_files_answer ON answer_files(answer_id);

-- The job pipeline's notes and dates (an interview on 12/10 14:00), and
-- every status change, newest last.
CREATE TABLE answer_notes (
  id          INTEGER PRIMARY KEY,
  answer_id   INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
  user_id     INTEGER REFERENCES users(id) ON DELETE SET NULL,
  status      TEXT NOT NULL DEFAULT '',     -- the status set by this note ('' = none)
  body        TEXT NOT NULL DEFAULT '',
  at          INTEGER,                      -- a date the note is about
  created_at  INTEGER NOT NULL
);
CREATE INDEX answer_notes_answer ON answer_notes(answer_id, id);
