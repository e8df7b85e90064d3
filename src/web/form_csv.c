/*
 * form_csv.c — an ask's results as a CSV download (UTF-8 with BOM or
 * Shift_JIS), made on the worker pool: the admin's and the API's export
 * send the same bytes with the same headers; each refuses in its own words.
 */
#include <stdio.h>
#include <string.h>

#include "forms/forms.h"
#include "http/http.h"
#include "web/web.h"

/* The buffer may grow to this (100,000 answers take about 20 MB). */
#define EXPORT_CAP (512u << 20)

struct csv_job {
	struct http_task job;
	int64_t form_id;
	const char *key, *value;
	unsigned flags;
	bool sjis;
	size_t substituted;
	struct buf out;
	web_form_csv_refuse refuse;
};

static enum jm_rc to_buf(const char *p, size_t len, void *user)
{
	return buf_append(user, p, len);
}

static void csv_work(struct db *db, void *data)
{
	struct csv_job *j = data;
	j->job.rc = forms_results_csv(db, j->form_id, j->key, j->value, j->flags, j->sjis, to_buf,
	                              &j->out, &j->substituted, &j->job.err);
}

static void csv_done(struct req *req, void *data)
{
	struct csv_job *j = data;
	if (j->job.rc) {
		j->refuse(req, j->job.rc, &j->job.err);
		return;
	}
	char n[24];
	snprintf(n, sizeof(n), "%zu", j->substituted);
	http_header(req, "cache-control", "no-store");
	http_header(req, "x-substituted", arena_strdup(req->arena, n));
	http_header(req, "content-disposition",
	            arena_sprintf(req->arena, "attachment; filename=\"form-%lld-answers%s.csv\"",
	                          (long long)j->form_id, j->sjis ? "-sjis" : ""));
	http_send_buf(req, 200, j->sjis ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8",
	              &j->out);
}

static void csv_free(void *data)
{
	struct csv_job *j = data;
	buf_free(&j->out);
	http_task_free(j);
}

void web_form_csv(struct req *req, int64_t form_id, const char *key, const char *value,
                  unsigned flags, bool sjis, web_form_csv_refuse refuse)
{
	struct csv_job *j = http_task_new(sizeof(*j));
	j->form_id = form_id;
	j->key = http_task_str(&j->job, key);
	j->value = http_task_str(&j->job, value);
	j->flags = flags;
	j->sjis = sjis;
	j->refuse = refuse;
	buf_init(&j->out, EXPORT_CAP);
	http_defer(req, csv_work, csv_done, j, csv_free);
}
