-- 0018: the media library (src/media/). The database is the source of
-- truth: every variant's bytes live in media_files, so any node can serve
-- an image another node took in; DATA/media/ is only each node's cache of
-- those rows (filled from here when a node lacks a file).
--
-- media: one uploaded image. hash: SHA-256 (hex) of the bytes as uploaded,
-- so the same file added twice is one row (importers rely on it). name_key:
-- the stable part of every file name (/media/<name_key>-<w>x<h>.<ext>).
-- width/height: the largest variant's, after EXIF orientation. ext: the
-- fallback format of every width ('jpg' or 'png'; WebP beside it).
-- orig_name: the file name the owner's computer gave (shown, never a path).
CREATE TABLE media (
  id          INTEGER PRIMARY KEY,
  hash        TEXT NOT NULL UNIQUE,
  name_key    TEXT NOT NULL UNIQUE,
  orig_name   TEXT NOT NULL DEFAULT '',
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  ext         TEXT NOT NULL CHECK (ext IN ('jpg', 'png')),
  bytes       INTEGER NOT NULL DEFAULT 0,
  created_at  INTEGER NOT NULL
);
CREATE INDEX media_created ON media(created_at);

-- One file of a media row: name is the path under /media/.
CREATE TABLE media_files (
  name        TEXT PRIMARY KEY,
  media_id    INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  ctype       TEXT NOT NULL,
  data        BLOB NOT NULL
);
CREATE INDEX media_files_media ON media_files(media_id);

-- The article's featured image (a /media/ URL; '' for none): og:image.
ALTER TABLE articles ADD COLUMN featured_image TEXT NOT NULL DEFAULT '';
