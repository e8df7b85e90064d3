/*
 * main.c — command-line dispatch only. Every command takes the options of
 * config.c (--data, --db, ...); a bad command or unknown flag prints usage
 * on stderr and exits 2, a bad option value one line naming the option
 * (exit 2); a failure prints one line on stderr and exits 1.
 *
 * The process runs with umask 077: everything it creates (the database and
 * its WAL/SHM, backups, uploads, keys) is 0600, directories 0700.
 */
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "auth/auth.h"
#include "cli/cli.h"
#include "db/db.h"
#include "import/import.h"
#include "mail/mail.h"
#include "media/media.h"
#include "network/network.h"
#include "newsletter/newsletter.h"
#include "people/people.h"
#include "site/site.h"
#include "view/view.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: jinmyaku COMMAND [options]\n\n"
	        "commands:\n"
	        "  serve [--listen HOST:PORT]          run the site, admin and API\n"
	        "  worker                              run only the mail delivery worker\n"
	        "  user add --email E [--name N] [--role owner|editor]\n"
	        "                                      create a user (password on stdin)\n"
	        "  token create --name NAME            print a new API token\n"
	        "  dkim keygen --domain D --selector S make a DKIM key, print its DNS record\n"
	        "  import subscribers --list SLUG [--encoding auto|utf8|sjis]\n"
	        "                     [--consent optin|held] FILE.csv\n"
	        "                                      import subscribers: by default each gets\n"
	        "                                      an opt-in mail and stays pending; with\n"
	        "                                      --consent held you declare you hold their\n"
	        "                                      consent (file, who, when are recorded)\n"
	        "  export subscribers --list SLUG [--bom]\n"
	        "                                      write the list as CSV to stdout\n"
	        "  import people FILE                  import people from CSV or vCard 3/4\n"
	        "                                      (told apart by content)\n"
	        "  export people [--format csv|vcard3|vcard4] [--stage S] [--tag T] [--bom]\n"
	        "                                      write people to stdout\n"
	        "  import wordpress FILE.xml [--uploads DIR]\n"
	        "                                      import posts, pages, categories and tags\n"
	        "                                      from a WordPress (or note) export; DIR is "
	        "a\n"
	        "                                      copy of wp-content/uploads for the images\n"
	        "  import hatena FILE [--uploads DIR]  import a はてなブログ export (Movable Type\n"
	        "                                      text); DIR: a folder of its images\n"
	        "  reindex                             rebuild the people and site search indexes\n"
	        "  migrate --from sqlite:PATH --to postgres://... [--verify-only]\n"
	        "                                      copy a whole installation into an empty\n"
	        "                                      PostgreSQL database and verify every\n"
	        "                                      table (rows and checksum); --verify-only\n"
	        "                                      compares without copying\n"
	        "  settings get [KEY]                  print a setting (every one as KEY=VALUE);\n"
	        "                                      a secret prints as set or unset\n"
	        "  settings set KEY [VALUE]            change a setting (the settings page's\n"
	        "                                      checks); without VALUE it is read from\n"
	        "                                      stdin, which a secret must be\n"
	        "  backup FILE                         write one .tar.gz archive to FILE: the\n"
	        "                                      database snapshot (SQLite; PostgreSQL:\n"
	        "                                      pg_dump, see its README.txt), media,\n"
	        "                                      keys and theme files\n"
	        "  check                               load templates and catalog, migrate\n"
	        "                                      the database, print its schema version\n"
	        "  version                             print the version\n\n"
	        "options (every command):\n");
	config_print_help(out);
}

static int die_usage(const char *msg)
{
	fprintf(stderr, "jinmyaku: %s\n", msg);
	usage(stderr);
	return EXIT_USAGE;
}

/* A bad option value: one line (the option, the value, what is wrong). */
static int bad_value(const struct jm_err *err)
{
	fprintf(stderr, "jinmyaku: %s (usage: jinmyaku --help)\n", err->msg);
	return EXIT_USAGE;
}

static int fail(const char *what, const struct jm_err *err)
{
	fprintf(stderr, "jinmyaku: %s: %s\n", what, err->msg[0] ? err->msg : "failed");
	return 1;
}

/* Command-local flags (like --email) are collected here; the rest go to
 * the configuration table. */
struct cmd_args {
	const char *email, *name, *role, *token_name;
	const char *domain, *selector, *list, *encoding, *consent;
	const char *format, *stage, *tag;
	const char *from, *to, *uploads;
	bool optin, bom, verify_only;
	const char *pos[4];
	int npos;
};

/* Flags without a value. */
static bool bool_flag(const char *f, struct cmd_args *a)
{
	bool *b = !strcmp(f, "--optin")         ? &a->optin
	          : !strcmp(f, "--bom")         ? &a->bom
	          : !strcmp(f, "--verify-only") ? &a->verify_only
	                                        : NULL;
	if (b)
		*b = true;
	return b != NULL;
}

static int parse_args(int argc, char **argv, int first, struct app_config *cfg, struct cmd_args *a)
{
	struct jm_err err = {0};
	for (int i = first; i < argc; i++) {
		const char *f = argv[i];
		if (strncmp(f, "--", 2) != 0) {
			if (a->npos == 4)
				return die_usage("too many arguments");
			a->pos[a->npos++] = f;
			continue;
		}
		if (bool_flag(f, a))
			continue;
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **local = !strcmp(f, "--email")      ? &a->email
		                     : !strcmp(f, "--name")     ? &a->name
		                     : !strcmp(f, "--role")     ? &a->role
		                     : !strcmp(f, "--domain")   ? &a->domain
		                     : !strcmp(f, "--selector") ? &a->selector
		                     : !strcmp(f, "--list")     ? &a->list
		                     : !strcmp(f, "--encoding") ? &a->encoding
		                     : !strcmp(f, "--format")   ? &a->format
		                     : !strcmp(f, "--stage")    ? &a->stage
		                     : !strcmp(f, "--tag")      ? &a->tag
		                     : !strcmp(f, "--consent")  ? &a->consent
		                     : !strcmp(f, "--from")     ? &a->from
		                     : !strcmp(f, "--to")       ? &a->to
		                     : !strcmp(f, "--uploads")  ? &a->uploads
		                                                : NULL;
		if (local) {
			if (!v)
				return die_usage("missing value after flag");
			*local = v;
			i++;
			continue;
		}
		enum jm_rc rc = config_set_flag(cfg, f, v, &err);
		if (rc == JM_INVALID && v)
			return bad_value(&err);
		if (rc)
			return die_usage(err.msg);
		i++;
	}
	return 0;
}

static enum jm_rc open_db(struct app *app, struct db **db, struct jm_err *err)
{
	enum jm_rc rc = app_init(app, err);
	if (rc)
		return rc;
	return db_open(app->cfg.db_url, db, err);
}

static bool read_password(char *out, size_t size)
{
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password: ");
	if (!fgets(out, (int)size, stdin))
		return false;
	out[strcspn(out, "\r\n")] = '\0';
	return true;
}

static int cmd_user_add(struct app *app, struct cmd_args *a)
{
	if (!a->email)
		return die_usage("user add: --email is required");
	char pw[AUTH_PASSWORD_MAX + 2];
	struct jm_err err = {0};
	if (!read_password(pw, sizeof(pw))) {
		fprintf(stderr, "jinmyaku: user add: no password on stdin\n");
		return 1;
	}
	char email[256];
	snprintf(email, sizeof(email), "%s", a->email);
	if (auth_user_validate(email, a->role ? a->role : "owner", pw, &err) != JM_OK)
		return fail("user add", &err); /* before the database is touched */
	struct db *db = NULL;
	enum jm_rc rc = open_db(app, &db, &err);
	int64_t id = 0;
	if (!rc)
		rc = people_user_add(db, a->email, a->name ? a->name : "",
		                     a->role ? a->role : "owner", pw, &id, &err);
	db_close(db);
	if (rc)
		return fail("user add", &err);
	printf("created user %lld <%s>\n", (long long)id, a->email);
	return 0;
}

static int cmd_token_create(struct app *app, struct cmd_args *a)
{
	if (!a->name)
		return die_usage("token create: --name is required");
	struct jm_err err = {0};
	struct db *db = NULL;
	char tok[64];
	enum jm_rc rc = open_db(app, &db, &err);
	/* A CLI token acts as the first owner; made before there is one (a
	 * script setting up a new installation) it answers 401 until the owner
	 * exists, which is said on stderr so nobody wonders why. */
	int64_t owner = 0;
	if (!rc)
		rc = db_query_int(db, &owner, 0, "SELECT min(id) FROM users WHERE role = 'owner'",
		                  "");
	if (!rc)
		rc = auth_token_create(db, app->secret, a->name, 0, tok, &err);
	db_close(db);
	if (rc)
		return fail("token create", &err);
	printf("%s\n", tok);
	if (owner == 0)
		fprintf(stderr,
		        "jinmyaku: note: no owner yet: this token works once `jinmyaku user add "
		        "--email E --role owner` has created one\n");
	return 0;
}

static int cmd_backup(struct app *app, struct cmd_args *a)
{
	if (a->npos != 1)
		return die_usage("backup: give exactly one FILE");
	struct jm_err err = {0};
	struct db *db = NULL;
	enum jm_rc rc = open_db(app, &db, &err);
	if (!rc)
		rc = site_backup_write(db, app->cfg.data_dir, a->pos[0], &err);
	db_close(db);
	if (rc)
		return fail("backup", &err);
	printf("backup written to %s\n", a->pos[0]);
	return 0;
}

static int cmd_settings(struct app *app, const char *sub, struct cmd_args *a)
{
	bool set = !strcmp(sub, "set");
	if ((!set && strcmp(sub, "get") != 0) || (set && (a->npos < 1 || a->npos > 2)) ||
	    (!set && a->npos > 1))
		return die_usage("settings: get [KEY] or set KEY [VALUE]");
	const char *lang = getenv("LANG");
	struct cli_settings_opts o = {
	        .set = set,
	        .key = a->npos ? a->pos[0] : NULL,
	        .value = a->npos > 1 ? a->pos[1] : NULL,
	        .lang = lang && !strncmp(lang, "en", 2) ? "en" : "ja",
	        .out = stdout,
	};
	struct jm_err err = {0};
	struct db *db = NULL;
	struct i18n *cat = NULL;
	char po[1100];
	snprintf(po, sizeof(po), "%s/po", app->cfg.share_dir);
	enum jm_rc rc = open_db(app, &db, &err);
	if (!rc)
		rc = i18n_load(po, &cat, &err);
	o.catalog = cat;
	int code = rc ? fail("settings", &err) : cli_settings(&o, db);
	i18n_free(cat);
	db_close(db);
	return code;
}

static int cmd_serve(struct app *app)
{
	struct jm_err err = {0};
	if (app_init(app, &err) != JM_OK)
		return fail("serve", &err);
	app_warn_data_dir(app);
	if (app_serve(app, &err) != JM_OK)
		return fail("serve", &err);
	return 0;
}

/* ---- mail magazine commands ---- */

static int cmd_worker(struct app *app, struct cmd_args *a)
{
	if (a->npos)
		return die_usage("worker: takes no arguments");
	struct jm_err err = {0};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (app_init(app, &err) != JM_OK)
		return fail("worker", &err);
	app_warn_data_dir(app);
	if (app_worker_start(app, &err) != JM_OK)
		return fail("worker", &err);
	printf("jinmyaku %s delivery worker running (data: %s)\n", JM_VERSION, app->cfg.data_dir);
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	nl_worker_stop(app->worker);
	app->worker = NULL;
	return 0;
}

/* A DNS name of letters, digits, '-' and (if dots) '.', not starting or
 * ending with a separator. */
static bool dns_name_ok(const char *s, bool dots, size_t max)
{
	size_t n = strlen(s);
	if (!n || n > max || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || (dots && *s == '.')))
			return false;
	return true;
}

static int cmd_dkim_keygen(struct app *app, struct cmd_args *a)
{
	if (!a->domain || !a->selector || a->npos)
		return die_usage("dkim keygen: --domain D and --selector S are required");
	if (!dns_name_ok(a->domain, true, 253) || !strchr(a->domain, '.') ||
	    !dns_name_ok(a->selector, false, 63)) {
		fprintf(stderr, "jinmyaku: dkim keygen: --domain must be a domain name and "
		                "--selector letters, digits and '-'\n");
		return 1;
	}
	struct jm_err err = {0};
	struct db *db = NULL;
	struct buf txt = BUF_INIT, pem;
	buf_init(&pem, AUTH_SECRET_MAX);
	char name[80];
	snprintf(name, sizeof(name), "%s%s", AUTH_SECRET_DKIM, a->selector);
	/* The key goes into the database, shared by every node (a key file an
	 * older version wrote to DATA/dkim/ was imported by app_init). */
	enum jm_rc rc = open_db(app, &db, &err);
	if (!rc)
		rc = mail_dkim_keygen(&pem, &txt, &err);
	if (!rc && (rc = auth_secret_put(db, name, buf_cstr(&pem), jm_now())) == JM_CONFLICT)
		jm_err_set(&err, NULL,
		           "selector %s has a key already: a published key must not change, "
		           "pick a new selector",
		           a->selector);
	if (!rc) {
		const char *const keys[] = {"dkim_domain", "dkim_selector"};
		const char *const vals[] = {a->domain, a->selector};
		rc = site_settings_save(db, keys, vals, 2, &err);
	}
	db_close(db);
	if (!rc)
		printf("DKIM key for selector %s stored in the database\nPublish this DNS TXT "
		       "record:\n  name:  %s._domainkey.%s\n  value: %s\n",
		       a->selector, a->selector, a->domain, buf_cstr(&txt));
	if (pem.ptr)
		memset(pem.ptr, 0, pem.len);
	buf_free(&pem);
	buf_free(&txt);
	return rc ? fail("dkim keygen", &err) : 0;
}

static bool parse_encoding(const char *s, enum nl_encoding *out)
{
	*out = !s || !strcmp(s, "auto") ? NL_ENC_AUTO
	       : !strcmp(s, "utf8")     ? NL_ENC_UTF8
	       : !strcmp(s, "sjis")     ? NL_ENC_SJIS
	                                : (enum nl_encoding) - 1;
	return (int)*out >= 0;
}

/* The CSV being imported, mapped read-only rather than read into memory. */
struct mapped {
	char *p;
	size_t len;
};

static enum jm_rc map_file(const char *path, struct mapped *m, struct jm_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	enum jm_rc rc = JM_OK;
	if (fd < 0 || fstat(fd, &st) != 0) {
		jm_err_set(err, NULL, "%s: %s", path, strerror(errno));
		rc = JM_IO;
	} else if (!S_ISREG(st.st_mode) || st.st_size > ((off_t)1 << 31)) {
		jm_err_set(err, NULL, "%s: not a regular file or too large", path);
		rc = JM_INVALID;
	} else if (st.st_size > 0) {
		m->p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m->p == MAP_FAILED) {
			m->p = NULL;
			jm_err_set(err, NULL, "%s: %s", path, strerror(errno));
			rc = JM_IO;
		} else {
			m->len = (size_t)st.st_size;
			(void)madvise(m->p, m->len, MADV_SEQUENTIAL);
		}
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Also drops the mapped file's pages from the resident set (they come back
 * from the page cache when read again), so a big file does not add its
 * size to the importer's memory on top of the database cache. */
static void import_progress(int64_t done, int64_t total, void *user)
{
	const struct mapped *m = user;
	if (m && m->p)
		(void)madvise(m->p, m->len, MADV_DONTNEED);
	fprintf(stderr, "\rimporting: %3lld%% (%lld of %lld bytes)",
	        (long long)(total ? done * 100 / total : 100), (long long)done, (long long)total);
	fflush(stderr);
}

static enum jm_rc import_file(struct app *app, struct db *db, struct arena *ar, struct cmd_args *a,
                              enum nl_encoding enc, struct mapped *data,
                              struct nl_import_report *rep, struct jm_err *err)
{
	struct nl_list l;
	struct nl_csv_preview pv;
	enum jm_rc rc = nl_list_by_slug(db, ar, a->list, &l);
	if (rc == JM_NOT_FOUND)
		jm_err_set(err, "list", "no list with the slug %s", a->list);
	if (!rc)
		rc = nl_csv_preview(ar, data->p, data->len, enc, 1, &pv, err);
	if (rc)
		return rc;
	bool held = a->consent && !strcmp(a->consent, "held");
	const char *user = getenv("USER");
	struct nl_import_opts o = {
	        .list_id = l.id,
	        .encoding = enc,
	        .send_optin = !held,
	        .source = held ? nl_import_consent_source(
	                                 ar, a->pos[0],
	                                 user && *user ? arena_sprintf(ar, "cli:%s", user) : "cli",
	                                 jm_now())
	                       : "import",
	};
	nl_csv_map(ar, &l, pv.nrows ? pv.rows[0] : NULL, pv.nrows ? pv.ncols : 0, &o);
	rc = nl_import_csv(db, app->secret, data->p, data->len, &o, import_progress, data, rep,
	                   err);
	fprintf(stderr, "\n");
	return rc;
}

static int cmd_import(struct app *app, struct cmd_args *a)
{
	enum nl_encoding enc;
	if (!a->list || a->npos != 1)
		return die_usage("import subscribers: --list SLUG and one FILE.csv are required");
	if (!parse_encoding(a->encoding, &enc))
		return die_usage("import subscribers: --encoding must be auto, utf8 or sjis");
	if (a->consent && strcmp(a->consent, "held") && strcmp(a->consent, "optin"))
		return die_usage("import subscribers: --consent must be optin or held");
	if (a->consent && !strcmp(a->consent, "held") && a->optin)
		return die_usage("import subscribers: --optin and --consent held contradict");
	struct jm_err err = {0};
	struct mapped data = {0};
	struct db *db = NULL;
	struct arena *ar = arena_new(16384);
	struct nl_import_report rep = {0};
	enum jm_rc rc = map_file(a->pos[0], &data, &err);
	if (!rc && !data.len) {
		jm_err_set(&err, "file", "%s is empty", a->pos[0]);
		rc = JM_INVALID;
	}
	if (!rc)
		rc = open_db(app, &db, &err);
	if (!rc)
		rc = import_file(app, db, ar, a, enc, &data, &rep, &err);
	db_close(db);
	arena_free(ar);
	if (data.p)
		munmap(data.p, data.len);
	if (rc)
		return fail("import subscribers", &err);
	for (int i = 0; i < rep.nerrors; i++)
		fprintf(stderr, "%s\n", rep.errors[i]);
	printf("rows %lld: imported %lld, merged %lld, skipped %lld (encoding %s)\n",
	       (long long)rep.rows, (long long)rep.imported, (long long)rep.merged,
	       (long long)rep.skipped, rep.detected == NL_ENC_SJIS ? "shift_jis" : "utf-8");
	return 0;
}

static enum jm_rc write_stdout(const char *p, size_t len, void *user)
{
	(void)user;
	return fwrite(p, 1, len, stdout) == len ? JM_OK : JM_IO;
}

static int cmd_export(struct app *app, struct cmd_args *a)
{
	if (!a->list || a->npos)
		return die_usage("export subscribers: --list SLUG is required");
	struct jm_err err = {0};
	struct db *db = NULL;
	struct arena *ar = arena_new(4096);
	struct nl_list l;
	enum jm_rc rc = open_db(app, &db, &err);
	if (!rc) {
		rc = nl_list_by_slug(db, ar, a->list, &l);
		if (rc == JM_NOT_FOUND)
			jm_err_set(&err, "list", "no list with the slug %s", a->list);
	}
	if (!rc)
		rc = nl_export_csv(db, l.id, a->bom, write_stdout, NULL);
	if (!rc && fflush(stdout) != 0)
		rc = JM_IO;
	db_close(db);
	arena_free(ar);
	if (rc && !err.msg[0])
		jm_err_set(&err, NULL, "export failed (%s)", jm_rc_name(rc));
	return rc ? fail("export subscribers", &err) : 0;
}

/* ---- people (network/io.c, vcard.c, search.c) ---- */

static int cmd_import_people(struct app *app, struct cmd_args *a)
{
	if (a->npos != 1 || a->list || a->encoding || a->optin)
		return die_usage("import people: give exactly one FILE (.csv or .vcf)");
	struct jm_err err = {0};
	struct mapped data = {0};
	struct db *db = NULL;
	struct net_import_report rep = {0};
	bool vcard = false;
	enum jm_rc rc = map_file(a->pos[0], &data, &err);
	if (!rc && !data.len) {
		jm_err_set(&err, "file", "%s is empty", a->pos[0]);
		rc = JM_INVALID;
	}
	if (!rc)
		rc = open_db(app, &db, &err);
	if (!rc)
		rc = net_people_import(db, data.p, data.len, jm_now(), &vcard, &rep, &err);
	db_close(db);
	if (data.p)
		munmap(data.p, data.len);
	if (rc)
		return fail("import people", &err);
	printf("%s rows %lld: created %lld, updated %lld, unchanged %lld\n",
	       vcard ? "vCard" : "CSV", (long long)rep.rows, (long long)rep.created,
	       (long long)rep.updated, (long long)rep.skipped);
	return 0;
}

/* ---- moving in from another blog (import/) ---- */

static enum jm_rc blog_import(struct app *app, bool wordpress, const struct mapped *data,
                              const char *uploads, struct imp_report *rep, struct arena *ar,
                              struct jm_err *err)
{
	struct db *db = NULL;
	struct site_settings st;
	enum jm_rc rc = open_db(app, &db, err);
	if (!rc && (rc = site_settings_load(db, ar, &st)) != JM_OK)
		jm_err_set(err, NULL, "could not read the site settings");
	struct imp_opts o = {.uploads_dir = uploads, .tz = rc ? NULL : st.tz};
	if (!rc)
		rc = wordpress ? imp_wordpress(db, ar, data->p, data->len, &o, rep, err)
		               : imp_hatena(db, ar, data->p, data->len, &o, rep, err);
	db_close(db);
	return rc;
}

static int cmd_import_blog(struct app *app, struct cmd_args *a, bool wordpress)
{
	const char *what = wordpress ? "import wordpress" : "import hatena";
	if (a->npos != 1 || a->list || a->encoding || a->optin)
		return die_usage(wordpress ? "import wordpress: give exactly one FILE.xml"
		                           : "import hatena: give exactly one FILE");
	struct stat st;
	if (a->uploads && (stat(a->uploads, &st) != 0 || !S_ISDIR(st.st_mode))) {
		fprintf(stderr, "jinmyaku: %s: --uploads %s is not a folder\n", what, a->uploads);
		return EXIT_USAGE;
	}
	struct jm_err err = {0};
	struct mapped data = {0};
	struct arena *ar = arena_new(1 << 16);
	struct imp_report rep = {0};
	enum jm_rc rc = map_file(a->pos[0], &data, &err);
	if (!rc && !data.len) {
		jm_err_set(&err, "file", "%s is empty", a->pos[0]);
		rc = JM_INVALID;
	}
	if (!rc)
		rc = blog_import(app, wordpress, &data, a->uploads, &rep, ar, &err);
	if (data.p)
		munmap(data.p, data.len);
	if (!rc)
		imp_report_write(&rep, stdout);
	arena_free(ar);
	return rc ? fail(what, &err) : 0;
}

static int cmd_export_people(struct app *app, struct cmd_args *a)
{
	const char *f = a->format ? a->format : "csv";
	int version = !strcmp(f, "csv")      ? 0
	              : !strcmp(f, "vcard3") ? 3
	              : !strcmp(f, "vcard4") ? 4
	                                     : -1;
	if (version < 0 || a->npos)
		return die_usage("export people: --format must be csv, vcard3 or vcard4");
	if (a->stage && !net_stage_valid(a->stage))
		return die_usage(
		        "export people: --stage must be reader, fan, acquaintance or network");
	struct net_people_query q = {.stage = a->stage, .tag = a->tag};
	struct jm_err err = {0};
	struct db *db = NULL;
	enum jm_rc rc = open_db(app, &db, &err);
	if (!rc)
		rc = version ? net_people_export_vcard(db, &q, version, write_stdout, NULL)
		             : net_people_export_csv(db, &q, a->bom, write_stdout, NULL);
	if (!rc && fflush(stdout) != 0)
		rc = JM_IO;
	db_close(db);
	if (rc && !err.msg[0])
		jm_err_set(&err, NULL, "export failed (%s)", jm_rc_name(rc));
	return rc ? fail("export people", &err) : 0;
}

static int cmd_reindex(struct app *app, struct cmd_args *a)
{
	if (a->npos)
		return die_usage("reindex: takes no arguments");
	struct jm_err err = {0};
	struct db *db = NULL;
	struct arena *ar = arena_new(4096);
	struct net_people_query q = {.page = 1, .per_page = 1};
	struct net_person *p = NULL;
	size_t n = 0;
	int64_t total = 0;
	enum jm_rc rc = open_db(app, &db, &err);
	int64_t articles = 0;
	if (!rc)
		rc = net_search_rebuild(db, jm_now());
	if (!rc)
		rc = site_search_rebuild(db, true, &articles);
	if (!rc)
		rc = net_people_list(db, ar, &q, &p, &n, &total);
	db_close(db);
	arena_free(ar);
	if (rc && !err.msg[0])
		jm_err_set(&err, NULL, "reindex failed (%s)", jm_rc_name(rc));
	if (rc)
		return fail("reindex", &err);
	printf("indexed %lld people\nindexed %lld articles\n", (long long)total,
	       (long long)articles);
	return 0;
}

/* Exit 2 for a target that is not empty (as for a bad flag: nothing was
 * done), 1 for any other failure, a failed verification included. */
static int cmd_migrate(struct app *app, struct cmd_args *a)
{
	if (!a->from || !a->to || a->npos)
		return die_usage(
		        "migrate: --from sqlite:PATH and --to postgres://... are required");
	if (strncmp(a->to, "postgres://", 11) && strncmp(a->to, "postgresql://", 13))
		return die_usage("migrate: --to must be a postgres:// URL");
	struct jm_err err = {0};
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/migrations", app->cfg.share_dir);
	struct cli_migrate_opts o = {
	        .from = a->from,
	        .to = a->to,
	        .migrations_dir = dir,
	        .verify_only = a->verify_only,
	        .out = stdout,
	};
	/* Every failure's one line carries the engine's own message. */
	log_min_level = (enum log_level)(LOG_ERROR + 1);
	enum jm_rc rc = jm_crypto_init();
	if (rc == JM_OK)
		rc = cli_migrate(&o, &err);
	fflush(stdout);
	if (rc == JM_CONFLICT) {
		fprintf(stderr, "jinmyaku: migrate: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (rc)
		return fail("migrate", &err);
	printf(o.verify_only ? "every table matches\n"
	                     : "migrated and verified: start jinmyaku with --db pointing at the "
	                       "target and the same --data directory (secret, uploads)\n");
	return 0;
}

/* Opens the database (applying any migration not applied yet) and prints
 * the newest applied migration and the engine, e.g.
 * "schema: 0011_list_field_person (postgres)". */
static enum jm_rc check_schema(struct app *app, struct jm_err *err)
{
	struct db *db = NULL;
	char version[256];
	enum jm_rc rc = open_db(app, &db, err);
	if (!rc)
		rc = db_schema_version(db, version, sizeof(version));
	size_t len = rc ? 0 : strlen(version);
	if (len > 4 && !strcmp(version + len - 4, ".sql"))
		version[len - 4] = '\0'; /* migrations are recorded by file name */
	if (!rc)
		printf("schema: %s (%s)\n", version[0] ? version : "none",
		       db_engine(db) == DB_PG ? "postgres" : "sqlite");
	else if (db && !err->msg[0])
		jm_err_set(err, "db", "cannot read the schema version: %s", db_errmsg(db));
	db_close(db);
	return rc;
}

static int cmd_check(struct app *app)
{
	struct jm_err err = {0};
	struct i18n *cat = NULL;
	struct view *v = NULL;
	char po[1100], tpl[1100];
	snprintf(po, sizeof(po), "%s/po", app->cfg.share_dir);
	snprintf(tpl, sizeof(tpl), "%s/templates", app->cfg.share_dir);
	enum jm_rc rc = i18n_load(po, &cat, &err);
	if (!rc)
		rc = view_load(tpl, NULL, cat, &v, &err);
	view_free(v);
	i18n_free(cat);
	if (rc)
		return fail("check", &err);
	printf("templates and catalog OK\n");
	if (check_schema(app, &err))
		return fail("check", &err);
	return 0;
}

static int run(struct app *app, int argc, char **argv)
{
	const char *cmd = argv[1];
	int first = 2;
	const char *sub = argc > 2 ? argv[2] : "";
	if (!strcmp(cmd, "user") || !strcmp(cmd, "token") || !strcmp(cmd, "dkim") ||
	    !strcmp(cmd, "import") || !strcmp(cmd, "export") || !strcmp(cmd, "settings"))
		first = 3;
	struct cmd_args a = {0};
	int rc = parse_args(argc, argv, first, &app->cfg, &a);
	if (rc)
		return rc;
	struct jm_err err = {0};
	if (config_finish(&app->cfg, argv[0], &err) != JM_OK)
		return fail(cmd, &err);
	if (!strcmp(cmd, "serve"))
		return cmd_serve(app);
	if (!strcmp(cmd, "worker"))
		return cmd_worker(app, &a);
	/* One-shot commands print their result, warnings and errors only. */
	log_min_level = LOG_WARN;
	if (!strcmp(cmd, "user") && !strcmp(sub, "add"))
		return cmd_user_add(app, &a);
	if (!strcmp(cmd, "token") && !strcmp(sub, "create"))
		return cmd_token_create(app, &a);
	if (!strcmp(cmd, "backup"))
		return cmd_backup(app, &a);
	if (!strcmp(cmd, "settings"))
		return cmd_settings(app, sub, &a);
	if (!strcmp(cmd, "dkim") && !strcmp(sub, "keygen"))
		return cmd_dkim_keygen(app, &a);
	if (!strcmp(cmd, "import") && !strcmp(sub, "subscribers"))
		return cmd_import(app, &a);
	if (!strcmp(cmd, "export") && !strcmp(sub, "subscribers"))
		return cmd_export(app, &a);
	if (!strcmp(cmd, "import") && !strcmp(sub, "people"))
		return cmd_import_people(app, &a);
	if (!strcmp(cmd, "export") && !strcmp(sub, "people"))
		return cmd_export_people(app, &a);
	if (!strcmp(cmd, "import") && !strcmp(sub, "wordpress"))
		return cmd_import_blog(app, &a, true);
	if (!strcmp(cmd, "import") && !strcmp(sub, "hatena"))
		return cmd_import_blog(app, &a, false);
	if (!strcmp(cmd, "reindex"))
		return cmd_reindex(app, &a);
	if (!strcmp(cmd, "check"))
		return cmd_check(app);
	if (!strcmp(cmd, "migrate"))
		return cmd_migrate(app, &a);
	char msg[160];
	snprintf(msg, sizeof(msg), "unknown command: %s%s%s", cmd, first == 3 ? " " : "",
	         first == 3 ? sub : "");
	return die_usage(msg);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return die_usage("missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("jinmyaku %s\n", JM_VERSION);
		return 0;
	}
	umask(077);
	struct app *app = xcalloc(1, sizeof(*app));
	struct jm_err err = {0};
	int rc;
	if (config_defaults(&app->cfg, &err) != JM_OK)
		rc = bad_value(&err);
	else
		rc = run(app, argc, argv);
	app_free(app);
	free(app);
	media_shutdown(); /* libvips' threads and caches, if it was started */
	return rc;
}
