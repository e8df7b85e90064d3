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

#endif
