/*
 * site_int.h — internals shared by the files of site/ (not for use
 * outside src/site): the article write that runs inside a caller's
 * transaction (article.c), the article's categories (category.c), the
 * search index writes article.c calls inside its write transactions, and
 * the parsed query that search.c and search_query.c use.
 */
#ifndef JM_SITE_INT_H
#define JM_SITE_INT_H

#include "db/db.h"
#include "site/site.h"

/* site_article_create's work inside the caller's transaction: validates,
 * picks the slug (a taken explicit slug is suffixed when suffix_slug),
 * inserts the row, its tags and categories. *id_out and slug are set on
 * JM_OK. Errors as site_article_create's. */
enum jm_rc site_article_insert_tx(struct db *db, const struct article_input *in, int64_t author_id,
                                  bool suffix_slug, int64_t *id_out,
                                  char slug[ARTICLE_SLUG_MAX + 1], struct jm_err *err) JM_WUR;
/* Replaces the article's categories by those of the given slugs (inside
 * the caller's transaction). JM_INVALID naming "categories" for more than
 * ARTICLE_CATEGORIES_MAX or an unknown slug. */
enum jm_rc site_categories_write(struct db *db, int64_t article_id, const char **slugs, size_t n,
                                 struct jm_err *err) JM_WUR;
/* site_category_create inside the caller's transaction. */
enum jm_rc site_category_create_tx(struct db *db, const char *name, const char *slug,
                                   int64_t parent_id, int64_t *id_out, struct jm_err *err) JM_WUR;
/* Fills art->categories (by name). */
enum jm_rc site_categories_read(struct db *db, struct arena *a, struct article *art) JM_WUR;

#define SEARCH_COLS      3     /* title, body, tags */
#define SEARCH_COL_SHIFT 24    /* a position is column << 24 | position */
#define SEARCH_TF_MAX    60000 /* jm_rank stops counting there */

/* jm_rank's weights in column order (title 10, body 1, tags 5); the SQL
 * of search_query.c passes the same numbers. */
#define SEARCH_WEIGHTS                                                                             \
	{                                                                                          \
		10.0, 1.0, 5.0                                                                     \
	}

/* One query-mode token of a word: folded bytes. */
struct qtok {
	const char *s;
	size_t len;
};

/* One word of a query: the phrase of its tokens. */
struct qword {
	const char *s; /* the folded word */
	size_t len;
	struct qtok *tok;
	size_t ntok, cap;
	bool prefix; /* the last token is a prefix */
};

struct site_search_words {
	struct qword w[SITE_SEARCH_WORDS];
	size_t n;
	struct arena *a;
};

/* Checks q (SITE_SEARCH_Q_MAX bytes, SITE_SEARCH_Q_CHARS characters: else
 * JM_TOO_LARGE; UTF-8 without control characters: else JM_INVALID, err
 * naming "q"), folds it and cuts it into words (in a). Words with no token
 * (punctuation) are dropped; ws->n may be 0. */
enum jm_rc site_search_words_parse(struct arena *a, const char *q, struct site_search_words *ws,
                                   struct jm_err *err) JM_WUR;

/* Inside the caller's write transaction: replaces the index rows of
 * article id with its current text when it is published, else removes
 * them (also when the article is gone). */
enum jm_rc site_search_index(struct db *db, int64_t id) JM_WUR;
/* Inside the caller's transaction: removes article id's rows. */
enum jm_rc site_search_unindex(struct db *db, int64_t id) JM_WUR;

/* embed.c's pass over a parsed document (site_markdown_opts with embeds):
 * a YouTube, X or Instagram URL alone in a paragraph becomes a facade or a
 * link card. */
struct cmark_node;
enum jm_rc site_embed_pass(struct cmark_node *doc) JM_WUR;

#endif
