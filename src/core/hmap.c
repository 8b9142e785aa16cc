#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "core/util.h"

typedef struct node {
    struct node *next;
    uint64_t hash;
    void *value;
    char key[];
} node;

struct hmap {
    node **buckets;
    size_t nbuckets;
    size_t count;
};

static uint64_t
hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

hmap *
hmap_new(void)
{
    hmap *m = xcalloc(1, sizeof(*m));
    m->nbuckets = 16;
    m->buckets = xcalloc(m->nbuckets, sizeof(node *));
    return m;
}

void
hmap_free(hmap *m)
{
    size_t i;
    node *n, *next;

    if (!m)
        return;
    for (i = 0; i < m->nbuckets; i++)
        for (n = m->buckets[i]; n; n = next) {
            next = n->next;
            free(n);
        }
    free(m->buckets);
    free(m);
}

static node **
slot(const hmap *m, const char *key, uint64_t h)
{
    node **pn = &m->buckets[h & (m->nbuckets - 1)];
    for (; *pn; pn = &(*pn)->next)
        if ((*pn)->hash == h && strcmp((*pn)->key, key) == 0)
            break;
    return pn;
}

void *
hmap_get(const hmap *m, const char *key)
{
    node *n = *slot(m, key, hash(key));
    return n ? n->value : NULL;
}

static void
grow(hmap *m)
{
    size_t nb = m->nbuckets * 2, i;
    node **b = xcalloc(nb, sizeof(node *)), *n, *next;

    for (i = 0; i < m->nbuckets; i++)
        for (n = m->buckets[i]; n; n = next) {
            next = n->next;
            n->next = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
}

void *
hmap_put(hmap *m, const char *key, void *value)
{
    uint64_t h = hash(key);
    node **pn = slot(m, key, h), *n;
    size_t len;

    if (*pn) {
        void *old = (*pn)->value;
        (*pn)->value = value;
        return old;
    }
    len = strlen(key);
    n = xmalloc(sizeof(*n) + len + 1);
    memcpy(n->key, key, len + 1);
    n->hash = h;
    n->value = value;
    n->next = NULL;
    *pn = n;
    if (++m->count > m->nbuckets)
        grow(m);
    return NULL;
}

void *
hmap_del(hmap *m, const char *key)
{
    node **pn = slot(m, key, hash(key)), *n = *pn;
    void *v;

    if (!n)
        return NULL;
    *pn = n->next;
    v = n->value;
    free(n);
    m->count--;
    return v;
}

size_t
hmap_count(const hmap *m)
{
    return m->count;
}

void
hmap_each(const hmap *m, void (*fn)(const char *key, void *value, void *arg), void *arg)
{
    size_t i;
    node *n;

    for (i = 0; i < m->nbuckets; i++)
        for (n = m->buckets[i]; n; n = n->next)
            fn(n->key, n->value, arg);
}
