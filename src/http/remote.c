/*
 * Cluster mode, the REST side: moderation of a room and the "call" of
 * GET /api/rooms/{roomId} act on the live state, which only the call's
 * owner has. A process that does not own the room sends the operation to
 * the owner ({"op":"rest"} on its node channel); the owner runs it as it
 * would its own request and answers ({"op":"rest-done"}) once the writes
 * the answer reports have committed. No answer within 3 s is a 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "http/internal.h"
#include "server/log.h"

#define REST_WAIT_US (3 * LWS_US_PER_SEC)
#define MAX_HOPS 3

/* A request waiting for the owner's answer. */
typedef struct rest_wait {
    http_state *h;
    http_req *r;
    char key[24];            /* rid */
    char what[16];
    bool ban;
    int hops;
    void (*here)(http_req *r, const char *what, bool ban);
    void (*done)(http_req *r, int status, struct json_object *body, void *arg);
    void *arg;
    lws_sorted_usec_list_t sul;
} rest_wait;

static void route_op(http_req *r, const char *what, bool ban, int hops,
                  void (*here)(http_req *r, const char *what, bool ban));

/* The default answer: the owner's status and body as they are. */
static void
reply_as_is(http_req *r, int status, struct json_object *body, void *arg)
{
    (void)arg;
    if (!body && status >= 500)
        http_error(r, E_UNAVAILABLE, NULL,
                   "the process that runs this call did not answer; retry");
    else
        http_reply_json(r, status, json_object_get(body));
}

static void
finish(rest_wait *w, int status, struct json_object *body)
{
    http_req *r = w->r;

    lws_sul_cancel(&w->sul);
    hmap_del(w->h->rest_waits, w->key);
    if (http_req_resume(r))
        w->done(r, status, body, w->arg);
    free(w);
}

static void
on_timeout(lws_sorted_usec_list_t *sul)
{
    rest_wait *w = lws_container_of(sul, rest_wait, sul);

    dlog(LOG_WARN, "msg=\"the call's owner did not answer a REST operation\" what=%s room=%s",
         w->what, w->r->param[0]);
    finish(w, 503, NULL);
}

static rest_wait *
wait_new(http_req *r, const char *what)
{
    http_state *h = r->http;
    rest_wait *w = xcalloc(1, sizeof(*w));

    w->h = h;
    w->r = r;
    snprintf(w->what, sizeof(w->what), "%s", what);
    snprintf(w->key, sizeof(w->key), "%llu", (unsigned long long)++h->next_rid);
    hmap_put(h->rest_waits, w->key, w);
    http_req_hold(r);
    lws_sul_schedule(r->srv->ctx, 0, &w->sul, on_timeout, REST_WAIT_US);
    return w;
}

static void
send_op(rest_wait *w, const char *owner)
{
    http_req *r = w->r;
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "op", json_object_new_string("rest"));
    json_object_object_add(o, "rid", json_object_new_string(w->key));
    json_object_object_add(o, "what", json_object_new_string(w->what));
    json_object_object_add(o, "roomId", json_object_new_string(r->param[0]));
    json_object_object_add(o, "app", json_object_new_string(r->id.app_id));
    json_object_object_add(o, "user", json_object_new_string(r->id.user_id));
    if (auth_is_admin(&r->id))
        json_object_object_add(o, "admin", json_object_new_boolean(1));
    if (r->param[1][0])
        json_object_object_add(o, "target", json_object_new_string(r->param[1]));
    json_object_object_add(o, "ban", json_object_new_boolean(w->ban));
    r->srv->router.send(r->srv->router.arg, owner, o);
    json_object_put(o);
}

void
http_remote_op(http_req *r, const char *owner, const char *what,
               void (*done)(http_req *r, int status, struct json_object *body, void *arg),
               void *arg)
{
    rest_wait *w = wait_new(r, what);

    w->done = done;
    w->arg = arg;
    send_op(w, owner);
}

typedef struct locating {
    http_req *r;
    char what[16];
    bool ban;
    int hops;
    void (*here)(http_req *r, const char *what, bool ban);
} locating;

static void
located(void *arg, const char *owner, dpa_err e)
{
    locating *l = arg;
    http_req *r = l->r;

    if (http_req_resume(r)) {
        if (e != E_OK) {
            http_error(r, E_UNAVAILABLE, NULL,
                       "the process that runs this call cannot be reached now; retry");
        } else if (!owner) {
            l->here(r, l->what, l->ban);
        } else {
            rest_wait *w = wait_new(r, l->what);
            w->ban = l->ban;
            w->hops = l->hops;
            w->here = l->here;
            w->done = reply_as_is;
            send_op(w, owner);
        }
    }
    free(l);
}

static void
route_op(http_req *r, const char *what, bool ban, int hops,
      void (*here)(http_req *r, const char *what, bool ban))
{
    locating *l;

    if (hops >= MAX_HOPS) {
        http_error(r, E_UNAVAILABLE, NULL, "the call is moving between processes; retry");
        return;
    }
    l = xcalloc(1, sizeof(*l));
    l->r = r;
    snprintf(l->what, sizeof(l->what), "%s", what);
    l->ban = ban;
    l->hops = hops;
    l->here = here;
    http_req_hold(r);
    r->srv->router.locate(r->srv->router.arg, r->param[0], located, l);
}

void
http_remote_route(http_req *r, const char *what, bool ban,
                  void (*here)(http_req *r, const char *what, bool ban))
{
    route_op(r, what, ban, 0, here);
}

/* ---- the owner's side ---- */

typedef struct rest_job {
    server *srv;
    char from[NODE_ID_MAX];
    char rid[24];
    char what[16];
    char user[129];
    char target[PARAM_MAX];
    bool has_target, ban;
    bool admin;                     /* the asker's token has the admin grant */
    struct json_object *answer;     /* {"op":"rest-done",...} once known */
} rest_job;

static void
send_answer(void *arg)
{
    rest_job *j = arg;

    j->srv->router.send(j->srv->router.arg, j->from, j->answer);
    json_object_put(j->answer);
    free(j);
}

static void
answer(rest_job *j, int status, struct json_object *body, bool moved)
{
    j->answer = json_object_new_object();
    json_object_object_add(j->answer, "op", json_object_new_string("rest-done"));
    json_object_object_add(j->answer, "rid", json_object_new_string(j->rid));
    if (moved)
        json_object_object_add(j->answer, "moved", json_object_new_boolean(1));
    json_object_object_add(j->answer, "status", json_object_new_int(status));
    json_object_object_add(j->answer, "body", body);
}

static void
answer_error(rest_job *j, dpa_err e, const dpa_error *d)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "error", error_json(e, d));
    answer(j, error_http_status(e), o, false);
}

static void
owner_loaded(void *arg, live_call *lc, dpa_err e)
{
    rest_job *j = arg;
    mod_args a = {j->user, j->has_target ? j->target : NULL, j->ban, j->admin};
    mod_result res;
    server *srv;
    dpa_error d;

    if (!lc) {
        error_set(&d, e, NULL, NULL);
        answer_error(j, e, &d);
        send_answer(j);
        return;
    }
    if (!mod_run(j->what, &a, lc, &res)) {
        error_set(&d, E_BAD_REQUEST, NULL, "unknown operation");
        answer_error(j, E_BAD_REQUEST, &d);
    } else if (res.e != E_OK) {
        json_object_put(res.body);
        answer_error(j, res.e, &res.err);
    } else {
        if (res.status == 204) {
            json_object_put(res.body);
            res.body = NULL;
        }
        answer(j, res.status, res.body, false);
    }
    /* Answered once the writes it reports (an ended call) have committed (maybe at once). */
    srv = j->srv;
    live_after_writes(srv, call_write_seq(lc), send_answer, j);
    live_reap(srv, lc);
}

typedef struct owner_locating {
    rest_job *j;
    char app[APP_ID_MAX];
    char room_id[ROOM_ID_MAX];
} owner_locating;

static void
owner_located(void *arg, const char *owner, dpa_err e)
{
    owner_locating *l = arg;
    rest_job *j = l->j;
    const app *a;
    dpa_error d;

    if (e != E_OK) {
        error_set(&d, E_UNAVAILABLE, NULL, "the call's owner cannot be reached now; retry");
        answer_error(j, E_UNAVAILABLE, &d);
        send_answer(j);
    } else if (owner) {
        answer(j, 503, NULL, true); /* not (any more) the owner: the asker routes again */
        send_answer(j);
    } else {
        a = apps_find(j->srv->apps, l->app);
        live_open(j->srv, l->app, l->room_id, a ? a->plan : &plan_none, owner_loaded, j);
    }
    free(l);
}

static void
on_rest(void *arg, struct json_object *o)
{
    http_state *h = arg;
    const char *from = json_get_str(o, "node"), *rid = json_get_str(o, "rid"),
               *what = json_get_str(o, "what"), *room_id = json_get_str(o, "roomId"),
               *app_id = json_get_str(o, "app"), *user = json_get_str(o, "user"),
               *target = json_get_str(o, "target");
    owner_locating *l;
    rest_job *j;

    if (!from || !server_node_id_valid(from) || !rid || strlen(rid) >= 24 || !what ||
        strlen(what) >= 16 || !room_id || strlen(room_id) >= ROOM_ID_MAX || !app_id ||
        strlen(app_id) >= APP_ID_MAX || !user || strlen(user) > 128 ||
        (target && strlen(target) >= PARAM_MAX))
        return;
    j = xcalloc(1, sizeof(*j));
    j->srv = h->srv;
    snprintf(j->from, sizeof(j->from), "%s", from);
    snprintf(j->rid, sizeof(j->rid), "%s", rid);
    snprintf(j->what, sizeof(j->what), "%s", what);
    snprintf(j->user, sizeof(j->user), "%s", user);
    if (target) {
        j->has_target = true;
        snprintf(j->target, sizeof(j->target), "%s", target);
    }
    j->ban = json_get_bool(o, "ban", false);
    j->admin = json_get_bool(o, "admin", false);
    l = xcalloc(1, sizeof(*l));
    l->j = j;
    snprintf(l->app, sizeof(l->app), "%s", app_id);
    snprintf(l->room_id, sizeof(l->room_id), "%s", room_id);
    h->srv->router.locate(h->srv->router.arg, room_id, owner_located, l);
}

/* The owner's answer reaches the waiting request. */
static void
on_done(void *arg, struct json_object *o)
{
    http_state *h = arg;
    const char *rid = json_get_str(o, "rid");
    rest_wait *w = rid ? hmap_get(h->rest_waits, rid) : NULL;
    struct json_object *body = NULL;

    if (!w)
        return; /* timed out already */
    if (json_get_bool(o, "moved", false) && w->here) {
        http_req *r = w->r;
        const char *what = w->what;
        char name[16];

        snprintf(name, sizeof(name), "%s", what);
        h->srv->router.forget(h->srv->router.arg, r->param[0]);
        lws_sul_cancel(&w->sul);
        hmap_del(h->rest_waits, w->key);
        if (http_req_resume(r))
            route_op(r, name, w->ban, w->hops + 1, w->here);
        free(w);
        return;
    }
    json_object_object_get_ex(o, "body", &body);
    finish(w, (int)json_get_int(o, "status", 503), body);
}

void
http_remote_start(http_state *h)
{
    h->rest_waits = hmap_new();
    server_peer_register(h->srv, "rest", on_rest, h);
    server_peer_register(h->srv, "rest-done", on_done, h);
}

static void
drop_wait(const char *key, void *value, void *arg)
{
    rest_wait *w = value;

    (void)key;
    (void)arg;
    lws_sul_cancel(&w->sul);
    http_req_resume(w->r); /* the loop has ended: its connection is gone */
    free(w);
}

void
http_remote_stop(http_state *h)
{
    if (!h->rest_waits)
        return;
    server_peer_unregister(h->srv, h);
    hmap_each(h->rest_waits, drop_wait, NULL);
    hmap_free(h->rest_waits);
    h->rest_waits = NULL;
}
