/*
 * person.c — one subscriber as a whole, for the admin's subscriber page:
 * the person row, every subscription with its consent record (特定電子メール法:
 * when, from which page and IP, which wording), custom-field values and
 * tags. Read-only; four indexed queries on the caller's connection.
 */
#include "newsletter/newsletter.h"

#include "db/db.h"

/* Grows an arena array of elem-sized items to hold at least n + 1. */
static void *grow(struct arena *a, void *old, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return old;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = arena_alloc(a, ncap * elem);
	if (n)
		memcpy(p, old, n * elem);
	*cap = ncap;
	return p;
}

static enum jm_rc subs_read(struct db *db, struct arena *a, struct nl_person *p)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT s.id, s.status, l.slug, s.created_at, COALESCE(s.confirmed_at, 0), "
	        "s.consent_source, s.consent_ip, s.consent_text, COALESCE(s.consent_at, 0) "
	        "FROM subscriptions s JOIN lists l ON l.id = s.list_id "
	        "WHERE s.person_id = ? ORDER BY s.list_id",
	        "i", p->id);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		p->subs = grow(a, p->subs, p->nsubs, &cap, sizeof(*p->subs));
		struct nl_subscriber *s = &p->subs[p->nsubs++];
		memset(s, 0, sizeof(*s));
		s->person_id = p->id;
		s->email = p->email;
		s->name = p->name;
		s->subscription_id = db_col_int(st, 0);
		s->status = db_col_dup(st, 1, a);
		s->list_slug = db_col_dup(st, 2, a);
		s->created_at = db_col_int(st, 3);
		s->confirmed_at = db_col_int(st, 4);
		s->consent_source = db_col_dup(st, 5, a);
		s->consent_ip = db_col_dup(st, 6, a);
		s->consent_text = db_col_dup(st, 7, a);
		s->consent_at = db_col_int(st, 8);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc nl_person_fields(struct db *db, struct arena *a, int64_t person_id, const char ***keys,
                            const char ***vals, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0, cap2 = 0;
	*keys = *vals = NULL;
	*n = 0;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT key, value FROM person_fields WHERE person_id = ? ORDER BY key",
	        "i", person_id);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		*keys = grow(a, *keys, *n, &cap, sizeof(char *));
		*vals = grow(a, *vals, *n, &cap2, sizeof(char *));
		(*keys)[*n] = db_col_dup(st, 0, a);
		(*vals)[(*n)++] = db_col_dup(st, 1, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc nl_person_tags(struct db *db, struct arena *a, int64_t person_id, const char ***tags,
                          size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*tags = NULL;
	*n = 0;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT tag FROM person_tags WHERE person_id = ? ORDER BY tag",
	                    "i", person_id);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		*tags = grow(a, *tags, *n, &cap, sizeof(char *));
		(*tags)[(*n)++] = db_col_dup(st, 0, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc nl_person_get(struct db *db, struct arena *a, int64_t person_id, struct nl_person *out)
{
	struct db_stmt *st = NULL;
	memset(out, 0, sizeof(*out));
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT id, COALESCE(email, ''), name, created_at FROM people WHERE id = ?", "i",
	        person_id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		out->id = db_col_int(st, 0);
		out->email = db_col_dup(st, 1, a);
		out->name = db_col_dup(st, 2, a);
		out->created_at = db_col_int(st, 3);
	}
	db_finalize(st);
	if (rc == JM_DONE)
		return JM_NOT_FOUND;
	if (rc)
		return rc;
	rc = subs_read(db, a, out);
	rc = rc ? rc
	        : nl_person_fields(db, a, out->id, &out->field_keys, &out->field_vals,
	                           &out->nfields);
	return rc ? rc : nl_person_tags(db, a, out->id, &out->tags, &out->ntags);
}

enum jm_rc nl_person_mark_search(struct db *db, int64_t person_id)
{
	return db_execf(db,
	                "INSERT OR IGNORE INTO search_dirty(person_id) SELECT ?1 WHERE ?1 <= "
	                "(SELECT indexed_to FROM search_state WHERE id = 1)",
	                "i", person_id);
}
