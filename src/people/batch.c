/*
 * batch.c — people writes for million-row imports (newsletter/csv.c): one
 * statement per batch over the caller's staging table, never one per row.
 *
 * The staging table's name is a constant of the caller's code (never
 * input); it has columns line, email (normalised), name, furigana, company,
 * title and pid. New people
 * get stage_at and a stage_changes row like every other creation path;
 * both are written by walking the id range just inserted, in order.
 */
#include "people/people.h"

#include "db/db.h"

#define SQL_MAX 1024

/* Gives every staged row its person id: new people by walking the id
 * range just written (no probe of the email index), existing ones through
 * the email index. */
static enum jm_rc resolve(struct db *db, const char *t, int64_t first, bool existing)
{
	char sql[SQL_MAX];
	snprintf(sql, sizeof(sql),
	         "UPDATE %s SET pid = p.id FROM people p WHERE p.id > ? AND p.email = %s.email", t,
	         t);
	enum jm_rc rc = db_execf(db, sql, "i", first);
	if (rc || !existing)
		return rc;
	snprintf(sql, sizeof(sql),
	         "UPDATE %s SET pid = (SELECT id FROM people p WHERE p.email = %s.email) "
	         "WHERE pid IS NULL",
	         t, t);
	return db_exec(db, sql);
}

/* Person columns a staging table may fill (bit k of people_batch_ensure's
 * cols is pcols[k]); fixed names, never input. */
static const char *const pcols[] = {"name", "furigana", "company", "title"};

/* A known person whose column col is empty takes the first value the file
 * has for it; an existing value is never overwritten. */
static enum jm_rc fill_empty(struct db *db, const char *t, const char *col, int64_t now)
{
	char sql[SQL_MAX];
	snprintf(sql, sizeof(sql),
	         "UPDATE people SET updated_at = ?, %s = (SELECT i.%s FROM %s i "
	         "WHERE i.email = people.email AND i.%s != '' ORDER BY i.line LIMIT 1) "
	         "WHERE %s = '' AND email IN (SELECT email FROM %s WHERE %s != '')",
	         col, col, t, col, col, t, col);
	return db_execf(db, sql, "i", now);
}

enum jm_rc people_batch_ensure(struct db *db, const char *t, const char *source, int64_t now,
                               unsigned cols, int64_t *created)
{
	char sql[SQL_MAX];
	int64_t first = 0, staged = 0;
	/* New people are found as the ids above the largest one before the
	 * INSERT: SQLite's write lock already keeps other writers out; on
	 * PostgreSQL a lock on people does (until the batch commits). */
	enum jm_rc rc = db_engine(db) == DB_PG
	                        ? db_exec(db, "LOCK TABLE people IN SHARE ROW EXCLUSIVE MODE")
	                        : JM_OK;
	if (!rc)
		rc = db_query_int(db, &first, 0, "SELECT max(id) FROM people", "");
	snprintf(sql, sizeof(sql),
	         "INSERT INTO people(email, name, furigana, company, title, source, stage_at, "
	         "created_at, updated_at) SELECT email, name, furigana, company, title, ?, ?, ?, "
	         "? FROM %s WHERE true ORDER BY email, line "
	         "ON CONFLICT(email) DO NOTHING",
	         t);
	if (!rc)
		rc = db_execf(db, sql, "tiii", source, now, now, now);
	if (rc)
		return rc;
	*created = db_changes(db);
	rc = db_execf(db,
	              "INSERT INTO stage_changes(person_id, from_stage, to_stage, reason, "
	              "created_at) SELECT id, '', 'reader', ?, ? FROM people WHERE id > ?",
	              "tii", source, now, first);
	struct db_stmt *st = NULL;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t);
	if (!rc)
		rc = db_prepare(db, sql, &st);
	if (!rc && (rc = db_step(st)) == JM_OK)
		staged = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_DB : rc;
	rc = resolve(db, t, first, *created < staged);
	/* A known person missing a name (furigana, company, title) takes the
	 * first one the file has: the name always, the others when filled. */
	for (size_t k = 0; k < 4 && !rc && *created < staged; k++)
		if (k == 0 || (cols & (1u << k)))
			rc = fill_empty(db, t, pcols[k], now);
	return rc;
}

enum jm_rc people_batch_tag(struct db *db, const char *t, const char *tag)
{
	char sql[SQL_MAX];
	snprintf(sql, sizeof(sql),
	         "INSERT INTO person_tags(person_id, tag) SELECT DISTINCT pid, ? FROM %s "
	         "WHERE true ON CONFLICT DO NOTHING",
	         t);
	return db_execf(db, sql, "t", tag);
}

/* Custom field k of the batch is staging column f<k> (NULL: the line has
 * none). A person on several lines keeps the last line's value. SQLite
 * lets one upsert touch a row twice (the last wins); PostgreSQL refuses,
 * so there the last line's value is picked first with DISTINCT ON. */
#define FIELDS_SQL(DISTINCT, ORDER)                                                                \
	"INSERT INTO person_fields(person_id, key, value) SELECT " DISTINCT                        \
	" pid, CAST(? AS TEXT), "                                                                  \
	"f%zu FROM %s WHERE f%zu IS NOT NULL ORDER BY pid, " ORDER                                 \
	" ON CONFLICT(person_id, key) DO UPDATE SET value = excluded.value"

enum jm_rc people_batch_fields(struct db *db, const char *t, const char *const *keys, size_t n)
{
	char sql[SQL_MAX];
	enum jm_rc rc = JM_OK;
	/* One statement per field, in column order: a later column with the
	 * same key wins, as a later line does. */
	for (size_t k = 1; k <= n && !rc; k++) {
		if (db_engine(db) == DB_PG)
			snprintf(sql, sizeof(sql), FIELDS_SQL("DISTINCT ON (pid)", "line DESC"), k,
			         t, k);
		else
			snprintf(sql, sizeof(sql), FIELDS_SQL("", "line"), k, t, k);
		rc = db_execf(db, sql, "t", keys[k - 1]);
	}
	if (rc)
		return rc;
	/* People indexed before this batch have new values now; tags are
	 * marked by their trigger. */
	snprintf(sql, sizeof(sql),
	         "INSERT INTO search_dirty(person_id) SELECT DISTINCT pid FROM %s WHERE pid <= "
	         "(SELECT indexed_to FROM search_state WHERE id = 1) AND NOT EXISTS (SELECT 1 "
	         "FROM search_dirty d WHERE d.person_id = pid)",
	         t);
	return db_exec(db, sql);
}

enum jm_rc people_batch_event(struct db *db, const char *select_ids, int64_t arg, const char *kind,
                              const char *detail, int64_t now)
{
	char sql[SQL_MAX];
	snprintf(sql, sizeof(sql),
	         "INSERT INTO person_events(person_id, kind, detail, created_at) "
	         "SELECT s.*, ?, ?, ? FROM (%s) AS s",
	         select_ids);
	return db_execf(db, sql, "ttii", kind, detail ? detail : "", now, arg);
}
