/*
 * Moderation over REST, for hosts who are not in the call (a backend, a
 * bot, the console): the same rules and the same events as over WebSocket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "http/internal.h"

typedef struct mod_op mod_op;
typedef void (*mod_fn)(const mod_op *op, live_call *lc);

/* What a moderation request does once the room's live state is loaded. */
struct mod_op {
    http_req *req;
    mod_fn fn;
    bool ban;               /* remove: ban from this call */
};

static void
loaded(void *arg, live_call *lc, dpa_err e)
{
    const mod_op *op = arg;
    http_req *r = op->req;

    if (!lc) {
        http_error(r, e, NULL, NULL);
        return;
    }
    if (call_rank(lc, r->id.user_id) < ROLE_CO_HOST) {
        http_error(r, E_FORBIDDEN, NULL, "only the room's hosts (and co-hosts) may moderate");
        return;
    }
    op->fn(op, lc);
    /* The reply waits for the call-record writes its action implies (an ended call). */
    http_reply_after_writes(r, call_write_seq(lc));
}

static void
with_live(http_req *r, mod_fn fn, bool ban)
{
    mod_op *op = xmalloc(sizeof(*op));

    op->req = r;
    op->fn = fn;
    op->ban = ban;
    live_with_room(r->srv, &r->async, r->id.app_id, r->param[0], r->id.plan, loaded, free, op);
}

static void
do_waiting(const mod_op *op, live_call *lc)
{
    http_req *r = op->req;
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "roomId", json_object_new_string(call_room(lc)->id));
    json_object_object_add(o, "callId",
                           call_is_live(lc) ? json_object_new_string(call_id_of(lc)) : NULL);
    json_object_object_add(o, "waiting", call_waiting_json(lc));
    http_reply_json(r, 200, o);
}

static void
do_admit(const mod_op *op, live_call *lc)
{
    http_req *r = op->req;
    const char *target = r->param[1][0] ? r->param[1] : NULL;
    struct json_object *out = NULL;
    dpa_error ce = {0};
    dpa_err e = call_admit(lc, r->id.user_id, target, now_ms(), &out, &ce);

    if (e)
        http_reply_error(r, e, &ce);
    else
        http_reply_json(r, 200, out);
}

static void
do_deny(const mod_op *op, live_call *lc)
{
    http_req *r = op->req;
    dpa_error ce = {0};
    dpa_err e = call_deny(lc, r->id.user_id, r->param[1], &ce);

    if (e)
        http_reply_error(r, e, &ce);
    else
        http_reply_json(r, 204, NULL);
}

static void
do_remove(const mod_op *op, live_call *lc)
{
    http_req *r = op->req;
    dpa_error ce = {0};
    dpa_err e;

    if (!call_is_live(lc)) {
        http_error(r, E_NO_LIVE_CALL, NULL, NULL);
        return;
    }
    e = call_remove(lc, r->id.user_id, r->param[1], op->ban, now_ms(), &ce);
    if (e)
        http_reply_error(r, e, &ce);
    else
        http_reply_json(r, 204, NULL);
}

static void
do_end(const mod_op *op, live_call *lc)
{
    http_req *r = op->req;
    dpa_error ce = {0};
    dpa_err e = call_end(lc, r->id.user_id, "HOST_ENDED", now_ms(), &ce);

    if (e)
        http_reply_error(r, e, &ce);
    else
        http_reply_json(r, 204, NULL);
}

void
mod_waiting(http_req *r)
{
    with_live(r, do_waiting, false);
}

void
mod_admit(http_req *r)
{
    with_live(r, do_admit, false);
}

void
mod_admit_all(http_req *r)
{
    r->param[1][0] = '\0';
    with_live(r, do_admit, false);
}

void
mod_deny(http_req *r)
{
    with_live(r, do_deny, false);
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
    with_live(r, do_remove, ban);
}

void
mod_end(http_req *r)
{
    with_live(r, do_end, false);
}
