-- 0011 (PostgreSQL): a list's sign-up field can keep its value in the
-- person's own column (name, furigana, company, title) instead of a custom
-- field; as migrations/0011_list_field_person.sql (the same statements).

ALTER TABLE list_fields ADD COLUMN person_field TEXT NOT NULL DEFAULT ''
  CHECK (person_field IN ('', 'name', 'furigana', 'company', 'title'));

-- Text fields keyed like a person column were meant as that column.
UPDATE list_fields SET person_field = key
 WHERE type = 'text' AND key IN ('furigana', 'company', 'title');

-- Their values move onto the person where the person's column is empty;
-- the custom-field copy is dropped once the column holds the same value.
UPDATE people SET company = (SELECT value FROM person_fields f
                              WHERE f.person_id = people.id AND f.key = 'company')
 WHERE company = '' AND EXISTS (SELECT 1 FROM list_fields WHERE person_field = 'company')
   AND EXISTS (SELECT 1 FROM person_fields f WHERE f.person_id = people.id
                AND f.key = 'company' AND f.value <> '');
UPDATE people SET furigana = (SELECT value FROM person_fields f
                               WHERE f.person_id = people.id AND f.key = 'furigana')
 WHERE furigana = '' AND EXISTS (SELECT 1 FROM list_fields WHERE person_field = 'furigana')
   AND EXISTS (SELECT 1 FROM person_fields f WHERE f.person_id = people.id
                AND f.key = 'furigana' AND f.value <> '');
UPDATE people SET title = (SELECT value FROM person_fields f
                            WHERE f.person_id = people.id AND f.key = 'title')
 WHERE title = '' AND EXISTS (SELECT 1 FROM list_fields WHERE person_field = 'title')
   AND EXISTS (SELECT 1 FROM person_fields f WHERE f.person_id = people.id
                AND f.key = 'title' AND f.value <> '');
DELETE FROM person_fields
 WHERE key IN (SELECT person_field FROM list_fields WHERE person_field <> '')
   AND value = (SELECT CASE person_fields.key WHEN 'company' THEN p.company
                       WHEN 'furigana' THEN p.furigana WHEN 'title' THEN p.title END
                  FROM people p WHERE p.id = person_fields.person_id);
