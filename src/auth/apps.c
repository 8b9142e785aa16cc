#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/apps.h"
#include "core/util.h"

app_registry *
apps_new(void)
{
    return xcalloc(1, sizeof(app_registry));
}

void
apps_free(app_registry *reg)
{
    int i;

    if (!reg)
        return;
    for (i = 0; i < reg->napps; i++) {
        free(reg->apps[i].name);
        free(reg->apps[i].plan_name);
    }
    for (i = 0; i < reg->nkeys; i++) {
        /* Secrets do not linger in freed memory. */
        memset(reg->keys[i].secret, 0, strlen(reg->keys[i].secret));
        free(reg->keys[i].secret);
    }
    free(reg->apps);
    free(reg->keys);
    free(reg);
}

void
apps_add(app_registry *reg, const char *app_id, const char *name, const char *plan_name,
         int64_t created_at)
{
    app *a;

    reg->apps = xrealloc(reg->apps, sizeof(app) * (size_t)(reg->napps + 1));
    a = &reg->apps[reg->napps++];
    memset(a, 0, sizeof(*a));
    snprintf(a->app_id, sizeof(a->app_id), "%s", app_id);
    a->name = xstrdup(name);
    a->plan_name = xstrdup(plan_name);
    a->plan = &plan_none;
    a->created_at = created_at;
}

void
apps_add_key(app_registry *reg, const char *kid, const char *app_id, const char *secret,
             int64_t created_at)
{
    app_key *k;

    reg->keys = xrealloc(reg->keys, sizeof(app_key) * (size_t)(reg->nkeys + 1));
    k = &reg->keys[reg->nkeys++];
    memset(k, 0, sizeof(*k));
    snprintf(k->kid, sizeof(k->kid), "%s", kid);
    snprintf(k->app_id, sizeof(k->app_id), "%s", app_id);
    k->secret = xstrdup(secret);
    k->created_at = created_at;
}

static int
cmp_app(const void *a, const void *b)
{
    return strcmp(((const app *)a)->app_id, ((const app *)b)->app_id);
}

static int
cmp_key(const void *a, const void *b)
{
    return strcmp(((const app_key *)a)->kid, ((const app_key *)b)->kid);
}

void
apps_index(app_registry *reg, const plan_set *plans)
{
    int i;

    if (reg->napps)
        qsort(reg->apps, (size_t)reg->napps, sizeof(app), cmp_app);
    if (reg->nkeys)
        qsort(reg->keys, (size_t)reg->nkeys, sizeof(app_key), cmp_key);
    for (i = 0; i < reg->napps; i++) {
        const plan *p = plans ? plans_find(plans, reg->apps[i].plan_name) : NULL;
        reg->apps[i].plan = p ? p : &plan_none;
    }
}

const app *
apps_find(const app_registry *reg, const char *app_id)
{
    app key;

    if (!reg || !reg->napps || strlen(app_id) >= sizeof(key.app_id))
        return NULL;
    snprintf(key.app_id, sizeof(key.app_id), "%s", app_id);
    return bsearch(&key, reg->apps, (size_t)reg->napps, sizeof(app), cmp_app);
}

const app_key *
apps_find_key(const app_registry *reg, const char *kid)
{
    app_key key;

    if (!reg || !reg->nkeys || strlen(kid) >= sizeof(key.kid))
        return NULL;
    snprintf(key.kid, sizeof(key.kid), "%s", kid);
    return bsearch(&key, reg->keys, (size_t)reg->nkeys, sizeof(app_key), cmp_key);
}

const app_key *
apps_newest_key(const app_registry *reg, const char *app_id)
{
    const app_key *key = NULL;
    int i;

    for (i = 0; reg && i < reg->nkeys; i++)
        if (strcmp(reg->keys[i].app_id, app_id) == 0 &&
            (!key || reg->keys[i].created_at >= key->created_at))
            key = &reg->keys[i];
    return key;
}
