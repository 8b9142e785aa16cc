/* libdroponair: the context, WebSocket sessions and protocol commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define PROTOCOL "droponair.v1"
static const int backoff_ms[] = {250, 500, 1000, 2000, 4000};

int64_t
dpa_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dpa_set_state(dpa_client *c, dpa_state s)
{
    if (c->state == s)
        return;
    c->state = s;
    if (c->on_state)
        c->on_state(c, s, c->user);
}

static const char *
jstr(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

void
dpa_deliver(dpa_client *c, dpa_reply_cb cb, void *user, struct json_object *msg,
            int http_status, const char *json_text, const char *error_code,
            const char *error_message)
{
    struct json_object *err = NULL, *ok = NULL;
    dpa_reply r;

    if (!cb)
        return;
    memset(&r, 0, sizeof(r));
    r.http_status = http_status;
    r.json = json_text ? json_text : "";
    if (msg && json_object_object_get_ex(msg, "ok", &ok))
        r.ok = json_object_get_boolean(ok);
    else if (http_status)
        r.ok = http_status >= 200 && http_status < 300;
    r.status = jstr(msg, "status");
    r.call_id = jstr(msg, "callId");
    if (msg && json_object_object_get_ex(msg, "error", &err)) {
        r.ok = 0;
        r.error_code = jstr(err, "code");
        r.error_message = jstr(err, "message");
    }
    if (error_code) {
        r.ok = 0;
        r.error_code = error_code;
        r.error_message = error_message;
    }
    cb(c, &r, user);
}

/* ---- frames ---- */

static outmsg *
frame(const char *text, size_t len)
{
    outmsg *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (!m)
        return NULL;
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len);
    return m;
}

static void
free_frames(outmsg *m)
{
    while (m) {
        outmsg *n = m->next;
        free(m);
        m = n;
    }
}

/* Sends {id, type, ...fields}; registers cb for the reply. */
static int
send_cmd(dpa_client *c, const char *type, struct json_object *fields, dpa_reply_cb cb,
         void *user, int internal)
{
    struct json_object *o = fields ? fields : json_object_new_object();
    /* Without a callback the command goes without an id: no reply on success. */
    pending *p = (cb || internal) ? calloc(1, sizeof(*p)) : NULL;
    const char *text;
    size_t len;
    outmsg *m;

    if ((cb || internal) && !p) {
        json_object_put(o);
        return DPA_E_NOMEM;
    }
    if (p) {
        p->id = ++c->next_id;
        p->cb = cb;
        p->user = user;
        p->internal = internal;
        p->deadline_ms = dpa_now_ms() + c->timeout_ms;
        json_object_object_add(o, "id", json_object_new_int64(p->id));
    }
    json_object_object_add(o, "type", json_object_new_string(type));
    text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
    m = frame(text, len);
    json_object_put(o);
    if (!m) {
        free(p);
        return DPA_E_NOMEM;
    }
    if (p) {
        p->next = c->pending;
        c->pending = p;
    }
    if (internal) {
        free_frames(c->hs);
        c->hs = m;
    } else {
        if (c->qtail)
            c->qtail->next = m;
        else
            c->qhead = m;
        c->qtail = m;
    }
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    return DPA_OK;
}

static pending *
take_pending(dpa_client *c, int64_t id)
{
    pending **pp = &c->pending, *p;
    for (; (p = *pp); pp = &p->next) {
        if (p->id == id) {
            *pp = p->next;
            return p;
        }
    }
    return NULL;
}

/* Fails every pending request with code (all, or only the handshake's). */
static void
fail_pending(dpa_client *c, const char *code, const char *message)
{
    pending *p = c->pending, *next;

    c->pending = NULL;
    for (; p; p = next) {
        next = p->next;
        if (!p->internal)
            dpa_deliver(c, p->cb, p->user, NULL, 0, NULL, code, message);
        free(p);
    }
}

/* ---- handshake ---- */

static void on_auth_reply(dpa_client *c, const dpa_reply *r, void *user);

static void
send_auth(dpa_client *c)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "token", json_object_new_string(c->token ? c->token : ""));
    send_cmd(c, "AUTH", o, on_auth_reply, NULL, 1);
}

static void
emit_local(dpa_client *c, const char *type)
{
    dpa_event ev;
    char json[96];

    if (!c->on_event)
        return;
    memset(&ev, 0, sizeof(ev));
    snprintf(json, sizeof(json), "{\"type\":\"%s\"}", type);
    ev.type = type;
    ev.json = json;
    c->on_event(c, &ev, c->user);
}

static void
on_resume_reply(dpa_client *c, const dpa_reply *r, void *user)
{
    (void)user;
    if (r->ok) {
        c->attempt = 0;
        dpa_set_state(c, DPA_STATE_OPEN);
        if (c->wsi)
            lws_callback_on_writable(c->wsi);
        return;
    }
    /* The session is gone: a fresh one; the app joins its calls again. */
    c->resume_token[0] = '\0';
    c->last_seq = 0;
    emit_local(c, "SDK_SESSION_EXPIRED");
    send_auth(c);
}

static void
on_auth_reply(dpa_client *c, const dpa_reply *r, void *user)
{
    struct json_object *o = NULL;
    (void)user;

    if (!r->ok) {
        /* A refused token is final. */
        c->closing = 1;
        if (c->wsi)
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        fail_pending(c, r->error_code ? r->error_code : "UNAUTHORIZED", r->error_message);
        dpa_set_state(c, DPA_STATE_CLOSED);
        return;
    }
    o = json_tokener_parse(r->json);
    snprintf(c->user_id, sizeof(c->user_id), "%s", jstr(o, "userId") ? jstr(o, "userId") : "");
    if (jstr(o, "resumeToken") && strcmp(c->resume_token, jstr(o, "resumeToken")) != 0) {
        snprintf(c->resume_token, sizeof(c->resume_token), "%s", jstr(o, "resumeToken"));
        c->last_seq = 0;
    }
    json_object_put(o);
    c->attempt = 0;
    dpa_set_state(c, DPA_STATE_OPEN);
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
}

static void
handshake(dpa_client *c)
{
    if (c->resuming && c->resume_token[0]) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "resumeToken", json_object_new_string(c->resume_token));
        json_object_object_add(o, "lastSeq", json_object_new_int64(c->last_seq));
        send_cmd(c, "RESUME", o, on_resume_reply, NULL, 1);
    } else {
        send_auth(c);
    }
}

/* ---- connecting ---- */

static int
parse_url(dpa_client *c)
{
    const char *u = c->base_url, *p;
    size_t n;

    if (strncmp(u, "https://", 8) == 0) {
        c->tls = 1;
        u += 8;
    } else if (strncmp(u, "http://", 7) == 0) {
        u += 7;
    } else {
        return DPA_E_INVALID;
    }
    c->port = c->tls ? 443 : 80;
    n = strcspn(u, ":/");
    if (n == 0 || n >= sizeof(c->host))
        return DPA_E_INVALID;
    memcpy(c->host, u, n);
    c->host[n] = '\0';
    p = u + n;
    if (*p == ':') {
        c->port = atoi(p + 1);
        p += strcspn(p, "/");
    }
    snprintf(c->path_prefix, sizeof(c->path_prefix), "%s", *p ? p : "");
    n = strlen(c->path_prefix);
    while (n && c->path_prefix[n - 1] == '/')
        c->path_prefix[--n] = '\0';
    return c->port > 0 && c->port < 65536 ? DPA_OK : DPA_E_INVALID;
}

static int
open_socket(dpa_client *c)
{
    struct lws_client_connect_info i;
    char path[300];

    memset(&i, 0, sizeof(i));
    snprintf(path, sizeof(path), "%s/api/ws", c->path_prefix);
    i.context = c->ctx->lws;
    i.address = c->host;
    i.port = c->port;
    i.path = path;
    i.host = c->host;
    i.origin = c->host;
    i.protocol = PROTOCOL;
    i.local_protocol_name = PROTOCOL;
    i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
    i.userdata = c;
    i.pwsi = &c->wsi;
    dpa_set_state(c, c->resuming ? DPA_STATE_RECONNECTING : DPA_STATE_CONNECTING);
    if (!lws_client_connect_via_info(&i)) {
        c->wsi = NULL;
        return DPA_E_CONNECT;
    }
    return DPA_OK;
}

static void
reconnect_now(lws_sorted_usec_list_t *sul)
{
    dpa_client *c = lws_container_of(sul, dpa_client, sul_reconnect);

    if (c->closing)
        return;
    c->resuming = 1;
    if (open_socket(c) != DPA_OK)
        lws_sul_schedule(c->ctx->lws, 0, &c->sul_reconnect, reconnect_now,
                         (lws_usec_t)backoff_ms[4] * LWS_US_PER_MS);
}

/* The connection is gone: fail what was in flight, maybe reconnect. */
static void
lost(dpa_client *c)
{
    int idx;

    c->wsi = NULL;
    free(c->rx);
    c->rx = NULL;
    c->rxlen = c->rxcap = 0;
    free_frames(c->hs);
    c->hs = NULL;
    free_frames(c->qhead);
    c->qhead = c->qtail = NULL;
    fail_pending(c, "DISCONNECTED", "the connection closed");
    if (c->closing || !c->reconnect || !c->resume_token[0]) {
        dpa_set_state(c, DPA_STATE_CLOSED);
        return;
    }
    idx = c->attempt < 4 ? c->attempt : 4;
    c->attempt++;
    dpa_set_state(c, DPA_STATE_RECONNECTING);
    lws_sul_schedule(c->ctx->lws, 0, &c->sul_reconnect, reconnect_now,
                     (lws_usec_t)backoff_ms[idx] * LWS_US_PER_MS);
}

/* ---- receiving ---- */

static void
on_message(dpa_client *c, const char *text, size_t len)
{
    struct json_object *msg = json_tokener_parse(text), *v;
    pending *p;

    (void)len;
    if (!msg || !json_object_is_type(msg, json_type_object)) {
        json_object_put(msg);
        return;
    }
    if (json_object_object_get_ex(msg, "id", &v) && json_object_is_type(v, json_type_int) &&
        (p = take_pending(c, json_object_get_int64(v)))) {
        dpa_deliver(c, p->cb, p->user, msg, 0, text, NULL, NULL);
        free(p);
    } else if (jstr(msg, "type")) {
        dpa_event ev;
        struct json_object *payload = NULL;
        int64_t seq = 0;

        if (json_object_object_get_ex(msg, "seq", &v))
            seq = json_object_get_int64(v);
        if (seq && seq <= c->last_seq) {
            json_object_put(msg); /* replay overlap */
            return;
        }
        if (seq)
            c->last_seq = seq;
        memset(&ev, 0, sizeof(ev));
        ev.type = jstr(msg, "type");
        ev.json = text;
        ev.room_id = jstr(msg, "roomId");
        ev.call_id = jstr(msg, "callId");
        ev.from = jstr(msg, "from");
        ev.user_id = jstr(msg, "userId");
        ev.seq = seq;
        if (json_object_object_get_ex(msg, "payload", &payload))
            ev.payload = json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN);
        if (strcmp(ev.type, "SESSION") != 0 && c->on_event)
            c->on_event(c, &ev, c->user);
    }
    json_object_put(msg);
}

static int
receive(dpa_client *c, struct lws *wsi, const char *in, size_t len)
{
    if (lws_is_first_fragment(wsi))
        c->rxlen = 0;
    if (c->rxlen + len + 1 > c->rxcap) {
        size_t cap = (c->rxlen + len + 1) * 2;
        char *p = realloc(c->rx, cap);
        if (!p)
            return -1;
        c->rx = p;
        c->rxcap = cap;
    }
    memcpy(c->rx + c->rxlen, in, len);
    c->rxlen += len;
    if (lws_is_final_fragment(wsi)) {
        c->rx[c->rxlen] = '\0';
        on_message(c, c->rx, c->rxlen);
        c->rxlen = 0;
    }
    return 0;
}

static int
writeable(dpa_client *c, struct lws *wsi)
{
    outmsg *m = NULL;

    if (c->hs) {
        m = c->hs;
        c->hs = NULL;
    } else if (c->state == DPA_STATE_OPEN && c->qhead) {
        m = c->qhead;
        c->qhead = m->next;
        if (!c->qhead)
            c->qtail = NULL;
    }
    if (!m)
        return 0;
    if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len) {
        free(m);
        return -1;
    }
    free(m);
    if (c->hs || (c->state == DPA_STATE_OPEN && c->qhead))
        lws_callback_on_writable(wsi);
    return 0;
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    dpa_client *c = user;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!c)
            return -1;
        handshake(c);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return c ? receive(c, wsi, in, len) : -1;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!c)
            return -1;
        if (c->closing) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"bye", 3);
            return -1;
        }
        return writeable(c, wsi);
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c && c->wsi == wsi)
            lost(c);
        return 0;
    default:
        return 0;
    }
}

/* ---- context ---- */

static void
tick(lws_sorted_usec_list_t *sul)
{
    dpa_context *ctx = lws_container_of(sul, dpa_context, sul_tick);
    int64_t now = dpa_now_ms();
    dpa_client *c;

    for (c = ctx->clients; c; c = c->next) {
        pending **pp = &c->pending, *p;
        while ((p = *pp)) {
            if (p->deadline_ms <= now) {
                *pp = p->next;
                if (!p->internal)
                    dpa_deliver(c, p->cb, p->user, NULL, 0, NULL, "TIMEOUT", "no reply in time");
                free(p);
            } else {
                pp = &p->next;
            }
        }
    }
    lws_sul_schedule(ctx->lws, 0, &ctx->sul_tick, tick, 250 * LWS_US_PER_MS);
}

dpa_context *
dpa_context_new(void)
{
    static struct lws_protocols protocols[] = {
        {"dpa-http", dpa_rest_callback, 0, 0, 0, NULL, 0},
        {PROTOCOL, ws_callback, 0, 4096, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0}};
    struct lws_context_creation_info info;
    dpa_context *ctx = calloc(1, sizeof(*ctx));

    if (!ctx)
        return NULL;
    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.fd_limit_per_thread = 0;
    ctx->lws = lws_create_context(&info);
    if (!ctx->lws) {
        free(ctx);
        return NULL;
    }
    lws_sul_schedule(ctx->lws, 0, &ctx->sul_tick, tick, 250 * LWS_US_PER_MS);
    return ctx;
}

void
dpa_context_free(dpa_context *ctx)
{
    if (!ctx)
        return;
    lws_sul_cancel(&ctx->sul_tick);
    lws_context_destroy(ctx->lws);
    free(ctx);
}

int
dpa_context_run(dpa_context *ctx, int timeout_ms)
{
    return lws_service(ctx->lws, timeout_ms);
}

void
dpa_context_wake(dpa_context *ctx)
{
    lws_cancel_service(ctx->lws);
}

/* ---- client ---- */

dpa_client *
dpa_client_new(dpa_context *ctx, const dpa_client_options *o)
{
    dpa_client *c;

    if (!ctx || !o || !o->base_url)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ctx = ctx;
    c->base_url = strdup(o->base_url);
    c->token = o->token ? strdup(o->token) : NULL;
    c->on_event = o->on_event;
    c->on_state = o->on_state;
    c->user = o->user;
    c->reconnect = o->reconnect;
    c->timeout_ms = o->request_timeout_ms > 0 ? o->request_timeout_ms : 10000;
    if (!c->base_url || parse_url(c) != DPA_OK) {
        free(c->base_url);
        free(c->token);
        free(c);
        return NULL;
    }
    c->next = ctx->clients;
    ctx->clients = c;
    return c;
}

void
dpa_client_free(dpa_client *c)
{
    dpa_client **pc;
    pending *p, *next;

    if (!c)
        return;
    for (pc = &c->ctx->clients; *pc; pc = &(*pc)->next)
        if (*pc == c) {
            *pc = c->next;
            break;
        }
    lws_sul_cancel(&c->sul_reconnect);
    if (c->wsi) {
        lws_set_wsi_user(c->wsi, NULL);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
    dpa_rest_detach_all(c);
    for (p = c->pending; p; p = next) {
        next = p->next;
        free(p);
    }
    free_frames(c->hs);
    free_frames(c->qhead);
    free(c->rx);
    free(c->base_url);
    free(c->token);
    free(c);
}

int
dpa_client_connect(dpa_client *c)
{
    if (!c)
        return DPA_E_INVALID;
    if (c->wsi)
        return DPA_OK;
    c->closing = 0;
    c->resuming = 0;
    return open_socket(c);
}

void
dpa_client_close(dpa_client *c)
{
    if (!c)
        return;
    c->closing = 1;
    lws_sul_cancel(&c->sul_reconnect);
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
    else
        dpa_set_state(c, DPA_STATE_CLOSED);
}

dpa_state
dpa_client_state(const dpa_client *c)
{
    return c ? c->state : DPA_STATE_CLOSED;
}

const char *
dpa_client_user_id(const dpa_client *c)
{
    return c ? c->user_id : "";
}

int
dpa_client_set_token(dpa_client *c, const char *token, dpa_reply_cb cb, void *user)
{
    char *t;
    struct json_object *o;

    if (!c || !token)
        return DPA_E_INVALID;
    t = strdup(token);
    if (!t)
        return DPA_E_NOMEM;
    free(c->token);
    c->token = t;
    if (c->state != DPA_STATE_OPEN)
        return DPA_OK;
    o = json_object_new_object();
    json_object_object_add(o, "token", json_object_new_string(token));
    return send_cmd(c, "AUTH", o, cb, user, 0);
}

int
dpa_client_request(dpa_client *c, const char *type, const char *fields_json, dpa_reply_cb cb,
                   void *user)
{
    struct json_object *o = NULL;

    if (!c || !type)
        return DPA_E_INVALID;
    if (fields_json) {
        o = json_tokener_parse(fields_json);
        if (!o || !json_object_is_type(o, json_type_object)) {
            json_object_put(o);
            return DPA_E_INVALID;
        }
    }
    if (!c->wsi && c->state != DPA_STATE_RECONNECTING) {
        json_object_put(o);
        return DPA_E_NOT_CONNECTED;
    }
    return send_cmd(c, type, o, cb, user, 0);
}

/* Builds a command from key/value strings (NULL values are left out). */
static int
command(dpa_client *c, const char *type, dpa_reply_cb cb, void *user, const char *k1,
        const char *v1, const char *k2, const char *v2, const char *k3, const char *v3)
{
    struct json_object *o;

    if (!c || !type)
        return DPA_E_INVALID;
    if (!c->wsi && c->state != DPA_STATE_RECONNECTING)
        return DPA_E_NOT_CONNECTED;
    o = json_object_new_object();
    if (k1 && v1)
        json_object_object_add(o, k1, json_object_new_string(v1));
    if (k2 && v2)
        json_object_object_add(o, k2, json_object_new_string(v2));
    if (k3 && v3)
        json_object_object_add(o, k3, json_object_new_string(v3));
    return send_cmd(c, type, o, cb, user, 0);
}

int
dpa_client_join_room(dpa_client *c, const char *room_id, dpa_reply_cb cb, void *user)
{
    if (!room_id)
        return DPA_E_INVALID;
    return command(c, "JOIN_ROOM", cb, user, "roomId", room_id, NULL, NULL, NULL, NULL);
}

int
dpa_client_send_signal(dpa_client *c, const char *signal, const char *call_id,
                       const char *group_id, const char *peer, const char *payload_json,
                       dpa_reply_cb cb, void *user)
{
    struct json_object *o, *payload;

    if (!c || !signal || !call_id || !peer || !payload_json)
        return DPA_E_INVALID;
    if (!c->wsi && c->state != DPA_STATE_RECONNECTING)
        return DPA_E_NOT_CONNECTED;
    payload = json_tokener_parse(payload_json);
    if (!payload && strcmp(payload_json, "null") != 0)
        return DPA_E_INVALID;
    o = json_object_new_object();
    json_object_object_add(o, "signal", json_object_new_string(signal));
    json_object_object_add(o, "callId", json_object_new_string(call_id));
    json_object_object_add(o, "groupId", json_object_new_string(group_id ? group_id : ""));
    json_object_object_add(o, "to", json_object_new_string(peer));
    json_object_object_add(o, "payload", payload);
    return send_cmd(c, "GROUP_CALL_SIGNAL", o, cb, user, 0);
}

int
dpa_client_leave_call(dpa_client *c, const char *call_id, dpa_reply_cb cb, void *user)
{
    if (!call_id)
        return DPA_E_INVALID;
    return command(c, "GROUP_CALL_LEAVE", cb, user, "callId", call_id, NULL, NULL, NULL, NULL);
}

int
dpa_client_cancel_wait(dpa_client *c, const char *room_id, dpa_reply_cb cb, void *user)
{
    if (!room_id)
        return DPA_E_INVALID;
    return command(c, "CANCEL_WAIT", cb, user, "roomId", room_id, NULL, NULL, NULL, NULL);
}

int
dpa_client_set_media_state(dpa_client *c, const char *call_id, int audio, int video,
                           dpa_reply_cb cb, void *user)
{
    char fields[160];
    int n;

    if (!call_id || strlen(call_id) > 64)
        return DPA_E_INVALID;
    n = snprintf(fields, sizeof(fields), "{\"callId\":\"%s\"", call_id);
    if (audio >= 0)
        n += snprintf(fields + n, sizeof(fields) - (size_t)n, ",\"audio\":%s", audio ? "true" : "false");
    if (video >= 0)
        n += snprintf(fields + n, sizeof(fields) - (size_t)n, ",\"video\":%s", video ? "true" : "false");
    snprintf(fields + n, sizeof(fields) - (size_t)n, "}");
    return dpa_client_request(c, "GROUP_CALL_MEDIA_STATE", fields, cb, user);
}

int
dpa_client_screen_share(dpa_client *c, const char *call_id, int start, dpa_reply_cb cb,
                        void *user)
{
    if (!call_id)
        return DPA_E_INVALID;
    return command(c, start ? "GROUP_CALL_SCREEN_SHARE_START" : "GROUP_CALL_SCREEN_SHARE_STOP",
                   cb, user, "callId", call_id, NULL, NULL, NULL, NULL);
}

int
dpa_client_admit(dpa_client *c, const char *room_id, const char *user_id, dpa_reply_cb cb,
                 void *user)
{
    if (!room_id)
        return DPA_E_INVALID;
    if (user_id)
        return command(c, "ADMIT", cb, user, "roomId", room_id, "userId", user_id, NULL, NULL);
    {
        char fields[160];
        if (strlen(room_id) > 64)
            return DPA_E_INVALID;
        snprintf(fields, sizeof(fields), "{\"roomId\":\"%s\",\"all\":true}", room_id);
        return dpa_client_request(c, "ADMIT", fields, cb, user);
    }
}

int
dpa_client_deny(dpa_client *c, const char *room_id, const char *user_id, dpa_reply_cb cb,
                void *user)
{
    if (!room_id || !user_id)
        return DPA_E_INVALID;
    return command(c, "DENY", cb, user, "roomId", room_id, "userId", user_id, NULL, NULL);
}

int
dpa_client_mute(dpa_client *c, const char *call_id, const char *user_id, const char *kind,
                dpa_reply_cb cb, void *user)
{
    if (!call_id || !user_id || !kind)
        return DPA_E_INVALID;
    return command(c, "MUTE_PARTICIPANT", cb, user, "callId", call_id, "userId", user_id, "kind",
                   kind);
}

int
dpa_client_remove(dpa_client *c, const char *call_id, const char *user_id, int ban,
                  dpa_reply_cb cb, void *user)
{
    struct json_object *o;

    if (!c || !call_id || !user_id)
        return DPA_E_INVALID;
    if (!c->wsi && c->state != DPA_STATE_RECONNECTING)
        return DPA_E_NOT_CONNECTED;
    o = json_object_new_object();
    json_object_object_add(o, "callId", json_object_new_string(call_id));
    json_object_object_add(o, "userId", json_object_new_string(user_id));
    json_object_object_add(o, "ban", json_object_new_boolean(ban));
    return send_cmd(c, "REMOVE_PARTICIPANT", o, cb, user, 0);
}

int
dpa_client_set_role(dpa_client *c, const char *call_id, const char *user_id, const char *role,
                    dpa_reply_cb cb, void *user)
{
    if (!call_id || !user_id || !role)
        return DPA_E_INVALID;
    return command(c, "SET_ROLE", cb, user, "callId", call_id, "userId", user_id, "role", role);
}

int
dpa_client_end_call(dpa_client *c, const char *call_id, dpa_reply_cb cb, void *user)
{
    if (!call_id)
        return DPA_E_INVALID;
    return command(c, "END_CALL", cb, user, "callId", call_id, NULL, NULL, NULL, NULL);
}

int
dpa_client_watch_room(dpa_client *c, const char *room_id, int watch, dpa_reply_cb cb,
                      void *user)
{
    if (!room_id)
        return DPA_E_INVALID;
    return command(c, watch ? "WATCH_ROOM" : "UNWATCH_ROOM", cb, user, "roomId", room_id, NULL,
                   NULL, NULL, NULL);
}
