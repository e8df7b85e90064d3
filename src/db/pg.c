/*
 * pg.c — the PostgreSQL backend of db.h on libpq.
 *
 * Statements: the shared SQL uses SQLite's `?` and `?N` placeholders; they
 * are rewritten once per distinct text to `$N` and prepared server-side
 * under a name kept per connection (keyed by the text, so built strings
 * and literals share one). Parameters go as text with type "unknown", so
 * PostgreSQL types each from its context, as SQLite's loose typing lets
 * the shared SQL assume; where the context says nothing (`? IS NULL`) the
 * statement is prepared again with the types of the values bound (int8,
 * text). A blob (db_bind_blob) goes in binary format as bytea. Results come
 * back whole, as text; db_col_int parses them, db_col_blob decodes bytea's hex.
 *
 * Transactions: PostgreSQL aborts a whole transaction on any error, while
 * SQLite lets the statement fail alone. Domain code relies on the latter
 * for INSERTs (a taken slug is retried, a duplicate row is skipped), so an
 * INSERT inside a transaction runs under a savepoint and a failure undoes
 * only itself. Writes are short and READ COMMITTED; the few
 * read-then-write sequences that must not interleave use ON CONFLICT or
 * row locks in their owning module.
 *
 * A broken connection (server restart) is reset once at the next
 * statement; prepared names are forgotten with it.
 */
#include <inttypes.h>
#include <limits.h>
#include <poll.h>

#include <libpq-fe.h>

#include "db/db_int.h"

#define PREP_BUCKETS 1024
#define PREP_MAX     4000 /* beyond this many texts, run unnamed (built SQL with literals) */
#define MAX_PARAMS   4096
#define OID_INT8     20
#define OID_TEXT     25
#define OID_BYTEA    17

struct pg_prep {
	struct pg_prep *next;
	char *sql;  /* the domain text: key */
	char *text; /* rewritten to $N */
	uint64_t hash;
	int nparams;
	int id;        /* server-side name "jm<id>" */
	bool prepared; /* on the current connection */
	bool is_insert;
};

struct pg_db {
	struct db base;
	PGconn *c;
	struct pg_prep *buckets[PREP_BUCKETS];
	int nprep;
	int64_t changes;
	char err[512];
	struct buf copy; /* COPY rows not sent yet (db_copy_row) */
};

struct pg_stmt {
	struct db_stmt base;
	struct pg_prep *p;
	bool own_prep; /* p is not in the cache: free it with the statement */
	char **vals;
	int *lens;
	char *kinds; /* 'i', 't', 'n', 'b' (bytea, sent in binary) per parameter */
	PGresult *res;
	int row, nrows;
};

static const struct db_ops pg_ops;

static struct pg_db *PD(struct db *db)
{
	return (struct pg_db *)db;
}
static struct pg_stmt *PS(struct db_stmt *st)
{
	return (struct pg_stmt *)st;
}

static void pg_notice(void *arg, const char *msg)
{
	(void)arg;
	log_at(LOG_DEBUG, "db", "postgres: %s", msg);
}

/* Warns once per open when the database does not sort by bytes: ORDER BY
 * on text would then differ from SQLite's (and between servers). */
static void check_collation(PGconn *c)
{
	PGresult *r =
	        PQexec(c, "SELECT datcollate FROM pg_database WHERE datname = current_database()");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		const char *coll = PQgetvalue(r, 0, 0);
		if (strcmp(coll, "C") != 0 && strcmp(coll, "POSIX") != 0 &&
		    strcmp(coll, "C.UTF-8") != 0)
			log_at(LOG_WARN, "db",
			       "database collation is %s: text sorts differently than on SQLite; "
			       "create the database with LC_COLLATE 'C' (see README)",
			       coll);
	}
	PQclear(r);
}

enum jm_rc db_pg_open(const char *url, struct db **out, struct jm_err *err)
{
	PGconn *c = PQconnectdb(url);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s", c ? PQerrorMessage(c) : "out of memory");
		msg[strcspn(msg, "\n")] = '\0';
		jm_err_set(err, "db", "cannot connect to PostgreSQL: %s", msg);
		PQfinish(c);
		return JM_DB;
	}
	PQsetNoticeProcessor(c, pg_notice, NULL);
	/* A lock wait ends like SQLite's busy timeout (5 s) instead of never:
	 * a connection left inside a failed transaction cannot hang the rest. */
	PGresult *r = PQexec(c, "SET client_encoding = 'UTF8'; SET client_min_messages = warning; "
	                        "SET lock_timeout = '5s'");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (!ok) {
		jm_err_set(err, "db", "PostgreSQL: %s", PQerrorMessage(c));
		PQfinish(c);
		return JM_DB;
	}
	check_collation(c);
	struct pg_db *d = xcalloc(1, sizeof(*d));
	d->base.ops = &pg_ops;
	d->c = c;
	*out = &d->base;
	return JM_OK;
}

static void pg_close(struct db *db)
{
	struct pg_db *d = PD(db);
	for (int i = 0; i < PREP_BUCKETS; i++) {
		for (struct pg_prep *p = d->buckets[i], *next; p; p = next) {
			next = p->next;
			free(p->sql);
			free(p->text);
			free(p);
		}
	}
	PQfinish(d->c);
	buf_free(&d->copy);
	free(d);
}

/* ---- errors ---- */

/* Keeps the message (errmsg must outlive the next successful call) and
 * maps the SQLSTATE class to a jm_rc. */
static enum jm_rc fail(struct pg_db *d, const PGresult *r, const char *what, const char *sql)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(d->c);
	snprintf(d->err, sizeof(d->err), "%s", msg && *msg ? msg : "unknown error");
	d->err[strcspn(d->err, "\n")] = '\0';
	if (state && strcmp(state, "23505") == 0)
		return JM_CONFLICT;
	if (state && strncmp(state, "23", 2) == 0)
		return JM_INVALID;
	if (state &&
	    strncmp(state, "22", 2) == 0) { /* data exception: a value of the wrong shape */
		log_at(LOG_DEBUG, "db", "%s: %s sql=\"%.120s\"", what, d->err, sql ? sql : "");
		return JM_INVALID;
	}
	log_at(LOG_ERROR, "db", "%s failed: %s sql=\"%.120s\"", what, d->err, sql ? sql : "");
	return JM_DB;
}

/* A connection that broke (server restart, network) is reset once;
 * everything prepared on it is gone. */
static bool ensure_conn(struct pg_db *d)
{
	if (PQstatus(d->c) == CONNECTION_OK)
		return true;
	PQreset(d->c);
	for (int i = 0; i < PREP_BUCKETS; i++)
		for (struct pg_prep *p = d->buckets[i]; p; p = p->next)
			p->prepared = false;
	return PQstatus(d->c) == CONNECTION_OK;
}

static enum jm_rc pg_exec(struct db *db, const char *sql)
{
	struct pg_db *d = PD(db);
	if (!ensure_conn(d))
		return fail(d, NULL, "connect", sql);
	PGresult *r = PQexec(d->c, sql);
	ExecStatusType s = PQresultStatus(r);
	enum jm_rc rc =
	        s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? JM_OK : fail(d, r, "exec", sql);
	if (rc == JM_OK) { /* as sqlite3_changes: the rows the last statement touched */
		const char *n = PQcmdTuples(r);
		d->changes = n && *n ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(r);
	return rc;
}

/* ---- statement texts ---- */

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Copies a quoted run ('…' or "…", doubled quotes inside) starting at
 * sql[i]; returns the index after it. */
static size_t copy_quoted(const char *sql, size_t i, struct buf *b, int *bad)
{
	char q = sql[i];
	size_t j = i + 1;
	for (; sql[j]; j++) {
		if (sql[j] == q) {
			if (sql[j + 1] == q) {
				j++;
				continue;
			}
			j++;
			break;
		}
	}
	*bad |= buf_append(b, sql + i, j - i);
	return j;
}

/* `?` and `?N` → `$N` outside quotes and comments (a bare `?` takes the
 * largest number so far plus one, as in SQLite). */
static char *rewrite(const char *sql, int *nparams)
{
	struct buf b = BUF_INIT;
	int max = 0, bad = 0;
	size_t i = 0;
	while (sql[i]) {
		char ch = sql[i];
		if (ch == '\'' || ch == '"') {
			i = copy_quoted(sql, i, &b, &bad);
		} else if (ch == '-' && sql[i + 1] == '-') {
			size_t j = i + strcspn(sql + i, "\n");
			bad |= buf_append(&b, sql + i, j - i);
			i = j;
		} else if (ch == '?') {
			i++;
			int n = 0;
			while (sql[i] >= '0' && sql[i] <= '9' && n < MAX_PARAMS)
				n = n * 10 + (sql[i++] - '0');
			if (n == 0)
				n = max + 1;
			if (n > max)
				max = n;
			bad |= buf_appendf(&b, "$%d", n);
		} else {
			bad |= buf_append(&b, &ch, 1);
			i++;
		}
	}
	*nparams = bad ? MAX_PARAMS + 1 : max; /* a text past the buffer cap is refused */
	return buf_take(&b, NULL);
}

static bool starts_insert(const char *sql)
{
	while (*sql == ' ' || *sql == '\n' || *sql == '\t' || *sql == '(')
		sql++;
	return strncasecmp(sql, "INSERT", 6) == 0;
}

static struct pg_prep *prep_new(const char *sql, uint64_t h)
{
	struct pg_prep *p = xcalloc(1, sizeof(*p));
	p->sql = xstrdup(sql);
	p->text = rewrite(sql, &p->nparams);
	p->hash = h;
	p->is_insert = starts_insert(sql);
	return p;
}

static enum jm_rc pg_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct pg_db *d = PD(db);
	uint64_t h = hash_text(sql);
	struct pg_prep **slot = &d->buckets[h % PREP_BUCKETS], *p = *slot;
	while (p && (p->hash != h || strcmp(p->sql, sql) != 0))
		p = p->next;
	bool own = false;
	if (!p) {
		p = prep_new(sql, h);
		if (d->nprep < PREP_MAX) {
			p->id = ++d->nprep;
			p->next = *slot;
			*slot = p;
		} else {
			own = true; /* run unnamed, freed with the statement */
		}
	}
	if (p->nparams > MAX_PARAMS) {
		log_at(LOG_ERROR, "db", "too many parameters (%d) sql=\"%.80s\"", p->nparams, sql);
		if (own) {
			free(p->sql);
			free(p->text);
			free(p);
		}
		return JM_DB;
	}
	struct pg_stmt *s = xcalloc(1, sizeof(*s));
	s->base.db = db;
	s->p = p;
	s->own_prep = own;
	int n = p->nparams;
	s->vals = xcalloc((size_t)n + 1, sizeof(char *));
	s->lens = xcalloc((size_t)n + 1, sizeof(int));
	s->kinds = xcalloc((size_t)n + 1, 1);
	memset(s->kinds, 'n', (size_t)n);
	*out = &s->base;
	return JM_OK;
}

/* ---- binding ---- */

static bool param_ok(struct pg_stmt *s, int idx)
{
	if (idx < 1 || idx > s->p->nparams) {
		log_at(LOG_ERROR, "db", "bind index %d out of range sql=\"%.80s\"", idx, s->p->sql);
		return false;
	}
	free(s->vals[idx - 1]);
	s->vals[idx - 1] = NULL;
	s->lens[idx - 1] = 0;
	return true;
}

static void pg_bind_text(struct db_stmt *st, int idx, const char *v, size_t len)
{
	struct pg_stmt *s = PS(st);
	if (!param_ok(s, idx))
		return;
	s->vals[idx - 1] = xstrndup(v, len);
	s->lens[idx - 1] = (int)len;
	s->kinds[idx - 1] = 't';
}

static void pg_bind_int(struct db_stmt *st, int idx, int64_t v)
{
	struct pg_stmt *s = PS(st);
	if (!param_ok(s, idx))
		return;
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	s->vals[idx - 1] = xstrndup(tmp, (size_t)n);
	s->lens[idx - 1] = n;
	s->kinds[idx - 1] = 'i';
}

static void pg_bind_null(struct db_stmt *st, int idx)
{
	struct pg_stmt *s = PS(st);
	if (param_ok(s, idx))
		s->kinds[idx - 1] = 'n';
}

/* Bytes go in binary format (bytea's is the bytes themselves); libpq
 * takes an int length, so a larger value binds NULL and is logged. */
static void pg_bind_blob(struct db_stmt *st, int idx, const void *p, size_t len)
{
	struct pg_stmt *s = PS(st);
	if (!param_ok(s, idx))
		return;
	if (len > INT_MAX) {
		log_at(LOG_ERROR, "db", "blob of %zu bytes too large for libpq", len);
		s->kinds[idx - 1] = 'n';
		return;
	}
	s->vals[idx - 1] = xmalloc(len ? len : 1);
	memcpy(s->vals[idx - 1], p, len);
	s->lens[idx - 1] = (int)len;
	s->kinds[idx - 1] = 'b';
}

/* ---- execution ---- */

/* The parameter number in "could not determine data type of parameter
 * $N", or 0. */
static int untyped_param(const PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	const char *dollar = msg ? strrchr(msg, '$') : NULL;
	if (!state || strcmp(state, "42P18") != 0 || !dollar)
		return 0;
	return (int)strtol(dollar + 1, NULL, 10);
}

/* Prepares p on the server: untyped first; each parameter PostgreSQL
 * cannot type from its context (`? IS NULL`) then gets the type of the
 * value bound (int8, or text for text and NULL), one at a time, so the
 * others keep the types their contexts give them. */
static enum jm_rc server_prepare(struct pg_db *d, struct pg_stmt *s, const char *name)
{
	struct pg_prep *p = s->p;
	Oid *types = xcalloc((size_t)p->nparams + 1, sizeof(Oid));
	enum jm_rc rc = JM_OK;
	for (int tries = 0;; tries++) {
		PGresult *r = PQprepare(d->c, name, p->text, p->nparams, types);
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			PQclear(r);
			break;
		}
		int k = untyped_param(r);
		if (k < 1 || k > p->nparams || types[k - 1] || tries > p->nparams) {
			rc = fail(d, r, "prepare", p->sql);
			PQclear(r);
			break;
		}
		PQclear(r);
		types[k - 1] = s->kinds[k - 1] == 'i'   ? OID_INT8
		               : s->kinds[k - 1] == 'b' ? OID_BYTEA
		                                        : OID_TEXT;
	}
	free(types);
	if (!rc && !s->own_prep)
		p->prepared = true;
	return rc;
}

/* Every parameter is text but a blob's (binary: formats only then). */
static PGresult *run_prepared(struct pg_db *d, struct pg_stmt *s, const char *name)
{
	int *fmts = NULL;
	for (int i = 0; i < s->p->nparams; i++) {
		if (s->kinds[i] != 'b')
			continue;
		if (!fmts)
			fmts = xcalloc((size_t)s->p->nparams, sizeof(int));
		fmts[i] = 1;
	}
	PGresult *r = PQexecPrepared(d->c, name, s->p->nparams, (const char *const *)s->vals,
	                             s->lens, fmts, 0);
	free(fmts);
	return r;
}

static enum jm_rc savepoint(struct pg_db *d, const char *sql)
{
	PGresult *r = PQexec(d->c, sql);
	enum jm_rc rc =
	        PQresultStatus(r) == PGRES_COMMAND_OK ? JM_OK : fail(d, r, "savepoint", sql);
	PQclear(r);
	return rc;
}

static enum jm_rc execute(struct pg_db *d, struct pg_stmt *s)
{
	if (!ensure_conn(d))
		return fail(d, NULL, "connect", s->p->sql);
	char name[24] = "";
	if (!s->own_prep)
		snprintf(name, sizeof(name), "jm%d", s->p->id);
	enum jm_rc rc = JM_OK;
	if (!s->p->prepared && (rc = server_prepare(d, s, name)))
		return rc;
	bool guard = s->p->is_insert && PQtransactionStatus(d->c) == PQTRANS_INTRANS;
	if (guard && (rc = savepoint(d, "SAVEPOINT jm_stmt")))
		return rc;
	s->res = run_prepared(d, s, name);
	ExecStatusType st = PQresultStatus(s->res);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = fail(d, s->res, "step", s->p->sql);
		PQclear(s->res);
		s->res = NULL;
		if (guard &&
		    savepoint(d, "ROLLBACK TO SAVEPOINT jm_stmt; RELEASE SAVEPOINT jm_stmt"))
			rc = JM_DB;
		return rc;
	}
	if (guard && (rc = savepoint(d, "RELEASE SAVEPOINT jm_stmt")))
		return rc;
	const char *n = PQcmdTuples(s->res);
	d->changes = n && *n ? strtoll(n, NULL, 10) : 0;
	s->nrows = PQntuples(s->res);
	s->row = -1;
	return JM_OK;
}

static enum jm_rc pg_step(struct db_stmt *st)
{
	struct pg_stmt *s = PS(st);
	if (!s->res) {
		enum jm_rc rc = execute(PD(st->db), s);
		if (rc)
			return rc;
	}
	if (s->row < s->nrows)
		s->row++;
	return s->row < s->nrows ? JM_OK : JM_DONE;
}

static bool has_cell(struct pg_stmt *s, int col)
{
	return s->res && s->row >= 0 && s->row < s->nrows && col >= 0 && col < PQnfields(s->res);
}

static const char *pg_col_text(struct db_stmt *st, int col, size_t *len)
{
	struct pg_stmt *s = PS(st);
	if (!has_cell(s, col) || PQgetisnull(s->res, s->row, col)) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = (size_t)PQgetlength(s->res, s->row, col);
	return PQgetvalue(s->res, s->row, col);
}

static int64_t pg_col_int(struct db_stmt *st, int col)
{
	const char *v = pg_col_text(st, col, NULL);
	if (!v)
		return 0;
	if (v[0] == 't' && !v[1])
		return 1; /* boolean true */
	return strtoll(v, NULL, 10);
}

static bool pg_col_null(struct db_stmt *st, int col)
{
	struct pg_stmt *s = PS(st);
	return !has_cell(s, col) || PQgetisnull(s->res, s->row, col);
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* bytea comes back as text in the hex format ("\\x" then two digits a
 * byte, bytea_output's default); decoded straight into out. */
static enum jm_rc pg_col_blob(struct db_stmt *st, int col, struct buf *out)
{
	size_t len = 0;
	const char *v = pg_col_text(st, col, &len);
	if (!v)
		return JM_OK;
	if (len < 2 || v[0] != '\\' || v[1] != 'x' || len % 2) {
		log_at(LOG_ERROR, "db", "column %d is not bytea in hex format", col);
		return JM_DB;
	}
	unsigned char chunk[4096];
	size_t n = 0;
	enum jm_rc rc = JM_OK;
	for (size_t i = 2; i < len && !rc; i += 2) {
		int hi = hex_digit(v[i]), lo = hex_digit(v[i + 1]);
		if (hi < 0 || lo < 0)
			return JM_DB;
		chunk[n++] = (unsigned char)(hi << 4 | lo);
		if (n == sizeof(chunk) || i + 2 >= len) {
			rc = buf_append(out, chunk, n);
			n = 0;
		}
	}
	return rc;
}

static int pg_col_count(struct db_stmt *st)
{
	struct pg_stmt *s = PS(st);
	return s->res ? PQnfields(s->res) : 0;
}

static const char *pg_col_name(struct db_stmt *st, int col)
{
	struct pg_stmt *s = PS(st);
	return s->res && col >= 0 && col < PQnfields(s->res) ? PQfname(s->res, col) : NULL;
}

static void pg_finalize(struct db_stmt *st)
{
	struct pg_stmt *s = PS(st);
	for (int i = 0; i < s->p->nparams; i++)
		free(s->vals[i]);
	free(s->vals);
	free(s->lens);
	free(s->kinds);
	PQclear(s->res);
	if (s->own_prep) {
		free(s->p->sql);
		free(s->p->text);
		free(s->p);
	}
	free(s);
}

static int64_t pg_changes(struct db *db)
{
	return PD(db)->changes;
}

static const char *pg_errmsg(struct db *db)
{
	struct pg_db *d = PD(db);
	return d->err[0] ? d->err : PQerrorMessage(d->c);
}

static enum jm_rc pg_backup(struct db *db, const char *path, struct jm_err *err)
{
	(void)db;
	(void)path;
	jm_err_set(err, "db",
	           "on PostgreSQL, back up with pg_dump (or your provider's snapshots); "
	           "`backup` copies SQLite databases");
	return JM_INVALID;
}

/* ---- several nodes ---- */

static enum jm_rc pg_notify(struct db *db, const char *channel, const char *payload)
{
	return db_execf(db, "SELECT pg_notify(?, ?)", "tt", channel, payload ? payload : "");
}

static enum jm_rc pg_listen(struct db *db, const char *channel)
{
	struct pg_db *d = PD(db);
	char *id = PQescapeIdentifier(d->c, channel, strlen(channel));
	if (!id)
		return fail(d, NULL, "listen", channel);
	char sql[256];
	snprintf(sql, sizeof(sql), "LISTEN %s", id);
	PQfreemem(id);
	return pg_exec(db, sql);
}

static enum jm_rc pg_wait_notify(struct db *db, int timeout_ms, char *channel, size_t chlen,
                                 char *payload, size_t plen)
{
	struct pg_db *d = PD(db);
	for (int round = 0; round < 2; round++) {
		if (!PQconsumeInput(d->c))
			return fail(d, NULL, "listen", NULL);
		PGnotify *n = PQnotifies(d->c);
		if (n) {
			snprintf(channel, chlen, "%s", n->relname);
			snprintf(payload, plen, "%s", n->extra ? n->extra : "");
			PQfreemem(n);
			return JM_OK;
		}
		if (round == 1)
			break;
		struct pollfd pfd = {.fd = PQsocket(d->c), .events = POLLIN};
		if (pfd.fd < 0)
			return fail(d, NULL, "listen", NULL);
		int r = poll(&pfd, 1, timeout_ms);
		if (r == 0)
			return JM_DONE;
		if (r < 0)
			return errno == EINTR ? JM_DONE : JM_IO;
	}
	return JM_DONE;
}

static bool pg_try_lock(struct db *db, int64_t key)
{
	int64_t got = 0;
	return db_query_int(db, &got, 0, "SELECT pg_try_advisory_lock(?)", "i", key) == JM_OK &&
	       got == 1;
}

static void pg_unlock(struct db *db, int64_t key)
{
	if (db_execf(db, "SELECT pg_advisory_unlock(?)", "i", key) != JM_OK)
		log_at(LOG_WARN, "db", "advisory unlock failed: %s", pg_errmsg(db));
}

/* ---- bulk load (COPY FROM STDIN, text format) ---- */

#define COPY_CHUNK 65536

static enum jm_rc pg_copy_begin(struct db *db, const char *table, const char *cols)
{
	struct pg_db *d = PD(db);
	struct buf sql = BUF_INIT;
	if (buf_appendf(&sql, "COPY %s(%s) FROM STDIN", table, cols)) {
		buf_free(&sql);
		return JM_NOMEM;
	}
	enum jm_rc rc = JM_OK;
	if (!ensure_conn(d)) {
		rc = fail(d, NULL, "connect", buf_cstr(&sql));
	} else {
		PGresult *r = PQexec(d->c, buf_cstr(&sql));
		if (PQresultStatus(r) != PGRES_COPY_IN)
			rc = fail(d, r, "copy", buf_cstr(&sql));
		PQclear(r);
	}
	buf_free(&sql);
	buf_reset(&d->copy);
	return rc;
}

static enum jm_rc copy_send(struct pg_db *d)
{
	if (d->copy.len && PQputCopyData(d->c, d->copy.ptr, (int)d->copy.len) != 1)
		return fail(d, NULL, "copy", NULL);
	buf_reset(&d->copy);
	return JM_OK;
}

/* One line of COPY's text format: tab-separated, \N for NULL, and
 * backslash, tab, newline and carriage return escaped. */
static enum jm_rc pg_copy_row(struct db *db, const char *const *vals, const size_t *lens, int n)
{
	struct pg_db *d = PD(db);
	enum jm_rc rc = JM_OK;
	for (int i = 0; i < n && !rc; i++) {
		if (i)
			rc = buf_appendc(&d->copy, '\t');
		if (!vals[i]) {
			rc = rc ? rc : buf_appends(&d->copy, "\\N");
			continue;
		}
		size_t from = 0;
		for (size_t k = 0; k < lens[i] && !rc; k++) {
			char ch = vals[i][k];
			const char *esc = ch == '\\'   ? "\\\\"
			                  : ch == '\t' ? "\\t"
			                  : ch == '\n' ? "\\n"
			                  : ch == '\r' ? "\\r"
			                               : NULL;
			if (!esc)
				continue;
			rc = buf_append(&d->copy, vals[i] + from, k - from);
			rc = rc ? rc : buf_appends(&d->copy, esc);
			from = k + 1;
		}
		rc = rc ? rc : buf_append(&d->copy, vals[i] + from, lens[i] - from);
	}
	rc = rc ? rc : buf_appendc(&d->copy, '\n');
	return rc || d->copy.len < COPY_CHUNK ? rc : copy_send(d);
}

static enum jm_rc pg_copy_end(struct db *db)
{
	struct pg_db *d = PD(db);
	enum jm_rc rc = copy_send(d);
	if (PQputCopyEnd(d->c, rc ? "client error" : NULL) != 1 && !rc)
		rc = fail(d, NULL, "copy", NULL);
	PGresult *r;
	while ((r = PQgetResult(d->c))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = fail(d, r, "copy", NULL);
		PQclear(r);
	}
	return rc;
}

static const struct db_ops pg_ops = {
        .name = "postgres",
        .close = pg_close,
        .exec = pg_exec,
        .prepare = pg_prepare,
        .bind_text = pg_bind_text,
        .bind_int = pg_bind_int,
        .bind_null = pg_bind_null,
        .bind_blob = pg_bind_blob,
        .step = pg_step,
        .col_text = pg_col_text,
        .col_int = pg_col_int,
        .col_null = pg_col_null,
        .col_blob = pg_col_blob,
        .finalize = pg_finalize,
        .changes = pg_changes,
        .errmsg = pg_errmsg,
        .backup = pg_backup,
        .bulk_mode = NULL,
        .col_count = pg_col_count,
        .col_name = pg_col_name,
        .notify = pg_notify,
        .listen = pg_listen,
        .wait_notify = pg_wait_notify,
        .try_lock = pg_try_lock,
        .unlock = pg_unlock,
        .copy_begin = pg_copy_begin,
        .copy_row = pg_copy_row,
        .copy_end = pg_copy_end,
        .engine = DB_PG,
        .begin_sql = "BEGIN",
};
