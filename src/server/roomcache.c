/*
 * Rooms the loop has loaded or written, by room id: what GET serves without
 * a trip to the store. The store stays the truth; every committed write
 * updates the cache on the loop. When it holds max_entries rooms it is
 * emptied and refills on demand (rooms are cheap to load again).
 */
#include <stdlib.h>

#include "core/util.h"
#include "server/internal.h"

struct roomcache {
    hmap *rooms;
    size_t max;
};

roomcache *
roomcache_new(size_t max_entries)
{
    roomcache *c = xcalloc(1, sizeof(*c));

    c->rooms = hmap_new();
    c->max = max_entries;
    return c;
}

static void
free_room(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    room_free(value);
}

void
roomcache_free(roomcache *c)
{
    if (!c)
        return;
    hmap_each(c->rooms, free_room, NULL);
    hmap_free(c->rooms);
    free(c);
}

room *
roomcache_get(roomcache *c, const char *room_id)
{
    return hmap_get(c->rooms, room_id);
}

void
roomcache_put(roomcache *c, room *r)
{
    room *old = hmap_get(c->rooms, r->id);

    if (old && old->version > r->version) {
        room_free(r);
        return;
    }
    if (!old && hmap_count(c->rooms) >= c->max) {
        hmap_each(c->rooms, free_room, NULL);
        hmap_free(c->rooms);
        c->rooms = hmap_new();
    }
    room_free(hmap_put(c->rooms, r->id, r));
}

void
roomcache_remove(roomcache *c, const char *room_id)
{
    room_free(hmap_del(c->rooms, room_id));
}
