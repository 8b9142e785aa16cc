/*
 * Plans: what an app may do. Built-in defaults, optionally overridden and
 * extended by a JSON file (--plans). A plan set is loaded once at start-up
 * and never changes while the process runs, so plan pointers stay valid.
 */
#ifndef DPA_CORE_PLAN_H
#define DPA_CORE_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

enum {
    FEAT_SCHEDULED_ROOMS = 1 << 0,
    FEAT_WAITING_ROOM = 1 << 1,
    FEAT_SCREEN_SHARE = 1 << 2,
    FEAT__ALL = (1 << 3) - 1
};

#define PLAN_NAME_MAX 64
#define PLANS_MAX 64

typedef struct plan {
    char name[PLAN_NAME_MAX];
    int64_t max_rooms;        /* maxRoomsPerApp */
    int max_participants;     /* maxParticipantsPerCall, the plan cap */
    unsigned features;        /* FEAT_* bits */
} plan;

typedef struct plan_set {
    plan plans[PLANS_MAX];
    int count;
} plan_set;

/* Fills set with the built-in plans starter, pro and business. */
void plans_builtin(plan_set *set);

/*
 * Merges a JSON document {"name": {"maxRoomsPerApp", "maxParticipantsPerCall",
 * "features"}, ...} into set: a named plan replaces the built-in of that
 * name, new names are added. On error returns E_VALIDATION_FAILED with a
 * message in errbuf and leaves set unchanged.
 */
dpa_err plans_merge_json(plan_set *set, const char *json, size_t len, char *errbuf,
                         size_t errlen);

/* Loads FILE with plans_merge_json. */
dpa_err plans_load_file(plan_set *set, const char *path, char *errbuf, size_t errlen);

/* The plan called name, or NULL. */
const plan *plans_find(const plan_set *set, const char *name);

/* Feature bit <-> name ("scheduled_rooms"...). name_of returns NULL for bad bits. */
unsigned feature_bit(const char *name);
const char *feature_name(unsigned bit);

/* A plan with no features and no rooms: what an app on an unknown plan gets. */
extern const plan plan_none;

#endif
