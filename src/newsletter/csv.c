/*
 * csv.c — subscriber import and export as CSV (RFC 4180 as libcsv reads
 * and writes it), in UTF-8 or Shift_JIS/CP932 (what Japanese Excel saves),
 * converted with iconv.
 *
 * Import runs two streaming passes over the file: the first only parses
 * (and converts), so a broken quote or a wrong encoding is found before
 * anything is written and the file imports nothing; the second stages
 * valid rows into a TEMP table (csv_stage.c: one row per line, custom
 * fields as columns, hundreds of rows per INSERT) and moves each batch of
 * NL_IMPORT_BATCH rows into people, subscriptions, tags, fields and events
 * with a few set-based statements in one transaction; each staged row's
 * person id is resolved once per batch (new people by their id range, not
 * by probing the email index again for subscriptions, fields and tags).
 * Memory stays bounded by a batch, never by the file: no per-row
 * allocation, prepared statements reused.
 * Bad rows (invalid email, wrong column count, bad value) are skipped and
 * reported by line number, in English for the CLI and as a reason code
 * with the column for the admin's message in the UI's language;
 * duplicates (within the file or an existing person) merge into one
 * person. A select or checkbox column follows the sign-up form's rule
 * (nl_field_check: an option or empty, a checkbox spelling stored as
 * "1"/"", required not empty); text columns keep the one-line/length check
 * only, as before. A column may fill the person's own furigana, company or
 * title (opts person_cols, or a list field mapped onto a person field,
 * 0011): a new person gets the value, a merged one only where that column
 * is empty, as with the name.
 *
 * Formula injection (OWASP "CSV Injection"): the export puts an apostrophe
 * before a cell that starts (after any apostrophes) with = + - @ TAB or CR,
 * and the import drops exactly that apostrophe again, so an export imports
 * back unchanged (nl_csv_needs_guard, shared with the people export).
 */
#include <csv.h>
#include <iconv.h>

#include "newsletter/nl_int.h"
#include "people/people.h"

/* Rows per transaction: big batches keep the email index's page writes
 * together (random addresses dirty most of it); progress is reported more
 * often than that. */
#define NL_IMPORT_BATCH    50000
#define NL_IMPORT_PROGRESS 5000
#define CSV_COLS_MAX       256
#define CSV_FIELD_MAX      10000 /* bytes of one field */
#define CONV_CHUNK         65536
#define TAG_MAX            100

struct imp {
	struct db *db;
	const struct nl_import_opts *o;
	struct nl_import_report *rep;
	struct jm_err *err;
	nl_progress_fn progress;
	void *user;
	const char *data;
	size_t len, pos; /* input bytes, and how far the current pass got */
	bool sjis, writing, rolled_back;
	struct csv_parser p;
	/* line bookkeeping: line of the current piece, start line of the row */
	int64_t line, row_line;
	bool row_done;
	/* the current row's fields, copied out of the parser */
	struct buf row;
	size_t off[CSV_COLS_MAX], flen[CSV_COLS_MAX];
	/* per column: the select/checkbox field it is mapped to (NULL for text
	 * and unmapped columns), and the value to store for this row */
	const struct nl_field *checked[CSV_COLS_MAX];
	const char *val[CSV_COLS_MAX];
	/* per column: the person column it fills (from person_cols or the
	 * field's mapping), NULL for none */
	const char *pcol[CSV_COLS_MAX];
	/* per column: its staging column f<k> (0 for none), and the keys of
	 * f1 … f<nfk> */
	size_t fcol[CSV_COLS_MAX];
	const char **fkeys;
	size_t nfk;
	struct nl_stage *stage;
	bool has_checked; /* any such column: text-only files skip the check */
	size_t nf, nf_total;
	bool field_too_long, header_seen;
	const char **head; /* the header row's cells (in a), for messages */
	size_t nhead;
	struct arena *a;
	size_t ncols;
	/* batch state */
	int64_t staged, line_seen, now;
	const char *slug, *consent_text;
	enum jm_rc rc;
};

/* ---- report ---- */

/* why is English (the CLI's line); code and field are for the UI. Returns
 * the recorded entry (NULL past the first 20) for a detail. */
static struct jm_row_err *report_bad(struct imp *im, const char *why, const char *code,
                                     const char *field)
{
	struct nl_import_report *r = im->rep;
	r->skipped++;
	if (r->nerrors >= 20)
		return NULL;
	struct jm_row_err *w = &r->why[r->nerrors];
	w->line = im->row_line;
	snprintf(w->code, sizeof(w->code), "%s", code);
	snprintf(w->field, sizeof(w->field), "%s", field ? field : "");
	snprintf(r->errors[r->nerrors++], sizeof(r->errors[0]), "line %lld: %s",
	         (long long)im->row_line, why);
	return w;
}

/* Records why the whole import failed, for the UI's message. */
static void set_fail(struct imp *im, const char *code, int64_t line)
{
	snprintf(im->rep->fail.code, sizeof(im->rep->fail.code), "%s", code);
	im->rep->fail.line = line;
}

/* The header cell of column i (for messages), or its number. */
static const char *col_label(struct imp *im, size_t i, char *tmp, size_t n)
{
	if (im->head && i < im->nhead && im->head[i] && *im->head[i])
		return im->head[i];
	snprintf(tmp, n, "%zu", i + 1);
	return tmp;
}

/* ---- staging a row (pass 2) ---- */

static const char *fld(struct imp *im, size_t i)
{
	return im->row.ptr + im->off[i];
}

static bool field_ok(struct imp *im, size_t i, size_t max)
{
	return memchr(fld(im, i), '\0', im->flen[i]) == NULL && nl_text_ok(fld(im, i), max);
}

/* Checks the columns of typed fields (select, checkbox, email, url, number,
 * date, tel) as the sign-up form does. */
static bool choices_ok(struct imp *im)
{
	static const char *const why[] = {
	        [NL_VALUE_TOO_LONG] = "too long or not on one line",
	        [NL_VALUE_NOT_OPTION] = "not one of the options",
	        [NL_VALUE_NOT_CHECKBOX] = "not a checkbox value (1/0, yes/no, はい/いいえ, ✓)",
	        [NL_VALUE_REQUIRED] = "required",
	        [NL_VALUE_BAD] = "not a value of its type"};
	for (size_t i = 0; i < im->o->ncols_mapped && i < im->nf; i++) {
		const struct nl_field *f = im->checked[i];
		if ((int)i == im->o->col_email || (int)i == im->o->col_name)
			continue;
		enum nl_value_check c =
		        f ? nl_field_check(f, fld(im, i), false, &im->val[i]) : NL_VALUE_OK;
		static const char *const code[] = {[NL_VALUE_TOO_LONG] = "value_too_long",
		                                   [NL_VALUE_NOT_OPTION] = "not_option",
		                                   [NL_VALUE_NOT_CHECKBOX] = "not_checkbox",
		                                   [NL_VALUE_REQUIRED] = "required",
		                                   [NL_VALUE_BAD] = "bad_value"};
		if (c != NL_VALUE_OK) {
			char msg[120];
			snprintf(msg, sizeof(msg), "field %s: %s", f->key, why[c]);
			report_bad(im, msg, code[c], f->label);
			return false;
		}
	}
	return true;
}

/* The person columns a row fills besides the name. */
static const char *const pcols[] = {"furigana", "company", "title"};

/* Row value of person column pc ("" when no column fills it). */
static const char *pcol_val(struct imp *im, const char *pc)
{
	for (size_t i = 0; i < im->o->ncols_mapped && i < im->nf; i++)
		if (im->pcol[i] && !strcmp(im->pcol[i], pc))
			return im->checked[i] ? im->val[i] : fld(im, i);
	return "";
}

static const char *person_val(struct imp *im, size_t k)
{
	return pcol_val(im, pcols[k]);
}

/* A list field mapped onto the name fills it when no column is the name. */
static const char *person_name(struct imp *im)
{
	return pcol_val(im, "name");
}

/* Checks the email, name and value columns; false after reporting. */
static bool cells_ok(struct imp *im, char *email)
{
	const struct nl_import_opts *o = im->o;
	char why[96], tmp[24];
	const char *ce = col_label(im, (size_t)o->col_email, tmp, sizeof(tmp));
	if (!field_ok(im, (size_t)o->col_email, NL_EMAIL_MAX) ||
	    !nl_email_norm(fld(im, (size_t)o->col_email), email)) {
		struct jm_row_err *w = report_bad(im, "invalid email", "email", ce);
		if (w)
			snprintf(w->detail, sizeof(w->detail), "%s",
			         jm_email_problem(fld(im, (size_t)o->col_email)));
		return false;
	}
	if (o->col_name >= 0 && !field_ok(im, (size_t)o->col_name, NL_NAME_MAX)) {
		report_bad(im, "invalid name", "name",
		           col_label(im, (size_t)o->col_name, tmp, sizeof(tmp)));
		return false;
	}
	for (size_t i = 0; i < o->ncols_mapped && i < im->nf; i++) {
		bool keyed = o->field_keys && o->field_keys[i];
		size_t max = keyed && !im->pcol[i] ? NL_VALUE_MAX : NL_NAME_MAX;
		if ((keyed || im->pcol[i]) && !field_ok(im, i, max)) {
			snprintf(why, sizeof(why), "invalid value in column %zu", i + 1);
			report_bad(im, why, "value", col_label(im, i, tmp, sizeof(tmp)));
			return false;
		}
	}
	return true;
}

/* Checks one data row; a good row goes to the staging tables. */
static enum jm_rc stage_row(struct imp *im)
{
	const struct nl_import_opts *o = im->o;
	char email[NL_EMAIL_MAX + 2];
	char why[96];
	if (im->nf_total != im->ncols) {
		snprintf(why, sizeof(why), "expected %zu columns, found %zu", im->ncols,
		         im->nf_total);
		char want[24];
		snprintf(want, sizeof(want), "%zu", im->ncols);
		struct jm_row_err *w = report_bad(im, why, "columns", want);
		if (w)
			snprintf(w->detail, sizeof(w->detail), "%zu", im->nf_total);
		return JM_OK;
	}
	if ((size_t)o->col_email >= im->nf || (o->col_name >= 0 && (size_t)o->col_name >= im->nf)) {
		report_bad(im, "no such column for email or name", "no_column", NULL);
		return JM_OK;
	}
	if (im->field_too_long) {
		report_bad(im, "a field is too long", "too_long", NULL);
		return JM_OK;
	}
	if (!cells_ok(im, email) || (im->has_checked && !choices_ok(im)))
		return JM_OK;
	const char *vals[5 + CSV_COLS_MAX] = {
	        email, o->col_name >= 0 ? fld(im, (size_t)o->col_name) : person_name(im),
	        person_val(im, 0), person_val(im, 1), person_val(im, 2)};
	for (size_t i = 0; i < o->ncols_mapped && i < im->nf; i++)
		if (im->fcol[i])
			vals[4 + im->fcol[i]] = im->checked[i] ? im->val[i] : fld(im, i);
	enum jm_rc rc = nl_stage_add(im->stage, im->row_line, vals);
	if (!rc)
		im->staged++;
	return rc;
}

/* ---- moving a staged batch into the real tables ---- */

/* True when some column of the file fills person column pc. */
static bool fills(struct imp *im, const char *pc)
{
	for (size_t i = 0; i < im->o->ncols_mapped && i < CSV_COLS_MAX; i++)
		if (im->pcol[i] && !strcmp(im->pcol[i], pc))
			return true;
	return false;
}

/* Gives every staged row its person id, creating the new people
 * (people_batch_ensure: one statement per batch). */
static enum jm_rc move_people(struct imp *im)
{
	static const unsigned bits[] = {PEOPLE_COL_FURIGANA, PEOPLE_COL_COMPANY, PEOPLE_COL_TITLE};
	unsigned cols = 0;
	for (size_t k = 0; k < 3; k++)
		if (fills(im, pcols[k]))
			cols |= bits[k];
	int64_t created = 0;
	enum jm_rc rc = nl_stage_index(im->stage);
	rc = rc ? rc : people_batch_ensure(im->db, "nl_import", "import", im->now, cols, &created);
	if (rc)
		return rc;
	im->rep->imported += created;
	im->rep->merged += im->staged - created;
	return JM_OK;
}

/* Queues the confirmation mails of a batch's new pending subscriptions.
 * The domain: NL_DOMAIN_SQLITE or NL_DOMAIN_PG (nl_int.h). */
#define CONFIRMS_SQL(DOMAIN)                                                                       \
	"INSERT INTO deliveries(kind, subscription_id, person_id, to_addr, domain, state, "        \
	"next_attempt_at, created_at) SELECT 'confirm', s.id, s.person_id, p.email, " DOMAIN       \
	", 'queued', ?, ? FROM subscriptions s "                                                   \
	"JOIN people p ON p.id = s.person_id WHERE s.id > ?"

static enum jm_rc move_subscriptions(struct imp *im)
{
	int64_t first = 0, now = im->now, list = 0;
	bool optin = im->o->send_optin;
	/* Bulk mode checks no foreign keys (db_bulk_mode): the list, checked
	 * before the first batch, is checked again in each batch's
	 * transaction (another writer may have deleted it in between); the
	 * people were resolved in this transaction. */
	enum jm_rc rc = db_query_int(im->db, &list, 0, "SELECT count(*) FROM lists WHERE id = ?",
	                             "i", im->o->list_id);
	if (!rc && list != 1)
		rc = JM_INVALID;
	if (!rc)
		rc = db_query_int(im->db, &first, 0, "SELECT max(id) FROM subscriptions", "");
	if (!rc)
		rc = db_execf(im->db,
		              "INSERT INTO subscriptions(person_id, list_id, status, created_at, "
		              "updated_at, confirmed_at, consent_at, consent_source, consent_text) "
		              "SELECT pid, ?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ? FROM "
		              "nl_import WHERE true ORDER BY pid "
		              "ON CONFLICT(person_id, list_id) DO NOTHING",
		              "itiiiitt", im->o->list_id, optin ? "pending" : "active", now, now,
		              optin ? 0 : now, optin ? 0 : now,
		              im->o->source ? im->o->source : "import", im->consent_text);
	if (!rc)
		rc = people_batch_event(im->db, "SELECT person_id FROM subscriptions WHERE id > ?",
		                        first, "imported", im->slug, now);
	if (!rc && optin)
		rc = db_execf(
		        im->db,
		        DB_SQL(im->db, CONFIRMS_SQL(NL_DOMAIN_SQLITE), CONFIRMS_SQL(NL_DOMAIN_PG)),
		        "iii", now, now, first);
	return rc;
}

static enum jm_rc move_extras(struct imp *im)
{
	enum jm_rc rc = JM_OK;
	if (im->o->tag && *im->o->tag)
		rc = people_batch_tag(im->db, "nl_import", im->o->tag);
	if (!rc)
		rc = people_batch_fields(im->db, "nl_import", im->fkeys, im->nfk);
	if (!rc)
		rc = nl_stage_clear(im->stage);
	return rc;
}

/* Moves the staged rows, commits, reports progress and opens the next
 * transaction (unless last). */
static enum jm_rc flush_batch(struct imp *im, bool last)
{
	enum jm_rc rc = JM_OK;
	if (im->staged) {
		rc = move_people(im);
		if (!rc)
			rc = move_subscriptions(im);
		if (!rc)
			rc = move_extras(im);
		im->staged = 0;
	}
	if (!rc)
		rc = db_commit(im->db);
	if (rc) {
		db_rollback(im->db);
		im->rolled_back = true;
		jm_err_set(im->err, NULL, "import stopped near line %lld: database error",
		           (long long)im->row_line);
		set_fail(im, "db", im->row_line);
		return rc;
	}
	if (im->progress)
		im->progress((int64_t)im->pos, (int64_t)im->len, im->user);
	return last ? JM_OK : db_begin(im->db);
}

/* ---- libcsv callbacks ---- */

static void on_field(void *s, size_t len, void *data)
{
	struct imp *im = data;
	im->nf_total++;
	if (!im->writing || im->rc || im->nf >= CSV_COLS_MAX)
		return;
	if (len && *(const char *)s == '\'') { /* the export's formula guard */
		size_t g = nl_csv_guard_len(s, len);
		s = (char *)s + g;
		len -= g;
	}
	if (len > CSV_FIELD_MAX) {
		im->field_too_long = true;
		len = 0;
	}
	im->off[im->nf] = im->row.len;
	im->flen[im->nf] = len;
	im->rc = buf_append(&im->row, s, len);
	if (!im->rc)
		im->rc = buf_appendc(&im->row, '\0');
	im->nf++;
}

static void row_reset(struct imp *im)
{
	im->nf = im->nf_total = 0;
	im->field_too_long = false;
	im->row.len = 0;
	im->row_done = true;
}

/* Keeps the header cells for the messages about a column. */
static void keep_header(struct imp *im)
{
	im->nhead = im->nf;
	im->head = arena_calloc(im->a, (im->nf + 1) * sizeof(*im->head));
	for (size_t i = 0; i < im->nf; i++)
		im->head[i] = arena_strndup(im->a, fld(im, i),
		                            utf8_truncate(fld(im, i), im->flen[i], 60));
}

static void on_row(int c, void *data)
{
	struct imp *im = data;
	(void)c;
	if (!im->writing || im->rc) {
		row_reset(im);
		return;
	}
	if (im->o->has_header && !im->header_seen) {
		im->header_seen = true;
		im->ncols = im->nf_total;
		keep_header(im);
	} else {
		if (!im->ncols)
			im->ncols = im->nf_total;
		im->rep->rows++;
		im->rc = stage_row(im);
		if (!im->rc && im->rep->rows % NL_IMPORT_BATCH == 0)
			im->rc = flush_batch(im, false);
		else if (!im->rc && im->progress && im->rep->rows % NL_IMPORT_PROGRESS == 0)
			im->progress((int64_t)im->pos, (int64_t)im->len, im->user);
	}
	row_reset(im);
}

/* ---- feeding the parser line by line (for line numbers) ---- */

static bool blank_piece(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* Feeds UTF-8 text; JM_INVALID at a parse error. */
static enum jm_rc feed(struct imp *im, const char *p, size_t n)
{
	while (n && !im->rc) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) + 1 : n;
		if (im->row_done && !blank_piece(p, k)) {
			im->row_line = im->line;
			im->row_done = false;
		}
		if (csv_parse(&im->p, p, k, on_field, on_row, im) != k) {
			jm_err_set(im->err, "file", "line %lld: broken quote (%s)",
			           (long long)im->line, csv_strerror(csv_error(&im->p)));
			set_fail(im, "quote", im->line);
			return im->rc ? im->rc : JM_INVALID;
		}
		if (nl)
			im->line++;
		p += k;
		n -= k;
		if (!im->sjis) /* p points into the caller's data */
			im->pos = (size_t)(p - im->data);
	}
	return im->rc;
}

static enum jm_rc feed_sjis(struct imp *im)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1) {
		jm_err_set(im->err, "file", "Shift_JIS conversion is not available");
		set_fail(im, "no_sjis", 0);
		return JM_IO;
	}
	char out[CONV_CHUNK];
	char *in = (char *)im->data;
	size_t inleft = im->len;
	enum jm_rc rc = JM_OK;
	while (inleft && !rc) {
		char *o = out;
		size_t oleft = sizeof(out);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		if (r == (size_t)-1 && errno != E2BIG) {
			rc = JM_INVALID;
			break;
		}
		im->pos = (size_t)(in - im->data);
		rc = feed(im, out, (size_t)(o - out));
	}
	iconv_close(cd);
	return rc;
}

/* One pass over the whole file; writing = false only parses. */
static enum jm_rc run_pass(struct imp *im, bool writing)
{
	im->writing = writing;
	im->line = 1;
	im->row_line = 1;
	im->pos = 0;
	im->rc = JM_OK;
	row_reset(im);
	if (csv_init(&im->p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return JM_NOMEM;
	enum jm_rc rc;
	if (im->sjis) {
		rc = feed_sjis(im);
	} else {
		size_t bom = im->len >= 3 && memcmp(im->data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
		rc = feed(im, im->data + bom, im->len - bom);
		im->pos = im->len;
	}
	if (!rc && csv_fini(&im->p, on_field, on_row, im) != 0) {
		jm_err_set(im->err, "file", "line %lld: unterminated quoted field",
		           (long long)im->row_line);
		set_fail(im, "quote", im->row_line);
		rc = JM_INVALID;
	}
	rc = rc ? rc : im->rc;
	csv_free(&im->p);
	return rc;
}

/* ---- import entry ---- */

static enum jm_rc check_opts(struct db *db, struct imp *im, struct nl_list *l, struct arena *a)
{
	const struct nl_import_opts *o = im->o;
	enum jm_rc rc = nl_list_get(db, a, o->list_id, l);
	if (rc) {
		jm_err_set(im->err, "list", "no such list");
		set_fail(im, "no_list", 0);
		return rc;
	}
	const char *bad = NULL;
	if (o->col_email < 0 || o->col_email >= CSV_COLS_MAX)
		bad = "col_email";
	else if (o->col_name < -1 || o->col_name >= CSV_COLS_MAX || o->col_name == o->col_email)
		bad = "col_name";
	else if (o->tag && *o->tag && !nl_text_ok(o->tag, TAG_MAX))
		bad = "tag";
	else if (o->source && !nl_text_ok(o->source, 500))
		bad = "source";
	for (size_t i = 0; !bad && o->field_keys && i < o->ncols_mapped; i++) {
		bool known = !o->field_keys[i];
		for (size_t j = 0; !known && j < l->nfields; j++) {
			const struct nl_field *f = &l->fields[j];
			known = strcmp(f->key, o->field_keys[i]) == 0;
			if (known && i < CSV_COLS_MAX && f->person && *f->person)
				im->pcol[i] = f->person;
			if (known && i < CSV_COLS_MAX && strcmp(f->type, "text") != 0) {
				im->checked[i] = f;
				im->has_checked = true;
			}
		}
		bad = known ? NULL : "field_keys";
	}
	for (size_t i = 0; !bad && o->person_cols && i < o->ncols_mapped && i < CSV_COLS_MAX; i++) {
		const char *pc = o->person_cols[i];
		if (pc && (!*pc || !strcmp(pc, "name") || !nl_person_field_ok(pc)))
			bad = "person_cols";
		else if (pc && !im->pcol[i] && (!o->field_keys || !o->field_keys[i]))
			im->pcol[i] = pc;
	}
	if (bad) {
		jm_err_set(im->err, bad, "invalid %s", bad);
		set_fail(im, o->col_email < 0 ? "no_email" : "opts", 0);
		return JM_INVALID;
	}
	return JM_OK;
}

/* Decides UTF-8 or CP932 and checks the file parses: pass 1. */
static enum jm_rc detect_and_parse(struct imp *im)
{
	enum nl_encoding enc = im->o->encoding;
	bool utf8 = utf8_valid(im->data, im->len);
	if (enc == NL_ENC_UTF8 && !utf8) {
		jm_err_set(im->err, "file", "file is not valid UTF-8");
		set_fail(im, "not_utf8", 0);
		return JM_INVALID;
	}
	im->sjis = enc == NL_ENC_SJIS || (enc == NL_ENC_AUTO && !utf8);
	im->rep->detected = im->sjis ? NL_ENC_SJIS : NL_ENC_UTF8;
	enum jm_rc rc = run_pass(im, false);
	if (rc == JM_INVALID && im->sjis && !im->err->msg[0]) {
		jm_err_set(im->err, "file",
		           enc == NL_ENC_SJIS ? "file is not Shift_JIS"
		                              : "file is not UTF-8 or Shift_JIS");
		set_fail(im, "encoding", 0);
	}
	return rc;
}

/* The staging columns f1 … f<nfk>: every mapped custom-field column that
 * is not the email, the name or a person column, in column order. */
static enum jm_rc prepare_staging(struct imp *im)
{
	const struct nl_import_opts *o = im->o;
	im->fkeys = arena_calloc(im->a, (o->ncols_mapped + 1) * sizeof(*im->fkeys));
	for (size_t i = 0; o->field_keys && i < o->ncols_mapped && i < CSV_COLS_MAX; i++) {
		if (!o->field_keys[i] || (int)i == o->col_email || (int)i == o->col_name ||
		    im->pcol[i])
			continue;
		im->fkeys[im->nfk++] = o->field_keys[i];
		im->fcol[i] = im->nfk;
	}
	return nl_stage_open(im->db, im->nfk, &im->stage);
}

static bool has_content(const char *p, size_t n)
{
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		n -= 3;
	}
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' && p[i] != '\t')
			return true;
	return false;
}

static enum jm_rc import_rows(struct imp *im)
{
	/* The UNIQUE email index is probed and grown at random places: bulk
	 * mode keeps more of it in memory while importing (restored below). */
	enum jm_rc rc = db_bulk_mode(im->db, true);
	rc = rc ? rc : prepare_staging(im);
	if (!rc)
		rc = db_begin(im->db);
	if (rc)
		return rc;
	rc = run_pass(im, true);
	if (!rc)
		rc = flush_batch(im, true);
	else if (!im->rolled_back)
		db_rollback(im->db);
	if (rc && !im->err->msg[0]) {
		jm_err_set(im->err, NULL, "import failed near line %lld", (long long)im->row_line);
		set_fail(im, "db", im->row_line);
	}
	if (db_bulk_mode(im->db, false) != JM_OK)
		log_at(LOG_WARN, "newsletter", "could not leave bulk mode");
	return rc;
}

enum jm_rc nl_import_csv(struct db *db, const unsigned char secret[32], const char *data,
                         size_t len, const struct nl_import_opts *o, nl_progress_fn progress,
                         void *user, struct nl_import_report *rep, struct jm_err *err)
{
	(void)secret; /* confirmation links are signed when the worker renders them */
	struct jm_err dummy = {0};
	struct imp im = {.db = db, .o = o, .rep = rep, .err = err ? err : &dummy};
	im.progress = progress;
	im.user = user;
	im.data = data;
	im.len = len;
	im.now = jm_now();
	memset(rep, 0, sizeof(*rep));
	buf_init(&im.row, 0);
	struct arena *a = arena_new(4096);
	struct nl_list l;
	im.a = a;
	enum jm_rc rc = check_opts(db, &im, &l, a);
	if (rc)
		goto out;
	im.slug = l.slug;
	im.consent_text = l.consent_text;
	if (!data || !has_content(data, len)) {
		jm_err_set(im.err, "file", "the file is empty");
		set_fail(&im, "empty", 0);
		rc = JM_INVALID;
		goto out;
	}
	rc = detect_and_parse(&im);
	if (!rc)
		rc = import_rows(&im);
out:
	nl_stage_free(im.stage);
	buf_free(&im.row);
	arena_free(a);
	return rc;
}

/* ---- formula guard (newsletter.h) ---- */

bool nl_csv_needs_guard(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] == '\'')
		i++;
	if (i == n)
		return false;
	char c = s[i];
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

size_t nl_csv_guard_len(const char *s, size_t n)
{
	return n && s[0] == '\'' && nl_csv_needs_guard(s + 1, n - 1) ? 1 : 0;
}

/* ---- export ---- */

struct out {
	struct buf b, guarded; /* guarded: scratch for a cell with its apostrophe */
	char *scratch;
	size_t scratch_size;
	enum jm_rc (*write)(const char *p, size_t len, void *user);
	void *user;
};

static enum jm_rc out_flush(struct out *w, size_t above)
{
	if (w->b.len <= above)
		return JM_OK;
	enum jm_rc rc = w->write(w->b.ptr, w->b.len, w->user);
	w->b.len = 0;
	return rc;
}

/* Appends one field, guarded, quoted by libcsv, and the separator after it. */
static enum jm_rc out_field(struct out *w, const char *s, size_t n, bool last)
{
	if (nl_csv_needs_guard(s, n)) {
		buf_reset(&w->guarded);
		enum jm_rc rc = buf_appendc(&w->guarded, '\'');
		rc = rc ? rc : buf_append(&w->guarded, s, n);
		if (rc)
			return rc;
		s = w->guarded.ptr;
		n = w->guarded.len;
	}
	size_t need = 2 * n + 2;
	if (need > w->scratch_size) {
		w->scratch = xrealloc(w->scratch, need);
		w->scratch_size = need;
	}
	size_t k = csv_write(w->scratch, w->scratch_size, s, n);
	enum jm_rc rc = buf_append(&w->b, w->scratch, k);
	return rc ? rc : buf_appends(&w->b, last ? "\r\n" : ",");
}

static enum jm_rc out_time(struct out *w, int64_t t)
{
	char iso[32] = "";
	if (t > 0)
		jm_time_iso(t, iso);
	return out_field(w, iso, strlen(iso), false);
}

/* Finds key's value in "k\x1fv\x1ek\x1fv…" (group_concat of person_fields). */
static struct str field_value(const char *all, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = all; p && *p;) {
		const char *end = strchr(p, '\x1e');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > kl && memcmp(p, key, kl) == 0 && p[kl] == '\x1f')
			return str_from(p + kl + 1, n - kl - 1);
		p = end ? end + 1 : NULL;
	}
	return str_from("", 0);
}

static enum jm_rc out_header(struct out *w, const struct nl_list *l)
{
	static const char *const cols[] = {"email",          "name",         "status",
	                                   "subscribed_at",  "confirmed_at", "consent_at",
	                                   "consent_source", "consent_ip",   "consent_text"};
	enum jm_rc rc = JM_OK;
	size_t nc = sizeof(cols) / sizeof(cols[0]);
	for (size_t i = 0; i < nc && !rc; i++)
		rc = out_field(w, cols[i], strlen(cols[i]), i + 1 == nc && l->nfields == 0);
	for (size_t i = 0; i < l->nfields && !rc; i++)
		rc = out_field(w, l->fields[i].key, strlen(l->fields[i].key), i + 1 == l->nfields);
	return rc;
}

static enum jm_rc out_row(struct out *w, struct db_stmt *st, const struct nl_list *l)
{
	enum jm_rc rc = JM_OK;
	for (int c = 0; c < 9 && !rc; c++) {
		if (c >= 3 && c <= 5) {
			rc = out_time(w, db_col_int(st, c));
			continue;
		}
		size_t n = 0;
		const char *s = db_col_text(st, c, &n);
		rc = out_field(w, s ? s : "", n, c == 8 && l->nfields == 0);
	}
	const char *all = db_col_text(st, 9, NULL);
	for (size_t i = 0; i < l->nfields && !rc; i++) {
		const char *pf = l->fields[i].person;
		struct str v = field_value(all, l->fields[i].key);
		if (pf && *pf) { /* kept on the person (0011) */
			int c = !strcmp(pf, "name")       ? 1
			        : !strcmp(pf, "furigana") ? 10
			        : !strcmp(pf, "company")  ? 11
			                                  : 12;
			const char *t = db_col_text(st, c, NULL);
			v = str_from(t ? t : "", t ? strlen(t) : 0);
		}
		rc = out_field(w, v.p, v.len, i + 1 == l->nfields);
	}
	return rc ? rc : out_flush(w, CONV_CHUNK);
}
/* A subscriber's custom fields as one text ("key\x1fvalue" joined by
 * "\x1e"): group_concat on SQLite, string_agg on PostgreSQL. */
#define FIELDS_SQLITE "(SELECT group_concat(key || '\x1f' || value, '\x1e') "
#define FIELDS_PG     "(SELECT string_agg(key || E'\\x1f' || value, E'\\x1e') "
#define EXPORT_SQL(FIELDS)                                                                         \
	"SELECT p.email, p.name, s.status, s.created_at, COALESCE(s.confirmed_at, 0), "            \
	"COALESCE(s.consent_at, 0), s.consent_source, s.consent_ip, s.consent_text, " FIELDS       \
	"FROM person_fields WHERE person_id = p.id), p.furigana, p.company, p.title "              \
	"FROM subscriptions s JOIN people p ON p.id = s.person_id WHERE s.list_id = ? "            \
	"ORDER BY s.id"

enum jm_rc nl_export_csv(struct db *db, int64_t list_id, bool bom,
                         enum jm_rc (*write)(const char *p, size_t len, void *user), void *user)
{
	struct arena *a = arena_new(4096);
	struct out w = {.write = write, .user = user};
	struct db_stmt *st = NULL;
	struct nl_list l;
	buf_init(&w.b, 0);
	buf_init(&w.guarded, 0);
	enum jm_rc rc = nl_list_get(db, a, list_id, &l);
	if (!rc && bom)
		rc = buf_appends(&w.b, "\xEF\xBB\xBF");
	if (!rc)
		rc = out_header(&w, &l);
	if (!rc)
		rc = db_preparef(db, &st,
		                 DB_SQL(db, EXPORT_SQL(FIELDS_SQLITE), EXPORT_SQL(FIELDS_PG)), "i",
		                 list_id);
	while (!rc && (rc = db_step(st)) == JM_OK)
		rc = out_row(&w, st, &l);
	db_finalize(st);
	if (rc == JM_DONE)
		rc = out_flush(&w, 0);
	buf_free(&w.b);
	buf_free(&w.guarded);
	free(w.scratch);
	arena_free(a);
	return rc;
}
