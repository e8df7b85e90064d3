/*
 * lists.c — what a person has many of: tags, custom-field values, links
 * and timeline events. Writers of person_fields mark the search here (no
 * per-row trigger on inserts: a million-row import would pay for it).
 */
#include "people/people.h"

#include "db/db.h"

enum jm_rc people_tag_add(struct db *db, int64_t id, const char *tag, bool *added)
{
	/* Nobody with that id (erased meanwhile): nothing to tag. */
	enum jm_rc rc = db_execf(db,
	                         "INSERT INTO person_tags(person_id, tag) SELECT id, ? FROM people "
	                         "WHERE id = ? ON CONFLICT DO NOTHING",
	                         "ti", tag, id);
	if (added)
		*added = !rc && db_changes(db) > 0;
	return rc;
}

enum jm_rc people_tag_remove(struct db *db, int64_t id, const char *tag)
{
	return db_execf(db, "DELETE FROM person_tags WHERE person_id = ? AND tag = ?", "it", id,
	                tag);
}

enum jm_rc people_tags_replace(struct db *db, int64_t id, const char *const *tags, size_t n)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM person_tags WHERE person_id = ?", "i", id);
	for (size_t i = 0; !rc && i < n; i++)
		rc = people_tag_add(db, id, tags[i], NULL);
	return rc;
}

enum jm_rc people_fields_set(struct db *db, int64_t id, const char *const *keys,
                             const char *const *vals, size_t n)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < n && !rc; i++)
		rc = db_execf(db,
		              "INSERT INTO person_fields(person_id, key, value) VALUES (?, ?, ?) "
		              "ON CONFLICT(person_id, key) DO UPDATE SET value = excluded.value",
		              "itt", id, keys[i], vals[i] ? vals[i] : "");
	if (!rc && n)
		rc = people_search_mark(db, id);
	return rc;
}

enum jm_rc people_fields_replace(struct db *db, int64_t id, const char *const *keys,
                                 const char *const *vals, size_t n)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM person_fields WHERE person_id = ?", "i", id);
	return rc ? rc : people_fields_set(db, id, keys, vals, n);
}

enum jm_rc people_links_replace(struct db *db, int64_t id, const struct people_link *links,
                                size_t n)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM person_links WHERE person_id = ?", "i", id);
	for (size_t i = 0; !rc && i < n; i++)
		rc = db_execf(db,
		              "INSERT INTO person_links(person_id, kind, url, position) "
		              "VALUES (?, ?, ?, ?)",
		              "itti", id, links[i].kind, links[i].url, (int64_t)i);
	return rc;
}

enum jm_rc people_link_add(struct db *db, int64_t id, const struct people_link *l, bool *added)
{
	enum jm_rc rc = db_execf(db,
	                         "INSERT INTO person_links(person_id, kind, url, position) "
	                         "SELECT ?1, ?2, ?3, (SELECT COALESCE(max(position) + 1, 0) FROM "
	                         "person_links WHERE person_id = ?1) WHERE NOT EXISTS (SELECT 1 "
	                         "FROM person_links WHERE person_id = ?1 AND kind = ?2 AND "
	                         "url = ?3)",
	                         "itt", id, l->kind, l->url);
	*added = !rc && db_changes(db) > 0;
	return rc;
}

enum jm_rc people_event_add(struct db *db, int64_t id, const char *kind, const char *detail,
                            int64_t now)
{
	if (!kind || strlen(kind) > 40 || (detail && strlen(detail) > 2000))
		return JM_INVALID;
	return db_execf(db,
	                "INSERT INTO person_events(person_id, kind, detail, created_at) "
	                "VALUES (?, ?, ?, ?)",
	                "itti", id, kind, detail ? detail : "", now);
}
