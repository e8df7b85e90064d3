/*
 * db_int.h — the backend interface behind db.h. db.c dispatches every call
 * through struct db_ops; sqlite.c implements it now and pg.c will next.
 */
#ifndef JM_DB_INT_H
#define JM_DB_INT_H

#include "db/db.h"

struct db_ops {
	const char *name;
	void (*close)(struct db *db);
	enum jm_rc (*exec)(struct db *db, const char *sql);
	enum jm_rc (*prepare)(struct db *db, const char *sql, struct db_stmt **out);
	void (*bind_text)(struct db_stmt *st, int idx, const char *s, size_t len);
	/* optional: bind_text without a copy */
	void (*bind_text_static)(struct db_stmt *st, int idx, const char *s, size_t len);
	void (*bind_int)(struct db_stmt *st, int idx, int64_t v);
	void (*bind_null)(struct db_stmt *st, int idx);
	void (*bind_blob)(struct db_stmt *st, int idx, const void *p, size_t len);
	enum jm_rc (*step)(struct db_stmt *st);
	const char *(*col_text)(struct db_stmt *st, int col, size_t *len);
	int64_t (*col_int)(struct db_stmt *st, int col);
	bool (*col_null)(struct db_stmt *st, int col);
	enum jm_rc (*col_blob)(struct db_stmt *st, int col, struct buf *out);
	void (*finalize)(struct db_stmt *st);
	int64_t (*changes)(struct db *db);
	const char *(*errmsg)(struct db *db);
	enum jm_rc (*backup)(struct db *db, const char *path, struct jm_err *err);
	enum jm_rc (*bulk_mode)(struct db *db, bool on);
	int (*col_count)(struct db_stmt *st);
	const char *(*col_name)(struct db_stmt *st, int col);
	/* Optional (NULL on SQLite: one node). */
	enum jm_rc (*notify)(struct db *db, const char *channel, const char *payload);
	enum jm_rc (*listen)(struct db *db, const char *channel);
	enum jm_rc (*wait_notify)(struct db *db, int timeout_ms, char *channel, size_t chlen,
	                          char *payload, size_t plen);
	bool (*try_lock)(struct db *db, int64_t key);
	/* Optional (NULL on SQLite): db_copy_*. */
	enum jm_rc (*copy_begin)(struct db *db, const char *table, const char *cols);
	enum jm_rc (*copy_row)(struct db *db, const char *const *vals, const size_t *lens, int n);
	enum jm_rc (*copy_end)(struct db *db);
	void (*unlock)(struct db *db, int64_t key);
	enum db_engine engine;
	const char *begin_sql; /* "BEGIN IMMEDIATE" for sqlite, "BEGIN" for pg */
};

/* Every backend's connection starts with this header. */
struct db {
	const struct db_ops *ops;
};

/* Every backend's statement starts with this header. */
struct db_stmt {
	struct db *db;
};

enum jm_rc db_sqlite_open(const char *path, struct db **out, struct jm_err *err);
/* Registers the "jm_cjk" FTS5 tokenizer and the jm_rank auxiliary
 * function (fts_cjk.c) on a connection; an SQLite result code. */
enum jm_rc db_pg_open(const char *url, struct db **out, struct jm_err *err);
struct sqlite3;
int db_sqlite_fts_cjk(struct sqlite3 *h);

#endif
