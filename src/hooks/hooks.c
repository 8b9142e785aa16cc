/*
 * The webhook sender as a loop module: started and stopped with the
 * server, told when store jobs commit (a kick), its counters on /metrics.
 * The work itself is sender.c's, on its own thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/util.h"
#include "hooks/internal.h"
#include "server/internal.h"
#include "server/log.h"

typedef struct hooks_state {
    server *srv;
    sender *t;                   /* NULL: off */
} hooks_state;

void
hooks_sign(const char *secret, int64_t timestamp, const char *body, size_t len, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0, i;
    char prefix[32];
    size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "%lld.", (long long)timestamp);
    unsigned char *msg = xmalloc(plen + len);

    memcpy(msg, prefix, plen);
    memcpy(msg + plen, body, len);
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, plen + len, mac, &maclen))
        maclen = 0;
    free(msg);
    for (i = 0; i < maclen && i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[2 * i] = '\0';
}

int64_t
hooks_backoff_ms(int attempt, int base_ms, uint32_t rnd)
{
    int64_t d = base_ms, cap = (int64_t)base_ms * 3600;
    int i;

    for (i = 1; i < attempt && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    /* +-20 %: rnd spread over [-d/5, d/5]. */
    return d - d / 5 + (int64_t)((uint64_t)rnd % (uint64_t)(2 * (d / 5) + 1));
}

static void
kick(void *arg)
{
    hooks_state *h = arg;
    sender_kick(h->t);
}

static void
collect(void *arg, metrics_out *o)
{
    hooks_state *h = arg;
    hook_stats st;
    int64_t age = 0;

    sender_stats(h->t, &st);
    metric_family(o, "droponair_webhook_deliveries_total", "counter",
                  "Webhook deliveries this process finished: delivered (2xx) or failed (given "
                  "up when the retry window ended).");
    metric_line(o, "droponair_webhook_deliveries_total{result=\"delivered\"} %llu\n",
                (unsigned long long)st.delivered);
    metric_line(o, "droponair_webhook_deliveries_total{result=\"failed\"} %llu\n",
                (unsigned long long)st.failed);
    metric_family(o, "droponair_webhook_attempts_total", "counter",
                  "Webhook delivery attempts this process made, by outcome.");
    metric_line(o, "droponair_webhook_attempts_total{outcome=\"2xx\"} %llu\n",
                (unsigned long long)st.attempts_2xx);
    metric_line(o, "droponair_webhook_attempts_total{outcome=\"http_error\"} %llu\n",
                (unsigned long long)st.attempts_http_error);
    metric_line(o, "droponair_webhook_attempts_total{outcome=\"timeout\"} %llu\n",
                (unsigned long long)st.attempts_timeout);
    metric_line(o, "droponair_webhook_attempts_total{outcome=\"network_error\"} %llu\n",
                (unsigned long long)st.attempts_network_error);
    metric_u64(o, "droponair_webhook_retries_total", "counter",
               "Failed webhook attempts this process scheduled to be tried again.", st.retried);
    metric_u64(o, "droponair_webhook_in_flight", "gauge",
               "Webhook deliveries this process is sending now.", st.in_flight);
    metric_u64(o, "droponair_webhook_pending", "gauge",
               "Webhook deliveries waiting in the outbox (every process's), due or backing off.",
               st.outbox_known ? (uint64_t)st.pending : 0);
    metric_u64(o, "droponair_webhook_failed", "gauge",
               "Webhook deliveries given up on and still kept in the outbox (7 days).",
               st.outbox_known ? (uint64_t)st.failed_kept : 0);
    if (st.outbox_known && st.oldest_pending_at > 0 && now_ms() > st.oldest_pending_at)
        age = (now_ms() - st.oldest_pending_at) / 1000;
    metric_u64(o, "droponair_webhook_oldest_pending_seconds", "gauge",
               "Age of the oldest event with a delivery still pending (0: none).",
               (uint64_t)age);
    metric_u64(o, "droponair_webhook_store_errors_total", "counter",
               "Store operations of the webhook sender that failed (retried).", st.store_errors);
    metric_u64(o, "droponair_history_calls_purged_total", "counter",
               "Calls removed from the call history after --history-days.", st.calls_purged);
}

/* Whether url names a database a second handle can open (not SQLite's :memory:). */
static bool
shareable(const char *url)
{
    return strcmp(url, "sqlite::memory:") != 0;
}

static void *
hooks_start(server *srv)
{
    const server_config *cfg = srv->cfg;
    hooks_state *h = xcalloc(1, sizeof(*h));
    char err[STORE_ERR_MAX], owner[96], boot[24];
    store *s = NULL;

    h->srv = srv;
    if (!cfg->db_url || !shareable(cfg->db_url)) {
        dlog(LOG_WARN, "msg=\"webhooks off: the store cannot be opened twice\"");
        return h;
    }
    if (store_open(cfg->db_url, &s, err, sizeof(err)) != E_OK) {
        dlog(LOG_ERROR, "msg=\"webhooks off: the sender cannot open the store\" err=%s", err);
        return h;
    }
    store_relax_durability(s);
    /* One process alone: every lease left in the outbox is an earlier run's. */
    if (!cfg->shared_store && store_deliveries_release(s, NULL) != E_OK)
        dlog(LOG_WARN, "msg=\"cannot release earlier webhook leases\" err=%s", store_errmsg(s));
    if (random_id(boot, sizeof(boot), "", 6))
        snprintf(boot, sizeof(boot), "x");
    snprintf(owner, sizeof(owner), "%s:%s:", cfg->node_id, boot);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    h->t = sender_start(cfg, s, owner);
    metrics_register(srv->metrics, collect, h);
    server_set_committed_hook(srv, kick, h);
    return h;
}

/*
 * Draining: the sender stops sending (what it has in flight goes back to
 * the outbox, for the next run or another process). The loop does not
 * wait for it: stop joins the thread once the loop is over.
 */
static void
hooks_drain(void *state)
{
    hooks_state *h = state;

    if (!h->t)
        return;
    server_set_committed_hook(h->srv, NULL, NULL);
    sender_request_stop(h->t);
}

static void
hooks_stop(void *state)
{
    hooks_state *h = state;

    if (!h)
        return;
    if (h->t) {
        server_set_committed_hook(h->srv, NULL, NULL);
        metrics_unregister(h->srv->metrics, h);
        sender_stop(h->t);
        curl_global_cleanup();
    }
    free(h);
}

const server_protocol hooks_protocol = {
    .name = "webhooks",
    .start = hooks_start,
    .drain = hooks_drain,
    .stop = hooks_stop,
};
