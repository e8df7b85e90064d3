/* Unit tests for src/forms/job_rules.c: every move of the job pipeline
 * (applied → screening → interview → offer → hired | declined) against
 * the rule written in forms.h, and the conditions in the law's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "forms/forms.h"

/* allowed[from][to] in forms_job_statuses order: forward any number of
 * steps, declined from every open status, nothing out of hired/declined. */
static const int allowed[FORMS_JOB_STATUSES][FORMS_JOB_STATUSES] = {
        /*            app scr int off hir dec */
        /* applied */ {0, 1, 1, 1, 1, 1},
        /* screen  */ {0, 0, 1, 1, 1, 1},
        /* inter   */ {0, 0, 0, 1, 1, 1},
        /* offer   */ {0, 0, 0, 0, 1, 1},
        /* hired   */ {0, 0, 0, 0, 0, 0},
        /* decl    */ {0, 0, 0, 0, 0, 0},
};

static void test_every_move(void **state)
{
	(void)state;
	for (int f = 0; f < FORMS_JOB_STATUSES; f++)
		for (int t = 0; t < FORMS_JOB_STATUSES; t++)
			assert_int_equal(
			        forms_job_move_ok(forms_job_statuses[f], forms_job_statuses[t]),
			        allowed[f][t]);
}

static void test_unknown_statuses(void **state)
{
	(void)state;
	static const char *const bad[] = {"",          "Applied", "applied ", "received",
	                                  "confirmed", "hired!",  "declinedx"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(forms_job_status_ok(bad[i]));
		assert_false(forms_job_move_ok("applied", bad[i]));
		assert_false(forms_job_move_ok(bad[i], "declined"));
	}
	assert_false(forms_job_status_ok(NULL));
	assert_false(forms_job_move_ok(NULL, "hired"));
	for (int i = 0; i < FORMS_JOB_STATUSES; i++)
		assert_true(forms_job_status_ok(forms_job_statuses[i]));
}

static void test_conditions_in_the_laws_order(void **state)
{
	(void)state;
	struct forms_form f;
	memset(&f, 0, sizeof(f));
	f.job.duties = "編集";
	f.job.wage = "月給25万円";
	struct forms_job_row rows[FORMS_JOB_CONDITIONS];
	forms_job_rows(&f, rows);
	static const char *const keys[] = {"duties",           "contract_period", "workplace",
	                                   "working_hours",    "holidays",        "wage",
	                                   "social_insurance", "smoking_measures"};
	for (int i = 0; i < FORMS_JOB_CONDITIONS; i++)
		assert_string_equal(rows[i].key, keys[i]);
	assert_string_equal(rows[0].value, "編集");
	assert_string_equal(rows[5].value, "月給25万円");
	assert_string_equal(rows[1].value, ""); /* NULL reads as "" */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_every_move),
	        cmocka_unit_test(test_unknown_statuses),
	        cmocka_unit_test(test_conditions_in_the_laws_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
