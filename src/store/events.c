/*
 * The outbox's events, backend-neutral: each event's body is built here
 * and written by the backend in the caller's transaction, beside the
 * change it describes (store.h). Also the thin wrappers of the webhook,
 * delivery and history operations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "store/internal.h"

/* ---- lists ---- */

void
webhook_list_clear(webhook_list *l)
{
    int i;

    for (i = 0; i < l->count; i++) {
        free(l->items[i].url);
        free(l->items[i].secret);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

void
delivery_batch_clear(delivery_batch *b)
{
    int i;

    for (i = 0; i < b->count; i++) {
        free(b->items[i].url);
        free(b->items[i].secret);
        free(b->items[i].body);
    }
    free(b->items);
    memset(b, 0, sizeof(*b));
}

void
call_record_clear(call_record *c)
{
    free(c->sessions);
    memset(c, 0, sizeof(*c));
}

void
call_page_free(call_page *page)
{
    int i;

    for (i = 0; i < page->count; i++)
        call_record_clear(&page->calls[i]);
    free(page->calls);
    memset(page, 0, sizeof(*page));
}

/* ---- events ---- */

dpa_err
events_wanted(store *s, const char *app_id, bool *wanted)
{
    int n = 0;
    dpa_err e = s->ops->webhook_count(s, app_id, &n);

    *wanted = e == E_OK && n > 0;
    return e;
}

dpa_err
store_event_add(store *s, const char *app_id, const char *room_id, const char *type,
                int64_t at, struct json_object *data)
{
    struct json_object *body;
    char id[EVENT_ID_MAX];
    int64_t seq = 0;
    bool wanted;
    dpa_err e;

    if ((e = events_wanted(s, app_id, &wanted)) || !wanted) {
        json_object_put(data);
        return e;
    }
    if ((e = s->ops->room_seq_next(s, app_id, room_id, at, &seq))) {
        json_object_put(data);
        return e;
    }
    if (random_id(id, sizeof(id), "evt_", 16)) {
        json_object_put(data);
        return E_INTERNAL;
    }
    body = json_object_new_object();
    json_object_object_add(body, "id", json_object_new_string(id));
    json_object_object_add(body, "type", json_object_new_string(type));
    json_object_object_add(body, "createdAt", json_object_new_int64(at));
    json_object_object_add(body, "appId", json_object_new_string(app_id));
    json_object_object_add(body, "roomId", json_object_new_string(room_id));
    json_object_object_add(body, "roomSeq", json_object_new_int64(seq));
    json_object_object_add(body, "data", data);
    e = s->ops->event_insert(s, id, app_id, room_id, seq, type, at, json_plain(body, NULL));
    json_object_put(body);
    return e;
}

static struct json_object *
str_or_null(const char *v)
{
    return v && *v ? json_object_new_string(v) : NULL;
}

dpa_err
events_room(store *s, const char *type, const room *r, int64_t at)
{
    struct json_object *data = json_object_new_object(), *o = room_to_json(r);

    json_object_object_del(o, "call"); /* a room in storage has no live call */
    json_object_object_add(data, "room", o);
    return store_event_add(s, r->app_id, r->id, type, at, data);
}

dpa_err
events_left(store *s, const char *app_id, const char *room_id, const char *call_id,
            const call_session_rec *rec)
{
    struct json_object *d = json_object_new_object();

    json_object_object_add(d, "callId", json_object_new_string(call_id));
    json_object_object_add(d, "userId", json_object_new_string(rec->user_id));
    json_object_object_add(d, "name", json_object_new_string(rec->name));
    json_object_object_add(d, "role", json_object_new_string(rec->role));
    json_object_object_add(d, "joinedAt",
                           rec->joined_at >= 0 ? json_object_new_int64(rec->joined_at) : NULL);
    json_object_object_add(d, "leftAt", json_object_new_int64(rec->left_at));
    json_object_object_add(d, "durationMs",
                           rec->joined_at >= 0
                               ? json_object_new_int64(rec->left_at - rec->joined_at)
                               : NULL);
    json_object_object_add(d, "reason", json_object_new_string(rec->leave_reason));
    return store_event_add(s, app_id, room_id, "participant.left", rec->left_at, d);
}

dpa_err
events_call_started(store *s, const char *app_id, const char *room_id, const char *call_id,
                    int64_t started_at)
{
    struct json_object *d = json_object_new_object();

    json_object_object_add(d, "callId", json_object_new_string(call_id));
    json_object_object_add(d, "startedAt", json_object_new_int64(started_at));
    return store_event_add(s, app_id, room_id, "call.started", started_at, d);
}

dpa_err
events_call_ended(store *s, const call_record *c)
{
    struct json_object *d = json_object_new_object();

    json_object_object_add(d, "callId", json_object_new_string(c->call_id));
    json_object_object_add(d, "startedAt", json_object_new_int64(c->started_at));
    json_object_object_add(d, "endedAt", json_object_new_int64(c->ended_at));
    json_object_object_add(d, "durationMs", json_object_new_int64(c->ended_at - c->started_at));
    json_object_object_add(d, "reason", json_object_new_string(c->end_reason));
    json_object_object_add(d, "peakParticipants", json_object_new_int(c->peak));
    return store_event_add(s, c->app_id, c->room_id, "call.ended", c->ended_at, d);
}

/* The data every waiting.* event carries. */
static struct json_object *
waiting_data(const call_fact *f)
{
    struct json_object *d = json_object_new_object();

    json_object_object_add(d, "callId", str_or_null(f->call_id));
    json_object_object_add(d, "userId", json_object_new_string(f->user_id));
    json_object_object_add(d, "name", json_object_new_string(f->name ? f->name : ""));
    return d;
}

/* A join: the session opens (the call's peak follows) and participant.joined is written. */
static dpa_err
fact_joined(store *s, const char *app_id, const char *room_id, const call_fact *f, int64_t at)
{
    const char *role = call_role_name(f->role);
    struct json_object *d;
    dpa_err e;

    if ((e = s->ops->session_join(s, f->call_id, app_id, room_id, f->user_id,
                                  f->name ? f->name : "", role, at, f->peak)))
        return e;
    d = json_object_new_object();
    json_object_object_add(d, "callId", json_object_new_string(f->call_id));
    json_object_object_add(d, "userId", json_object_new_string(f->user_id));
    json_object_object_add(d, "name", json_object_new_string(f->name ? f->name : ""));
    json_object_object_add(d, "role", json_object_new_string(role));
    json_object_object_add(d, "joinedAt", json_object_new_int64(at));
    return store_event_add(s, app_id, room_id, "participant.joined", at, d);
}

/* A leave: the session closes; one the store never saw (a takeover) is told all the same. */
static dpa_err
fact_left(store *s, const char *app_id, const char *room_id, const call_fact *f, int64_t at)
{
    call_session_rec rec;
    dpa_err e = s->ops->session_leave(s, f->call_id, f->user_id, at, f->reason, &rec);

    if (e == E_NOT_FOUND) {
        memset(&rec, 0, sizeof(rec));
        snprintf(rec.user_id, sizeof(rec.user_id), "%s", f->user_id);
        snprintf(rec.name, sizeof(rec.name), "%s", f->name ? f->name : "");
        snprintf(rec.role, sizeof(rec.role), "%s", call_role_name(f->role));
        snprintf(rec.leave_reason, sizeof(rec.leave_reason), "%s", f->reason);
        rec.joined_at = -1;
        rec.left_at = at;
        e = E_OK;
    }
    return e ? e : events_left(s, app_id, room_id, f->call_id, &rec);
}

dpa_err
store_call_fact(store *s, const char *app_id, const char *room_id, const call_fact *f,
                int64_t at, int64_t epoch)
{
    struct json_object *d;
    const char *type;
    dpa_err e;

    if (epoch < 0)
        return E_INTERNAL;
    if (epoch > 0 && f->call_id && f->call_id[0] &&
        (e = s->ops->fence_call(s, f->call_id, epoch)))
        return e;
    switch (f->kind) {
    case FACT_JOINED:
        return fact_joined(s, app_id, room_id, f, f->at > 0 ? f->at : at);
    case FACT_LEFT:
        return fact_left(s, app_id, room_id, f, at);
    case FACT_WAITING:
        d = waiting_data(f);
        json_object_object_add(d, "position", json_object_new_int(f->position));
        type = "waiting.entered";
        break;
    case FACT_ADMITTED:
        d = waiting_data(f);
        json_object_object_add(d, "by", str_or_null(f->by));
        type = "waiting.admitted";
        break;
    case FACT_DENIED:
        d = waiting_data(f);
        json_object_object_add(d, "reason", json_object_new_string(f->reason));
        json_object_object_add(d, "by", str_or_null(f->by));
        type = "waiting.denied";
        break;
    case FACT_WAIT_LEFT:
    default:
        d = waiting_data(f);
        json_object_object_add(d, "reason", json_object_new_string(f->reason ? f->reason : ""));
        type = "waiting.left";
        break;
    }
    return store_event_add(s, app_id, room_id, type, at, d);
}

/* ---- webhooks, deliveries, history: the backends' ---- */

dpa_err
store_webhook_set(store *s, const char *app_id, const char *url, const char *secret,
                  int64_t now, char id[WEBHOOK_ID_MAX], bool *created)
{
    id[0] = '\0';
    return s->ops->webhook_set(s, app_id, url, secret, now, id, created);
}

dpa_err
store_webhook_remove(store *s, const char *app_id, const char *webhook_id)
{
    return s->ops->webhook_remove(s, app_id, webhook_id);
}

dpa_err
store_webhooks_list(store *s, const char *app_id, bool secrets, webhook_list *out)
{
    memset(out, 0, sizeof(*out));
    return s->ops->webhooks_list(s, app_id, secrets, out);
}

dpa_err
store_deliveries_due(store *s, int64_t now, store_app_ref **out, int *n)
{
    return s->ops->deliveries_due(s, now, out, n);
}

dpa_err
store_deliveries_claim(store *s, const char *app_id, const char *owner, int64_t now,
                       int64_t lease_until, int limit, delivery_batch *out)
{
    memset(out, 0, sizeof(*out));
    if (limit <= 0)
        return E_OK;
    return s->ops->deliveries_claim(s, app_id, owner, now, lease_until, limit, out);
}

dpa_err
store_delivery_finish(store *s, int64_t delivery_id, const char *owner, delivery_outcome outcome,
                      int64_t now, int64_t next_at, int http_status, const char *error)
{
    return s->ops->delivery_finish(s, delivery_id, owner, outcome, now, next_at, http_status,
                                   error);
}

dpa_err
store_deliveries_release(store *s, const char *owner)
{
    return s->ops->deliveries_release(s, owner);
}

dpa_err
store_outbox_stats(store *s, outbox_stats *out)
{
    return s->ops->outbox_stats(s, out);
}

dpa_err
store_outbox_purge(store *s, int64_t before, int limit, int *purged)
{
    return s->ops->outbox_purge(s, before, limit, purged);
}

dpa_err
store_call_list(store *s, const char *app_id, const char *room_id, int64_t after_started,
                const char *after_id, int limit, call_page *page)
{
    memset(page, 0, sizeof(*page));
    return s->ops->call_list(s, app_id, room_id, after_started, after_id, limit, page);
}

dpa_err
store_call_get(store *s, const char *app_id, const char *call_id, call_record *out)
{
    dpa_err e;
    int i, j;

    memset(out, 0, sizeof(*out));
    if ((e = s->ops->call_info(s, call_id, out)))
        return e;
    if (strcmp(out->app_id, app_id) != 0) {
        call_record_clear(out);
        return E_CALL_NOT_FOUND; /* another app's call is no call of this one */
    }
    if ((e = s->ops->call_sessions(s, out))) {
        call_record_clear(out);
        return e;
    }
    for (i = 0; i < out->nsessions; i++) {
        for (j = 0; j < i && strcmp(out->sessions[j].user_id, out->sessions[i].user_id); j++)
            ;
        out->participants += j == i;
    }
    return E_OK;
}

dpa_err
store_history_purge(store *s, int64_t before, int limit, int *purged)
{
    return s->ops->history_purge(s, before, limit, purged);
}
