/* Operations routes: /healthz, /metrics and the OpenAPI document. */
#include <stdlib.h>

#include "core/json.h"
#include "http/internal.h"

extern const char openapi_json[];
extern const unsigned long openapi_json_len;

void
ops_health(http_req *r)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "status",
                           json_object_new_string(r->srv->draining ? "draining" : "ok"));
    http_reply_json(r, r->srv->draining ? 503 : 200, o);
}

void
ops_metrics(http_req *r)
{
    size_t len;
    char *text = metrics_render(r->srv, &len);

    http_reply_raw(r, 200, "text/plain", text, len);
    free(text);
}

void
ops_openapi(http_req *r)
{
    http_reply_raw(r, 200, "application/json", openapi_json, openapi_json_len);
}
