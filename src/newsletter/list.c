/*
 * list.c — mail-magazine lists and their custom sign-up fields (tables
 * lists, list_fields), with subscriber counts per status.
 *
 * Invariants: a stored list passed validate_list (name 1..100 bytes of one
 * line, a slug of 1..60 bytes following core/slug.c's rule — derived from
 * the name when a new list has none —, charset utf-8 | iso-2022-jp, bounded texts);
 * a list's fields are replaced as a whole in one transaction, so a failed
 * call changes nothing. Select options are stored one per line. A field
 * may map onto one of the person's own columns (person_field, 0011); two
 * fields of a list never map onto the same one.
 */
#include "newsletter/nl_int.h"
#include "core/field.h"
#include "site/site.h"

#define LIST_NAME_MAX    100
#define LIST_SLUG_MAX    NL_LIST_SLUG_MAX
#define LIST_DESC_MAX    2000
#define LIST_CONSENT_MAX 5000
#define LIST_SUBJECT_MAX 200
#define LIST_WELCOME_MAX 100000
#define FIELDS_MAX       50

#define LIST_COLS                                                                                  \
	"id, slug, name, description, charset, consent_text, welcome_subject, welcome_md, "        \
	"public, double_optin, created_at"

/* ---- validation ---- */

/* The slug rule is core/slug.c's (Japanese kept, see the README). */
static bool slug_ok(const char *s)
{
	return jm_slug_valid(s, LIST_SLUG_MAX);
}

/* A free slug for a new list called name: the name's slug (core/slug.c),
 * "list" when the name has no word character, then "-2", "-3"… while
 * taken. A writer racing for the same slug gets JM_CONFLICT at INSERT. */
static enum jm_rc slug_derive(struct db *db, const char *name, char out[LIST_SLUG_MAX + 1])
{
	if (!jm_slug_make(name, strlen(name), out, LIST_SLUG_MAX - 4))
		snprintf(out, LIST_SLUG_MAX + 1, "list");
	return db_slug_free(db, "SELECT 1 FROM lists WHERE slug = ? AND id <> ?", 0, out,
	                    LIST_SLUG_MAX);
}

/* Valid UTF-8 of at most max bytes; multi-line text may hold newlines. */
static bool long_text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n <= max && utf8_valid(s, n) && !utf8_has_controls(s, n);
}

static bool line_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	return n >= min && long_text_ok(s, max) && jm_header_value_ok(s, n);
}

/* Checks a complete input (every text set). */
static enum jm_rc validate_list(const struct nl_list_input *in, struct jm_err *err)
{
	const char *field = NULL;
	if (!line_ok(in->name, 1, LIST_NAME_MAX))
		field = "name";
	else if (!slug_ok(in->slug))
		field = "slug";
	else if (strcmp(in->charset, "utf-8") != 0 && strcmp(in->charset, "iso-2022-jp") != 0)
		field = "charset";
	else if (!long_text_ok(in->description, LIST_DESC_MAX))
		field = "description";
	else if (!long_text_ok(in->consent_text, LIST_CONSENT_MAX))
		field = "consent_text";
	else if (!line_ok(in->welcome_subject, 0, LIST_SUBJECT_MAX))
		field = "welcome_subject";
	else if (!long_text_ok(in->welcome_md, LIST_WELCOME_MAX))
		field = "welcome_md";
	if (field) {
		jm_err_set(err, field, "invalid %s", field);
		return JM_INVALID;
	}
	return JM_OK;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Overlays the fields in sets onto base (defaults for a create). */
static void merge_input(struct nl_list_input *m, const struct nl_list_input *in)
{
	if (in->has_slug)
		m->slug = or_empty(in->slug);
	if (in->has_name)
		m->name = or_empty(in->name);
	if (in->has_description)
		m->description = or_empty(in->description);
	if (in->has_charset)
		m->charset = or_empty(in->charset);
	if (in->has_consent_text)
		m->consent_text = or_empty(in->consent_text);
	if (in->has_welcome) {
		m->welcome_subject = or_empty(in->welcome_subject);
		m->welcome_md = or_empty(in->welcome_md);
	}
	if (in->has_public)
		m->public_ = in->public_;
	if (in->has_double_optin)
		m->double_optin = in->double_optin;
}

static enum jm_rc save_error(enum jm_rc rc, struct jm_err *err)
{
	if (rc == JM_CONFLICT)
		jm_err_set(err, "slug", "this slug is already used");
	else if (rc && rc != JM_INVALID && rc != JM_NOT_FOUND)
		jm_err_set(err, NULL, "could not save the list");
	return rc;
}

/* ---- writes ---- */

static void bind_list(struct db_stmt *st, const struct nl_list_input *m, int64_t now)
{
	db_bind_text(st, 1, m->slug, SIZE_MAX);
	db_bind_text(st, 2, m->name, SIZE_MAX);
	db_bind_text(st, 3, m->description, SIZE_MAX);
	db_bind_text(st, 4, m->charset, SIZE_MAX);
	db_bind_text(st, 5, m->consent_text, SIZE_MAX);
	db_bind_text(st, 6, m->welcome_subject, SIZE_MAX);
	db_bind_text(st, 7, m->welcome_md, SIZE_MAX);
	db_bind_int(st, 8, m->public_);
	db_bind_int(st, 9, m->double_optin);
	db_bind_int(st, 10, now);
}

enum jm_rc nl_list_create(struct db *db, const struct nl_list_input *in, int64_t *id,
                          struct jm_err *err)
{
	struct nl_list_input m = {.slug = "",
	                          .name = "",
	                          .description = "",
	                          .charset = "utf-8",
	                          .consent_text = "",
	                          .welcome_subject = "",
	                          .welcome_md = "",
	                          .public_ = true,
	                          .double_optin = true};
	merge_input(&m, in);
	char derived[LIST_SLUG_MAX + 1];
	if (!*m.slug && line_ok(m.name, 1, LIST_NAME_MAX)) {
		enum jm_rc drc = slug_derive(db, m.name, derived);
		if (drc)
			return save_error(drc, err);
		m.slug = derived;
	}
	enum jm_rc rc = validate_list(&m, err);
	if (rc)
		return rc;
	struct db_stmt *st = NULL;
	rc = db_prepare(
	        db,
	        "INSERT INTO lists(slug, name, description, charset, consent_text, "
	        "welcome_subject, welcome_md, public, double_optin, created_at, updated_at) "
	        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	        &st);
	if (rc)
		return save_error(rc, err);
	int64_t now = jm_now();
	bind_list(st, &m, now);
	db_bind_int(st, 11, now);
	rc = db_step(st);
	if (rc == JM_OK && id)
		*id = db_col_int(st, 0);
	db_finalize(st);
	return site_content_written(db, save_error(rc, err));
}

enum jm_rc nl_list_update(struct db *db, int64_t id, const struct nl_list_input *in,
                          struct jm_err *err)
{
	struct arena *a = arena_new(4096);
	struct nl_list cur;
	enum jm_rc rc = nl_list_get(db, a, id, &cur);
	if (rc) {
		jm_err_set(err, NULL, "no such list");
		goto out;
	}
	struct nl_list_input m = {.slug = cur.slug,
	                          .name = cur.name,
	                          .description = cur.description,
	                          .charset = cur.charset,
	                          .consent_text = cur.consent_text,
	                          .welcome_subject = cur.welcome_subject,
	                          .welcome_md = cur.welcome_md,
	                          .public_ = cur.public_,
	                          .double_optin = cur.double_optin};
	merge_input(&m, in);
	if (!*m.slug) /* an emptied slug field keeps the list's slug */
		m.slug = cur.slug;
	rc = validate_list(&m, err);
	if (rc)
		goto out;
	struct db_stmt *st = NULL;
	rc = db_prepare(db,
	                "UPDATE lists SET slug = ?, name = ?, description = ?, charset = ?, "
	                "consent_text = ?, welcome_subject = ?, welcome_md = ?, public = ?, "
	                "double_optin = ?, updated_at = ? WHERE id = ?",
	                &st);
	if (rc)
		goto out;
	bind_list(st, &m, jm_now());
	db_bind_int(st, 11, id);
	rc = db_step(st);
	db_finalize(st);
	rc = rc == JM_DONE ? JM_OK : rc;
out:
	arena_free(a);
	return site_content_written(db, save_error(rc, err));
}

enum jm_rc nl_list_delete(struct db *db, int64_t id)
{
	enum jm_rc rc = db_execf(db, "DELETE FROM lists WHERE id = ?", "i", id);
	if (rc == JM_INVALID) /* broadcasts still refer to it */
		return JM_CONFLICT;
	if (rc)
		return rc;
	return site_content_written(db, db_changes(db) ? JM_OK : JM_NOT_FOUND);
}

/* ---- reads ---- */

enum jm_rc nl_list_load_fields(struct db *db, struct arena *a, struct nl_list *l)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT id, key, label, type, options, required, person_field "
	                            "FROM list_fields "
	                            "WHERE list_id = ? ORDER BY position, id",
	                            "i", l->id);
	if (rc)
		return rc;
	l->fields = arena_calloc(a, FIELDS_MAX * sizeof(*l->fields));
	l->nfields = 0;
	while (l->nfields < FIELDS_MAX && (rc = db_step(st)) == JM_OK) {
		struct nl_field *f = &l->fields[l->nfields++];
		f->id = db_col_int(st, 0);
		f->key = db_col_dup(st, 1, a);
		f->label = db_col_dup(st, 2, a);
		f->type = db_col_dup(st, 3, a);
		f->noptions = jm_field_options_split(a, db_col_dup(st, 4, a), &f->options);
		f->required = db_col_int(st, 5) != 0;
		f->person = db_col_dup(st, 6, a);
	}
	db_finalize(st);
	return rc == JM_OK || rc == JM_DONE ? JM_OK : rc;
}

static enum jm_rc load_counts(struct db *db, struct nl_list *l)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(db, &st,
	                            "SELECT status, count(*) FROM subscriptions WHERE list_id = ? "
	                            "GROUP BY status",
	                            "i", l->id);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == JM_OK) {
		const char *s = db_col_text(st, 0, NULL);
		int64_t c = db_col_int(st, 1);
		if (strcmp(s, "active") == 0)
			l->active = c;
		else if (strcmp(s, "pending") == 0)
			l->pending = c;
		else if (strcmp(s, "unsubscribed") == 0)
			l->unsubscribed = c;
		else if (strcmp(s, "bounced") == 0)
			l->bounced = c;
	}
	db_finalize(st);
	return rc == JM_DONE ? JM_OK : rc;
}

static void fill_list(struct db_stmt *st, struct arena *a, struct nl_list *l)
{
	memset(l, 0, sizeof(*l));
	l->id = db_col_int(st, 0);
	l->slug = db_col_dup(st, 1, a);
	l->name = db_col_dup(st, 2, a);
	l->description = db_col_dup(st, 3, a);
	l->charset = db_col_dup(st, 4, a);
	l->consent_text = db_col_dup(st, 5, a);
	l->welcome_subject = db_col_dup(st, 6, a);
	l->welcome_md = db_col_dup(st, 7, a);
	l->public_ = db_col_int(st, 8) != 0;
	l->double_optin = db_col_int(st, 9) != 0;
	l->created_at = db_col_int(st, 10);
}

/* Steps a prepared one-list query and completes the list. */
static enum jm_rc get_one(struct db *db, struct db_stmt *st, struct arena *a, struct nl_list *out)
{
	enum jm_rc rc = db_step(st);
	if (rc == JM_OK)
		fill_list(st, a, out);
	db_finalize(st);
	if (rc == JM_DONE)
		return JM_NOT_FOUND;
	if (rc)
		return rc;
	rc = nl_list_load_fields(db, a, out);
	return rc ? rc : load_counts(db, out);
}

enum jm_rc nl_list_get(struct db *db, struct arena *a, int64_t id, struct nl_list *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT " LIST_COLS " FROM lists WHERE id = ? AND trashed_at IS NULL", "i",
	        id);
	return rc ? rc : get_one(db, st, a, out);
}

enum jm_rc nl_list_by_slug(struct db *db, struct arena *a, const char *slug, struct nl_list *out)
{
	struct db_stmt *st = NULL;
	enum jm_rc rc = db_preparef(
	        db, &st, "SELECT " LIST_COLS " FROM lists WHERE slug = ? AND trashed_at IS NULL",
	        "t", slug);
	return rc ? rc : get_one(db, st, a, out);
}

enum jm_rc nl_list_all(struct db *db, struct arena *a, struct nl_list **out, size_t *n)
{
	struct db_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	enum jm_rc rc = db_prepare(
	        db, "SELECT " LIST_COLS " FROM lists WHERE trashed_at IS NULL ORDER BY id", &st);
	if (rc)
		return rc;
	size_t cap = 8, k = 0;
	struct nl_list *v = arena_alloc(a, cap * sizeof(*v));
	while ((rc = db_step(st)) == JM_OK) {
		if (k == cap) {
			struct nl_list *w = arena_alloc(a, 2 * cap * sizeof(*v));
			memcpy(w, v, cap * sizeof(*v));
			v = w;
			cap *= 2;
		}
		fill_list(st, a, &v[k++]);
	}
	db_finalize(st);
	if (rc != JM_DONE)
		return rc;
	rc = JM_OK;
	for (size_t i = 0; i < k && !rc; i++) {
		rc = nl_list_load_fields(db, a, &v[i]);
		if (!rc)
			rc = load_counts(db, &v[i]);
	}
	if (rc)
		return rc;
	*out = v;
	*n = k;
	return JM_OK;
}

/* ---- fields ---- */

bool nl_person_field_ok(const char *p)
{
	static const char *const ok[] = {"", "name", "furigana", "company", "title"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!p || strcmp(p, ok[i]) == 0)
			return true;
	return false;
}

static bool same_person(const struct nl_field *a, const struct nl_field *b)
{
	return a->person && b->person && *a->person && strcmp(a->person, b->person) == 0;
}

/* The field engine's definition rules (core/field.h) for the types a list
 * takes (NL_FIELD_TYPES), then the list's own: the person mapping. */
static enum jm_rc validate_field(const struct nl_field *f, size_t i, const struct nl_field *all,
                                 struct jm_err *err)
{
	/* A list has always kept (and ignored) options typed for a text or
	 * checkbox field: they are not judged. */
	bool sel = f->type && strcmp(f->type, "select") == 0;
	struct jm_field jf = {.key = f->key,
	                      .label = f->label,
	                      .type = f->type,
	                      .options = (const char *const *)f->options,
	                      .noptions = sel ? f->noptions : 0};
	enum jm_field_type t;
	const char *why = jm_field_def_problem(&jf, NL_FIELD_TYPES);
	char types[160];
	if (!why && (!jm_field_type_parse(f->type, &t) || !(NL_FIELD_TYPES & JM_FIELD_BIT(t)))) {
		jm_field_types_list(NL_FIELD_TYPES, types, sizeof(types));
		jm_err_set(err, "fields", "field %zu (%s): type must be one of %s", i + 1,
		           f->key ? f->key : "", types);
		return JM_INVALID;
	} else if (!why && !nl_person_field_ok(f->person))
		why = "person field must be none, name, furigana, company or title";
	for (size_t j = 0; !why && j < i; j++)
		if (strcmp(all[j].key, f->key) == 0)
			why = "duplicate key";
		else if (same_person(&all[j], f))
			why = "two fields map to the same person field";
	if (why) {
		jm_err_set(err, "fields", "field %zu (%s): %s", i + 1, f->key ? f->key : "", why);
		return JM_INVALID;
	}
	return JM_OK;
}

static enum jm_rc insert_field(struct db *db, int64_t list_id, const struct nl_field *f, size_t pos)
{
	struct buf opts = BUF_INIT;
	enum jm_rc rc = JM_OK;
	for (size_t j = 0; j < f->noptions && !rc; j++)
		rc = buf_appendf(&opts, "%s%s", j ? "\n" : "", f->options[j]);
	if (!rc)
		rc = db_execf(
		        db,
		        "INSERT INTO list_fields(list_id, key, label, type, options, required, "
		        "position, person_field) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		        "ittttiit", list_id, f->key, f->label, f->type, buf_cstr(&opts),
		        (int64_t)f->required, (int64_t)pos, f->person ? f->person : "");
	buf_free(&opts);
	return rc;
}

enum jm_rc nl_list_set_fields(struct db *db, int64_t list_id, const struct nl_field *f, size_t n,
                              struct jm_err *err)
{
	if (n > FIELDS_MAX) {
		jm_err_set(err, "fields", "at most %d fields", FIELDS_MAX);
		return JM_INVALID;
	}
	enum jm_rc rc = JM_OK;
	for (size_t i = 0; i < n && !rc; i++)
		rc = validate_field(&f[i], i, f, err);
	if (rc)
		return rc;
	rc = db_begin(db);
	if (rc)
		return rc;
	struct db_stmt *st = NULL;
	rc = db_preparef(db, &st, "SELECT 1 FROM lists WHERE id = ?", "i", list_id);
	if (!rc) {
		rc = db_step(st);
		db_finalize(st);
		rc = rc == JM_OK ? JM_OK : rc == JM_DONE ? JM_NOT_FOUND : rc;
	}
	if (!rc)
		rc = db_execf(db, "DELETE FROM list_fields WHERE list_id = ?", "i", list_id);
	for (size_t i = 0; i < n && !rc; i++)
		rc = insert_field(db, list_id, &f[i], i);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (rc == JM_NOT_FOUND)
			jm_err_set(err, NULL, "no such list");
	}
	return site_content_written(db, rc);
}
