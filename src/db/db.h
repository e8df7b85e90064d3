/*
 * db.h — the database interface domain code uses. Backends implement
 * struct db_ops (db/sqlite.c today, db/pg.c next); nothing outside db/ sees
 * sqlite3.h or libpq-fe.h.
 *
 * SQL written against this interface uses `?` placeholders, `RETURNING id`
 * for generated keys and integer unix timestamps, which both backends share.
 *
 * Threading: one struct db per thread; a connection is never shared.
 */
#ifndef JM_DB_H
#define JM_DB_H

#include "core/core.h"

struct db;
struct db_stmt;

/* url: "sqlite:PATH" (or a bare path): opens (creating if needed) with WAL,
 * foreign keys on and a busy timeout. "postgres://…" / "postgresql://…":
 * a libpq connection (db/pg.c). */
enum jm_rc db_open(const char *url, struct db **out, struct jm_err *err) JM_WUR;
void db_close(struct db *db);

/* The engine behind a connection. Domain code does not branch on it: a
 * statement that differs per engine is written once per engine with
 * DB_SQL() in its owning module's query set, so a reader sees both texts
 * side by side (and why they differ, in a comment above). */
enum db_engine { DB_SQLITE, DB_PG };
enum db_engine db_engine(const struct db *db);
#define DB_SQL(db, sqlite_text, pg_text) (db_engine(db) == DB_PG ? (pg_text) : (sqlite_text))

/* Applies migrations/NNNN_*.sql files (SQLite) or migrations/pg/NNNN_*.sql
 * (PostgreSQL; the same names, so the schema version reads the same) not applied yet, each in its
 * own transaction, recording them in schema_migrations. */
enum jm_rc db_migrate(struct db *db, const char *migrations_dir, struct jm_err *err) JM_WUR;

/* Runs one or more statements without parameters. */
enum jm_rc db_exec(struct db *db, const char *sql) JM_WUR;

/* Prepares sql. The statement is cached per connection (keyed by the
 * address of sql, checked against its text, so string literals hit the
 * cache every time and built strings stay correct); db_finalize returns it
 * to the cache. */
enum jm_rc db_prepare(struct db *db, const char *sql, struct db_stmt **out) JM_WUR;
/* The SQL text of one variant of a query built from optional clauses
 * (mask, below n: which clauses): build writes it into cache[mask] on first
 * use, and it stays for the life of the process so db_prepare's statement
 * cache keeps hitting it. One lock in db.c guards every cache. */
const char *db_sql_variant(char **cache, size_t n, unsigned mask,
                           void (*build)(unsigned mask, struct buf *b));
/* Prepare + bind in one call. types: one char per parameter:
 *   'i' int64_t, 't' const char * (NULL binds NULL), 'n' NULL (no arg). */
enum jm_rc db_preparef(struct db *db, struct db_stmt **out, const char *sql, const char *types,
                       ...) JM_WUR;
/* Prepare + bind + one step: *out = the first column of the first row, or
 * dflt when there is no row or it is NULL. */
enum jm_rc db_query_int(struct db *db, int64_t *out, int64_t dflt, const char *sql,
                        const char *types, ...) JM_WUR;
/* Makes slug (a NUL-terminated base of at most max - 4 bytes, in a buffer
 * of max + 1) free: the base itself, else base-2, base-3… while taken_sql
 * (two parameters: the slug and self, e.g. "SELECT 1 FROM t WHERE slug = ?
 * AND id <> ?"; self 0 for a new row) finds a row. JM_CONFLICT after 999
 * tries. Inside the caller's transaction; a racing writer still gets
 * JM_CONFLICT from the unique index at INSERT. */
#define DB_SLUG_MAX 255
enum jm_rc db_slug_free(struct db *db, const char *taken_sql, int64_t self, char *slug,
                        size_t max) JM_WUR;
/* Prepare + bind + step to completion + finalize (INSERT/UPDATE/DELETE). */
enum jm_rc db_execf(struct db *db, const char *sql, const char *types, ...) JM_WUR;

/* idx is 1-based as in SQL. len == SIZE_MAX means strlen(s). */
void db_bind_text(struct db_stmt *st, int idx, const char *s, size_t len);
/* The same, without a copy on SQLite: s must stay unchanged until the
 * statement is finalized (a bulk insert's buffered rows). */
void db_bind_text_static(struct db_stmt *st, int idx, const char *s, size_t len);
void db_bind_int(struct db_stmt *st, int idx, int64_t v);
void db_bind_null(struct db_stmt *st, int idx);
/* Binds len bytes of p (copied; any bytes, NUL too) as a BLOB on SQLite,
 * as bytea on PostgreSQL (sent in binary: the parameter must be typed
 * bytea by its context, e.g. a bytea column). */
void db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len);

/* JM_OK: a row is available; JM_DONE: finished; JM_CONFLICT: a UNIQUE or
 * PRIMARY KEY constraint failed; JM_INVALID: another constraint failed;
 * JM_DB: anything else (logged). */
enum jm_rc db_step(struct db_stmt *st) JM_WUR;

/* Column accessors (0-based). Text is NULL for SQL NULL and stays valid
 * until the next step or finalize. */
const char *db_col_text(struct db_stmt *st, int col, size_t *len);
int64_t db_col_int(struct db_stmt *st, int col);
bool db_col_null(struct db_stmt *st, int col);
/* Appends the bytes of a BLOB / bytea column to out (nothing for NULL):
 * JM_TOO_LARGE past out's cap, JM_DB when PostgreSQL sent no bytea. */
enum jm_rc db_col_blob(struct db_stmt *st, int col, struct buf *out) JM_WUR;
/* Copy of a text column into the arena ("" for NULL). */
char *db_col_dup(struct db_stmt *st, int col, struct arena *a);

void db_finalize(struct db_stmt *st);

/* Write transactions are short: BEGIN IMMEDIATE ... COMMIT. */
enum jm_rc db_begin(struct db *db) JM_WUR;
enum jm_rc db_commit(struct db *db) JM_WUR;
void db_rollback(struct db *db);
/* Ends the transaction db_begin opened: commits when rc is JM_OK, else
 * (or when the commit fails) rolls back. Returns rc or the commit's error. */
enum jm_rc db_end(struct db *db, enum jm_rc rc) JM_WUR;
int64_t db_changes(struct db *db);
const char *db_errmsg(struct db *db);

/* Bulk mode for long imports: a larger page cache while on (commits stay
 * as durable as ever) and, on SQLite, no foreign-key and no CHECK
 * constraint checks: while on, the caller writes only rows whose parents
 * it has written or checked in the same transaction, and only constants
 * its own code chose into CHECKed columns (a stage, a status). Turn it on
 * outside a transaction. No-op where it means nothing. */
enum jm_rc db_bulk_mode(struct db *db, bool on) JM_WUR;

/* Online copy of the whole database to path (sqlite backup API, all pages
 * in one read transaction: bounded time under concurrent writes). Written
 * to a temporary name beside path, fsynced and renamed: path either holds
 * a complete copy or is left as it was. */
enum jm_rc db_backup(struct db *db, const char *path, struct jm_err *err) JM_WUR;

/* Bulk load into one table (an import's staging table) on PostgreSQL:
 * COPY table(cols) FROM STDIN, one db_copy_row per row (vals[i] NULL for
 * NULL, else lens[i] bytes of text without NUL), and no statement may run
 * on the connection until db_copy_end, which reports whether the server
 * took every row. No savepoint guards it: load only rows that cannot fail
 * (a failure aborts the caller's transaction). JM_INVALID on SQLite, whose
 * statements cost too little per row to need it (use multi-row INSERTs). */
enum jm_rc db_copy_begin(struct db *db, const char *table, const char *cols) JM_WUR;
enum jm_rc db_copy_row(struct db *db, const char *const *vals, const size_t *lens, int n) JM_WUR;
enum jm_rc db_copy_end(struct db *db) JM_WUR;

/* Columns of a result (after the first db_step): count and name. */
int db_col_count(struct db_stmt *st);
const char *db_col_name(struct db_stmt *st, int col);

/* The newest applied migration's name ("" when none), for `check`. */
enum jm_rc db_schema_version(struct db *db, char *out, size_t n) JM_WUR;

/* ---- several nodes on one database ----
 * PostgreSQL: NOTIFY/LISTEN and session advisory locks. SQLite is one node:
 * notify is a no-op, a lock is always granted. */

/* Tells every listening connection (on every node) that channel changed;
 * payload is short text (<= 200 bytes). Delivered at commit when inside a
 * transaction. */
enum jm_rc db_notify(struct db *db, const char *channel, const char *payload) JM_WUR;
/* Subscribes this connection to channel. */
enum jm_rc db_listen(struct db *db, const char *channel) JM_WUR;
/* Waits up to timeout_ms for one notification on a listening connection:
 * JM_OK with channel and payload copied, JM_DONE on timeout, JM_DB when the
 * connection broke (reopen it). SQLite: sleeps timeout_ms, JM_DONE. */
enum jm_rc db_wait_notify(struct db *db, int timeout_ms, char *channel, size_t chlen, char *payload,
                          size_t plen) JM_WUR;
/* A cluster-wide lock on key, held by this connection until db_unlock or
 * until the connection closes — a node that dies releases it, so the work
 * it guards moves to another node. true when taken (or already held). */
bool db_try_lock(struct db *db, int64_t key);
void db_unlock(struct db *db, int64_t key);

#endif
