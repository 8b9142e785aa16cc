/*
 * Verified tokens, by their text, until they expire: a request carrying a
 * token seen before skips the JWT decode and HMAC. Emptied whenever the
 * app registry changes (a removed key must stop working at once) and when
 * full. Loop thread only.
 */
#ifndef DPA_AUTH_TOKENCACHE_H
#define DPA_AUTH_TOKENCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/jwt.h"

typedef struct tokcache tokcache;

tokcache *tokcache_new(size_t max_entries);
void tokcache_free(tokcache *tc);
/* Fills *id when token was verified before and is still within its exp. */
bool tokcache_get(tokcache *tc, const char *token, int64_t now_s, identity *id);
void tokcache_put(tokcache *tc, const char *token, const identity *id);
void tokcache_clear(tokcache *tc);

#endif
