/*
 * search.c — marking people for the people search (network/search.c
 * indexes them). search_dirty holds people indexed once (id <=
 * search_state.indexed_to) whose document is stale; newer people are
 * found by id. Marking is INSERT … WHERE NOT EXISTS, never INSERT OR
 * IGNORE: inside an upsert's DO UPDATE (or a trigger it fires) an OR
 * IGNORE takes the outer statement's ABORT and fails on a marked person.
 * It also says ON CONFLICT DO NOTHING (both engines): on PostgreSQL two
 * nodes may mark the same person at once, and the later insert would
 * otherwise fail the write it belongs to.
 */
#include "people/people.h"

#include "db/db.h"

enum jm_rc people_search_mark(struct db *db, int64_t id)
{
	return db_execf(db,
	                "INSERT INTO search_dirty(person_id) SELECT ?1 WHERE ?1 <= "
	                "(SELECT indexed_to FROM search_state WHERE id = 1) AND NOT EXISTS "
	                "(SELECT 1 FROM search_dirty WHERE person_id = ?1) "
	                "ON CONFLICT (person_id) DO NOTHING",
	                "i", id);
}

enum jm_rc people_search_clean(struct db *db, int64_t id)
{
	return db_execf(db, "DELETE FROM search_dirty WHERE person_id = ?", "i", id);
}

enum jm_rc people_search_clean_all(struct db *db)
{
	return db_exec(db, "DELETE FROM search_dirty");
}
