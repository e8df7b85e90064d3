/*
 * admin.h — the admin UI under /admin/: first-run setup, login/logout,
 * dashboard, articles editor with preview, settings, profile, API tokens.
 */
#ifndef JM_ADMIN_H
#define JM_ADMIN_H

#include <stdbool.h>

struct app;
struct router;

void admin_routes(struct app *app, struct router *r);
/* The role check of the admin's route table (ROUTE_OWNER, ROUTE_OWNER_OPS),
 * run by the middleware after the session and CSRF checks: true to go on;
 * false after answering 403 with the admin's error page. */
struct req;
bool admin_role_check(struct req *req);

#endif
