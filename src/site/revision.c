/*
 * revision.c — the revisions of an article (table article_revisions,
 * migration 0022) and the line diff the editor shows between one of them
 * and the current text.
 *
 * Invariants: every successful create or update of an article adds one
 * revision (its title and body as saved, who, when) in the same
 * transaction (site_revision_add is called by article.c), and only the
 * newest SITE_REVISIONS_KEPT of an article are kept. Restoring a revision
 * is an ordinary update, so it is itself a new revision.
 *
 * The diff is a longest-common-subsequence line diff after the common
 * head and tail are set aside; a middle larger than DIFF_CELLS_MAX (the
 * LCS table's cells) is shown as all removed, then all added, so a huge
 * body never costs more than a bounded table.
 */
#include <stdlib.h>

#include "core/core.h"
#include "db/db.h"
#include "site/site.h"

#define DIFF_CELLS_MAX (2u << 20) /* uint32 cells: 8 MB at most */

enum jm_rc site_revision_add(struct db *db, int64_t article_id, int64_t author_id)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_prepare(db,
	                           "INSERT INTO article_revisions(article_id, author_id, title, "
	                           "body_md, created_at) SELECT id, ?, title, body_md, ? "
	                           "FROM articles WHERE id = ?",
	                           &st);
	if (rc)
		return rc;
	if (author_id > 0)
		db_bind_int(st, 1, author_id);
	else
		db_bind_null(st, 1);
	db_bind_int(st, 2, jm_now());
	db_bind_int(st, 3, article_id);
	rc = db_step(st);
	db_finalize(st);
	if (rc != JM_DONE)
		return rc == JM_OK ? JM_DB : rc;
	return db_execf(db,
	                "DELETE FROM article_revisions WHERE article_id = ? AND id NOT IN "
	                "(SELECT id FROM article_revisions WHERE article_id = ? "
	                "ORDER BY id DESC LIMIT ?)",
	                "iii", article_id, article_id, (int64_t)SITE_REVISIONS_KEPT);
}

#define REV_COLS                                                                                   \
	"r.id, r.article_id, r.title, r.body_md, r.created_at, "                                   \
	"COALESCE(u.name, ''), COALESCE(u.email, '') "                                             \
	"FROM article_revisions r LEFT JOIN users u ON u.id = r.author_id "

static void row_to_rev(struct db_stmt *st, struct arena *a, struct site_revision *r)
{
	r->id = db_col_int(st, 0);
	r->article_id = db_col_int(st, 1);
	r->title = db_col_dup(st, 2, a);
	r->body_md = db_col_dup(st, 3, a);
	r->created_at = db_col_int(st, 4);
	r->author = db_col_dup(st, 5, a);
	if (!*r->author)
		r->author = db_col_dup(st, 6, a);
}

enum jm_rc site_revision_list(struct db *db, struct arena *a, int64_t article_id,
                              struct site_revision **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT " REV_COLS "WHERE r.article_id = ? ORDER BY r.id DESC",
	                    "i", article_id);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		*out = arena_grow(a, *out, *n, &cap, sizeof(**out));
		row_to_rev(st, a, &(*out)[(*n)++]);
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

enum jm_rc site_revision_get(struct db *db, struct arena *a, int64_t article_id, int64_t rev_id,
                             struct site_revision *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc =
	        db_preparef(db, &st, "SELECT " REV_COLS "WHERE r.article_id = ? AND r.id = ?", "ii",
	                    article_id, rev_id);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_OK)
		row_to_rev(st, a, out);
	db_finalize(st);
	return rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
}

/* ---- the line diff ---- */

struct lines {
	struct str *v;
	size_t n;
};

/* Splits s at '\n' (a final newline makes no empty last line). */
static void split_lines(struct arena *a, const char *s, struct lines *l)
{
	size_t cap = 0;
	l->v = NULL;
	l->n = 0;
	while (*s) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		l->v = arena_grow(a, l->v, l->n, &cap, sizeof(*l->v));
		l->v[l->n++] = (struct str){s, len};
		s += len + (e ? 1 : 0);
	}
}

static bool line_eq(struct str x, struct str y)
{
	return x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
}

struct diff_out {
	struct arena *a;
	struct site_diff_line *v;
	size_t n, cap;
};

static void emit(struct diff_out *d, char op, struct str s, int64_t old_no, int64_t new_no)
{
	d->v = arena_grow(d->a, d->v, d->n, &d->cap, sizeof(*d->v));
	d->v[d->n++] = (struct site_diff_line){op, s.p, s.len, old_no, new_no};
}

/* The middle old[o0..o1) against new[n0..n1): LCS when the table fits. */
static void diff_middle(struct diff_out *d, const struct lines *o, const struct lines *w, size_t o0,
                        size_t o1, size_t n0, size_t n1)
{
	size_t R = o1 - o0, C = n1 - n0;
	uint32_t *t = NULL;
	if (R && C && (R + 1) * (C + 1) <= DIFF_CELLS_MAX)
		t = calloc((R + 1) * (C + 1), sizeof(*t));
	if (!t) {
		for (size_t i = o0; i < o1; i++)
			emit(d, '-', o->v[i], (int64_t)i + 1, 0);
		for (size_t j = n0; j < n1; j++)
			emit(d, '+', w->v[j], 0, (int64_t)j + 1);
		return;
	}
	/* t[i][j]: LCS length of old[o0+i..o1) and new[n0+j..n1). */
	for (size_t i = R; i-- > 0;)
		for (size_t j = C; j-- > 0;)
			t[i * (C + 1) + j] = line_eq(o->v[o0 + i], w->v[n0 + j])
			                             ? t[(i + 1) * (C + 1) + j + 1] + 1
			                     : t[(i + 1) * (C + 1) + j] >= t[i * (C + 1) + j + 1]
			                             ? t[(i + 1) * (C + 1) + j]
			                             : t[i * (C + 1) + j + 1];
	size_t i = 0, j = 0;
	while (i < R || j < C) {
		if (i < R && j < C && line_eq(o->v[o0 + i], w->v[n0 + j])) {
			emit(d, ' ', o->v[o0 + i], (int64_t)(o0 + i) + 1, (int64_t)(n0 + j) + 1);
			i++, j++;
		} else if (i < R &&
		           (j == C || t[(i + 1) * (C + 1) + j] >= t[i * (C + 1) + j + 1])) {
			/* removals before additions, as diff(1) shows a change */
			emit(d, '-', o->v[o0 + i], (int64_t)(o0 + i) + 1, 0);
			i++;
		} else {
			emit(d, '+', w->v[n0 + j], 0, (int64_t)(n0 + j) + 1);
			j++;
		}
	}
	free(t);
}

void site_diff_lines(struct arena *a, const char *old, const char *new_,
                     struct site_diff_line **out, size_t *n)
{
	struct lines o, w;
	struct diff_out d = {.a = a};
	split_lines(a, old ? old : "", &o);
	split_lines(a, new_ ? new_ : "", &w);
	size_t head = 0, tail = 0;
	while (head < o.n && head < w.n && line_eq(o.v[head], w.v[head]))
		head++;
	while (tail < o.n - head && tail < w.n - head &&
	       line_eq(o.v[o.n - 1 - tail], w.v[w.n - 1 - tail]))
		tail++;
	for (size_t i = 0; i < head; i++)
		emit(&d, ' ', o.v[i], (int64_t)i + 1, (int64_t)i + 1);
	diff_middle(&d, &o, &w, head, o.n - tail, head, w.n - tail);
	for (size_t k = tail; k-- > 0;)
		emit(&d, ' ', o.v[o.n - 1 - k], (int64_t)(o.n - k), (int64_t)(w.n - k));
	*out = d.v;
	*n = d.n;
}
