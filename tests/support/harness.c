/* The socketless server of harness.h. It names no protocol (the caller does). */
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/json.h"
#include "core/util.h"
#include "fakelws.h"
#include "harness.h"
#include "server/log.h"
#include "store/internal.h"

#define SECRET_FZ "fuzz-secret-fz-0123456789abcdef"
#define SECRET_FZ2 "fuzz-secret-fz2-0123456789abcdef"
#define SECRET_PRO "fuzz-secret-pro-0123456789abcdef"
#define SECRET_DEV "fuzz-secret-dev-0123456789abcdef"

const char *const fz_room_ids[FZ_ROOMS] = {"rm_open",   "rm_wait", "rm_host",  "rm_full",
                                           "rm_closed", "rm_auto", "rm_other", "rm_bob"};

static const struct {
    const char *app, *creator, *body;
} fixtures[FZ_ROOMS] = {
    {"fz", "alice", "{\"name\":\"open\",\"hosts\":[\"carol\"]}"},
    {"fz", "alice", "{\"name\":\"wait\",\"hosts\":[\"carol\"],\"policy\":{\"waitingRoom\":true}}"},
    {"fz", "alice", "{\"name\":\"host\",\"hosts\":[\"carol\"],\"policy\":{\"requireHost\":true}}"},
    {"fz", "alice", "{\"name\":\"full\",\"hosts\":[\"carol\"],\"policy\":{\"maxParticipants\":2}}"},
    {"fz", "alice", "{\"name\":\"closed\",\"hosts\":[\"carol\"]}"},
    {"fz", "alice",
     "{\"name\":\"auto\",\"hosts\":[\"carol\"],\"metadata\":{\"k\":[1,{\"a\":null}]},"
     "\"policy\":{\"autoCloseWhenEmpty\":true,\"waitingRoom\":true}}"},
    {"fz2", "mallory", "{\"name\":\"other app\"}"},
    {"fz", "bob", "{\"name\":\"bob's\",\"scheduledStartAt\":1,\"scheduledEndAt\":2}"},
};

static struct {
    bool ready;
    plan_set plans;
    server_config cfg;
    store_worker *worker;
    struct lws_context *ctx;
    sem_t wake;
    room *rooms[FZ_ROOMS];
    char *tokens[FZ_TOKENS];
    server srv;
    void (*settle)(server *srv);
    bool in_input;
    char last_room[ROOM_ID_MAX];
    char values[26][10][64];    /* fz_set_value */
} H;

const char *
fz_room_app(const char *room_id)
{
    int i;
    for (i = 0; i < FZ_ROOMS; i++)
        if (strcmp(room_id, fz_room_ids[i]) == 0)
            return fixtures[i].app;
    return NULL;
}

const char *
fz_token(unsigned i)
{
    return H.tokens[i % FZ_TOKENS];
}

static void
wake(void *arg)
{
    (void)arg;
    sem_post(&H.wake);
}

static void
must(dpa_err e, const char *what)
{
    if (e != E_OK)
        fz_fail("harness set-up: %s failed (%s)", what, error_code(e));
}

static room *
fixture_room(int i, const plan *p)
{
    struct json_object *body = NULL;
    dpa_error fe;
    room *r = NULL;

    must(json_parse(fixtures[i].body, strlen(fixtures[i].body), &body), "fixture JSON");
    must(room_create(body, fixtures[i].app, fixtures[i].creator, p, 1700000000000 + i, &r, &fe),
         "fixture room");
    json_object_put(body);
    snprintf(r->id, sizeof(r->id), "%s", fz_room_ids[i]);
    if (i == 4)
        r->status = ROOM_CLOSED;
    return r;
}

static void
add_apps(store *s)
{
    int64_t t = 1700000000000;

    must(store_begin(s), "begin");
    must(store_app_insert(s, "fz", "fuzz", "business", t), "app fz");
    must(store_app_insert(s, "fz2", "fuzz two", "starter", t), "app fz2");
    must(store_app_insert(s, "fzpro", "fuzz pro", "pro", t), "app fzpro");
    must(store_key_insert(s, "k1", "fz", SECRET_FZ, t), "key k1");
    must(store_key_insert(s, "k2", "fz2", SECRET_FZ2, t), "key k2");
    must(store_key_insert(s, "k3", "fzpro", SECRET_PRO, t), "key k3");
    must(store_key_insert(s, "kshort", "fz", "short", t), "key kshort");
    must(store_app_insert(s, "dev", "dev", "business", t), "app dev");
    must(store_key_insert(s, "kdev", "dev", SECRET_DEV, t), "key kdev");
    must(store_commit(s), "commit");
}

static void
mint_tokens(void)
{
    int64_t now = now_ms() / 1000, year = 365 * 24 * 3600;

    H.tokens[0] = auth_mint("fz", "k1", SECRET_FZ, "alice", "Alice", NULL, now, 10 * year);
    H.tokens[1] = auth_mint("fz", "k1", SECRET_FZ, "bob", NULL, NULL, now, 10 * year);
    H.tokens[2] = auth_mint("fz", "k1", SECRET_FZ, "carol", "Carol", NULL, now, 10 * year);
    H.tokens[3] =
        auth_mint("fz", "k1", SECRET_FZ, "dave", "D \"the\" \\ dave", NULL, now, 10 * year);
    H.tokens[4] = auth_mint("fz2", "k2", SECRET_FZ2, "mallory", NULL, NULL, now, 10 * year);
    H.tokens[5] = auth_mint("fz", "k1", SECRET_FZ, "bob", NULL, NULL, now - 7200, 60);
    H.tokens[6] = auth_mint("fz", "k9", SECRET_FZ, "alice", NULL, NULL, now, 10 * year);
    H.tokens[7] = auth_mint("fzpro", "k3", SECRET_PRO, "erin", NULL, NULL, now, 10 * year);
}

static void
setup(void)
{
    static const struct lws_protocols protocols[] = {
        {"fuzz", lws_callback_http_dummy, 0, 0, 0, NULL, 0}, {NULL, NULL, 0, 0, 0, NULL, 0}};
    struct lws_context_creation_info info;
    char err[STORE_ERR_MAX];
    store *s = NULL;
    int i;

    log_level = getenv("FUZZ_LOG") ? LOG_DEBUG : LOG_ERROR + 1;
    lws_set_log_level(getenv("FUZZ_LOG") ? LLL_ERR | LLL_WARN : 0, NULL);
    plans_builtin(&H.plans);
    server_config_defaults(&H.cfg);
    H.cfg.dev = true;
    H.cfg.cors_origins[0] = "https://app.example";
    H.cfg.ncors = 1;
    H.cfg.ws_grace_ms = 1000;
    H.cfg.ws_conns_per_user = 3;
    H.cfg.ws_queue_max = 64 * 1024;

    /*
     * A context that never listens nor runs: sessions that lose their
     * connection schedule their grace timer on it (the harness ends them).
     */
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = &H.srv; /* server_of() of a fake connection */
    H.ctx = lws_create_context(&info);
    if (!H.ctx)
        fz_fail("harness set-up: no lws context");
    fake_set_context(H.ctx);

    must(store_open("sqlite::memory:", &s, err, sizeof(err)), "store_open");
    add_apps(s);
    for (i = 0; i < FZ_ROOMS; i++)
        H.rooms[i] = fixture_room(i, plans_find(&H.plans, "business"));
    mint_tokens();
    for (i = 0; i < FZ_TOKENS; i++)
        if (!H.tokens[i])
            fz_fail("harness set-up: cannot mint token %d", i);
    sem_init(&H.wake, 0, 0);
    H.worker = worker_start(s, wake, NULL);
    H.ready = true;
}

/* ---- the reset job ---- */

static void
reset_run(store_job *job, store *s)
{
    int i;

    job->result = s->ops->exec(s, "DELETE FROM room_hosts; DELETE FROM rooms;"
                                  " DELETE FROM app_room_counts; DELETE FROM calls;"
                                  " DELETE FROM idempotency;");
    for (i = 0; job->result == E_OK && i < FZ_ROOMS; i++)
        job->result = store_room_insert(s, H.rooms[i], 1000);
}

static void
reset_done(store_job *job)
{
    if (job->result != E_OK)
        fz_fail("harness: resetting the database failed (%s)", error_code(job->result));
}

void
fz_drain(void)
{
    while (worker_pending(H.worker) > 0) {
        sem_wait(&H.wake);
        worker_complete(H.worker);
    }
}

static app_registry *
registry(void)
{
    app_registry *reg = apps_new();

    apps_add(reg, "fz", "fuzz", "business", 1);
    apps_add(reg, "fz2", "fuzz two", "starter", 1);
    apps_add(reg, "fzpro", "fuzz pro", "pro", 1);
    apps_add_key(reg, "k1", "fz", SECRET_FZ, 1);
    apps_add_key(reg, "k2", "fz2", SECRET_FZ2, 1);
    apps_add_key(reg, "k3", "fzpro", SECRET_PRO, 1);
    apps_add_key(reg, "kshort", "fz", "short", 1);
    apps_add(reg, "dev", "dev", "business", 1);
    apps_add_key(reg, "kdev", "dev", SECRET_DEV, 1);
    apps_index(reg, &H.plans);
    return reg;
}

server_config *
fz_config(void)
{
    if (!H.ready)
        setup();
    return &H.cfg;
}

server *
fz_start(const server_protocol *const *protocols, int n, void (*settle)(server *srv))
{
    server *srv = &H.srv;
    store_job job;

    if (!H.ready)
        setup();
    if (H.in_input)
        fz_fail("harness: fz_start without fz_end");
    H.in_input = true;
    memset(&job, 0, sizeof(job));
    job.run = reset_run;
    job.done = reset_done;
    worker_submit(H.worker, &job);
    fz_drain();

    memset(srv, 0, sizeof(*srv));
    srv->ctx = H.ctx;
    srv->cfg = &H.cfg;
    srv->plans = &H.plans;
    srv->worker = H.worker;
    srv->apps = registry();
    server_state_init(srv, 1000, 1000);
    server_protocols_start(srv, protocols, n);
    H.settle = settle;
    srv->rooms_total = FZ_ROOMS;
    snprintf(H.last_room, sizeof(H.last_room), "rm_none");
    memset(H.values, 0, sizeof(H.values));
    return srv;
}

void
fz_end(void)
{
    server *srv = &H.srv;

    fz_drain();
    /* What the protocols still hold goes while the worker still runs. */
    if (H.settle) {
        H.settle(srv);
        fz_drain();
    }
    if (srv->reload_waiters)
        fz_fail("harness: a reload waiter was never resumed");
    server_state_free(srv);
    memset(srv, 0, sizeof(*srv));
    H.in_input = false;
}

void
fz_set_last_room(const char *room_id)
{
    snprintf(H.last_room, sizeof(H.last_room), "%s", room_id);
}

void
fz_set_value(char letter, int digit, const char *value)
{
    if (letter >= 'A' && letter <= 'Z' && digit >= 0 && digit <= 9)
        snprintf(H.values[letter - 'A'][digit], sizeof(H.values[0][0]), "%s", value);
}

/* ---- placeholders ---- */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void
put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static const char *
call_of(int i)
{
    live_call *lc = H.in_input ? live_find(&H.srv, fz_room_ids[i]) : NULL;
    return lc && call_is_live(lc) ? call_id_of(lc) : "call_none";
}

char *
fz_expand(const char *in, size_t len, size_t *outlen)
{
    buf b = {NULL, 0, 0};
    size_t i;

    put(&b, "", 0);
    for (i = 0; i < len; i++) {
        const char *s = NULL;
        if (in[i] == '$' && i + 1 < len && in[i + 1] == 'L') {
            s = H.last_room;
            i += 1;
        } else if (in[i] == '$' && i + 2 < len && in[i + 2] >= '0' && in[i + 2] <= '9') {
            int d = in[i + 2] - '0';
            if (in[i + 1] == 'T')
                s = fz_token((unsigned)d);
            else if (in[i + 1] == 'R')
                s = fz_room_ids[d % FZ_ROOMS];
            else if (in[i + 1] == 'C')
                s = call_of(d % FZ_ROOMS);
            else if (in[i + 1] >= 'A' && in[i + 1] <= 'Z')
                s = H.values[in[i + 1] - 'A'][d];
            if (s)
                i += 2;
        }
        if (s)
            put(&b, s, strlen(s));
        else
            put(&b, in + i, 1);
    }
    *outlen = b.len;
    return b.p;
}
