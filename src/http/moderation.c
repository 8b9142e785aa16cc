/*
 * Moderation over REST, for hosts who are not in the call (a backend, a
 * bot, the console): the same rules and the same events as over WebSocket.
 * In cluster mode the operation runs on the process that owns the call
 * (remote.c carries it there and its result back).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "http/internal.h"

/* The actor the call sees: an admin credential ranks as a host (auth_actor). */
static call_actor
actor_of(const mod_args *a)
{
    call_actor c;

    memset(&c, 0, sizeof(c));
    c.user_id = a->user_id;
    c.rank = a->admin ? ROLE_HOST : ROLE_PARTICIPANT;
    return c;
}

static void
op_waiting(const mod_args *a, live_call *lc, mod_result *out)
{
    struct json_object *o = json_object_new_object();

    (void)a;
    json_object_object_add(o, "roomId", json_object_new_string(call_room(lc)->id));
    json_object_object_add(o, "callId",
                           call_is_live(lc) ? json_object_new_string(call_id_of(lc)) : NULL);
    json_object_object_add(o, "waiting", call_waiting_json(lc));
    out->status = 200;
    out->body = o;
}

static void
op_admit(const mod_args *a, live_call *lc, mod_result *out)
{
    call_actor c = actor_of(a);

    out->e = call_admit(lc, &c, a->target, now_ms(), &out->body, &out->err);
    out->status = 200;
}

static void
op_deny(const mod_args *a, live_call *lc, mod_result *out)
{
    call_actor c = actor_of(a);

    out->e = call_deny(lc, &c, a->target, &out->err);
    out->status = 204;
}

static void
op_remove(const mod_args *a, live_call *lc, mod_result *out)
{
    call_actor c = actor_of(a);

    if (!call_is_live(lc)) {
        out->e = E_NO_LIVE_CALL;
        error_set(&out->err, E_NO_LIVE_CALL, NULL, NULL);
        return;
    }
    out->e = call_remove(lc, &c, a->target, a->ban, now_ms(), &out->err);
    out->status = 204;
}

static void
op_end(const mod_args *a, live_call *lc, mod_result *out)
{
    call_actor c = actor_of(a);

    out->e = call_end(lc, &c, "HOST_ENDED", now_ms(), &out->err);
    out->status = 204;
}

/* The "call" of GET /api/rooms/{roomId} for the viewer (null body: no live call). */
static void
op_state(const mod_args *a, live_call *lc, mod_result *out)
{
    call_actor c = actor_of(a);

    out->status = 200;
    out->body = call_is_live(lc) ? call_state_json(lc, &c) : NULL;
}

static const struct {
    const char *name;
    void (*fn)(const mod_args *a, live_call *lc, mod_result *out);
    bool moderates;          /* hosts and co-hosts only */
} ops[] = {
    {"waiting", op_waiting, true}, {"admit", op_admit, true}, {"deny", op_deny, true},
    {"remove", op_remove, true},   {"end", op_end, true},     {"state", op_state, false},
};

bool
mod_run(const char *what, const mod_args *a, live_call *lc, mod_result *out)
{
    call_actor c = actor_of(a);
    size_t i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(ops[i].name, what) != 0)
            continue;
        if (ops[i].moderates && call_actor_rank(lc, &c) < ROLE_CO_HOST) {
            out->e = E_FORBIDDEN;
            error_set(&out->err, E_FORBIDDEN, NULL,
                      "only the room's hosts (and co-hosts), or the app's admin credential, "
                      "may moderate");
            return true;
        }
        ops[i].fn(a, lc, out);
        return true;
    }
    return false;
}

void
mod_reply(http_req *r, mod_result *res)
{
    if (res->e != E_OK) {
        json_object_put(res->body);
        http_reply_error(r, res->e, &res->err);
    } else {
        http_reply_json(r, res->status, res->status == 204 ? NULL : res->body);
        if (res->status == 204)
            json_object_put(res->body);
    }
    res->body = NULL;
}

/* What a moderation request does once the room's live state is loaded. */
typedef struct mod_op {
    http_req *req;
    char what[16];
    bool ban;
} mod_op;

static void
loaded(void *arg, live_call *lc, dpa_err e)
{
    const mod_op *op = arg;
    http_req *r = op->req;
    mod_args a = {r->id.user_id, r->param[1][0] ? r->param[1] : NULL, op->ban,
                  auth_is_admin(&r->id)};
    mod_result res;

    if (!lc) {
        http_error(r, e, NULL, NULL);
        return;
    }
    mod_run(op->what, &a, lc, &res);
    mod_reply(r, &res);
    /* The reply waits for the call-record writes its action implies (an ended call). */
    http_reply_after_writes(r, call_write_seq(lc));
}

static void
run_here(http_req *r, const char *what, bool ban)
{
    mod_op *op = xmalloc(sizeof(*op));

    op->req = r;
    snprintf(op->what, sizeof(op->what), "%s", what);
    op->ban = ban;
    live_with_room(r->srv, &r->async, r->id.app_id, r->param[0], r->id.plan, loaded, free, op);
}

static void
with_live(http_req *r, const char *what, bool ban)
{
    if (r->srv->router.locate)
        http_remote_route(r, what, ban, run_here); /* cluster mode: on the call's owner */
    else
        run_here(r, what, ban);
}

void
mod_waiting(http_req *r)
{
    with_live(r, "waiting", false);
}

void
mod_admit(http_req *r)
{
    with_live(r, "admit", false);
}

void
mod_admit_all(http_req *r)
{
    r->param[1][0] = '\0';
    with_live(r, "admit", false);
}

void
mod_deny(http_req *r)
{
    with_live(r, "deny", false);
}

static const field_spec remove_fields[] = {
    {"ban", FT_BOOL, 0, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

void
mod_remove(http_req *r)
{
    struct json_object *body = http_body_json(r);
    dpa_error fe;
    bool ban;

    if (!body)
        return;
    if (fields_check(body, remove_fields, &fe) != E_OK) {
        json_object_put(body);
        http_reply_error(r, E_VALIDATION_FAILED, &fe);
        return;
    }
    ban = json_get_bool(body, "ban", false);
    json_object_put(body);
    with_live(r, "remove", ban);
}

void
mod_end(http_req *r)
{
    with_live(r, "end", false);
}
