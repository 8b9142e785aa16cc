/* libdroponair: REST calls, one lws client HTTP request each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct rest_req {
    rest_req *next;
    dpa_client *c;            /* NULL once the client is gone */
    dpa_reply_cb cb;
    void *user;
    char method[8];
    char *body;
    size_t body_len;
    int status;
    char *resp;
    size_t resp_len, resp_cap;
    int delivered;
};

static void
unlink_req(rest_req *r)
{
    rest_req **pp;

    if (!r->c)
        return;
    for (pp = &r->c->rest; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    r->c = NULL;
}

static void
finish(rest_req *r, const char *error_code, const char *message)
{
    struct json_object *msg = NULL;

    if (r->delivered)
        return;
    r->delivered = 1;
    if (!r->c)
        return;
    if (r->resp_len)
        msg = json_tokener_parse(r->resp);
    dpa_deliver(r->c, r->cb, r->user, msg, r->status, r->resp ? r->resp : "", error_code,
                message);
    json_object_put(msg);
}

static void
req_free(rest_req *r)
{
    unlink_req(r);
    free(r->body);
    free(r->resp);
    free(r);
}

int
dpa_rest_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    rest_req *r = user;
    unsigned char **p = in, *end;
    char clen[24];

    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if (!r || !r->c)
            return -1;
        end = (*p) + len;
        if (r->c->token) {
            char auth[8300];
            snprintf(auth, sizeof(auth), "Bearer %s", r->c->token);
            if (lws_add_http_header_by_name(wsi, (const unsigned char *)"authorization:",
                                            (unsigned char *)auth, (int)strlen(auth), p, end))
                return -1;
        }
        if (r->body) {
            snprintf(clen, sizeof(clen), "%zu", r->body_len);
            if (lws_add_http_header_by_name(wsi, (const unsigned char *)"content-type:",
                                            (const unsigned char *)"application/json", 16, p, end) ||
                lws_add_http_header_by_name(wsi, (const unsigned char *)"content-length:",
                                            (unsigned char *)clen, (int)strlen(clen), p, end))
                return -1;
            lws_client_http_body_pending(wsi, 1);
            lws_callback_on_writable(wsi);
        }
        return 0;

    case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        if (!r || !r->body)
            return 0;
        {
            unsigned char *buf = malloc(LWS_PRE + r->body_len);
            int n;
            if (!buf)
                return -1;
            memcpy(buf + LWS_PRE, r->body, r->body_len);
            n = lws_write(wsi, buf + LWS_PRE, r->body_len, LWS_WRITE_HTTP_FINAL);
            free(buf);
            lws_client_http_body_pending(wsi, 0);
            return n < (int)r->body_len ? -1 : 0;
        }

    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        if (r)
            r->status = (int)lws_http_client_http_response(wsi);
        return 0;

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
        if (!r)
            return 0;
        if (r->resp_len + len + 1 > r->resp_cap) {
            size_t cap = (r->resp_len + len + 1) * 2;
            char *np = realloc(r->resp, cap);
            if (!np)
                return -1;
            r->resp = np;
            r->resp_cap = cap;
        }
        memcpy(r->resp + r->resp_len, in, len);
        r->resp_len += len;
        r->resp[r->resp_len] = '\0';
        return 0;

    case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
        char buffer[4096 + LWS_PRE], *px = buffer + LWS_PRE;
        int lenx = sizeof(buffer) - LWS_PRE;
        return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
    }

    case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
        if (r)
            finish(r, NULL, NULL);
        return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (r)
            finish(r, "DISCONNECTED", in ? (const char *)in : "cannot connect");
        if (r)
            req_free(r);
        return 0;

    case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
        if (r) {
            finish(r, "DISCONNECTED", "the connection closed before the reply");
            req_free(r);
            lws_set_wsi_user(wsi, NULL);
        }
        return 0;

    default:
        return 0;
    }
}

int
dpa_rest(dpa_client *c, const char *method, const char *path, const char *body,
         dpa_reply_cb cb, void *user)
{
    struct lws_client_connect_info i;
    char full[1024];
    rest_req *r;

    if (!c || !path)
        return DPA_E_INVALID;
    r = calloc(1, sizeof(*r));
    if (!r)
        return DPA_E_NOMEM;
    r->c = c;
    r->cb = cb;
    r->user = user;
    snprintf(r->method, sizeof(r->method), "%s", method);
    if (body) {
        r->body = strdup(body);
        r->body_len = strlen(body);
    }
    snprintf(full, sizeof(full), "%s%s", c->path_prefix, path);
    memset(&i, 0, sizeof(i));
    i.context = c->ctx->lws;
    i.address = c->host;
    i.port = c->port;
    i.path = full;
    i.host = c->host;
    i.origin = c->host;
    i.method = r->method;
    i.local_protocol_name = "dpa-http";
    i.alpn = "http/1.1";
    i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
    i.userdata = r;
    r->next = c->rest;
    c->rest = r;
    if (!lws_client_connect_via_info(&i)) {
        /* A connect error may already have freed and answered it. */
        return DPA_OK;
    }
    return DPA_OK;
}

void
dpa_rest_detach_all(dpa_client *c)
{
    rest_req *r = c->rest, *next;

    c->rest = NULL;
    for (; r; r = next) {
        next = r->next;
        r->c = NULL;
        r->delivered = 1;
    }
}

int
dpa_client_get_info(dpa_client *c, dpa_reply_cb cb, void *user)
{
    return dpa_rest(c, "GET", "/api/info", NULL, cb, user);
}

int
dpa_client_create_room(dpa_client *c, const char *room_json, dpa_reply_cb cb, void *user)
{
    return dpa_rest(c, "POST", "/api/rooms", room_json ? room_json : "{}", cb, user);
}

static int
room_path(char *out, size_t len, const char *room_id, const char *suffix)
{
    size_t i;

    if (!room_id || !*room_id || strlen(room_id) > 64)
        return DPA_E_INVALID;
    for (i = 0; room_id[i]; i++)
        if (room_id[i] == '/' || room_id[i] == '?' || room_id[i] == '#' || room_id[i] <= ' ')
            return DPA_E_INVALID;
    snprintf(out, len, "/api/rooms/%s%s", room_id, suffix);
    return DPA_OK;
}

int
dpa_client_get_room(dpa_client *c, const char *room_id, dpa_reply_cb cb, void *user)
{
    char path[128];
    if (room_path(path, sizeof(path), room_id, ""))
        return DPA_E_INVALID;
    return dpa_rest(c, "GET", path, NULL, cb, user);
}

int
dpa_client_list_rooms(dpa_client *c, const char *query, dpa_reply_cb cb, void *user)
{
    char path[512];
    snprintf(path, sizeof(path), "/api/rooms%s%s", query && *query ? "?" : "", query ? query : "");
    return dpa_rest(c, "GET", path, NULL, cb, user);
}

int
dpa_client_update_room(dpa_client *c, const char *room_id, const char *patch_json,
                       dpa_reply_cb cb, void *user)
{
    char path[128];
    if (!patch_json || room_path(path, sizeof(path), room_id, ""))
        return DPA_E_INVALID;
    return dpa_rest(c, "PATCH", path, patch_json, cb, user);
}

int
dpa_client_delete_room(dpa_client *c, const char *room_id, dpa_reply_cb cb, void *user)
{
    char path[128];
    if (room_path(path, sizeof(path), room_id, ""))
        return DPA_E_INVALID;
    return dpa_rest(c, "DELETE", path, NULL, cb, user);
}
