/*
 * broadcast.c — broadcasts: create/update with validation, the send state
 * machine, counts and rate from the delivery queue, test sends and the
 * public back numbers.
 *
 * States: draft | scheduled → sending → sent; sending ↔ paused; any state
 * before sent → cancelled (queued deliveries become 'cancelled'). Only a
 * draft or scheduled broadcast can change its content; public and slug can
 * change at any time (a sent broadcast can be published as a back number).
 *
 * Sending writes the audience JSON as audience_terms rows; the worker
 * expands the audience later with one INSERT … SELECT (queue.c).
 */
#include <jansson.h>

#include "db/db.h"
#include "newsletter/nl_int.h"
#include "site/site.h"

#define SUBJECT_MAX   200
#define BODY_MAX      (1 << 20)
#define SLUG_MAX      120
#define AUDIENCE_MAX  65536
#define TERMS_MAX     50
#define TAG_MAX       60
#define FIELD_KEY_MAX 40
#define FIELD_VAL_MAX 1000

static const char *const BC_COLS =
        "SELECT id, list_id, subject, body_md, audience, status, COALESCE(slug, ''), public, "
        "COALESCE(scheduled_at, 0), COALESCE(started_at, 0), COALESCE(finished_at, 0), "
        "created_at, total FROM broadcasts WHERE id = ? AND trashed_at IS NULL";

static bool slug_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SLUG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static bool subject_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= SUBJECT_MAX && jm_header_value_ok(s, n);
}

static bool str_item_ok(json_t *v, size_t max)
{
	if (!json_is_string(v))
		return false;
	size_t n = json_string_length(v);
	return n >= 1 && n <= max && !utf8_has_controls(json_string_value(v), n);
}

static bool key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > FIELD_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return false;
	return true;
}

static bool tags_ok(json_t *arr)
{
	if (!arr)
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > TERMS_MAX)
		return false;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (!str_item_ok(v, TAG_MAX)) return false;
	return true;
}

static bool fields_ok(json_t *arr)
{
	if (!arr)
		return true;
	if (!json_is_array(arr) || json_array_size(arr) > TERMS_MAX)
		return false;
	size_t i;
	json_t *f;
	json_array_foreach(arr, i, f)
	{
		json_t *k = json_object_get(f, "key"), *op = json_object_get(f, "op");
		json_t *v = json_object_get(f, "value");
		if (!json_is_object(f) || json_object_size(f) != 3 || !json_is_string(k) ||
		    !key_ok(json_string_value(k)) || !json_is_string(op) ||
		    (strcmp(json_string_value(op), "eq") && strcmp(json_string_value(op), "ne")) ||
		    !json_is_string(v) || json_string_length(v) > FIELD_VAL_MAX)
			return false;
	}
	return true;
}

/* Parses and validates an audience; returns the JSON (caller decrefs) or
 * NULL with err set. "" means everyone on the list. */
static json_t *audience_parse(const char *s, struct jm_err *err)
{
	json_error_t je;
	json_t *j = NULL;
	if (strlen(s) > AUDIENCE_MAX)
		goto bad;
	j = json_loads(*s ? s : "{}", JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(j))
		goto bad;
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) if (strcmp(k, "tags_any") && strcmp(k, "tags_none") &&
	                                 strcmp(k, "fields")) goto bad;
	if (!tags_ok(json_object_get(j, "tags_any")) || !tags_ok(json_object_get(j, "tags_none")) ||
	    !fields_ok(json_object_get(j, "fields")))
		goto bad;
	return j;
bad:
	json_decref(j);
	jm_err_set(err, "audience",
	           "audience must be JSON like {\"tags_any\":[…],\"tags_none\":[…],"
	           "\"fields\":[{\"key\":\"k\",\"op\":\"eq\",\"value\":\"v\"}]}");
	return NULL;
}

static enum jm_rc list_exists(struct db *db, int64_t list_id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT 1 FROM lists WHERE id = ? AND trashed_at IS NULL", "i", list_id);
	if (rc)
		return rc;
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
}

static enum jm_rc validate(struct db *db, const struct nl_broadcast_input *in, bool create,
                           struct jm_err *err)
{
	if ((create || in->has_subject) && (!in->subject || !subject_ok(in->subject))) {
		jm_err_set(err, "subject", "subject must be 1 to %d bytes on one line",
		           SUBJECT_MAX);
		return JM_INVALID;
	}
	if (in->has_body && in->body_md &&
	    (strlen(in->body_md) > BODY_MAX || !utf8_valid(in->body_md, strlen(in->body_md)))) {
		jm_err_set(err, "body", "body must be UTF-8 of at most 1 MB");
		return strlen(in->body_md) > BODY_MAX ? JM_TOO_LARGE : JM_INVALID;
	}
	if (in->has_slug && in->slug && *in->slug && !slug_ok(in->slug)) {
		jm_err_set(err, "slug", "slug must be 1 to %d of a-z, 0-9 and -", SLUG_MAX);
		return JM_INVALID;
	}
	if (in->has_scheduled_at && in->scheduled_at &&
	    site_schedule_check(in->scheduled_at, jm_now(), "scheduled_at", err))
		return JM_INVALID; /* the one schedule rule: admin, API and CLI alike */
	if (in->has_audience && in->audience) {
		json_t *j = audience_parse(in->audience, err);
		if (!j)
			return JM_INVALID;
		json_decref(j);
	}
	if (create || in->has_list) {
		enum jm_rc rc = list_exists(db, in->list_id);
		if (rc == JM_NOT_FOUND)
			jm_err_set(err, "list_id", "no such list");
		if (rc)
			return rc == JM_NOT_FOUND ? JM_INVALID : rc;
	}
	return JM_OK;
}

static enum jm_rc slug_conflict(enum jm_rc rc, struct jm_err *err)
{
	if (rc == JM_CONFLICT)
		jm_err_set(err, "slug", "this slug is already used by another broadcast");
	return rc;
}

enum jm_rc nl_broadcast_create(struct db *db, const struct nl_broadcast_input *in, int64_t *id,
                               struct jm_err *err)
{
	enum jm_rc rc = validate(db, in, true, err);
	if (rc)
		return rc;
	int64_t now = jm_now();
	const char *slug = in->has_slug && in->slug && *in->slug ? in->slug : NULL;
	struct db_stmt *st = NULL;
	rc = db_preparef(
	        db, &st,
	        "INSERT INTO broadcasts(list_id, subject, body_md, audience, public, slug, "
	        "scheduled_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
	        "RETURNING id",
	        "itttitiii", in->list_id, in->subject,
	        in->has_body && in->body_md ? in->body_md : "",
	        in->has_audience && in->audience && *in->audience ? in->audience : "{}",
	        (int64_t)(in->has_public && in->public_), slug,
	        in->has_scheduled_at ? in->scheduled_at : (int64_t)0, now, now);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	if (rc)
		return slug_conflict(rc, err);
	/* Without a slug of its own, a back number is reachable by its id. */
	if (!slug)
		rc = db_execf(db, "UPDATE broadcasts SET slug = CAST(id AS TEXT) WHERE id = ?", "i",
		              *id);
	return rc;
}

static enum jm_rc get_status(struct db *db, int64_t id, char out[16])
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT status FROM broadcasts WHERE id = ? AND trashed_at IS NULL", "i",
	        id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		snprintf(out, 16, "%s", db_col_text(st, 0, NULL));
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

static bool editable(const char *status)
{
	return !strcmp(status, "draft") || !strcmp(status, "scheduled");
}

static enum jm_rc update_fields(struct db *db, int64_t id, const struct nl_broadcast_input *in,
                                int64_t now)
{
	enum jm_rc rc = JM_OK;
	if (!rc && in->has_list)
		rc = db_execf(db, "UPDATE broadcasts SET list_id = ? WHERE id = ?", "ii",
		              in->list_id, id);
	if (!rc && in->has_subject)
		rc = db_execf(db, "UPDATE broadcasts SET subject = ? WHERE id = ?", "ti",
		              in->subject, id);
	if (!rc && in->has_body)
		rc = db_execf(db, "UPDATE broadcasts SET body_md = ? WHERE id = ?", "ti",
		              in->body_md ? in->body_md : "", id);
	if (!rc && in->has_audience)
		rc = db_execf(db, "UPDATE broadcasts SET audience = ? WHERE id = ?", "ti",
		              in->audience && *in->audience ? in->audience : "{}", id);
	if (!rc && in->has_scheduled_at)
		rc = db_execf(db, "UPDATE broadcasts SET scheduled_at = ? WHERE id = ?", "ii",
		              in->scheduled_at, id);
	if (!rc && in->has_public)
		rc = db_execf(db, "UPDATE broadcasts SET public = ? WHERE id = ?", "ii",
		              (int64_t)in->public_, id);
	if (!rc && in->has_slug)
		rc = db_execf(
		        db,
		        "UPDATE broadcasts SET slug = COALESCE(?, CAST(id AS TEXT)) WHERE id = ?",
		        "ti", in->slug && *in->slug ? in->slug : NULL, id);
	if (!rc)
		rc = db_execf(db, "UPDATE broadcasts SET updated_at = ? WHERE id = ?", "ii", now,
		              id);
	return rc;
}

enum jm_rc nl_broadcast_update(struct db *db, int64_t id, const struct nl_broadcast_input *in,
                               struct jm_err *err)
{
	char status[16];
	enum jm_rc rc = get_status(db, id, status);
	if (rc)
		return rc;
	bool content = in->has_list || in->has_subject || in->has_body || in->has_audience ||
	               in->has_scheduled_at;
	if (content && !editable(status)) {
		jm_err_set(err, "status", "a %s broadcast cannot be edited", status);
		return JM_CONFLICT;
	}
	if ((rc = validate(db, in, false, err)))
		return rc;
	if ((rc = db_begin(db)))
		return rc;
	rc = update_fields(db, id, in, jm_now());
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return site_content_written(db, slug_conflict(rc, err)); /* back numbers show it */
}

/* Fills counts and the rate of the last minute from deliveries. */
static enum jm_rc load_counts(struct db *db, struct nl_broadcast *b, int64_t now)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT state, count(*) FROM deliveries WHERE broadcast_id = ? "
	                            "GROUP BY state",
	                            "i", b->id);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		const char *s = db_col_text(st, 0, NULL);
		int64_t n = db_col_int(st, 1);
		if (!strcmp(s, "sent"))
			b->sent = n;
		else if (!strcmp(s, "failed"))
			b->failed = n;
		else if (!strcmp(s, "queued") || !strcmp(s, "sending"))
			b->queued += n;
	}
	db_finalize(st);
	if (rc != JM_DONE)
		return rc;
	rc = db_preparef(db, &st,
	                 "SELECT count(*) FROM deliveries WHERE sent_at >= ? AND broadcast_id = ?",
	                 "ii", now - 60, b->id);
	if (rc)
		return rc;
	if ((rc = db_step(st)) == JM_OK)
		b->rate = (double)db_col_int(st, 0) / 60.0;
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc;
}

static void read_row(struct db_stmt *st, struct arena *a, struct nl_broadcast *b)
{
	memset(b, 0, sizeof(*b));
	b->id = db_col_int(st, 0);
	b->list_id = db_col_int(st, 1);
	b->subject = db_col_dup(st, 2, a);
	b->body_md = db_col_dup(st, 3, a);
	b->audience = db_col_dup(st, 4, a);
	b->status = db_col_dup(st, 5, a);
	b->slug = db_col_dup(st, 6, a);
	b->public_ = db_col_int(st, 7) != 0;
	b->scheduled_at = db_col_int(st, 8);
	b->started_at = db_col_int(st, 9);
	b->finished_at = db_col_int(st, 10);
	b->created_at = db_col_int(st, 11);
	b->total = db_col_int(st, 12);
}

/* The law (特定電子メール法) wants the sender's name, postal address and
 * contact in every broadcast, and a From address is needed to carry them. */
static const char *const sender_keys[] = {"mail_from_name", "mail_from_addr",
                                          "sender_postal_address", "sender_contact"};

const char *nl_sender_missing(struct arena *a, const char *const vals[4])
{
	struct buf miss = BUF_INIT;
	const char *out = NULL;
	for (size_t i = 0; i < 4; i++)
		if ((!vals[i] || !*vals[i]) &&
		    buf_appendf(&miss, "%s%s", miss.len ? ", " : "", sender_keys[i]) != JM_OK)
			break;
	if (miss.len)
		out = arena_strdup(a, miss.ptr);
	buf_free(&miss);
	return out;
}

/* The missing settings of the sender identity now, or NULL. */
static const char *sender_missing_now(struct db *db, struct arena *a)
{
	const char *vals[4];
	for (size_t i = 0; i < 4; i++)
		vals[i] = site_setting_get(db, a, sender_keys[i]);
	return nl_sender_missing(a, vals);
}

/* Refuses to send until the sender identity is complete (field "settings",
 * the message names the missing settings). */
static enum jm_rc check_sender(struct db *db, struct jm_err *err)
{
	struct arena *a = arena_new(1024);
	const char *miss = sender_missing_now(db, a);
	if (miss)
		jm_err_set(err, "settings", "fill in the mail settings before sending: %s", miss);
	arena_free(a);
	return miss ? JM_INVALID : JM_OK;
}

enum jm_rc nl_broadcast_get(struct db *db, struct arena *a, int64_t id, struct nl_broadcast *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, BC_COLS, "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		read_row(st, a, out);
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	rc = load_counts(db, out, jm_now());
	/* Deliveries wait (the worker claims no broadcast mail) while the
	 * sender identity is incomplete: say why. */
	const char *miss = NULL;
	if (!rc && (out->queued > 0 || !strcmp(out->status, "sending") ||
	            !strcmp(out->status, "scheduled")))
		miss = sender_missing_now(db, a);
	out->waiting = miss ? arena_sprintf(a, "sender identity incomplete: %s", miss) : NULL;
	return rc;
}

/* Pages of ids from sql (bound: limit, offset), then each broadcast. */
static enum jm_rc page_of(struct db *db, struct arena *a, const char *ids_sql,
                          const char *count_sql, int page, int per_page, struct nl_broadcast **out,
                          size_t *n, int64_t *total)
{
	per_page = per_page < 1 ? 20 : per_page > 100 ? 100 : per_page;
	page = page < 1 ? 1 : page;
	*n = 0;
	*out = arena_calloc(a, (size_t)per_page * sizeof(**out));
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, count_sql, &st);
	if (rc)
		return rc;
	*total = db_step(st) == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	int64_t ids[100];
	size_t k = 0;
	rc = db_preparef(db, &st, ids_sql, "ii", (int64_t)per_page, (int64_t)(page - 1) * per_page);
	if (rc)
		return rc;
	while (k < (size_t)per_page && (rc = db_step(st)) == JM_OK)
		ids[k++] = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_DONE && rc != JM_OK)
		return rc;
	for (size_t i = 0; i < k; i++) {
		rc = nl_broadcast_get(db, a, ids[i], &(*out)[*n]);
		if (rc == JM_OK)
			(*n)++;
		else if (rc != JM_NOT_FOUND)
			return rc;
	}
	return JM_OK;
}

enum jm_rc nl_broadcast_list(struct db *db, struct arena *a, int page, int per_page,
                             struct nl_broadcast **out, size_t *n, int64_t *total)
{
	return page_of(db, a,
	               "SELECT id FROM broadcasts WHERE trashed_at IS NULL ORDER BY id DESC "
	               "LIMIT ? OFFSET ?",
	               "SELECT count(*) FROM broadcasts WHERE trashed_at IS NULL", page, per_page,
	               out, n, total);
}

enum jm_rc nl_backnumbers(struct db *db, struct arena *a, int page, int per_page,
                          struct nl_broadcast **out, size_t *n, int64_t *total)
{
	return page_of(db, a,
	               "SELECT id FROM broadcasts WHERE status = 'sent' AND public = 1 "
	               "ORDER BY finished_at DESC, id DESC LIMIT ? OFFSET ?",
	               "SELECT count(*) FROM broadcasts WHERE status = 'sent' AND public = 1", page,
	               per_page, out, n, total);
}

enum jm_rc nl_backnumber_get(struct db *db, struct arena *a, const char *slug,
                             struct nl_broadcast *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id FROM broadcasts WHERE slug = ? AND status = 'sent' "
	                            "AND public = 1",
	                            "t", slug);
	if (rc)
		return rc;
	rc = db_step(st);
	int64_t id = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	if (rc)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	return nl_broadcast_get(db, a, id, out);
}

/* ---- sending ---- */

static enum jm_rc add_term(struct db *db, int64_t id, const char *kind, const char *key,
                           const char *value)
{
	return db_execf(db,
	                "INSERT INTO audience_terms(broadcast_id, kind, key, value) "
	                "VALUES (?, ?, ?, ?)",
	                "ittt", id, kind, key, value);
}

static enum jm_rc add_tags(struct db *db, int64_t id, const char *kind, json_t *arr)
{
	size_t i;
	json_t *v;
	enum jm_rc rc = JM_OK;
	json_array_foreach(arr, i, v) if (!rc) rc =
	        add_term(db, id, kind, "", json_string_value(v));
	return rc;
}

/* Replaces the broadcast's audience_terms with its audience JSON. */
static enum jm_rc write_terms(struct db *db, int64_t id, const char *audience, struct jm_err *err)
{
	json_t *j = audience_parse(audience, err);
	if (!j)
		return JM_INVALID;
	enum jm_rc rc = db_execf(db, "DELETE FROM audience_terms WHERE broadcast_id = ?", "i", id);
	if (!rc)
		rc = add_tags(db, id, "tag_any", json_object_get(j, "tags_any"));
	if (!rc)
		rc = add_tags(db, id, "tag_none", json_object_get(j, "tags_none"));
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(j, "fields"), i, f)
	{
		if (rc)
			break;
		const char *op = json_string_value(json_object_get(f, "op"));
		rc = add_term(db, id, !strcmp(op, "eq") ? "field_eq" : "field_ne",
		              json_string_value(json_object_get(f, "key")),
		              json_string_value(json_object_get(f, "value")));
	}
	json_decref(j);
	return rc;
}

/* Status, audience and scheduled time of a broadcast (inside a tx). */
static enum jm_rc load_send_row(struct db *db, struct arena *a, int64_t id, const char **status,
                                const char **audience, int64_t *scheduled_at)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT status, audience, COALESCE(scheduled_at, 0) "
	                            "FROM broadcasts WHERE id = ? AND trashed_at IS NULL",
	                            "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		*status = db_col_dup(st, 0, a);
		*audience = db_col_dup(st, 1, a);
		*scheduled_at = db_col_int(st, 2);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

enum jm_rc nl_broadcast_send(struct db *db, int64_t id, int64_t now, struct jm_err *err)
{
	enum jm_rc rc = check_sender(db, err);
	if (rc)
		return rc;
	struct arena *a = arena_new(4096);
	const char *status = NULL, *audience = NULL;
	int64_t at = 0;
	if ((rc = db_begin(db)))
		goto out;
	rc = load_send_row(db, a, id, &status, &audience, &at);
	if (!rc && !editable(status)) {
		jm_err_set(err, "status", "a %s broadcast cannot be sent again", status);
		rc = JM_CONFLICT;
	}
	if (!rc)
		rc = write_terms(db, id, audience, err);
	if (!rc && at > now)
		rc = db_execf(db,
		              "UPDATE broadcasts SET status = 'scheduled', updated_at = ? "
		              "WHERE id = ?",
		              "ii", now, id);
	else if (!rc)
		rc = db_execf(db,
		              "UPDATE broadcasts SET status = 'sending', started_at = ?, "
		              "expanded = 0, updated_at = ? WHERE id = ?",
		              "iii", now, now, id);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
out:
	arena_free(a);
	return rc;
}

/* One guarded status change; JM_CONFLICT when the broadcast is in another
 * state, JM_NOT_FOUND when it does not exist. */
static enum jm_rc transition(struct db *db, int64_t id, const char *sql)
{
	enum jm_rc rc = db_execf(db, sql, "ii", jm_now(), id);
	if (rc || db_changes(db) > 0)
		return rc;
	char status[16];
	rc = get_status(db, id, status);
	return rc ? rc : JM_CONFLICT;
}

enum jm_rc nl_broadcast_pause(struct db *db, int64_t id)
{
	return transition(db, id,
	                  "UPDATE broadcasts SET status = 'paused', updated_at = ? "
	                  "WHERE id = ? AND status = 'sending'");
}

enum jm_rc nl_broadcast_resume(struct db *db, int64_t id)
{
	return transition(db, id,
	                  "UPDATE broadcasts SET status = 'sending', updated_at = ? "
	                  "WHERE id = ? AND status = 'paused'");
}

enum jm_rc nl_broadcast_cancel(struct db *db, int64_t id)
{
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = transition(db, id,
	                "UPDATE broadcasts SET status = 'cancelled', finished_at = ? "
	                "WHERE id = ? AND status IN ('draft', 'scheduled', 'sending', 'paused') "
	                "AND trashed_at IS NULL");
	if (!rc)
		rc = db_execf(db,
		              "UPDATE deliveries SET state = 'cancelled' "
		              "WHERE broadcast_id = ? AND state = 'queued'",
		              "i", id);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

enum jm_rc nl_broadcast_test(struct db *db, int64_t id, const char *addr, struct jm_err *err)
{
	char email[NL_EMAIL_MAX + 2];
	if (!addr || !nl_email_norm(addr, email)) {
		jm_err_set(err, "email", "not a valid email address");
		return JM_INVALID;
	}
	char status[16];
	enum jm_rc rc = get_status(db, id, status);
	if (rc)
		return rc;
	char payload[64];
	snprintf(payload, sizeof(payload), "{\"broadcast_id\":%lld}", (long long)id);
	return db_execf(db,
	                "INSERT INTO deliveries(kind, to_addr, domain, payload, created_at) "
	                "VALUES ('test', ?, ?, ?, ?)",
	                "ttti", email, nl_email_domain(email), payload, jm_now());
}
