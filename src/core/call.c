#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/call_private.h"
#include "core/json.h"
#include "core/util.h"

/* ---- small lists ---- */

static call_person *
list_find(const call_list *l, const char *user_id)
{
    int i;
    for (i = 0; i < l->count; i++)
        if (strcmp(l->items[i].user_id, user_id) == 0)
            return &l->items[i];
    return NULL;
}

static int
list_index(const call_list *l, const char *user_id)
{
    int i;
    for (i = 0; i < l->count; i++)
        if (strcmp(l->items[i].user_id, user_id) == 0)
            return i;
    return -1;
}

static call_person *
list_add(call_list *l, const char *user_id, const char *name, int64_t since, uint64_t session)
{
    call_person *p;

    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->items = xrealloc(l->items, sizeof(call_person) * (size_t)l->cap);
    }
    p = &l->items[l->count++];
    memset(p, 0, sizeof(*p));
    snprintf(p->user_id, sizeof(p->user_id), "%s", user_id);
    snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
    p->since = since;
    p->session = session;
    return p;
}

/* Keeps what the actor's token says with p (a waiter, a watcher). */
static void
person_rights(call_person *p, const call_actor *a)
{
    p->rank = a->rank;
    p->no_audio = a->no_audio;
    p->no_video = a->no_video;
}

static void
list_remove_at(call_list *l, int i)
{
    memmove(&l->items[i], &l->items[i + 1], sizeof(call_person) * (size_t)(l->count - i - 1));
    l->count--;
}

static bool
list_remove(call_list *l, const char *user_id)
{
    int i = list_index(l, user_id);
    if (i < 0)
        return false;
    list_remove_at(l, i);
    return true;
}

static void
list_free(call_list *l)
{
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* ---- basics ---- */

static dpa_err
fail(dpa_error *err, dpa_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static dpa_err
fail(dpa_error *err, dpa_err e, const char *fmt, ...)
{
    va_list ap;

    if (err) {
        limit_source limit = err->limit; /* set by the caller for ROOM_FULL */

        va_start(ap, fmt);
        error_vset(err, e, NULL, fmt, ap);
        va_end(ap);
        err->limit = e == E_ROOM_FULL ? limit : LIMIT_NONE;
    }
    return e;
}

live_call *
call_new(room *r, const plan *p, call_sink sink)
{
    live_call *lc = xcalloc(1, sizeof(*lc));
    lc->room = r;
    lc->plan = p;
    lc->sink = sink;
    lc->closing = r->status == ROOM_CLOSED;
    return lc;
}

void
call_free(live_call *lc)
{
    if (!lc)
        return;
    room_free(lc->room);
    free(lc->members);
    list_free(&lc->waiting);
    list_free(&lc->askers);
    list_free(&lc->watchers);
    list_free(&lc->banned);
    free(lc);
}

bool
call_is_live(const live_call *lc)
{
    return lc->call_id[0] != '\0';
}

bool
call_is_idle(const live_call *lc)
{
    return lc->nmembers == 0 && lc->waiting.count == 0 && lc->askers.count == 0 &&
           lc->watchers.count == 0 && !(lc->closing && lc->room->status == ROOM_ACTIVE);
}

const char *
call_role_name(call_role r)
{
    return r == ROLE_HOST ? "HOST" : r == ROLE_CO_HOST ? "CO_HOST" : "PARTICIPANT";
}

call_member *
call_member_find(const live_call *lc, const char *user_id)
{
    int i;
    for (i = 0; i < lc->nmembers; i++)
        if (strcmp(lc->members[i].user_id, user_id) == 0)
            return &lc->members[i];
    return NULL;
}

call_role
call_rank(const live_call *lc, const char *user_id)
{
    call_member *m;

    if (room_is_host(lc->room, user_id))
        return ROLE_HOST;
    m = call_member_find(lc, user_id);
    return m ? m->role : ROLE_PARTICIPANT;
}

call_role
call_actor_rank(const live_call *lc, const call_actor *a)
{
    call_role r = call_rank(lc, a->user_id);

    return a->rank > r ? a->rank : r;
}

/* A watcher's rank now: the room's for its user, raised to what its token gave. */
static call_role
watcher_rank(const live_call *lc, const call_person *w)
{
    call_role r = call_rank(lc, w->user_id);

    return w->rank > r ? w->rank : r;
}

static bool
host_present(const live_call *lc)
{
    int i;
    for (i = 0; i < lc->nmembers; i++)
        if (lc->members[i].role >= ROLE_CO_HOST)
            return true;
    return false;
}

/* ---- facts: membership changes the glue records ---- */

static void
tell(live_call *lc, call_fact_kind kind, const char *user_id, const char *name,
     const char *reason, const char *by)
{
    call_fact f;

    if (!lc->sink.fact)
        return;
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.call_id = lc->call_id;
    f.user_id = user_id;
    f.name = name ? name : "";
    f.reason = reason;
    f.by = by;
    lc->sink.fact(lc->sink.arg, lc, &f);
}

static void
tell_member(live_call *lc, call_fact_kind kind, const call_member *m, const char *reason)
{
    call_fact f;

    if (!lc->sink.fact)
        return;
    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.call_id = lc->call_id;
    f.user_id = m->user_id;
    f.name = m->name;
    f.role = m->role;
    f.reason = reason;
    f.peak = lc->peak;
    f.at = kind == FACT_JOINED ? m->joined_at : 0;
    lc->sink.fact(lc->sink.arg, lc, &f);
}

/* a entered the waiting room at pos (FACT_WAITING). */
static void
tell_waiting(live_call *lc, const call_actor *a, int pos)
{
    call_fact f;

    if (!lc->sink.fact)
        return;
    memset(&f, 0, sizeof(f));
    f.kind = FACT_WAITING;
    f.call_id = lc->call_id;
    f.user_id = a->user_id;
    f.name = a->name ? a->name : "";
    f.position = pos;
    lc->sink.fact(lc->sink.arg, lc, &f);
}

/* Takes user_id off the waiting list, if there, telling why (FACT_WAIT_LEFT). */
static void
leave_waiting(live_call *lc, const char *user_id, const char *reason)
{
    int i = list_index(&lc->waiting, user_id);
    call_person p;

    if (i < 0)
        return;
    p = lc->waiting.items[i];
    list_remove_at(&lc->waiting, i);
    tell(lc, FACT_WAIT_LEFT, p.user_id, p.name, reason, NULL);
}

/* ---- events ---- */

static struct json_object *
event_new(const live_call *lc, const char *type)
{
    struct json_object *e = json_object_new_object();

    json_object_object_add(e, "type", json_object_new_string(type));
    json_object_object_add(e, "roomId", json_object_new_string(lc->room->id));
    json_object_object_add(e, "callId", json_object_new_string(lc->call_id));
    json_object_object_add(e, "groupId", json_object_new_string(""));
    return e;
}

static void
emit(const live_call *lc, uint64_t session, struct json_object *ev)
{
    if (session)
        lc->sink.emit(lc->sink.arg, lc, session, ev);
}

enum { TO_ALL = 0, TO_MODS = 1 };

static const call_member *
member_session(const live_call *lc, uint64_t session)
{
    int i;
    for (i = 0; i < lc->nmembers; i++)
        if (lc->members[i].session == session)
            return &lc->members[i];
    return NULL;
}

/*
 * Sends ev to the call's members (all, or only hosts and co-hosts) except
 * `except`, and to the watchers. Takes ownership of ev.
 */
static void
broadcast(const live_call *lc, struct json_object *ev, const char *except, int who)
{
    int i;

    for (i = 0; i < lc->nmembers; i++) {
        const call_member *m = &lc->members[i];
        if (except && strcmp(m->user_id, except) == 0)
            continue;
        if (who == TO_MODS && m->role < ROLE_CO_HOST)
            continue;
        emit(lc, m->session, ev);
    }
    for (i = 0; i < lc->watchers.count; i++) {
        const call_person *w = &lc->watchers.items[i];
        if (except && strcmp(w->user_id, except) == 0)
            continue;
        /* A session that watches and is in the call already got it. */
        if (member_session(lc, w->session) && (who == TO_ALL ||
                                               member_session(lc, w->session)->role >=
                                                   ROLE_CO_HOST))
            continue;
        /*
         * The right to watch is checked at every event, not only at
         * WATCH_ROOM: a co-host demoted or gone, or a host removed from the
         * room's hosts, stops seeing the room's events at once.
         */
        if (watcher_rank(lc, w) < ROLE_CO_HOST)
            continue;
        emit(lc, w->session, ev);
    }
    json_object_put(ev);
}

static void
send_to(const live_call *lc, uint64_t session, struct json_object *ev)
{
    emit(lc, session, ev);
    json_object_put(ev);
}

static struct json_object *
member_json(const call_member *m)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "userId", json_object_new_string(m->user_id));
    json_object_object_add(o, "name", json_object_new_string(m->name));
    json_object_object_add(o, "role", json_object_new_string(call_role_name(m->role)));
    json_object_object_add(o, "joinedAt", json_object_new_int64(m->joined_at));
    json_object_object_add(o, "audio", json_object_new_boolean(m->audio));
    json_object_object_add(o, "video", json_object_new_boolean(m->video));
    json_object_object_add(o, "screenSharing", json_object_new_boolean(m->screen));
    return o;
}

static struct json_object *
participants_json(const live_call *lc)
{
    struct json_object *arr = json_object_new_array_ext(lc->nmembers);
    int i;

    for (i = 0; i < lc->nmembers; i++)
        json_object_array_add(arr, member_json(&lc->members[i]));
    return arr;
}

struct json_object *
call_waiting_json(const live_call *lc)
{
    struct json_object *arr = json_object_new_array_ext(lc->waiting.count);
    int i;

    for (i = 0; i < lc->waiting.count; i++) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "userId", json_object_new_string(lc->waiting.items[i].user_id));
        json_object_object_add(o, "name", json_object_new_string(lc->waiting.items[i].name));
        json_object_object_add(o, "since", json_object_new_int64(lc->waiting.items[i].since));
        json_object_array_add(arr, o);
    }
    return arr;
}

struct json_object *
call_state_json(const live_call *lc, const call_actor *viewer)
{
    struct json_object *o;

    if (!call_is_live(lc))
        return NULL;
    o = json_object_new_object();
    json_object_object_add(o, "callId", json_object_new_string(lc->call_id));
    json_object_object_add(o, "startedAt", json_object_new_int64(lc->started_at));
    json_object_object_add(o, "participantCount", json_object_new_int(lc->nmembers));
    json_object_object_add(o, "participants", participants_json(lc));
    json_object_object_add(o, "hostPresent", json_object_new_boolean(host_present(lc)));
    json_object_object_add(o, "waitingCount", json_object_new_int(lc->waiting.count));
    if (viewer && call_actor_rank(lc, viewer) >= ROLE_CO_HOST)
        json_object_object_add(o, "waiting", call_waiting_json(lc));
    return o;
}

/* The JOINED reply / ADMITTED event body for member m. */
static void
add_joined_fields(const live_call *lc, struct json_object *o, const call_member *m)
{
    json_object_object_add(o, "callId", json_object_new_string(lc->call_id));
    json_object_object_add(o, "role", json_object_new_string(call_role_name(m->role)));
    json_object_object_add(o, "participants", participants_json(lc));
    if (m->role >= ROLE_CO_HOST)
        json_object_object_add(o, "waiting", call_waiting_json(lc));
    if (lc->sink.joined)
        lc->sink.joined(lc->sink.arg, lc, m->user_id, o);
}

static void
tell_askers(live_call *lc, const char *reason)
{
    int i;

    for (i = 0; i < lc->askers.count; i++) {
        struct json_object *ev = event_new(lc, "GROUP_CALL_HOST_PRESENT");
        json_object_object_add(ev, "reason", json_object_new_string(reason));
        send_to(lc, lc->askers.items[i].session, ev);
    }
    lc->askers.count = 0;
}

static void
deny_all_waiting(live_call *lc, const char *reason)
{
    int i;

    for (i = 0; i < lc->waiting.count; i++) {
        struct json_object *ev = event_new(lc, "GROUP_CALL_DENIED");
        tell(lc, FACT_DENIED, lc->waiting.items[i].user_id, lc->waiting.items[i].name, reason,
             NULL);
        json_object_object_add(ev, "reason", json_object_new_string(reason));
        send_to(lc, lc->waiting.items[i].session, ev);
    }
    lc->waiting.count = 0;
}

/* ---- membership ---- */

static void
open_call(live_call *lc, int64_t now)
{
    if (call_is_live(lc))
        return;
    random_id(lc->call_id, sizeof(lc->call_id), "call_", 16);
    lc->started_at = now;
    lc->peak = 0;
    lc->banned.count = 0;
    lc->sharer[0] = '\0';
    lc->sink.note(lc->sink.arg, lc, NOTE_CALL_OPENED, lc->call_id, NULL, 0);
}

/* Ends the live call (members already told or removed). */
static void
close_call(live_call *lc, const char *reason)
{
    char id[CALL_ID_MAX];
    bool close_room;

    if (!call_is_live(lc))
        return;
    snprintf(id, sizeof(id), "%s", lc->call_id);
    lc->call_id[0] = '\0';
    lc->nmembers = 0;
    lc->sharer[0] = '\0';
    lc->banned.count = 0;
    close_room = lc->room->policy.auto_close && lc->room->status == ROOM_ACTIVE && !lc->closing;
    if (close_room)
        lc->closing = true;
    lc->sink.note(lc->sink.arg, lc, close_room ? NOTE_CALL_ENDED_ROOM_CLOSE : NOTE_CALL_ENDED, id,
                  reason, lc->peak);
    if (close_room) {
        deny_all_waiting(lc, "ROOM_CLOSED");
        lc->askers.count = 0;
    }
}

/* Adds a member; audio and video say how its media starts (off when it may not publish). */
static call_member *
add_member(live_call *lc, const char *user_id, const char *name, uint64_t session, bool audio,
           bool video, int64_t now)
{
    call_member *m;

    open_call(lc, now);
    if (lc->nmembers == lc->members_cap) {
        lc->members_cap = lc->members_cap ? lc->members_cap * 2 : 8;
        lc->members = xrealloc(lc->members, sizeof(call_member) * (size_t)lc->members_cap);
    }
    m = &lc->members[lc->nmembers++];
    memset(m, 0, sizeof(*m));
    snprintf(m->user_id, sizeof(m->user_id), "%s", user_id);
    snprintf(m->name, sizeof(m->name), "%s", name ? name : "");
    m->role = room_is_host(lc->room, user_id) ? ROLE_HOST : ROLE_PARTICIPANT;
    m->joined_at = now;
    m->audio = audio;
    m->video = video;
    m->connected = true;
    m->session = session;
    if (lc->nmembers > lc->peak)
        lc->peak = lc->nmembers;
    tell_member(lc, FACT_JOINED, m, NULL);
    return m;
}

/* Tells everyone else that m joined, and the askers when m is a host. */
static void
announce_join(live_call *lc, const call_member *m)
{
    struct json_object *ev = event_new(lc, "GROUP_CALL_PARTICIPANT_JOINED");

    json_object_object_add(ev, "userId", json_object_new_string(m->user_id));
    json_object_object_add(ev, "name", json_object_new_string(m->name));
    json_object_object_add(ev, "role", json_object_new_string(call_role_name(m->role)));
    broadcast(lc, ev, m->user_id, TO_ALL);
    if (m->role >= ROLE_CO_HOST)
        tell_askers(lc, "HOST_ARRIVED");
}

static void
announce_left(live_call *lc, const char *user_id, const char *reason)
{
    struct json_object *ev = event_new(lc, "GROUP_CALL_PARTICIPANT_LEFT");

    json_object_object_add(ev, "userId", json_object_new_string(user_id));
    json_object_object_add(ev, "reason", json_object_new_string(reason));
    broadcast(lc, ev, user_id, TO_ALL);
}

/* Removes member m (announcing with reason) and ends the call when empty. */
static void
remove_member(live_call *lc, call_member *m, const char *reason)
{
    char user[USER_ID_MAX + 1];
    int i = (int)(m - lc->members);

    tell_member(lc, FACT_LEFT, m, reason);
    snprintf(user, sizeof(user), "%s", m->user_id);
    if (strcmp(lc->sharer, user) == 0) {
        struct json_object *ev = event_new(lc, "GROUP_CALL_SCREEN_SHARE_STOPPED");
        lc->sharer[0] = '\0';
        json_object_object_add(ev, "userId", json_object_new_string(user));
        broadcast(lc, ev, user, TO_ALL);
    }
    memmove(&lc->members[i], &lc->members[i + 1],
            sizeof(call_member) * (size_t)(lc->nmembers - i - 1));
    lc->nmembers--;
    announce_left(lc, user, reason);
    if (lc->nmembers == 0)
        close_call(lc, "EMPTY");
}

static struct json_object *
status_reply(const live_call *lc, const char *status)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "roomId", json_object_new_string(lc->room->id));
    return o;
}

static int
effective_cap(const live_call *lc, limit_source *src)
{
    join_facts f;

    memset(&f, 0, sizeof(f));
    f.max_participants = lc->room->policy.max_participants;
    f.plan_cap = lc->plan->max_participants;
    return join_cap(&f, src);
}

/* The same user from a new session takes over its place (or queue spot). */
static void
replace_session(live_call *lc, call_member *m, const call_actor *a)
{
    struct json_object *ev;

    if (m->session == a->session)
        return;
    ev = event_new(lc, "GROUP_CALL_REMOVED");
    json_object_object_add(ev, "reason", json_object_new_string("REPLACED"));
    json_object_object_add(ev, "by", json_object_new_string(a->user_id));
    send_to(lc, m->session, ev);
    m->session = a->session;
    m->connected = true;
    if (a->name)
        snprintf(m->name, sizeof(m->name), "%s", a->name);
    /* The new connection's token may publish less than the old one's. */
    if (a->no_audio)
        m->audio = false;
    if (a->no_video)
        m->video = false;
    /* Peers renegotiate with the new connection. */
    announce_left(lc, m->user_id, "REPLACED");
    announce_join(lc, m);
}

dpa_err
call_join(live_call *lc, const call_actor *a, int64_t now, struct json_object **reply,
          dpa_error *err)
{
    call_member *m = call_member_find(lc, a->user_id);
    call_person *w;
    join_facts f;
    limit_source src;
    join_outcome out;

    *reply = NULL;
    memset(&f, 0, sizeof(f));
    f.room_found = true;
    f.room_closed = lc->room->status == ROOM_CLOSED || lc->closing;
    f.already_in = m != NULL;
    f.banned = list_find(&lc->banned, a->user_id) != NULL;
    f.is_host = room_is_host(lc->room, a->user_id);
    f.require_host = lc->room->policy.require_host;
    f.waiting_room = lc->room->policy.waiting_room;
    f.host_present = host_present(lc);
    f.participants = lc->nmembers;
    f.max_participants = lc->room->policy.max_participants;
    f.plan_cap = lc->plan->max_participants;
    out = join_decide(&f, &src);
    list_remove(&lc->askers, a->user_id);

    switch (out) {
    case JOIN_ERR_NOT_FOUND:
        return fail(err, E_ROOM_NOT_FOUND, "no such room");
    case JOIN_ERR_BANNED:
        return fail(err, E_FORBIDDEN, "you were removed from this call");
    case JOIN_ERR_FULL:
        err->limit = src;
        return fail(err, E_ROOM_FULL, "the call is full (%d participants)",
                    effective_cap(lc, &src));
    case JOIN_ROOM_CLOSED:
        *reply = status_reply(lc, "ROOM_CLOSED");
        return E_OK;
    case JOIN_HOST_REQUIRED:
        leave_waiting(lc, a->user_id, "HOST_REQUIRED");
        list_add(&lc->askers, a->user_id, a->name, now, a->session);
        *reply = status_reply(lc, "HOST_REQUIRED");
        return E_OK;
    case JOIN_WAITING: {
        struct json_object *ev;
        int pos;
        w = list_find(&lc->waiting, a->user_id);
        if (w) {
            w->session = a->session; /* the same place in the queue */
            person_rights(w, a);
        } else {
            person_rights(list_add(&lc->waiting, a->user_id, a->name, now, a->session), a);
        }
        pos = list_index(&lc->waiting, a->user_id) + 1;
        *reply = status_reply(lc, "WAITING_ROOM_PENDING");
        json_object_object_add(*reply, "position", json_object_new_int(pos));
        if (!w) {
            tell_waiting(lc, a, pos);
            ev = event_new(lc, "GROUP_CALL_WAITING");
            json_object_object_add(ev, "userId", json_object_new_string(a->user_id));
            json_object_object_add(ev, "name", json_object_new_string(a->name ? a->name : ""));
            json_object_object_add(ev, "position", json_object_new_int(pos));
            broadcast(lc, ev, NULL, TO_MODS);
        }
        return E_OK;
    }
    case JOIN_JOINED:
        break;
    }
    leave_waiting(lc, a->user_id, "JOINED");
    *reply = status_reply(lc, "JOINED");
    if (m) {
        replace_session(lc, m, a);
    } else {
        m = add_member(lc, a->user_id, a->name, a->session, !a->no_audio, !a->no_video, now);
        announce_join(lc, m);
    }
    add_joined_fields(lc, *reply, m);
    return E_OK;
}

dpa_err
call_leave(live_call *lc, const char *user_id, const char *reason, int64_t now)
{
    call_member *m = call_member_find(lc, user_id);

    (void)now;
    if (!m)
        return E_NO_LIVE_CALL;
    remove_member(lc, m, reason);
    return E_OK;
}

dpa_err
call_cancel_wait(live_call *lc, const char *user_id, dpa_error *err)
{
    if (!list_find(&lc->waiting, user_id))
        return fail(err, E_NOT_WAITING, "you are not waiting in this room");
    leave_waiting(lc, user_id, "CANCELLED");
    return E_OK;
}

static bool
list_has_session(const call_list *l, uint64_t session)
{
    int i;

    for (i = 0; i < l->count; i++)
        if (l->items[i].session == session)
            return true;
    return false;
}

bool
call_has_session(const live_call *lc, uint64_t session)
{
    int i;

    for (i = 0; i < lc->nmembers; i++)
        if (lc->members[i].session == session)
            return true;
    return list_has_session(&lc->waiting, session) || list_has_session(&lc->askers, session) ||
           list_has_session(&lc->watchers, session);
}

void
call_drop_session(live_call *lc, uint64_t session, int64_t now)
{
    int i;

    for (i = lc->waiting.count - 1; i >= 0; i--)
        if (lc->waiting.items[i].session == session)
            leave_waiting(lc, lc->waiting.items[i].user_id, "DISCONNECTED");
    for (i = lc->askers.count - 1; i >= 0; i--)
        if (lc->askers.items[i].session == session)
            list_remove_at(&lc->askers, i);
    call_unwatch(lc, session);
    for (i = 0; i < lc->nmembers; i++) {
        if (lc->members[i].session == session) {
            remove_member(lc, &lc->members[i], "DISCONNECTED");
            break;
        }
    }
    (void)now;
}

static void
connection_event(live_call *lc, uint64_t session, bool back)
{
    int i;

    for (i = 0; i < lc->nmembers; i++) {
        call_member *m = &lc->members[i];
        if (m->session != session || m->connected == back)
            continue;
        m->connected = back;
        {
            struct json_object *ev = event_new(
                lc, back ? "GROUP_CALL_PARTICIPANT_RECONNECTED" : "GROUP_CALL_PARTICIPANT_RECONNECTING");
            json_object_object_add(ev, "userId", json_object_new_string(m->user_id));
            broadcast(lc, ev, m->user_id, TO_ALL);
        }
    }
}

void
call_session_lost(live_call *lc, uint64_t session)
{
    connection_event(lc, session, false);
}

void
call_session_back(live_call *lc, uint64_t session)
{
    connection_event(lc, session, true);
}

/* ---- moderation ---- */

static dpa_err
need_rank(const live_call *lc, const call_actor *a, call_role rank, dpa_error *err)
{
    if (call_actor_rank(lc, a) < rank)
        return fail(err, E_FORBIDDEN, rank == ROLE_HOST ? "only hosts may do this"
                                                        : "only hosts and co-hosts may do this");
    return E_OK;
}

/* Admits waiter i (the call opens if needed); by is the moderator (NULL: the policy). */
static void
admit_one(live_call *lc, int i, int64_t now, const char *by)
{
    call_person p = lc->waiting.items[i];
    struct json_object *ev;
    call_member *m;

    list_remove_at(&lc->waiting, i);
    tell(lc, FACT_ADMITTED, p.user_id, p.name, NULL, by);
    m = add_member(lc, p.user_id, p.name, p.session, !p.no_audio, !p.no_video, now);
    ev = event_new(lc, "GROUP_CALL_ADMITTED");
    add_joined_fields(lc, ev, m);
    send_to(lc, m->session, ev);
    announce_join(lc, m);
}

/* Admits up to n waiters from the front while the cap allows. Returns how many. */
static int
admit_front(live_call *lc, int n, int64_t now, struct json_object *who, const char *by)
{
    limit_source src;
    int cap = effective_cap(lc, &src), done = 0;

    while (done < n && lc->waiting.count > 0 && lc->nmembers < cap) {
        if (who)
            json_object_array_add(who, json_object_new_string(lc->waiting.items[0].user_id));
        admit_one(lc, 0, now, by);
        done++;
    }
    return done;
}

dpa_err
call_admit(live_call *lc, const call_actor *a, const char *target, int64_t now,
           struct json_object **reply, dpa_error *err)
{
    struct json_object *who = json_object_new_array();
    limit_source src;
    int cap = effective_cap(lc, &src);
    dpa_err e;

    *reply = NULL;
    if ((e = need_rank(lc, a, ROLE_CO_HOST, err))) {
        json_object_put(who);
        return e;
    }
    if (target) {
        int i = list_index(&lc->waiting, target);
        if (i < 0) {
            json_object_put(who);
            return fail(err, E_NOT_WAITING, "%s is not waiting", target);
        }
        if (lc->nmembers >= cap) {
            json_object_put(who);
            err->limit = src;
            return fail(err, E_ROOM_FULL, "the call is full (%d participants)", cap);
        }
        json_object_array_add(who, json_object_new_string(target));
        admit_one(lc, i, now, a->user_id);
    } else {
        int n = lc->waiting.count;
        int done = admit_front(lc, n, now, who, a->user_id);
        if (done < n) {
            json_object_put(who);
            err->limit = src;
            return fail(err, E_ROOM_FULL, "the call is full (%d participants); %d still waiting",
                        cap, n - done);
        }
    }
    *reply = json_object_new_object();
    json_object_object_add(*reply, "admitted", who);
    return E_OK;
}

dpa_err
call_deny(live_call *lc, const call_actor *a, const char *target, dpa_error *err)
{
    struct json_object *ev;
    call_person p;
    int i;
    dpa_err e;

    if ((e = need_rank(lc, a, ROLE_CO_HOST, err)))
        return e;
    i = list_index(&lc->waiting, target);
    if (i < 0)
        return fail(err, E_NOT_WAITING, "%s is not waiting", target);
    p = lc->waiting.items[i];
    list_remove_at(&lc->waiting, i);
    tell(lc, FACT_DENIED, p.user_id, p.name, "DENIED", a->user_id);
    ev = event_new(lc, "GROUP_CALL_DENIED");
    json_object_object_add(ev, "reason", json_object_new_string("DENIED"));
    send_to(lc, p.session, ev);
    return E_OK;
}

/* Finds the target member and checks that actor outranks or equals it. */
static dpa_err
target_member(live_call *lc, const call_actor *a, const char *target, call_member **out,
              dpa_error *err)
{
    call_member *m = call_member_find(lc, target);

    *out = NULL;
    if (!m)
        return fail(err, E_NOT_FOUND, "%s is not in this call", target);
    if (m->role == ROLE_HOST && call_actor_rank(lc, a) < ROLE_HOST)
        return fail(err, E_FORBIDDEN, "a co-host cannot act on a host");
    *out = m;
    return E_OK;
}

dpa_err
call_mute(live_call *lc, const call_actor *a, const char *target, const char *kind,
          dpa_error *err)
{
    struct json_object *ev;
    call_member *m;
    dpa_err e;

    if ((e = need_rank(lc, a, ROLE_CO_HOST, err)) || (e = target_member(lc, a, target, &m, err)))
        return e;
    ev = event_new(lc, "GROUP_CALL_MUTE_REQUESTED");
    json_object_object_add(ev, "kind", json_object_new_string(kind));
    json_object_object_add(ev, "by", json_object_new_string(a->user_id));
    send_to(lc, m->session, ev);
    return E_OK;
}

dpa_err
call_remove(live_call *lc, const call_actor *a, const char *target, bool ban, int64_t now,
            dpa_error *err)
{
    struct json_object *ev;
    call_member *m;
    dpa_err e;

    (void)now;
    if ((e = need_rank(lc, a, ROLE_CO_HOST, err)) || (e = target_member(lc, a, target, &m, err)))
        return e;
    ev = event_new(lc, "GROUP_CALL_REMOVED");
    json_object_object_add(ev, "reason", json_object_new_string("REMOVED_BY_HOST"));
    json_object_object_add(ev, "by", json_object_new_string(a->user_id));
    send_to(lc, m->session, ev);
    if (ban && !list_find(&lc->banned, target))
        list_add(&lc->banned, target, "", now, 0);
    remove_member(lc, m, "REMOVED");
    return E_OK;
}

static void
announce_role(live_call *lc, const call_member *m)
{
    struct json_object *ev = event_new(lc, "GROUP_CALL_ROLE_CHANGED");

    json_object_object_add(ev, "userId", json_object_new_string(m->user_id));
    json_object_object_add(ev, "role", json_object_new_string(call_role_name(m->role)));
    broadcast(lc, ev, NULL, TO_ALL);
}

dpa_err
call_set_role(live_call *lc, const call_actor *a, const char *target, call_role role,
              dpa_error *err)
{
    call_member *m;
    dpa_err e;

    if ((e = need_rank(lc, a, ROLE_HOST, err)))
        return e;
    if (!(m = call_member_find(lc, target)))
        return fail(err, E_NOT_FOUND, "%s is not in this call", target);
    if (m->role == ROLE_HOST)
        return fail(err, E_FORBIDDEN, "%s is a host of the room; change the room's hosts instead",
                    target);
    if (m->role == role)
        return E_OK;
    m->role = role;
    announce_role(lc, m);
    if (role == ROLE_CO_HOST)
        tell_askers(lc, "HOST_ARRIVED");
    return E_OK;
}

/* Ends the call for everyone with reason; autoCloseWhenEmpty then applies. */
static void
end_for_all(live_call *lc, const char *reason)
{
    int i;

    if (!call_is_live(lc))
        return;
    for (i = 0; i < lc->nmembers; i++) {
        struct json_object *ev = event_new(lc, "GROUP_CALL_ENDED");
        json_object_object_add(ev, "reason", json_object_new_string(reason));
        send_to(lc, lc->members[i].session, ev);
    }
    for (i = 0; i < lc->watchers.count; i++) {
        if (member_session(lc, lc->watchers.items[i].session) ||
            watcher_rank(lc, &lc->watchers.items[i]) < ROLE_CO_HOST)
            continue;
        struct json_object *ev = event_new(lc, "GROUP_CALL_ENDED");
        json_object_object_add(ev, "reason", json_object_new_string(reason));
        send_to(lc, lc->watchers.items[i].session, ev);
    }
    close_call(lc, reason);
}

dpa_err
call_end(live_call *lc, const call_actor *a, const char *reason, int64_t now, dpa_error *err)
{
    dpa_err e;

    (void)now;
    if (a && (e = need_rank(lc, a, ROLE_HOST, err)))
        return e;
    if (!call_is_live(lc))
        return fail(err, E_NO_LIVE_CALL, "the room has no live call");
    end_for_all(lc, reason ? reason : "HOST_ENDED");
    return E_OK;
}

/* ---- signaling and media ---- */

dpa_err
call_signal(live_call *lc, const char *from, const char *to, const char *signal,
            struct json_object *payload, dpa_error *err)
{
    struct json_object *ev;
    call_member *target;

    if (!call_member_find(lc, from))
        return fail(err, E_FORBIDDEN, "you are not in this call");
    if (strcmp(from, to) == 0)
        return fail(err, E_BAD_REQUEST, "cannot signal yourself");
    if (!(target = call_member_find(lc, to)))
        return fail(err, E_NOT_FOUND, "%s is not in this call", to);
    ev = event_new(lc, signal);
    json_object_object_add(ev, "from", json_object_new_string(from));
    json_object_object_add(ev, "payload", json_object_get(payload));
    send_to(lc, target->session, ev);
    return E_OK;
}

dpa_err
call_media(live_call *lc, const char *user_id, int audio, int video, dpa_error *err)
{
    call_member *m = call_member_find(lc, user_id);
    struct json_object *ev;

    if (!m)
        return fail(err, E_FORBIDDEN, "you are not in this call");
    if (audio >= 0)
        m->audio = audio;
    if (video >= 0)
        m->video = video;
    ev = event_new(lc, "GROUP_CALL_MEDIA_STATE");
    json_object_object_add(ev, "userId", json_object_new_string(user_id));
    json_object_object_add(ev, "audio", json_object_new_boolean(m->audio));
    json_object_object_add(ev, "video", json_object_new_boolean(m->video));
    broadcast(lc, ev, user_id, TO_ALL);
    return E_OK;
}

dpa_err
call_screen(live_call *lc, const char *user_id, bool start, dpa_error *err)
{
    call_member *m = call_member_find(lc, user_id), *prev;
    struct json_object *ev;

    if (!m)
        return fail(err, E_FORBIDDEN, "you are not in this call");
    if (!start) {
        if (strcmp(lc->sharer, user_id) != 0)
            return E_OK;
        lc->sharer[0] = '\0';
        m->screen = false;
        ev = event_new(lc, "GROUP_CALL_SCREEN_SHARE_STOPPED");
        json_object_object_add(ev, "userId", json_object_new_string(user_id));
        broadcast(lc, ev, user_id, TO_ALL);
        return E_OK;
    }
    if (!(lc->plan->features & FEAT_SCREEN_SHARE))
        return fail(err, E_FEATURE_NOT_ENABLED, "the app's plan has no screen_share feature");
    if (lc->sharer[0] && strcmp(lc->sharer, user_id) != 0) {
        if (call_rank(lc, user_id) < ROLE_HOST)
            return fail(err, E_FORBIDDEN, "%s is sharing; only a host may share over it",
                        lc->sharer);
        if ((prev = call_member_find(lc, lc->sharer)))
            prev->screen = false;
        ev = event_new(lc, "GROUP_CALL_SCREEN_SHARE_STOPPED");
        json_object_object_add(ev, "userId", json_object_new_string(lc->sharer));
        json_object_object_add(ev, "by", json_object_new_string(user_id));
        broadcast(lc, ev, user_id, TO_ALL);
    }
    snprintf(lc->sharer, sizeof(lc->sharer), "%s", user_id);
    m->screen = true;
    ev = event_new(lc, "GROUP_CALL_SCREEN_SHARE_STARTED");
    json_object_object_add(ev, "userId", json_object_new_string(user_id));
    broadcast(lc, ev, user_id, TO_ALL);
    return E_OK;
}

/* ---- watching ---- */

dpa_err
call_watch(live_call *lc, const call_actor *a, dpa_error *err)
{
    dpa_err e = need_rank(lc, a, ROLE_CO_HOST, err);
    int i;

    if (e)
        return e;
    for (i = 0; i < lc->watchers.count; i++) {
        if (lc->watchers.items[i].session == a->session) {
            person_rights(&lc->watchers.items[i], a); /* watched again: what it may now */
            return E_OK;
        }
    }
    person_rights(list_add(&lc->watchers, a->user_id, a->name, 0, a->session), a);
    return E_OK;
}

void
call_unwatch(live_call *lc, uint64_t session)
{
    int i;
    for (i = lc->watchers.count - 1; i >= 0; i--)
        if (lc->watchers.items[i].session == session)
            list_remove_at(&lc->watchers, i);
}

/* ---- room changes ---- */

void
call_room_changed(live_call *lc, room *r, int64_t now)
{
    room *old = lc->room;
    struct json_object *ev, *rj;
    int i;

    lc->room = r;
    /*
     * Only a reopened room (CLOSED -> ACTIVE) clears closing. A change
     * committed before a pending auto-close (a rename racing the last
     * LEAVE) leaves the room ACTIVE but must not cancel the close.
     */
    if (r->status == ROOM_ACTIVE && old->status == ROOM_CLOSED)
        lc->closing = false;
    /* Roles follow the hosts list. */
    for (i = 0; i < lc->nmembers; i++) {
        call_member *m = &lc->members[i];
        call_role want = room_is_host(r, m->user_id) ? ROLE_HOST
                         : m->role == ROLE_HOST      ? ROLE_PARTICIPANT
                                                     : m->role;
        if (want != m->role) {
            m->role = want;
            announce_role(lc, m);
            if (want == ROLE_HOST)
                tell_askers(lc, "HOST_ARRIVED");
        }
    }
    rj = room_to_json(r);
    json_object_object_add(rj, "call", NULL);
    ev = event_new(lc, "ROOM_UPDATED");
    json_object_object_add(ev, "room", rj);
    broadcast(lc, ev, NULL, TO_ALL);

    if (r->status == ROOM_CLOSED && old->status == ROOM_ACTIVE) {
        lc->closing = true;
        end_for_all(lc, "ROOM_CLOSED");
        deny_all_waiting(lc, "ROOM_CLOSED");
        lc->askers.count = 0;
    } else {
        if (old->policy.require_host && !r->policy.require_host)
            tell_askers(lc, "POLICY_CHANGED");
        if (old->policy.waiting_room && !r->policy.waiting_room)
            admit_front(lc, lc->waiting.count, now, NULL, NULL);
    }
    room_free(old);
}

void
call_room_deleted(live_call *lc, int64_t now)
{
    (void)now;
    lc->closing = true;
    end_for_all(lc, "ROOM_DELETED");
    deny_all_waiting(lc, "ROOM_DELETED");
    lc->askers.count = 0;
}

/* ---- reading a live call from outside core ---- */

bool
call_is_member(const live_call *lc, const char *user_id)
{
    return call_member_find(lc, user_id) != NULL;
}

const room *
call_room(const live_call *lc)
{
    return lc->room;
}

const char *
call_id_of(const live_call *lc)
{
    return lc->call_id;
}

int64_t
call_started_at(const live_call *lc)
{
    return lc->started_at;
}

int
call_participant_count(const live_call *lc)
{
    return lc->nmembers;
}

int
call_waiting_count(const live_call *lc)
{
    return lc->waiting.count;
}

void
call_set_plan(live_call *lc, const plan *p)
{
    lc->plan = p;
}

uint64_t
call_write_seq(const live_call *lc)
{
    return lc->write_seq;
}

void
call_set_write_seq(live_call *lc, uint64_t seq)
{
    lc->write_seq = seq;
}

bool
call_closing(const live_call *lc)
{
    return lc->closing;
}

void
call_set_closing(live_call *lc, bool closing)
{
    lc->closing = closing;
}

/* ---- export and import (a takeover by another process) ---- */

static struct json_object *
person_export(const call_person *p, struct json_object *ref)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "u", json_object_new_string(p->user_id));
    json_object_object_add(o, "n", json_object_new_string(p->name));
    json_object_object_add(o, "t", json_object_new_int64(p->since));
    if (ref)
        json_object_object_add(o, "s", ref);
    /* What a token said (call_actor), only when it says something. */
    if (p->rank)
        json_object_object_add(o, "k", json_object_new_int((int)p->rank));
    if (p->no_audio)
        json_object_object_add(o, "na", json_object_new_boolean(1));
    if (p->no_video)
        json_object_object_add(o, "nv", json_object_new_boolean(1));
    return o;
}

static struct json_object *
list_export(const call_list *l, call_session_ref ref, void *arg)
{
    struct json_object *a = json_object_new_array();
    int i;

    for (i = 0; i < l->count; i++)
        json_object_array_add(a, person_export(&l->items[i],
                                               ref ? ref(arg, l->items[i].session) : NULL));
    return a;
}

struct json_object *
call_export(const live_call *lc, call_session_ref ref, void *arg)
{
    struct json_object *o = json_object_new_object(), *ms = json_object_new_array();
    int i;

    json_object_object_add(o, "callId", json_object_new_string(lc->call_id));
    json_object_object_add(o, "startedAt", json_object_new_int64(lc->started_at));
    json_object_object_add(o, "peak", json_object_new_int(lc->peak));
    json_object_object_add(o, "sharer", json_object_new_string(lc->sharer));
    for (i = 0; i < lc->nmembers; i++) {
        const call_member *m = &lc->members[i];
        struct json_object *j = json_object_new_object();
        json_object_object_add(j, "u", json_object_new_string(m->user_id));
        json_object_object_add(j, "n", json_object_new_string(m->name));
        json_object_object_add(j, "r", json_object_new_int((int)m->role));
        json_object_object_add(j, "t", json_object_new_int64(m->joined_at));
        json_object_object_add(j, "a", json_object_new_boolean(m->audio));
        json_object_object_add(j, "v", json_object_new_boolean(m->video));
        json_object_object_add(j, "x", json_object_new_boolean(m->screen));
        json_object_object_add(j, "c", json_object_new_boolean(m->connected));
        json_object_object_add(j, "s", ref(arg, m->session));
        json_object_array_add(ms, j);
    }
    json_object_object_add(o, "members", ms);
    json_object_object_add(o, "waiting", list_export(&lc->waiting, ref, arg));
    json_object_object_add(o, "askers", list_export(&lc->askers, ref, arg));
    json_object_object_add(o, "watchers", list_export(&lc->watchers, ref, arg));
    json_object_object_add(o, "banned", list_export(&lc->banned, NULL, NULL));
    return o;
}

static const char *
str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static bool
list_import(const live_call *lc, call_list *l, struct json_object *a, call_session_of of,
            void *arg)
{
    size_t i, n;

    if (!json_object_is_type(a, json_type_array))
        return false;
    n = json_object_array_length(a);
    for (i = 0; i < n; i++) {
        struct json_object *p = json_object_array_get_idx(a, i), *s = NULL, *t = NULL;
        const char *u = str_of(p, "u"), *name = str_of(p, "n");
        uint64_t session = 0;
        if (!u || strlen(u) > USER_ID_MAX || !name)
            return false;
        json_object_object_get_ex(p, "t", &t);
        if (json_object_object_get_ex(p, "s", &s) && of && !(session = of(arg, lc->room->id, s)))
            continue; /* its session is gone for good */
        if (!list_find(l, u)) {
            call_person *q = list_add(l, u, name, json_object_get_int64(t), session);
            q->rank = json_get_int(p, "k", 0) == ROLE_HOST ? ROLE_HOST : ROLE_PARTICIPANT;
            q->no_audio = json_get_bool(p, "na", false);
            q->no_video = json_get_bool(p, "nv", false);
        }
    }
    return true;
}

dpa_err
call_import(live_call *lc, struct json_object *state, call_session_of of, void *arg)
{
    struct json_object *ms = NULL, *v;
    const char *id = str_of(state, "callId"), *sharer = str_of(state, "sharer");
    size_t i, n;

    if (!id || !*id || strlen(id) >= CALL_ID_MAX || call_is_live(lc) ||
        !json_object_object_get_ex(state, "members", &ms) ||
        !json_object_is_type(ms, json_type_array))
        return E_BAD_REQUEST;
    snprintf(lc->call_id, sizeof(lc->call_id), "%s", id);
    lc->started_at = json_object_object_get_ex(state, "startedAt", &v) ? json_object_get_int64(v) : 0;
    lc->peak = json_object_object_get_ex(state, "peak", &v) ? json_object_get_int(v) : 0;
    n = json_object_array_length(ms);
    for (i = 0; i < n; i++) {
        struct json_object *j = json_object_array_get_idx(ms, i), *s = NULL;
        const char *u = str_of(j, "u"), *name = str_of(j, "n");
        uint64_t session;
        call_member *m;
        if (!u || strlen(u) > USER_ID_MAX || !name || call_member_find(lc, u) ||
            !json_object_object_get_ex(j, "s", &s) || !(session = of(arg, lc->room->id, s)))
            continue; /* malformed, twice, or its session is gone for good */
        if (lc->nmembers == lc->members_cap) {
            lc->members_cap = lc->members_cap ? lc->members_cap * 2 : 8;
            lc->members = xrealloc(lc->members, sizeof(call_member) * (size_t)lc->members_cap);
        }
        m = &lc->members[lc->nmembers++];
        memset(m, 0, sizeof(*m));
        snprintf(m->user_id, sizeof(m->user_id), "%s", u);
        snprintf(m->name, sizeof(m->name), "%s", name);
        m->role = json_object_object_get_ex(j, "r", &v) ? (call_role)json_object_get_int(v)
                                                         : ROLE_PARTICIPANT;
        if (m->role != ROLE_HOST && m->role != ROLE_CO_HOST)
            m->role = ROLE_PARTICIPANT;
        m->joined_at = json_object_object_get_ex(j, "t", &v) ? json_object_get_int64(v) : 0;
        m->audio = json_get_bool(j, "a", true);
        m->video = json_get_bool(j, "v", true);
        m->screen = json_get_bool(j, "x", false);
        m->connected = json_get_bool(j, "c", true);
        m->session = session;
    }
    if (lc->nmembers == 0) {
        lc->call_id[0] = '\0'; /* nobody is left to continue it */
        return E_NO_LIVE_CALL;
    }
    if (sharer && call_member_find(lc, sharer))
        snprintf(lc->sharer, sizeof(lc->sharer), "%s", sharer);
    if (json_object_object_get_ex(state, "waiting", &v))
        list_import(lc, &lc->waiting, v, of, arg);
    if (json_object_object_get_ex(state, "askers", &v))
        list_import(lc, &lc->askers, v, of, arg);
    if (json_object_object_get_ex(state, "watchers", &v))
        list_import(lc, &lc->watchers, v, of, arg);
    if (json_object_object_get_ex(state, "banned", &v))
        list_import(lc, &lc->banned, v, NULL, NULL);
    return E_OK;
}
