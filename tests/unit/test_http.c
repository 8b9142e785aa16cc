/*
 * The HTTP layer without sockets: the real lws callback of http_protocol
 * runs on fake connections (tests/support/fakelws.h), with the real loop
 * state and store worker of the socketless harness; nothing of ws/ is
 * linked. Each test reads what a client would: the status line, the
 * headers and the body written to its connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/util.h"
#include "fakelws.h"
#include "harness.h"
#include "http/http.h"
#include "layer_support.h"

/* ---- a client on a fake connection ---- */

typedef struct client {
    fake_wsi f;
    void *pss;
    char *out;              /* everything written: the header block, then the body */
    size_t outlen;
    int writes;             /* lws_write calls */
    int header_flags;       /* the protocol flags of the header block's write */
    bool closed;            /* the connection went away (CLOSED_HTTP was given) */
    char authorization[TOKEN_MAX + 16];
    char content_length[24];
} client;

typedef struct reply {
    int status;
    char head[4096];        /* the header block, NUL-ended */
    const char *body;       /* into the client's output */
    size_t body_len;
    struct json_object *json; /* the body parsed, when it is JSON */
} reply;

static server *srv;

static int
on_write(fake_wsi *f, const unsigned char *buf, size_t len, int protocol)
{
    client *c = f->arg;

    if (c->closed)
        fail_msg("the server wrote to a connection that went away");
    if ((protocol & 0x1f) == LWS_WRITE_HTTP_HEADERS)
        c->header_flags = protocol;
    c->out = xrealloc(c->out, c->outlen + len + 1);
    memcpy(c->out + c->outlen, buf, len);
    c->outlen += len;
    c->out[c->outlen] = '\0';
    c->writes++;
    return (int)len;
}

static void
client_open(client *c)
{
    memset(c, 0, sizeof(*c));
    c->pss = xcalloc(1, http_protocol.pss_size);
    c->f.user = c->pss;
    c->f.on_write = on_write;
    c->f.arg = c;
    fake_register(&c->f);
}

/* The peer goes away: lws tells the protocol, and the connection is no more. */
static void
client_close(client *c)
{
    if (!c->closed)
        http_protocol.callback(fake_lws(&c->f), LWS_CALLBACK_CLOSED_HTTP, c->pss, NULL, 0);
    c->closed = true;
}

/* Frees the client; a connection that went away stays watched until here. */
static void
client_free(client *c)
{
    client_close(c);
    assert_false(c->f.writable); /* nothing asked to write to it after it went away */
    fake_unregister(&c->f);
    free(c->pss);
    free(c->out);
}

/* Gives the connection its WRITEABLE as often as it asks, as lws would. */
static void
service(client *c)
{
    int rounds;

    for (rounds = 0; !c->closed && c->f.writable && rounds < 1000; rounds++) {
        c->f.writable = false;
        if (http_protocol.callback(fake_lws(&c->f), LWS_CALLBACK_HTTP_WRITEABLE, c->pss, NULL,
                                   0) < 0)
            client_close(c);
    }
}

/*
 * Sends a request (headers, then the body if any) without waiting for the
 * store. token: a bearer token, or NULL; auth: a whole Authorization value
 * instead, or NULL.
 */
static void
send_request(client *c, int method, const char *path, const char *query, const char *token,
             const char *body)
{
    fake_http_request(&c->f, method, path, query);
    if (token) {
        snprintf(c->authorization, sizeof(c->authorization), "Bearer %s", token);
        c->f.authorization = c->authorization;
    }
    if (body) {
        snprintf(c->content_length, sizeof(c->content_length), "%zu", strlen(body));
        c->f.content_length = c->content_length;
        c->f.content_type = "application/json";
    }
    assert_int_equal(http_protocol.callback(fake_lws(&c->f), LWS_CALLBACK_HTTP, c->pss,
                                            c->f.line, strlen(path)),
                     0);
    if (body && body[0]) {
        assert_int_equal(http_protocol.callback(fake_lws(&c->f), LWS_CALLBACK_HTTP_BODY,
                                                c->pss, (void *)body, strlen(body)),
                         0);
        assert_int_equal(http_protocol.callback(fake_lws(&c->f),
                                                LWS_CALLBACK_HTTP_BODY_COMPLETION, c->pss,
                                                NULL, 0),
                         0);
    }
    service(c);
}

/* Reads the reply out of what the client was sent. */
static void
parse_reply(client *c, reply *rp)
{
    const char *end;

    memset(rp, 0, sizeof(*rp));
    assert_non_null(c->out);
    end = strstr(c->out, "\r\n\r\n");
    assert_non_null(end);
    assert_true((size_t)(end - c->out) < sizeof(rp->head));
    memcpy(rp->head, c->out, (size_t)(end - c->out) + 2);
    assert_int_equal(sscanf(rp->head, "HTTP/1.1 %d", &rp->status), 1);
    rp->body = end + 4;
    rp->body_len = c->outlen - (size_t)(rp->body - c->out);
    if (rp->body_len && strstr(rp->head, "content-type: application/json"))
        assert_int_equal(json_parse(rp->body, rp->body_len, &rp->json), E_OK);
}

/* The value of a reply header (name without colon), copied to out; false when absent. */
static bool
header(const reply *rp, const char *name, char *out, size_t size)
{
    const char *p = rp->head;
    size_t n = strlen(name);

    while ((p = strstr(p, "\r\n"))) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1, *e;
            while (*v == ' ')
                v++;
            e = strstr(v, "\r\n");
            snprintf(out, size, "%.*s", (int)(e - v), v);
            return true;
        }
    }
    return false;
}

static void
reply_free(reply *rp)
{
    json_object_put(rp->json);
    rp->json = NULL;
}

/* One request on a new connection, the store settled, the reply read. */
static void
exchange(int method, const char *path, const char *token, const char *body, reply *rp)
{
    client c;

    client_open(&c);
    send_request(&c, method, path, NULL, token, body);
    fz_drain();
    service(&c);
    assert_true(c.f.completed); /* the transaction ended: keep-alive goes on */
    parse_reply(&c, rp);
    /* The reply's text outlives the client. */
    {
        static char keep[1 << 20];
        assert_true(rp->body_len < sizeof(keep));
        memcpy(keep, rp->body, rp->body_len);
        rp->body = keep;
    }
    client_free(&c);
}

/* The error object of a JSON error reply, checked to be the one encoding. */
static struct json_object *
error_of(const reply *rp, const char *code)
{
    struct json_object *err = NULL;

    assert_non_null(rp->json);
    assert_true(json_object_object_get_ex(rp->json, "error", &err));
    assert_int_equal(json_object_object_length(rp->json), 1);
    return check_error_shape(err, code);
}

/* ---- set-up ---- */

static int
setup(void **state)
{
    static const server_protocol *const protocols[] = {&http_protocol};

    (void)state;
    gone_reset();
    srv = fz_start(protocols, 1, NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    /* Every request read was answered or freed: draining would not wait. */
    assert_int_equal(http_protocol.busy(server_protocol_state(srv, &http_protocol)), 0);
    assert_int_equal(gone_pending(), 0);
    fz_end();
    return 0;
}

/* ---- routing ---- */

static void
known_routes_reach_their_handlers(void **state)
{
    reply rp;
    char v[256];
    (void)state;

    exchange(LWSHUMETH_GET, "/api/info", NULL, NULL, &rp);
    assert_int_equal(rp.status, 200);
    assert_string_equal(json_get_str(rp.json, "name"), "droponair");
    assert_null(json_get_str(rp.json, "userId")); /* no token: the anonymous answer */
    assert_true(header(&rp, "x-request-id", v, sizeof(v)) && strlen(v) == 16);
    reply_free(&rp);

    /* A route that authenticates, with its parameter. */
    exchange(LWSHUMETH_GET, "/api/rooms/rm_open", fz_token(0), NULL, &rp);
    assert_int_equal(rp.status, 200);
    assert_string_equal(json_get_str(rp.json, "roomId"), "rm_open");
    assert_true(header(&rp, "etag", v, sizeof(v)));
    assert_string_equal(v, "\"1\"");
    reply_free(&rp);

    /* A body through HTTP_BODY: the room is made and named. */
    exchange(LWSHUMETH_POST, "/api/rooms", fz_token(0), "{\"name\":\"unit\"}", &rp);
    assert_int_equal(rp.status, 201);
    assert_string_equal(json_get_str(rp.json, "name"), "unit");
    assert_true(header(&rp, "location", v, sizeof(v)));
    assert_int_equal(strncmp(v, "/api/rooms/rm_", 14), 0);
    reply_free(&rp);

    /* One trailing slash is the same route. */
    exchange(LWSHUMETH_GET, "/api/info/", NULL, NULL, &rp);
    assert_int_equal(rp.status, 200);
    reply_free(&rp);
}

static void
unknown_path_is_404_with_a_json_error(void **state)
{
    reply rp;
    char v[64];
    struct json_object *err;
    (void)state;

    exchange(LWSHUMETH_GET, "/api/nothing-here", fz_token(0), NULL, &rp);
    assert_int_equal(rp.status, 404);
    assert_true(header(&rp, "content-type", v, sizeof(v)));
    assert_string_equal(v, "application/json");
    err = error_of(&rp, "NOT_FOUND");
    assert_string_equal(json_get_str(err, "message"), "no route for /api/nothing-here");
    reply_free(&rp);
}

static void
wrong_method_is_405_with_allow(void **state)
{
    reply rp;
    char v[128];
    struct json_object *err;
    (void)state;

    exchange(LWSHUMETH_DELETE, "/api/info", NULL, NULL, &rp);
    assert_int_equal(rp.status, 405);
    assert_true(header(&rp, "allow", v, sizeof(v)));
    assert_string_equal(v, "GET, HEAD, OPTIONS");
    err = error_of(&rp, "METHOD_NOT_ALLOWED");
    assert_non_null(strstr(json_get_str(err, "message"), "DELETE is not allowed on /api/info"));
    reply_free(&rp);

    /* Before authentication: a 405 needs no token. */
    exchange(LWSHUMETH_PUT, "/api/rooms", NULL, "{}", &rp);
    assert_int_equal(rp.status, 405);
    assert_true(header(&rp, "allow", v, sizeof(v)));
    assert_string_equal(v, "POST, GET, HEAD, OPTIONS");
    error_of(&rp, "METHOD_NOT_ALLOWED");
    reply_free(&rp);
}

static void
head_is_get_without_the_body(void **state)
{
    reply get, head;
    client c;
    char gl[32], hl[32];
    (void)state;

    /* The OpenAPI document: static and longer than one 16 KiB write. */
    exchange(LWSHUMETH_GET, "/api/openapi.json", NULL, NULL, &get);
    assert_int_equal(get.status, 200);
    assert_true(get.body_len > 16 * 1024);
    assert_true(header(&get, "content-length", gl, sizeof(gl)));
    assert_int_equal(strtoull(gl, NULL, 10), get.body_len);
    reply_free(&get);

    client_open(&c);
    send_request(&c, LWSHUMETH_HEAD, "/api/openapi.json", NULL, NULL, NULL);
    fz_drain();
    service(&c);
    parse_reply(&c, &head);
    assert_int_equal(head.status, 200);
    assert_true(header(&head, "content-length", hl, sizeof(hl)));
    assert_string_equal(hl, gl);     /* the GET's headers ... */
    assert_int_equal(head.body_len, 0); /* ... and no body */
    assert_int_equal(c.writes, 1);
    /* Nothing follows the headers, so they end the (HTTP/2) stream. */
    assert_true(c.header_flags & LWS_WRITE_H2_STREAM_END);
    reply_free(&head);
    client_free(&c);
}

/* ---- authentication ---- */

static void
expect_401(const reply *rp, const char *message)
{
    char v[64];
    struct json_object *err;

    assert_int_equal(rp->status, 401);
    assert_true(header(rp, "www-authenticate", v, sizeof(v)));
    assert_string_equal(v, "Bearer");
    err = error_of(rp, "UNAUTHORIZED");
    if (message)
        assert_string_equal(json_get_str(err, "message"), message);
}

static void
missing_or_invalid_token_is_401(void **state)
{
    reply rp;
    client c;
    (void)state;

    exchange(LWSHUMETH_GET, "/api/rooms", NULL, NULL, &rp);
    expect_401(&rp, "missing bearer token");
    reply_free(&rp);

    exchange(LWSHUMETH_GET, "/api/rooms/rm_open", "not-a-token", NULL, &rp);
    expect_401(&rp, NULL);
    reply_free(&rp);

    /* Expired. */
    exchange(LWSHUMETH_GET, "/api/rooms", fz_token(5), NULL, &rp);
    expect_401(&rp, NULL);
    reply_free(&rp);

    /* Another scheme is no bearer token. */
    client_open(&c);
    c.f.authorization = "Basic YWxpY2U6eA==";
    send_request(&c, LWSHUMETH_GET, "/api/ice-servers", NULL, NULL, NULL);
    fz_drain();
    service(&c);
    parse_reply(&c, &rp);
    expect_401(&rp, NULL);
    reply_free(&rp);
    client_free(&c);

    /* An optional token, when given, must be valid too. */
    exchange(LWSHUMETH_GET, "/api/info", "not-a-token", NULL, &rp);
    expect_401(&rp, NULL);
    reply_free(&rp);

    /* The same route with a good token answers. */
    exchange(LWSHUMETH_GET, "/api/info", fz_token(0), NULL, &rp);
    assert_int_equal(rp.status, 200);
    assert_string_equal(json_get_str(rp.json, "userId"), "alice");
    reply_free(&rp);
}

/* ---- the error reply ---- */

static void
errors_have_one_shape(void **state)
{
    static const struct {
        int method;
        const char *path, *body, *code, *field;
        int status;
    } cases[] = {
        {LWSHUMETH_POST, "/api/rooms", "{\"name\":5}", "VALIDATION_FAILED", "name", 400},
        {LWSHUMETH_POST, "/api/rooms", "{\"name\":\"x\",\"nope\":1}", "VALIDATION_FAILED",
         "nope", 400},
        {LWSHUMETH_POST, "/api/rooms", "{\"policy\":{\"maxParticipants\":\"2\"}}",
         "VALIDATION_FAILED", "policy.maxParticipants", 400},
        {LWSHUMETH_POST, "/api/rooms", "{not json", "MALFORMED_JSON", NULL, 400},
        {LWSHUMETH_GET, "/api/rooms/rm_nosuch", NULL, "ROOM_NOT_FOUND", NULL, 404},
        {LWSHUMETH_GET, "/api/rooms/rm_other", NULL, "ROOM_NOT_FOUND", NULL, 404},
        {LWSHUMETH_POST, "/api/rooms/rm_open/call/end", NULL, "NO_LIVE_CALL", NULL, 409},
    };
    size_t i;
    reply rp;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct json_object *err;

        exchange(cases[i].method, cases[i].path, fz_token(0), cases[i].body, &rp);
        if (rp.status != cases[i].status)
            fail_msg("%s %s: %d, want %d: %.*s", cases[i].path, cases[i].body, rp.status,
                     cases[i].status, (int)rp.body_len, rp.body);
        err = error_of(&rp, cases[i].code);
        if (cases[i].field)
            assert_string_equal(json_get_str(err, "field"), cases[i].field);
        else
            assert_null(json_get_str(err, "field"));
        assert_null(json_get_str(err, "limitSource")); /* only ROOM_FULL names one */
        reply_free(&rp);
    }
}

/* ---- requests that wait ---- */

static void
client_gone_while_the_store_job_runs(void **state)
{
    client c;
    (void)state;

    /* rm_open is not in the room cache yet: the GET is a store read. */
    client_open(&c);
    send_request(&c, LWSHUMETH_GET, "/api/rooms/rm_open", NULL, fz_token(0), NULL);
    assert_int_equal(c.writes, 0); /* waiting on the store */
    client_close(&c);              /* the peer goes away meanwhile */
    assert_int_equal(gone_freed(), 0); /* held by the job: not freed yet */
    assert_int_equal(gone_pending(), 1);
    fz_drain();                    /* the job completes: it must not touch the request */
    assert_int_equal(gone_freed(), 1); /* freed once, by the job's release */
    assert_int_equal(c.writes, 0);
    client_free(&c);

    /* A write: the room is made (the job ran), the reply goes nowhere. */
    client_open(&c);
    send_request(&c, LWSHUMETH_POST, "/api/rooms", NULL, fz_token(0), "{\"name\":\"gone\"}");
    client_close(&c);
    fz_drain();
    assert_int_equal(gone_freed(), 2);
    assert_int_equal(c.writes, 0);
    client_free(&c);

    /* Gone while its body is still coming: nothing holds it, freed at once. */
    client_open(&c);
    fake_http_request(&c.f, LWSHUMETH_POST, "/api/rooms", NULL);
    c.f.content_length = "10";
    assert_int_equal(http_protocol.callback(fake_lws(&c.f), LWS_CALLBACK_HTTP, c.pss, c.f.line,
                                            strlen("/api/rooms")),
                     0);
    client_close(&c);
    assert_int_equal(gone_freed(), 3);
    assert_int_equal(c.writes, 0);
    client_free(&c);
}

static void
found_live(void *arg, live_call *lc, dpa_err e)
{
    assert_int_equal(e, E_OK);
    *(live_call **)arg = lc;
}

/* Opens rm_open's live call with alice (a host) in it; returns it once its write committed. */
static live_call *
live_call_with_alice(void)
{
    live_call *lc = NULL;
    call_actor alice = {.user_id = "alice", .name = "Alice", .session = 1};
    struct json_object *out = NULL;
    dpa_error ce;

    live_open(srv, "fz", "rm_open", plans_find(srv->plans, "business"), found_live, &lc);
    fz_drain();
    assert_non_null(lc);
    assert_int_equal(call_join(lc, &alice, now_ms(), &out, &ce), E_OK);
    json_object_put(out);
    assert_true(call_is_live(lc));
    fz_drain(); /* the call-opened write commits */
    assert_int_equal(srv->writes_done, call_write_seq(lc));
    return lc;
}

static void
reply_waits_for_the_call_record_write(void **state)
{
    client c;
    reply rp;
    (void)state;

    live_call_with_alice();
    client_open(&c);
    send_request(&c, LWSHUMETH_POST, "/api/rooms/rm_open/call/end", NULL, fz_token(0), NULL);
    /* The call ended in memory; its record is not written: the client hears nothing. */
    assert_true(srv->writes_submitted > srv->writes_done);
    c.f.writable = true; /* even a WRITEABLE now writes nothing */
    service(&c);
    assert_int_equal(c.writes, 0);
    fz_drain(); /* committed */
    service(&c);
    parse_reply(&c, &rp);
    assert_int_equal(rp.status, 204);
    assert_int_equal(rp.body_len, 0);
    assert_true(c.f.completed);
    client_free(&c);

    /* The room's call is over for every reader. */
    exchange(LWSHUMETH_POST, "/api/rooms/rm_open/call/end", fz_token(0), NULL, &rp);
    assert_int_equal(rp.status, 409);
    error_of(&rp, "NO_LIVE_CALL");
    reply_free(&rp);
}

static void
client_gone_while_the_reply_waits_for_a_write(void **state)
{
    client c;
    (void)state;

    live_call_with_alice();
    client_open(&c);
    send_request(&c, LWSHUMETH_POST, "/api/rooms/rm_open/call/end", NULL, fz_token(2), NULL);
    assert_int_equal(c.writes, 0);
    client_close(&c);
    assert_int_equal(gone_freed(), 0);
    fz_drain();
    assert_int_equal(gone_freed(), 1);
    assert_int_equal(c.writes, 0);
    client_free(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(known_routes_reach_their_handlers, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_path_is_404_with_a_json_error, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_method_is_405_with_allow, setup, teardown),
        cmocka_unit_test_setup_teardown(head_is_get_without_the_body, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_or_invalid_token_is_401, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_have_one_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(client_gone_while_the_store_job_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(reply_waits_for_the_call_record_write, setup, teardown),
        cmocka_unit_test_setup_teardown(client_gone_while_the_reply_waits_for_a_write, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
