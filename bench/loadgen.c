/*
 * loadgen: drives droponaird with thousands of WebSocket clients from one
 * libdroponair context (one process, one core) and prints one JSON line of
 * results. Scenarios:
 *
 *   idle    --n N                      connect + authenticate N clients, hold
 *   join    --rooms R --per-room P     a join storm: all connect, then all join
 *   cycle   --n N --rate R --seconds S join -> leave cycles at R joins/s
 *   relay   --pairs P --size B --seconds S [--rate R]
 *                                      signals between pairs; unpaced (R = 0)
 *                                      finds the saturating rate
 *   fanout  --n N                      N join one call at once: time until
 *                                      everyone has seen everyone
 *   broadcast --n N --seconds S        one member toggles its media state; every
 *                                      other member receives each event
 *
 * Cluster scenarios (several droponaird processes sharing a store and Redis,
 * docs/cluster.md). In every room an anchor client on --url joins first, so
 * the call is opened there and --url's process owns it:
 *
 *   cluster-join --rooms R --n N --rate J --seconds S [--join-url U]
 *                                      N clients on U (default --url) cycle
 *                                      join -> leave into those live calls at
 *                                      J joins/s; JOIN_ROOM -> JOINED latency
 *   cluster-relay --pairs P --size B --seconds S [--rate R] [--send-url U]
 *                 [--recv-url U]       as relay, the sender on one process and
 *                                      the receiver on another (defaults: --url)
 *
 * Both check first that the measured client reaches the anchor's call (the
 * same callId; a probe signal arrives) and otherwise print
 * "peer_reached":false with the reason instead of figures: a build whose
 * processes do not share calls puts clients of one room on two processes in
 * two separate calls.
 *
 * Tokens are minted here with the app key given (--app/--kid/--secret).
 * Bounded: every scenario stops by itself (--seconds, or a 60 s cap).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <droponair/droponair.h>
#include "auth/jwt.h"

#define CAP_MS 60000

typedef struct peer {
    dpa_client *c;
    int idx;
    int open;
    int joined;
    char call_id[64];
    char user[32];
    int64_t sent_ns;      /* the pending request's start */
    int seen;             /* fanout: participants seen */
    int in_call;
    int room;             /* cluster-join: the room (and its anchor's index) */
    int probe_got;        /* cluster-relay: the probe signal arrived */
} peer;

static struct {
    const char *url, *app, *kid, *secret, *scenario;
    const char *join_url, *send_url, *recv_url; /* cluster scenarios */
    int n, rooms, per_room, pairs, size, seconds, hold;
    double rate;
} opt = {.n = 1000, .rooms = 100, .per_room = 10, .pairs = 50, .size = 200, .seconds = 5,
         .hold = 2};

static dpa_context *ctx;
static peer *peers;
static int npeers, nopen, nfailed;
static char **room_ids;
static int nrooms_made;
/* Where peer i connects: --url unless a scenario places it elsewhere. */
static const char *(*peer_url)(int i);
static int64_t *lat;          /* latencies in ns */
static size_t nlat, caplat;
static uint64_t received, sent;

static int64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
add_lat(int64_t ns)
{
    if (nlat == caplat) {
        caplat = caplat ? caplat * 2 : 4096;
        lat = realloc(lat, caplat * sizeof(*lat));
    }
    lat[nlat++] = ns;
}

static int
cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double
pct(double p)
{
    size_t i;
    if (!nlat)
        return 0;
    i = (size_t)(p * (double)(nlat - 1));
    return (double)lat[i] / 1e6; /* ms */
}

static void
print_lat(const char *prefix)
{
    qsort(lat, nlat, sizeof(*lat), cmp64);
    printf("\"%s_p50_ms\":%.3f,\"%s_p99_ms\":%.3f,\"%s_p999_ms\":%.3f,\"%s_samples\":%zu", prefix,
           pct(0.5), prefix, pct(0.99), prefix, pct(0.999), prefix, nlat);
}

/*
 * One turn of the loop that never waits. lws 4.1 takes any timeout >= 0,
 * 0 included, as "until the next event or timer" (up to 250 ms when nothing
 * is due); only a negative one returns at once. A paced sender that called
 * dpa_context_run(ctx, 0) stalled there and then sent what fell due in a
 * burst, so its latencies measured the load generator.
 */
static void
service_once(void)
{
    dpa_context_run(ctx, -1);
}

/* Services the loop until cond() or ms pass. Returns 1 when cond held. */
static int
run_until(int (*cond)(void), int ms)
{
    int64_t end = now_ns() + (int64_t)ms * 1000000;
    while (now_ns() < end) {
        if (cond())
            return 1;
        dpa_context_run(ctx, 1);
    }
    return cond();
}

/* ---- callbacks ---- */

static void on_event(dpa_client *c, const dpa_event *ev, void *user);

static void
on_state(dpa_client *c, dpa_state s, void *user)
{
    peer *p = user;
    (void)c;
    if (s == DPA_STATE_OPEN && !p->open) {
        p->open = 1;
        nopen++;
    } else if (s == DPA_STATE_CLOSED && !p->open) {
        nfailed++;
        p->open = -1;
    }
}

static void
make_peers(int n, const char *prefix)
{
    int i;

    npeers = n;
    peers = calloc((size_t)n, sizeof(*peers));
    for (i = 0; i < n; i++) {
        dpa_client_options o;
        char *tok;
        peer *p = &peers[i];

        p->idx = i;
        snprintf(p->user, sizeof(p->user), "%s%d", prefix, i);
        tok = auth_mint(opt.app, opt.kid, opt.secret, p->user, NULL, NULL, time(NULL), 3600);
        memset(&o, 0, sizeof(o));
        o.base_url = peer_url ? peer_url(i) : opt.url;
        o.token = tok;
        o.on_state = on_state;
        o.on_event = on_event;
        o.user = p;
        o.request_timeout_ms = 30000;
        p->c = dpa_client_new(ctx, &o);
        free(tok);
    }
}

static int
all_open(void)
{
    return nopen + nfailed >= npeers;
}

/* Connects every peer; returns seconds taken. */
static double
connect_all(void)
{
    int64_t t0 = now_ns();
    int i;

    for (i = 0; i < npeers; i++) {
        dpa_client_connect(peers[i].c);
        if (i % 200 == 199)
            service_once(); /* let the first ones start their handshakes */
    }
    run_until(all_open, CAP_MS);
    return (double)(now_ns() - t0) / 1e9;
}

/* Tells the driver the set-up is done and the measured part begins. */
static void
ready(void)
{
    printf("{\"phase\":\"ready\"}\n");
    fflush(stdout);
    /* Give the driver a moment to read the server's counters. */
    {
        int64_t end = now_ns() + 200000000;
        while (now_ns() < end)
            dpa_context_run(ctx, 10);
    }
}

static void
free_peers(void)
{
    int i;
    for (i = 0; i < npeers; i++)
        dpa_client_free(peers[i].c);
    free(peers);
    peers = NULL;
    npeers = nopen = nfailed = 0;
    /* Let the closes go out. Bounded by time: with no socket left, lws's
     * service waits for its next timer (up to 250 ms) whatever timeout it is
     * given, so 50 calls took 12.5 s. */
    {
        int64_t end = now_ns() + 100000000;
        while (now_ns() < end)
            service_once();
    }
}

/* ---- rooms ---- */

static int rooms_pending;
static char room_error[160]; /* the first failed create: status and code */

static void
on_room(dpa_client *c, const dpa_reply *r, void *user)
{
    const char *p = strstr(r->json, "\"roomId\":\"");
    (void)c;
    (void)user;
    rooms_pending--;
    if (r->ok && p) {
        room_ids[nrooms_made++] = strndup(p + 10, 25);
    } else if (!room_error[0]) {
        char *q;
        snprintf(room_error, sizeof(room_error), "HTTP %d %s", r->http_status,
                 r->error_code ? r->error_code : "");
        for (q = room_error; *q; q++)
            if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
                *q = ' ';
    }
}

static int
rooms_done(void)
{
    return rooms_pending == 0;
}

/* Makes n rooms (policy JSON) with an extra client; returns 0 when all exist. */
static int
make_rooms(int n, const char *body)
{
    dpa_client_options o;
    char *tok = auth_mint(opt.app, opt.kid, opt.secret, "bench-owner", NULL, NULL, time(NULL),
                          3600);
    dpa_client *owner;
    int i;

    memset(&o, 0, sizeof(o));
    o.base_url = opt.url;
    o.token = tok;
    owner = dpa_client_new(ctx, &o);
    free(tok);
    room_ids = calloc((size_t)n, sizeof(char *));
    nrooms_made = 0;
    for (i = 0; i < n; i++) {
        rooms_pending++;
        dpa_client_create_room(owner, body, on_room, NULL);
        if (rooms_pending >= 64)
            while (rooms_pending >= 32)
                dpa_context_run(ctx, 1);
    }
    run_until(rooms_done, CAP_MS);
    dpa_client_free(owner);
    if (nrooms_made == n)
        return 0;
    /* Said here, so that no scenario ends without a result line. */
    printf("{\"error\":\"created %d of %d rooms (first failure: %s)\"}\n", nrooms_made, n,
           room_error[0] ? room_error : "no reply");
    return -1;
}

/* ---- join storm, cycles ---- */

static int njoined, nleft;

static void
on_join(dpa_client *c, const dpa_reply *r, void *user)
{
    peer *p = user;
    (void)c;
    if (r->ok && r->call_id) {
        add_lat(now_ns() - p->sent_ns);
        snprintf(p->call_id, sizeof(p->call_id), "%s", r->call_id);
        p->in_call = 1;
    } else {
        nfailed++;
    }
    njoined++;
}

static int
storm_done(void)
{
    return njoined >= npeers;
}

static void
scenario_join(void)
{
    int i;
    int64_t t0, t1;
    double conn_s;

    if (make_rooms(opt.rooms, "{}"))
        return;
    make_peers(opt.rooms * opt.per_room, "j");
    ready();
    t0 = now_ns();
    conn_s = connect_all();
    t1 = now_ns();
    for (i = 0; i < npeers; i++) {
        peers[i].sent_ns = now_ns();
        dpa_client_join_room(peers[i].c, room_ids[i / opt.per_room], on_join, &peers[i]);
    }
    run_until(storm_done, CAP_MS);
    {
        int64_t t2 = now_ns();
        printf("{\"scenario\":\"join\",\"clients\":%d,\"rooms\":%d,\"per_room\":%d,"
               "\"failed\":%d,\"connect_auth_s\":%.3f,\"join_storm_s\":%.4f,"
               "\"connect_auth_join_s\":%.4f,\"joins_per_s\":%.0f,",
               npeers, opt.rooms, opt.per_room, nfailed, conn_s, (double)(t2 - t1) / 1e9,
               (double)(t2 - t0) / 1e9, (double)npeers / ((double)(t2 - t1) / 1e9));
        print_lat("join");
        printf("}\n");
    }
    free_peers();
}

static void
on_leave(dpa_client *c, const dpa_reply *r, void *user)
{
    peer *p = user;
    (void)c;
    (void)r;
    p->in_call = 0;
    p->joined = 0;
    nleft++;
}

static void
on_cycle_join(dpa_client *c, const dpa_reply *r, void *user)
{
    peer *p = user;
    on_join(c, r, user);
    if (r->ok && r->call_id)
        dpa_client_leave_call(c, r->call_id, on_leave, p);
    else
        p->joined = 0;
}

static void
scenario_cycle(void)
{
    int rooms = opt.n / 10 > 0 ? opt.n / 10 : 1, i, next = 0;
    int64_t t0, end, due;
    double interval;
    uint64_t started = 0;

    if (make_rooms(rooms, "{}"))
        return;
    make_peers(opt.n, "c");
    connect_all();
    ready();
    interval = 1e9 / (opt.rate > 0 ? opt.rate : 2000);
    t0 = now_ns();
    end = t0 + (int64_t)opt.seconds * 1000000000;
    due = t0;
    while (now_ns() < end) {
        int64_t now = now_ns();
        while (due <= now) {
            /* The next idle client joins its room (and leaves on the reply). */
            for (i = 0; i < npeers && peers[next].joined; i++)
                next = (next + 1) % npeers;
            if (!peers[next].joined) {
                peer *p = &peers[next];
                p->joined = 1;
                p->sent_ns = now_ns();
                dpa_client_join_room(p->c, room_ids[next % rooms], on_cycle_join, p);
                started++;
            }
            next = (next + 1) % npeers;
            due += (int64_t)interval;
        }
        service_once();
    }
    run_until(storm_done, 2000);
    printf("{\"scenario\":\"cycle\",\"clients\":%d,\"target_rate\":%.0f,\"joins\":%llu,"
           "\"leaves\":%d,\"seconds\":%d,\"joins_per_s\":%.0f,",
           npeers, opt.rate, (unsigned long long)started, nleft, opt.seconds,
           (double)njoined / opt.seconds);
    print_lat("join");
    printf("}\n");
    free_peers();
}

/* ---- relay ---- */

/*
 * The timed part of a relay: for S seconds sender k * stride + soff signals
 * receiver k * stride + roff (k < pairs), then up to 2 s to drain. received
 * and the latencies are counted at the receivers (on_event).
 */
static void
relay_loop(int stride, int soff, int roff)
{
    char *pad = malloc((size_t)opt.size + 1), *payload = malloc((size_t)opt.size + 64);
    int64_t t0, end, due;
    double interval = opt.rate > 0 ? 1e9 / opt.rate : 0;
    int turn = 0;

    memset(pad, 'x', (size_t)opt.size);
    pad[opt.size > 40 ? opt.size - 40 : 1] = '\0';
    t0 = now_ns();
    end = t0 + (int64_t)opt.seconds * 1000000000;
    due = t0;
    while (now_ns() < end) {
        int64_t now = now_ns();
        int burst = 0;
        /* Unpaced: keep each sender's queue short so we measure the server, not buffers. */
        while ((interval == 0 && burst < opt.pairs && sent - received < (uint64_t)opt.pairs * 8) ||
               (interval > 0 && due <= now)) {
            peer *s = &peers[(turn % opt.pairs) * stride + soff];
            peer *r = &peers[(turn % opt.pairs) * stride + roff];
            snprintf(payload, (size_t)opt.size + 64, "{\"t\":%lld,\"pad\":\"%s\"}",
                     (long long)now_ns(), pad);
            dpa_client_send_signal(s->c, "GROUP_CALL_ICE_CANDIDATE", s->call_id, "", r->user,
                                   payload, NULL, NULL);
            sent++;
            turn++;
            burst++;
            if (interval > 0)
                due += (int64_t)interval;
        }
        service_once();
    }
    {
        int64_t drain_end = now_ns() + 2000000000;
        while (received < sent && now_ns() < drain_end)
            dpa_context_run(ctx, 1);
    }
    free(pad);
    free(payload);
}

static void
scenario_relay(void)
{
    int i, n = opt.pairs * 2;

    if (make_rooms(opt.pairs, "{}"))
        return;
    make_peers(n, "r");
    connect_all();
    for (i = 0; i < n; i++) {
        peers[i].sent_ns = now_ns();
        dpa_client_join_room(peers[i].c, room_ids[i / 2], on_join, &peers[i]);
    }
    run_until(storm_done, CAP_MS);
    nlat = 0;
    ready();
    relay_loop(2, 0, 1);
    printf("{\"scenario\":\"relay\",\"pairs\":%d,\"size\":%d,\"target_rate\":%.0f,\"seconds\":%d,"
           "\"sent\":%llu,\"received\":%llu,\"messages_per_s\":%.0f,",
           opt.pairs, opt.size, opt.rate, opt.seconds, (unsigned long long)sent,
           (unsigned long long)received, (double)received / opt.seconds);
    print_lat("relay");
    printf("}\n");
    free_peers();
}

/* ---- cluster: join and relay across processes ---- */

static char why[1024];       /* why the peer was not reached ("" when it was) */
static int probes_sent, probe_replies, probe_errors, probes_got;

/* Adds a reason ("; " between them), made safe to print inside a JSON string. */
static void __attribute__((format(printf, 1, 2)))
set_why(const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(why);
    char *q;

    if (n)
        n += (size_t)snprintf(why + n, sizeof(why) - n, "; ");
    if (n >= sizeof(why) - 1)
        return;
    va_start(ap, fmt);
    vsnprintf(why + n, sizeof(why) - n, fmt, ap);
    va_end(ap);
    for (q = why; *q; q++)
        if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
            *q = ' ';
}

/* Joins peers[from..to) (step) to their rooms and waits for the replies; 0 when all JOINED. */
static int
join_range(int from, int to, int step, int (*room_of)(int i))
{
    int i, want = njoined, failed0 = nfailed;

    for (i = from; i < to; i += step) {
        peers[i].sent_ns = now_ns();
        dpa_client_join_room(peers[i].c, room_ids[room_of(i)], on_join, &peers[i]);
        want++;
    }
    {
        int64_t end = now_ns() + (int64_t)CAP_MS * 1000000;
        while (njoined < want && now_ns() < end)
            dpa_context_run(ctx, 1);
    }
    return njoined >= want && nfailed == failed0 ? 0 : -1;
}

static void
print_unreached(const char *scenario)
{
    printf("{\"scenario\":\"%s\",\"peer_reached\":false,\"why\":\"%s\"}\n", scenario, why);
}

/* cluster-join: peers[0..rooms) are the anchors on --url, then the joiners on --join-url. */

static const char *
cj_url(int i)
{
    return i < opt.rooms ? opt.url : opt.join_url;
}

static int
cj_room(int i)
{
    return i < opt.rooms ? i : (i - opt.rooms) % opt.rooms;
}

static uint64_t cj_answered, cj_mismatched;

/*
 * A joiner's JOINED must name its anchor's call and list the anchor:
 * otherwise it is in another call. The first failure gives the reason.
 */
static int
cj_check(peer *p, const dpa_reply *r)
{
    peer *anchor = &peers[p->room];
    char member[64];

    if (cj_mismatched) {
        if (!r->ok || !r->call_id || strcmp(r->call_id, anchor->call_id))
            return -1;
    } else if (!r->ok || !r->call_id) {
        set_why("JOIN_ROOM on the joiner's process answered %s",
                r->error_code ? r->error_code : (r->status ? r->status : "no callId"));
        return -1;
    } else if (strcmp(r->call_id, anchor->call_id) != 0) {
        set_why("the joiner got a call of its own (%s) instead of the owner's (%s): the call "
                "is not shared across processes",
                r->call_id, anchor->call_id);
        return -1;
    }
    snprintf(member, sizeof(member), "\"userId\":\"%s\"", anchor->user);
    if (!strstr(r->json, member)) {
        if (!cj_mismatched)
            set_why("the JOINED reply does not list the owner's member %s", anchor->user);
        return -1;
    }
    return 0;
}

static void
on_cj_join(dpa_client *c, const dpa_reply *r, void *user)
{
    peer *p = user;
    int64_t t = now_ns() - p->sent_ns;

    cj_answered++;
    if (cj_check(p, r) == 0)
        add_lat(t);
    else
        cj_mismatched++;
    if (r->ok && r->call_id)
        dpa_client_leave_call(c, r->call_id, on_leave, p);
    else
        p->joined = 0;
}

static void
scenario_cluster_join(void)
{
    int nj = opt.n, na = opt.rooms, i, next = 0;
    int64_t t0, end, due;
    double interval = 1e9 / (opt.rate > 0 ? opt.rate : 500);
    uint64_t started = 0;

    if (!opt.join_url)
        opt.join_url = opt.url;
    if (make_rooms(na, "{}"))
        return;
    peer_url = cj_url;
    make_peers(na + nj, "cj");
    for (i = 0; i < npeers; i++)
        peers[i].room = cj_room(i);
    connect_all();
    if (nopen < npeers) {
        printf("{\"error\":\"%d of %d clients did not connect\"}\n", npeers - nopen, npeers);
        return;
    }
    if (join_range(0, na, 1, cj_room)) {
        printf("{\"error\":\"the anchors could not join\"}\n");
        return;
    }
    /* A probe: the first joiner must land in its anchor's call. */
    peers[na].joined = 1;
    peers[na].sent_ns = now_ns();
    dpa_client_join_room(peers[na].c, room_ids[0], on_cj_join, &peers[na]);
    {
        int64_t pend = now_ns() + 10000000000LL;
        while (peers[na].joined && now_ns() < pend)
            dpa_context_run(ctx, 1);
    }
    if (cj_mismatched || peers[na].joined) {
        if (peers[na].joined)
            set_why("no JOINED reply within 10 s");
        print_unreached("cluster-join");
        free_peers();
        return;
    }
    nlat = 0;
    cj_answered = 0;
    ready();
    t0 = now_ns();
    end = t0 + (int64_t)opt.seconds * 1000000000;
    due = t0;
    while (now_ns() < end) {
        int64_t now = now_ns();
        while (due <= now) {
            /* The next idle joiner joins its room (and leaves on the reply). */
            for (i = 0; i < nj && peers[na + next].joined; i++)
                next = (next + 1) % nj;
            if (!peers[na + next].joined) {
                peer *p = &peers[na + next];
                p->joined = 1;
                p->sent_ns = now_ns();
                dpa_client_join_room(p->c, room_ids[p->room], on_cj_join, p);
                started++;
            }
            next = (next + 1) % nj;
            due += (int64_t)interval;
        }
        service_once();
    }
    {
        int64_t dend = now_ns() + 2000000000;
        while (cj_answered < started && now_ns() < dend)
            dpa_context_run(ctx, 1);
    }
    printf("{\"scenario\":\"cluster-join\",\"owner_url\":\"%s\",\"join_url\":\"%s\","
           "\"rooms\":%d,\"joiners\":%d,\"target_rate\":%.0f,\"seconds\":%d,\"joins\":%llu,"
           "\"answered\":%llu,\"mismatched\":%llu,",
           opt.url, opt.join_url, na, nj, opt.rate, opt.seconds, (unsigned long long)started,
           (unsigned long long)cj_answered, (unsigned long long)cj_mismatched);
    if (cj_mismatched || cj_answered < started) {
        if (cj_answered < started)
            set_why("joins unanswered 2 s after the run");
        printf("\"peer_reached\":false,\"why\":\"%s\"}\n", why);
    } else {
        printf("\"peer_reached\":true,");
        print_lat("join");
        printf("}\n");
    }
    free_peers();
}

/* cluster-relay: per pair an anchor (--url), a sender (--send-url), a receiver (--recv-url). */

static const char *
cr_url(int i)
{
    return i % 3 == 0 ? opt.url : i % 3 == 1 ? opt.send_url : opt.recv_url;
}

static int
cr_room(int i)
{
    return i / 3;
}

static void
on_probe_reply(dpa_client *c, const dpa_reply *r, void *user)
{
    (void)c;
    (void)user;
    probe_replies++;
    if (!r->ok && !probe_errors++) /* the first refusal says it for all */
        set_why("GROUP_CALL_SIGNAL answered %s (%s)", r->error_code ? r->error_code : "an error",
                r->error_message ? r->error_message : "");
}

static int
probes_done(void)
{
    /* A refused probe will not arrive: no need to wait for it. */
    return probe_replies >= probes_sent && probes_got + probe_errors >= probes_sent;
}

static void
scenario_cluster_relay(void)
{
    int i, n = opt.pairs * 3;

    if (!opt.send_url)
        opt.send_url = opt.url;
    if (!opt.recv_url)
        opt.recv_url = opt.url;
    if (make_rooms(opt.pairs, "{}"))
        return;
    peer_url = cr_url;
    make_peers(n, "cr");
    connect_all();
    if (nopen < npeers) {
        printf("{\"error\":\"%d of %d clients did not connect\"}\n", npeers - nopen, npeers);
        return;
    }
    /* The anchors first: each opens its room's call on --url's process. */
    if (join_range(0, n, 3, cr_room) || join_range(1, n, 3, cr_room) ||
        join_range(2, n, 3, cr_room)) {
        printf("{\"error\":\"some clients could not join\"}\n");
        return;
    }
    for (i = 0; i < n; i += 3) {
        if (strcmp(peers[i + 1].call_id, peers[i].call_id) ||
            strcmp(peers[i + 2].call_id, peers[i].call_id)) {
            set_why("the sender and the receiver are not both in the owner's call (owner %s, "
                    "sender %s, receiver %s): the call is not shared across processes",
                    peers[i].call_id, peers[i + 1].call_id, peers[i + 2].call_id);
            break;
        }
    }
    /* A probe per pair, with a reply, before the fire-and-forget run. */
    for (i = 0; i < n; i += 3) {
        dpa_client_send_signal(peers[i + 1].c, "GROUP_CALL_ICE_CANDIDATE", peers[i + 1].call_id, "",
                               peers[i + 2].user, "{\"probe\":1}", on_probe_reply, NULL);
        probes_sent++;
    }
    run_until(probes_done, 3000);
    if (probes_got < probes_sent) {
        set_why("%d of %d probe signals reached their receivers", probes_got,
                probes_sent);
        print_unreached("cluster-relay");
        free_peers();
        return;
    }
    why[0] = '\0'; /* every probe arrived: whatever the call ids said, the peers are reached */
    nlat = 0;
    ready();
    relay_loop(3, 1, 2);
    printf("{\"scenario\":\"cluster-relay\",\"owner_url\":\"%s\",\"send_url\":\"%s\","
           "\"recv_url\":\"%s\",\"pairs\":%d,\"size\":%d,\"target_rate\":%.0f,\"seconds\":%d,"
           "\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"messages_per_s\":%.0f,"
           "\"peer_reached\":true,",
           opt.url, opt.send_url, opt.recv_url, opt.pairs, opt.size, opt.rate, opt.seconds,
           (unsigned long long)sent, (unsigned long long)received,
           (unsigned long long)(sent - received), (double)received / opt.seconds);
    print_lat("relay");
    printf("}\n");
    free_peers();
}

/* ---- fanout and broadcast ---- */

static int fanout_done_count, media_events;

static void
on_fanout_join(dpa_client *c, const dpa_reply *r, void *user)
{
    peer *p = user;
    const char *s = r->json;
    int count = 0;
    (void)c;
    njoined++;
    if (!r->ok)
        return;
    snprintf(p->call_id, sizeof(p->call_id), "%s", r->call_id ? r->call_id : "");
    while ((s = strstr(s, "\"userId\":"))) {
        count++;
        s += 9;
    }
    p->seen += count;
    if (p->seen >= npeers && !p->joined) {
        p->joined = 1;
        fanout_done_count++;
    }
}

static void
on_event(dpa_client *c, const dpa_event *ev, void *user)
{
    peer *p = user;
    (void)c;
    if (strcmp(ev->type, "GROUP_CALL_ICE_CANDIDATE") == 0 && ev->payload &&
        strstr(ev->payload, "\"probe\"")) {
        if (!p->probe_got) {
            p->probe_got = 1;
            probes_got++;
        }
    } else if (strcmp(ev->type, "GROUP_CALL_ICE_CANDIDATE") == 0 && ev->payload) {
        const char *t = strstr(ev->payload, "\"t\":");
        if (t)
            add_lat(now_ns() - atoll(t + 4));
        received++;
    } else if (strcmp(ev->type, "GROUP_CALL_PARTICIPANT_JOINED") == 0) {
        p->seen++;
        if (p->seen >= npeers && !p->joined) {
            p->joined = 1;
            fanout_done_count++;
        }
    } else if (strcmp(ev->type, "GROUP_CALL_MEDIA_STATE") == 0) {
        media_events++;
    }
}

static int
fanout_done(void)
{
    return fanout_done_count >= npeers;
}

static void
scenario_fanout(int broadcast)
{
    int i;
    int64_t t0;

    if (make_rooms(1, "{}"))
        return;
    make_peers(opt.n, "f");
    connect_all();
    if (!broadcast)
        ready();
    t0 = now_ns();
    for (i = 0; i < npeers; i++)
        dpa_client_join_room(peers[i].c, room_ids[0], on_fanout_join, &peers[i]);
    run_until(fanout_done, CAP_MS);
    if (!broadcast) {
        printf("{\"scenario\":\"fanout\",\"participants\":%d,\"everyone_saw_everyone\":%s,"
               "\"seconds\":%.4f}\n",
               npeers, fanout_done_count >= npeers ? "true" : "false",
               (double)(now_ns() - t0) / 1e9);
    } else {
        int64_t end, start;
        int toggles = 0;
        ready();
        end = now_ns() + (int64_t)opt.seconds * 1000000000;
        start = now_ns();
        media_events = 0;
        while (now_ns() < end) {
            /* Keep about 20 events in flight per receiver. */
            if ((int64_t)toggles * (npeers - 1) - media_events < (int64_t)(npeers - 1) * 20) {
                dpa_client_set_media_state(peers[0].c, peers[0].call_id, toggles & 1, -1, NULL,
                                           NULL);
                toggles++;
            }
            service_once();
        }
        printf("{\"scenario\":\"broadcast\",\"participants\":%d,\"events_sent\":%d,"
               "\"deliveries\":%d,\"deliveries_per_s\":%.0f}\n",
               npeers, toggles, media_events,
               (double)media_events / ((double)(now_ns() - start) / 1e9));
    }
    free_peers();
}

static void
scenario_idle(void)
{
    double s;

    make_peers(opt.n, "i");
    s = connect_all();
    printf("{\"scenario\":\"idle\",\"connections\":%d,\"failed\":%d,\"connect_auth_s\":%.3f,"
           "\"connects_per_s\":%.0f}\n",
           nopen, nfailed, s, (double)nopen / s);
    fflush(stdout);
    /* Hold the connections so the driver can read the server's memory. */
    {
        int64_t end = now_ns() + (int64_t)opt.hold * 1000000000;
        while (now_ns() < end)
            dpa_context_run(ctx, 50);
    }
    free_peers();
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},     {"app", required_argument, NULL, 'a'},
        {"kid", required_argument, NULL, 'k'},     {"secret", required_argument, NULL, 's'},
        {"scenario", required_argument, NULL, 'S'}, {"n", required_argument, NULL, 'n'},
        {"rooms", required_argument, NULL, 'R'},   {"per-room", required_argument, NULL, 'P'},
        {"pairs", required_argument, NULL, 'p'},   {"size", required_argument, NULL, 'z'},
        {"seconds", required_argument, NULL, 't'}, {"rate", required_argument, NULL, 'r'},
        {"hold", required_argument, NULL, 'h'},    {"join-url", required_argument, NULL, 'J'},
        {"send-url", required_argument, NULL, 'A'}, {"recv-url", required_argument, NULL, 'B'},
        {NULL, 0, NULL, 0}};
    int c;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': opt.url = optarg; break;
        case 'a': opt.app = optarg; break;
        case 'k': opt.kid = optarg; break;
        case 's': opt.secret = optarg; break;
        case 'S': opt.scenario = optarg; break;
        case 'n': opt.n = atoi(optarg); break;
        case 'R': opt.rooms = atoi(optarg); break;
        case 'P': opt.per_room = atoi(optarg); break;
        case 'p': opt.pairs = atoi(optarg); break;
        case 'z': opt.size = atoi(optarg); break;
        case 't': opt.seconds = atoi(optarg); break;
        case 'r': opt.rate = atof(optarg); break;
        case 'h': opt.hold = atoi(optarg); break;
        case 'J': opt.join_url = optarg; break;
        case 'A': opt.send_url = optarg; break;
        case 'B': opt.recv_url = optarg; break;
        default: return 2;
        }
    }
    if (!opt.url || !opt.app || !opt.kid || !opt.secret || !opt.scenario) {
        fprintf(stderr, "usage: loadgen --url URL --app APP --kid KID --secret SECRET "
                        "--scenario idle|join|cycle|relay|fanout|broadcast|cluster-join|cluster-relay "
                        "[options]\n");
        return 2;
    }
    if (opt.seconds > 60)
        opt.seconds = 60;
    ctx = dpa_context_new();
    if (!ctx)
        return 1;
    if (!strcmp(opt.scenario, "idle"))
        scenario_idle();
    else if (!strcmp(opt.scenario, "join"))
        scenario_join();
    else if (!strcmp(opt.scenario, "cycle"))
        scenario_cycle();
    else if (!strcmp(opt.scenario, "relay"))
        scenario_relay();
    else if (!strcmp(opt.scenario, "fanout"))
        scenario_fanout(0);
    else if (!strcmp(opt.scenario, "broadcast"))
        scenario_fanout(1);
    else if (!strcmp(opt.scenario, "cluster-join"))
        scenario_cluster_join();
    else if (!strcmp(opt.scenario, "cluster-relay"))
        scenario_cluster_relay();
    else
        return 2;
    fflush(stdout);
    dpa_context_free(ctx);
    free(lat);
    return 0;
}
