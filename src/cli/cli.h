/*
 * cli.h — commands too long for main.c's dispatch: each runs one whole
 * job from the command line and reports on a stream. main.c parses the
 * flags and maps the result to an exit code.
 */
#ifndef JM_CLI_H
#define JM_CLI_H

#include "core/core.h"

/* ---- migrate (migrate.c) ---- */
struct cli_migrate_opts {
	const char *from;           /* "sqlite:PATH" (or a bare path) */
	const char *to;             /* "postgres://…" */
	const char *migrations_dir; /* SHARE/migrations */
	bool verify_only;           /* compare only: copy nothing, build nothing */
	FILE *out;                  /* progress and the verification table */
};

/* Copies the installation at from into the empty database at to (migrated
 * first to this binary's schema), verifies every table (rows and checksum,
 * printed as a table on out) and builds the target's search index. Nothing
 * is written to from.
 * JM_OK: copied and verified. JM_CONFLICT: the target is not empty (err
 * names a table and its rows). JM_INVALID: the verification failed (err
 * names the tables), or the schema versions differ (err says what to do).
 * JM_NOT_FOUND: no database at from. JM_DB / JM_IO: anything else, in err. */
enum jm_rc cli_migrate(const struct cli_migrate_opts *o, struct jm_err *err) JM_WUR;

struct db;
/* ---- settings (settings.c) ---- */
struct i18n;
struct cli_settings_opts {
	bool set;                   /* set (else get) */
	const char *key;            /* get: NULL prints every setting as key=value */
	const char *value;          /* set: from the command line; NULL reads stdin */
	const struct i18n *catalog; /* for refusals in the settings page's words */
	const char *lang;           /* "ja" or "en" */
	FILE *out;
};
/* Runs `settings get|set` on db; returns the exit code: 0, 1 (refused
 * value: one line on stderr in the page's words, nothing stored), 2 (an
 * unknown key, or a secret given on the command line). */
int cli_settings(const struct cli_settings_opts *o, struct db *db);

#endif
