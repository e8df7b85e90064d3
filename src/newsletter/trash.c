/*
 * trash.c — lists and unsent broadcasts in the trash (columns trashed_* of
 * lists and broadcasts, migration 0022). Deleting moves them here for
 * NL_TRASH_DAYS; the admin and the API restore them; the hourly purge
 * removes for good what has been here longer.
 *
 * Invariants:
 *   - A trashed list gives its slug back (slug '~trash~<id>', which no
 *     valid slug can be) and keeps it in trashed_slug. Every read of lists
 *     (nl_list_get, nl_list_by_slug, nl_list_all, the preferences page,
 *     confirmation) leaves it out, so it accepts no sign-up or
 *     confirmation and no broadcast can be made for it; its queued
 *     confirmation and welcome mails are cancelled. Its subscriptions are
 *     untouched, so a restore brings them back unchanged.
 *   - A list is trashed only when no broadcast outside the trash refers to
 *     it (sent ones are its history: JM_CONFLICT), so a trashed list never
 *     sends; purging it purges its trashed broadcasts too.
 *   - Only a broadcast that sent nothing (draft, scheduled, or cancelled
 *     before any delivery was sent) may be trashed; it is stored as a draft
 *     (it can never start) and restored as it was, except that a schedule
 *     whose time has passed comes back as a draft rather than sending at
 *     once. A broadcast whose list is in the trash is restored only after
 *     its list (JM_CONFLICT).
 *   - Lists change public pages (sign-up forms): their writes end in
 *     site_content_written.
 */
#include "core/core.h"
#include "db/db.h"
#include "newsletter/newsletter.h"
#include "site/site.h"

static enum jm_rc fail(struct jm_err *err, enum jm_rc rc, const char *field, const char *msg)
{
	jm_err_set(err, field, "%s", msg);
	return rc;
}

static enum jm_rc list_trash_tx(struct db *db, int64_t id, int64_t now, struct jm_err *err)
{
	int64_t live = 0, bcs = 0;
	enum jm_rc rc = db_query_int(
	        db, &live, 0, "SELECT count(*) FROM lists WHERE id = ? AND trashed_at IS NULL", "i",
	        id);
	if (!rc && !live)
		return fail(err, JM_NOT_FOUND, NULL, "no such list");
	if (!rc)
		rc = db_query_int(db, &bcs, 0,
		                  "SELECT count(*) FROM broadcasts WHERE list_id = ? "
		                  "AND trashed_at IS NULL",
		                  "i", id);
	if (!rc && bcs)
		return fail(err, JM_CONFLICT, NULL,
		            "this list has broadcasts: move its unsent broadcasts to the trash "
		            "first; a list with sent broadcasts keeps its history and cannot be "
		            "deleted");
	if (!rc)
		rc = db_execf(db,
		              "UPDATE lists SET trashed_at = ?, trashed_slug = slug, "
		              "slug = '~trash~' || id WHERE id = ?",
		              "ii", now, id);
	if (!rc)
		rc = db_execf(
		        db,
		        "UPDATE deliveries SET state = 'cancelled' WHERE state = 'queued' "
		        "AND subscription_id IN (SELECT id FROM subscriptions WHERE list_id = ?)",
		        "i", id);
	return rc;
}

enum jm_rc nl_list_trash(struct db *db, int64_t id, struct jm_err *err)
{
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_end(db, list_trash_tx(db, id, jm_now(), err));
	return site_content_written(db, rc);
}

/* The restore's slug: new_slug when given (checked), else the old one;
 * JM_CONFLICT when another list holds it. */
static enum jm_rc list_restore_slug(struct db *db, struct arena *a, int64_t id,
                                    const char *new_slug, const char **slug, struct jm_err *err)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT trashed_slug FROM lists "
	                            "WHERE id = ? AND trashed_at IS NOT NULL",
	                            "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*slug = db_col_dup(st, 0, a);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? fail(err, JM_NOT_FOUND, NULL, "no such list in the trash")
		                     : rc;
	if (new_slug && *new_slug) {
		if (!jm_slug_valid(new_slug, NL_LIST_SLUG_MAX))
			return fail(err, JM_INVALID, "slug", "invalid slug");
		*slug = new_slug;
	}
	int64_t taken = 0;
	rc = db_query_int(db, &taken, 0, "SELECT count(*) FROM lists WHERE slug = ?", "t", *slug);
	if (!rc && taken) {
		jm_err_set(err, "slug",
		           "the slug \"%s\" is now used by another list: choose a new slug", *slug);
		return JM_CONFLICT;
	}
	return rc;
}

enum jm_rc nl_list_restore(struct db *db, int64_t id, const char *new_slug, struct jm_err *err)
{
	struct arena *a = arena_new(1024);
	const char *slug = NULL;
	enum jm_rc rc = db_begin(db);
	if (!rc) {
		rc = list_restore_slug(db, a, id, new_slug, &slug, err);
		if (!rc)
			rc = db_execf(db,
			              "UPDATE lists SET slug = ?, trashed_at = NULL, "
			              "trashed_slug = NULL, updated_at = ? WHERE id = ?",
			              "tii", slug, jm_now(), id);
		rc = db_end(db, rc);
	}
	arena_free(a);
	return site_content_written(db, rc);
}

static enum jm_rc bc_trash_tx(struct db *db, int64_t id, int64_t now, struct jm_err *err)
{
	int64_t sent = 0;
	char status[16] = "";
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT status FROM broadcasts WHERE id = ? "
	                            "AND trashed_at IS NULL",
	                            "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		snprintf(status, sizeof(status), "%s", db_col_text(st, 0, NULL));
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? fail(err, JM_NOT_FOUND, NULL, "no such broadcast") : rc;
	rc = db_query_int(db, &sent, 0,
	                  "SELECT count(*) FROM deliveries WHERE broadcast_id = ? "
	                  "AND state IN ('sending', 'sent')",
	                  "i", id);
	bool unsent = !strcmp(status, "draft") || !strcmp(status, "scheduled") ||
	              !strcmp(status, "cancelled");
	if (!rc && (!unsent || sent))
		return fail(err, JM_CONFLICT, "status",
		            "a broadcast that was sent (even in part) keeps its history and cannot "
		            "be deleted");
	if (!rc)
		rc = db_execf(db,
		              "UPDATE broadcasts SET trashed_at = ?, trashed_status = status, "
		              "status = 'draft', updated_at = ? WHERE id = ?",
		              "iii", now, now, id);
	return rc;
}

enum jm_rc nl_broadcast_trash(struct db *db, int64_t id, struct jm_err *err)
{
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	return db_end(db, bc_trash_tx(db, id, jm_now(), err));
}

enum jm_rc nl_broadcast_restore(struct db *db, int64_t id, struct jm_err *err)
{
	int64_t list_live = -1;
	int64_t now = jm_now();
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_query_int(db, &list_live, -1,
	                  "SELECT CASE WHEN l.trashed_at IS NULL THEN 1 ELSE 0 END "
	                  "FROM broadcasts b JOIN lists l ON l.id = b.list_id "
	                  "WHERE b.id = ? AND b.trashed_at IS NOT NULL",
	                  "i", id);
	if (!rc && list_live < 0)
		rc = fail(err, JM_NOT_FOUND, NULL, "no such broadcast in the trash");
	else if (!rc && list_live == 0)
		rc = fail(err, JM_CONFLICT, "list_id",
		          "its list is in the trash: restore the list first");
	if (!rc)
		rc = db_execf(
		        db,
		        "UPDATE broadcasts SET status = CASE WHEN trashed_status = 'scheduled' "
		        "AND COALESCE(scheduled_at, 0) <= ? THEN 'draft' "
		        "ELSE COALESCE(trashed_status, 'draft') END, "
		        "trashed_at = NULL, trashed_status = NULL, updated_at = ? WHERE id = ?",
		        "iii", now, now, id);
	return db_end(db, rc);
}

enum jm_rc nl_trash_items(struct db *db, struct arena *a, struct nl_trashed **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc =
	        db_prepare(db,
	                   "SELECT 'list', id, name, trashed_slug, trashed_at FROM lists "
	                   "WHERE trashed_at IS NOT NULL UNION ALL "
	                   "SELECT 'broadcast', id, subject, '', trashed_at FROM broadcasts "
	                   "WHERE trashed_at IS NOT NULL ORDER BY 5 DESC, 2 DESC",
	                   &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		struct nl_trashed *t = &(*out)[(*n)++];
		t->kind = db_col_dup(st, 0, a);
		t->id = db_col_int(st, 1);
		t->name = db_col_dup(st, 2, a);
		t->slug = db_col_dup(st, 3, a);
		t->trashed_at = db_col_int(st, 4);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc nl_trash_purge(struct db *db, int64_t now, int64_t *n)
{
	int64_t before = now - NL_TRASH_DAYS * 86400LL;
	*n = 0;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	/* Broadcasts first: a purged list takes its trashed broadcasts along
	 * (it has no others), then lists no broadcast refers to any more. */
	rc = db_execf(db,
	              "DELETE FROM broadcasts WHERE trashed_at IS NOT NULL AND (trashed_at <= ? "
	              "OR list_id IN (SELECT id FROM lists WHERE trashed_at <= ?))",
	              "ii", before, before);
	if (!rc) {
		*n = db_changes(db);
		rc = db_execf(db,
		              "DELETE FROM lists WHERE trashed_at <= ? AND NOT EXISTS "
		              "(SELECT 1 FROM broadcasts b WHERE b.list_id = lists.id)",
		              "i", before);
	}
	if (!rc)
		*n += db_changes(db);
	return db_end(db, rc);
}
