/*
 * score.c — the engagement score (濃い読者: the readers worth getting to
 * know) with its breakdown, and suggestions for the owner to review.
 *
 * The score is a sum of integer points, each part capped so that no single
 * habit (a flood of messages) outweighs the rest:
 *   subscribed    2 per full month (30 days) of the oldest active
 *                 subscription, at most 24 months (48)
 *   tips          10 per message in an information-giving category
 *                 (情報提供, "tip", "tips"), at most 20 messages
 *   replies       5 per other message that answers us: its subject starts
 *                 with Re: or 返信 (after folding, so ＲＥ： counts), or it
 *                 came after the owner's first reply to them; at most 20
 *   forms         3 per other message (spam never counts) or verified
 *                 answer to a form (forms/answer.c), at most 20
 *   interactions  per interaction, at most 20 of each kind:
 *                 help_received 15, referral 15 (what they gave), deal 10,
 *                 meeting 6, meal 6, call 4, email 2, message 2,
 *                 help_given 1 (what we gave counts little)
 *   opens_clicks  0 until opens and clicks are tracked
 *
 * Suggestions never change anything. "freeloader" (クレクレ): asks ≥ 3 —
 * their non-tip messages plus help the owner gave them — and nothing given
 * back (no help_received, no referral, no tip). "fan": readers whose score
 * reaches FAN_MIN, highest first, walking people_stage_engagement.
 * Flagged people (freeloader, blocked) are left out unless asked for. The
 * give/take counts are stored on the person with the score (people.asks,
 * people.gave), so the freeloader suggestions are one walk of a small
 * partial index (people_asks) instead of totals over every message.
 */
#include "network/network.h"
#include "network/people_int.h"

#include "db/db.h"
#include "people/people.h"

#define MONTH           (30 * 86400)
#define MONTHS_MAX      24
#define PER_KIND_MAX    20
#define MSG_ROWS        200 /* newest messages read per person */
#define FAN_MIN         30
#define FREELOADER_ASKS 3

static const struct {
	const char *kind;
	int points;
} kind_points[] = {
        {"help_received", 15}, {"referral", 15}, {"deal", 10},   {"meeting", 6},    {"meal", 6},
        {"call", 4},           {"email", 2},     {"message", 2}, {"help_given", 1},
};

static int64_t capped(int64_t count, int64_t points)
{
	return (count < PER_KIND_MAX ? count : PER_KIND_MAX) * points;
}

static enum jm_rc score_subscribed(struct db *db, int64_t id, int64_t now, struct net_score *s)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT MIN(COALESCE(confirmed_at, created_at)) FROM "
	                            "subscriptions WHERE person_id = ? AND status = 'active'",
	                            "i", id);
	if (rc == JM_OK && (rc = db_step(st)) == JM_OK && !db_col_null(st, 0)) {
		int64_t months = (now - db_col_int(st, 0)) / MONTH;
		months = months < 0 ? 0 : months > MONTHS_MAX ? MONTHS_MAX : months;
		s->subscribed = 2 * months;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* True for a category that gives information (情報提供). */
static bool is_tip(const char *category)
{
	return category &&
	       (!strcmp(category, "情報提供") || !strcmp(category, "tip") ||
	        !strcmp(category, "tips") || !strcmp(category, "Tip") || !strcmp(category, "Tips"));
}

/* True when the folded subject starts with "re:" or "返信". */
static bool is_reply_subject(const char *subject, size_t len)
{
	struct buf f;
	buf_init(&f, 64);
	enum jm_rc rc = jm_fold(subject, utf8_truncate(subject, len, 16), &f);
	const char *p = rc == JM_OK ? buf_cstr(&f) : "";
	p += strspn(p, " \t");
	bool yes = !strncmp(p, "re:", 3) || !strncmp(p, "re :", 4) || !strncmp(p, "返信", 6);
	buf_free(&f);
	return yes;
}

/* When the owner first replied to this person (0 = never). */
static enum jm_rc first_reply(struct db *db, int64_t id, int64_t *at)
{
	struct db_stmt *st = NULL;
	*at = 0;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT MIN(r.created_at) FROM messages m JOIN "
	                    "message_replies r ON r.message_id = m.id WHERE m.person_id = ?",
	                    "i", id);
	if (rc == JM_OK && (rc = db_step(st)) == JM_OK && !db_col_null(st, 0))
		*at = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc score_messages(struct db *db, int64_t id, struct net_score *s)
{
	int64_t replied_at = 0, tips = 0, replies = 0, forms = 0;
	enum jm_rc rc = first_reply(db, id, &replied_at);
	struct db_stmt *st = NULL;
	if (rc == JM_OK)
		rc = db_preparef(db, &st,
		                 "SELECT category, subject, created_at FROM messages "
		                 "WHERE person_id = ? AND status <> 'spam' "
		                 "ORDER BY created_at DESC LIMIT ?",
		                 "ii", id, (int64_t)MSG_ROWS);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		size_t len = 0;
		const char *subject = db_col_text(st, 1, &len);
		if (is_tip(db_col_text(st, 0, NULL)))
			tips++;
		else if ((replied_at && db_col_int(st, 2) > replied_at) ||
		         (subject && is_reply_subject(subject, len)))
			replies++;
		else
			forms++;
	}
	db_finalize(st);
	int64_t answers = 0; /* a stranger's answer counts once confirmed */
	if (rc == JM_DONE &&
	    (rc = db_query_int(db, &answers, 0,
	                       "SELECT count(*) FROM answers WHERE person_id = ? AND verified = 1 "
	                       "AND status NOT IN ('cancelled', 'expired')",
	                       "i", id)) == JM_OK)
		rc = JM_DONE;
	s->asks += replies + forms;
	forms += answers;
	s->gave += tips;
	s->tips = capped(tips, 10);
	s->replies = capped(replies, 5);
	s->forms = capped(forms, 3);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc score_interactions(struct db *db, int64_t id, struct net_score *s)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT kind, COUNT(*) FROM interactions WHERE person_id = ? "
	                            "GROUP BY kind",
	                            "i", id);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		const char *kind = db_col_text(st, 0, NULL);
		int64_t count = db_col_int(st, 1);
		if (kind && !strcmp(kind, "help_given"))
			s->asks += count;
		else if (kind && (!strcmp(kind, "help_received") || !strcmp(kind, "referral")))
			s->gave += count;
		for (size_t k = 0; kind && k < sizeof(kind_points) / sizeof(kind_points[0]); k++)
			if (!strcmp(kind, kind_points[k].kind))
				s->interactions += capped(db_col_int(st, 1), kind_points[k].points);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc net_score_get(struct db *db, int64_t person_id, int64_t now, struct net_score *out)
{
	memset(out, 0, sizeof(*out));
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, "SELECT 1 FROM people WHERE id = ?", "i", person_id);
	if (rc == JM_OK)
		rc = db_step(st);
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	rc = score_subscribed(db, person_id, now, out);
	if (rc == JM_OK)
		rc = score_messages(db, person_id, out);
	if (rc == JM_OK)
		rc = score_interactions(db, person_id, out);
	out->total = out->subscribed + out->replies + out->tips + out->forms + out->interactions +
	             out->opens_clicks;
	return rc;
}

enum jm_rc net_score_update(struct db *db, const int64_t *ids, size_t n, int64_t now)
{
	for (size_t k = 0; k < n; k++) {
		struct net_score s;
		enum jm_rc rc = net_score_get(db, ids[k], now, &s);
		if (rc == JM_NOT_FOUND)
			continue; /* deleted meanwhile */
		if (rc == JM_OK)
			rc = people_score_set(db, ids[k], s.total, s.asks, s.gave);
		if (rc)
			return rc;
	}
	return JM_OK;
}

/* ---- suggestions ---- */

static enum jm_rc suggest_rows(struct db *db, struct arena *a, struct db_stmt *st, const char *why,
                               struct net_suggestion *out, size_t *n, size_t max)
{
	enum jm_rc rc = JM_OK;
	while (*n < max && (rc = db_step(st)) == JM_OK) {
		struct net_suggestion *s = &out[(*n)++];
		s->person_id = db_col_int(st, 0);
		s->name = db_col_dup(st, 1, a);
		s->email = db_col_dup(st, 2, a);
		s->stage = db_col_dup(st, 3, a);
		s->asks = db_col_int(st, 4);
		s->given = db_col_int(st, 5);
		s->why = why;
	}
	db_finalize(st);
	return *n == max || rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc suggest_freeloaders(struct db *db, struct arena *a, bool flagged,
                                      struct net_suggestion *out, size_t *n, size_t max)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT id, name, COALESCE(email, ''), stage, asks, gave "
	                    "FROM people WHERE gave = 0 AND asks >= ? AND " NET_NOT_OWNER(
	                            "id") " "
	                                  "AND (? OR (freeloader = 0 AND blocked = 0)) "
	                                  "ORDER BY asks DESC, id LIMIT ?",
	                    "iii", (int64_t)FREELOADER_ASKS, (int64_t)flagged, (int64_t)max);
	return rc ? rc : suggest_rows(db, a, st, "freeloader", out, n, *n + max);
}

static enum jm_rc suggest_fans(struct db *db, struct arena *a, bool flagged,
                               struct net_suggestion *out, size_t *n, size_t max)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id, name, COALESCE(email, ''), stage, 0, 0 FROM people "
	                            "WHERE stage = 'reader' AND engagement >= ? AND " NET_NOT_OWNER(
	                                    "id") " "
	                                          "AND (? OR (freeloader = 0 AND blocked = 0)) "
	                                          "ORDER BY engagement DESC, id LIMIT ?",
	                            "iii", (int64_t)FAN_MIN, (int64_t)flagged, (int64_t)max);
	return rc ? rc : suggest_rows(db, a, st, "fan", out, n, *n + max);
}

enum jm_rc net_suggestions(struct db *db, struct arena *a, bool include_flagged, size_t max,
                           struct net_suggestion **out, size_t *n)
{
	*out = NULL, *n = 0;
	if (max == 0)
		return JM_OK;
	if (max > 1000)
		max = 1000;
	struct net_suggestion *v = arena_calloc(a, max * sizeof(*v));
	/* Half the room for freeloaders; fans fill what is left. */
	enum jm_rc rc = suggest_freeloaders(db, a, include_flagged, v, n, (max + 1) / 2);
	if (rc == JM_OK && *n < max)
		rc = suggest_fans(db, a, include_flagged, v, n, max - *n);
	*out = v;
	return rc;
}

/* ---- the daily refresh ---- */

enum jm_rc net_score_refresh(struct db *db, int64_t now, int64_t *cursor, size_t max)
{
	int64_t ids[500];
	size_t n = 0;
	max = max > 500 ? 500 : max;
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT id FROM people WHERE id > ? ORDER BY id LIMIT ?", "ii",
	                    *cursor, (int64_t)max);
	if (rc)
		return rc;
	while (n < max && (rc = db_step(st)) == JM_OK)
		ids[n++] = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_DONE && rc != JM_OK)
		return rc;
	if (n == 0) {
		*cursor = 0;
		return JM_DONE;
	}
	if ((rc = db_begin(db)) != JM_OK)
		return rc;
	rc = net_score_update(db, ids, n, now);
	if (rc == JM_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	if (rc == JM_OK)
		*cursor = ids[n - 1];
	return rc;
}
