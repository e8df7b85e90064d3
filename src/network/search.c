/*
 * search.c — "who can help with X": one full-text document per person in
 * people_search (SQLite FTS5 with the jm_cjk tokenizer of db/fts_cjk.c:
 * NFKC + case folding, CJK bigrams, Latin words), kept in step with the
 * data and ranked.
 *
 * The document of a person, column by column:
 *   name     name, furigana, email
 *   company  company, title
 *   offer    can_offer, looking_for
 *   notes    notes_md
 *   tags     tags, then custom fields as "key value" lines
 *   messages subjects and bodies of their messages (spam left out), newest
 *            first, at most MESSAGES_MAX bytes
 *   meta     filter tokens, never searched by users: "xs<stage rank>",
 *            "xflag" (freeloader or blocked), "xt<hash of each tag>"
 * Ranking is jm_rank (db/fts_cjk.c) with name 10, company 8, offer 6,
 * tags 5, notes 3, messages 1: a name or company hit ranks above a mention
 * in a message. Lower rank is better.
 *
 * Keeping in step: people with id > search_state.indexed_to have never been
 * indexed (bulk imports add nothing else); later changes put the person in
 * search_dirty by trigger (migration 0005). net_search_sync indexes both, in
 * id order and in batches, inside one write transaction per batch, and
 * recomputes their engagement score (score.c). Deleting a person deletes
 * the document by trigger.
 *
 * Queries: the text is folded and cut into words at everything that is not
 * a letter or digit; each word becomes a quoted FTS5 string (so nothing a
 * user types is ever FTS5 syntax: quotes, *, AND, NEAR, parentheses are
 * separators or plain words), words are ANDed, limited to the text
 * columns (a column filter only on words holding an "x", the first
 * letter of every meta token: see match_word). A word ending in Latin
 * letters or digits, or in a single CJK character, is a prefix query
 * ("edit" finds "editor", "本" finds 本 anywhere, through the one-character
 * prefix index); a CJK word of two or more characters is the phrase of
 * its bigrams ("出版社" = 出版 版社). Stage, tag and flag filters are meta
 * tokens in the same MATCH.
 *
 * Cost (200,000 people, 1,000,000 messages: ~5–25 ms): one read of the
 * MATCH, every match ranked in the index alone by jm_top (db/fts_cjk.h),
 * which keeps the page in C and counts the matches (the total stops at
 * NET_SEARCH_TOTAL_MAX: a total equal to it means "that many or more");
 * people read for the page's rows only; snippets cut from the page's
 * stored text (not FTS5 snippet(), which would re-run the query per row).
 * Ties fall to the id. What is left is FTS5's own walk of the words'
 * position lists (tens of thousands of people for 出版, more for a phrase
 * of six bigrams): a bound that skipped people who mention a word only in
 * messages would need a second index, as FTS5 keeps one list per token
 * for all columns.
 *
 * PostgreSQL has no FTS5: the same documents, built here by the same
 * drain, go to the term table of search_pg.c (search_terms, search_docs;
 * migrations/pg/0012), which tokenises them as jm_cjk does and ranks as
 * jm_rank does, so both engines give the same hits in the same order with
 * the same ranks and snippets (tests/integration/test_search_engines.py).
 * The statements that differ per engine sit side by side (DB_SQL) below.
 */
#include <inttypes.h>

#include "db/fts_cjk.h"
#include "network/search_int.h"
#include "people/people.h"

#define QUERY_MAX     200 /* bytes, as typed */
#define WORDS_MAX     SEARCH_WORDS
#define MESSAGES_MAX  20000 /* bytes of message text per document */
#define MESSAGES_ROWS 200   /* messages read per person */
#define SNIPPET_CHARS 120
#define SNIPPET_BACK  20  /* characters shown before the hit */
#define SYNC_SEARCH   50  /* people indexed before each search (event loop) */
#define BATCH         500 /* people per transaction when rebuilding */
#define PER_PAGE_MAX  100

/* ---- the document ---- */

/* col: name, company, offer, notes, tags, messages, meta */
#define doc search_doc

static void doc_free(struct doc *d)
{
	for (int i = 0; i < 7; i++)
		buf_free(&d->col[i]);
}

/* Appends s to b with a separator when b is not empty. */
static enum jm_rc put(struct buf *b, const char *s, const char *sep)
{
	if (!s || !*s)
		return JM_OK;
	enum jm_rc rc = b->len ? buf_appends(b, sep) : JM_OK;
	return rc ? rc : buf_appends(b, s);
}

static enum jm_rc doc_person(struct db *db, int64_t id, struct doc *d, bool *found)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT name, furigana, COALESCE(email, ''), company, title, "
	                            "can_offer, looking_for, notes_md, stage, freeloader, "
	                            "blocked FROM people WHERE id = ?",
	                            "i", id);
	if (rc)
		return rc;
	rc = db_step(st);
	*found = rc == JM_OK;
	if (rc == JM_OK) {
		static const int colof[8] = {0, 0, 0, 1, 1, 2, 2, 3};
		for (int k = 0; k < 8 && rc == JM_OK; k++)
			rc = put(&d->col[colof[k]], db_col_text(st, k, NULL), "\n");
		d->stage_rank = net_stage_rank(db_col_text(st, 8, NULL));
		d->flagged = db_col_int(st, 9) || db_col_int(st, 10);
		if (rc == JM_OK)
			rc = buf_appendf(&d->col[6], "xs%d%s", d->stage_rank,
			                 d->flagged ? " xflag" : "");
	} else if (rc == JM_DONE) {
		rc = JM_OK;
	}
	db_finalize(st);
	return rc;
}

/* FNV-1a: a tag as one filter token of the meta column. */
static uint64_t tag_hash(const char *tag)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (const unsigned char *p = (const unsigned char *)(tag ? tag : ""); *p; p++)
		h = (h ^ *p) * 0x100000001b3u;
	return h;
}

static enum jm_rc doc_tags(struct db *db, int64_t id, struct doc *d)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT tag, NULL FROM person_tags WHERE person_id = ?1 "
	                            "UNION ALL SELECT key, value FROM person_fields "
	                            "WHERE person_id = ?1",
	                            "i", id);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		const char *key = db_col_text(st, 0, NULL);
		rc = put(&d->col[4], key, "\n");
		if (rc == JM_OK && !db_col_null(st, 1))
			rc = put(&d->col[4], db_col_text(st, 1, NULL), " ");
		else if (rc == JM_OK)
			rc = buf_appendf(&d->col[6], " xt%016" PRIx64, tag_hash(key));
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* Appends s[0..len) to b, cut at a character boundary so b stays within
 * MESSAGES_MAX; false once b is full. */
static bool put_capped(struct buf *b, const char *s, size_t len, enum jm_rc *rc)
{
	size_t room = MESSAGES_MAX > b->len + 1 ? MESSAGES_MAX - b->len - 1 : 0;
	size_t n = utf8_truncate(s, len, room);
	if (b->len)
		*rc = buf_appendc(b, '\n');
	if (*rc == JM_OK)
		*rc = buf_append(b, s, n);
	return *rc == JM_OK && n == len;
}

static enum jm_rc doc_messages(struct db *db, int64_t id, struct doc *d)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT subject, body FROM messages WHERE person_id = ? "
	                            "AND status <> 'spam' ORDER BY created_at DESC, id DESC "
	                            "LIMIT ?",
	                            "ii", id, (int64_t)MESSAGES_ROWS);
	bool room = true;
	while (rc == JM_OK && room && (rc = db_step(st)) == JM_OK) {
		for (int k = 0; k < 2 && room; k++) {
			size_t len = 0;
			const char *s = db_col_text(st, k, &len);
			if (s && len)
				room = put_capped(&d->col[5], s, len, &rc);
		}
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* (Re)writes the document of one person, or removes it when the person is
 * gone. PostgreSQL has no FTS5: search_pg.c queues the writes of its term
 * table from the same document into pgb (NULL on SQLite). */
static enum jm_rc index_person(struct db *db, struct search_pg_batch *pgb, int64_t id)
{
	struct doc d = {0};
	bool found = false;
	enum jm_rc rc =
	        pgb ? JM_OK : db_execf(db, "DELETE FROM people_search WHERE rowid = ?", "i", id);
	if (rc == JM_OK)
		rc = doc_person(db, id, &d, &found);
	if (rc == JM_OK && found)
		rc = doc_tags(db, id, &d);
	if (rc == JM_OK && found)
		rc = doc_messages(db, id, &d);
	if (rc == JM_OK && pgb)
		rc = search_pg_index(pgb, id, found ? &d : NULL);
	else if (rc == JM_OK && found)
		rc = db_execf(db,
		              "INSERT INTO people_search(rowid, name, company, offer, notes, tags, "
		              "messages, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		              "ittttttt", id, buf_cstr(&d.col[0]), buf_cstr(&d.col[1]),
		              buf_cstr(&d.col[2]), buf_cstr(&d.col[3]), buf_cstr(&d.col[4]),
		              buf_cstr(&d.col[5]), buf_cstr(&d.col[6]));
	doc_free(&d);
	return rc;
}

/* ---- keeping in step ---- */

struct idset {
	int64_t *v;
	size_t n, size;
	int64_t max_new; /* highest never-indexed id taken, 0 = none */
};

static enum jm_rc collect(struct db *db, const char *sql, int64_t arg, size_t max, struct idset *s)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, sql, "ii", arg, (int64_t)max);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		if (s->n == s->size) {
			s->size = s->size * 2 + 64;
			s->v = xrealloc(s->v, s->size * sizeof(*s->v));
		}
		s->v[s->n++] = db_col_int(st, 0);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The ids of one batch: never-indexed people first, then dirty ones (also
 * kept in *dirty: only those are cleaned); sorted, without duplicates. */
static enum jm_rc batch_ids(struct db *db, size_t max, int64_t indexed_to, struct idset *s,
                            struct idset *dirty)
{
	enum jm_rc rc = collect(db, "SELECT id FROM people WHERE id > ? ORDER BY id LIMIT ?",
	                        indexed_to, max, s);
	if (rc == JM_OK && s->n)
		s->max_new = s->v[s->n - 1];
	if (rc == JM_OK && s->n < max)
		rc = collect(db, "SELECT person_id FROM search_dirty WHERE person_id > ? LIMIT ?",
		             0, max - s->n, dirty);
	for (size_t k = 0; rc == JM_OK && k < dirty->n; k++) {
		if (s->n == s->size) {
			s->size = s->size * 2 + 64;
			s->v = xrealloc(s->v, s->size * sizeof(*s->v));
		}
		s->v[s->n++] = dirty->v[k];
	}
	if (rc || !s->n)
		return rc;
	qsort(s->v, s->n, sizeof(*s->v), cmp_id);
	size_t w = 1;
	for (size_t r = 1; r < s->n; r++)
		if (s->v[r] != s->v[w - 1])
			s->v[w++] = s->v[r];
	s->n = w;
	return JM_OK;
}

static enum jm_rc query_int(struct db *db, const char *sql, int64_t *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db, sql, &st);
	if (rc == JM_OK && (rc = db_step(st)) == JM_OK)
		*out = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_DONE ? JM_DB : rc;
}

/* One batch inside the caller's transaction, which holds search_state's
 * row; *indexed_to moves past the new people it indexed, *done = how many
 * people it indexed. fresh (PostgreSQL): the index was emptied in this
 * transaction. */
static enum jm_rc sync_body(struct db *db, int64_t now, size_t max, bool fresh, int64_t *indexed_to,
                            size_t *done)
{
	struct idset s = {0}, dirty = {0};
	struct search_pg_batch *pgb = db_engine(db) == DB_PG ? search_pg_batch_new(fresh) : NULL;
	enum jm_rc rc = batch_ids(db, max, *indexed_to, &s, &dirty);
	for (size_t k = 0; rc == JM_OK && k < s.n; k++)
		rc = index_person(db, pgb, s.v[k]);
	if (rc == JM_OK && pgb)
		rc = search_pg_flush(db, pgb);
	for (size_t k = 0; rc == JM_OK && k < dirty.n; k++)
		rc = people_search_clean(db, dirty.v[k]);
	if (rc == JM_OK && s.max_new)
		rc = db_execf(db, "UPDATE search_state SET indexed_to = ? WHERE id = 1", "i",
		              s.max_new);
	if (rc == JM_OK && s.max_new)
		*indexed_to = s.max_new;
	if (rc == JM_OK && s.n)
		rc = net_score_update(db, s.v, s.n, now);
	*done = s.n;
	search_pg_batch_free(pgb);
	free(s.v);
	free(dirty.v);
	return rc;
}

/* One batch in one transaction; *done = how many people it indexed. */
static enum jm_rc sync_batch(struct db *db, int64_t now, size_t max, size_t *done)
{
	int64_t indexed_to = 0;
	enum jm_rc rc = db_begin(db);
	*done = 0;
	if (rc)
		return rc;
	/* One indexer at a time. SQLite's write lock (BEGIN IMMEDIATE) already
	 * serialises them; on PostgreSQL several nodes (and a reindex) would
	 * index the same person at once, so the state row is locked first. */
	rc = query_int(db,
	               DB_SQL(db, "SELECT indexed_to FROM search_state WHERE id = 1",
	                      "SELECT indexed_to FROM search_state WHERE id = 1 FOR UPDATE"),
	               &indexed_to);
	if (rc == JM_OK)
		rc = sync_body(db, now, max, false, &indexed_to, done);
	if (rc == JM_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	return rc;
}

/* Both questions below compare max(id) (one index probe on either
 * engine) with indexed_to first: PostgreSQL plans "id > (subquery)" as a
 * scan of every person. */
static enum jm_rc pending(struct db *db, int64_t *left)
{
	return query_int(db,
	                 "SELECT CASE WHEN (SELECT COALESCE(max(id), 0) FROM people) > (SELECT "
	                 "indexed_to FROM search_state WHERE id = 1) THEN (SELECT count(*) FROM "
	                 "people WHERE id > (SELECT indexed_to FROM search_state WHERE id = 1)) "
	                 "ELSE 0 END + (SELECT count(*) FROM search_dirty)",
	                 left);
}

enum jm_rc net_search_sync(struct db *db, int64_t now, size_t max, int64_t *left)
{
	int64_t busy = 0;
	enum jm_rc rc = query_int(db,
	                          "SELECT (SELECT COALESCE(max(id), 0) FROM people) > (SELECT "
	                          "indexed_to FROM search_state WHERE id = 1) OR EXISTS (SELECT 1 "
	                          "FROM search_dirty)",
	                          &busy);
	size_t done = 0;
	while (rc == JM_OK && busy && max > 0) {
		size_t batch = max < BATCH ? max : BATCH;
		rc = sync_batch(db, now, batch, &done);
		max -= done < max ? done : max;
		busy = done == batch;
	}
	if (rc == JM_OK && left)
		rc = pending(db, left);
	return rc;
}

/* PostgreSQL: the whole rebuild in one transaction, the term table's
 * indexes dropped while it fills and built once at the end (a sort instead
 * of millions of random b-tree inserts). Searches and other nodes' drains
 * wait for it (TRUNCATE's lock) and then see the new index whole; on
 * failure the old one stays. */
static enum jm_rc rebuild_pg(struct db *db, int64_t now)
{
	int64_t indexed_to = 0;
	size_t done = BATCH;
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_exec(db, "SELECT 1 FROM search_state WHERE id = 1 FOR UPDATE; "
	                 "TRUNCATE search_terms, search_docs; "
	                 "UPDATE search_state SET indexed_to = 0 WHERE id = 1;");
	if (rc == JM_OK)
		rc = people_search_clean_all(db);
	if (rc == JM_OK)
		rc = search_pg_indexes(db, false);
	while (rc == JM_OK && done == BATCH)
		rc = sync_body(db, now, BATCH, true, &indexed_to, &done);
	if (rc == JM_OK)
		rc = search_pg_indexes(db, true);
	if (rc == JM_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	/* Fresh statistics, and a visibility map so that the term rows are
	 * read from search_terms_pkey alone (index-only). */
	return rc ? rc : db_exec(db, "VACUUM ANALYZE search_terms, search_docs");
}

enum jm_rc net_search_rebuild(struct db *db, int64_t now)
{
	if (db_engine(db) == DB_PG)
		return rebuild_pg(db, now);
	enum jm_rc rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_exec(db, "DELETE FROM people_search; "
	                 "UPDATE search_state SET indexed_to = 0 WHERE id = 1;");
	if (rc == JM_OK)
		rc = people_search_clean_all(db);
	if (rc == JM_OK)
		rc = db_commit(db);
	else
		db_rollback(db);
	size_t done = BATCH;
	while (rc == JM_OK && done == BATCH)
		rc = sync_batch(db, now, BATCH, &done);
	/* One b-tree per term instead of many segments: faster queries. */
	if (rc == JM_OK)
		rc = db_exec(db, "INSERT INTO people_search(people_search) VALUES ('optimize')");
	return rc;
}

/* ---- the query ---- */

/* Appends one folded word as a quoted FTS5 string (it holds only letters,
 * marks and digits, so no quote can occur), a prefix query when asked.
 * Only the text columns are searched, never meta: every meta token starts
 * with "x" (doc_person, doc_tags) and a phrase matches within one column,
 * so only a word holding an "x" gets the column filter (which costs FTS5
 * a pass over every position list it reads). */
static enum jm_rc match_word(struct buf *m, const char *w, size_t len, bool prefix)
{
	enum jm_rc rc = m->len ? buf_appends(m, " AND ") : JM_OK;
	if (rc == JM_OK && memchr(w, 'x', len))
		rc = buf_appends(m, "{name company offer notes tags messages} : ");
	if (rc == JM_OK)
		rc = buf_appendf(m, "\"%.*s\"%s", (int)len, w, prefix ? "*" : "");
	return rc;
}

/* The folded words of a query (struct search_words), kept for cutting
 * snippets and for the query on PostgreSQL. */
#define words search_words

/* The FTS5 expression for q in m: its words ANDed, in order (jm_rank
 * counts the first ws->n phrases); ws->n = 0 when q has no word at all. */
static enum jm_rc build_match(struct arena *a, const char *q, struct buf *m, struct words *ws)
{
	struct buf f;
	buf_init(&f, 8 * QUERY_MAX);
	enum jm_rc rc = jm_fold(q, strlen(q), &f);
	size_t i = 0, start = 0, cjk_tail = 0;
	bool in = false, latin = false;
	ws->n = 0;
	while (rc == JM_OK && ws->n < WORDS_MAX && i <= f.len) {
		uint32_t cp = ' ';
		size_t next = i < f.len ? jm_utf8_next(f.ptr, f.len, i, &cp) : i + 1;
		bool cjk = jm_cp_is_cjk(cp), word = cjk || jm_cp_is_word(cp);
		if (word && !in)
			start = i, cjk_tail = 0, in = true, latin = !cjk;
		if (word)
			cjk_tail = cjk ? cjk_tail + 1 : 0;
		if (!word && in) {
			rc = match_word(m, f.ptr + start, i - start, cjk_tail <= 1);
			ws->w[ws->n] = arena_strndup(a, f.ptr + start, i - start);
			ws->len[ws->n] = i - start;
			ws->prefix[ws->n] = cjk_tail <= 1;
			ws->latin[ws->n++] = latin;
			in = false;
		}
		i = next;
	}
	buf_free(&f);
	return rc == JM_TOO_LARGE ? JM_INVALID : rc;
}

static enum jm_rc check_query(const struct net_search_query *q, struct jm_err *err)
{
	const char *s = q->q ? q->q : "";
	size_t len = strlen(s);
	if (len > QUERY_MAX) {
		jm_err_set(err, "q", "the query is too long (at most %d bytes)", QUERY_MAX);
		return JM_INVALID;
	}
	if (!utf8_valid(s, len)) {
		jm_err_set(err, "q", "the query is not valid UTF-8");
		return JM_INVALID;
	}
	if (strspn(s, " \t\r\n\f\v") == len) {
		jm_err_set(err, "q", "the query is empty");
		return JM_INVALID;
	}
	if (q->stage && *q->stage && !net_stage_valid(q->stage)) {
		jm_err_set(err, "stage", "unknown stage");
		return JM_INVALID;
	}
	return JM_OK;
}

/* The filters as meta tokens ANDed to the query (see doc_person/doc_tags),
 * and as values for PostgreSQL in f. */
static enum jm_rc build_filters(struct arena *a, const struct net_search_query *q, struct buf *m,
                                struct search_filter *f)
{
	enum jm_rc rc = JM_OK;
	*f = (struct search_filter){.stage_rank = -1, .flagged = q->include_flagged};
	if (q->stage && *q->stage) {
		f->stage_rank = net_stage_rank(q->stage);
		rc = buf_appendf(m, " AND {meta} : \"xs%d\"", f->stage_rank);
	}
	if (rc == JM_OK && q->tag && *q->tag) {
		f->tag_xt = arena_sprintf(a, "xt%016" PRIx64, tag_hash(q->tag));
		rc = buf_appendf(m, " AND {meta} : \"%s\"", f->tag_xt);
	}
	/* NOT skips the few flagged rows; it never walks everyone. */
	if (rc == JM_OK && !q->include_flagged)
		rc = buf_appends(m, " NOT {meta} : \"xflag\"");
	return rc;
}

/* The people of the page's hits, rank then id. A person deleted since it
 * was indexed drops out (the deleting trigger takes the document too). */
static enum jm_rc page_people(struct db *db, struct arena *a, const struct db_fts_top *t,
                              int64_t offset, struct net_hit *out, size_t *n)
{
	enum jm_rc rc = JM_OK;
	*n = 0;
	for (size_t k = (size_t)offset; rc == JM_OK && k < t->n; k++) {
		struct db_stmt *st = NULL;
		rc = db_preparef(db, &st, "SELECT name, company, stage FROM people WHERE id = ?",
		                 "i", t->hit[k].id);
		if (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
			struct net_hit *h = &out[(*n)++];
			h->person_id = t->hit[k].id;
			h->name = db_col_dup(st, 0, a);
			h->company = db_col_dup(st, 1, a);
			h->stage = db_col_dup(st, 2, a);
			/* As CAST(r * 1e6 AS INTEGER) / 1e6 did in SQL. */
			h->rank = (double)(int64_t)(t->hit[k].rank * 1e6) / 1e6;
			h->snippet = "";
		}
		db_finalize(st);
		rc = rc == JM_DONE ? JM_OK : rc;
	}
	return rc;
}

/* The page and the total in one read of the matches: jm_top (db/fts_cjk.h)
 * ranks each as jm_rank does (name, company and offer weigh most, messages
 * least, meta nothing; the weights are SEARCH_WEIGHTS, which search_pg.c
 * ranks with on PostgreSQL; only the query's words count, not the filters)
 * and keeps the best offset + limit; people is read for the page's rows
 * only. Ties fall to the id on both engines. */
static enum jm_rc search_page(struct db *db, struct arena *a, const char *match, size_t nwords,
                              int64_t limit, int64_t offset, struct net_hit *out, size_t *n,
                              int64_t *total)
{
	static const double weights[SEARCH_COLS] = SEARCH_WEIGHTS;
	struct db_fts_top t = {.want = (size_t)(offset + limit),
	                       .nphrase = (int)nwords,
	                       .ncol = SEARCH_COLS,
	                       .weights = weights};
	enum jm_rc rc = db_fts_top(db,
	                           "SELECT rowid FROM people_search WHERE people_search "
	                           "MATCH ? AND jm_top(people_search) = 0",
	                           match, &t);
	*n = 0;
	*total = t.rows < NET_SEARCH_TOTAL_MAX ? t.rows : NET_SEARCH_TOTAL_MAX;
	if (rc == JM_OK)
		rc = page_people(db, a, &t, offset, out, n);
	db_fts_top_free(&t);
	return rc;
}

/* ---- snippets: cut from the stored text around the first hit ---- */

/* True when the character before f[o] is a non-CJK letter or digit. */
static bool word_before(const char *f, size_t o)
{
	size_t b = o;
	while (b > 0 && ((unsigned char)f[--b] & 0xC0) == 0x80)
		;
	uint32_t cp = 0;
	(void)jm_utf8_next(f, o, b, &cp);
	return jm_cp_is_word(cp) && !jm_cp_is_cjk(cp);
}

/* The byte offset in s of the earliest query word (compared folded; a
 * Latin word only at the start of a token), or SIZE_MAX. */
static size_t snippet_find(const char *s, size_t len, const struct words *ws)
{
	struct buf f = BUF_INIT;
	uint32_t *map = NULL;
	size_t best = SIZE_MAX;
	if (jm_fold_map(s, len, &f, &map) == JM_OK) {
		for (size_t k = 0; k < ws->n; k++) {
			const char *p = f.ptr, *end = f.ptr + f.len;
			while (p && (p = memmem(p, (size_t)(end - p), ws->w[k], ws->len[k]))) {
				size_t o = (size_t)(p - f.ptr);
				if (!ws->latin[k] || o == 0 || !word_before(f.ptr, o)) {
					best = o < best ? o : best;
					break;
				}
				p++;
			}
		}
	}
	size_t at = best == SIZE_MAX ? SIZE_MAX : map[2 * best];
	free(map);
	buf_free(&f);
	return at;
}

/* One line of at most SNIPPET_CHARS characters from s[at - a little…]:
 * whitespace runs become one space; "…" marks a cut at either end. */
static const char *snippet_cut(struct arena *a, const char *s, size_t len, size_t at)
{
	size_t b = at;
	for (int back = 0; b > 0 && back < SNIPPET_BACK; back++)
		while (b > 0 && ((unsigned char)s[--b] & 0xC0) == 0x80)
			;
	char *out = arena_alloc(a, SNIPPET_CHARS * 4 + 8);
	size_t o = 0, chars = 0, i = b;
	bool space = true;
	if (b > 0)
		o += (size_t)snprintf(out, 4, "…"), chars++;
	for (; i < len && chars < SNIPPET_CHARS - 1;) {
		unsigned char c = (unsigned char)s[i];
		bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r';
		size_t j = i + 1;
		while (j < len && ((unsigned char)s[j] & 0xC0) == 0x80)
			j++;
		if (!ws || !space) {
			memcpy(out + o, ws ? " " : s + i, ws ? 1 : j - i);
			o += ws ? 1 : j - i, chars++;
		}
		space = ws, i = j;
	}
	while (o && out[o - 1] == ' ')
		o--;
	if (i < len)
		o += (size_t)snprintf(out + o, 4, "…");
	out[o] = '\0';
	return out;
}

/* The snippet from the stored columns of the current row of st, from
 * column col0 on (name, company, offer, tags, notes, messages: in order
 * of weight, the snippet comes from the best one). */
static void snippet_row(struct arena *a, const struct words *ws, struct db_stmt *st, int col0,
                        struct net_hit *h)
{
	for (int c = 0; c < 6; c++) {
		size_t len = 0;
		const char *s = db_col_text(st, col0 + c, &len);
		size_t at = s ? snippet_find(s, len, ws) : SIZE_MAX;
		if (at != SIZE_MAX) {
			h->snippet = snippet_cut(a, s, len, at);
			break;
		}
	}
}

static enum jm_rc search_snippet(struct db *db, struct arena *a, const struct words *ws,
                                 struct net_hit *h)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT name, company, offer, tags, notes, messages "
	                            "FROM people_search WHERE rowid = ?",
	                            "i", h->person_id);
	if (rc == JM_OK && (rc = db_step(st)) == JM_OK)
		snippet_row(a, ws, st, 0, h);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* PostgreSQL: the page ranked by search_pg.c, then the hits' people and
 * stored documents (for the snippets) in one query. A person deleted since
 * it was indexed drops out, as the join in search_page does. */
static enum jm_rc search_page_pg(struct db *db, struct arena *a, const struct words *ws,
                                 const struct search_filter *f, int64_t limit, int64_t offset,
                                 struct net_hit *out, size_t *n, int64_t *total)
{
	size_t got = 0;
	enum jm_rc rc = search_pg_query(db, a, ws, f, limit, offset, out, &got, total);
	struct buf ids = BUF_INIT;
	bool *seen = arena_calloc(a, got + 1);
	for (size_t k = 0; rc == JM_OK && k < got; k++)
		rc = buf_appendf(&ids, "%s%" PRId64, k ? "," : "{", out[k].person_id);
	rc = rc ? rc : buf_appendc(&ids, '}');
	struct db_stmt *st = NULL;
	if (rc == JM_OK && got)
		rc = db_preparef(
		        db, &st,
		        "SELECT p.id, p.name, p.company, p.stage, d.name, d.company, d.offer, "
		        "d.tags, d.notes, d.messages FROM people p JOIN search_docs d "
		        "ON d.person_id = p.id WHERE p.id = ANY (CAST(? AS BIGINT[]))",
		        "t", buf_cstr(&ids));
	while (rc == JM_OK && got && (rc = db_step(st)) == JM_OK) {
		for (size_t k = 0; k < got; k++) {
			struct net_hit *h = &out[k];
			if (h->person_id != db_col_int(st, 0))
				continue;
			h->name = db_col_dup(st, 1, a);
			h->company = db_col_dup(st, 2, a);
			h->stage = db_col_dup(st, 3, a);
			h->snippet = "";
			snippet_row(a, ws, st, 4, h);
			seen[k] = true;
		}
	}
	db_finalize(st);
	*n = 0;
	for (size_t k = 0; k < got; k++)
		if (seen[k])
			out[(*n)++] = out[k];
	buf_free(&ids);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc net_search(struct db *db, struct arena *a, const struct net_search_query *q,
                      struct net_hit **out, size_t *n, int64_t *total, struct jm_err *err)
{
	*out = NULL, *n = 0, *total = 0;
	enum jm_rc rc = check_query(q, err);
	if (rc)
		return rc;
	struct buf m = BUF_INIT;
	struct words ws;
	struct search_filter f;
	rc = build_match(a, q->q, &m, &ws);
	if (rc == JM_OK)
		rc = build_filters(a, q, &m, &f);
	if (rc || !ws.n)
		goto out;
	/* A failed catch-up (a busy writer) still lets the search answer. */
	if (net_search_sync(db, jm_now(), SYNC_SEARCH, NULL) != JM_OK)
		log_at(LOG_WARN, "network", "search index catch-up failed");
	int per = q->per_page <= 0 ? 20 : q->per_page > PER_PAGE_MAX ? PER_PAGE_MAX : q->per_page;
	int64_t offset = (int64_t)((q->page < 1 ? 1 : q->page) - 1) * per;
	struct net_hit *hits = arena_calloc(a, (size_t)per * sizeof(*hits));
	if (db_engine(db) == DB_PG) {
		rc = search_page_pg(db, a, &ws, &f, per, offset, hits, n, total);
	} else {
		rc = search_page(db, a, buf_cstr(&m), ws.n, per, offset, hits, n, total);
	}
	for (size_t k = 0; rc == JM_OK && k < *n && db_engine(db) == DB_SQLITE; k++)
		rc = search_snippet(db, a, &ws, &hits[k]);
	*out = hits;
out:
	buf_free(&m);
	return rc;
}
