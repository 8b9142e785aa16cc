/* Sessions: lifetime, outbound queues, the replay ring, grace and counting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "server/log.h"
#include "ws/internal.h"

static msgbuf *
msg_new(const char *text, size_t len, uint64_t seq)
{
    msgbuf *m = xmalloc(sizeof(*m) + LWS_PRE + len);

    m->refs = 1;
    m->seq = seq;
    m->after = 0;
    m->event = false;
    m->len = len;
    memcpy(m->data + LWS_PRE, text, len);
    return m;
}

static void
msg_unref(msgbuf *m)
{
    if (m && --m->refs == 0)
        free(m);
}

static void free_async(async_req *a);

ws_session *
session_new(ws_state *ws, struct lws *wsi)
{
    ws_session *s = xcalloc(1, sizeof(*s));

    s->async.free = free_async;
    s->id = ++ws->next_session_id;
    snprintf(s->key, sizeof(s->key), "%llx", (unsigned long long)s->id);
    s->srv = ws->srv;
    s->ws = ws;
    s->wsi = wsi;
    s->tokens = ws->srv->cfg->ws_burst;
    s->refill_ns = mono_ns();
    hmap_put(ws->sessions, s->key, s);
    ws->stats.sessions++;
    return s;
}

ws_session *
session_by_id(ws_state *ws, uint64_t id)
{
    char key[24];
    snprintf(key, sizeof(key), "%llx", (unsigned long long)id);
    return hmap_get(ws->sessions, key);
}

void
session_register(ws_session *s)
{
    random_id(s->resume_token, sizeof(s->resume_token), "rt_", 24);
    hmap_put(s->ws->sessions_by_token, s->resume_token, s);
    caps_session_add(s);
}

/* ---- queues ---- */

static void
clear_queue(outq **head, outq **tail, size_t *bytes)
{
    outq *q, *next;

    for (q = *head; q; q = next) {
        next = q->next;
        msg_unref(q->m);
        free(q);
    }
    *head = NULL;
    if (tail)
        *tail = NULL;
    if (bytes)
        *bytes = 0;
}

static void
append(outq **head, outq **tail, outq *q)
{
    q->next = NULL;
    if (*tail)
        (*tail)->next = q;
    else
        *head = q;
    *tail = q;
}

static void
clear_held(ws_session *s)
{
    lws_dll2_remove(&s->held_link);
    clear_queue(&s->hhead, &s->htail, NULL);
}

/*
 * Queues m for the connection. Output that reports a change not yet
 * committed (m->after) is held, and so is everything behind it: a session
 * sees its frames in order, and nothing it sees is lost by a crash.
 */
static void
enqueue(ws_session *s, msgbuf *m)
{
    outq *q;

    if (s->proxy) {
        /* Goes to the session's own process, in order, once what it reports committed. */
        if (!s->hhead && m->after <= s->srv->writes_done) {
            remote_out(s, m);
            return;
        }
    } else if (!s->wsi || s->close_code) {
        return;
    }
    if (!s->proxy && s->qbytes + m->len > s->srv->cfg->ws_queue_max) {
        /* The client does not read: drop it rather than grow. */
        s->ws->stats.slow_readers++;
        dlog(LOG_WARN, "msg=\"slow reader dropped\" user=\"%s\" queued=%zu", s->who.user_id,
             s->qbytes);
        clear_queue(&s->qhead, &s->qtail, NULL);
        clear_held(s);
        s->qbytes = 0;
        session_close(s, 1008, "outbound queue full");
        return;
    }
    q = xmalloc(sizeof(*q));
    q->m = m;
    m->refs++;
    s->qbytes += m->len;
    if (s->hhead || m->after > s->srv->writes_done) {
        if (!s->hhead)
            lws_dll2_add_tail(&s->held_link, &s->ws->held);
        append(&s->hhead, &s->htail, q);
        return;
    }
    append(&s->qhead, &s->qtail, q);
    lws_callback_on_writable(s->wsi);
}

/* Moves the held frames whose writes have committed to the send queue. */
static void
release_one(ws_session *s)
{
    outq *q;
    bool moved = false;

    while ((q = s->hhead) && q->m->after <= s->srv->writes_done) {
        s->hhead = q->next;
        if (!s->hhead)
            s->htail = NULL;
        if (s->proxy) {
            s->qbytes -= q->m->len;
            remote_out(s, q->m);
            msg_unref(q->m);
            free(q);
            continue;
        }
        append(&s->qhead, &s->qtail, q);
        moved = true;
    }
    if (!s->hhead)
        lws_dll2_remove(&s->held_link);
    if (moved && s->wsi)
        lws_callback_on_writable(s->wsi);
}

void
ws_release_held(ws_state *ws)
{
    lws_dll2_t *d = lws_dll2_get_head(&ws->held), *next;

    for (; d; d = next) {
        next = d->next;
        release_one(lws_container_of(d, ws_session, held_link));
    }
}

void
session_send_text(ws_session *s, const char *text, size_t len)
{
    msgbuf *m = msg_new(text, len, 0);
    m->after = s->cur_lc ? call_write_seq(s->cur_lc) : 0;
    enqueue(s, m);
    msg_unref(m);
}

void
session_send_json(ws_session *s, struct json_object *o)
{
    size_t len;
    const char *t = json_plain(o, &len);
    session_send_text(s, t, len);
}

static void
replay_push(ws_session *s, msgbuf *m)
{
    if (!s->replay)
        s->replay = xcalloc(WS_REPLAY_EVENTS, sizeof(msgbuf *));
    while (s->rcount > 0 &&
           (s->rcount == WS_REPLAY_EVENTS || s->rbytes + m->len > WS_REPLAY_BYTES)) {
        msgbuf *old = s->replay[s->rhead];
        s->rbytes -= old->len;
        msg_unref(old);
        s->rhead = (s->rhead + 1) % WS_REPLAY_EVENTS;
        s->rcount--;
    }
    s->replay[(s->rhead + s->rcount) % WS_REPLAY_EVENTS] = m;
    s->rcount++;
    s->rbytes += m->len;
    m->refs++;
}

static void
free_userdata(struct json_object *jso, void *userdata)
{
    (void)jso;
    free(userdata);
}

void
ws_emit(ws_state *ws, uint64_t session, struct json_object *ev, uint64_t after)
{
    ws_session *s = session_by_id(ws, session);
    char *body;
    size_t len;

    if (!s || session_ended(s))
        return;
    /*
     * Encode once: the event is printed the first time it is sent and the
     * text kept on the object; each recipient's frame is its own seq
     * followed by that text.
     */
    body = json_object_get_userdata(ev);
    if (!body) {
        const char *t = json_plain(ev, &len);
        body = xstrdup(t);
        json_object_set_userdata(ev, body, free_userdata);
    }
    session_emit_text(s, body, strlen(body), after);
}

void
session_emit_text(ws_session *s, const char *body, size_t len, uint64_t after)
{
    char head[32];
    size_t hlen;
    msgbuf *m;

    if (len < 2 || body[0] != '{')
        return;
    if (s->proxy) {
        /* Numbered by the session's own process, which keeps it for resume. */
        m = msg_new(body, len, 0);
        m->event = true;
    } else {
        hlen = (size_t)snprintf(head, sizeof(head), "{\"seq\":%llu%s",
                                (unsigned long long)++s->seq, len > 2 ? "," : "");
        m = xmalloc(sizeof(*m) + LWS_PRE + hlen + len - 1);
        m->refs = 1;
        m->seq = s->seq;
        m->event = false;
        m->len = hlen + len - 1;
        memcpy(m->data + LWS_PRE, head, hlen);
        memcpy(m->data + LWS_PRE + hlen, body + 1, len - 1);
        replay_push(s, m);
    }
    m->after = after;
    s->ws->stats.events_out++;
    if (s->deferring) {
        outq *q = xmalloc(sizeof(*q)), **pq = &s->deferred;
        q->next = NULL;
        q->m = m;
        while (*pq)
            pq = &(*pq)->next;
        *pq = q;
        return;
    }
    enqueue(s, m);
    msg_unref(m);
}

void
session_flush_deferred(ws_session *s)
{
    outq *q = s->deferred, *next;

    s->deferring = false;
    s->deferred = NULL;
    for (; q; q = next) {
        next = q->next;
        enqueue(s, q->m);
        msg_unref(q->m);
        free(q);
    }
}

bool
session_can_replay(const ws_session *s, uint64_t last_seq)
{
    if (last_seq > s->seq)
        return false;
    if (last_seq == s->seq)
        return true;
    /* The ring must still hold last_seq + 1. */
    return s->rcount > 0 && s->replay[s->rhead]->seq <= last_seq + 1;
}

void
session_replay(ws_session *s, uint64_t last_seq)
{
    int i;

    for (i = 0; i < s->rcount; i++) {
        msgbuf *m = s->replay[(s->rhead + i) % WS_REPLAY_EVENTS];
        if (m->seq > last_seq)
            enqueue(s, m);
    }
}

int
session_write(ws_session *s)
{
    outq *q = s->qhead;
    int n;

    if (!q) {
        if (s->close_code) {
            /*
             * Write the close frame ourselves: lws's own close path (close
             * reason + return -1) drops it when it runs on libuv.
             */
            unsigned char frame[LWS_PRE + 125];
            size_t rl = strlen(s->close_reason);
            if (rl > 120)
                rl = 120;
            frame[LWS_PRE] = (unsigned char)(s->close_code >> 8);
            frame[LWS_PRE + 1] = (unsigned char)(s->close_code & 0xff);
            memcpy(frame + LWS_PRE + 2, s->close_reason, rl);
            lws_write(s->wsi, frame + LWS_PRE, rl + 2, (enum lws_write_protocol)4 /* LWS_WRITE_CLOSE */);
            return 1;
        }
        return 0;
    }
    n = lws_write(s->wsi, q->m->data + LWS_PRE, q->m->len, LWS_WRITE_TEXT);
    if (n < 0)
        return -1;
    s->qhead = q->next;
    if (!s->qhead)
        s->qtail = NULL;
    s->qbytes -= q->m->len;
    msg_unref(q->m);
    free(q);
    if (s->qhead || s->close_code)
        lws_callback_on_writable(s->wsi);
    return 0;
}

void
session_close(ws_session *s, int code, const char *reason)
{
    if (!s->wsi || s->close_code)
        return;
    s->close_code = code;
    s->close_reason = reason;
    /*
     * The close frame goes out on WRITEABLE, which never comes while the
     * peer's TCP window is full: the connection is cut after a short wait
     * whatever happens.
     */
    lws_set_timeout(s->wsi, PENDING_TIMEOUT_CLOSE_SEND, WS_CLOSE_TIMEOUT_S);
    lws_callback_on_writable(s->wsi);
}

/* ---- lifetime ---- */

static void
session_free(ws_session *s)
{
    int i;

    for (i = 0; i < s->rcount; i++)
        msg_unref(s->replay[(s->rhead + i) % WS_REPLAY_EVENTS]);
    free(s->replay);
    clear_queue(&s->qhead, &s->qtail, &s->qbytes);
    clear_held(s);
    clear_queue(&s->deferred, NULL, NULL);
    free(s->rooms);
    free(s->pending_token);
    json_object_put(s->pending_id);
    free(s);
}

void
session_hold(ws_session *s)
{
    async_hold(&s->async);
}

bool
session_release(ws_session *s)
{
    return async_release(&s->async);
}

bool
session_ended(const ws_session *s)
{
    return s->async.gone;
}

static void
free_async(async_req *a)
{
    session_free(lws_container_of(a, ws_session, async));
}

void
session_end(ws_session *s)
{
    server *srv = s->srv;
    int64_t now = now_ms();
    int i;

    if (session_ended(s))
        return;
    /* Ended from here on (nothing of it runs again), freed by the last release. */
    async_hold(&s->async);
    async_gone(&s->async);
    lws_sul_cancel(&s->sul_grace);
    caps_conn_release(s);
    caps_session_remove(s);
    hmap_del(s->ws->sessions, s->key);
    if (s->resume_token[0])
        hmap_del(s->ws->sessions_by_token, s->resume_token);
    if (s->proxy)
        hmap_del(s->ws->proxies, s->proxy_key);
    else
        remote_session_news(s, "end");
    s->ws->stats.sessions--;
    for (i = 0; i < s->nrooms; i++) {
        live_call *lc = live_find(srv, s->rooms[i]);
        if (lc) {
            call_drop_session(lc, s->id, now);
            live_reap(srv, lc);
        }
    }
    async_release(&s->async);
}

static void
grace_over(lws_sorted_usec_list_t *sul)
{
    ws_session *s = lws_container_of(sul, ws_session, sul_grace);

    dlog(LOG_INFO, "msg=\"session expired\" user=\"%s\"", s->who.user_id);
    session_end(s);
}

void
session_lost(ws_session *s)
{
    int i;

    s->wsi = NULL;
    s->close_code = 0;
    caps_conn_release(s);
    clear_queue(&s->qhead, &s->qtail, &s->qbytes);
    clear_held(s); /* the replay ring keeps the events for a RESUME */
    if (!s->authed || server_draining(s->srv)) {
        session_end(s);
        return;
    }
    s->in_grace = true;
    for (i = 0; i < s->nrooms; i++) {
        live_call *lc = live_find(s->srv, s->rooms[i]);
        if (lc)
            call_session_lost(lc, s->id);
    }
    remote_session_news(s, "lost");
    lws_sul_schedule(s->srv->ctx, 0, &s->sul_grace, grace_over,
                     (lws_usec_t)s->srv->cfg->ws_grace_ms * LWS_US_PER_MS);
}

void
session_lost_remote(ws_session *s, bool timer)
{
    int i;

    if (!s->in_grace) {
        s->in_grace = true;
        for (i = 0; i < s->nrooms; i++) {
            live_call *lc = live_find(s->srv, s->rooms[i]);
            if (lc)
                call_session_lost(lc, s->id);
        }
    }
    /* Its process stopped: the grace its process ran runs here now. */
    if (timer)
        lws_sul_schedule(s->srv->ctx, 0, &s->sul_grace, grace_over,
                         (lws_usec_t)s->srv->cfg->ws_grace_ms * LWS_US_PER_MS);
}

void
session_back_remote(ws_session *s)
{
    int i;

    if (!s->in_grace)
        return;
    s->in_grace = false;
    lws_sul_cancel(&s->sul_grace);
    for (i = 0; i < s->nrooms; i++) {
        live_call *lc = live_find(s->srv, s->rooms[i]);
        if (lc)
            call_session_back(lc, s->id);
    }
}

void
session_bind(ws_session *s, struct lws *wsi)
{
    int i;

    /*
     * What was queued belongs to the previous connection (still open when
     * a RESUME takes the session over): events come again from the replay
     * ring, after the lastSeq the client names; nothing twice.
     */
    clear_queue(&s->qhead, &s->qtail, &s->qbytes);
    clear_held(s);
    s->close_code = 0;
    s->wsi = wsi;
    if (s->in_grace) {
        s->in_grace = false;
        lws_sul_cancel(&s->sul_grace);
        for (i = 0; i < s->nrooms; i++) {
            live_call *lc = live_find(s->srv, s->rooms[i]);
            if (lc)
                call_session_back(lc, s->id);
        }
        remote_session_news(s, "back");
    }
}

typedef struct collect {
    ws_session **items;
    size_t n;
} collect;

static void
collect_one(const char *key, void *value, void *arg)
{
    collect *c = arg;
    (void)key;
    c->items[c->n++] = value;
}

/* Every session, collected first: ending one changes the map. Caller frees. */
static collect
all_sessions(ws_state *ws)
{
    collect c;

    c.items = xcalloc(hmap_count(ws->sessions) + 1, sizeof(ws_session *));
    c.n = 0;
    hmap_each(ws->sessions, collect_one, &c);
    return c;
}

void
ws_apps_changed(ws_state *ws)
{
    collect c = all_sessions(ws);
    size_t i;

    for (i = 0; i < c.n; i++) {
        ws_session *s = c.items[i];
        const app *a;
        if (!s->authed)
            continue;
        a = apps_find(ws->srv->apps, s->who.app_id);
        s->who.plan = a ? a->plan : &plan_none;
    }
    free(c.items);
}

/* Ends every session; connections still open are asked to close with 1012. */
void
ws_shutdown(ws_state *ws)
{
    collect c = all_sessions(ws);
    size_t i;

    for (i = 0; i < c.n; i++) {
        ws_session *s = c.items[i];
        if (s->wsi)
            session_close(s, 1012, "service restart");
        else
            session_end(s);
    }
    free(c.items);
}

/* Frees what is left (sessions whose connection never closed in time). */
void
ws_free_all(ws_state *ws)
{
    collect c = all_sessions(ws);
    size_t i;

    for (i = 0; i < c.n; i++) {
        c.items[i]->wsi = NULL;
        session_end(c.items[i]);
    }
    free(c.items);
}
