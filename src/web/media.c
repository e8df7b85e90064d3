/*
 * media.c — GET /media/{name} for a file this node has not cached yet.
 *
 * h2o's file handler serves DATA/media/ (http/server.c) and passes a
 * request on to the router only when the file is missing there: then the
 * file is read from the database (media_files, the source of truth every
 * node shares), written into this node's cache for the next request, and
 * sent. The long Cache-Control, the Content-Type and nosniff come from the
 * /media path's headers; a miss answers no-store so a name that appears
 * later is not remembered as missing.
 */
#include <unistd.h>

#include "app.h"
#include "http/http.h"
#include "media/media.h"
#include "web/web.h"
#include "web/web_int.h"

#define MEDIA_FILE_CAP (64u << 20) /* far above any variant we make */

static void media_not_found(struct req *req)
{
	http_header(req, "cache-control", "no-store");
	http_send_text(req, 404, "Not Found");
}

static void media_serve(struct req *req)
{
	const char *name = req_param(req, "name");
	if (!media_file_name_ok(name)) {
		media_not_found(req);
		return;
	}
	struct buf b;
	buf_init(&b, MEDIA_FILE_CAP);
	enum jm_rc rc = media_file_get(req->db, name, &b);
	if (rc == JM_OK) {
		const char *dir = arena_sprintf(req->arena, "%s/media", req->app->cfg.data_dir);
		if (media_cache_put(dir, name, b.ptr, b.len) != JM_OK)
			log_at(LOG_WARN, "media", "cannot cache file=%s in %s", name, dir);
		http_send(req, 200, media_ctype(name), b.ptr, b.len);
	} else if (rc == JM_NOT_FOUND) {
		media_not_found(req);
	} else {
		http_send_text(req, 500, "Internal Server Error");
	}
	buf_free(&b);
}

void web_media_routes(struct router *r)
{
	router_add(r, "GET", "/media/{name}", media_serve, 0);
}

/* ---- the upload step of the admin and the API (web.h) ---- */

static void upload_free(void *data)
{
	struct web_media_upload *j = data;
	if (j->path)
		unlink(j->path);
	http_task_free(j);
}

static void upload_work(struct db *db, void *data)
{
	struct web_media_upload *j = data;
	j->job.rc = media_add_file(db, j->job.a, j->path, j->name, NULL, &j->m, &j->created,
	                           &j->job.err);
}

bool web_media_upload(struct req *req, const struct form_file *file, bool json, http_done_fn done)
{
	struct web_media_upload *j = http_task_new(sizeof(*j));
	j->name = http_task_str(&j->job, file->filename);
	j->json = json;
	j->path = web_upload_keep(file, j->job.a);
	if (!j->path) {
		http_task_free(j);
		return false;
	}
	http_defer(req, upload_work, done, j, upload_free);
	return true;
}
