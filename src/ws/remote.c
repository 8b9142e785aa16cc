/*
 * Cluster mode, the WebSocket side: sessions connected to one process take
 * part in calls owned by another.
 *
 * A session's command for a room owned elsewhere is forwarded to the owner
 * ({"op":"cmd"} on the owner's node channel, with the session's identity).
 * There a proxy session stands for it: the command runs through the same
 * handlers as a local one, and everything the proxy would send (the reply,
 * then events, each once the write it reports has committed) comes back
 * ({"op":"out"}) in order; the session's own process numbers events (seq)
 * and keeps them for RESUME, so a session's stream is one whichever
 * processes own its calls. When the owner says it is not the owner
 * ({"op":"moved"}), the command is routed again (at most 3 hops).
 *
 * Session life (connection lost, back, ended) is told to every process
 * ({"op":"sess"} on the rooms channel), whose proxies follow it; when a
 * process stops, its sessions' proxies count as lost and their reconnect
 * grace runs on the owner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "server/log.h"
#include "ws/internal.h"

#define MAX_HOPS 3
#define CALLS_KNOWN_MAX 10000     /* callId -> roomId remembered from what passed through */

static void free_str(const char *key, void *value, void *arg);
static void news(ws_state *ws, uint64_t sid, const char *what);
#define FORWARD_TIMEOUT_MS 3000   /* a forwarded request's reply comes within this, or UNAVAILABLE */
#define FORWARDS_MAX 4096         /* waiting at once; past that, new ones are not tracked */

/* A forwarded request with an id, until its reply comes back. */
struct forward {
    struct forward *next;
    uint64_t sid;
    char owner[NODE_ID_MAX];
    struct json_object *id;
    uint64_t deadline_ms;
};

static void
forward_track(ws_state *ws, ws_session *s, const char *owner, struct json_object *id)
{
    struct forward *f;

    if (!id || ws->nforwards >= FORWARDS_MAX)
        return;
    f = xcalloc(1, sizeof(*f));
    f->sid = s->id;
    snprintf(f->owner, sizeof(f->owner), "%s", owner);
    f->id = json_object_get(id);
    f->deadline_ms = mono_ns() / 1000000 + FORWARD_TIMEOUT_MS;
    f->next = ws->forwards;
    ws->forwards = f;
    ws->nforwards++;
}

/* Drops the forwards that match (sid and id, or owner): answering them UNAVAILABLE if asked. */
static void
forwards_drop(ws_state *ws, uint64_t sid, struct json_object *id, const char *owner,
              uint64_t expired_before, bool answer)
{
    struct forward **pf = &ws->forwards, *f;

    while ((f = *pf)) {
        bool match = owner ? strcmp(f->owner, owner) == 0
                     : expired_before ? f->deadline_ms < expired_before
                                      : f->sid == sid && json_object_equal(f->id, id);
        if (!match) {
            pf = &f->next;
            continue;
        }
        *pf = f->next;
        ws->nforwards--;
        if (answer) {
            ws_session *s = session_by_id(ws, f->sid);
            if (s && !session_ended(s))
                ws_reply_unavailable(s, f->id, "the process that runs this call did not answer; "
                                               "retry");
        }
        json_object_put(f->id);
        free(f);
        if (!owner && !expired_before)
            return;
    }
}

void
remote_sweep(ws_state *ws, uint64_t now)
{
    if (ws->forwards)
        forwards_drop(ws, 0, NULL, NULL, now, true);
}

static const char *
me(const ws_state *ws)
{
    return ws->srv->cfg->node_id;
}

/* ---- callId -> roomId, learned from what passes through ---- */

static void
learn_call(ws_state *ws, const char *room_id, const char *call_id)
{
    char *old;

    if (!room_id || !call_id || !*call_id || strlen(room_id) >= ROOM_ID_MAX ||
        strlen(call_id) >= CALL_ID_MAX)
        return;
    if (hmap_count(ws->calls) >= CALLS_KNOWN_MAX) {
        /* Bounded: forgotten ones are found again through the owners' announcements. */
        hmap_each(ws->calls, free_str, NULL);
        hmap_free(ws->calls);
        hmap_each(ws->call_of_room, free_str, NULL);
        hmap_free(ws->call_of_room);
        ws->calls = hmap_new();
        ws->call_of_room = hmap_new();
    }
    old = hmap_get(ws->call_of_room, room_id);
    if (old && strcmp(old, call_id) == 0)
        return;
    if (old) {
        /* The room's previous call is over: forget it. */
        char *r = hmap_get(ws->calls, old);
        hmap_del(ws->calls, old);
        free(r);
        hmap_del(ws->call_of_room, room_id);
        free(old);
    }
    hmap_put(ws->calls, call_id, xstrdup(room_id));
    hmap_put(ws->call_of_room, room_id, xstrdup(call_id));
}

const char *
remote_room_of_call(ws_state *ws, const char *call_id)
{
    const char *r = ws->calls ? hmap_get(ws->calls, call_id) : NULL;

    /* Learned from what passed through, else from the owners' announcements. */
    if (!r && ws->srv->router.room_of_call)
        r = ws->srv->router.room_of_call(ws->srv->router.arg, call_id);
    return r;
}

/*
 * What a frame for s tells: a call's room; for a reply, that its request
 * is answered; for an event that puts s out of a room, that s takes no
 * more part in it (the room count the origin keeps, caps.c).
 */
static void
learn_from(ws_state *ws, ws_session *s, const char *text, size_t len, bool reply)
{
    struct json_object *o = NULL, *id;
    const char *type, *room_id;

    if ((!reply || !ws->forwards) && !strstr(text, "\"callId\""))
        return;
    if (json_parse(text, len, &o) != E_OK)
        return;
    room_id = json_get_str(o, "roomId");
    learn_call(ws, room_id, json_get_str(o, "callId"));
    if (reply && json_object_object_get_ex(o, "id", &id))
        forwards_drop(ws, s->id, id, NULL, 0, false);
    type = json_get_str(o, "type");
    if (!reply && type && room_id &&
        (strcmp(type, "GROUP_CALL_ENDED") == 0 || strcmp(type, "GROUP_CALL_REMOVED") == 0 ||
         strcmp(type, "GROUP_CALL_DENIED") == 0))
        caps_room_release(s, room_id);
    json_object_put(o);
}

/* ---- the origin's side ---- */

void
remote_forward(ws_session *s, const char *owner, struct json_object *msg, int hops)
{
    struct json_object *env = json_object_new_object(), *who = json_object_new_object(), *id;

    json_object_object_add(who, "app", json_object_new_string(s->who.app_id));
    json_object_object_add(who, "user", json_object_new_string(s->who.user_id));
    json_object_object_add(who, "name", json_object_new_string(s->who.name));
    /*
     * What the owner's call needs of the token's grants (auth_actor): the
     * room scope and the publish checks were made here, before forwarding.
     */
    if (s->who.grants.admin)
        json_object_object_add(who, "admin", json_object_new_boolean(1));
    if (s->who.grants.publish != PUBLISH_ALL)
        json_object_object_add(who, "publish", json_object_new_int((int)s->who.grants.publish));
    json_object_object_add(env, "op", json_object_new_string("cmd"));
    json_object_object_add(env, "sid", json_object_new_int64((int64_t)s->id));
    json_object_object_add(env, "who", who);
    json_object_object_add(env, "hops", json_object_new_int(hops));
    json_object_object_add(env, "msg", json_object_get(msg));
    s->srv->router.send(s->srv->router.arg, owner, env);
    json_object_put(env);
    if (json_object_object_get_ex(msg, "id", &id))
        forward_track(s->ws, s, owner, id);
}

static void
news(ws_state *ws, uint64_t sid, const char *what)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "op", json_object_new_string("sess"));
    json_object_object_add(o, "sid", json_object_new_int64((int64_t)sid));
    json_object_object_add(o, "ev", json_object_new_string(what));
    ws->srv->router.send(ws->srv->router.arg, NULL, o);
    json_object_put(o);
}

void
remote_session_news(ws_session *s, const char *what)
{
    if (!s->srv->router.send || s->proxy || !s->authed || server_draining(s->srv))
        return;
    news(s->ws, s->id, what);
}

/* A proxy's frame arrives: the session sends it as its own. */
static void
on_out(ws_state *ws, struct json_object *o)
{
    ws_session *s = session_by_id(ws, (uint64_t)json_get_int(o, "sid", 0));
    struct json_object *t;
    const char *text;
    size_t len;

    if (!s || session_ended(s)) {
        /* Gone (its "end" may have been missed by a process that took a call over). */
        news(ws, (uint64_t)json_get_int(o, "sid", 0), "end");
        return;
    }
    if (s->proxy || !json_object_object_get_ex(o, "t", &t) ||
        !json_object_is_type(t, json_type_string))
        return;
    text = json_object_get_string(t);
    len = (size_t)json_object_get_string_len(t);
    if (json_get_bool(o, "e", false)) {
        /* Relayed signals (the bulk) name no call the session does not know. */
        if (strncmp(text, "{\"type\":\"GROUP_CALL_SDP_", 24) != 0 &&
            strncmp(text, "{\"type\":\"GROUP_CALL_ICE_", 24) != 0)
            learn_from(ws, s, text, len, false);
        session_emit_text(s, text, len, 0);
    } else {
        learn_from(ws, s, text, len, true);
        session_send_text(s, text, len);
    }
}

/* The process asked is not the owner (any more): route the command again. */
static void
on_moved(ws_state *ws, struct json_object *o)
{
    ws_session *s = session_by_id(ws, (uint64_t)json_get_int(o, "sid", 0));
    struct json_object *msg, *id;
    const char *room_id;
    int hops = (int)json_get_int(o, "hops", MAX_HOPS);

    if (!s || s->proxy || session_ended(s) || !json_object_object_get_ex(o, "msg", &msg))
        return;
    if (json_object_object_get_ex(msg, "id", &id))
        forwards_drop(ws, s->id, id, NULL, 0, false);
    room_id = json_get_str(msg, "roomId");
    if (!room_id)
        room_id = remote_room_of_call(ws, json_get_str(msg, "callId"));
    if (room_id)
        ws->srv->router.forget(ws->srv->router.arg, room_id);
    ws_route_again(s, msg, hops);
}

/* ---- the owner's side: proxies ---- */

static void
proxy_key(char *out, size_t len, const char *node, const char *boot, uint64_t sid)
{
    snprintf(out, len, "%s/%s/%llx", node, boot ? boot : "", (unsigned long long)sid);
}

static ws_session *
proxy_find(ws_state *ws, const char *node, const char *boot, uint64_t sid)
{
    char key[NODE_ID_MAX + 48];

    proxy_key(key, sizeof(key), node, boot, sid);
    return hmap_get(ws->proxies, key);
}

/*
 * The proxy of session sid of node's run boot (made when new), for user
 * user_id of app_id: a proxy is never reused for another user.
 */
static ws_session *
proxy_get(ws_state *ws, const char *node, const char *boot, uint64_t sid, const char *app_id,
          const char *user_id, const char *name)
{
    ws_session *p = proxy_find(ws, node, boot, sid);
    const app *a;

    if (p && (!app_id || !user_id || strcmp(p->who.app_id, app_id) != 0 ||
              strcmp(p->who.user_id, user_id) != 0)) {
        session_end(p); /* not the session it stood for */
        p = NULL;
    }
    if (!p) {
        if (!app_id || !user_id || strlen(app_id) >= APP_ID_MAX ||
            strlen(user_id) >= sizeof(p->who.user_id) || !boot || strlen(boot) >= 24)
            return NULL;
        p = session_new(ws, NULL);
        p->proxy = true;
        p->authed = true;
        snprintf(p->origin, sizeof(p->origin), "%s", node);
        snprintf(p->origin_boot, sizeof(p->origin_boot), "%s", boot);
        p->origin_sid = sid;
        proxy_key(p->proxy_key, sizeof(p->proxy_key), node, boot, sid);
        snprintf(p->who.app_id, sizeof(p->who.app_id), "%s", app_id);
        snprintf(p->who.user_id, sizeof(p->who.user_id), "%s", user_id);
        grants_default(&p->who.grants);
        hmap_put(ws->proxies, p->proxy_key, p);
    }
    if (name)
        snprintf(p->who.name, sizeof(p->who.name), "%s", name);
    a = apps_find(ws->srv->apps, p->who.app_id);
    p->who.plan = a ? a->plan : &plan_none;
    return p;
}

void
remote_out(ws_session *p, const msgbuf *m)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "op", json_object_new_string("out"));
    json_object_object_add(o, "sid", json_object_new_int64((int64_t)p->origin_sid));
    json_object_object_add(o, "t", json_object_new_string_len((const char *)m->data + LWS_PRE,
                                                              (int)m->len));
    if (m->event)
        json_object_object_add(o, "e", json_object_new_boolean(1));
    p->srv->router.send(p->srv->router.arg, p->origin, o);
    json_object_put(o);
}

static void
on_cmd(ws_state *ws, const char *from, struct json_object *o)
{
    struct json_object *who, *msg;
    ws_session *p;

    if (!json_object_object_get_ex(o, "who", &who) || !json_object_object_get_ex(o, "msg", &msg) ||
        !json_object_is_type(msg, json_type_object))
        return;
    p = proxy_get(ws, from, json_get_str(o, "boot"), (uint64_t)json_get_int(o, "sid", 0),
                  json_get_str(who, "app"), json_get_str(who, "user"), json_get_str(who, "name"));
    if (!p)
        return;
    /* As the origin's session has them now (a refreshed token may change them). */
    p->who.grants.admin = json_get_bool(who, "admin", false);
    p->who.grants.publish = (unsigned)json_get_int(who, "publish", PUBLISH_ALL) & PUBLISH_ALL;
    if (p->lost_with_origin) {
        /* Its process speaks for it again (it had been thought stopped). */
        p->lost_with_origin = false;
        session_back_remote(p);
    }
    ws_run_remote(p, msg, (int)json_get_int(o, "hops", 0));
}

static void
on_news(ws_state *ws, const char *from, struct json_object *o)
{
    ws_session *p = proxy_find(ws, from, json_get_str(o, "boot"), (uint64_t)json_get_int(o, "sid", 0));
    const char *ev = json_get_str(o, "ev");

    if (!p || !ev)
        return;
    if (strcmp(ev, "lost") == 0) {
        p->lost_with_origin = false;
        session_lost_remote(p, false); /* its process runs the grace */
    } else if (strcmp(ev, "back") == 0) {
        session_back_remote(p);
    }
    else if (strcmp(ev, "end") == 0)
        session_end(p);
}

static void
on_cmd_msg(void *arg, struct json_object *o)
{
    const char *from = json_get_str(o, "node");

    if (from && server_node_id_valid(from))
        on_cmd(arg, from, o);
}

static void
on_out_msg(void *arg, struct json_object *o)
{
    on_out(arg, o);
}

static void
on_moved_msg(void *arg, struct json_object *o)
{
    on_moved(arg, o);
}

static void
on_news_msg(void *arg, struct json_object *o)
{
    const char *from = json_get_str(o, "node");

    if (from && server_node_id_valid(from))
        on_news(arg, from, o);
}

typedef struct of_node {
    const char *node, *boot;
    ws_session **items;
    size_t n, cap;
} of_node;

static void
collect_of(const char *key, void *value, void *arg)
{
    of_node *c = arg;
    ws_session *p = value;

    (void)key;
    if (strcmp(p->origin, c->node) != 0 || (c->boot && strcmp(p->origin_boot, c->boot) != 0))
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->items = xrealloc(c->items, c->cap * sizeof(*c->items));
    }
    c->items[c->n++] = p;
}

/* A process stopped: its sessions are lost, and their grace runs here. */
static void
node_down(void *arg, const char *node, const char *boot)
{
    ws_state *ws = arg;
    of_node c = {node, boot && *boot ? boot : NULL, NULL, 0, 0};
    size_t i;

    hmap_each(ws->proxies, collect_of, &c);
    for (i = 0; i < c.n; i++) {
        if (!c.items[i]->in_grace)
            c.items[i]->lost_with_origin = true;
        session_lost_remote(c.items[i], true);
    }
    free(c.items);
    forwards_drop(ws, 0, NULL, node, 0, true); /* what it was asked will not be answered */
}

/* A process thought stopped is heard from again: its sessions it did not report lost are back. */
static void
node_up(void *arg, const char *node, const char *boot)
{
    ws_state *ws = arg;
    of_node c = {node, boot && *boot ? boot : NULL, NULL, 0, 0};
    size_t i;

    hmap_each(ws->proxies, collect_of, &c);
    for (i = 0; i < c.n; i++)
        if (c.items[i]->lost_with_origin) {
            c.items[i]->lost_with_origin = false;
            session_back_remote(c.items[i]);
        }
    free(c.items);
}

/* ---- exports: sessions as references and back ---- */

static struct json_object *
ref(void *arg, uint64_t session)
{
    ws_state *ws = arg;
    ws_session *s = session_by_id(ws, session);
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "n", json_object_new_string(s && s->proxy ? s->origin : me(ws)));
    json_object_object_add(o, "b", json_object_new_string(s && s->proxy ? s->origin_boot
                                                                        : ws->srv->router.boot));
    json_object_object_add(o, "s", json_object_new_int64(
                                       (int64_t)(s && s->proxy ? s->origin_sid : session)));
    if (s) {
        json_object_object_add(o, "a", json_object_new_string(s->who.app_id));
        json_object_object_add(o, "u", json_object_new_string(s->who.user_id));
        json_object_object_add(o, "m", json_object_new_string(s->who.name));
    }
    return o;
}

/* A proxy made for a stopped process's session: lost once the import is done. */
static void
lost_after_import(lws_sorted_usec_list_t *sul)
{
    ws_session *p = lws_container_of(sul, ws_session, sul_grace);

    p->in_grace = false;
    session_lost_remote(p, true);
}

static uint64_t
of(void *arg, const char *room_id, struct json_object *r)
{
    ws_state *ws = arg;
    const char *node = json_get_str(r, "n");
    uint64_t sid = (uint64_t)json_get_int(r, "s", 0);
    ws_session *s;

    if (!node || !sid)
        return 0;
    if (strcmp(node, me(ws)) == 0) {
        const char *b = json_get_str(r, "b");
        if (!b || strcmp(b, ws->srv->router.boot) != 0)
            return 0; /* a session of this node's previous run: gone */
        s = session_by_id(ws, sid);
        return s && !s->proxy && !session_ended(s) && caps_room_has(s, room_id) ? s->id : 0;
    }
    s = proxy_get(ws, node, json_get_str(r, "b"), sid, json_get_str(r, "a"), json_get_str(r, "u"),
                  json_get_str(r, "m"));
    if (!s || !caps_room_take(s, room_id))
        return 0;
    if (!ws->srv->router.alive(ws->srv->router.arg, node) && !s->in_grace) {
        s->in_grace = true; /* until lost_after_import runs */
        s->lost_with_origin = true;
        lws_sul_schedule(ws->srv->ctx, 0, &s->sul_grace, lost_after_import, 1);
    }
    return s->id;
}

/* ---- life ---- */

void
remote_start(ws_state *ws)
{
    call_remote r = {node_down, node_up, ref, of, ws};

    ws->proxies = hmap_new();
    ws->calls = hmap_new();
    ws->call_of_room = hmap_new();
    server_set_remote(ws->srv, &r);
    server_peer_register(ws->srv, "cmd", on_cmd_msg, ws);
    server_peer_register(ws->srv, "out", on_out_msg, ws);
    server_peer_register(ws->srv, "moved", on_moved_msg, ws);
    server_peer_register(ws->srv, "sess", on_news_msg, ws);
}

static void
free_str(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

void
remote_free(ws_state *ws)
{
    if (!ws->proxies)
        return;
    server_peer_unregister(ws->srv, ws);
    while (ws->forwards) {
        struct forward *f = ws->forwards;
        ws->forwards = f->next;
        json_object_put(f->id);
        free(f);
    }
    hmap_free(ws->proxies); /* the proxies themselves are sessions, ended with them */
    hmap_each(ws->calls, free_str, NULL);
    hmap_free(ws->calls);
    hmap_each(ws->call_of_room, free_str, NULL);
    hmap_free(ws->call_of_room);
    ws->proxies = ws->calls = ws->call_of_room = NULL;
}
