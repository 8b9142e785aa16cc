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
#include "ws/internal.h"

size_t
ws_pss_size(void)
{
    return sizeof(struct ws_pss);
}

/* A token from "Authorization: Bearer ..." or "?token=...", or NULL. */
static char *
upgrade_token(struct lws *wsi)
{
    char buf[TOKEN_MAX + 64];
    const char *v;
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);

    if (n > 0 && n < (int)sizeof(buf) &&
        lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION) > 0 &&
        strncasecmp(buf, "Bearer ", 7) == 0)
        return xstrdup(buf + 7);
    v = lws_get_urlarg_by_name(wsi, "token=", buf, sizeof(buf));
    return v ? xstrdup(v) : NULL;
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
        if (lws_frame_is_binary(wsi)) {
            static const char msg[] = "{\"ok\":false,\"error\":{\"code\":\"BAD_REQUEST\","
                                      "\"message\":\"only text frames are accepted\"}}";
            session_send_text(s, msg, sizeof(msg) - 1);
        }
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

int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
            size_t len)
{
    struct ws_pss *pss = user;
    server *srv;
    ws_session *s;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        srv = server_of(wsi);
        if (srv->draining) {
            lws_return_http_status(wsi, 503, NULL);
            return -1;
        }
        return 0;

    case LWS_CALLBACK_ESTABLISHED:
        srv = server_of(wsi);
        srv->ws.connections++;
        pss->established = true;
        pss->s = session_new(srv, wsi);
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, WS_AUTH_TIMEOUT_S);
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
        pss->s->srv->ws.frames_in++;
        return on_receive(pss, wsi, in, len);

    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss->s || pss->s->wsi != wsi)
            return -1;
        if (pss->close_sent)
            return 0;
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
            server_of(wsi)->ws.connections--;
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
