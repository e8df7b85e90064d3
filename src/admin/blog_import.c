/*
 * blog_import.c — moving in from the admin: the owner uploads a WordPress
 * (or note) export or a はてなブログ export at /admin/blog-import, the
 * import runs on the worker pool (http_defer: the loop never waits) and
 * /admin/blog-import/{id} shows its progress, then its report — the same
 * importers and report as `jinmyaku import wordpress|hatena` (import/).
 *
 * The upload route has the upload body limit (--max-upload, ROUTE_UPLOAD):
 * the export and the images are spooled to DATA/tmp by the http layer,
 * never held in memory by the loop. The owner may add the folder of the
 * old site's images (<input type=file webkitdirectory>: WordPress's
 * wp-content/uploads, はてな's image files): web_upload_tree rebuilds it in
 * DATA/tmp (refusing names that would leave it) and the importer takes
 * its images into the media library from there, as the CLI's --uploads
 * does; without it images stay linked.
 *
 * Several nodes: the import runs at once on the node that took the upload,
 * from its spooled files; its status lives in the database (upload/, table
 * import_uploads, kind "wordpress" or "hatena"), so the progress page and
 * the report may each reach another node behind a load balancer.
 *
 * Invariants: an id is [A-Za-z0-9_-]{22}; an upload is imported once (its
 * row is made claimed, upload_begin); the spooled files go when it ends.
 */
#include <jansson.h>
#include <unistd.h>

#include "admin/admin_int.h"

#include "app.h"
#include "import/import.h"
#include "upload/upload.h"
#include "web/web.h"
#include "site/site.h"

#define BI_ID_LEN 22

struct bi_job {
	struct http_task t; /* first: http_task_free frees it */
	char id[BI_ID_LEN + 1];
	bool wordpress;
	const char *path;   /* the export, linked from the spool (the job's) */
	const char *images; /* the folder of images in DATA/tmp, or NULL */
};

static void bi_free(void *data)
{
	struct bi_job *j = data;
	if (j->path)
		unlink(j->path);
	web_upload_tree_remove(j->images);
	http_task_free(j);
}

static bool id_ok(const char *id)
{
	if (!id || strlen(id) != BI_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", *p))
			return false;
	return true;
}

static void status_put(struct db *db, const char *id, json_t *j, bool last)
{
	char *t = json_dumps(j, JSON_COMPACT);
	if (!t || upload_set_status(db, id, t, last) != JM_OK)
		log_at(LOG_WARN, "admin", "blog import status not written: %s", id);
	free(t);
	json_decref(j);
}

static json_t *report_json(struct arena *a, const struct imp_report *rep)
{
	json_t *lines = json_array();
	for (size_t i = 0; i < rep->nlines; i++)
		json_array_append_new(lines,
		                      json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "kind",
		                                rep->lines[i].kind, "title", rep->lines[i].title,
		                                "outcome", rep->lines[i].outcome, "code",
		                                rep->lines[i].code, "arg", rep->lines[i].arg,
		                                "skipped", rep->lines[i].skipped));
	json_t *counts = json_pack(
	        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "imported", (json_int_t)rep->imported,
	        "already", (json_int_t)rep->already, "skipped", (json_int_t)rep->skipped,
	        "categories", (json_int_t)rep->categories, "found", (json_int_t)rep->images_found,
	        "stored", (json_int_t)rep->images_stored, "missing",
	        (json_int_t)rep->images_missing);
	return json_pack("{s:s, s:i, s:s, s:I, s:I, s:I, s:o, s:o}", "state", "done", "percent",
	                 100, "summary", imp_report_summary(a, rep), "imported",
	                 (json_int_t)rep->imported, "already", (json_int_t)rep->already, "skipped",
	                 (json_int_t)rep->skipped, "counts", counts, "lines", lines);
}

static void bi_work(struct db *db, void *data)
{
	struct bi_job *j = data;
	struct imp_report rep = {0};
	struct site_settings st;
	struct buf b;
	buf_init(&b, IMP_FILE_MAX);
	status_put(db, j->id, json_pack("{s:s, s:i}", "state", "running", "percent", 10), false);
	j->t.rc = jm_read_file(j->path, &b, &j->t.err);
	if (j->t.rc == JM_TOO_LARGE)
		jm_err_set(&j->t.err, "file", "the file is larger than %zu MB", IMP_FILE_MAX >> 20);
	if (!j->t.rc)
		j->t.rc = site_settings_load(db, j->t.a, &st);
	struct imp_opts o = {.tz = j->t.rc ? NULL : st.tz, .uploads_dir = j->images};
	if (!j->t.rc)
		j->t.rc = j->wordpress ? imp_wordpress(db, j->t.a, buf_cstr(&b), b.len, &o, &rep,
		                                       &j->t.err)
		                       : imp_hatena(db, j->t.a, buf_cstr(&b), b.len, &o, &rep,
		                                    &j->t.err);
	buf_free(&b);
	if (!j->t.rc)
		status_put(db, j->id, report_json(j->t.a, &rep), true);
	else
		status_put(db, j->id,
		           json_pack("{s:s, s:s}", "state", "failed", "message",
		                     j->t.err.msg[0] ? j->t.err.msg : jm_rc_name(j->t.rc)),
		           true);
}

static void bi_done(struct req *req, void *data)
{
	struct bi_job *j = data;
	http_redirect(req, 303, arena_sprintf(req->arena, "/admin/blog-import/%s", j->id));
}

static void form_page(struct req *req, int status, const char *err_key)
{
	struct view_val *ctx = admin_ctx(req, "articles");
	if (err_key)
		view_set_str(ctx, "error", admin_t(req, err_key));
	admin_render(req, status, "admin/blog_import.html", ctx);
}

static void bi_new(struct req *req)
{
	form_page(req, 200, NULL);
}

static const struct form_file *find_file(const struct form *f)
{
	for (size_t i = 0; i < f->nfiles; i++)
		if (!strcmp(f->files[i].field, "file"))
			return &f->files[i];
	return NULL;
}

/* Rebuilds the folder of images, if the owner gave one, in the job. */
static enum jm_rc take_images(struct req *req, const struct form *f, struct bi_job *j)
{
	size_t n = 0;
	struct jm_err err = {0};
	/* はてな's images are looked up by file name alone: a flat folder. */
	enum jm_rc rc = web_upload_tree(f, "images", req->spool_dir, !j->wordpress, j->t.a,
	                                &j->images, &n, &err);
	if (!rc && n == 0) {
		web_upload_tree_remove(j->images);
		j->images = NULL;
	}
	if (rc == JM_INVALID)
		log_at(LOG_WARN, "admin", "blog import: refused image name: %s", err.msg);
	return rc;
}

/* POST /admin/blog-import: records the upload and runs it. */
static void bi_upload(struct req *req)
{
	struct form f;
	if (!admin_form(req, &f))
		return;
	const char *src = form_get(&f, "source");
	const struct form_file *file = find_file(&f);
	if (!src || (strcmp(src, "wordpress") && strcmp(src, "hatena"))) {
		form_page(req, 422, "admin.blog_import.err_source");
		return;
	}
	if (!file || !file->len) {
		form_page(req, 422, "admin.blog_import.err_file");
		return;
	}
	struct bi_job *j = http_task_new(sizeof(*j));
	j->wordpress = !strcmp(src, "wordpress");
	jm_random_token(j->id, 16);
	j->path = web_upload_keep(file, j->t.a);
	enum jm_rc rc = j->path ? take_images(req, &f, j) : JM_IO;
	if (rc == JM_INVALID) {
		bi_free(j);
		form_page(req, 422, "admin.blog_import.err_images");
		return;
	}
	if (!rc)
		rc = upload_begin(req->db, j->id, src, file->filename ? file->filename : "");
	if (rc) {
		bi_free(j);
		admin_fail(req, "blog import upload", rc);
		return;
	}
	http_defer(req, bi_work, bi_done, j, bi_free);
}

/* ---- the report in the UI's language ---- */

static const char *str_of(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

/* A catalog text, or dflt when the catalog has no key (it answers the key). */
static const char *t_or(struct req *req, const char *key, const char *dflt)
{
	const char *t = admin_t(req, key);
	return strcmp(t, key) ? t : dflt;
}

/* A line's outcome from its code (the CLI's English for a status written
 * before codes were stored), and its kind ("post", "page"…) in words. */
static void line_words(struct req *req, json_t *l, struct view_val *m)
{
	const char *code = str_of(l, "code"), *arg = str_of(l, "arg"), *kind = str_of(l, "kind");
	const char *names[] = {"arg"}, *vals[] = {arg};
	const char *t =
	        *code ? t_or(req, arena_sprintf(req->arena, "import.line.%s", code), NULL) : NULL;
	view_set_str(m, "outcome",
	             t ? i18n_fill(req->arena, t, names, vals, 1)
	               : arena_strdup(req->arena, str_of(l, "outcome")));
	view_set_str(m, "kind",
	             t_or(req, arena_sprintf(req->arena, "import.kind.%s", kind),
	                  arena_strdup(req->arena, kind)));
	view_set_str(m, "title", arena_strdup(req->arena, str_of(l, "title")));
}

/* The report's lines for the template, the skipped ones marked. */
static struct view_val *lines_val(struct req *req, json_t *lines)
{
	struct view_val *list = view_list(req->arena);
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l)
	{
		struct view_val *m = view_map(req->arena);
		line_words(req, l, m);
		view_set_bool(m, "skipped", json_is_true(json_object_get(l, "skipped")));
		view_push(list, m);
	}
	return list;
}

/* The summary from the counts (import.summary's placeholders). */
static const char *summary_words(struct req *req, json_t *st)
{
	static const char *const names[] = {"imported", "already", "skipped", "categories",
	                                    "found",    "stored",  "missing"};
	json_t *c = json_object_get(st, "counts");
	if (!c)
		return arena_strdup(req->arena, str_of(st, "summary"));
	const char *vals[7];
	for (size_t i = 0; i < 7; i++)
		vals[i] =
		        arena_sprintf(req->arena, "%lld",
		                      (long long)json_integer_value(json_object_get(c, names[i])));
	return i18n_fill(req->arena, admin_t(req, "import.summary"), names, vals, 7);
}

/* GET /admin/blog-import/{id}: progress (refreshing itself) or report. */
static void bi_get(struct req *req)
{
	const char *id = req_param(req, "id");
	const char *kind = NULL, *name = NULL;
	bool found = id_ok(id) && upload_info(req->db, req->arena, id, &kind, &name);
	const char *t = found ? upload_status(req->db, req->arena, id) : NULL;
	json_t *st = t ? json_loads(t, 0, NULL) : NULL;
	if (!found || (strcmp(kind, "wordpress") && strcmp(kind, "hatena"))) {
		json_decref(st);
		admin_error(req, 404, "admin.err.not_found");
		return;
	}
	struct view_val *ctx = admin_ctx(req, "articles");
	const char *state = st ? json_string_value(json_object_get(st, "state")) : NULL;
	view_set_str(ctx, "id", id);
	view_set_str(ctx, "file", name);
	view_set_str(ctx, "state", arena_strdup(req->arena, state ? state : "queued"));
	view_set_int(ctx, "percent", st ? json_integer_value(json_object_get(st, "percent")) : 0);
	const char *msg = st ? json_string_value(json_object_get(st, "message")) : NULL;
	view_set_str(ctx, "summary", st ? summary_words(req, st) : "");
	view_set_str(ctx, "message", arena_strdup(req->arena, msg ? msg : ""));
	view_set(ctx, "lines", lines_val(req, st ? json_object_get(st, "lines") : NULL));
	json_decref(st);
	http_header(req, "cache-control", "no-store");
	admin_render(req, 200, "admin/blog_import_report.html", ctx);
}

void admin_blog_import_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/blog-import", bi_new, adm);
	router_add(r, "POST", "/admin/blog-import", bi_upload, adm | ROUTE_UPLOAD);
	router_add(r, "GET", "/admin/blog-import/{id}", bi_get, adm);
}
