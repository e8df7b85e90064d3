/*
 * admin.h — the admin UI under /admin/: first-run setup, login/logout,
 * dashboard, articles editor with preview, settings, profile, API tokens.
 */
#ifndef JM_ADMIN_H
#define JM_ADMIN_H

struct app;
struct router;

void admin_routes(struct app *app, struct router *r);

#endif
