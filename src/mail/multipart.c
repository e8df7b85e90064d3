/*
 * multipart.c — multipart/form-data request bodies (RFC 7578, whose syntax
 * is the multipart media type of RFC 2046 section 5.1), parsed with GMime 3.
 *
 * The request body has no MIME headers of its own, so we prepend the
 * request's Content-Type as a header and let GMime's parser build the
 * multipart. GMime is lenient by design; we make it strict by listening to
 * its parser warnings and refusing bodies it had to guess about (missing
 * boundary, no parts, truncated body, conflicting parameters).
 *
 * The body is never copied: GMime reads it where it lies (the request's
 * buffer, which h2o keeps in a file-backed mapping when it is large), and
 * with a spool directory the file parts are decoded straight into files
 * there (mail_multipart_parse_spool), so an upload of many megabytes never
 * sits in one heap buffer.
 *
 * Invariants: every GMime object is released before returning; everything
 * handed back lives in the caller's arena (spooled files are removed by a
 * cleanup on it). Header values given to us must not contain CR or LF,
 * since they are spliced into a header block.
 */
#include <fcntl.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "mail/mail_int.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_init_once(void)
{
	g_mime_init();
}

void mail_gmime_init(void)
{
	pthread_once(&gmime_once, gmime_init_once);
}

void mail_shutdown(void)
{
	g_mime_shutdown();
}

/* Records whether the parser met anything it had to guess about. */
static void on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
                              gpointer data)
{
	bool *malformed = data;
	switch (code) {
	case GMIME_WARN_MALFORMED_MULTIPART:
	case GMIME_WARN_TRUNCATED_MESSAGE:
	case GMIME_WARN_MALFORMED_MESSAGE:
	case GMIME_WARN_PART_WITHOUT_CONTENT:
	case GMIME_CRIT_INVALID_HEADER_NAME:
	case GMIME_CRIT_CONFLICTING_HEADER:
	case GMIME_CRIT_CONFLICTING_PARAMETER:
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
	case GMIME_CRIT_NESTING_OVERFLOW:
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: *malformed = true; break;
	default:
		/* Duplicated headers, raw UTF-8 in parameters and the like are
		 * what browsers send; they are harmless here. */
		break;
	}
}

/* True when ct is multipart/form-data with a non-empty boundary. */
static bool content_type_ok(const char *ct)
{
	if (strpbrk(ct, "\r\n"))
		return false;
	GMimeContentType *t = g_mime_content_type_parse(NULL, ct);
	if (!t)
		return false;
	const char *b = g_mime_content_type_get_parameter(t, "boundary");
	bool ok = g_mime_content_type_is_type(t, "multipart", "form-data") && b && *b;
	g_object_unref(t);
	return ok;
}

/* Parses "Content-Type: ct" + blank line + body into a GMime object, or NULL
 * (malformed) when the parser complained. The body is read where it lies
 * (a memory stream over it that does not own it, behind the header in a
 * concatenated stream): a large upload is not copied, and the parser keeps
 * parts as windows of that stream (persist_stream) until they are decoded. */
static GMimeObject *parse_body(const char *ct, const char *body, size_t len, GByteArray **viewp)
{
	static const char hdr[] = "Content-Type: ";
	GByteArray *head = g_byte_array_sized_new((guint)(sizeof(hdr) + strlen(ct) + 4));
	g_byte_array_append(head, (const guint8 *)hdr, sizeof(hdr) - 1);
	g_byte_array_append(head, (const guint8 *)ct, (guint)strlen(ct));
	g_byte_array_append(head, (const guint8 *)"\r\n\r\n", 4);
	GMimeStream *hs = g_mime_stream_mem_new_with_byte_array(head); /* owns head */
	GByteArray *view = g_byte_array_new_take(len ? (guint8 *)body : NULL, len);
	GMimeStream *bs = g_mime_stream_mem_new_with_byte_array(view);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(bs), FALSE);
	GMimeStream *stream = g_mime_stream_cat_new();
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(stream), hs);
	g_mime_stream_cat_add_source(GMIME_STREAM_CAT(stream), bs);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_persist_stream(parser, TRUE);
	GMimeParserOptions *opts = g_mime_parser_options_new();
	bool malformed = false;
	g_mime_parser_options_set_warning_callback(opts, on_parser_warning, &malformed);
	GMimeObject *obj = g_mime_parser_construct_part(parser, opts);
	g_mime_parser_options_free(opts);
	g_object_unref(parser);
	g_object_unref(stream);
	g_object_unref(hs);
	if (obj && (malformed || !GMIME_IS_MULTIPART(obj))) {
		g_object_unref(obj);
		obj = NULL;
	}
	/* Parts still read from bs (persist_stream): the caller frees the
	 * wrapper *viewp (view_free) only after dropping obj. */
	g_object_unref(bs);
	*viewp = view;
	return obj;
}

/* Frees the array wrapper around the caller's body, never the body. */
static void view_free(GByteArray *view)
{
	(void)g_byte_array_free(view, FALSE);
}

/* Copies the decoded content of part into the arena (NUL-terminated). */
static void part_content(struct arena *a, GMimePart *part, struct mail_part *out)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	out->data = "";
	out->len = 0;
	if (!w)
		return;
	GMimeStream *mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, mem);
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	char *d = arena_alloc(a, bytes->len + 1);
	if (bytes->len)
		memcpy(d, bytes->data, bytes->len);
	d[bytes->len] = '\0';
	out->data = d;
	out->len = bytes->len;
	g_object_unref(mem);
}

static void unlink_cb(void *p)
{
	unlink(p);
}

/* Decodes the content of a file part into a new file of dir (0600),
 * removed when the arena is freed. */
static enum jm_rc part_spool(struct arena *a, GMimePart *part, const char *dir,
                             struct mail_part *out, struct jm_err *err)
{
	char *path = arena_sprintf(a, "%s/upload.XXXXXX", dir);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		jm_err_set(err, NULL, "cannot store the upload");
		return JM_IO;
	}
	arena_defer(a, unlink_cb, path);
	GMimeStream *fs = g_mime_stream_fs_new(fd); /* owns fd */
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	gint64 n = w ? g_mime_data_wrapper_write_to_stream(w, fs) : 0;
	bool ok = n >= 0 && g_mime_stream_flush(fs) == 0;
	g_object_unref(fs);
	if (!ok) {
		jm_err_set(err, NULL, "cannot store the upload");
		return JM_IO;
	}
	out->data = NULL;
	out->len = (size_t)n;
	out->path = path;
	return JM_OK;
}

/* The part's media type, or the RFC 7578 default when it has none. */
static const char *part_ctype(struct arena *a, GMimeObject *obj, bool is_file)
{
	if (!g_mime_object_get_header(obj, "Content-Type"))
		return is_file ? "application/octet-stream" : "text/plain";
	char *mt = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj));
	char *s = arena_strdup(a, mt);
	g_free(mt);
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* Fills out from one child of the multipart. */
static enum jm_rc part_convert(struct arena *a, GMimeObject *obj, const char *spool,
                               struct mail_part *out, struct jm_err *err)
{
	if (!GMIME_IS_PART(obj)) {
		jm_err_set(err, NULL, "nested multipart is not supported");
		return JM_INVALID;
	}
	GMimeContentDisposition *cd = g_mime_object_get_content_disposition(obj);
	const char *disp = cd ? g_mime_content_disposition_get_disposition(cd) : NULL;
	const char *name = cd ? g_mime_content_disposition_get_parameter(cd, "name") : NULL;
	if (!disp || strcasecmp(disp, "form-data") != 0 || !name || !*name ||
	    !utf8_valid(name, strlen(name))) {
		jm_err_set(err, NULL, "part without a form-data name");
		return JM_INVALID;
	}
	const char *fn = g_mime_content_disposition_get_parameter(cd, "filename");
	out->name = arena_strdup(a, name);
	out->filename = fn ? arena_strdup(a, fn) : NULL;
	out->ctype = part_ctype(a, obj, fn != NULL);
	if (fn && spool)
		return part_spool(a, GMIME_PART(obj), spool, out, err);
	part_content(a, GMIME_PART(obj), out);
	if (!fn && (!utf8_valid(out->data, out->len) || memchr(out->data, '\0', out->len))) {
		jm_err_set(err, out->name, "invalid UTF-8");
		return JM_INVALID;
	}
	return JM_OK;
}

static enum jm_rc convert_parts(struct arena *a, GMimeMultipart *mp, size_t max_parts,
                                const char *spool, struct mail_part **parts, size_t *nparts,
                                struct jm_err *err)
{
	int count = g_mime_multipart_get_count(mp);
	if (count <= 0) {
		jm_err_set(err, NULL, "multipart body without parts");
		return JM_INVALID;
	}
	if ((size_t)count > max_parts) {
		jm_err_set(err, NULL, "too many fields (at most %zu)", max_parts);
		return JM_TOO_LARGE;
	}
	struct mail_part *p = arena_calloc(a, (size_t)count * sizeof(*p));
	for (int i = 0; i < count; i++) {
		enum jm_rc rc =
		        part_convert(a, g_mime_multipart_get_part(mp, i), spool, &p[i], err);
		if (rc)
			return rc;
	}
	*parts = p;
	*nparts = (size_t)count;
	return JM_OK;
}

enum jm_rc mail_multipart_parse_spool(struct arena *a, const char *content_type, const char *body,
                                      size_t len, size_t max_parts, const char *spool_dir,
                                      struct mail_part **parts, size_t *nparts, struct jm_err *err)
{
	*parts = NULL;
	*nparts = 0;
	mail_gmime_init();
	if (!content_type || !content_type_ok(content_type)) {
		jm_err_set(err, NULL, "multipart/form-data without a boundary");
		return JM_INVALID;
	}
	if (len > G_MAXUINT - strlen(content_type) - 32) {
		jm_err_set(err, NULL, "request body too large");
		return JM_TOO_LARGE;
	}
	GByteArray *view = NULL;
	GMimeObject *obj = parse_body(content_type, body, len, &view);
	enum jm_rc rc = JM_INVALID;
	if (!obj)
		jm_err_set(err, NULL, "malformed multipart body");
	else
		rc = convert_parts(a, GMIME_MULTIPART(obj), max_parts, spool_dir, parts, nparts,
		                   err);
	if (obj)
		g_object_unref(obj);
	view_free(view);
	if (rc) {
		*parts = NULL;
		*nparts = 0;
	}
	return rc;
}

enum jm_rc mail_multipart_parse(struct arena *a, const char *content_type, const char *body,
                                size_t len, size_t max_parts, struct mail_part **parts,
                                size_t *nparts, struct jm_err *err)
{
	return mail_multipart_parse_spool(a, content_type, body, len, max_parts, NULL, parts,
	                                  nparts, err);
}
