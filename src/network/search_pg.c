/*
 * search_pg.c — the people search on PostgreSQL, which has no FTS5: an
 * inverted index of our own (search_terms and search_docs, migrations/pg/
 * 0012) that gives the same hits in the same order as people_search with
 * jm_rank gives on SQLite. Stock PostgreSQL, no extension (see the README,
 * "Search on PostgreSQL").
 *
 * Tokens are those of the jm_cjk tokenizer of SQLite (db/fts_cjk.c), cut
 * by the same code (core/cjk_tok.c) from the same folding (core/fold.c:
 * NFKC + case folding, so ｶﾀｶﾅ is カタカナ and ＰＹＴＨＯＮ is python): a run
 * of non-CJK letters/digits is one token; a run of CJK letters gives its
 * bigrams and, at the position of its last bigram, its last character (a
 * one-character run is just that character). Positions count tokens per
 * column as FTS5 counts them. Each (term, person) row keeps the term's
 * positions (column << 24 | position) and the jm_rank of the term alone.
 * Invariant: a document and a query are cut here exactly as fts_cjk.c cuts
 * them (tests/integration/test_search_engines.py compares both engines).
 *
 * Writing: the drain (search.c) hands over a batch of people; their old
 * rows go in one DELETE (found by primary key through each document's term
 * list), the new ones in one INSERT, the documents in one upsert. A rebuild
 * fills the emptied table without its indexes and builds them at the end.
 *
 * A query word is what search.c hands FTS5 on SQLite: the phrase of its
 * query-mode tokens (no trailing unigram), the last one a prefix when the
 * word ends in Latin or in one CJK character. A prefix that covers one
 * term is that term; one that covers none matches nobody. Then:
 *   - one word of one token (出版, python): the page is read off
 *     search_terms_score in rank order and the total counted up to
 *     NET_SEARCH_TOTAL_MAX, as on SQLite (fast_query);
 *   - several tokens, all exact (デザイン, 資金 調達): driven by the
 *     rarest token (rows counted up to STAT_CAP in one statement). The
 *     total: the rows of every token in spans of person ids that hold
 *     SPAN_ROWS rows of the rarest (index ranges read in order), matched
 *     here, until NET_SEARCH_TOTAL_MAX hits or the last person; when the
 *     spans reach the end, every hit is known and gives the page too. If
 *     not, the page: the rarest token's people in score order, in chunks
 *     (64, doubled up to 1024), the rows of all tokens for just those
 *     people in one statement (term = ANY AND person_id = ANY on the
 *     primary key: one index descent per token and person, ~3 µs each, so
 *     chunks stay small), until the page's last hit ranks before what the
 *     next candidate can score. The bound: a phrase has per column at most
 *     as many instances as any of its tokens, and w · tf / (tf + 1) summed
 *     in column order grows with every tf in floating point too, so a
 *     word's score is at most the stored score of each of its tokens; the
 *     other words add at most the least best score of their tokens (plus
 *     1e-9 against rounding of the sum). A candidate at the bound ranks
 *     after the last one read only by its larger id;
 *   - a word whose prefix covers several terms (p, 本, acme出): the old
 *     full read (slow_query): every row of every token, a prefix by its
 *     range, which merges the positions of every term in it (as FTS5
 *     merges a prefix's position lists, keeping a position that two terms
 *     share twice).
 * Matching, in C: a phrase counts, per column, the positions p with its
 * token i at p + i; words are ANDed by person; the rank is jm_rank's sum
 * computed in the same order (column, then phrase), so the same document
 * gives the same double on both engines and ties fall to the id. Filters
 * (stage, tag, flags) apply in SQL to every candidate read.
 *
 * Cost (50,000 people, 250,000 messages, the bench's 10 queries): p99 28
 * ms against 109 ms for the full read of every token's rows (~11,000-
 * 20,000 per token). What stays proportional to the corpus: a phrase that
 * is rare while all its tokens are frequent reads all its tokens' rows (in
 * spans), as the full read did; and the old path above. Joining the tokens
 * in SQL was slower: PostgreSQL underestimates how often the bigrams of a
 * word go together and plans nested loops.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "network/search_int.h"

#define TF_MAX    60000 /* jm_rank stops counting there */
#define COL_SHIFT 24
#define DOC_COLS  11 /* columns of search_docs */

static const double weights[SEARCH_COLS] = SEARCH_WEIGHTS;

/* ---- tokens ---- */

struct tok {
	const char *s; /* folded bytes */
	uint32_t len;
	uint32_t pos; /* column << COL_SHIFT | position */
};

struct toks {
	struct tok *v;
	size_t n, size;
};

static void tok_add(struct toks *t, const char *s, size_t len, uint32_t pos)
{
	if (t->n == t->size) {
		t->size = t->size * 2 + 64;
		t->v = xrealloc(t->v, t->size * sizeof(*t->v));
	}
	t->v[t->n++] = (struct tok){s, (uint32_t)len, pos};
}

struct tok_state {
	struct toks *t;
	uint32_t col; /* column << COL_SHIFT */
	uint32_t p;   /* the next position */
};

/* One token of core/cjk_tok.c; a colocated one takes the position of the
 * token before it, as in FTS5. */
static int tok_one(void *user, const char *f, size_t a, size_t b, unsigned flags)
{
	struct tok_state *s = user;
	uint32_t pos = flags & JM_CJK_COLOCATED ? s->p - 1 : s->p++;
	tok_add(s->t, f + a, b - a, s->col | pos);
	return 0;
}

/* Appends the tokens of folded text f[0..flen) as column col. */
static void tokenize(struct toks *t, const char *f, size_t flen, bool query, int col)
{
	struct tok_state s = {t, (uint32_t)col << COL_SHIFT, 0};
	(void)jm_cjk_tokens(f, flen, query, tok_one, &s);
}

/* ---- the index ---- */

static int tok_cmp(const void *a, const void *b)
{
	const struct tok *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
	if (c == 0)
		c = (x->len > y->len) - (x->len < y->len);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

static bool same_term(const struct tok *x, const struct tok *y)
{
	return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
}

/* jm_rank of one phrase with tf[c] instances in column c. */
static double rank_of(const unsigned tf[SEARCH_COLS])
{
	double score = 0;
	for (int c = 0; c < SEARCH_COLS; c++) {
		unsigned t = tf[c] < TF_MAX ? tf[c] : TF_MAX;
		score += weights[c] * t / (t + 1.0);
	}
	return score;
}

/* The writes of one drain batch, sent as a few statements at its end
 * (search_pg_flush) rather than several per person. */
struct search_pg_batch {
	struct buf rows;          /* "term \t person \t score \t pos,pos,…" lines */
	struct buf ids;           /* every person of the batch: "{1,2,…}" */
	struct buf gone;          /* the people without a document */
	struct buf doc[DOC_COLS]; /* array literals of search_docs' columns */
	size_t ndocs;
	bool fresh; /* the tables were emptied in this transaction: no old rows */
};

/* One line per term into rows, the terms space-separated into terms.
 * v is sorted by term, then position. */
static enum jm_rc term_rows(const struct toks *t, int64_t id, struct buf *rows, struct buf *terms)
{
	enum jm_rc rc = JM_OK;
	for (size_t k = 0; k < t->n && rc == JM_OK;) {
		size_t e = k;
		unsigned tf[SEARCH_COLS] = {0};
		while (e < t->n && same_term(&t->v[k], &t->v[e]))
			tf[t->v[e++].pos >> COL_SHIFT]++;
		if (terms->len)
			rc = buf_appendc(terms, ' ');
		if (rc == JM_OK)
			rc = buf_append(terms, t->v[k].s, t->v[k].len);
		if (rc == JM_OK)
			rc = buf_appendf(rows, "%.*s\t%" PRId64 "\t%.17g\t", (int)t->v[k].len,
			                 t->v[k].s, id, rank_of(tf));
		for (size_t j = k; j < e && rc == JM_OK; j++)
			rc = buf_appendf(rows, j > k ? ",%" PRIu32 : "%" PRIu32, t->v[j].pos);
		if (rc == JM_OK)
			rc = buf_appendc(rows, '\n');
		k = e;
	}
	return rc;
}

/* Folds and tokenises the six text columns of d into t; f holds the
 * folded text the tokens point into. */
static enum jm_rc doc_tokens(const struct search_doc *d, struct buf *f, struct toks *t)
{
	size_t at[SEARCH_COLS + 1];
	enum jm_rc rc = JM_OK;
	for (int c = 0; c < SEARCH_COLS && rc == JM_OK; c++) {
		at[c] = f->len;
		struct buf *src = (struct buf *)&d->col[c];
		rc = jm_fold(buf_cstr(src), src->len, f);
	}
	if (rc)
		return rc;
	at[SEARCH_COLS] = f->len;
	for (int c = 0; c < SEARCH_COLS; c++)
		tokenize(t, f->ptr + at[c], at[c + 1] - at[c], false, c);
	qsort(t->v, t->n, sizeof(*t->v), tok_cmp);
	return JM_OK;
}

/* Appends s as the next element of the array literal b ("{…}" once
 * closed): quoted, with backslash and double quote escaped. */
static enum jm_rc arr_add(struct buf *b, const char *s, size_t len)
{
	enum jm_rc rc = buf_appends(b, b->len ? ",\"" : "{\"");
	for (size_t i = 0; i < len && rc == JM_OK; i++) {
		if (s[i] == '\\' || s[i] == '"')
			rc = buf_appendc(b, '\\');
		if (rc == JM_OK)
			rc = buf_appendc(b, s[i]);
	}
	return rc ? rc : buf_appendc(b, '"');
}

static enum jm_rc arr_addi(struct buf *b, int64_t v)
{
	return buf_appendf(b, "%s%" PRId64, b->len ? "," : "{", v);
}

/* search_docs' columns in the order of DOC_SQL's arrays: person_id,
 * stage_rank, flagged, then the document's text columns (meta first, then
 * SEARCH_COLS), then terms. */
static enum jm_rc doc_add(struct search_pg_batch *b, int64_t id, const struct search_doc *d,
                          struct buf *terms)
{
	static const int text_col[8] = {6, 0, 1, 2, 3, 4, 5, -1};
	enum jm_rc rc = arr_addi(&b->doc[0], id);
	rc = rc ? rc : arr_addi(&b->doc[1], d->stage_rank);
	rc = rc ? rc : arr_addi(&b->doc[2], d->flagged);
	for (int k = 0; k < 8 && rc == JM_OK; k++) {
		const struct buf *src = text_col[k] >= 0 ? &d->col[text_col[k]] : terms;
		rc = arr_add(&b->doc[3 + k], src->ptr ? src->ptr : "", src->len);
	}
	b->ndocs++;
	return rc;
}

struct search_pg_batch *search_pg_batch_new(bool fresh)
{
	struct search_pg_batch *b = xcalloc(1, sizeof(*b));
	b->fresh = fresh;
	return b;
}

void search_pg_batch_free(struct search_pg_batch *b)
{
	if (!b)
		return;
	buf_free(&b->rows);
	buf_free(&b->ids);
	buf_free(&b->gone);
	for (int k = 0; k < DOC_COLS; k++)
		buf_free(&b->doc[k]);
	free(b);
}

enum jm_rc search_pg_index(struct search_pg_batch *b, int64_t id, const struct search_doc *d)
{
	enum jm_rc rc = arr_addi(&b->ids, id);
	if (rc || !d)
		return rc ? rc : arr_addi(&b->gone, id);
	struct buf f = BUF_INIT, terms = BUF_INIT;
	struct toks t = {0};
	rc = doc_tokens(d, &f, &t);
	if (rc == JM_OK)
		rc = term_rows(&t, id, &b->rows, &terms);
	if (rc == JM_OK)
		rc = doc_add(b, id, d, &terms);
	free(t.v);
	buf_free(&f);
	buf_free(&terms);
	return rc;
}

/* Closes the array literal b ("{}" when empty). */
static const char *arr_end(struct buf *b)
{
	if (!b->len)
		return buf_appends(b, "{}") ? "{}" : buf_cstr(b);
	return buf_appendc(b, '}') ? NULL : buf_cstr(b);
}

/* The old term rows of the batch's people, found by primary key through
 * their stored term lists; then the documents of the people who are gone
 * (their trigger finds no term rows left). */
static enum jm_rc flush_old(struct db *db, struct search_pg_batch *b)
{
	const char *ids = arr_end(&b->ids), *gone = arr_end(&b->gone);
	if (!ids || !gone)
		return JM_NOMEM;
	enum jm_rc rc = db_execf(db,
	                         "DELETE FROM search_terms t USING (SELECT d.person_id, "
	                         "unnest(string_to_array(d.terms, ' ')) AS term FROM search_docs d "
	                         "WHERE d.person_id = ANY (CAST(? AS BIGINT[]))) o "
	                         "WHERE t.term = o.term AND t.person_id = o.person_id",
	                         "t", ids);
	if (rc == JM_OK && b->gone.len > 2)
		rc = db_execf(db,
		              "DELETE FROM search_docs WHERE person_id = ANY (CAST(? AS BIGINT[]))",
		              "t", gone);
	return rc;
}

/* The batch's documents, upserted from one array per column. */
static enum jm_rc flush_docs(struct db *db, struct search_pg_batch *b)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(
	        db,
	        "INSERT INTO search_docs(person_id, stage_rank, flagged, meta, name, company, "
	        "offer, notes, tags, messages, terms) SELECT * FROM unnest(CAST(? AS BIGINT[]), "
	        "CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), "
	        "CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), "
	        "CAST(? AS TEXT[]), CAST(? AS TEXT[])) ON CONFLICT (person_id) DO UPDATE SET "
	        "stage_rank = excluded.stage_rank, flagged = excluded.flagged, meta = "
	        "excluded.meta, name = excluded.name, company = excluded.company, offer = "
	        "excluded.offer, notes = excluded.notes, tags = excluded.tags, messages = "
	        "excluded.messages, terms = excluded.terms",
	        &st);
	for (int k = 0; rc == JM_OK && k < DOC_COLS; k++) {
		const char *v = arr_end(&b->doc[k]);
		if (!v)
			rc = JM_NOMEM;
		else
			db_bind_text(st, k + 1, v, SIZE_MAX);
	}
	if (rc == JM_OK)
		rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc search_pg_flush(struct db *db, struct search_pg_batch *b)
{
	if (!b->ids.len)
		return JM_OK;
	enum jm_rc rc = b->fresh ? JM_OK : flush_old(db, b);
	if (rc == JM_OK && b->rows.len)
		rc = db_execf(
		        db,
		        "INSERT INTO search_terms(term, person_id, score, pos) "
		        "SELECT split_part(l, chr(9), 1), CAST(split_part(l, chr(9), 2) AS "
		        "BIGINT), CAST(split_part(l, chr(9), 3) AS DOUBLE PRECISION), "
		        "split_part(l, chr(9), 4) FROM unnest(string_to_array(rtrim(CAST(? AS "
		        "TEXT), chr(10)), chr(10))) AS l",
		        "t", buf_cstr(&b->rows));
	if (rc == JM_OK && b->ndocs)
		rc = flush_docs(db, b);
	bool fresh = b->fresh;
	buf_free(&b->rows);
	buf_free(&b->ids);
	buf_free(&b->gone);
	for (int k = 0; k < DOC_COLS; k++)
		buf_free(&b->doc[k]);
	memset(b, 0, sizeof(*b));
	b->fresh = fresh;
	return rc;
}

enum jm_rc search_pg_indexes(struct db *db, bool make)
{
	/* Keep in step with migrations/pg/0012_search_terms.sql. The sort of
	 * an index build gets more memory than the default 64 MB. */
	return db_exec(db, make ? "SET LOCAL maintenance_work_mem = '256MB'; "
	                          "ALTER TABLE search_terms ADD CONSTRAINT search_terms_pkey "
	                          "PRIMARY KEY (term, person_id) INCLUDE (pos); "
	                          "CREATE INDEX search_terms_score ON search_terms(term, "
	                          "score DESC, person_id) INCLUDE (pos);"
	                        : "DROP INDEX search_terms_score; ALTER TABLE search_terms "
	                          "DROP CONSTRAINT search_terms_pkey;");
}

/* ---- reading a token's rows ---- */

enum {
	V_RANGE = 1,  /* term >= ? AND term < ? instead of term = ? */
	V_STAGE = 2,  /* filters, in the order of their parameters */
	V_TAG = 4,    /*   … */
	V_NOFLAG = 8, /*   … */
	V_PAGE = 16,  /* one term: the page in rank order */
	V_COUNT = 32, /* one term: the total */
	V_TERMS = 64, /* term = ANY (array) instead of term = ?, by term */
	V_IDS = 128,  /* with V_TERMS: and person_id = ANY (array) */
	V_SPAN = 256, /* with V_TERMS: and person_id in (span[0], span[1]] */
	V_VARIANTS = 512,
};

static char *sql_variant[V_VARIANTS]; /* never freed: statement cache keys */

/* The filters of mask on column col (person_id or t0.person_id). */
static enum jm_rc append_filters(struct buf *b, unsigned mask, const char *col)
{
	enum jm_rc rc = JM_OK;
	if (mask & V_STAGE)
		rc |= buf_appendf(b,
		                  " AND %s IN (SELECT person_id FROM search_docs "
		                  "WHERE stage_rank = ?)",
		                  col);
	if (mask & V_TAG)
		rc |= buf_appendf(b,
		                  " AND %s IN (SELECT person_id FROM search_docs "
		                  "WHERE strpos(meta, ?) > 0)",
		                  col);
	if (mask & V_NOFLAG)
		rc |= buf_appendf(b,
		                  " AND %s NOT IN (SELECT person_id FROM search_docs "
		                  "WHERE flagged = 1)",
		                  col);
	return rc;
}

static void build_sql(unsigned mask, struct buf *b)
{
	enum jm_rc rc = buf_appends(b, mask & V_PAGE    ? "SELECT person_id, score"
	                               : mask & V_COUNT ? "SELECT count(*) FROM (SELECT 1"
	                                                : "SELECT term, person_id, pos");
	rc |= buf_appends(b, mask & V_RANGE   ? " FROM search_terms WHERE term >= ? AND term < ?"
	                     : mask & V_TERMS ? " FROM search_terms WHERE term = ANY (CAST(? AS "
	                                        "TEXT[]))"
	                                      : " FROM search_terms WHERE term = ?");
	if (mask & V_IDS)
		rc |= buf_appends(b, " AND person_id = ANY (CAST(? AS BIGINT[]))");
	if (mask & V_SPAN)
		rc |= buf_appends(b, " AND person_id > ? AND person_id <= ?");
	rc |= append_filters(b, mask, "person_id");
	rc |= buf_appends(b, mask & V_PAGE    ? " ORDER BY score DESC, person_id LIMIT ? OFFSET ?"
	                     : mask & V_COUNT ? " LIMIT ?) x"
	                     : mask & V_TERMS ? " ORDER BY term, person_id"
	                                      : " ORDER BY person_id");
	if (rc)
		abort(); /* uncapped buffer: only OOM, which aborts anyway */
}

static unsigned filter_mask(const struct search_filter *f)
{
	return (f->stage_rank >= 0 ? V_STAGE : 0) | (f->tag_xt ? V_TAG : 0) |
	       (f->flagged ? 0 : V_NOFLAG);
}

/* Prepares a variant and binds the term (or range) and the filters; the
 * next free parameter index goes to *next. */
static enum jm_rc prepare_term(struct db *db, unsigned mask, const char *lo, const char *hi,
                               const int64_t *span, const struct search_filter *f,
                               struct db_stmt **st, int *next)
{
	enum jm_rc rc =
	        db_prepare(db, db_sql_variant(sql_variant, V_VARIANTS, mask, build_sql), st);
	if (rc)
		return rc;
	int i = 1;
	db_bind_text(*st, i++, lo, SIZE_MAX);
	if (mask & (V_RANGE | V_IDS))
		db_bind_text(*st, i++, hi, SIZE_MAX);
	for (int k = 0; k < 2 && (mask & V_SPAN); k++)
		db_bind_int(*st, i++, span[k]);
	if (mask & V_STAGE)
		db_bind_int(*st, i++, f->stage_rank);
	if (mask & V_TAG)
		db_bind_text(*st, i++, f->tag_xt, SIZE_MAX);
	*next = i;
	return JM_OK;
}

/* The rows of one token, by person: positions of id[k] are
 * pos[at[k] .. at[k + 1]), ascending. */
struct post {
	int64_t *id;
	size_t *at;
	uint32_t *pos;
	size_t n, npos, size_id, size_pos;
};

static void post_free(struct post *p)
{
	free(p->id);
	free(p->at);
	free(p->pos);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Sorts the positions of the last person. A prefix merges several terms,
 * and two of them can share a position (本本 at a run's end: the bigram
 * 本本 and the unigram 本); FTS5 counts both, so duplicates stay. */
static void post_close(struct post *p)
{
	if (!p->n)
		return;
	size_t a = p->at[p->n - 1];
	qsort(p->pos + a, p->npos - a, sizeof(*p->pos), u32_cmp);
}

/* Appends one row (person id, "p,p,…"). */
static void post_row(struct post *p, int64_t id, const char *s)
{
	if (!p->n || p->id[p->n - 1] != id) {
		post_close(p);
		if (p->n + 1 >= p->size_id) {
			p->size_id = p->size_id * 2 + 256;
			p->id = xrealloc(p->id, p->size_id * sizeof(*p->id));
			p->at = xrealloc(p->at, (p->size_id + 1) * sizeof(*p->at));
		}
		p->id[p->n] = id;
		p->at[p->n++] = p->npos;
	}
	while (s && *s) {
		char *end = NULL;
		unsigned long v = strtoul(s, &end, 10);
		if (end == s)
			break;
		if (p->npos == p->size_pos) {
			p->size_pos = p->size_pos * 2 + 1024;
			p->pos = xrealloc(p->pos, p->size_pos * sizeof(*p->pos));
		}
		p->pos[p->npos++] = (uint32_t)v;
		s = *end == ',' ? end + 1 : end;
	}
}

/* The upper end of a prefix range: the prefix with its last code point
 * plus one (UTF-8 byte order is code point order, and the database sorts
 * bytes). */
static char *prefix_end(const char *s, size_t len)
{
	size_t b = len;
	while (b > 0 && ((unsigned char)s[--b] & 0xC0) == 0x80)
		;
	uint32_t cp = 0;
	(void)jm_utf8_next(s, len, b, &cp);
	cp = cp == 0xD7FF ? 0xE000 : cp + 1;
	char *out = xmalloc(b + 5), *o = out + b;
	memcpy(out, s, b);
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	*o = '\0';
	return out;
}

/* The indexes i < n of the tokens of t that are term s. */
static size_t same_tokens(const struct toks *t, size_t n, const char *s, size_t *idx)
{
	size_t k = 0, len = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (t->v[i].len == len && memcmp(t->v[i].s, s, len) == 0)
			idx[k++] = i;
	return k;
}

/* Reads the rows of one variant: with V_TERMS the rows of the tokens
 * t->v[0..n) (lo: their array literal), each into p[i] of its token, and
 * with V_IDS only those of the people in the array literal hi, with
 * V_SPAN those of the people in (span[0], span[1]]; otherwise the rows of
 * the term lo, or of the prefix range [lo, hi), into p[0]. f filters
 * (NULL: none). */
static enum jm_rc rows_read(struct db *db, unsigned mask, const char *lo, const char *hi,
                            const int64_t *span, const struct search_filter *f,
                            const struct toks *t, size_t n, struct post *p)
{
	static const struct search_filter none = {.stage_rank = -1, .flagged = true};
	struct db_stmt *st = NULL;
	int next = 0;
	size_t *idx = xcalloc(n + 1, sizeof(*idx)), nidx = 1;
	char *last = NULL;
	enum jm_rc rc = prepare_term(db, mask | (f ? filter_mask(f) : 0), lo, hi, span,
	                             f ? f : &none, &st, &next);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		const char *term = db_col_text(st, 0, NULL);
		if ((mask & V_TERMS) && (!last || strcmp(last, term))) {
			free(last);
			last = xstrdup(term);
			nidx = same_tokens(t, n, term, idx);
		}
		for (size_t k = 0; k < nidx; k++)
			post_row(&p[idx[k]], db_col_int(st, 1), db_col_text(st, 2, NULL));
	}
	db_finalize(st);
	free(last);
	free(idx);
	return rc == JM_DONE ? JM_OK : rc;
}

/* Closes the posts p[0..n) after their last row. */
static void posts_end(struct post *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		post_close(&p[i]);
		if (p[i].at)
			p[i].at[p[i].n] = p[i].npos;
	}
}

/* The rows of every token of a word into p[0..t->n), each by person: the
 * exact tokens in one statement, a prefix (the last token when prefix)
 * by its range, which merges the positions of every term in it. */
static enum jm_rc word_read(struct db *db, const struct toks *t, bool prefix,
                            const struct search_filter *f, struct post *p)
{
	size_t nx = prefix ? t->n - 1 : t->n;
	struct buf arr = BUF_INIT;
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < nx && rc == JM_OK; i++)
		rc = arr_add(&arr, t->v[i].s, t->v[i].len);
	const char *lit = rc == JM_OK && nx ? arr_end(&arr) : NULL;
	if (rc == JM_OK && nx)
		rc = lit ? rows_read(db, V_TERMS, lit, NULL, NULL, f, t, nx, p) : JM_NOMEM;
	if (rc == JM_OK && prefix) {
		char *lo = xstrndup(t->v[nx].s, t->v[nx].len), *hi = prefix_end(lo, t->v[nx].len);
		rc = rows_read(db, V_RANGE, lo, hi, NULL, f, NULL, 0, &p[nx]);
		free(lo);
		free(hi);
	}
	posts_end(p, t->n);
	buf_free(&arr);
	return rc;
}

/* ---- matching ---- */

/* The people a word matches, ascending, with its instances per column. */
struct wres {
	int64_t *id;
	uint16_t (*tf)[SEARCH_COLS];
	size_t n;
};

static bool has_pos(const struct post *p, size_t k, uint32_t v)
{
	return bsearch(&v, p->pos + p->at[k], p->at[k + 1] - p->at[k], sizeof(v), u32_cmp) != NULL;
}

/* Index of id in p at or after *from (p->id ascending), or SIZE_MAX. */
static size_t seek(const struct post *p, size_t *from, int64_t id)
{
	while (*from < p->n && p->id[*from] < id)
		(*from)++;
	return *from < p->n && p->id[*from] == id ? *from : SIZE_MAX;
}

/* Counts the phrase p[0] p[1] … p[k-1] per column for each person in all
 * of them. */
static void phrase_match(const struct post *p, size_t k, struct wres *r)
{
	size_t *cur = xcalloc(2 * k, sizeof(*cur)), *idx = cur + k;
	r->id = xcalloc(p[0].n + 1, sizeof(*r->id));
	r->tf = xcalloc(p[0].n + 1, sizeof(*r->tf));
	for (size_t a = 0; a < p[0].n; a++) {
		bool all = true;
		idx[0] = a;
		for (size_t i = 1; i < k && all; i++)
			all = (idx[i] = seek(&p[i], &cur[i], p[0].id[a])) != SIZE_MAX;
		if (!all)
			continue;
		uint16_t tf[SEARCH_COLS] = {0};
		bool any = false;
		for (size_t j = p[0].at[a]; j < p[0].at[a + 1]; j++) {
			uint32_t v = p[0].pos[j];
			bool ok = true;
			for (size_t i = 1; i < k && ok; i++)
				ok = has_pos(&p[i], idx[i], v + (uint32_t)i);
			if (ok && tf[v >> COL_SHIFT] < TF_MAX)
				tf[v >> COL_SHIFT]++, any = true;
		}
		if (any) {
			r->id[r->n] = p[0].id[a];
			memcpy(r->tf[r->n++], tf, sizeof(tf));
		}
	}
	free(cur);
}

/* The query-mode tokens of word w. */
static void word_tokens(const char *w, size_t len, struct toks *t)
{
	tokenize(t, w, len, true, 0);
}

/* Matches one word; f filters its people (NULL: none). */
static enum jm_rc word_match(struct db *db, const char *w, size_t len, bool prefix,
                             const struct search_filter *f, struct wres *r)
{
	struct toks t = {0};
	word_tokens(w, len, &t);
	struct post *p = xcalloc(t.n + 1, sizeof(*p));
	enum jm_rc rc = t.n ? word_read(db, &t, prefix, f, p) : JM_OK;
	if (rc == JM_OK && t.n)
		phrase_match(p, t.n, r);
	for (size_t i = 0; i < t.n; i++)
		post_free(&p[i]);
	free(p);
	free(t.v);
	return rc;
}

/* ---- ranking ---- */

struct ranked {
	double r; /* -score: lower is better, as jm_rank */
	int64_t id;
};

static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->r != y->r)
		return x->r < y->r ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Keeps the people of c that are also in r, with r's counts as word w. */
static void and_word(struct wres *c, uint16_t (**tf)[SEARCH_COLS], size_t nw, size_t w,
                     const struct wres *r)
{
	size_t out = 0, j = 0;
	for (size_t k = 0; k < c->n; k++) {
		while (j < r->n && r->id[j] < c->id[k])
			j++;
		if (j == r->n || r->id[j] != c->id[k])
			continue;
		c->id[out] = c->id[k];
		memmove((*tf)[out * nw], (*tf)[k * nw], nw * sizeof(**tf));
		memcpy((*tf)[out * nw + w], r->tf[j], sizeof(**tf));
		out++;
	}
	c->n = out;
}

/* jm_rank: for each column, for each phrase, w · tf / (tf + 1). */
static double rank_all(uint16_t (*tf)[SEARCH_COLS], size_t nw)
{
	double score = 0;
	for (int c = 0; c < SEARCH_COLS; c++)
		for (size_t w = 0; w < nw; w++)
			score += weights[c] * tf[w][c] / (tf[w][c] + 1.0);
	return -score;
}

static void page_out(struct ranked *v, size_t n, int64_t per, int64_t offset, struct net_hit *out,
                     size_t *nout, int64_t *total)
{
	if (n)
		qsort(v, n, sizeof(*v), ranked_cmp);
	*total = n < NET_SEARCH_TOTAL_MAX ? (int64_t)n : NET_SEARCH_TOTAL_MAX;
	*nout = 0;
	for (int64_t k = offset; k < (int64_t)n && k < offset + per; k++) {
		out[*nout].person_id = v[k].id;
		out[(*nout)++].rank = (double)(int64_t)(v[k].r * 1e6) / 1e6;
	}
}

/* Every word matched in C, ANDed, ranked. */
static enum jm_rc slow_query(struct db *db, const struct search_words *ws,
                             const struct search_filter *f, int64_t per, int64_t offset,
                             struct net_hit *out, size_t *n, int64_t *total)
{
	struct wres c = {0};
	uint16_t(*tf)[SEARCH_COLS] = NULL;
	size_t nw = ws->n;
	enum jm_rc rc = word_match(db, ws->w[0], ws->len[0], ws->prefix[0], f, &c);
	if (rc == JM_OK) {
		tf = xcalloc(c.n * nw + 1, sizeof(*tf));
		for (size_t k = 0; k < c.n; k++)
			memcpy(tf[k * nw], c.tf[k], sizeof(*tf));
	}
	for (size_t w = 1; rc == JM_OK && w < nw && c.n; w++) {
		struct wres r = {0};
		rc = word_match(db, ws->w[w], ws->len[w], ws->prefix[w], f, &r);
		if (rc == JM_OK)
			and_word(&c, &tf, nw, w, &r);
		free(r.id);
		free(r.tf);
	}
	struct ranked *v = rc == JM_OK ? xcalloc(c.n + 1, sizeof(*v)) : NULL;
	for (size_t k = 0; v && k < c.n; k++)
		v[k] = (struct ranked){rank_all(&tf[k * nw], nw), c.id[k]};
	if (v)
		page_out(v, c.n, per, offset, out, n, total);
	free(v);
	free(tf);
	free(c.id);
	free(c.tf);
	return rc;
}

/* ---- one term: straight off the index ---- */

/* The one term a prefix covers into *term (NULL when none or several). */
static enum jm_rc prefix_single(struct db *db, const char *lo, const char *hi, char **term,
                                bool *none)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT min(term), max(term) FROM search_terms "
	                            "WHERE term >= ? AND term < ?",
	                            "tt", lo, hi);
	*term = NULL;
	*none = false;
	if (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		const char *a = db_col_text(st, 0, NULL), *b = db_col_text(st, 1, NULL);
		*none = !a;
		if (a && b && !strcmp(a, b))
			*term = xstrdup(a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc fast_query(struct db *db, const char *term, const struct search_filter *f,
                             int64_t per, int64_t offset, struct net_hit *out, size_t *n,
                             int64_t *total)
{
	struct db_stmt *st = NULL;
	int i = 0;
	enum jm_rc rc = prepare_term(db, V_COUNT | filter_mask(f), term, NULL, NULL, f, &st, &i);
	if (rc == JM_OK) {
		db_bind_int(st, i, NET_SEARCH_TOTAL_MAX);
		if ((rc = db_step(st)) == JM_OK)
			*total = db_col_int(st, 0);
	}
	db_finalize(st);
	if (rc == JM_OK || rc == JM_DONE)
		rc = prepare_term(db, V_PAGE | filter_mask(f), term, NULL, NULL, f, &st, &i);
	else
		return rc;
	if (rc)
		return rc;
	db_bind_int(st, i, per);
	db_bind_int(st, i + 1, offset);
	*n = 0;
	while ((rc = db_step(st)) == JM_OK) {
		double score = strtod(db_col_text(st, 1, NULL), NULL);
		out[*n].person_id = db_col_int(st, 0);
		out[(*n)++].rank = (double)(int64_t)(-score * 1e6) / 1e6;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* ---- several tokens: the threshold read ---- */

#define STAT_CAP    2000 /* rows counted per token to find the rarest */
#define SPAN_ROWS   1024 /* rows of the rarest token per span (the total) */
#define CHUNK_FIRST 64   /* candidates of the first chunk (the page); doubled up to … */
#define CHUNK_MAX   1024

/* A query resolved to exact terms: the tokens of every word in one list,
 * word w's at t.v[at[w] .. at[w + 1]). */
struct exact {
	struct toks t;
	size_t at[SEARCH_WORDS + 1];
	size_t nw;
	char *own[SEARCH_WORDS]; /* the terms prefixes resolved to */
};

static void exact_free(struct exact *e)
{
	free(e->t.v);
	for (size_t w = 0; w < e->nw; w++)
		free(e->own[w]);
}

/* Tokenises every word, a prefix token resolved to the one term it covers.
 * *ok false: a prefix covers several terms (the full read serves it);
 * *none: some word matches nobody. */
static enum jm_rc exact_resolve(struct db *db, const struct search_words *ws, struct exact *e,
                                bool *ok, bool *none)
{
	enum jm_rc rc = JM_OK;
	*ok = true, *none = false;
	e->nw = ws->n;
	for (size_t w = 0; w < ws->n && rc == JM_OK && *ok && !*none; w++) {
		e->at[w] = e->t.n;
		word_tokens(ws->w[w], ws->len[w], &e->t);
		*none = e->t.n == e->at[w];
		if (*none || !ws->prefix[w])
			continue;
		struct tok *last = &e->t.v[e->t.n - 1];
		char *lo = xstrndup(last->s, last->len), *hi = prefix_end(lo, last->len);
		rc = prefix_single(db, lo, hi, &e->own[w], none);
		*ok = *none || e->own[w];
		if (e->own[w])
			last->s = e->own[w], last->len = (uint32_t)strlen(e->own[w]);
		free(lo);
		free(hi);
	}
	e->at[e->nw] = e->t.n;
	return rc;
}

/* Per token of e (lit: their array literal): its rows counted up to
 * STAT_CAP, and its best score, which bounds the score of any phrase
 * holding it (per column a phrase's instances are at most the token's and
 * w · tf / (tf + 1) grows with tf, in floating point too). */
static enum jm_rc exact_stats(struct db *db, const struct exact *e, const char *lit, int64_t *cnt,
                              double *best)
{
	struct db_stmt *st = NULL;
	size_t k = 0;
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT (SELECT count(*) FROM (SELECT 1 FROM search_terms s WHERE s.term = u.t "
	        "LIMIT ?) x), coalesce((SELECT s.score FROM search_terms s WHERE s.term = u.t "
	        "ORDER BY s.score DESC LIMIT 1), 0) FROM unnest(CAST(? AS TEXT[])) WITH "
	        "ORDINALITY AS u(t, k) ORDER BY u.k",
	        "it", (int64_t)STAT_CAP, lit);
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK && k < e->t.n) {
		cnt[k] = db_col_int(st, 0);
		best[k++] = strtod(db_col_text(st, 1, NULL), NULL);
	}
	db_finalize(st);
	return rc == JM_DONE ? (k == e->t.n ? JM_OK : JM_DB) : rc;
}

/* The verified hits so far. */
struct hits {
	struct ranked *v;
	size_t n, size;
};

/* Ranks the people of the posts p (e's tokens, for one chunk of
 * candidates) that every word matches into h, as slow_query ranks. */
static void chunk_match(const struct exact *e, struct post *p, struct hits *h)
{
	size_t nw = e->nw;
	struct wres c = {0};
	phrase_match(p, e->at[1], &c);
	uint16_t(*tf)[SEARCH_COLS] = xcalloc(c.n * nw + 1, sizeof(*tf));
	for (size_t k = 0; k < c.n; k++)
		memcpy(tf[k * nw], c.tf[k], sizeof(*tf));
	for (size_t w = 1; w < nw && c.n; w++) {
		struct wres r = {0};
		phrase_match(p + e->at[w], e->at[w + 1] - e->at[w], &r);
		and_word(&c, &tf, nw, w, &r);
		free(r.id);
		free(r.tf);
	}
	if (h->n + c.n >= h->size) {
		h->size = (h->n + c.n) * 2 + 64;
		h->v = xrealloc(h->v, h->size * sizeof(*h->v));
	}
	for (size_t k = 0; k < c.n; k++)
		h->v[h->n++] = (struct ranked){rank_all(&tf[k * nw], nw), c.id[k]};
	free(tf);
	free(c.id);
	free(c.tf);
}

/* One chunk: e's tokens' rows for the people rows_read selects (mask,
 * lo/hi, span, f), ranked into h by chunk_match. */
static enum jm_rc chunk_read(struct db *db, unsigned mask, const char *lo, const char *hi,
                             const int64_t *span, const struct search_filter *f,
                             const struct exact *e, struct hits *h)
{
	struct post *p = xcalloc(e->t.n + 1, sizeof(*p));
	enum jm_rc rc = rows_read(db, mask, lo, hi, span, f, &e->t, e->t.n, p);
	posts_end(p, e->t.n);
	if (rc == JM_OK)
		chunk_match(e, p, h);
	for (size_t i = 0; i < e->t.n; i++)
		post_free(&p[i]);
	free(p);
	return rc;
}

/* The next candidates: up to lim people of term in rank order from off,
 * filtered, into ids (an array literal); *got of them, the last one's
 * score and id in *last and *last_id. */
static enum jm_rc cand_read(struct db *db, const char *term, const struct search_filter *f,
                            int64_t lim, int64_t off, struct buf *ids, size_t *got, double *last,
                            int64_t *last_id)
{
	struct db_stmt *st = NULL;
	int i = 0;
	enum jm_rc rc = prepare_term(db, V_PAGE | filter_mask(f), term, NULL, NULL, f, &st, &i);
	if (rc)
		return rc;
	db_bind_int(st, i, lim);
	db_bind_int(st, i + 1, off);
	*got = 0;
	while (rc == JM_OK && (rc = db_step(st)) == JM_OK) {
		*last_id = db_col_int(st, 0);
		*last = strtod(db_col_text(st, 1, NULL), NULL);
		rc = arr_addi(ids, *last_id);
		(*got)++;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* Whether the first need hits are certain: the need-th ranks before
 * anything a later candidate can score (at most bound, and at bound only
 * with an id after bound_id). */
static bool settled(struct hits *h, size_t need, double bound, int64_t bound_id)
{
	if (h->n < need)
		return false;
	if (!need)
		return true;
	qsort(h->v, h->n, sizeof(*h->v), ranked_cmp);
	const struct ranked *k = &h->v[need - 1];
	return -k->r > bound || (-k->r == bound && k->id <= bound_id);
}

/* The page: reads the candidates of the token d of e in rank order, chunk
 * by chunk, the rows of all tokens for each chunk's people in one
 * statement (one index descent per token and person), until the first
 * need hits are certain; extra bounds what the words other than d's add
 * to a score. */
static enum jm_rc rank_read(struct db *db, const struct exact *e, const char *lit, size_t d,
                            double extra, const struct search_filter *f, size_t need,
                            struct hits *h)
{
	char *term = xstrndup(e->t.v[d].s, e->t.v[d].len);
	struct buf ids = BUF_INIT;
	enum jm_rc rc = JM_OK;
	int64_t off = 0, lim = CHUNK_FIRST, last_id = 0;
	for (bool done = false; rc == JM_OK && !done;) {
		size_t got = 0;
		double last = 0;
		buf_reset(&ids);
		rc = cand_read(db, term, f, lim, off, &ids, &got, &last, &last_id);
		const char *il = rc == JM_OK && got ? arr_end(&ids) : NULL;
		if (rc == JM_OK && got)
			rc = il ? chunk_read(db, V_TERMS | V_IDS, lit, il, NULL, NULL, e, h)
			        : JM_NOMEM;
		done = (int64_t)got < lim || settled(h, need, last + extra, last_id);
		off += (int64_t)got;
		lim = lim < CHUNK_MAX ? lim * 2 : lim;
	}
	buf_free(&ids);
	free(term);
	return rc;
}

/* The id after which the token term has its next n rows past id from
 * (INT64_MAX when fewer are left). */
static enum jm_rc span_end(struct db *db, const char *term, int64_t from, int64_t n, int64_t *to)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT person_id FROM search_terms WHERE term = ? AND "
	                            "person_id > ? ORDER BY person_id LIMIT 1 OFFSET ?",
	                            "tii", term, from, n - 1);
	*to = INT64_MAX;
	if (rc == JM_OK && (rc = db_step(st)) == JM_OK)
		*to = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

/* The total: every token's rows in spans of person ids (index ranges,
 * read in order) that hold SPAN_ROWS rows of the token d each, matched,
 * until NET_SEARCH_TOTAL_MAX hits or the last person; *all: every hit is
 * in h. */
static enum jm_rc span_read(struct db *db, const struct exact *e, const char *lit, size_t d,
                            const struct search_filter *f, struct hits *h, bool *all)
{
	char *term = xstrndup(e->t.v[d].s, e->t.v[d].len);
	enum jm_rc rc = JM_OK;
	int64_t span[2] = {0, 0};
	while (rc == JM_OK && span[1] < INT64_MAX && h->n < NET_SEARCH_TOTAL_MAX) {
		span[0] = span[1];
		rc = span_end(db, term, span[0], SPAN_ROWS, &span[1]);
		if (rc == JM_OK)
			rc = chunk_read(db, V_TERMS | V_SPAN, lit, NULL, span, f, e, h);
	}
	*all = span[1] == INT64_MAX;
	free(term);
	return rc;
}

/* The query by the threshold read, driven by its rarest token. */
static enum jm_rc bound_query(struct db *db, const struct exact *e, const struct search_filter *f,
                              int64_t per, int64_t offset, struct net_hit *out, size_t *n,
                              int64_t *total)
{
	struct buf arr = BUF_INIT;
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < e->t.n && rc == JM_OK; i++)
		rc = arr_add(&arr, e->t.v[i].s, e->t.v[i].len);
	const char *lit = rc == JM_OK ? arr_end(&arr) : NULL;
	int64_t *cnt = xcalloc(e->t.n, sizeof(*cnt));
	double *best = xcalloc(e->t.n, sizeof(*best));
	rc = lit ? exact_stats(db, e, lit, cnt, best) : JM_NOMEM;
	size_t d = 0;
	for (size_t i = 1; i < e->t.n; i++)
		d = cnt[i] < cnt[d] ? i : d;
	/* The other words: each at most its tokens' least best score; a
	 * margin far above rounding keeps the sum a bound. */
	double extra = e->nw > 1 ? 1e-9 : 0;
	for (size_t w = 0; w < e->nw; w++) {
		double m = best[e->at[w]];
		for (size_t i = e->at[w]; i < e->at[w + 1]; i++)
			m = best[i] < m ? best[i] : m;
		extra += d >= e->at[w] && d < e->at[w + 1] ? 0 : m;
	}
	struct hits h = {0}, page = {0};
	bool all = true;
	if (rc == JM_OK && cnt[d])
		rc = span_read(db, e, lit, d, f, &h, &all);
	if (rc == JM_OK && !all)
		rc = rank_read(db, e, lit, d, extra, f, (size_t)(offset + per), &page);
	if (rc == JM_OK)
		page_out(all ? h.v : page.v, all ? h.n : page.n, per, offset, out, n, total);
	if (rc == JM_OK && !all)
		*total = NET_SEARCH_TOTAL_MAX;
	free(h.v);
	free(page.v);
	free(cnt);
	free(best);
	buf_free(&arr);
	return rc;
}

enum jm_rc search_pg_query(struct db *db, struct arena *a, const struct search_words *ws,
                           const struct search_filter *f, int64_t per, int64_t offset,
                           struct net_hit *out, size_t *n, int64_t *total)
{
	(void)a;
	*n = 0, *total = 0;
	if (!ws->n)
		return JM_OK;
	struct exact e = {0};
	bool ok = true, none = false;
	enum jm_rc rc = exact_resolve(db, ws, &e, &ok, &none);
	if (rc == JM_OK && !none && ok && e.t.n == 1) {
		char *term = xstrndup(e.t.v[0].s, e.t.v[0].len);
		rc = fast_query(db, term, f, per, offset, out, n, total);
		free(term);
	} else if (rc == JM_OK && !none && ok)
		rc = bound_query(db, &e, f, per, offset, out, n, total);
	else if (rc == JM_OK && !none)
		rc = slow_query(db, ws, f, per, offset, out, n, total);
	exact_free(&e);
	return rc;
}
