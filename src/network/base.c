/*
 * base.c — the names the whole network module shares (stages, interaction
 * kinds) and the timeline's person_events rows (written by people/).
 */
#include "network/network.h"

#include "people/people.h"

const char *const net_stages[4] = {"reader", "fan", "acquaintance", "network"};
const char *const net_interaction_kinds[9] = {"meeting",  "meal",       "call",
                                              "email",    "message",    "deal",
                                              "referral", "help_given", "help_received"};

int net_stage_rank(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, net_stages[i]))
			return i;
	return -1;
}

bool net_stage_valid(const char *s)
{
	return net_stage_rank(s) >= 0;
}

bool net_interaction_kind_valid(const char *k)
{
	for (size_t i = 0; k && i < 9; i++)
		if (!strcmp(k, net_interaction_kinds[i]))
			return true;
	return false;
}

enum jm_rc net_event_add(struct db *db, int64_t person_id, const char *kind, const char *detail,
                         int64_t now)
{
	return people_event_add(db, person_id, kind, detail, now);
}
