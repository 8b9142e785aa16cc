/*
 * The cluster layer's own state, shared by its files: cluster.c (the two
 * links, room announcements, liveness) and owner.c (call ownership:
 * leases, routing messages, exports for takeover).
 */
#ifndef DPA_CLUSTER_INTERNAL_H
#define DPA_CLUSTER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <uv.h>

#include <hiredis/async.h>
#include <json-c/json.h>

#include "cluster/cluster.h"
#include "core/hmap.h"
#include "server/internal.h"

#define TICK_MS 1000          /* heartbeat and liveness checks */
#define DEAD_AFTER_MS 3000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define UNSENT_MAX 10000
#define CLOSE_GRACE_MS 1000   /* draining: pending PUBLISHes get this long */
#define ACK_WAIT_MS 250       /* a write waits this long for the other nodes' acks */

typedef struct cluster cluster;
typedef struct owner_state owner_state;

/* One connection to Redis and its reconnects. */
typedef struct rlink {
    cluster *cl;
    const char *name;          /* "subscriber" or "publisher" */
    redisAsyncContext *ac;     /* NULL while not connected or connecting */
    uv_timer_t retry;
    int backoff_ms;
    bool ready;                /* subscribed, or PING answered */
    int subscribed;            /* channels confirmed (subscriber) */
    uint64_t connect_ms;       /* when the current attempt started */
    uint64_t ready_ms;
    const char *why;           /* why we closed it ourselves, for the log */
    bool failing;              /* a failure was logged: later ones go to debug */
} rlink;

enum { OP_ROOM, OP_DELETED, OP_ALL, OP_HEARTBEAT, OP_ACK };

/* A PUBLISH waiting for its reply: sent again later if the link drops. */
typedef struct pending {
    struct pending *next;      /* in cl->awaiting while it has a seq */
    cluster *cl;
    int op;
    uint64_t seq;              /* the write number the client's reply waits for */
    int64_t version;
    char room_id[ROOM_ID_MAX];
    char to[NODE_ID_MAX];      /* OP_ACK: the writer */
    bool replied;              /* PUBLISH answered: expect is known */
    long long expect;          /* acknowledgements to wait for */
    long long acks;
    uint64_t deadline_ms;
} pending;

struct cluster {
    owner_state *own;          /* call ownership (owner.c) */
    char boot[24];             /* this run of the process: a node id may come back after a restart */
    server *srv;
    redis_addr addr;
    char ip[INET6_ADDRSTRLEN];
    char chan_rooms[64];
    char chan_node[64 + NODE_ID_MAX];
    rlink sub, pub;
    uv_timer_t tick;
    uv_timer_t ack_timer;      /* the earliest ack deadline */
    int open_timers;           /* uv timers not yet closed */
    pending *awaiting;         /* announcements whose writes wait, oldest first */
    bool cache_on;             /* the room cache serves reads */
    bool up;                   /* both links ready and the cache on (reported) */
    bool ever_up;
    uint64_t down_ms;          /* when it last went down */
    uint64_t sub_gen;          /* +1 each time the subscriber becomes ready */
    uint64_t hb_seen_ms;       /* our own heartbeat last came back */
    int inflight;              /* PUBLISHes without a reply */
    uint64_t waiting_since_ms; /* the oldest of them was sent about then */
    hmap *unsent;              /* room id -> int64_t * (version; -1: deleted) */
    bool unsent_all;
    uint64_t sent, received, reconnects, dropped;
    bool draining, closing;
    bool stopped;              /* after the loop: nothing may be answered any more */
    uint64_t closing_ms;
};

uint64_t mono_ms(void);

/* ---- owner.c ---- */

/* Sets up ownership (the router the loop uses) once the links exist. */
void owner_start(cluster *cl);
/* Each tick: renew leases, notice stopped nodes, retry takeovers. */
void owner_tick(cluster *cl);
/* The publisher is ready again. */
void owner_link_ready(cluster *cl);
/* A message on our node channel or the rooms channel that is not a room announcement. */
void owner_message(cluster *cl, const char *from, const char *op, struct json_object *o);
/* Draining: exports every owned call, releases its lease and says goodbye. */
void owner_hand_over(cluster *cl);
/* Closes its timer (draining). */
void owner_close(cluster *cl);
void owner_free(cluster *cl);
/* The tick's period (ms): at most a quarter of the lease. */
int owner_tick_ms(const cluster *cl);

#endif
