/*
 * person.c — one subscriber as a whole, for the admin's subscriber page:
 * the person row, every subscription with its consent record (特定電子メール法:
 * when, from which page and IP, which wording), custom-field values and
 * tags (read-only; four indexed queries on the caller's connection), and
 * moving a person's subscriptions and deliveries to another person when
 * the two are merged (nl_person_merge_move, called by people_merge):
 * - subscriptions: from's move over; on a list both are on, the row with
 *   the better status (active > pending > unsubscribed > bounced) stays,
 *   with the earliest consent record of the two; deliveries of the dropped
 *   row are re-pointed first (they would cascade away). Unsubscribe links
 *   in mails sent for the dropped row resolve through subscription_aliases;
 * - deliveries: from's move over; where both got the same broadcast
 *   (UNIQUE(broadcast_id, person_id)) the one further along is kept
 *   (sent > sending > queued > failed > cancelled).
 */
#include "newsletter/newsletter.h"

#include "db/db.h"

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
		p->subs = arena_grow(a, p->subs, p->nsubs, &cap, sizeof(*p->subs));
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
		*keys = arena_grow(a, *keys, *n, &cap, sizeof(char *));
		*vals = arena_grow(a, *vals, *n, &cap2, sizeof(char *));
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
		*tags = arena_grow(a, *tags, *n, &cap, sizeof(char *));
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

/* ---- merge ---- */

/* Collects the integer columns of every row of st (ncol per row) into an
 * arena array. */
static enum jm_rc collect_ints(struct db_stmt *st, struct arena *a, int ncol, int64_t **out,
                               size_t *n)
{
	size_t cap = 0;
	enum jm_rc rc;
	*out = NULL;
	*n = 0;
	while ((rc = db_step(st)) == JM_OK) {
		if (*n + (size_t)ncol > cap) {
			size_t ncap = cap ? cap * 2 : 16 * (size_t)ncol;
			int64_t *v = arena_alloc(a, ncap * sizeof(*v));
			if (*n)
				memcpy(v, *out, *n * sizeof(*v));
			*out = v;
			cap = ncap;
		}
		for (int i = 0; i < ncol; i++)
			(*out)[(*n)++] = db_col_int(st, i);
	}
	db_finalize(st);
	*n /= (size_t)ncol;
	return rc == JM_DONE ? JM_OK : rc;
}

/* ---- subscriptions ---- */

struct sub {
	int64_t id;
	const char *status, *consent_source, *consent_ip, *consent_text;
	int64_t created_at, updated_at, confirmed_at, unsubscribed_at, consent_at; /* 0 = NULL */
};

static int status_rank(const char *s)
{
	static const char *const order[] = {"active", "pending", "unsubscribed", "bounced"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, order[i]))
			return i;
	return 4;
}

static enum jm_rc load_sub(struct db *db, struct arena *a, int64_t id, struct sub *s)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT status, created_at, updated_at, COALESCE(confirmed_at, 0), "
	                    "COALESCE(unsubscribed_at, 0), COALESCE(consent_at, 0), "
	                    "consent_source, consent_ip, consent_text "
	                    "FROM subscriptions WHERE id = ?",
	                    "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		s->id = id;
		s->status = db_col_dup(st, 0, a);
		s->created_at = db_col_int(st, 1);
		s->updated_at = db_col_int(st, 2);
		s->confirmed_at = db_col_int(st, 3);
		s->unsubscribed_at = db_col_int(st, 4);
		s->consent_at = db_col_int(st, 5);
		s->consent_source = db_col_dup(st, 6, a);
		s->consent_ip = db_col_dup(st, 7, a);
		s->consent_text = db_col_dup(st, 8, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_DB : rc;
}

static void bind_opt(struct db_stmt *st, int idx, int64_t v)
{
	if (v)
		db_bind_int(st, idx, v);
	else
		db_bind_null(st, idx);
}

static enum jm_rc write_sub(struct db *db, const struct sub *s)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "UPDATE subscriptions SET status = ?, consent_source = ?, "
	                            "consent_ip = ?, consent_text = ?, created_at = ?, "
	                            "updated_at = ?, confirmed_at = ?, unsubscribed_at = ?, "
	                            "consent_at = ? WHERE id = ?",
	                            "ttttii", s->status, s->consent_source, s->consent_ip,
	                            s->consent_text, s->created_at, s->updated_at);
	if (rc)
		return rc;
	bind_opt(st, 7, s->confirmed_at);
	bind_opt(st, 8, s->unsubscribed_at);
	bind_opt(st, 9, s->consent_at);
	db_bind_int(st, 10, s->id);
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc == JM_OK ? JM_DB : rc;
}

/* One list both are on (into's row ii, from's row fi). The row with the
 * better status stays (into's on a tie): it is the one recent mails were
 * sent for, so their unsubscribe links (signed with the subscription id)
 * keep working. It takes the earliest consent record and creation time;
 * the other row's deliveries are re-pointed before it goes. */
static enum jm_rc merge_sub_pair(struct db *db, struct arena *a, int64_t ii, int64_t fi)
{
	struct sub i, f;
	enum jm_rc rc = load_sub(db, a, ii, &i);
	if (rc == JM_OK)
		rc = load_sub(db, a, fi, &f);
	if (rc)
		return rc;
	bool from_wins = status_rank(f.status) < status_rank(i.status);
	struct sub k = from_wins ? f : i, d = from_wins ? i : f;
	if (d.consent_at && (!k.consent_at || d.consent_at < k.consent_at)) {
		k.consent_at = d.consent_at;
		k.consent_source = d.consent_source;
		k.consent_ip = d.consent_ip;
		k.consent_text = d.consent_text;
	}
	k.created_at = d.created_at < k.created_at ? d.created_at : k.created_at;
	rc = write_sub(db, &k);
	if (rc == JM_OK)
		rc = db_execf(db,
		              "UPDATE deliveries SET subscription_id = ? WHERE subscription_id = ?",
		              "ii", k.id, d.id);
	if (rc == JM_OK)
		rc = db_execf(db, "DELETE FROM subscriptions WHERE id = ?", "i", d.id);
	/* Links mailed for the dropped row resolve to the kept one. */
	if (rc == JM_OK)
		rc = db_execf(db, "UPDATE subscription_aliases SET new_id = ? WHERE new_id = ?",
		              "ii", k.id, d.id);
	if (rc == JM_OK)
		rc = db_execf(db, "INSERT INTO subscription_aliases(old_id, new_id) VALUES (?, ?)",
		              "ii", d.id, k.id);
	return rc;
}

static enum jm_rc merge_subscriptions(struct db *db, struct arena *a, int64_t into, int64_t from)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT i.id, f.id FROM subscriptions f JOIN subscriptions i "
	                            "ON i.list_id = f.list_id AND i.person_id = ? "
	                            "WHERE f.person_id = ?",
	                            "ii", into, from);
	int64_t *pairs = NULL;
	size_t n = 0;
	if (rc == JM_OK)
		rc = collect_ints(st, a, 2, &pairs, &n);
	for (size_t i = 0; i < n && !rc; i++)
		rc = merge_sub_pair(db, a, pairs[2 * i], pairs[2 * i + 1]);
	if (rc)
		return rc;
	return db_execf(db, "UPDATE subscriptions SET person_id = ? WHERE person_id = ?", "ii",
	                into, from);
}

/* ---- deliveries ---- */

static enum jm_rc merge_deliveries(struct db *db, struct arena *a, int64_t into, int64_t from)
{
	/* Where both got the same broadcast, the row further along stays
	 * (third column: from's row is ahead of into's). */
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT i.id, f.id, (CASE f.state WHEN 'sent' THEN 0 WHEN 'sending' THEN 1 "
	        "WHEN 'queued' THEN 2 WHEN 'failed' THEN 3 ELSE 4 END) < (CASE i.state "
	        "WHEN 'sent' THEN 0 WHEN 'sending' THEN 1 WHEN 'queued' THEN 2 WHEN 'failed' "
	        "THEN 3 ELSE 4 END) FROM deliveries f JOIN deliveries i ON "
	        "i.broadcast_id = f.broadcast_id AND i.person_id = ? "
	        "WHERE f.person_id = ? AND f.broadcast_id IS NOT NULL",
	        "ii", into, from);
	int64_t *rows = NULL;
	size_t n = 0;
	if (rc == JM_OK)
		rc = collect_ints(st, a, 3, &rows, &n);
	for (size_t i = 0; i < n && !rc; i++) {
		int64_t gone = rows[3 * i + 2] ? rows[3 * i] : rows[3 * i + 1];
		rc = db_execf(db, "DELETE FROM deliveries WHERE id = ?", "i", gone);
	}
	if (rc)
		return rc;
	return db_execf(db, "UPDATE deliveries SET person_id = ? WHERE person_id = ?", "ii", into,
	                from);
}

enum jm_rc nl_person_merge_move(struct db *db, int64_t into, int64_t from)
{
	struct arena *a = arena_new(4096);
	enum jm_rc rc = merge_subscriptions(db, a, into, from);
	if (rc == JM_OK)
		rc = merge_deliveries(db, a, into, from);
	arena_free(a);
	return rc;
}
