/* GET /api/info: what this server is and, with a token, what the app may do. */
#include "core/json.h"
#include "core/util.h"
#include "http/internal.h"

static struct json_object *
features_json(unsigned bits)
{
    struct json_object *arr = json_object_new_array();
    unsigned b;

    for (b = 1; b & FEAT__ALL; b <<= 1)
        if (bits & b)
            json_object_array_add(arr, json_object_new_string(feature_name(b)));
    return arr;
}

/* GET /api/info with a token: the app's room count is read from the store. */
typedef struct info_job {
    store_job job;
    http_req *req;
    char app_id[APP_ID_MAX];
    int64_t rooms;
} info_job;

static void
info_run(store_job *job, store *s)
{
    info_job *j = (info_job *)job;
    job->result = store_app_room_count(s, j->app_id, &j->rooms);
}

static void
info_reply(http_req *r, int64_t rooms)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "name", json_object_new_string("droponair"));
    json_object_object_add(o, "version", json_object_new_string(DPA_VERSION));
    json_object_object_add(o, "apiVersion", json_object_new_string("v1"));
    if (r->srv->cfg->dev)
        json_object_object_add(o, "devMode", json_object_new_boolean(1));
    if (r->authed) {
        const plan *p = r->id.plan;
        struct json_object *limits = json_object_new_object(), *usage = json_object_new_object();

        json_object_object_add(o, "features", features_json(p->features));
        json_object_object_add(o, "appId", json_object_new_string(r->id.app_id));
        json_object_object_add(o, "userId", json_object_new_string(r->id.user_id));
        json_object_object_add(o, "plan", json_object_new_string(p->name));
        json_object_object_add(limits, "maxRoomsPerApp", json_object_new_int64(p->max_rooms));
        json_object_object_add(limits, "maxParticipantsPerCall",
                               json_object_new_int(p->max_participants));
        json_object_object_add(o, "limits", limits);
        /* What counts against maxRoomsPerApp: every room of the app, closed ones too. */
        json_object_object_add(usage, "rooms", json_object_new_int64(rooms));
        json_object_object_add(o, "usage", usage);
        /* What the token's grants allow (the defaults without a grants claim). */
        json_object_object_add(o, "grants", grants_json(&r->id.grants));
    } else {
        json_object_object_add(o, "features", features_json(FEAT__ALL));
    }
    http_reply_json(r, 200, o);
}

static void
info_done(store_job *job)
{
    info_job *j = (info_job *)job;
    http_req *r = j->req;

    if (http_req_resume(r)) {
        if (job->result == E_OK)
            info_reply(r, j->rooms);
        else
            http_error(r, job->result, NULL, NULL);
    }
    free(j);
}

void
info_get(http_req *r)
{
    info_job *j;

    if (!r->authed) {
        info_reply(r, 0);
        return;
    }
    j = xcalloc(1, sizeof(*j));
    j->job.run = info_run;
    j->job.done = info_done;
    j->req = r;
    snprintf(j->app_id, sizeof(j->app_id), "%s", r->id.app_id);
    http_req_hold(r);
    server_submit(r->srv, &j->job);
}

/*
 * GET /api/ice-servers: the STUN/TURN servers for the caller, with a TURN
 * credential minted for its user, for apps that do their own media.
 */
void
ice_servers_get(http_req *r)
{
    struct json_object *o = json_object_new_object();
    int64_t expires = 0;

    json_object_object_add(o, "iceServers",
                           ice_servers_json(&r->srv->cfg->ice, r->id.app_id, r->id.user_id,
                                            now_ms(), &expires));
    json_object_object_add(o, "expiresAt", expires ? json_object_new_int64(expires) : NULL);
    http_reply_json(r, 200, o);
}
