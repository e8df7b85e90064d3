/*
 * site_int.h — internals shared by the files of site/: the article write
 * that runs inside a caller's transaction (article.c) and the article's
 * categories (category.c).
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

#endif
