/*
 * migrate.c — `jinmyaku migrate --from sqlite:PATH --to postgres://…`
 * (contract in cli.h): a whole installation moves from SQLite onto
 * PostgreSQL, and the move is proved table by table.
 *
 * The order of work, and why:
 *   1. The source must be at this binary's schema version: only then are
 *      its tables and columns the ones the target's migrations create.
 *   2. The target is migrated, then refused unless every table to copy
 *      holds no more rows than a freshly migrated database does (the rows
 *      migrations seed themselves, which the source's rows replace).
 *   3. One transaction on the target, with every table's triggers off
 *      (the bookkeeping tables they keep are copied too): seeded rows
 *      deleted (children first), every table copied (parents first),
 *      identity sequences moved past the copied ids. A failure leaves the
 *      target as it was.
 *   4. Verification reads both sides again — the source in the same read
 *      snapshot as the copy — and compares counts and checksums.
 *   5. The target's search index is rebuilt (its index tables are the
 *      engine's own, never copied).
 * The admin's pending CSV uploads (import_uploads, transient) are not
 * copied (db/copy.c).
 * Nothing is written to the source: it is only read, inside one read
 * transaction; a missing file is refused before SQLite could create it.
 */
#include <sys/stat.h>

#include "cli/cli.h"
#include "db/copy.h"
#include "network/network.h"
#include "site/site.h"

struct migration {
	const struct cli_migrate_opts *o;
	struct db *src, *dst, *fresh;
	struct arena *ar;
	struct db_table *tables;
	size_t n;
	int64_t *seeded; /* rows the target holds per table before the copy */
	int64_t shown;   /* rows of the current table last reported */
	bool reading;    /* the source's read transaction is open */
	char version[128];
};

/* "sqlite:PATH" or a bare PATH; NULL for any other URL. */
static const char *sqlite_path(const char *url)
{
	if (!strncmp(url, "sqlite:", 7))
		return url + 7;
	return strstr(url, "://") ? NULL : url;
}

static enum jm_rc open_source(struct migration *m, struct jm_err *err)
{
	const char *path = sqlite_path(m->o->from);
	struct stat st;
	if (!path || !*path) {
		jm_err_set(err, "from", "--from must be sqlite:PATH (got %s)", m->o->from);
		return JM_INVALID;
	}
	int missing = stat(path, &st) != 0 ? errno : 0;
	if (missing || !S_ISREG(st.st_mode)) {
		jm_err_set(err, "from", "no SQLite database at %s: %s", path,
		           missing ? strerror(missing) : "not a regular file");
		return JM_NOT_FOUND;
	}
	enum jm_rc rc = db_open(m->o->from, &m->src, err);
	/* A deferred BEGIN: one read snapshot for the copy and its proof. */
	if (rc == JM_OK && db_exec(m->src, "BEGIN") != JM_OK) {
		jm_err_set(err, "from", "%s: %s", path, db_errmsg(m->src));
		rc = JM_DB;
	}
	m->reading = rc == JM_OK;
	return rc;
}

/* A schema version as people read it: the migration's name without
 * ".sql", "(none)" for an empty database. */
static const char *version_text(char *v)
{
	size_t len = strlen(v);
	if (len > 4 && !strcmp(v + len - 4, ".sql"))
		v[len - 4] = '\0';
	return v[0] ? v : "(none)";
}

/* The source's schema version against this binary's (that of a fresh
 * in-memory database migrated with the same files). */
static enum jm_rc check_versions(struct migration *m, struct jm_err *err)
{
	char mine[128];
	enum jm_rc rc = db_open("sqlite::memory:", &m->fresh, err);
	if (rc == JM_OK)
		rc = db_migrate(m->fresh, m->o->migrations_dir, err);
	if (rc == JM_OK)
		rc = db_schema_version(m->fresh, mine, sizeof(mine));
	if (rc)
		return rc;
	if (db_schema_version(m->src, m->version, sizeof(m->version)) != JM_OK) {
		jm_err_set(err, "from", "%s is not a jinmyaku database (%s)", m->o->from,
		           db_errmsg(m->src));
		return JM_INVALID;
	}
	int cmp = strcmp(version_text(m->version), version_text(mine));
	if (cmp < 0)
		jm_err_set(err, "from",
		           "the source is at schema %s, this binary at %s: start this version "
		           "once on the SQLite database (it migrates it), then run migrate again",
		           version_text(m->version), mine);
	else if (cmp > 0)
		jm_err_set(err, "from",
		           "the source is at schema %s, newer than this binary's %s: migrate with "
		           "the version that wrote it",
		           m->version, mine);
	return cmp ? JM_INVALID : JM_OK;
}

/* The target's schema must read the same as the source's. */
static enum jm_rc check_target_version(struct migration *m, struct jm_err *err)
{
	char v[128];
	enum jm_rc rc = db_schema_version(m->dst, v, sizeof(v));
	if (rc == JM_OK && strcmp(version_text(v), version_text(m->version)) != 0) {
		jm_err_set(err, "to", "the target is at schema %s, the source at %s",
		           version_text(v), version_text(m->version));
		rc = JM_INVALID;
	} else if (rc) {
		jm_err_set(err, "to", "the target has no schema: %s", db_errmsg(m->dst));
	}
	return rc;
}

/* Refuses a target where any table holds more rows than migrations seed. */
static enum jm_rc check_empty(struct migration *m, struct jm_err *err)
{
	m->seeded = arena_calloc(m->ar, sizeof(int64_t) * (m->n + 1));
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < m->n && rc == JM_OK; i++) {
		const struct db_table *t = &m->tables[i];
		int64_t fresh = 0;
		rc = db_table_count(m->dst, t, &m->seeded[i], err);
		if (rc == JM_OK)
			rc = db_table_count(m->fresh, t, &fresh, err);
		if (rc == JM_OK && m->seeded[i] > fresh) {
			jm_err_set(err, "to", "target is not empty: %s has %lld rows", t->name,
			           (long long)m->seeded[i]);
			rc = JM_CONFLICT;
		}
	}
	return rc;
}

/* A line per 100,000 rows of a large table. */
static void progress(const char *table, int64_t rows, void *user)
{
	struct migration *m = user;
	if (rows - m->shown < 100000)
		return;
	m->shown = rows;
	fprintf(m->o->out, "  %s: %lld rows\n", table, (long long)rows);
	fflush(m->o->out);
}

/* Turns the triggers of every table off or back on (step 3). */
static enum jm_rc triggers(struct migration *m, bool on, struct jm_err *err)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < m->n && rc == JM_OK; i++)
		rc = db_table_triggers(m->dst, &m->tables[i], on, err);
	return rc;
}

/* Step 3: everything inside the caller's transaction on the target. */
static enum jm_rc copy_all(struct migration *m, struct jm_err *err)
{
	enum jm_rc rc = triggers(m, false, err);
	for (size_t i = m->n; i-- > 0 && rc == JM_OK;)
		if (m->seeded[i])
			rc = db_table_clear(m->dst, &m->tables[i], err);
	for (size_t i = 0; i < m->n && rc == JM_OK; i++) {
		const struct db_table *t = &m->tables[i];
		int64_t rows = 0;
		m->shown = 0;
		rc = db_table_copy(m->src, m->dst, t, &rows, progress, m, err);
		if (rc == JM_OK)
			rc = db_table_reset_ids(m->dst, t, err);
		if (rc == JM_OK)
			fprintf(m->o->out, "copied %-28s %10lld rows\n", t->name, (long long)rows);
	}
	return rc == JM_OK ? triggers(m, true, err) : rc;
}

/* One line of the table; appends the table to bad (for err) on a mismatch. */
static enum jm_rc verify_one(struct migration *m, const struct db_table *t, struct buf *bad,
                             struct jm_err *err)
{
	int64_t rs = 0, rd = 0;
	char hs[65], hd[65];
	enum jm_rc rc = db_table_checksum(m->src, t, &rs, hs, err);
	if (rc == JM_OK)
		rc = db_table_checksum(m->dst, t, &rd, hd, err);
	if (rc)
		return rc;
	bool ok = rs == rd && !strcmp(hs, hd);
	char rows[48];
	if (rs == rd)
		snprintf(rows, sizeof(rows), "%lld", (long long)rs);
	else
		snprintf(rows, sizeof(rows), "%lld/%lld", (long long)rs, (long long)rd);
	fprintf(m->o->out, "%-28s %12s  %.16s  %s\n", t->name, rows, hs, ok ? "ok" : "MISMATCH");
	if (!ok && buf_appendf(bad, "%s%s (%s)", bad->len ? ", " : "", t->name,
	                       rs != rd ? "rows" : "checksum"))
		abort();
	return JM_OK;
}

static enum jm_rc verify_all(struct migration *m, struct jm_err *err)
{
	struct buf bad = BUF_INIT;
	enum jm_rc rc = JM_OK;
	fprintf(m->o->out, "%-28s %12s  %-16s  %s\n", "table", "rows", "checksum", "ok");
	for (size_t i = 0; i < m->n && rc == JM_OK; i++)
		rc = verify_one(m, &m->tables[i], &bad, err);
	if (rc == JM_OK && bad.len) {
		jm_err_set(err, "to", "verify failed: %s differ between source and target",
		           buf_cstr(&bad));
		rc = JM_INVALID;
	}
	buf_free(&bad);
	return rc;
}

static enum jm_rc copy_and_index(struct migration *m, struct jm_err *err)
{
	enum jm_rc rc = db_migrate(m->dst, m->o->migrations_dir, err);
	if (rc == JM_OK)
		rc = check_target_version(m, err);
	if (rc == JM_OK)
		rc = check_empty(m, err);
	if (rc == JM_OK)
		rc = db_begin(m->dst);
	if (rc == JM_OK) {
		rc = copy_all(m, err);
		rc = db_end(m->dst, rc);
		if (rc && !err->msg[0])
			jm_err_set(err, "to", "the copy failed: %s", db_errmsg(m->dst));
	}
	if (rc == JM_OK)
		rc = verify_all(m, err);
	if (rc == JM_OK && (net_search_rebuild(m->dst, jm_now()) != JM_OK ||
	                    site_search_rebuild(m->dst, false, NULL) != JM_OK)) {
		jm_err_set(err, "to",
		           "copied and verified, but building the search index failed (%s): "
		           "run `jinmyaku reindex --db URL`",
		           db_errmsg(m->dst));
		rc = JM_DB;
	}
	return rc;
}

enum jm_rc cli_migrate(const struct cli_migrate_opts *o, struct jm_err *err)
{
	struct migration m = {.o = o, .ar = arena_new(16384)};
	enum jm_rc rc = open_source(&m, err);
	if (rc == JM_OK)
		rc = check_versions(&m, err);
	if (rc == JM_OK)
		rc = db_tables_list(m.src, m.ar, &m.tables, &m.n, err);
	if (rc == JM_OK)
		rc = db_open(o->to, &m.dst, err);
	if (rc == JM_OK && o->verify_only)
		rc = check_target_version(&m, err);
	if (rc == JM_OK)
		rc = o->verify_only ? verify_all(&m, err) : copy_and_index(&m, err);
	if (m.reading)
		db_rollback(m.src); /* ends the read snapshot; nothing was written */
	db_close(m.src);
	db_close(m.dst);
	db_close(m.fresh);
	arena_free(m.ar);
	return rc;
}
