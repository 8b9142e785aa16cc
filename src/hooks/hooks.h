/*
 * Webhooks: the sender that delivers the store's outbox to each app's
 * endpoints, and the housekeeping that purges old call history and
 * delivered events (docs/api.md, Webhooks; docs/operations.md).
 *
 * It runs off the loop, on a thread of its own with its own store handle
 * (opened on cfg->db_url) and libcurl's multi interface: a slow or dead
 * endpoint holds only its own deliveries, never the loop, the store
 * worker or another app's deliveries. It sits beside http/, ws/ and
 * cluster/ above the loop: the loop knows it as a server_protocol without
 * connections, and it hears of committed store jobs through the loop's
 * committed hook.
 */
#ifndef DPA_HOOKS_HOOKS_H
#define DPA_HOOKS_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "server/server.h"

/* For the table the composition hands server_run: reads cfg->db_url and the hook_* settings. */
extern const server_protocol hooks_protocol;

/*
 * The signature of a delivery: HMAC-SHA256 with secret over
 * "<timestamp>.<body>" (timestamp: the Droponair-Timestamp header, unix
 * seconds), as 64 lowercase hex characters in out.
 */
void hooks_sign(const char *secret, int64_t timestamp, const char *body, size_t len,
                char out[65]);

/*
 * The delay before retry number `attempt` (1: after the first failure):
 * base_ms doubling each time, at most 3600 times base_ms, spread by up to
 * +-20 % with rnd (any 32-bit value) so retries of many deliveries do not
 * come back together.
 */
int64_t hooks_backoff_ms(int attempt, int base_ms, uint32_t rnd);

#endif
