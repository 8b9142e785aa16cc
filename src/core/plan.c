#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/json.h"
#include "core/plan.h"

static const char *const feature_names[] = {"scheduled_rooms", "waiting_room",
                                            "screen_share"};

const plan plan_none = {"none", 0, 4, 0};

unsigned
feature_bit(const char *name)
{
    unsigned i;
    for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
        if (strcmp(name, feature_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *
feature_name(unsigned bit)
{
    unsigned i;
    for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
        if (bit == 1u << i)
            return feature_names[i];
    return NULL;
}

void
plans_builtin(plan_set *set)
{
    const unsigned rooms = FEAT_SCHEDULED_ROOMS | FEAT_WAITING_ROOM | FEAT_SCREEN_SHARE;

    memset(set, 0, sizeof(*set));
    set->plans[0] = (plan){"starter", 0, 4, 0};
    set->plans[1] = (plan){"pro", 100, 25, rooms};
    set->plans[2] = (plan){"business", 10000, 100, rooms};
    set->count = 3;
}

const plan *
plans_find(const plan_set *set, const char *name)
{
    int i;
    for (i = 0; i < set->count; i++)
        if (strcmp(set->plans[i].name, name) == 0)
            return &set->plans[i];
    return NULL;
}

static const field_spec feature_item = {"feature", FT_STRING, 0, 1, 64, NULL, NULL};

static const field_spec plan_fields[] = {
    {"maxRoomsPerApp", FT_INT, F_REQUIRED, 0, INT32_MAX, NULL, NULL},
    {"maxParticipantsPerCall", FT_INT, F_REQUIRED, 1, 100000, NULL, NULL},
    {"features", FT_ARRAY, F_REQUIRED, 0, 16, &feature_item, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

dpa_err
plans_merge_json(plan_set *set, const char *json, size_t len, char *errbuf, size_t errlen)
{
    struct json_object *doc;
    plan_set next = *set;
    dpa_error ferr;
    size_t i;

    if (json_parse(json, len, &doc) != E_OK || !json_object_is_type(doc, json_type_object)) {
        snprintf(errbuf, errlen, "plans: not a JSON object");
        json_object_put(doc);
        return E_VALIDATION_FAILED;
    }
    json_object_object_foreach(doc, name, def) {
        plan p;
        plan *slot = NULL;
        struct json_object *feats;
        int k;

        memset(&p, 0, sizeof(p));
        if (strlen(name) == 0 || strlen(name) >= PLAN_NAME_MAX) {
            snprintf(errbuf, errlen, "plans: bad plan name \"%s\"", name);
            goto fail;
        }
        if (fields_check(def, plan_fields, &ferr) != E_OK) {
            snprintf(errbuf, errlen, "plans: %s: %s", name, ferr.message);
            goto fail;
        }
        snprintf(p.name, sizeof(p.name), "%s", name);
        p.max_rooms = json_get_int(def, "maxRoomsPerApp", 0);
        p.max_participants = (int)json_get_int(def, "maxParticipantsPerCall", 1);
        json_object_object_get_ex(def, "features", &feats);
        for (i = 0; i < json_object_array_length(feats); i++) {
            const char *fname = json_object_get_string(json_object_array_get_idx(feats, i));
            unsigned bit = feature_bit(fname);
            if (!bit) {
                snprintf(errbuf, errlen, "plans: %s: unknown feature \"%s\"", name, fname);
                goto fail;
            }
            p.features |= bit;
        }
        for (k = 0; k < next.count; k++)
            if (strcmp(next.plans[k].name, name) == 0)
                slot = &next.plans[k];
        if (!slot) {
            if (next.count == PLANS_MAX) {
                snprintf(errbuf, errlen, "plans: more than %d plans", PLANS_MAX);
                goto fail;
            }
            slot = &next.plans[next.count++];
        }
        *slot = p;
    }
    json_object_put(doc);
    *set = next;
    return E_OK;
fail:
    json_object_put(doc);
    return E_VALIDATION_FAILED;
}

dpa_err
plans_load_file(plan_set *set, const char *path, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;
    dpa_err e;

    if (!f) {
        snprintf(errbuf, errlen, "plans: cannot open %s: %s", path, strerror(errno));
        return E_VALIDATION_FAILED;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > 1 << 20 ||
        fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        snprintf(errbuf, errlen, "plans: %s is not a readable file under 1 MiB", path);
        return E_VALIDATION_FAILED;
    }
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        snprintf(errbuf, errlen, "plans: cannot read %s", path);
        return E_VALIDATION_FAILED;
    }
    fclose(f);
    e = plans_merge_json(set, buf, (size_t)n, errbuf, errlen);
    free(buf);
    return e;
}
