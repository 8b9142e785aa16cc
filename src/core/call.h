/*
 * The live call of one room: participants and roles, the waiting queue,
 * host presence, media and screen-share state, moderation and signaling.
 * Pure: commands come in as function calls, events go out through a sink;
 * there are no sockets, timers or database here. The caller (the server
 * glue) owns sessions, persistence and timing.
 *
 * Every command returns E_OK or an error (with a message in *err); a reply
 * object, when one is given, holds the fields that go beside "ok" and is the
 * caller's. Events are emitted after the state has changed, so a reply the
 * caller sends after the command still reaches its actor before events the
 * command caused reach anyone else on the same connection.
 */
#ifndef DPA_CORE_CALL_H
#define DPA_CORE_CALL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/error.h"
#include "core/join.h"
#include "core/plan.h"
#include "core/room.h"

#define CALL_ID_MAX 40
#define CALL_NAME_MAX 201

typedef enum call_role { ROLE_PARTICIPANT = 0, ROLE_CO_HOST = 1, ROLE_HOST = 2 } call_role;

typedef struct live_call live_call;

/* What the state machine tells the glue besides events. */
typedef enum call_note {
    NOTE_CALL_OPENED,   /* a call started: lc->call_id, lc->started_at */
    NOTE_CALL_ENDED,    /* the call ended: call_id, reason, peak */
    /*
     * The call ended and autoCloseWhenEmpty closes the room: one note so the
     * glue persists both in one write (never one without the other). Until
     * the glue applies the committed room (call_room_changed), lc->closing
     * holds: joins see ROOM_CLOSED and the live state is not idle.
     */
    NOTE_CALL_ENDED_ROOM_CLOSE
} call_note;

struct call_member;

typedef struct call_sink {
    /* Delivers event to session. The event is borrowed: copy or encode it. */
    void (*emit)(void *arg, const live_call *lc, uint64_t session, struct json_object *event);
    void (*note)(void *arg, live_call *lc, call_note note, const char *call_id,
                 const char *reason, int peak);
    void *arg;
    /*
     * Optional: adds what the glue knows to a JOINED reply or ADMITTED event
     * for member m (the ICE servers minted for that user).
     */
    void (*joined)(void *arg, const live_call *lc, const struct call_member *m,
                   struct json_object *body);
} call_sink;

typedef struct call_member {
    char user_id[USER_ID_MAX + 1];
    char name[CALL_NAME_MAX];
    call_role role;
    int64_t joined_at;
    bool audio, video, screen;
    bool connected;        /* false while the reconnect grace runs */
    uint64_t session;
} call_member;

typedef struct call_person {
    char user_id[USER_ID_MAX + 1];
    char name[CALL_NAME_MAX];
    int64_t since;
    uint64_t session;
} call_person;

typedef struct call_list {
    call_person *items;
    int count, cap;
} call_list;

struct live_call {
    room *room;            /* the call's own copy, updated on every committed change */
    const plan *plan;
    call_sink sink;
    char call_id[CALL_ID_MAX];  /* "" while no call is live */
    int64_t started_at;
    int peak;
    call_member *members;
    int nmembers, members_cap;
    call_list waiting;     /* queue order */
    call_list askers;      /* told HOST_REQUIRED, waiting for HOST_PRESENT */
    call_list watchers;    /* hosts watching without joining */
    call_list banned;      /* removed with ban:true, for this call */
    char sharer[USER_ID_MAX + 1];
    bool closing;          /* auto-close decided, not yet committed */
    uint64_t write_seq;    /* the glue's: the last store write this call's state depends on */
};

/* Who acts: a user and, over WebSocket, the session it acts from (0 for REST). */
typedef struct call_actor {
    const char *user_id;
    const char *name;
    uint64_t session;
} call_actor;

typedef struct call_err {
    char message[200];
    limit_source limit;    /* for E_ROOM_FULL */
} call_err;

/* Takes ownership of r. */
live_call *call_new(room *r, const plan *p, call_sink sink);
void call_free(live_call *lc);

/*
 * True when nothing is left: no call, nobody waiting, asking or watching,
 * and no auto-close waiting to be committed.
 */
bool call_is_idle(const live_call *lc);

bool call_is_live(const live_call *lc);

/* The role user would have: HOST (room host), CO_HOST (in the call as one), else 0. */
call_role call_rank(const live_call *lc, const char *user_id);

const char *call_role_name(call_role r);

/* JOIN_ROOM. *reply gets status and the rest (JOINED, ROOM_CLOSED, HOST_REQUIRED,
 * WAITING_ROOM_PENDING); errors: E_ROOM_FULL (err->limit), E_FORBIDDEN (banned). */
dpa_err call_join(live_call *lc, const call_actor *a, int64_t now, struct json_object **reply,
                  call_err *err);

/* GROUP_CALL_LEAVE / a session that ended: reason "LEFT" or "DISCONNECTED". */
dpa_err call_leave(live_call *lc, const char *user_id, const char *reason, int64_t now);

/* Whether session is in the call, waiting, asking for a host or watching. */
bool call_has_session(const live_call *lc, uint64_t session);

/* A session ended for good: leave the call, the queue, the askers, the watchers. */
void call_drop_session(live_call *lc, uint64_t session, int64_t now);

/* The session's connection dropped (grace runs) or came back. */
void call_session_lost(live_call *lc, uint64_t session);
void call_session_back(live_call *lc, uint64_t session);

dpa_err call_cancel_wait(live_call *lc, const char *user_id, call_err *err);

/* ADMIT one (target) or everyone waiting now (target NULL). *reply lists who. */
dpa_err call_admit(live_call *lc, const char *actor, const char *target, int64_t now,
                   struct json_object **reply, call_err *err);
dpa_err call_deny(live_call *lc, const char *actor, const char *target, call_err *err);
dpa_err call_mute(live_call *lc, const char *actor, const char *target, const char *kind,
                  call_err *err);
dpa_err call_remove(live_call *lc, const char *actor, const char *target, bool ban,
                    int64_t now, call_err *err);
dpa_err call_set_role(live_call *lc, const char *actor, const char *target, call_role role,
                      call_err *err);
/* END_CALL by actor (a host); actor NULL means the system (reason given). */
dpa_err call_end(live_call *lc, const char *actor, const char *reason, int64_t now,
                 call_err *err);

/* GROUP_CALL_SIGNAL: payload is borrowed. */
dpa_err call_signal(live_call *lc, const char *from, const char *to, const char *signal,
                    struct json_object *payload, call_err *err);
/* audio/video: -1 leaves it as it is. */
dpa_err call_media(live_call *lc, const char *user_id, int audio, int video, call_err *err);
dpa_err call_screen(live_call *lc, const char *user_id, bool start, call_err *err);

dpa_err call_watch(live_call *lc, const call_actor *a, call_err *err);
void call_unwatch(live_call *lc, uint64_t session);

/*
 * A committed change of the room (PATCH). Takes ownership of r and applies
 * its effects: closing ends the call and denies the waiters, waitingRoom off
 * admits them, requireHost off tells the askers, host list changes update
 * roles; members and watchers get ROOM_UPDATED.
 */
void call_room_changed(live_call *lc, room *r, int64_t now);

/* The room was deleted: the call ends (ROOM_DELETED), waiters are denied. */
void call_room_deleted(live_call *lc, int64_t now);

/* The "call" object of the room for viewer (NULL when no call is live). */
struct json_object *call_state_json(const live_call *lc, const char *viewer);

/* The waiting list as a JSON array. */
struct json_object *call_waiting_json(const live_call *lc);

/* The member for user, or NULL. */
call_member *call_member_find(const live_call *lc, const char *user_id);

#endif
