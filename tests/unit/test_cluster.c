/*
 * The cluster layer's pure parts: redis:// URLs, and the room cache rules
 * invalidation relies on (floors refuse a copy older than an announced
 * write; a cache switched off keeps nothing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster/cluster.h"
#include "server/internal.h"

static void
urls(void **state)
{
    redis_addr a;
    const char *why = NULL;
    (void)state;

    assert_int_equal(cluster_parse_url("redis://127.0.0.1", &a, &why), 0);
    assert_string_equal(a.host, "127.0.0.1");
    assert_int_equal(a.port, 6379);
    assert_int_equal(a.db, 0);
    assert_string_equal(a.password, "");
    assert_int_equal(cluster_parse_url("redis://cache.internal:6390/3", &a, &why), 0);
    assert_string_equal(a.host, "cache.internal");
    assert_int_equal(a.port, 6390);
    assert_int_equal(a.db, 3);
    assert_int_equal(cluster_parse_url("redis://:s3cret@[::1]:7000/", &a, &why), 0);
    assert_string_equal(a.host, "::1");
    assert_int_equal(a.port, 7000);
    assert_string_equal(a.password, "s3cret");

    static const char *const bad[] = {
        "http://127.0.0.1", "redis://", "redis://:6379", "redis://h:0", "redis://h:65536",
        "redis://h:12ab", "redis://h/x", "redis://h/-1", "redis://user:pw@h", "redis://[::1",
        "redis://h?timeout=1", "redis://h:6379x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        assert_int_equal(cluster_parse_url(bad[i], &a, &why), -1);
        assert_non_null(why);
    }
}

static room *
room_at(const char *id, int64_t version)
{
    room *r = room_new();

    snprintf(r->id, sizeof(r->id), "%s", id);
    free(r->app_id);
    r->app_id = strdup("app"); /* freed by room_free */
    r->version = version;
    return r;
}

static void
cache_floors(void **state)
{
    roomcache *c = roomcache_new(100);
    const char *id = "rm_AAAAAAAAAAAAAAAAAAAAAA";
    (void)state;

    roomcache_put(c, room_at(id, 2));
    assert_int_equal(roomcache_get(c, id)->version, 2);
    /* Another node wrote version 3: the copy goes, and a racing read of 2 stays out. */
    roomcache_invalidate(c, id, 3);
    assert_null(roomcache_get(c, id));
    assert_int_equal(roomcache_floor(c, id), 3);
    roomcache_put(c, room_at(id, 2));
    assert_null(roomcache_get(c, id));
    roomcache_put(c, room_at(id, 3));
    assert_int_equal(roomcache_get(c, id)->version, 3);
    /* An announcement of what we hold already keeps it. */
    roomcache_invalidate(c, id, 3);
    assert_int_equal(roomcache_get(c, id)->version, 3);
    /* Deleted elsewhere: never cached again. */
    roomcache_invalidate(c, id, INT64_MAX);
    roomcache_put(c, room_at(id, 9));
    assert_null(roomcache_get(c, id));
    /* Off: nothing served, nothing kept; back on: empty. */
    roomcache_put(c, room_at("rm_BBBBBBBBBBBBBBBBBBBBBB", 1));
    roomcache_set_enabled(c, false);
    assert_null(roomcache_get(c, "rm_BBBBBBBBBBBBBBBBBBBBBB"));
    roomcache_put(c, room_at("rm_CCCCCCCCCCCCCCCCCCCCCC", 1));
    roomcache_set_enabled(c, true);
    assert_null(roomcache_get(c, "rm_CCCCCCCCCCCCCCCCCCCCCC"));
    roomcache_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(urls),
        cmocka_unit_test(cache_floors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
