-- 0023 (PostgreSQL): the public site search without FTS5 (site/search.c).
--
-- One row per (term, article) of the published articles: the term as the
-- jm_cjk tokenizer of SQLite cuts it (core/cjk_tok.c after core/fold.c),
-- and its positions, comma-separated, each column * 2^24 + the token's
-- position in that column as FTS5 counts them (columns: 0 title, 1 body
-- as plain text, 2 tags). site/search.c matches phrases on the positions
-- and ranks as jm_rank does on SQLite, so both engines give the same hits
-- in the same order. Rows go with their article.
CREATE TABLE site_search_terms (
  term        TEXT NOT NULL,
  article_id  BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  pos         TEXT NOT NULL,
  PRIMARY KEY (term, article_id)
);
CREATE INDEX site_search_terms_article ON site_search_terms(article_id);
