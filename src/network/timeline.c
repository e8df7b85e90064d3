/*
 * timeline.c — everything about one person in one list, newest first:
 * person_events (subscribed, unsubscribed, flag, merged, …), stage changes,
 * the messages they sent and the owner's replies, interactions and the
 * introductions they are part of on any side.
 *
 * One UNION ALL query; every branch is a range of a per-person index
 * (person_events_person, stage_changes_person, messages_person with
 * message_replies_message, interactions_person, and the three
 * introductions indexes through SQLite's OR optimisation), so the cost
 * follows the person's own history, not the size of the tables. Entries at
 * the same second keep a stable order (by source, then row id).
 */
#include "network/people_int.h"

#include "site/site.h"

#define TITLE_MAX 200 /* bytes of a title cut from a longer text */

/* Columns: kind, title, detail, at, ref_id, other_id, amount (NULL when
 * none), src (branch), seq (row id), introduction names (the email when a
 * person has no name): introducer, person, to (NULL = the owner), and their
 * ids (NULL = the owner). */
static const char timeline_sql[] =
        "SELECT kind, '', detail, created_at AS at, 0, 0, CAST(NULL AS BIGINT), 1 AS src, id AS "
        "seq, "
        "NULL, NULL, NULL, 0, 0, 0 FROM person_events WHERE person_id = ? "
        "AND kind NOT IN ('message', 'reply') " /* shown from messages/message_replies */
        "UNION ALL SELECT 'stage', CASE WHEN from_stage = '' THEN to_stage "
        "ELSE from_stage || ' → ' || to_stage END, reason, created_at, 0, 0, NULL, 2, id, "
        "NULL, NULL, NULL, 0, 0, 0 FROM stage_changes WHERE person_id = ? "
        "UNION ALL SELECT 'message', CASE WHEN subject != '' THEN subject "
        "WHEN category != '' THEN category ELSE form END, body, created_at, id, 0, NULL, 3, id, "
        "NULL, NULL, NULL, 0, 0, 0 FROM messages WHERE person_id = ? "
        "UNION ALL SELECT 'reply', r.subject, r.body, r.created_at, r.message_id, 0, NULL, 4, "
        "r.id, NULL, NULL, NULL, 0, 0, 0 "
        "FROM messages m JOIN message_replies r ON r.message_id = m.id "
        "WHERE m.person_id = ? "
        "UNION ALL SELECT 'interaction', kind, note, happened_at, id, 0, amount, 5, id, "
        "NULL, NULL, NULL, 0, 0, 0 FROM interactions WHERE person_id = ? "
        "UNION ALL SELECT 'introduction', '', i.note, i.happened_at, i.id, "
        "CASE WHEN i.person_id = ? THEN COALESCE(i.introducer_id, i.to_id) ELSE i.person_id END, "
        "NULL, 6, i.id, COALESCE(NULLIF(a.name, ''), a.email), "
        "COALESCE(NULLIF(b.name, ''), b.email), COALESCE(NULLIF(c.name, ''), c.email), "
        "i.introducer_id, i.person_id, i.to_id "
        "FROM introductions i "
        "LEFT JOIN people a ON a.id = i.introducer_id JOIN people b ON b.id = i.person_id "
        "LEFT JOIN people c ON c.id = i.to_id "
        "WHERE i.introducer_id = ? OR i.person_id = ? OR i.to_id = ? "
        "ORDER BY at DESC, src DESC, seq DESC LIMIT ?";

/* The first line of s, cut to TITLE_MAX bytes on a character boundary. */
static const char *first_line(struct arena *a, const char *s)
{
	size_t n = strcspn(s, "\r\n");
	return arena_strndup(a, s, utf8_truncate(s, n, TITLE_MAX));
}

/* The owner as named in an introduction title: the owner_name setting,
 * else the owner account's name, else "*". Looked up once per timeline. */
static const char *owner_label(struct db *db, struct arena *a, const char **cache)
{
	if (*cache)
		return *cache;
	const char *s = site_setting_get(db, a, "owner_name");
	struct db_stmt *st = NULL;
	if (!*s && db_prepare(db,
	                      "SELECT name FROM users WHERE role = 'owner' AND name != '' "
	                      "ORDER BY id LIMIT 1",
	                      &st) == JM_OK) {
		if (db_step(st) == JM_OK)
			s = db_col_dup(st, 0, a);
		db_finalize(st);
	}
	*cache = *s ? s : "*";
	return *cache;
}

/* "introducer: person ↔ to", the owner's name standing in for a NULL side,
 * e.g. "山田: 佐藤 ↔ 鈴木" for "山田 introduced 佐藤 to 鈴木". */
static const char *intro_title(struct db *db, struct arena *a, struct db_stmt *st,
                               const char **owner)
{
	const char *who[3];
	for (int i = 0; i < 3; i++) {
		who[i] = db_col_null(st, 9 + i) ? owner_label(db, a, owner)
		                                : db_col_text(st, 9 + i, NULL);
		if (!*who[i])
			who[i] = "?";
	}
	return arena_sprintf(a, "%s: %s ↔ %s", who[0], who[1], who[2]);
}

static void fill_event(struct db *db, struct arena *a, struct db_stmt *st, struct net_event *e,
                       const char **owner)
{
	memset(e, 0, sizeof(*e));
	e->kind = db_col_dup(st, 0, a);
	e->detail = db_col_dup(st, 2, a);
	e->at = db_col_int(st, 3);
	e->ref_id = db_col_int(st, 4);
	e->other_id = db_col_int(st, 5);
	e->has_amount = !db_col_null(st, 6);
	e->amount = db_col_int(st, 6);
	int src = (int)db_col_int(st, 7);
	if (src == 6) {
		e->title = intro_title(db, a, st, owner);
		const char **names[3] = {&e->intro_by, &e->intro_person, &e->intro_to};
		for (int i = 0; i < 3; i++)
			*names[i] = db_col_null(st, 9 + i) ? NULL : db_col_dup(st, 9 + i, a);
		e->intro_by_id = db_col_int(st, 12);
		e->intro_person_id = db_col_int(st, 13);
		e->intro_to_id = db_col_int(st, 14);
	} else if (src == 1) {
		/* person_events carry one text: its first line is the title, and
		 * the whole text stays as detail only when there is more. */
		e->title = first_line(a, e->detail);
		if (!strcmp(e->title, e->detail))
			e->detail = "";
	} else {
		e->title = first_line(a, db_col_text(st, 1, NULL) ? db_col_text(st, 1, NULL) : "");
	}
}

enum jm_rc net_timeline(struct db *db, struct arena *a, int64_t person_id, size_t limit,
                        struct net_event **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit == 0)
		return JM_OK;
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, timeline_sql, "iiiiiiiiii", person_id, person_id, person_id,
	                    person_id, person_id, person_id, person_id, person_id, person_id,
	                    (int64_t)(limit > INT32_MAX ? INT32_MAX : limit));
	size_t cap = 0;
	const char *owner = NULL;
	while (!rc && (rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		fill_event(db, a, st, &(*out)[(*n)++], &owner);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}
