/*
 * The cluster layer: several droponaird processes sharing one store, linked
 * by Redis (hiredis on the loop's libuv, never a blocking call on it).
 * Today it announces every committed room write and applies the other
 * nodes' announcements (room cache invalidation, live state reload); call
 * ownership and routing come next (docs/cluster.md).
 *
 * It sits beside http/ and ws/ above the loop: the loop knows it only as a
 * server_protocol without connections and as the room_bus it sets.
 */
#ifndef DPA_CLUSTER_CLUSTER_H
#define DPA_CLUSTER_CLUSTER_H

#include <stddef.h>

#include "server/server.h"

/* Where Redis is: redis://[:password@]host[:port][/db]. */
typedef struct redis_addr {
    char host[256];   /* a name, an IPv4 address or an IPv6 one (brackets removed) */
    int port;         /* default 6379 */
    int db;           /* default 0; pub/sub ignores it, so it names the channels */
    char password[256];
} redis_addr;

/*
 * Parses url into *out. Returns 0, or -1 with *why saying what is wrong
 * (a static string).
 */
int cluster_parse_url(const char *url, redis_addr *out, const char **why);

/*
 * Resolves a->host to a numeric address in ip[len] (blocking: at start
 * only, never on the loop). Returns 0, or -1 with *why.
 */
int cluster_resolve(const redis_addr *a, char *ip, size_t len, const char **why);

/*
 * The cluster link, for the table the composition hands server_run: it
 * reads cfg->redis_url (which must be set and valid) and cfg->node_id.
 */
extern const server_protocol cluster_protocol;

#endif
