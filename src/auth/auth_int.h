/* auth_int.h — helpers shared inside auth/. */
#ifndef JM_AUTH_INT_H
#define JM_AUTH_INT_H

#include "auth/auth.h"

struct db;
enum jm_rc auth_user_by_id(struct db *db, struct arena *a, int64_t id,
                           struct auth_user *out) JM_WUR;

#endif
