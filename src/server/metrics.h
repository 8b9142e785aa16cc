/*
 * Prometheus metrics, the loop's registry: each layer registers a collector
 * that writes its own families; /metrics renders them all, in registration
 * order, without knowing any layer's structs.
 */
#ifndef DPA_SERVER_METRICS_H
#define DPA_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct metrics metrics;
typedef struct metrics_out metrics_out;

/* Writes the collector's families into out. */
typedef void (*metrics_collector)(void *arg, metrics_out *out);

metrics *metrics_new(void);
void metrics_free(metrics *m);
/* Adds a collector (at most 16); it runs on every render until metrics_free. */
void metrics_register(metrics *m, metrics_collector fn, void *arg);
/* Removes the collectors registered with arg (a layer that stops). */
void metrics_unregister(metrics *m, const void *arg);
/* Renders the Prometheus text of every collector; the caller frees. */
char *metrics_render(metrics *m, size_t *len);

/* "# HELP name help" and "# TYPE name type" (type: counter, gauge, histogram). */
void metric_family(metrics_out *o, const char *name, const char *type, const char *help);
/* A family with one unlabelled sample. */
void metric_u64(metrics_out *o, const char *name, const char *type, const char *help,
                uint64_t value);
/* A raw sample line (labels, histogram buckets), printf-style. */
void metric_line(metrics_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
