/*
 * Loop state shared by the server's transports (HTTP now, WebSocket next).
 * Everything here is touched by the event loop thread only.
 */
#ifndef DPA_SERVER_INTERNAL_H
#define DPA_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <libwebsockets.h>

#include "auth/apps.h"
#include "auth/jwt.h"
#include "core/plan.h"
#include "core/room.h"
#include "server/server.h"
#include "store/worker.h"

typedef struct roomcache roomcache;
typedef struct metrics metrics;

/* Someone waiting for the app registry to be re-read (an unknown kid or app). */
typedef struct reload_waiter {
    struct reload_waiter *next;
    void (*resume)(struct reload_waiter *w);
} reload_waiter;

typedef struct server {
    struct lws_context *ctx;
    struct lws_vhost *vhost;
    const server_config *cfg;
    const plan_set *plans;
    store_worker *worker;
    app_registry *apps;          /* current snapshot; replaced whole */
    roomcache *rooms;
    metrics *metrics;
    int64_t rooms_total;         /* rooms in the store, for /metrics */
    bool reload_running;
    reload_waiter *reload_waiters;
    lws_sorted_usec_list_t sul_reload;
    lws_sorted_usec_list_t sul_drain;
    bool draining;
    uint64_t next_request_id;
    size_t http_in_flight;       /* requests read and not yet answered */
} server;

server *server_of(struct lws *wsi);

/*
 * Verifies a bearer token against the current apps. When the token names
 * an app or key the loop does not know yet, the registry is re-read first:
 * then the function returns 1 and calls waiter->resume later (the caller
 * must call server_auth again from there). Otherwise returns 0 with *e
 * E_OK or E_UNAUTHORIZED (and *why).
 */
int server_auth(server *srv, const char *token, identity *id, dpa_err *e, const char **why,
                reload_waiter *waiter, bool retried);

/* Submits a job to the store worker. */
void server_submit(server *srv, store_job *job);

/* ---- room cache (roomcache.c): rooms the loop has seen, by id ---- */

roomcache *roomcache_new(size_t max_entries);
void roomcache_free(roomcache *c);
/* The cached room or NULL. The cache keeps ownership. */
room *roomcache_get(roomcache *c, const char *room_id);
/* Takes ownership of r; replaces an older version, drops r if the cache has a newer one. */
void roomcache_put(roomcache *c, room *r);
void roomcache_remove(roomcache *c, const char *room_id);

/* ---- metrics (http/metrics.c) ---- */

metrics *metrics_new(void);
void metrics_free(metrics *m);
/* Counts one HTTP request on route (a template like "/api/rooms/{roomId}"). */
void metrics_http(metrics *m, const char *route, const char *method, int status,
                  uint64_t duration_ns);
/* Renders the Prometheus text; the caller frees. */
char *metrics_render(server *srv, size_t *len);

/* ---- HTTP transport (http/) ---- */

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len);
struct http_pss;
size_t http_pss_size(void);

#endif
