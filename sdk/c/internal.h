/* libdroponair internals: the context, clients, queues and REST requests. */
#ifndef DPA_SDK_INTERNAL_H
#define DPA_SDK_INTERNAL_H

#include <libwebsockets.h>
#include <json-c/json.h>

#include "droponair/droponair.h"

typedef struct pending {
    struct pending *next;
    int64_t id;
    dpa_reply_cb cb;
    void *user;
    int64_t deadline_ms;
    int internal;            /* 1: AUTH/RESUME of the handshake */
} pending;

typedef struct outmsg {
    struct outmsg *next;
    size_t len;
    unsigned char buf[];     /* LWS_PRE headroom, then the frame */
} outmsg;

typedef struct rest_req rest_req;

struct dpa_context {
    struct lws_context *lws;
    dpa_client *clients;
    lws_sorted_usec_list_t sul_tick;
};

struct dpa_client {
    dpa_context *ctx;
    dpa_client *next;
    char *base_url;
    char host[256];
    char path_prefix[256];
    int port;
    int tls;
    char *token;
    dpa_event_cb on_event;
    dpa_state_cb on_state;
    void *user;
    int reconnect;
    int timeout_ms;

    struct lws *wsi;
    dpa_state state;
    char user_id[129];
    char resume_token[64];
    int64_t last_seq;
    int64_t next_id;
    pending *pending;
    outmsg *hs;              /* the handshake frame, sent first */
    outmsg *qhead, *qtail;   /* requests, sent once open */
    char *rx;
    size_t rxlen, rxcap;
    int closing;
    int attempt;
    int resuming;
    lws_sorted_usec_list_t sul_reconnect;
    rest_req *rest;          /* REST requests in flight */
};

int64_t dpa_now_ms(void);
void dpa_set_state(dpa_client *c, dpa_state s);

/* rest.c */
int dpa_rest(dpa_client *c, const char *method, const char *path, const char *body,
             dpa_reply_cb cb, void *user);
void dpa_rest_detach_all(dpa_client *c);
int dpa_rest_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len);

/* Builds a reply from a JSON object (NULL for a transport error) and calls cb. */
void dpa_deliver(dpa_client *c, dpa_reply_cb cb, void *user, struct json_object *msg,
                 int http_status, const char *json_text, const char *error_code,
                 const char *error_message);

#endif
