/*
 * results.c — what the owner does with the answers (forms.h, "results"):
 * an ask's responders listed with their person (stage, engagement,
 * subscribed since, give/take) and their values, filtered by any value,
 * a page at a time; bulk actions over the responders; the funnel's row of
 * people who answered an ask. The CSV export is results_csv.c.
 *
 * Invariants:
 * - A filter key=K&value=V is a walk of answer_values_filter (form_id,
 *   key, value, answer_id) backwards from the cursor: no sort, no count,
 *   so a page costs the same on the first and the thousandth page.
 * - Pages are keyset pages over answers.id (newest first): a cursor is
 *   the smallest id shown, the next page has the ids below it.
 * - Bulk actions never write people/ or network/ tables here: the answer
 *   ids are checked and turned into person ids (read-only), then ONE
 *   network/ call applies the action to every person in one transaction,
 *   so a bad id or a bad argument changes nothing.
 */
#include "forms/forms.h"

#include "db/db.h"
#include "network/network.h"

#define KEY_MAX   40   /* form_fields.key: [a-z0-9_]{1,40} */
#define VALUE_MAX 2000 /* a filter value longer than this matches nothing anyway */

/* ---- the form's fields ---- */

/* Splits the one-option-per-line text into the arena. */
static void split_options(struct arena *a, const char *s, struct forms_field *f)
{
	size_t cap = 0;
	f->options = NULL;
	f->noptions = 0;
	while (s && *s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		size_t l = len && s[len - 1] == '\r' ? len - 1 : len;
		if (l) {
			f->options = arena_grow(a, f->options, f->noptions, &cap, sizeof(char *));
			f->options[f->noptions++] = arena_strndup(a, s, l);
		}
		s = e ? e + 1 : NULL;
	}
}

static enum jm_rc load_fields(struct db *db, struct arena *a, int64_t form_id,
                              struct forms_field **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT key, label, type, options, required FROM form_fields "
	                            "WHERE form_id = ? ORDER BY position, id",
	                            "i", form_id);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		struct forms_field *f = &(*out)[(*n)++];
		f->key = db_col_dup(st, 0, a);
		f->label = db_col_dup(st, 1, a);
		f->type = db_col_dup(st, 2, a);
		split_options(a, db_col_text(st, 3, NULL), f);
		f->required = db_col_int(st, 4) != 0;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc forms_results_fields(struct db *db, struct arena *a, int64_t form_id,
                                struct forms_field **out, size_t *n)
{
	int64_t exists = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc =
	        db_query_int(db, &exists, 0, "SELECT 1 FROM forms WHERE id = ?", "i", form_id);
	if (!rc && !exists)
		return JM_NOT_FOUND;
	return rc ? rc : load_fields(db, a, form_id, out, n);
}

/* ---- the list ---- */

/* The answer, its person and its values ("key\x1fvalue\x1e…" through the
 * primary key of answer_values); the subscription subquery walks the
 * subscriptions' (person_id, list_id) key. group_concat is SQLite's,
 * string_agg PostgreSQL's. */
#define RESULT_COLS(values)                                                                        \
	"a.id, a.status, a.verified, a.created_at, p.id, COALESCE(p.name, ''), "                   \
	"COALESCE(p.email, ''), p.stage, p.engagement, p.gave, p.asks, p.freeloader, "             \
	"(SELECT min(COALESCE(s.confirmed_at, s.created_at)) FROM subscriptions s "                \
	"WHERE s.person_id = p.id AND s.status = 'active'), " values " "
#define VALUES_SQLITE                                                                              \
	"(SELECT group_concat(x.key || char(31) || x.value, char(30)) FROM answer_values x "       \
	"WHERE x.answer_id = a.id)"
#define VALUES_PG                                                                                  \
	"(SELECT string_agg(x.key || chr(31) || x.value, chr(30) ORDER BY x.key, x.value) "        \
	"FROM answer_values x WHERE x.answer_id = a.id)"
#define FROM_FILTERED                                                                              \
	"FROM answer_values v JOIN answers a ON a.id = v.answer_id "                               \
	"JOIN people p ON p.id = a.person_id "                                                     \
	"WHERE v.form_id = ? AND v.key = ? AND v.value = ? AND v.answer_id < ? "                   \
	"AND (a.verified = 1 OR ? = 1) ORDER BY v.answer_id DESC LIMIT ?"
#define FROM_ALL                                                                                   \
	"FROM answers a JOIN people p ON p.id = a.person_id "                                      \
	"WHERE a.form_id = ? AND a.id < ? "                                                        \
	"AND (a.verified = 1 OR ? = 1) ORDER BY a.id DESC LIMIT ?"

/* Splits the values into keys/vals in the order of the fields (a value
 * of a key the form no longer has is left out). */
static void split_values(struct arena *a, const char *all, const struct forms_results *r,
                         struct forms_result *row)
{
	size_t cap = 0, c2 = 0;
	for (size_t i = 0; all && i < r->nfields; i++) {
		const char *key = r->fields[i].key;
		size_t kl = strlen(key);
		for (const char *p = all; *p;) {
			const char *end = strchr(p, '\x1e');
			size_t n = end ? (size_t)(end - p) : strlen(p);
			if (n > kl && memcmp(p, key, kl) == 0 && p[kl] == '\x1f') {
				row->keys =
				        arena_grow(a, row->keys, row->nvals, &cap, sizeof(char *));
				row->vals =
				        arena_grow(a, row->vals, row->nvals, &c2, sizeof(char *));
				row->keys[row->nvals] = key;
				row->vals[row->nvals++] = arena_strndup(a, p + kl + 1, n - kl - 1);
			}
			if (!end)
				break;
			p = end + 1;
		}
	}
}

static void read_row(struct db_stmt *st, struct arena *a, struct forms_result *r)
{
	memset(r, 0, sizeof(*r));
	r->id = db_col_int(st, 0);
	r->status = db_col_dup(st, 1, a);
	r->verified = db_col_int(st, 2) != 0;
	r->created_at = db_col_int(st, 3);
	r->person.id = db_col_int(st, 4);
	r->person.name = db_col_dup(st, 5, a);
	r->person.email = db_col_dup(st, 6, a);
	r->person.stage = db_col_dup(st, 7, a);
	r->person.engagement = db_col_int(st, 8);
	r->person.give = db_col_int(st, 9);
	r->person.take = db_col_int(st, 10);
	r->person.freeloader = db_col_int(st, 11) != 0;
	r->person.subscribed_since = db_col_null(st, 12) ? 0 : db_col_int(st, 12);
}

static enum jm_rc query_rows(struct db *db, struct arena *a, int64_t form_id, const char *key,
                             const char *value, int64_t cursor, size_t limit, bool unverified,
                             struct forms_results *out)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	int64_t below = cursor > 0 ? cursor : INT64_MAX;
	/* One more row than asked tells whether a next page exists. */
	enum jm_rc rc =
	        key ? db_preparef(db, &st,
	                          DB_SQL(db, "SELECT " RESULT_COLS(VALUES_SQLITE) FROM_FILTERED,
	                                 "SELECT " RESULT_COLS(VALUES_PG) FROM_FILTERED),
	                          "ittiii", form_id, key, value, below, (int64_t)unverified,
	                          (int64_t)limit + 1)
	            : db_preparef(db, &st,
	                          DB_SQL(db, "SELECT " RESULT_COLS(VALUES_SQLITE) FROM_ALL,
	                                 "SELECT " RESULT_COLS(VALUES_PG) FROM_ALL),
	                          "iiii", form_id, below, (int64_t)unverified, (int64_t)limit + 1);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		if (out->n == limit) {
			out->next = out->rows[out->n - 1].id;
			break;
		}
		out->rows = arena_grow(a, out->rows, out->n, &cap, sizeof(*out->rows));
		read_row(st, a, &out->rows[out->n]);
		split_values(a, db_col_text(st, 13, NULL), out, &out->rows[out->n++]);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc load_head(struct db *db, struct arena *a, int64_t form_id,
                            struct forms_results *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, "SELECT title, slug, kind FROM forms WHERE id = ?",
	                            "i", form_id);
	rc = rc ? rc : db_step(st);
	if (rc == JM_OK) {
		out->title = db_col_dup(st, 0, a);
		out->slug = db_col_dup(st, 1, a);
		out->kind = db_col_dup(st, 2, a);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

static bool has_key(const struct forms_results *r, const char *key)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return true;
	return false;
}

static enum jm_rc check_filter(const struct forms_results *r, const char *key, const char *value,
                               struct jm_err *err)
{
	if (!key && !value)
		return JM_OK;
	if (!key || !value) {
		jm_err_set(err, key ? "value" : "key", "a filter needs both key and value");
		return JM_INVALID;
	}
	if (strlen(key) > KEY_MAX || !has_key(r, key)) {
		jm_err_set(err, "key", "the form has no field with this key");
		return JM_INVALID;
	}
	if (strlen(value) > VALUE_MAX || !utf8_valid(value, strlen(value))) {
		jm_err_set(err, "value", "at most %d bytes of UTF-8", VALUE_MAX);
		return JM_INVALID;
	}
	return JM_OK;
}

enum jm_rc forms_answers_list(struct db *db, struct arena *a, int64_t form_id, const char *key,
                              const char *value, int64_t cursor, size_t limit, unsigned flags,
                              struct forms_results *out, struct jm_err *err)
{
	memset(out, 0, sizeof(*out));
	if (limit < 1 || limit > FORMS_RESULTS_MAX) {
		jm_err_set(err, "limit", "from 1 to %d", FORMS_RESULTS_MAX);
		return JM_INVALID;
	}
	if (cursor < 0) {
		jm_err_set(err, "cursor", "not a cursor of this list");
		return JM_INVALID;
	}
	enum jm_rc rc = load_head(db, a, form_id, out);
	rc = rc ? rc : load_fields(db, a, form_id, &out->fields, &out->nfields);
	rc = rc ? rc : check_filter(out, key, value, err);
	rc = rc ? rc
	        : query_rows(db, a, form_id, key, value, cursor, limit,
	                     (flags & FORMS_LIST_UNVERIFIED) != 0, out);
	return rc;
}

/* ---- bulk actions ---- */

/* The distinct people behind the answer ids, every id checked to be one of
 * form_id's answers. */
static enum jm_rc answer_people(struct db *db, int64_t form_id, const struct forms_bulk *b,
                                int64_t *people, size_t *n, struct jm_err *err)
{
	enum jm_rc rc = JM_OK;
	*n = 0;
	for (size_t i = 0; i < b->n && !rc; i++) {
		int64_t pid = 0;
		rc = b->answer_ids[i] > 0
		             ? db_query_int(
		                       db, &pid, 0,
		                       "SELECT person_id FROM answers WHERE id = ? AND form_id = ?",
		                       "ii", b->answer_ids[i], form_id)
		             : JM_OK;
		if (!rc && pid == 0) {
			jm_err_set(err, "answer_ids", "answer %lld is not an answer of this form",
			           (long long)b->answer_ids[i]);
			return JM_INVALID;
		}
		bool seen = false;
		for (size_t k = 0; k < *n && !seen; k++)
			seen = people[k] == pid;
		if (!rc && !seen)
			people[(*n)++] = pid;
	}
	return rc;
}

/* The distinct people of every answer of b's filter (an "all" action). */
static enum jm_rc filter_people(struct db *db, int64_t form_id, const struct forms_bulk *b,
                                int64_t **people, size_t *n, struct jm_err *err)
{
	struct arena *a = arena_new(4096);
	struct forms_results head;
	struct db_stmt *st = NULL;
	size_t cap = 0;
	int64_t unv = (b->flags & FORMS_LIST_UNVERIFIED) != 0;
	/* A one-row page checks the form and the filter as the list does. */
	enum jm_rc rc = forms_answers_list(db, a, form_id, b->filter_key, b->filter_value, 0, 1,
	                                   b->flags, &head, err);
	if (rc == JM_INVALID)
		snprintf(err->field, sizeof(err->field), "filter");
	rc = rc ? rc
	     : b->filter_key
	             ? db_preparef(
	                       db, &st,
	                       "SELECT DISTINCT a.person_id FROM answer_values v JOIN answers a "
	                       "ON a.id = v.answer_id WHERE v.form_id = ? AND v.key = ? AND "
	                       "v.value = ? AND (a.verified = 1 OR ? = 1) ORDER BY 1",
	                       "itti", form_id, b->filter_key, b->filter_value, unv)
	             : db_preparef(db, &st,
	                           "SELECT DISTINCT person_id FROM answers WHERE form_id = ? AND "
	                           "(verified = 1 OR ? = 1) ORDER BY 1",
	                           "ii", form_id, unv);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		if (*n == FORMS_BULK_ALL_MAX) {
			jm_err_set(err, "filter", "more than %d people: narrow the filter",
			           FORMS_BULK_ALL_MAX);
			rc = JM_INVALID;
			break;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			*people = xrealloc(*people, cap * sizeof(**people));
		}
		(*people)[(*n)++] = db_col_int(st, 0);
	}
	db_finalize(st);
	arena_free(a);
	if (rc == JM_DONE && *n == 0) {
		jm_err_set(err, "filter", "no answer matches the filter");
		return JM_INVALID;
	}
	return rc == JM_DONE ? JM_OK : rc;
}

/* Names the bulk's own argument in err the way the API spells it. */
static enum jm_rc rename_field(enum jm_rc rc, const struct forms_bulk *b, struct jm_err *err)
{
	if (rc == JM_INVALID && err && strcmp(err->field, "arg") == 0)
		snprintf(err->field, sizeof(err->field), "%s",
		         b->op == FORMS_BULK_STAGE ? "stage" : "tag");
	if (rc == JM_NOT_FOUND) /* a person erased meanwhile: still bad input */
		rc = JM_INVALID;
	return rc;
}

static enum jm_rc apply(struct db *db, const struct forms_bulk *b, const int64_t *ids, size_t n,
                        int64_t now, struct jm_err *err)
{
	switch (b->op) {
	case FORMS_BULK_TAG: return net_people_bulk(db, NET_BULK_TAG, ids, n, b->arg, now, err);
	case FORMS_BULK_UNTAG: return net_people_bulk(db, NET_BULK_UNTAG, ids, n, b->arg, now, err);
	case FORMS_BULK_STAGE: return net_people_bulk(db, NET_BULK_STAGE, ids, n, b->arg, now, err);
	case FORMS_BULK_FIELD: return net_people_bulk_field(db, ids, n, b->key, b->value, now, err);
	case FORMS_BULK_INTERACTION: {
		struct net_interaction in = {
		        .kind = b->kind ? b->kind : "", .note = b->note, .happened_at = now};
		return net_interactions_add_many(db, &in, ids, n, now, err);
	}
	}
	jm_err_set(err, "op", "unknown operation");
	return JM_INVALID;
}

enum jm_rc forms_answers_bulk(struct db *db, int64_t form_id, const struct forms_bulk *b,
                              int64_t now, int64_t *people, struct jm_err *err)
{
	*people = 0;
	if (!b->all && (b->n == 0 || b->n > FORMS_BULK_MAX)) {
		jm_err_set(err, "answer_ids", "from 1 to %d answers", FORMS_BULK_MAX);
		return JM_INVALID;
	}
	int64_t exists = 0;
	enum jm_rc rc =
	        db_query_int(db, &exists, 0, "SELECT 1 FROM forms WHERE id = ?", "i", form_id);
	if (!rc && !exists)
		return JM_NOT_FOUND;
	int64_t *ids = b->all ? NULL : xmalloc(b->n * sizeof(*ids));
	size_t n = 0;
	if (!rc)
		rc = b->all ? filter_people(db, form_id, b, &ids, &n, err)
		            : answer_people(db, form_id, b, ids, &n, err);
	rc = rc ? rc : rename_field(apply(db, b, ids, n, now, err), b, err);
	if (!rc)
		*people = (int64_t)n;
	free(ids);
	return rc;
}

/* ---- the funnel's row ---- */

enum jm_rc forms_ask_responders(struct db *db, int64_t from, int64_t to, int64_t counts[4])
{
	struct db_stmt *st = NULL;
	memset(counts, 0, 4 * sizeof(counts[0]));
	enum jm_rc rc = db_preparef(
	        db, &st,
	        "SELECT p.stage, count(*) FROM people p WHERE p.id IN (SELECT a.person_id FROM "
	        "answers a JOIN forms f ON f.id = a.form_id WHERE f.kind = 'ask' AND "
	        "a.verified = 1 AND a.created_at >= ? AND a.created_at < ?) GROUP BY p.stage",
	        "ii", from, to);
	while (!rc && (rc = db_step(st)) == JM_OK) {
		int k = net_stage_rank(db_col_text(st, 0, NULL));
		if (k >= 0)
			counts[k] = db_col_int(st, 1);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc forms_funnel_askers(struct db *db, const struct net_funnel *f, const char *zone,
                               int64_t now, int64_t counts[4])
{
	int y = 0, m = 0;
	memset(counts, 0, 4 * sizeof(counts[0]));
	if (f->nmonths == 0 || sscanf(f->months[0].month, "%4d-%2d", &y, &m) != 2)
		return JM_INVALID;
	int64_t from = jm_tz_local_to_utc(zone, jm_time_civil(y, m, 1));
	return forms_ask_responders(db, from, now + 1, counts);
}
