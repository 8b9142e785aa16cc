/*
 * The route table and dispatch: match the path, answer CORS preflights,
 * 404/405, authenticate per the route, then run the handler.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "http/internal.h"

static const route routes[] = {
    {"/api/info", AUTH_OPTIONAL, {{LWSHUMETH_GET, info_get}}, PORT_PUBLIC},
    {"/api/ice-servers", AUTH_REQUIRED, {{LWSHUMETH_GET, ice_servers_get}}, PORT_PUBLIC},
    {"/api/openapi.json", AUTH_NONE, {{LWSHUMETH_GET, ops_openapi}}, PORT_PUBLIC},
    {"/api/dev/token", AUTH_NONE, {{LWSHUMETH_GET, dev_token}}, PORT_PUBLIC},
    {"/api/rooms", AUTH_REQUIRED,
     {{LWSHUMETH_POST, rooms_create}, {LWSHUMETH_GET, rooms_list}}, PORT_PUBLIC},
    {"/api/rooms/{roomId}", AUTH_REQUIRED,
     {{LWSHUMETH_GET, rooms_get}, {LWSHUMETH_PATCH, rooms_patch},
      {LWSHUMETH_DELETE, rooms_delete}}, PORT_PUBLIC},
    {"/api/rooms/{roomId}/waiting", AUTH_REQUIRED, {{LWSHUMETH_GET, mod_waiting}},
     PORT_PUBLIC},
    {"/api/rooms/{roomId}/waiting/admit-all", AUTH_REQUIRED, {{LWSHUMETH_POST, mod_admit_all}},
     PORT_PUBLIC},
    {"/api/rooms/{roomId}/waiting/{userId}/admit", AUTH_REQUIRED, {{LWSHUMETH_POST, mod_admit}},
     PORT_PUBLIC},
    {"/api/rooms/{roomId}/waiting/{userId}/deny", AUTH_REQUIRED, {{LWSHUMETH_POST, mod_deny}},
     PORT_PUBLIC},
    {"/api/rooms/{roomId}/participants/{userId}/remove", AUTH_REQUIRED,
     {{LWSHUMETH_POST, mod_remove}}, PORT_PUBLIC},
    {"/api/rooms/{roomId}/call/end", AUTH_REQUIRED, {{LWSHUMETH_POST, mod_end}},
     PORT_PUBLIC},
    {"/api/rooms/{roomId}/calls", AUTH_REQUIRED, {{LWSHUMETH_GET, history_list}}, PORT_PUBLIC},
    {"/api/calls/{callId}", AUTH_REQUIRED, {{LWSHUMETH_GET, history_get}}, PORT_PUBLIC},
    {"/healthz", AUTH_NONE, {{LWSHUMETH_GET, ops_health}}, PORT_BOTH},
    {"/metrics", AUTH_NONE, {{LWSHUMETH_GET, ops_metrics}}, PORT_OPS},
};

/*
 * Whether rt is served where r came in: the operations listener serves
 * PORT_BOTH and PORT_OPS routes; the public one PORT_OPS routes only
 * while there is no operations listener. Says why not in a 404.
 */
static bool
served_here(http_req *r, const route *rt)
{
    if (r->on_ops && rt->port == PORT_PUBLIC) {
        http_error(r, E_NOT_FOUND, NULL, "the operations port serves /healthz and /metrics only");
        return false;
    }
    if (!r->on_ops && rt->port == PORT_OPS && r->srv->cfg->ops_listen) {
        http_error(r, E_NOT_FOUND, NULL, "%s is served on the operations port (--ops-listen)",
                   rt->pattern);
        return false;
    }
    return true;
}

/*
 * Matches path against a pattern; {name} segments capture into params
 * (percent-decoded by lws already). A {userId} followed by a fixed tail
 * ("/remove") takes everything up to that tail, so a user id holding '/'
 * (sent as %2F, which lws decodes) is one parameter. Returns 1 on a match.
 */
static int
match(const char *pattern, const char *path, char params[2][PARAM_MAX])
{
    size_t plen = strlen(path);
    int np = 0;

    /* Allow one trailing slash. */
    if (plen > 1 && path[plen - 1] == '/')
        plen--;
    while (*pattern && plen) {
        if (*pattern == '{') {
            const char *pe = strchr(pattern, '}');
            size_t n = strcspn(path, "/");
            if (pe && strncmp(pattern, "{userId}", 8) == 0 && pe[1] && !strchr(pe, '{')) {
                size_t tail = strlen(pe + 1);
                n = plen > tail ? plen - tail : 0;
            }
            if (!pe || n == 0 || n > plen || n >= PARAM_MAX || np >= 2)
                return 0;
            memcpy(params[np], path, n);
            params[np++][n] = '\0';
            pattern = pe + 1;
            path += n;
            plen -= n;
            continue;
        }
        if (*pattern != *path)
            return 0;
        pattern++;
        path++;
        plen--;
    }
    return *pattern == '\0' && plen == 0;
}

static void
allow_list(const route *rt, char *out, size_t len)
{
    static const char *const names[] = {"GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"};
    int i;

    out[0] = '\0';
    for (i = 0; i < METHODS_MAX && rt->methods[i].fn; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%s%s", i ? ", " : "",
                 names[rt->methods[i].method],
                 rt->methods[i].method == LWSHUMETH_GET ? ", HEAD" : "");
    snprintf(out + strlen(out), len - strlen(out), ", OPTIONS");
}

static void run_authed(http_req *r);

static void
auth_resumed(reload_waiter *w)
{
    http_req *r = (http_req *)w; /* waiter is the first member */

    if (!http_req_resume(r))
        return;
    r->auth_retried = true;
    run_authed(r);
}

/* The bearer token in the Authorization header, or NULL. */
static const char *
bearer(http_req *r)
{
    const char *a = r->authorization;

    if (!a)
        return NULL;
    if (strncasecmp(a, "Bearer ", 7) != 0)
        return "";
    a += 7;
    while (*a == ' ')
        a++;
    return a;
}

/* The route's handler for the method; HEAD is GET without the body (response.c). */
static http_handler
handler_for(http_req *r)
{
    int i, m = r->method == LWSHUMETH_HEAD ? LWSHUMETH_GET : r->method;

    for (i = 0; i < METHODS_MAX && r->route->methods[i].fn; i++)
        if (r->route->methods[i].method == m)
            return r->route->methods[i].fn;
    return NULL;
}

static void
run_authed(http_req *r)
{
    const char *token = bearer(r);
    dpa_error d;
    dpa_err e;

    if (r->route->auth != AUTH_NONE && r->authorization_too_long) {
        http_error(r, E_UNAUTHORIZED, NULL,
                   "the Authorization header is longer than %d bytes (tokens are at most %d)",
                   AUTHORIZATION_MAX, TOKEN_MAX);
        return;
    }
    if (r->route->auth != AUTH_NONE && (token || r->route->auth == AUTH_REQUIRED)) {
        if (!token) {
            http_error(r, E_UNAUTHORIZED, NULL, "missing bearer token");
            return;
        }
        http_req_hold(r);
        if (server_auth(r->srv, token, &r->id, &e, &d, &r->waiter, r->auth_retried,
                        true))
            return; /* resumes in auth_resumed */
        http_req_resume(r); /* answered at once: the connection is still here */
        if (e != E_OK) {
            http_reply_error(r, e, &d);
            return;
        }
        r->authed = true;
        /*
         * The token's room scope (grants.rooms), asked here once for every
         * route that names a room: decided from the token alone, before the
         * room is looked up, so it tells nothing of rooms it does not name.
         * {roomId} is the first parameter of every route that has one.
         */
        if (strstr(r->route->pattern, "{roomId}") && !auth_room_allowed(&r->id, r->param[0])) {
            http_error(r, E_FORBIDDEN, NULL,
                       "this token may act only on the rooms in its grants.rooms");
            return;
        }
    }
    handler_for(r)(r);
}

void
http_dispatch(http_req *r)
{
    static char allow_cache[sizeof(routes) / sizeof(routes[0])][64];
    size_t i, k;

    r->waiter.resume = auth_resumed;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (match(routes[i].pattern, r->path, r->param)) {
            r->route = &routes[i];
            break;
        }
    }
    if (!r->route) {
        if (!r->on_ops && http_serve_asset(r))
            return;
        http_error(r, E_NOT_FOUND, NULL, "no route for %s", r->path);
        return;
    }
    if (!served_here(r, r->route)) {
        r->route = NULL; /* counted as unmatched */
        return;
    }
    k = (size_t)(r->route - routes);
    if (!allow_cache[k][0])
        allow_list(r->route, allow_cache[k], sizeof(allow_cache[k]));
    r->allow = allow_cache[k];
    if (r->method == LWSHUMETH_OPTIONS) {
        http_reply_json(r, 204, NULL);
        return;
    }
    r->allow = NULL;
    if (!handler_for(r)) {
        r->allow = allow_cache[k];
        http_error(r, E_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %s (allowed: %s)",
                   r->method_name, r->route->pattern, allow_cache[k]);
        return;
    }
    run_authed(r);
}

/* Whether a Content-Type value is type exactly (any case), with or without parameters. */
static bool
media_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);

    return strncasecmp(ct, type, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

struct json_object *
http_body_json(http_req *r)
{
    struct json_object *obj = NULL;
    const char *ct = r->content_type;
    dpa_error fe;
    dpa_err e;

    if (r->body_len == 0)
        return json_object_new_object();
    if (ct[0] && !media_type_is(ct, "application/json") &&
        !media_type_is(ct, "application/merge-patch+json")) {
        http_error(r, E_UNSUPPORTED_MEDIA_TYPE, NULL,
                   "the body must be application/json, not %s", ct);
        return NULL;
    }
    e = fields_parse(r->body, r->body_len, &obj, &fe);
    if (e == E_MALFORMED_JSON) {
        http_error(r, E_MALFORMED_JSON, NULL, "the body is not valid JSON");
        return NULL;
    }
    if (e) {
        http_reply_error(r, e, &fe);
        return NULL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        http_error(r, E_VALIDATION_FAILED, NULL, "the body must be a JSON object");
        return NULL;
    }
    return obj;
}

const char *
http_query_arg(http_req *r, const char *name, char *buf, size_t len, bool *bad)
{
    int rc = r->wsi ? query_copy(r->wsi, name, buf, len) : HDR_ABSENT;

    if (rc == HDR_TOO_LONG || rc == HDR_BAD) {
        *bad = true;
        http_error(r, E_VALIDATION_FAILED, name, rc == HDR_BAD ? "%s holds a NUL byte"
                                                               : "%s is too long", name);
        return NULL;
    }
    return rc == HDR_OK ? buf : NULL;
}

bool
http_id_plausible(const char *id, const char *prefix, size_t max)
{
    size_t i, n = strlen(id), p = strlen(prefix);

    if (n <= p || n >= max || strncmp(id, prefix, p) != 0)
        return false;
    for (i = p; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}
