/*
 * Call ownership in cluster mode. Every live call is owned by one process
 * at a time: the one holding the room's lease in Redis,
 *   droponair:<db>:owner:<roomId> = "<node>:<epoch>"   (PX lease)
 * claimed atomically (a Lua script: SET only when nobody else holds it)
 * and renewed by its owner every tick. The epoch, from
 *   droponair:<db>:epoch:<roomId>                      (INCR; starts at the
 * claimer's wall clock in ms, so it still grows after Redis lost its data)
 * is the fencing token the store checks on every call-record write: an old
 * owner that was paused past its lease cannot write after a newer claim.
 *
 * The owner keeps the call's export (members, roles, media, queues; see
 * call_export) in droponair:<db>:call:<roomId>, written a few ms after each
 * change (never for a mere signal) and only while it still holds the lease.
 * When a process stops (kill -9: its heartbeats stop for a lease time;
 * draining: it says "bye" after writing its exports and releasing its
 * leases), every process that routed commands to it claims its rooms, and
 * the winner rebuilds the call from the export: same callId, same members;
 * the stopped process's sessions become lost sessions whose reconnect grace
 * now runs here.
 *
 * Messages between the WebSocket layers (commands of sessions connected
 * elsewhere, their output, session life) travel on the node channels and
 * the shared rooms channel; this file carries them and knows nothing of
 * what they say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cluster/internal.h"
#include "core/json.h"
#include "core/util.h"
#include "server/log.h"

#define EXPORT_DELAY_MS 0                    /* changes of one loop turn make one export */

/*
 * The epoch counter starts at Redis's clock in ms (TIME) the first time, so
 * it still grows if Redis loses its data; it is kept a week after use.
 */
#define EPOCH_NEXT_LUA                                                                         \
    "if redis.call('EXISTS', KEYS[2]) == 0 then "                                             \
    "local t = redis.call('TIME') "                                                           \
    "redis.call('SET', KEYS[2], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) end " \
    "local e = redis.call('INCR', KEYS[2]) "                                                  \
    "redis.call('PEXPIRE', KEYS[2], 604800000) "

/*
 * Claims a room (KEYS owner, epoch, export; ARGV node, lease ttl,
 * takeover-only, export ttl): {holder, export}. A takeover-only claim
 * takes nothing when no export exists (the call ended with its owner).
 */
static const char CLAIM_LUA[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v and string.sub(v, 1, #ARGV[1] + 1) ~= ARGV[1] .. ':' then return {v, false} end "
    "local s = redis.call('GET', KEYS[3]) "
    "if ARGV[3] == '1' and not s then return {false, false} end "
    EPOCH_NEXT_LUA
    "v = ARGV[1] .. ':' .. e "
    "redis.call('SET', KEYS[1], v, 'PX', ARGV[2]) "
    "if s then redis.call('PEXPIRE', KEYS[3], ARGV[4]) end "
    "return {v, s}";

/*
 * Renews (KEYS owner, epoch, export; ARGV value, lease ttl, node, export
 * ttl): the holder ("-" when nobody holds it any more: it expired and may
 * have been another's since). Only when Redis lost everything (no epoch
 * either) is the lease claimed again, with a newer epoch.
 */
static const char RENEW_LUA[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) "
    "redis.call('PEXPIRE', KEYS[3], ARGV[4]) return v end "
    "if v then return v end "
    "if redis.call('EXISTS', KEYS[2]) == 1 then return '-' end "
    EPOCH_NEXT_LUA
    "v = ARGV[3] .. ':' .. e "
    "redis.call('SET', KEYS[1], v, 'PX', ARGV[2]) "
    "return v";

/* Writes the export while the lease is ours (KEYS owner, export; ARGV value, json or "", ttl). */
static const char EXPORT_LUA[] =
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
    "if ARGV[2] == '' then redis.call('DEL', KEYS[2]) "
    "else redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3]) end "
    "return 1";

/* Releases the lease if ours (KEYS owner, export; ARGV value, "keep": the export stays). */
static const char RELEASE_LUA[] =
    "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
    "redis.call('DEL', KEYS[1]) "
    "if ARGV[2] ~= 'keep' then redis.call('DEL', KEYS[2]) end "
    "return 1";

typedef struct lease {
    char value[NODE_ID_MAX + 24];    /* "<node>:<epoch>" as in Redis */
    int64_t epoch;
    bool renewing;
    bool dirty;                      /* an export is due ... */
    uint64_t seq;                    /* ... numbered so (live_write_begin) */
    bool stale;                      /* changed while Redis was away: written when back */
    uint64_t valid_until_ms;         /* mono: past this without a renewal, act no more */
    bool releasing;                  /* live state gone: released once ... */
    uint64_t release_after;          /* ... this write (its call's end) has committed */
} lease;

typedef struct locate_wait {
    struct locate_wait *next;
    void (*done)(void *cbarg, const char *owner, dpa_err e);
    void *cbarg;
} locate_wait;

typedef struct claim_req {
    cluster *cl;
    char room_id[ROOM_ID_MAX];
    uint64_t sent_ms;
    bool takeover;                   /* only if an export exists: a stopped owner's call */
    locate_wait *waiters;
} claim_req;

typedef struct node_seen {
    uint64_t last_ms;
    bool dead;
    char boot[24];       /* its run: another one means it restarted */
} node_seen;

/* A call live on another process, as it announced it. */
typedef struct live_entry {
    char node[NODE_ID_MAX];
    char call_id[CALL_ID_MAX];
} live_entry;

struct owner_state {
    hmap *leases;        /* room id -> lease: the calls this process owns */
    hmap *live;          /* room id -> live_entry: calls live on other processes */
    hmap *live_calls;    /* call id -> room id (strdup), the same calls by id */
    hmap *owners;        /* room id -> node id (strdup): calls other processes own */
    hmap *claims;        /* room id -> claim_req in flight */
    hmap *nodes;         /* node id -> node_seen: the others, by their heartbeats */
    hmap *retry;         /* room id -> (marker): a stopped owner's room to take over */
    uv_timer_t export_timer;
    int lease_ms;
    uint64_t claimed, taken_over, lost, handed_over;
};

/*
 * Keys collected from a map to act on after the walk (a map must not change
 * while it is walked): room ids or node ids, filtered by the callback.
 */
typedef struct id_list {
    char (*ids)[ROOM_ID_MAX > NODE_ID_MAX ? ROOM_ID_MAX : NODE_ID_MAX];
    size_t n, cap;
    const char *node;    /* ids_owned_by, live_of_node: this node's */
    uint64_t now;        /* ids_silent: not heard from since now - lease_ms */
    int lease_ms;
} id_list;

static void
ids_push(id_list *l, const char *id)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->ids = xrealloc(l->ids, l->cap * sizeof(*l->ids));
    }
    snprintf(l->ids[l->n++], sizeof(*l->ids), "%s", id);
}

static void
ids_all(const char *key, void *value, void *arg)
{
    (void)value;
    ids_push(arg, key);
}

/* Rooms whose owner (the value, a node id) is l->node. */
static void
ids_owned_by(const char *key, void *value, void *arg)
{
    id_list *l = arg;

    if (strcmp(value, l->node) == 0)
        ids_push(l, key);
}

/* An export outlives its owner's last renewal this long: long enough for a takeover. */
static long long
export_ttl_ms(const owner_state *os)
{
    return 3ll * os->lease_ms;
}

static void
key_of(const cluster *cl, char *out, size_t len, const char *kind, const char *room_id)
{
    snprintf(out, len, "droponair:%d:%s:%s", cl->addr.db, kind, room_id);
}

static void
free_str(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

static bool
node_alive(owner_state *os, const char *node)
{
    node_seen *n = hmap_get(os->nodes, node);
    return !n || !n->dead; /* one never heard of has just started */
}

static void
forget(void *arg, const char *room_id)
{
    cluster *cl = arg;
    char *node = hmap_get(cl->own->owners, room_id);

    if (node) {
        hmap_del(cl->own->owners, room_id);
        free(node);
    }
}

static void
set_owner(owner_state *os, const char *room_id, const char *node)
{
    char *old = hmap_get(os->owners, room_id);

    if (old && strcmp(old, node) == 0)
        return;
    free(old);
    hmap_put(os->owners, room_id, xstrdup(node));
}

static void send_msg(void *arg, const char *node, struct json_object *msg);

/* ---- the directory: which calls are live where ---- */

static void
live_forget(owner_state *os, const char *room_id)
{
    live_entry *e = hmap_get(os->live, room_id);
    char *r;

    if (!e)
        return;
    if ((r = hmap_get(os->live_calls, e->call_id))) {
        hmap_del(os->live_calls, e->call_id);
        free(r);
    }
    hmap_del(os->live, room_id);
    free(e);
}

static void
announce_live(cluster *cl, const char *room_id, const char *call_id)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "op", json_object_new_string("live"));
    json_object_object_add(o, "roomId", json_object_new_string(room_id));
    json_object_object_add(o, "callId", json_object_new_string(call_id ? call_id : ""));
    send_msg(cl, NULL, o);
    json_object_put(o);
}

static void
call_live(void *arg, const char *room_id, const char *call_id)
{
    cluster *cl = arg;

    if (hmap_get(cl->own->leases, room_id))
        announce_live(cl, room_id, call_id);
}

static void
on_live(cluster *cl, const char *from, struct json_object *o)
{
    owner_state *os = cl->own;
    const char *room_id = json_get_str(o, "roomId"), *call_id = json_get_str(o, "callId");
    live_entry *e;

    if (!room_id || !call_id || strlen(room_id) >= ROOM_ID_MAX || strlen(call_id) >= CALL_ID_MAX)
        return;
    e = hmap_get(os->live, room_id);
    if (!*call_id) {
        if (e && strcmp(e->node, from) == 0)
            live_forget(os, room_id);
        return;
    }
    live_forget(os, room_id);
    e = xcalloc(1, sizeof(*e));
    snprintf(e->node, sizeof(e->node), "%s", from);
    snprintf(e->call_id, sizeof(e->call_id), "%s", call_id);
    hmap_put(os->live, room_id, e);
    hmap_put(os->live_calls, call_id, xstrdup(room_id));
    if (!hmap_get(os->leases, room_id))
        set_owner(os, room_id, from); /* where its commands go */
}

static const char *
live_at(void *arg, const char *room_id)
{
    cluster *cl = arg;
    live_entry *e = hmap_get(cl->own->live, room_id);

    return e && !hmap_get(cl->own->leases, room_id) && node_alive(cl->own, e->node) ? e->node
                                                                                     : NULL;
}

static const char *
room_of_call(void *arg, const char *call_id)
{
    return hmap_get(((cluster *)arg)->own->live_calls, call_id);
}

static void
announce_owned(const char *key, void *value, void *arg)
{
    cluster *cl = arg;
    live_call *lc = live_find(cl->srv, key);

    (void)value;
    if (lc && call_is_live(lc))
        announce_live(cl, key, call_id_of(lc));
}

/* Directory entries (calls live elsewhere) of node l->node. */
static void
live_of_node(const char *key, void *value, void *arg)
{
    id_list *l = arg;
    live_entry *e = value;

    if (strcmp(e->node, l->node) == 0)
        ids_push(l, key);
}

/* ---- claiming ---- */

static void claim(cluster *cl, const char *room_id, bool takeover,
                  void (*done)(void *cbarg, const char *owner, dpa_err e), void *cbarg);
static void send_claim(cluster *cl, claim_req *c);
static void released(void *arg, const char *room_id, uint64_t after);

static void
answer(locate_wait *w, const char *owner, dpa_err e)
{
    locate_wait *next;

    for (; w; w = next) {
        next = w->next;
        w->done(w->cbarg, owner, e);
        free(w);
    }
}

/* Splits "<node>:<epoch>" (node into out). Returns the epoch, 0 when malformed. */
static int64_t
parse_value(const char *v, char *node, size_t len)
{
    const char *colon = strrchr(v, ':');
    size_t n;

    if (!colon || colon == v || (n = (size_t)(colon - v)) >= len)
        return 0;
    memcpy(node, v, n);
    node[n] = '\0';
    return strtoll(colon + 1, NULL, 10);
}

static void
on_claimed(redisAsyncContext *ac, void *r, void *privdata)
{
    claim_req *c = privdata;
    cluster *cl = c->cl;
    owner_state *os = cl->own;
    redisReply *reply = r, *v, *s;
    locate_wait *w = c->waiters;
    char node[NODE_ID_MAX];
    int64_t epoch;

    (void)ac;
    if (cl->stopped) {
        answer(w, NULL, E_UNAVAILABLE); /* the loop has ended: they give up */
        free(c);
        return;
    }
    if (hmap_get(os->claims, c->room_id) == c)
        hmap_del(os->claims, c->room_id);
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        if (reply && reply->type == REDIS_REPLY_ERROR)
            dlog(LOG_ERROR, "msg=\"redis refused a claim\" room=%s err=\"%s\"", c->room_id,
                 reply->str);
        if (c->takeover)
            hmap_put(os->retry, c->room_id, os); /* a stopped owner's call: try again */
        answer(w, NULL, E_UNAVAILABLE);
        free(c);
        return;
    }
    v = reply->element[0];
    s = reply->element[1];
    dlog(LOG_DEBUG, "msg=\"claim answered\" room=%s takeover=%d owner=%s export=%zu", c->room_id,
         c->takeover, v->type == REDIS_REPLY_STRING ? v->str : "-",
         s->type == REDIS_REPLY_STRING ? s->len : 0);
    if (v->type != REDIS_REPLY_STRING) {
        /* A takeover with nothing to take over (the call ended with its owner). */
        c->takeover = false;
        if (w)
            send_claim(cl, c); /* someone joined meanwhile: claim it for them */
        else
            free(c);
        return;
    }
    epoch = parse_value(v->str, node, sizeof(node));
    if (epoch <= 0) {
        dlog(LOG_ERROR, "msg=\"malformed lease in redis\" room=%s value=%.80s", c->room_id, v->str);
        answer(w, NULL, E_UNAVAILABLE);
        free(c);
        return;
    }
    if (strcmp(node, cl->srv->cfg->node_id) == 0) {
        lease *l = hmap_get(os->leases, c->room_id);
        struct json_object *state = NULL;
        const char *app_id = NULL;

        if (!l) {
            l = xcalloc(1, sizeof(*l));
            hmap_put(os->leases, c->room_id, l);
        }
        snprintf(l->value, sizeof(l->value), "%s", v->str);
        l->epoch = epoch;
        l->releasing = false;
        l->valid_until_ms = c->sent_ms + (uint64_t)os->lease_ms * 8 / 10;
        os->claimed++;
        forget(cl, c->room_id);
        live_forget(os, c->room_id);
        if (s->type == REDIS_REPLY_STRING && json_parse(s->str, s->len, &state) == E_OK &&
            json_object_is_type(state, json_type_object))
            app_id = json_get_str(state, "app");
        if (app_id) {
            os->taken_over++;
            dlog(LOG_INFO, "msg=\"claimed a call to take it over\" room=%s epoch=%lld",
                 c->room_id, (long long)epoch);
        }
        live_claimed(cl->srv, app_id, c->room_id, epoch, app_id ? state : NULL);
        json_object_put(state);
        answer(w, NULL, E_OK);
        /* Claimed for a command that needed no live state (or whose room is gone): let it go. */
        if (!live_find(cl->srv, c->room_id) && !live_claim_pending(cl->srv, c->room_id)) {
            live_disown(cl->srv, c->room_id);
            released(cl, c->room_id, 0);
        }
    } else {
        node_seen *n = hmap_get(os->nodes, node);
        set_owner(os, c->room_id, node);
        if (n && n->dead) {
            /* Its lease has not expired yet: try again next tick. */
            hmap_put(os->retry, c->room_id, os);
            answer(w, NULL, E_UNAVAILABLE);
        } else {
            answer(w, node, E_OK);
        }
    }
    free(c);
}

static void
claim(cluster *cl, const char *room_id, bool takeover,
      void (*done)(void *cbarg, const char *owner, dpa_err e), void *cbarg)
{
    owner_state *os = cl->own;
    claim_req *c = hmap_get(os->claims, room_id);
    locate_wait *w = NULL;

    if (done) {
        w = xcalloc(1, sizeof(*w));
        w->done = done;
        w->cbarg = cbarg;
    }
    if (c) {
        if (w) {
            locate_wait **pw = &c->waiters;
            while (*pw)
                pw = &(*pw)->next;
            *pw = w; /* answered in the order they came */
            c->takeover = false; /* someone needs an answer whatever it finds */
        }
        return;
    }
    c = xcalloc(1, sizeof(*c));
    c->cl = cl;
    c->takeover = takeover && !w;
    c->waiters = w;
    snprintf(c->room_id, sizeof(c->room_id), "%s", room_id);
    send_claim(cl, c);
}

/* Sends claim c to Redis (or answers its waiters that it cannot). */
static void
send_claim(cluster *cl, claim_req *c)
{
    owner_state *os = cl->own;
    char kown[128], kepoch[128], kexp[128], ttl[16], xttl[24];

    key_of(cl, kown, sizeof(kown), "owner", c->room_id);
    key_of(cl, kepoch, sizeof(kepoch), "epoch", c->room_id);
    key_of(cl, kexp, sizeof(kexp), "call", c->room_id);
    snprintf(ttl, sizeof(ttl), "%d", os->lease_ms);
    snprintf(xttl, sizeof(xttl), "%lld", export_ttl_ms(os));
    c->sent_ms = mono_ms();
    if (!cl->pub.ready || cl->closing || cl->draining ||
        redisAsyncCommand(cl->pub.ac, on_claimed, c, "EVAL %s 3 %s %s %s %s %s %s %s", CLAIM_LUA,
                          kown, kepoch, kexp, cl->srv->cfg->node_id, ttl,
                          c->takeover ? "1" : "0", xttl) != REDIS_OK) {
        answer(c->waiters, NULL, E_UNAVAILABLE);
        free(c);
        return;
    }
    hmap_put(os->claims, c->room_id, c);
}

/* ---- the router the loop uses ---- */

static void
locate(void *arg, const char *room_id, void (*done)(void *cbarg, const char *owner, dpa_err e),
       void *cbarg)
{
    cluster *cl = arg;
    owner_state *os = cl->own;
    const char *owner;

    lease *l = hmap_get(os->leases, room_id);

    if (l) {
        /* Not renewed lately (Redis away): another process may have it by now. */
        if (mono_ms() > l->valid_until_ms)
            done(cbarg, NULL, E_UNAVAILABLE);
        else
            done(cbarg, NULL, E_OK);
        return;
    }
    if ((owner = hmap_get(os->owners, room_id))) {
        node_seen *n = hmap_get(os->nodes, owner);
        if (n && !n->dead && mono_ms() - n->last_ms > 2 * (uint64_t)owner_tick_ms(cl) + 500) {
            /* Silent for two heartbeats: likely stopped; what it is sent may be lost. */
            done(cbarg, NULL, E_UNAVAILABLE);
            return;
        }
        if (node_alive(os, owner)) {
            done(cbarg, owner, E_OK);
            return;
        }
        forget(cl, room_id);
    }
    claim(cl, room_id, false, done, cbarg);
}

static void
on_sent(redisAsyncContext *ac, void *r, void *privdata)
{
    cluster *cl = privdata;

    (void)ac;
    (void)r;
    cl->inflight--;
    cl->waiting_since_ms = cl->inflight > 0 ? mono_ms() : 0;
}

static void
send_msg(void *arg, const char *node, struct json_object *msg)
{
    cluster *cl = arg;
    char chan[64 + NODE_ID_MAX];
    const char *text;
    size_t len;

    if (!cl->pub.ready || cl->closing) {
        cl->dropped++;
        return;
    }
    json_object_object_add(msg, "node", json_object_new_string(cl->srv->cfg->node_id));
    json_object_object_add(msg, "boot", json_object_new_string(cl->boot));
    if (node)
        snprintf(chan, sizeof(chan), "droponair:%d:node:%s", cl->addr.db, node);
    else
        snprintf(chan, sizeof(chan), "%s", cl->chan_rooms);
    text = json_plain(msg, &len);
    if (redisAsyncCommand(cl->pub.ac, on_sent, cl, "PUBLISH %s %b", chan, text, len) != REDIS_OK) {
        cl->dropped++;
        return;
    }
    if (cl->inflight++ == 0)
        cl->waiting_since_ms = mono_ms();
    cl->sent++;
}

static bool
alive(void *arg, const char *node)
{
    return node_alive(((cluster *)arg)->own, node);
}

static int64_t
epoch_of(void *arg, const char *room_id)
{
    lease *l = hmap_get(((cluster *)arg)->own->leases, room_id);
    return l ? l->epoch : 0;
}

static void on_export_timer(uv_timer_t *t);

static uint64_t
dirty(void *arg, const char *room_id)
{
    cluster *cl = arg;
    lease *l = hmap_get(cl->own->leases, room_id);

    if (!l || cl->closing)
        return 0;
    if (!l->dirty) {
        l->dirty = true;
        l->seq = live_write_begin(cl->srv);
    }
    if (!uv_is_active((uv_handle_t *)&cl->own->export_timer))
        uv_timer_start(&cl->own->export_timer, on_export_timer, EXPORT_DELAY_MS, 0);
    return l->seq;
}

static void
on_script(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply *reply = r;

    (void)ac;
    (void)privdata;
    if (reply && reply->type == REDIS_REPLY_ERROR)
        dlog(LOG_ERROR, "msg=\"redis refused a lease script\" err=\"%s\"", reply->str);
}

/*
 * Forgets lease l of room_id. An export it still owed is not written, and
 * its number completes now: acknowledgements wait for every numbered write,
 * so one left open would hold all of them back for good.
 */
static void
lease_drop(cluster *cl, const char *room_id, lease *l)
{
    if (l->dirty && !cl->stopped)
        live_write_done(cl->srv, l->seq);
    hmap_del(cl->own->leases, room_id);
    free(l);
}

static void
release_lease(cluster *cl, const char *room_id, lease *l, bool keep_export)
{
    char kown[128], kexp[128];

    if (cl->pub.ready && cl->pub.ac) {
        key_of(cl, kown, sizeof(kown), "owner", room_id);
        key_of(cl, kexp, sizeof(kexp), "call", room_id);
        redisAsyncCommand(cl->pub.ac, on_script, NULL, "EVAL %s 2 %s %s %s %s", RELEASE_LUA, kown,
                          kexp, l->value, keep_export ? "keep" : "-");
    }
    lease_drop(cl, room_id, l);
}

static void
released(void *arg, const char *room_id, uint64_t after)
{
    cluster *cl = arg;
    lease *l = hmap_get(cl->own->leases, room_id);

    if (!l)
        return;
    if (after <= cl->srv->writes_done) {
        release_lease(cl, room_id, l, false);
        return;
    }
    /* Held (and renewed) until the call's end is recorded under this epoch. */
    l->releasing = true;
    l->release_after = after;
}

/* ---- exports ---- */

typedef struct export_req {
    cluster *cl;
    uint64_t seq;
} export_req;

static void
on_exported(redisAsyncContext *ac, void *r, void *privdata)
{
    export_req *q = privdata;

    on_script(ac, r, NULL);
    if (!q->cl->stopped)
        live_write_done(q->cl->srv, q->seq);
    free(q);
}

static void
write_export(cluster *cl, const char *room_id, lease *l)
{
    char kown[128], kexp[128], ttl[24];
    struct json_object *state;
    const char *text = "";
    size_t len = 0;
    export_req *q;

    if (!l->dirty) {
        l->dirty = true; /* a final export (hand-over) */
        l->seq = live_write_begin(cl->srv);
    }
    l->dirty = false;
    if (!cl->pub.ready || !cl->pub.ac) {
        /*
         * Redis is away: the change is not held up for it (calls go on);
         * a crash before it is back loses it. Written again when back.
         */
        live_write_done(cl->srv, l->seq);
        l->stale = true;
        return;
    }
    state = live_export(cl->srv, room_id);
    if (state)
        text = json_plain(state, &len);
    dlog(LOG_DEBUG, "msg=\"call export\" room=%s bytes=%zu", room_id, len);
    key_of(cl, kown, sizeof(kown), "owner", room_id);
    key_of(cl, kexp, sizeof(kexp), "call", room_id);
    snprintf(ttl, sizeof(ttl), "%lld", export_ttl_ms(cl->own));
    q = xmalloc(sizeof(*q));
    q->cl = cl;
    q->seq = l->seq;
    l->stale = false;
    if (redisAsyncCommand(cl->pub.ac, on_exported, q, "EVAL %s 2 %s %s %s %b %s", EXPORT_LUA,
                          kown, kexp, l->value, text, len, ttl) != REDIS_OK) {
        live_write_done(cl->srv, q->seq);
        free(q);
        l->stale = true;
    }
    json_object_put(state);
}

static void
export_one(const char *key, void *value, void *arg)
{
    lease *l = value;

    if (l->dirty)
        write_export(arg, key, l);
}

static void
on_export_timer(uv_timer_t *t)
{
    cluster *cl = t->data;
    hmap_each(cl->own->leases, export_one, cl);
}

/* ---- renewing, and noticing stopped processes ---- */

typedef struct renew_req {
    cluster *cl;
    char room_id[ROOM_ID_MAX];
    uint64_t sent_ms;
} renew_req;

static void
on_renewed(redisAsyncContext *ac, void *r, void *privdata)
{
    renew_req *q = privdata;
    cluster *cl = q->cl;
    redisReply *reply = r;
    lease *l = cl->stopped ? NULL : hmap_get(cl->own->leases, q->room_id);
    char node[NODE_ID_MAX];
    int64_t epoch;

    (void)ac;
    if (!l || !reply || reply->type != REDIS_REPLY_STRING) {
        if (l)
            l->renewing = false;
        free(q);
        return;
    }
    l->renewing = false;
    if (strcmp(reply->str, l->value) == 0) {
        l->valid_until_ms = q->sent_ms + (uint64_t)cl->own->lease_ms * 8 / 10;
        free(q);
        return;
    }
    epoch = parse_value(reply->str, node, sizeof(node));
    if (epoch > 0 && strcmp(node, cl->srv->cfg->node_id) == 0) {
        /* Redis had lost everything (restarted): claimed again, with a newer epoch. */
        dlog(LOG_WARN, "msg=\"call lease claimed again: redis had lost it\" room=%s epoch=%lld",
             q->room_id, (long long)epoch);
        snprintf(l->value, sizeof(l->value), "%s", reply->str);
        l->epoch = epoch;
        l->valid_until_ms = q->sent_ms + (uint64_t)cl->own->lease_ms * 8 / 10;
        dirty(cl, q->room_id);
    } else {
        /* Another process holds it, or it expired (we were too slow): it is not ours. */
        dlog(LOG_WARN, "msg=\"call lease lost\" room=%s holder=%s", q->room_id, reply->str);
        cl->own->lost++;
        lease_drop(cl, q->room_id, l);
        if (epoch > 0)
            set_owner(cl->own, q->room_id, node);
        live_disown(cl->srv, q->room_id);
    }
    free(q);
}

static void
renew_one(const char *key, void *value, void *arg)
{
    cluster *cl = arg;
    lease *l = value;
    char kown[128], kepoch[128], kexp[128], ttl[16], xttl[24];
    renew_req *q;

    if (l->renewing)
        return;
    q = xcalloc(1, sizeof(*q));
    q->cl = cl;
    q->sent_ms = mono_ms();
    snprintf(q->room_id, sizeof(q->room_id), "%s", key);
    key_of(cl, kown, sizeof(kown), "owner", key);
    key_of(cl, kepoch, sizeof(kepoch), "epoch", key);
    key_of(cl, kexp, sizeof(kexp), "call", key);
    snprintf(ttl, sizeof(ttl), "%d", cl->own->lease_ms);
    snprintf(xttl, sizeof(xttl), "%lld", export_ttl_ms(cl->own));
    if (redisAsyncCommand(cl->pub.ac, on_renewed, q, "EVAL %s 3 %s %s %s %s %s %s %s", RENEW_LUA,
                          kown, kepoch, kexp, l->value, ttl, cl->srv->cfg->node_id,
                          xttl) != REDIS_OK) {
        free(q);
        return;
    }
    l->renewing = true;
}

/* Leases whose live state is gone: released once their call's end has committed. */
static void
ids_releasing(const char *key, void *value, void *arg)
{
    if (((lease *)value)->releasing)
        ids_push(arg, key);
}

/* node stopped: its sessions count as lost, and its calls we know of are taken over. */
static void
node_down(cluster *cl, const char *node, const char *why)
{
    owner_state *os = cl->own;
    node_seen *n = hmap_get(os->nodes, node);
    id_list c = {NULL, 0, 0, node, 0, 0};
    size_t i;

    if (!n) {
        n = xcalloc(1, sizeof(*n));
        hmap_put(os->nodes, node, n);
    }
    if (n->dead)
        return;
    n->dead = true;
    {
        id_list d = {NULL, 0, 0, node, 0, 0};
        hmap_each(os->live, live_of_node, &d);
        for (i = 0; i < d.n; i++) {
            live_forget(os, d.ids[i]);
            hmap_put(os->retry, d.ids[i], os);
        }
        free(d.ids);
    }
    hmap_each(os->owners, ids_owned_by, &c);
    dlog(LOG_WARN, "msg=\"another process stopped: taking its calls over\" peer=%s why=%s "
                   "calls=%zu", node, why, c.n);
    for (i = 0; i < c.n; i++) {
        forget(cl, c.ids[i]);
        hmap_put(os->retry, c.ids[i], os);
    }
    free(c.ids);
    if (cl->srv->remote.node_down)
        cl->srv->remote.node_down(cl->srv->remote.arg, node, n->boot);
}

/* Nodes not heard from for a lease time (and not yet declared stopped). */
static void
ids_silent(const char *key, void *value, void *arg)
{
    id_list *l = arg;
    node_seen *n = value;

    if (!n->dead && l->now - n->last_ms > (uint64_t)l->lease_ms)
        ids_push(l, key);
}

void
owner_tick(cluster *cl)
{
    owner_state *os = cl->own;
    uint64_t now = mono_ms();
    id_list c = {NULL, 0, 0, NULL, 0, 0};
    size_t i;

    if (!os || cl->closing)
        return;
    if (cl->pub.ready)
        hmap_each(os->leases, renew_one, cl);
    {
        id_list r = {NULL, 0, 0, NULL, 0, 0};
        hmap_each(os->leases, ids_releasing, &r);
        for (i = 0; i < r.n; i++) {
            lease *l = hmap_get(os->leases, r.ids[i]);
            if (live_find(cl->srv, r.ids[i]) || live_claim_pending(cl->srv, r.ids[i]))
                l->releasing = false; /* in use again */
            else if (l->release_after <= cl->srv->writes_done)
                release_lease(cl, r.ids[i], l, false);
        }
        free(r.ids);
    }
    /* Silence means stopped only while we hear the others (our subscriber works). */
    if (cl->sub.ready && now - cl->sub.ready_ms > (uint64_t)os->lease_ms) {
        id_list s = {NULL, 0, 0, NULL, now, os->lease_ms};
        hmap_each(os->nodes, ids_silent, &s);
        for (i = 0; i < s.n; i++)
            node_down(cl, s.ids[i], "no heartbeat for a lease time");
        free(s.ids);
    }
    if (cl->pub.ready && hmap_count(os->retry)) {
        hmap_each(os->retry, ids_all, &c);
        hmap_free(os->retry);
        os->retry = hmap_new();
        for (i = 0; i < c.n; i++)
            if (!hmap_get(os->leases, c.ids[i]))
                claim(cl, c.ids[i], true, NULL, NULL);
        free(c.ids);
    }
}

static void
export_stale(const char *key, void *value, void *arg)
{
    lease *l = value;

    if (l->stale)
        dirty(arg, key);
}

void
owner_link_ready(cluster *cl)
{
    struct json_object *hello;

    if (!cl->own)
        return;
    if (hmap_count(cl->own->leases)) {
        hmap_each(cl->own->leases, renew_one, cl);
        hmap_each(cl->own->leases, export_stale, cl);
    }
    /* What is live elsewhere, told again by every owner. */
    hello = json_object_new_object();
    json_object_object_add(hello, "op", json_object_new_string("hello"));
    send_msg(cl, NULL, hello);
    json_object_put(hello);
}

void
owner_message(cluster *cl, const char *from, const char *op, struct json_object *o)
{
    owner_state *os = cl->own;
    const char *boot;
    node_seen *n;

    if (!os || !from || !server_node_id_valid(from) || strcmp(from, cl->srv->cfg->node_id) == 0)
        return;
    if (strcmp(op, "bye") == 0) {
        node_down(cl, from, "drained");
        return;
    }
    n = hmap_get(os->nodes, from);
    if (!n) {
        n = xcalloc(1, sizeof(*n));
        hmap_put(os->nodes, from, n);
    }
    boot = json_get_str(o, "boot");
    if (boot && n->boot[0] && strcmp(boot, n->boot) != 0) {
        /* Restarted under the same id: the run we knew is gone, whatever it held. */
        n->dead = false;
        node_down(cl, from, "restarted");
        n->dead = false;
        snprintf(n->boot, sizeof(n->boot), "%s", boot);
        dlog(LOG_INFO, "msg=\"another process restarted\" peer=%s", from);
    } else if (n->dead) {
        n->dead = false;
        dlog(LOG_INFO, "msg=\"another process is back\" peer=%s", from);
        if (cl->srv->remote.node_up)
            cl->srv->remote.node_up(cl->srv->remote.arg, from, n->boot);
    }
    if (boot && !n->boot[0])
        snprintf(n->boot, sizeof(n->boot), "%s", boot);
    n->last_ms = mono_ms();
    if (strcmp(op, "heartbeat") == 0)
        return;
    if (strcmp(op, "live") == 0)
        on_live(cl, from, o);
    else if (strcmp(op, "hello") == 0)
        hmap_each(os->leases, announce_owned, cl); /* a process (re)joined: what is live here */
    else if (!server_peer_dispatch(cl->srv, op, o))
        dlog(LOG_DEBUG, "msg=\"cluster message nobody handles\" op=%.32s from=%s", op, from);
}

/* ---- draining: hand every call over ---- */

void
owner_hand_over(cluster *cl)
{
    owner_state *os = cl->own;
    id_list c = {NULL, 0, 0, NULL, 0, 0};
    struct json_object *bye;
    size_t i;

    if (!os)
        return;
    hmap_each(os->leases, ids_all, &c);
    for (i = 0; i < c.n; i++) {
        lease *l = hmap_get(os->leases, c.ids[i]);
        write_export(cl, c.ids[i], l);
        release_lease(cl, c.ids[i], l, true);
        live_disown(cl->srv, c.ids[i]);
        os->handed_over++;
    }
    free(c.ids);
    if (c.n)
        dlog(LOG_INFO, "msg=\"calls handed over\" calls=%zu", c.n);
    bye = json_object_new_object();
    json_object_object_add(bye, "op", json_object_new_string("bye"));
    send_msg(cl, NULL, bye);
    json_object_put(bye);
}

/* ---- life ---- */

int
owner_tick_ms(const cluster *cl)
{
    int q = cl->srv->cfg->call_lease_ms / 4;
    return q < 1000 ? (q < 100 ? 100 : q) : 1000;
}

static void
export_timer_closed(uv_handle_t *h)
{
    ((cluster *)h->data)->open_timers--;
}

void
owner_close(cluster *cl)
{
    if (cl->own)
        uv_close((uv_handle_t *)&cl->own->export_timer, export_timer_closed);
}

static void
collect_metrics(void *arg, metrics_out *o)
{
    cluster *cl = arg;
    owner_state *os = cl->own;

    metric_u64(o, "droponair_cluster_calls_owned", "gauge",
               "Calls whose lease this process holds.", (uint64_t)hmap_count(os->leases));
    metric_family(o, "droponair_cluster_leases_total", "counter",
                  "Call leases claimed, taken over from a stopped process, lost to another "
                  "and handed over when draining.");
    metric_line(o, "droponair_cluster_leases_total{event=\"claimed\"} %llu\n",
                (unsigned long long)os->claimed);
    metric_line(o, "droponair_cluster_leases_total{event=\"taken_over\"} %llu\n",
                (unsigned long long)os->taken_over);
    metric_line(o, "droponair_cluster_leases_total{event=\"lost\"} %llu\n",
                (unsigned long long)os->lost);
    metric_line(o, "droponair_cluster_leases_total{event=\"handed_over\"} %llu\n",
                (unsigned long long)os->handed_over);
}

void
owner_start(cluster *cl)
{
    owner_state *os = xcalloc(1, sizeof(*os));
    call_router r = {locate,   forget,    send_msg, alive,        epoch_of, dirty,
                     released, call_live, live_at,  room_of_call, cl->boot, cl};

    os->leases = hmap_new();
    os->live = hmap_new();
    os->live_calls = hmap_new();
    os->owners = hmap_new();
    os->claims = hmap_new();
    os->nodes = hmap_new();
    os->retry = hmap_new();
    os->lease_ms = cl->srv->cfg->call_lease_ms;
    cl->own = os;
    uv_timer_init(cl->srv->loop, &os->export_timer);
    os->export_timer.data = cl;
    cl->open_timers++;
    server_set_router(cl->srv, &r);
    metrics_register(cl->srv->metrics, collect_metrics, cl);
}

void
owner_free(cluster *cl)
{
    owner_state *os = cl->own;

    if (!os)
        return;
    hmap_each(os->leases, free_str, NULL);
    hmap_free(os->leases);
    hmap_each(os->live, free_str, NULL);
    hmap_free(os->live);
    hmap_each(os->live_calls, free_str, NULL);
    hmap_free(os->live_calls);
    hmap_each(os->owners, free_str, NULL);
    hmap_free(os->owners);
    hmap_free(os->claims); /* each claim_req is freed by its callback (hiredis's teardown) */
    hmap_each(os->nodes, free_str, NULL);
    hmap_free(os->nodes);
    hmap_free(os->retry);
    free(os);
    cl->own = NULL;
}
