/*
 * prefs.c — what the public mail-magazine pages read: the lists with
 * their sign-up fields but without subscriber counts (the counts scan a
 * list's subscriptions; the sign-up slot is rendered with every uncached
 * page), and a subscriber's list preferences for the unsubscribe page:
 * every subscription of the person behind one subscription id. That page
 * proves ownership with the signed unsubscribe token of one subscription
 * (RFC 8058 links), so it may show and change the others.
 */
#include "db/db.h"
#include "newsletter/newsletter.h"
#include "newsletter/nl_int.h"

#define PREFS_MAX 200 /* lists per person shown on the page */
#define LISTS_MAX 200 /* lists a public page offers */

enum jm_rc nl_list_all_brief(struct db *db, struct arena *a, bool public_only, struct nl_list **out,
                             size_t *n)
{
	struct db_stmt *st = NULL;
	*n = 0;
	*out = arena_calloc(a, LISTS_MAX * sizeof(**out));
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT id, slug, name, description, consent_text, public, "
	        "double_optin FROM lists WHERE trashed_at IS NULL AND (public = 1 OR ? = 0) "
	        "ORDER BY id LIMIT 200",
	        "i", (int64_t)public_only);
	if (rc)
		return rc;
	while (*n < LISTS_MAX && (rc = db_step(st)) == JM_OK) {
		struct nl_list *l = &(*out)[(*n)++];
		l->id = db_col_int(st, 0);
		l->slug = db_col_dup(st, 1, a);
		l->name = db_col_dup(st, 2, a);
		l->description = db_col_dup(st, 3, a);
		l->consent_text = db_col_dup(st, 4, a);
		l->public_ = db_col_int(st, 5) != 0;
		l->double_optin = db_col_int(st, 6) != 0;
	}
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	rc = JM_OK;
	for (size_t i = 0; i < *n && !rc; i++)
		rc = nl_list_load_fields(db, a, &(*out)[i]);
	return rc;
}

static const char *const PREFS_SQL =
        "SELECT s.id, l.slug, s.status, p.email, p.name, s.created_at, "
        "COALESCE(s.confirmed_at, 0), p.id FROM subscriptions s "
        "JOIN lists l ON l.id = s.list_id JOIN people p ON p.id = s.person_id "
        "WHERE s.person_id = (SELECT person_id FROM subscriptions WHERE id = ?) "
        "ORDER BY l.id LIMIT 200";

enum jm_rc nl_subscription_prefs(struct db *db, struct arena *a, int64_t subscription_id,
                                 struct nl_subscriber **out, size_t *n)
{
	struct db_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = db_preparef(db, &st, PREFS_SQL, "i", subscription_id);
	if (rc)
		return rc;
	struct nl_subscriber *v = arena_calloc(a, PREFS_MAX * sizeof(*v));
	size_t k = 0;
	while (k < PREFS_MAX && (rc = db_step(st)) == JM_OK) {
		struct nl_subscriber *s = &v[k++];
		s->subscription_id = db_col_int(st, 0);
		s->list_slug = db_col_dup(st, 1, a);
		s->status = db_col_dup(st, 2, a);
		s->email = db_col_dup(st, 3, a);
		s->name = db_col_dup(st, 4, a);
		s->created_at = db_col_int(st, 5);
		s->confirmed_at = db_col_int(st, 6);
		s->person_id = db_col_int(st, 7);
	}
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	if (k == 0)
		return JM_NOT_FOUND;
	*out = v;
	*n = k;
	return JM_OK;
}

enum jm_rc nl_subscription_resolve(struct db *db, int64_t *id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT new_id FROM subscription_aliases WHERE old_id = ?", "i", *id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}
