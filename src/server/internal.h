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
#include "server/async.h"
#include "server/metrics.h"
#include "server/server.h"
#include "store/worker.h"

typedef struct roomcache roomcache;

/*
 * How live calls reach their clients: implemented by the WebSocket layer
 * (a cluster transport next), set once with server_set_delivery.
 */
typedef struct call_delivery {
    /*
     * Sends event (borrowed) to a session once the call-record write
     * numbered `after` has committed (0: no wait).
     */
    void (*emit)(void *arg, uint64_t session, struct json_object *event, uint64_t after);
    /* Call-record writes up to srv->writes_done committed: release what waited. */
    void (*committed)(void *arg);
    void *arg;
} call_delivery;

/*
 * How committed room writes reach the other nodes: implemented by the
 * cluster layer, set once with server_set_room_bus. Called on the loop
 * after the cache and the live call took the change; r is borrowed. The
 * announcement is numbered like a call-record write (seq): the bus calls
 * live_write_done(srv, seq) once Redis has taken it, or at once when it
 * cannot be sent now, so the client's 2xx follows the announcement and a
 * read through another node straight after sees the change.
 */
typedef struct room_bus {
    void (*committed)(void *arg, const room *r, uint64_t seq);
    void (*deleted)(void *arg, const char *room_id, uint64_t seq);
    void *arg;
} room_bus;

/*
 * Cluster mode: who owns each live call. Implemented by the cluster layer
 * (set with server_set_router); without it every live call is this
 * process's. Everything runs on the loop.
 */
typedef struct call_router {
    /*
     * Finds the owner of room_id: done(cbarg, NULL, E_OK) when this process
     * owns it (claimed now when nobody did), done(cbarg, node, E_OK) when
     * another process does, done(cbarg, NULL, E_UNAVAILABLE) when it
     * cannot be known now (Redis away). At once when the answer is known.
     */
    void (*locate)(void *arg, const char *room_id,
                   void (*done)(void *cbarg, const char *owner, dpa_err e), void *cbarg);
    /* Forgets the owner it knows for room_id (it said it is not the owner). */
    void (*forget)(void *arg, const char *room_id);
    /* Sends msg (borrowed) to node's channel, or to every node when node is NULL. */
    void (*send)(void *arg, const char *node, struct json_object *msg);
    /* Whether node was heard from lately. */
    bool (*alive)(void *arg, const char *node);
    /* The fencing epoch of a room this process owns (0: none). */
    int64_t (*epoch)(void *arg, const char *room_id);
    /*
     * The call state of an owned room changed: its export is due. Returns
     * the number of that write (live_write_begin; 0 when not owned): what
     * reports the change waits for it, as for a store write.
     */
    uint64_t (*dirty)(void *arg, const char *room_id);
    /*
     * The live state of an owned room is gone: its lease goes once the
     * write numbered after (its call's end; 0: none) has committed.
     */
    void (*released)(void *arg, const char *room_id, uint64_t after);
    /* An owned room's call started (call_id) or ended (NULL): every process is told. */
    void (*call_live)(void *arg, const char *room_id, const char *call_id);
    /*
     * Where room_id's call is live when another process owns it (its node),
     * else NULL; and the room of a live call of another process, else NULL.
     */
    const char *(*live_at)(void *arg, const char *room_id);
    const char *(*room_of_call)(void *arg, const char *call_id);
    const char *boot;            /* this run of the process (its messages carry it) */
    void *arg;
} call_router;

/*
 * A layer's handler for messages from its counterpart on other processes,
 * by the message's "op" (registered with server_peer_register; msg borrowed).
 */
typedef void (*peer_fn)(void *arg, struct json_object *msg);
#define PEER_OPS_MAX 8

/*
 * The WebSocket layer's half of cluster mode (server_set_remote): sessions
 * connected to other processes.
 */
typedef struct call_remote {
    /*
     * node's run `boot` stopped (crashed, drained, restarted): its sessions
     * count as lost; or it is heard from again after it was thought stopped.
     */
    void (*node_down)(void *arg, const char *node, const char *boot);
    void (*node_up)(void *arg, const char *node, const char *boot);
    /* For call_export / call_import: a session as a reference and back. */
    call_session_ref ref;
    call_session_of of;
    void *arg;
} call_remote;

/* Adds fields to the /healthz body o (borrowed); registered by a layer. */
typedef void (*health_fn)(void *arg, struct json_object *o);
#define HEALTH_FNS_MAX 4

/* Someone waiting for the app registry to be re-read (an unknown kid or app). */
typedef struct reload_waiter {
    struct reload_waiter *next;
    void (*resume)(struct reload_waiter *w);
} reload_waiter;

typedef struct server {
    struct lws_context *ctx;
    void *loop;                  /* the uv_loop_t lws runs on */
    struct lws_vhost *vhost;
    struct lws_vhost *ops_vhost; /* --ops-listen, else NULL */
    const server_config *cfg;
    const plan_set *plans;
    struct {
        const server_protocol *p;
        void *state;
    } protos[SERVER_PROTOCOLS_MAX];
    int nprotos;
    call_delivery delivery;
    struct {
        void (*fn)(void *arg);   /* store jobs completed (server_set_committed_hook) */
        void *arg;
    } committed;
    room_bus bus;
    call_router router;          /* cluster mode: set by the cluster layer */
    call_remote remote;          /* cluster mode: set by the WebSocket layer */
    hmap *claims;                /* room id -> live_claim: claimed, not yet taken over */
    uint64_t claims_made;
    struct {
        const char *op;
        peer_fn fn;
        void *arg;
    } peers[PEER_OPS_MAX];       /* cluster mode: who handles which message */
    int npeers;
    struct {
        health_fn fn;
        void *arg;
    } health[HEALTH_FNS_MAX];
    int nhealth;
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
    int fd_ceiling;              /* a new socket numbered this high is refused */
#define LISTEN_FDS_MAX 4
    int listen_fds[LISTEN_FDS_MAX];  /* lws's listening sockets, shut down when draining */
    int nlisten;
    int inert_peers[LISTEN_FDS_MAX]; /* kept open while the listeners are made inert */
    /*
     * --reuse-port: our own SO_REUSEPORT listener (lws 4.1 sets the option
     * only with several service threads); accepted sockets are adopted
     * into the vhost. -1 when lws listens itself.
     */
    int own_listen_fd;
    int own_listen_port;
    void *own_listen_poll;       /* its uv_poll_t */
    void *own_listen_pause;      /* uv_timer_t: accepting paused after EMFILE */
    uint64_t refused_at_fd_limit;
    char refuse_reply[384];      /* the 503 sent to them, made on first use */
    size_t refuse_len;
    uint64_t refused_logged_ns;

    /* Live calls (live.c). */
    hmap *live_by_room;          /* roomId -> live_call */
    hmap *live_by_call;          /* callId -> live_call */
    uint64_t calls_total;
    uint64_t writes_submitted;   /* call-record writes and room announcements, numbered */
    uint64_t writes_done;        /* every write up to this one has completed */
    uint64_t *open_writes;       /* numbers not completed yet, ascending */
    size_t nopen_writes, cap_open_writes;
    struct after_writes *after_writes;  /* acknowledgements waiting for a write */
} server;

server *server_of(struct lws *wsi);

/*
 * Makes the loop's in-memory state (caches, live calls, metrics) and frees
 * it with everything in it (apps and the protocols' states included).
 * server_run uses them; so do harnesses that drive the server without
 * sockets, which then start the protocols they drive.
 */
void server_state_init(server *srv, size_t rooms_cached, size_t tokens_cached);
void server_protocols_start(server *srv, const server_protocol *const *protocols, int n);
void server_state_free(server *srv);

/* The state protocol p's start hook made, or NULL when p is not served. */
void *server_protocol_state(server *srv, const server_protocol *p);
/* Sets how live calls reach clients (the WebSocket layer calls it when it starts). */
void server_set_delivery(server *srv, const call_delivery *d);
/*
 * Sets what runs on the loop each time store jobs have completed (the
 * webhook sender, to look for new deliveries at once). One at a time.
 */
void server_set_committed_hook(server *srv, void (*fn)(void *arg), void *arg);
/* Sets where committed room writes are announced (the cluster layer, when on). */
void server_set_room_bus(server *srv, const room_bus *b);
/* Cluster mode: call ownership (the cluster layer) and remote sessions (WebSocket). */
void server_set_router(server *srv, const call_router *r);
void server_set_remote(server *srv, const call_remote *r);
/* Cluster mode: fn handles messages with "op": op from other processes (at most PEER_OPS_MAX). */
void server_peer_register(server *srv, const char *op, peer_fn fn, void *arg);
void server_peer_unregister(server *srv, void *arg);
/* Hands msg to the handler of its op; false when none. */
bool server_peer_dispatch(server *srv, const char *op, struct json_object *msg);
/* Adds a contributor to the /healthz body (at most HEALTH_FNS_MAX). */
void server_health_register(server *srv, health_fn fn, void *arg);
/* Adds every registered contributor's fields (and "node") to o (borrowed). */
void server_health_fields(server *srv, struct json_object *o);
/* Whether the server is draining (new work is refused). */
bool server_draining(const server *srv);
/* Whether wsi came in through the operations listener (--ops-listen). */
bool server_on_ops_port(const server *srv, struct lws *wsi);

/*
 * Verifies a bearer token against the current apps. When the token names
 * an app or key the loop does not know yet, the registry is re-read first:
 * then the function returns 1 and calls waiter->resume later (the caller
 * must call server_auth again from there). Otherwise returns 0 with *e
 * E_OK or E_UNAUTHORIZED (and d saying why). With cache, a verified token is kept
 * for the next request that carries it (REST); a WebSocket authenticates
 * once per connection and does not fill the cache.
 */
int server_auth(server *srv, const char *token, identity *id, dpa_err *e, dpa_error *d,
                reload_waiter *waiter, bool retried, bool cache);

/*
 * Near the file-descriptor limit: answers fd 503 and returns true (the
 * caller closes it). Every new connection passes here.
 */
bool server_refuse_near_fd_limit(server *srv, int fd);

/*
 * --reuse-port (listen.c): opens the SO_REUSEPORT listener on cfg's
 * address (returns -1 and logs when it cannot), starts accepting on the
 * loop once the vhost exists, and closes it after the loop.
 */
int server_listen_reuseport(server *srv);
void server_listen_start(server *srv);
void server_listen_free(server *srv);

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
 * A request's way to act on a room's live state, for REST and WebSocket
 * alike: holds req while the room loads; then, if the client is still
 * there, runs fn(arg, lc, e) (lc NULL with e as in live_open); then reaps
 * the live state; then runs cleanup(arg) if given, whether or not fn ran.
 */
void live_with_room(server *srv, async_req *req, const char *app_id, const char *room_id,
                    const plan *p, void (*fn)(void *arg, live_call *lc, dpa_err e),
                    void (*cleanup)(void *arg), void *arg);
/*
 * Runs fn(arg) once every call-record write up to seq (a lc->write_seq) has
 * committed: at once when it has. An acknowledgement that reports a change
 * of a live call (JOINED, a moderation 2xx) waits for the write it implies.
 */
void live_after_writes(server *srv, uint64_t seq, void (*fn)(void *arg), void *arg);
/*
 * Numbers a write whose completion acknowledgements may wait for (a
 * call record, a room announcement); live_write_done(srv, seq) completes
 * it. writes_done advances past every completed number below the oldest
 * open one, and what waited for them runs (live_after_writes, delivery).
 */
uint64_t live_write_begin(server *srv);
void live_write_done(server *srv, uint64_t seq);
/* Frees lc when nobody is in, waiting, asking or watching. */
void live_reap(server *srv, live_call *lc);
/*
 * The one place a committed room write reaches the loop's memory: the room
 * cache and the live call share the new version r (a reference is taken;
 * r is the caller's still). A DELETE drops both.
 */
void live_room_committed(server *srv, const room *r);
void live_room_deleted(server *srv, const char *room_id);
void live_free_all(server *srv);
/*
 * Another node committed a write of room_id (its new version): the cached
 * copy goes at once (the next read goes to the store, and no older copy
 * still being loaded may come back), and a live call here reloads the room
 * and applies it as it would a local write. Nothing is announced again.
 */
void live_room_changed_elsewhere(server *srv, const char *room_id, int64_t version);
/* Another node deleted room_id: the cache drops it, a live call here ends. */
void live_room_deleted_elsewhere(server *srv, const char *room_id);
/*
 * Whether the room cache may serve reads. Off while announcements from
 * other nodes may be missed (their link down): every read goes to the
 * store and nothing is kept.
 */
void live_cache_enable(server *srv, bool on);
/*
 * After announcements may have been missed: empties the room cache,
 * reloads every live call's room, and calls done(arg) on the loop once
 * every store read submitted before now has completed (so no copy read
 * earlier can still reach the cache), for the caller to turn the cache on.
 */
void live_resync(server *srv, void (*done)(void *arg), void *arg);
/*
 * Cluster mode. This process just claimed room_id with fencing epoch
 * `epoch` (state: the previous owner's export, borrowed, or NULL): the
 * room's live state is built now, taking the call over (the call record
 * fenced; the export imported, or a call left open without one ended with
 * SERVER_RESTART). Commands for the room that come meanwhile wait for it.
 */
void live_claimed(server *srv, const char *app_id, const char *room_id, int64_t epoch,
                  struct json_object *state);
/* Whether a takeover of room_id is being read from the store. */
bool live_claim_pending(server *srv, const char *room_id);
/* Cluster mode: this process lost room_id's lease: its live state goes, silently. */
void live_disown(server *srv, const char *room_id);
/* The export of an owned room's call (NULL when no call is live). New reference. */
struct json_object *live_export(server *srv, const char *room_id);
/* The app registry was replaced: every live call takes its app's current plan. */
void live_apps_changed(server *srv);
/* Totals for /metrics. */
void live_totals(server *srv, uint64_t *calls, uint64_t *participants, uint64_t *waiting);
/* Registers the live calls' metrics (server_state_init does). */
void live_register_metrics(server *srv);

/* ---- room cache (roomcache.c): rooms the loop has seen, by id ---- */

roomcache *roomcache_new(size_t max_entries);
void roomcache_free(roomcache *c);
/* The cached room or NULL. The cache keeps ownership. */
room *roomcache_get(roomcache *c, const char *room_id);
/* Takes ownership of r; replaces an older version, drops r if the cache has a newer one. */
void roomcache_put(roomcache *c, room *r);
void roomcache_remove(roomcache *c, const char *room_id);
/*
 * Another node wrote room_id at version (INT64_MAX: deleted): drops an
 * older copy and refuses any older copy put later (a read that raced the
 * write). Remembers up to max_entries such floors, then starts over.
 */
void roomcache_invalidate(roomcache *c, const char *room_id, int64_t version);
/* The version below which room_id is known stale (0: none known). */
int64_t roomcache_floor(roomcache *c, const char *room_id);
/* Drops every cached room (floors stay). */
void roomcache_clear(roomcache *c);
/* Off: get finds nothing and put keeps nothing (rooms are read from the store). */
void roomcache_set_enabled(roomcache *c, bool on);

#endif
