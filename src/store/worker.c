#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"
#include "store/internal.h"
#include "store/worker.h"

#define BATCH_MAX 512

struct store_worker {
    store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    store_job *in_head, *in_tail;     /* submitted, waiting for the worker */
    store_job *out_head, *out_tail;   /* finished, waiting for the loop */
    bool stopping;
    size_t pending;                   /* loop thread only */
    void (*wake)(void *arg);
    void *wake_arg;
};

static void
append(store_job **head, store_job **tail, store_job *first, store_job *last)
{
    if (*tail)
        (*tail)->next = first;
    else
        *head = first;
    *tail = last;
}

static void
fail_all(store_job *batch, dpa_err e)
{
    for (; batch; batch = batch->next)
        batch->result = e;
}

/*
 * Runs one batch in a transaction. A job that fails on its own rolls back
 * alone; when the database fails (under a job, or at begin or commit),
 * nothing of the batch is written and every job gets the error.
 */
static void
run_batch(store_worker *w, store_job *batch)
{
    char err[192];
    store_job *j;
    dpa_err e;

    e = store_begin(w->store);
    for (j = batch; e == E_OK && j; j = j->next) {
        if ((e = store_savepoint(w->store)))
            break;
        j->result = E_OK;
        j->run(j, w->store);
        if (j->result == E_OK)
            store_savepoint_release(w->store);
        else if (j->result == E_STORE_UNAVAILABLE)
            e = E_STORE_UNAVAILABLE;
        else
            store_savepoint_rollback(w->store);
    }
    if (e == E_OK && (e = store_commit(w->store)) == E_OK)
        return;
    snprintf(err, sizeof(err), "%s", store_errmsg(w->store));
    store_rollback(w->store);
    fail_all(batch, e);
    store_log("error", "msg=\"store batch failed\" err=\"%s\"", err);
}

static void *
worker_main(void *arg)
{
    store_worker *w = arg;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        store_job *batch, *last;
        int n = 1;

        while (!w->in_head && !w->stopping)
            pthread_cond_wait(&w->cond, &w->lock);
        if (!w->in_head)
            break;
        /* Take up to BATCH_MAX jobs for one transaction. */
        batch = last = w->in_head;
        while (last->next && n < BATCH_MAX) {
            last = last->next;
            n++;
        }
        w->in_head = last->next;
        if (!w->in_head)
            w->in_tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&w->lock);

        run_batch(w, batch);

        pthread_mutex_lock(&w->lock);
        append(&w->out_head, &w->out_tail, batch, last);
        pthread_mutex_unlock(&w->lock);
        w->wake(w->wake_arg);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

store_worker *
worker_start(store *s, void (*wake)(void *arg), void *arg)
{
    store_worker *w = xcalloc(1, sizeof(*w));

    w->store = s;
    w->wake = wake;
    w->wake_arg = arg;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        fputs("droponaird: cannot start the store worker thread\n", stderr);
        abort();
    }
    return w;
}

void
worker_submit(store_worker *w, store_job *job)
{
    job->next = NULL;
    w->pending++;
    pthread_mutex_lock(&w->lock);
    append(&w->in_head, &w->in_tail, job, job);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int
worker_complete(store_worker *w)
{
    store_job *j, *next;
    int n = 0;

    pthread_mutex_lock(&w->lock);
    j = w->out_head;
    w->out_head = w->out_tail = NULL;
    pthread_mutex_unlock(&w->lock);
    for (; j; j = next) {
        next = j->next;
        w->pending--;
        j->done(j);
        n++;
    }
    return n;
}

size_t
worker_pending(const store_worker *w)
{
    return w->pending;
}

void
worker_stop(store_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    worker_complete(w);
    store_close(w->store);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w);
}
