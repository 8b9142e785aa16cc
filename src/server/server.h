/* The droponaird server: configuration and the entry point `serve` calls. */
#ifndef DPA_SERVER_SERVER_H
#define DPA_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/ice.h"
#include "core/plan.h"
#include "store/store.h"

#define CORS_ORIGINS_MAX 16

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
} server_config;

/* Defaults of DESIGN §8. */
void server_config_defaults(server_config *cfg);

/*
 * Runs the server until SIGTERM or SIGINT, then drains: stops taking new
 * work, finishes in-flight store writes and answers, and returns 0. It takes
 * ownership of s (closed on return). Returns non-zero when it cannot start.
 */
int server_run(const server_config *cfg, const plan_set *plans, store *s);

#endif
