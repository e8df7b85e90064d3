/*
 * media.c — the media library in the admin: /admin/media lists the images
 * (thumbnail, size, the URL to copy, delete) and takes uploads, from its
 * own form and from the article and broadcast editors (drag and drop,
 * paste, file picker: static/admin.js posts the file with the page's CSRF
 * token and Accept: application/json, and puts the Markdown it gets back
 * at the cursor).
 *
 *   GET  /admin/media               the library, newest first
 *   POST /admin/media               multipart: _csrf + file; JSON answer
 *                                   {"id","url","width","height","markdown"}
 *                                   or {"error":{"code","message"}} when the
 *                                   client asked for JSON, else 303 back
 *   POST /admin/media/{id}/delete
 *
 * The upload route has the upload body limit (ROUTE_UPLOAD), its file part
 * arrives as a file in DATA/tmp, and the image work runs on a worker
 * thread. Refusals name their reason in the owner's language
 * (admin.media.err.<code>).
 */
#include <jansson.h>

#include "admin/admin_int.h"

#include "app.h"
#include "media/media.h"
#include "site/site.h"
#include "web/web.h"

#define MEDIA_PAGE 60

/* The refusal in the owner's language (reason code from media_add_file). */
static const char *upload_msg(struct req *req, enum jm_rc rc, const struct jm_err *err)
{
	const char *code =
	        (rc == JM_INVALID || rc == JM_TOO_LARGE) && err->field[0] ? err->field : "failed";
	return admin_t(req, arena_sprintf(req->arena, "admin.media.err.%s", code));
}

static void send_json(struct req *req, int status, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	http_header(req, "cache-control", "no-store");
	http_send(req, status, "application/json; charset=utf-8", s ? s : "{}", s ? strlen(s) : 2);
	free(s);
}

/* The Markdown that shows the image: the file name (without extension) as
 * the alternative text, brackets dropped. */
static const char *image_markdown(struct req *req, const struct media *m)
{
	struct buf b;
	buf_init(&b, 512);
	const char *n = m->orig_name;
	const char *dot = strrchr(n, '.');
	size_t len = dot ? (size_t)(dot - n) : strlen(n);
	for (size_t i = 0; i < len; i++)
		if (!strchr("[]()\\!*_`<>", n[i]))
			(void)!buf_appendc(&b, n[i]);
	char *out = arena_sprintf(req->arena, "![%s](%s)", buf_cstr(&b), m->url);
	buf_free(&b);
	return out;
}

static void upload_done(struct req *req, void *data)
{
	struct web_media_upload *j = data;
	enum jm_rc rc = j->job.rc;
	if (rc == JM_OK && !j->json) {
		http_redirect(req, 303, "/admin/media?added=1");
		return;
	}
	if (rc == JM_OK) {
		send_json(req, j->created ? 201 : 200,
		          json_pack("{s:I, s:s, s:i, s:i, s:s}", "id", (json_int_t)j->m.id, "url",
		                    j->m.url, "width", j->m.width, "height", j->m.height,
		                    "markdown", image_markdown(req, &j->m)));
		return;
	}
	const char *msg = upload_msg(req, rc, &j->job.err);
	int status = http_status_for(rc);
	if (j->json)
		send_json(req, status,
		          json_pack("{s:{s:s, s:s}}", "error", "code",
		                    j->job.err.field[0] ? j->job.err.field : jm_rc_name(rc),
		                    "message", msg));
	else
		admin_media_page(req, status, msg);
}

void admin_media_upload(struct req *req)
{
	const char *accept = http_req_header(req, "accept");
	bool json = accept && strstr(accept, "application/json");
	struct form f;
	struct jm_err err = {0};
	enum jm_rc rc = http_req_form(req, &f, &err);
	if (rc || f.nfiles != 1 || !f.files[0].path || !f.files[0].len) {
		struct jm_err e = {.field = "type"};
		const char *msg = upload_msg(req, rc ? rc : JM_INVALID, &e);
		if (json)
			send_json(req, 400,
			          json_pack("{s:{s:s, s:s}}", "error", "code", "no_file", "message",
			                    msg));
		else
			admin_media_page(req, 400, msg);
		return;
	}
	if (!web_media_upload(req, &f.files[0], json, upload_done))
		admin_fail(req, "media upload", JM_IO);
}

/* One image of the library as the page shows it. */
static struct view_val *media_val(struct req *req, const struct media *m, int tz)
{
	struct view_val *v = view_map(req->arena);
	view_set_int(v, "id", m->id);
	view_set_str(v, "url", m->url);
	view_set_str(v, "thumb", m->variants[0].webp);
	view_set_str(v, "thumb_fallback", m->variants[0].fallback);
	view_set_str(v, "name", m->orig_name);
	view_set_int(v, "width", m->width);
	view_set_int(v, "height", m->height);
	view_set_str(v, "kb",
	             arena_sprintf(req->arena, "%lld", (long long)(m->bytes + 1023) / 1024));
	view_set_str(v, "markdown", image_markdown(req, m));
	view_set_str(v, "created_at", admin_time_fmt(req->arena, m->created_at, tz, ' '));
	return v;
}

void admin_media_page(struct req *req, int status, const char *error)
{
	struct site_settings s;
	struct form q = {0};
	struct jm_err err = {0};
	if (!admin_settings(req, &s))
		return;
	int page = 1;
	if (http_req_query(req, &q, &err) == JM_OK && form_get(&q, "page"))
		page = (int)strtol(form_get(&q, "page"), NULL, 10);
	if (page < 1 || page > 100000)
		page = 1;
	struct media *items = NULL;
	size_t n = 0;
	int64_t total = 0;
	enum jm_rc rc = media_list(req->db, req->arena, page, MEDIA_PAGE, &items, &n, &total);
	if (!admin_check(req, rc, "media_list"))
		return;
	struct view_val *ctx = admin_ctx(req, "media");
	struct view_val *list = view_list(req->arena);
	for (size_t i = 0; i < n; i++)
		view_push(list, media_val(req, &items[i], s.tz_offset_min));
	view_set(ctx, "items", list);
	view_set_int(ctx, "total", total);
	view_set_int(ctx, "page", page);
	view_set_bool(ctx, "has_prev", page > 1);
	view_set_bool(ctx, "has_next", (int64_t)page * MEDIA_PAGE < total);
	view_set_int(ctx, "prev", page - 1);
	view_set_int(ctx, "next", page + 1);
	view_set_bool(ctx, "added", form_get(&q, "added") != NULL);
	view_set_bool(ctx, "deleted", form_get(&q, "deleted") != NULL);
	if (error)
		view_set_str(ctx, "error", error);
	admin_render(req, status, "admin/media.html", ctx);
}

static void media_get_h(struct req *req)
{
	admin_media_page(req, 200, NULL);
}

static void media_delete_h(struct req *req)
{
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	const char *dir = arena_sprintf(req->arena, "%s/media", req->app->cfg.data_dir);
	enum jm_rc rc = media_delete(req->db, id, dir);
	if (!admin_check(req, rc, "media_delete"))
		return;
	http_redirect(req, 303, "/admin/media?deleted=1");
}

void admin_media_routes(struct router *r)
{
	const unsigned adm = ROUTE_ADMIN | ROUTE_CSRF;
	router_add(r, "GET", "/admin/media", media_get_h, adm);
	router_add(r, "POST", "/admin/media", admin_media_upload, adm | ROUTE_UPLOAD);
	router_add(r, "POST", "/admin/media/{id}/delete", media_delete_h, adm);
}
