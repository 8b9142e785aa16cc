/*
 * Requests lws's HTTP parser gives up on before any route could answer:
 * an unknown method (lws knows GET, POST, OPTIONS, PUT, PATCH, DELETE and
 * HEAD) and CONNECT. lws would answer the first with an HTML 403 and close
 * the second silently; with
 * LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG it hands the
 * connection over as a raw socket instead, with the bytes read so far,
 * and this answers it with a JSON error (Errors are always JSON) and
 * closes it. (Plain HTTP on a TLS port is not handed over: that needs
 * LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT, which is not set.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/fields.h"
#include "core/json.h"
#include "core/util.h"
#include "http/internal.h"
#include "server/log.h"

#define HTTP_FALLBACK_PROTOCOL "http-fallback"

struct fallback_pss {
    char *out;                  /* LWS_PRE headroom, then the reply */
    size_t len;
    bool answered;
};

/* The reply for a request starting with in[0..len): status line, headers, JSON body. */
static void
build_reply(struct fallback_pss *pss, const char *in, size_t len)
{
    static const char *const known[] = {"GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE",
                                        "HEAD", NULL};
    struct json_object *o = json_object_new_object();
    char method[40], shown[40], msg[160], head[256];
    dpa_error d;
    const char *body;
    size_t n = 0, blen;
    dpa_err e = E_NOT_IMPLEMENTED;
    int i, hlen;

    while (n < len && n < sizeof(method) - 1 && in[n] != ' ' && in[n] != '\r' && in[n] != '\n')
        n++;
    memcpy(method, in, n);
    method[n] = '\0';
    text_sanitize(method, n, shown, sizeof(shown));
    for (i = 0; known[i] && strcmp(known[i], method) != 0; i++)
        ;
    if (known[i]) {
        /* A method lws knows never arrives here; should one, it is still refused. */
        e = E_BAD_REQUEST;
        snprintf(msg, sizeof(msg), "the request could not be read");
    } else if (strcmp(method, "CONNECT") == 0) {
        snprintf(msg, sizeof(msg), "CONNECT is not supported: this is not a proxy");
    } else {
        snprintf(msg, sizeof(msg), "%s is not a method this server knows", shown);
    }
    error_set(&d, e, NULL, "%s", msg);
    json_object_object_add(o, "error", error_json(e, &d));
    body = json_plain(o, &blen);
    hlen = snprintf(head, sizeof(head),
                    "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\n"
                    "content-length: %zu\r\ncache-control: no-store\r\nconnection: close\r\n"
                    "server: droponaird\r\n\r\n",
                    error_http_status(e), e == E_BAD_REQUEST ? "Bad Request" : "Not Implemented",
                    blen);
    pss->len = (size_t)hlen + blen;
    pss->out = xmalloc(LWS_PRE + pss->len);
    memcpy(pss->out + LWS_PRE, head, (size_t)hlen);
    memcpy(pss->out + LWS_PRE + hlen, body, blen);
    json_object_put(o);
    dlog(LOG_INFO, "msg=\"request\" method=%s status=%d detail=%s", shown,
         error_http_status(e), "answered outside HTTP routing");
}

static int
http_fallback_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct fallback_pss *pss = user;

    switch (reason) {
    case LWS_CALLBACK_RAW_RX:
        if (!pss || pss->answered || pss->out || !in || !len)
            return 0; /* the rest of the request is read and dropped */
        build_reply(pss, in, len);
        lws_callback_on_writable(wsi);
        return 0;

    case LWS_CALLBACK_RAW_WRITEABLE:
        if (!pss || !pss->out || pss->answered)
            return 0;
        pss->answered = true;
        if (lws_write(wsi, (unsigned char *)pss->out + LWS_PRE, pss->len, LWS_WRITE_RAW) !=
            (int)pss->len)
            return -1;
        /*
         * Half-close and linger briefly: closing with unread request bytes
         * would reset the connection and could lose the reply.
         */
        shutdown(lws_get_socket_fd(wsi), SHUT_WR);
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 2);
        return 0;

    case LWS_CALLBACK_RAW_CLOSE:
        if (pss) {
            free(pss->out);
            pss->out = NULL;
        }
        return 0;

    default:
        return 0;
    }
}

/*
 * What lws's HTTP parser gives up on is handed over as a raw socket and
 * answered here (listen_accept_role raw-skt, this protocol).
 */
static void
fallback_configure(const server_config *cfg, struct lws_context_creation_info *info)
{
    (void)cfg;
    info->options |= LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG;
    info->listen_accept_role = "raw-skt";
    info->listen_accept_protocol = HTTP_FALLBACK_PROTOCOL;
}

const server_protocol http_fallback_protocol = {
    .name = HTTP_FALLBACK_PROTOCOL,
    .callback = http_fallback_callback,
    .pss_size = sizeof(struct fallback_pss),
    .ops = true,
    .configure = fallback_configure,
};
