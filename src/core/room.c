#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/room.h"
#include "core/util.h"

static const char *const status_choices[] = {"ACTIVE", "CLOSED", NULL};

static const field_spec host_item = {"host", FT_STRING, F_PRINTABLE, 1, USER_ID_MAX, NULL, NULL};

static const field_spec policy_fields[] = {
    {"waitingRoom", FT_BOOL, F_NULLABLE, 0, 0, NULL, NULL},
    {"requireHost", FT_BOOL, F_NULLABLE, 0, 0, NULL, NULL},
    {"maxParticipants", FT_INT, F_NULLABLE, 1, INT32_MAX, NULL, NULL},
    {"autoCloseWhenEmpty", FT_BOOL, F_NULLABLE, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

#define COMMON_FIELDS                                                                 \
    {"name", FT_STRING, F_NULLABLE, 0, ROOM_NAME_MAX, NULL, NULL},                    \
    {"scheduledStartAt", FT_INT, F_NULLABLE, 0, INT64_MAX, NULL, NULL},               \
    {"scheduledEndAt", FT_INT, F_NULLABLE, 0, INT64_MAX, NULL, NULL},                 \
    {"policy", FT_OBJECT, F_NULLABLE, 0, 0, policy_fields, NULL},                     \
    {"hosts", FT_ARRAY, F_NULLABLE, 0, ROOM_HOSTS_MAX, &host_item, NULL},             \
    {"metadata", FT_OBJECT, F_NULLABLE | F_OPEN | F_TEXT, 0, ROOM_METADATA_MAX, NULL, NULL}

static const field_spec create_fields[] = {COMMON_FIELDS, {NULL, 0, 0, 0, 0, NULL, NULL}};

static const field_spec patch_fields[] = {
    COMMON_FIELDS,
    {"status", FT_STRING, 0, 0, 0, NULL, status_choices},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

room *
room_new(void)
{
    room *r = xcalloc(1, sizeof(*r));
    r->app_id = xstrdup("");
    r->name = xstrdup("");
    r->created_by = xstrdup("");
    r->metadata = xstrdup("{}");
    r->start_at = r->end_at = -1;
    r->refs = 1;
    return r;
}

static void
free_hosts(room *r)
{
    int i;
    for (i = 0; i < r->nhosts; i++)
        free(r->hosts[i]);
    free(r->hosts);
    r->hosts = NULL;
    r->nhosts = 0;
}

room *
room_ref(const room *r)
{
    room *w = (room *)r; /* the count is the one field sharing changes */

    w->refs++;
    return w;
}

void
room_free(room *r)
{
    if (!r || --r->refs > 0)
        return;
    free(r->app_id);
    free(r->name);
    free(r->created_by);
    free(r->metadata);
    free(r->json);
    free_hosts(r);
    free(r);
}

void
room_set_hosts(room *r, const char *const *hosts, int n)
{
    char **copy = xcalloc((size_t)n, sizeof(char *));
    int i;

    for (i = 0; i < n; i++)
        copy[i] = xstrdup(hosts[i]);
    free_hosts(r);
    r->hosts = copy;
    r->nhosts = n;
}

room *
room_clone(const room *r)
{
    room *c = xmalloc(sizeof(*c));

    *c = *r;
    c->app_id = xstrdup(r->app_id);
    c->name = xstrdup(r->name);
    c->created_by = xstrdup(r->created_by);
    c->metadata = xstrdup(r->metadata);
    c->hosts = NULL;
    c->nhosts = 0;
    c->json = NULL;
    c->json_len = 0;
    c->refs = 1;
    room_set_hosts(c, (const char *const *)r->hosts, r->nhosts);
    return c;
}

bool
room_is_host(const room *r, const char *user_id)
{
    int i;
    for (i = 0; i < r->nhosts; i++)
        if (strcmp(r->hosts[i], user_id) == 0)
            return true;
    return false;
}

const char *
room_status_name(room_status s)
{
    return s == ROOM_CLOSED ? "CLOSED" : "ACTIVE";
}

/*
 * Creator first, then the listed hosts in order without duplicates. The
 * list stops one past ROOM_HOSTS_MAX, never silently at it: check_room
 * refuses a room with more hosts than that.
 */
static void
set_hosts_from_json(room *r, struct json_object *arr)
{
    const char *list[ROOM_HOSTS_MAX + 1];
    int n = 0, i;
    size_t k, len = arr ? json_object_array_length(arr) : 0;

    list[n++] = r->created_by;
    for (k = 0; k < len && n <= ROOM_HOSTS_MAX; k++) {
        const char *h = json_object_get_string(json_object_array_get_idx(arr, k));
        for (i = 0; i < n; i++)
            if (strcmp(list[i], h) == 0)
                break;
        if (i == n)
            list[n++] = h;
    }
    room_set_hosts(r, list, n);
}

static bool
hosts_include(struct json_object *arr, const char *user)
{
    size_t k;
    for (k = 0; k < json_object_array_length(arr); k++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(arr, k)), user) == 0)
            return true;
    return false;
}

/* Applies the policy object's members onto pol; null resets to the default. */
static void
apply_policy(room_policy *pol, struct json_object *obj)
{
    struct json_object *v;

    if (!obj) {
        memset(pol, 0, sizeof(*pol));
        return;
    }
    if (json_object_object_get_ex(obj, "waitingRoom", &v))
        pol->waiting_room = v && json_object_get_boolean(v);
    if (json_object_object_get_ex(obj, "requireHost", &v))
        pol->require_host = v && json_object_get_boolean(v);
    if (json_object_object_get_ex(obj, "autoCloseWhenEmpty", &v))
        pol->auto_close = v && json_object_get_boolean(v);
    if (json_object_object_get_ex(obj, "maxParticipants", &v))
        pol->max_participants = v ? (int)json_object_get_int64(v) : 0;
}

/*
 * Checks rules that span fields or depend on the plan. before is the room
 * as it was (NULL when creating): what depends on the plan is checked only
 * where the request sets it, so a room made under a larger plan can still
 * be renamed or closed after a downgrade (joins use the current plan).
 */
static dpa_err
check_room(const room *r, const room *before, const plan *p, dpa_error *err)
{
    if (r->nhosts > ROOM_HOSTS_MAX)
        return field_fail(err, "hosts", "hosts must have at most %d users, the creator included",
                          ROOM_HOSTS_MAX);
    if (r->policy.max_participants > p->max_participants &&
        (!before || before->policy.max_participants != r->policy.max_participants))
        return field_fail(err, "policy.maxParticipants",
                          "policy.maxParticipants must be between 1 and %d",
                          p->max_participants);
    if (r->start_at >= 0 && r->end_at >= 0 && r->start_at > r->end_at)
        return field_fail(err, "scheduledEndAt",
                          "scheduledEndAt must not be before scheduledStartAt");
    if (r->policy.waiting_room && !(p->features & FEAT_WAITING_ROOM) &&
        (!before || !before->policy.waiting_room)) {
        field_fail(err, "policy.waitingRoom", "the app's plan has no waiting_room feature");
        return E_FEATURE_NOT_ENABLED;
    }
    return E_OK;
}

/*
 * Copies the members present in body onto r. The body has passed the
 * field table already, so types are right.
 */
static void
apply_members(room *r, struct json_object *body)
{
    struct json_object *v;

    if (json_object_object_get_ex(body, "name", &v)) {
        free(r->name);
        r->name = xstrdup(v ? json_object_get_string(v) : "");
    }
    if (json_object_object_get_ex(body, "scheduledStartAt", &v))
        r->start_at = v ? json_object_get_int64(v) : -1;
    if (json_object_object_get_ex(body, "scheduledEndAt", &v))
        r->end_at = v ? json_object_get_int64(v) : -1;
    if (json_object_object_get_ex(body, "policy", &v))
        apply_policy(&r->policy, v);
    if (json_object_object_get_ex(body, "hosts", &v))
        set_hosts_from_json(r, v);
    if (json_object_object_get_ex(body, "status", &v))
        r->status = strcmp(json_object_get_string(v), "CLOSED") == 0 ? ROOM_CLOSED
                                                                       : ROOM_ACTIVE;
}

dpa_err
room_create(struct json_object *body, const char *app_id, const char *creator,
            const plan *p, int64_t now, room **out, dpa_error *err)
{
    struct json_object *v;
    room *r;
    dpa_err e;

    *out = NULL;
    e = fields_check(body, create_fields, err);
    if (e)
        return e;
    r = room_new();
    if (random_id(r->id, sizeof(r->id), "rm_", ROOM_ID_BYTES) != 0) {
        room_free(r);
        field_fail(err, NULL, "no randomness available");
        return E_INTERNAL;
    }
    free(r->app_id);
    r->app_id = xstrdup(app_id);
    free(r->created_by);
    r->created_by = xstrdup(creator);
    set_hosts_from_json(r, NULL);
    apply_members(r, body);
    if (json_object_object_get_ex(body, "metadata", &v) && v) {
        free(r->metadata);
        r->metadata = xstrdup(json_plain(v, NULL));
    }
    e = check_room(r, NULL, p, err);
    if (e) {
        room_free(r);
        return e;
    }
    r->created_at = r->updated_at = now;
    r->version = 1;
    *out = r;
    return E_OK;
}

struct json_object *
json_merge_patch(struct json_object *target, struct json_object *patch)
{
    if (!json_object_is_type(patch, json_type_object)) {
        json_object_put(target);
        return json_object_get(patch);
    }
    if (!json_object_is_type(target, json_type_object)) {
        json_object_put(target);
        target = json_object_new_object();
    }
    json_object_object_foreach(patch, key, val) {
        if (val == NULL) {
            json_object_object_del(target, key);
        } else {
            struct json_object *cur = NULL;
            json_object_object_get_ex(target, key, &cur);
            cur = json_merge_patch(json_object_get(cur), val);
            json_object_object_add(target, key, cur);
        }
    }
    return target;
}

static bool
rooms_equal(const room *a, const room *b)
{
    int i;

    if (strcmp(a->name, b->name) || a->start_at != b->start_at || a->end_at != b->end_at ||
        a->status != b->status || memcmp(&a->policy, &b->policy, sizeof(a->policy)) ||
        strcmp(a->metadata, b->metadata) || a->nhosts != b->nhosts)
        return false;
    for (i = 0; i < a->nhosts; i++)
        if (strcmp(a->hosts[i], b->hosts[i]))
            return false;
    return true;
}

dpa_err
room_patch(room *r, struct json_object *body, const plan *p, int64_t now, bool *changed,
           dpa_error *err)
{
    struct json_object *v;
    room *next;
    dpa_err e;

    *changed = false;
    e = fields_check(body, patch_fields, err);
    if (e)
        return e;
    if (json_object_object_get_ex(body, "hosts", &v) && v &&
        !hosts_include(v, r->created_by))
        return field_fail(err, "hosts", "hosts must include the room's creator (%s)",
                          r->created_by);
    next = room_clone(r);
    apply_members(next, body);
    if (json_object_object_get_ex(body, "metadata", &v)) {
        struct json_object *meta = NULL;
        size_t len;

        if (v) {
            json_parse(r->metadata, strlen(r->metadata), &meta);
            meta = json_merge_patch(meta, v);
        } else {
            meta = json_object_new_object();
        }
        json_plain(meta, &len);
        if (len > ROOM_METADATA_MAX) {
            json_object_put(meta);
            room_free(next);
            return field_fail(err, "metadata", "metadata must be at most %d bytes as JSON",
                              ROOM_METADATA_MAX);
        }
        free(next->metadata);
        next->metadata = xstrdup(json_plain(meta, NULL));
        json_object_put(meta);
    }
    e = check_room(next, r, p, err);
    if (e) {
        room_free(next);
        return e;
    }
    if (!rooms_equal(r, next)) {
        if (r->version >= INT64_MAX) {
            /* Only a damaged row gets here: the API starts at 1 and adds 1. */
            room_free(next);
            field_fail(err, "version", "the room's version cannot grow further");
            return E_INTERNAL;
        }
        next->version = r->version + 1;
        next->updated_at = now > r->updated_at ? now : r->updated_at;
        *changed = true;
        /* Swap contents so the caller's pointer now holds the new state. */
        room tmp;
        free(r->json);
        r->json = NULL;
        tmp = *r;
        *r = *next;
        *next = tmp;
    }
    room_free(next);
    return E_OK;
}

static struct json_object *
int_or_null(int64_t v)
{
    return v >= 0 ? json_object_new_int64(v) : NULL;
}

struct json_object *
room_to_json(const room *r)
{
    struct json_object *o = json_object_new_object();
    struct json_object *hosts = json_object_new_array_ext(r->nhosts);
    struct json_object *pol = json_object_new_object();
    struct json_object *meta = NULL;
    int i;

    json_object_object_add(o, "roomId", json_object_new_string(r->id));
    json_object_object_add(o, "name", json_object_new_string(r->name));
    json_object_object_add(o, "createdBy", json_object_new_string(r->created_by));
    for (i = 0; i < r->nhosts; i++)
        json_object_array_add(hosts, json_object_new_string(r->hosts[i]));
    json_object_object_add(o, "hosts", hosts);
    json_object_object_add(o, "scheduledStartAt", int_or_null(r->start_at));
    json_object_object_add(o, "scheduledEndAt", int_or_null(r->end_at));
    json_object_object_add(o, "status", json_object_new_string(room_status_name(r->status)));
    json_object_object_add(pol, "waitingRoom", json_object_new_boolean(r->policy.waiting_room));
    json_object_object_add(pol, "requireHost", json_object_new_boolean(r->policy.require_host));
    json_object_object_add(pol, "maxParticipants",
                           r->policy.max_participants
                               ? json_object_new_int(r->policy.max_participants)
                               : NULL);
    json_object_object_add(pol, "autoCloseWhenEmpty",
                           json_object_new_boolean(r->policy.auto_close));
    json_object_object_add(o, "policy", pol);
    if (json_parse(r->metadata, strlen(r->metadata), &meta) != E_OK)
        meta = json_object_new_object();
    json_object_object_add(o, "metadata", meta);
    json_object_object_add(o, "createdAt", json_object_new_int64(r->created_at));
    json_object_object_add(o, "updatedAt", json_object_new_int64(r->updated_at));
    json_object_object_add(o, "version", json_object_new_int64(r->version));
    json_object_object_add(o, "call", NULL);
    return o;
}

const char *
room_json_text(const room *r, size_t *len)
{
    room *memo = (room *)r; /* the text is a memo of r, which never changes */

    if (!memo->json) {
        struct json_object *o = room_to_json(r);
        const char *t = json_plain(o, &memo->json_len);
        memo->json = xmalloc(memo->json_len + 1);
        memcpy(memo->json, t, memo->json_len + 1);
        json_object_put(o);
    }
    *len = memo->json_len;
    return memo->json;
}

dpa_err
room_close(room *r, int64_t now)
{
    if (r->status == ROOM_CLOSED)
        return E_OK;
    if (r->version >= INT64_MAX)
        return E_INTERNAL; /* a damaged row: its version cannot grow */
    r->status = ROOM_CLOSED;
    r->version++;
    if (now > r->updated_at)
        r->updated_at = now;
    return E_OK;
}

/* RFC 9110 If-Match with strong comparison. */
bool
room_if_match(const char *hdr, int64_t version)
{
    char want[32];
    const char *p = hdr;

    if (!*hdr)
        return true;
    snprintf(want, sizeof(want), "\"%lld\"", (long long)version);
    while (*p) {
        size_t n;
        while (*p == ' ' || *p == ',')
            p++;
        n = strcspn(p, ",");
        while (n && p[n - 1] == ' ')
            n--;
        if ((n == 1 && *p == '*') || (n == strlen(want) && strncmp(p, want, n) == 0))
            return true;
        p += n;
        while (*p && *p != ',')
            p++;
    }
    return false;
}

dpa_err
room_check_write(const room *r, const char *user_id, const char *if_match, room_write what,
                 dpa_error *d)
{
    if (user_id && strcmp(r->created_by, user_id) != 0)
        return error_set(d, E_FORBIDDEN, NULL, "only the room's creator may %s it",
                         what == ROOM_WRITE_DELETE ? "delete" : "change");
    if (!room_if_match(if_match, r->version))
        return error_set(d, E_PRECONDITION_FAILED, NULL,
                         "If-Match does not match the room's version %lld",
                         (long long)r->version);
    return E_OK;
}
