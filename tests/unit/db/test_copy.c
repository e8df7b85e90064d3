/* Unit tests for src/db/copy.c on two in-memory SQLite databases: which
 * tables a copy takes and in what order, a batched copy that keeps every
 * value, and a checksum that tells NULL from '', sees a changed value and
 * does not depend on the order rows were inserted in. With JM_TEST_PG_URL,
 * also SQLite → PostgreSQL in a schema of its own: an ALWAYS identity
 * taking the copied ids, triggers off during the copy and on after it,
 * the sequence moved past the copied ids, and a checksum read through
 * several cursor fetches that matches SQLite's byte order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/copy.h"

/* Tables named so that name order is not foreign-key order; an FTS5 table
 * (its shadow tables must be left out) and a table without a key. */
static const char *const schema =
        "CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER);"
        "CREATE TABLE a_child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
        "  REFERENCES z_parent(id), note TEXT);"
        "CREATE TABLE m_grandchild (child_id INTEGER REFERENCES a_child(id), k TEXT, v TEXT,"
        "  PRIMARY KEY (k, child_id));"
        "CREATE TABLE z_parent (id INTEGER PRIMARY KEY, name TEXT, up INTEGER REFERENCES "
        "  z_parent(id));"
        "CREATE TABLE loose (a INTEGER, b TEXT);"
        "CREATE VIRTUAL TABLE docs USING fts5(body);";

static struct db *open_mem(bool with_schema)
{
	struct db *db = NULL;
	struct jm_err err = {0};
	assert_int_equal(db_open("sqlite::memory:", &db, &err), JM_OK);
	if (with_schema)
		assert_int_equal(db_exec(db, schema), JM_OK);
	return db;
}

static const struct db_table *find(const struct db_table *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	fail_msg("no table %s", name);
	return NULL;
}

static size_t pos(const struct db_table *v, size_t n, const char *name)
{
	return (size_t)(find(v, n, name) - v);
}

static void test_list(void **state)
{
	(void)state;
	struct db *db = open_mem(true);
	struct arena *a = arena_new(4096);
	struct db_table *v = NULL;
	size_t n = 0;
	struct jm_err err = {0};
	assert_int_equal(db_tables_list(db, a, &v, &n, &err), JM_OK);
	assert_int_equal(n, 4); /* no docs*, no schema_migrations */
	assert_true(pos(v, n, "z_parent") < pos(v, n, "a_child"));
	assert_true(pos(v, n, "a_child") < pos(v, n, "m_grandchild"));
	const struct db_table *g = find(v, n, "m_grandchild");
	assert_int_equal(g->ncols, 3);
	assert_int_equal(g->nkey, 2); /* the key's order, not the columns' */
	assert_string_equal(g->cols[g->key[0]], "k");
	assert_string_equal(g->cols[g->key[1]], "child_id");
	assert_true(g->text[1] && !g->text[0]);
	const struct db_table *l = find(v, n, "loose");
	assert_int_equal(l->nkey, 2); /* no key: every column */
	arena_free(a);
	db_close(db);
}

static void test_cycle(void **state)
{
	(void)state;
	struct db *db = open_mem(false);
	assert_int_equal(db_exec(db, "CREATE TABLE p (id INTEGER PRIMARY KEY, q_id INTEGER "
	                             "REFERENCES q(id));"
	                             "CREATE TABLE q (id INTEGER PRIMARY KEY, p_id INTEGER "
	                             "REFERENCES p(id));"),
	                 JM_OK);
	struct arena *a = arena_new(4096);
	struct db_table *v = NULL;
	size_t n = 0;
	struct jm_err err = {0};
	assert_int_equal(db_tables_list(db, a, &v, &n, &err), JM_INVALID);
	assert_non_null(strstr(err.msg, "cycle"));
	arena_free(a);
	db_close(db);
}

/* 3000 parents (several batches), children, keyless duplicates, NULLs,
 * empty strings, UTF-8 and quotes. */
static void fill(struct db *db)
{
	assert_int_equal(db_exec(db, "BEGIN"), JM_OK);
	for (int i = 1; i <= 3000; i++)
		assert_int_equal(db_execf(db, "INSERT INTO z_parent(id, name, up) VALUES (?, ?, ?)",
		                          i > 1 ? "iti" : "itn", (int64_t)i,
		                          i % 7 ? (i % 5 ? "人脈 'x' \"y\"" : "") : NULL,
		                          (int64_t)(i - 1)),
		                 JM_OK);
	assert_int_equal(db_exec(db,
	                         "INSERT INTO a_child VALUES (1, 3000, NULL), (2, 1, '');"
	                         "INSERT INTO m_grandchild VALUES (1, 'b', 'x'), (2, 'a', NULL),"
	                         "  (1, 'a', 'y');"
	                         "INSERT INTO loose VALUES (1, 'x'), (1, 'x'), (NULL, NULL);"
	                         "INSERT INTO docs VALUES ('not copied');"
	                         "COMMIT"),
	                 JM_OK);
}

static void sums(struct db *db, const struct db_table *t, int64_t *rows, char out[65])
{
	struct jm_err err = {0};
	assert_int_equal(db_table_checksum(db, t, rows, out, &err), JM_OK);
}

static void test_copy_and_checksum(void **state)
{
	(void)state;
	struct db *src = open_mem(true), *dst = open_mem(true);
	fill(src);
	struct arena *a = arena_new(4096);
	struct db_table *v = NULL;
	size_t n = 0;
	struct jm_err err = {0};
	assert_int_equal(db_tables_list(src, a, &v, &n, &err), JM_OK);
	assert_int_equal(db_exec(dst, "BEGIN"), JM_OK);
	for (size_t i = 0; i < n; i++) {
		int64_t rows = 0, count = 0;
		assert_int_equal(db_table_triggers(dst, &v[i], false, &err), JM_OK);
		assert_int_equal(db_table_copy(src, dst, &v[i], &rows, NULL, NULL, &err), JM_OK);
		assert_int_equal(db_table_reset_ids(dst, &v[i], &err), JM_OK);
		assert_int_equal(db_table_count(dst, &v[i], &count, &err), JM_OK);
		assert_int_equal(rows, count);
	}
	assert_int_equal(db_exec(dst, "COMMIT"), JM_OK);
	for (size_t i = 0; i < n; i++) {
		int64_t rs = 0, rd = 0;
		char hs[65], hd[65];
		sums(src, &v[i], &rs, hs);
		sums(dst, &v[i], &rd, hd);
		assert_int_equal(rs, rd);
		assert_string_equal(hs, hd);
	}
	const struct db_table *p = find(v, n, "z_parent");
	int64_t r0 = 0, r1 = 0;
	char h0[65], h1[65];
	sums(dst, p, &r0, h0);
	/* NULL and '' are different values. */
	assert_int_equal(db_exec(dst, "UPDATE z_parent SET name = NULL WHERE id = 5"), JM_OK);
	sums(dst, p, &r1, h1);
	assert_int_equal(r0, r1);
	assert_string_not_equal(h0, h1);
	/* So is a value split differently across columns. */
	assert_int_equal(db_exec(dst, "UPDATE z_parent SET name = '' WHERE id = 5;"
	                              "UPDATE z_parent SET name = 'a' WHERE id = 2999"),
	                 JM_OK);
	sums(dst, p, &r1, h1);
	assert_string_not_equal(h0, h1);
	arena_free(a);
	db_close(src);
	db_close(dst);
}

/* The same rows inserted in another order read the same; an empty table
 * has a digest too. */
static void test_checksum_order(void **state)
{
	(void)state;
	struct db *x = open_mem(true), *y = open_mem(true);
	assert_int_equal(db_exec(x, "INSERT INTO loose VALUES (2, 'b'), (1, 'a'), (1, 'a')"),
	                 JM_OK);
	assert_int_equal(db_exec(y, "INSERT INTO loose VALUES (1, 'a'), (2, 'b'), (1, 'a')"),
	                 JM_OK);
	struct arena *a = arena_new(4096);
	struct db_table *v = NULL;
	size_t n = 0;
	struct jm_err err = {0};
	assert_int_equal(db_tables_list(x, a, &v, &n, &err), JM_OK);
	int64_t rx = 0, ry = 0;
	char hx[65], hy[65];
	sums(x, find(v, n, "loose"), &rx, hx);
	sums(y, find(v, n, "loose"), &ry, hy);
	assert_int_equal(rx, 3);
	assert_string_equal(hx, hy);
	sums(x, find(v, n, "a_child"), &rx, hx);
	assert_int_equal(rx, 0);
	assert_int_equal(strlen(hx), 64);
	arena_free(a);
	db_close(x);
	db_close(y);
}

/* A copy into a table that lacks a column fails and names the table. */
static void test_copy_error(void **state)
{
	(void)state;
	struct db *src = open_mem(true), *dst = open_mem(false);
	assert_int_equal(db_exec(src, "INSERT INTO loose VALUES (1, 'a')"), JM_OK);
	assert_int_equal(db_exec(dst, "CREATE TABLE loose (a INTEGER)"), JM_OK);
	struct arena *a = arena_new(4096);
	struct db_table *v = NULL;
	size_t n = 0;
	int64_t rows = 0;
	struct jm_err err = {0};
	assert_int_equal(db_tables_list(src, a, &v, &n, &err), JM_OK);
	assert_int_not_equal(db_table_copy(src, dst, find(v, n, "loose"), &rows, NULL, NULL, &err),
	                     JM_OK);
	assert_non_null(strstr(err.msg, "loose"));
	arena_free(a);
	db_close(src);
	db_close(dst);
}

/* ---- SQLite → PostgreSQL ---- */

static char pg_url[1024], pg_schema[64];

static struct db *open_pg(void)
{
	const char *base = getenv("JM_TEST_PG_URL");
	struct db *db = NULL;
	struct jm_err err = {0};
	if (!base || !*base)
		return NULL;
	snprintf(pg_schema, sizeof(pg_schema), "copy_%ld", (long)getpid());
	snprintf(pg_url, sizeof(pg_url), "%s%soptions=-csearch_path%%3D%s", base,
	         strchr(base, '?') ? "&" : "?", pg_schema);
	assert_int_equal(db_open(base, &db, &err), JM_OK);
	char sql[256];
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", pg_schema,
	         pg_schema);
	assert_int_equal(db_exec(db, sql), JM_OK);
	db_close(db);
	assert_int_equal(db_open(pg_url, &db, &err), JM_OK);
	return db;
}

static void close_pg(struct db *db)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", pg_schema);
	assert_int_equal(db_exec(db, sql), JM_OK);
	db_close(db);
}

static const char *const pg_schema_sql =
        "CREATE TABLE words (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, w TEXT);"
        "CREATE TABLE hits (n BIGINT);"
        "CREATE FUNCTION hit() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO hits VALUES (1); RETURN NULL; END $$;"
        "CREATE TRIGGER words_hit AFTER INSERT ON words FOR EACH ROW EXECUTE FUNCTION hit();";

static void test_to_postgres(void **state)
{
	(void)state;
	struct db *pg = open_pg();
	if (!pg)
		skip();
	struct db *src = open_mem(false);
	assert_int_equal(db_exec(pg, pg_schema_sql), JM_OK);
	assert_int_equal(db_exec(src, "CREATE TABLE words (id INTEGER PRIMARY KEY, w TEXT)"),
	                 JM_OK);
	static const char *const w[] = {"a", "B", "\xc3\xa4", "z", "Z", "\xe4\xba\xba", NULL};
	assert_int_equal(db_exec(src, "BEGIN"), JM_OK);
	for (int i = 1; i <= 12001; i++)
		assert_int_equal(db_execf(src, "INSERT INTO words(id, w) VALUES (?, ?)", "it",
		                          (int64_t)i * 2, w[i % 7]),
		                 JM_OK);
	assert_int_equal(db_exec(src, "COMMIT"), JM_OK);
	struct arena *a = arena_new(4096);
	struct db_table *v = NULL;
	size_t n = 0;
	int64_t rows = 0, id = 0, hits = -1;
	struct jm_err err = {0};
	assert_int_equal(db_tables_list(src, a, &v, &n, &err), JM_OK);
	assert_int_equal(n, 1);
	assert_int_equal(db_exec(pg, "BEGIN"), JM_OK);
	assert_int_equal(db_table_triggers(pg, v, false, &err), JM_OK);
	assert_int_equal(db_table_copy(src, pg, v, &rows, NULL, NULL, &err), JM_OK);
	assert_int_equal(db_table_triggers(pg, v, true, &err), JM_OK);
	assert_int_equal(db_table_reset_ids(pg, v, &err), JM_OK);
	assert_int_equal(db_exec(pg, "COMMIT"), JM_OK);
	assert_int_equal(rows, 12001);
	assert_int_equal(db_query_int(pg, &hits, -1, "SELECT count(*) FROM hits", ""), JM_OK);
	assert_int_equal(hits, 0); /* the trigger was off */
	int64_t rs = 0, rd = 0;
	char hs[65], hd[65];
	sums(src, v, &rs, hs);
	sums(pg, v, &rd, hd);
	assert_int_equal(rs, rd);
	assert_string_equal(hs, hd);
	assert_int_equal(
	        db_query_int(pg, &id, 0, "INSERT INTO words(w) VALUES ('new') RETURNING id", ""),
	        JM_OK);
	assert_int_equal(id, 24003); /* after the copied 24002 */
	assert_int_equal(db_query_int(pg, &hits, -1, "SELECT count(*) FROM hits", ""), JM_OK);
	assert_int_equal(hits, 1); /* and on again */
	arena_free(a);
	db_close(src);
	close_pg(pg);
}

int main(void)
{
	assert_int_equal(jm_crypto_init(), JM_OK);
	log_min_level = (enum log_level)(LOG_ERROR + 1);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_list),
	        cmocka_unit_test(test_cycle),
	        cmocka_unit_test(test_copy_and_checksum),
	        cmocka_unit_test(test_checksum_order),
	        cmocka_unit_test(test_copy_error),
	        cmocka_unit_test(test_to_postgres),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
