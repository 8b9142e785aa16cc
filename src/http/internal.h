/*
 * The HTTP transport: one http_req per request, a route table, handlers
 * that either reply at once or submit a store job and reply when it
 * completes. Replies are JSON; errors go through http_error with the
 * error table of core/error.h.
 */
#ifndef DPA_HTTP_INTERNAL_H
#define DPA_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/error.h"
#include "core/fields.h"
#include "server/request.h"
#include "server/internal.h"
#include "http/http.h"

typedef struct http_req http_req;
typedef struct http_metrics http_metrics;

/* The HTTP layer's state, made by http_protocol's start hook. */
typedef struct http_state {
    server *srv;
    size_t in_flight;            /* requests read and not yet answered */
    uint64_t next_request_id;
    http_metrics *metrics;       /* requests by route, method, status; latency */
    hmap *rest_waits;            /* cluster mode: rid -> a request waiting for the owner */
    uint64_t next_rid;
} http_state;

/* The HTTP state of srv (NULL when it does not serve http_protocol). */
http_state *http_of(server *srv);

/* ---- metrics.c ---- */

http_metrics *http_metrics_new(void);
void http_metrics_free(http_metrics *m);
/* Counts one request on route (a template like "/api/rooms/{roomId}"). */
void http_metrics_count(http_metrics *m, const char *route, const char *method, int status,
                        uint64_t duration_ns);
/* The collector registered with the loop's metrics. */
void http_metrics_collect(void *arg, metrics_out *out);
typedef void (*http_handler)(http_req *r);

enum { AUTH_NONE, AUTH_OPTIONAL, AUTH_REQUIRED };

/*
 * Which listener serves a route: the public one only (the default), both,
 * or the operations listener when --ops-listen is set (else the public).
 */
enum { PORT_PUBLIC, PORT_BOTH, PORT_OPS };

#define METHODS_MAX 4

typedef struct route {
    const char *pattern;        /* "/api/rooms/{roomId}"; also the metrics label */
    int auth;
    struct {
        int method;             /* LWSHUMETH_* */
        http_handler fn;
    } methods[METHODS_MAX];
    int port;                   /* PORT_* */
} route;

#define PARAM_MAX 192
#define IF_MATCH_MAX 1024         /* a list of about 40 ETags */
#define AUTHORIZATION_MAX (TOKEN_MAX + 64)

/* Retry-After on every 503 (draining, the store failing), in seconds. */
#define HTTP_RETRY_AFTER_S "5"

struct http_req {
    reload_waiter waiter;       /* while the app registry is re-read */
    server *srv;
    http_state *http;
    struct lws *wsi;            /* NULL once the connection is gone */
    int method;
    const char *method_name;
    const route *route;
    char path[512];
    char param[2][PARAM_MAX];   /* {roomId}, {userId} */
    char request_id[24];
    uint64_t t0;

    /* Request headers, copied when the request starts (server/request.h). */
    char *authorization;
    bool authorization_too_long;  /* refused on routes that authenticate */
    char if_match[IF_MATCH_MAX];
    char idem_key[256];
    bool has_idem_key;
    char origin[256];
    char content_type[128];
    int header_rc;                /* the first HDR_TOO_LONG/HDR_BAD, refused before routing */
    const char *header_name;
    size_t header_max;

    /* Request body. */
    bool expect_body;
    size_t content_length;
    char *body;
    size_t body_len;

    /* Who is asking (route->auth). */
    identity id;
    bool authed;
    bool auth_retried;

    /* The reply. */
    int status;
    char *resp;                 /* LWS_PRE bytes of headroom, then the body */
    size_t resp_len;
    size_t resp_sent;
    bool headers_sent;
    char etag[32];
    char location[160];
    const char *allow;
    const char *content_type_out;   /* NULL: application/json */
    bool responded;
    bool close_after;
    bool on_ops;                /* came in through --ops-listen */
    bool in_callback;           /* dispatching inside lws's callback: write there */

    /* Lifetime. */
    async_req async;            /* held while it waits; gone when the connection closed */
};

/* ---- replies (response.c) ---- */

/* Replies with status and obj (taken over; NULL for no body). */
void http_reply_json(http_req *r, int status, struct json_object *obj);

/* Replies with a preformatted body (copied). */
void http_reply_raw(http_req *r, int status, const char *content_type, const char *body,
                    size_t len);

/* http_reply_error with a field and a printf-style message (NULL: the generic one). */
void http_error(http_req *r, dpa_err e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The one way an error reaches a REST client: {"error": error_json(e, d)}. */
void http_reply_error(http_req *r, dpa_err e, const dpa_error *d);

/* Writes what can be written of the reply. Returns -1 to close. */
int http_write(http_req *r);

/* Frees a request. */
void http_req_free(http_req *r);

/*
 * Called when a wait of r comes back (a store job's `done`, an app reload,
 * a committed write) before touching r: returns false (r is then freed or
 * about to be) when the connection went away meanwhile (server/async.h).
 */
bool http_req_resume(http_req *r);

/*
 * Holds r's reply (already set) until the call-record write numbered seq
 * has committed; does nothing when it has.
 */
void http_reply_after_writes(http_req *r, uint64_t seq);

/* Marks r as waiting (a store job, an app reload, a write to commit). */
void http_req_hold(http_req *r);

/* ---- routing (router.c) ---- */

/* Routes and runs a request whose headers (and body) are in. */
void http_dispatch(http_req *r);

/* Serves an embedded web asset for GET path; returns false when there is none. */
bool http_serve_asset(http_req *r);

/* ---- handlers ---- */

void rooms_create(http_req *r);
void rooms_list(http_req *r);
void rooms_get(http_req *r);
void rooms_patch(http_req *r);
void rooms_delete(http_req *r);
void info_get(http_req *r);
void ice_servers_get(http_req *r);
void ops_health(http_req *r);
void ops_metrics(http_req *r);
void ops_openapi(http_req *r);
void dev_token(http_req *r);
void mod_waiting(http_req *r);
void mod_admit(http_req *r);
void mod_admit_all(http_req *r);
void mod_deny(http_req *r);
void mod_remove(http_req *r);
void mod_end(http_req *r);
void history_list(http_req *r);
void history_get(http_req *r);

/* An operation on a room's live state, by name, and its outcome. */
typedef struct mod_args {
    const char *user_id;     /* who acts (or views) */
    const char *target;      /* the user acted on; NULL: everyone waiting (admit) */
    bool ban;                /* remove: ban from this call */
    bool admin;              /* the actor's token carries the admin grant (auth_is_admin) */
} mod_args;

typedef struct mod_result {
    dpa_err e;               /* E_OK: status and body; else err */
    dpa_error err;
    int status;
    struct json_object *body;
} mod_result;

/*
 * Runs what ("waiting", "admit", "deny", "remove", "end", or "state": the
 * call as a viewer sees it) on lc. False when what is unknown.
 */
bool mod_run(const char *what, const mod_args *a, live_call *lc, mod_result *out);
/* Replies with res (its body taken over). */
void mod_reply(http_req *r, mod_result *res);

/* ---- remote.c: cluster mode ---- */

void http_remote_start(http_state *h);
void http_remote_stop(http_state *h);
/*
 * Runs what for r on the process that owns r's room: here(r, what, ban)
 * when this one does, else over Redis, replying with what the owner says.
 */
void http_remote_route(http_req *r, const char *what, bool ban,
                       void (*here)(http_req *r, const char *what, bool ban));
/*
 * Asks owner (another process) for what on r's room; done(r, status,
 * body, arg) gets the owner's answer (body borrowed; status 503 and NULL
 * when it does not come) if r is still there, and always frees nothing.
 */
void http_remote_op(http_req *r, const char *owner, const char *what,
                    void (*done)(http_req *r, int status, struct json_object *body, void *arg),
                    void *arg);

/* Parses the body as a JSON object; on failure replies and returns NULL. */
struct json_object *http_body_json(http_req *r);

/*
 * Reads query argument name into buf (server/request.h). Returns the value,
 * or NULL when absent; on a value too long or holding a NUL it replies 400
 * naming the argument and sets *bad.
 */
const char *http_query_arg(http_req *r, const char *name, char *buf, size_t len, bool *bad);

/*
 * Whether id could be one this server made: prefix ("rm_", "call_") then
 * base64url characters, shorter than max bytes in all.
 */
bool http_id_plausible(const char *id, const char *prefix, size_t max);

#endif
