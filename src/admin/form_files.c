/*
 * form_files.c — GET /admin/forms/files/{id}: a file sent with an answer
 * (a 履歴書 PDF), for signed-in staff only (an admin route: the session is
 * checked before this runs). Always a download (Content-Disposition:
 * attachment) with the type sniffed when it was stored, never shown inline,
 * so an uploaded file cannot run as a page of the admin's origin. The name
 * it was sent with is kept as RFC 6266 filename* (RFC 8187 UTF-8).
 */
#include "admin/admin_int.h"
#include "app.h"
#include "forms/forms.h"

static const char *disposition(struct req *req, const char *name)
{
	struct buf cd;
	buf_init(&cd, 2048);
	enum jm_rc rc = buf_appends(&cd, "attachment; filename=\"file\"; filename*=UTF-8''");
	if (!rc)
		rc = http_url_encode(&cd, name, strlen(name));
	const char *out = rc ? "attachment" : arena_strdup(req->arena, buf_cstr(&cd));
	buf_free(&cd);
	return out;
}

static void file_get(struct req *req)
{
	int64_t id;
	if (!admin_param_id(req, &id))
		return;
	const char *name = NULL, *ctype = NULL;
	struct buf b;
	buf_init(&b, FORMS_FILE_MAX + 1);
	enum jm_rc rc = forms_answer_file(req->db, req->arena, id, &name, &ctype, &b);
	if (admin_check(req, rc, "form_file")) {
		http_header(req, "cache-control", "private, no-store");
		http_header(req, "content-disposition", disposition(req, name));
		http_send_buf(req, 200, ctype, &b);
	}
	buf_free(&b);
}

void admin_form_files_routes(struct router *r)
{
	router_add(r, "GET", "/admin/forms/files/{id}", file_get, ROUTE_ADMIN | ROUTE_CSRF);
}
