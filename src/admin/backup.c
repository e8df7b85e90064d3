/*
 * backup.c — GET /admin/backup.tar.gz (owner only): the backup archive of
 * `jinmyaku backup` (site_backup_write) as a download. The archive is
 * written on the worker pool (its own database connection) to a file in
 * DATA/tmp, then streamed from that file by the loop (http_send_file: the
 * archive is never held in memory, so its size has no cap but the disk)
 * and unlinked as soon as the sender has it open. The file's name starts
 * with "upload." so that a killed process's leftover is swept at the next
 * start like the spooled uploads (app.c spool_sweep).
 */
#include <unistd.h>

#include "admin/admin_int.h"

#include "app.h"
#include "auth/auth.h"
#include "site/site.h"

struct backup_job {
	struct http_task job;
	const char *data_dir;
	char path[1200];
};

static void backup_job_free(void *p)
{
	struct backup_job *j = p;
	if (j->path[0])
		unlink(j->path);
	http_task_free(j);
}

static void backup_work(struct db *db, void *data)
{
	struct backup_job *j = data;
	char rnd[32];
	jm_random_token(rnd, 12);
	snprintf(j->path, sizeof(j->path), "%s/tmp/upload.backup-%s.tar.gz", j->data_dir, rnd);
	j->job.rc = site_backup_write(db, j->data_dir, j->path, &j->job.err);
}

static void backup_done(struct req *req, void *data)
{
	struct backup_job *j = data;
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
	log_at(LOG_INFO, "admin", "event=backup_download user=%lld",
	       (long long)admin_user(req)->id);
	if (!http_send_file(req, 200, "application/gzip", j->path))
		admin_fail(req, "backup", JM_IO);
}

static void backup_get(struct req *req)
{
	struct backup_job *j = http_task_new(sizeof(*j));
	j->data_dir = http_task_str(&j->job, req->app->cfg.data_dir);
	http_defer(req, backup_work, backup_done, j, backup_job_free);
}

void admin_backup_routes(struct router *r)
{
	router_add(r, "GET", "/admin/backup.tar.gz", backup_get, ROUTE_ADMIN | ROUTE_CSRF);
}
