/*
 * libdroponair: the droponair C client SDK.
 *
 * A dpa_context owns one libwebsockets client context (one event loop) and
 * drives any number of dpa_client objects; each client is one user's
 * WebSocket session (live calls) plus REST calls, all asynchronous with
 * callbacks.
 *
 * Threads: a context and its clients belong to the thread that calls
 * dpa_context_run(). Every function here, and every callback, runs on that
 * thread; the only exception is dpa_context_wake(), callable from any
 * thread. Run several contexts on several threads for more cores.
 *
 * Ownership: strings passed in are copied before the call returns. Replies
 * and events given to callbacks (and every string inside them) are valid
 * only during the callback; copy what you keep. Objects are freed with their
 * own _free function, never from inside one of their callbacks (use
 * dpa_client_close() there and free after dpa_context_run() returns).
 *
 * Errors: functions returning int give 0 or a negative DPA_E_* value and,
 * when they fail, never call the callback they were given.
 *
 * A protocol command given no callback is sent without an id: the server
 * then answers only failures, which this SDK drops (fire and forget).
 */
#ifndef DROPONAIR_H
#define DROPONAIR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DPA_SDK_VERSION "0.14.0"

/*
 * Marks the library's public functions. libdroponair is built with hidden
 * visibility by default, so only what carries DPA_API is exported.
 */
#if defined(__GNUC__) || defined(__clang__)
#define DPA_API __attribute__((visibility("default")))
#else
#define DPA_API
#endif

enum {
    DPA_OK = 0,
    DPA_E_INVALID = -1,      /* a bad argument */
    DPA_E_NOT_CONNECTED = -2,
    DPA_E_NOMEM = -3,
    DPA_E_CONNECT = -4       /* the connection could not be made */
};

typedef struct dpa_context dpa_context;
typedef struct dpa_client dpa_client;

typedef enum dpa_state {
    DPA_STATE_IDLE,
    DPA_STATE_CONNECTING,
    DPA_STATE_OPEN,          /* authenticated (or resumed) */
    DPA_STATE_RECONNECTING,
    DPA_STATE_CLOSED
} dpa_state;

/* The reply to a request (WebSocket command or REST call). */
typedef struct dpa_reply {
    int ok;                  /* 1: success */
    int http_status;         /* REST calls: the HTTP status; 0 for WebSocket replies */
    const char *json;        /* the whole reply (REST: the body, may be "") */
    const char *status;      /* JOIN_ROOM: "JOINED", "HOST_REQUIRED", "WAITING_ROOM_PENDING", "ROOM_CLOSED" */
    const char *call_id;     /* JOIN_ROOM JOINED: the callId */
    const char *error_code;  /* ok == 0: e.g. "ROOM_FULL", "DISCONNECTED", "TIMEOUT" */
    const char *error_message;
} dpa_reply;

/* An event of a live call (see docs/protocol.md). */
typedef struct dpa_event {
    const char *type;        /* e.g. "GROUP_CALL_PARTICIPANT_JOINED", "GROUP_CALL_SDP_OFFER" */
    const char *json;        /* the whole event */
    const char *room_id;
    const char *call_id;
    const char *from;        /* relayed signals: the sender */
    const char *user_id;     /* events about a person */
    const char *payload;     /* relayed signals: the payload as JSON text */
    int64_t seq;
} dpa_event;

typedef void (*dpa_reply_cb)(dpa_client *c, const dpa_reply *reply, void *user);
typedef void (*dpa_event_cb)(dpa_client *c, const dpa_event *ev, void *user);
typedef void (*dpa_state_cb)(dpa_client *c, dpa_state state, void *user);

typedef struct dpa_client_options {
    const char *base_url;    /* "http://127.0.0.1:8080" or "https://..." */
    const char *token;       /* a droponair JWT */
    dpa_event_cb on_event;   /* may be NULL */
    dpa_state_cb on_state;   /* may be NULL */
    void *user;              /* passed to on_event and on_state */
    int reconnect;           /* 1: reconnect and RESUME after a dropped connection */
    int request_timeout_ms;  /* 0: 10000 */
} dpa_client_options;

/* ---- context ---- */

/* A new context, or NULL. */
DPA_API dpa_context *dpa_context_new(void);
/* Frees the context; its clients must have been freed first. */
DPA_API void dpa_context_free(dpa_context *ctx);
/* Services network events and timers, waiting up to timeout_ms. Returns <0 on failure. */
DPA_API int dpa_context_run(dpa_context *ctx, int timeout_ms);
/* Makes a dpa_context_run() that is waiting return (any thread). */
DPA_API void dpa_context_wake(dpa_context *ctx);

/* ---- client ---- */

/* A client of ctx (nothing is connected yet). NULL on bad options. */
DPA_API dpa_client *dpa_client_new(dpa_context *ctx, const dpa_client_options *opts);
/* Closes and frees. Pending callbacks are not called. */
DPA_API void dpa_client_free(dpa_client *c);
/* Opens the WebSocket and authenticates; on_state reports DPA_STATE_OPEN. */
DPA_API int dpa_client_connect(dpa_client *c);
/* Closes the WebSocket for good (no reconnect). */
DPA_API void dpa_client_close(dpa_client *c);
DPA_API dpa_state dpa_client_state(const dpa_client *c);
/* The authenticated user id ("" before). */
DPA_API const char *dpa_client_user_id(const dpa_client *c);
/* Uses a new token; an open session is refreshed with AUTH. cb may be NULL. */
DPA_API int dpa_client_set_token(dpa_client *c, const char *token, dpa_reply_cb cb, void *user);

/*
 * Any protocol command: type plus the other fields as a JSON object text
 * (e.g. "{\"roomId\":\"rm_...\"}", or NULL). The reply comes to cb.
 */
DPA_API int dpa_client_request(dpa_client *c, const char *type, const char *fields_json,
                               dpa_reply_cb cb, void *user);

/* The protocol's commands, as in the JS SDK. cb may be NULL. */
DPA_API int dpa_client_join_room(dpa_client *c, const char *room_id, dpa_reply_cb cb,
                                 void *user);
DPA_API int dpa_client_send_signal(dpa_client *c, const char *signal, const char *call_id,
                                   const char *group_id, const char *peer_user_id,
                                   const char *payload_json, dpa_reply_cb cb, void *user);
DPA_API int dpa_client_leave_call(dpa_client *c, const char *call_id, dpa_reply_cb cb,
                                  void *user);
DPA_API int dpa_client_cancel_wait(dpa_client *c, const char *room_id, dpa_reply_cb cb,
                                   void *user);
/* audio/video: 1 on, 0 off, -1 unchanged. */
DPA_API int dpa_client_set_media_state(dpa_client *c, const char *call_id, int audio, int video,
                                       dpa_reply_cb cb, void *user);
DPA_API int dpa_client_screen_share(dpa_client *c, const char *call_id, int start,
                                    dpa_reply_cb cb, void *user);
DPA_API int dpa_client_admit(dpa_client *c, const char *room_id,
                             const char *user_id /* NULL: all */, dpa_reply_cb cb, void *user);
DPA_API int dpa_client_deny(dpa_client *c, const char *room_id, const char *user_id,
                            dpa_reply_cb cb, void *user);
DPA_API int dpa_client_mute(dpa_client *c, const char *call_id, const char *user_id,
                            const char *kind, dpa_reply_cb cb, void *user);
DPA_API int dpa_client_remove(dpa_client *c, const char *call_id, const char *user_id, int ban,
                              dpa_reply_cb cb, void *user);
DPA_API int dpa_client_set_role(dpa_client *c, const char *call_id, const char *user_id,
                                const char *role, dpa_reply_cb cb, void *user);
DPA_API int dpa_client_end_call(dpa_client *c, const char *call_id, dpa_reply_cb cb,
                                void *user);
DPA_API int dpa_client_watch_room(dpa_client *c, const char *room_id, int watch,
                                  dpa_reply_cb cb, void *user);

/* ---- REST (each call its own HTTP request; cb gets the status and body) ---- */

DPA_API int dpa_client_get_info(dpa_client *c, dpa_reply_cb cb, void *user);
DPA_API int dpa_client_create_room(dpa_client *c, const char *room_json, dpa_reply_cb cb,
                                   void *user);
DPA_API int dpa_client_get_room(dpa_client *c, const char *room_id, dpa_reply_cb cb,
                                void *user);
/* query: e.g. "limit=10&status=ACTIVE", or NULL. */
DPA_API int dpa_client_list_rooms(dpa_client *c, const char *query, dpa_reply_cb cb,
                                  void *user);
DPA_API int dpa_client_update_room(dpa_client *c, const char *room_id, const char *patch_json,
                                   dpa_reply_cb cb, void *user);
DPA_API int dpa_client_delete_room(dpa_client *c, const char *room_id, dpa_reply_cb cb,
                                   void *user);

#ifdef __cplusplus
}
#endif

#endif
