-- 0007: settings carry a generation, machine state leaves `settings`, and
-- the site's time zone becomes an IANA name.

-- Bumped by every write to settings, in the same transaction, by the
-- triggers below (so no writer can forget it); each delivery worker — in
-- `serve` or a separate `jinmyaku worker` — compares it before each claim
-- and reloads the mail settings when it moved (newsletter/worker.c).
CREATE TABLE settings_gen (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  gen  INTEGER NOT NULL
);
INSERT INTO settings_gen(id, gen) VALUES (1, 1);
CREATE TRIGGER settings_gen_i AFTER INSERT ON settings BEGIN
  UPDATE settings_gen SET gen = gen + 1 WHERE id = 1;
END;
CREATE TRIGGER settings_gen_u AFTER UPDATE ON settings BEGIN
  UPDATE settings_gen SET gen = gen + 1 WHERE id = 1;
END;
CREATE TRIGGER settings_gen_d AFTER DELETE ON settings BEGIN
  UPDATE settings_gen SET gen = gen + 1 WHERE id = 1;
END;

-- tz_offset_min → timezone. A value of at most 14 in size was typed as
-- hours ("+9" was stored as nine minutes): read it as hours. Whole hours
-- without a well-known zone become Etc/GMT∓n (POSIX sign: Etc/GMT-9 is
-- UTC+9); other offsets the zones that use them, else UTC.
CREATE TEMP TABLE tz_old AS
  SELECT CASE WHEN abs(CAST(value AS INTEGER)) <= 14 THEN CAST(value AS INTEGER) * 60
              ELSE CAST(value AS INTEGER) END AS m
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
  id                  INTEGER PRIMARY KEY CHECK (id = 1),
  zone                TEXT NOT NULL,
  newyear_offset_min  INTEGER NOT NULL
);
INSERT INTO circle_zone(id, zone, newyear_offset_min)
  SELECT 1, COALESCE((SELECT value FROM settings WHERE key = 'timezone'), 'Asia/Tokyo'),
         COALESCE((SELECT CASE WHEN m % 60 = 0 OR m IN (330, 345, 570, 390, 270) THEN m ELSE 0 END
                   FROM tz_old), 540);
DROP TABLE tz_old;

DROP TRIGGER circle_years_tz_i;
DROP TRIGGER circle_years_tz_u;
DROP TRIGGER circle_years_i;
DROP TRIGGER circle_years_d;
DROP TRIGGER circle_years_u;
CREATE TRIGGER circle_years_i AFTER INSERT ON interactions WHEN new.kind IN ('meeting', 'meal', 'call', 'deal') BEGIN
  INSERT INTO circle_years(year, person_id, n)
    SELECT CAST(strftime('%Y', new.happened_at + 60 * (SELECT newyear_offset_min FROM circle_zone WHERE id = 1), 'unixepoch') AS INTEGER), new.person_id, 1 WHERE 1
    ON CONFLICT(year, person_id) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER circle_years_d AFTER DELETE ON interactions WHEN old.kind IN ('meeting', 'meal', 'call', 'deal') BEGIN
  UPDATE circle_years SET n = n - 1
    WHERE year = CAST(strftime('%Y', old.happened_at + 60 * (SELECT newyear_offset_min FROM circle_zone WHERE id = 1), 'unixepoch') AS INTEGER) AND person_id = old.person_id;
  DELETE FROM circle_years WHERE person_id = old.person_id AND n <= 0;
END;
CREATE TRIGGER circle_years_u AFTER UPDATE OF person_id, happened_at, kind ON interactions BEGIN
  UPDATE circle_years SET n = n - 1
    WHERE old.kind IN ('meeting', 'meal', 'call', 'deal') AND year = CAST(strftime('%Y', old.happened_at + 60 * (SELECT newyear_offset_min FROM circle_zone WHERE id = 1), 'unixepoch') AS INTEGER) AND person_id = old.person_id;
  DELETE FROM circle_years WHERE person_id = old.person_id AND n <= 0;
  INSERT INTO circle_years(year, person_id, n)
    SELECT CAST(strftime('%Y', new.happened_at + 60 * (SELECT newyear_offset_min FROM circle_zone WHERE id = 1), 'unixepoch') AS INTEGER), new.person_id, 1 WHERE new.kind IN ('meeting', 'meal', 'call', 'deal')
    ON CONFLICT(year, person_id) DO UPDATE SET n = n + 1;
END;
DELETE FROM circle_years;
INSERT INTO circle_years(year, person_id, n)
  SELECT CAST(strftime('%Y', i.happened_at + 60 * (SELECT newyear_offset_min FROM circle_zone WHERE id = 1), 'unixepoch') AS INTEGER), i.person_id, count(*) FROM interactions i
  WHERE i.kind IN ('meeting', 'meal', 'call', 'deal') GROUP BY 1, 2;
