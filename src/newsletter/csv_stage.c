/*
 * csv_stage.c — the subscriber import's staging table (nl_import, a TEMP
 * table of the connection) and the multi-row INSERT that fills it.
 *
 * Rows are buffered here. PostgreSQL takes them by COPY (db_copy_*), a
 * stream without a statement, a round trip or a savepoint per row; the
 * rows are checked before they get here, so the load cannot fail on them.
 * SQLite takes them with one INSERT … VALUES (…), (…) of up to
 * NL_STAGE_PARAMS parameters: hundreds of rows per statement. A remainder
 * smaller than a full statement goes in power-of-two chunks, so an import
 * prepares at most NL_STAGE_TEXTS distinct texts whatever its row count.
 * The values are bound without a copy (db_bind_text_static): the buffer
 * stays as it is until the statement is finalized.
 *
 * Columns: line (the file's line), email (normalised), name, furigana,
 * company, title, pid (set by people_batch_ensure), then f1 … fN: the
 * value of the import's k-th custom-field column, NULL for none. The
 * email index is built once per batch, after the rows are in
 * (nl_stage_index): a sort of the batch costs less than keeping a B-tree
 * ordered row by row.
 */
#include "newsletter/nl_int.h"

#define NL_STAGE_PARAMS 4000 /* within what db/pg.c binds (4096) and SQLite's 32766 */
#define NL_STAGE_ROWS   500
#define NL_STAGE_TEXTS  10   /* [0]: a full statement; [k]: 2^(k-1) rows (up to 256) */
#define NL_STAGE_PERSON 5    /* email, name, furigana, company, title */
#define NL_STAGE_COPY   5000 /* rows per COPY on PostgreSQL */

struct nl_stage {
	struct db *db;
	size_t nf;       /* custom-field columns f1 … fnf */
	size_t ncols;    /* values per row besides the line */
	size_t per_stmt; /* rows of a full statement */
	size_t n;        /* rows buffered */
	int64_t *line;
	struct buf text; /* the buffered values, each NUL-ended */
	size_t *off;     /* per value: offset in text, SIZE_MAX for NULL */
	size_t *len;
	char *sql[NL_STAGE_TEXTS];
	struct buf cols; /* "line, email, …, f<nf>" */
};

static enum jm_rc create_table(struct db *db, size_t nf)
{
	struct buf b = BUF_INIT;
	/* PostgreSQL's pg_temp names the session's own temporary schema (a
	 * bare name could drop a permanent table); SQLite's is temp. */
	enum jm_rc rc = buf_appends(&b, DB_SQL(db, "DROP TABLE IF EXISTS temp.nl_import;",
	                                       "DROP TABLE IF EXISTS pg_temp.nl_import;"));
	if (!rc)
		rc = buf_appends(&b,
		                 "CREATE TEMP TABLE nl_import(line INTEGER PRIMARY KEY, "
		                 "email TEXT NOT NULL, name TEXT NOT NULL, furigana TEXT NOT NULL, "
		                 "company TEXT NOT NULL, title TEXT NOT NULL, pid INTEGER");
	for (size_t k = 1; k <= nf && !rc; k++)
		rc = buf_appendf(&b, ", f%zu TEXT", k);
	if (!rc)
		rc = buf_appends(&b, ")");
	if (!rc)
		rc = db_exec(db, buf_cstr(&b));
	buf_free(&b);
	return rc;
}

enum jm_rc nl_stage_open(struct db *db, size_t nfields, struct nl_stage **out)
{
	enum jm_rc rc = create_table(db, nfields);
	if (rc)
		return rc;
	struct nl_stage *s = xcalloc(1, sizeof(*s));
	s->db = db;
	s->nf = nfields;
	s->ncols = NL_STAGE_PERSON + nfields;
	s->per_stmt = NL_STAGE_PARAMS / (s->ncols + 1);
	if (s->per_stmt > NL_STAGE_ROWS)
		s->per_stmt = NL_STAGE_ROWS;
	if (db_engine(db) == DB_PG)
		s->per_stmt = NL_STAGE_COPY;
	buf_init(&s->cols, 0);
	rc = buf_appends(&s->cols, "line, email, name, furigana, company, title");
	for (size_t k = 1; k <= nfields && !rc; k++)
		rc = buf_appendf(&s->cols, ", f%zu", k);
	s->line = xcalloc(s->per_stmt, sizeof(*s->line));
	s->off = xcalloc(s->per_stmt * s->ncols, sizeof(*s->off));
	s->len = xcalloc(s->per_stmt * s->ncols, sizeof(*s->len));
	buf_init(&s->text, 0);
	*out = s;
	return rc;
}

void nl_stage_free(struct nl_stage *s)
{
	if (!s)
		return;
	for (size_t k = 0; k < NL_STAGE_TEXTS; k++)
		free(s->sql[k]);
	free(s->line);
	free(s->off);
	free(s->len);
	buf_free(&s->text);
	buf_free(&s->cols);
	free(s);
}

/* The INSERT of rows rows (kept for the import: the statement caches key
 * on the text's address). */
static const char *insert_sql(struct nl_stage *s, size_t slot, size_t rows)
{
	if (s->sql[slot])
		return s->sql[slot];
	struct buf b = BUF_INIT;
	enum jm_rc rc = buf_appends(&b, "INSERT INTO nl_import(line, email, name, furigana, "
	                                "company, title");
	for (size_t k = 1; k <= s->nf && !rc; k++)
		rc = buf_appendf(&b, ", f%zu", k);
	rc = rc ? rc : buf_appends(&b, ") VALUES ");
	for (size_t r = 0; r < rows && !rc; r++) {
		rc = buf_appends(&b, r ? ", (?" : "(?");
		for (size_t c = 0; c < s->ncols && !rc; c++)
			rc = buf_appends(&b, ", ?");
		rc = rc ? rc : buf_appendc(&b, ')');
	}
	if (rc) {
		buf_free(&b);
		return NULL;
	}
	s->sql[slot] = buf_take(&b, NULL);
	return s->sql[slot];
}

/* Writes buffered rows [from, from + rows) with the statement in slot. */
static enum jm_rc write_rows(struct nl_stage *s, size_t slot, size_t from, size_t rows)
{
	if (!rows)
		return JM_OK;
	const char *sql = insert_sql(s, slot, rows);
	struct db_stmt *st = NULL;
	enum jm_rc rc = sql ? db_prepare(s->db, sql, &st) : JM_NOMEM;
	if (rc)
		return rc;
	int idx = 1;
	for (size_t r = from; r < from + rows; r++) {
		db_bind_int(st, idx++, s->line[r]);
		for (size_t c = 0; c < s->ncols; c++, idx++) {
			size_t v = r * s->ncols + c;
			if (s->off[v] == SIZE_MAX)
				db_bind_null(st, idx);
			else
				db_bind_text_static(st, idx, s->text.ptr + s->off[v], s->len[v]);
		}
	}
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* Streams the buffered rows to PostgreSQL. */
static enum jm_rc copy_rows(struct nl_stage *s)
{
	const char *vals[NL_STAGE_PERSON + 1 + 256];
	size_t lens[NL_STAGE_PERSON + 1 + 256];
	char line[24];
	if (s->ncols + 1 > sizeof(vals) / sizeof(vals[0]))
		return JM_INVALID;
	enum jm_rc rc = db_copy_begin(s->db, "nl_import", buf_cstr(&s->cols));
	if (rc)
		return rc;
	for (size_t r = 0; r < s->n && !rc; r++) {
		lens[0] = (size_t)snprintf(line, sizeof(line), "%lld", (long long)s->line[r]);
		vals[0] = line;
		for (size_t c = 0; c < s->ncols; c++) {
			size_t v = r * s->ncols + c;
			vals[c + 1] = s->off[v] == SIZE_MAX ? NULL : s->text.ptr + s->off[v];
			lens[c + 1] = s->len[v];
		}
		rc = db_copy_row(s->db, vals, lens, (int)s->ncols + 1);
	}
	enum jm_rc end = db_copy_end(s->db); /* ends the COPY whatever happened */
	return rc ? rc : end;
}

enum jm_rc nl_stage_flush(struct nl_stage *s)
{
	enum jm_rc rc = JM_OK;
	size_t from = 0;
	if (s->n && db_engine(s->db) == DB_PG) {
		rc = copy_rows(s);
		from = s->n;
	}
	while (from < s->n && !rc) {
		size_t left = s->n - from, rows = s->per_stmt, slot = 0;
		if (left < s->per_stmt) {
			for (rows = 1, slot = 1; rows * 2 <= left && slot + 1 < NL_STAGE_TEXTS;
			     slot++)
				rows *= 2;
		}
		rc = write_rows(s, slot, from, rows);
		from += rows;
	}
	s->n = 0;
	buf_reset(&s->text);
	return rc;
}

enum jm_rc nl_stage_add(struct nl_stage *s, int64_t line, const char *const *vals)
{
	size_t base = s->n * s->ncols;
	enum jm_rc rc = JM_OK;
	s->line[s->n] = line;
	for (size_t c = 0; c < s->ncols && !rc; c++) {
		if (!vals[c]) {
			s->off[base + c] = SIZE_MAX;
			continue;
		}
		s->off[base + c] = s->text.len;
		s->len[base + c] = strlen(vals[c]);
		rc = buf_append(&s->text, vals[c], s->len[base + c]);
		rc = rc ? rc : buf_appendc(&s->text, '\0');
	}
	if (rc)
		return rc;
	return ++s->n == s->per_stmt ? nl_stage_flush(s) : JM_OK;
}

enum jm_rc nl_stage_index(struct nl_stage *s)
{
	enum jm_rc rc = nl_stage_flush(s);
	return rc ? rc : db_exec(s->db, "CREATE INDEX nl_import_email ON nl_import(email)");
}

enum jm_rc nl_stage_clear(struct nl_stage *s)
{
	/* A TRUNCATE leaves no dead rows for PostgreSQL's later scans of the
	 * table (nothing vacuums a temporary table); SQLite's DELETE without
	 * a WHERE clause truncates as well. */
	return db_exec(s->db,
	               DB_SQL(s->db, "DROP INDEX temp.nl_import_email; DELETE FROM nl_import",
	                      "DROP INDEX pg_temp.nl_import_email; TRUNCATE nl_import"));
}
