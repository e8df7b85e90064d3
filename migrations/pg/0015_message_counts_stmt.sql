-- 0015 (PostgreSQL): message_counts and circle_years are kept by
-- statement-level triggers over transition tables instead of the per-row
-- ones of 0005. Within one transaction PostgreSQL keeps every version of
-- an updated row, and the next update of that row walks them all: a bulk
-- insert of N messages bumped the same four counter rows N times, so it
-- took time quadratic in N (a 1,000,000-row COPY had not finished after
-- 16 minutes); the circle rollup did the same per person and year. Now
-- each statement updates each counter once, by the sum of its rows.
--
-- The counts are the same as the per-row triggers' (and SQLite's, which
-- keeps them; migrations/0015 is empty). The names stay the same. PostgreSQL
-- refuses transition tables on a trigger with a column list (UPDATE OF …)
-- or with more than one event, so the update triggers fire on every
-- UPDATE and compute the change from the old and new rows: a statement
-- that changes no status (or no counted interaction) changes no counter
-- row, as before. A loop of single-row statements still updates a counter
-- once per statement.

DROP TRIGGER message_counts_i ON messages;
DROP TRIGGER message_counts_d ON messages;
DROP TRIGGER message_counts_u ON messages;
DROP FUNCTION message_counts_i();
DROP FUNCTION message_counts_d();
DROP FUNCTION message_counts_u();

CREATE FUNCTION message_counts_i() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE message_counts c SET n = c.n + d.n
    FROM (SELECT status, count(*) AS n FROM new_rows GROUP BY status) d
    WHERE c.status = d.status;
  RETURN NULL;
END $$;
CREATE TRIGGER message_counts_i AFTER INSERT ON messages
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION message_counts_i();

CREATE FUNCTION message_counts_d() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE message_counts c SET n = c.n - d.n
    FROM (SELECT status, count(*) AS n FROM old_rows GROUP BY status) d
    WHERE c.status = d.status;
  RETURN NULL;
END $$;
CREATE TRIGGER message_counts_d AFTER DELETE ON messages
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION message_counts_d();

-- Only statuses whose count moves are written (an UPDATE of other columns
-- touches no counter, so concurrent edits do not queue on these rows).
CREATE FUNCTION message_counts_u() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE message_counts c SET n = c.n + d.n
    FROM (SELECT status, sum(k) AS n FROM
            (SELECT status, 1 AS k FROM new_rows
             UNION ALL SELECT status, -1 FROM old_rows) x
          GROUP BY status HAVING sum(k) <> 0) d
    WHERE c.status = d.status;
  RETURN NULL;
END $$;
CREATE TRIGGER message_counts_u AFTER UPDATE ON messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION message_counts_u();

DROP TRIGGER circle_years_i ON interactions;
DROP TRIGGER circle_years_d ON interactions;
DROP TRIGGER circle_years_u ON interactions;
DROP FUNCTION circle_years_i();
DROP FUNCTION circle_years_d();
DROP FUNCTION circle_years_u();

-- The rollup (meetings, meals, calls and deals per person and year) as
-- the per-row triggers kept it: increments insert a missing (year,
-- person) row; decrements come first, then the person's rows that fell
-- to 0 go. Only the keys the statement moved are written.
CREATE FUNCTION circle_years_i() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO circle_years(year, person_id, n)
    SELECT circle_year(happened_at), person_id, count(*) FROM new_rows
    WHERE kind IN ('meeting', 'meal', 'call', 'deal') GROUP BY 1, 2
    ON CONFLICT (year, person_id) DO UPDATE SET n = circle_years.n + excluded.n;
  RETURN NULL;
END $$;
CREATE TRIGGER circle_years_i AFTER INSERT ON interactions
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION circle_years_i();

CREATE FUNCTION circle_years_d() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE circle_years c SET n = c.n - d.n
    FROM (SELECT circle_year(happened_at) AS year, person_id, count(*) AS n FROM old_rows
          WHERE kind IN ('meeting', 'meal', 'call', 'deal') GROUP BY 1, 2) d
    WHERE c.year = d.year AND c.person_id = d.person_id;
  DELETE FROM circle_years WHERE n <= 0 AND person_id IN
    (SELECT person_id FROM old_rows WHERE kind IN ('meeting', 'meal', 'call', 'deal'));
  RETURN NULL;
END $$;
CREATE TRIGGER circle_years_d AFTER DELETE ON interactions
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION circle_years_d();

-- The net change per (year, person) of an UPDATE: the counted new rows
-- minus the counted old ones (a row whose year, person and kind stay
-- nets 0 and writes nothing).
CREATE FUNCTION circle_years_u() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE circle_years c SET n = c.n + d.n
    FROM (SELECT year, person_id, sum(k) AS n FROM
            (SELECT circle_year(happened_at) AS year, person_id, 1 AS k FROM new_rows
             WHERE kind IN ('meeting', 'meal', 'call', 'deal')
             UNION ALL
             SELECT circle_year(happened_at), person_id, -1 FROM old_rows
             WHERE kind IN ('meeting', 'meal', 'call', 'deal')) x
          GROUP BY year, person_id HAVING sum(k) < 0) d
    WHERE c.year = d.year AND c.person_id = d.person_id;
  DELETE FROM circle_years WHERE n <= 0 AND person_id IN (SELECT person_id FROM old_rows);
  INSERT INTO circle_years(year, person_id, n)
    SELECT year, person_id, sum(k) FROM
      (SELECT circle_year(happened_at) AS year, person_id, 1 AS k FROM new_rows
       WHERE kind IN ('meeting', 'meal', 'call', 'deal')
       UNION ALL
       SELECT circle_year(happened_at), person_id, -1 FROM old_rows
       WHERE kind IN ('meeting', 'meal', 'call', 'deal')) x
    GROUP BY year, person_id HAVING sum(k) > 0
    ON CONFLICT (year, person_id) DO UPDATE SET n = circle_years.n + excluded.n;
  RETURN NULL;
END $$;
CREATE TRIGGER circle_years_u AFTER UPDATE ON interactions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION circle_years_u();
