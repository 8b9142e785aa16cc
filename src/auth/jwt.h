/*
 * Bearer tokens: HS256 JWTs signed with an app's key, verified with libjwt
 * (DESIGN §2). `iss` names the app, or the `kid` header names the key.
 */
#ifndef DPA_AUTH_JWT_H
#define DPA_AUTH_JWT_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/apps.h"
#include "auth/grants.h"
#include "core/error.h"

#define TOKEN_MAX 8192
#define CLOCK_SKEW_S 60
#define DISPLAY_NAME_MAX 200

/* Who a verified token speaks for. */
typedef struct identity {
    char app_id[APP_ID_MAX];
    char user_id[129];
    char name[DISPLAY_NAME_MAX + 1];  /* "" when the token has none */
    const plan *plan;
    int64_t exp;                      /* seconds since the epoch */
    grants grants;                    /* the "grants" claim (auth/grants.h), or the defaults */
} identity;

/*
 * Verifies token against the keys in reg at time now_s (seconds).
 * Returns E_OK with *id filled, or E_UNAUTHORIZED with *why set to a static
 * reason. *unknown is set when the token names an app or kid the registry
 * does not have: the caller may reload the registry and try once more.
 */
dpa_err auth_verify(const app_registry *reg, const char *token, int64_t now_s, identity *id,
                    const char **why, bool *unknown);

/*
 * Signs a token for user (and display name, may be NULL) with the given
 * key: iss = app_id, kid header, iat = now, exp = now + ttl, and a "grants"
 * claim when g (may be NULL) is not the default rights. Returns a malloc'd
 * string the caller frees, or NULL.
 */
char *auth_mint(const char *app_id, const char *kid, const char *secret, const char *user,
                const char *name, const grants *g, int64_t now_s, int64_t ttl_s);

#endif
