/*
 * results_csv.c — a form's results as CSV for Excel (forms_results_csv,
 * forms.h): UTF-8 with a BOM, or CP932 (Shift_JIS as Excel reads it by
 * default in Japan).
 *
 * One statement streams every answer (oldest first) with its person and,
 * through a correlated subquery on answer_values' primary key, its values
 * joined as "key\x1fvalue\x1e…"; rows are written in chunks of about
 * CHUNK bytes, so memory stays bounded by one chunk whatever the size.
 * Cells go through newsletter's one CSV writer (libcsv quoting and the
 * formula guard), CP932 through newsletter's iconv conversion.
 */
#include "forms/forms.h"

#include "db/db.h"
#include "newsletter/newsletter.h"

#define CHUNK (64u << 10)

static const char *const fixed_cols[] = {"id",   "created_at", "status",     "email",
                                         "name", "stage",      "engagement", "subscribed_since",
                                         "give", "take"};
#define NFIXED (sizeof(fixed_cols) / sizeof(fixed_cols[0]))

/* The values of one answer as "k\x1fv\x1e…" (group_concat/string_agg). */
#define VALUES_SQLITE                                                                              \
	"(SELECT group_concat(v.key || char(31) || v.value, char(30)) FROM answer_values v "       \
	"WHERE v.answer_id = a.id)"
#define VALUES_PG                                                                                  \
	"(SELECT string_agg(v.key || chr(31) || v.value, chr(30) ORDER BY v.key, v.value) "        \
	"FROM answer_values v WHERE v.answer_id = a.id)"
#define CSV_COLS(values)                                                                           \
	"SELECT a.id, a.created_at, a.status, COALESCE(p.email, ''), COALESCE(p.name, ''), "       \
	"p.stage, p.engagement, (SELECT min(COALESCE(s.confirmed_at, s.created_at)) FROM "         \
	"subscriptions s WHERE s.person_id = p.id AND s.status = 'active'), p.gave, "              \
	"p.asks, " values
#define FROM_ALL                                                                                   \
	" FROM answers a JOIN people p ON p.id = a.person_id WHERE a.form_id = ? "                 \
	"AND (a.verified = 1 OR ? = 1) ORDER BY a.id"
#define FROM_FILTER                                                                                \
	" FROM answer_values f JOIN answers a ON a.id = f.answer_id JOIN people p ON "             \
	"p.id = a.person_id WHERE f.form_id = ? AND f.key = ? AND f.value = ? "                    \
	"AND (a.verified = 1 OR ? = 1) ORDER BY f.answer_id"

struct csv_out {
	struct buf b, conv, cell;
	bool sjis;
	size_t substituted;
	enum jm_rc (*write)(const char *p, size_t len, void *user);
	void *user;
};

static enum jm_rc flush(struct csv_out *w, size_t above)
{
	if (w->b.len <= above)
		return JM_OK;
	enum jm_rc rc = JM_OK;
	if (w->sjis) {
		buf_reset(&w->conv);
		rc = nl_utf8_to_cp932(w->b.ptr, w->b.len, &w->conv, &w->substituted);
		rc = rc ? rc : w->write(w->conv.ptr, w->conv.len, w->user);
	} else {
		rc = w->write(w->b.ptr, w->b.len, w->user);
	}
	buf_reset(&w->b);
	return rc;
}

static enum jm_rc header(struct csv_out *w, const struct forms_field *f, size_t nf)
{
	enum jm_rc rc = w->sjis ? JM_OK : buf_appends(&w->b, "\xEF\xBB\xBF");
	for (size_t i = 0; i < NFIXED && !rc; i++)
		rc = nl_csv_cell(&w->b, fixed_cols[i], strlen(fixed_cols[i]),
		                 i + 1 == NFIXED && !nf);
	for (size_t i = 0; i < nf && !rc; i++)
		rc = nl_csv_cell(&w->b, f[i].label, strlen(f[i].label), i + 1 == nf);
	return rc;
}

/* The cell of field key: its values in all ("k\x1fv\x1e…"), "; "-joined. */
static enum jm_rc field_cell(struct csv_out *w, const char *all, const char *key, bool last)
{
	size_t kl = strlen(key);
	enum jm_rc rc = JM_OK;
	buf_reset(&w->cell);
	for (const char *p = all; p && *p && !rc;) {
		const char *end = strchr(p, '\x1e');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > kl && memcmp(p, key, kl) == 0 && p[kl] == '\x1f') {
			rc = w->cell.len ? buf_appends(&w->cell, "; ") : JM_OK;
			rc = rc ? rc : buf_append(&w->cell, p + kl + 1, n - kl - 1);
		}
		p = end ? end + 1 : NULL;
	}
	return rc ? rc : nl_csv_cell(&w->b, w->cell.ptr ? w->cell.ptr : "", w->cell.len, last);
}

static enum jm_rc time_cell(struct csv_out *w, int64_t t)
{
	char iso[32] = "";
	if (t > 0)
		jm_time_iso(t, iso);
	return nl_csv_cell(&w->b, iso, strlen(iso), false);
}

static enum jm_rc row(struct csv_out *w, struct db_stmt *st, const struct forms_field *f, size_t nf)
{
	char num[24];
	enum jm_rc rc = JM_OK;
	for (int c = 0; c < (int)NFIXED && !rc; c++) {
		bool last = c + 1 == (int)NFIXED && !nf;
		if (c == 1 || c == 7) {
			rc = time_cell(w, db_col_null(st, c) ? 0 : db_col_int(st, c));
		} else if (c == 0 || c >= 6) {
			int k = snprintf(num, sizeof(num), "%lld", (long long)db_col_int(st, c));
			rc = nl_csv_cell(&w->b, num, (size_t)k, last);
		} else {
			size_t n = 0;
			const char *s = db_col_text(st, c, &n);
			rc = nl_csv_cell(&w->b, s ? s : "", s ? n : 0, last);
		}
	}
	const char *all = db_col_text(st, (int)NFIXED, NULL);
	for (size_t i = 0; i < nf && !rc; i++)
		rc = field_cell(w, all, f[i].key, i + 1 == nf);
	return rc ? rc : flush(w, CHUNK);
}

static enum jm_rc rows(struct db *db, struct csv_out *w, int64_t form_id, const char *key,
                       const char *value, bool unverified, const struct forms_field *f, size_t nf)
{
	struct db_stmt *st = NULL;
	/* group_concat is SQLite's, string_agg PostgreSQL's (with its order). */
	enum jm_rc rc = key ? db_preparef(db, &st,
	                                  DB_SQL(db, CSV_COLS(VALUES_SQLITE) FROM_FILTER,
	                                         CSV_COLS(VALUES_PG) FROM_FILTER),
	                                  "itti", form_id, key, value, (int64_t)unverified)
	                    : db_preparef(db, &st,
	                                  DB_SQL(db, CSV_COLS(VALUES_SQLITE) FROM_ALL,
	                                         CSV_COLS(VALUES_PG) FROM_ALL),
	                                  "ii", form_id, (int64_t)unverified);
	while (!rc && (rc = db_step(st)) == JM_OK)
		rc = row(w, st, f, nf);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc forms_results_csv(struct db *db, int64_t form_id, const char *key, const char *value,
                             unsigned flags, bool sjis,
                             enum jm_rc (*write)(const char *p, size_t len, void *user), void *user,
                             size_t *substituted, struct jm_err *err)
{
	struct arena *a = arena_new(4096);
	struct forms_results head;
	struct csv_out w = {.sjis = sjis, .write = write, .user = user};
	buf_init(&w.b, 0);
	buf_init(&w.conv, 0);
	buf_init(&w.cell, 0);
	/* A zero-row page checks the form and the filter as the list does. */
	enum jm_rc rc = forms_answers_list(db, a, form_id, key, value, 0, 1, flags, &head, err);
	rc = rc ? rc : header(&w, head.fields, head.nfields);
	rc = rc ? rc
	        : rows(db, &w, form_id, key, value, (flags & FORMS_LIST_UNVERIFIED) != 0,
	               head.fields, head.nfields);
	rc = rc ? rc : flush(&w, 0);
	if (substituted)
		*substituted = w.substituted;
	buf_free(&w.b);
	buf_free(&w.conv);
	buf_free(&w.cell);
	arena_free(a);
	return rc;
}
