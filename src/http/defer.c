/*
 * defer.c — pools of worker threads for slow work. A job runs on a worker
 * with the worker's own database connection; its result goes back to the
 * request's event loop through h2o's multithread queue, where the done
 * callback answers the request. If the request went away meanwhile (client
 * closed), done is skipped.
 *
 * Two pools: the general one (imports, exports, search, reports, map) has
 * an unbounded queue; the password-hashing pool has its own threads and a
 * bounded queue (max_queued jobs waiting or running), so a flood of
 * sign-ins can neither delay the owner's searches nor grow memory: past
 * the bound a job is refused at once and the caller answers 429.
 */
#include <pthread.h>

#include <h2o.h>
#include <h2o/multithread.h>

#include "http/http_int.h"

struct http_job {
	h2o_multithread_message_t msg; /* first: the queue hands it back */
	struct http_job *next;
	struct req *req;         /* NULL once the request is gone */
	struct http_job **guard; /* lives in the request pool */
	void *receiver;
	http_work_fn work;
	http_done_fn done;
	void *data;
	void (*free_data)(void *);
};

struct http_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct http_job *head, *tail;
	bool stop;
	int n;
	int max_queued; /* 0 = unbounded */
	int queued;     /* waiting or running */
	pthread_t *tids;
	char *db_url;
};

static struct http_job *pop(struct http_pool *p)
{
	pthread_mutex_lock(&p->mu);
	while (!p->head && !p->stop)
		pthread_cond_wait(&p->cv, &p->mu);
	struct http_job *j = p->head;
	if (j) {
		p->head = j->next;
		if (!p->head)
			p->tail = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	return j;
}

static void *worker_main(void *arg)
{
	struct http_pool *p = arg;
	struct db *db = NULL;
	struct jm_err err = {0};
	if (db_open(p->db_url, &db, &err) != JM_OK)
		log_at(LOG_ERROR, "http", "worker cannot open db: %s", err.msg);
	struct http_job *j;
	while ((j = pop(p))) {
		if (db)
			j->work(db, j->data);
		pthread_mutex_lock(&p->mu);
		p->queued--;
		pthread_mutex_unlock(&p->mu);
		http_post_done(j->receiver, j);
	}
	db_close(db);
	return NULL;
}

struct http_pool *http_pool_new(const char *db_url, int nthreads, int max_queued)
{
	struct http_pool *p = xcalloc(1, sizeof(*p));
	p->max_queued = max_queued;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->db_url = xstrdup(db_url);
	p->n = nthreads;
	p->tids = xcalloc((size_t)nthreads, sizeof(pthread_t));
	for (int i = 0; i < nthreads; i++)
		pthread_create(&p->tids[i], NULL, worker_main, p);
	return p;
}

void http_pool_free(struct http_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->tids[i], NULL);
	free(p->tids);
	free(p->db_url);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

static void guard_dispose(void *g)
{
	struct http_job *j = *(struct http_job **)g;
	if (j)
		j->req = NULL;
}

static bool enqueue(struct http_pool *p, struct req *req, http_work_fn work, http_done_fn done,
                    void *data, void (*free_data)(void *))
{
	pthread_mutex_lock(&p->mu);
	bool full = p->max_queued > 0 && p->queued >= p->max_queued;
	if (!full)
		p->queued++;
	pthread_mutex_unlock(&p->mu);
	if (full)
		return false;
	struct http_job *j = xcalloc(1, sizeof(*j));
	j->req = req;
	j->receiver = http_req_receiver(req);
	j->work = work;
	j->done = done;
	j->data = data;
	j->free_data = free_data;
	j->guard = http_req_on_dispose(req, sizeof(*j->guard), guard_dispose);
	*j->guard = j;
	pthread_mutex_lock(&p->mu);
	if (p->tail)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return true;
}

void http_defer(struct req *req, http_work_fn work, http_done_fn done, void *data,
                void (*free_data)(void *))
{
	(void)enqueue(http_req_pool(req, false), req, work, done, data, free_data);
}

bool http_defer_hash(struct req *req, http_work_fn work, http_done_fn done, void *data,
                     void (*free_data)(void *))
{
	return enqueue(http_req_pool(req, true), req, work, done, data, free_data);
}

void http_pool_finish(struct http_job *j)
{
	if (j->req) {
		*j->guard = NULL;
		j->done(j->req, j->data);
	}
	if (j->free_data)
		j->free_data(j->data);
	free(j);
}

void *http_task_new(size_t size)
{
	struct http_task *j = xcalloc(1, size);
	j->a = arena_new(1 << 14);
	return j;
}

void http_task_free(void *job)
{
	struct http_task *j = job;
	arena_free(j->a);
	free(j);
}

const char *http_task_str(struct http_task *j, const char *s)
{
	return s ? arena_strdup(j->a, s) : NULL;
}
