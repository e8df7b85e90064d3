/*
 * newsletter_import.c — CSV import of readers in the admin, in two steps:
 * upload (multipart/form-data, spooled to DATA/tmp by the http layer like
 * every upload route, with the upload body limit --max-upload; then kept in
 * the database, table import_uploads through upload/, under a random id,
 * stored on the worker pool), then the
 * column mapping (the first rows shown parsed, a select per column: email /
 * name / the person's furigana, company or title / custom field / skip,
 * first guessed by the domain's header rule nl_csv_map, the one the CLI
 * uses), the mode (send the opt-in mail, the default; or the owner declares
 * the consent held, recorded as file, user and time on each subscription)
 * and a tag. Starting runs nl_import_csv on the worker pool (http_defer):
 * the loop never waits.
 *
 * Progress and the report live in the same row (status, JSON), written by
 * the import thread and read by the status endpoint
 * GET /admin/imports/{id}/status that admin.js polls to draw the progress
 * bar; the page of a finished import shows the report
 * (imported, merged, skipped, bad rows with line numbers), every message
 * in the UI's language from the reason codes the import records. Without
 * JavaScript the start request simply answers when the import is done.
 *
 * Several nodes: every step reads the database, never this node's DATA, so
 * a load balancer may send each request to any node; the import runs on
 * the node that took the start request. Progress written inside one of the
 * import's transactions shows when that batch commits (nl_import_csv
 * commits every 50,000 rows).
 *
 * Invariants: an id is [A-Za-z0-9_-]{22} (never a path from the client);
 * an import starts at most once (the start claims the row: status from
 * NULL, in one UPDATE); the uploaded bytes are dropped once imported; a
 * row untouched for a day is swept by the scheduler (upload_sweep).
 */
#include <jansson.h>
#include <unistd.h>

#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "newsletter/newsletter.h"
#include "upload/upload.h"
#include "web/web.h"

#define IMP_ID_LEN        22
#define IMP_PREVIEW_ROWS  5
#define IMP_MAX_COLS      64
#define IMP_FILE_CAP      (1024u << 20) /* above --max-upload's bound */
#define IMP_PREVIEW_BYTES (1u << 20)

/* ---- the import_uploads row ---- */

static bool id_ok(const char *id)
{
	if (!id || strlen(id) != IMP_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

/* Replaces the status with the JSON j (takes j); last also drops the
 * uploaded bytes, which the import no longer needs. */
static void status_write(struct db *db, const char *id, json_t *j, bool last)
{
	char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!t || upload_set_status(db, id, t, last) != JM_OK)
		log_at(LOG_WARN, "admin", "import status not written: %s", id);
	free(t);
	json_decref(j);
}

/* The import's progress or report, or NULL before it started. */
static json_t *status_read(struct req *req, const char *id)
{
	const char *t = upload_status(req->db, req->arena, id);
	return t ? json_loads(t, 0, NULL) : NULL;
}

/* ---- messages in the UI's language ---- */

/* Appends the catalog text of key with {line}, {field} and {detail}
 * replaced (each value is plain text; the template escapes the result). */
static enum jm_rc put_text(struct req *req, struct buf *b, const char *key,
                           const struct jm_row_err *w)
{
	const char *line = arena_sprintf(req->arena, "%lld", (long long)w->line);
	const char *const names[] = {"line", "field", "detail"};
	const char *const vals[] = {line, w->field, w->detail};
	return buf_appends(b, i18n_fill(req->arena, admin_t(req, key), names, vals, 3));
}

const char *admin_import_msg(struct req *req, const struct jm_row_err *w, bool fail)
{
	struct buf b;
	char key[96];
	buf_init(&b, 4096);
	enum jm_rc rc = JM_OK;
	if (w->line > 0)
		rc = put_text(req, &b, "import.line", w);
	snprintf(key, sizeof(key), "import.%s.%s", fail ? "fail" : "err", w->code);
	if (!rc && (!w->code[0] || !strcmp(admin_t(req, key), key)))
		snprintf(key, sizeof(key), "import.%s", fail ? "fail.other" : "err.other");
	if (!rc)
		rc = put_text(req, &b, key, w);
	if (!rc && !strcmp(w->code, "email")) {
		snprintf(key, sizeof(key), "err.email.%s", w->detail[0] ? w->detail : "format");
		rc = buf_appendc(&b, ' ');
		rc = rc ? rc : put_text(req, &b, key, w);
	}
	const char *out = arena_strdup(req->arena, buf_cstr(&b));
	buf_free(&b);
	return out;
}

void admin_err_email(struct req *req, struct jm_err *err, const char *value)
{
	if (strcmp(err->field, "email") != 0 || !value)
		return;
	char key[64];
	snprintf(key, sizeof(key), "err.email.%s", jm_email_problem(value));
	snprintf(err->msg, sizeof(err->msg), "%s", admin_t(req, key));
}

/* ---- the import job (runs on a worker thread) ---- */

struct imp_job {
	struct arena *a;
	char id[IMP_ID_LEN + 1];
	struct db *db; /* the worker's connection, while imp_work runs */
	unsigned char secret[32];
	struct nl_import_opts o;
	int64_t max_bytes;
	enum jm_rc rc;
};

static void on_progress(int64_t done, int64_t total, void *user)
{
	struct imp_job *j = user;
	int64_t pct = total > 0 ? done * 100 / total : 0;
	status_write(j->db, j->id,
	             json_pack("{s:s, s:I, s:I, s:I}", "state", "running", "done", (json_int_t)done,
	                       "total", (json_int_t)total, "percent",
	                       (json_int_t)(pct > 99 ? 99 : pct)),
	             false);
}

static const char *enc_name(enum nl_encoding e)
{
	return e == NL_ENC_SJIS ? "shift_jis" : e == NL_ENC_UTF8 ? "utf-8" : "auto";
}

static json_t *row_err_json(const struct jm_row_err *w, const char *text)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s}", "line", (json_int_t)w->line, "code", w->code,
	                 "field", w->field, "detail", w->detail, "text", text ? text : "");
}

static void row_err_read(json_t *o, struct jm_row_err *w)
{
	memset(w, 0, sizeof(*w));
	const char *s;
	w->line = json_integer_value(json_object_get(o, "line"));
	if ((s = json_string_value(json_object_get(o, "code"))) != NULL)
		snprintf(w->code, sizeof(w->code), "%s", s);
	if ((s = json_string_value(json_object_get(o, "field"))) != NULL)
		snprintf(w->field, sizeof(w->field), "%s", s);
	if ((s = json_string_value(json_object_get(o, "detail"))) != NULL)
		snprintf(w->detail, sizeof(w->detail), "%s", s);
}

static json_t *report_json(const struct nl_import_report *r)
{
	json_t *errs = json_array();
	for (int i = 0; i < r->nerrors && i < 20; i++)
		json_array_append_new(errs, row_err_json(&r->why[i], r->errors[i]));
	return json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:o, s:s}", "state", "done", "percent",
	                 100, "rows", (json_int_t)r->rows, "imported", (json_int_t)r->imported,
	                 "merged", (json_int_t)r->merged, "skipped", (json_int_t)r->skipped,
	                 "errors", errs, "encoding", enc_name(r->detected));
}

static void imp_work(struct db *db, void *data)
{
	struct imp_job *j = data;
	struct nl_import_report rep;
	struct jm_err err = {0};
	struct buf b;
	memset(&rep, 0, sizeof(rep));
	buf_init(&b, (size_t)j->max_bytes);
	j->db = db;
	on_progress(0, 1, j);
	j->rc = upload_bytes(db, j->id, &b);
	if (!j->rc)
		j->rc = nl_import_csv(db, j->secret, buf_cstr(&b), b.len, &j->o, on_progress, j,
		                      &rep, &err);
	buf_free(&b);
	if (j->rc == JM_OK)
		status_write(db, j->id, report_json(&rep), true);
	else
		status_write(db, j->id,
		             json_pack("{s:s, s:s, s:o}", "state", "failed", "message",
		                       err.msg[0] ? err.msg : "", "fail",
		                       row_err_json(&rep.fail, NULL)),
		             true);
	j->db = NULL;
}

static void imp_done(struct req *req, void *data)
{
	struct imp_job *j = data;
	(void)j;
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/imports/%s", req_param(req, "id")));
}

static void imp_free(void *data)
{
	struct imp_job *j = data;
	arena_free(j->a);
	free(j);
}

/* ---- step 1: upload ---- */

static void upload_form(struct req *req, int status, int64_t list_id, const char *err_key)
{
	struct view_val *ctx = admin_ctx(req, "subscribers");
	int64_t first = 0;
	view_set(ctx, "lists", admin_nl_list_options(req, list_id, &first));
	view_set_bool(ctx, "has_lists", first != 0);
	if (err_key)
		view_set_str(ctx, "error", admin_t(req, err_key));
	admin_render(req, status, "admin/nl_import.html", ctx);
}

static void imp_new(struct req *req)
{
	struct form q;
	struct jm_err err = {0};
	int64_t list_id = 0;
	if (http_req_query(req, &q, &err) != JM_OK || !admin_nl_int(form_get(&q, "list"), &list_id))
		list_id = 0;
	upload_form(req, 200, list_id, NULL);
}

static const struct form_file *find_file(const struct form *f)
{
	for (size_t i = 0; i < f->nfiles; i++)
		if (strcmp(f->files[i].field, "file") == 0)
			return &f->files[i];
	return NULL;
}

static bool enc_parse(const char *s, enum nl_encoding *out)
{
	*out = NL_ENC_AUTO;
	if (!s || strcmp(s, "auto") == 0)
		return true;
	if (strcmp(s, "utf-8") == 0)
		*out = NL_ENC_UTF8;
	else if (strcmp(s, "shift_jis") == 0)
		*out = NL_ENC_SJIS;
	else
		return false;
	return true;
}

/* Storing the upload (any size up to --max-upload) on the worker pool. */
struct store_job {
	struct http_task t; /* first: http_task_free frees it */
	char id[IMP_ID_LEN + 1];
	const char *path, *name, *encoding;
	int64_t list_id;
};

static void store_free(void *data)
{
	struct store_job *j = data;
	if (j->path)
		unlink(j->path);
	http_task_free(j);
}

static void store_work(struct db *db, void *data)
{
	struct store_job *j = data;
	j->t.rc = upload_store_file(db, j->id, "csv", j->name, j->path);
}

static void store_done(struct req *req, void *data)
{
	struct store_job *j = data;
	if (j->t.rc) {
		admin_fail(req, "import upload", j->t.rc);
		return;
	}
	http_redirect(req, 303,
	              arena_sprintf(req->arena, "/admin/imports/%s?list=%lld&encoding=%s", j->id,
	                            (long long)j->list_id, j->encoding));
}

static void imp_upload(struct req *req)
{
	struct form f;
	struct nl_list l;
	enum nl_encoding enc;
	int64_t list_id = 0;
	if (!admin_form(req, &f))
		return;
	const struct form_file *file = find_file(&f);
	if (!admin_nl_int(form_get(&f, "list"), &list_id) ||
	    nl_list_get(req->db, req->arena, list_id, &l) != JM_OK) {
		upload_form(req, 422, 0, "admin.nl.err_list");
		return;
	}
	if (!enc_parse(form_get(&f, "encoding"), &enc)) {
		upload_form(req, 422, list_id, "admin.nl.err_encoding");
		return;
	}
	if (!file || file->len == 0) {
		upload_form(req, 422, list_id, "admin.nl.err_empty_file");
		return;
	}
	struct store_job *j = http_task_new(sizeof(*j));
	jm_random_token(j->id, 16);
	j->list_id = list_id;
	j->encoding = enc_name(enc);
	/* The file's name, for the consent record if the owner declares it. */
	j->name = http_task_str(&j->t,
	                        file->filename && *file->filename ? file->filename : "upload.csv");
	j->path = web_upload_keep(file, j->t.a);
	if (!j->path) {
		http_task_free(j);
		admin_fail(req, "import upload", JM_IO);
		return;
	}
	http_defer(req, store_work, store_done, j, store_free);
}

/* ---- step 2: mapping ---- */

static struct view_val *preview_rows(struct req *req, const struct nl_csv_preview *p)
{
	struct view_val *rows = view_list(req->arena);
	for (size_t r = 0; r < p->nrows; r++) {
		struct view_val *cells = view_list(req->arena);
		for (size_t c = 0; c < p->ncols; c++)
			view_push(cells, view_str(req->arena, p->rows[r][c] ? p->rows[r][c] : ""));
		view_push(rows, cells);
	}
	return rows;
}

/* The select of each column, guessed by the domain's header rule. */
static struct view_val *columns(struct req *req, const struct nl_csv_preview *p,
                                const struct nl_import_opts *o)
{
	struct view_val *cols = view_list(req->arena);
	for (size_t c = 0; c < p->ncols && c < IMP_MAX_COLS; c++) {
		struct view_val *m = view_map(req->arena);
		const char *g = (int)c == o->col_email  ? "email"
		                : (int)c == o->col_name ? "name"
		                : o->field_keys[c]      ? o->field_keys[c]
		                : o->person_cols[c]
		                        ? arena_sprintf(req->arena, "person:%s", o->person_cols[c])
		                        : "skip";
		view_set_int(m, "i", (int64_t)c);
		view_set_str(m, "guess", g);
		view_push(cols, m);
	}
	return cols;
}

static struct view_val *field_opts(struct req *req, const struct nl_list *l)
{
	struct view_val *out = view_list(req->arena);
	for (size_t i = 0; i < l->nfields; i++) {
		struct view_val *m = view_map(req->arena);
		view_set_str(m, "key", l->fields[i].key);
		view_set_str(m, "label", l->fields[i].label);
		view_push(out, m);
	}
	return out;
}

/* Reads list and encoding from the query (GET) or the form (POST). */
static bool map_params(struct req *req, const struct form *f, struct nl_list *l,
                       enum nl_encoding *enc)
{
	int64_t list_id = 0;
	if (!admin_nl_int(form_get(f, "list"), &list_id) ||
	    nl_list_get(req->db, req->arena, list_id, l) != JM_OK) {
		admin_error(req, 422, "admin.nl.err_list");
		return false;
	}
	if (!enc_parse(form_get(f, "encoding"), enc)) {
		admin_error(req, 422, "admin.nl.err_encoding");
		return false;
	}
	return true;
}

/* The first IMP_PREVIEW_BYTES of the upload (b initialised here), cut
 * after its last line feed when the file is longer, so the preview never
 * sees half a character (0x0A is never part of a UTF-8 or Shift_JIS
 * character). The whole file may be as large as --max-upload. */
static enum jm_rc preview_head(struct req *req, const char *id, struct buf *b)
{
	buf_init(b, IMP_PREVIEW_BYTES + 1);
	enum jm_rc rc = upload_head(req->db, id, IMP_PREVIEW_BYTES, b);
	if (!rc && b->len == IMP_PREVIEW_BYTES) {
		const char *nl = memrchr(b->ptr, '\n', b->len);
		if (nl)
			b->len = (size_t)(nl - b->ptr) + 1;
		b->ptr[b->len] = '\0';
	}
	return rc;
}

static void map_page(struct req *req, int status, const char *id, const struct form *f,
                     const char *err_text)
{
	struct nl_list l;
	enum nl_encoding enc;
	struct nl_csv_preview p;
	struct jm_err err = {0};
	struct buf b;
	if (!map_params(req, f, &l, &enc))
		return;
	enum jm_rc rc = preview_head(req, id, &b);
	if (rc) {
		buf_free(&b);
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	rc = nl_csv_preview(req->arena, buf_cstr(&b), b.len, enc, IMP_PREVIEW_ROWS, &p, &err);
	buf_free(&b);
	struct view_val *ctx = admin_ctx(req, "subscribers");
	view_set_str(ctx, "id", id);
	view_set_int(ctx, "list_id", l.id);
	view_set_str(ctx, "list_name", l.name);
	view_set_str(ctx, "encoding", enc_name(enc));
	if (rc == JM_OK) {
		struct nl_import_opts o = {0};
		nl_csv_map(req->arena, &l, p.rows[0], p.ncols, &o);
		view_set(ctx, "rows", preview_rows(req, &p));
		view_set(ctx, "cols", columns(req, &p, &o));
		view_set_int(ctx, "ncols",
		             (int64_t)(p.ncols < IMP_MAX_COLS ? p.ncols : IMP_MAX_COLS));
		view_set_str(ctx, "detected", enc_name(p.detected));
		view_set_bool(ctx, "has_header", o.has_header);
	} else {
		struct jm_row_err w = {0};
		snprintf(w.code, sizeof(w.code), "%s", p.fail ? p.fail : "encoding");
		view_set_str(ctx, "parse_error", admin_import_msg(req, &w, true));
	}
	view_set(ctx, "fields", field_opts(req, &l));
	if (err_text)
		view_set_str(ctx, "error", err_text);
	admin_render(req, rc == JM_OK ? status : 422, "admin/nl_import_map.html", ctx);
}

/* ---- the page of one import: mapping, progress or report ---- */

static void report_page(struct req *req, const char *id, json_t *st)
{
	struct view_val *ctx = admin_ctx(req, "subscribers");
	const char *state = json_string_value(json_object_get(st, "state"));
	view_set_str(ctx, "id", id);
	view_set_str(ctx, "state", state ? arena_strdup(req->arena, state) : "running");
	static const char *const nums[] = {"percent", "rows", "imported", "merged", "skipped"};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		view_set_int(ctx, nums[i], json_integer_value(json_object_get(st, nums[i])));
	struct jm_row_err fail;
	row_err_read(json_object_get(st, "fail"), &fail);
	view_set_str(ctx, "message", admin_import_msg(req, &fail, true));
	const char *enc = json_string_value(json_object_get(st, "encoding"));
	view_set_str(ctx, "detected", enc ? arena_strdup(req->arena, enc) : "");
	struct view_val *errs = view_list(req->arena);
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(st, "errors"), i, e)
	{
		struct jm_row_err w;
		row_err_read(e, &w);
		view_push(errs, view_str(req->arena, admin_import_msg(req, &w, false)));
	}
	view_set(ctx, "errors", errs);
	admin_render(req, 200, "admin/nl_import_report.html", ctx);
}

static void imp_get(struct req *req)
{
	const char *id = req_param(req, "id");
	struct form q;
	struct jm_err err = {0};
	if (!id_ok(id)) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	json_t *st = status_read(req, id);
	if (st) {
		report_page(req, id, st);
		json_decref(st);
		return;
	}
	if (http_req_query(req, &q, &err) != JM_OK) {
		admin_error(req, 400, "admin.err.bad_request");
		return;
	}
	map_page(req, 200, id, &q, NULL);
}

static void imp_status(struct req *req)
{
	const char *id = req_param(req, "id");
	struct buf b;
	if (!id_ok(id)) {
		http_send_json_error(req, 404, "not_found", "no such import", NULL);
		return;
	}
	buf_init(&b, 1u << 20);
	const char *t = upload_status(req->db, req->arena, id);
	if (buf_appends(&b, t ? t : "{\"state\":\"new\",\"percent\":0}") != JM_OK)
		buf_reset(&b);
	http_header(req, "cache-control", "no-store");
	http_send_buf(req, 200, "application/json; charset=utf-8", &b);
	buf_free(&b);
}

/* ---- starting ---- */

/* Reads the column mapping into o; false (with a message key) when no
 * column or two columns are the email. */
static const char *read_mapping(struct req *req, const struct form *f, struct imp_job *j)
{
	int64_t ncols = 0;
	if (!admin_nl_int(form_get(f, "ncols"), &ncols) || ncols < 1 || ncols > IMP_MAX_COLS)
		return "admin.err.bad_request";
	j->o.col_email = j->o.col_name = -1;
	j->o.field_keys = arena_calloc(j->a, (size_t)ncols * sizeof(char *));
	j->o.person_cols = arena_calloc(j->a, (size_t)ncols * sizeof(char *));
	j->o.ncols_mapped = (size_t)ncols;
	for (int c = 0; c < (int)ncols; c++) {
		const char *m = form_get(f, arena_sprintf(req->arena, "col%d", c));
		if (!m || strcmp(m, "skip") == 0)
			continue;
		if (strcmp(m, "email") == 0 && j->o.col_email >= 0)
			return "admin.nl.err_two_emails";
		if (strcmp(m, "email") == 0)
			j->o.col_email = c;
		else if (strcmp(m, "name") == 0)
			j->o.col_name = c;
		else if (strncmp(m, "person:", 7) == 0)
			j->o.person_cols[c] = arena_strdup(j->a, m + 7);
		else
			j->o.field_keys[c] = arena_strdup(j->a, m);
	}
	return j->o.col_email < 0 ? "admin.nl.err_no_email" : NULL;
}

static struct imp_job *job_new(struct req *req, const char *id)
{
	struct imp_job *j = xcalloc(1, sizeof(*j));
	j->a = arena_new(4096);
	snprintf(j->id, sizeof(j->id), "%s", id);
	memcpy(j->secret, req->app->secret, sizeof(j->secret));
	j->max_bytes = IMP_FILE_CAP;
	return j;
}

static const char *consent_source(struct req *req, const char *id, struct arena *a)
{
	const char *kind = NULL, *name = NULL;
	if (!upload_info(req->db, req->arena, id, &kind, &name))
		name = NULL;
	const struct auth_user *u = admin_user(req);
	const char *who = arena_sprintf(req->arena, "user:%s", u && u->email ? u->email : "?");
	return nl_import_consent_source(a, name ? name : "", who, jm_now());
}

static void imp_start(struct req *req)
{
	const char *id = req_param(req, "id");
	struct form f;
	struct nl_list l;
	enum nl_encoding enc;
	if (!id_ok(id)) {
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	if (!admin_form(req, &f) || !map_params(req, &f, &l, &enc))
		return;
	json_t *started = status_read(req, id);
	if (started) {
		/* Started already: show its progress or report. */
		json_decref(started);
		http_redirect(req, 303, arena_sprintf(req->arena, "/admin/imports/%s", id));
		return;
	}
	struct imp_job *j = job_new(req, id);
	const char *bad = read_mapping(req, &f, j);
	if (bad) {
		imp_free(j);
		map_page(req, 422, id, &f, admin_t(req, bad));
		return;
	}
	const char *tag = form_get(&f, "tag");
	j->o.list_id = l.id;
	j->o.encoding = enc;
	j->o.tag = tag && *tag ? arena_strdup(j->a, tag) : NULL;
	j->o.has_header = form_get(&f, "has_header") != NULL;
	/* Opt-in mail unless the owner declares the consent held (特定電子メール法:
	 * that declaration is recorded with the file, the user and the time). */
	const char *mode = form_get(&f, "mode");
	j->o.send_optin = !mode || strcmp(mode, "consented") != 0;
	j->o.source = j->o.send_optin ? "import" : consent_source(req, id, j->a);
	/* Claims the import: a second start (on any node) finds it started. */
	enum jm_rc rc = upload_claim(req->db, id);
	if (rc) {
		imp_free(j);
		if (rc == JM_CONFLICT)
			http_redirect(req, 303, arena_sprintf(req->arena, "/admin/imports/%s", id));
		else if (rc == JM_NOT_FOUND)
			admin_error(req, 404, "admin.err.not_found");
		else
			admin_fail(req, "import status", rc);
		return;
	}
	http_defer(req, imp_work, imp_done, j, imp_free);
}

void admin_nl_import_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/imports/new", imp_new, adm);
	router_add(r, "POST", "/admin/imports", imp_upload, adm | ROUTE_UPLOAD);
	router_add(r, "GET", "/admin/imports/{id}", imp_get, adm);
	router_add(r, "POST", "/admin/imports/{id}", imp_start, adm);
	router_add(r, "GET", "/admin/imports/{id}/status", imp_status, adm);
}
