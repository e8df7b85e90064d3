/*
 * app_node.c — what makes several `serve` nodes with their own DATA
 * directories on one database behave as one site:
 *
 *   - Shared secrets. The signing secret and the DKIM keys live in the
 *     database (auth/secret.c). At start, an older installation's DATA/secret
 *     and DATA/dkim/SELECTOR.private are imported (insert-if-absent, so
 *     links signed before keep verifying and two nodes starting together
 *     end with one secret). DATA/secret stays as this node's copy of the
 *     database's secret (0600, rewritten when it differs) for the scripts
 *     that read it; the database is authoritative.
 *   - One theme. Template overrides an owner puts in a node's DATA/theme/
 *     are stored in the database at that node's start (newest edit wins),
 *     and every node renders with the stored set, written out to its
 *     DATA/theme-shared/ for view/ to load.
 *   - Fresh pages everywhere. A listener thread per serve node waits on
 *     SITE_CONTENT_CHANNEL on its own connection and polls the shared
 *     content generation between waits (engines without notifications,
 *     or a missed one); either way it invalidates this node's page cache.
 *     A broken connection is reopened, and the cache dropped once since a
 *     notification may have been lost meanwhile.
 *   - Cluster jobs. Work that must run once for the whole cluster (the
 *     announcement of scheduled publications, the network's search sync,
 *     scores and digest) runs on the node holding that job family's
 *     cluster lock (db_try_lock) on a dedicated connection. The lock lives
 *     as long as the connection: a node that dies releases it, and another
 *     node's next tick takes it over. A job whose work fails checks its
 *     connection and drops it (and the lock) when it is broken.
 *
 * Threading: the listener is its own thread; the jobs run on the tick
 * thread (http/ scheduler) only. SQLite is one node: no notifications
 * (the poll alone serves several processes on one file) and locks are
 * always granted.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "auth/auth.h"
#include "db/db.h"
#include "media/media.h"
#include "site/site.h"

#define LISTEN_WAIT_MS 250            /* the generation poll where nothing notifies */
#define NOTIFY_POLL_MS 5000           /* the same poll beside notifications (PostgreSQL) */
#define RECONNECT_MS   1000           /* between attempts to reopen a broken connection */
#define LOCK_PUBLISH   0x6a6d000001LL /* "jm" + family: scheduled publications */
#define LOCK_NETWORK   0x6a6d000002LL /* search sync, scores, digest */

enum { JOB_PUBLISH, JOB_NETWORK, JOB_COUNT };

/* One job family: its dedicated connection and whether it holds the lock. */
struct cluster_job {
	const char *name;
	int64_t key;
	struct db *db;
	bool held;
	int64_t retry_ms; /* earliest next db_open after a failure */
};

struct app_node {
	struct app *app;
	pthread_t listener;
	bool listening;
	struct db *listen_db; /* opened by app_node_start, then the listener's */
	int64_t listen_gen;   /* the generation read on it before serving */
	bool outage;          /* the listener's: a failed open was logged */
	atomic_bool stop;
	struct cluster_job jobs[JOB_COUNT]; /* the tick thread's */
};

/* ---- shared secrets ---- */

static void hex_of(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool unhex(const char *s, size_t len, unsigned char *out, size_t n)
{
	if (len != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* *found tells whether DATA/secret exists; a file of another size is an
 * error (never silently replaced: it may be the only copy). */
static enum jm_rc read_secret_file(const char *path, unsigned char out[32], bool *found,
                                   struct jm_err *err)
{
	*found = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return JM_OK;
		jm_err_set(err, "secret", "cannot read %s: %s", path, strerror(errno));
		return JM_IO;
	}
	unsigned char extra;
	ssize_t n = read(fd, out, 32);
	ssize_t more = n == 32 ? read(fd, &extra, 1) : 0;
	close(fd);
	if (n != 32 || more != 0) {
		jm_err_set(err, "secret", "%s is damaged (expected 32 bytes)", path);
		return JM_IO;
	}
	*found = true;
	return JM_OK;
}

/* Writes this node's copy: a temporary file beside path, fsynced, renamed. */
static enum jm_rc write_secret_copy(const char *path, const unsigned char s[32], struct jm_err *err)
{
	char tmp[1200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && write(fd, s, 32) == 32 && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (ok && rename(tmp, path) == 0)
		return JM_OK;
	jm_err_set(err, "secret", "cannot write %s: %s", path, strerror(errno));
	unlink(tmp);
	return JM_IO;
}

/* The site's signing secret into app->secret: the database's, else this
 * node's DATA/secret moved in, else a new random one — whichever a node
 * inserted first. */
static enum jm_rc load_signing_secret(struct app *app, struct db *db, struct jm_err *err)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s/secret", app->cfg.data_dir);
	unsigned char file[32], cand[32];
	char hex[65];
	bool have = false;
	struct buf v;
	buf_init(&v, AUTH_SECRET_MAX);
	enum jm_rc rc = read_secret_file(path, file, &have, err);
	if (rc)
		goto out;
	if (have)
		memcpy(cand, file, sizeof(cand));
	else
		jm_random_bytes(cand, sizeof(cand));
	hex_of(cand, sizeof(cand), hex);
	rc = auth_secret_ensure(db, AUTH_SECRET_SIGNING, hex, jm_now(), &v);
	if (rc) {
		jm_err_set(err, "secret", "cannot read or store the signing secret");
		goto out;
	}
	if (!unhex(v.ptr, v.len, app->secret, sizeof(app->secret))) {
		jm_err_set(err, "secret", "the signing secret in the database is damaged");
		rc = JM_INVALID;
		goto out;
	}
	bool same = have && memcmp(file, app->secret, sizeof(file)) == 0;
	if (have && !same)
		log_at(LOG_WARN, "app",
		       "%s is not the site's signing secret: the database's is used and the file "
		       "rewritten (links signed with the old file no longer verify)",
		       path);
	if (!same)
		rc = write_secret_copy(path, app->secret, err);
out:
	memset(file, 0, sizeof(file));
	memset(cand, 0, sizeof(cand));
	memset(hex, 0, sizeof(hex));
	if (v.ptr)
		memset(v.ptr, 0, v.len);
	buf_free(&v);
	return rc;
}

/* A DKIM selector as a key file name may hold it. */
static bool selector_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* Each DATA/dkim/SELECTOR.private an older version wrote goes into the
 * database unless that selector has a key there already. */
static void import_dkim_keys(struct app *app, struct db *db)
{
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/dkim", app->cfg.data_dir);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n <= 8 || strcmp(e->d_name + n - 8, ".private") != 0 ||
		    !selector_name_ok(e->d_name, n - 8))
			continue;
		char name[80], path[1400];
		snprintf(name, sizeof(name), "%s%.*s", AUTH_SECRET_DKIM, (int)(n - 8), e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct buf v;
		buf_init(&v, AUTH_SECRET_MAX);
		struct jm_err err = {0};
		if (auth_secret_import_file(db, name, path, jm_now(), &v, &err) != JM_OK)
			log_at(LOG_WARN, "app", "dkim key %s not imported: %s", path, err.msg);
		if (v.ptr)
			memset(v.ptr, 0, v.len);
		buf_free(&v);
	}
	closedir(d);
}

/* A share directory whose migrations stop before 0013 (only an older
 * installation's, or a test building one) has no node_secrets: the secret
 * stays in DATA/secret as it did then, created on first start. */
static enum jm_rc file_secret(struct app *app, struct jm_err *err)
{
	char path[1100];
	snprintf(path, sizeof(path), "%s/secret", app->cfg.data_dir);
	bool have = false;
	enum jm_rc rc = read_secret_file(path, app->secret, &have, err);
	if (rc || have)
		return rc;
	jm_random_bytes(app->secret, sizeof(app->secret));
	return write_secret_copy(path, app->secret, err);
}

enum jm_rc app_node_secrets(struct app *app, struct db *db, struct jm_err *err)
{
	char ver[256];
	if (db_schema_version(db, ver, sizeof(ver)) == JM_OK && strcmp(ver, "0013") < 0)
		return file_secret(app, err);
	enum jm_rc rc = load_signing_secret(app, db, err);
	if (!rc)
		import_dkim_keys(app, db);
	return rc;
}

/* ---- theme overrides ---- */

#define THEME_DEPTH 16

/* Stores every template below root/rel (this node's DATA/theme) in the
 * database; a file that cannot be read or stored is logged and skipped. */
static void theme_store_dir(struct db *db, const char *root, const char *rel, int depth)
{
	char path[2048];
	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		char name[1024], fpath[2048];
		struct stat st;
		if (e->d_name[0] == '.' ||
		    (size_t)snprintf(name, sizeof(name), "%s%s%s", rel, *rel ? "/" : "",
		                     e->d_name) >= sizeof(name) ||
		    (size_t)snprintf(fpath, sizeof(fpath), "%s/%s", root, name) >= sizeof(fpath) ||
		    stat(fpath, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < THEME_DEPTH) {
			theme_store_dir(db, root, name, depth + 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || !site_theme_name_ok(name))
			continue;
		struct buf b;
		buf_init(&b, SITE_THEME_MAX);
		struct jm_err err = {0};
		enum jm_rc rc = jm_read_file(fpath, &b, &err);
		if (!rc)
			rc = site_theme_put(db, name, buf_cstr(&b), b.len, (int64_t)st.st_mtime);
		if (rc)
			log_at(LOG_WARN, "app", "theme file %s not shared: %s", fpath,
			       err.msg[0] ? err.msg : jm_rc_name(rc));
		buf_free(&b);
	}
	closedir(d);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

/* Makes the directories above path (below its first len bytes). */
static bool make_parents(char *path, size_t len)
{
	for (char *p = path + len + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		bool ok = mkdir(path, 0700) == 0 || errno == EEXIST;
		*p = '/';
		if (!ok)
			return false;
	}
	return true;
}

static bool write_all(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	bool ok = true;
	while (ok && len) {
		ssize_t w = write(fd, s, len);
		ok = w > 0;
		if (ok) {
			s += w;
			len -= (size_t)w;
		}
	}
	return close(fd) == 0 && ok;
}

/* Writes the stored files below dir, emptied first: the directory view/
 * loads overrides from, derived from the database at every start. */
static enum jm_rc theme_write(const char *dir, const struct site_theme_file *f, size_t n,
                              struct jm_err *err)
{
	if ((nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		jm_err_set(err, "theme", "cannot empty %s: %s", dir, strerror(errno));
		return JM_IO;
	}
	size_t dl = strlen(dir);
	for (size_t i = 0; i < n; i++) {
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, f[i].name);
		if (!make_parents(path, dl) || !write_all(path, f[i].body, f[i].len)) {
			jm_err_set(err, "theme", "cannot write %s: %s", path, strerror(errno));
			return JM_IO;
		}
	}
	return JM_OK;
}

enum jm_rc app_node_theme(struct app *app, char *dir, size_t dirlen, struct jm_err *err)
{
	struct db *db = NULL;
	char own[1100], ver[256];
	snprintf(own, sizeof(own), "%s/theme", app->cfg.data_dir);
	snprintf(dir, dirlen, "%s", own);
	enum jm_rc rc = db_open(app->cfg.db_url, &db, err);
	if (rc)
		return rc;
	if (db_schema_version(db, ver, sizeof(ver)) == JM_OK && strcmp(ver, "0013") < 0)
		goto out; /* no theme_files yet: this node's own directory, as before */
	theme_store_dir(db, own, "", 0);
	struct arena *a = arena_new(64 * 1024);
	struct site_theme_file *f = NULL;
	size_t n = 0;
	rc = site_theme_list(db, a, &f, &n);
	snprintf(dir, dirlen, "%s/theme-shared", app->cfg.data_dir);
	if (rc)
		jm_err_set(err, "theme", "cannot read the theme from the database");
	else
		rc = theme_write(dir, f, n, err);
	arena_free(a);
out:
	db_close(db);
	return rc;
}

/* ---- the listener ---- */

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A listening connection and the generation it read after LISTEN (so a
 * change after that read is either notified or seen by the next poll). */
static struct db *listen_open(struct app_node *n, int64_t *gen)
{
	struct db *db = NULL;
	struct jm_err err = {0};
	if (db_open(n->app->cfg.db_url, &db, &err) != JM_OK)
		return NULL;
	if (db_listen(db, SITE_CONTENT_CHANNEL) != JM_OK || db_listen(db, MEDIA_CHANNEL) != JM_OK ||
	    site_content_gen(db, gen) != JM_OK) {
		db_close(db);
		return NULL;
	}
	return db;
}

/* Connecting failed: logged once per outage, retried after a pause. */
static void listen_retry(struct app_node *n)
{
	if (!n->outage)
		log_at(LOG_WARN, "node",
		       "content listener cannot open its connection; retrying every %d ms",
		       RECONNECT_MS);
	n->outage = true;
	sleep_ms(RECONNECT_MS);
}

/* Waits for notifications and polls the generation. Every (re)connection
 * after the first (made in app_node_start, before any page was served)
 * drops the cache: pages may have been cached from data a change this
 * thread could not see meanwhile had already replaced. */
static void *listen_main(void *arg)
{
	struct app_node *n = arg;
	struct db *db = n->listen_db;
	int64_t seen = n->listen_gen, gen = seen, next_poll = 0;
	while (!atomic_load(&n->stop)) {
		if (!db) {
			if (!(db = listen_open(n, &gen))) {
				listen_retry(n);
				continue;
			}
			n->outage = false;
			seen = gen;
			app_content_changed(n->app);
		}
		char ch[64], payload[256];
		enum jm_rc rc = db_wait_notify(db, LISTEN_WAIT_MS, ch, sizeof(ch), payload,
		                               sizeof(payload));
		/* Notifications come at once; the poll beside them only catches a
		 * bump whose notification was lost (a connection broken between
		 * the two), so there it need not query four times a second. */
		int64_t now = jm_now_ms();
		bool poll = db_engine(db) != DB_PG || rc == JM_OK || now >= next_poll;
		if (poll)
			next_poll = now + NOTIFY_POLL_MS;
		if ((rc != JM_OK && rc != JM_DONE) ||
		    (poll && site_content_gen(db, &gen) != JM_OK)) {
			log_at(LOG_WARN, "node",
			       "content listener lost its connection; reconnecting");
			db_close(db);
			db = NULL;
			continue;
		}
		if (rc == JM_OK && !strcmp(ch, MEDIA_CHANNEL)) {
			/* An image deleted on another node: this node's copy goes. */
			char dir[1100];
			snprintf(dir, sizeof(dir), "%s/media", n->app->cfg.data_dir);
			media_cache_drop(dir, payload);
		} else if (rc == JM_OK || gen != seen) {
			app_content_changed(n->app);
		}
		seen = gen;
	}
	db_close(db);
	return NULL;
}

struct app_node *app_node_start(struct app *app)
{
	struct app_node *n = xcalloc(1, sizeof(*n));
	n->app = app;
	atomic_init(&n->stop, false);
	n->jobs[JOB_PUBLISH] = (struct cluster_job){.name = "publish", .key = LOCK_PUBLISH};
	n->jobs[JOB_NETWORK] = (struct cluster_job){.name = "network", .key = LOCK_NETWORK};
	/* The first generation is read here, before any page is cached: read
	 * later by the thread, a change made in between would count as the
	 * starting point and pages cached before it would stay stale. */
	n->listen_db = listen_open(n, &n->listen_gen);
	/* The listener must not take SIGINT/SIGTERM (it would end the process
	 * by default): they reach the thread that waits for them (http's main),
	 * even when one arrives before that thread has blocked them. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	n->listening = pthread_create(&n->listener, NULL, listen_main, n) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!n->listening)
		log_at(LOG_ERROR, "node",
		       "content listener not started: other nodes' changes "
		       "reach this node's cache only through its own writes");
	return n;
}

void app_node_stop(struct app_node *n)
{
	if (!n)
		return;
	atomic_store(&n->stop, true);
	if (n->listening)
		pthread_join(n->listener, NULL);
	for (int i = 0; i < JOB_COUNT; i++)
		db_close(n->jobs[i].db); /* releases the lock */
	free(n);
}

/* ---- cluster jobs ---- */

static void job_drop(struct cluster_job *j)
{
	if (j->held)
		log_at(LOG_WARN, "node", "event=cluster_lock_lost job=%s", j->name);
	db_close(j->db);
	j->db = NULL;
	j->held = false;
	j->retry_ms = jm_now_ms() + RECONNECT_MS;
}

/* The job's connection when this node holds its lock, else NULL. */
static struct db *job_acquire(struct app *app, struct cluster_job *j)
{
	if (!j->db) {
		struct jm_err err = {0};
		if (jm_now_ms() < j->retry_ms || db_open(app->cfg.db_url, &j->db, &err) != JM_OK) {
			if (!j->db)
				j->retry_ms = jm_now_ms() + RECONNECT_MS;
			return NULL;
		}
	}
	if (!j->held && (j->held = db_try_lock(j->db, j->key)))
		log_at(LOG_INFO, "node", "event=cluster_lock_taken job=%s", j->name);
	return j->held ? j->db : NULL;
}

/* After a failed run: keeps the connection (and the lock) if it still
 * answers, else drops both so a working node can take over. */
static void job_failed(struct cluster_job *j)
{
	int64_t one = 0;
	if (j->db && db_query_int(j->db, &one, 0, "SELECT 1", "") != JM_OK)
		job_drop(j);
}

void app_node_tick(struct app_node *n, void (*network)(struct app *, struct db *, bool *))
{
	struct cluster_job *pub = &n->jobs[JOB_PUBLISH], *net = &n->jobs[JOB_NETWORK];
	struct db *db = job_acquire(n->app, pub);
	int64_t count = 0;
	if (db && site_publish_due(db, jm_now(), &count) != JM_OK) {
		log_at(LOG_WARN, "site", "scheduled publications not announced; will retry");
		job_failed(pub);
	}
	if (count)
		app_content_changed(n->app);
	if ((db = job_acquire(n->app, net))) {
		bool ok = true;
		network(n->app, db, &ok);
		if (!ok)
			job_failed(net);
	}
}
