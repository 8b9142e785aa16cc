/*
 * The lws HTTP callback: starts a request, collects its body, hands it to
 * the router, writes the reply when the socket is writable and keeps the
 * connection alive for the next request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "server/request.h"
#include "http/internal.h"
#include "server/log.h"

struct http_pss {
    http_req *req;
};

static const char *const method_names[] = {
    [LWSHUMETH_GET] = "GET",         [LWSHUMETH_POST] = "POST",
    [LWSHUMETH_OPTIONS] = "OPTIONS", [LWSHUMETH_PUT] = "PUT",
    [LWSHUMETH_PATCH] = "PATCH",     [LWSHUMETH_DELETE] = "DELETE",
    [LWSHUMETH_CONNECT] = "CONNECT", [LWSHUMETH_HEAD] = "HEAD",
};

/* Remembers the first header that could not be read whole; on_http refuses the request. */
static void
note_header(http_req *r, int rc, const char *name, size_t size)
{
    if (rc >= 0 || r->header_rc)
        return;
    r->header_rc = rc;
    r->header_name = name;
    r->header_max = size - 1;
}

static void
read_header(http_req *r, enum lws_token_indexes h, const char *name, char *dst, size_t size)
{
    note_header(r, hdr_copy(r->wsi, h, dst, size), name, size);
}

static void
req_free_async(async_req *a)
{
    http_req_free(lws_container_of(a, http_req, async));
}

static http_req *
req_new(struct lws *wsi, const char *path)
{
    server *srv = server_of(wsi);
    http_req *r = xcalloc(1, sizeof(*r));
    char *uri = NULL;
    int ulen = 0, m, alen;

    r->srv = srv;
    r->http = http_of(srv);
    r->on_ops = server_on_ops_port(srv, wsi);
    r->async.free = req_free_async;
    r->wsi = wsi;
    r->t0 = mono_ns();
    r->http->in_flight++;
    snprintf(r->request_id, sizeof(r->request_id), "%016llx",
             (unsigned long long)++r->http->next_request_id);
    snprintf(r->path, sizeof(r->path), "%s", path ? path : "");
    m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
    r->method = m;
    r->method_name = (m >= 0 && m <= LWSHUMETH_HEAD) ? method_names[m] : "OTHER";

    alen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (alen > AUTHORIZATION_MAX) {
        r->authorization_too_long = true;
    } else if (alen > 0) {
        r->authorization = xmalloc((size_t)alen + 1);
        read_header(r, WSI_TOKEN_HTTP_AUTHORIZATION, "Authorization", r->authorization,
                    (size_t)alen + 1);
    }
    read_header(r, WSI_TOKEN_HTTP_IF_MATCH, "If-Match", r->if_match, sizeof(r->if_match));
    read_header(r, WSI_TOKEN_ORIGIN, "Origin", r->origin, sizeof(r->origin));
    read_header(r, WSI_TOKEN_HTTP_CONTENT_TYPE, "Content-Type", r->content_type,
                sizeof(r->content_type));
    m = hdr_copy_custom(wsi, "idempotency-key:", r->idem_key, sizeof(r->idem_key));
    note_header(r, m, "Idempotency-Key", sizeof(r->idem_key));
    /* Sent empty is sent: rooms_create refuses it (1 to 128 characters). */
    r->has_idem_key = lws_hdr_custom_length(wsi, "idempotency-key:", 16) >= 0;
    return r;
}

/*
 * Whether lws handed over the whole request target. lws decodes it in
 * place, and three decoded bytes cut it short without an error: %00 ends
 * the C string early; %0A or %0D ends the request line, so the rest of it
 * (the HTTP version too) is read as a header; an unencoded ';' or '&'
 * splits the path into fragments as if a query began. `path` would then be
 * a shorter path than the one sent, and must never be routed as such.
 * lws counts no NULs in the length, which shows all but a NUL at the very
 * end (".../%00"); that one shows in where lws put the next fragment: the
 * query two bytes after the path's last character (its terminator and a
 * skipped byte), else the HTTP version right after it (lws 4.1's header
 * layout). HTTP/2 has no version token; it gets the first check.
 */
static bool
path_intact(struct lws *wsi, const char *path)
{
    char *uri = NULL, *next;
    int ulen = 0, n, size;
    size_t gap = 2;
    bool ok;

    if (lws_http_get_uri_and_method(wsi, &uri, &ulen) < 0 || !uri || uri != path ||
        strlen(uri) != (size_t)ulen)
        return false;
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_COLON_PATH) > 0)
        return true; /* HTTP/2 */
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP) <= 0)
        return false; /* the request line was cut before its version */
    size = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) + 1;
    if (size < 64)
        size = 64;
    next = xmalloc((size_t)size);
    n = lws_hdr_copy_fragment(wsi, next, size, WSI_TOKEN_HTTP_URI_ARGS, 0);
    if (n < 0) {
        gap = 1;
        n = lws_hdr_copy(wsi, next, size, WSI_TOKEN_HTTP);
    }
    ok = n >= 0 && memcmp(uri + ulen + gap, next, (size_t)n + 1) == 0;
    free(next);
    return ok;
}

/* Detaches the request from a closing connection. */
static void
detach(struct http_pss *pss)
{
    http_req *r = pss->req;

    if (!r)
        return;
    pss->req = NULL;
    r->wsi = NULL;
    async_gone(&r->async); /* freed now, or when its wait comes back */
}

static int
on_http(struct lws *wsi, struct http_pss *pss, const char *path)
{
    server *srv = server_of(wsi);
    http_req *r;
    char cl[32];

    detach(pss);
    r = pss->req = req_new(wsi, path);
    r->in_callback = true;
    if (server_draining(srv)) {
        r->close_after = true;
        http_error(r, E_UNAVAILABLE, NULL, NULL);
        return 0;
    }
    if (r->header_rc) {
        r->close_after = true;
        if (r->header_rc == HDR_TOO_LONG)
            http_error(r, E_HEADERS_TOO_LARGE, r->header_name, "%s is longer than %zu bytes",
                       r->header_name, r->header_max);
        else
            http_error(r, E_BAD_REQUEST, r->header_name, "%s holds a NUL byte", r->header_name);
        return 0;
    }
    if (!path || !path_intact(wsi, path)) {
        r->close_after = true;
        http_error(r, E_BAD_REQUEST, NULL,
                   "the path holds %%00, %%0A or %%0D, or a ';' or '&' that is not "
                   "percent-encoded");
        return 0;
    }
    if (strlen(path) >= sizeof(r->path)) {
        r->close_after = true;
        http_error(r, E_NOT_FOUND, NULL, "no route is %zu bytes long", strlen(path));
        return 0;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
        r->close_after = true;
        http_error(r, E_LENGTH_REQUIRED, NULL,
                   "a request body needs Content-Length (chunked bodies are not accepted)");
        return 0;
    }
    if (hdr_copy(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl)) < 0) {
        r->close_after = true;
        http_error(r, E_BAD_REQUEST, "Content-Length", "bad Content-Length");
        return 0;
    }
    if (cl[0]) {
        char *endp;
        unsigned long long n = strtoull(cl, &endp, 10);
        if (*endp || n > (unsigned long long)srv->cfg->max_body) {
            r->close_after = true;
            if (*endp)
                http_error(r, E_BAD_REQUEST, NULL, "bad Content-Length");
            else
                http_error(r, E_PAYLOAD_TOO_LARGE, NULL, "the body must be at most %zu bytes",
                           srv->cfg->max_body);
            return 0;
        }
        r->content_length = (size_t)n;
    }
    if (r->content_length > 0) {
        r->expect_body = true;
        r->body = xmalloc(r->content_length + 1);
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, srv->cfg->header_timeout_s);
        return 0;
    }
    /*
     * The request is read. lws still runs its header timeout (it holds the
     * header table): cleared here, as after a body, so that a reply that
     * waits on the store is sent however long the store takes.
     */
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    http_dispatch(r);
    return 0;
}

/*
 * Writes what can be written of the reply; when it is all out, ends the
 * transaction (keep-alive) or the connection. Returns what the lws callback
 * should return.
 */
static int
write_step(struct lws *wsi, struct http_pss *pss)
{
    http_req *r = pss->req;
    int rc = http_write(r);

    if (rc <= 0)
        return rc;
    pss->req = NULL;
    if (r->close_after) {
        http_req_free(r);
        return -1;
    }
    http_req_free(r);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * Writes a reply that is ready right away from inside the request's own
 * callback, saving a trip through the poll loop.
 */
static int
reply_now(struct lws *wsi, struct http_pss *pss)
{
    http_req *r = pss->req;

    if (r)
        r->in_callback = false;
    if (!r || !r->responded || async_waiting(&r->async) || r->headers_sent) {
        if (r && r->responded && !async_waiting(&r->async))
            lws_callback_on_writable(wsi);
        return 0;
    }
    return write_step(wsi, pss);
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
              size_t len)
{
    struct http_pss *pss = user;
    http_req *r = pss ? pss->req : NULL;

    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (on_http(wsi, pss, in))
            return -1;
        return pss->req && !pss->req->expect_body ? reply_now(wsi, pss) : 0;

    case LWS_CALLBACK_HTTP_BODY:
        if (!r || !r->expect_body || r->responded)
            return 0;
        if (r->body_len + len > r->content_length) {
            r->close_after = true;
            http_error(r, E_PAYLOAD_TOO_LARGE, NULL, "the body is longer than Content-Length");
            return 0;
        }
        memcpy(r->body + r->body_len, in, len);
        r->body_len += len;
        return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        /* lws also reports completion for bodies we never waited for. */
        if (!r || !r->expect_body || r->responded || async_waiting(&r->async))
            return 0;
        r->expect_body = false;
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        r->body[r->body_len] = '\0';
        r->in_callback = true;
        http_dispatch(r);
        return reply_now(wsi, pss);

    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!r || !r->responded || async_waiting(&r->async))
            return 0; /* a reply that waits for a write goes out when it commits */
        return write_step(wsi, pss);

    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        /* No WebSocket on the operations port: hang up rather than upgrade. */
        return server_on_ops_port(server_of(wsi), wsi) ? -1 : 0;

    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss)
            detach(pss);
        return 0;

    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* ---- the protocol the loop is handed ---- */

http_state *
http_of(server *srv)
{
    return server_protocol_state(srv, &http_protocol);
}

static void *
http_start(server *srv)
{
    http_state *h = xcalloc(1, sizeof(*h));

    h->srv = srv;
    h->metrics = http_metrics_new();
    metrics_register(srv->metrics, http_metrics_collect, h->metrics);
    if (srv->cfg->redis_url)
        http_remote_start(h); /* cluster mode: live state on the call's owner */
    return h;
}

static void
http_stop(void *state)
{
    http_state *h = state;

    http_remote_stop(h);
    metrics_unregister(h->srv->metrics, h->metrics);
    http_metrics_free(h->metrics);
    free(h);
}

static size_t
http_busy(void *state)
{
    return ((http_state *)state)->in_flight;
}

static void
http_configure(const server_config *cfg, struct lws_context_creation_info *info)
{
    info->timeout_secs = (unsigned)cfg->header_timeout_s;
    info->timeout_secs_ah_idle = (unsigned)cfg->header_timeout_s;
    info->keepalive_timeout = 30;
    /*
     * No pool cap: a connection still sending headers holds a header buffer
     * (REQ_HEADERS_MAX), allocated on demand; with a fixed pool, 1,024
     * half-sent requests made every new client wait. The descriptor limit
     * bounds them (the loop refuses sockets near it), and so the memory.
     */
    info->max_http_header_pool = 0;
    info->max_http_header_data = REQ_HEADERS_MAX;
    info->token_limits = request_token_limits();
    info->server_string = "droponaird";
}

const server_protocol http_protocol = {
    .name = "http",
    .callback = http_callback,
    .pss_size = sizeof(struct http_pss),
    .ops = true,
    .configure = http_configure,
    .start = http_start,
    .busy = http_busy,
    .stop = http_stop,
};
