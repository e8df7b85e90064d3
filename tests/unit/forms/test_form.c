/* Unit tests for src/forms/form.c on a throw-away SQLite database: a form
 * of each kind created, read back by id and slug, updated, listed and
 * deleted; each definition rule refused with the field it names and
 * nothing stored; the slug derived from the title; the kind of a form
 * with answers kept; forms_open_at's window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/core.h"
#include "db/db.h"
#include "forms/forms.h"
#include "../site/site_testdb.h"

static const char *const OPTS[] = {"はい", "いいえ"};

static struct forms_field FIELDS[] = {
        {.key = "name", .label = "お名前", .type = "text", .required = true},
        {.key = "ties",
         .label = "つながり",
         .type = "select",
         .options = (const char **)OPTS,
         .noptions = 2},
};

static struct forms_form ask(const char *slug)
{
	struct forms_form f = {.kind = FORMS_ASK,
	                       .slug = slug,
	                       .title = "出版社とのつながり",
	                       .max_answers_per_person = 1,
	                       .fields = FIELDS,
	                       .nfields = 2};
	f.event.waitlist = true;
	return f;
}

static void test_create_get_update_delete(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	struct jm_err err = {0};
	int64_t id = 0;
	struct forms_form in = ask("ties"), *f = NULL;
	assert_int_equal(forms_create(db, &in, 1000, &id, &err), JM_OK);
	assert_int_equal(forms_get(db, a, id, &f), JM_OK);
	assert_string_equal(f->title, "出版社とのつながり");
	assert_string_equal(f->status, "open");
	assert_int_equal(f->nfields, 2);
	assert_string_equal(f->fields[1].options[1], "いいえ");
	assert_true(f->fields[0].required);
	assert_int_equal(f->created_at, 1000);
	assert_int_equal(forms_get_slug(db, a, "ties", &f), JM_OK);
	assert_int_equal(f->id, id);
	f->title = "改題";
	f->nfields = 1;
	assert_int_equal(forms_update(db, id, f, 2000, &err), JM_OK);
	assert_int_equal(forms_get(db, a, id, &f), JM_OK);
	assert_string_equal(f->title, "改題");
	assert_int_equal(f->nfields, 1);
	assert_int_equal(f->updated_at, 2000);
	assert_int_equal(forms_update(db, id + 99, f, 2000, &err), JM_NOT_FOUND);
	assert_int_equal(forms_delete(db, id), JM_OK);
	assert_int_equal(forms_delete(db, id), JM_NOT_FOUND);
	assert_int_equal(forms_get(db, a, id, &f), JM_NOT_FOUND);
	assert_int_equal(q_int(db, "SELECT count(*) FROM form_fields WHERE form_id = ?", id), 0);
	arena_free(a);
}

/* One broken rule each: the field err names; nothing is stored. */
static void test_rules(void **state)
{
	struct db *db = *state;
	struct forms_field dup[] = {FIELDS[0], FIELDS[0]};
	struct {
		const char *field;
		struct forms_form f;
	} cases[] = {
	        {"title", ask("r1")},
	        {"slug", ask("a b")},
	        {"status", ask("r3")},
	        {"closes_at", ask("r4")},
	        {"max_answers_per_person", ask("r5")},
	        {"fields", ask("r6")},
	        {"starts_at", ask("r7")},
	        {"ends_at", ask("r8")},
	        {"capacity", ask("r9")},
	        {"duties", ask("r10")},
	        {"wage", ask("r11")},
	        {"list_id", ask("r12")},
	        {"online_url", ask("r13")},
	};
	cases[0].f.title = "";
	cases[2].f.status = "draft";
	cases[3].f.opens_at = 2000, cases[3].f.closes_at = 1000;
	cases[4].f.max_answers_per_person = -1;
	cases[5].f.fields = dup;
	cases[6].f.kind = FORMS_EVENT;
	cases[7].f.kind = FORMS_EVENT, cases[7].f.event.starts_at = 2000;
	cases[7].f.event.ends_at = 1000;
	cases[8].f.kind = FORMS_EVENT, cases[8].f.event.starts_at = 2000;
	cases[8].f.event.capacity = -1;
	cases[9].f.kind = FORMS_JOB;
	cases[10].f.job.wage = "月給"; /* on an ask */
	cases[11].f.list_id = 424242;
	cases[12].f.kind = FORMS_EVENT, cases[12].f.event.starts_at = 2000;
	cases[12].f.event.online_url = "javascript:alert(1)";
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jm_err err = {0};
		int64_t id = 0;
		assert_int_equal(forms_create(db, &cases[i].f, 1000, &id, &err), JM_INVALID);
		assert_string_equal(err.field, cases[i].field);
		assert_true(err.msg[0] != '\0');
	}
	assert_int_equal(q_int(db, "SELECT count(*) FROM forms", 0), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM form_fields", 0), 0);
}

static void test_slug_derived_and_taken(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	struct jm_err err = {0};
	int64_t id1 = 0, id2 = 0, id3 = 0;
	struct forms_form in = ask(NULL), *f = NULL;
	in.title = "読者 交流会";
	assert_int_equal(forms_create(db, &in, 1000, &id1, &err), JM_OK);
	assert_int_equal(forms_create(db, &in, 1000, &id2, &err), JM_OK);
	assert_int_equal(forms_get(db, a, id2, &f), JM_OK);
	assert_string_equal(f->slug, "読者-交流会-2");
	in.slug = "読者-交流会";
	assert_int_equal(forms_create(db, &in, 1000, &id3, &err), JM_CONFLICT);
	assert_string_equal(err.field, "slug");
	arena_free(a);
}

static void test_job_and_event(void **state)
{
	struct db *db = *state;
	struct arena *a = arena_new(4096);
	struct jm_err err = {0};
	int64_t id = 0;
	struct forms_form in = ask("job"), *f = NULL;
	in.kind = FORMS_JOB;
	in.job =
	        (struct forms_job){"編集", "無期", "東京", "10-18", "土日", "月給", "完備", "禁煙"};
	assert_int_equal(forms_create(db, &in, 1000, &id, &err), JM_OK);
	assert_int_equal(forms_get(db, a, id, &f), JM_OK);
	assert_string_equal(f->job.smoking_measures, "禁煙");
	assert_int_equal(f->kind, FORMS_JOB);
	in = ask("ev");
	in.kind = FORMS_EVENT;
	in.event = (struct forms_event){.starts_at = 5000,
	                                .ends_at = 5000,
	                                .capacity = 10,
	                                .venue = "渋谷",
	                                .waitlist = false};
	assert_int_equal(forms_create(db, &in, 1000, &id, &err), JM_OK);
	assert_int_equal(forms_get(db, a, id, &f), JM_OK);
	assert_int_equal(f->event.capacity, 10);
	assert_false(f->event.waitlist);
	/* A form with answers keeps its kind. */
	exec_ok(db, "INSERT INTO people(email, name, created_at, updated_at) "
	            "VALUES ('a@example.jp', 'A', 1, 1)");
	char sql[240];
	/* a confirmed answer and a stranger's still unverified one: only the
	 * first counts (and either blocks a change of kind) */
	for (int verified = 1; verified >= 0; verified--) {
		snprintf(sql, sizeof(sql),
		         "INSERT INTO answers(form_id, person_id, status, verified, status_at, "
		         "created_at, updated_at) VALUES (%lld, (SELECT id FROM people), "
		         "'confirmed', %d, 1, 1, 1)",
		         (long long)id, verified);
		exec_ok(db, sql);
	}
	f->kind = FORMS_ASK;
	f->event = (struct forms_event){.waitlist = true};
	assert_int_equal(forms_update(db, id, f, 2000, &err), JM_CONFLICT);
	assert_string_equal(err.field, "kind");
	struct forms_list_q q = {.kind = "event", .page = 1, .per_page = 10};
	struct forms_form *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	assert_int_equal(forms_list(db, a, &q, &items, &n, &total), JM_OK);
	assert_int_equal(total, 1);
	assert_int_equal(items[0].answers, 1);
	arena_free(a);
}

static void test_open_window(void **state)
{
	(void)state;
	struct forms_form f = ask("w");
	f.status = "open";
	assert_int_equal(forms_open_at(&f, 5), FORMS_OPEN);
	f.opens_at = 10, f.closes_at = 20;
	assert_int_equal(forms_open_at(&f, 9), FORMS_NOT_YET);
	assert_int_equal(forms_open_at(&f, 10), FORMS_OPEN);
	assert_int_equal(forms_open_at(&f, 19), FORMS_OPEN);
	assert_int_equal(forms_open_at(&f, 20), FORMS_ENDED);
	f.status = "closed";
	assert_int_equal(forms_open_at(&f, 15), FORMS_CLOSED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_create_get_update_delete, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_rules, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_slug_derived_and_taken, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test_setup_teardown(test_job_and_event, site_testdb_setup,
	                                        site_testdb_teardown),
	        cmocka_unit_test(test_open_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
