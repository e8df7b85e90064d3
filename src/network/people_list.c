/*
 * people_list.c — the people list: filters (stage, tag, flag, source
 * prefix, last contact before/after), four sorts and pagination.
 *
 * Each sort is written so that SQLite walks an index of 0005 in order and
 * stops after the page instead of sorting every row:
 *   engagement    people_stage_engagement (with a stage) or people_engagement
 *   last contact  people_stage_contact backwards (with a stage; NULL, never
 *                 contacted, sorts lowest so it comes last)
 *   created       the rowid backwards (ids grow with creation)
 * A tag filter instead starts from the tag's rows (person_tags_tag) and
 * sorts them. The name sort (furigana, then name) sorts the filtered rows:
 * an index on furigana cost every subscriber import, and most people have
 * no furigana. Without a stage, the last-contact sort and the flag and
 * source filters have no index of their own and read every person (tens
 * of milliseconds at 200,000).
 * The total is a count over the same filters, which with a stage alone is
 * a count of one range of the people_stage index.
 * The SQL of each filter combination is built once and kept for the life
 * of the process: db_prepare caches statements by the address of their
 * text, so that text must never be freed or reused.
 */
#include "network/people_int.h"

#define PER_PAGE_DEFAULT 50
#define PER_PAGE_MAX     200

enum {
	F_STAGE = 1,
	F_TAG = 2,
	F_FREELOADER = 4,
	F_BLOCKED = 8,
	F_NOFLAG = 16,
	F_SOURCE = 32,
	F_BEFORE = 64,
	F_AFTER = 128,
	F_COUNT = 256,
	F_SORT_SHIFT = 9, /* two bits of enum net_sort */
	F_PG = 2048,      /* the PostgreSQL text of the same query */
	F_VARIANTS = 4096,
};

static char *sql_variant[F_VARIANTS]; /* never freed: statement cache keys */

/* The name sort is by 読み: furigana_key is the furigana with katakana as
 * hiragana (kept by triggers, migration 0012), so ひらがな and カタカナ
 * readings sort together on both engines. PostgreSQL puts NULLs first in a
 * descending sort, SQLite last: never contacted must come last on both. */
static const char *order_by(enum net_sort s, bool pg)
{
	switch (s) {
	case NET_SORT_NAME: return " ORDER BY p.furigana_key, p.furigana, p.name, p.id";
	case NET_SORT_LAST_CONTACT:
		return pg ? " ORDER BY p.last_contact_at DESC NULLS LAST, p.id DESC"
		          : " ORDER BY p.last_contact_at DESC, p.id DESC";
	case NET_SORT_CREATED: return " ORDER BY p.id DESC";
	case NET_SORT_ENGAGEMENT: break;
	}
	return " ORDER BY p.engagement DESC, p.id";
}

static void build_sql(unsigned mask, struct buf *b)
{
	if ((mask & ~F_PG) == (F_TAG | F_COUNT)) {
		/* Every tag row has its person (foreign key): count the index. */
		if (buf_appends(b, "SELECT count(*) FROM person_tags t WHERE t.tag = ?"))
			abort();
		return;
	}
	enum jm_rc rc =
	        buf_appends(b, mask & F_COUNT ? "SELECT count(*)" : "SELECT " NET_PERSON_COLS_LIST);
	/* A tag drives the query from its few rows of person_tags_tag (CROSS
	 * JOIN fixes the order: otherwise SQLite may scan every person and
	 * probe the tag list; PostgreSQL has no CROSS JOIN … ON and plans the
	 * join itself); the page is then sorted. */
	if (mask & F_TAG)
		rc |= buf_appends(b, mask & F_PG ? " FROM person_tags t JOIN people p "
		                                   "ON p.id = t.person_id WHERE t.tag = ?"
		                                 : " FROM person_tags t CROSS JOIN people p "
		                                   "ON p.id = t.person_id WHERE t.tag = ?");
	else
		rc |= buf_appends(b, " FROM people p WHERE 1 = 1");
	if (mask & F_STAGE)
		rc |= buf_appends(b, " AND p.stage = ?");
	if (mask & F_FREELOADER)
		rc |= buf_appends(b, " AND p.freeloader = 1");
	if (mask & F_BLOCKED)
		rc |= buf_appends(b, " AND p.blocked = 1");
	if (mask & F_NOFLAG)
		rc |= buf_appends(b, " AND p.freeloader = 0 AND p.blocked = 0");
	if (mask & F_SOURCE)
		rc |= buf_appends(b, " AND p.source >= ? AND p.source < ?");
	if (mask & F_BEFORE)
		rc |= buf_appends(b, " AND (p.last_contact_at < ? OR p.last_contact_at IS NULL)");
	if (mask & F_AFTER)
		rc |= buf_appends(b, " AND p.last_contact_at >= ?");
	if (!(mask & F_COUNT)) {
		rc |= buf_appends(b, order_by((enum net_sort)((mask >> F_SORT_SHIFT) & 3),
		                              (mask & F_PG) != 0));
		rc |= buf_appends(b, " LIMIT ? OFFSET ?");
	}
	if (rc)
		abort(); /* uncapped buffer: only OOM, which aborts anyway */
}

static const char *sql_for(unsigned mask)
{
	return db_sql_variant(sql_variant, F_VARIANTS, mask, build_sql);
}

/* The filter bits of q; JM_INVALID for an unknown stage, flag or sort. */
static enum jm_rc plan(const struct net_people_query *q, unsigned *mask)
{
	unsigned m = 0;
	if (q->stage && *q->stage) {
		if (!net_stage_valid(q->stage))
			return JM_INVALID;
		m |= F_STAGE;
	}
	m |= q->tag && *q->tag ? F_TAG : 0;
	if (q->flag && *q->flag) {
		if (!strcmp(q->flag, "freeloader"))
			m |= F_FREELOADER;
		else if (!strcmp(q->flag, "blocked"))
			m |= F_BLOCKED;
		else if (!strcmp(q->flag, "none"))
			m |= F_NOFLAG;
		else
			return JM_INVALID;
	}
	if (q->source && *q->source) {
		if (strlen(q->source) > 200)
			return JM_INVALID;
		m |= F_SOURCE;
	}
	m |= q->contact_before > 0 ? F_BEFORE : 0;
	m |= q->contact_after > 0 ? F_AFTER : 0;
	if ((unsigned)q->sort > NET_SORT_CREATED)
		return JM_INVALID;
	*mask = m | (unsigned)q->sort << F_SORT_SHIFT;
	return JM_OK;
}

/* Binds the filters; returns the next free parameter index. hi holds the
 * source prefix's upper bound: the prefix followed by U+10FFFF, above every
 * continuation (and valid UTF-8, which PostgreSQL insists on). */
static int bind_filters(struct db_stmt *st, const struct net_people_query *q, unsigned mask,
                        char hi[206])
{
	int i = 1;
	if (mask & F_TAG)
		db_bind_text(st, i++, q->tag, SIZE_MAX);
	if (mask & F_STAGE)
		db_bind_text(st, i++, q->stage, SIZE_MAX);
	if (mask & F_SOURCE) {
		size_t n = strlen(q->source);
		memcpy(hi, q->source, n);
		memcpy(hi + n, "\xf4\x8f\xbf\xbf", 5);
		db_bind_text(st, i++, q->source, SIZE_MAX);
		db_bind_text(st, i++, hi, n + 4);
	}
	if (mask & F_BEFORE)
		db_bind_int(st, i++, q->contact_before);
	if (mask & F_AFTER)
		db_bind_int(st, i++, q->contact_after);
	return i;
}

static enum jm_rc count_rows(struct db *db, const struct net_people_query *q, unsigned mask,
                             int64_t *total)
{
	struct db_stmt *st = NULL;
	char hi[206];
	enum jm_rc rc = db_prepare(db, sql_for((mask & (0xff | F_PG)) | F_COUNT), &st);
	if (rc)
		return rc;
	bind_filters(st, q, mask, hi);
	rc = db_step(st);
	*total = rc == JM_OK ? db_col_int(st, 0) : 0;
	db_finalize(st);
	return rc == JM_OK ? JM_OK : JM_DB;
}

enum jm_rc net_people_list(struct db *db, struct arena *a, const struct net_people_query *q,
                           struct net_person **out, size_t *n, int64_t *total)
{
	unsigned mask = 0;
	*out = NULL;
	*n = 0;
	*total = 0;
	enum jm_rc rc = plan(q, &mask);
	mask |= db_engine(db) == DB_PG ? F_PG : 0;
	if (!rc)
		rc = count_rows(db, q, mask, total);
	if (rc)
		return rc;
	int per = q->per_page > 0 ? (q->per_page > PER_PAGE_MAX ? PER_PAGE_MAX : q->per_page)
	                          : PER_PAGE_DEFAULT;
	int64_t page = q->page > 0 ? q->page : 1;
	if ((page - 1) * per >= *total)
		return JM_OK;
	struct db_stmt *st = NULL;
	char hi[206];
	if ((rc = db_prepare(db, sql_for(mask), &st)))
		return rc;
	int i = bind_filters(st, q, mask, hi);
	db_bind_int(st, i, per);
	db_bind_int(st, i + 1, (page - 1) * per);
	struct net_person *v = arena_calloc(a, (size_t)per * sizeof(*v));
	size_t k = 0;
	while (k < (size_t)per && (rc = db_step(st)) == JM_OK)
		net_person_row(st, 0, a, &v[k++]);
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	*out = v;
	*n = k;
	return JM_OK;
}
