#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/util.h"
#include "store/internal.h"
#include "store/worker.h"

#define BATCH_MAX 512
#define CHECK_INTERVAL_MS 1000   /* files check; probe write while failing */

struct store_worker {
    store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;              /* on CLOCK_MONOTONIC */
    store_job *in_head, *in_tail;     /* submitted, waiting for the worker */
    store_job *out_head, *out_tail;   /* finished, waiting for the loop */
    bool stopping;
    size_t pending;                   /* loop thread only */
    void (*wake)(void *arg);
    void *wake_arg;

    /* Health: written by the worker, read by any thread, under lock. */
    store_health health;
    char why[192];
    int64_t since;                    /* epoch ms of the last change */

    uint64_t next_check_ns;           /* worker thread only (mono_ns) */
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

const char *
store_health_name(store_health h)
{
    return h == STORE_OK ? "ok" : h == STORE_FAILING ? "failing" : "lost";
}

store_health
worker_health(store_worker *w, char *why, size_t len, int64_t *since)
{
    store_health h;

    pthread_mutex_lock(&w->lock);
    h = w->health;
    if (why && len)
        snprintf(why, len, "%s", w->why);
    if (since)
        *since = w->since;
    pthread_mutex_unlock(&w->lock);
    return h;
}

/* Sets the health; returns the previous one. Worker thread. */
static store_health
set_health(store_worker *w, store_health h, const char *why)
{
    store_health was;

    pthread_mutex_lock(&w->lock);
    was = w->health;
    if (was != h)
        w->since = now_ms();
    w->health = h;
    snprintf(w->why, sizeof(w->why), "%s", why);
    pthread_mutex_unlock(&w->lock);
    return was;
}

/* The database refused work; logged once per episode, not per batch. */
static void
set_failing(store_worker *w, const char *err)
{
    char why[192];

    snprintf(why, sizeof(why), "the database cannot be written: %s", err);
    if (set_health(w, STORE_FAILING, why) == STORE_OK)
        store_log("error",
                  "msg=\"store failing: requests that need the database get 503 until a "
                  "write succeeds again\" err=\"%s\"",
                  err);
    w->next_check_ns = mono_ns() + CHECK_INTERVAL_MS * 1000000ull;
}

/* A file of the database is gone or not ours: stop for good and save a copy. */
static void
set_lost(store_worker *w, const char *why)
{
    char copy[1200];
    char msg[192];

    snprintf(msg, sizeof(msg), "%s; restart needed (docs/operations.md)", why);
    set_health(w, STORE_LOST, msg);
    store_log("error",
              "msg=\"database lost: no write is acknowledged until a restart\" why=\"%s\"", why);
    if (store_salvage(w->store, now_ms(), copy, sizeof(copy)) == E_OK)
        store_log("error",
                  "msg=\"saved a copy of the open database; the next start refuses to run "
                  "until it is moved into place or removed\" copy=\"%s\"",
                  copy);
    else
        store_log("error", "msg=\"cannot save a copy of the open database\" err=\"%s\"", copy);
}

/*
 * Every CHECK_INTERVAL_MS, between batches or when idle: are the files
 * still ours, and, while failing, does a write work again?
 */
static void
maintain(store_worker *w)
{
    char why[160];
    store_health h;
    int64_t since;

    if (mono_ns() < w->next_check_ns)
        return;
    w->next_check_ns = mono_ns() + CHECK_INTERVAL_MS * 1000000ull;
    h = worker_health(w, NULL, 0, &since);
    if (h == STORE_LOST)
        return;
    if (store_check_files(w->store, why, sizeof(why)) != E_OK) {
        set_lost(w, why);
        return;
    }
    if (h != STORE_FAILING)
        return;
    if (store_probe(w->store, now_ms()) == E_OK) {
        set_health(w, STORE_OK, "");
        store_log("info", "msg=\"store recovered: writes work again\" failing_ms=%lld",
                  (long long)(now_ms() - since));
    } else {
        set_failing(w, store_errmsg(w->store));
    }
}

static void
fail_all(store_job *batch, dpa_err e)
{
    for (; batch; batch = batch->next)
        batch->result = e;
}

/*
 * Runs one batch in a transaction. A job that fails on its own rolls back
 * alone; when the database fails (under a job, or at begin or commit), or
 * its files are no longer ours, nothing of the batch is written and every
 * job gets the error.
 */
static void
run_batch(store_worker *w, store_job *batch)
{
    char why[160], err[192];
    store_job *j;
    dpa_err e;

    if (worker_health(w, NULL, 0, NULL) == STORE_LOST) {
        fail_all(batch, E_STORE_UNAVAILABLE);
        return;
    }
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
    /* Never acknowledge a write that went to a deleted or replaced file. */
    if (e == E_OK && store_check_files(w->store, why, sizeof(why)) != E_OK) {
        store_rollback(w->store);
        fail_all(batch, E_STORE_UNAVAILABLE);
        set_lost(w, why);
        return;
    }
    if (e == E_OK && (e = store_commit(w->store)) == E_OK)
        return;
    snprintf(err, sizeof(err), "%s", store_errmsg(w->store));
    store_rollback(w->store);
    fail_all(batch, e);
    if (e == E_STORE_UNAVAILABLE)
        set_failing(w, err);
    else
        store_log("error", "msg=\"store batch failed\" err=\"%s\"", err);
}

/* The absolute CLOCK_MONOTONIC time of the next check, for the timed wait. */
static struct timespec
check_deadline(const store_worker *w)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(w->next_check_ns / 1000000000ull);
    ts.tv_nsec = (long)(w->next_check_ns % 1000000000ull);
    return ts;
}

static void *
worker_main(void *arg)
{
    store_worker *w = arg;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        store_job *batch, *last;
        int n = 1;

        while (!w->in_head && !w->stopping) {
            struct timespec ts = check_deadline(w);
            if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) == ETIMEDOUT)
                break;
        }
        if (!w->in_head && w->stopping)
            break;
        pthread_mutex_unlock(&w->lock);
        maintain(w);
        pthread_mutex_lock(&w->lock);
        if (!w->in_head)
            continue;
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
    pthread_condattr_t ca;

    w->store = s;
    w->wake = wake;
    w->wake_arg = arg;
    w->health = STORE_OK;
    w->since = now_ms();
    w->next_check_ns = mono_ns() + CHECK_INTERVAL_MS * 1000000ull;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
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
