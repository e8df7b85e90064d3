/*
 * merge.c — the inbox's part of merging two people (people_merge calls it
 * through network/merge.c): messages of the person merged away become the
 * kept person's. Replies follow their message.
 */
#include "inbox/inbox.h"

#include "db/db.h"

enum jm_rc inbox_person_merge_move(struct db *db, int64_t into, int64_t from)
{
	return db_execf(db, "UPDATE messages SET person_id = ? WHERE person_id = ?", "ii", into,
	                from);
}
