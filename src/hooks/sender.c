/*
 * The webhook sender: one thread, its own store handle, libcurl's multi
 * interface. Each turn it
 *   1. records the outcomes of finished transfers (one transaction),
 *   2. claims due deliveries, per app up to hook_concurrency in flight
 *      (a lease each, so no other process sends them meanwhile), and
 *      starts a POST for each,
 *   3. waits in curl_multi_poll until a transfer moves, a kick comes
 *      (store jobs committed on the loop) or POLL_MS pass.
 * Every STATS_MS it reads the outbox's totals for /metrics; every
 * purge_every_ms it purges old call history and delivered events.
 *
 * Ordering is the store's: a delivery is due only when nothing older of
 * its room is pending for its endpoint, so a room's events reach each
 * endpoint one at a time, in order. Retries back off exponentially from
 * hook_backoff_ms and end hook_give_up_ms after the event: then the
 * delivery is failed and the room's next event goes on.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "core/hmap.h"
#include "core/util.h"
#include "hooks/internal.h"
#include "server/log.h"

#define POLL_MS 250            /* due deliveries are looked for at least this often */
#define KICK_GAP_MS 5          /* ... and after a kick, at most this often */
#define STATS_MS 1000
#define INFLIGHT_MAX 256       /* transfers at once, all apps together */
#define PURGE_BATCH 500        /* rows per purge transaction */
#define PURGE_ROUNDS 20        /* transactions per purge, at most */
#define OUTBOX_KEEP_MS (7LL * 24 * 3600 * 1000)  /* done events are kept this long */
#define LEASE_MARGIN_MS 5000   /* a lease outlives the attempt's timeout by this much */
#define OWNER_MAX 128

typedef struct flight {
    struct flight *prev, *next;
    CURL *easy;
    struct curl_slist *headers;
    store_delivery d;
    char owner[OWNER_MAX];
    char error[CURL_ERROR_SIZE];
} flight;

typedef struct outcome {
    int64_t id;
    char owner[OWNER_MAX];
    delivery_outcome what;
    int64_t next_at;
    int status;
    char error[160];
} outcome;

struct sender {
    const server_config *cfg;
    store *store;
    pthread_t thread;
    CURLM *multi;

    pthread_mutex_t lock;        /* the fields below it, up to stats */
    bool stopping;
    bool kicked;
    hook_stats stats;

    /* The thread's own. */
    char owner[OWNER_MAX - 24];
    uint64_t claims;
    flight *flights;
    hmap *per_app;               /* app id -> int * (transfers in flight) */
    int inflight;
    outcome *done;               /* finished, not yet recorded */
    int ndone, capdone;
    int64_t last_claim, next_stats, next_purge;
    bool kick_pending;
    bool failing;                /* the store refused: logged once */
    uint32_t rnd;
};

static size_t
discard(char *ptr, size_t size, size_t n, void *arg)
{
    (void)ptr;
    (void)arg;
    return size * n;
}

static uint32_t
next_rnd(sender *t)
{
    t->rnd ^= t->rnd << 13;
    t->rnd ^= t->rnd >> 17;
    t->rnd ^= t->rnd << 5;
    return t->rnd;
}

/* The store answered (ok) or not: counted, and logged once per episode. */
static void
store_said(sender *t, dpa_err e, const char *what)
{
    if (e == E_OK) {
        if (t->failing)
            dlog(LOG_INFO, "msg=\"webhook sender: the store works again\"");
        t->failing = false;
        return;
    }
    pthread_mutex_lock(&t->lock);
    t->stats.store_errors++;
    pthread_mutex_unlock(&t->lock);
    if (!t->failing)
        dlog(LOG_WARN, "msg=\"webhook sender: the store refused; retrying\" op=%s err=%s why=%s",
             what, error_code(e), store_errmsg(t->store));
    t->failing = true;
}

static int *
app_count(sender *t, const char *app_id)
{
    int *c = hmap_get(t->per_app, app_id);

    if (!c) {
        c = xcalloc(1, sizeof(*c));
        hmap_put(t->per_app, app_id, c);
    }
    return c;
}

/* ---- transfers ---- */

static void
flight_free(sender *t, flight *f)
{
    if (f->prev)
        f->prev->next = f->next;
    else
        t->flights = f->next;
    if (f->next)
        f->next->prev = f->prev;
    curl_multi_remove_handle(t->multi, f->easy);
    curl_easy_cleanup(f->easy);
    curl_slist_free_all(f->headers);
    (*app_count(t, f->d.app_id))--;
    t->inflight--;
    free(f->d.url);
    free(f->d.secret);
    free(f->d.body);
    free(f);
}

static struct curl_slist *
header(struct curl_slist *list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static struct curl_slist *
header(struct curl_slist *list, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return curl_slist_append(list, line);
}

/* Starts the POST of d (its strings are taken over), leased to owner. */
static void
start(sender *t, store_delivery *d, const char *owner)
{
    flight *f = xcalloc(1, sizeof(*f));
    int64_t ts = now_ms() / 1000;
    char sig[65];

    f->d = *d;
    memset(d, 0, sizeof(*d));
    snprintf(f->owner, sizeof(f->owner), "%s", owner);
    hooks_sign(f->d.secret, ts, f->d.body, strlen(f->d.body), sig);
    f->headers = header(NULL, "Content-Type: application/json");
    f->headers = header(f->headers, "User-Agent: droponair-webhooks/%s", DPA_VERSION);
    f->headers = header(f->headers, "Droponair-Event-Id: %s", f->d.event_id);
    f->headers = header(f->headers, "Droponair-Webhook-Id: %s", f->d.webhook_id);
    f->headers = header(f->headers, "Droponair-Timestamp: %lld", (long long)ts);
    f->headers = header(f->headers, "Droponair-Signature: v1=%s", sig);
    f->headers = header(f->headers, "Droponair-Delivery-Attempt: %d", f->d.attempts + 1);
    f->headers = header(f->headers, "Expect:"); /* no 100-continue round trip */
    f->easy = curl_easy_init();
    curl_easy_setopt(f->easy, CURLOPT_URL, f->d.url);
    curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(f->easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(f->easy, CURLOPT_POST, 1L);
    curl_easy_setopt(f->easy, CURLOPT_POSTFIELDS, f->d.body);
    curl_easy_setopt(f->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(f->d.body));
    curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
    curl_easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, (long)t->cfg->hook_timeout_ms);
    curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(t->cfg->hook_timeout_ms < 5000 ? t->cfg->hook_timeout_ms : 5000));
    curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->error);
    curl_easy_setopt(f->easy, CURLOPT_PRIVATE, f);
    f->next = t->flights;
    if (t->flights)
        t->flights->prev = f;
    t->flights = f;
    (*app_count(t, f->d.app_id))++;
    t->inflight++;
    curl_multi_add_handle(t->multi, f->easy);
}

/* What a finished transfer means for its delivery; the outcome waits to be recorded. */
static void
finished(sender *t, flight *f, CURLcode rc, int64_t now)
{
    long status = 0;
    outcome *o;
    uint64_t *counter;

    curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &status);
    if (t->ndone == t->capdone) {
        t->capdone = t->capdone ? 2 * t->capdone : 32;
        t->done = xrealloc(t->done, (size_t)t->capdone * sizeof(*t->done));
    }
    o = &t->done[t->ndone++];
    memset(o, 0, sizeof(*o));
    o->id = f->d.id;
    snprintf(o->owner, sizeof(o->owner), "%s", f->owner);
    o->status = rc == CURLE_OK ? (int)status : 0;
    pthread_mutex_lock(&t->lock);
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        o->what = DELIVERY_DONE;
        t->stats.attempts_2xx++;
        t->stats.delivered++;
        pthread_mutex_unlock(&t->lock);
        return;
    }
    if (rc == CURLE_OK) {
        counter = &t->stats.attempts_http_error;
        snprintf(o->error, sizeof(o->error), "HTTP %ld", status);
    } else {
        counter = rc == CURLE_OPERATION_TIMEDOUT ? &t->stats.attempts_timeout
                                                 : &t->stats.attempts_network_error;
        snprintf(o->error, sizeof(o->error), "%.150s",
                 f->error[0] ? f->error : curl_easy_strerror(rc));
    }
    (*counter)++;
    if (now >= f->d.created_at + t->cfg->hook_give_up_ms) {
        o->what = DELIVERY_FAILED;
        t->stats.failed++;
    } else {
        int64_t last = f->d.created_at + t->cfg->hook_give_up_ms;
        o->what = DELIVERY_RETRY;
        o->next_at = now + hooks_backoff_ms(f->d.attempts + 1, t->cfg->hook_backoff_ms,
                                            next_rnd(t));
        if (o->next_at > last)
            o->next_at = last; /* one last try when the window ends */
        t->stats.retried++;
    }
    pthread_mutex_unlock(&t->lock);
    if (o->what == DELIVERY_FAILED)
        dlog(LOG_WARN, "msg=\"webhook delivery given up\" event=%s webhook=%s room=%s "
                       "attempts=%d err=%s",
             f->d.event_id, f->d.webhook_id, f->d.room_id, f->d.attempts + 1, o->error);
    else
        dlog(LOG_DEBUG, "msg=\"webhook delivery will be retried\" event=%s webhook=%s "
                        "attempt=%d in_ms=%lld err=%s",
             f->d.event_id, f->d.webhook_id, f->d.attempts + 1,
             (long long)(o->next_at - now), o->error);
}

/* Takes the finished transfers off the multi handle. Returns how many. */
static int
collect(sender *t, int64_t now)
{
    CURLMsg *msg;
    int left, n = 0;

    while ((msg = curl_multi_info_read(t->multi, &left))) {
        flight *f = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        finished(t, f, msg->data.result, now);
        flight_free(t, f);
        n++;
    }
    if (n) {
        pthread_mutex_lock(&t->lock);
        t->stats.in_flight = (uint64_t)t->inflight;
        pthread_mutex_unlock(&t->lock);
    }
    return n;
}

/* Records the outcomes in one transaction; kept for the next turn when the store refuses. */
static void
record(sender *t, int64_t now)
{
    dpa_err e;
    int i;

    if (!t->ndone)
        return;
    e = store_begin(t->store);
    for (i = 0; e == E_OK && i < t->ndone; i++) {
        outcome *o = &t->done[i];
        e = store_delivery_finish(t->store, o->id, o->owner, o->what, now, o->next_at, o->status,
                                  o->error[0] ? o->error : NULL);
    }
    if (e == E_OK)
        e = store_commit(t->store);
    if (e != E_OK)
        store_rollback(t->store);
    store_said(t, e, "record");
    if (e == E_OK)
        t->ndone = 0;
}

/* Claims what is due, app by app, within each app's share. Returns how many started. */
static int
claim(sender *t, int64_t now)
{
    store_app_ref *apps = NULL;
    int i, k, n = 0, started = 0;
    dpa_err e;

    if (t->inflight >= INFLIGHT_MAX)
        return 0;
    e = store_deliveries_due(t->store, now, &apps, &n);
    store_said(t, e, "due");
    for (i = 0; e == E_OK && i < n && t->inflight < INFLIGHT_MAX; i++) {
        int share = t->cfg->hook_concurrency - *app_count(t, apps[i].app_id);
        char owner[OWNER_MAX];
        delivery_batch batch;

        if (share > INFLIGHT_MAX - t->inflight)
            share = INFLIGHT_MAX - t->inflight;
        if (share <= 0)
            continue;
        /* Each claim its own owner name: what it returns is exactly what it leased. */
        snprintf(owner, sizeof(owner), "%s%llu", t->owner, (unsigned long long)++t->claims);
        if ((e = store_begin(t->store)) == E_OK &&
            (e = store_deliveries_claim(t->store, apps[i].app_id, owner, now,
                                        now + t->cfg->hook_timeout_ms + LEASE_MARGIN_MS, share,
                                        &batch)) == E_OK &&
            (e = store_commit(t->store)) != E_OK)
            delivery_batch_clear(&batch);
        if (e != E_OK) {
            store_rollback(t->store);
            store_said(t, e, "claim");
            break;
        }
        for (k = 0; k < batch.count; k++)
            start(t, &batch.items[k], owner);
        started += batch.count;
        delivery_batch_clear(&batch);
    }
    free(apps);
    pthread_mutex_lock(&t->lock);
    t->stats.in_flight = (uint64_t)t->inflight;
    pthread_mutex_unlock(&t->lock);
    return started;
}

/* ---- housekeeping ---- */

/* Runs purge(before) in transactions of PURGE_BATCH until less is left. Returns the total. */
static uint64_t
purge_rounds(sender *t, dpa_err (*fn)(store *, int64_t, int, int *), int64_t before,
             const char *what)
{
    uint64_t total = 0;
    int round, n = 0;
    dpa_err e = E_OK;

    for (round = 0; round < PURGE_ROUNDS; round++) {
        n = 0;
        if ((e = store_begin(t->store)) == E_OK &&
            (e = fn(t->store, before, PURGE_BATCH, &n)) == E_OK)
            e = store_commit(t->store);
        if (e != E_OK) {
            store_rollback(t->store);
            store_said(t, e, what);
            break;
        }
        total += (uint64_t)n;
        if (n < PURGE_BATCH)
            break;
    }
    return total;
}

static void
housekeeping(sender *t, int64_t now)
{
    if (now >= t->next_stats) {
        outbox_stats st;
        dpa_err e = store_outbox_stats(t->store, &st);

        store_said(t, e, "stats");
        t->next_stats = now + STATS_MS;
        if (e == E_OK) {
            pthread_mutex_lock(&t->lock);
            t->stats.outbox_known = true;
            t->stats.pending = st.pending;
            t->stats.failed_kept = st.failed;
            t->stats.oldest_pending_at = st.oldest_pending_at;
            pthread_mutex_unlock(&t->lock);
        }
    }
    if (now >= t->next_purge) {
        int64_t keep = t->cfg->history_keep_ms > 0
                           ? t->cfg->history_keep_ms
                           : (int64_t)t->cfg->history_days * 24 * 3600 * 1000;
        uint64_t calls = purge_rounds(t, store_history_purge, now - keep, "purge history");
        uint64_t events = purge_rounds(t, store_outbox_purge, now - OUTBOX_KEEP_MS, "purge outbox");

        t->next_purge = now + t->cfg->purge_every_ms;
        if (calls || events)
            dlog(LOG_INFO, "msg=\"purged\" calls=%llu events=%llu", (unsigned long long)calls,
                 (unsigned long long)events);
        pthread_mutex_lock(&t->lock);
        t->stats.calls_purged += calls;
        t->stats.events_purged += events;
        pthread_mutex_unlock(&t->lock);
    }
}

/* ---- the thread ---- */

static void *
sender_main(void *arg)
{
    sender *t = arg;

    for (;;) {
        int running = 0, timeout, n;
        bool stop, claim_now;
        int64_t now;

        pthread_mutex_lock(&t->lock);
        stop = t->stopping;
        t->kick_pending |= t->kicked;
        t->kicked = false;
        pthread_mutex_unlock(&t->lock);
        if (stop)
            break;
        curl_multi_perform(t->multi, &running);
        now = now_ms();
        n = collect(t, now);
        record(t, now);
        housekeeping(t, now);
        /* A finished delivery may free its room's next event: look at once. */
        claim_now = (n > 0 && t->ndone == 0) || now - t->last_claim >= POLL_MS ||
                    (t->kick_pending && now - t->last_claim >= KICK_GAP_MS);
        if (claim_now) {
            t->kick_pending = false;
            t->last_claim = now;
            if (claim(t, now) > 0)
                curl_multi_perform(t->multi, &running);
        }
        timeout = (int)(POLL_MS - (now_ms() - t->last_claim));
        if (t->kick_pending && timeout > KICK_GAP_MS)
            timeout = KICK_GAP_MS;
        if (timeout < 1)
            timeout = 1;
        curl_multi_poll(t->multi, NULL, 0, timeout, NULL);
    }
    /* Stopping: what finished is recorded; what is in flight goes back to the outbox. */
    collect(t, now_ms());
    record(t, now_ms());
    while (t->flights)
        flight_free(t, t->flights);
    store_said(t, store_deliveries_release(t->store, t->owner), "release");
    return NULL;
}

sender *
sender_start(const server_config *cfg, store *s, const char *owner)
{
    sender *t = xcalloc(1, sizeof(*t));

    t->cfg = cfg;
    t->store = s;
    snprintf(t->owner, sizeof(t->owner), "%s", owner);
    t->per_app = hmap_new();
    t->multi = curl_multi_init();
    t->rnd = (uint32_t)mono_ns() | 1u;
    t->next_purge = now_ms() + 1000; /* soon after start, not in its rush */
    pthread_mutex_init(&t->lock, NULL);
    if (pthread_create(&t->thread, NULL, sender_main, t) != 0) {
        fputs("droponaird: cannot start the webhook sender thread\n", stderr);
        abort();
    }
    return t;
}

void
sender_kick(sender *t)
{
    pthread_mutex_lock(&t->lock);
    t->kicked = true;
    pthread_mutex_unlock(&t->lock);
    curl_multi_wakeup(t->multi);
}

void
sender_stats(sender *t, hook_stats *out)
{
    pthread_mutex_lock(&t->lock);
    *out = t->stats;
    pthread_mutex_unlock(&t->lock);
}

static void
free_count(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

void
sender_request_stop(sender *t)
{
    pthread_mutex_lock(&t->lock);
    t->stopping = true;
    pthread_mutex_unlock(&t->lock);
    curl_multi_wakeup(t->multi);
}

void
sender_stop(sender *t)
{
    if (!t)
        return;
    sender_request_stop(t);
    pthread_join(t->thread, NULL);
    curl_multi_cleanup(t->multi);
    store_close(t->store);
    hmap_each(t->per_app, free_count, NULL);
    hmap_free(t->per_app);
    free(t->done);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
