/*
 * The WebSocket layer without sockets: the real lws callback of ws_protocol
 * runs on fake connections (tests/support/fakelws.h), with the real loop
 * state and store worker of the socketless harness; nothing of http/ is
 * linked. Each test reads what a client would: the JSON frames (replies,
 * events) and the close frame written to its connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/util.h"
#include "fakelws.h"
#include "harness.h"
#include "layer_support.h"
#include "ws/internal.h"
#include "ws/protocol_gen.h"

/* ---- a client on a fake connection ---- */

#define FRAMES_MAX 512

typedef struct client {
    fake_wsi f;
    void *pss;
    char *frames[FRAMES_MAX];   /* text frames written, in order */
    int nframes, next;          /* written; read by the test so far */
    int close_code;             /* of the close frame written, 0 for none */
    bool open;                  /* lws has not reported it closed */
    bool gone;                  /* the peer went away (CLOSED was given) */
    char auth[TOKEN_MAX + 16];
} client;

static server *srv;
static client *clients[8];   /* open ones, serviced together */

static int
on_write(fake_wsi *f, const unsigned char *buf, size_t len, int protocol)
{
    client *c = f->arg;

    if (c->gone)
        fail_msg("the server wrote to a connection that went away");
    if (protocol == LWS_WRITE_TEXT) {
        assert_true(c->nframes < FRAMES_MAX);
        c->frames[c->nframes] = xmalloc(len + 1);
        memcpy(c->frames[c->nframes], buf, len);
        c->frames[c->nframes++][len] = '\0';
    } else if ((protocol & 0xf) == 4) { /* LWS_WRITE_CLOSE, internal to lws */
        assert_true(len >= 2);
        c->close_code = buf[0] << 8 | buf[1];
    }
    return (int)len;
}

static struct lws *
wsi(client *c)
{
    return fake_lws(&c->f);
}

/*
 * After the store settles, gives every open connection the WRITEABLEs it
 * asks for (events reach other clients than the one that acted).
 */
static void
service_all(void)
{
    int i, rounds;

    fz_drain();
    for (i = 0; i < 8; i++) {
        client *c = clients[i];
        for (rounds = 0; c && c->open && c->f.writable && rounds < 10000; rounds++) {
            c->f.writable = false;
            if (ws_protocol.callback(wsi(c), LWS_CALLBACK_SERVER_WRITEABLE, c->pss, NULL, 0) < 0)
                break;
        }
    }
}

static void
service(client *c)
{
    (void)c;
    service_all();
}

/* The peer goes away (or lws cut the connection): the callback hears CLOSED. */
static void
client_gone(client *c)
{
    int i;

    c->f.writable = false; /* what it asked for before is moot */
    if (c->open)
        ws_protocol.callback(wsi(c), LWS_CALLBACK_CLOSED, c->pss, NULL, 0);
    c->open = false;
    c->gone = true;
    for (i = 0; i < 8; i++)
        if (clients[i] == c)
            clients[i] = NULL;
}

/* A new WebSocket to /api/ws whose upgrade carried authorization (NULL: none). */
static void
client_open_with(client *c, const char *authorization)
{
    int i;

    memset(c, 0, sizeof(*c));
    c->pss = xcalloc(1, ws_protocol.pss_size);
    c->f.user = c->pss;
    c->f.on_write = on_write;
    c->f.arg = c;
    c->f.uri = "/api/ws";
    if (authorization) {
        snprintf(c->auth, sizeof(c->auth), "%s", authorization);
        c->f.authorization = c->auth;
    }
    fake_register(&c->f);
    for (i = 0; i < 8 && clients[i]; i++)
        ;
    assert_true(i < 8);
    clients[i] = c;
    assert_int_equal(ws_protocol.callback(wsi(c), LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION,
                                          c->pss, NULL, 0),
                     0);
    assert_int_equal(ws_protocol.callback(wsi(c), LWS_CALLBACK_ESTABLISHED, c->pss, NULL, 0), 0);
    c->open = true;
    service(c);
}

/* The same with the fixture token numbered token (-1: none) as a bearer token. */
static void
client_open(client *c, int token)
{
    char auth[TOKEN_MAX + 16];

    snprintf(auth, sizeof(auth), "Bearer %s", token >= 0 ? fz_token((unsigned)token) : "");
    client_open_with(c, token >= 0 ? auth : NULL);
}

static void
client_free(client *c)
{
    int i;

    client_gone(c);
    assert_false(c->f.writable); /* nothing asked to write to it once it went away */
    fake_unregister(&c->f);
    free(c->pss);
    for (i = 0; i < c->nframes; i++)
        free(c->frames[i]);
}

/* Sends one text message (one frame) and lets the server answer. */
static void
send_text(client *c, const char *text)
{
    c->f.first = c->f.final = true;
    c->f.binary = false;
    assert_int_equal(ws_protocol.callback(wsi(c), LWS_CALLBACK_RECEIVE, c->pss, (void *)text,
                                          strlen(text)),
                     0);
    service(c);
}

/* The next frame the client was sent (parsed; the caller puts it), or NULL. */
static struct json_object *
next_frame(client *c)
{
    struct json_object *o = NULL;

    if (c->next >= c->nframes)
        return NULL;
    assert_int_equal(json_parse(c->frames[c->next], strlen(c->frames[c->next]), &o), E_OK);
    c->next++;
    return o;
}

/* The next reply (a frame with "ok"), skipping events; fails when there is none. */
static struct json_object *
next_reply(client *c)
{
    struct json_object *o;

    while ((o = next_frame(c))) {
        if (json_object_object_get_ex(o, "ok", NULL))
            return o;
        json_object_put(o);
    }
    fail_msg("no reply");
    return NULL;
}

/* The next event of type (skipping others), or NULL. */
static struct json_object *
next_event(client *c, const char *type)
{
    struct json_object *o;

    while ((o = next_frame(c))) {
        const char *t = json_get_str(o, "type");
        if (t && strcmp(t, type) == 0 && !json_object_object_get_ex(o, "ok", NULL))
            return o;
        json_object_put(o);
    }
    return NULL;
}

/* Whether any frame is left unread. */
static bool
nothing_more(client *c)
{
    return c->next >= c->nframes;
}

/* Checks an ok reply with id; returns it (the caller puts it). */
static struct json_object *
expect_ok(client *c, const char *id)
{
    struct json_object *o = next_reply(c);

    if (!json_get_bool(o, "ok", false))
        fail_msg("%s: want ok, got %s", id, json_object_to_json_string(o));
    assert_non_null(json_get_str(o, "id"));
    assert_string_equal(json_get_str(o, "id"), id);
    return o;
}

/*
 * Checks an error reply: the id echoed (NULL: no id), {"ok": false} and
 * the one error encoding with code (and field, NULL for none). Returns the
 * error object's message (valid until the next call).
 */
static const char *
expect_error(client *c, const char *id, const char *code, const char *field)
{
    static char msg[512];
    struct json_object *o = next_reply(c), *err = NULL;

    if (json_get_bool(o, "ok", true) || !json_object_object_get_ex(o, "error", &err))
        fail_msg("%s: want %s, got %s", id ? id : "(no id)", code, json_object_to_json_string(o));
    if (id) {
        assert_non_null(json_get_str(o, "id"));
        assert_string_equal(json_get_str(o, "id"), id);
    } else
        assert_false(json_object_object_get_ex(o, "id", NULL));
    assert_int_equal(json_object_object_length(o), id ? 3 : 2);
    check_error_shape(err, code);
    if (strcmp(json_get_str(err, "code"), code) != 0)
        fail_msg("want %s, got %s", code, json_object_to_json_string(o));
    if (field)
        assert_string_equal(json_get_str(err, "field"), field);
    else
        assert_null(json_get_str(err, "field"));
    snprintf(msg, sizeof(msg), "%s", json_get_str(err, "message"));
    json_object_put(o);
    return msg;
}

/* A client authenticated by its upgrade's token; its SESSION event is read. */
static void
client_authed(client *c, int token, char *resume_token, size_t size)
{
    struct json_object *o;

    client_open(c, token);
    o = next_frame(c);
    assert_non_null(o);
    assert_string_equal(json_get_str(o, "type"), "SESSION");
    if (resume_token)
        snprintf(resume_token, size, "%s", json_get_str(o, "resumeToken"));
    json_object_put(o);
}

/* ---- set-up ---- */

static void
settle(server *s)
{
    ws_free_all(ws_of(s));
}

static int
setup(void **state)
{
    static const server_protocol *const protocols[] = {&ws_protocol};

    (void)state;
    gone_reset();
    memset(clients, 0, sizeof(clients));
    srv = fz_start(protocols, 1, settle);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fz_end();
    assert_int_equal(gone_pending(), 0);
    return 0;
}

/* ---- dispatch ---- */

/*
 * A scenario that sends every declared command once, each to a state where
 * its own handler answers something only it answers. $T is alice's token,
 * $C the live call's id (from the last JOINED).
 */
static const struct step {
    char who;               /* 'a' alice, 'b' bob */
    const char *type, *fields;
    const char *code;       /* NULL: ok */
    const char *field;      /* the error's field */
    const char *reply_key;  /* ok: a field the reply must carry */
} steps[] = {
    {'a', "PING", "", NULL, NULL, "pong"},
    {'a', "AUTH", "\"token\":\"$T\"", NULL, NULL, "resumeToken"},
    {'a', "RESUME", "\"resumeToken\":\"rt_x\",\"lastSeq\":0", "BAD_REQUEST", NULL, NULL},
    {'a', "WATCH_ROOM", "\"roomId\":\"rm_open\"", NULL, NULL, "waiting"},
    {'a', "UNWATCH_ROOM", "\"roomId\":\"rm_open\"", NULL, NULL, NULL},
    {'a', "JOIN_ROOM", "\"roomId\":\"rm_open\"", NULL, NULL, "callId"},
    {'b', "JOIN_ROOM", "\"roomId\":\"rm_open\"", NULL, NULL, "callId"},
    {'a', "CANCEL_WAIT", "\"roomId\":\"rm_open\"", "NOT_WAITING", NULL, NULL},
    {'a', "ADMIT", "\"roomId\":\"rm_open\"", "BAD_REQUEST", "userId", NULL},
    {'a', "DENY", "\"roomId\":\"rm_open\",\"userId\":\"bob\"", "NOT_WAITING", NULL, NULL},
    {'a', "GROUP_CALL_MEDIA_STATE", "\"callId\":\"$C\",\"audio\":false", NULL, NULL, NULL},
    {'a', "GROUP_CALL_SCREEN_SHARE_START", "\"callId\":\"$C\"", NULL, NULL, NULL},
    {'a', "GROUP_CALL_SCREEN_SHARE_STOP", "\"callId\":\"$C\"", NULL, NULL, NULL},
    {'a', "GROUP_CALL_SIGNAL",
     "\"callId\":\"$C\",\"to\":\"bob\",\"signal\":\"GROUP_CALL_SDP_OFFER\",\"payload\":{}", NULL,
     NULL, NULL},
    {'a', "MUTE_PARTICIPANT", "\"callId\":\"$C\",\"userId\":\"bob\",\"kind\":\"audio\"", NULL,
     NULL, NULL},
    {'a', "SET_ROLE", "\"callId\":\"$C\",\"userId\":\"bob\",\"role\":\"CO_HOST\"", NULL, NULL,
     NULL},
    {'a', "REMOVE_PARTICIPANT", "\"callId\":\"$C\",\"userId\":\"bob\"", NULL, NULL, NULL},
    {'a', "END_CALL", "\"callId\":\"$C\"", NULL, NULL, NULL},
    {'a', "JOIN_ROOM", "\"roomId\":\"rm_open\"", NULL, NULL, "callId"},
    {'a', "GROUP_CALL_LEAVE", "\"callId\":\"$C\"", NULL, NULL, NULL},
};

/* The command's frame: fields with $T and $C replaced. Caller frees. */
static char *
command_text(const struct step *st, const char *id, const char *call_id)
{
    char body[TOKEN_MAX + 512], *p = body;
    const char *s;

    p += sprintf(p, "{\"id\":\"%s\",\"type\":\"%s\"%s", id, st->type, st->fields[0] ? "," : "");
    for (s = st->fields; *s; s++) {
        if (s[0] == '$' && s[1] == 'T') {
            p += sprintf(p, "%s", fz_token(0));
            s++;
        } else if (s[0] == '$' && s[1] == 'C') {
            p += sprintf(p, "%s", call_id);
            s++;
        } else {
            *p++ = *s;
        }
    }
    strcpy(p, "}");
    return xstrdup(body);
}

static void
every_declared_command_reaches_its_handler(void **state)
{
#define TYPE_OF(type, fields, fn, needs_auth) type,
    static const char *const declared[] = {PROTO_COMMANDS(TYPE_OF)};
#undef TYPE_OF
    client a, b;
    char call_id[CALL_ID_MAX] = "";
    size_t i, k;
    (void)state;

    /* The scenario covers every command the protocol declares. */
    assert_int_equal(sizeof(declared) / sizeof(declared[0]), PROTO_COMMAND_COUNT);
    for (i = 0; i < PROTO_COMMAND_COUNT; i++) {
        for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++)
            if (strcmp(steps[k].type, declared[i]) == 0)
                break;
        if (k == sizeof(steps) / sizeof(steps[0]))
            fail_msg("%s is declared but this test does not send it", declared[i]);
    }

    client_authed(&a, 0, NULL, 0);
    client_authed(&b, 1, NULL, 0);
    for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        const struct step *st = &steps[k];
        client *c = st->who == 'a' ? &a : &b;
        char id[16], *text;

        snprintf(id, sizeof(id), "s%zu", k);
        text = command_text(st, id, call_id);
        send_text(c, text);
        free(text);
        if (st->code) {
            expect_error(c, id, st->code, st->field);
        } else {
            struct json_object *o = expect_ok(c, id);
            if (st->reply_key && !json_object_object_get_ex(o, st->reply_key, NULL))
                fail_msg("%s: the reply has no %s: %s", st->type, st->reply_key,
                         json_object_to_json_string(o));
            if (strcmp(st->type, "JOIN_ROOM") == 0) {
                assert_string_equal(json_get_str(o, "status"), "JOINED");
                snprintf(call_id, sizeof(call_id), "%s", json_get_str(o, "callId"));
            }
            json_object_put(o);
        }
    }
    client_free(&a);
    client_free(&b);
}

static void
unknown_type_is_bad_request_naming_it(void **state)
{
    client c;
    (void)state;

    /* Before AUTH too: the type is checked first. */
    client_open(&c, -1);
    send_text(&c, "{\"id\":\"u1\",\"type\":\"NOPE\"}");
    assert_string_equal(expect_error(&c, "u1", "BAD_REQUEST", "type"), "unknown type NOPE");
    send_text(&c, "{\"id\":\"u2\",\"type\":\"join_room\"}"); /* types are case-sensitive */
    assert_string_equal(expect_error(&c, "u2", "BAD_REQUEST", "type"), "unknown type join_room");
    send_text(&c, "{\"id\":\"u3\"}");
    assert_string_equal(expect_error(&c, "u3", "BAD_REQUEST", "type"), "the request has no type");
    /* A type that is not text to echo is shown sanitised. */
    send_text(&c, "{\"id\":\"u4\",\"type\":\"A\\u00e9\\u0085B\"}");
    expect_error(&c, "u4", "BAD_REQUEST", "type");
    assert_true(nothing_more(&c));
    client_free(&c);
}

/* ---- error replies ---- */

static void
error_replies_have_one_shape_and_echo_the_id(void **state)
{
    client a, b, d;
    struct json_object *o, *err;
    (void)state;

    client_authed(&a, 0, NULL, 0);
    /* A missing field, named; a numeric id echoed as sent. */
    send_text(&a, "{\"id\":42,\"type\":\"JOIN_ROOM\"}");
    o = next_reply(&a);
    assert_int_equal(json_get_int(o, "id", 0), 42);
    assert_false(json_get_bool(o, "ok", true));
    json_object_object_get_ex(o, "error", &err);
    check_error_shape(err, "BAD_REQUEST");
    assert_string_equal(json_get_str(err, "field"), "roomId");
    json_object_put(o);
    /* A wrong type and an unknown field, named. */
    send_text(&a, "{\"id\":\"e1\",\"type\":\"JOIN_ROOM\",\"roomId\":5}");
    expect_error(&a, "e1", "BAD_REQUEST", "roomId");
    send_text(&a, "{\"id\":\"e2\",\"type\":\"PING\",\"extra\":1}");
    expect_error(&a, "e2", "BAD_REQUEST", "extra");
    /* Not JSON: no id to echo. */
    send_text(&a, "{\"id\":\"e3\",");
    assert_string_equal(expect_error(&a, NULL, "BAD_REQUEST", NULL),
                        "a frame must be one JSON object");
    send_text(&a, "[1]");
    expect_error(&a, NULL, "BAD_REQUEST", NULL);
    /* An id that breaks the string rules is what is wrong: not echoed. */
    send_text(&a, "{\"id\":\"a\\u0001\",\"type\":\"PING\"}");
    expect_error(&a, NULL, "BAD_REQUEST", "id");
    /* A binary frame. */
    a.f.first = a.f.final = a.f.binary = true;
    ws_protocol.callback(wsi(&a), LWS_CALLBACK_RECEIVE, a.pss, (void *)"\x01", 1);
    service(&a);
    assert_string_equal(expect_error(&a, NULL, "BAD_REQUEST", NULL),
                        "only text frames are accepted");
    /* A handler's error: ROOM_FULL names the limit that binds. */
    client_authed(&b, 1, NULL, 0);
    client_authed(&d, 3, NULL, 0);
    send_text(&a, "{\"id\":\"f1\",\"type\":\"JOIN_ROOM\",\"roomId\":\"rm_full\"}");
    send_text(&b, "{\"id\":\"f2\",\"type\":\"JOIN_ROOM\",\"roomId\":\"rm_full\"}");
    json_object_put(expect_ok(&a, "f1"));
    json_object_put(expect_ok(&b, "f2"));
    send_text(&d, "{\"id\":\"f3\",\"type\":\"JOIN_ROOM\",\"roomId\":\"rm_full\"}");
    o = next_reply(&d);
    assert_string_equal(json_get_str(o, "id"), "f3");
    json_object_object_get_ex(o, "error", &err);
    check_error_shape(err, "ROOM_FULL");
    assert_string_equal(json_get_str(err, "limitSource"), "room");
    json_object_put(o);
    /* No such room: the handler's error, the id echoed. */
    send_text(&d, "{\"id\":\"f4\",\"type\":\"WATCH_ROOM\",\"roomId\":\"rm_nosuch\"}");
    expect_error(&d, "f4", "ROOM_NOT_FOUND", NULL);
    client_free(&a);
    client_free(&b);
    client_free(&d);
}

/* ---- authentication ---- */

static void
commands_need_auth_first(void **state)
{
    client c, h;
    struct json_object *o;
    char msg[TOKEN_MAX + 64];
    (void)state;

    client_open(&c, -1);
    assert_true(nothing_more(&c)); /* no SESSION without a token */
    send_text(&c, "{\"id\":\"j1\",\"type\":\"JOIN_ROOM\",\"roomId\":\"rm_open\"}");
    assert_string_equal(expect_error(&c, "j1", "UNAUTHORIZED", NULL), "authenticate first (AUTH)");
    send_text(&c, "{\"id\":\"j2\",\"type\":\"GROUP_CALL_LEAVE\",\"callId\":\"c\"}");
    expect_error(&c, "j2", "UNAUTHORIZED", NULL);
    /* PING needs no session. */
    send_text(&c, "{\"id\":\"p\",\"type\":\"PING\"}");
    json_object_put(expect_ok(&c, "p"));
    /* A bad token is refused; the connection stays for another try. */
    send_text(&c, "{\"id\":\"a1\",\"type\":\"AUTH\",\"token\":\"nope\"}");
    expect_error(&c, "a1", "UNAUTHORIZED", NULL);
    assert_int_equal(c.close_code, 0);
    snprintf(msg, sizeof(msg), "{\"id\":\"a2\",\"type\":\"AUTH\",\"token\":\"%s\"}", fz_token(5));
    send_text(&c, msg);
    expect_error(&c, "a2", "UNAUTHORIZED", NULL); /* expired */
    {
        char auth[TOKEN_MAX + 64];
        snprintf(auth, sizeof(auth), "{\"id\":\"a3\",\"type\":\"AUTH\",\"token\":\"%s\"}",
                 fz_token(0));
        send_text(&c, auth);
    }
    o = expect_ok(&c, "a3");
    assert_string_equal(json_get_str(o, "userId"), "alice");
    assert_int_equal(strncmp(json_get_str(o, "resumeToken"), "rt_", 3), 0);
    json_object_put(o);
    send_text(&c, "{\"id\":\"j3\",\"type\":\"JOIN_ROOM\",\"roomId\":\"rm_open\"}");
    o = expect_ok(&c, "j3");
    assert_string_equal(json_get_str(o, "status"), "JOINED");
    json_object_put(o);

    /* A bad token on the upgrade: an ERROR event, then the close (1008). */
    client_open_with(&h, "Bearer not-a-token");
    o = next_frame(&h);
    assert_non_null(o);
    assert_string_equal(json_get_str(o, "type"), "ERROR");
    {
        struct json_object *err;
        assert_true(json_object_object_get_ex(o, "error", &err));
        check_error_shape(err, "UNAUTHORIZED");
    }
    json_object_put(o);
    assert_int_equal(h.close_code, 1008);
    client_free(&h);
    client_free(&c);
}

/* ---- the rate limit ---- */

static void
commands_over_the_rate_are_refused(void **state)
{
    server_config *cfg = fz_config();
    int rate = cfg->ws_rate, burst = cfg->ws_burst;
    client c;
    (void)state;

    cfg->ws_rate = 1;
    cfg->ws_burst = 3;
    client_authed(&c, 0, NULL, 0);
    send_text(&c, "{\"id\":\"p1\",\"type\":\"PING\"}");
    send_text(&c, "{\"id\":\"p2\",\"type\":\"PING\"}");
    send_text(&c, "{\"id\":\"p3\",\"type\":\"PING\"}");
    send_text(&c, "{\"id\":\"p4\",\"type\":\"PING\"}");
    send_text(&c, "{\"id\":\"p5\",\"type\":\"JOIN_ROOM\",\"roomId\":\"rm_open\"}");
    json_object_put(expect_ok(&c, "p1"));
    json_object_put(expect_ok(&c, "p2"));
    json_object_put(expect_ok(&c, "p3"));
    assert_string_equal(expect_error(&c, "p4", "RATE_LIMITED", NULL),
                        "more than 1 commands a second");
    /* Refused before it runs: no JOINED, the id still echoed. */
    expect_error(&c, "p5", "RATE_LIMITED", NULL);
    assert_true(nothing_more(&c));
    assert_null(live_find(srv, "rm_open"));
    assert_int_equal(c.close_code, 0); /* refused, not cut */
    cfg->ws_rate = rate;
    cfg->ws_burst = burst;
    client_free(&c);
}

/* ---- RESUME ---- */

/* Every session in its grace runs out of it (grace_over in session.c). */
static void
graces_run_out(void)
{
    ws_state *ws = ws_of(srv);
    ws_session *list[16];
    int n = 0, i;
    uint64_t id;

    for (id = 1; id <= ws->next_session_id && n < 16; id++) {
        ws_session *s = session_by_id(ws, id);
        if (s && s->in_grace)
            list[n++] = s;
    }
    for (i = 0; i < n; i++)
        session_end(list[i]);
}


static void
resume_of_an_unknown_session_is_expired(void **state)
{
    client a, c;
    char token[64], msg[256];
    struct json_object *o;
    (void)state;

    client_open(&c, -1);
    send_text(&c, "{\"id\":\"r1\",\"type\":\"RESUME\",\"resumeToken\":\"rt_unknown\",\"lastSeq\":0}");
    assert_string_equal(expect_error(&c, "r1", "RESUME_EXPIRED", NULL),
                        "the session cannot be resumed; authenticate and join again");
    assert_int_equal(c.close_code, 0);

    /* A real session, gone into its grace: a lastSeq past what it was sent cannot resume. */
    client_authed(&a, 0, token, sizeof(token));
    client_gone(&a);
    snprintf(msg, sizeof(msg),
             "{\"id\":\"r2\",\"type\":\"RESUME\",\"resumeToken\":\"%s\",\"lastSeq\":99}", token);
    send_text(&c, msg);
    expect_error(&c, "r2", "RESUME_EXPIRED", NULL);
    /* From where it was, it does. */
    snprintf(msg, sizeof(msg),
             "{\"id\":\"r3\",\"type\":\"RESUME\",\"resumeToken\":\"%s\",\"lastSeq\":0}", token);
    send_text(&c, msg);
    o = expect_ok(&c, "r3");
    assert_string_equal(json_get_str(o, "userId"), "alice");
    assert_int_equal(json_get_int(o, "lastSeq", -1), 0);
    json_object_put(o);
    /* Once its grace ran out, the session is as unknown. */
    client_free(&a);
    client_free(&c);
    graces_run_out();
    client_open(&c, -1);
    send_text(&c, msg);
    expect_error(&c, "r3", "RESUME_EXPIRED", NULL);
    client_free(&c);
}

/* ---- a session gone while its JOIN_ROOM waits ---- */

static void
session_gone_while_join_waits_for_the_room(void **state)
{
    client a, b;
    struct json_object *o, *parts;
    (void)state;

    client_authed(&a, 0, NULL, 0);
    /* rm_open is not in memory: the JOIN waits for the store. */
    {
        static const char join[] = "{\"id\":\"j\",\"type\":\"JOIN_ROOM\",\"roomId\":\"rm_open\"}";
        a.f.first = a.f.final = true;
        ws_protocol.callback(wsi(&a), LWS_CALLBACK_RECEIVE, a.pss, (void *)join,
                             sizeof(join) - 1);
    }
    assert_true(nothing_more(&a));
    client_gone(&a);     /* the connection goes; the session is in its grace */
    graces_run_out();    /* and ends, still held by the JOIN */
    assert_int_equal(gone_freed(), 0);
    assert_int_equal(gone_pending(), 1);
    fz_drain();          /* the room loads: the JOIN must not run nor reply */
    assert_int_equal(gone_freed(), 1); /* freed once, by the load's release */
    assert_int_equal(a.nframes, 1);    /* the SESSION event only */
    assert_null(live_find(srv, "rm_open")); /* nobody joined: the live state was reaped */

    /* Another user finds nobody in. */
    client_authed(&b, 1, NULL, 0);
    send_text(&b, "{\"id\":\"jb\",\"type\":\"JOIN_ROOM\",\"roomId\":\"rm_open\"}");
    o = expect_ok(&b, "jb");
    assert_true(json_object_object_get_ex(o, "participants", &parts));
    assert_int_equal(json_object_array_length(parts), 1);
    assert_null(next_event(&b, "GROUP_CALL_PARTICIPANT_JOINED"));
    json_object_put(o);
    client_free(&b);
    client_free(&a);
}

/* ---- the rooms cap ---- */

static void
a_session_takes_part_in_at_most_64_rooms(void **state)
{
    char ids[WS_ROOMS_PER_SESSION + 1][ROOM_ID_MAX], msg[4096];
    const plan *p = plans_find(srv->plans, "business");
    struct json_object *body = NULL;
    client c;
    int i;
    (void)state;

    /* 65 rooms of app fz, in the room cache (no store trip). */
    assert_int_equal(json_parse("{\"name\":\"cap\"}", 14, &body), E_OK);
    for (i = 0; i <= WS_ROOMS_PER_SESSION; i++) {
        room *r = NULL;
        dpa_error fe;
        assert_int_equal(room_create(body, "fz", "alice", p, 1700000000000, &r, &fe), E_OK);
        snprintf(ids[i], sizeof(ids[i]), "%s", r->id);
        roomcache_put(srv->rooms, r);
    }
    json_object_put(body);

    client_authed(&c, 0, NULL, 0);
    for (i = 0; i < WS_ROOMS_PER_SESSION; i++) {
        snprintf(msg, sizeof(msg), "{\"id\":\"w%d\",\"type\":\"WATCH_ROOM\",\"roomId\":\"%s\"}", i,
                 ids[i]);
        send_text(&c, msg);
        snprintf(msg, sizeof(msg), "w%d", i);
        json_object_put(expect_ok(&c, msg));
    }
    /* The 65th, watched or joined, is refused. */
    snprintf(msg, sizeof(msg), "{\"id\":\"x\",\"type\":\"WATCH_ROOM\",\"roomId\":\"%s\"}",
             ids[WS_ROOMS_PER_SESSION]);
    send_text(&c, msg);
    assert_string_equal(expect_error(&c, "x", "RATE_LIMITED", NULL),
                        "a session may take part in at most 64 rooms at once");
    snprintf(msg, sizeof(msg), "{\"id\":\"y\",\"type\":\"JOIN_ROOM\",\"roomId\":\"%s\"}",
             ids[WS_ROOMS_PER_SESSION]);
    send_text(&c, msg);
    expect_error(&c, "y", "RATE_LIMITED", NULL);
    /* A room already taken does not count twice. */
    snprintf(msg, sizeof(msg), "{\"id\":\"z\",\"type\":\"JOIN_ROOM\",\"roomId\":\"%s\"}", ids[0]);
    send_text(&c, msg);
    json_object_put(expect_ok(&c, "z"));
    /* Leaving one frees its place. */
    snprintf(msg, sizeof(msg), "{\"id\":\"u\",\"type\":\"UNWATCH_ROOM\",\"roomId\":\"%s\"}",
             ids[1]);
    send_text(&c, msg);
    json_object_put(expect_ok(&c, "u"));
    snprintf(msg, sizeof(msg), "{\"id\":\"v\",\"type\":\"JOIN_ROOM\",\"roomId\":\"%s\"}",
             ids[WS_ROOMS_PER_SESSION]);
    send_text(&c, msg);
    json_object_put(expect_ok(&c, "v"));
    client_free(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_declared_command_reaches_its_handler, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unknown_type_is_bad_request_naming_it, setup, teardown),
        cmocka_unit_test_setup_teardown(error_replies_have_one_shape_and_echo_the_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(commands_need_auth_first, setup, teardown),
        cmocka_unit_test_setup_teardown(commands_over_the_rate_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(resume_of_an_unknown_session_is_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(session_gone_while_join_waits_for_the_room, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_session_takes_part_in_at_most_64_rooms, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
