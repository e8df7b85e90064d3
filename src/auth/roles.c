/*
 * roles.c — what each staff role may do. Two roles: the owner runs the
 * business (settings, API tokens, users, sending to a list, erasing,
 * exporting, merging, deleting lists); an editor writes articles, drafts
 * broadcasts, keeps people's notes and answers the inbox.
 *
 * The admin and the API each enforce this in one place, their route
 * tables (a route carries ROUTE_OWNER, or ROUTE_OWNER_OPS when only some
 * values of its op/action field are the owner's); this file holds the
 * vocabulary those checks share.
 */
#include "auth/auth.h"

bool auth_user_is_owner(const struct auth_user *u)
{
	return u && u->role && strcmp(u->role, "owner") == 0;
}

bool auth_op_needs_owner(const char *op)
{
	/* erase: people, readers; send/schedule: mail to a list; resume a
	 * paused send; cancel someone's scheduled send. */
	static const char *const owner_ops[] = {"erase",  "send",   "schedule", "resume",
	                                        "cancel", "delete", "merge",    "export"};
	for (size_t i = 0; op && i < sizeof(owner_ops) / sizeof(owner_ops[0]); i++)
		if (strcmp(op, owner_ops[i]) == 0)
			return true;
	return false;
}
