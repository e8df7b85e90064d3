-- 0010 (PostgreSQL): raw HTML (the allow_raw_html setting) renders only in
-- an article body an owner wrote; as migrations/0010_article_html_trust.sql.
-- Bodies written before this migration by an owner, or by the CLI (no
-- author), keep rendering as they did.
ALTER TABLE articles ADD COLUMN html_trusted BIGINT NOT NULL DEFAULT 0;
UPDATE articles SET html_trusted = 1
  WHERE author_id IS NULL OR author_id IN (SELECT id FROM users WHERE role = 'owner');
