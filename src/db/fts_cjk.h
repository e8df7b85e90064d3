/*
 * fts_cjk.h — the best rows of one SQLite FTS5 query, ranked by jm_rank
 * and kept in C (db/fts_cjk.c), for the people search (network/search.c).
 *
 * Why: "ORDER BY jm_rank(…) LIMIT n" makes SQLite run the auxiliary
 * function and its sorter for every match, and the total needs a second
 * pass (a second statement). db_fts_top reads the matches once: the
 * auxiliary function jm_top ranks each one as jm_rank does and keeps the
 * best `want` in a heap, and counts them all.
 */
#ifndef JM_DB_FTS_CJK_H
#define JM_DB_FTS_CJK_H

#include "db/db.h"

struct db_fts_hit {
	int64_t id;  /* rowid */
	double rank; /* jm_rank: lower is better */
};

struct db_fts_top {
	/* in */
	size_t want;           /* how many of the best rows to keep */
	int nphrase;           /* phrases that count, from the first (<= 0: all) */
	int ncol;              /* weights[0..ncol) of the first columns; others weigh 0 */
	const double *weights; /* borrowed */
	/* out */
	int64_t rows;           /* every match read */
	struct db_fts_hit *hit; /* the best min(want, rows), by rank then id; freed by */
	size_t n, size;         /* db_fts_top_free */
};

/* Runs sql (SQLite only), which must pass every match of its one text
 * parameter through the auxiliary function jm_top(<fts table>) once, e.g.
 * "SELECT rowid FROM t WHERE t MATCH ? AND jm_top(t) = 0" (jm_top returns
 * 1, so no row comes back; an auxiliary function cannot stand inside an
 * aggregate), on this thread, with
 * t collecting: t->rows, t->hit[0..t->n) in rank order (ties: lower id
 * first). JM_DB on an SQL error (t keeps what it had read). */
enum jm_rc db_fts_top(struct db *db, const char *sql, const char *match,
                      struct db_fts_top *t) JM_WUR;

/* Frees t's hits; t may be reused. */
void db_fts_top_free(struct db_fts_top *t);

#endif
