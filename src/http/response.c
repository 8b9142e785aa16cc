/* Building and writing replies: headers, CORS, the body in chunks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "http/internal.h"
#include "server/log.h"

#define CHUNK (16 * 1024)

static void
set_body(http_req *r, int status, const char *body, size_t len)
{
    free(r->resp);
    r->resp = xmalloc(LWS_PRE + len + 1);
    if (len)
        memcpy(r->resp + LWS_PRE, body, len);
    r->resp_len = len;
    r->resp_sent = 0;
    r->status = status;
    r->responded = true;
    /* Inside the request's callback the transport writes at once. */
    if (r->wsi && !r->in_callback)
        lws_callback_on_writable(r->wsi);
}

void
http_reply_raw(http_req *r, int status, const char *content_type, const char *body,
               size_t len)
{
    r->content_type_out = content_type;
    set_body(r, status, body, len);
}

void
http_reply_json(http_req *r, int status, struct json_object *obj)
{
    size_t len = 0;
    const char *s = obj ? json_plain(obj, &len) : "";

    set_body(r, status, s, len);
    json_object_put(obj);
}

void
http_reply_error(http_req *r, dpa_err e, const dpa_error *d)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "error", error_json(e, d));
    if (e == E_METHOD_NOT_ALLOWED && !r->allow)
        r->allow = "GET";
    http_reply_json(r, error_http_status(e), o);
}

void
http_error(http_req *r, dpa_err e, const char *field, const char *fmt, ...)
{
    dpa_error d;
    va_list ap;

    error_set(&d, e, field, NULL);
    if (fmt) {
        va_start(ap, fmt);
        vsnprintf(d.message, sizeof(d.message), fmt, ap);
        va_end(ap);
    }
    http_reply_error(r, e, &d);
}

/* The Origin when CORS allows it, else NULL. */
static const char *
cors_origin(http_req *r)
{
    const server_config *cfg = r->srv->cfg;
    int i;

    if (!r->origin[0])
        return NULL;
    for (i = 0; i < cfg->ncors; i++)
        if (strcmp(cfg->cors_origins[i], "*") == 0 || strcmp(cfg->cors_origins[i], r->origin) == 0)
            return r->origin;
    return NULL;
}

static int
add_header(http_req *r, const char *name, const char *value, unsigned char **p,
           unsigned char *end)
{
    return lws_add_http_header_by_name(r->wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

/* A HEAD answer has the headers of the GET answer and no body. */
static bool
no_body(const http_req *r)
{
    return r->method == LWSHUMETH_HEAD || r->resp_len == 0;
}

static int
write_headers(http_req *r)
{
    unsigned char buf[LWS_PRE + 2048], *start = &buf[LWS_PRE], *p = start,
                                       *end = &buf[sizeof(buf) - 1];
    const char *origin = cors_origin(r);
    const char *ctype = "application/json";
    int n;

    if (r->content_type_out && r->status < 300)
        ctype = r->content_type_out;
    if (lws_add_http_common_headers(r->wsi, (unsigned)r->status, ctype, r->resp_len, &p, end))
        return -1;
    if (add_header(r, "x-request-id:", r->request_id, &p, end) ||
        add_header(r, "cache-control:", "no-store", &p, end))
        return -1;
    if (r->etag[0] && add_header(r, "etag:", r->etag, &p, end))
        return -1;
    if (r->location[0] && add_header(r, "location:", r->location, &p, end))
        return -1;
    if (r->allow && add_header(r, "allow:", r->allow, &p, end))
        return -1;
    if (r->status == 401 && add_header(r, "www-authenticate:", "Bearer", &p, end))
        return -1;
    /* Shutting down or the store failing: tell clients when to try again. */
    if (r->status == 503 && add_header(r, "retry-after:", HTTP_RETRY_AFTER_S, &p, end))
        return -1;
    if (r->close_after && add_header(r, "connection:", "close", &p, end))
        return -1;
    if (origin) {
        if (add_header(r, "access-control-allow-origin:", origin, &p, end) ||
            add_header(r, "vary:", "Origin", &p, end) ||
            add_header(r, "access-control-expose-headers:", "ETag, Location, X-Request-Id",
                       &p, end))
            return -1;
        if (r->method == LWSHUMETH_OPTIONS &&
            (add_header(r, "access-control-allow-methods:", "GET, POST, PATCH, DELETE, OPTIONS",
                        &p, end) ||
             add_header(r, "access-control-allow-headers:",
                        "Authorization, Content-Type, If-Match, Idempotency-Key", &p, end) ||
             add_header(r, "access-control-max-age:", "600", &p, end)))
            return -1;
    }
    if (lws_finalize_http_header(r->wsi, &p, end))
        return -1;
    /*
     * With no body to follow (204, HEAD), HTTP/2 must end the stream on the
     * headers: nothing else would, and the client would wait. HTTP/1
     * ignores the flag.
     */
    n = lws_ptr_diff(p, start);
    return lws_write(r->wsi, start, (size_t)n,
                     LWS_WRITE_HTTP_HEADERS | (no_body(r) ? LWS_WRITE_H2_STREAM_END : 0)) == n
               ? 0
               : -1;
}

static void
log_request(http_req *r)
{
    uint64_t dur = mono_ns() - r->t0;
    const char *label = r->route ? r->route->pattern : "unmatched";

    http_metrics_count(r->http->metrics, label, r->method_name, r->status, dur);
    dlog(r->status >= 500 ? LOG_ERROR : LOG_INFO,
         "msg=\"request\" rid=%s method=%s path=%s status=%d dur_us=%llu app=%s user=%s",
         r->request_id, r->method_name, r->path, r->status,
         (unsigned long long)(dur / 1000), r->authed ? r->id.app_id : "-",
         r->authed ? r->id.user_id : "-");
}

int
http_write(http_req *r)
{
    size_t left, n;
    int final;

    if (!r->responded)
        return 0;
    if (!r->headers_sent) {
        if (write_headers(r))
            return -1;
        r->headers_sent = true;
        log_request(r);
    }
    left = no_body(r) ? 0 : r->resp_len - r->resp_sent;
    if (left) {
        n = left > CHUNK ? CHUNK : left;
        final = n == left;
        if (lws_write(r->wsi, (unsigned char *)r->resp + LWS_PRE + r->resp_sent, n,
                      final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
            return -1;
        r->resp_sent += n;
        if (!final) {
            lws_callback_on_writable(r->wsi);
            return 0;
        }
    }
    return 1; /* complete */
}

void
http_req_free(http_req *r)
{
    if (!r)
        return;
    r->http->in_flight--;
    free(r->authorization);
    free(r->body);
    free(r->resp);
    free(r);
}

static void
reply_when_written(void *arg)
{
    http_req *r = arg;

    if (http_req_resume(r) && r->wsi)
        lws_callback_on_writable(r->wsi);
}

void
http_reply_after_writes(http_req *r, uint64_t seq)
{
    if (seq <= r->srv->writes_done)
        return;
    http_req_hold(r);
    live_after_writes(r->srv, seq, reply_when_written, r);
}

void
http_req_hold(http_req *r)
{
    async_hold(&r->async);
}

bool
http_req_resume(http_req *r)
{
    return async_release(&r->async);
}
