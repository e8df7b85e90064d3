-- 0025: a list's sign-up fields take the field engine's one-line types
-- (core/field.h) besides text, select and checkbox: email, url, number,
-- date and tel, with the same names and rules as a form's fields (issue
-- 11). Not textarea (a list field is a merge field, which may reach a
-- subject line), multi (a person keeps one value per key) or file.
--
-- SQLite cannot change a CHECK constraint: the table is rebuilt with the
-- same columns in the same order and every row kept (nothing refers to
-- list_fields' ids, and it has no trigger or index beyond its keys). The
-- old table steps aside under another name first, so the new one is
-- created under its own.
ALTER TABLE list_fields RENAME TO list_fields_before_0025;
CREATE TABLE list_fields (
  id        INTEGER PRIMARY KEY,
  list_id   INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,                  -- [a-z0-9_]+, the merge-field name
  label     TEXT NOT NULL,
  type      TEXT NOT NULL CHECK (type IN ('text', 'select', 'checkbox', 'email', 'url',
                                          'number', 'date', 'tel')),
  options   TEXT NOT NULL DEFAULT '',       -- select: one option per line
  required  INTEGER NOT NULL DEFAULT 0,
  position  INTEGER NOT NULL DEFAULT 0,
  person_field TEXT NOT NULL DEFAULT ''
    CHECK (person_field IN ('', 'name', 'furigana', 'company', 'title')),
  UNIQUE (list_id, key)
);
INSERT INTO list_fields(id, list_id, key, label, type, options, required, position,
                        person_field)
  SELECT id, list_id, key, label, type, options, required, position, person_field
    FROM list_fields_before_0025;
DROP TABLE list_fields_before_0025;
