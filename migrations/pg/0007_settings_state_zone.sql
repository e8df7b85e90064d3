-- 0007 (PostgreSQL): settings carry a generation, machine state leaves
-- `settings`, and the site's time zone becomes an IANA name; as
-- migrations/0007_settings_state_zone.sql.

-- Bumped by every write to settings, in the same transaction, by the
-- triggers below (so no writer can forget it); each delivery worker
-- compares it before each claim and reloads the mail settings when it
-- moved (newsletter/worker.c). A singleton row (id 1): no identity.
CREATE TABLE settings_gen (
  id   BIGINT PRIMARY KEY CHECK (id = 1),
  gen  BIGINT NOT NULL
);
INSERT INTO settings_gen(id, gen) VALUES (1, 1);
CREATE FUNCTION settings_gen_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE settings_gen SET gen = gen + 1 WHERE id = 1;
  RETURN NULL;
END $$;
CREATE TRIGGER settings_gen_i AFTER INSERT ON settings FOR EACH ROW
  EXECUTE FUNCTION settings_gen_bump();
CREATE TRIGGER settings_gen_u AFTER UPDATE ON settings FOR EACH ROW
  EXECUTE FUNCTION settings_gen_bump();
CREATE TRIGGER settings_gen_d AFTER DELETE ON settings FOR EACH ROW
  EXECUTE FUNCTION settings_gen_bump();

-- tz_offset_min -> timezone. A value of at most 14 in size was typed as
-- hours ("+9" was stored as nine minutes): read it as hours. Whole hours
-- without a well-known zone become Etc/GMT-n or Etc/GMT+n (POSIX sign:
-- Etc/GMT-9 is UTC+9); other offsets the zones that use them, else UTC.
-- text_int (0005) reads the value as SQLite's CAST(value AS INTEGER) does.
CREATE TEMP TABLE tz_old AS
  SELECT CASE WHEN abs(text_int(value)) <= 14 THEN text_int(value) * 60
              ELSE text_int(value) END AS m
  FROM settings WHERE key = 'tz_offset_min';
INSERT INTO settings(key, value)
  SELECT 'timezone', CASE
    WHEN m = 540 THEN 'Asia/Tokyo'
    WHEN m = 0 THEN 'UTC'
    WHEN m = 480 THEN 'Asia/Shanghai'
    WHEN m = 420 THEN 'Asia/Bangkok'
    WHEN m = 330 THEN 'Asia/Kolkata'
    WHEN m = 345 THEN 'Asia/Kathmandu'
    WHEN m = 570 THEN 'Australia/Darwin'
    WHEN m = 390 THEN 'Asia/Yangon'
    WHEN m = 270 THEN 'Asia/Kabul'
    WHEN m % 60 = 0 AND m > 0 AND m <= 840 THEN 'Etc/GMT-' || (m / 60)
    WHEN m % 60 = 0 AND m < 0 AND m >= -720 THEN 'Etc/GMT+' || (-m / 60)
    ELSE 'UTC' END
  FROM tz_old;
DELETE FROM settings WHERE key = 'tz_offset_min';

-- The circle review's rollup (0005) is kept in one zone, recorded here by
-- its owner (network/reports.c): the zone's name and its offset at new
-- year, which decides the year of every interaction. When the site's zone
-- changes, the report rebuilds the rollup and this row; the triggers on
-- settings that did it in SQL go (SQL cannot read an IANA zone).
CREATE TABLE circle_zone (
  id                  BIGINT PRIMARY KEY CHECK (id = 1),
  zone                TEXT NOT NULL,
  newyear_offset_min  BIGINT NOT NULL
);
INSERT INTO circle_zone(id, zone, newyear_offset_min)
  SELECT 1, COALESCE((SELECT value FROM settings WHERE key = 'timezone'), 'Asia/Tokyo'),
         COALESCE((SELECT CASE WHEN m % 60 = 0 OR m IN (330, 345, 570, 390, 270) THEN m ELSE 0 END
                   FROM tz_old), 540);
DROP TABLE tz_old;

DROP TRIGGER circle_years_tz_i ON settings;
DROP TRIGGER circle_years_tz_u ON settings;
DROP FUNCTION circle_years_rebuild();
-- SQLite recreates circle_years_i, _d and _u to read circle_zone; here they
-- call circle_year, which now does.
CREATE OR REPLACE FUNCTION circle_year(t BIGINT) RETURNS BIGINT LANGUAGE sql AS $$
  SELECT extract(year FROM to_timestamp(t + 60 *
           (SELECT newyear_offset_min FROM circle_zone WHERE id = 1))
         AT TIME ZONE 'UTC')::bigint
$$;
DELETE FROM circle_years;
INSERT INTO circle_years(year, person_id, n)
  SELECT circle_year(i.happened_at), i.person_id, count(*) FROM interactions i
  WHERE i.kind IN ('meeting', 'meal', 'call', 'deal') GROUP BY 1, 2;
