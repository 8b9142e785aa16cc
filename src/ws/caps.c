/*
 * Every per-user and per-session resource of the WebSocket side, counted
 * here and nowhere else (DESIGN §8, docs/limits.md):
 *
 *   per user    open connections  cfg->ws_conns_per_user  refused (RATE_LIMITED)
 *               sessions, live    WS_SESSIONS_PER_USER    the oldest one in the
 *               or in the grace   (x conns cap)           grace ends (DISCONNECTED)
 *   per session rooms it takes    WS_ROOMS_PER_SESSION    refused (RATE_LIMITED)
 *               part in (joined,
 *               waiting, asking,
 *               watching)
 *   per session outbound bytes    cfg->ws_queue_max       connection dropped (1008)
 *               replay ring       WS_REPLAY_EVENTS/BYTES  oldest events dropped
 *   per message reassembly        WS_FRAME_MAX            connection closed (1009)
 *   per session commands          cfg->ws_rate/ws_burst   RATE_LIMITED replies
 *
 * A user is appId + userId. The user record lists its sessions oldest
 * first, so the one to end when a new session would go over the cap is
 * found without a scan of every session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "server/log.h"
#include "ws/internal.h"

typedef struct user_res {
    char key[APP_ID_MAX + USER_ID_MAX + 4];
    int conns;                     /* connections carrying an authenticated session */
    lws_dll2_owner_t sessions;     /* registered sessions, live or in the grace, oldest first */
} user_res;

static user_res *
user_of(const ws_session *s, bool create)
{
    char key[APP_ID_MAX + USER_ID_MAX + 4];
    user_res *u;

    snprintf(key, sizeof(key), "%s\x1f%s", s->who.app_id, s->who.user_id);
    u = hmap_get(s->ws->users, key);
    if (!u && create) {
        u = xcalloc(1, sizeof(*u));
        memcpy(u->key, key, sizeof(key));
        hmap_put(s->ws->users, u->key, u);
    }
    return u;
}

static void
user_drop_if_unused(ws_state *ws, user_res *u)
{
    if (u->conns == 0 && u->sessions.count == 0) {
        hmap_del(ws->users, u->key);
        free(u);
    }
}

bool
caps_conn_take(ws_session *s)
{
    user_res *u;

    if (s->counted)
        return true;
    u = user_of(s, true);
    if (u->conns >= s->srv->cfg->ws_conns_per_user) {
        user_drop_if_unused(s->ws, u);
        return false;
    }
    u->conns++;
    s->counted = true;
    return true;
}

void
caps_conn_release(ws_session *s)
{
    user_res *u;

    if (!s->counted)
        return;
    s->counted = false;
    if ((u = user_of(s, false))) {
        u->conns--;
        user_drop_if_unused(s->ws, u);
    }
}

int
caps_sessions_max(const ws_state *ws)
{
    return ws->srv->cfg->ws_conns_per_user * WS_SESSIONS_PER_CONN;
}

void
caps_session_add(ws_session *s)
{
    user_res *u = user_of(s, true);
    lws_dll2_t *d;

    lws_dll2_add_tail(&s->user_link, &u->sessions);
    /*
     * Over the cap, the oldest session in the grace goes: a client that
     * reconnects without RESUME again and again cannot pile up sessions
     * (each with its replay ring). Live ones are bounded by the
     * connection cap, so one in the grace always exists here.
     */
    while ((int)u->sessions.count > caps_sessions_max(s->ws)) {
        ws_session *old = NULL;
        for (d = lws_dll2_get_head(&u->sessions); d && !old; d = d->next)
            if (lws_container_of(d, ws_session, user_link)->in_grace)
                old = lws_container_of(d, ws_session, user_link);
        if (!old)
            break;
        s->ws->stats.sessions_evicted++;
        dlog(LOG_INFO, "msg=\"session in grace ended: too many sessions\" user=\"%s\"",
             s->who.user_id);
        session_end(old); /* calls caps_session_remove */
    }
}

void
caps_session_remove(ws_session *s)
{
    user_res *u;

    if (lws_dll2_is_detached(&s->user_link))
        return;
    u = lws_container_of(lws_dll2_owner(&s->user_link), user_res, sessions);
    lws_dll2_remove(&s->user_link);
    user_drop_if_unused(s->ws, u);
}

static int
room_index(const ws_session *s, const char *room_id)
{
    int i;

    for (i = 0; i < s->nrooms; i++)
        if (strcmp(s->rooms[i], room_id) == 0)
            return i;
    return -1;
}

/* Forgets the rooms the session no longer takes part in (left, denied, removed...). */
static void
prune_rooms(ws_session *s)
{
    int i;

    for (i = s->nrooms - 1; i >= 0; i--) {
        live_call *lc = live_find(s->srv, s->rooms[i]);
        /*
         * In cluster mode a room without live state here may be another
         * process's: it stays counted until the session leaves it (remote.c).
         */
        if (lc ? !call_has_session(lc, s->id) : !s->srv->router.locate)
            caps_room_release(s, s->rooms[i]);
    }
}

bool
caps_room_take(ws_session *s, const char *room_id)
{
    if (room_index(s, room_id) >= 0)
        return true;
    if (s->nrooms >= WS_ROOMS_PER_SESSION)
        prune_rooms(s);
    if (s->nrooms >= WS_ROOMS_PER_SESSION)
        return false;
    s->rooms = xrealloc(s->rooms, sizeof(*s->rooms) * (size_t)(s->nrooms + 1));
    snprintf(s->rooms[s->nrooms++], ROOM_ID_MAX, "%s", room_id);
    return true;
}

bool
caps_room_has(const ws_session *s, const char *room_id)
{
    return room_index(s, room_id) >= 0;
}

void
caps_room_release(ws_session *s, const char *room_id)
{
    int i = room_index(s, room_id);

    if (i < 0)
        return;
    s->nrooms--;
    if (i != s->nrooms)
        memcpy(s->rooms[i], s->rooms[s->nrooms], ROOM_ID_MAX);
}
