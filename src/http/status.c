/*
 * status.c — the one table from a result code (enum jm_rc) to an HTTP
 * status and a default message. Admin pages, the JSON API and public
 * pages all answer a domain failure through it, so INVALID is 422, a
 * taken unique key 409 and an over-cap input 413 everywhere.
 *
 * Invariant: every code has a row; a code added to enum jm_rc without one
 * answers 500 (the table is indexed by the code and checked for bounds).
 */
#include "http/http.h"

static const struct {
	int status;
	const char *msg; /* default message when the domain gave none */
} rc_table[] = {
        [JM_OK] = {200, "ok"},
        [JM_NOMEM] = {500, "internal error"},
        [JM_TOO_LARGE] = {413, "input too large"},
        [JM_INVALID] = {422, "invalid input"},
        [JM_NOT_FOUND] = {404, "not found"},
        [JM_CONFLICT] = {409, "already taken"},
        [JM_UNAUTHORIZED] = {401, "unauthorized"},
        [JM_FORBIDDEN] = {403, "forbidden"},
        [JM_RATE_LIMITED] = {429, "too many requests"},
        [JM_IO] = {500, "internal error"},
        [JM_DB] = {500, "internal error"},
        [JM_SMTP_TEMP] = {500, "internal error"},
        [JM_SMTP_PERM] = {500, "internal error"},
        [JM_DONE] = {500, "internal error"},
};

static bool known(enum jm_rc rc)
{
	return (size_t)rc < sizeof(rc_table) / sizeof(rc_table[0]) && rc_table[rc].status;
}

int http_status_for(enum jm_rc rc)
{
	return known(rc) ? rc_table[rc].status : 500;
}

const char *http_status_msg(enum jm_rc rc)
{
	return known(rc) ? rc_table[rc].msg : "internal error";
}
