-- 0022: the trash and article revisions (issue 10, "the editor and safety
-- nets"; site/trash.c, site/revision.c, newsletter/trash.c).
--
-- Trash: deleting an article, a list or an unsent broadcast sets
-- trashed_at instead of removing the row; the hourly purge removes rows
-- trashed more than 30 days ago. A trashed article or list gives its slug
-- back (slug becomes '~trash~<id>', which no valid slug can be: '~' is not
-- a slug character) and keeps it in trashed_slug for the restore. A
-- trashed article is stored as a draft (trashed_status keeps what it was),
-- so every query that shows published articles leaves it out by itself;
-- a trashed broadcast is stored as a draft too (it never starts).
ALTER TABLE articles ADD COLUMN trashed_at INTEGER;
ALTER TABLE articles ADD COLUMN trashed_slug TEXT;
ALTER TABLE articles ADD COLUMN trashed_status TEXT;
ALTER TABLE lists ADD COLUMN trashed_at INTEGER;
ALTER TABLE lists ADD COLUMN trashed_slug TEXT;
ALTER TABLE broadcasts ADD COLUMN trashed_at INTEGER;
ALTER TABLE broadcasts ADD COLUMN trashed_status TEXT;
CREATE INDEX articles_trashed ON articles(trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX lists_trashed ON lists(trashed_at) WHERE trashed_at IS NOT NULL;
CREATE INDEX broadcasts_trashed ON broadcasts(trashed_at) WHERE trashed_at IS NOT NULL;

-- Revisions: every save of an article keeps its title and body as they
-- were saved, with who and when. site/revision.c keeps the newest 50 per
-- article (SITE_REVISIONS_KEPT); purging an article removes its revisions.
CREATE TABLE article_revisions (
  id          INTEGER PRIMARY KEY,
  article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  author_id   INTEGER REFERENCES users(id) ON DELETE SET NULL,
  title       TEXT NOT NULL,
  body_md     TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX article_revisions_article ON article_revisions(article_id, id);
