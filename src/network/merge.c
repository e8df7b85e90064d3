/*
 * merge.c — folding one person into another without losing anything, in
 * one transaction (net_person_merge).
 *
 * What `into` ends up with:
 * - scalar fields (name, furigana, company, title, source, touch_days):
 *   its own, or from's where its own is empty; email likewise (from's
 *   email is cleared first: people.email is UNIQUE; when into keeps its
 *   own, from's survives in the "merged" event);
 * - notes, can_offer, looking_for: both texts joined by a "---" line
 *   (a Markdown rule in the notes); the length limits of net_person_input
 *   do not apply to a joined text, nothing is cut;
 * - the higher stage (a stage_changes row records a rise), either flag,
 *   the earliest created_at, the latest last contact;
 * - links and tags: the union (a link with the same URL is kept once);
 * - custom fields: its own value on a clash, from's under "key (2)"
 *   (or the next free "key (n)");
 * - subscriptions: from's move over; on a list both are on, the row with
 *   the better status (active > pending > unsubscribed > bounced) stays,
 *   with the earliest consent record of the two; deliveries of the dropped
 *   row are re-pointed first (they would cascade away). Unsubscribe links
 *   in mails sent for the dropped row (the worse status) stop resolving;
 * - deliveries: from's move over; where both got the same broadcast
 *   (UNIQUE(broadcast_id, person_id)) the one further along is kept
 *   (sent > sending > queued > failed > cancelled);
 * - person_events, stage_changes, messages, interactions, users;
 * - introductions: every side pointing at from points at into; rows that
 *   become self-introductions (the two were introduced to each other) go;
 * - a "merged" event naming from (id, name, email), and a search_dirty row.
 */
#include <ctype.h>
#include <strings.h>

#include "network/network.h"

#include "db/db.h"
#include "newsletter/newsletter.h"

#define SEP        "\n\n---\n\n"
#define SUFFIX_MAX 1000 /* "key (2)" … "key (1000)" */

struct prow {
	int64_t id;
	const char *email; /* "" for none */
	const char *name, *furigana, *company, *title, *source, *stage;
	const char *notes, *can_offer, *looking_for;
	bool freeloader, blocked, has_touch;
	int64_t created_at, stage_at, last_contact_at, touch_days, engagement;
};

static enum jm_rc load_person(struct db *db, struct arena *a, int64_t id, const char *field,
                              struct prow *p, struct jm_err *err)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT COALESCE(email, ''), name, furigana, company, title, source, "
	                    "stage, notes_md, "
	                    "can_offer, looking_for, freeloader, blocked, touch_days IS NOT NULL, "
	                    "COALESCE(touch_days, 0), created_at, COALESCE(stage_at, created_at), "
	                    "COALESCE(last_contact_at, 0), engagement FROM people WHERE id = ?",
	                    "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK) {
		const char **s[] = {&p->email,     &p->name,       &p->furigana, &p->company,
		                    &p->title,     &p->source,     &p->stage,    &p->notes,
		                    &p->can_offer, &p->looking_for};
		for (int i = 0; i < 10; i++)
			*s[i] = db_col_dup(st, i, a);
		p->id = id;
		p->freeloader = db_col_int(st, 10);
		p->blocked = db_col_int(st, 11);
		p->has_touch = db_col_int(st, 12);
		p->touch_days = db_col_int(st, 13);
		p->created_at = db_col_int(st, 14);
		p->stage_at = db_col_int(st, 15);
		p->last_contact_at = db_col_int(st, 16);
		p->engagement = db_col_int(st, 17);
	}
	db_finalize(st);
	if (rc == JM_DONE) {
		jm_err_set(err, field, "no such person");
		return JM_NOT_FOUND;
	}
	return rc;
}

static const char *pick(const char *mine, const char *theirs)
{
	return *mine ? mine : theirs;
}

static const char *join_text(struct arena *a, const char *mine, const char *theirs)
{
	if (!*theirs || !strcmp(mine, theirs))
		return mine;
	if (!*mine)
		return theirs;
	return arena_sprintf(a, "%s" SEP "%s", mine, theirs);
}

/* Folds from's row into m (a copy of into's). */
static void fold_row(struct arena *a, struct prow *m, const struct prow *f)
{
	m->name = pick(m->name, f->name);
	m->furigana = pick(m->furigana, f->furigana);
	m->company = pick(m->company, f->company);
	m->title = pick(m->title, f->title);
	m->source = pick(m->source, f->source);
	m->email = pick(m->email, f->email);
	m->notes = join_text(a, m->notes, f->notes);
	m->can_offer = join_text(a, m->can_offer, f->can_offer);
	m->looking_for = join_text(a, m->looking_for, f->looking_for);
	m->freeloader = m->freeloader || f->freeloader;
	m->blocked = m->blocked || f->blocked;
	if (!m->has_touch) {
		m->has_touch = f->has_touch;
		m->touch_days = f->touch_days;
	}
	m->created_at = f->created_at < m->created_at ? f->created_at : m->created_at;
	if (f->last_contact_at > m->last_contact_at)
		m->last_contact_at = f->last_contact_at;
	if (f->engagement > m->engagement)
		m->engagement = f->engagement;
}

static enum jm_rc write_row(struct db *db, const struct prow *m, int64_t now)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "UPDATE people SET email = ?, name = ?, furigana = ?, company = ?, title = ?, "
	        "source = ?, stage = ?, notes_md = ?, can_offer = ?, looking_for = ?, freeloader = "
	        "?, "
	        "blocked = ?, touch_days = ?, created_at = ?, stage_at = ?, last_contact_at = ?, "
	        "engagement = ?, updated_at = ? WHERE id = ?",
	        "tttttttttt", *m->email ? m->email : NULL, m->name, m->furigana, m->company,
	        m->title, m->source, m->stage, m->notes, m->can_offer, m->looking_for);
	if (rc)
		return rc;
	db_bind_int(st, 11, m->freeloader);
	db_bind_int(st, 12, m->blocked);
	if (m->has_touch)
		db_bind_int(st, 13, m->touch_days);
	else
		db_bind_null(st, 13);
	db_bind_int(st, 14, m->created_at);
	db_bind_int(st, 15, m->stage_at);
	if (m->last_contact_at)
		db_bind_int(st, 16, m->last_contact_at);
	else
		db_bind_null(st, 16);
	db_bind_int(st, 17, m->engagement);
	db_bind_int(st, 18, now);
	db_bind_int(st, 19, m->id);
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc == JM_OK ? JM_DB : rc;
}

/* The people row of into, with the stage rise recorded. */
static enum jm_rc merge_row(struct db *db, struct arena *a, const struct prow *in,
                            const struct prow *f, int64_t now)
{
	struct prow m = *in;
	fold_row(a, &m, f);
	enum jm_rc rc = JM_OK;
	if (net_stage_rank(f->stage) > net_stage_rank(in->stage)) {
		m.stage = f->stage;
		m.stage_at = now;
		rc = db_execf(db,
		              "INSERT INTO stage_changes(person_id, from_stage, to_stage, reason, "
		              "created_at) VALUES (?, ?, ?, 'merge', ?)",
		              "itti", in->id, in->stage, f->stage, now);
	}
	/* people.email is UNIQUE: from lets go of it before into takes it. */
	if (rc == JM_OK && *f->email)
		rc = db_execf(db, "UPDATE people SET email = NULL WHERE id = ?", "i", f->id);
	return rc ? rc : write_row(db, &m, now);
}

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

/* ---- custom fields ---- */

static enum jm_rc key_taken(struct db *db, int64_t into, int64_t from, const char *key, bool *taken)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT 1 FROM person_fields WHERE person_id IN (?, ?) AND key = ?", "iit",
	        into, from, key);
	if (rc)
		return rc;
	rc = db_step(st);
	db_finalize(st);
	*taken = rc == JM_OK;
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

/* Renames from's field key to the first free "key (n)", n ≥ 2. */
static enum jm_rc rename_clash(struct db *db, struct arena *a, int64_t into, int64_t from,
                               const char *key)
{
	for (int i = 2; i <= SUFFIX_MAX; i++) {
		const char *alt = arena_sprintf(a, "%s (%d)", key, i);
		bool taken = false;
		enum jm_rc rc = key_taken(db, into, from, alt, &taken);
		if (rc)
			return rc;
		if (!taken)
			return db_execf(
			        db,
			        "UPDATE person_fields SET key = ? WHERE person_id = ? AND key = ?",
			        "tit", alt, from, key);
	}
	return JM_CONFLICT;
}

static enum jm_rc merge_fields(struct db *db, struct arena *a, int64_t into, int64_t from)
{
	/* The same value under the same key is simply the same fact. */
	enum jm_rc rc =
	        db_execf(db,
	                 "DELETE FROM person_fields WHERE person_id = ? AND EXISTS (SELECT 1 "
	                 "FROM person_fields i WHERE i.person_id = ? AND "
	                 "i.key = person_fields.key AND i.value = person_fields.value)",
	                 "ii", from, into);
	struct db_stmt *st = NULL;
	if (rc == JM_OK)
		rc = db_preparef(
		        db, &st,
		        "SELECT f.key FROM person_fields f WHERE f.person_id = ? AND EXISTS "
		        "(SELECT 1 FROM person_fields i WHERE i.person_id = ? AND "
		        "i.key = f.key) ORDER BY f.key",
		        "ii", from, into);
	if (rc)
		return rc;
	const char *keys[64];
	size_t n = 0;
	while (n < 64 && (rc = db_step(st)) == JM_OK)
		keys[n++] = db_col_dup(st, 0, a);
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	if (n == 64)
		return JM_TOO_LARGE; /* more clashes than any person has fields */
	rc = JM_OK;
	for (size_t i = 0; i < n && !rc; i++)
		rc = rename_clash(db, a, into, from, keys[i]);
	if (rc)
		return rc;
	return db_execf(db, "UPDATE person_fields SET person_id = ? WHERE person_id = ?", "ii",
	                into, from);
}

/* ---- links and tags ---- */

static enum jm_rc merge_links(struct db *db, struct arena *a, int64_t into, int64_t from)
{
	(void)a;
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT COALESCE(max(position) + 1, 0) FROM person_links "
	                            "WHERE person_id = ?",
	                            "i", into);
	if (rc)
		return rc;
	rc = db_step(st);
	int64_t offset = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	if (rc != JM_OK)
		return rc == JM_DONE ? JM_DB : rc;
	rc = db_execf(db,
	              "DELETE FROM person_links WHERE person_id = ? AND url IN "
	              "(SELECT url FROM person_links WHERE person_id = ?)",
	              "ii", from, into);
	if (rc)
		return rc;
	return db_execf(db,
	                "UPDATE person_links SET person_id = ?, position = position + ? "
	                "WHERE person_id = ?",
	                "iii", into, offset, from);
}

static enum jm_rc merge_tags(struct db *db, struct arena *a, int64_t into, int64_t from)
{
	(void)a;
	enum jm_rc rc = db_execf(db,
	                         "DELETE FROM person_tags WHERE person_id = ? AND tag IN "
	                         "(SELECT tag FROM person_tags WHERE person_id = ?)",
	                         "ii", from, into);
	if (rc)
		return rc;
	return db_execf(db, "UPDATE person_tags SET person_id = ? WHERE person_id = ?", "ii", into,
	                from);
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

/* ---- rows that simply change hands ---- */

static enum jm_rc move_rows(struct db *db, struct arena *a, int64_t into, int64_t from)
{
	(void)a;
	static const char *const sql[] = {
	        "UPDATE person_events SET person_id = ? WHERE person_id = ?",
	        "UPDATE stage_changes SET person_id = ? WHERE person_id = ?",
	        "UPDATE messages SET person_id = ? WHERE person_id = ?",
	        "UPDATE interactions SET person_id = ? WHERE person_id = ?",
	        "UPDATE users SET person_id = ? WHERE person_id = ?",
	        "UPDATE introductions SET introducer_id = ? WHERE introducer_id = ?",
	        "UPDATE introductions SET person_id = ? WHERE person_id = ?",
	        "UPDATE introductions SET to_id = ? WHERE to_id = ?",
	};
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && !rc; i++)
		rc = db_execf(db, sql[i], "ii", into, from);
	if (rc)
		return rc;
	/* An introduction between the two is now one of into with itself. */
	return db_execf(db,
	                "DELETE FROM introductions WHERE (introducer_id = ? AND (person_id = ? OR "
	                "to_id = ?)) OR (person_id = ? AND to_id = ?)",
	                "iiiii", into, into, into, into, into);
}

static enum jm_rc finish(struct db *db, struct arena *a, const struct prow *f, int64_t into,
                         int64_t now)
{
	char *detail = arena_sprintf(a, "#%lld %s%s%s%s", (long long)f->id, f->name,
	                             *f->email ? " <" : "", f->email, *f->email ? ">" : "");
	detail[utf8_truncate(detail, strlen(detail), 2000)] = '\0';
	enum jm_rc rc = net_event_add(db, into, "merged", detail, now);
	if (rc == JM_OK)
		rc = db_execf(db, "DELETE FROM people WHERE id = ?", "i", f->id);
	if (rc == JM_OK)
		rc = nl_person_mark_search(db, into);
	return rc;
}

typedef enum jm_rc (*merge_step)(struct db *, struct arena *, int64_t, int64_t);

enum jm_rc net_person_merge(struct db *db, int64_t into, int64_t from, int64_t now,
                            struct jm_err *err)
{
	static const merge_step steps[] = {merge_fields,        merge_links,      merge_tags,
	                                   merge_subscriptions, merge_deliveries, move_rows};
	if (into == from) {
		jm_err_set(err, "from", "a person cannot be merged into themselves");
		return JM_INVALID;
	}
	struct arena *a = arena_new(8192);
	struct prow pi, pf;
	enum jm_rc rc = db_begin(db);
	if (rc)
		goto out;
	rc = load_person(db, a, into, "into", &pi, err);
	if (rc == JM_OK)
		rc = load_person(db, a, from, "from", &pf, err);
	if (rc == JM_OK)
		rc = merge_row(db, a, &pi, &pf, now);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && rc == JM_OK; i++)
		rc = steps[i](db, a, into, from);
	if (rc == JM_OK)
		rc = finish(db, a, &pf, into, now);
	rc = db_end(db, rc);
out:
	arena_free(a);
	return rc;
}

/* ---- likely duplicates ----
 * One scan of people in id order, two hash tables from a key to the first
 * (lowest) id that had it: a Gmail address with dots and "+tag" taken out
 * of the local part (other addresses are UNIQUE already), and the
 * NFKC-folded name + company with spaces taken out (both non-empty). Each
 * later person with a known key pairs with that first id, so a group of k
 * gives k - 1 pairs and the work stays linear — but it reads every person
 * (about 0.6 s for 200,000 in a sanitizer build): call it off the event
 * loop (http_defer). */

struct dup_slot {
	const char *key;
	int64_t id;
};
struct dup_table {
	struct dup_slot *v;
	size_t mask, used;
};

static uint64_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void table_put(struct dup_table *t, const char *key, int64_t id)
{
	size_t i = key_hash(key) & t->mask;
	while (t->v[i].key)
		i = (i + 1) & t->mask;
	t->v[i] = (struct dup_slot){key, id};
	t->used++;
}

static void table_grow(struct dup_table *t)
{
	struct dup_table old = *t;
	size_t size = old.v ? (old.mask + 1) * 2 : 1024;
	t->v = xcalloc(size, sizeof(*t->v));
	t->mask = size - 1;
	t->used = 0;
	for (size_t i = 0; old.v && i <= old.mask; i++)
		if (old.v[i].key)
			table_put(t, old.v[i].key, old.v[i].id);
	free(old.v);
}

/* The id stored under key, or 0 after storing id under a copy of key. */
static int64_t table_first(struct dup_table *t, struct arena *a, const char *key, int64_t id)
{
	if (!t->v || 2 * (t->used + 1) > t->mask + 1)
		table_grow(t);
	size_t i = key_hash(key) & t->mask;
	for (; t->v[i].key; i = (i + 1) & t->mask)
		if (!strcmp(t->v[i].key, key))
			return t->v[i].id;
	t->v[i] = (struct dup_slot){arena_strdup(a, key), id};
	t->used++;
	return 0;
}

/* Gmail ignores case, dots and everything after '+' in the local part,
 * and googlemail.com is the same mailbox. false for other addresses. */
static bool gmail_key(const char *email, char out[320])
{
	const char *at = strrchr(email, '@');
	if (!at || (strcasecmp(at + 1, "gmail.com") && strcasecmp(at + 1, "googlemail.com")))
		return false;
	size_t n = 0;
	for (const char *p = email; p < at && *p != '+' && n < 300; p++)
		if (*p != '.')
			out[n++] = (char)tolower((unsigned char)*p);
	snprintf(out + n, 320 - n, "@gmail.com");
	return true;
}

/* Appends the folded s with spaces removed; false when nothing is left. */
static enum jm_rc fold_compact(const char *s, struct buf *b, bool *empty)
{
	size_t start = b->len;
	enum jm_rc rc = jm_fold(s, strlen(s), b);
	if (rc || b->len == start) {
		*empty = true;
		return rc;
	}
	size_t w = start;
	for (size_t r = start; r < b->len; r++)
		if (b->ptr[r] != ' ' && b->ptr[r] != '\t' && b->ptr[r] != '\n' && b->ptr[r] != '\r')
			b->ptr[w++] = b->ptr[r];
	b->len = w;
	b->ptr[w] = '\0';
	*empty = w == start;
	return JM_OK;
}

/* "name\x1fcompany", folded; false when either is empty. */
static enum jm_rc name_key(const char *name, const char *company, struct buf *b, bool *ok)
{
	bool e1 = true, e2 = true;
	buf_reset(b);
	enum jm_rc rc = fold_compact(name, b, &e1);
	if (rc == JM_OK && !e1)
		rc = buf_appendc(b, '\x1f');
	if (rc == JM_OK && !e1)
		rc = fold_compact(company, b, &e2);
	*ok = !e1 && !e2;
	return rc == JM_TOO_LARGE ? JM_OK : rc; /* a giant name matches nothing */
}

struct dup_scan {
	struct dup_table email, name;
	struct arena *tmp;
	struct buf key;
	struct net_dup *out;
	size_t n, max;
};

static void dup_row(struct dup_scan *s, int64_t id, const char *email, const char *name,
                    const char *company)
{
	char gk[320];
	int64_t by_email = 0, by_name = 0;
	if (gmail_key(email, gk))
		by_email = table_first(&s->email, s->tmp, gk, id);
	bool ok = false;
	if (name_key(name, company, &s->key, &ok) == JM_OK && ok)
		by_name = table_first(&s->name, s->tmp, buf_cstr(&s->key), id);
	if (by_email && s->n < s->max)
		s->out[s->n++] = (struct net_dup){by_email, id, "email"};
	if (by_name && by_name != by_email && s->n < s->max)
		s->out[s->n++] = (struct net_dup){by_name, id, "name_company"};
}

enum jm_rc net_duplicates(struct db *db, struct arena *a, size_t max, struct net_dup **out,
                          size_t *n)
{
	struct dup_scan s = {.max = max == 0 ? 100 : max > 10000 ? 10000 : max};
	s.out = arena_calloc(a, s.max * sizeof(*s.out));
	s.tmp = arena_new(1 << 16);
	buf_init(&s.key, 4096);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db,
	                           "SELECT id, COALESCE(email, ''), name, company FROM people "
	                           "ORDER BY id",
	                           &st);
	if (rc)
		goto out;
	while (s.n < s.max && (rc = db_step(st)) == JM_OK)
		dup_row(&s, db_col_int(st, 0), db_col_text(st, 1, NULL), db_col_text(st, 2, NULL),
		        db_col_text(st, 3, NULL));
	db_finalize(st);
	rc = rc == JM_DONE || rc == JM_OK ? JM_OK : rc;
out:
	*out = s.out;
	*n = s.n;
	free(s.email.v);
	free(s.name.v);
	buf_free(&s.key);
	arena_free(s.tmp);
	return rc;
}
