/*
 * Prometheus metrics: HTTP requests by route, method and status; request
 * latency histogram by route; rooms in the store; process CPU and memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/util.h"
#include "http/internal.h"

#define COUNTERS_MAX 256
#define ROUTES_MAX 32

static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
#define NBOUNDS (sizeof(bounds) / sizeof(bounds[0]))

typedef struct counter {
    const char *route;   /* static strings: compared by address */
    const char *method;
    int status;
    uint64_t count;
} counter;

typedef struct histogram {
    const char *route;
    uint64_t buckets[NBOUNDS + 1];
    uint64_t count;
    double sum;
} histogram;

struct metrics {
    counter counters[COUNTERS_MAX];
    int ncounters;
    histogram hists[ROUTES_MAX];
    int nhists;
};

metrics *
metrics_new(void)
{
    return xcalloc(1, sizeof(metrics));
}

void
metrics_free(metrics *m)
{
    free(m);
}

void
metrics_http(metrics *m, const char *label, const char *method, int status,
             uint64_t duration_ns)
{
    double secs = (double)duration_ns / 1e9;
    histogram *h = NULL;
    size_t b;
    int i;

    for (i = 0; i < m->ncounters; i++) {
        counter *c = &m->counters[i];
        if (c->route == label && c->method == method && c->status == status) {
            c->count++;
            break;
        }
    }
    if (i == m->ncounters && i < COUNTERS_MAX)
        m->counters[m->ncounters++] = (counter){label, method, status, 1};
    for (i = 0; i < m->nhists; i++)
        if (m->hists[i].route == label)
            h = &m->hists[i];
    if (!h && m->nhists < ROUTES_MAX) {
        h = &m->hists[m->nhists++];
        h->route = label;
    }
    if (!h)
        return;
    for (b = 0; b < NBOUNDS && secs > bounds[b]; b++)
        ;
    h->buckets[b]++;
    h->count++;
    h->sum += secs;
}

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void
put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if ((size_t)n < b->cap - b->len)
            break;
        b->cap = b->cap * 2 + (size_t)n;
        b->p = xrealloc(b->p, b->cap);
    }
    b->len += (size_t)n;
}

static void
process_metrics(buf *b)
{
    struct rusage ru;
    long pages = 0, rss = 0;
    FILE *f;

    getrusage(RUSAGE_SELF, &ru);
    put(b, "# HELP process_cpu_seconds_total User and system CPU time.\n"
           "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.6f\n",
        (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
    f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    put(b, "# HELP process_resident_memory_bytes Resident memory.\n"
           "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n",
        rss * sysconf(_SC_PAGESIZE));
}

char *
metrics_render(server *srv, size_t *len)
{
    metrics *m = srv->metrics;
    buf b = {xmalloc(4096), 0, 4096};
    int i;
    size_t k;

    put(&b, "# HELP droponair_http_requests_total HTTP requests answered.\n"
            "# TYPE droponair_http_requests_total counter\n");
    for (i = 0; i < m->ncounters; i++)
        put(&b, "droponair_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
            m->counters[i].route, m->counters[i].method, m->counters[i].status,
            (unsigned long long)m->counters[i].count);
    put(&b, "# HELP droponair_http_request_duration_seconds Time from request to reply.\n"
            "# TYPE droponair_http_request_duration_seconds histogram\n");
    for (i = 0; i < m->nhists; i++) {
        histogram *h = &m->hists[i];
        uint64_t cum = 0;
        for (k = 0; k < NBOUNDS; k++) {
            cum += h->buckets[k];
            put(&b, "droponair_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                h->route, bounds[k], (unsigned long long)cum);
        }
        put(&b, "droponair_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
            h->route, (unsigned long long)h->count);
        put(&b, "droponair_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", h->route,
            h->sum);
        put(&b, "droponair_http_request_duration_seconds_count{route=\"%s\"} %llu\n", h->route,
            (unsigned long long)h->count);
    }
    put(&b, "# HELP droponair_rooms_total Rooms in the store.\n"
            "# TYPE droponair_rooms_total gauge\ndroponair_rooms_total %lld\n",
        (long long)srv->rooms_total);
    put(&b, "# HELP droponair_apps_total Apps known to the server.\n"
            "# TYPE droponair_apps_total gauge\ndroponair_apps_total %d\n",
        srv->apps ? srv->apps->napps : 0);
    put(&b, "# HELP droponair_store_jobs_pending Store jobs queued or running.\n"
            "# TYPE droponair_store_jobs_pending gauge\ndroponair_store_jobs_pending %zu\n",
        worker_pending(srv->worker));
    put(&b, "# HELP droponair_store_up 1 while the store accepts writes, 0 while it fails "
            "(see /healthz).\n"
            "# TYPE droponair_store_up gauge\ndroponair_store_up %d\n",
        worker_health(srv->worker, NULL, 0, NULL) == STORE_OK);
    {
        uint64_t calls, participants, waiting;
        const ws_stats *w = &srv->ws;

        live_totals(srv, &calls, &participants, &waiting);
        put(&b, "# TYPE droponair_ws_connections gauge\ndroponair_ws_connections %llu\n"
                "# TYPE droponair_ws_sessions gauge\ndroponair_ws_sessions %llu\n"
                "# TYPE droponair_live_calls gauge\ndroponair_live_calls %llu\n"
                "# TYPE droponair_call_participants gauge\ndroponair_call_participants %llu\n"
                "# TYPE droponair_call_waiting gauge\ndroponair_call_waiting %llu\n"
                "# TYPE droponair_calls_started_total counter\ndroponair_calls_started_total %llu\n"
                "# TYPE droponair_ws_frames_in_total counter\ndroponair_ws_frames_in_total %llu\n"
                "# TYPE droponair_ws_events_out_total counter\ndroponair_ws_events_out_total %llu\n"
                "# TYPE droponair_signals_relayed_total counter\ndroponair_signals_relayed_total %llu\n"
                "# TYPE droponair_ws_rate_limited_total counter\ndroponair_ws_rate_limited_total %llu\n"
                "# TYPE droponair_ws_slow_readers_total counter\ndroponair_ws_slow_readers_total %llu\n"
                "# HELP droponair_ws_sessions_evicted_total Sessions in the reconnect grace ended by the per-user session cap.\n"
                "# TYPE droponair_ws_sessions_evicted_total counter\ndroponair_ws_sessions_evicted_total %llu\n",
            (unsigned long long)w->connections, (unsigned long long)w->sessions,
            (unsigned long long)calls, (unsigned long long)participants,
            (unsigned long long)waiting, (unsigned long long)srv->calls_total,
            (unsigned long long)w->frames_in, (unsigned long long)w->events_out,
            (unsigned long long)w->signals_relayed, (unsigned long long)w->rate_limited,
            (unsigned long long)w->slow_readers, (unsigned long long)w->sessions_evicted);
    }
    process_metrics(&b);
    *len = b.len;
    return b.p;
}
