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
    NOTE_CALL_OPENED,   /* a call started: call_id_of(lc), call_started_at(lc) */
    NOTE_CALL_ENDED,    /* the call ended: call_id, reason, peak */
    /*
     * The call ended and autoCloseWhenEmpty closes the room: one note so the
     * glue persists both in one write (never one without the other). Until
     * the glue applies the committed room (call_room_changed) or gives up
     * (call_set_closing false), the call is closing: joins see ROOM_CLOSED
     * and the live state is not idle.
     */
    NOTE_CALL_ENDED_ROOM_CLOSE
} call_note;

/*
 * A change of who is in the call or waiting, told to the glue so it can
 * record it (call history, webhooks) before anything reports it: the sink's
 * fact hook runs after the state changed and before the events that tell
 * the members, so a write the glue starts there is one those events (and
 * the command's reply) can wait for. Strings are borrowed for the call.
 */
typedef enum call_fact_kind {
    FACT_JOINED,      /* user is now in the call (joined, or admitted): role, peak */
    FACT_LEFT,        /* user left the call: reason LEFT | DISCONNECTED | REMOVED */
    FACT_WAITING,     /* user entered the waiting room: position */
    FACT_ADMITTED,    /* user was admitted from the waiting room by `by` (NULL: policy) */
    FACT_DENIED,      /* user was denied: reason DENIED | ROOM_CLOSED | ROOM_DELETED, by */
    /*
     * user stopped waiting without a decision: reason CANCELLED, DISCONNECTED,
     * JOINED (joined straight in, e.g. as a host) or HOST_REQUIRED
     */
    FACT_WAIT_LEFT
} call_fact_kind;

typedef struct call_fact {
    call_fact_kind kind;
    const char *call_id;     /* the live call ("" while none is live) */
    const char *user_id;
    const char *name;
    call_role role;          /* FACT_JOINED, FACT_LEFT */
    const char *reason;      /* FACT_LEFT, FACT_DENIED, FACT_WAIT_LEFT */
    const char *by;          /* FACT_ADMITTED, FACT_DENIED: the moderator, or NULL */
    int position;            /* FACT_WAITING: 1-based place in the queue */
    int peak;                /* FACT_JOINED: the most members the call has had */
    int64_t at;              /* FACT_JOINED: joinedAt; else 0 (the glue's clock) */
} call_fact;

typedef struct call_sink {
    /* Delivers event to session. The event is borrowed: copy or encode it. */
    void (*emit)(void *arg, const live_call *lc, uint64_t session, struct json_object *event);
    void (*note)(void *arg, live_call *lc, call_note note, const char *call_id,
                 const char *reason, int peak);
    void *arg;
    /*
     * Optional: adds what the glue knows to a JOINED reply or ADMITTED event
     * for user_id (the ICE servers minted for that user).
     */
    void (*joined)(void *arg, const live_call *lc, const char *user_id,
                   struct json_object *body);
    /* Optional: a membership change to record (call_fact). */
    void (*fact)(void *arg, live_call *lc, const call_fact *f);
} call_sink;

/*
 * Who acts: a user and, over WebSocket, the session it acts from (0 for
 * REST). The room decides a user's rank (call_rank); what the actor's token
 * says can only raise it or hold media back (docs/api.md, "Grants and admin
 * tokens"), and the glue says so here:
 *
 * - rank: the least rank the actor has whatever the room says. ROLE_HOST
 *   for the app's admin credential (a backend acting on any room of its
 *   app); ROLE_PARTICIPANT (0) otherwise: the room decides. It counts for
 *   moderation, for watching and for seeing the waiting list, and it is
 *   kept with a watcher (checked at every event as the room's rank is). It
 *   never counts for joining: a JOIN is decided by the room for user_id.
 * - no_audio, no_video: the token may not publish that media, so a member
 *   it joins (or is admitted) as starts with it off.
 *
 * A zeroed actor with user_id set is an ordinary user.
 */
typedef struct call_actor {
    const char *user_id;
    const char *name;
    uint64_t session;
    call_role rank;
    bool no_audio, no_video;
} call_actor;

/*
 * The live call of room r (a reference the call keeps: rooms are shared
 * and never changed once shared; a committed change is a new room given to
 * call_room_changed). struct live_call is core's own: outside core/ it is
 * read through the functions below.
 */
live_call *call_new(room *r, const plan *p, call_sink sink);

/* The room as the call sees it (the latest committed version). */
const room *call_room(const live_call *lc);
/* The live call's id, "" while none is live. */
const char *call_id_of(const live_call *lc);
int64_t call_started_at(const live_call *lc);
int call_participant_count(const live_call *lc);
int call_waiting_count(const live_call *lc);
/* The app's plan, replaced when the app registry changes. */
void call_set_plan(live_call *lc, const plan *p);
/*
 * The glue's bookkeeping: the number of the last store write the call's
 * state depends on (replies and events about it wait for that write), and
 * whether an auto-close is decided but not committed.
 */
uint64_t call_write_seq(const live_call *lc);
void call_set_write_seq(live_call *lc, uint64_t seq);
bool call_closing(const live_call *lc);
void call_set_closing(live_call *lc, bool closing);
void call_free(live_call *lc);

/*
 * True when nothing is left: no call, nobody waiting, asking or watching,
 * and no auto-close waiting to be committed.
 */
bool call_is_idle(const live_call *lc);

bool call_is_live(const live_call *lc);

/* The role user would have: HOST (room host), CO_HOST (in the call as one), else 0. */
call_role call_rank(const live_call *lc, const char *user_id);

/* The actor's rank: call_rank of its user, raised to a->rank. */
call_role call_actor_rank(const live_call *lc, const call_actor *a);

const char *call_role_name(call_role r);

/* JOIN_ROOM. *reply gets status and the rest (JOINED, ROOM_CLOSED, HOST_REQUIRED,
 * WAITING_ROOM_PENDING); errors: E_ROOM_FULL (err->limit), E_FORBIDDEN (banned). */
dpa_err call_join(live_call *lc, const call_actor *a, int64_t now, struct json_object **reply,
                  dpa_error *err);

/* GROUP_CALL_LEAVE / a session that ended: reason "LEFT" or "DISCONNECTED". */
dpa_err call_leave(live_call *lc, const char *user_id, const char *reason, int64_t now);

/* Whether session is in the call, waiting, asking for a host or watching. */
bool call_has_session(const live_call *lc, uint64_t session);

/* A session ended for good: leave the call, the queue, the askers, the watchers. */
void call_drop_session(live_call *lc, uint64_t session, int64_t now);

/* The session's connection dropped (grace runs) or came back. */
void call_session_lost(live_call *lc, uint64_t session);
void call_session_back(live_call *lc, uint64_t session);

dpa_err call_cancel_wait(live_call *lc, const char *user_id, dpa_error *err);

/*
 * Moderation. The actor must rank (call_actor_rank) at least co-host
 * (ADMIT, DENY, MUTE, REMOVE) or host (SET_ROLE, END_CALL), else E_FORBIDDEN;
 * a co-host cannot mute or remove a host. Events name the actor's user_id
 * as "by".
 */
/* ADMIT one (target) or everyone waiting now (target NULL). *reply lists who. */
dpa_err call_admit(live_call *lc, const call_actor *a, const char *target, int64_t now,
                   struct json_object **reply, dpa_error *err);
dpa_err call_deny(live_call *lc, const call_actor *a, const char *target, dpa_error *err);
dpa_err call_mute(live_call *lc, const call_actor *a, const char *target, const char *kind,
                  dpa_error *err);
dpa_err call_remove(live_call *lc, const call_actor *a, const char *target, bool ban,
                    int64_t now, dpa_error *err);
dpa_err call_set_role(live_call *lc, const call_actor *a, const char *target, call_role role,
                      dpa_error *err);
/* END_CALL by a (a host); a NULL means the system (reason given). */
dpa_err call_end(live_call *lc, const call_actor *a, const char *reason, int64_t now,
                 dpa_error *err);

/* GROUP_CALL_SIGNAL: payload is borrowed. */
dpa_err call_signal(live_call *lc, const char *from, const char *to, const char *signal,
                    struct json_object *payload, dpa_error *err);
/* audio/video: -1 leaves it as it is. */
dpa_err call_media(live_call *lc, const char *user_id, int audio, int video, dpa_error *err);
dpa_err call_screen(live_call *lc, const char *user_id, bool start, dpa_error *err);

/* WATCH_ROOM: a must rank at least co-host; its rank is kept with the watcher. */
dpa_err call_watch(live_call *lc, const call_actor *a, dpa_error *err);
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

/*
 * The "call" object of the room for viewer (NULL when no call is live):
 * "waiting" is there when the viewer ranks at least co-host. viewer NULL
 * sees what anyone sees.
 */
struct json_object *call_state_json(const live_call *lc, const call_actor *viewer);

/* The waiting list as a JSON array. */
struct json_object *call_waiting_json(const live_call *lc);

/*
 * Export and import, for a takeover by another process (cluster mode): the
 * call's members, roles, media, waiting list, askers, watchers and bans as
 * JSON. Sessions are process-local numbers, so the glue maps each one to a
 * reference (ref: a new JSON value) and back (of, for the room: 0 when that
 * session is gone for good, and the person is left out). call_import fills a fresh
 * live state of the same room without emitting anything; it returns
 * E_NO_LIVE_CALL when nobody is left (the call is not live then) and
 * E_BAD_REQUEST when state is not an export.
 */
typedef struct json_object *(*call_session_ref)(void *arg, uint64_t session);
typedef uint64_t (*call_session_of)(void *arg, const char *room_id, struct json_object *ref);
struct json_object *call_export(const live_call *lc, call_session_ref ref, void *arg);
dpa_err call_import(live_call *lc, struct json_object *state, call_session_of of, void *arg);

/* The member for user, or NULL. */
/* Whether user_id is a member (the grace counts). */
bool call_is_member(const live_call *lc, const char *user_id);

#endif
