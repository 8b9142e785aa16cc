/* The metrics registry and the one renderer of the Prometheus text format. */
#include "server/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/util.h"

#define COLLECTORS_MAX 16

struct metrics {
    struct {
        metrics_collector fn;
        void *arg;
    } c[COLLECTORS_MAX];
    int n;
};

struct metrics_out {
    char *p;
    size_t len, cap;
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
metrics_register(metrics *m, metrics_collector fn, void *arg)
{
    if (m->n == COLLECTORS_MAX)
        abort(); /* a programming error: raise COLLECTORS_MAX */
    m->c[m->n].fn = fn;
    m->c[m->n].arg = arg;
    m->n++;
}

void
metrics_unregister(metrics *m, const void *arg)
{
    int i, j = 0;

    for (i = 0; i < m->n; i++)
        if (m->c[i].arg != arg)
            m->c[j++] = m->c[i];
    m->n = j;
}

static void
vput(metrics_out *o, const char *fmt, va_list ap0)
{
    va_list ap;
    int n;

    for (;;) {
        va_copy(ap, ap0);
        n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < o->cap - o->len)
            break;
        o->cap = o->cap * 2 + (size_t)n;
        o->p = xrealloc(o->p, o->cap);
    }
    o->len += (size_t)n;
}

void
metric_line(metrics_out *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vput(o, fmt, ap);
    va_end(ap);
}

void
metric_family(metrics_out *o, const char *name, const char *type, const char *help)
{
    metric_line(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
metric_u64(metrics_out *o, const char *name, const char *type, const char *help, uint64_t value)
{
    metric_family(o, name, type, help);
    metric_line(o, "%s %llu\n", name, (unsigned long long)value);
}

char *
metrics_render(metrics *m, size_t *len)
{
    metrics_out o = {xmalloc(4096), 0, 4096};
    int i;

    o.p[0] = '\0';
    for (i = 0; i < m->n; i++)
        m->c[i].fn(m->c[i].arg, &o);
    *len = o.len;
    return o.p;
}
