/*
 * merge.c — folding one person into another without losing anything, in
 * one transaction (people_merge).
 *
 * What `into` ends up with, from this module:
 * - scalar fields (name, furigana, company, title, source, touch_days):
 *   its own, or from's where its own is empty; email likewise (from's
 *   email is cleared first: people.email is UNIQUE; when into keeps its
 *   own, from's survives in the "merged" event);
 * - notes, can_offer, looking_for: both texts joined by a "---" line
 *   (a Markdown rule in the notes); nothing is cut;
 * - the higher stage (a stage_changes row records a rise), either flag,
 *   the earliest created_at, the latest last contact;
 * - links and tags: the union (a link with the same URL is kept once);
 * - custom fields: its own value on a clash, from's under "key (2)"
 *   (or the next free "key (n)");
 * - person_events and stage_changes move over;
 * - every other owner's rows (subscriptions, deliveries, messages,
 *   interactions, introductions, users) move by the owner's own function,
 *   passed in by the caller (a higher module: people/ includes none);
 * - a "merged" event naming from (id, name, email), and a search mark.
 */
#include "people/people.h"

#include "db/db.h"

#define SEP        "\n\n---\n\n"
#define SUFFIX_MAX 1000 /* "key (2)" … "key (1000)" */

static int stage_rank(const char *s)
{
	static const char *const order[] = {"reader", "fan", "acquaintance", "network"};
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, order[i]))
			return i;
	return -1;
}

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
	if (stage_rank(f->stage) > stage_rank(in->stage)) {
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

/* ---- rows that simply change hands ---- */

static enum jm_rc move_rows(struct db *db, struct arena *a, int64_t into, int64_t from)
{
	(void)a;
	enum jm_rc rc = db_execf(db, "UPDATE person_events SET person_id = ? WHERE person_id = ?",
	                         "ii", into, from);
	if (rc == JM_OK)
		rc = db_execf(db, "UPDATE stage_changes SET person_id = ? WHERE person_id = ?",
		              "ii", into, from);
	return rc;
}

static enum jm_rc finish(struct db *db, struct arena *a, const struct prow *f, int64_t into,
                         int64_t now)
{
	char *detail = arena_sprintf(a, "#%lld %s%s%s%s", (long long)f->id, f->name,
	                             *f->email ? " <" : "", f->email, *f->email ? ">" : "");
	detail[utf8_truncate(detail, strlen(detail), 2000)] = '\0';
	enum jm_rc rc = people_event_add(db, into, "merged", detail, now);
	if (rc == JM_OK)
		rc = db_execf(db, "DELETE FROM people WHERE id = ?", "i", f->id);
	if (rc == JM_OK)
		rc = people_search_mark(db, into);
	return rc;
}

typedef enum jm_rc (*merge_step)(struct db *, struct arena *, int64_t, int64_t);

static enum jm_rc merge_tx(struct db *db, struct arena *a, int64_t into, int64_t from, int64_t now,
                           const struct people_merge_owner *owners, size_t n, struct jm_err *err)
{
	static const merge_step steps[] = {merge_fields, merge_links, merge_tags, move_rows};
	struct prow pi, pf;
	enum jm_rc rc = load_person(db, a, into, "into", &pi, err);
	if (rc == JM_OK)
		rc = load_person(db, a, from, "from", &pf, err);
	if (rc == JM_OK)
		rc = merge_row(db, a, &pi, &pf, now);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && rc == JM_OK; i++)
		rc = steps[i](db, a, into, from);
	/* Each owner moves its rows before from goes: they would cascade away. */
	for (size_t i = 0; i < n && rc == JM_OK; i++)
		rc = owners[i].move(db, into, from);
	if (rc == JM_OK)
		rc = finish(db, a, &pf, into, now);
	return rc;
}

enum jm_rc people_merge(struct db *db, int64_t into, int64_t from, int64_t now,
                        const struct people_merge_owner *owners, size_t nowners, struct jm_err *err)
{
	if (into == from) {
		jm_err_set(err, "from", "a person cannot be merged into themselves");
		return JM_INVALID;
	}
	struct arena *a = arena_new(8192);
	enum jm_rc rc = db_begin(db);
	if (rc == JM_OK)
		rc = db_end(db, merge_tx(db, a, into, from, now, owners, nowners, err));
	arena_free(a);
	return rc;
}
