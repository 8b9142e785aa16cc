#include "core/join.h"

int
join_cap(const join_facts *f, limit_source *source)
{
    if (f->max_participants > 0 && f->max_participants <= f->plan_cap) {
        *source = LIMIT_ROOM;
        return f->max_participants;
    }
    *source = LIMIT_PLAN;
    return f->plan_cap;
}

join_outcome
join_decide(const join_facts *f, limit_source *source)
{
    int cap;

    *source = LIMIT_NONE;
    if (!f->room_found)
        return JOIN_ERR_NOT_FOUND;
    if (f->room_closed)
        return JOIN_ROOM_CLOSED;
    if (f->already_in)
        return JOIN_JOINED; /* the same place, whatever the policy now says */
    if (f->banned)
        return JOIN_ERR_BANNED;
    if (!f->is_host) {
        if (f->require_host && !f->host_present)
            return JOIN_HOST_REQUIRED;
        if (f->waiting_room)
            return JOIN_WAITING;
    }
    cap = join_cap(f, source);
    if (f->participants >= cap)
        return JOIN_ERR_FULL;
    *source = LIMIT_NONE;
    return JOIN_JOINED;
}

