/*
 * The event loop: one libwebsockets context on libuv (or lws's own poll
 * loop), one vhost serving the protocols the composition hands it, the
 * store worker, the app registry and its reloads, signals and draining.
 * It names no protocol: HTTP and WebSocket reach it as server_protocol
 * tables (server.h).
 */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/util.h"
#include "server/internal.h"
#include "server/log.h"

/* Descriptors kept free for the store, libuv and lws (see refuse_near_fd_limit). */
#define FD_RESERVE 64

static volatile sig_atomic_t stop_requested;
static struct lws_context *signal_ctx;

void
server_config_defaults(server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof(cfg->listen_host), "127.0.0.1");
    cfg->port = 8080;
    cfg->max_body = 64 * 1024;
    cfg->header_timeout_s = 10;
    cfg->apps_poll_ms = 1000;
    cfg->ws_grace_ms = 15000;
    cfg->call_lease_ms = 5000;
    cfg->ws_queue_max = 1024 * 1024;
    cfg->ws_rate = 200;
    cfg->ws_burst = 1000;
    cfg->ws_conns_per_user = 5;
    cfg->ws_ping_s = 20;
    cfg->ws_idle_s = 60;
    cfg->loop_uv = true;
    cfg->history_days = 30;
    cfg->purge_every_ms = 60000;
    cfg->hook_timeout_ms = 10000;
    cfg->hook_backoff_ms = 1000;
    cfg->hook_give_up_ms = 24LL * 3600 * 1000;
    cfg->hook_concurrency = 4;
    ice_config_defaults(&cfg->ice);
}

bool
server_node_id_valid(const char *id)
{
    size_t n = strlen(id), i;

    if (n == 0 || n >= NODE_ID_MAX)
        return false;
    for (i = 0; i < n; i++)
        if (!(isalnum((unsigned char)id[i]) || id[i] == '.' || id[i] == '_' || id[i] == '-'))
            return false;
    return true;
}

void
server_node_id_generate(char *out, size_t len)
{
    char host[256] = "node";
    size_t i;

    if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
        snprintf(host, sizeof(host), "node");
    host[40] = '\0';
    for (i = 0; host[i]; i++)
        if (!(isalnum((unsigned char)host[i]) || host[i] == '.' || host[i] == '-'))
            host[i] = '-';
    snprintf(out, len, "%s-%ld", host, (long)getpid());
}

server *
server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

void
server_submit(server *srv, store_job *job)
{
    if (!srv->worker) {
        /* After the worker stopped (the last steps of a shutdown): nothing is written. */
        job->result = E_STORE_UNAVAILABLE;
        job->done(job);
        return;
    }
    worker_submit(srv->worker, job);
}

/* ---- app registry reloads ---- */

typedef struct reload_job {
    store_job job;
    server *srv;
    bool force;
    app_registry *loaded;   /* NULL: nothing changed */
} reload_job;

static void
reload_run(store_job *job, store *s)
{
    reload_job *rj = (reload_job *)job;
    bool changed = false;

    job->result = store_changed(s, &changed);
    if (job->result == E_OK && (changed || rj->force))
        job->result = store_apps_load(s, &rj->loaded);
}

static void
reload_done(store_job *job)
{
    reload_job *rj = (reload_job *)job;
    server *srv = rj->srv;
    reload_waiter *w, *next;

    if (rj->loaded) {
        apps_index(rj->loaded, srv->plans);
        apps_free(srv->apps);
        srv->apps = rj->loaded;
        tokcache_clear(srv->tokens);
        /* A plan change applies at once to live calls and open sessions. */
        live_apps_changed(srv);
        for (int i = 0; i < srv->nprotos; i++)
            if (srv->protos[i].p->apps_changed)
                srv->protos[i].p->apps_changed(srv->protos[i].state);
        dlog(LOG_INFO, "msg=\"apps reloaded\" apps=%d keys=%d", srv->apps->napps,
             srv->apps->nkeys);
    }
    srv->reload_running = false;
    w = srv->reload_waiters;
    srv->reload_waiters = NULL;
    free(rj);
    for (; w; w = next) {
        next = w->next;
        w->resume(w);
    }
}

static void
start_reload(server *srv, bool force)
{
    reload_job *rj;

    if (srv->reload_running)
        return;
    rj = xcalloc(1, sizeof(*rj));
    rj->job.run = reload_run;
    rj->job.done = reload_done;
    rj->srv = srv;
    rj->force = force;
    srv->reload_running = true;
    server_submit(srv, &rj->job);
}

static void
reload_timer(lws_sorted_usec_list_t *sul)
{
    server *srv = lws_container_of(sul, server, sul_reload);

    if (srv->draining)
        return;
    start_reload(srv, false);
    lws_sul_schedule(srv->ctx, 0, &srv->sul_reload, reload_timer,
                     (lws_usec_t)srv->cfg->apps_poll_ms * LWS_US_PER_MS);
}

int
server_auth(server *srv, const char *token, identity *id, dpa_err *e, dpa_error *d,
            reload_waiter *waiter, bool retried, bool cache)
{
    bool unknown = false;
    int64_t now_s = (int64_t)(now_ms() / 1000);
    const char *why = NULL;

    if (tokcache_get(srv->tokens, token, now_s, id)) {
        *e = E_OK;
        return 0;
    }
    *e = auth_verify(srv->apps, token, now_s, id, &why, &unknown);
    if (*e != E_OK)
        error_set(d, *e, NULL, "%s", why ? why : "invalid token");
    if (*e == E_OK && cache)
        tokcache_put(srv->tokens, token, id);
    if (*e != E_OK && unknown && !retried && !srv->draining) {
        waiter->next = srv->reload_waiters;
        srv->reload_waiters = waiter;
        start_reload(srv, false);
        return 1;
    }
    return 0;
}

/* ---- loop wake-ups, signals, draining ---- */

static void
wake_loop(void *arg)
{
    lws_cancel_service((struct lws_context *)arg);
}

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (signal_ctx)
        lws_cancel_service(signal_ctx);
}

/* Requests and connections the protocols still have. */
static size_t
protocols_busy(server *srv)
{
    size_t n = 0;
    int i;

    for (i = 0; i < srv->nprotos; i++)
        if (srv->protos[i].p->busy)
            n += srv->protos[i].p->busy(srv->protos[i].state);
    return n;
}

static int
drained(server *srv)
{
    return worker_pending(srv->worker) == 0 && protocols_busy(srv) == 0;
}

/*
 * While draining: every 100 ms, stop the libuv loop once everything is
 * answered (or the deadline passed), so lws_service() returns to server_run.
 */
static void
drain_tick(lws_sorted_usec_list_t *sul)
{
    server *srv = lws_container_of(sul, server, sul_drain);

    if (srv->worker)
        worker_complete(srv->worker);
    if (drained(srv) || mono_ns() - srv->drain_started_ns > 10ull * 1000000000u) {
        if (srv->loop)
            uv_stop(srv->loop);
        return;
    }
    lws_sul_schedule(srv->ctx, 0, &srv->sul_drain, drain_tick, 100 * LWS_US_PER_MS);
}

/*
 * lws 4.1 has no call to stop listening; the listening sockets it made are
 * found once at start (sockets with SO_ACCEPTCONN) and shut down when
 * draining: new connections are refused by the kernel instead of being
 * accepted and reset at exit. The descriptors stay lws's to close.
 */
static void
find_listeners(server *srv)
{
    int fd, on;
    socklen_t len;

    srv->nlisten = 0;
    for (fd = 0; fd < 1024 && srv->nlisten < LISTEN_FDS_MAX; fd++) {
        len = sizeof(on);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
            srv->listen_fds[srv->nlisten++] = fd;
    }
}

/* Stops libuv polling a listening socket (lws's uv_poll_t for it). */
static void
stop_listener_poll(uv_handle_t *h, void *arg)
{
    server *srv = arg;
    uv_os_fd_t fd;
    int i;

    if (h->type != UV_POLL || uv_is_closing(h) || uv_fileno(h, &fd) != 0)
        return;
    for (i = 0; i < srv->nlisten; i++)
        if (srv->listen_fds[i] == fd)
            uv_poll_stop((uv_poll_t *)h);
}

static void
stop_listening(server *srv)
{
    int i;

    /*
     * A shut-down listening socket polls readable (HUP) and accept() fails
     * with EINVAL: stop polling it first, or lws would retry in a loop. With
     * lws's own poll loop (--event-loop poll) there is no handle to stop:
     * the listener stays open and new requests get 503 until exit.
     */
    if (!srv->loop)
        return;
    uv_walk(srv->loop, stop_listener_poll, srv);
    for (i = 0; i < srv->nlisten; i++) {
        /*
         * lws may start polling the socket again (it re-enables accepting
         * as connections close), so the descriptor is made inert rather
         * than shut down: one end of a socket pair whose other end we keep
         * open is never readable. dup2 closes the listening socket itself,
         * and the kernel refuses new connections to the port.
         */
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            shutdown(srv->listen_fds[i], SHUT_RDWR);
            continue;
        }
        dup2(sv[0], srv->listen_fds[i]);
        close(sv[0]);
        srv->inert_peers[i] = sv[1];
    }
    srv->nlisten = 0;
}

static void
start_draining(server *srv)
{
    stop_listening(srv);
    srv->draining = true;
    srv->drain_started_ns = mono_ns();
    lws_sul_schedule(srv->ctx, 0, &srv->sul_drain, drain_tick, 100 * LWS_US_PER_MS);
    dlog(LOG_INFO, "msg=\"draining\" in_flight=%zu", protocols_busy(srv));
    /* Last first: the cluster link hands calls over before the WebSocket layer ends sessions. */
    for (int i = srv->nprotos - 1; i >= 0; i--)
        if (srv->protos[i].p->drain)
            srv->protos[i].p->drain(srv->protos[i].state);
}

/*
 * Near the file-descriptor limit a new connection is answered 503 and
 * closed at once. The kernel hands out the lowest free descriptor, so a
 * new socket numbered within FD_RESERVE of the limit means fewer than that
 * are left: the store, libuv and lws keep theirs, accept() never fails
 * with EMFILE (lws would retry that in a hot loop, logging each time) and
 * clients are refused promptly instead of hanging in the backlog. Service
 * resumes as soon as descriptors free up.
 */
bool
server_refuse_near_fd_limit(server *srv, int fd)
{
    if (fd < srv->fd_ceiling)
        return false;
    if (!srv->refuse_len) {
        /* Made once, with the same encoder as every other error. */
        dpa_error d;
        struct json_object *o = json_object_new_object();
        const char *body;
        int n;

        error_set(&d, E_UNAVAILABLE, NULL, "the server is at its connection limit");
        json_object_object_add(o, "error", error_json(E_UNAVAILABLE, &d));
        body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        n = snprintf(srv->refuse_reply, sizeof(srv->refuse_reply),
                     "HTTP/1.1 503 Service Unavailable\r\n"
                     "Content-Type: application/json\r\n"
                     "Retry-After: 5\r\n"
                     "Connection: close\r\n"
                     "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
        srv->refuse_len = n > 0 && (size_t)n < sizeof(srv->refuse_reply) ? (size_t)n : 0;
        json_object_put(o);
    }
    srv->refused_at_fd_limit++;
    if (mono_ns() - srv->refused_logged_ns > 10ull * 1000000000u) {
        /* One line per 10 s, however many are refused. */
        srv->refused_logged_ns = mono_ns();
        dlog(LOG_WARN, "msg=\"connection refused: at the file-descriptor limit\" fd=%d "
                       "refused_total=%llu", fd, (unsigned long long)srv->refused_at_fd_limit);
    }
    (void)!send(fd, srv->refuse_reply, srv->refuse_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    return true;
}

static int
server_protocol_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len)
{
    if (reason == LWS_CALLBACK_FILTER_NETWORK_CONNECTION)
        return server_refuse_near_fd_limit(server_of(wsi), (int)(intptr_t)in) ? 1 : 0;
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        server *srv = server_of(wsi);
        /* lws tells every vhost; the loop's work is done once, on the public one's. */
        if (srv && srv->ops_vhost && lws_get_vhost(wsi) == srv->ops_vhost)
            return 0;
        if (srv && srv->worker && worker_complete(srv->worker) > 0 && srv->committed.fn)
            srv->committed.fn(srv->committed.arg);
        if (srv && stop_requested && !srv->draining)
            start_draining(srv);
        return 0;
    }
    /* Everything else is the first protocol's (lws gives it the context's events). */
    {
        server *srv = server_of(wsi);
        return srv && srv->nprotos ? srv->protos[0].p->callback(wsi, reason, user, in, len) : 0;
    }
}

static void
lws_log_emit(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    dlog(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "msg=\"lws\" detail=\"%.*s\"", (int)n, line);
}

static void
close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/*
 * Destroys the lws context on our foreign loop: lws closes its libuv
 * handles asynchronously and says it is done by clearing srv->ctx (the
 * pcontext it was given); then whatever is left is closed and the loop too.
 */
static void
close_loop(server *srv, uv_loop_t *loop)
{
    int i;

    if (!srv->loop) {
        lws_context_destroy(srv->ctx);
        return;
    }
    lws_context_destroy(srv->ctx);
    for (i = 0; srv->ctx && i < 100000; i++)
        uv_run(loop, UV_RUN_NOWAIT);
    if (srv->ctx)
        lws_context_destroy(srv->ctx);
    uv_walk(loop, close_handle, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    srv->loop = NULL;
}

/* The loop's own metrics: the store, the apps, the process. */
static void
collect_loop(void *arg, metrics_out *o)
{
    server *srv = arg;
    struct rusage ru;
    long pages = 0, rss = 0;
    FILE *f;

    metric_family(o, "droponair_node_info", "gauge", "This process; its node id is the label.");
    metric_line(o, "droponair_node_info{node=\"%s\"} 1\n", srv->cfg->node_id);
    /* Gauges: no _total suffix (that is for counters; promtool checks it). */
    metric_u64(o, "droponair_rooms", "gauge", "Rooms in the store.",
               (uint64_t)srv->rooms_total);
    metric_u64(o, "droponair_apps", "gauge", "Apps known to the server.",
               srv->apps ? (uint64_t)srv->apps->napps : 0);
    metric_u64(o, "droponair_store_jobs_pending", "gauge", "Store jobs queued or running.",
               srv->worker ? worker_pending(srv->worker) : 0);
    metric_u64(o, "droponair_store_up", "gauge",
               "1 while the store accepts writes, 0 while it fails (see /healthz).",
               srv->worker ? worker_health(srv->worker, NULL, 0, NULL) == STORE_OK : 1);
    getrusage(RUSAGE_SELF, &ru);
    metric_family(o, "process_cpu_seconds_total", "counter", "User and system CPU time.");
    metric_line(o, "process_cpu_seconds_total %.6f\n",
                (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    metric_u64(o, "process_resident_memory_bytes", "gauge", "Resident memory.",
               (uint64_t)(rss * sysconf(_SC_PAGESIZE)));
}

void
server_state_init(server *srv, size_t rooms_cached, size_t tokens_cached)
{
    srv->rooms = roomcache_new(rooms_cached);
    srv->tokens = tokcache_new(tokens_cached);
    srv->metrics = metrics_new();
    srv->live_by_room = hmap_new();
    srv->live_by_call = hmap_new();
    srv->claims = hmap_new();
    metrics_register(srv->metrics, collect_loop, srv);
    live_register_metrics(srv);
}

void
server_protocols_start(server *srv, const server_protocol *const *protocols, int n)
{
    int i;

    for (i = 0; i < n && srv->nprotos < SERVER_PROTOCOLS_MAX; i++) {
        srv->protos[srv->nprotos].p = protocols[i];
        srv->protos[srv->nprotos].state = NULL;
        srv->nprotos++;
        if (protocols[i]->start)
            srv->protos[srv->nprotos - 1].state = protocols[i]->start(srv);
    }
}

void *
server_protocol_state(server *srv, const server_protocol *p)
{
    int i;

    for (i = 0; i < srv->nprotos; i++)
        if (srv->protos[i].p == p)
            return srv->protos[i].state;
    return NULL;
}

void
server_set_delivery(server *srv, const call_delivery *d)
{
    srv->delivery = *d;
}

void
server_set_committed_hook(server *srv, void (*fn)(void *arg), void *arg)
{
    srv->committed.fn = fn;
    srv->committed.arg = arg;
}

void
server_set_room_bus(server *srv, const room_bus *b)
{
    srv->bus = *b;
}

void
server_set_router(server *srv, const call_router *r)
{
    srv->router = *r;
}

void
server_set_remote(server *srv, const call_remote *r)
{
    srv->remote = *r;
}

void
server_peer_register(server *srv, const char *op, peer_fn fn, void *arg)
{
    if (srv->npeers == PEER_OPS_MAX)
        abort(); /* a programming error: raise PEER_OPS_MAX */
    srv->peers[srv->npeers].op = op;
    srv->peers[srv->npeers].fn = fn;
    srv->peers[srv->npeers].arg = arg;
    srv->npeers++;
}

void
server_peer_unregister(server *srv, void *arg)
{
    int i, j;

    for (i = j = 0; i < srv->npeers; i++)
        if (srv->peers[i].arg != arg)
            srv->peers[j++] = srv->peers[i];
    srv->npeers = j;
}

bool
server_peer_dispatch(server *srv, const char *op, struct json_object *msg)
{
    int i;

    for (i = 0; i < srv->npeers; i++)
        if (strcmp(srv->peers[i].op, op) == 0) {
            srv->peers[i].fn(srv->peers[i].arg, msg);
            return true;
        }
    return false;
}

void
server_health_register(server *srv, health_fn fn, void *arg)
{
    if (srv->nhealth == HEALTH_FNS_MAX)
        return;
    srv->health[srv->nhealth].fn = fn;
    srv->health[srv->nhealth].arg = arg;
    srv->nhealth++;
}

void
server_health_fields(server *srv, struct json_object *o)
{
    if (srv->cfg && srv->cfg->node_id[0])
        json_object_object_add(o, "node", json_object_new_string(srv->cfg->node_id));
    for (int i = 0; i < srv->nhealth; i++)
        srv->health[i].fn(srv->health[i].arg, o);
}

bool
server_draining(const server *srv)
{
    return srv->draining;
}

bool
server_on_ops_port(const server *srv, struct lws *wsi)
{
    return srv->ops_vhost && wsi && lws_get_vhost(wsi) == srv->ops_vhost;
}

void
server_state_free(server *srv)
{
    /* The protocols go first (their sessions leave live calls), newest first. */
    while (srv->nprotos > 0) {
        srv->nprotos--;
        if (srv->protos[srv->nprotos].p->stop)
            srv->protos[srv->nprotos].p->stop(srv->protos[srv->nprotos].state);
    }
    live_free_all(srv);
    roomcache_free(srv->rooms);
    tokcache_free(srv->tokens);
    metrics_free(srv->metrics);
    apps_free(srv->apps);
}

/*
 * --ops-listen: a second vhost on the same context and loop, on its own
 * address, serving the protocols marked `ops` (protocols[0], HTTP, first:
 * it refuses connections near the descriptor limit there as on the public
 * port). Plain HTTP whatever --tls-cert says: it is meant for a private
 * address. out[] holds its lws protocol table for as long as the vhost
 * lives. Returns 0, or -1 after logging why.
 */
static int
open_ops_vhost(server *srv, const struct lws_context_creation_info *pub,
               const server_protocol *const *table, int n, struct lws_protocols *out)
{
    struct lws_context_creation_info info = *pub;
    int k = 0;

    if (!table[0]->ops) {
        dlog(LOG_ERROR, "msg=\"server_run: the first protocol must serve the operations port\"");
        return -1;
    }
    memset(out, 0, sizeof(*out) * (SERVER_PROTOCOLS_MAX + 1));
    for (int i = 0; i < n; i++) {
        if (!table[i]->callback || !table[i]->ops)
            continue;
        out[k].name = table[i]->name;
        out[k].callback = k == 0 ? server_protocol_callback : table[i]->callback;
        out[k].per_session_data_size = table[i]->pss_size;
        out[k].rx_buffer_size = table[i]->rx_buffer_size;
        k++;
    }
    info.protocols = out;
    info.pvo = NULL; /* per-vhost options name protocols served on the public port */
    info.vhost_name = "ops";
    info.port = srv->cfg->ops_port;
    info.iface = srv->cfg->ops_host;
    info.ssl_cert_filepath = NULL;
    info.ssl_private_key_filepath = NULL;
    /* lws added this to the public vhost's info when it had a certificate. */
    info.options &= ~(uint64_t)LWS_SERVER_OPTION_CREATE_VHOST_SSL_CTX;
    srv->ops_vhost = lws_create_vhost(srv->ctx, &info);
    if (!srv->ops_vhost) {
        dlog(LOG_ERROR, "msg=\"cannot listen\" addr=%s:%d what=ops", srv->cfg->ops_host,
             srv->cfg->ops_port);
        return -1;
    }
    return 0;
}

int
server_run(const server_config *cfg, const plan_set *plans, store *s,
           const server_protocol *const *table, int n)
{
    struct lws_protocols protocols[SERVER_PROTOCOLS_MAX + 1];
    struct lws_protocols ops_protocols[SERVER_PROTOCOLS_MAX + 1];
    struct lws_context_creation_info info;
    struct sigaction sa;
    server srv;
    uv_loop_t loop;
    void *foreign_loops[1];
    int64_t total = 0;

    memset(&srv, 0, sizeof(srv));
    srv.own_listen_fd = -1;
    srv.cfg = cfg;
    {
        struct rlimit rl;
        srv.fd_ceiling = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
                                 rl.rlim_cur < 1u << 30
                             ? (int)rl.rlim_cur - FD_RESERVE
                             : (1 << 30);
    }
    srv.plans = plans;
    if (store_apps_load(s, &srv.apps) != E_OK || store_rooms_count(s, &total) != E_OK) {
        dlog(LOG_ERROR, "msg=\"cannot read the store\" err=\"%s\"", store_errmsg(s));
        store_close(s);
        return 1;
    }
    {
        bool changed;
        int ended = 0, closed = 0;

        /*
         * Calls a crash left open end now; auto-close rooms among them close.
         * Not with a shared store: those may be other live nodes' calls.
         */
        if (cfg->shared_store) {
            dlog(LOG_INFO, "msg=\"shared store: open calls are left to their nodes\"");
        } else if (store_begin(s) != E_OK ||
                   store_calls_recover(s, now_ms(), &ended, &closed) != E_OK ||
                   store_commit(s) != E_OK) {
            store_rollback(s);
            dlog(LOG_ERROR, "msg=\"cannot recover open calls\" err=\"%s\"", store_errmsg(s));
        } else if (ended) {
            dlog(LOG_INFO, "msg=\"calls ended by restart\" calls=%d rooms_closed=%d", ended,
                 closed);
        }
        store_changed(s, &changed); /* remember the current data version */
    }
    apps_index(srv.apps, plans);
    srv.rooms_total = total;
    server_state_init(&srv, 100000, 50000);

    if (n < 1 || n > SERVER_PROTOCOLS_MAX || !table[0]->callback) {
        dlog(LOG_ERROR, "msg=\"server_run: 1 to %d protocols, the first with a callback\"",
             SERVER_PROTOCOLS_MAX);
        goto fail_ctx;
    }
    /*
     * libuv under lws: epoll, not lws's own poll(), which rescans every
     * socket on each loop turn and cost ~200 us of CPU per command at 2,000
     * connections (measured; docs/performance.md). Our own uv loop, so we
     * can stop it when draining is done; it exists before the protocols
     * start, so a module without connections (the cluster link) can put
     * its handles on it.
     */
    if (cfg->loop_uv) {
        uv_loop_init(&loop);
        srv.loop = &loop;
    }
    server_protocols_start(&srv, table, n);
    memset(protocols, 0, sizeof(protocols));
    for (int i = 0, k = 0; i < n; i++) {
        if (!table[i]->callback)
            continue; /* a loop module, not an lws protocol */
        protocols[k].name = table[i]->name;
        /* The first one hears the context's events through the loop first. */
        protocols[k].callback = i == 0 ? server_protocol_callback : table[i]->callback;
        protocols[k].per_session_data_size = table[i]->pss_size;
        protocols[k].rx_buffer_size = table[i]->rx_buffer_size;
        k++;
    }

    lws_set_log_level(LLL_ERR, lws_log_emit);
    memset(&info, 0, sizeof(info));
    info.port = cfg->port;
    info.iface = cfg->listen_host;
    info.protocols = protocols;
    info.user = &srv;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    if (cfg->reuse_port) {
        /* Our own SO_REUSEPORT listener (listen.c); lws serves what it accepts. */
        if (!srv.loop || server_listen_reuseport(&srv)) {
            if (!srv.loop)
                dlog(LOG_ERROR, "msg=\"--reuse-port needs --event-loop uv\"");
            close_loop(&srv, &loop);
            goto fail_ctx;
        }
        info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    }
    if (cfg->loop_uv) {
        info.options |= LWS_SERVER_OPTION_LIBUV;
        foreign_loops[0] = &loop;
        info.foreign_loops = foreign_loops;
        info.pcontext = &srv.ctx; /* lws writes NULL here when its destroy has completed */
    }
    for (int i = 0; i < n; i++)
        if (table[i]->configure)
            table[i]->configure(cfg, &info);
    if (cfg->tls_cert && cfg->tls_key) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
    }
    srv.ctx = lws_create_context(&info);
    if (!srv.ctx) {
        dlog(LOG_ERROR, "msg=\"cannot create the lws context (is libwebsockets-evlib-uv installed?)\"");
        close_loop(&srv, &loop);
        goto fail_ctx;
    }
    info.vhost_name = "default";
    srv.vhost = lws_create_vhost(srv.ctx, &info);
    if (!srv.vhost) {
        dlog(LOG_ERROR, "msg=\"cannot listen\" addr=%s:%d", cfg->listen_host, cfg->port);
        close_loop(&srv, &loop);
        goto fail_ctx;
    }
    if (cfg->ops_listen && open_ops_vhost(&srv, &info, table, n, ops_protocols)) {
        close_loop(&srv, &loop);
        goto fail_ctx;
    }
    if (srv.own_listen_fd >= 0)
        server_listen_start(&srv);
    find_listeners(&srv);
    srv.worker = worker_start(s, wake_loop, srv.ctx);
    s = NULL;

    signal_ctx = srv.ctx;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /*
     * node= is in every line's context (log.c); reuse_port says whether
     * others may share; ops= is the operations port (--ops-listen) or off.
     */
    {
        char ops[160] = "off";

        if (srv.ops_vhost)
            snprintf(ops, sizeof(ops), "%s:%d", cfg->ops_host,
                     lws_get_vhost_listen_port(srv.ops_vhost));
        dlog(LOG_INFO,
             "msg=\"listening\" addr=%s:%d tls=%s loop=%s reuse_port=%s rooms=%lld apps=%d ops=%s",
             cfg->listen_host,
             srv.own_listen_fd >= 0 ? srv.own_listen_port : lws_get_vhost_listen_port(srv.vhost),
             cfg->tls_cert ? "on" : "off", cfg->loop_uv ? "uv" : "poll",
             cfg->reuse_port ? "on" : "off", (long long)total, srv.apps->napps, ops);
    }
    lws_sul_schedule(srv.ctx, 0, &srv.sul_reload, reload_timer,
                     (lws_usec_t)cfg->apps_poll_ms * LWS_US_PER_MS);

    if (srv.loop) {
        /* Runs until drain_tick stops the loop after SIGTERM/SIGINT. */
        uv_run(&loop, UV_RUN_DEFAULT);
    } else {
        /* lws's own poll() loop; drain_tick wakes it while draining. */
        while (!srv.draining || !(drained(&srv) || mono_ns() - srv.drain_started_ns >
                                                      10ull * 1000000000u)) {
            if (lws_service(srv.ctx, 0) < 0)
                break;
            if (stop_requested && !srv.draining)
                start_draining(&srv);
            if (srv.draining)
                worker_complete(srv.worker);
        }
    }
    lws_sul_cancel(&srv.sul_reload);
    lws_sul_cancel(&srv.sul_drain);
    /* Finish the store's work while connections still exist, then close them. */
    worker_stop(srv.worker);
    srv.worker = NULL;
    signal_ctx = NULL;
    close_loop(&srv, &loop);
    server_listen_free(&srv);
    for (int i = 0; i < LISTEN_FDS_MAX; i++)
        if (srv.inert_peers[i] > 0)
            close(srv.inert_peers[i]);
    server_state_free(&srv);
    dlog(LOG_INFO, "msg=\"stopped\"");
    return 0;

fail_ctx:
    server_listen_free(&srv);
    store_close(s);
    server_state_free(&srv);
    return 1;
}
