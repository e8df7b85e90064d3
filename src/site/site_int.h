/*
 * site_int.h — what the site module's files share (not for use outside
 * src/site): the search index writes article.c calls inside its write
 * transactions, and the parsed query that search.c and search_query.c use.
 */
#ifndef JM_SITE_INT_H
#define JM_SITE_INT_H

#include "core/core.h"
#include "site/site.h"

struct db;

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

#endif
