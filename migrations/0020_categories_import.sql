-- 0020: hierarchical categories beside tags, and what importing another
-- blog (WordPress WXR, はてなブログ's Movable Type text) leaves behind:
-- which source item became which article, and the old URLs that answer
-- 301 to the new ones (owner of every table: site/, see src/OWNERS.tables).

-- A category tree: name shown, slug in /category/SLUG (core/slug.c's rule),
-- parent NULL for a top-level category. Deleting a parent lifts its
-- children to the top level.
CREATE TABLE categories (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  slug        TEXT NOT NULL UNIQUE,
  parent_id   INTEGER REFERENCES categories(id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX categories_parent ON categories(parent_id);

CREATE TABLE article_categories (
  article_id   INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  category_id  INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
  PRIMARY KEY (article_id, category_id)
);
CREATE INDEX article_categories_category ON article_categories(category_id);

-- One row per item of an imported file, keyed by its source ('wordpress',
-- 'hatena') and the source's own key (WordPress: the guid, else the post
-- id; はてな: the BASENAME): importing the same file again finds every
-- item here and changes nothing. article_id is NULL for an item imported
-- and later deleted (it is not brought back).
CREATE TABLE import_items (
  source      TEXT NOT NULL,
  item_key    TEXT NOT NULL,
  article_id  INTEGER REFERENCES articles(id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (source, item_key)
);

-- Old URLs of imported articles: path is the percent-decoded path without
-- its trailing slash plus "?" and the query when there is one
-- ("/2024/01/日本語", "/?p=123", "/entry/2024/01/15/120000"); the site
-- answers 301 to the article's page when no page of its own matches.
CREATE TABLE redirects (
  path        TEXT PRIMARY KEY,
  article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL
);
CREATE INDEX redirects_article ON redirects(article_id);
