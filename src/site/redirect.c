/*
 * redirect.c — old URLs of imported articles (table redirects, migration
 * 0020), answered with 301 by web/ when no page of its own matches.
 *
 * The key rule (site_redirect_key) is the one place an old URL is
 * normalised, for the importer that stores keys and for the site that
 * looks them up: %XX decoded (so %E6 and %e6 and raw UTF-8 meet), one
 * trailing '/' dropped, the query kept as given.
 */
#include "core/core.h"
#include "db/db.h"
#include "site/site.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

const char *site_redirect_key(struct arena *a, const char *path, size_t plen, const char *query,
                              size_t qlen)
{
	if (!path || plen == 0 || plen > SITE_REDIRECT_MAX || qlen > SITE_REDIRECT_MAX)
		return NULL;
	char *out = arena_alloc(a, plen + qlen + 3);
	size_t n = 0;
	for (size_t i = 0; i < plen; i++) {
		int hi, lo;
		if (path[i] == '%' && i + 2 < plen && (hi = hexval(path[i + 1])) >= 0 &&
		    (lo = hexval(path[i + 2])) >= 0) {
			out[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[n++] = path[i];
		}
	}
	if (n > 1 && out[n - 1] == '/')
		n--;
	if (query && qlen) {
		out[n++] = '?';
		memcpy(out + n, query, qlen);
		n += qlen;
	}
	out[n] = '\0';
	if (out[0] != '/' || !utf8_valid(out, n) || utf8_has_controls(out, n))
		return NULL;
	return out;
}

enum jm_rc site_redirect_find(struct db *db, struct arena *a, const char *key, const char **slug)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT a.slug FROM redirects r JOIN articles a ON "
	                            "a.id = r.article_id WHERE r.path = ? AND "
	                            "a.status = 'published' AND a.published_at <= ?",
	                            "ti", key, jm_now());
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*slug = db_col_dup(st, 0, a);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
}
