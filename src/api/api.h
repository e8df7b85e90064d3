/*
 * api.h — the JSON API under /api/v1/ (Authorization: Bearer TOKEN).
 */
#ifndef JM_API_H
#define JM_API_H

#include <stdbool.h>

struct app;
struct router;

void api_routes(struct app *app, struct router *r);
/* The role check of the API's route table, run by the middleware once the
 * token is known (a token carries its creator's role; a token made with
 * the CLI, the owner's): true to go on; false after answering 403 JSON. */
struct req;
bool api_role_check(struct req *req);

#endif
