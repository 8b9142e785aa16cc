#include <stdlib.h>

#include "auth/tokencache.h"
#include "core/hmap.h"
#include "core/util.h"

struct tokcache {
    hmap *map;
    size_t max;
};

tokcache *
tokcache_new(size_t max_entries)
{
    tokcache *tc = xcalloc(1, sizeof(*tc));
    tc->map = hmap_new();
    tc->max = max_entries;
    return tc;
}

static void
free_entry(const char *key, void *value, void *arg)
{
    (void)key;
    (void)arg;
    free(value);
}

void
tokcache_clear(tokcache *tc)
{
    hmap_each(tc->map, free_entry, NULL);
    hmap_free(tc->map);
    tc->map = hmap_new();
}

void
tokcache_free(tokcache *tc)
{
    if (!tc)
        return;
    hmap_each(tc->map, free_entry, NULL);
    hmap_free(tc->map);
    free(tc);
}

bool
tokcache_get(tokcache *tc, const char *token, int64_t now_s, identity *id)
{
    identity *hit = hmap_get(tc->map, token);

    if (!hit)
        return false;
    /* now_s - skew, not exp + skew: exp may be as large as INT64_MAX. */
    if (now_s - CLOCK_SKEW_S >= hit->exp) {
        free(hmap_del(tc->map, token));
        return false;
    }
    *id = *hit;
    return true;
}

void
tokcache_put(tokcache *tc, const char *token, const identity *id)
{
    identity *copy;

    if (hmap_count(tc->map) >= tc->max)
        tokcache_clear(tc);
    copy = xmalloc(sizeof(*copy));
    *copy = *id;
    free(hmap_put(tc->map, token, copy));
}
