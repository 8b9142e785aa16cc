/*
 * The cluster link: two connections to Redis on the loop's libuv (hiredis's
 * adapter), a subscriber and a publisher, since a subscribed connection can
 * do nothing else.
 *
 * Channels (pub/sub ignores the database number, so it is in the names):
 *   droponair:<db>:rooms        every node's committed room writes
 *   droponair:<db>:node:<id>    this node's own (today: its heartbeats)
 * A room message is JSON: {"node","op":"room","roomId","version","seq"},
 * {"node","op":"deleted","roomId","seq"} or {"node","op":"all"} (drop
 * every cached room: the sender could not announce everything it wrote).
 * A node that applied a room message answers {"node","op":"ack","seq"} on
 * the writer's node channel. The writer's client gets its 2xx once every
 * other subscriber (PUBLISH says how many there are) has acknowledged, or
 * after 250 ms: so a read through any other node straight after the reply
 * sees the write, however the machine schedules Redis and the nodes.
 *
 * Failures. Each connection reconnects with backoff (100 ms doubling to
 * 5 s). A connection counts as dead when it has not become ready within
 * 3 s, when a PUBLISH goes unanswered for 3 s, or when this node's own
 * heartbeat (published each second to its node channel) has not come back
 * through the subscriber for 3 s. While the subscriber is down the room
 * cache is off (every read goes to the store); when it is subscribed
 * again the cache is emptied, every live room reloaded, and the cache
 * turned on once every read started before has completed. Announcements
 * the publisher could not send are kept (one per room, up to 10,000; past
 * that one "all") and sent when it is back.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wshadow"
#include <hiredis/adapters/libuv.h>
#pragma GCC diagnostic pop

#include <json-c/json.h>

#include "cluster/cluster.h"
#include "cluster/internal.h"
#include "core/util.h"
#include "server/internal.h"
#include "server/log.h"

uint64_t
mono_ms(void)
{
    return mono_ns() / 1000000u;
}

static void link_connect(rlink *l);
static void update_up(cluster *cl, const char *why);

/* ---- announcements ---- */

static bool
room_id_ok(const char *id)
{
    size_t n = strlen(id), i;

    if (n < 4 || n >= ROOM_ID_MAX || strncmp(id, "rm_", 3) != 0)
        return false;
    for (i = 3; i < n; i++)
        if (!(id[i] == '_' || id[i] == '-' || (id[i] >= '0' && id[i] <= '9') ||
              (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z')))
            return false;
    return true;
}

static void
free_value(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

static void
unsent_clear(cluster *cl)
{
    hmap_each(cl->unsent, free_value, NULL);
    hmap_free(cl->unsent);
    cl->unsent = hmap_new();
    cl->unsent_all = false;
}

/* Keeps an announcement for later: the newest per room, or "all" past the cap. */
static void
keep_unsent(cluster *cl, int op, const char *room_id, int64_t version)
{
    int64_t *v;

    if (op == OP_HEARTBEAT || op == OP_ACK)
        return;
    if (op == OP_ALL || cl->unsent_all ||
        (hmap_count(cl->unsent) >= UNSENT_MAX && !hmap_get(cl->unsent, room_id))) {
        if (!cl->unsent_all)
            dlog(LOG_WARN, "msg=\"too many room changes to announce later: other nodes will drop "
                           "their whole room cache\" kept=%zu", hmap_count(cl->unsent));
        unsent_clear(cl);
        cl->unsent_all = true;
        return;
    }
    v = hmap_get(cl->unsent, room_id);
    if (!v) {
        v = xmalloc(sizeof(*v));
        *v = 0;
        hmap_put(cl->unsent, room_id, v);
    }
    if (op == OP_DELETED)
        *v = -1;
    else if (*v >= 0 && *v < version)
        *v = version;
}

/* The write p->seq may be answered now: unlinks and frees p. */
static void
complete(pending *p)
{
    cluster *cl = p->cl;
    pending **pp;

    for (pp = &cl->awaiting; *pp && *pp != p; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = p->next;
    if (p->seq && !cl->stopped)
        live_write_done(cl->srv, p->seq);
    free(p);
}

static void
complete_if_acked(pending *p)
{
    if (p->replied && p->acks >= p->expect)
        complete(p);
}

static void
on_ack_deadline(uv_timer_t *t)
{
    cluster *cl = t->data;
    uint64_t now = mono_ms(), next = 0;
    pending *p, *n;

    for (p = cl->awaiting; p; p = n) {
        n = p->next;
        if (!p->replied)
            continue;
        if (now >= p->deadline_ms) {
            dlog(LOG_WARN, "msg=\"not every node acknowledged a room change in time\" room=%s "
                           "acks=%lld of=%lld", p->room_id, p->acks, p->expect);
            complete(p);
        } else if (!next || p->deadline_ms < next) {
            next = p->deadline_ms;
        }
    }
    if (next)
        uv_timer_start(&cl->ack_timer, on_ack_deadline, next - now, 0);
}

/* Another node applied our announcement seq. */
static void
on_ack(cluster *cl, uint64_t seq)
{
    pending *p;

    for (p = cl->awaiting; p; p = p->next)
        if (p->seq == seq) {
            p->acks++;
            complete_if_acked(p);
            return;
        }
}

static void
on_published(redisAsyncContext *ac, void *r, void *privdata)
{
    pending *p = privdata;
    cluster *cl = p->cl;
    redisReply *reply = r;

    (void)ac;
    cl->inflight--;
    cl->waiting_since_ms = cl->inflight > 0 ? mono_ms() : 0;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        /* Maybe delivered, maybe not: announcing twice is harmless. */
        if (reply)
            dlog(LOG_WARN, "msg=\"redis refused a PUBLISH\" err=\"%s\"", reply->str);
        keep_unsent(cl, p->op, p->room_id, p->version);
    }
    if (!p->seq || !reply || reply->type != REDIS_REPLY_INTEGER || cl->closing) {
        complete(p);
        return;
    }
    /*
     * Every subscriber but our own acknowledges (ours counts only while it
     * is subscribed); some may have already.
     */
    p->replied = true;
    p->expect = reply->integer - (cl->sub.subscribed == 2 ? 1 : 0);
    p->deadline_ms = mono_ms() + ACK_WAIT_MS;
    if (p->acks >= p->expect) {
        complete(p);
        return;
    }
    if (!uv_is_active((uv_handle_t *)&cl->ack_timer))
        uv_timer_start(&cl->ack_timer, on_ack_deadline, ACK_WAIT_MS, 0);
}

/*
 * Publishes one announcement, or keeps it until the publisher is back.
 * seq (0: none) is completed once Redis answers, or at once when the
 * announcement is kept for later: a write never waits for Redis to return.
 */
static void
publish(cluster *cl, int op, const char *room_id, int64_t version, uint64_t seq)
{
    struct json_object *o;
    const char *text;
    char ack_chan[64 + NODE_ID_MAX];
    const char *chan = cl->chan_rooms; /* heartbeats too: every node hears every node */
    pending *p;

    if (!cl->pub.ready || cl->closing) {
        keep_unsent(cl, op, room_id, version);
        if (seq)
            live_write_done(cl->srv, seq);
        return;
    }
    o = json_object_new_object();
    json_object_object_add(o, "node", json_object_new_string(cl->srv->cfg->node_id));
    json_object_object_add(o, "boot", json_object_new_string(cl->boot));
    json_object_object_add(o, "op", json_object_new_string(op == OP_ROOM      ? "room"
                                                           : op == OP_DELETED ? "deleted"
                                                           : op == OP_ALL     ? "all"
                                                           : op == OP_ACK     ? "ack"
                                                                              : "heartbeat"));
    if (op == OP_ROOM || op == OP_DELETED)
        json_object_object_add(o, "roomId", json_object_new_string(room_id));
    if (op == OP_ROOM)
        json_object_object_add(o, "version", json_object_new_int64(version));
    if (seq)
        json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
    if (op == OP_ACK) {
        /* room_id carries the writer's node id here. */
        snprintf(ack_chan, sizeof(ack_chan), "droponair:%d:node:%s", cl->addr.db, room_id);
        chan = ack_chan;
    }
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    p = xcalloc(1, sizeof(*p));
    p->cl = cl;
    p->op = op;
    p->version = version;
    p->seq = op == OP_ACK ? 0 : seq; /* an ack's seq is the writer's, not a write here */
    if (room_id)
        snprintf(p->room_id, sizeof(p->room_id), "%s", room_id);
    if (redisAsyncCommand(cl->pub.ac, on_published, p, "PUBLISH %s %b", chan, text,
                          strlen(text)) != REDIS_OK) {
        keep_unsent(cl, op, room_id, version);
        if (seq)
            live_write_done(cl->srv, seq);
        free(p);
    } else {
        if (p->seq) {
            pending **pp;
            for (pp = &cl->awaiting; *pp; pp = &(*pp)->next)
                ;
            *pp = p;
        }
        if (cl->inflight++ == 0)
            cl->waiting_since_ms = mono_ms();
        if (op != OP_HEARTBEAT)
            cl->sent++;
    }
    json_object_put(o);
}

static void
flush_one(const char *key, void *value, void *arg)
{
    cluster *cl = arg;
    int64_t v = *(int64_t *)value;

    publish(cl, v < 0 ? OP_DELETED : OP_ROOM, key, v, 0);
}

/* The publisher is back: what it could not send goes now. */
static void
flush_unsent(cluster *cl)
{
    hmap *m = cl->unsent;
    bool all = cl->unsent_all;
    size_t n = hmap_count(m);

    if (!n && !all)
        return;
    cl->unsent = hmap_new();
    cl->unsent_all = false;
    if (all)
        publish(cl, OP_ALL, NULL, 0, 0);
    else
        hmap_each(m, flush_one, cl);
    hmap_each(m, free_value, NULL);
    hmap_free(m);
    dlog(LOG_INFO, "msg=\"announced room changes made while redis was away\" rooms=%zu all=%d",
         n, all);
}

static void
bus_committed(void *arg, const room *r, uint64_t seq)
{
    publish(arg, OP_ROOM, r->id, r->version, seq);
}

static void
bus_deleted(void *arg, const char *room_id, uint64_t seq)
{
    publish(arg, OP_DELETED, room_id, 0, seq);
}

/* ---- what other nodes announce ---- */

typedef struct resync_arg {
    cluster *cl;
    uint64_t gen;
} resync_arg;

static void
resynced(void *arg)
{
    resync_arg a = *(resync_arg *)arg;
    cluster *cl = a.cl;

    free(arg);
    if (cl->closing || !cl->sub.ready || a.gen != cl->sub_gen)
        return; /* lost again meanwhile: a later resync turns it on */
    cl->cache_on = true;
    live_cache_enable(cl->srv, true);
    update_up(cl, NULL);
}

/*
 * Announcements may have been missed: the cache goes off and empty, live
 * rooms are read again, and the cache comes back on after every read
 * started before has completed (resynced).
 */
static void
resync(cluster *cl)
{
    resync_arg *a = xmalloc(sizeof(*a));

    a->cl = cl;
    a->gen = cl->sub_gen;
    cl->cache_on = false;
    live_cache_enable(cl->srv, false);
    live_resync(cl->srv, resynced, a);
}

static const char *
get_str(struct json_object *o, const char *key)
{
    struct json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* A message on the rooms channel: apply another node's write. */
static void
on_room_message(cluster *cl, const char *text, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len), *v;
    const char *node, *op, *room_id;
    int64_t version = 0, seq = 0;

    json_tokener_free(tok);
    if (!o || !json_object_is_type(o, json_type_object) || !(node = get_str(o, "node")) ||
        !(op = get_str(o, "op")))
        goto bad;
    if (strcmp(node, cl->srv->cfg->node_id) == 0) {
        if (strcmp(op, "heartbeat") == 0)
            cl->hb_seen_ms = mono_ms(); /* the subscriber works */
        goto out; /* our own: already applied */
    }
    if (strcmp(op, "room") != 0 && strcmp(op, "deleted") != 0 && strcmp(op, "all") != 0) {
        owner_message(cl, node, op, o); /* heartbeats, goodbyes, session news */
        goto out;
    }
    cl->received++;
    dlog(LOG_DEBUG, "msg=\"cluster message\" from=%s op=%s", node, op);
    if (strcmp(op, "all") == 0) {
        dlog(LOG_INFO, "msg=\"another node missed announcing changes: room cache emptied\" "
                       "from=%s", node);
        resync(cl);
        goto out;
    }
    room_id = get_str(o, "roomId");
    if (!room_id || !room_id_ok(room_id) || !server_node_id_valid(node))
        goto bad;
    if (json_object_object_get_ex(o, "seq", &v) && json_object_is_type(v, json_type_int))
        seq = json_object_get_int64(v);
    if (strcmp(op, "deleted") == 0) {
        live_room_deleted_elsewhere(cl->srv, room_id);
    } else if (strcmp(op, "room") == 0 && json_object_object_get_ex(o, "version", &v) &&
               json_object_is_type(v, json_type_int) && (version = json_object_get_int64(v)) > 0) {
        live_room_changed_elsewhere(cl->srv, room_id, version);
    } else {
        goto bad;
    }
    /* Applied: the writer's client may have its answer. */
    if (seq > 0)
        publish(cl, OP_ACK, node, 0, (uint64_t)seq);
    goto out;
bad:
    cl->dropped++;
    dlog(LOG_WARN, "msg=\"ignored a malformed cluster message\" text=%.*s",
         (int)(len > 200 ? 200 : len), text);
out:
    json_object_put(o);
}

/* A message on our node channel: our heartbeat, or another node's ack. */
static void
on_node_message(cluster *cl, const char *text, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len), *v;
    const char *op = NULL;

    json_tokener_free(tok);
    cl->hb_seen_ms = mono_ms(); /* anything arriving proves the subscriber works */
    if (o && (op = get_str(o, "op")) && strcmp(op, "ack") == 0 &&
        json_object_object_get_ex(o, "seq", &v) && json_object_is_type(v, json_type_int))
        on_ack(cl, (uint64_t)json_object_get_int64(v));
    else if (o && op && json_object_is_type(o, json_type_object))
        owner_message(cl, get_str(o, "node"), op, o); /* commands and output of sessions */
    json_object_put(o);
}

/* ---- the two links ---- */

static void
update_up(cluster *cl, const char *why)
{
    bool up = cl->sub.ready && cl->pub.ready && cl->cache_on;

    if (up == cl->up)
        return;
    cl->up = up;
    if (up) {
        if (cl->ever_up)
            dlog(LOG_INFO, "msg=\"redis is back: room announcements flow again\" addr=%s:%d "
                           "down_ms=%llu", cl->addr.host, cl->addr.port,
                 (unsigned long long)(mono_ms() - cl->down_ms));
        else
            dlog(LOG_INFO, "msg=\"redis up\" addr=%s:%d channel=%s", cl->addr.host,
                 cl->addr.port, cl->chan_rooms);
        cl->ever_up = true;
    } else {
        cl->down_ms = mono_ms();
        dlog(LOG_WARN, "msg=\"redis down: room cache off, reads go to the store until it is "
                       "back\" addr=%s:%d why=%s", cl->addr.host, cl->addr.port,
             why ? why : "unknown");
    }
}

static void
on_retry(uv_timer_t *t)
{
    link_connect(t->data);
}

static void
schedule_retry(rlink *l)
{
    int jitter;

    if (l->cl->closing)
        return;
    /* Up to a quarter more, so nodes that lost Redis together do not return in step. */
    jitter = (int)((mono_ns() / 1000) % (uint64_t)(l->backoff_ms / 4 + 1));
    uv_timer_start(&l->retry, on_retry, (uint64_t)(l->backoff_ms + jitter), 0);
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

/* The link is gone (hiredis frees the context): report it and try again. */
static void
link_lost(rlink *l, const char *why)
{
    cluster *cl = l->cl;
    bool was_ready = l->ready;

    l->ac = NULL;
    l->ready = false;
    l->subscribed = 0;
    if (cl->closing)
        return;
    if (l == &cl->sub && cl->cache_on) {
        cl->cache_on = false;
        live_cache_enable(cl->srv, false);
    }
    if (was_ready || !l->failing)
        dlog(LOG_WARN, "msg=\"redis link %s\" link=%s addr=%s:%d why=%s",
             was_ready ? "lost" : "cannot connect", l->name, cl->addr.host, cl->addr.port, why);
    else
        dlog(LOG_DEBUG, "msg=\"redis link cannot connect\" link=%s why=%s", l->name, why);
    l->failing = true;
    update_up(cl, why);
    schedule_retry(l);
}

static void
link_ready(rlink *l)
{
    cluster *cl = l->cl;

    l->ready = true;
    l->failing = false;
    l->ready_ms = mono_ms();
    l->backoff_ms = BACKOFF_MIN_MS;
    cl->reconnects += cl->ever_up;
    if (l == &cl->sub) {
        cl->sub_gen++;
        cl->hb_seen_ms = l->ready_ms;
        resync(cl);
    } else {
        flush_unsent(cl);
        owner_link_ready(cl);
        update_up(cl, NULL);
    }
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
    rlink *l = ac->data;

    if (status != REDIS_OK)
        link_lost(l, ac->errstr[0] ? ac->errstr : "connect failed"); /* hiredis frees ac */
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
    rlink *l = ac->data;
    const char *why = l->why ? l->why : status == REDIS_OK ? "closed" : ac->errstr;

    l->why = NULL;
    if (l->ac == ac)
        link_lost(l, why && why[0] ? why : "connection closed");
}

static void
on_reply_error(rlink *l, redisReply *reply, const char *what)
{
    if (reply && reply->type == REDIS_REPLY_ERROR)
        dlog(LOG_ERROR, "msg=\"redis refused %s\" link=%s err=\"%s\"", what, l->name, reply->str);
}

static void
on_auth(redisAsyncContext *ac, void *r, void *privdata)
{
    (void)ac;
    on_reply_error(privdata, r, "the password");
}

static void
on_pong(redisAsyncContext *ac, void *r, void *privdata)
{
    rlink *l = privdata;
    redisReply *reply = r;

    (void)ac;
    if (!reply)
        return;
    if (reply->type == REDIS_REPLY_ERROR)
        on_reply_error(l, reply, "PING");
    else if (!l->ready)
        link_ready(l);
}

/* Every reply on the subscriber: confirmations, then messages. */
static void
on_sub_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    rlink *l = privdata;
    cluster *cl = l->cl;
    redisReply *reply = r, *kind, *chan, *body;

    (void)ac;
    if (!reply)
        return;
    if (reply->type == REDIS_REPLY_ERROR) {
        on_reply_error(l, reply, "SUBSCRIBE");
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
        return;
    kind = reply->element[0];
    chan = reply->element[1];
    body = reply->element[2];
    if (kind->type != REDIS_REPLY_STRING || chan->type != REDIS_REPLY_STRING)
        return;
    if (strcmp(kind->str, "subscribe") == 0) {
        if (++l->subscribed == 2 && !l->ready)
            link_ready(l);
    } else if (strcmp(kind->str, "message") == 0 && body->type == REDIS_REPLY_STRING) {
        if (strcmp(chan->str, cl->chan_node) == 0)
            on_node_message(cl, body->str, body->len);
        else if (strcmp(chan->str, cl->chan_rooms) == 0)
            on_room_message(cl, body->str, body->len);
    }
}

static void
link_connect(rlink *l)
{
    cluster *cl = l->cl;
    redisAsyncContext *ac;

    if (cl->closing || l->ac)
        return;
    ac = redisAsyncConnect(cl->ip, cl->addr.port);
    if (!ac || ac->err) {
        const char *why = ac ? ac->errstr : "out of memory";
        if (!l->failing)
            dlog(LOG_WARN, "msg=\"redis link cannot connect\" link=%s addr=%s:%d why=%s",
                 l->name, cl->addr.host, cl->addr.port, why);
        l->failing = true;
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(l);
        return;
    }
    ac->data = l;
    if (redisLibuvAttach(ac, cl->srv->loop) != REDIS_OK) {
        redisAsyncFree(ac);
        schedule_retry(l);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisEnableKeepAlive(&ac->c);
    l->ac = ac;
    l->connect_ms = mono_ms();
    if (cl->addr.password[0])
        redisAsyncCommand(ac, on_auth, l, "AUTH %s", cl->addr.password);
    if (l == &cl->sub)
        redisAsyncCommand(ac, on_sub_reply, l, "SUBSCRIBE %s %s", cl->chan_rooms, cl->chan_node);
    else
        redisAsyncCommand(ac, on_pong, l, "PING");
}

/* Closes a link we consider dead (never from inside a hiredis callback). */
static void
force_close(rlink *l, const char *why)
{
    redisAsyncContext *ac = l->ac;

    if (!ac)
        return;
    l->why = why;
    redisAsyncFree(ac); /* runs on_disconnect when it was connected */
    if (l->ac == ac)
        link_lost(l, why); /* it was still connecting: no callback came */
    l->why = NULL;
}

static void
check_link(rlink *l, uint64_t now)
{
    if (l->ac && !l->ready && now - l->connect_ms > DEAD_AFTER_MS)
        force_close(l, "no answer within 3 s");
}

static void
on_tick(uv_timer_t *t)
{
    cluster *cl = t->data;
    uint64_t now = mono_ms();

    check_link(&cl->sub, now);
    check_link(&cl->pub, now);
    if (cl->pub.ready && cl->inflight > 0 && now - cl->waiting_since_ms > DEAD_AFTER_MS)
        force_close(&cl->pub, "PUBLISH unanswered for 3 s");
    if (cl->sub.ready && cl->pub.ready && now - cl->pub.ready_ms > DEAD_AFTER_MS &&
        now - cl->hb_seen_ms > DEAD_AFTER_MS)
        force_close(&cl->sub, "own heartbeat not received for 3 s");
    if (cl->pub.ready)
        publish(cl, OP_HEARTBEAT, NULL, 0, 0);
    owner_tick(cl);
}

/* ---- the module's life on the loop ---- */

static void
collect(void *arg, metrics_out *o)
{
    cluster *cl = arg;

    metric_u64(o, "droponair_redis_up", "gauge",
               "1 while both links to Redis work and the room cache is in step.",
               cl->up ? 1 : 0);
    metric_u64(o, "droponair_redis_reconnects_total", "counter",
               "Connections to Redis made again after a loss.", cl->reconnects);
    metric_family(o, "droponair_cluster_messages_total", "counter",
                  "Room announcements sent to and received from other nodes.");
    metric_line(o, "droponair_cluster_messages_total{direction=\"out\"} %llu\n",
                (unsigned long long)cl->sent);
    metric_line(o, "droponair_cluster_messages_total{direction=\"in\"} %llu\n",
                (unsigned long long)cl->received);
    metric_u64(o, "droponair_cluster_unsent", "gauge",
               "Room announcements waiting for Redis to come back.",
               (uint64_t)hmap_count(cl->unsent) + cl->unsent_all);
}

static void
health(void *arg, struct json_object *o)
{
    cluster *cl = arg;
    json_object_object_add(o, "redis", json_object_new_string(cl->up ? "up" : "down"));
}

int
cluster_resolve(const redis_addr *a, char *ip, size_t len, const char **why)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(a->host, NULL, &hints, &res)) != 0 || !res) {
        *why = gai_strerror(rc);
        return -1;
    }
    if (res->ai_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, ip, (socklen_t)len);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, (socklen_t)len);
    freeaddrinfo(res);
    return 0;
}

static void
link_init(cluster *cl, rlink *l, const char *name)
{
    l->cl = cl;
    l->name = name;
    l->backoff_ms = BACKOFF_MIN_MS;
    uv_timer_init(cl->srv->loop, &l->retry);
    l->retry.data = l;
    cl->open_timers++;
}

static void *
cluster_start(server *srv)
{
    cluster *cl = xcalloc(1, sizeof(*cl));
    const char *why = NULL;
    room_bus bus = {bus_committed, bus_deleted, cl};

    cl->srv = srv;
    cl->unsent = hmap_new();
    random_id(cl->boot, sizeof(cl->boot), "", 8);
    /* Checked by the composition; resolved once, before the loop runs. */
    if (cluster_parse_url(srv->cfg->redis_url, &cl->addr, &why) ||
        cluster_resolve(&cl->addr, cl->ip, sizeof(cl->ip), &why)) {
        dlog(LOG_ERROR, "msg=\"--redis unusable: cluster link off\" why=%s", why);
        snprintf(cl->ip, sizeof(cl->ip), "127.0.0.1");
    }
    if (srv->cfg->redis_password[0]) /* --redis-password-file (the URL then has none) */
        snprintf(cl->addr.password, sizeof(cl->addr.password), "%s", srv->cfg->redis_password);
    snprintf(cl->chan_rooms, sizeof(cl->chan_rooms), "droponair:%d:rooms", cl->addr.db);
    snprintf(cl->chan_node, sizeof(cl->chan_node), "droponair:%d:node:%s", cl->addr.db,
             srv->cfg->node_id);
    /* Nothing cached is trusted until the subscriber is in step. */
    live_cache_enable(srv, false);
    server_set_room_bus(srv, &bus);
    metrics_register(srv->metrics, collect, cl);
    server_health_register(srv, health, cl);
    if (!srv->loop)
        return cl; /* --event-loop poll: refused by the composition */
    link_init(cl, &cl->sub, "subscriber");
    link_init(cl, &cl->pub, "publisher");
    uv_timer_init(srv->loop, &cl->tick);
    cl->tick.data = cl;
    uv_timer_init(srv->loop, &cl->ack_timer);
    cl->ack_timer.data = cl;
    cl->open_timers += 2;
    /* Connect as soon as the loop runs; the tick checks liveness from then on. */
    uv_timer_start(&cl->sub.retry, on_retry, 0, 0);
    uv_timer_start(&cl->pub.retry, on_retry, 0, 0);
    owner_start(cl);
    uv_timer_start(&cl->tick, on_tick, (uint64_t)owner_tick_ms(cl), (uint64_t)owner_tick_ms(cl));
    return cl;
}

static void
cluster_drain(void *state)
{
    cluster *cl = state;

    cl->draining = true;
    /* Before the WebSocket layer closes its sessions: the calls go on elsewhere. */
    owner_hand_over(cl);
}

static void
tick_closed(uv_handle_t *h)
{
    ((cluster *)h->data)->open_timers--;
}

static void
retry_closed(uv_handle_t *h)
{
    ((rlink *)h->data)->cl->open_timers--;
}

/* Draining: closes the timers and the links (pending PUBLISHes flush first). */
static void
begin_close(cluster *cl)
{
    cl->closing = true;
    cl->closing_ms = mono_ms();
    uv_close((uv_handle_t *)&cl->tick, tick_closed);
    uv_close((uv_handle_t *)&cl->ack_timer, tick_closed);
    owner_close(cl);
    /* Nothing waits for acknowledgements any more (unanswered ones complete on close). */
    {
        pending *p, *n;
        for (p = cl->awaiting; p; p = n) {
            n = p->next;
            if (p->replied)
                complete(p);
        }
    }
    uv_close((uv_handle_t *)&cl->sub.retry, retry_closed);
    uv_close((uv_handle_t *)&cl->pub.retry, retry_closed);
    if (cl->sub.ac) {
        redisAsyncContext *ac = cl->sub.ac;
        cl->sub.ac = NULL;
        redisAsyncFree(ac);
    }
    if (cl->pub.ac && cl->pub.ready) {
        /* Connected: flushes what is queued, then on_disconnect clears pub.ac. */
        redisAsyncDisconnect(cl->pub.ac);
    } else if (cl->pub.ac) {
        redisAsyncContext *ac = cl->pub.ac; /* still connecting: no callback would come */
        cl->pub.ac = NULL;
        redisAsyncFree(ac);
    }
}

/*
 * What draining waits for: first the store writes in flight (their
 * announcements go out while the publisher is still there), then the
 * links and timers closing.
 */
static size_t
cluster_busy(void *state)
{
    cluster *cl = state;

    if (!cl->draining || !cl->srv->loop)
        return 0;
    if (!cl->closing) {
        if (cl->pub.ready && cl->srv->worker && worker_pending(cl->srv->worker) > 0)
            return 1;
        begin_close(cl);
    }
    if (cl->pub.ac && mono_ms() - cl->closing_ms > CLOSE_GRACE_MS) {
        redisAsyncContext *ac = cl->pub.ac;
        cl->pub.ac = NULL;
        redisAsyncFree(ac);
    }
    return (size_t)cl->open_timers + (cl->pub.ac != NULL);
}

/* A context the loop closed under us (a drain that hit its deadline). */
static void
free_orphan(redisAsyncContext *ac)
{
    void *events = ac->ev.data;

    ac->ev.cleanup = NULL; /* its poll handle is closed with the loop */
    redisAsyncFree(ac);
    free(events);
}

static void
cluster_stop(void *state)
{
    cluster *cl = state;
    call_router none = {0};

    if (!cl)
        return;
    cl->closing = true;
    cl->stopped = true;
    server_set_router(cl->srv, &none); /* the layers that stop later must not reach it */
    if (cl->sub.ac)
        free_orphan(cl->sub.ac);
    if (cl->pub.ac)
        free_orphan(cl->pub.ac);
    owner_free(cl);
    while (cl->awaiting) {
        pending *p = cl->awaiting;
        cl->awaiting = p->next;
        free(p);
    }
    hmap_each(cl->unsent, free_value, NULL);
    hmap_free(cl->unsent);
    free(cl);
}

const server_protocol cluster_protocol = {
    .name = "droponair-cluster",
    .callback = NULL, /* no connections of its own: a module on the loop */
    .start = cluster_start,
    .drain = cluster_drain,
    .busy = cluster_busy,
    .stop = cluster_stop,
};
