-- 0006: one- and two-character searches (a family name such as 鈴木) are a
-- range over the first two characters of the name; indexing only those
-- keeps the index small and cheap to grow during big imports.
CREATE INDEX people_name2 ON people(substr(name, 1, 2));
