/*
 * io_rec.c — the part of the people import/export every file format
 * shares (io.c CSV, vcard.c vCard): checking one record against the limits
 * of net_person_input, writing it (match by normalised email and update
 * the non-empty values, else create), the two-pass import driver and the
 * export walk over people with their tags and links.
 *
 * Invariants: nothing is written unless every record of the file passed
 * the checks; the write pass runs in one transaction, so a file imports
 * whole or not at all. An update never removes anything: tags and links
 * are added, empty values leave the stored ones alone.
 */
#include "network/io_int.h"

#include "auth/auth.h"
#include "db/db.h"
#include "people/people.h"

#define ONE_LINE_MAX 200
#define OFFER_MAX    2000
#define NOTES_MAX    100000
#define TAG_MAX      60
#define KIND_MAX     40
#define URL_MAX      500
#define EMAIL_MAX    254

void net_io_rec_clear(struct net_io_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->email = r->name = r->furigana = r->company = r->title = r->stage = r->source = "";
	r->can_offer = r->looking_for = r->notes = r->last_contact_text = "";
}

bool net_io_add_tag(struct net_io_rec *r, const char *tag)
{
	for (size_t i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i], tag) == 0)
			return true; /* the same tag twice is one tag */
	if (r->ntags == NET_IO_TAGS_MAX) {
		r->bad = "too many tags (at most 50)";
		return false;
	}
	r->tags[r->ntags++] = tag;
	return true;
}

bool net_io_add_link(struct net_io_rec *r, const char *kind, const char *url)
{
	if (r->nlinks == NET_IO_LINKS_MAX) {
		r->bad = "too many links (at most 20)";
		return false;
	}
	r->links[r->nlinks++] = (struct net_link){kind, url};
	return true;
}

/* The reason code of a refusal (the catalog's import.err.<code>), from
 * the English sentence's beginning. */
static const char *why_code(const char *why)
{
	static const struct {
		const char *prefix, *code;
	} t[] = {{"invalid email", "email"},
	         {"neither a name", "no_key"},
	         {"a name, furigana", "one_line"},
	         {"unknown stage", "stage"},
	         {"can_offer", "offer"},
	         {"notes are", "notes"},
	         {"invalid last_contact", "last_contact"},
	         {"invalid tag", "tag"},
	         {"too many tags", "tag"},
	         {"invalid link", "link"},
	         {"too many links", "link"},
	         {"expected ", "columns"},
	         {"a cell is too long", "too_long"},
	         {"a cell holds a NUL", "nul"}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strncmp(why, t[i].prefix, strlen(t[i].prefix)))
			return t[i].code;
	return "vcard";
}

void net_io_bad(struct net_import_report *rep, int64_t line, const char *why)
{
	rep->skipped++;
	if (rep->nerrors >= 20)
		return;
	struct jm_row_err *w = &rep->why[rep->nerrors];
	size_t want = 0, found = 0;
	w->line = line;
	snprintf(w->code, sizeof(w->code), "%s", why_code(why));
	snprintf(w->field, sizeof(w->field), "%s", strcmp(w->code, "email") ? "" : "email");
	if (sscanf(why, "expected %zu columns, found %zu", &want, &found) == 2) {
		snprintf(w->field, sizeof(w->field), "%zu", want);
		snprintf(w->detail, sizeof(w->detail), "%zu", found);
	}
	snprintf(rep->errors[rep->nerrors++], sizeof(rep->errors[0]), "line %lld: %s",
	         (long long)line, why);
}

/* ---- checks ---- */

static bool text_ok(const char *s, size_t max, bool one_line)
{
	size_t n = strlen(s);
	if (n > max || !utf8_valid(s, n) || utf8_has_controls(s, n))
		return false;
	return !one_line || jm_header_value_ok(s, n); /* a mail header may show it */
}

static bool url_ok(const char *u)
{
	bool scheme = strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
	return scheme && strlen(u) > 8 && text_ok(u, URL_MAX, true) && !strchr(u, ' ');
}

/* "" → 0, "YYYY-MM-DD" (midnight UTC) or an ISO 8601 time. */
static bool parse_when(const char *s, int64_t *out)
{
	char tmp[40];
	*out = 0;
	if (!*s)
		return true;
	if (strlen(s) == 10) {
		snprintf(tmp, sizeof(tmp), "%sT00:00Z", s);
		s = tmp;
	}
	return jm_time_parse(s, 0, out) == JM_OK && *out > 0;
}

static const char *check_lists(const struct net_io_rec *r)
{
	for (size_t i = 0; i < r->ntags; i++)
		if (!r->tags[i][0] || !text_ok(r->tags[i], TAG_MAX, true))
			return "invalid tag (at most 60 bytes, one line)";
	for (size_t i = 0; i < r->nlinks; i++) {
		if (!r->links[i].kind[0] || !text_ok(r->links[i].kind, KIND_MAX, true))
			return "invalid link kind (at most 40 bytes)";
		if (!url_ok(r->links[i].url))
			return "invalid link (an http or https URL of at most 500 bytes)";
	}
	return NULL;
}

/* Checks r; normalises its email into email[] (r->email points there).
 * Returns NULL when good, else why not. */
static const char *check_rec(struct net_io_rec *r, char email[EMAIL_MAX + 2])
{
	if (r->bad)
		return r->bad;
	size_t n = strlen(r->email);
	if (n) {
		if (n > EMAIL_MAX)
			return "invalid email";
		memcpy(email, r->email, n + 1);
		if (!auth_email_normalize(email) || !email[0])
			return "invalid email";
		r->email = email;
	}
	if (!r->email[0] && !r->name[0])
		return "neither a name nor an email";
	const char *one[] = {r->name, r->furigana, r->company, r->title, r->source};
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (!text_ok(one[i], ONE_LINE_MAX, true))
			return "a name, furigana, company, title or source is too long or not one "
			       "line";
	if (r->stage[0] && !net_stage_valid(r->stage))
		return "unknown stage (reader, fan, acquaintance or network)";
	if (!text_ok(r->can_offer, OFFER_MAX, false) || !text_ok(r->looking_for, OFFER_MAX, false))
		return "can_offer or looking_for is too long (at most 2000 bytes)";
	if (!text_ok(r->notes, NOTES_MAX, false))
		return "notes are too long (at most 100000 bytes)";
	if (!parse_when(r->last_contact_text, &r->last_contact))
		return "invalid last_contact (YYYY-MM-DD or an ISO 8601 time)";
	return check_lists(r);
}

/* ---- writing one record ---- */

static enum jm_rc add_lists(struct db *db, int64_t id, const struct net_io_rec *r, bool *changed)
{
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < r->ntags && !rc; i++) {
		bool added = false;
		rc = people_tag_add(db, id, r->tags[i], &added);
		*changed |= added;
	}
	for (size_t i = 0; i < r->nlinks && !rc; i++) {
		bool added = false;
		struct people_link l = {r->links[i].kind, r->links[i].url};
		rc = people_link_add(db, id, &l, &added);
		*changed |= added;
	}
	return rc;
}

static enum jm_rc create(struct db *db, const struct net_io_rec *r, int64_t now)
{
	int64_t id = 0;
	struct people_row row = {
	        .email = r->email,
	        .name = r->name,
	        .furigana = r->furigana,
	        .company = r->company,
	        .title = r->title,
	        .stage = r->stage,
	        .source = r->source[0] ? r->source : "import",
	        .notes_md = r->notes,
	        .can_offer = r->can_offer,
	        .looking_for = r->looking_for,
	        .last_contact_at = r->last_contact,
	};
	enum jm_rc rc = people_insert(db, &row, "import", now, &id);
	if (!rc)
		rc = people_event_add(db, id, "imported", "people import", now);
	bool changed = false;
	return rc ? rc : add_lists(db, id, r, &changed);
}

static bool differs(struct db_stmt *st, int col, const char *v)
{
	const char *old = db_col_text(st, col, NULL);
	return v[0] && strcmp(v, old ? old : "") != 0;
}

/* Reads the stored person and tells what the record would change. */
static enum jm_rc compare(struct db_stmt *st, const struct net_io_rec *r, bool *scalars,
                          char old_stage[16], int64_t *old_contact)
{
	const char *v[] = {r->name,      r->furigana,    r->company, r->title,
	                   r->can_offer, r->looking_for, r->notes,   r->source};
	*scalars = false;
	for (int i = 0; i < 8; i++)
		*scalars |= differs(st, i + 1, v[i]);
	const char *s = db_col_text(st, 9, NULL);
	snprintf(old_stage, 16, "%s", s ? s : "");
	*old_contact = db_col_int(st, 10);
	return JM_OK;
}

static enum jm_rc update(struct db *db, int64_t id, const struct net_io_rec *r, bool scalars,
                         const char *old_stage, int64_t old_contact, int64_t now)
{
	enum jm_rc rc = JM_OK;
	if (scalars) {
		struct people_row row = {
		        .name = r->name,
		        .furigana = r->furigana,
		        .company = r->company,
		        .title = r->title,
		        .can_offer = r->can_offer,
		        .looking_for = r->looking_for,
		        .notes_md = r->notes,
		        .source = r->source,
		};
		rc = people_fill(db, id, &row, now);
	}
	if (!rc && r->stage[0] && strcmp(r->stage, old_stage) != 0)
		rc = people_stage_set(db, id, r->stage, "import", now);
	if (!rc && r->last_contact > old_contact)
		rc = people_contact_at(db, id, r->last_contact);
	return rc;
}

static enum jm_rc apply(struct db *db, const struct net_io_rec *r, int64_t now,
                        struct net_import_report *rep)
{
	if (!r->email[0]) { /* nothing to match a person by */
		rep->created++;
		return create(db, r, now);
	}
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id, name, furigana, company, title, can_offer, "
	                            "looking_for, notes_md, source, stage, "
	                            "COALESCE(last_contact_at, 0) FROM people WHERE email = ?",
	                            "t", r->email);
	if (rc)
		return rc;
	rc = db_step(st);
	if (rc == JM_DONE) {
		db_finalize(st);
		rep->created++;
		return create(db, r, now);
	}
	bool scalars = false;
	char old_stage[16] = "";
	int64_t id = 0, old_contact = 0;
	if (rc == JM_OK) {
		id = db_col_int(st, 0);
		rc = compare(st, r, &scalars, old_stage, &old_contact);
	}
	db_finalize(st);
	bool changed = scalars || (r->stage[0] && strcmp(r->stage, old_stage) != 0) ||
	               r->last_contact > old_contact;
	if (!rc)
		rc = update(db, id, r, scalars, old_stage, old_contact, now);
	if (!rc)
		rc = add_lists(db, id, r, &changed);
	if (!rc && changed)
		rc = people_touch(db, id, now);
	if (changed)
		rep->updated++;
	else
		rep->skipped++;
	return rc;
}

/* ---- the two passes ---- */

struct pass {
	struct db *db;
	struct net_import_report *rep;
	int64_t now, bad;
	bool writing;
};

static enum jm_rc on_rec(struct net_io_rec *r, void *user)
{
	struct pass *p = user;
	char email[EMAIL_MAX + 2];
	p->rep->rows++;
	if (p->rep->rows > NET_IO_MAX_ROWS)
		return JM_TOO_LARGE;
	const char *why = check_rec(r, email);
	if (why) {
		p->bad++;
		net_io_bad(p->rep, r->line, why);
		struct net_import_report *rep = p->rep;
		if (rep->nerrors && !strcmp(rep->why[rep->nerrors - 1].code, "email") &&
		    rep->why[rep->nerrors - 1].line == r->line)
			snprintf(rep->why[rep->nerrors - 1].detail, sizeof(rep->why[0].detail),
			         "%s", jm_email_problem(r->email));
		return JM_OK;
	}
	return p->writing ? apply(p->db, r, p->now, p->rep) : JM_OK;
}

/* One line for the CLI and the error page: the first bad line and how
 * many more. */
static void sum_up(const struct net_import_report *rep, int64_t bad, struct jm_err *err)
{
	if (bad > 1)
		jm_err_set(err, "file", "%s (and %lld more bad rows); nothing was imported",
		           rep->errors[0], (long long)(bad - 1));
	else
		jm_err_set(err, "file", "%s; nothing was imported", rep->errors[0]);
}

static void fail_code(struct net_import_report *rep, const char *code)
{
	if (!rep->fail.code[0])
		snprintf(rep->fail.code, sizeof(rep->fail.code), "%s", code);
}

enum jm_rc net_io_import(struct db *db, const char *data, size_t len, net_io_parse_fn parse,
                         int64_t now, struct net_import_report *rep, struct jm_err *err)
{
	struct pass p = {.db = db, .rep = rep, .now = now};
	memset(rep, 0, sizeof(*rep));
	if (len > NET_IO_MAX_BYTES) {
		jm_err_set(err, "file", "the file is too large (at most 64 MiB)");
		fail_code(rep, "too_large");
		return JM_TOO_LARGE;
	}
	enum jm_rc rc = parse(data, len, on_rec, &p, rep, err);
	if (rc == JM_TOO_LARGE && !err->msg[0]) {
		jm_err_set(err, "file", "too many rows (at most %d)", NET_IO_MAX_ROWS);
		fail_code(rep, "too_large");
	}
	if (!rc && rep->skipped) {
		sum_up(rep, rep->skipped, err);
		fail_code(rep, "bad_rows");
		rc = JM_INVALID;
	}
	if (rc)
		return rc;
	memset(rep, 0, sizeof(*rep));
	p.writing = true;
	rc = db_begin(db);
	if (rc)
		return rc;
	rc = parse(data, len, on_rec, &p, rep, err);
	if (!rc && p.bad) /* cannot happen: the same bytes passed the first pass */
		rc = JM_INVALID;
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (!err->msg[0])
			jm_err_set(err, NULL, "import failed (%s); nothing was imported",
			           jm_rc_name(rc));
		fail_code(rep, "db");
	}
	return rc;
}

/* ---- export ---- */

enum jm_rc net_io_flush(struct net_io_out *o, size_t above)
{
	if (o->b.len <= above)
		return JM_OK;
	enum jm_rc rc = o->write(o->b.ptr, o->b.len, o->user);
	o->b.len = 0;
	return rc;
}

/* Splits "a\x1eb" (tags) or "k\x1fu\x1e…" (links) in place. */
static void split_lists(struct net_io_rec *r, char *tags, char *links)
{
	for (char *t = tags; t && *t;) {
		char *end = strchr(t, '\x1e');
		if (end)
			*end = '\0';
		if (!net_io_add_tag(r, t))
			break;
		t = end ? end + 1 : NULL;
	}
	for (char *l = links; l && *l;) {
		char *end = strchr(l, '\x1e'), *sep;
		if (end)
			*end = '\0';
		if ((sep = strchr(l, '\x1f'))) {
			*sep = '\0';
			if (!net_io_add_link(r, l, sep + 1))
				break;
		}
		l = end ? end + 1 : NULL;
	}
}

static const char *col(struct db_stmt *st, int c)
{
	const char *s = db_col_text(st, c, NULL);
	return s ? s : "";
}

static enum jm_rc export_row(struct db_stmt *st, net_io_each_fn fn, void *user, struct buf *tmp)
{
	struct net_io_rec r;
	net_io_rec_clear(&r);
	r.email = col(st, 0), r.name = col(st, 1), r.furigana = col(st, 2);
	r.company = col(st, 3), r.title = col(st, 4), r.stage = col(st, 5);
	r.can_offer = col(st, 6), r.looking_for = col(st, 7), r.notes = col(st, 8);
	r.source = col(st, 9), r.last_contact = db_col_int(st, 10);
	const char *tags = col(st, 11), *links = col(st, 12);
	size_t nt = strlen(tags);
	buf_reset(tmp);
	enum jm_rc rc = buf_append(tmp, tags, nt + 1);
	if (!rc)
		rc = buf_appends(tmp, links);
	if (rc)
		return rc;
	split_lists(&r, tmp->ptr, tmp->ptr + nt + 1);
	return fn(&r, user);
}

/* The export's one statement; a person's tags and links come back as one
 * text each ("\x1e" between items, "\x1f" between a link's kind and URL):
 * group_concat on SQLite, string_agg (with its own ORDER BY) on
 * PostgreSQL, which has no group_concat. */
#define EXPORT_TAGS_SQLITE                                                                         \
	"(SELECT group_concat(tag, '\x1e') FROM (SELECT tag FROM person_tags "                     \
	"WHERE person_id = p.id ORDER BY tag))"
#define EXPORT_TAGS_PG                                                                             \
	"(SELECT string_agg(tag, E'\\x1e' ORDER BY tag) FROM person_tags WHERE person_id = p.id)"
#define EXPORT_LINKS_SQLITE                                                                        \
	"(SELECT group_concat(kind || '\x1f' || url, '\x1e') FROM (SELECT kind, url "              \
	"FROM person_links WHERE person_id = p.id ORDER BY position))"
#define EXPORT_LINKS_PG                                                                            \
	"(SELECT string_agg(kind || E'\\x1f' || url, E'\\x1e' ORDER BY position) "                 \
	"FROM person_links WHERE person_id = p.id)"
#define EXPORT_SQL(TAGS, LINKS)                                                                    \
	"SELECT COALESCE(p.email, ''), p.name, p.furigana, p.company, p.title, p.stage, "          \
	"p.can_offer, p.looking_for, p.notes_md, p.source, COALESCE(p.last_contact_at, 0), " TAGS  \
	", " LINKS " FROM people p WHERE (? = '' OR p.stage = ?) AND (? = '' OR EXISTS (SELECT 1 " \
	"FROM person_tags t WHERE t.person_id = p.id AND t.tag = ?)) AND (? = '' OR "              \
	"(? = 'freeloader' AND p.freeloader != 0) OR (? = 'blocked' AND p.blocked != 0) "          \
	"OR (? = 'none' AND p.freeloader = 0 AND p.blocked = 0)) AND (? = '' OR "                  \
	"substr(p.source, 1, length(?)) = ?) ORDER BY p.id"

enum jm_rc net_io_export_each(struct db *db, const struct net_people_query *q, net_io_each_fn fn,
                              void *user)
{
	const char *stage = q && q->stage ? q->stage : "", *tag = q && q->tag ? q->tag : "";
	const char *flag = q && q->flag ? q->flag : "", *src = q && q->source ? q->source : "";
	struct db_stmt *st = NULL;
	struct buf tmp;
	buf_init(&tmp, 0);
	enum jm_rc rc = db_preparef(db, &st,
	                            DB_SQL(db, EXPORT_SQL(EXPORT_TAGS_SQLITE, EXPORT_LINKS_SQLITE),
	                                   EXPORT_SQL(EXPORT_TAGS_PG, EXPORT_LINKS_PG)),
	                            "ttttttttttt", stage, stage, tag, tag, flag, flag, flag, flag,
	                            src, src, src);
	while (!rc && (rc = db_step(st)) == JM_OK)
		rc = export_row(st, fn, user, &tmp);
	db_finalize(st);
	buf_free(&tmp);
	return rc == JM_DONE ? JM_OK : rc;
}
