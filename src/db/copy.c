/*
 * copy.c — the generic table copy and checksum behind `jinmyaku migrate`
 * (contract in copy.h).
 *
 * Invariants:
 * - Values travel as text, as the source prints them: an integer as its
 *   decimal digits, NULL as NULL. The PostgreSQL schema mirrors SQLite's
 *   (BIGINT for INTEGER, TEXT for TEXT), so both engines print the same
 *   text back, and that text is what the checksum compares.
 * - Both engines read the same SQL for the copy (double-quoted names,
 *   multi-row VALUES, ORDER BY); what differs per engine — catalogs,
 *   switching triggers, sequences, byte-wise ordering of text — is chosen
 *   by db_engine() and commented where it is.
 * - Nothing here writes to the source: it is only SELECTed from.
 */
#include "db/copy.h"

/* Parameters per INSERT: within what db/pg.c binds (4096) and SQLite's
 * 32766, large enough that a round trip carries hundreds of rows. */
#define BATCH_VALUES 4000
/* Rows per FETCH when reading PostgreSQL through a cursor. */
#define FETCH_ROWS 5000
#define STR_(x)    #x
#define STR(x)     STR_(x)

/* Appends id as a double-quoted SQL identifier. */
static enum jm_rc quote(struct buf *b, const char *id)
{
	enum jm_rc rc = buf_appendc(b, '"');
	for (const char *p = id; *p && !rc; p++)
		rc = *p == '"' ? buf_appends(b, "\"\"") : buf_appendc(b, *p);
	return rc ? rc : buf_appendc(b, '"');
}

static enum jm_rc table_fail(struct db *db, const struct db_table *t, const char *what,
                             struct jm_err *err)
{
	const char *msg = db_errmsg(db);
	jm_err_set(err, "db", "%s %s: %s", what, t->name, msg && *msg ? msg : "failed");
	return JM_DB;
}

/* ---- listing the source's tables ---- */

/* SQLite's rule for a TEXT affinity: the declared type names CHAR, CLOB
 * or TEXT (and not INT, which wins). */
static bool text_affinity(const char *type)
{
	char up[64];
	size_t i = 0;
	for (; type[i] && i + 1 < sizeof(up); i++)
		up[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 32 : type[i]);
	up[i] = '\0';
	return !strstr(up, "INT") &&
	       (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"));
}

/* A BLOB column (media_files.data): bytes, bytea on PostgreSQL. */
static bool blob_affinity(const char *type)
{
	return !strcmp(type, "BLOB") || !strcmp(type, "blob");
}

/* Columns of t from pragma_table_info (hidden and generated columns are
 * not listed there, and need no copy). */
static enum jm_rc load_columns(struct db *src, struct arena *a, struct db_table *t)
{
	struct db_stmt *st = NULL;
	size_t cap = 0, kcap = 0, bcap = 0;
	int pk[64] = {0}; /* pk[i]: 1-based position of column i in the primary key */
	enum jm_rc rc = db_preparef(src, &st,
	                            "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid",
	                            "t", t->name);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		if (t->ncols == 64) {
			rc = JM_TOO_LARGE;
			break;
		}
		t->cols = arena_grow(a, t->cols, (size_t)t->ncols, &cap, sizeof(*t->cols));
		t->text = arena_grow(a, t->text, (size_t)t->ncols, &kcap, sizeof(*t->text));
		t->cols[t->ncols] = db_col_dup(st, 0, a);
		t->blob = arena_grow(a, t->blob, (size_t)t->ncols, &bcap, sizeof(*t->blob));
		t->text[t->ncols] = text_affinity(db_col_dup(st, 1, a));
		t->blob[t->ncols] = blob_affinity(db_col_dup(st, 1, a));
		pk[t->ncols++] = (int)db_col_int(st, 2);
	}
	db_finalize(st);
	if (rc != JM_DONE)
		return rc ? rc : JM_DB;
	t->key = arena_alloc(a, sizeof(int) * (size_t)(t->ncols ? t->ncols : 1));
	for (int pos = 1; pos <= t->ncols; pos++)
		for (int i = 0; i < t->ncols; i++)
			if (pk[i] == pos)
				t->key[t->nkey++] = i;
	if (t->nkey == 0) /* no primary key: order by every column */
		for (int i = 0; i < t->ncols; i++)
			t->key[t->nkey++] = i;
	return JM_OK;
}

/* The names of the ordinary tables, sorted. pragma_table_list marks FTS5
 * tables 'virtual' and their storage 'shadow'. import_uploads is left out:
 * it holds the admin's pending CSV uploads (kept a day, as bytes that do
 * not travel as text) — an upload not yet imported is made again. */
static enum jm_rc load_names(struct db *src, struct arena *a, struct db_table **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	enum jm_rc rc = db_prepare(src,
	                           "SELECT name FROM pragma_table_list WHERE schema = 'main' "
	                           "AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
	                           "AND name NOT IN ('schema_migrations', 'import_uploads') "
	                           "ORDER BY name",
	                           &st);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		memset(&(*out)[*n], 0, sizeof(**out));
		(*out)[(*n)++].name = db_col_dup(st, 0, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* dep[i * n + j]: table i references table j (j != i). */
static enum jm_rc load_parents(struct db *src, const struct db_table *v, size_t n, bool *dep)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < n && rc == JM_OK; i++) {
		struct db_stmt *st = NULL;
		rc = db_preparef(src, &st,
		                 "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)", "t",
		                 v[i].name);
		while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
			const char *p = db_col_text(st, 0, NULL);
			for (size_t j = 0; p && j < n; j++)
				if (j != i && !strcmp(v[j].name, p))
					dep[i * n + j] = true;
		}
		db_finalize(st);
		rc = rc == JM_DONE ? JM_OK : rc;
	}
	return rc;
}

/* Kahn's algorithm, taking the first ready table by name each round. */
static enum jm_rc fk_order(struct db_table *v, size_t n, const bool *dep, struct db_table *out,
                           struct jm_err *err)
{
	bool *done = xcalloc(n ? n : 1, sizeof(bool));
	enum jm_rc rc = JM_OK;
	for (size_t k = 0; k < n && rc == JM_OK; k++) {
		size_t pick = n;
		for (size_t i = 0; i < n && pick == n; i++) {
			bool ready = !done[i];
			for (size_t j = 0; j < n && ready; j++)
				ready = !dep[i * n + j] || done[j];
			if (ready)
				pick = i;
		}
		if (pick == n) {
			for (size_t i = 0; i < n && pick == n; i++)
				pick = done[i] ? n : i;
			jm_err_set(err, "db", "foreign keys form a cycle through table %s",
			           v[pick].name);
			rc = JM_INVALID;
			break;
		}
		done[pick] = true;
		out[k] = v[pick];
	}
	free(done);
	return rc;
}

enum jm_rc db_tables_list(struct db *src, struct arena *a, struct db_table **out, size_t *n,
                          struct jm_err *err)
{
	struct db_table *v = NULL;
	bool *dep = NULL;
	*out = NULL;
	*n = 0;
	if (db_engine(src) != DB_SQLITE) {
		jm_err_set(err, "db", "the source of a copy must be an SQLite database");
		return JM_DB;
	}
	enum jm_rc rc = load_names(src, a, &v, n);
	for (size_t i = 0; i < *n && rc == JM_OK; i++)
		rc = load_columns(src, a, &v[i]);
	if (rc == JM_OK) {
		dep = xcalloc(*n * *n + 1, sizeof(bool));
		rc = load_parents(src, v, *n, dep);
	}
	if (rc == JM_OK) {
		*out = arena_alloc(a, sizeof(**out) * (*n + 1));
		rc = fk_order(v, *n, dep, *out, err);
	} else if (!err || !err->msg[0]) {
		jm_err_set(err, "db", "cannot read the tables of the source: %s", db_errmsg(src));
	}
	free(dep);
	if (rc)
		*n = 0;
	return rc;
}

/* ---- reading and writing rows ---- */

/* SELECT every column of t in key order. On PostgreSQL a text key column
 * sorts byte-wise (COLLATE "C") as SQLite's BINARY does, whatever the
 * database's default collation. */
static enum jm_rc select_sql(struct db *db, const struct db_table *t, struct buf *b)
{
	enum jm_rc rc = buf_appends(b, "SELECT ");
	for (int i = 0; i < t->ncols; i++) {
		rc |= i ? buf_appends(b, ", ") : JM_OK;
		rc |= quote(b, t->cols[i]);
	}
	rc |= buf_appends(b, " FROM ");
	rc |= quote(b, t->name);
	rc |= buf_appends(b, " ORDER BY ");
	for (int k = 0; k < t->nkey; k++) {
		rc |= k ? buf_appends(b, ", ") : JM_OK;
		rc |= quote(b, t->cols[t->key[k]]);
		if (t->text[t->key[k]])
			rc |= buf_appends(b, DB_SQL(db, "", " COLLATE \"C\""));
	}
	return rc;
}

/* The rows of a SELECT, one at a time. SQLite steps through the statement
 * itself; db/pg.c returns results whole, so on PostgreSQL a large table is
 * read through a cursor, FETCH_ROWS at a time, inside a read-only
 * transaction of the reader's own (the caller must not be in one). */
struct rows {
	struct db *db;
	struct db_stmt *st;
	bool cursor;
	int fetched; /* rows the current FETCH returned so far */
};

static enum jm_rc rows_open(struct rows *r, struct db *db, const char *select)
{
	*r = (struct rows){.db = db, .cursor = db_engine(db) == DB_PG};
	if (!r->cursor)
		return db_prepare(db, select, &r->st);
	struct buf sql = BUF_INIT;
	enum jm_rc rc = buf_appendf(&sql,
	                            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
	                            "DECLARE jm_rows NO SCROLL CURSOR FOR %s",
	                            select);
	if (rc == JM_OK)
		rc = db_exec(db, buf_cstr(&sql));
	buf_free(&sql);
	return rc;
}

/* JM_OK: a row is available (read it from r->st); JM_DONE: no more. */
static enum jm_rc rows_next(struct rows *r)
{
	for (;;) {
		if (r->st) {
			enum jm_rc rc = db_step(r->st);
			if (rc != JM_DONE || !r->cursor) {
				r->fetched++;
				return rc;
			}
			db_finalize(r->st);
			r->st = NULL;
			if (r->fetched < FETCH_ROWS)
				return JM_DONE; /* a short fetch was the last */
		}
		static const char fetch[] = "FETCH FORWARD " STR(FETCH_ROWS) " FROM jm_rows";
		r->fetched = 0;
		enum jm_rc rc = db_prepare(r->db, fetch, &r->st);
		if (rc)
			return rc;
	}
}

static void rows_close(struct rows *r)
{
	db_finalize(r->st);
	r->st = NULL;
	if (r->cursor && db_exec(r->db, "COMMIT") != JM_OK)
		db_rollback(r->db);
}

/* INSERT INTO t (cols) VALUES (?, …), … for nrows rows. PostgreSQL takes
 * the copied ids even for a column GENERATED ALWAYS AS IDENTITY with
 * OVERRIDING SYSTEM VALUE (a no-op for BY DEFAULT); SQLite has no such
 * clause and needs none. */
static enum jm_rc insert_sql(struct db *db, const struct db_table *t, int nrows, struct buf *b)
{
	enum jm_rc rc = buf_appends(b, "INSERT INTO ");
	rc |= quote(b, t->name);
	rc |= buf_appends(b, " (");
	for (int i = 0; i < t->ncols; i++) {
		rc |= i ? buf_appends(b, ", ") : JM_OK;
		rc |= quote(b, t->cols[i]);
	}
	rc |= buf_appends(b, DB_SQL(db, ") VALUES ", ") OVERRIDING SYSTEM VALUE VALUES "));
	for (int r = 0; r < nrows; r++) {
		rc |= buf_appends(b, r ? ", (" : "(");
		for (int i = 0; i < t->ncols; i++)
			rc |= buf_appends(b, i ? ", ?" : "?");
		rc |= buf_appendc(b, ')');
	}
	return rc;
}

/* The values of one batch, copied out of the source's row buffers (which
 * the next step overwrites): all text in one buffer, located by offset. */
struct batch {
	struct buf text;
	size_t *off, *len; /* len SIZE_MAX: NULL */
	int nrows, max_rows;
	struct buf full; /* the INSERT for max_rows, built once: its address keeps
	                  * hitting the statement cache */
};

static void batch_add(struct batch *bt, struct db_stmt *st, int ncols)
{
	for (int i = 0; i < ncols; i++) {
		size_t k = (size_t)bt->nrows * (size_t)ncols + (size_t)i, len = 0;
		const char *s = db_col_null(st, i) ? NULL : db_col_text(st, i, &len);
		bt->off[k] = bt->text.len;
		bt->len[k] = s ? len : SIZE_MAX;
		if (s && buf_append(&bt->text, s, len))
			abort(); /* uncapped: only an allocation can fail, and that aborts */
	}
	bt->nrows++;
}

/* Writes the batch with one INSERT and empties it. */
static enum jm_rc batch_flush(struct db *dst, const struct db_table *t, struct batch *bt)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	bool full = bt->nrows == bt->max_rows;
	enum jm_rc rc = JM_OK;
	if (!full || !bt->full.len)
		rc = insert_sql(dst, t, bt->nrows, full ? &bt->full : &sql);
	if (rc == JM_OK)
		rc = db_prepare(dst, buf_cstr(full ? &bt->full : &sql), &st);
	for (int k = 0; rc == JM_OK && k < bt->nrows * t->ncols; k++) {
		if (bt->len[k] == SIZE_MAX)
			db_bind_null(st, k + 1);
		else if (t->blob && t->blob[k % t->ncols])
			db_bind_blob(st, k + 1, bt->text.ptr + bt->off[k], bt->len[k]);
		else
			db_bind_text(st, k + 1, bt->text.ptr + bt->off[k], bt->len[k]);
	}
	if (rc == JM_OK)
		rc = db_step(st);
	db_finalize(st);
	buf_free(&sql);
	bt->nrows = 0;
	buf_reset(&bt->text);
	return rc == JM_DONE ? JM_OK : rc ? rc : JM_DB;
}

enum jm_rc db_table_copy(struct db *src, struct db *dst, const struct db_table *t, int64_t *rows,
                         void (*progress)(const char *table, int64_t rows, void *user), void *user,
                         struct jm_err *err)
{
	struct buf sel = BUF_INIT;
	struct db_stmt *st = NULL;
	struct batch bt = {.text = BUF_INIT, .full = BUF_INIT};
	bt.max_rows = t->ncols ? BATCH_VALUES / t->ncols : 1;
	bt.off = xmalloc(sizeof(size_t) * (size_t)BATCH_VALUES);
	bt.len = xmalloc(sizeof(size_t) * (size_t)BATCH_VALUES);
	*rows = 0;
	enum jm_rc rc = select_sql(src, t, &sel), wrc = JM_OK;
	if (rc == JM_OK)
		rc = db_prepare(src, buf_cstr(&sel), &st);
	while (rc == JM_OK && wrc == JM_OK && (rc = db_step(st)) == JM_OK) {
		batch_add(&bt, st, t->ncols);
		if (bt.nrows == bt.max_rows) {
			*rows += bt.nrows;
			wrc = batch_flush(dst, t, &bt);
			if (progress && wrc == JM_OK)
				progress(t->name, *rows, user);
		}
	}
	db_finalize(st);
	if (rc == JM_DONE && wrc == JM_OK && bt.nrows) {
		*rows += bt.nrows;
		wrc = batch_flush(dst, t, &bt);
	}
	buf_free(&sel);
	buf_free(&bt.text);
	buf_free(&bt.full);
	free(bt.off);
	free(bt.len);
	if (wrc) {
		table_fail(dst, t, "cannot write", err);
		return wrc;
	}
	if (rc != JM_DONE)
		return table_fail(src, t, "cannot read", err);
	return JM_OK;
}

/* ---- the small statements ---- */

/* Runs "PREFIX "table" SUFFIX" on db. */
static enum jm_rc exec_on(struct db *db, const struct db_table *t, const char *prefix,
                          const char *suffix, struct jm_err *err)
{
	struct buf sql = BUF_INIT;
	enum jm_rc rc = buf_appends(&sql, prefix);
	rc |= quote(&sql, t->name);
	rc |= buf_appends(&sql, suffix);
	if (rc == JM_OK && db_exec(db, buf_cstr(&sql)) != JM_OK)
		rc = table_fail(db, t, "table", err);
	buf_free(&sql);
	return rc;
}

enum jm_rc db_table_count(struct db *db, const struct db_table *t, int64_t *out, struct jm_err *err)
{
	struct buf sql = BUF_INIT;
	enum jm_rc rc = buf_appends(&sql, "SELECT count(*) FROM ");
	rc |= quote(&sql, t->name);
	if (rc == JM_OK && db_query_int(db, out, 0, buf_cstr(&sql), "") != JM_OK)
		rc = table_fail(db, t, "cannot count", err);
	buf_free(&sql);
	return rc;
}

enum jm_rc db_table_clear(struct db *db, const struct db_table *t, struct jm_err *err)
{
	return exec_on(db, t, "DELETE FROM ", "", err);
}

enum jm_rc db_table_triggers(struct db *dst, const struct db_table *t, bool on, struct jm_err *err)
{
	if (db_engine(dst) != DB_PG)
		return JM_OK;
	return exec_on(dst, t, "ALTER TABLE ",
	               on ? " ENABLE TRIGGER USER" : " DISABLE TRIGGER USER", err);
}

/* The identity and serial columns of t in PostgreSQL's catalog. */
static const char *const ids_sql =
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? AND (is_identity = 'YES' OR column_default LIKE "
        "'nextval(%')";

enum jm_rc db_table_reset_ids(struct db *dst, const struct db_table *t, struct jm_err *err)
{
	if (db_engine(dst) != DB_PG)
		return JM_OK;
	struct db_stmt *st = NULL;
	struct buf sql = BUF_INIT, name = BUF_INIT;
	enum jm_rc rc = db_preparef(dst, &st, ids_sql, "t", t->name);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		buf_reset(&sql);
		buf_reset(&name);
		const char *col = db_col_text(st, 0, NULL);
		/* An empty table starts again at 1 (is_called false); else after max. */
		rc = quote(&name, t->name);
		rc |= buf_appends(&sql, "SELECT setval(pg_get_serial_sequence(?, ?), "
		                        "coalesce(max(");
		rc |= quote(&sql, col);
		rc |= buf_appends(&sql, "), 1), max(");
		rc |= quote(&sql, col);
		rc |= buf_appends(&sql, ") IS NOT NULL) FROM ");
		rc |= buf_appends(&sql, buf_cstr(&name));
		int64_t v = 0;
		if (rc == JM_OK)
			rc = db_query_int(dst, &v, 0, buf_cstr(&sql), "tt", buf_cstr(&name), col);
	}
	db_finalize(st);
	buf_free(&sql);
	buf_free(&name);
	return rc == JM_DONE ? JM_OK : table_fail(dst, t, "cannot reset the sequence of", err);
}

/* ---- the checksum ---- */

struct sum {
	struct buf chunk;
	char hex[65]; /* the digest so far; "" before the first chunk */
	int rows;     /* rows in chunk */
};

/* Hashes the chunk with the previous digest as the key. */
static void sum_chunk(struct sum *s)
{
	char next[65];
	jm_hash_hex(s->hex[0] ? s->hex : NULL, s->hex[0] ? 64 : 0, s->chunk.ptr ? s->chunk.ptr : "",
	            s->chunk.len, next);
	memcpy(s->hex, next, sizeof(next));
	buf_reset(&s->chunk);
	s->rows = 0;
}

/* A BLOB's bytes as "B<length>:<bytes>" (PostgreSQL prints bytea as hex
 * text: the bytes are what both engines agree on). */
static enum jm_rc sum_blob(struct sum *s, struct db_stmt *st, int col)
{
	struct buf v = BUF_INIT;
	enum jm_rc rc = db_col_blob(st, col, &v);
	if (!rc)
		rc = buf_appendf(&s->chunk, "B%zu:", v.len);
	if (!rc)
		rc = buf_append(&s->chunk, v.ptr ? v.ptr : "", v.len);
	buf_free(&v);
	return rc;
}

/* Each value as "N" (NULL), "B<length>:<bytes>" (BLOB) or
 * "T<length>:<text>". */
static void sum_row(struct sum *s, struct db_stmt *st, const struct db_table *t)
{
	enum jm_rc rc = JM_OK;
	int ncols = t->ncols;
	for (int i = 0; i < ncols; i++) {
		size_t len = 0;
		if (t->blob && t->blob[i] && !db_col_null(st, i)) {
			rc |= sum_blob(s, st, i);
			continue;
		}
		const char *v = db_col_null(st, i) ? NULL : db_col_text(st, i, &len);
		if (!v) {
			rc |= buf_appendc(&s->chunk, 'N');
			continue;
		}
		rc |= buf_appendf(&s->chunk, "T%zu:", len);
		rc |= buf_append(&s->chunk, v, len);
	}
	if (rc)
		abort(); /* uncapped: only an allocation can fail, and that aborts */
	if (++s->rows == DB_SUM_CHUNK)
		sum_chunk(s);
}

enum jm_rc db_table_checksum(struct db *db, const struct db_table *t, int64_t *rows, char out[65],
                             struct jm_err *err)
{
	struct sum s = {.chunk = BUF_INIT};
	struct buf sel = BUF_INIT;
	struct rows r = {0};
	*rows = 0;
	enum jm_rc rc = select_sql(db, t, &sel);
	if (rc == JM_OK)
		rc = rows_open(&r, db, buf_cstr(&sel));
	while (rc == JM_OK && (rc = rows_next(&r)) == JM_OK) {
		sum_row(&s, r.st, t);
		++*rows;
	}
	rows_close(&r);
	if (s.rows || !s.hex[0])
		sum_chunk(&s);
	memcpy(out, s.hex, 65);
	buf_free(&sel);
	buf_free(&s.chunk);
	return rc == JM_DONE ? JM_OK : table_fail(db, t, "cannot read", err);
}
