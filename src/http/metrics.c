/*
 * The HTTP layer's metrics: requests by route, method and status, and the
 * request latency histogram by route; rendered by the loop's registry.
 */
#include <stdio.h>
#include <stdlib.h>

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

struct http_metrics {
    counter counters[COUNTERS_MAX];
    int ncounters;
    histogram hists[ROUTES_MAX];
    int nhists;
};

http_metrics *
http_metrics_new(void)
{
    return xcalloc(1, sizeof(http_metrics));
}

void
http_metrics_free(http_metrics *m)
{
    free(m);
}

void
http_metrics_count(http_metrics *m, const char *label, const char *method, int status,
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

void
http_metrics_collect(void *arg, metrics_out *o)
{
    const http_metrics *m = arg;
    int i;
    size_t k;

    metric_family(o, "droponair_http_requests_total", "counter", "HTTP requests answered.");
    for (i = 0; i < m->ncounters; i++)
        metric_line(o, "droponair_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} "
                       "%llu\n",
                    m->counters[i].route, m->counters[i].method, m->counters[i].status,
                    (unsigned long long)m->counters[i].count);
    metric_family(o, "droponair_http_request_duration_seconds", "histogram",
                  "Time from request to reply.");
    for (i = 0; i < m->nhists; i++) {
        const histogram *h = &m->hists[i];
        uint64_t cum = 0;
        for (k = 0; k < NBOUNDS; k++) {
            cum += h->buckets[k];
            metric_line(o, "droponair_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                           "%llu\n",
                        h->route, bounds[k], (unsigned long long)cum);
        }
        metric_line(o, "droponair_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                       "%llu\n",
                    h->route, (unsigned long long)h->count);
        metric_line(o, "droponair_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", h->route,
                    h->sum);
        metric_line(o, "droponair_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                    h->route, (unsigned long long)h->count);
    }
}
