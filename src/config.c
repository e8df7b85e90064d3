/*
 * config.c — the configuration table and its parser. Adding an option is
 * adding one row; the help text and validation follow from it.
 */
#include <limits.h>
#include <stddef.h>
#include <unistd.h>

#include "config.h"
#include "http/http.h"

enum opt_type { OPT_STR, OPT_INT, OPT_LISTEN, OPT_URL, OPT_CIDRS };

struct opt_def {
	const char *flag; /* without "--" */
	const char *env;
	enum opt_type type;
	const char *def;
	int64_t min, max; /* OPT_INT bounds; OPT_STR max length */
	size_t offset, size;
	const char *help;
};

#define F(field) offsetof(struct app_config, field), sizeof(((struct app_config *)0)->field)

static const struct opt_def opts[] = {
        {"data", "JINMYAKU_DATA", OPT_STR, "./data", 1, 1000, F(data_dir),
         "data directory (database, secret, theme/)"},
        {"db", "JINMYAKU_DB", OPT_STR, "", 0, 1090, F(db_url),
         "database URL: sqlite:PATH (default sqlite:DATA/jinmyaku.db) or postgres://..."},
        {"listen", "JINMYAKU_LISTEN", OPT_LISTEN, "127.0.0.1:8080", 0, 120, F(listen),
         "address and port to serve on"},
        {"base-url", "JINMYAKU_BASE_URL", OPT_URL, "", 0, 500, F(base_url),
         "public URL of the site; overrides the admin setting"},
        {"threads", "JINMYAKU_THREADS", OPT_INT, "0", 0, 64, F(threads),
         "event-loop threads (0 = one per core)"},
        {"max-body", "JINMYAKU_MAX_BODY", OPT_INT, "2097152", 1024, 67108864, F(max_body),
         "largest accepted request body in bytes (413 beyond); uploads: --max-upload"},
        {"max-upload", "JINMYAKU_MAX_UPLOAD", OPT_INT, "26214400", 1024, 1073741824, F(max_upload),
         "largest accepted body of an upload or import in bytes (media, CSV; 413 beyond)"},
        {"tls-cert", "JINMYAKU_TLS_CERT", OPT_STR, "", 0, 1000, F(tls_cert),
         "PEM certificate chain: serve HTTPS and HTTP/2 directly"},
        {"tls-key", "JINMYAKU_TLS_KEY", OPT_STR, "", 0, 1000, F(tls_key), "PEM private key"},
        {"access-log", "JINMYAKU_ACCESS_LOG", OPT_STR, "", 0, 1000, F(access_log),
         "access log file (default: none)"},
        {"smtp-url", "JINMYAKU_SMTP_URL", OPT_STR, "", 0, 1000, F(smtp_url),
         "SMTP relay: smtps://user:pass@host:465 or smtp://user:pass@host:587 (TLS required with a "
         "password); overrides the setting"},
        {"worker-threads", "JINMYAKU_WORKER_THREADS", OPT_INT, "2", 0, 32, F(worker_threads),
         "delivery worker threads (serve: 0 = no worker; run `jinmyaku worker` instead)"},
        {"share", "JINMYAKU_SHARE", OPT_STR, "", 0, 1000, F(share_dir),
         "directory with templates/ static/ po/ migrations/ (default: next to the binary)"},
        {"trusted-proxies", "JINMYAKU_TRUSTED_PROXIES", OPT_CIDRS, "", 0, 1000, F(trusted_proxies),
         "reverse proxies (CIDR[,CIDR...], IPv4 or IPv6) whose X-Forwarded-For/Forwarded "
         "gives the client address"},
        {"max-connections", "JINMYAKU_MAX_CONNECTIONS", OPT_INT, "0", 0, 1000000,
         F(max_connections),
         "open client connections at most (0 = from the file-descriptor limit)"},
        {"login-queue", "JINMYAKU_LOGIN_QUEUE", OPT_INT, "16", 1, 4096, F(login_queue),
         "sign-ins waiting for the password hash at most (429 beyond)"},
};

static enum jm_rc check_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon || colon == v)
		return JM_INVALID;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	return (*end || colon[1] == '\0' || port < 0 || port > 65535) ? JM_INVALID : JM_OK;
}

static enum jm_rc apply(struct app_config *c, const struct opt_def *o, const char *v,
                        const char *src, struct jm_err *err)
{
	char *field = (char *)c + o->offset;
	if (o->type == OPT_INT) {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (errno || end == v || *end || n < o->min || n > o->max) {
			jm_err_set(err, src,
			           "%s: expected an integer from %lld to %lld, got \"%s\"", src,
			           (long long)o->min, (long long)o->max, v);
			return JM_INVALID;
		}
		*(int64_t *)field = n;
		return JM_OK;
	}
	if ((int64_t)strlen(v) > o->max || strlen(v) >= o->size) {
		jm_err_set(err, src, "%s: value too long", src);
		return JM_INVALID;
	}
	struct jm_err cerr = {0};
	if (o->type == OPT_CIDRS && http_cidrs_parse(v, NULL, &cerr) != JM_OK) {
		jm_err_set(err, src, "%s: %s", src, cerr.msg);
		return JM_INVALID;
	}
	if ((o->type == OPT_LISTEN && check_listen(v) != JM_OK) ||
	    (o->type == OPT_URL && *v && strncmp(v, "http://", 7) != 0 &&
	     strncmp(v, "https://", 8) != 0)) {
		jm_err_set(err, src, "%s: invalid value \"%s\"", src, v);
		return JM_INVALID;
	}
	snprintf(field, o->size, "%s", v);
	return JM_OK;
}

enum jm_rc config_defaults(struct app_config *c, struct jm_err *err)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		enum jm_rc rc = apply(c, &opts[i], opts[i].def, opts[i].flag, err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *v = getenv(opts[i].env);
		if (v) {
			enum jm_rc rc = apply(c, &opts[i], v, opts[i].env, err);
			if (rc)
				return rc;
		}
	}
	return JM_OK;
}

enum jm_rc config_set_flag(struct app_config *c, const char *flag, const char *value,
                           struct jm_err *err)
{
	if (strncmp(flag, "--", 2) == 0)
		flag += 2;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcmp(flag, opts[i].flag) != 0)
			continue;
		if (!value) {
			jm_err_set(err, flag, "--%s needs a value", flag);
			return JM_INVALID;
		}
		char src[64];
		snprintf(src, sizeof(src), "--%s", flag);
		return apply(c, &opts[i], value, src, err);
	}
	jm_err_set(err, flag, "unknown option --%s", flag);
	return JM_NOT_FOUND;
}

static bool has_templates(const char *dir)
{
	char p[1200];
	snprintf(p, sizeof(p), "%s/templates", dir);
	return access(p, R_OK) == 0;
}

/* The share dir: --share, else the binary's parent (build/jinmyaku lives
 * in build/, the tree one level up), else the current directory. */
static void find_share(struct app_config *c, const char *argv0)
{
	if (c->share_dir[0])
		return;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		n = (ssize_t)snprintf(exe, sizeof(exe), "%s", argv0);
	exe[n] = '\0';
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			break;
		*slash = '\0';
		if (strlen(exe) < sizeof(c->share_dir) && has_templates(exe)) {
			memcpy(c->share_dir, exe, strlen(exe) + 1);
			return;
		}
	}
	snprintf(c->share_dir, sizeof(c->share_dir), ".");
}

enum jm_rc config_finish(struct app_config *c, const char *argv0, struct jm_err *err)
{
	if (!c->db_url[0]) {
		if (strlen(c->data_dir) + 20 >= sizeof(c->db_url)) {
			jm_err_set(err, "data", "--data: path too long");
			return JM_INVALID;
		}
		snprintf(c->db_url, sizeof(c->db_url), "sqlite:%s/jinmyaku.db", c->data_dir);
	}
	find_share(c, argv0);
	if (!has_templates(c->share_dir)) {
		jm_err_set(err, "share", "cannot find templates/ in %s (use --share)",
		           c->share_dir);
		return JM_INVALID;
	}
	return JM_OK;
}

void config_print_help(FILE *out)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const struct opt_def *o = &opts[i];
		char left[64];
		snprintf(left, sizeof(left), "--%s VALUE", o->flag);
		fprintf(out, "  %-22s %s\n  %-22s (env %s%s%s%s)\n", left, o->help, "", o->env,
		        *o->def ? ", default " : "", o->def, "");
	}
}
