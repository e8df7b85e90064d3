/*
 * article.c — articles and their tags (tables articles, tags, article_tags).
 *
 * Invariants: a stored article passed validate_article (title 1..300 bytes
 * of UTF-8 without control characters, a slug of 1..120 bytes following
 * core/slug.c's rule — Japanese kept —, status draft|published, at most ARTICLE_TAGS_MAX distinct
 * trimmed tags); a published article always has a published_at; tags with no article left are
 * deleted. Every write is one short transaction, so a failed create or update changes nothing.
 * Duplicate explicit slugs are reported by the UNIQUE constraint as JM_CONFLICT; derived slugs get
 * a numeric suffix.
 */
#include "core/core.h"
#include "db/db.h"
#include "site/site.h"
#include "site/site_int.h"

#define EXCERPT_MAX 1000 /* bytes */

#define ART_COLS                                                                                   \
	"a.id, a.slug, a.title, a.body_md, a.excerpt, a.status, COALESCE(a.published_at, 0), "     \
	"a.created_at, a.updated_at, a.html_trusted, a.featured_image"

/* Normalised, de-duplicated tag names (slices of the caller's strings). */
struct tagset {
	struct str v[ARTICLE_TAGS_MAX];
	size_t n;
};

/* ---- validation ---- */

/* The slug rule is core/slug.c's (Japanese kept, see the README). */
static bool slug_valid(const char *s)
{
	return jm_slug_valid(s, ARTICLE_SLUG_MAX);
}

/* The title's slug (core/slug.c), leaving room for a "-NN" suffix; "post-"
 * and a random base36 suffix when the title has no word character. */
static void slug_derive(const char *title, char out[ARTICLE_SLUG_MAX + 1])
{
	if (jm_slug_make(title, strlen(title), out, ARTICLE_SLUG_MAX - 4))
		return;
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char rnd[16];
	jm_random_token(rnd, 6);
	memcpy(out, "post-", 5);
	for (int i = 0; i < 6; i++)
		out[5 + i] = b36[(unsigned char)rnd[i] % 36];
	out[11] = '\0';
}

static bool is_space_at(const char *p, size_t len, size_t *w)
{
	if (len && (*p == ' ' || *p == '\t')) {
		*w = 1;
		return true;
	}
	if (len >= 3 && memcmp(p, "\xe3\x80\x80", 3) == 0) { /* U+3000 ideographic space */
		*w = 3;
		return true;
	}
	return false;
}

/* Trims ASCII and ideographic spaces around one tag. */
static struct str tag_trim(const char *s)
{
	size_t len = strlen(s), w;
	while (is_space_at(s, len, &w)) {
		s += w;
		len -= w;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	while (len >= 3 && memcmp(s + len - 3, "\xe3\x80\x80", 3) == 0)
		len -= 3;
	return str_from(s, len);
}

static enum jm_rc tags_normalise(const char **tags, size_t ntags, struct tagset *ts,
                                 struct jm_err *err)
{
	ts->n = 0;
	if (ntags > ARTICLE_TAGS_MAX) {
		jm_err_set(err, "tags", "at most %d tags", ARTICLE_TAGS_MAX);
		return JM_INVALID;
	}
	for (size_t i = 0; i < ntags; i++) {
		struct str t = tag_trim(tags[i] ? tags[i] : "");
		if (t.len == 0)
			continue;
		if (t.len > TAG_NAME_MAX || !utf8_valid(t.p, t.len) ||
		    utf8_has_controls(t.p, t.len) || memchr(t.p, '\n', t.len) ||
		    memchr(t.p, '\r', t.len)) {
			jm_err_set(err, "tags",
			           "invalid tag (at most %d bytes, no control characters)",
			           TAG_NAME_MAX);
			return JM_INVALID;
		}
		bool dup = false;
		for (size_t j = 0; j < ts->n && !dup; j++)
			dup = ts->v[j].len == t.len && memcmp(ts->v[j].p, t.p, t.len) == 0;
		if (!dup)
			ts->v[ts->n++] = t;
	}
	return JM_OK;
}

static bool single_line_text(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n <= max && utf8_valid(s, n) && !utf8_has_controls(s, n) && !strpbrk(s, "\r\n");
}

/* Checks a complete input (every field set); slug may be "" (derive). */
static enum jm_rc validate_article(const struct article_input *in, struct jm_err *err)
{
	const char *field = NULL;
	if (!in->title || jm_blank(in->title) || !single_line_text(in->title, ARTICLE_TITLE_MAX))
		field = "title";
	else if (in->slug && *in->slug && !slug_valid(in->slug))
		field = "slug";
	else if (strlen(in->body_md) > ARTICLE_BODY_MAX ||
	         !utf8_valid(in->body_md, strlen(in->body_md)))
		field = "body_md";
	else if (strlen(in->excerpt) > EXCERPT_MAX ||
	         !utf8_valid(in->excerpt, strlen(in->excerpt)) ||
	         utf8_has_controls(in->excerpt, strlen(in->excerpt)))
		field = "excerpt";
	else if (strcmp(in->status, "draft") != 0 && strcmp(in->status, "published") != 0)
		field = "status";
	else if (in->published_at < 0)
		field = "published_at";
	else if (!site_featured_image_ok(in->featured_image))
		field = "featured_image";
	if (field) {
		jm_err_set(err, field, "invalid %s", field);
		return JM_INVALID;
	}
	return JM_OK;
}

/* ---- writes ---- */

/* Makes a derived slug unique by appending -2, -3, ... (inside the write
 * transaction, so no other writer can take it meanwhile). */
static enum jm_rc slug_make_unique(struct db *db, char slug[ARTICLE_SLUG_MAX + 1], int64_t self)
{
	return db_slug_free(db, "SELECT 1 FROM articles WHERE slug = ? AND id <> ?", self, slug,
	                    ARTICLE_SLUG_MAX);
}

static enum jm_rc tags_write(struct db *db, int64_t id, const struct tagset *ts)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM article_tags WHERE article_id = ?", "i", id);
	for (size_t i = 0; i < ts->n && !rc; i++) {
		struct db_stmt *st = NULL;
		rc = db_prepare(
		        db, "INSERT INTO tags(name) VALUES (?) ON CONFLICT(name) DO NOTHING", &st);
		if (rc)
			break;
		db_bind_text(st, 1, ts->v[i].p, ts->v[i].len);
		rc = db_step(st);
		db_finalize(st);
		if (rc != JM_DONE)
			break;
		rc = db_prepare(
		        db,
		        "INSERT INTO article_tags(article_id, tag_id) SELECT ?, id FROM tags "
		        "WHERE name = ? ON CONFLICT DO NOTHING",
		        &st);
		if (rc)
			break;
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, ts->v[i].p, ts->v[i].len);
		rc = db_step(st);
		db_finalize(st);
		rc = rc == JM_DONE ? JM_OK : rc;
	}
	if (!rc)
		rc = db_exec(db,
		             "DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM article_tags)");
	return rc;
}

/* Binds the article fields shared by INSERT and UPDATE as parameters 1..7. */
static void bind_fields(struct db_stmt *st, const struct article_input *in, const char *slug)
{
	db_bind_text(st, 1, slug, SIZE_MAX);
	db_bind_text(st, 2, in->title, SIZE_MAX);
	db_bind_text(st, 3, in->body_md, SIZE_MAX);
	db_bind_text(st, 4, in->excerpt, SIZE_MAX);
	db_bind_text(st, 5, in->status, SIZE_MAX);
	if (in->published_at > 0)
		db_bind_int(st, 6, in->published_at);
	else
		db_bind_null(st, 6);
	db_bind_text(st, 7, in->featured_image ? in->featured_image : "", SIZE_MAX);
}

/* Fills the derived parts of a complete input: publishing sets the time. */
static void finish_input(struct article_input *in)
{
	if (strcmp(in->status, "published") == 0 && in->published_at <= 0)
		in->published_at = jm_now();
}

/* Picks the slug to store: the given one, or a unique derived one. */
static enum jm_rc choose_slug(struct db *db, const struct article_input *in, int64_t self,
                              bool suffix, char slug[ARTICLE_SLUG_MAX + 1])
{
	if (in->slug && *in->slug) {
		snprintf(slug, ARTICLE_SLUG_MAX + 1, "%s", in->slug);
		/* An import keeps the old slug when it is free, else suffixes it. */
		return suffix && strlen(slug) <= ARTICLE_SLUG_MAX - 4
		               ? slug_make_unique(db, slug, self)
		               : JM_OK;
	}
	slug_derive(in->title, slug);
	return slug_make_unique(db, slug, self);
}

static enum jm_rc conflict_or(enum jm_rc rc, struct jm_err *err)
{
	if (rc == JM_CONFLICT)
		jm_err_set(err, "slug", "this slug is already used");
	else if (rc)
		jm_err_set(err, NULL, "could not save the article");
	return rc;
}

static enum jm_rc insert_row(struct db *db, const struct article_input *in, const char *slug,
                             int64_t author_id, int64_t *id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db,
	                           "INSERT INTO articles(slug, title, body_md, excerpt, status, "
	                           "published_at, featured_image, author_id, created_at, "
	                           "updated_at, html_trusted) "
	                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	                           &st);
	if (rc)
		return rc;
	int64_t now = jm_now();
	bind_fields(st, in, slug);
	if (author_id > 0)
		db_bind_int(st, 8, author_id);
	else
		db_bind_null(st, 8);
	db_bind_int(st, 9, now);
	db_bind_int(st, 10, now);
	db_bind_int(st, 11, in->html_trusted);
	rc = db_step(st);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	return rc;
}

/* Normalises and validates a create input (defaults filled in). */
static enum jm_rc create_input(const struct article_input *in0, struct article_input *in,
                               struct tagset *ts, struct jm_err *err)
{
	*in = *in0;
	if (!in->has_slug)
		in->slug = NULL;
	in->body_md = in->has_body && in->body_md ? in->body_md : "";
	in->excerpt = in->has_excerpt && in->excerpt ? in->excerpt : "";
	in->status = in->has_status && in->status ? in->status : "draft";
	in->published_at = in->has_published_at ? in->published_at : 0;
	in->featured_image = in->has_featured_image && in->featured_image ? in->featured_image : "";
	enum jm_rc rc = tags_normalise(in->has_tags ? in->tags : NULL, in->has_tags ? in->ntags : 0,
	                               ts, err);
	if (!rc)
		rc = validate_article(in, err);
	if (!rc)
		finish_input(in);
	return rc;
}

enum jm_rc site_article_insert_tx(struct db *db, const struct article_input *in0, int64_t author_id,
                                  bool suffix_slug, int64_t *id_out,
                                  char slug[ARTICLE_SLUG_MAX + 1], struct jm_err *err)
{
	struct article_input in;
	struct tagset ts;
	int64_t id = 0;
	enum jm_rc rc = create_input(in0, &in, &ts, err);
	if (rc)
		return rc;
	rc = choose_slug(db, &in, 0, suffix_slug, slug);
	if (!rc)
		rc = insert_row(db, &in, slug, author_id, &id);
	if (!rc)
		rc = tags_write(db, id, &ts);
	if (!rc && in.has_categories)
		rc = site_categories_write(db, id, in.categories, in.ncategories, err);
	if (rc == JM_INVALID && err && err->field[0])
		return rc;
	if (!rc) /* the first revision and the site search (imports too) */
		rc = site_revision_add(db, id, author_id);
	if (!rc)
		rc = site_search_index(db, id);
	if (!rc && id_out)
		*id_out = id;
	return conflict_or(rc, err);
}

enum jm_rc site_article_create(struct db *db, const struct article_input *in, int64_t author_id,
                               int64_t *id_out, struct jm_err *err)
{
	char slug[ARTICLE_SLUG_MAX + 1];
	struct article_input chk;
	struct tagset ts;
	enum jm_rc rc = create_input(in, &chk, &ts, err);
	if (rc)
		return rc;
	rc = db_begin(db);
	if (rc)
		return conflict_or(rc, err);
	rc = site_article_insert_tx(db, in, author_id, false, id_out, slug, err);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	return site_content_written(db, JM_OK);
}

/* Overlays the fields the update sets onto the current article. */
static void merge_update(struct article_input *m, const struct article *cur,
                         const struct article_input *in)
{
	memset(m, 0, sizeof(*m));
	m->title = in->has_title ? in->title : cur->title;
	m->slug = in->has_slug ? in->slug : cur->slug;
	m->body_md = in->has_body && in->body_md ? in->body_md : cur->body_md;
	if (in->has_body && !in->body_md)
		m->body_md = "";
	m->excerpt = in->has_excerpt ? (in->excerpt ? in->excerpt : "") : cur->excerpt;
	m->status = in->has_status ? (in->status ? in->status : "") : cur->status;
	m->published_at = in->has_published_at ? in->published_at : cur->published_at;
	m->featured_image = in->has_featured_image ? (in->featured_image ? in->featured_image : "")
	                                           : cur->featured_image;
	m->has_body = in->has_body;
	m->html_trusted = in->html_trusted;
}

static enum jm_rc update_row(struct db *db, int64_t id, const struct article_input *m,
                             const char *slug)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_prepare(db,
	                   "UPDATE articles SET slug = ?, title = ?, body_md = ?, excerpt = ?, "
	                   "status = ?, published_at = ?, featured_image = ?, updated_at = ?, "
	                   /* a new body takes its writer's trust; no new body
	                    * keeps the trust of the body's writer */
	                   "html_trusted = CASE WHEN ? THEN ? ELSE html_trusted END "
	                   "WHERE id = ?",
	                   &st);
	if (rc)
		return rc;
	bind_fields(st, m, slug);
	db_bind_int(st, 8, jm_now());
	db_bind_int(st, 9, m->has_body);
	db_bind_int(st, 10, m->html_trusted);
	db_bind_int(st, 11, id);
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* The write part of an update, inside the caller's transaction. */
static enum jm_rc update_tx(struct db *db, struct arena *a, int64_t id,
                            const struct article_input *in, struct jm_err *err)
{
	struct article cur;
	enum jm_rc rc = site_article_get(db, a, id, &cur);
	if (rc)
		return rc;
	struct article_input m;
	merge_update(&m, &cur, in);
	struct tagset ts;
	if (in->has_tags)
		rc = tags_normalise(in->tags, in->ntags, &ts, err);
	else
		rc = tags_normalise(cur.tags, cur.ntags, &ts, err);
	if (!rc)
		rc = validate_article(&m, err);
	if (rc)
		return rc;
	finish_input(&m);
	char slug[ARTICLE_SLUG_MAX + 1];
	rc = choose_slug(db, &m, id, false, slug);
	if (!rc)
		rc = update_row(db, id, &m, slug);
	if (!rc && in->has_tags)
		rc = tags_write(db, id, &ts);
	if (!rc && in->has_categories)
		rc = site_categories_write(db, id, in->categories, in->ncategories, err);
	if (rc == JM_INVALID && err && err->field[0])
		return rc;
	if (!rc)
		rc = site_revision_add(db, id, in->editor_id);
	if (!rc)
		rc = site_search_index(db, id);
	return conflict_or(rc, err);
}

enum jm_rc site_article_update(struct db *db, int64_t id, const struct article_input *in,
                               struct jm_err *err)
{
	struct arena *a = arena_new(4096);
	enum jm_rc rc = db_begin(db);
	if (rc)
		goto out;
	rc = update_tx(db, a, id, in, err);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
out:
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, NULL, "no such article");
	arena_free(a);
	return site_content_written(db, rc);
}

/* ---- reads ---- */

static void row_to_article(struct db_stmt *st, struct arena *a, struct article *out)
{
	memset(out, 0, sizeof(*out));
	out->id = db_col_int(st, 0);
	out->slug = db_col_dup(st, 1, a);
	out->title = db_col_dup(st, 2, a);
	out->body_md = db_col_dup(st, 3, a);
	out->excerpt = db_col_dup(st, 4, a);
	out->status = db_col_dup(st, 5, a);
	out->published_at = db_col_int(st, 6);
	out->created_at = db_col_int(st, 7);
	out->updated_at = db_col_int(st, 8);
	out->html_trusted = db_col_int(st, 9) != 0;
	out->featured_image = db_col_dup(st, 10, a);
}

static enum jm_rc tags_read(struct db *db, struct arena *a, struct article *art)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT t.name FROM tags t JOIN article_tags x ON x.tag_id = t.id "
	                    "WHERE x.article_id = ? ORDER BY t.name",
	                    "i", art->id);
	if (rc)
		return rc;
	size_t cap = 0;
	art->tags = NULL;
	art->ntags = 0;
	while ((rc = db_step(st)) == JM_OK) {
		art->tags = arena_grow(a, art->tags, art->ntags, &cap, sizeof(char *));
		art->tags[art->ntags++] = db_col_dup(st, 0, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* Steps a one-row query into out (+ its tags); JM_NOT_FOUND if no row. */
static enum jm_rc get_one(struct db *db, struct arena *a, struct db_stmt *st, struct article *out)
{
	enum jm_rc rc = db_step(st);
	if (rc == JM_OK)
		row_to_article(st, a, out);
	db_finalize(st);
	if (rc == JM_DONE)
		return JM_NOT_FOUND;
	if (rc)
		return rc;
	rc = tags_read(db, a, out);
	return rc ? rc : site_categories_read(db, a, out);
}

enum jm_rc site_article_get(struct db *db, struct arena *a, int64_t id, struct article *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT " ART_COLS " FROM articles a WHERE a.id = ? "
	                            "AND a.trashed_at IS NULL",
	                            "i", id);
	return rc ? rc : get_one(db, a, st, out);
}

enum jm_rc site_article_get_public(struct db *db, struct arena *a, const char *slug,
                                   struct article *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT " ART_COLS " FROM articles a WHERE a.slug = ? AND "
	                            "a.status = 'published' AND a.published_at <= ?",
	                            "ti", slug, jm_now());
	return rc ? rc : get_one(db, a, st, out);
}

#define LIST_WHERE                                                                                 \
	" FROM articles a WHERE a.trashed_at IS NULL AND (? = 0 OR (a.status = 'published' AND "   \
	"a.published_at <= ?))"                                                                    \
	" AND (? IS NULL OR a.status = ?) AND (? IS NULL OR EXISTS (SELECT 1 FROM article_tags x"  \
	" JOIN tags t ON t.id = x.tag_id WHERE x.article_id = a.id AND t.name = ?))"               \
	" AND (? = 0 OR EXISTS (SELECT 1 FROM article_categories y WHERE y.article_id = a.id"      \
	" AND y.category_id IN (WITH RECURSIVE sub(id) AS (SELECT CAST(? AS BIGINT) UNION"         \
	" SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) SELECT id FROM sub)))"

static enum jm_rc list_count(struct db *db, const struct article_query *q, int64_t now,
                             int64_t *total)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, "SELECT COUNT(*)" LIST_WHERE, "iittttii",
	                            (int64_t)q->public_only, now, q->status, q->status, q->tag,
	                            q->tag, q->category_id, q->category_id);
	if (rc)
		return rc;
	rc = db_step(st);
	*total = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	return rc == JM_OK ? JM_OK : JM_DB;
}

enum jm_rc site_article_list(struct db *db, struct arena *a, const struct article_query *q,
                             struct article **items, size_t *n, int64_t *total)
{
	int per = q->per_page < 1 ? 10 : q->per_page > 100 ? 100 : q->per_page;
	int page = q->page < 1 ? 1 : q->page;
	int64_t now = jm_now();
	*items = NULL;
	*n = 0;
	enum jm_rc rc = list_count(db, q, now, total);
	if (rc)
		return rc;
	struct db_stmt *st = NULL;
	rc = db_preparef(db, &st,
	                 "SELECT " ART_COLS LIST_WHERE
	                 " ORDER BY COALESCE(a.published_at, a.created_at) DESC, a.created_at DESC,"
	                 " a.id DESC LIMIT ? OFFSET ?",
	                 "iittttiiii", (int64_t)q->public_only, now, q->status, q->status, q->tag,
	                 q->tag, q->category_id, q->category_id, (int64_t)per,
	                 (int64_t)(page - 1) * per);
	if (rc)
		return rc;
	struct article *arr = arena_calloc(a, (size_t)per * sizeof(*arr));
	size_t cnt = 0;
	while ((rc = db_step(st)) == JM_OK && cnt < (size_t)per)
		row_to_article(st, a, &arr[cnt++]);
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	rc = JM_OK;
	for (size_t i = 0; i < cnt && !rc; i++) {
		rc = tags_read(db, a, &arr[i]);
		if (!rc)
			rc = site_categories_read(db, a, &arr[i]);
	}
	if (rc)
		return rc;
	*items = arr;
	*n = cnt;
	return JM_OK;
}

int64_t site_next_scheduled(struct db *db)
{
	struct db_stmt *st = NULL;
	if (db_preparef(db, &st,
	                "SELECT MIN(published_at) FROM articles WHERE status = 'published' AND "
	                "published_at > ?",
	                "i", jm_now()) != JM_OK)
		return 0;
	int64_t t = 0;
	if (db_step(st) == JM_OK && !db_col_null(st, 0))
		t = db_col_int(st, 0);
	db_finalize(st);
	return t;
}

enum jm_rc site_tag_list(struct db *db, struct arena *a, struct tag_count **items, size_t *n)
{
	struct db_stmt *st = NULL;
	*items = NULL;
	*n = 0;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT t.name, COUNT(*) FROM tags t "
	                            "JOIN article_tags x ON x.tag_id = t.id "
	                            "JOIN articles a ON a.id = x.article_id "
	                            "WHERE a.status = 'published' AND a.published_at <= ? "
	                            "GROUP BY t.id, t.name ORDER BY COUNT(*) DESC, t.name",
	                            "i", jm_now());
	if (rc)
		return rc;
	size_t cap = 0;
	while ((rc = db_step(st)) == JM_OK) {
		*items = arena_grow(a, *items, *n, &cap, sizeof(**items));
		(*items)[*n].name = db_col_dup(st, 0, a);
		(*items)[(*n)++].count = db_col_int(st, 1);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}
