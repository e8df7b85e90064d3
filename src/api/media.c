/*
 * media.c — /api/v1/media: the media library over the JSON API.
 *
 *   POST   /api/v1/media        multipart/form-data, one file part ("file");
 *                               201 with the new image, 200 when the same
 *                               bytes were already in the library
 *   GET    /api/v1/media        newest first, paginated
 *   GET    /api/v1/media/{id}
 *   DELETE /api/v1/media/{id}   204
 *
 * An image is {"id","url","width","height","name","bytes","created_at",
 * "variants":[{"width","height","webp","url"}]}; url is the largest JPEG
 * or PNG, the one to put in Markdown or in an article's featured_image.
 *
 * The upload route has its own body limit (--max-upload; ROUTE_UPLOAD) and
 * its file part arrives as a file in DATA/tmp (never in memory); decoding
 * and resizing run on a worker thread (media_add_file is slow). Refusals
 * answer 413 or 422 with the reason as the code: too_large, pixels, type,
 * corrupt.
 */
#include <jansson.h>

#include "api/api_int.h"
#include "app.h"
#include "http/http.h"
#include "media/media.h"
#include "web/web.h"

json_t *api_media_json(const struct media *m)
{
	json_t *vs = json_array();
	for (size_t i = 0; i < m->nvariants; i++) {
		const struct media_variant *v = &m->variants[i];
		json_array_append_new(vs,
		                      json_pack("{s:i, s:i, s:s, s:s}", "width", v->width, "height",
		                                v->height, "webp", v->webp, "url", v->fallback));
	}
	return json_pack("{s:I, s:s, s:i, s:i, s:o, s:I, s:o, s:o}", "id", (json_int_t)m->id, "url",
	                 m->url, "width", m->width, "height", m->height, "name",
	                 api_jstr(m->orig_name), "bytes", (json_int_t)m->bytes, "created_at",
	                 api_jtime(m->created_at), "variants", vs);
}

static void upload_done(struct req *req, void *data)
{
	struct web_media_upload *j = data;
	if (j->job.rc == JM_OK) {
		api_send_json(req, j->created ? 201 : 200, api_media_json(&j->m));
		return;
	}
	if (j->job.rc != JM_TOO_LARGE && j->job.rc != JM_INVALID) {
		api_send_rc(req, j->job.rc, NULL);
		return;
	}
	api_send_error(req, http_status_for(j->job.rc),
	               j->job.err.field[0] ? j->job.err.field : "invalid", j->job.err.msg, "file");
}

/* The one file part of the body, or NULL after answering. */
static const struct form_file *upload_file(struct req *req)
{
	struct form f;
	struct jm_err err = {0};
	enum jm_rc rc = http_req_form(req, &f, &err);
	if (rc == JM_IO) {
		api_send_rc(req, rc, NULL);
		return NULL;
	}
	if (rc || f.nfiles != 1 || !f.files[0].path) {
		api_send_error(req, 400, "bad_request",
		               rc ? err.msg
		                  : "send one file as multipart/form-data (field \"file\")",
		               "file");
		return NULL;
	}
	return &f.files[0];
}

static void media_create(struct req *req)
{
	const struct form_file *file = upload_file(req);
	if (file && !web_media_upload(req, file, true, upload_done))
		api_send_rc(req, JM_IO, NULL);
}

static void media_list_h(struct req *req)
{
	struct form q;
	int page, per_page;
	if (!api_query(req, &q) || !api_parse_pagination(req, &q, &page, &per_page))
		return;
	struct media *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	enum jm_rc rc = media_list(req->db, req->arena, page, per_page, &items, &n, &total);
	if (rc) {
		api_send_rc(req, rc, NULL);
		return;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, api_media_json(&items[i]));
	api_send_json(req, 200, api_page_json(arr, page, per_page, total));
}

static void media_show(struct req *req)
{
	int64_t id;
	struct media m;
	if (!api_path_id(req, "image", &id))
		return;
	enum jm_rc rc = media_get(req->db, req->arena, id, &m);
	if (rc) {
		struct jm_err err = {.msg = "no such image"};
		api_send_rc(req, rc, &err);
		return;
	}
	api_send_json(req, 200, api_media_json(&m));
}

static void media_delete_h(struct req *req)
{
	int64_t id;
	if (!api_path_id(req, "image", &id))
		return;
	const char *dir = arena_sprintf(req->arena, "%s/media", req->app->cfg.data_dir);
	enum jm_rc rc = media_delete(req->db, id, dir);
	if (rc) {
		struct jm_err err = {.msg = "no such image"};
		api_send_rc(req, rc, &err);
		return;
	}
	api_send_no_content(req);
}

void api_media_routes(struct router *r)
{
	router_add(r, "POST", "/api/v1/media", media_create, ROUTE_API | ROUTE_UPLOAD);
	router_add(r, "GET", "/api/v1/media", media_list_h, ROUTE_API);
	router_add(r, "GET", "/api/v1/media/{id}", media_show, ROUTE_API);
	router_add(r, "DELETE", "/api/v1/media/{id}", media_delete_h, ROUTE_API);
}
