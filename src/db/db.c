/*
 * db.c — backend-neutral front of db.h: URL dispatch, the varargs binding
 * helpers, cached query variants, transactions and the migration runner.
 * Backends are in sqlite.c (and later pg.c) behind struct db_ops.
 */
#include <dirent.h>
#include <poll.h>
#include <pthread.h>

#include "db/db_int.h"

static pthread_mutex_t variant_lock = PTHREAD_MUTEX_INITIALIZER;

const char *db_sql_variant(char **cache, size_t n, unsigned mask,
                           void (*build)(unsigned mask, struct buf *b))
{
	if (mask >= n)
		abort(); /* a caller's bug: its mask has a bit its cache has no room for */
	pthread_mutex_lock(&variant_lock);
	if (!cache[mask]) {
		struct buf b = BUF_INIT;
		build(mask, &b);
		cache[mask] = buf_take(&b, NULL);
	}
	const char *s = cache[mask];
	pthread_mutex_unlock(&variant_lock);
	return s;
}

enum jm_rc db_open(const char *url, struct db **out, struct jm_err *err)
{
	if (strncmp(url, "sqlite:", 7) == 0)
		return db_sqlite_open(url + 7, out, err);
	if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
		return db_pg_open(url, out, err);
	if (strstr(url, "://")) {
		jm_err_set(err, "db", "unknown database URL scheme: %s", url);
		return JM_INVALID;
	}
	return db_sqlite_open(url, out, err);
}

enum db_engine db_engine(const struct db *db)
{
	return db->ops->engine;
}

void db_close(struct db *db)
{
	if (db)
		db->ops->close(db);
}

enum jm_rc db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}
enum jm_rc db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	return db->ops->prepare(db, sql, out);
}
void db_bind_text(struct db_stmt *st, int idx, const char *s, size_t len)
{
	if (!s) {
		st->db->ops->bind_null(st, idx);
		return;
	}
	st->db->ops->bind_text(st, idx, s, len == SIZE_MAX ? strlen(s) : len);
}
void db_bind_text_static(struct db_stmt *st, int idx, const char *s, size_t len)
{
	const struct db_ops *ops = st->db->ops;
	if (!s || !ops->bind_text_static) {
		db_bind_text(st, idx, s, len);
		return;
	}
	ops->bind_text_static(st, idx, s, len == SIZE_MAX ? strlen(s) : len);
}
void db_bind_int(struct db_stmt *st, int idx, int64_t v)
{
	st->db->ops->bind_int(st, idx, v);
}
void db_bind_null(struct db_stmt *st, int idx)
{
	st->db->ops->bind_null(st, idx);
}
void db_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
	st->db->ops->bind_blob(st, idx, p ? p : "", len);
}
enum jm_rc db_step(struct db_stmt *st)
{
	return st->db->ops->step(st);
}
const char *db_col_text(struct db_stmt *st, int col, size_t *len)
{
	return st->db->ops->col_text(st, col, len);
}
int64_t db_col_int(struct db_stmt *st, int col)
{
	return st->db->ops->col_int(st, col);
}
bool db_col_null(struct db_stmt *st, int col)
{
	return st->db->ops->col_null(st, col);
}
enum jm_rc db_col_blob(struct db_stmt *st, int col, struct buf *out)
{
	return st->db->ops->col_blob(st, col, out);
}
void db_finalize(struct db_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}
int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}
const char *db_errmsg(struct db *db)
{
	return db->ops->errmsg(db);
}
enum jm_rc db_backup(struct db *db, const char *path, struct jm_err *err)
{
	return db->ops->backup(db, path, err);
}

enum jm_rc db_bulk_mode(struct db *db, bool on)
{
	return db->ops->bulk_mode ? db->ops->bulk_mode(db, on) : JM_OK;
}

int db_col_count(struct db_stmt *st)
{
	return st->db->ops->col_count(st);
}
const char *db_col_name(struct db_stmt *st, int col)
{
	return st->db->ops->col_name(st, col);
}

enum jm_rc db_notify(struct db *db, const char *channel, const char *payload)
{
	return db->ops->notify ? db->ops->notify(db, channel, payload) : JM_OK;
}
enum jm_rc db_listen(struct db *db, const char *channel)
{
	return db->ops->listen ? db->ops->listen(db, channel) : JM_OK;
}
enum jm_rc db_wait_notify(struct db *db, int timeout_ms, char *channel, size_t chlen, char *payload,
                          size_t plen)
{
	if (db->ops->wait_notify)
		return db->ops->wait_notify(db, timeout_ms, channel, chlen, payload, plen);
	if (timeout_ms > 0)
		poll(NULL, 0, timeout_ms);
	return JM_DONE;
}
enum jm_rc db_copy_begin(struct db *db, const char *table, const char *cols)
{
	return db->ops->copy_begin ? db->ops->copy_begin(db, table, cols) : JM_INVALID;
}
enum jm_rc db_copy_row(struct db *db, const char *const *vals, const size_t *lens, int n)
{
	return db->ops->copy_row ? db->ops->copy_row(db, vals, lens, n) : JM_INVALID;
}
enum jm_rc db_copy_end(struct db *db)
{
	return db->ops->copy_end ? db->ops->copy_end(db) : JM_INVALID;
}
bool db_try_lock(struct db *db, int64_t key)
{
	return db->ops->try_lock ? db->ops->try_lock(db, key) : true;
}
void db_unlock(struct db *db, int64_t key)
{
	if (db->ops->unlock)
		db->ops->unlock(db, key);
}

char *db_col_dup(struct db_stmt *st, int col, struct arena *a)
{
	size_t len = 0;
	const char *s = db_col_text(st, col, &len);
	return arena_strndup(a, s ? s : "", s ? len : 0);
}

static void bind_va(struct db_stmt *st, const char *types, va_list ap)
{
	for (int i = 0; types[i]; i++) {
		switch (types[i]) {
		case 'i': db_bind_int(st, i + 1, va_arg(ap, int64_t)); break;
		case 't': db_bind_text(st, i + 1, va_arg(ap, const char *), SIZE_MAX); break;
		default: db_bind_null(st, i + 1); break;
		}
	}
}

/* db_prepare, then bind the arguments ap holds as types says. */
static enum jm_rc prepare_va(struct db *db, struct db_stmt **out, const char *sql,
                             const char *types, va_list ap)
{
	enum jm_rc rc = db_prepare(db, sql, out);
	if (!rc)
		bind_va(*out, types, ap);
	return rc;
}

enum jm_rc db_preparef(struct db *db, struct db_stmt **out, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	enum jm_rc rc = prepare_va(db, out, sql, types, ap);
	va_end(ap);
	return rc;
}

enum jm_rc db_execf(struct db *db, const char *sql, const char *types, ...)
{
	struct db_stmt *st = NULL;
	va_list ap;
	va_start(ap, types);
	enum jm_rc rc = prepare_va(db, &st, sql, types, ap);
	va_end(ap);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK)
		;
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc db_query_int(struct db *db, int64_t *out, int64_t dflt, const char *sql,
                        const char *types, ...)
{
	struct db_stmt *st = NULL;
	va_list ap;
	va_start(ap, types);
	enum jm_rc rc = prepare_va(db, &st, sql, types, ap);
	va_end(ap);
	if (rc)
		return rc;
	rc = db_step(st);
	*out = rc == JM_OK && !db_col_null(st, 0) ? db_col_int(st, 0) : dflt;
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc db_slug_free(struct db *db, const char *taken_sql, int64_t self, char *slug, size_t max)
{
	char base[DB_SLUG_MAX + 1];
	if (max > DB_SLUG_MAX || max < 5)
		return JM_INVALID;
	snprintf(base, sizeof(base), "%s", slug);
	for (int i = 2; i < 1000; i++) {
		int64_t taken = 0;
		enum jm_rc rc = db_query_int(db, &taken, 0, taken_sql, "ti", slug, self);
		if (rc || !taken)
			return rc;
		snprintf(slug, max + 1, "%.*s-%d", (int)(max - 4), base, i);
	}
	return JM_CONFLICT;
}

enum jm_rc db_begin(struct db *db)
{
	return db_exec(db, db->ops->begin_sql);
}
enum jm_rc db_commit(struct db *db)
{
	return db_exec(db, "COMMIT");
}
void db_rollback(struct db *db)
{
	if (db_exec(db, "ROLLBACK") != JM_OK)
		log_at(LOG_WARN, "db", "rollback failed: %s", db_errmsg(db));
}
enum jm_rc db_end(struct db *db, enum jm_rc rc)
{
	if (rc == JM_OK)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

/* ---- migrations ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of *.sql names in dir; caller frees each and the array. */
static enum jm_rc list_sql(const char *dir, char ***names, size_t *n, struct jm_err *err)
{
	DIR *d = opendir(dir);
	if (!d) {
		jm_err_set(err, "migrations", "cannot open %s", dir);
		return JM_IO;
	}
	size_t cap = 16;
	*names = xmalloc(cap * sizeof(char *));
	*n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".sql") != 0)
			continue;
		if (*n == cap)
			*names = xrealloc(*names, (cap *= 2) * sizeof(char *));
		(*names)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(*names, *n, sizeof(char *), cmp_names);
	return JM_OK;
}

static bool migration_applied(struct db *db, const char *name)
{
	struct db_stmt *st = NULL;
	if (db_preparef(db, &st, "SELECT 1 FROM schema_migrations WHERE name = ?", "t", name))
		return false;
	bool found = db_step(st) == JM_OK;
	db_finalize(st);
	return found;
}

static enum jm_rc apply_one(struct db *db, const char *dir, const char *name, struct jm_err *err)
{
	char path[4096];
	/* Checked: the release build's -Wformat-truncation stops -Werror otherwise. */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		jm_err_set(err, "migrate", "path too long: %s/%s", dir, name);
		return JM_INVALID;
	}
	struct buf sql = BUF_INIT;
	enum jm_rc rc = jm_read_file(path, &sql, err);
	if (rc) {
		buf_free(&sql);
		return rc;
	}
	rc = db_begin(db);
	if (!rc)
		rc = db_exec(db, buf_cstr(&sql));
	if (!rc)
		rc = db_execf(db, "INSERT INTO schema_migrations(name, applied_at) VALUES (?, ?)",
		              "ti", name, jm_now());
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		jm_err_set(err, "migrations", "%s: %s", path, db_errmsg(db));
		db_rollback(db);
	} else {
		log_at(LOG_INFO, "db", "migration=%s applied", name);
	}
	buf_free(&sql);
	return rc;
}

enum jm_rc db_schema_version(struct db *db, char *out, size_t n)
{
	struct db_stmt *st = NULL;
	out[0] = '\0';
	enum jm_rc rc = db_prepare(db, "SELECT max(name) FROM schema_migrations", &st);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		const char *s = db_col_text(st, 0, NULL);
		snprintf(out, n, "%s", s ? s : "");
	}
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

/* Several nodes may start at once on one new database: one migrates, the
 * others wait for its lock, then find everything applied. */
#define MIGRATE_LOCK 0x6a6d6d6967LL /* "jmmig" */

static enum jm_rc migrate_locked(struct db *db, const char *dir, struct jm_err *err);

enum jm_rc db_migrate(struct db *db, const char *base_dir, struct jm_err *err)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s%s", base_dir, db_engine(db) == DB_PG ? "/pg" : "");
	for (int waited = 0; !db_try_lock(db, MIGRATE_LOCK); waited += 100) {
		if (waited >= 600000) {
			jm_err_set(err, "db", "another node has been migrating for 10 minutes");
			return JM_DB;
		}
		poll(NULL, 0, 100);
	}
	enum jm_rc rc = migrate_locked(db, dir, err);
	db_unlock(db, MIGRATE_LOCK);
	return rc;
}

static enum jm_rc migrate_locked(struct db *db, const char *dir, struct jm_err *err)
{
	enum jm_rc rc = db_exec(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                            "name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)");
	if (rc) {
		jm_err_set(err, "db", "%s", db_errmsg(db));
		return rc;
	}
	char **names = NULL;
	size_t n = 0;
	rc = list_sql(dir, &names, &n, err);
	for (size_t i = 0; i < n; i++) {
		if (!rc && !migration_applied(db, names[i]))
			rc = apply_one(db, dir, names[i], err);
		free(names[i]);
	}
	free(names);
	return rc;
}
