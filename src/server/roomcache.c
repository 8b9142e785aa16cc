/*
 * Rooms the loop has loaded or written, by room id: what GET serves without
 * a trip to the store. The store stays the truth; every committed write
 * updates the cache on the loop. When it holds max_entries rooms it is
 * emptied and refills on demand (rooms are cheap to load again).
 *
 * In cluster mode other nodes write rooms too: their announcements drop
 * the copy here and set a floor (the announced version), so a read that
 * raced their write cannot put the older copy back. While announcements
 * may be missed the cache is switched off.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/util.h"
#include "server/internal.h"

struct roomcache {
    hmap *rooms;
    hmap *floors;    /* room id -> int64_t *: older versions are stale */
    size_t max;
    bool disabled;
};

roomcache *
roomcache_new(size_t max_entries)
{
    roomcache *c = xcalloc(1, sizeof(*c));

    c->rooms = hmap_new();
    c->floors = hmap_new();
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

static void
free_floor(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

void
roomcache_free(roomcache *c)
{
    if (!c)
        return;
    hmap_each(c->rooms, free_room, NULL);
    hmap_free(c->rooms);
    hmap_each(c->floors, free_floor, NULL);
    hmap_free(c->floors);
    free(c);
}

room *
roomcache_get(roomcache *c, const char *room_id)
{
    return c->disabled ? NULL : hmap_get(c->rooms, room_id);
}

int64_t
roomcache_floor(roomcache *c, const char *room_id)
{
    const int64_t *f = hmap_get(c->floors, room_id);
    return f ? *f : 0;
}

void
roomcache_put(roomcache *c, room *r)
{
    room *old = hmap_get(c->rooms, r->id);

    if (c->disabled || r->version < roomcache_floor(c, r->id) ||
        (old && old->version > r->version)) {
        room_free(r);
        return;
    }
    if (!old && hmap_count(c->rooms) >= c->max)
        roomcache_clear(c);
    room_free(hmap_put(c->rooms, r->id, r));
}

void
roomcache_remove(roomcache *c, const char *room_id)
{
    room_free(hmap_del(c->rooms, room_id));
}

void
roomcache_clear(roomcache *c)
{
    hmap_each(c->rooms, free_room, NULL);
    hmap_free(c->rooms);
    c->rooms = hmap_new();
}

void
roomcache_invalidate(roomcache *c, const char *room_id, int64_t version)
{
    room *old = hmap_get(c->rooms, room_id);
    int64_t *f = hmap_get(c->floors, room_id);

    if (old && old->version < version)
        roomcache_remove(c, room_id);
    if (f) {
        if (*f < version)
            *f = version;
        return;
    }
    if (hmap_count(c->floors) >= c->max) {
        /* Floors only matter while a read is in flight: old ones can go. */
        hmap_each(c->floors, free_floor, NULL);
        hmap_free(c->floors);
        c->floors = hmap_new();
    }
    f = xmalloc(sizeof(*f));
    *f = version;
    hmap_put(c->floors, room_id, f);
}

void
roomcache_set_enabled(roomcache *c, bool on)
{
    if (!on)
        roomcache_clear(c);
    c->disabled = !on;
}
