/* Operations routes: /healthz, /metrics and the OpenAPI document. */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "auth/jwt.h"
#include "core/util.h"
#include "http/assets.h"
#include "server/request.h"
#include "http/internal.h"

extern const char openapi_json[];
extern const unsigned long openapi_json_len;

/*
 * GET /healthz: 200 {"status":"ok"} while the server can serve; 503 while
 * draining, or while the store cannot write ({"status":"unavailable",
 * "store":"failing"|"lost","reason","since"}). Read from the worker's last
 * state: the loop never waits on the database for it. Every body also
 * names the node and has the fields other layers registered (the cluster
 * layer's "redis").
 */
void
ops_health(http_req *r)
{
    struct json_object *o = json_object_new_object();
    store_health h = r->srv->worker ? worker_health(r->srv->worker, NULL, 0, NULL) : STORE_OK;
    char why[192];
    int64_t since = 0;

    if (server_draining(r->srv)) {
        json_object_object_add(o, "status", json_object_new_string("draining"));
        server_health_fields(r->srv, o);
        http_reply_json(r, 503, o);
        return;
    }
    if (h == STORE_OK) {
        json_object_object_add(o, "status", json_object_new_string("ok"));
        server_health_fields(r->srv, o);
        http_reply_json(r, 200, o);
        return;
    }
    h = worker_health(r->srv->worker, why, sizeof(why), &since);
    json_object_object_add(o, "status", json_object_new_string("unavailable"));
    json_object_object_add(o, "store", json_object_new_string(store_health_name(h)));
    json_object_object_add(o, "reason", json_object_new_string(why));
    json_object_object_add(o, "since", json_object_new_int64(since));
    server_health_fields(r->srv, o);
    http_reply_json(r, 503, o);
}

void
ops_metrics(http_req *r)
{
    size_t len;
    char *text = metrics_render(r->srv->metrics, &len);

    http_reply_raw(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}

void
ops_openapi(http_req *r)
{
    http_reply_raw(r, 200, "application/json", openapi_json, openapi_json_len);
}

bool
http_serve_asset(http_req *r)
{
    static const char *const typed[] = {"text/html; charset=utf-8",
                                        "text/javascript; charset=utf-8",
                                        "text/css; charset=utf-8"};
    const web_asset *a;
    size_t i;

    if (r->method != LWSHUMETH_GET && r->method != LWSHUMETH_HEAD)
        return false;
    for (a = web_assets; a->path; a++) {
        if (strcmp(a->path, r->path) != 0)
            continue;
        for (i = 0; i < sizeof(typed) / sizeof(typed[0]); i++)
            if (strncmp(typed[i], a->content_type, strlen(a->content_type)) == 0)
                break;
        http_reply_raw(r, 200, i < sizeof(typed) / sizeof(typed[0]) ? typed[i] : a->content_type,
                       (const char *)a->data, a->len);
        return true;
    }
    return false;
}

/*
 * GET /api/dev/token?user=NAME (dev mode only): a token of the dev app for
 * any user, so the console can sign in as several people on one machine.
 */
void
dev_token(http_req *r)
{
    const app_registry *reg = r->srv->apps;
    const app_key *key = NULL;
    struct json_object *o;
    char buf[256];
    const char *user;
    char *tok;

    if (!r->srv->cfg->dev) {
        http_error(r, E_NOT_FOUND, NULL, "no route for %s (dev mode only)", r->path);
        return;
    }
    user = r->wsi && query_copy(r->wsi, "user", buf, sizeof(buf)) == HDR_OK ? buf : NULL;
    if (!user || !user_id_valid(user, strlen(user))) {
        http_error(r, E_VALIDATION_FAILED, "user", "user must be 1 to 128 printable ASCII bytes");
        return;
    }
    key = apps_newest_key(reg, "dev");
    if (!key) {
        http_error(r, E_INTERNAL, NULL, "the dev app has no key");
        return;
    }
    tok = auth_mint("dev", key->kid, key->secret, user, user, NULL, now_ms() / 1000, 24 * 3600);
    if (!tok) {
        http_error(r, E_INTERNAL, NULL, NULL);
        return;
    }
    o = json_object_new_object();
    json_object_object_add(o, "appId", json_object_new_string("dev"));
    json_object_object_add(o, "userId", json_object_new_string(user));
    json_object_object_add(o, "token", json_object_new_string(tok));
    free(tok);
    http_reply_json(r, 200, o);
}
