/*
 * backup.c — GET /admin/backup.tar.gz (owner only): the backup archive of
 * `jinmyaku backup` (site_backup_write) as a download. The archive is
 * written on the worker pool (its own database connection) under DATA/
 * and read back there, then sent and removed; the loop thread only sends.
 * An archive larger than ADMIN_BACKUP_MAX is not sent (the page says to
 * use `jinmyaku backup` on the server): the answer is held in memory.
 */
#include <fcntl.h>
#include <unistd.h>

#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "site/site.h"

#define ADMIN_BACKUP_MAX (256u << 20)

struct backup_job {
	struct http_task job;
	const char *data_dir;
	struct buf out;
};

static void backup_job_free(void *p)
{
	struct backup_job *j = p;
	buf_free(&j->out);
	http_task_free(j);
}

/* Reads path into out (capped); JM_TOO_LARGE past the cap. */
static enum jm_rc read_all(const char *path, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return JM_IO;
	char chunk[64 * 1024];
	ssize_t got;
	enum jm_rc rc = JM_OK;
	while (!rc && (got = read(fd, chunk, sizeof(chunk))) > 0)
		rc = buf_append(out, chunk, (size_t)got);
	close(fd);
	return rc;
}

static void backup_work(struct db *db, void *data)
{
	struct backup_job *j = data;
	char path[1200], rnd[32];
	jm_random_token(rnd, 12);
	snprintf(path, sizeof(path), "%s/.backup-download-%s.tar.gz", j->data_dir, rnd);
	j->job.rc = site_backup_write(db, j->data_dir, path, &j->job.err);
	if (!j->job.rc)
		j->job.rc = read_all(path, &j->out);
	unlink(path);
}

static void backup_done(struct req *req, void *data)
{
	struct backup_job *j = data;
	if (j->job.rc == JM_TOO_LARGE) {
		admin_error(req, 413, "admin.backup.too_large");
		return;
	}
	if (j->job.rc) {
		admin_fail(req, j->job.err.msg[0] ? j->job.err.msg : "backup", j->job.rc);
		return;
	}
	char day[16];
	time_t now = (time_t)jm_now();
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	http_header(req, "content-disposition",
	            arena_sprintf(req->arena, "attachment; filename=\"jinmyaku-backup-%s.tar.gz\"",
	                          day));
	http_header(req, "cache-control", "no-store");
	log_at(LOG_INFO, "admin", "event=backup_download user=%lld bytes=%zu",
	       (long long)admin_user(req)->id, j->out.len);
	http_send(req, 200, "application/gzip", j->out.ptr, j->out.len);
}

static void backup_get(struct req *req)
{
	struct backup_job *j = http_task_new(sizeof(*j));
	j->data_dir = http_task_str(&j->job, req->app->cfg.data_dir);
	buf_init(&j->out, ADMIN_BACKUP_MAX);
	http_defer(req, backup_work, backup_done, j, backup_job_free);
}

void admin_backup_routes(struct router *r)
{
	router_add(r, "GET", "/admin/backup.tar.gz", backup_get, ROUTE_ADMIN | ROUTE_CSRF);
}
