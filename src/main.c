/*
 * main.c — command-line dispatch only. Every command takes the options of
 * config.c (--data, --db, ...); a bad command or flag prints usage on
 * stderr and exits 2; a failure prints one line on stderr and exits 1.
 */
#include <unistd.h>

#include "app.h"
#include "auth/auth.h"
#include "db/db.h"
#include "view/view.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fprintf(out, "usage: jinmyaku COMMAND [options]\n\n"
	             "commands:\n"
	             "  serve [--listen HOST:PORT]          run the site, admin and API\n"
	             "  user add --email E [--name N] [--role owner|editor]\n"
	             "                                      create a user (password on stdin)\n"
	             "  token create --name NAME            print a new API token\n"
	             "  backup FILE                         copy the database to FILE\n"
	             "  check                               load templates and catalog, then exit\n"
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

static int fail(const char *what, const struct jm_err *err)
{
	fprintf(stderr, "jinmyaku: %s: %s\n", what, err->msg[0] ? err->msg : "failed");
	return 1;
}

/* Command-local flags (like --email) are collected here; the rest go to
 * the configuration table. */
struct cmd_args {
	const char *email, *name, *role, *token_name;
	const char *pos[4];
	int npos;
};

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
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **local = !strcmp(f, "--email")  ? &a->email
		                     : !strcmp(f, "--name") ? &a->name
		                     : !strcmp(f, "--role") ? &a->role
		                                            : NULL;
		if (local) {
			if (!v)
				return die_usage("missing value after flag");
			*local = v;
			i++;
			continue;
		}
		enum jm_rc rc = config_set_flag(cfg, f, v, &err);
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
		rc = auth_user_add(db, a->email, a->name ? a->name : "",
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
	if (!rc)
		rc = auth_token_create(db, app->secret, a->name, 0, tok, &err);
	db_close(db);
	if (rc)
		return fail("token create", &err);
	printf("%s\n", tok);
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
		rc = db_backup(db, a->pos[0], &err);
	db_close(db);
	if (rc)
		return fail("backup", &err);
	printf("backup written to %s\n", a->pos[0]);
	return 0;
}

static int cmd_serve(struct app *app)
{
	struct jm_err err = {0};
	if (app_init(app, &err) != JM_OK)
		return fail("serve", &err);
	if (app_serve(app, &err) != JM_OK)
		return fail("serve", &err);
	return 0;
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
	return 0;
}

static int run(struct app *app, int argc, char **argv)
{
	const char *cmd = argv[1];
	int first = 2;
	const char *sub = argc > 2 ? argv[2] : "";
	if (!strcmp(cmd, "user") || !strcmp(cmd, "token"))
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
	/* One-shot commands print their result, warnings and errors only. */
	log_min_level = LOG_WARN;
	if (!strcmp(cmd, "user") && !strcmp(sub, "add"))
		return cmd_user_add(app, &a);
	if (!strcmp(cmd, "token") && !strcmp(sub, "create"))
		return cmd_token_create(app, &a);
	if (!strcmp(cmd, "backup"))
		return cmd_backup(app, &a);
	if (!strcmp(cmd, "check"))
		return cmd_check(app);
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
	struct app *app = xcalloc(1, sizeof(*app));
	struct jm_err err = {0};
	int rc;
	if (config_defaults(&app->cfg, &err) != JM_OK)
		rc = fail("configuration", &err);
	else
		rc = run(app, argc, argv);
	app_free(app);
	free(app);
	return rc;
}
