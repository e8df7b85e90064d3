/*
 * upload.c — the spool step every upload shares (the media library, the
 * CSV import, the blog import and its folder of images): the http layer
 * has written each multipart file part of an upload route (ROUTE_UPLOAD)
 * to a file DATA/tmp/upload.XXXXXX that goes with the request; a job that
 * runs on the worker pool may outlive the request (the client may leave),
 * so the file is hard-linked under a name the job owns first. No upload
 * is ever held in memory whole here.
 *
 * A folder (an <input type=file webkitdirectory>) arrives as many file
 * parts whose names are paths relative to the folder the owner picked
 * ("uploads/2024/01/犬.jpg"); web_upload_tree rebuilds it under
 * DATA/tmp/upload.tree-XXXXXX. Names are untrusted: a part "..", ".", an
 * empty part, a leading '/', a backslash or a control character refuses
 * the whole folder (nothing may land outside the tree).
 */
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web/web.h"

#define TREE_DEPTH 16

const char *web_upload_keep(const struct form_file *file, struct arena *a)
{
	if (!file->path)
		return NULL;
	char *path = arena_sprintf(a, "%s.job", file->path);
	return link(file->path, path) == 0 ? path : NULL;
}

/* True when rel is a safe relative path: parts that are neither empty,
 * "." nor "..", no backslash, no control character. */
static bool rel_ok(const char *rel)
{
	if (!*rel || *rel == '/')
		return false;
	int depth = 0;
	for (const char *p = rel; *p;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') ||
		    ++depth > TREE_DEPTH)
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
				return false;
		p += n + (end ? 1 : 0);
		if (end && !*p)
			return false; /* trailing '/' */
	}
	return true;
}

/* Creates every folder of rel's dirname below root. */
static bool make_parents(const char *root, const char *rel, struct arena *a)
{
	char *path = arena_sprintf(a, "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		bool ok = mkdir(path, 0700) == 0 || errno == EEXIST;
		*p = '/';
		if (!ok)
			return false;
	}
	return true;
}

/* Where the part named name goes below the tree: the path without its
 * first part (the picked folder's own name), or only the file name (flat). */
static const char *tree_rel(const char *name, bool flat)
{
	const char *slash = flat ? strrchr(name, '/') : strchr(name, '/');
	return slash ? slash + 1 : name;
}

enum jm_rc web_upload_tree(const struct form *f, const char *field, const char *spool_dir,
                           bool flat, struct arena *a, const char **out, size_t *nfiles,
                           struct jm_err *err)
{
	*out = NULL;
	*nfiles = 0;
	for (size_t i = 0; i < f->nfiles; i++) {
		const struct form_file *ff = &f->files[i];
		if (strcmp(ff->field, field) || !ff->filename || !*ff->filename)
			continue;
		if (!rel_ok(ff->filename) || !ff->path) {
			jm_err_set(err, field, "%s", ff->filename);
			return JM_INVALID;
		}
	}
	char *dir = arena_sprintf(a, "%s/upload.tree-XXXXXX", spool_dir);
	if (!mkdtemp(dir))
		return JM_IO;
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; !rc && i < f->nfiles; i++) {
		const struct form_file *ff = &f->files[i];
		if (strcmp(ff->field, field) || !ff->filename || !*ff->filename)
			continue;
		const char *rel = tree_rel(ff->filename, flat);
		if (!make_parents(dir, rel, a) ||
		    (link(ff->path, arena_sprintf(a, "%s/%s", dir, rel)) != 0 && errno != EEXIST))
			rc = JM_IO;
		else
			++*nfiles;
	}
	if (rc)
		web_upload_tree_remove(dir);
	else
		*out = dir;
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

void web_upload_tree_remove(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
