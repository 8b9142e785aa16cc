/*
 * The lws HTTP callback: starts a request, collects its body, hands it to
 * the router, writes the reply when the socket is writable and keeps the
 * connection alive for the next request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "http/internal.h"
#include "server/log.h"

struct http_pss {
    http_req *req;
};

size_t
http_pss_size(void)
{
    return sizeof(struct http_pss);
}

static const char *const method_names[] = {
    [LWSHUMETH_GET] = "GET",         [LWSHUMETH_POST] = "POST",
    [LWSHUMETH_OPTIONS] = "OPTIONS", [LWSHUMETH_PUT] = "PUT",
    [LWSHUMETH_PATCH] = "PATCH",     [LWSHUMETH_DELETE] = "DELETE",
    [LWSHUMETH_CONNECT] = "CONNECT", [LWSHUMETH_HEAD] = "HEAD",
};

static void
copy_header(struct lws *wsi, enum lws_token_indexes h, char *dst, size_t len)
{
    dst[0] = '\0';
    if (lws_hdr_total_length(wsi, h) > 0 && lws_hdr_copy(wsi, dst, (int)len, h) < 0)
        dst[0] = '\0';
}

static http_req *
req_new(struct lws *wsi, const char *path)
{
    server *srv = server_of(wsi);
    http_req *r = xcalloc(1, sizeof(*r));
    char *uri = NULL;
    int ulen = 0, m, alen;

    r->srv = srv;
    r->wsi = wsi;
    r->t0 = mono_ns();
    srv->http_in_flight++;
    snprintf(r->request_id, sizeof(r->request_id), "%016llx",
             (unsigned long long)++srv->next_request_id);
    snprintf(r->path, sizeof(r->path), "%s", path ? path : "");
    m = lws_http_get_uri_and_method(wsi, &uri, &ulen);
    r->method = m;
    r->method_name = (m >= 0 && m <= LWSHUMETH_HEAD) ? method_names[m] : "OTHER";

    alen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    if (alen > 0 && alen <= TOKEN_MAX + 64) {
        r->authorization = xmalloc((size_t)alen + 1);
        if (lws_hdr_copy(wsi, r->authorization, alen + 1, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
            r->authorization[0] = '\0';
    } else if (alen > 0) {
        r->authorization = xstrdup("oversized");
    }
    copy_header(wsi, WSI_TOKEN_HTTP_IF_MATCH, r->if_match, sizeof(r->if_match));
    copy_header(wsi, WSI_TOKEN_ORIGIN, r->origin, sizeof(r->origin));
    copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, r->content_type, sizeof(r->content_type));
    alen = lws_hdr_custom_length(wsi, "idempotency-key:", 16);
    if (alen >= 0) {
        r->has_idem_key = true;
        if (alen >= (int)sizeof(r->idem_key) ||
            lws_hdr_custom_copy(wsi, r->idem_key, sizeof(r->idem_key), "idempotency-key:", 16) < 0)
            snprintf(r->idem_key, sizeof(r->idem_key), "%s", "");
    }
    return r;
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
    if (r->in_store)
        r->orphan = true;
    else
        http_req_free(r);
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
    if (srv->draining) {
        r->close_after = true;
        http_error(r, E_UNAVAILABLE, NULL, NULL);
        return 0;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
        r->close_after = true;
        http_error(r, E_LENGTH_REQUIRED, NULL,
                   "a request body needs Content-Length (chunked bodies are not accepted)");
        return 0;
    }
    copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof(cl));
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
    if (!r || !r->responded || r->in_store || r->headers_sent) {
        if (r && r->responded && !r->in_store)
            lws_callback_on_writable(wsi);
        return 0;
    }
    return write_step(wsi, pss);
}

int
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
        if (!r || !r->expect_body || r->responded || r->in_store)
            return 0;
        r->expect_body = false;
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        r->body[r->body_len] = '\0';
        r->in_callback = true;
        http_dispatch(r);
        return reply_now(wsi, pss);

    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (!r || !r->responded)
            return 0;
        return write_step(wsi, pss);

    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (pss)
            detach(pss);
        return 0;

    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}
