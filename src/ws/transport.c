/*
 * The lws callback of the droponair.v1 protocol: upgrade, header or query
 * tokens, the auth deadline, message reassembly under the frame cap,
 * writing queued frames, and handing closed connections to the grace.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "server/log.h"
#include "server/request.h"
#include "ws/internal.h"

/*
 * A token from "Authorization: Bearer ..." or "?token=...", or NULL. A
 * header or argument too long to hold a token, or holding a NUL byte, is
 * not ignored (that would fall back to the other one): it yields a token
 * that fails verification, so the client is told UNAUTHORIZED.
 */
static char *
upgrade_token(struct lws *wsi)
{
    char buf[TOKEN_MAX + 64];
    int rc = hdr_copy(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, buf, sizeof(buf));

    if (rc < 0)
        return xstrdup("unreadable-authorization-header");
    if (rc == HDR_OK && strncasecmp(buf, "Bearer ", 7) == 0)
        return xstrdup(buf + 7);
    rc = query_copy(wsi, "token", buf, sizeof(buf));
    if (rc < 0)
        return xstrdup("unreadable-token-argument");
    return rc == HDR_OK ? xstrdup(buf) : NULL;
}

/* Whether the upgrade asks for /api/ws (WebSockets are served there only). */
static bool
upgrade_path_ok(struct lws *wsi)
{
    char path[16];

    return hdr_copy(wsi, WSI_TOKEN_GET_URI, path, sizeof(path)) == HDR_OK &&
           strcmp(path, "/api/ws") == 0;
}

/*
 * Collects a message's fragments in the connection's buffer and hands the
 * whole message to the session the connection carries. The buffer belongs
 * to the connection, not the session: a RESUME swaps the session under the
 * connection (and may free the blank one) while the message is handled, so
 * nothing of the session is touched after ws_handle_message returns.
 */
static int
on_receive(struct ws_pss *pss, struct lws *wsi, const char *in, size_t len)
{
    bool first = lws_is_first_fragment(wsi), last = lws_is_final_fragment(wsi);
    ws_session *s = pss->s;

    if (first) {
        pss->rxlen = 0;
        pss->rx_dropped = false;
        if (lws_frame_is_binary(wsi))
            ws_reject_binary(s);
    }
    if (lws_frame_is_binary(wsi) || pss->rx_dropped)
        return 0;
    if (pss->rxlen + len > WS_FRAME_MAX) {
        dlog(LOG_WARN, "msg=\"frame too large\" user=\"%s\"", s->who.user_id);
        session_close(s, 1009, "message too large");
        pss->rx_dropped = true; /* ignore the rest of this message */
        free(pss->rx);
        pss->rx = NULL;
        pss->rxlen = 0;
        return 0;
    }
    if (first && last) {
        ws_handle_message(s, in, len);
        return 0;
    }
    if (!pss->rx)
        pss->rx = xmalloc(WS_FRAME_MAX);
    memcpy(pss->rx + pss->rxlen, in, len);
    pss->rxlen += len;
    if (last) {
        char *msg = pss->rx;
        size_t n = pss->rxlen;
        /* buffers live only while a message is in flight */
        pss->rx = NULL;
        pss->rxlen = 0;
        ws_handle_message(s, msg, n);
        free(msg);
    }
    return 0;
}

/* ---- keep-alive: one sweeping timer for every WebSocket ---- */

static void
kill_conn(struct ws_pss *pss, const char *why)
{
    pss->killed = true;
    dlog(LOG_INFO, "msg=\"websocket cut\" why=\"%s\" user=\"%s\"", why,
         pss->s && pss->s->authed ? pss->s->who.user_id : "-");
    lws_set_timeout(pss->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/*
 * Every WS_SWEEP_MS: cut connections that did not authenticate in time or
 * stayed silent past --ws-idle-s, and ping those silent past --ws-ping-s.
 * One timer and an O(n) walk per second, instead of a timer per connection
 * in lws's sorted list, whose every insert is O(n).
 */
static void
sweep(lws_sorted_usec_list_t *sul)
{
    ws_state *ws = lws_container_of(sul, ws_state, sul_sweep);
    server *srv = ws->srv;
    uint64_t now = mono_ns() / 1000000;
    uint64_t ping_ms = (uint64_t)srv->cfg->ws_ping_s * 1000;
    uint64_t idle_ms = (uint64_t)srv->cfg->ws_idle_s * 1000;
    /*
     * Pings are spread: at most twice the even share per sweep, so sockets
     * that went quiet together (a reconnect storm) are not all written in
     * one loop turn. A late ping is harmless: hang-up is much later.
     */
    uint64_t budget = 2 * ws->stats.connections * WS_SWEEP_MS / ping_ms + 16;
    lws_dll2_t *d;

    remote_sweep(ws, now);
    for (d = lws_dll2_get_head(&ws->conns); d; d = d->next) {
        struct ws_pss *pss = lws_container_of(d, struct ws_pss, conn_link);
        if (pss->killed)
            continue;
        if (pss->s && !pss->s->authed && now - pss->opened_ms >= WS_AUTH_TIMEOUT_S * 1000u) {
            kill_conn(pss, "no AUTH in time");
        } else if (now - pss->last_rx_ms >= idle_ms) {
            kill_conn(pss, "silent");
        } else if (now - pss->last_rx_ms >= ping_ms && !pss->ping_sent && budget > 0) {
            budget--;
            pss->ping_sent = true;
            pss->ping_due = true;
            lws_callback_on_writable(pss->wsi);
        }
    }
    lws_sul_schedule(srv->ctx, 0, &ws->sul_sweep, sweep, WS_SWEEP_MS * LWS_US_PER_MS);
}

static void
heard_from(struct ws_pss *pss)
{
    pss->last_rx_ms = mono_ns() / 1000000;
    pss->ping_sent = false;
}

int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
            size_t len)
{
    struct ws_pss *pss = user;
    server *srv;
    ws_state *ws;
    ws_session *s;

    switch (reason) {
    case LWS_CALLBACK_PROTOCOL_INIT:
        srv = server_of(wsi);
        if ((ws = ws_of(srv)))
            lws_sul_schedule(srv->ctx, 0, &ws->sul_sweep, sweep, WS_SWEEP_MS * LWS_US_PER_MS);
        return 0;

    case LWS_CALLBACK_PROTOCOL_DESTROY:
        srv = server_of(wsi);
        if (srv && (ws = ws_of(srv)))
            lws_sul_cancel(&ws->sul_sweep);
        return 0;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        srv = server_of(wsi);
        if (!upgrade_path_ok(wsi)) {
            lws_return_http_status(wsi, 404, NULL);
            return -1;
        }
        if (server_draining(srv)) {
            lws_return_http_status(wsi, 503, NULL);
            return -1;
        }
        return 0;

    case LWS_CALLBACK_ESTABLISHED:
        ws = ws_of(server_of(wsi));
        ws->stats.connections++;
        pss->established = true;
        pss->wsi = wsi;
        pss->opened_ms = mono_ns() / 1000000;
        heard_from(pss);
        lws_dll2_add_tail(&pss->conn_link, &ws->conns);
        pss->s = session_new(ws, wsi);
        /* The upgrade's headers are still readable here. */
        pss->hdr_token = upgrade_token(wsi);
        if (pss->hdr_token) {
            char *t = pss->hdr_token;
            pss->hdr_token = NULL;
            ws_auth_header(pss->s, t);
            free(t);
        }
        return 0;

    case LWS_CALLBACK_RECEIVE:
        if (!pss->s)
            return -1;
        if (pss->close_sent)
            return 0; /* read and drop until the peer's close or the timeout */
        heard_from(pss);
        pss->s->ws->stats.frames_in++;
        return on_receive(pss, wsi, in, len);

    case LWS_CALLBACK_RECEIVE_PONG:
        heard_from(pss);
        return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss->s || pss->s->wsi != wsi)
            return -1;
        if (pss->close_sent)
            return 0;
        if (pss->ping_due) {
            /* lws passes a pong up only when it has a payload: give the ping one. */
            unsigned char ping[LWS_PRE + 2] = {0};
            pss->ping_due = false;
            ping[LWS_PRE] = 'k';
            if (lws_write(wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 0)
                return -1;
            if (pss->s->qhead || pss->s->close_code)
                lws_callback_on_writable(wsi);
            return 0;
        }
        if (session_write(pss->s) == 1) {
            /*
             * Linger for the peer's close frame (lws answers it and closes)
             * so what the peer still sends is read, not answered with a
             * reset that would discard our close frame before it is read.
             */
            pss->close_sent = true;
            lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_ACK, 1);
        }
        return 0;

    case LWS_CALLBACK_CLOSED:
        free(pss->hdr_token);
        pss->hdr_token = NULL;
        free(pss->rx);
        pss->rx = NULL;
        if (pss->established) {
            ws_of(server_of(wsi))->stats.connections--;
            lws_dll2_remove(&pss->conn_link);
            pss->established = false;
        }
        if ((s = pss->s)) {
            pss->s = NULL;
            if (s->wsi == wsi)
                session_lost(s);
        }
        return 0;

    default:
        return 0;
    }
}

/* ---- the protocol the loop is handed ---- */

ws_state *
ws_of(server *srv)
{
    return server_protocol_state(srv, &ws_protocol);
}

static void
deliver(void *arg, uint64_t session, struct json_object *ev, uint64_t after)
{
    ws_emit(arg, session, ev, after);
}

static void
committed(void *arg)
{
    ws_release_held(arg);
}

static void
collect(void *arg, metrics_out *o)
{
    const ws_stats *w = &((ws_state *)arg)->stats;

    metric_u64(o, "droponair_ws_connections", "gauge", "Open WebSocket connections.",
               w->connections);
    metric_u64(o, "droponair_ws_sessions", "gauge",
               "WebSocket sessions, including those in the reconnect grace.", w->sessions);
    metric_u64(o, "droponair_ws_frames_in_total", "counter", "WebSocket frames received.",
               w->frames_in);
    metric_u64(o, "droponair_ws_events_out_total", "counter", "Call events sent to sessions.",
               w->events_out);
    metric_u64(o, "droponair_signals_relayed_total", "counter",
               "SDP and ICE signals relayed between participants.", w->signals_relayed);
    metric_u64(o, "droponair_ws_rate_limited_total", "counter",
               "Commands refused by the per-connection rate limit.", w->rate_limited);
    metric_u64(o, "droponair_ws_slow_readers_total", "counter",
               "Connections dropped for not reading their queued output.", w->slow_readers);
    metric_u64(o, "droponair_ws_sessions_evicted_total", "counter",
               "Sessions in the reconnect grace ended by the per-user session cap.",
               w->sessions_evicted);
}

static void *
ws_start(server *srv)
{
    ws_state *ws = xcalloc(1, sizeof(*ws));
    call_delivery d = {deliver, committed, ws};

    ws->srv = srv;
    ws->sessions = hmap_new();
    ws->sessions_by_token = hmap_new();
    ws->users = hmap_new();
    server_set_delivery(srv, &d);
    metrics_register(srv->metrics, collect, ws);
    if (srv->cfg->redis_url)
        remote_start(ws); /* cluster mode: sessions in calls owned elsewhere */
    return ws;
}

static void
ws_stop(void *state)
{
    ws_state *ws = state;
    call_delivery none = {NULL, NULL, NULL};
    call_remote no_remote = {NULL, NULL, NULL, NULL, NULL};

    ws_free_all(ws);
    /* Nothing may reach the freed state: no delivery, no metrics. */
    server_set_delivery(ws->srv, &none);
    server_set_remote(ws->srv, &no_remote);
    remote_free(ws);
    metrics_unregister(ws->srv->metrics, ws);
    hmap_free(ws->sessions);
    hmap_free(ws->sessions_by_token);
    hmap_free(ws->users);
    free(ws);
}

static void
ws_drain(void *state)
{
    ws_shutdown(state);
}

static size_t
ws_busy(void *state)
{
    return (size_t)((ws_state *)state)->stats.connections;
}

static void
ws_apps(void *state)
{
    ws_apps_changed(state);
}

static void
ws_configure(const server_config *cfg, struct lws_context_creation_info *info)
{
    /* A browser that offers no subprotocol is served droponair.v1. */
    static const struct lws_protocol_vhost_options pvo_default = {NULL, NULL, "default", "1"};
    static const struct lws_protocol_vhost_options pvo = {NULL, &pvo_default, WS_PROTOCOL, ""};
    static const uint32_t retry_table[] = {1000};
    /*
     * A policy with no validity timing: otherwise lws (its own default
     * policy included) keeps a validity timer per WebSocket in its sorted
     * timer list, re-armed on every frame, and each insert walks the list
     * (O(n): 8-14 s stalls at 19,000 idle sockets). The sweep above pings
     * and hangs up idle WebSockets from one timer instead.
     */
    static const lws_retry_bo_t no_validity = {
        .retry_ms_table = retry_table,
        .retry_ms_table_count = 1,
        .secs_since_valid_ping = 0,
        .secs_since_valid_hangup = 0, /* 0: lws arms no validity timer */
    };

    (void)cfg;
    info->options |= LWS_SERVER_OPTION_VALIDATE_UTF8;
    info->pvo = &pvo;
    info->retry_and_idle_policy = &no_validity;
}

const server_protocol ws_protocol = {
    .name = WS_PROTOCOL,
    .callback = ws_callback,
    .pss_size = sizeof(struct ws_pss),
    .rx_buffer_size = 1024, /* idle memory; larger messages are reassembled */
    .configure = ws_configure,
    .start = ws_start,
    .apps_changed = ws_apps,
    .drain = ws_drain,
    .busy = ws_busy,
    .stop = ws_stop,
};
