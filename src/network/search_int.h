/*
 * search_int.h — what search.c (the search, its SQLite index and the
 * shared parts) and search_pg.c (the index and the query on PostgreSQL)
 * share. Not for use outside src/network.
 */
#ifndef JM_NETWORK_SEARCH_INT_H
#define JM_NETWORK_SEARCH_INT_H

#include "network/network.h"

#include "db/db.h"

#define SEARCH_COLS  6  /* text columns: name, company, offer, notes, tags, messages */
#define SEARCH_WORDS 16 /* words of a query; more are ignored */

/* jm_rank's weights of the text columns, in column order: name 10,
 * company 8, offer 6, notes 3, tags 5, messages 1. search.c passes the
 * same numbers to jm_rank in SQL; keep both in step. */
#define SEARCH_WEIGHTS                                                                             \
	{                                                                                          \
		10.0, 8.0, 6.0, 3.0, 5.0, 1.0                                                      \
	}

/* The document of one person: the six text columns and the meta column
 * (filter tokens), as stored in people_search (SQLite) or search_docs. */
struct search_doc {
	struct buf col[7];
	int stage_rank;
	bool flagged;
};

/* The folded words of a query. */
struct search_words {
	const char *w[SEARCH_WORDS];
	size_t len[SEARCH_WORDS];
	bool latin[SEARCH_WORDS];  /* starts with a non-CJK letter: must start a token */
	bool prefix[SEARCH_WORDS]; /* ends in Latin or in one CJK character */
	size_t n;
};

/* The filters of a query, as search.c checked them. */
struct search_filter {
	int stage_rank;     /* -1 = any */
	const char *tag_xt; /* "xt<16 hex>" or NULL */
	bool flagged;       /* include freeloaders and the blocked */
};

/* PostgreSQL: the index writes of one drain batch, collected per person
 * and sent together by search_pg_flush. fresh: the index tables were
 * emptied in this transaction (a rebuild), so there are no old rows to
 * delete. search_pg_batch_free(NULL) is a no-op. */
struct search_pg_batch;
struct search_pg_batch *search_pg_batch_new(bool fresh);
void search_pg_batch_free(struct search_pg_batch *b);

/* PostgreSQL: queues the replacement of the person's terms and stored
 * document with d, or their removal when d is NULL (the person is gone). */
enum jm_rc search_pg_index(struct search_pg_batch *b, int64_t id,
                           const struct search_doc *d) JM_WUR;

/* PostgreSQL: writes what b holds, inside the caller's transaction, and
 * empties b. */
enum jm_rc search_pg_flush(struct db *db, struct search_pg_batch *b) JM_WUR;

/* PostgreSQL, inside a rebuild's transaction: drops search_terms' indexes
 * (make false) or builds them again (make true), as migrations/pg/0012
 * defines them. */
enum jm_rc search_pg_indexes(struct db *db, bool make) JM_WUR;

/* PostgreSQL: the ranked page (person_id and rank only; *n ≤ per) and
 * the total up to NET_SEARCH_TOTAL_MAX, ordered as jm_rank orders on
 * SQLite: rank, then id. */
enum jm_rc search_pg_query(struct db *db, struct arena *a, const struct search_words *ws,
                           const struct search_filter *f, int64_t per, int64_t offset,
                           struct net_hit *out, size_t *n, int64_t *total) JM_WUR;

#endif
