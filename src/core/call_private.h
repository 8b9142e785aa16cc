/*
 * The live call's own state. core/call.c and core's tests only: everything
 * else reads a live_call through the functions of call.h
 * (scripts/check-layers.py checks who includes this).
 */
#ifndef DPA_CORE_CALL_PRIVATE_H
#define DPA_CORE_CALL_PRIVATE_H

#include "core/call.h"

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
    call_role rank;        /* the actor's rank floor (call_actor): a watcher's admin grant */
    bool no_audio, no_video;  /* a waiter admitted later starts with them off */
} call_person;

typedef struct call_list {
    call_person *items;
    int count, cap;
} call_list;

struct live_call {
    room *room;            /* a shared reference: the latest committed version */
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

/* The member user_id, or NULL. */
call_member *call_member_find(const live_call *lc, const char *user_id);

#endif
