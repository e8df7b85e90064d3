/*
 * when.c — the two input rules for a time the owner types, shared by the
 * admin forms, the JSON API and the CLI so they can never disagree:
 *
 *   1. A time without a zone ("2026-11-29T09:00", "2026-11-29 09:00") is
 *      read in the site's zone, taken from the site settings. A time with
 *      a zone ("Z", "+09:00") means what it says.
 *   2. A schedule time (an article's scheduled publication, a broadcast's
 *      scheduled_at) must lie in the future; a past one is refused naming
 *      the field, and nothing is scheduled.
 */
#include "site/site.h"

enum jm_rc site_time_parse(const struct site_settings *st, const char *s, int64_t *out)
{
	if (!s)
		return JM_INVALID;
	return jm_time_parse_zone(s, st && st->tz ? st->tz : "UTC", out);
}

enum jm_rc site_schedule_check(int64_t when, int64_t now, const char *field, struct jm_err *err)
{
	if (when > now)
		return JM_OK;
	jm_err_set(err, field, "%s must be in the future", field);
	return JM_INVALID;
}
