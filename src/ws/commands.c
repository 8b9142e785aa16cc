/*
 * WebSocket commands: each has a declared field table (generated from
 * protocol/droponair.v1.json into ws/protocol_gen.c) and a handler,
 * dispatched by table. Replies carry the request's id; events the command
 * causes for the same session are held back until the reply is queued.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "server/log.h"
#include "ws/internal.h"
#include "ws/protocol_gen.h"

typedef struct ws_req {
    ws_session *s;
    struct json_object *msg;
    struct json_object *id;       /* borrowed from msg; NULL when absent */
} ws_req;

typedef struct ws_command {
    const char *type;
    const field_spec *fields;
    void (*fn)(ws_req *r);
    bool needs_auth;
} ws_command;

/* ---- replies ---- */

static void
reply(ws_session *s, struct json_object *id, struct json_object *fields)
{
    struct json_object *o = json_object_new_object();

    if (id)
        json_object_object_add(o, "id", json_object_get(id));
    json_object_object_add(o, "ok", json_object_new_boolean(1));
    if (fields) {
        json_object_object_foreach(fields, k, v) json_object_object_add(o, k, json_object_get(v));
        json_object_put(fields);
    }
    session_send_json(s, o);
    json_object_put(o);
}

static void
reply_ok(ws_req *r, struct json_object *fields)
{
    /* Without an id, success needs no answer. */
    if (!r->id) {
        json_object_put(fields);
        return;
    }
    reply(r->s, r->id, fields);
}

static void
reply_error(ws_session *s, struct json_object *id, dpa_err e, const char *field,
            limit_source src, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The one way an error reaches a WebSocket client: {"id","ok":false,"error":error_json}. */
static void
reply_err(ws_session *s, struct json_object *id, dpa_err e, const dpa_error *d)
{
    struct json_object *o = json_object_new_object();

    if (id)
        json_object_object_add(o, "id", json_object_get(id));
    json_object_object_add(o, "ok", json_object_new_boolean(0));
    json_object_object_add(o, "error", error_json(e, d));
    session_send_json(s, o);
    json_object_put(o);
}

static void
reply_error(ws_session *s, struct json_object *id, dpa_err e, const char *field,
            limit_source src, const char *fmt, ...)
{
    dpa_error d;
    va_list ap;

    error_set(&d, e, field, NULL);
    if (fmt && *fmt) {
        va_start(ap, fmt);
        vsnprintf(d.message, sizeof(d.message), fmt, ap);
        va_end(ap);
    }
    d.limit = src;
    reply_err(s, id, e, &d);
}

static void
reply_call_err(ws_req *r, dpa_err e, const dpa_error *ce)
{
    reply_err(r->s, r->id, e, ce);
}

/* ---- authentication ---- */

static void
finish_auth(ws_session *s, struct json_object *id, bool header, dpa_err e, const dpa_error *d,
            const identity *who)
{
    struct json_object *o;

    if (e != E_OK) {
        if (header) {
            o = json_object_new_object();
            json_object_object_add(o, "type", json_object_new_string("ERROR"));
            json_object_object_add(o, "error", error_json(e, d));
            session_send_json(s, o);
            json_object_put(o);
            session_close(s, 1008, "unauthorized");
        } else {
            reply_err(s, id, e, d);
        }
        return;
    }
    if (s->authed) {
        if (strcmp(s->who.user_id, who->user_id) != 0 || strcmp(s->who.app_id, who->app_id) != 0) {
            reply_error(s, id, E_FORBIDDEN, NULL, LIMIT_NONE,
                        "the token is for another user than this session's");
            return;
        }
        s->who = *who; /* refreshed: a later exp, maybe a new name */
    } else {
        s->who = *who;
        if (!caps_conn_take(s)) {
            reply_error(s, id, E_RATE_LIMITED, NULL, LIMIT_NONE,
                        "at most %d connections per user", s->srv->cfg->ws_conns_per_user);
            session_close(s, 1008, "too many connections");
            return;
        }
        s->authed = true;
        session_register(s);
    }
    o = json_object_new_object();
    if (header)
        json_object_object_add(o, "type", json_object_new_string("SESSION"));
    json_object_object_add(o, "userId", json_object_new_string(s->who.user_id));
    json_object_object_add(o, "resumeToken", json_object_new_string(s->resume_token));
    if (header) {
        session_send_json(s, o);
        json_object_put(o);
    } else {
        reply(s, id, o);
    }
}

static void
auth_resumed(reload_waiter *w)
{
    ws_session *s = lws_container_of(w, ws_session, waiter);
    identity who;
    dpa_error d;
    dpa_err e;

    if (session_release(s)) {
        server_auth(s->srv, s->pending_token, &who, &e, &d, &s->waiter, true, false);
        finish_auth(s, s->pending_id, s->pending_is_header, e, &d, &who);
    } else {
        return;
    }
    free(s->pending_token);
    s->pending_token = NULL;
    json_object_put(s->pending_id);
    s->pending_id = NULL;
}

static void
start_auth(ws_session *s, struct json_object *id, const char *token, bool header)
{
    identity who;
    dpa_error d;
    dpa_err e;

    if (s->pending_token) {
        reply_error(s, id, E_BAD_REQUEST, NULL, LIMIT_NONE, "an AUTH is already in progress");
        return;
    }
    s->waiter.resume = auth_resumed;
    if (server_auth(s->srv, token, &who, &e, &d, &s->waiter, false, false)) {
        s->pending_token = xstrdup(token);
        s->pending_id = json_object_get(id);
        s->pending_is_header = header;
        session_hold(s);
        return;
    }
    finish_auth(s, id, header, e, &d, &who);
}

void
ws_auth_header(ws_session *s, const char *token)
{
    start_auth(s, NULL, token, true);
}

static void
cmd_auth(ws_req *r)
{
    start_auth(r->s, r->id, json_get_str(r->msg, "token"), false);
}

static void
cmd_resume(ws_req *r)
{
    ws_session *s = r->s, *t;
    const char *token = json_get_str(r->msg, "resumeToken");
    uint64_t last = (uint64_t)json_get_int(r->msg, "lastSeq", 0);
    struct lws *wsi = s->wsi;
    struct json_object *o;

    if (s->authed) {
        reply_error(s, r->id, E_BAD_REQUEST, NULL, LIMIT_NONE,
                    "RESUME must be a connection's first request");
        return;
    }
    t = hmap_get(s->ws->sessions_by_token, token);
    if (!t || session_ended(t) || t == s || !session_can_replay(t, last)) {
        reply_error(s, r->id, E_RESUME_EXPIRED, NULL, LIMIT_NONE,
                    "the session cannot be resumed; authenticate and join again");
        return;
    }
    if (!t->wsi && !caps_conn_take(t)) {
        /* A session in the grace comes back only within the user's connection cap. */
        reply_error(s, r->id, E_RATE_LIMITED, NULL, LIMIT_NONE,
                    "at most %d connections per user", s->srv->cfg->ws_conns_per_user);
        session_close(s, 1008, "too many connections");
        return;
    }
    if (t->wsi) {
        /* The old connection is still open: it loses the session. */
        struct ws_pss *old = lws_wsi_user(t->wsi);
        if (old)
            old->s = NULL;
        lws_set_timeout(t->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        t->wsi = NULL; /* its connection count passes to this connection */
    }
    /* This connection now carries t; the blank session it had goes. */
    ((struct ws_pss *)lws_wsi_user(wsi))->s = t;
    s->wsi = NULL;
    session_end(s);
    session_bind(t, wsi);
    o = json_object_new_object();
    json_object_object_add(o, "userId", json_object_new_string(t->who.user_id));
    json_object_object_add(o, "resumeToken", json_object_new_string(t->resume_token));
    json_object_object_add(o, "lastSeq", json_object_new_int64((int64_t)t->seq));
    reply(t, r->id, o);
    session_replay(t, last);
    dlog(LOG_INFO, "msg=\"session resumed\" user=%s from_seq=%llu to_seq=%llu",
         t->who.user_id, (unsigned long long)last, (unsigned long long)t->seq);
}

static void
cmd_ping(ws_req *r)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "pong", json_object_new_boolean(1));
    json_object_object_add(o, "serverTime", json_object_new_int64(now_ms()));
    reply(r->s, r->id, o);
}

/* ---- rooms and calls ---- */

/* A request that waits for a room to be loaded. */
typedef struct room_op {
    ws_session *s;
    struct json_object *msg;
    struct json_object *id;
    void (*fn)(ws_req *r, live_call *lc);
} room_op;

static void
room_loaded(void *arg, live_call *lc, dpa_err e)
{
    room_op *op = arg;
    ws_req r = {op->s, op->msg, op->id};

    if (!lc) {
        reply_error(op->s, op->id, e, NULL, LIMIT_NONE, "%s",
                    e == E_ROOM_NOT_FOUND ? "no such room" : error_message(e));
        return;
    }
    op->s->deferring = true;
    op->s->cur_lc = lc;
    op->fn(&r, lc);
    op->s->cur_lc = NULL;
    session_flush_deferred(op->s);
}

static void
room_op_free(void *arg)
{
    room_op *op = arg;

    json_object_put(op->msg);
    free(op);
}

/* Runs fn with the live state of the request's roomId (loading it when needed). */
static void
with_room(ws_req *r, void (*fn)(ws_req *r, live_call *lc))
{
    room_op *op = xcalloc(1, sizeof(*op));

    op->s = r->s;
    op->msg = json_object_get(r->msg);
    op->id = r->id;
    op->fn = fn;
    live_with_room(r->s->srv, &r->s->async, r->s->who.app_id, json_get_str(r->msg, "roomId"),
                   r->s->who.plan, room_loaded, room_op_free, op);
}

/* The live call named by the request's callId, if the caller's app has it. */
static live_call *
with_call(ws_req *r)
{
    live_call *lc = live_find_call(r->s->srv, json_get_str(r->msg, "callId"));

    if (!lc || strcmp(call_room(lc)->app_id, r->s->who.app_id) != 0) {
        reply_error(r->s, r->id, E_NO_LIVE_CALL, "callId", LIMIT_NONE, "no such live call");
        return NULL;
    }
    return lc;
}

/* The actor the call sees: the session's user and what its token grants. */
static call_actor
actor_of(ws_session *s)
{
    return auth_actor(&s->who, s->id);
}

static void
do_join(ws_req *r, live_call *lc)
{
    call_actor a = actor_of(r->s);
    struct json_object *out = NULL;
    dpa_error ce = {0};
    dpa_err e;

    if (!caps_room_take(r->s, call_room(lc)->id)) {
        reply_error(r->s, r->id, E_RATE_LIMITED, NULL, LIMIT_NONE,
                    "a session may take part in at most %d rooms at once", WS_ROOMS_PER_SESSION);
        return;
    }
    e = call_join(lc, &a, now_ms(), &out, &ce);
    if (e) {
        reply_call_err(r, e, &ce);
        return;
    }
    reply(r->s, r->id, out);
}

static void
cmd_join(ws_req *r)
{
    with_room(r, do_join);
}

static void
do_cancel_wait(ws_req *r, live_call *lc)
{
    dpa_error ce = {0};
    dpa_err e = call_cancel_wait(lc, r->s->who.user_id, &ce);

    if (e)
        reply_call_err(r, e, &ce);
    else
        reply_ok(r, NULL);
}

static void
cmd_cancel_wait(ws_req *r)
{
    with_room(r, do_cancel_wait);
}

static void
do_watch(ws_req *r, live_call *lc)
{
    call_actor a = actor_of(r->s);
    dpa_error ce = {0};
    struct json_object *o;
    dpa_err e;

    if (!caps_room_take(r->s, call_room(lc)->id)) {
        reply_error(r->s, r->id, E_RATE_LIMITED, NULL, LIMIT_NONE,
                    "a session may take part in at most %d rooms at once", WS_ROOMS_PER_SESSION);
        return;
    }
    e = call_watch(lc, &a, &ce);
    if (e) {
        reply_call_err(r, e, &ce);
        return;
    }
    o = json_object_new_object();
    json_object_object_add(o, "roomId", json_object_new_string(call_room(lc)->id));
    json_object_object_add(o, "call", call_state_json(lc, &a));
    json_object_object_add(o, "waiting", call_waiting_json(lc));
    reply(r->s, r->id, o);
}

static void
cmd_watch(ws_req *r)
{
    with_room(r, do_watch);
}

static void
do_unwatch(ws_req *r, live_call *lc)
{
    call_unwatch(lc, r->s->id);
    reply_ok(r, NULL);
}

static void
cmd_unwatch(ws_req *r)
{
    with_room(r, do_unwatch);
}

static void
do_admit(ws_req *r, live_call *lc)
{
    const char *target = json_get_str(r->msg, "userId");
    bool all = json_get_bool(r->msg, "all", false);
    call_actor a = actor_of(r->s);
    struct json_object *out = NULL;
    dpa_error ce = {0};
    dpa_err e;

    if (!target == !all) {
        reply_error(r->s, r->id, E_BAD_REQUEST, "userId", LIMIT_NONE,
                    "give either userId or all:true");
        return;
    }
    e = call_admit(lc, &a, all ? NULL : target, now_ms(), &out, &ce);
    if (e)
        reply_call_err(r, e, &ce);
    else
        reply_ok(r, out);
}

static void
cmd_admit(ws_req *r)
{
    with_room(r, do_admit);
}

static void
do_deny(ws_req *r, live_call *lc)
{
    call_actor a = actor_of(r->s);
    dpa_error ce = {0};
    dpa_err e = call_deny(lc, &a, json_get_str(r->msg, "userId"), &ce);

    if (e)
        reply_call_err(r, e, &ce);
    else
        reply_ok(r, NULL);
}

static void
cmd_deny(ws_req *r)
{
    with_room(r, do_deny);
}

/* Runs a command on the live call named by callId and replies. */
#define CALL_CMD(name, expr)                                     \
    static void name(ws_req *r)                                  \
    {                                                            \
        dpa_error ce = {0};                                      \
        call_actor actor = actor_of(r->s);                       \
        live_call *lc = with_call(r);                            \
        dpa_err e;                                               \
        (void)actor;                                             \
        if (!lc)                                                 \
            return;                                              \
        r->s->cur_lc = lc;                                       \
        e = (expr);                                              \
        if (e)                                                   \
            reply_call_err(r, e, &ce);                           \
        else                                                     \
            reply_ok(r, NULL);                                   \
        r->s->cur_lc = NULL;                                     \
        live_reap(r->s->srv, lc);                                \
    }

#define USER (r->s->who.user_id)
#define ACTOR (&actor)
#define ARG(k) json_get_str(r->msg, k)

static dpa_err
leave(ws_req *r, live_call *lc, dpa_error *ce)
{
    if (call_leave(lc, USER, "LEFT", now_ms()) != E_OK) {
        snprintf(ce->message, sizeof(ce->message), "you are not in this call");
        return E_NO_LIVE_CALL;
    }
    return E_OK;
}

static dpa_err
signal_peer(ws_req *r, live_call *lc, dpa_error *ce)
{
    struct json_object *payload = NULL;
    dpa_err e;

    json_object_object_get_ex(r->msg, "payload", &payload);
    e = call_signal(lc, USER, ARG("to"), ARG("signal"), payload, ce);
    if (e == E_OK)
        r->s->ws->stats.signals_relayed++;
    return e;
}

static int
tristate(ws_req *r, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(r->msg, key, &v))
        return -1;
    return json_object_get_boolean(v) ? 1 : 0;
}

CALL_CMD(cmd_leave, leave(r, lc, &ce))
CALL_CMD(cmd_signal, signal_peer(r, lc, &ce))
CALL_CMD(cmd_media, call_media(lc, USER, tristate(r, "audio"), tristate(r, "video"), &ce))
CALL_CMD(cmd_screen_start, call_screen(lc, USER, true, &ce))
CALL_CMD(cmd_screen_stop, call_screen(lc, USER, false, &ce))
CALL_CMD(cmd_mute, call_mute(lc, ACTOR, ARG("userId"), ARG("kind"), &ce))
CALL_CMD(cmd_remove, call_remove(lc, ACTOR, ARG("userId"), json_get_bool(r->msg, "ban", false),
                                 now_ms(), &ce))
CALL_CMD(cmd_set_role, call_set_role(lc, ACTOR, ARG("userId"),
                                     strcmp(ARG("role"), "CO_HOST") == 0 ? ROLE_CO_HOST
                                                                         : ROLE_PARTICIPANT,
                                     &ce))
CALL_CMD(cmd_end, call_end(lc, ACTOR, "HOST_ENDED", now_ms(), &ce))

/*
 * The commands and their field tables are declared once, in
 * protocol/droponair.v1.json; PROTO_COMMANDS names each one's handler above.
 */
#define COMMAND(type, fields, fn, needs_auth) {type, fields, fn, needs_auth},
static const ws_command commands[] = {PROTO_COMMANDS(COMMAND)};
#undef COMMAND

/* ---- token grants ---- */

/* Commands that only give something up: a token's room scope never stops them. */
static bool
gives_up(const ws_command *cmd)
{
    return cmd->fn == cmd_leave || cmd->fn == cmd_cancel_wait || cmd->fn == cmd_unwatch ||
           cmd->fn == cmd_screen_stop;
}

/* The room a command names: its roomId, or the room of its callId when known here. */
static const char *
room_named(ws_session *s, struct json_object *msg)
{
    const char *room_id = json_get_str(msg, "roomId"), *call_id;
    live_call *lc;

    if (room_id || !(call_id = json_get_str(msg, "callId")))
        return room_id;
    if ((lc = live_find_call(s->srv, call_id)))
        return call_room(lc)->id;
    /* Cluster mode: the call's owner is elsewhere. Unknown: it answers NO_LIVE_CALL. */
    return s->srv->router.locate ? remote_room_of_call(s->ws, call_id) : NULL;
}

/* Why the token may not send what msg (a GROUP_CALL_MEDIA_STATE) turns on, or NULL. */
static const char *
media_problem(const grants *g, struct json_object *msg)
{
    if (json_get_bool(msg, "audio", false) && !(g->publish & PUBLISH_AUDIO))
        return "this token may not publish audio (grants.publish)";
    if (json_get_bool(msg, "video", false) && !(g->publish & PUBLISH_VIDEO))
        return "this token may not publish video (grants.publish)";
    return NULL;
}

/*
 * What the session's token grants (auth/grants.h, docs/api.md), checked
 * once for every command, before it runs here or is forwarded to the
 * call's owner: the room scope (grants.rooms) for every command that names
 * a room or a call, except those that only give something up; and the
 * media it may publish for GROUP_CALL_MEDIA_STATE, SCREEN_SHARE_START and
 * the SDP of GROUP_CALL_SIGNAL. Replies FORBIDDEN and returns false when
 * the token does not allow the command.
 */
static bool
grants_allow(ws_session *s, const ws_command *cmd, struct json_object *msg,
             struct json_object *id)
{
    const grants *g = &s->who.grants;
    const char *room_id, *why = NULL;
    struct json_object *payload = NULL;

    if (!cmd->needs_auth || gives_up(cmd))
        return true;
    if (g->nrooms && (room_id = room_named(s, msg)) && !grants_room_allowed(g, room_id))
        why = "this token may act only on the rooms in its grants.rooms";
    else if (cmd->fn == cmd_media)
        why = media_problem(g, msg);
    else if (cmd->fn == cmd_screen_start && !(g->publish & PUBLISH_SCREEN))
        why = "this token may not share its screen (grants.publish)";
    else if (cmd->fn == cmd_signal && json_object_object_get_ex(msg, "payload", &payload))
        why = grants_signal_problem(g, json_get_str(msg, "signal"), payload);
    if (!why)
        return true;
    reply_error(s, id, E_FORBIDDEN, NULL, LIMIT_NONE, "%s", why);
    return false;
}

/* Token bucket: ws_rate commands a second, bursts up to ws_burst. */
static bool
rate_ok(ws_session *s)
{
    uint64_t now = mono_ns();
    const server_config *cfg = s->srv->cfg;

    s->tokens += (double)(now - s->refill_ns) / 1e9 * cfg->ws_rate;
    if (s->tokens > cfg->ws_burst)
        s->tokens = cfg->ws_burst;
    s->refill_ns = now;
    if (s->tokens < 1.0)
        return false;
    s->tokens -= 1.0;
    return true;
}

/*
 * The request's id when it may be echoed in the reply: present and itself
 * within the string policy. Borrowed from msg.
 */
static struct json_object *
request_id(struct json_object *msg)
{
    struct json_object *id = NULL;
    dpa_error fe;

    if (!json_object_is_type(msg, json_type_object) ||
        !json_object_object_get_ex(msg, "id", &id))
        return NULL;
    return fields_check_text(id, TEXT_LINE, "id", &fe) == E_OK ? id : NULL;
}

/* Whether a field path names the id or something inside it. */
static bool
is_id_path(const char *field)
{
    return strncmp(field, "id", 2) == 0 && (!field[2] || field[2] == '.' || field[2] == '[');
}

/*
 * Parses a frame. On failure replies BAD_REQUEST (naming the field when the
 * frame is JSON that breaks the string or integer rules, with the id when
 * it can be read and is not what is wrong) and returns NULL.
 */
static struct json_object *
parse_frame(ws_session *s, const char *text, size_t len)
{
    struct json_object *msg = NULL, *any = NULL;
    dpa_error fe;
    dpa_err e = fields_parse(text, len, &msg, &fe);

    if (e == E_OK && json_object_is_type(msg, json_type_object))
        return msg;
    json_object_put(msg);
    if (e == E_VALIDATION_FAILED) {
        if (!is_id_path(fe.field))
            json_parse(text, len, &any);
        reply_error(s, request_id(any), E_BAD_REQUEST, fe.field, LIMIT_NONE, "%s", fe.message);
        json_object_put(any);
        return NULL;
    }
    reply_error(s, NULL, E_BAD_REQUEST, NULL, LIMIT_NONE, "a frame must be one JSON object");
    return NULL;
}

void
ws_reject_binary(ws_session *s)
{
    /* Counted like a command: binary frames cannot be sent faster than commands. */
    if (!rate_ok(s)) {
        s->ws->stats.rate_limited++;
        reply_error(s, NULL, E_RATE_LIMITED, NULL, LIMIT_NONE, "more than %d commands a second",
                    s->srv->cfg->ws_rate);
        return;
    }
    reply_error(s, NULL, E_BAD_REQUEST, NULL, LIMIT_NONE, "only text frames are accepted");
}

static bool route(ws_session *s, const ws_command *cmd, struct json_object *msg, int hops);

/* Runs cmd for s (here: the call is this process's, or the command is about no call). */
static void
run(ws_session *s, const ws_command *cmd, struct json_object *msg)
{
    ws_req r;

    r.s = s;
    r.msg = msg;
    r.id = request_id(msg);
    session_hold(s);
    s->deferring = true;
    cmd->fn(&r);
    session_flush_deferred(s);
    session_release(s);
}

void
ws_handle_message(ws_session *s, const char *text, size_t len)
{
    struct json_object *msg = NULL, *id = NULL;
    const ws_command *cmd = NULL;
    const char *type;
    dpa_error fe;
    size_t i;

    if (!rate_ok(s)) {
        s->ws->stats.rate_limited++;
        if (fields_parse(text, len, &msg, &fe) == E_OK)
            id = request_id(msg);
        reply_error(s, id, E_RATE_LIMITED, NULL, LIMIT_NONE, "more than %d commands a second",
                    s->srv->cfg->ws_rate);
        json_object_put(msg);
        return;
    }
    if (!(msg = parse_frame(s, text, len)))
        return;
    id = request_id(msg);
    type = json_get_str(msg, "type");
    for (i = 0; type && i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].type, type) == 0)
            cmd = &commands[i];
    if (!cmd) {
        char shown[72];

        if (type)
            text_sanitize(type, strlen(type), shown, sizeof(shown));
        reply_error(s, id, E_BAD_REQUEST, "type", LIMIT_NONE,
                    type ? "unknown type %s" : "the request has no type%s", type ? shown : "");
        json_object_put(msg);
        return;
    }
    if (cmd->needs_auth && !s->authed) {
        reply_error(s, id, E_UNAUTHORIZED, NULL, LIMIT_NONE, "authenticate first (AUTH)");
        json_object_put(msg);
        return;
    }
    if (fields_check(msg, cmd->fields, &fe) != E_OK) {
        reply_error(s, id, E_BAD_REQUEST, fe.field, LIMIT_NONE, "%s", fe.message);
        json_object_put(msg);
        return;
    }
    if (!grants_allow(s, cmd, msg, id)) {
        json_object_put(msg);
        return;
    }
    if (!route(s, cmd, msg, 0))
        run(s, cmd, msg);
    json_object_put(msg);
}

/* ---- cluster mode: commands for calls owned by another process ---- */

void
ws_reply_unavailable(ws_session *s, struct json_object *id, const char *why)
{
    reply_error(s, id, E_UNAVAILABLE, NULL, LIMIT_NONE, "%s", why);
}

typedef struct routing {
    ws_session *s;
    const ws_command *cmd;
    struct json_object *msg;
    int hops;
    char room_id[ROOM_ID_MAX];
} routing;

/* A command by callId whose room is this process's: it runs once the live state is there. */
static void
run_loaded(void *arg, live_call *lc, dpa_err e)
{
    routing *rt = arg;

    (void)lc;
    (void)e; /* no live state: the command says NO_LIVE_CALL itself */
    run(rt->s, rt->cmd, rt->msg);
}

static void
routing_free(void *arg)
{
    routing *rt = arg;

    json_object_put(rt->msg);
    free(rt);
}

static bool
takes_part(const ws_command *cmd)
{
    return cmd->fn == cmd_join || cmd->fn == cmd_watch;
}

/* The owner is known: run here, or forward (counting the room the session joins). */
static void
routed(void *arg, const char *owner, dpa_err e)
{
    routing *rt = arg;
    ws_session *s = rt->s;
    const char *room_id = json_get_str(rt->msg, "roomId");

    if (session_release(s)) {
        if (e != E_OK) {
            reply_error(s, request_id(rt->msg), E_UNAVAILABLE, NULL, LIMIT_NONE,
                        "the process that runs this call cannot be reached now; retry");
        } else if (!owner && !room_id) {
            /*
             * By callId: the call may be this process's only once a takeover
             * just claimed has read it back (live_open waits for that).
             */
            live_with_room(s->srv, &s->async, s->who.app_id, rt->room_id, s->who.plan, run_loaded,
                           routing_free, rt);
            return;
        } else if (!owner) {
            run(s, rt->cmd, rt->msg);
        } else if (s->proxy) {
            /* Asked as the owner, and not the owner: the origin routes again. */
            struct json_object *o = json_object_new_object();
            json_object_object_add(o, "op", json_object_new_string("moved"));
            json_object_object_add(o, "sid", json_object_new_int64((int64_t)s->origin_sid));
            json_object_object_add(o, "hops", json_object_new_int(rt->hops + 1));
            json_object_object_add(o, "msg", json_object_get(rt->msg));
            s->srv->router.send(s->srv->router.arg, s->origin, o);
            json_object_put(o);
        } else if (room_id && takes_part(rt->cmd) && !caps_room_take(s, room_id)) {
            reply_error(s, request_id(rt->msg), E_RATE_LIMITED, NULL, LIMIT_NONE,
                        "a session may take part in at most %d rooms at once",
                        WS_ROOMS_PER_SESSION);
        } else {
            /* Leaving: the room no longer counts for the session (its owner says if it fails). */
            if (rt->cmd->fn == cmd_leave || rt->cmd->fn == cmd_unwatch ||
                rt->cmd->fn == cmd_cancel_wait)
                caps_room_release(s, rt->room_id);
            remote_forward(s, owner, rt->msg, rt->hops);
        }
    }
    json_object_put(rt->msg);
    free(rt);
}

/*
 * In cluster mode a command about a room or a call whose owner is not
 * known to be this process waits for the router; returns false when it
 * runs here at once (not about a call, or a call live here).
 */
static bool
route(ws_session *s, const ws_command *cmd, struct json_object *msg, int hops)
{
    const char *room_id = json_get_str(msg, "roomId"), *call_id;
    routing *rt;

    if (!s->srv->router.locate)
        return false;
    if (!room_id) {
        call_id = json_get_str(msg, "callId");
        if (!call_id || live_find_call(s->srv, call_id) ||
            !(room_id = remote_room_of_call(s->ws, call_id)))
            return false; /* not about a call, live here, or unknown (NO_LIVE_CALL here) */
    }
    if (hops >= 3) {
        reply_error(s, request_id(msg), E_UNAVAILABLE, NULL, LIMIT_NONE,
                    "the call is moving between processes; retry");
        return true;
    }
    rt = xcalloc(1, sizeof(*rt));
    rt->s = s;
    rt->cmd = cmd;
    rt->msg = json_object_get(msg);
    rt->hops = hops;
    snprintf(rt->room_id, sizeof(rt->room_id), "%s", room_id);
    session_hold(s);
    s->srv->router.locate(s->srv->router.arg, room_id, routed, rt);
    return true;
}

static const ws_command *
command_of(struct json_object *msg)
{
    const char *type = json_get_str(msg, "type");
    size_t i;

    for (i = 0; type && i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].type, type) == 0)
            return &commands[i];
    return NULL;
}

void
ws_run_remote(ws_session *proxy, struct json_object *msg, int hops)
{
    const ws_command *cmd = command_of(msg);
    dpa_error fe;

    /* Checked by the origin already; checked again, as from any peer. */
    if (!cmd || !cmd->needs_auth || fields_check(msg, cmd->fields, &fe) != E_OK)
        return;
    if (!route(proxy, cmd, msg, hops))
        run(proxy, cmd, msg);
}

void
ws_route_again(ws_session *s, struct json_object *msg, int hops)
{
    const ws_command *cmd = command_of(msg);

    if (cmd && !route(s, cmd, msg, hops))
        run(s, cmd, msg);
}
