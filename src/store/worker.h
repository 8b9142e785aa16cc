/*
 * The store worker: one thread that owns the store handle and runs jobs
 * submitted from the event loop. Jobs that are queued together run in one
 * transaction with one commit (group commit): each job in its own savepoint,
 * so a job that fails rolls back alone. When the batch has committed, the
 * worker queues the jobs for the loop and calls `wake`; the loop then calls
 * worker_complete(), which runs each job's `done` on the loop thread.
 *
 * The worker also keeps the store's health, which any thread may read
 * (worker_health) without waiting on the database:
 * - STORE_OK.
 * - STORE_FAILING: the database refused work (disk full, I/O error, locked
 *   past the busy timeout). Jobs still run, each batch a new attempt; every
 *   second a one-row probe write checks whether writes work again, and the
 *   first that commits makes the store OK again.
 * - STORE_LOST: a file of the database was deleted or replaced under us
 *   (checked before every commit and every second). From then on no job
 *   runs; a copy of the database as it was open is saved beside it
 *   (store_salvage) and only a restart, after an operator has looked, can
 *   serve again (docs/operations.md).
 * A job that fails because of the database gets E_STORE_UNAVAILABLE.
 */
#ifndef DPA_STORE_WORKER_H
#define DPA_STORE_WORKER_H

#include <stddef.h>

#include "store/store.h"

typedef struct store_job store_job;

struct store_job {
    store_job *next;
    /*
     * Runs on the worker thread inside the batch's transaction. It sets
     * job->result; anything but E_OK rolls back this job's writes.
     */
    void (*run)(store_job *job, store *s);
    /*
     * Runs on the loop thread after the batch committed, or failed: then
     * result is E_STORE_UNAVAILABLE (the database failed; nothing of the
     * batch was written) or E_INTERNAL. It owns the job and frees it.
     */
    void (*done)(store_job *job);
    dpa_err result;
};

typedef struct store_worker store_worker;

/* Starts the worker on s (which it now owns). wake(arg) runs on the worker thread. */
store_worker *worker_start(store *s, void (*wake)(void *arg), void *arg);

/* Queues a job. Loop thread only. */
void worker_submit(store_worker *w, store_job *job);

/* Runs `done` for every finished job. Loop thread only. Returns how many. */
int worker_complete(store_worker *w);

/* Jobs submitted and not yet completed. Loop thread only. */
size_t worker_pending(const store_worker *w);

typedef enum store_health { STORE_OK, STORE_FAILING, STORE_LOST } store_health;

/* "ok", "failing" or "lost". */
const char *store_health_name(store_health h);

/*
 * The store's health as the worker last saw it; any thread, never blocks
 * on the database. When not OK, why gets a sentence (no file paths) and
 * *since the epoch ms of the change (either may be NULL).
 */
store_health worker_health(store_worker *w, char *why, size_t len, int64_t *since);

/*
 * Runs what is queued, stops the thread, completes every job, closes the
 * store and frees the worker.
 */
void worker_stop(store_worker *w);

#endif
