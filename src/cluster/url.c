/* redis:// URLs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"

static int
parse_int(const char *s, size_t n, long min, long max, int *out)
{
    char buf[16], *end;
    long v;

    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (buf[0] < '0' || buf[0] > '9')
        return -1;
    v = strtol(buf, &end, 10);
    if (*end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

int
cluster_parse_url(const char *url, redis_addr *out, const char **why)
{
    const char *p, *at, *end, *host, *host_end, *port = NULL;
    size_t n;

    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (strncmp(url, "redis://", 8) != 0) {
        *why = "must start with redis://";
        return -1;
    }
    p = url + 8;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        /* [user]:password@ (Redis 6 ACL users are not supported yet). */
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (!colon || colon != p) {
            *why = "takes a password as redis://:PASSWORD@host, not a user name";
            return -1;
        }
        n = (size_t)(at - colon - 1);
        if (n == 0 || n >= sizeof(out->password)) {
            *why = "has an empty or too long password";
            return -1;
        }
        memcpy(out->password, colon + 1, n);
        p = at + 1;
    }
    if (*p == '[') {
        host = p + 1;
        host_end = memchr(host, ']', (size_t)(end - host));
        if (!host_end) {
            *why = "has an IPv6 address without its closing ]";
            return -1;
        }
        p = host_end + 1;
    } else {
        host = p;
        host_end = memchr(p, ':', (size_t)(end - p));
        if (!host_end)
            host_end = end;
        p = host_end;
    }
    if (p < end) {
        if (*p != ':') {
            *why = "has something after the host that is not :PORT";
            return -1;
        }
        port = p + 1;
        if (parse_int(port, (size_t)(end - port), 1, 65535, &out->port)) {
            *why = "has a port that is not 1 to 65535";
            return -1;
        }
    }
    n = (size_t)(host_end - host);
    if (n == 0 || n >= sizeof(out->host)) {
        *why = "has no host";
        return -1;
    }
    memcpy(out->host, host, n);
    if (*end == '/' && end[1]) {
        if (parse_int(end + 1, strlen(end + 1), 0, 1000000, &out->db)) {
            *why = "has a database number that is not 0 to 1000000";
            return -1;
        }
    } else if (*end && strcmp(end, "/") != 0) {
        *why = "takes no query or fragment";
        return -1;
    }
    return 0;
}
