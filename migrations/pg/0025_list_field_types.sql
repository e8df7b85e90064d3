-- 0025 (PostgreSQL): a list's sign-up fields take the field engine's
-- one-line types besides text, select and checkbox: email, url, number,
-- date and tel (as migrations/0025_list_field_types.sql, which rebuilds
-- the table because SQLite cannot change a CHECK; here the constraint is
-- replaced in place and every row stays).
ALTER TABLE list_fields DROP CONSTRAINT list_fields_type_check;
ALTER TABLE list_fields ADD CONSTRAINT list_fields_type_check
  CHECK (type IN ('text', 'select', 'checkbox', 'email', 'url', 'number', 'date', 'tel'));
