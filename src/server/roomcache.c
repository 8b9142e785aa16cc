/*
 * Rooms the loop has loaded or written, by room id: what GET serves without
 * a trip to the store. The store stays the truth; every committed write
 * updates the cache on the loop. When it holds max_entries rooms it is
 * emptied and refills on demand (rooms are cheap to load again).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "server/internal.h"

typedef struct entry {
    struct entry *next;
    room *room;
} entry;

struct roomcache {
    entry **buckets;
    size_t nbuckets;
    size_t count;
    size_t max;
};

static uint64_t
hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

roomcache *
roomcache_new(size_t max_entries)
{
    roomcache *c = xcalloc(1, sizeof(*c));

    c->nbuckets = 1024;
    while (c->nbuckets < max_entries)
        c->nbuckets <<= 1;
    c->buckets = xcalloc(c->nbuckets, sizeof(entry *));
    c->max = max_entries;
    return c;
}

static void
clear(roomcache *c)
{
    size_t i;
    entry *e, *next;

    for (i = 0; i < c->nbuckets; i++) {
        for (e = c->buckets[i]; e; e = next) {
            next = e->next;
            room_free(e->room);
            free(e);
        }
        c->buckets[i] = NULL;
    }
    c->count = 0;
}

void
roomcache_free(roomcache *c)
{
    if (!c)
        return;
    clear(c);
    free(c->buckets);
    free(c);
}

static entry **
find(roomcache *c, const char *room_id)
{
    entry **pe = &c->buckets[hash(room_id) & (c->nbuckets - 1)];

    for (; *pe; pe = &(*pe)->next)
        if (strcmp((*pe)->room->id, room_id) == 0)
            break;
    return pe;
}

room *
roomcache_get(roomcache *c, const char *room_id)
{
    entry *e = *find(c, room_id);
    return e ? e->room : NULL;
}

void
roomcache_put(roomcache *c, room *r)
{
    entry **pe = find(c, r->id), *e;

    if (*pe) {
        if ((*pe)->room->version > r->version) {
            room_free(r);
            return;
        }
        room_free((*pe)->room);
        (*pe)->room = r;
        return;
    }
    if (c->count >= c->max) {
        clear(c);
        pe = find(c, r->id);
    }
    e = xmalloc(sizeof(*e));
    e->next = NULL;
    e->room = r;
    *pe = e;
    c->count++;
}

void
roomcache_remove(roomcache *c, const char *room_id)
{
    entry **pe = find(c, room_id), *e = *pe;

    if (!e)
        return;
    *pe = e->next;
    room_free(e->room);
    free(e);
    c->count--;
}
