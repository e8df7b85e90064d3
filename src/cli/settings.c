/*
 * settings.c — `jinmyaku settings get [KEY]` and `jinmyaku settings set KEY
 * [VALUE]`: the site settings from a script, through site_settings_save —
 * the validation of the admin's settings page — and, when refused, with the
 * page's words (site_setting_refusal; Japanese unless LANG says English).
 *
 * A secret (smtp_password, or an smtp_url holding a password) is never
 * taken from the command line, where other users see it in the process
 * list and it stays in the shell's history: it is read from standard input
 * (VALUE left out), and given as an argument it is refused with exit 2.
 * `get` prints a secret as "set" or "unset", never its value.
 */
#include <unistd.h>

#include "cli/cli.h"
#include "db/db.h"
#include "site/site.h"
#include "view/view.h"

#define STDIN_MAX (64 * 1024)

static const char *cat_text(const void *c, const char *lang, const char *key)
{
	return i18n_get(c, lang, key);
}

/* What `get` prints for d: the value, or set/unset for a secret. */
static const char *shown(struct db *db, struct arena *a, const struct setting_def *d)
{
	const char *v = site_setting_get(db, a, d->key);
	if (site_setting_is_secret(d->key))
		return v && *v ? "set" : "unset";
	return d->type == SET_SMTP ? site_smtp_url_public(a, v) : v;
}

static int get(const struct cli_settings_opts *o, struct db *db, struct arena *a)
{
	size_t n = 0;
	const struct setting_def *defs = site_setting_defs(&n);
	if (o->key && !site_setting_def(o->key)) {
		fprintf(stderr, "jinmyaku: settings get: unknown setting %s\n", o->key);
		return 2;
	}
	for (size_t i = 0; i < n; i++) {
		if (o->key && strcmp(o->key, defs[i].key) != 0)
			continue;
		if (o->key)
			fprintf(o->out, "%s\n", shown(db, a, &defs[i]));
		else
			fprintf(o->out, "%s=%s\n", defs[i].key, shown(db, a, &defs[i]));
	}
	return 0;
}

/* The value from standard input: all of it, less one final newline. */
static bool read_stdin(struct buf *b)
{
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_append(b, chunk, got) != JM_OK)
			return false;
	if (b->len && b->ptr[b->len - 1] == '\n')
		b->ptr[--b->len] = '\0';
	if (b->len && b->ptr[b->len - 1] == '\r')
		b->ptr[--b->len] = '\0';
	return !ferror(stdin);
}

static int set(const struct cli_settings_opts *o, struct db *db, struct arena *a)
{
	const struct setting_def *d = site_setting_def(o->key);
	if (!d) {
		fprintf(stderr, "jinmyaku: settings set: unknown setting %s\n", o->key);
		return 2;
	}
	if (o->value && (site_setting_is_secret(d->key) ||
	                 (d->type == SET_SMTP && site_smtp_url_has_password(o->value)))) {
		fprintf(stderr,
		        "jinmyaku: settings set: %s is a secret: give it on standard input "
		        "(jinmyaku settings set %s < FILE), never on the command line\n",
		        d->key, d->key);
		return 2;
	}
	struct buf in;
	buf_init(&in, STDIN_MAX);
	if (!o->value && !read_stdin(&in)) {
		buf_free(&in);
		fprintf(stderr,
		        "jinmyaku: settings set: the value on standard input is over %d "
		        "bytes or unreadable\n",
		        STDIN_MAX);
		return 1;
	}
	const char *v = o->value ? o->value : in.ptr ? in.ptr : "";
	struct jm_err err = {0};
	const char *keys[1] = {d->key}, *vals[1] = {v};
	enum jm_rc rc = site_settings_save(db, keys, vals, 1, &err);
	int code = 0;
	if (rc == JM_INVALID || rc == JM_TOO_LARGE) {
		const char *why = NULL;
		fprintf(stderr, "jinmyaku: settings set: %s\n",
		        site_setting_refusal(cat_text, o->catalog, o->lang, a, &err, v, &why));
		code = 1;
	} else if (rc) {
		fprintf(stderr, "jinmyaku: settings set: %s\n", err.msg[0] ? err.msg : "failed");
		code = 1;
	}
	buf_free(&in);
	return code;
}

int cli_settings(const struct cli_settings_opts *o, struct db *db)
{
	struct arena *a = arena_new(4096);
	int code = o->set ? set(o, db, a) : get(o, db, a);
	arena_free(a);
	return code;
}
