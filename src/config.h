/*
 * config.h — process configuration as one table (STYLE.md 13): each entry
 * has a flag, an environment variable, a type, a default, bounds and help.
 * `jinmyaku --help` is generated from the table, and every error names its
 * source ("--listen" or "JINMYAKU_LISTEN").
 *
 * Precedence: defaults < environment < command-line flags.
 */
#ifndef JM_CONFIG_H
#define JM_CONFIG_H

#include "core/core.h"

struct app_config {
	char data_dir[1024];
	char db_url[1100];
	char share_dir[1024]; /* holds templates/ static/ po/ migrations/ */
	char listen[128];
	char base_url[512]; /* overrides the base_url setting when set */
	char tls_cert[1024];
	char tls_key[1024];
	char access_log[1024];
	char smtp_url[1024];    /* overrides the smtp_url setting when set */
	int64_t worker_threads; /* sending threads; 0 = `serve` runs no worker */
	int64_t threads;
	int64_t max_body;           /* every route but uploads (JSON, forms) */
	int64_t max_upload;         /* upload and import routes (ROUTE_UPLOAD) */
	char trusted_proxies[1024]; /* CIDR list, validated by http_cidrs_parse */
	int64_t max_connections;    /* 0 = derived from the fd limit */
	int64_t login_queue;        /* password hashes waiting or running */
};

/* Sets defaults, then applies the environment (getenv). */
enum jm_rc config_defaults(struct app_config *c, struct jm_err *err) JM_WUR;
/* Applies one "--name" flag with its value. JM_NOT_FOUND for an unknown
 * flag; JM_INVALID for a bad value (err names the flag). */
enum jm_rc config_set_flag(struct app_config *c, const char *flag, const char *value,
                           struct jm_err *err) JM_WUR;
/* Fills what depends on other values (db_url from data_dir, share_dir
 * from the executable's location) after all flags are read. */
enum jm_rc config_finish(struct app_config *c, const char *argv0, struct jm_err *err) JM_WUR;
/* Writes the options part of --help. */
void config_print_help(FILE *out);

#endif
