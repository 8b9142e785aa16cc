/*
 * Loop state shared by the server's transports (HTTP and WebSocket).
 * Everything here is touched by the event loop thread only.
 */
#ifndef DPA_SERVER_INTERNAL_H
#define DPA_SERVER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <libwebsockets.h>

#include "auth/apps.h"
#include "core/call.h"
#include "core/hmap.h"
#include "auth/jwt.h"
#include "auth/tokencache.h"
#include "core/plan.h"
#include "core/room.h"
#include "server/server.h"
#include "store/worker.h"

typedef struct roomcache roomcache;
typedef struct metrics metrics;
typedef struct ws_session ws_session;

/* WebSocket limits and counters (DESIGN §8). */
typedef struct ws_stats {
    uint64_t connections;        /* open WebSocket connections */
    uint64_t sessions;           /* sessions, including those in grace */
    uint64_t frames_in;
    uint64_t events_out;
    uint64_t signals_relayed;
    uint64_t rate_limited;
    uint64_t slow_readers;       /* dropped for not reading */
    uint64_t sessions_evicted;   /* sessions in the grace ended by the per-user cap */
} ws_stats;

/* Someone waiting for the app registry to be re-read (an unknown kid or app). */
typedef struct reload_waiter {
    struct reload_waiter *next;
    void (*resume)(struct reload_waiter *w);
} reload_waiter;

typedef struct server {
    struct lws_context *ctx;
    void *loop;                  /* the uv_loop_t lws runs on */
    struct lws_vhost *vhost;
    const server_config *cfg;
    const plan_set *plans;
    store_worker *worker;
    app_registry *apps;          /* current snapshot; replaced whole */
    tokcache *tokens;            /* verified tokens; emptied with each new snapshot */
    roomcache *rooms;
    metrics *metrics;
    int64_t rooms_total;         /* rooms in the store, for /metrics */
    bool reload_running;
    reload_waiter *reload_waiters;
    lws_sorted_usec_list_t sul_reload;
    lws_sorted_usec_list_t sul_drain;
    bool draining;
    uint64_t drain_started_ns;
    uint64_t next_request_id;
    size_t http_in_flight;       /* requests read and not yet answered */
    int fd_ceiling;              /* a new socket numbered this high is refused */
#define LISTEN_FDS_MAX 4
    int listen_fds[LISTEN_FDS_MAX];  /* lws's listening sockets, shut down when draining */
    int nlisten;
    int inert_peers[LISTEN_FDS_MAX]; /* kept open while the listeners are made inert */
    uint64_t refused_at_fd_limit;
    char refuse_reply[384];      /* the 503 sent to them, made on first use */
    size_t refuse_len;
    uint64_t refused_logged_ns;

    /* Live calls (live.c). */
    hmap *live_by_room;          /* roomId -> live_call */
    hmap *live_by_call;          /* callId -> live_call */
    uint64_t calls_total;
    uint64_t writes_submitted;   /* call-record writes, numbered in submission order */
    uint64_t writes_done;        /* the last of them completed (they complete in order) */
    struct after_writes *after_writes;  /* acknowledgements waiting for a write */
    lws_dll2_owner_t held;       /* sessions with output waiting for a write */

    /* WebSocket sessions (ws/). */
    hmap *sessions;              /* "%llx" id -> ws_session */
    hmap *sessions_by_token;     /* resume token -> ws_session */
    hmap *users;                 /* appId + '\x1f' + userId -> its counts (ws/caps.c) */
    uint64_t next_session_id;
    lws_dll2_owner_t ws_conns;   /* open WebSockets, for the keep-alive sweep */
    lws_sorted_usec_list_t sul_ws_sweep;
    ws_stats ws;
} server;

server *server_of(struct lws *wsi);

/*
 * Makes the loop's in-memory state (caches, live calls, sessions, users)
 * and frees it with everything in it (apps included). server_run uses them;
 * so do harnesses that drive the server without sockets.
 */
void server_state_init(server *srv, size_t rooms_cached, size_t tokens_cached);
void server_state_free(server *srv);

/*
 * Verifies a bearer token against the current apps. When the token names
 * an app or key the loop does not know yet, the registry is re-read first:
 * then the function returns 1 and calls waiter->resume later (the caller
 * must call server_auth again from there). Otherwise returns 0 with *e
 * E_OK or E_UNAUTHORIZED (and *why). With cache, a verified token is kept
 * for the next request that carries it (REST); a WebSocket authenticates
 * once per connection and does not fill the cache.
 */
int server_auth(server *srv, const char *token, identity *id, dpa_err *e, const char **why,
                reload_waiter *waiter, bool retried, bool cache);

/* Submits a job to the store worker. */
void server_submit(server *srv, store_job *job);

/* ---- live calls (live.c) ---- */

live_call *live_find(server *srv, const char *room_id);
live_call *live_find_call(server *srv, const char *call_id);
/*
 * Finds or makes the live state of a room of app_id and calls
 * fn(arg, lc, e) on the loop: at once when the room is in memory, after a
 * store read otherwise. lc is NULL when there is no such room in that app
 * (e is E_ROOM_NOT_FOUND) or when the store could not say (e is its error,
 * E_STORE_UNAVAILABLE when the database fails); else e is E_OK.
 */
void live_open(server *srv, const char *app_id, const char *room_id, const plan *p,
               void (*fn)(void *arg, live_call *lc, dpa_err e), void *arg);
/*
 * Runs fn(arg) once every call-record write up to seq (a lc->write_seq) has
 * committed: at once when it has. An acknowledgement that reports a change
 * of a live call (JOINED, a moderation 2xx) waits for the write it implies.
 */
void live_after_writes(server *srv, uint64_t seq, void (*fn)(void *arg), void *arg);
/* Frees lc when nobody is in, waiting, asking or watching. */
void live_reap(server *srv, live_call *lc);
/* A committed PATCH (r is borrowed) or DELETE of a room. */
void live_room_patched(server *srv, const room *r);
void live_room_deleted(server *srv, const char *room_id);
void live_free_all(server *srv);
/* The app registry was replaced: every live call takes its app's current plan. */
void live_apps_changed(server *srv);
/* Totals for /metrics. */
void live_totals(server *srv, uint64_t *calls, uint64_t *participants, uint64_t *waiting);

/* ---- WebSocket (ws/) ---- */

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                size_t len);
size_t ws_pss_size(void);
/*
 * Sends event to a session (adds its seq; kept for resume). It goes out once
 * the call-record write numbered after has committed (0: no wait).
 */
void ws_emit(server *srv, uint64_t session, struct json_object *ev, uint64_t after);
/* Sends the held output whose writes have committed (srv->writes_done). */
void ws_release_held(server *srv);
/* Closes every session (shutdown); connections get 1012. */
void ws_shutdown(server *srv);
void ws_free_all(server *srv);
/* The app registry was replaced: every session takes its app's current plan. */
void ws_apps_changed(server *srv);

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

/* Requests lws's parser hands over as raw sockets (http/fallback.c). */
int http_fallback_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                           void *in, size_t len);
size_t http_fallback_pss_size(void);
#define HTTP_FALLBACK_PROTOCOL "http-fallback"

/* lws's header buffer and per-header limits (http/headers.c). */
#define HTTP_HEADERS_MAX (16 * 1024)
const struct lws_token_limits *http_token_limits(void);

#endif
