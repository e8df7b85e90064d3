/* Unit tests for src/people/: people_ensure (normalised email, stage_at and
 * a stage-history row on creation, a name only when asked to fill one),
 * search marking that never conflicts (a mark inside an upsert on a person
 * marked already), and a batch import giving every new person its history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "people/people.h"
#include "../site/site_testdb.h"

#define NOW 1700000000

static int64_t ensure(struct db *db, const char *email, const char *name, bool fill, bool *created)
{
	struct people_new in = {.email = email, .name = name, .source = "test", .fill_name = fill};
	struct jm_err err = {0};
	int64_t id = 0;
	if (people_ensure(db, &in, NOW, &id, created, &err) != JM_OK)
		fail_msg("ensure: %s %s", err.field, err.msg);
	return id;
}

static void test_ensure(void **state)
{
	struct db *db = *state;
	bool created = false;
	int64_t id = ensure(db, "  Mixed.Case@Example.COM ", "", false, &created);
	assert_true(created);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM people WHERE email = "
	                       "'mixed.case@example.com' AND stage_at = 1700000000 AND id = ?",
	                       id),
	                 1);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM stage_changes WHERE person_id = ? AND "
	                       "from_stage = '' AND to_stage = 'reader' AND reason = 'test'",
	                       id),
	                 1);
	/* Found again by any spelling; an unconfirmed name does not stick. */
	assert_int_equal(ensure(db, "MIXED.case@example.com", "誰か", false, &created), id);
	assert_false(created);
	assert_int_equal(q_int(db, "SELECT name = '' FROM people WHERE id = ?", id), 1);
	assert_int_equal(ensure(db, "mixed.case@example.com", "本人", true, &created), id);
	assert_int_equal(q_int(db, "SELECT name = '本人' FROM people WHERE id = ?", id), 1);
	assert_int_equal(ensure(db, "mixed.case@example.com", "別人", true, &created), id);
	assert_int_equal(q_int(db, "SELECT name = '本人' FROM people WHERE id = ?", id), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM stage_changes WHERE person_id = ?", id),
	                 1);

	struct people_new bad = {.email = "not an address"};
	struct jm_err err = {0};
	int64_t none = 0;
	assert_int_equal(people_ensure(db, &bad, NOW, &none, NULL, &err), JM_INVALID);
	assert_string_equal(err.field, "email");
}

static void test_marking_never_conflicts(void **state)
{
	struct db *db = *state;
	int64_t id = ensure(db, "marked@example.com", "印", false, NULL);
	const char *k[] = {"company"}, *v1[] = {"旧"}, *v2[] = {"新"};
	assert_int_equal(people_fields_set(db, id, k, v1, 1), JM_OK);
	exec_ok(db, "UPDATE search_state SET indexed_to = (SELECT max(id) FROM people)");
	/* A tag marks them; the field's upsert (DO UPDATE) meets the mark. */
	assert_int_equal(people_tag_add(db, id, "印付き", NULL), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM search_dirty WHERE person_id = ?", id), 1);
	assert_int_equal(people_fields_set(db, id, k, v2, 1), JM_OK);
	assert_int_equal(people_search_mark(db, id), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM search_dirty WHERE person_id = ?", id), 1);
	assert_int_equal(people_search_clean(db, id), JM_OK);
	assert_int_equal(q_int(db, "SELECT count(*) FROM search_dirty", 0), 0);
}

static void test_batch_ensure(void **state)
{
	struct db *db = *state;
	int64_t old = ensure(db, "old@example.com", "", false, NULL);
	exec_ok(db, "CREATE TEMP TABLE stage(line INTEGER PRIMARY KEY, email TEXT, name TEXT, "
	            "furigana TEXT DEFAULT '', company TEXT DEFAULT '', title TEXT DEFAULT '', "
	            "pid INTEGER)");
	exec_ok(db, "INSERT INTO temp.stage(line, email, name, company) VALUES (1, "
	            "'new1@example.com', '一', '新社'), (2, 'old@example.com', '古', '古社'), "
	            "(3, 'new2@example.com', '', '')");
	int64_t created = 0;
	assert_int_equal(
	        people_batch_ensure(db, "temp.stage", "import", NOW, PEOPLE_COL_COMPANY, &created),
	        JM_OK);
	/* a new person takes the staged company; a known one with none too */
	assert_int_equal(q_int(db, "SELECT count(*) FROM people WHERE company = '新社'", 0), 1);
	assert_int_equal(q_int(db, "SELECT company = '古社' FROM people WHERE id = ?", old), 1);
	assert_int_equal(created, 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM temp.stage WHERE pid IS NULL", 0), 0);
	assert_int_equal(q_int(db, "SELECT pid FROM temp.stage WHERE line = 2", 0), old);
	assert_int_equal(q_int(db, "SELECT name = '古' FROM people WHERE id = ?", old), 1);
	assert_int_equal(q_int(db,
	                       "SELECT count(*) FROM people p WHERE p.email LIKE 'new%' AND "
	                       "p.stage_at = 1700000000 AND EXISTS (SELECT 1 FROM "
	                       "stage_changes c WHERE c.person_id = p.id AND c.reason = "
	                       "'import')",
	                       0),
	                 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_ensure, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_marking_never_conflicts, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_batch_ensure, site_testdb_setup,
	                                        site_testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
