/*
 * Live calls on the loop: which rooms have live state, loading a room on
 * first use, persisting what the state machine notes (call records,
 * auto-close) and tells (membership facts: participant sessions and their
 * webhook events), and applying committed room changes to live calls.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "server/internal.h"
#include "server/log.h"

/* ---- persistence of call notes ---- */

/*
 * JOB_ROOM_RELOAD: another node changed a room this node has live state
 * for. JOB_BARRIER reads nothing: its done runs once every job submitted
 * before it has completed (jobs complete in submission order).
 */
enum { JOB_CALL_OPEN, JOB_CALL_CLOSE, JOB_ROOM_LOAD, JOB_ROOM_RELOAD, JOB_BARRIER, JOB_FACT };

/* Cluster mode: a room this process claimed and has not taken over yet. */
typedef struct live_claim {
    uint64_t gen;                /* which claim (a job checks it is still the current one) */
    int64_t epoch;
    struct json_object *state;   /* the previous owner's export, or NULL */
    bool loading;                /* the takeover's store read is on its way */
} live_claim;

typedef struct live_job {
    store_job job;
    server *srv;
    int kind;
    char call_id[CALL_ID_MAX];
    char app_id[APP_ID_MAX];
    char room_id[ROOM_ID_MAX];
    char reason[32];
    int64_t at;
    int peak;
    int64_t epoch;                               /* fencing token of the call's owner; 0: none */
    bool close_room;                             /* JOB_CALL_CLOSE: and auto-close */
    uint64_t claim;                              /* JOB_ROOM_LOAD: a takeover (its claim's gen) */
    char open_call[CALL_ID_MAX];                 /* ... the call record it found open */
    uint64_t seq;                                /* the write's number (srv->writes_*) */
    room *room;                                  /* the closed or loaded room */
    const plan *plan;
    void (*fn)(void *arg, live_call *lc, dpa_err e); /* JOB_ROOM_LOAD */
    void (*barrier)(void *arg);                  /* JOB_BARRIER */
    void *arg;
    /* JOB_FACT: the fact, its strings copied into the job (pointers set when it runs). */
    call_fact fact;
    char user_id[USER_ID_MAX + 1];
    char name[CALL_NAME_MAX];
    char by[USER_ID_MAX + 1];
} live_job;

static void
live_job_run(store_job *job, store *s)
{
    live_job *j = (live_job *)job;

    switch (j->kind) {
    case JOB_CALL_OPEN:
        job->result = store_call_open(s, j->call_id, j->app_id, j->room_id, j->at, j->epoch);
        break;
    case JOB_CALL_CLOSE:
        /* The call's end and the room's auto-close commit together or not at all. */
        job->result = store_call_close(s, j->call_id, j->at, j->reason, j->peak, j->epoch);
        if (job->result != E_OK || !j->close_room)
            break;
        job->result = store_room_get_for_update(s, j->app_id, j->room_id, &j->room);
        if (job->result == E_OK && j->room->status == ROOM_ACTIVE) {
            job->result = room_close(j->room, j->at);
            if (job->result == E_OK)
                job->result = store_room_update(s, j->room);
        }
        break;
    case JOB_ROOM_LOAD:
        job->result = store_room_get(s, j->app_id, j->room_id, &j->room);
        if (job->result == E_OK && j->claim)
            job->result = store_call_fence(s, j->app_id, j->room_id, j->epoch, j->open_call);
        break;
    case JOB_ROOM_RELOAD:
        job->result = store_room_get(s, j->app_id, j->room_id, &j->room);
        break;
    case JOB_BARRIER:
        job->result = E_OK;
        break;
    case JOB_FACT:
        j->fact.call_id = j->call_id;
        j->fact.user_id = j->user_id;
        j->fact.name = j->name;
        j->fact.reason = j->reason;
        j->fact.by = j->by[0] ? j->by : NULL;
        job->result = store_call_fact(s, j->app_id, j->room_id, &j->fact, j->at, j->epoch);
        break;
    }
}

static live_call *attach(server *srv, room *r, const plan *p);
static void take_over(server *srv, live_call *lc, live_job *j, live_claim *c);
static live_claim *current_claim(server *srv, const live_job *j);
static bool owned_here(server *srv, const char *room_id);
static void unclaim(server *srv, const char *room_id);
static void detach(server *srv, live_call *lc);
static void run_after_writes(server *srv);
static void reload(server *srv, const live_call *lc);
static void reloaded(server *srv, live_job *j);

static void
live_job_done(store_job *job)
{
    live_job *j = (live_job *)job;
    server *srv = j->srv;
    live_call *lc;

    switch (j->kind) {
    case JOB_CALL_OPEN:
    case JOB_CALL_CLOSE:
        if (job->result != E_OK)
            dlog(LOG_ERROR, "msg=\"cannot record the call\" call=%s room=%s close_room=%d err=%s",
                 j->call_id, j->room_id, j->close_room, error_code(job->result));
        lc = live_find(srv, j->room_id);
        if (j->close_room && job->result == E_OK && j->room && j->room->status == ROOM_CLOSED) {
            dlog(LOG_INFO, "msg=\"room auto-closed\" room=%s", j->room_id);
            live_room_committed(srv, j->room); /* may reap the live state */
            lc = live_find(srv, j->room_id);
        } else if (j->close_room && lc) {
            call_set_closing(lc, false); /* not closed after all: the room stays usable */
        }
        if (j->close_room && lc)
            live_reap(srv, lc);
        live_write_done(srv, j->seq);
        break;
    case JOB_ROOM_LOAD:
        lc = NULL;
        if (j->claim && current_claim(srv, j) == NULL) {
            job->result = E_UNAVAILABLE; /* the claim went meanwhile (lost, handed over) */
        } else if (j->claim && job->result != E_OK) {
            dlog(LOG_WARN, "msg=\"cannot take a call over\" room=%s err=%s", j->room_id,
                 error_code(job->result));
            unclaim(srv, j->room_id);
            if (srv->router.released)
                srv->router.released(srv->router.arg, j->room_id, 0);
        }
        if (job->result == E_OK && !live_find(srv, j->room_id) && !owned_here(srv, j->room_id))
            job->result = E_UNAVAILABLE; /* cluster mode: live state only under a lease */
        if (job->result == E_OK) {
            /* One version, shared by the cache and the live call. */
            roomcache_put(srv->rooms, room_ref(j->room));
            lc = live_find(srv, j->room_id);
            if (!lc)
                lc = attach(srv, room_ref(j->room), j->plan);
            if (j->claim)
                take_over(srv, lc, j, current_claim(srv, j));
            /* Another node wrote it while it was read: read it again. */
            if (call_room(lc)->version < roomcache_floor(srv->rooms, j->room_id))
                reload(srv, lc);
        }
        j->fn(j->arg, lc, lc ? E_OK : job->result);
        break;
    case JOB_ROOM_RELOAD:
        reloaded(srv, j);
        break;
    case JOB_BARRIER:
        j->barrier(j->arg);
        break;
    case JOB_FACT:
        if (job->result != E_OK)
            dlog(LOG_ERROR, "msg=\"cannot record a membership change\" room=%s call=%s user=%s "
                            "fact=%d err=%s",
                 j->room_id, j->call_id, j->user_id, (int)j->fact.kind, error_code(job->result));
        live_write_done(srv, j->seq);
        break;
    }
    room_free(j->room);
    free(j);
}

static live_job *
job_new(server *srv, int kind, const live_call *lc)
{
    live_job *j = xcalloc(1, sizeof(*j));

    j->job.run = live_job_run;
    j->job.done = live_job_done;
    j->srv = srv;
    j->kind = kind;
    if (lc) {
        snprintf(j->app_id, sizeof(j->app_id), "%s", call_room(lc)->app_id);
        snprintf(j->room_id, sizeof(j->room_id), "%s", call_room(lc)->id);
    }
    return j;
}

/* ---- acknowledgements wait for the writes they report ---- */

typedef struct after_writes {
    struct after_writes *next;
    uint64_t seq;
    void (*fn)(void *arg);
    void *arg;
} after_writes;

void
live_after_writes(server *srv, uint64_t seq, void (*fn)(void *arg), void *arg)
{
    after_writes *a, **p;

    if (seq <= srv->writes_done) {
        fn(arg);
        return;
    }
    a = xmalloc(sizeof(*a));
    a->next = NULL;
    a->seq = seq;
    a->fn = fn;
    a->arg = arg;
    for (p = &srv->after_writes; *p; p = &(*p)->next)
        ;
    *p = a;
}

uint64_t
live_write_begin(server *srv)
{
    if (srv->nopen_writes == srv->cap_open_writes) {
        srv->cap_open_writes = srv->cap_open_writes ? 2 * srv->cap_open_writes : 64;
        srv->open_writes = xrealloc(srv->open_writes,
                                    srv->cap_open_writes * sizeof(*srv->open_writes));
    }
    srv->open_writes[srv->nopen_writes++] = ++srv->writes_submitted;
    return srv->writes_submitted;
}

void
live_write_done(server *srv, uint64_t seq)
{
    size_t i;

    for (i = 0; i < srv->nopen_writes && srv->open_writes[i] != seq; i++)
        ;
    if (i == srv->nopen_writes)
        return; /* not open (completed already) */
    memmove(srv->open_writes + i, srv->open_writes + i + 1,
            (srv->nopen_writes - i - 1) * sizeof(*srv->open_writes));
    srv->nopen_writes--;
    /* Store writes complete in order, announcements too, but not with each other. */
    srv->writes_done = srv->nopen_writes ? srv->open_writes[0] - 1 : srv->writes_submitted;
    run_after_writes(srv);
}

/* Runs the waiters whose writes have committed (in the order they came). */
static void
run_after_writes(server *srv)
{
    after_writes *a;

    while ((a = srv->after_writes) && a->seq <= srv->writes_done) {
        srv->after_writes = a->next;
        a->fn(a->arg);
        free(a);
    }
    if (srv->delivery.committed)
        srv->delivery.committed(srv->delivery.arg);
}

/*
 * Cluster mode: the call changed, so its export is written again; what
 * reports the change (this event, the command's reply) waits for that
 * write as for a store write, so a process that takes the call over after
 * a crash knows everything its clients were told.
 */
static void
exported(server *srv, live_call *lc)
{
    uint64_t seq;

    if (!srv->router.dirty)
        return;
    seq = srv->router.dirty(srv->router.arg, call_room(lc)->id);
    if (seq > call_write_seq(lc))
        call_set_write_seq(lc, seq);
}

static void
on_note(void *arg, live_call *lc, call_note note, const char *call_id, const char *reason,
        int peak)
{
    server *srv = arg;
    live_job *j;

    switch (note) {
    case NOTE_CALL_OPENED:
        hmap_put(srv->live_by_call, call_id, lc);
        if (srv->router.call_live)
            srv->router.call_live(srv->router.arg, call_room(lc)->id, call_id);
        srv->calls_total++;
        j = job_new(srv, JOB_CALL_OPEN, lc);
        snprintf(j->call_id, sizeof(j->call_id), "%s", call_id);
        j->at = call_started_at(lc);
        dlog(LOG_INFO, "msg=\"call started\" room=%s call=%s", call_room(lc)->id, call_id);
        break;
    case NOTE_CALL_ENDED:
    case NOTE_CALL_ENDED_ROOM_CLOSE:
    default:
        hmap_del(srv->live_by_call, call_id);
        if (srv->router.call_live)
            srv->router.call_live(srv->router.arg, call_room(lc)->id, NULL);
        j = job_new(srv, JOB_CALL_CLOSE, lc);
        snprintf(j->call_id, sizeof(j->call_id), "%s", call_id);
        snprintf(j->reason, sizeof(j->reason), "%s", reason ? reason : "EMPTY");
        j->at = now_ms();
        j->peak = peak;
        j->close_room = note == NOTE_CALL_ENDED_ROOM_CLOSE;
        dlog(LOG_INFO, "msg=\"call ended\" room=%s call=%s reason=%s peak=%d close_room=%d",
             call_room(lc)->id, call_id, j->reason, peak, j->close_room);
        break;
    }
    if (srv->router.epoch)
        j->epoch = srv->router.epoch(srv->router.arg, call_room(lc)->id);
    /* Replies and events that report this change wait for its commit. */
    j->seq = live_write_begin(srv);
    call_set_write_seq(lc, j->seq);
    exported(srv, lc);
    server_submit(srv, &j->job);
}

/*
 * A membership change (core/call.h) becomes a store write: the participant
 * session and the webhook event, in one transaction. What reports it (the
 * JOINED reply, the events the state machine sends next, a moderator's
 * 2xx) waits for that write, as for a call record.
 */
static void
on_fact(void *arg, live_call *lc, const call_fact *f)
{
    server *srv = arg;
    live_job *j = job_new(srv, JOB_FACT, lc);

    j->fact = *f;
    snprintf(j->call_id, sizeof(j->call_id), "%s", f->call_id ? f->call_id : "");
    snprintf(j->user_id, sizeof(j->user_id), "%s", f->user_id);
    snprintf(j->name, sizeof(j->name), "%s", f->name ? f->name : "");
    snprintf(j->reason, sizeof(j->reason), "%s", f->reason ? f->reason : "");
    snprintf(j->by, sizeof(j->by), "%s", f->by ? f->by : "");
    j->at = f->at > 0 ? f->at : now_ms();
    if (srv->router.epoch)
        j->epoch = srv->router.epoch(srv->router.arg, call_room(lc)->id);
    j->seq = live_write_begin(srv);
    call_set_write_seq(lc, j->seq);
    exported(srv, lc);
    server_submit(srv, &j->job);
}

static void
on_emit(void *arg, const live_call *lc, uint64_t session, struct json_object *ev)
{
    server *srv = arg;

    const char *type = json_get_str(ev, "type");

    /* A relayed signal (SDP, ICE) changes no state: the export stays as it is. */
    if (!type || (strncmp(type, "GROUP_CALL_SDP_", 15) != 0 &&
                  strcmp(type, "GROUP_CALL_ICE_CANDIDATE") != 0))
        exported((server *)srv, (live_call *)lc);
    if (srv->delivery.emit)
        srv->delivery.emit(srv->delivery.arg, session, ev, call_write_seq(lc));
}

/* Every JOINED reply and ADMITTED event carries ICE servers minted for its user. */
static void
on_joined(void *arg, const live_call *lc, const char *user_id, struct json_object *body)
{
    const server *srv = arg;

    int64_t expires = 0;

    json_object_object_add(body, "iceServers",
                           ice_servers_json(&srv->cfg->ice, call_room(lc)->app_id, user_id,
                                            now_ms(), &expires));
    json_object_object_add(body, "iceServersExpireAt",
                           expires ? json_object_new_int64(expires) : NULL);
}

/* ---- lookup and lifetime ---- */

live_call *
live_find(server *srv, const char *room_id)
{
    return hmap_get(srv->live_by_room, room_id);
}

live_call *
live_find_call(server *srv, const char *call_id)
{
    return hmap_get(srv->live_by_call, call_id);
}

static live_call *
attach(server *srv, room *r, const plan *p)
{
    call_sink sink = {on_emit, on_note, srv, on_joined, on_fact};
    live_call *lc = call_new(r, p, sink);

    hmap_put(srv->live_by_room, r->id, lc);
    return lc;
}

static void
detach(server *srv, live_call *lc)
{
    char id[ROOM_ID_MAX];

    uint64_t seq = call_write_seq(lc);

    snprintf(id, sizeof(id), "%s", call_room(lc)->id);
    hmap_del(srv->live_by_room, id);
    if (call_is_live(lc))
        hmap_del(srv->live_by_call, call_id_of(lc));
    call_free(lc);
    if (srv->router.released)
        srv->router.released(srv->router.arg, id, seq); /* once its call's end is recorded */
}

void
live_reap(server *srv, live_call *lc)
{
    if (lc && call_is_idle(lc))
        detach(srv, lc);
}

typedef struct with_room {
    server *srv;
    async_req *req;
    void (*fn)(void *arg, live_call *lc, dpa_err e);
    void (*cleanup)(void *arg);
    void *arg;
} with_room;

static void
with_room_loaded(void *arg, live_call *lc, dpa_err e)
{
    with_room w = *(with_room *)arg;

    free(arg);
    if (async_release(w.req))
        w.fn(w.arg, lc, e);
    live_reap(w.srv, lc);
    if (w.cleanup)
        w.cleanup(w.arg);
}

void
live_with_room(server *srv, async_req *req, const char *app_id, const char *room_id,
               const plan *p, void (*fn)(void *arg, live_call *lc, dpa_err e),
               void (*cleanup)(void *arg), void *arg)
{
    with_room *w = xmalloc(sizeof(*w));

    w->srv = srv;
    w->req = req;
    w->fn = fn;
    w->cleanup = cleanup;
    w->arg = arg;
    async_hold(req);
    live_open(srv, app_id, room_id, p, with_room_loaded, w);
}

void
live_open(server *srv, const char *app_id, const char *room_id, const plan *p,
          void (*fn)(void *arg, live_call *lc, dpa_err e), void *arg)
{
    live_call *lc = live_find(srv, room_id);
    live_claim *c;
    room *r;
    live_job *j;

    if (lc) {
        if (strcmp(call_room(lc)->app_id, app_id) == 0)
            fn(arg, lc, E_OK);
        else
            fn(arg, NULL, E_ROOM_NOT_FOUND);
        return;
    }
    if (strlen(room_id) >= ROOM_ID_MAX || strncmp(room_id, "rm_", 3) != 0) {
        fn(arg, NULL, E_ROOM_NOT_FOUND);
        return;
    }
    c = hmap_get(srv->claims, room_id);
    r = c ? NULL : roomcache_get(srv->rooms, room_id); /* a takeover reads the store */
    if (r) {
        if (strcmp(r->app_id, app_id) != 0)
            fn(arg, NULL, E_ROOM_NOT_FOUND);
        else if (!owned_here(srv, room_id))
            fn(arg, NULL, E_UNAVAILABLE); /* cluster mode: live state only under a lease */
        else
            fn(arg, attach(srv, room_ref(r), p), E_OK);
        return;
    }
    j = job_new(srv, JOB_ROOM_LOAD, NULL);
    snprintf(j->app_id, sizeof(j->app_id), "%s", app_id);
    snprintf(j->room_id, sizeof(j->room_id), "%s", room_id);
    j->plan = p;
    j->fn = fn;
    j->arg = arg;
    if (c && !c->loading) {
        c->loading = true;
        j->claim = c->gen;
        j->epoch = c->epoch;
    }
    server_submit(srv, &j->job);
}

/* ---- cluster mode: taking calls over, handing them on ---- */

/* The claim a takeover job was made for, if it is still the room's current one. */
static live_claim *
current_claim(server *srv, const live_job *j)
{
    live_claim *c = hmap_get(srv->claims, j->room_id);
    return c && c->gen == j->claim ? c : NULL;
}

/* Whether live state of room_id may be here: always on one node, under a lease in a cluster. */
static bool
owned_here(server *srv, const char *room_id)
{
    return !srv->router.epoch || srv->router.epoch(srv->router.arg, room_id) > 0;
}

static void
unclaim(server *srv, const char *room_id)
{
    live_claim *c = hmap_get(srv->claims, room_id);

    if (!c)
        return;
    hmap_del(srv->claims, room_id);
    json_object_put(c->state);
    free(c);
}

/*
 * The takeover's store read is back (the call record fenced): the previous
 * owner's export becomes this live state, or a call it left open without
 * one ends. No event goes out: the members' clients saw nothing change.
 */
static void
take_over(server *srv, live_call *lc, live_job *j, live_claim *c)
{
    const char *was = c->state ? json_get_str(c->state, "callId") : NULL;
    dpa_err e = E_NO_LIVE_CALL;

    /* The export continues the call only if it is of the call the store has open. */
    if (was && j->open_call[0] && strcmp(was, j->open_call) == 0 && !call_is_live(lc) &&
        srv->remote.of)
        e = call_import(lc, c->state, srv->remote.of, srv->remote.arg);
    if (e == E_OK) {
        hmap_put(srv->live_by_call, call_id_of(lc), lc);
        if (srv->router.call_live)
            srv->router.call_live(srv->router.arg, j->room_id, call_id_of(lc));
        dlog(LOG_INFO, "msg=\"call taken over\" room=%s call=%s epoch=%lld participants=%d",
             j->room_id, call_id_of(lc), (long long)c->epoch, call_participant_count(lc));
    } else if (j->open_call[0]) {
        /* Nothing (or nobody) to continue it with: it ended when its owner stopped. */
        live_job *k = job_new(srv, JOB_CALL_CLOSE, lc);
        snprintf(k->call_id, sizeof(k->call_id), "%s", j->open_call);
        snprintf(k->reason, sizeof(k->reason), "SERVER_RESTART");
        k->at = now_ms();
        k->epoch = c->epoch;
        k->seq = live_write_begin(srv);
        dlog(LOG_INFO, "msg=\"call of a stopped owner ended\" room=%s call=%s", j->room_id,
             j->open_call);
        server_submit(srv, &k->job);
    }
    unclaim(srv, j->room_id);
    j->claim = 0;
    exported(srv, lc);
}

static void
claimed_loaded(void *arg, live_call *lc, dpa_err e)
{
    server *srv = arg;

    (void)e;
    live_reap(srv, lc);
}

void
live_claimed(server *srv, const char *app_id, const char *room_id, int64_t epoch,
             struct json_object *state)
{
    live_claim *c;
    const app *a;

    unclaim(srv, room_id);
    if (live_find(srv, room_id))
        return; /* already here (a lease renewed after Redis lost it) */
    c = xcalloc(1, sizeof(*c));
    c->gen = ++srv->claims_made;
    c->epoch = epoch;
    c->state = json_object_get(state);
    hmap_put(srv->claims, room_id, c);
    if (!app_id)
        return; /* the command that claimed it opens it */
    a = apps_find(srv->apps, app_id);
    live_open(srv, app_id, room_id, a ? a->plan : &plan_none, claimed_loaded, srv);
}

bool
live_claim_pending(server *srv, const char *room_id)
{
    live_claim *c = hmap_get(srv->claims, room_id);
    return c && c->loading;
}

void
live_disown(server *srv, const char *room_id)
{
    live_call *lc = live_find(srv, room_id);

    unclaim(srv, room_id);
    if (!lc)
        return;
    dlog(LOG_INFO, "msg=\"call no longer owned here\" room=%s", room_id);
    hmap_del(srv->live_by_room, room_id);
    if (call_is_live(lc))
        hmap_del(srv->live_by_call, call_id_of(lc));
    call_free(lc);
}

struct json_object *
live_export(server *srv, const char *room_id)
{
    live_call *lc = live_find(srv, room_id);
    struct json_object *o;

    if (!lc || !call_is_live(lc) || !srv->remote.ref)
        return NULL;
    o = call_export(lc, srv->remote.ref, srv->remote.arg);
    json_object_object_add(o, "app", json_object_new_string(call_room(lc)->app_id));
    return o;
}

/* A committed version r reaches the cache and the live call (if any). */
static void
apply_room(server *srv, const room *r)
{
    live_call *lc;

    roomcache_put(srv->rooms, room_ref(r));
    if (!(lc = live_find(srv, r->id)))
        return;
    call_room_changed(lc, room_ref(r), now_ms());
    live_reap(srv, lc);
}

static void
apply_delete(server *srv, const char *room_id)
{
    live_call *lc = live_find(srv, room_id);

    roomcache_remove(srv->rooms, room_id);
    if (!lc)
        return;
    call_room_deleted(lc, now_ms());
    detach(srv, lc);
}

void
live_room_committed(server *srv, const room *r)
{
    apply_room(srv, r);
    if (srv->bus.committed)
        srv->bus.committed(srv->bus.arg, r, live_write_begin(srv));
}

void
live_room_deleted(server *srv, const char *room_id)
{
    char id[ROOM_ID_MAX];

    snprintf(id, sizeof(id), "%s", room_id); /* room_id may live in what is freed */
    apply_delete(srv, id);
    if (srv->bus.deleted)
        srv->bus.deleted(srv->bus.arg, id, live_write_begin(srv));
}

/* Reads lc's room again (another node changed it); reloaded() applies it. */
static void
reload(server *srv, const live_call *lc)
{
    live_job *j = job_new(srv, JOB_ROOM_RELOAD, lc);
    server_submit(srv, &j->job);
}

static void
reloaded(server *srv, live_job *j)
{
    live_call *lc = live_find(srv, j->room_id);

    if (j->job.result == E_OK) {
        /* The cache takes it unless a newer write was announced meanwhile. */
        if (lc && call_room(lc)->version < j->room->version)
            apply_room(srv, j->room);
        else
            roomcache_put(srv->rooms, room_ref(j->room));
    } else if (j->job.result == E_ROOM_NOT_FOUND) {
        roomcache_invalidate(srv->rooms, j->room_id, INT64_MAX);
        apply_delete(srv, j->room_id);
    } else {
        dlog(LOG_ERROR, "msg=\"cannot reload a room changed by another node\" room=%s err=%s",
             j->room_id, error_code(j->job.result));
    }
}

void
live_room_changed_elsewhere(server *srv, const char *room_id, int64_t version)
{
    live_call *lc;

    roomcache_invalidate(srv->rooms, room_id, version);
    lc = live_find(srv, room_id);
    if (lc && call_room(lc)->version < version)
        reload(srv, lc);
}

void
live_room_deleted_elsewhere(server *srv, const char *room_id)
{
    roomcache_invalidate(srv->rooms, room_id, INT64_MAX);
    apply_delete(srv, room_id);
}

void
live_cache_enable(server *srv, bool on)
{
    roomcache_set_enabled(srv->rooms, on);
}

static void
reload_one(const char *key, void *value, void *arg)
{
    (void)key;
    reload(arg, value);
}

void
live_resync(server *srv, void (*done)(void *arg), void *arg)
{
    live_job *j;

    roomcache_clear(srv->rooms);
    hmap_each(srv->live_by_room, reload_one, srv);
    j = job_new(srv, JOB_BARRIER, NULL);
    j->barrier = done;
    j->arg = arg;
    server_submit(srv, &j->job);
}

static void
free_one(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    call_free(value);
}

static void
first_key(const char *key, void *value, void *arg)
{
    (void)value;
    snprintf(arg, ROOM_ID_MAX, "%s", key);
}

void
live_free_all(server *srv)
{
    after_writes *a, *next;

    for (a = srv->after_writes; a; a = next) {
        next = a->next;
        free(a); /* the worker has stopped: every write is done or failed */
    }
    srv->after_writes = NULL;
    free(srv->open_writes);
    srv->open_writes = NULL;
    srv->nopen_writes = srv->cap_open_writes = 0;
    hmap_each(srv->live_by_room, free_one, NULL);
    hmap_free(srv->live_by_room);
    hmap_free(srv->live_by_call);
    while (hmap_count(srv->claims)) {
        char id[ROOM_ID_MAX];
        hmap_each(srv->claims, first_key, id);
        unclaim(srv, id);
    }
    hmap_free(srv->claims);
    srv->claims = NULL;
    srv->live_by_room = srv->live_by_call = NULL;
}

static const plan *
current_plan(server *srv, const char *app_id)
{
    const app *a = apps_find(srv->apps, app_id);
    return a ? a->plan : &plan_none;
}

static void
replan_one(const char *key, void *value, void *arg)
{
    live_call *lc = value;

    (void)key;
    call_set_plan(lc, current_plan(arg, call_room(lc)->app_id));
}

void
live_apps_changed(server *srv)
{
    hmap_each(srv->live_by_room, replan_one, srv);
}

typedef struct totals {
    uint64_t calls, participants, waiting;
} totals;

static void
add_totals(const char *key, void *value, void *arg)
{
    live_call *lc = value;
    totals *t = arg;

    (void)key;
    t->calls += call_is_live(lc);
    t->participants += (uint64_t)call_participant_count(lc);
    t->waiting += (uint64_t)call_waiting_count(lc);
}

void
live_totals(server *srv, uint64_t *calls, uint64_t *participants, uint64_t *waiting)
{
    totals t = {0, 0, 0};

    hmap_each(srv->live_by_room, add_totals, &t);
    *calls = t.calls;
    *participants = t.participants;
    *waiting = t.waiting;
}

static void
collect(void *arg, metrics_out *o)
{
    server *srv = arg;
    uint64_t calls, participants, waiting;

    live_totals(srv, &calls, &participants, &waiting);
    metric_u64(o, "droponair_live_calls", "gauge", "Calls live now.", calls);
    metric_u64(o, "droponair_call_participants", "gauge",
               "Participants in live calls (the reconnect grace counts).", participants);
    metric_u64(o, "droponair_call_waiting", "gauge", "People in waiting rooms.", waiting);
    metric_u64(o, "droponair_calls_started_total", "counter", "Calls started.",
               srv->calls_total);
}

void
live_register_metrics(server *srv)
{
    metrics_register(srv->metrics, collect, srv);
}
