/*
 * copy.h — copying a whole database to another engine, table by table,
 * and proving the copy (db/copy.c). `jinmyaku migrate` (SQLite →
 * PostgreSQL) is its user. It knows tables, columns, keys and foreign
 * keys, never what a table means: the caller decides what else a copy
 * needs (building a search index, say).
 *
 * Threading: like db.h, one connection per thread; nothing here is shared.
 */
#ifndef JM_DB_COPY_H
#define JM_DB_COPY_H

#include "db/db.h"

/* One table of the source as the copy sees it. */
struct db_table {
	const char *name;
	int ncols;
	const char **cols; /* the source's column names, in its order */
	bool *text;        /* the column is declared TEXT-like (compared byte-wise) */
	bool *blob;        /* declared BLOB (bytea on PostgreSQL): copied and
	                      compared as bytes, never as text */
	int nkey;
	int *key; /* the columns rows are ordered by: the primary key, else all */
};

/* The ordinary tables of an SQLite database, parents before children along
 * their foreign keys (ties by name). Left out: virtual tables (FTS5) and
 * their shadow tables, sqlite_* and schema_migrations (each engine records
 * its own). A cycle of foreign keys across tables is JM_INVALID (a table
 * referencing itself is copied in key order). Everything is allocated in
 * a. JM_DB when src is not an SQLite database. */
enum jm_rc db_tables_list(struct db *src, struct arena *a, struct db_table **out, size_t *n,
                          struct jm_err *err) JM_WUR;

/* *out = the number of rows of t in db (JM_DB, with the engine's message in
 * err, when db has no such table). */
enum jm_rc db_table_count(struct db *db, const struct db_table *t, int64_t *out,
                          struct jm_err *err) JM_WUR;

/* Deletes every row of t in db (the rows migrations seed into a fresh
 * database, before the copy replaces them). */
enum jm_rc db_table_clear(struct db *db, const struct db_table *t, struct jm_err *err) JM_WUR;

/* Turns t's own triggers off (on = false) or back on in dst, so that rows
 * copied verbatim do not also fire the bookkeeping the copied tables
 * already hold. PostgreSQL: ALTER TABLE … DISABLE TRIGGER USER (the table's
 * owner; transactional; foreign keys stay checked). SQLite: no-op. */
enum jm_rc db_table_triggers(struct db *dst, const struct db_table *t, bool on,
                             struct jm_err *err) JM_WUR;

/* Copies every row of t from src into the empty table of the same name and
 * columns in dst, in key order, as multi-row INSERTs of at most ~8000
 * values each. Runs inside the caller's transactions on both (src: a read
 * snapshot; dst: the copy's). *rows = rows copied. progress (may be NULL)
 * is called after each batch. Errors name the table. */
enum jm_rc db_table_copy(struct db *src, struct db *dst, const struct db_table *t, int64_t *rows,
                         void (*progress)(const char *table, int64_t rows, void *user), void *user,
                         struct jm_err *err) JM_WUR;

/* After a copy: moves each identity (or serial) column's sequence of t to
 * max(column), so rows created afterwards do not collide. PostgreSQL only;
 * SQLite continues after max(rowid) by itself. */
enum jm_rc db_table_reset_ids(struct db *dst, const struct db_table *t, struct jm_err *err) JM_WUR;

/* A digest of t's rows computed the same way on every engine: rows in key
 * order (text key columns byte-wise), each value as its text or as NULL,
 * length-prefixed, hashed in chunks of DB_SUM_CHUNK rows with keyed BLAKE2b
 * chained through the previous chunk's digest. out: 64 hex digits;
 * *rows = rows read. Two databases hold the same rows exactly when their
 * digests and counts agree. */
#define DB_SUM_CHUNK 1000
enum jm_rc db_table_checksum(struct db *db, const struct db_table *t, int64_t *rows, char out[65],
                             struct jm_err *err) JM_WUR;

#endif
