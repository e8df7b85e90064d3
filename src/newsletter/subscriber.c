/*
 * subscriber.c — the owner's view of subscribers: filtered, searched and
 * paginated lists, adding one by hand, bulk tag/untag/unsubscribe/erase,
 * and a person's history.
 *
 * Search stays fast at a million rows: a query of 3+ characters goes
 * through people_fts (trigram FTS5 over name and email, migration 0003;
 * detail=none, so it holds no positions: the query asks for
 * trigrams covering the text and LIKE then confirms the substring on the
 * hits), a shorter one is an email prefix range on the people.email UNIQUE
 * index or a name prefix range. The name part has no index of its own:
 * it scans people (tens of milliseconds at a million), because an index
 * on names cost a million-row import a tenth of its time.
 * The SQL of each filter combination is built once and kept for the life
 * of the process, because db_prepare caches statements by the address of
 * their text (so that text must never be freed or reused).
 *
 * PostgreSQL has no people_fts: the same LIKE decides alone (a scan of
 * people; pg_trgm, the only contrib index for it, needs three characters
 * and, under the C ctype the database runs with, sees no Japanese letter).
 * SQLite's LIKE ignores case for ASCII only, PostgreSQL's not at all:
 * lower() on both sides there, which under the C ctype also folds ASCII
 * only, gives the same rows.
 */
#include "auth/auth.h"
#include "newsletter/nl_int.h"
#include "people/people.h"

#define PER_PAGE_DEFAULT 50
#define PER_PAGE_MAX     200
#define TAGS_MAX         50
#define TAG_MAX          100 /* code points */
#define BULK_MAX         100000
#define EVENTS_MAX       500
#define PERSON_SUBS_MAX  200

enum {
	Q_FTS = 1,
	Q_PREFIX = 2,
	Q_LIST = 4,
	Q_STATUS = 8,
	Q_TAG = 16,
	Q_FIELD = 32,
	Q_COUNT = 64,
	Q_PG = 128, /* the PostgreSQL text of the same query */
	Q_VARIANTS = 256,
};

static char *sql_variant[Q_VARIANTS]; /* never freed: statement cache keys */

static void build_sql(unsigned mask, struct buf *b)
{
	bool search = mask & (Q_FTS | Q_PREFIX), count = mask & Q_COUNT;
	/* Without a search, the page walks subscriptions newest first by
	 * rowid ('+' keeps the planner off the list index, which would sort
	 * the whole list), and the count needs no join at all. */
	const char *plus = search || count || (mask & Q_PG) ? "" : "+"; /* unary + is SQLite's */
	enum jm_rc rc = buf_appends(
	        b, count ? "SELECT count(*) "
	                 : "SELECT p.id, s.id, p.email, p.name, s.status, l.slug, "
	                   "s.created_at, COALESCE(s.confirmed_at, 0), s.consent_source, "
	                   "s.consent_ip, s.consent_text, COALESCE(s.consent_at, 0) ");
	/* CROSS JOIN fixes the join order: drive from the few search hits. */
	if ((mask & Q_FTS) && !(mask & Q_PG))
		rc |= buf_appends(b,
		                  "FROM people_fts CROSS JOIN people p ON p.id = people_fts.rowid "
		                  "CROSS JOIN subscriptions s ON s.person_id = p.id ");
	else if (mask & (Q_PREFIX | Q_FTS))
		/* PostgreSQL has no CROSS JOIN … ON (and plans joins itself). */
		rc |= buf_appends(b, mask & Q_PG ? "FROM people p JOIN subscriptions s "
		                                   "ON s.person_id = p.id "
		                                 : "FROM people p CROSS JOIN subscriptions s "
		                                   "ON s.person_id = p.id ");
	else if (count)
		rc |= buf_appends(b, "FROM subscriptions s ");
	else
		rc |= buf_appends(b, "FROM subscriptions s JOIN people p ON p.id = s.person_id ");
	if (!(count && !search))
		rc |= buf_appends(b, "JOIN lists l ON l.id = s.list_id ");
	rc |= buf_appends(b, "WHERE 1 = 1");
	/* The same rows on both engines: see the opening comment. */
	if ((mask & Q_FTS) && !(mask & Q_PG))
		rc |= buf_appends(b, " AND people_fts MATCH ? AND (p.name LIKE ? ESCAPE '\\' "
		                     "OR p.email LIKE ? ESCAPE '\\')");
	else if (mask & Q_FTS)
		rc |= buf_appends(b, " AND (lower(p.name) LIKE lower(?) ESCAPE '\\' "
		                     "OR lower(p.email) LIKE lower(?) ESCAPE '\\')");
	if (mask & Q_PREFIX)
		rc |= buf_appends(b, " AND ((p.email >= ? AND p.email < ?) OR "
		                     "(p.name >= ? AND p.name < ?))");
	if (mask & Q_LIST)
		rc |= buf_appendf(b, " AND %ss.list_id = ?", plus);
	if (mask & Q_STATUS)
		rc |= buf_appendf(b, " AND %ss.status = ?", plus);
	if (mask & Q_TAG)
		rc |= buf_appends(b, " AND EXISTS (SELECT 1 FROM person_tags t "
		                     "WHERE t.person_id = s.person_id AND t.tag = ?)");
	if (mask & Q_FIELD)
		rc |= buf_appends(b, " AND EXISTS (SELECT 1 FROM person_fields pf WHERE "
		                     "pf.person_id = s.person_id AND pf.key = ? AND pf.value = ?)");
	if (!count)
		rc |= buf_appends(b, " ORDER BY s.id DESC LIMIT ? OFFSET ?");
	if (rc)
		abort(); /* uncapped buffer: only OOM, which aborts anyway */
}

static const char *sql_for(unsigned mask)
{
	return db_sql_variant(sql_variant, Q_VARIANTS, mask, build_sql);
}

/* The bound values of one query, in SQL order. */
struct qargs {
	unsigned mask;
	char fts[1024], like[420], lo[NL_EMAIL_MAX + 2], hi[NL_EMAIL_MAX + 6];
	char name_lo[NL_EMAIL_MAX + 2], name_hi[NL_EMAIL_MAX + 6]; /* short names (鈴木) */
};

/* Appends the trigram s[from, to) as an FTS5 string. */
static enum jm_rc fts_trigram(struct buf *b, const char *s, size_t from, size_t to)
{
	enum jm_rc rc = buf_appends(b, b->len ? " AND \"" : "\"");
	for (size_t i = from; i < to && !rc; i++)
		rc = s[i] == '"' ? buf_appends(b, "\"\"") : buf_appendc(b, s[i]);
	return rc ? rc : buf_appendc(b, '"');
}

/* The FTS5 query for a substring of 3+ characters: every third trigram
 * and the last one (together they cover the text), ANDed; and the LIKE
 * pattern that confirms the substring. */
static enum jm_rc fts_query(const char *s, size_t n, struct qargs *qa)
{
	size_t at[201], nc = 0; /* byte offset of each character, and the end */
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			at[nc++] = i;
	at[nc] = n;
	struct buf b = BUF_INIT;
	buf_init(&b, sizeof(qa->fts) - 1);
	enum jm_rc rc = JM_OK;
	for (size_t k = 0; k + 3 <= nc && !rc; k += 3)
		rc = fts_trigram(&b, s, at[k], at[k + 3]);
	if (!rc && nc % 3)
		rc = fts_trigram(&b, s, at[nc - 3], n);
	if (!rc)
		memcpy(qa->fts, buf_cstr(&b), b.len + 1);
	buf_free(&b);
	struct buf l = BUF_INIT;
	buf_init(&l, sizeof(qa->like) - 1);
	rc = rc ? rc : buf_appendc(&l, '%');
	for (size_t i = 0; i < n && !rc; i++) {
		if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
			rc = buf_appendc(&l, '\\');
		rc = rc ? rc : buf_appendc(&l, s[i]);
	}
	rc = rc ? rc : buf_appendc(&l, '%');
	if (!rc)
		memcpy(qa->like, buf_cstr(&l), l.len + 1);
	buf_free(&l);
	return rc ? JM_INVALID : JM_OK;
}

static enum jm_rc plan_query(struct db *db, const struct nl_subscriber_query *q, struct qargs *qa)
{
	memset(qa, 0, sizeof(*qa));
	qa->mask = db_engine(db) == DB_PG ? Q_PG : 0;
	const char *s = q->q ? q->q : "";
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	if (n > 200 || !utf8_valid(s, n))
		return JM_INVALID;
	if (n && utf8_count(s, n) >= 3) {
		if (fts_query(s, n, qa))
			return JM_INVALID;
		qa->mask |= Q_FTS;
	} else if (n) {
		for (size_t i = 0; i < n; i++)
			qa->lo[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
		qa->lo[n] = '\0';
		memcpy(qa->hi, qa->lo, n);
		/* Above every continuation of the prefix: U+10FFFF, the last
		 * code point (valid UTF-8, which PostgreSQL insists on; a
		 * noncharacter, never in a name or an address). */
		memcpy(qa->hi + n, "\xf4\x8f\xbf\xbf", 5);
		/* One or two characters are also a name prefix (a family name
		 * such as 鈴木 comes first). */
		memcpy(qa->name_lo, s, n);
		qa->name_lo[n] = '\0';
		memcpy(qa->name_hi, s, n);
		memcpy(qa->name_hi + n, "\xf4\x8f\xbf\xbf", 5);
		qa->mask |= Q_PREFIX;
	}
	qa->mask |= q->list_id ? Q_LIST : 0;
	qa->mask |= q->status && *q->status ? Q_STATUS : 0;
	qa->mask |= q->tag && *q->tag ? Q_TAG : 0;
	qa->mask |= q->field_key && *q->field_key ? Q_FIELD : 0;
	return JM_OK;
}

/* Binds the filters; returns the next free parameter index. */
static int bind_filters(struct db_stmt *st, const struct nl_subscriber_query *q,
                        const struct qargs *qa)
{
	int i = 1;
	if (qa->mask & Q_FTS) {
		if (!(qa->mask & Q_PG))
			db_bind_text(st, i++, qa->fts, SIZE_MAX);
		db_bind_text(st, i++, qa->like, SIZE_MAX);
		db_bind_text(st, i++, qa->like, SIZE_MAX);
	}
	if (qa->mask & Q_PREFIX) {
		db_bind_text(st, i++, qa->lo, SIZE_MAX);
		db_bind_text(st, i++, qa->hi, SIZE_MAX);
		db_bind_text(st, i++, qa->name_lo, SIZE_MAX);
		db_bind_text(st, i++, qa->name_hi, SIZE_MAX);
	}
	if (qa->mask & Q_LIST)
		db_bind_int(st, i++, q->list_id);
	if (qa->mask & Q_STATUS)
		db_bind_text(st, i++, q->status, SIZE_MAX);
	if (qa->mask & Q_TAG)
		db_bind_text(st, i++, q->tag, SIZE_MAX);
	if (qa->mask & Q_FIELD) {
		db_bind_text(st, i++, q->field_key, SIZE_MAX);
		db_bind_text(st, i++, q->field_val ? q->field_val : "", SIZE_MAX);
	}
	return i;
}

static enum jm_rc load_tags(struct db *db, struct arena *a, struct nl_subscriber *s)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT tag FROM person_tags WHERE person_id = ? ORDER BY tag",
	                    "i", s->person_id);
	if (rc)
		return rc;
	s->tags = arena_calloc(a, TAGS_MAX * sizeof(char *));
	while (s->ntags < TAGS_MAX && (rc = db_step(st)) == JM_OK)
		s->tags[s->ntags++] = db_col_dup(st, 0, a);
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

static void fill_subscriber(struct db_stmt *st, struct arena *a, struct nl_subscriber *s)
{
	s->person_id = db_col_int(st, 0);
	s->subscription_id = db_col_int(st, 1);
	s->email = db_col_dup(st, 2, a);
	s->name = db_col_dup(st, 3, a);
	s->status = db_col_dup(st, 4, a);
	s->list_slug = db_col_dup(st, 5, a);
	s->created_at = db_col_int(st, 6);
	s->confirmed_at = db_col_int(st, 7);
	s->consent_source = db_col_dup(st, 8, a);
	s->consent_ip = db_col_dup(st, 9, a);
	s->consent_text = db_col_dup(st, 10, a);
	s->consent_at = db_col_int(st, 11);
}

static enum jm_rc count_rows(struct db *db, const struct nl_subscriber_query *q,
                             const struct qargs *qa, int64_t *total)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, sql_for(qa->mask | Q_COUNT), &st);
	if (rc)
		return rc;
	bind_filters(st, q, qa);
	rc = db_step(st);
	*total = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc;
}

enum jm_rc nl_subscriber_list(struct db *db, struct arena *a, const struct nl_subscriber_query *q,
                              struct nl_subscriber **out, size_t *n, int64_t *total)
{
	struct qargs qa;
	*out = NULL;
	*n = 0;
	*total = 0;
	enum jm_rc rc = plan_query(db, q, &qa);
	if (!rc)
		rc = count_rows(db, q, &qa, total);
	if (rc)
		return rc;
	int per = q->per_page > 0 ? (q->per_page > PER_PAGE_MAX ? PER_PAGE_MAX : q->per_page)
	                          : PER_PAGE_DEFAULT;
	int64_t page = q->page > 0 ? q->page : 1;
	struct db_stmt *st = NULL;
	rc = db_prepare(db, sql_for(qa.mask), &st);
	if (rc)
		return rc;
	int i = bind_filters(st, q, &qa);
	db_bind_int(st, i, per);
	db_bind_int(st, i + 1, (page - 1) * per);
	struct nl_subscriber *v = arena_calloc(a, (size_t)per * sizeof(*v));
	size_t k = 0;
	while (k < (size_t)per && (rc = db_step(st)) == JM_OK)
		fill_subscriber(st, a, &v[k++]);
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	rc = JM_OK;
	for (size_t j = 0; j < k && !rc; j++)
		rc = load_tags(db, a, &v[j]);
	*out = v;
	*n = k;
	return rc;
}

/* ---- add by hand ---- */

static enum jm_rc add_tx(struct db *db, int64_t list_id, const char *email, const char *name,
                         int64_t *person_id, struct jm_err *err)
{
	int64_t now = jm_now(), pid = 0;
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT slug, consent_text FROM lists WHERE id = ? "
	                            "AND trashed_at IS NULL",
	                            "i", list_id);
	if (rc)
		return rc;
	rc = db_step(st);
	char *slug = rc == JM_OK ? xstrdup(db_col_text(st, 0, NULL)) : NULL;
	char *text = rc == JM_OK ? xstrdup(db_col_text(st, 1, NULL)) : NULL;
	db_finalize(st);
	if (rc != JM_OK) {
		jm_err_set(err, "list", "no such list");
		return rc == JM_DONE ? JM_NOT_FOUND : rc;
	}
	struct people_new pn = {
	        .email = email, .name = name, .source = "newsletter", .fill_name = true};
	rc = people_ensure(db, &pn, now, &pid, NULL, err);
	if (!rc)
		rc = db_execf(
		        db,
		        "INSERT INTO subscriptions(person_id, list_id, status, created_at, "
		        "updated_at, confirmed_at, consent_at, consent_source, consent_text) "
		        "VALUES (?, ?, 'active', ?, ?, ?, ?, 'admin', ?) "
		        "ON CONFLICT(person_id, list_id) DO UPDATE SET status = 'active', "
		        "updated_at = excluded.updated_at, confirmed_at = excluded.confirmed_at, "
		        "unsubscribed_at = NULL, consent_at = excluded.consent_at, "
		        "consent_source = 'admin', consent_ip = '', "
		        "consent_text = excluded.consent_text WHERE subscriptions.status != "
		        "'active'",
		        "iiiiiit", pid, list_id, now, now, now, now, text);
	if (!rc && db_changes(db) == 0) {
		jm_err_set(err, "email", "already subscribed to this list");
		rc = JM_CONFLICT;
	}
	if (!rc)
		rc = nl_event_add(db, pid, "subscribed", slug, now);
	if (!rc && person_id)
		*person_id = pid;
	free(slug);
	free(text);
	return rc;
}

enum jm_rc nl_subscriber_add(struct db *db, int64_t list_id, const char *email, const char *name,
                             int64_t *person_id, struct jm_err *err)
{
	char addr[NL_EMAIL_MAX + 2];
	if (!nl_email_norm(email, addr)) {
		jm_err_set(err, "email", "invalid email address");
		return JM_INVALID;
	}
	if (!nl_text_ok(name ? name : "", NL_NAME_MAX)) {
		jm_err_set(err, "name", "name: at most %d characters on one line", NL_NAME_MAX);
		return JM_INVALID;
	}
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = add_tx(db, list_id, addr, name ? name : "", person_id, err);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

/* ---- bulk ---- */

static enum jm_rc unsubscribe_person(struct db *db, int64_t person, int64_t list_id, int64_t now)
{
	int64_t ids[PERSON_SUBS_MAX];
	size_t k = 0;
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id FROM subscriptions WHERE person_id = ? "
	                            "AND (? = 0 OR list_id = ?) AND status != 'unsubscribed'",
	                            "iii", person, list_id, list_id);
	if (rc)
		return rc;
	while (k < PERSON_SUBS_MAX && (rc = db_step(st)) == JM_OK)
		ids[k++] = db_col_int(st, 0);
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	rc = JM_OK;
	for (size_t i = 0; i < k && !rc; i++)
		rc = nl_unsubscribe_tx(db, ids[i], now, "admin");
	return rc;
}

/* Removes the person and everything that cascades from it, and the
 * sign-up attempts that name the address. */
static enum jm_rc erase_person(struct db *db, int64_t person)
{
	enum jm_rc rc = auth_rate_forget_person(db, person);
	if (!rc)
		rc = people_delete(db, person);
	return rc == JM_NOT_FOUND ? JM_OK : rc; /* erased already */
}

static enum jm_rc bulk_one(struct db *db, enum nl_bulk_op op, int64_t person, int64_t list_id,
                           const char *arg, int64_t now)
{
	switch (op) {
	case NL_BULK_TAG: return people_tag_add(db, person, arg, NULL);
	case NL_BULK_UNTAG: return people_tag_remove(db, person, arg);
	case NL_BULK_UNSUBSCRIBE: return unsubscribe_person(db, person, list_id, now);
	case NL_BULK_ERASE: return erase_person(db, person);
	}
	return JM_INVALID;
}

enum jm_rc nl_bulk(struct db *db, enum nl_bulk_op op, const int64_t *person_ids, size_t n,
                   int64_t list_id, const char *arg)
{
	if (op != NL_BULK_TAG && op != NL_BULK_UNTAG && op != NL_BULK_UNSUBSCRIBE &&
	    op != NL_BULK_ERASE)
		return JM_INVALID;
	if ((op == NL_BULK_TAG || op == NL_BULK_UNTAG) &&
	    (!arg || !*arg || !nl_text_ok(arg, TAG_MAX)))
		return JM_INVALID;
	if (n > BULK_MAX)
		return JM_TOO_LARGE;
	int64_t now = jm_now();
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && !rc; i++)
		rc = bulk_one(db, op, person_ids[i], list_id, arg, now);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

/* ---- history ---- */

enum jm_rc nl_person_events(struct db *db, struct arena *a, int64_t person_id,
                            struct nl_event **out, size_t *n)
{
	struct db_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	enum jm_rc rc =
	        db_preparef(db, &st,
	                    "SELECT kind, detail, created_at FROM person_events "
	                    "WHERE person_id = ? ORDER BY created_at DESC, id DESC LIMIT 500",
	                    "i", person_id);
	if (rc)
		return rc;
	struct nl_event *v = arena_calloc(a, EVENTS_MAX * sizeof(*v));
	size_t k = 0;
	while (k < EVENTS_MAX && (rc = db_step(st)) == JM_OK) {
		v[k].kind = db_col_dup(st, 0, a);
		v[k].detail = db_col_dup(st, 1, a);
		v[k++].at = db_col_int(st, 2);
	}
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	*out = v;
	*n = k;
	return JM_OK;
}
