/*
 * Fuzz target: the WebSocket protocol callback (ws/transport.c) on up to
 * four fake connections (fakelws.h), so everything behind it runs as it
 * does under lws: the upgrade's header or query token, fragment
 * reassembly under the frame cap, the command decoder, field tables and
 * dispatcher, AUTH, RESUME, JOIN, moderation and signaling between users,
 * the outbound queues and held frames, closes, the reconnect grace.
 *
 * Input: a sequence of records, each an opcode byte and its operands:
 *   'F' conn flags len_lo len_hi data  a frame of len bytes on connection
 *                                      conn (opened on first use); flags
 *                                      bit 0 = FIN, bit 1 = binary (read on
 *                                      a message's first frame, as lws does).
 *                                      Frames reach the callback in 1 KiB
 *                                      pieces, like lws's rx buffer.
 *   'B' conn flags reps len_lo len_hi data
 *                                      a frame of data repeated reps times
 *                                      (big messages from small inputs)
 *   'M' conn len_lo len_hi data        a whole text message (one FIN frame)
 *   'H' conn token                     a new connection on conn whose upgrade
 *                                      carried token (bit 7: as ?token=)
 *   'O' conn                           a new connection without a token
 *   'X' conn                           the peer closes the connection
 *   'S' conn                           the peer stops (or resumes) reading
 *   'T'                                time passes: lws's pending timeouts
 *                                      (auth deadline, close) cut connections
 *   'G'                                every reconnect grace runs out
 *   'R' len_lo len_hi text             an HTTP request (format of fuzz_http.c):
 *                                      REST moderation, PATCH, DELETE of rooms
 *                                      with live calls
 *   'D'                                the server starts draining (SIGTERM)
 * Frame data goes through fz_expand: $T0 tokens, $C0 call ids, $R0 rooms,
 * and $K<n> / $Q<n>, the resumeToken and the last event seq connection n
 * was sent. Unknown opcodes and short records end the input.
 *
 * After each record the store settles, connections that asked to write
 * (and read) are written, and these are checked: every frame written is a
 * JSON object, a reply (`ok`) or an event with a `type`; an error has a
 * code; events on a connection have increasing seq (a RESUME starts over
 * at its replay); queued bytes stay under the cap; live calls keep their
 * cap (or do not grow past one a PATCH lowered), members have sessions of their own app, nobody is in twice or both
 * in and waiting, a CLOSED room has nobody in or waiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/call_private.h"
#include "core/util.h"
#include "fakelws.h"
#include "fuzzsrv.h"
#include "ws/internal.h"

#define CONNS 4
#define RX_BUFFER 1024 /* protocols[1].rx_buffer_size in server.c */

typedef struct conn {
    fake_wsi f;
    struct ws_pss *pss;
    int idx;
    bool open;
    bool in_msg;              /* a message's first frame came, its FIN not yet */
    bool msg_binary;
    bool stalled;             /* the peer does not read */
    bool close_written;       /* our close frame is out: the peer answers it */
    char auth[TOKEN_MAX + 16];
    int64_t last_seq;         /* of the events it was sent */
} conn;

static conn conns[CONNS];
static server *srv;
static hmap *members_seen; /* roomId -> members after the last record, plus 1 */

static struct lws *
wsi_of(conn *c)
{
    return fake_lws(&c->f);
}

/* ---- what the server writes ---- */

static void
check_frame(conn *c, const unsigned char *buf, size_t len)
{
    struct json_object *o = NULL, *v, *err;
    char num[24];

    if (json_parse((const char *)buf, len, &o) != E_OK || !json_object_is_type(o, json_type_object))
        fz_fail("conn %d was sent a frame that is not a JSON object: %.*s", c->idx, (int)len,
                (const char *)buf);
    if (json_object_object_get_ex(o, "seq", &v)) {
        int64_t seq = json_object_get_int64(v);
        if (!json_object_is_type(v, json_type_int) || seq <= c->last_seq)
            fz_fail("conn %d: event seq %lld after %lld: %.*s", c->idx, (long long)seq,
                    (long long)c->last_seq, (int)len, (const char *)buf);
        if (!json_get_str(o, "type"))
            fz_fail("conn %d: an event without a type", c->idx);
        c->last_seq = seq;
        snprintf(num, sizeof(num), "%lld", (long long)seq);
        fz_set_value('Q', c->idx, num);
    } else if (json_object_object_get_ex(o, "ok", &v)) {
        if (!json_object_is_type(v, json_type_boolean))
            fz_fail("conn %d: ok is not a boolean", c->idx);
        if (!json_object_get_boolean(v) &&
            (!json_object_object_get_ex(o, "error", &err) || !json_get_str(err, "code")))
            fz_fail("conn %d: an error reply without error.code: %.*s", c->idx, (int)len,
                    (const char *)buf);
        /* A RESUME reply: the replay that follows starts after the asked seq. */
        if (json_get_bool(o, "ok", false) && json_object_object_get_ex(o, "lastSeq", NULL))
            c->last_seq = 0;
    } else if (!json_get_str(o, "type")) {
        fz_fail("conn %d: a frame neither reply nor event: %.*s", c->idx, (int)len,
                (const char *)buf);
    }
    if (json_get_str(o, "resumeToken"))
        fz_set_value('K', c->idx, json_get_str(o, "resumeToken"));
    json_object_put(o);
}

static int
on_write(fake_wsi *f, const unsigned char *buf, size_t len, int protocol)
{
    conn *c = f->arg;

    if (getenv("FUZZ_TRACE"))
        fprintf(stderr, "conn %d <- %s%.*s\n", c->idx, protocol == LWS_WRITE_TEXT ? "" : "(close) ",
                (int)(len > 300 ? 300 : len), (const char *)buf);
    if (protocol == LWS_WRITE_TEXT)
        check_frame(c, buf, len);
    else if ((protocol & 0xf) == 4) /* LWS_WRITE_CLOSE */
        c->close_written = true;
    else
        fz_fail("conn %d: lws_write with protocol %d", c->idx, protocol);
    return (int)len;
}

/* ---- connections, as lws drives the callback ---- */

static void
conn_close(conn *c)
{
    if (!c->open)
        return;
    ws_protocol.callback(wsi_of(c), LWS_CALLBACK_CLOSED, c->pss, NULL, 0);
    fake_unregister(&c->f);
    free(c->pss);
    c->pss = NULL;
    c->open = false;
}

static void
conn_open(conn *c, int token, bool query)
{
    int idx = c->idx;

    conn_close(c);
    memset(c, 0, sizeof(*c));
    c->idx = idx;
    c->pss = xcalloc(1, ws_protocol.pss_size);
    c->f.user = c->pss;
    c->f.on_write = on_write;
    c->f.arg = c;
    c->f.uri = "/api/ws";
    if (token >= 0) {
        snprintf(c->auth, sizeof(c->auth), "%s%s", query ? "token=" : "Bearer ",
                 fz_token((unsigned)token));
        if (query)
            c->f.query = c->auth;
        else
            c->f.authorization = c->auth;
    }
    fake_register(&c->f);
    c->open = true;
    fz_set_value('Q', idx, "0");
    if (ws_protocol.callback(wsi_of(c), LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION, c->pss, NULL, 0) ||
        ws_protocol.callback(wsi_of(c), LWS_CALLBACK_ESTABLISHED, c->pss, NULL, 0)) {
        /* Only a draining server refuses an upgrade to /api/ws. */
        if (!srv->draining)
            fz_fail("conn %d: the upgrade was refused", idx);
        /* Refused: lws frees the connection without CLOSED. */
        fake_unregister(&c->f);
        free(c->pss);
        c->pss = NULL;
        c->open = false;
        return;
    }
}

/* Connection i, opened when needed; NULL when the server refuses it. */
static conn *
conn_get(unsigned i)
{
    conn *c = &conns[i % CONNS];
    if (!c->open)
        conn_open(c, -1, false);
    return c->open ? c : NULL;
}

static void
frame(conn *c, bool fin, bool binary, const uint8_t *data, size_t len)
{
    size_t n, off = 0;
    char *text = fz_expand((const char *)data, len, &n);
    bool first = !c->in_msg;

    if (first)
        c->msg_binary = binary;
    c->in_msg = !fin;
    do {
        size_t piece = n - off > RX_BUFFER ? RX_BUFFER : n - off;
        c->f.first = first && off == 0;
        c->f.final = fin && off + piece == n;
        c->f.binary = c->msg_binary;
        if (ws_protocol.callback(wsi_of(c), LWS_CALLBACK_RECEIVE, c->pss, text + off, piece) < 0) {
            conn_close(c);
            break;
        }
        off += piece;
    } while (off < n);
    free(text);
}

/* Gives every connection that asked for it its WRITEABLE; closes what lws would close. */
static void
service(void)
{
    int i, rounds;

    for (i = 0; i < CONNS; i++) {
        conn *c = &conns[i];
        for (rounds = 0; c->open && c->f.writable && !c->stalled && rounds < 100000; rounds++) {
            c->f.writable = false;
            if (ws_protocol.callback(wsi_of(c), LWS_CALLBACK_SERVER_WRITEABLE, c->pss, NULL, 0) < 0)
                conn_close(c);
        }
        /* Killed, or our close frame answered by the peer. */
        if (c->open && (c->f.kill || c->close_written))
            conn_close(c);
    }
}

static void
time_passes(void)
{
    int i;

    for (i = 0; i < CONNS; i++)
        if (conns[i].open && conns[i].f.timeout)
            conn_close(&conns[i]);
}

static void
grace_one(const char *key, void *value, void *arg)
{
    ws_session *s = value, **list = arg;
    int i;

    (void)key;
    if (!s->in_grace)
        return;
    for (i = 0; i < 64 && list[i]; i++)
        ;
    if (i < 64)
        list[i] = s;
}

/* Every session in grace expires (grace_over in session.c). */
static void
expire_graces(void)
{
    ws_session *list[65] = {NULL};
    int i;

    hmap_each(ws_of(srv)->sessions, grace_one, list);
    for (i = 0; list[i]; i++)
        session_end(list[i]);
}

/* ---- invariants ---- */

static void
check_session(const char *key, void *value, void *arg)
{
    ws_session *s = value;

    (void)key;
    (void)arg;
    if (s->qbytes > srv->cfg->ws_queue_max)
        fz_fail("session of %s holds %zu queued bytes (cap %zu)", s->who.user_id, s->qbytes,
                srv->cfg->ws_queue_max);
}

static void
check_call(const char *key, void *value, void *arg)
{
    live_call *lc = value;
    join_facts f;
    limit_source src;
    int i, j, cap;
    intptr_t prev;

    (void)key;
    (void)arg;
    memset(&f, 0, sizeof(f));
    f.max_participants = lc->room->policy.max_participants;
    f.plan_cap = lc->plan->max_participants;
    cap = join_cap(&f, &src);
    /*
     * A PATCH that lowers the cap keeps who is in (DESIGN §4): over the cap
     * is fine, growing while over it is not.
     */
    prev = (intptr_t)hmap_get(members_seen, lc->room->id);
    if (lc->nmembers > cap && prev > 0 && lc->nmembers > prev - 1)
        fz_fail("room %s: %d members over the cap %d (was %d)", lc->room->id, lc->nmembers, cap,
                (int)prev - 1);
    if (lc->nmembers > cap && prev == 0)
        fz_fail("room %s: %d members over the cap %d", lc->room->id, lc->nmembers, cap);
    hmap_put(members_seen, lc->room->id, (void *)(intptr_t)(lc->nmembers + 1));
    if (lc->nmembers > 0 && !call_is_live(lc))
        fz_fail("room %s: members but no live call", lc->room->id);
    if (call_is_live(lc) && live_find_call(srv, lc->call_id) != lc)
        fz_fail("room %s: call %s not indexed", lc->room->id, lc->call_id);
    if (lc->room->status == ROOM_CLOSED && (lc->nmembers || lc->waiting.count))
        fz_fail("room %s: CLOSED with %d members and %d waiting", lc->room->id, lc->nmembers,
                lc->waiting.count);
    for (i = 0; i < lc->nmembers; i++) {
        const call_member *m = &lc->members[i];
        ws_session *s = session_by_id(ws_of(srv), m->session);
        if (!s || session_ended(s) || strcmp(s->who.user_id, m->user_id) != 0)
            fz_fail("room %s: member %s has no session of theirs", lc->room->id, m->user_id);
        if (strcmp(s->who.app_id, lc->room->app_id) != 0)
            fz_fail("room %s: member %s from app %s", lc->room->id, m->user_id, s->who.app_id);
        for (j = i + 1; j < lc->nmembers; j++)
            if (strcmp(m->user_id, lc->members[j].user_id) == 0)
                fz_fail("room %s: %s is in twice", lc->room->id, m->user_id);
        for (j = 0; j < lc->waiting.count; j++)
            if (strcmp(m->user_id, lc->waiting.items[j].user_id) == 0)
                fz_fail("room %s: %s both in and waiting", lc->room->id, m->user_id);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t p = 0, len;
    int i;

    srv = fz_begin();
    members_seen = hmap_new();
    memset(conns, 0, sizeof(conns));
    for (i = 0; i < CONNS; i++)
        conns[i].idx = i;
    while (p < size) {
        uint8_t op = data[p++];

        if (op == 'F' && p + 4 <= size) {
            conn *c = conn_get(data[p]);
            uint8_t flags = data[p + 1];
            len = (size_t)data[p + 2] | (size_t)data[p + 3] << 8;
            p += 4;
            if (len > size - p)
                len = size - p;
            if (c)
                frame(c, flags & 1, flags & 2, data + p, len);
            p += len;
        } else if (op == 'B' && p + 5 <= size) {
            conn *c = conn_get(data[p]);
            uint8_t flags = data[p + 1];
            size_t reps = data[p + 2], k;
            uint8_t *big;
            len = (size_t)data[p + 3] | (size_t)data[p + 4] << 8;
            p += 5;
            if (len > size - p)
                len = size - p;
            big = xmalloc(len * reps + 1);
            for (k = 0; k < reps; k++)
                memcpy(big + k * len, data + p, len);
            if (c)
                frame(c, flags & 1, flags & 2, big, len * reps);
            free(big);
            p += len;
        } else if (op == 'M' && p + 3 <= size) {
            conn *c = conn_get(data[p]);
            len = (size_t)data[p + 1] | (size_t)data[p + 2] << 8;
            p += 3;
            if (len > size - p)
                len = size - p;
            if (c) {
                c->in_msg = false;
                frame(c, true, false, data + p, len);
            }
            p += len;
        } else if (op == 'H' && p + 2 <= size) {
            conn_open(&conns[data[p] % CONNS], data[p + 1] & 0x7f, data[p + 1] & 0x80);
            p += 2;
        } else if (op == 'O' && p + 1 <= size) {
            conn_open(&conns[data[p] % CONNS], -1, false);
            p += 1;
        } else if (op == 'X' && p + 1 <= size) {
            conn_close(&conns[data[p] % CONNS]);
            p += 1;
        } else if (op == 'S' && p + 1 <= size) {
            conns[data[p] % CONNS].stalled = !conns[data[p] % CONNS].stalled;
            p += 1;
        } else if (op == 'T') {
            time_passes();
        } else if (op == 'G') {
            expire_graces();
        } else if (op == 'R' && p + 2 <= size) {
            len = (size_t)data[p] | (size_t)data[p + 1] << 8;
            p += 2;
            if (len > size - p)
                len = size - p;
            fz_http_request(srv, (const char *)data + p, len);
            p += len;
        } else if (op == 'D') {
            if (!srv->draining) {
                srv->draining = true;
                ws_shutdown(ws_of(srv));
            }
        } else {
            break;
        }
        fz_drain();
        service();
        fz_drain();
        service();
        hmap_each(ws_of(srv)->sessions, check_session, NULL);
        hmap_each(srv->live_by_room, check_call, NULL);
    }
    for (i = 0; i < CONNS; i++)
        conn_close(&conns[i]);
    fz_end();
    hmap_free(members_seen);
    return 0;
}
