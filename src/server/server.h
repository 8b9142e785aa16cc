/* The droponaird server: configuration and the entry point `serve` calls. */
#ifndef DPA_SERVER_SERVER_H
#define DPA_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <libwebsockets.h>

#include "auth/ice.h"
#include "core/plan.h"
#include "store/store.h"

#define CORS_ORIGINS_MAX 16
/* A node id: 1 to 63 bytes of [A-Za-z0-9._-]. */
#define NODE_ID_MAX 64

typedef struct server_config {
    char listen_host[128];
    int port;                     /* 0: any free port (printed at start) */
    const char *tls_cert;         /* both set: HTTPS/WSS */
    const char *tls_key;
    const char *cors_origins[CORS_ORIGINS_MAX]; /* "*" allows any */
    int ncors;
    size_t max_body;              /* HTTP body limit, bytes */
    int header_timeout_s;         /* time to send headers and body */
    int apps_poll_ms;             /* how often apps/keys are re-read */
    int ws_grace_ms;              /* how long a dropped session may resume */
    size_t ws_queue_max;          /* outbound bytes before a client counts as stuck */
    int ws_rate;                  /* commands per second per connection ... */
    int ws_burst;                 /* ... with bursts up to this many */
    int ws_conns_per_user;
    int ws_ping_s;                /* ping a WebSocket silent this long ... */
    int ws_idle_s;                /* ... and close it when silent this long */
    ice_config ice;               /* STUN/TURN handed to clients */
    bool dev;
    bool loop_uv;                 /* libuv (epoll) under lws; false: lws's own poll() */
    char node_id[NODE_ID_MAX];    /* names this process in logs, metrics, /healthz */
    bool reuse_port;              /* SO_REUSEPORT: several processes listen on one port */
    /*
     * Other processes use the same store (cluster mode): calls left open in
     * it are not this process's to end at start (the call-ownership step
     * ends a dead node's calls when its lease expires).
     */
    bool shared_store;
    const char *redis_url;        /* redis://host:port[/db]: cluster mode (src/cluster/) */
    char redis_password[256];     /* --redis-password-file: AUTH with it ("": the URL's, if any) */
    int call_lease_ms;            /* cluster mode: a call's lease; takeover after a crash within it */
    /*
     * --ops-listen: a second listener (plain HTTP) for the protocols marked
     * `ops`: /healthz and /metrics, which then leaves the public port.
     */
    bool ops_listen;
    char ops_host[128];
    int ops_port;                 /* 0: any free port (printed at start) */
    /*
     * The store's URL: the webhook sender (src/hooks/) opens its own handle
     * on it, off the loop and beside the store worker. NULL: no sender.
     */
    const char *db_url;
    int history_days;             /* call history is kept this long */
    int64_t history_keep_ms;      /* tests: instead of history_days when > 0 */
    int purge_every_ms;           /* how often history and the outbox are purged */
    int hook_timeout_ms;          /* one delivery attempt, connecting included */
    int hook_backoff_ms;          /* the first retry's delay; it doubles, up to 3600 times it */
    int64_t hook_give_up_ms;      /* retries stop this long after the event (then: failed) */
    int hook_concurrency;         /* deliveries in flight per app (per process) */
} server_config;

/* Defaults of DESIGN §8. */
void server_config_defaults(server_config *cfg);
/* Whether id is a valid node id (see NODE_ID_MAX). */
bool server_node_id_valid(const char *id);
/* Writes a generated node id, "<hostname>-<pid>", into out. */
void server_node_id_generate(char *out, size_t len);

typedef struct server server;

/*
 * A protocol the loop serves (HTTP, WebSocket, ...), handed to server_run
 * by the composition (cli/serve.c). The loop names no protocol: it gives
 * lws the callbacks and calls the hooks at the moments of its own life.
 * Every hook is optional; `state` is what start returned.
 */
typedef struct server_protocol {
    const char *name;                /* the lws protocol name */
    /*
     * NULL for a module that serves no lws connections (the cluster link):
     * it lives on the loop through its hooks alone. protocols[0] has one.
     */
    lws_callback_function *callback;
    size_t pss_size;                 /* per-connection data lws allocates */
    /*
     * Also served on the operations listener (--ops-listen). When it is
     * set, protocols[0] must be one of these (it hears the loop's events
     * there too).
     */
    bool ops;
    size_t rx_buffer_size;           /* 0: lws's default */
    /* Adds the protocol's settings to the lws context (before it exists). */
    void (*configure)(const server_config *cfg, struct lws_context_creation_info *info);
    /*
     * Makes the protocol's state; it may register metrics, health fields, a
     * call delivery or a room bus. The libuv loop (srv->loop) exists; the
     * lws context does not yet, and the loop has not started running.
     */
    void *(*start)(server *srv);
    /* The app registry was replaced. */
    void (*apps_changed)(void *state);
    /* SIGTERM: stop taking work, close what can be closed. */
    void (*drain)(void *state);
    /* Work in flight that draining waits for (requests, connections). */
    size_t (*busy)(void *state);
    /* After the loop ended: frees the state and everything in it. */
    void (*stop)(void *state);
} server_protocol;

#define SERVER_PROTOCOLS_MAX 6

/*
 * Runs the server with protocols[0..n) until SIGTERM or SIGINT, then
 * drains: stops taking new work, finishes in-flight store writes and
 * answers, and returns 0. protocols[0] also gets lws's context-wide
 * callbacks. It takes ownership of s (closed on return). Returns non-zero
 * when it cannot start.
 */
int server_run(const server_config *cfg, const plan_set *plans, store *s,
               const server_protocol *const *protocols, int n);

#endif
