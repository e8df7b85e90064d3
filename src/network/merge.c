/*
 * merge.c — folding one person into another without losing anything
 * (net_person_merge) and finding likely duplicates (net_duplicates).
 *
 * The merge itself is people_merge (people/merge.c: the person row, its
 * fields, links, tags, events and stage history); this file hands it the
 * owners of every other row that points at a person, each moving its own
 * rows: subscriptions and deliveries (newsletter), messages (inbox), staff
 * accounts (auth) and, here, interactions and introductions — rows that
 * become self-introductions (the two were introduced to each other) go.
 */
#include <ctype.h>
#include <strings.h>

#include "network/network.h"
#include "network/people_int.h"

#include "auth/auth.h"
#include "db/db.h"
#include "inbox/inbox.h"
#include "newsletter/newsletter.h"
#include "people/people.h"

/* Interactions and introductions of from become into's. */
static enum jm_rc move_network(struct db *db, int64_t into, int64_t from)
{
	static const char *const sql[] = {
	        "UPDATE interactions SET person_id = ? WHERE person_id = ?",
	        "UPDATE introductions SET introducer_id = ? WHERE introducer_id = ?",
	        "UPDATE introductions SET person_id = ? WHERE person_id = ?",
	        "UPDATE introductions SET to_id = ? WHERE to_id = ?",
	};
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && !rc; i++)
		rc = db_execf(db, sql[i], "ii", into, from);
	if (rc)
		return rc;
	/* An introduction between the two is now one of into with itself. */
	return db_execf(db,
	                "DELETE FROM introductions WHERE (introducer_id = ? AND (person_id = ? OR "
	                "to_id = ?)) OR (person_id = ? AND to_id = ?)",
	                "iiiii", into, into, into, into, into);
}

enum jm_rc net_person_merge(struct db *db, int64_t into, int64_t from, int64_t now,
                            struct jm_err *err)
{
	static const struct people_merge_owner owners[] = {
	        {"newsletter", nl_person_merge_move},
	        {"inbox", inbox_person_merge_move},
	        {"auth", auth_user_person_move},
	        {"network", move_network},
	};
	return people_merge(db, into, from, now, owners, sizeof(owners) / sizeof(owners[0]), err);
}

/* ---- likely duplicates ----
 * One scan of people in id order, two hash tables from a key to the first
 * (lowest) id that had it: a Gmail address with dots and "+tag" taken out
 * of the local part (other addresses are UNIQUE already), and the
 * NFKC-folded name + company with spaces taken out (both non-empty). Each
 * later person with a known key pairs with that first id, so a group of k
 * gives k - 1 pairs and the work stays linear — but it reads every person
 * (about 0.6 s for 200,000 in a sanitizer build): call it off the event
 * loop (http_defer). */

struct dup_slot {
	const char *key;
	int64_t id;
};
struct dup_table {
	struct dup_slot *v;
	size_t mask, used;
};

static uint64_t key_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void table_put(struct dup_table *t, const char *key, int64_t id)
{
	size_t i = key_hash(key) & t->mask;
	while (t->v[i].key)
		i = (i + 1) & t->mask;
	t->v[i] = (struct dup_slot){key, id};
	t->used++;
}

static void table_grow(struct dup_table *t)
{
	struct dup_table old = *t;
	size_t size = old.v ? (old.mask + 1) * 2 : 1024;
	t->v = xcalloc(size, sizeof(*t->v));
	t->mask = size - 1;
	t->used = 0;
	for (size_t i = 0; old.v && i <= old.mask; i++)
		if (old.v[i].key)
			table_put(t, old.v[i].key, old.v[i].id);
	free(old.v);
}

/* The id stored under key, or 0 after storing id under a copy of key. */
static int64_t table_first(struct dup_table *t, struct arena *a, const char *key, int64_t id)
{
	if (!t->v || 2 * (t->used + 1) > t->mask + 1)
		table_grow(t);
	size_t i = key_hash(key) & t->mask;
	for (; t->v[i].key; i = (i + 1) & t->mask)
		if (!strcmp(t->v[i].key, key))
			return t->v[i].id;
	t->v[i] = (struct dup_slot){arena_strdup(a, key), id};
	t->used++;
	return 0;
}

/* Gmail ignores case, dots and everything after '+' in the local part,
 * and googlemail.com is the same mailbox. false for other addresses. */
static bool gmail_key(const char *email, char out[320])
{
	const char *at = strrchr(email, '@');
	if (!at || (strcasecmp(at + 1, "gmail.com") && strcasecmp(at + 1, "googlemail.com")))
		return false;
	size_t n = 0;
	for (const char *p = email; p < at && *p != '+' && n < 300; p++)
		if (*p != '.')
			out[n++] = (char)tolower((unsigned char)*p);
	snprintf(out + n, 320 - n, "@gmail.com");
	return true;
}

/* Appends the folded s with spaces removed; false when nothing is left.
 * (people_int.h; lookup.c compares typed names with it too.) */
enum jm_rc net_name_fold(const char *s, struct buf *b, bool *empty)
{
	size_t start = b->len;
	enum jm_rc rc = jm_fold(s, strlen(s), b);
	if (rc || b->len == start) {
		*empty = true;
		return rc;
	}
	size_t w = start;
	for (size_t r = start; r < b->len; r++)
		if (b->ptr[r] != ' ' && b->ptr[r] != '\t' && b->ptr[r] != '\n' && b->ptr[r] != '\r')
			b->ptr[w++] = b->ptr[r];
	b->len = w;
	b->ptr[w] = '\0';
	*empty = w == start;
	return JM_OK;
}

/* "name\x1fcompany", folded; false when either is empty. */
static enum jm_rc name_key(const char *name, const char *company, struct buf *b, bool *ok)
{
	bool e1 = true, e2 = true;
	buf_reset(b);
	enum jm_rc rc = net_name_fold(name, b, &e1);
	if (rc == JM_OK && !e1)
		rc = buf_appendc(b, '\x1f');
	if (rc == JM_OK && !e1)
		rc = net_name_fold(company, b, &e2);
	*ok = !e1 && !e2;
	return rc == JM_TOO_LARGE ? JM_OK : rc; /* a giant name matches nothing */
}

struct dup_scan {
	struct dup_table email, name;
	struct arena *tmp;
	struct buf key;
	struct net_dup *out;
	size_t n, max;
};

static void dup_row(struct dup_scan *s, int64_t id, const char *email, const char *name,
                    const char *company)
{
	char gk[320];
	int64_t by_email = 0, by_name = 0;
	if (gmail_key(email, gk))
		by_email = table_first(&s->email, s->tmp, gk, id);
	bool ok = false;
	if (name_key(name, company, &s->key, &ok) == JM_OK && ok)
		by_name = table_first(&s->name, s->tmp, buf_cstr(&s->key), id);
	if (by_email && s->n < s->max)
		s->out[s->n++] = (struct net_dup){by_email, id, "email"};
	if (by_name && by_name != by_email && s->n < s->max)
		s->out[s->n++] = (struct net_dup){by_name, id, "name_company"};
}

enum jm_rc net_duplicates(struct db *db, struct arena *a, size_t max, struct net_dup **out,
                          size_t *n)
{
	struct dup_scan s = {.max = max == 0 ? 100 : max > 10000 ? 10000 : max};
	s.out = arena_calloc(a, s.max * sizeof(*s.out));
	s.tmp = arena_new(1 << 16);
	buf_init(&s.key, 4096);
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db,
	                           "SELECT id, COALESCE(email, ''), name, company FROM people "
	                           "ORDER BY id",
	                           &st);
	if (rc)
		goto out;
	while (s.n < s.max && (rc = db_step(st)) == JM_OK)
		dup_row(&s, db_col_int(st, 0), db_col_text(st, 1, NULL), db_col_text(st, 2, NULL),
		        db_col_text(st, 3, NULL));
	db_finalize(st);
	rc = rc == JM_DONE || rc == JM_OK ? JM_OK : rc;
out:
	*out = s.out;
	*n = s.n;
	free(s.email.v);
	free(s.name.v);
	buf_free(&s.key);
	arena_free(s.tmp);
	return rc;
}
