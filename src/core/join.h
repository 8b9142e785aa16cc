/*
 * The join decision of DESIGN §5, as one pure function: facts in, outcome
 * out. The call state machine gathers the facts; this decides, in order:
 * 1 missing room, 2 closed, (already in the call: same JOINED), banned,
 * 3 hosts skip 4 and 5, 4 requireHost without a host present,
 * 5 waiting room, 6 the cap, 7 joined.
 */
#ifndef DPA_CORE_JOIN_H
#define DPA_CORE_JOIN_H

#include <stdbool.h>

#include "core/error.h"

typedef enum join_outcome {
    JOIN_JOINED,
    JOIN_ROOM_CLOSED,
    JOIN_HOST_REQUIRED,
    JOIN_WAITING,
    JOIN_ERR_NOT_FOUND,
    JOIN_ERR_FULL,
    JOIN_ERR_BANNED
} join_outcome;

typedef struct join_facts {
    bool room_found;        /* exists and belongs to the joiner's app */
    bool room_closed;       /* status CLOSED (or closing) */
    bool already_in;        /* the joiner is a participant of the live call */
    bool banned;            /* removed with ban:true from the live call */
    bool is_host;           /* in the room's hosts list */
    bool require_host;
    bool waiting_room;
    bool host_present;      /* a host or co-host is in the call (grace counts) */
    int participants;       /* in the call now (grace counts) */
    int max_participants;   /* room policy, 0 = none */
    int plan_cap;           /* the plan's maxParticipantsPerCall */
} join_facts;

/* The effective cap: min(maxParticipants, plan cap), and which one binds. */
int join_cap(const join_facts *f, limit_source *source);

/* Decides; *source is set for JOIN_ERR_FULL. */
join_outcome join_decide(const join_facts *f, limit_source *source);

#endif
