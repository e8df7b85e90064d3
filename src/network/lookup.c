/*
 * lookup.c — finding the person the owner means in the admin forms that
 * take "another person" (merge, introductions) and the picker beside them:
 * by email address (normalised as everywhere else, auth_email_normalize,
 * and looked up through the unique people.email index), by name (the
 * search index's matches for the name, then compared folded with spaces
 * dropped, so "佐藤 健" finds 佐藤　健), and search-as-you-type
 * suggestions. All reads; the search index is caught up first by
 * net_search.
 */
#include "network/network.h"
#include "network/people_int.h"

#include "auth/auth.h"
#include "db/db.h"

enum jm_rc net_person_find_email(struct db *db, const char *email, int64_t *id)
{
	char norm[320];
	size_t n = email ? strlen(email) : 0;
	if (n == 0 || n >= sizeof(norm))
		return JM_INVALID;
	memcpy(norm, email, n + 1);
	if (!auth_email_normalize(norm))
		return JM_INVALID;
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st, "SELECT id FROM people WHERE email = ?", "t", norm);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		*id = db_col_int(st, 0);
	db_finalize(st);
	return rc == JM_DONE ? JM_NOT_FOUND : rc;
}

enum jm_rc net_owner_person(struct db *db, int64_t *id)
{
	return db_query_int(db, id, 0,
	                    "SELECT person_id FROM users WHERE role = 'owner' AND person_id IS NOT "
	                    "NULL ORDER BY id LIMIT 1",
	                    "");
}

/* Fills picks from search hits, reading each email by primary key. */
static enum jm_rc picks_from_hits(struct db *db, struct arena *a, const struct net_hit *h, size_t n,
                                  struct net_pick *out)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; rc == JM_OK && i < n; i++) {
		struct db_stmt *st = NULL;
		out[i] = (struct net_pick){h[i].person_id, h[i].name ? h[i].name : "",
		                           h[i].company ? h[i].company : "", "",
		                           h[i].stage ? h[i].stage : ""};
		rc = db_preparef(db, &st, "SELECT COALESCE(email, '') FROM people WHERE id = ?",
		                 "i", h[i].person_id);
		if (rc)
			break;
		rc = db_step(st);
		if (rc == JM_OK)
			out[i].email = db_col_dup(st, 0, a);
		db_finalize(st);
		rc = rc == JM_DONE ? JM_OK : rc;
	}
	return rc;
}

static enum jm_rc search_hits(struct db *db, struct arena *a, const char *q, int per_page,
                              struct net_hit **hits, size_t *n)
{
	struct net_search_query sq = {
	        .q = q, .include_flagged = true, .page = 1, .per_page = per_page};
	struct jm_err err = {0};
	int64_t total = 0;
	return net_search(db, a, &sq, hits, n, &total, &err);
}

enum jm_rc net_person_suggest(struct db *db, struct arena *a, const char *q, size_t max,
                              struct net_pick **out, size_t *n)
{
	struct net_hit *hits = NULL;
	size_t nh = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = search_hits(db, a, q, (int)(max < 1 ? 1 : max > 50 ? 50 : max), &hits, &nh);
	if (rc)
		return rc;
	*out = arena_calloc(a, (nh + 1) * sizeof(**out));
	rc = picks_from_hits(db, a, hits, nh, *out);
	*n = rc == JM_OK ? nh : 0;
	return rc;
}

/* Moves the hits whose folded name equals key to the front; their count. */
static size_t exact_first(const char *key, struct net_hit *h, size_t n, struct buf *tmp)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		bool empty = true;
		buf_reset(tmp);
		if (net_name_fold(h[i].name ? h[i].name : "", tmp, &empty) != JM_OK || empty ||
		    strcmp(buf_cstr(tmp), key) != 0)
			continue;
		struct net_hit t = h[k];
		h[k++] = h[i];
		h[i] = t;
	}
	return k;
}

/* The first n UTF-8 characters of s (a copy), NULL when s is shorter. */
static const char *first_chars(struct arena *a, const char *s, int n)
{
	size_t i = 0;
	for (int c = 0; c < n; c++) {
		if (!s[i])
			return NULL;
		i++;
		while ((s[i] & 0xC0) == 0x80)
			i++;
	}
	return s[i] ? arena_strndup(a, s, i) : NULL;
}

enum jm_rc net_person_find_name(struct db *db, struct arena *a, const char *name, size_t max,
                                struct net_pick **out, size_t *n, bool *exact)
{
	struct net_hit *hits = NULL;
	size_t nh = 0, k = 0;
	bool empty = true;
	struct buf key, tmp;
	buf_init(&key, 1024);
	buf_init(&tmp, 1024);
	*out = NULL;
	*n = 0;
	*exact = false;
	enum jm_rc rc = name ? net_name_fold(name, &key, &empty) : JM_INVALID;
	if (rc == JM_OK && empty)
		rc = JM_INVALID;
	if (rc == JM_OK)
		rc = search_hits(db, a, name, 100, &hits, &nh);
	if (rc)
		goto out;
	k = exact_first(buf_cstr(&key), hits, nh, &tmp);
	if (k == 0) {
		/* "佐藤健" typed for 佐藤 健: the index holds 佐藤 and 健 but no
		 * 藤健, so look again among the people its first two characters
		 * find (the candidates stay those of the whole name). */
		struct net_hit *h2 = NULL;
		size_t n2 = 0, k2 = 0;
		const char *q2 = first_chars(a, buf_cstr(&key), 2);
		if (q2 && search_hits(db, a, q2, 100, &h2, &n2) == JM_OK)
			k2 = exact_first(buf_cstr(&key), h2, n2, &tmp);
		if (k2) {
			hits = h2;
			k = k2;
		}
	}
	*exact = k > 0;
	size_t take = *exact ? k : (nh < max ? nh : max);
	*out = arena_calloc(a, (take + 1) * sizeof(**out));
	rc = picks_from_hits(db, a, hits, take, *out);
	*n = rc == JM_OK ? take : 0;
out:
	buf_free(&key);
	buf_free(&tmp);
	return rc;
}
