/*
 * Apps and their signing keys, as the loop holds them in memory: an
 * immutable snapshot built from the store and swapped whole when the store
 * changes. Lookups are by appId and by kid (both sorted, binary search).
 */
#ifndef DPA_AUTH_APPS_H
#define DPA_AUTH_APPS_H

#include <stdint.h>

#include "core/plan.h"

#define APP_ID_MAX 64
#define KID_MAX 64
#define KEY_SECRET_MIN 16  /* an empty or short HMAC secret is never accepted */

typedef struct app_key {
    char kid[KID_MAX];
    char app_id[APP_ID_MAX];
    char *secret;             /* HS256 secret: the bytes of this string */
    int64_t created_at;
} app_key;

typedef struct app {
    char app_id[APP_ID_MAX];
    char *name;
    char *plan_name;
    const plan *plan;         /* resolved against the server's plan set */
    int64_t created_at;
} app;

typedef struct app_registry {
    app *apps;
    int napps;
    app_key *keys;
    int nkeys;
} app_registry;

/* An empty registry. */
app_registry *apps_new(void);

/* Frees the registry and everything in it. NULL is fine. */
void apps_free(app_registry *reg);

/* Copies an app / key into the registry (before apps_index). */
void apps_add(app_registry *reg, const char *app_id, const char *name, const char *plan_name,
              int64_t created_at);
void apps_add_key(app_registry *reg, const char *kid, const char *app_id, const char *secret,
                  int64_t created_at);

/*
 * Sorts for lookup and resolves each app's plan in plans (unknown plan
 * names get plan_none). Call once after adding everything.
 */
void apps_index(app_registry *reg, const plan_set *plans);

const app *apps_find(const app_registry *reg, const char *app_id);
const app_key *apps_find_key(const app_registry *reg, const char *kid);

/* The app's newest key (the one to sign new tokens with), or NULL. */
const app_key *apps_newest_key(const app_registry *reg, const char *app_id);

#endif
