/*
 * people_io.c — people import and export in the admin:
 *   GET  /admin/people/export.csv?stage=&tag=&bom=1   CSV download
 *   GET  /admin/people/export.vcf?version=3|4&stage=&tag=   vCard download
 *   GET  /admin/people/import    the upload form (and the export links)
 *   POST /admin/people/import    multipart upload, CSV or vCard told apart
 *                                by content → the report page
 * The work itself (network/io.c, vcard.c) runs on the worker pool through
 * http_defer, so a big file never holds up the event loop. A bad file
 * imports nothing and answers 422 with its bad lines.
 *
 * Invariants: the uploaded bytes are copied out of the request arena
 * before they go to the worker; every value shown is escaped by the
 * template engine.
 */
#include "admin/admin_int.h"

#include "app.h"
#include "network/network.h"

#define EXPORT_CAP (512u << 20)
#define TAG_MAX    60

/* ---- export ---- */

struct exp_job {
	char stage[16], tag[TAG_MAX + 1];
	bool bom;
	int version; /* 0 = CSV, else vCard 3 or 4 */
	struct buf out;
	enum jm_rc rc;
};

static enum jm_rc to_buf(const char *p, size_t len, void *user)
{
	return buf_append(user, p, len);
}

static void exp_work(struct db *db, void *data)
{
	struct exp_job *j = data;
	struct net_people_query q = {.stage = j->stage[0] ? j->stage : NULL,
	                             .tag = j->tag[0] ? j->tag : NULL};
	if (j->version)
		j->rc = net_people_export_vcard(db, &q, j->version, to_buf, &j->out);
	else
		j->rc = net_people_export_csv(db, &q, j->bom, to_buf, &j->out);
}

static void exp_done(struct req *req, void *data)
{
	struct exp_job *j = data;
	if (j->rc) {
		admin_fail(req, "people export", j->rc);
		return;
	}
	http_header(req, "cache-control", "no-store");
	http_header(req, "content-disposition",
	            j->version ? "attachment; filename=\"people.vcf\""
	                       : "attachment; filename=\"people.csv\"");
	http_send_buf(req, 200,
	              j->version ? "text/vcard; charset=utf-8" : "text/csv; charset=utf-8",
	              &j->out);
}

static void exp_free(void *data)
{
	struct exp_job *j = data;
	buf_free(&j->out);
	free(j);
}

/* Reads stage and tag from the query; false after answering 422. */
static bool exp_query(struct req *req, struct form *q, struct exp_job *j)
{
	struct jm_err err = {0};
	if (http_req_query(req, q, &err) != JM_OK) {
		admin_error(req, 400, "admin.err.bad_request");
		return false;
	}
	const char *stage = form_get(q, "stage"), *tag = form_get(q, "tag");
	if (stage && *stage && !net_stage_valid(stage)) {
		admin_error(req, 422, "admin.people_io.err_stage");
		return false;
	}
	if (tag && (strlen(tag) > TAG_MAX || utf8_has_controls(tag, strlen(tag)))) {
		admin_error(req, 422, "admin.people_io.err_tag");
		return false;
	}
	snprintf(j->stage, sizeof(j->stage), "%s", stage ? stage : "");
	snprintf(j->tag, sizeof(j->tag), "%s", tag ? tag : "");
	return true;
}

static void export_start(struct req *req, int version)
{
	struct form q;
	struct exp_job *j = xcalloc(1, sizeof(*j));
	buf_init(&j->out, EXPORT_CAP);
	if (!exp_query(req, &q, j)) {
		exp_free(j);
		return;
	}
	const char *v = form_get(&q, "version"), *bom = form_get(&q, "bom");
	if (version && v && *v)
		version = !strcmp(v, "3") ? 3 : !strcmp(v, "4") ? 4 : -1;
	if (version < 0) {
		exp_free(j);
		admin_error(req, 422, "admin.people_io.err_version");
		return;
	}
	j->version = version;
	j->bom = bom && !strcmp(bom, "1");
	http_defer(req, exp_work, exp_done, j, exp_free);
}

static void export_csv(struct req *req)
{
	export_start(req, 0);
}

static void export_vcf(struct req *req)
{
	export_start(req, 4); /* ?version=3 picks 3.0 */
}

/* ---- import ---- */

static void import_form(struct req *req, int status, const char *err_key)
{
	struct view_val *ctx = admin_ctx(req, "people");
	view_set(ctx, "stages", admin_people_stage_options(req, NULL));
	if (err_key)
		view_set_str(ctx, "error", admin_t(req, err_key));
	admin_render(req, status, "admin/people_import.html", ctx);
}

static void import_get(struct req *req)
{
	import_form(req, 200, NULL);
}

struct imp_job {
	char *data;
	size_t len;
	bool vcard;
	struct net_import_report rep;
	struct jm_err err;
	enum jm_rc rc;
};

static void imp_work(struct db *db, void *data)
{
	struct imp_job *j = data;
	j->rc = net_people_import(db, j->data, j->len, jm_now(), &j->vcard, &j->rep, &j->err);
}

static void imp_done(struct req *req, void *data)
{
	struct imp_job *j = data;
	bool bad = j->rc == JM_INVALID || j->rc == JM_TOO_LARGE;
	if (j->rc && !bad) {
		admin_fail(req, "people import", j->rc);
		return;
	}
	struct view_val *ctx = admin_ctx(req, "people");
	view_set_bool(ctx, "ok", j->rc == JM_OK);
	view_set_str(ctx, "format", j->vcard ? "vCard" : "CSV");
	view_set_int(ctx, "rows", j->rep.rows);
	view_set_int(ctx, "created", j->rep.created);
	view_set_int(ctx, "updated", j->rep.updated);
	view_set_int(ctx, "skipped", j->rep.skipped);
	/* Messages in the UI's language, from the import's reason codes. */
	struct jm_row_err *fail = &j->rep.fail;
	long long line = 0;
	if (j->rc && !fail->code[0] && sscanf(j->err.msg, "line %lld:", &line) == 1) {
		/* a vCard that cannot be read: its line, in the UI's words */
		snprintf(fail->code, sizeof(fail->code), "%s", j->vcard ? "vcard" : "other");
		fail->line = line;
	}
	view_set_str(ctx, "message", j->rc ? admin_import_msg(req, fail, true) : "");
	struct view_val *errs = view_list(req->arena);
	for (int i = 0; i < j->rep.nerrors && i < 20; i++)
		view_push(errs, view_str(req->arena, admin_import_msg(req, &j->rep.why[i], false)));
	view_set(ctx, "errors", errs);
	admin_render(req, bad ? 422 : 200, "admin/people_import_report.html", ctx);
}

static void imp_free(void *data)
{
	struct imp_job *j = data;
	free(j->data);
	free(j);
}

static void import_post(struct req *req)
{
	struct form f;
	if (!admin_form(req, &f))
		return;
	const struct form_file *file = NULL;
	for (size_t i = 0; i < f.nfiles && !file; i++)
		if (strcmp(f.files[i].field, "file") == 0)
			file = &f.files[i];
	if (!file || file->len == 0) {
		import_form(req, 422, "admin.people_io.err_empty");
		return;
	}
	struct imp_job *j = xcalloc(1, sizeof(*j));
	j->data = xmalloc(file->len + 1);
	memcpy(j->data, file->data, file->len);
	j->data[file->len] = '\0';
	j->len = file->len;
	http_defer(req, imp_work, imp_done, j, imp_free);
}

void admin_people_io_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/people/export.csv", export_csv, adm);
	router_add(r, "GET", "/admin/people/export.vcf", export_vcf, adm);
	router_add(r, "GET", "/admin/people/import", import_get, adm);
	router_add(r, "POST", "/admin/people/import", import_post, adm);
}
