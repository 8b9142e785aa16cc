/*
 * WebSocket sessions: one per authenticated client, outliving its
 * connection for the reconnect grace so RESUME can pick it up. A session
 * owns its outbound queue (byte-capped), its replay ring (events by seq)
 * and the list of rooms it takes part in.
 */
#ifndef DPA_WS_INTERNAL_H
#define DPA_WS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "server/internal.h"
#include "ws/ws.h"

#define WS_PROTOCOL "droponair.v1"
#define WS_FRAME_MAX (64 * 1024 + 1024)    /* a 64 KiB payload plus its envelope */
#define WS_REPLAY_EVENTS 256
#define WS_REPLAY_BYTES (256 * 1024)
#define WS_AUTH_TIMEOUT_S 5                /* to AUTH or RESUME after the upgrade */
#define WS_SWEEP_MS 250                    /* the keep-alive sweep runs this often */
#define WS_ROOMS_PER_SESSION 64           /* rooms a session takes part in at once */
#define WS_SESSIONS_PER_CONN 2             /* sessions per user: 2 x the connection cap */
#define WS_CLOSE_TIMEOUT_S 2               /* a closing connection is cut after this */

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

/* The WebSocket layer's state, made by ws_protocol's start hook. */
typedef struct ws_state {
    server *srv;
    hmap *sessions;              /* "%llx" id -> ws_session */
    hmap *sessions_by_token;     /* resume token -> ws_session */
    hmap *users;                 /* appId + '\x1f' + userId -> its counts (caps.c) */
    hmap *proxies;               /* cluster: "node/id" -> the proxy of another process's session */
    hmap *calls;                 /* cluster: callId -> roomId (strdup), for routing by callId */
    hmap *call_of_room;          /* cluster: roomId -> the callId above, to forget it */
    struct forward *forwards;    /* cluster: forwarded requests waiting for their reply */
    size_t nforwards;
    uint64_t next_session_id;
    lws_dll2_owner_t conns;      /* open WebSockets, for the keep-alive sweep */
    lws_dll2_owner_t held;       /* sessions with output waiting for a write */
    lws_sorted_usec_list_t sul_sweep;
    ws_stats stats;
} ws_state;

/* The WebSocket state of srv (NULL when it does not serve ws_protocol). */
ws_state *ws_of(server *srv);

/* A frame to send: refcounted so the queue and the replay ring share it. */
typedef struct msgbuf {
    int refs;
    uint64_t seq;          /* 0 for replies */
    uint64_t after;        /* sent once this call-record write committed (0: at once) */
    bool event;            /* a proxy's event: its session's process numbers it */
    size_t len;
    unsigned char data[];  /* LWS_PRE bytes of headroom, then the JSON */
} msgbuf;

typedef struct outq {
    struct outq *next;
    msgbuf *m;
} outq;

struct ws_session {
    uint64_t id;
    char key[24];                  /* id as the sessions map key */
    server *srv;
    ws_state *ws;
    struct lws *wsi;               /* NULL while in grace */
    identity who;
    bool authed;
    bool counted;                  /* a connection counted in its user's record (caps.c) */
    lws_dll2_t user_link;          /* in its user's list of sessions (caps.c) */
    char resume_token[48];
    uint64_t seq;                  /* the last event's seq */

    msgbuf **replay;               /* ring of the last events */
    int rhead, rcount;
    size_t rbytes;

    outq *qhead, *qtail;
    size_t qbytes;                 /* queued and held bytes, under ws_queue_max */
    outq *hhead, *htail;           /* held: output waiting for a write to commit */
    lws_dll2_t held_link;          /* in ws->held while hhead is set */
    const live_call *cur_lc;       /* the call a command acts on: its replies wait for its writes */
    outq *deferred;                /* events for the actor, sent after its reply */
    bool deferring;

    char (*rooms)[ROOM_ID_MAX];
    int nrooms;

    lws_sorted_usec_list_t sul_grace;
    bool in_grace;
    int close_code;                /* non-zero: close the connection */
    const char *close_reason;

    double tokens;
    uint64_t refill_ns;

    async_req async;               /* held by each wait; gone once the session ended */

    /*
     * Cluster mode (remote.c): a proxy stands on the call's owner for a
     * session connected to another process (origin); it runs that
     * session's commands through the same handlers, and what it would send
     * goes back to the origin over Redis. No connection, not counted in the
     * user's caps (the origin counts), no resume token.
     */
    bool proxy;
    char origin[NODE_ID_MAX];
    char origin_boot[24];          /* that process's run */
    uint64_t origin_sid;
    char proxy_key[NODE_ID_MAX + 48];
    bool lost_with_origin;         /* lost because its process was thought stopped */

    reload_waiter waiter;          /* AUTH waiting for an app reload */
    char *pending_token;
    struct json_object *pending_id;
    bool pending_is_header;
};

struct ws_pss {
    ws_session *s;
    struct lws *wsi;
    lws_dll2_t conn_link;          /* in ws->conns: every open WebSocket, for the sweep */
    uint64_t opened_ms;            /* monotonic */
    uint64_t last_rx_ms;           /* the last frame or pong from the peer */
    bool ping_sent;                /* since last_rx_ms */
    bool ping_due;                 /* write a ping on the next WRITEABLE */
    bool killed;                   /* cut: the sweep leaves it alone */
    bool established;
    char *hdr_token;               /* from Authorization or ?token=, until ESTABLISHED */
    char *rx;                      /* a fragmented message being reassembled */
    size_t rxlen;
    bool rx_dropped;               /* the message went over the cap: skip its rest */
    bool close_sent;               /* our close frame is out: input is ignored */
};

/* ---- session.c ---- */

ws_session *session_new(ws_state *ws, struct lws *wsi);
/* Ends the session for good: leaves its rooms, frees it once nothing holds it. */
void session_end(ws_session *s);
/* A wait of the session's (server/async.h); release returns false once it ended. */
void session_hold(ws_session *s);
bool session_release(ws_session *s);
/* Whether the session ended (it may still be held). */
bool session_ended(const ws_session *s);
/* The connection went away: start the grace (or end an unauthenticated session). */
void session_lost(ws_session *s);
/* Binds s to wsi (a new or resumed connection). */
void session_bind(ws_session *s, struct lws *wsi);
void session_register(ws_session *s);
ws_session *session_by_id(ws_state *ws, uint64_t id);

/* Queues text (copied) for the connection; replies are not kept for replay. */
void session_send_text(ws_session *s, const char *text, size_t len);
/* Queues a JSON object (borrowed). */
void session_send_json(ws_session *s, struct json_object *o);
/* Whether the ring still holds every event after last_seq. */
bool session_can_replay(const ws_session *s, uint64_t last_seq);
/* Queues the kept events after last_seq (check session_can_replay first). */
void session_replay(ws_session *s, uint64_t last_seq);
/*
 * Writes one queued frame. Returns 0 to go on, 1 when the close frame was
 * written (the peer's close is awaited), -1 to close the connection.
 */
int session_write(ws_session *s);
/* Asks for the connection to be closed with code after what is queued. */
void session_close(ws_session *s, int code, const char *reason);
void session_flush_deferred(ws_session *s);

/* Queues an event's text (a JSON object) for s with its seq; kept for resume. */
void session_emit_text(ws_session *s, const char *body, size_t len, uint64_t after);
/* A proxy's origin lost its connection (grace runs there, or here with timer), or got it back. */
void session_lost_remote(ws_session *s, bool timer);
void session_back_remote(ws_session *s);

/* ---- remote.c: cluster mode ---- */

/* Registers the WebSocket layer's half of cluster mode (ws start, with --redis). */
void remote_start(ws_state *ws);
void remote_free(ws_state *ws);
/* Sends a proxy's frame to its origin. */
void remote_out(ws_session *proxy, const msgbuf *m);
/* Forwards s's command (msg borrowed) to owner, hops forwards so far. */
void remote_forward(ws_session *s, const char *owner, struct json_object *msg, int hops);
/* Tells the other processes that s lost its connection, got it back or ended. */
void remote_session_news(ws_session *s, const char *what);
/* Answers UNAVAILABLE to forwarded requests whose owner said nothing in time (the sweep). */
void remote_sweep(ws_state *ws, uint64_t now_ms);
/* The room of a call known to be owned elsewhere, or NULL. */
const char *remote_room_of_call(ws_state *ws, const char *call_id);

/* ---- caps.c: every per-user and per-session count ---- */

/* Counts s's connection for its user; false when the user is at the cap. */
bool caps_conn_take(ws_session *s);
void caps_conn_release(ws_session *s);
/* Sessions a user may hold, live or in the grace. */
int caps_sessions_max(const ws_state *ws);
/* Counts a new authenticated session; ends the user's oldest one in the grace when over. */
void caps_session_add(ws_session *s);
void caps_session_remove(ws_session *s);
/* Records that s takes part in room_id; false when it is at the rooms cap. */
bool caps_room_take(ws_session *s, const char *room_id);
bool caps_room_has(const ws_session *s, const char *room_id);
void caps_room_release(ws_session *s, const char *room_id);

/*
 * The protocol's hooks (session.c): sends event to a session (adds its
 * seq; kept for resume) once the call-record write numbered after has
 * committed; sends the held output whose writes have committed; closes
 * every session (drain: connections get 1012); frees every session; takes
 * each app's current plan.
 */
void ws_emit(ws_state *ws, uint64_t session, struct json_object *ev, uint64_t after);
void ws_release_held(ws_state *ws);
void ws_shutdown(ws_state *ws);
void ws_free_all(ws_state *ws);
void ws_apps_changed(ws_state *ws);
int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                size_t len);

/* ---- commands.c ---- */

/* Answers a binary frame (not accepted), under the same rate limit as commands. */
void ws_reject_binary(ws_session *s);
/* Handles one complete text message from the client. */
void ws_handle_message(ws_session *s, const char *text, size_t len);
/* Authenticates with a header/query token right after the upgrade. */
void ws_auth_header(ws_session *s, const char *token);
/*
 * Cluster mode: a command of another process's session reaches its proxy
 * here (msg borrowed). It runs if this process owns the room; otherwise the
 * origin is told where to go (hops: forwards so far).
 */
void ws_run_remote(ws_session *proxy, struct json_object *msg, int hops);
/* The origin's side of "moved": routes s's command (msg borrowed) again. */
void ws_route_again(ws_session *s, struct json_object *msg, int hops);
/* Replies UNAVAILABLE to s's request id (borrowed; NULL: no id). */
void ws_reply_unavailable(ws_session *s, struct json_object *id, const char *why);

#endif
