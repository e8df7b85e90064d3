/*
 * api.h — the JSON API under /api/v1/ (Authorization: Bearer TOKEN).
 */
#ifndef JM_API_H
#define JM_API_H

struct app;
struct router;

void api_routes(struct app *app, struct router *r);

#endif
