/* The webhook sender's thread (sender.c) as hooks.c drives it from the loop. */
#ifndef DPA_HOOKS_INTERNAL_H
#define DPA_HOOKS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hooks/hooks.h"
#include "store/store.h"

/* What /metrics shows; a copy taken under the sender's lock. */
typedef struct hook_stats {
    /* This process's deliveries and attempts. */
    uint64_t delivered, failed, retried;
    uint64_t attempts_2xx, attempts_http_error, attempts_timeout, attempts_network_error;
    uint64_t in_flight;
    uint64_t store_errors;
    uint64_t calls_purged, events_purged;
    /* The outbox (every process's), read every second. */
    bool outbox_known;
    int64_t pending, failed_kept, oldest_pending_at;
} hook_stats;

typedef struct sender sender;

/*
 * Starts the thread on s (which it now owns: closed by sender_stop). cfg
 * is read, never written, and must outlive the sender. owner names this
 * process's leases (a prefix unique to this run).
 */
sender *sender_start(const server_config *cfg, store *s, const char *owner);

/* New deliveries may be due (store jobs committed): look soon. Any thread. */
void sender_kick(sender *t);

/* A copy of the counters. Any thread. */
void sender_stats(sender *t, hook_stats *out);

/*
 * Asks the thread to stop, without waiting (the loop calls it when
 * draining): transfers in flight are abandoned and their leases released
 * (they are sent again, by the next run or another process), outcomes
 * already known are recorded first.
 */
void sender_request_stop(sender *t);

/* Stops the thread (sender_request_stop, then waits for it), closes the store, frees t. */
void sender_stop(sender *t);

#endif
