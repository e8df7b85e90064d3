/*
 * theme.c — the theme overrides every node of a site renders with, kept in
 * table theme_files (owned here, written nowhere else). An owner still edits
 * files in a node's DATA/theme/; that node stores them at start, and every
 * node loads the stored set (app_node.c), so nodes with separate DATA
 * directories show the same pages.
 *
 * Invariants: names are relative template paths that cannot leave the
 * directory they are written into ('..', absolute paths and hidden parts
 * are refused); bodies are at most SITE_THEME_MAX bytes; a stored file is
 * only replaced by a newer edit (mtime), so a node started with an older
 * copy does not undo another node's change.
 */
#include "core/core.h"
#include "db/db.h"
#include "site/site.h"

static bool part_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

bool site_theme_name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len >= 512)
		return false;
	bool part_start = true;
	for (const char *p = name; *p; p++) {
		if (*p == '/') {
			if (part_start)
				return false; /* empty part or a leading '/' */
			part_start = true;
			continue;
		}
		if (!part_char_ok(*p) || (part_start && *p == '.'))
			return false;
		part_start = false;
	}
	if (part_start)
		return false;
	static const char *const ext[] = {".html", ".xml", ".txt"};
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);
		if (len > el && strcmp(name + len - el, ext[i]) == 0)
			return true;
	}
	return false;
}

enum jm_rc site_theme_put(struct db *db, const char *name, const char *body, size_t len,
                          int64_t mtime)
{
	if (!site_theme_name_ok(name))
		return JM_INVALID;
	if (len > SITE_THEME_MAX)
		return JM_TOO_LARGE;
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_prepare(db,
	                   "INSERT INTO theme_files(name, body, updated_at) VALUES (?, ?, ?) "
	                   "ON CONFLICT(name) DO UPDATE SET body = excluded.body, "
	                   "updated_at = excluded.updated_at "
	                   "WHERE excluded.updated_at > theme_files.updated_at",
	                   &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, name, SIZE_MAX);
	db_bind_text(st, 2, body, len);
	db_bind_int(st, 3, mtime);
	rc = db_step(st);
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc site_theme_list(struct db *db, struct arena *a, struct site_theme_file **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	int64_t count = 0;
	enum jm_rc rc = db_query_int(db, &count, 0, "SELECT count(*) FROM theme_files", "");
	if (rc || count == 0)
		return rc;
	struct db_stmt *st = NULL;
	rc = db_prepare(db, "SELECT name, body FROM theme_files ORDER BY name", &st);
	if (rc)
		return rc;
	struct site_theme_file *f = arena_calloc(a, (size_t)count * sizeof(*f));
	size_t i = 0;
	while (i < (size_t)count && (rc = db_step(st)) == JM_OK) {
		size_t len = 0;
		const char *body = db_col_text(st, 1, &len);
		f[i].name = db_col_dup(st, 0, a);
		f[i].body = arena_strndup(a, body ? body : "", len);
		f[i].len = len;
		i++;
	}
	db_finalize(st);
	if (rc != JM_OK && rc != JM_DONE)
		return rc;
	*out = f;
	*n = i;
	return JM_OK;
}
