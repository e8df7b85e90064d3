/*
 * job_rules.c — the rules of a job post that need nothing but themselves
 * (forms.h, "job posts"): the pipeline's statuses and the moves between
 * them, and the eight working conditions in the order the law lists them
 * (職業安定法 第5条の3). Pure functions, unit-tested on their own
 * (tests/unit/forms/test_job_rules.c).
 */
#include "forms/forms.h"

#include <string.h>

const char *const forms_job_statuses[FORMS_JOB_STATUSES] = {"applied", "screening", "interview",
                                                            "offer",   "hired",     "declined"};

/* The pipeline position of s (declined = 5), -1 when unknown. */
static int status_pos(const char *s)
{
	for (int i = 0; s && i < FORMS_JOB_STATUSES; i++)
		if (strcmp(s, forms_job_statuses[i]) == 0)
			return i;
	return -1;
}

bool forms_job_status_ok(const char *s)
{
	return status_pos(s) >= 0;
}

bool forms_job_move_ok(const char *from, const char *to)
{
	int f = status_pos(from), t = status_pos(to);
	if (f < 0 || t < 0 || f >= 4) /* hired and declined are final */
		return false;
	return t == 5 || t > f;
}

void forms_job_rows(const struct forms_form *f, struct forms_job_row out[FORMS_JOB_CONDITIONS])
{
	const struct forms_job *j = &f->job;
	const struct forms_job_row rows[FORMS_JOB_CONDITIONS] = {
	        {"duties", j->duties},
	        {"contract_period", j->contract_period},
	        {"workplace", j->workplace},
	        {"working_hours", j->working_hours},
	        {"holidays", j->holidays},
	        {"wage", j->wage},
	        {"social_insurance", j->social_insurance},
	        {"smoking_measures", j->smoking_measures},
	};
	for (size_t i = 0; i < FORMS_JOB_CONDITIONS; i++) {
		out[i] = rows[i];
		if (!out[i].value)
			out[i].value = "";
	}
}
