/*
 * sqlite.c — the SQLite backend of db.h. WAL journal, synchronous=FULL
 * (fsync at commit: nothing accepted is lost), foreign keys on, a busy
 * timeout so short write transactions from several threads queue instead
 * of failing. Prepared statements are cached per connection by the address
 * of their SQL text, verified against the text itself.
 */
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db/db_int.h"

#define STMT_CACHE 128

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
	const char *sql; /* cache key */
	bool in_use;
};

struct sq_db {
	struct db base;
	sqlite3 *h;
	struct sq_stmt cache[STMT_CACHE];
};

static const struct db_ops sqlite_ops;

static struct sq_db *SQ(struct db *db)
{
	return (struct sq_db *)db;
}
static struct sq_stmt *SS(struct db_stmt *st)
{
	return (struct sq_stmt *)st;
}

enum jm_rc db_sqlite_open(const char *path, struct db **out, struct jm_err *err)
{
	struct sq_db *d = xcalloc(1, sizeof(*d));
	d->base.ops = &sqlite_ops;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &d->h, flags, NULL) != SQLITE_OK) {
		jm_err_set(err, "db", "cannot open %s: %s", path,
		           d->h ? sqlite3_errmsg(d->h) : "?");
		sqlite3_close(d->h);
		free(d);
		return JM_DB;
	}
	sqlite3_busy_timeout(d->h, 5000);
	sqlite3_extended_result_codes(d->h, 1);
	const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	                      "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;";
	if (sqlite3_exec(d->h, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    db_sqlite_fts_cjk(d->h) != SQLITE_OK) {
		jm_err_set(err, "db", "%s: %s", path, sqlite3_errmsg(d->h));
		sqlite3_close(d->h);
		free(d);
		return JM_DB;
	}
	*out = &d->base;
	return JM_OK;
}

static void sq_close(struct db *db)
{
	struct sq_db *d = SQ(db);
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(d->cache[i].st);
	sqlite3_close(d->h);
	free(d);
}

static enum jm_rc sq_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(SQ(db)->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		log_at(LOG_DEBUG, "db", "exec failed: %s", msg ? msg : "?");
	sqlite3_free(msg);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return JM_CONFLICT;
	return rc == SQLITE_OK ? JM_OK : JM_DB;
}

static size_t slot_of(const char *sql)
{
	uintptr_t h = (uintptr_t)sql;
	return (size_t)((h >> 4) ^ (h >> 12)) % STMT_CACHE;
}

static enum jm_rc sq_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct sq_db *d = SQ(db);
	struct sq_stmt *s = &d->cache[slot_of(sql)];
	/* The address is the fast key; the text check keeps a reused address
	 * (a freed and reallocated SQL string) from finding a stale statement. */
	if (s->st && s->sql == sql && !s->in_use && strcmp(sqlite3_sql(s->st), sql) == 0) {
		s->in_use = true;
		*out = &s->base;
		return JM_OK;
	}
	bool cacheable = !s->in_use;
	if (!cacheable)
		s = xcalloc(1, sizeof(*s));
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(d->h, sql, -1, cacheable ? SQLITE_PREPARE_PERSISTENT : 0, &st,
	                       NULL) != SQLITE_OK) {
		log_at(LOG_ERROR, "db", "prepare failed: %s sql=\"%.80s\"", sqlite3_errmsg(d->h),
		       sql);
		if (!cacheable)
			free(s);
		return JM_DB;
	}
	if (cacheable)
		sqlite3_finalize(s->st);
	s->base.db = db;
	s->st = st;
	s->sql = cacheable ? sql : NULL;
	s->in_use = true;
	*out = &s->base;
	return JM_OK;
}

static bool is_cached(struct sq_stmt *s)
{
	struct sq_db *d = SQ(s->base.db);
	return s >= d->cache && s < d->cache + STMT_CACHE;
}

static void sq_finalize(struct db_stmt *st)
{
	struct sq_stmt *s = SS(st);
	if (is_cached(s)) {
		sqlite3_reset(s->st);
		sqlite3_clear_bindings(s->st);
		s->in_use = false;
		return;
	}
	sqlite3_finalize(s->st);
	free(s);
}

static void sq_bind_text(struct db_stmt *st, int idx, const char *s, size_t len)
{
	sqlite3_bind_text(SS(st)->st, idx, s, (int)len, SQLITE_TRANSIENT);
}
static void sq_bind_text_static(struct db_stmt *st, int idx, const char *s, size_t len)
{
	sqlite3_bind_text(SS(st)->st, idx, s, (int)len, SQLITE_STATIC);
}
static void sq_bind_int(struct db_stmt *st, int idx, int64_t v)
{
	sqlite3_bind_int64(SS(st)->st, idx, v);
}
static void sq_bind_null(struct db_stmt *st, int idx)
{
	sqlite3_bind_null(SS(st)->st, idx);
}
static void sq_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
	sqlite3_bind_blob64(SS(st)->st, idx, p, len, SQLITE_TRANSIENT);
}

static enum jm_rc sq_step(struct db_stmt *st)
{
	int rc = sqlite3_step(SS(st)->st);
	if (rc == SQLITE_ROW)
		return JM_OK;
	if (rc == SQLITE_DONE)
		return JM_DONE;
	sqlite3 *h = SQ(st->db)->h;
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return JM_CONFLICT;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return JM_INVALID;
	log_at(LOG_ERROR, "db", "step failed: %s", sqlite3_errmsg(h));
	return JM_DB;
}

static const char *sq_col_text(struct db_stmt *st, int col, size_t *len)
{
	const char *s = (const char *)sqlite3_column_text(SS(st)->st, col);
	if (len)
		*len = s ? (size_t)sqlite3_column_bytes(SS(st)->st, col) : 0;
	return s;
}
static int64_t sq_col_int(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(SS(st)->st, col);
}
static bool sq_col_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(SS(st)->st, col) == SQLITE_NULL;
}
static enum jm_rc sq_col_blob(struct db_stmt *st, int col, struct buf *out)
{
	const void *p = sqlite3_column_blob(SS(st)->st, col);
	return p ? buf_append(out, p, (size_t)sqlite3_column_bytes(SS(st)->st, col)) : JM_OK;
}
static int64_t sq_changes(struct db *db)
{
	return sqlite3_changes64(SQ(db)->h);
}
static const char *sq_errmsg(struct db *db)
{
	return sqlite3_errmsg(SQ(db)->h);
}

/* fsync of a file, or of a directory after a rename in it. */
static bool fsync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

/* Copies every page in one step: one read transaction (WAL lets writers
 * go on meanwhile), so a write cannot make the copy start over — copying in
 * slices restarts whenever another connection writes, and never finishes
 * under steady writes. Busy only while a lock is briefly held; retried. */
static int copy_all(sqlite3 *src, sqlite3 *dst)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b)
		return sqlite3_errcode(dst);
	int r;
	for (int tries = 0; (r = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || r == SQLITE_LOCKED;
	     tries++) {
		if (tries == 200)
			break;
		sqlite3_sleep(50);
	}
	int fin = sqlite3_backup_finish(b);
	return r == SQLITE_DONE ? fin : r;
}

/* The copy goes to a temporary file beside path and is renamed onto path
 * only once complete and on disk: a backup killed midway never leaves a
 * file at path (an older backup there stays whole). The file is created
 * with the process umask (0600, see main.c). */
static enum jm_rc sq_backup(struct db *db, const char *path, struct jm_err *err)
{
	sqlite3 *dst = NULL;
	enum jm_rc rc = JM_IO;
	char tmp[PATH_MAX], dir[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.partial-XXXXXX", path) >= sizeof(tmp)) {
		jm_err_set(err, "file", "path too long: %s", path);
		return JM_INVALID;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		jm_err_set(err, "file", "cannot create %s: %s", tmp, strerror(errno));
		return JM_IO;
	}
	close(fd);
	int r = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (r == SQLITE_OK)
		r = copy_all(SQ(db)->h, dst);
	if (r == SQLITE_OK)
		r = sqlite3_close(dst);
	else
		sqlite3_close(dst);
	if (r != SQLITE_OK) {
		jm_err_set(err, "file", "backup failed: %s", sqlite3_errstr(r));
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	if (!fsync_path(tmp, false) || rename(tmp, path) != 0 ||
	    !fsync_path(slash ? dir : ".", true)) {
		jm_err_set(err, "file", "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = JM_OK;
out:
	if (rc != JM_OK)
		unlink(tmp);
	return rc;
}

static int sq_col_count(struct db_stmt *st)
{
	return sqlite3_column_count(SS(st)->st);
}
static const char *sq_col_name(struct db_stmt *st, int col)
{
	return sqlite3_column_name(SS(st)->st, col);
}

static enum jm_rc sq_bulk_mode(struct db *db, bool on)
{
	/* 64 MiB of page cache keeps a million-row import's random index
	 * inserts in memory and its process under 200 MB resident. Every batch
	 * rewrites most of the (random) email index's pages: checkpointing
	 * after each commit copied them into the database file every time,
	 * after every 256 MiB of WAL only once per few batches (a fifth less
	 * written for a million rows). The rest is checkpointed when bulk mode
	 * ends, not by the next small commit of another connection.
	 * Foreign keys are off meanwhile: the bulk writer only inserts rows
	 * whose parents it has just written or checked in the same
	 * transaction (db.h); their lookups were a tenth of an import.
	 * CHECK constraints are off too: the bulk writer puts only its own
	 * constants into CHECKed columns (people.stage, subscriptions.status),
	 * and SQLite 3.40 evaluates `stage IN ('reader', …)` by building a
	 * temporary index for every row (an OpenEphemeral, cleared each time:
	 * 16 % of an import's instructions for the two). The foreign-key
	 * pragma is a no-op inside a transaction, so leaving bulk mode first
	 * ends one left open, then checks that the keys are on again. */
	struct sq_db *d = SQ(db);
	if (on)
		return sq_exec(db,
		               "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 65536; "
		               "PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON");
	if (!sqlite3_get_autocommit(d->h)) {
		log_at(LOG_WARN, "db", "bulk mode left inside a transaction: rolled back");
		(void)sq_exec(db, "ROLLBACK");
	}
	enum jm_rc rc =
	        sq_exec(db, "PRAGMA foreign_keys = ON; PRAGMA ignore_check_constraints = OFF; "
	                    "PRAGMA cache_size = -2000; "
	                    "PRAGMA wal_autocheckpoint = 1000; "
	                    "PRAGMA wal_checkpoint(PASSIVE)");
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(d->h, "PRAGMA foreign_keys", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 1)
		rc = JM_DB;
	sqlite3_finalize(st);
	return rc;
}

static const struct db_ops sqlite_ops = {
        .name = "sqlite",
        .close = sq_close,
        .exec = sq_exec,
        .prepare = sq_prepare,
        .bind_text = sq_bind_text,
        .bind_text_static = sq_bind_text_static,
        .bind_blob = sq_bind_blob,
        .bind_int = sq_bind_int,
        .bind_null = sq_bind_null,
        .step = sq_step,
        .col_text = sq_col_text,
        .col_int = sq_col_int,
        .col_null = sq_col_null,
        .col_blob = sq_col_blob,
        .finalize = sq_finalize,
        .changes = sq_changes,
        .errmsg = sq_errmsg,
        .backup = sq_backup,
        .bulk_mode = sq_bulk_mode,
        .col_count = sq_col_count,
        .col_name = sq_col_name,
        .engine = DB_SQLITE,
        .begin_sql = "BEGIN IMMEDIATE",
};
