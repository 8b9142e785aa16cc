/*
 * The room: model, validation of create and patch bodies against declared
 * field tables, merge-patch (RFC 7396) and the JSON form the API returns.
 * Pure: no I/O besides the CSPRNG used for new room ids.
 */
#ifndef DPA_CORE_ROOM_H
#define DPA_CORE_ROOM_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/error.h"
#include "core/fields.h"
#include "core/plan.h"

#define ROOM_ID_MAX 40        /* "rm_" + 22 base64url chars (128 bits) + NUL */
#define ROOM_ID_BYTES 16
#define ROOM_HOSTS_MAX 50
#define ROOM_NAME_MAX 200
#define ROOM_METADATA_MAX 4096
#define USER_ID_MAX 128

typedef enum room_status { ROOM_ACTIVE = 0, ROOM_CLOSED = 1 } room_status;

typedef struct room_policy {
    bool waiting_room;
    bool require_host;
    bool auto_close;          /* autoCloseWhenEmpty */
    int max_participants;     /* 0 = null: the plan cap only */
} room_policy;

typedef struct room {
    char id[ROOM_ID_MAX];
    char *app_id;
    char *name;
    char *created_by;
    char **hosts;             /* hosts[0] is always created_by */
    int nhosts;
    int64_t start_at;         /* scheduledStartAt, -1 = null */
    int64_t end_at;           /* scheduledEndAt, -1 = null */
    room_status status;
    room_policy policy;
    char *metadata;           /* JSON object text, "{}" when empty */
    int64_t created_at;
    int64_t updated_at;
    int64_t version;
    char *json;               /* room_json_text cache; NULL until asked */
    size_t json_len;
    int refs;                 /* room_ref / room_free */
} room;

/* A zeroed room with empty strings; free with room_free. */
room *room_new(void);
/* Drops one reference; the last frees the room. */
void room_free(room *r);
/* A deep copy with its own single reference (to change it). */
room *room_clone(const room *r);
/*
 * Another reference to r, for sharing one version of a room between the
 * room cache and a live call on the loop thread. A shared room is never
 * changed (a committed change is a new room); only its JSON text memo is
 * filled in.
 */
room *room_ref(const room *r);

/* Replaces r's host list with a copy of hosts[0..n). */
void room_set_hosts(room *r, const char *const *hosts, int n);

bool room_is_host(const room *r, const char *user_id);

const char *room_status_name(room_status s);

/*
 * Validates a create body and builds the new room (fresh id, version 1,
 * creator first among the hosts). Returns E_OK with *out owned by the
 * caller, E_VALIDATION_FAILED with err filled in, or E_FEATURE_NOT_ENABLED
 * when the body asks for a feature the plan lacks (err names the field).
 */
dpa_err room_create(struct json_object *body, const char *app_id, const char *creator,
                    const plan *p, int64_t now, room **out, dpa_error *err);

/*
 * Closes r (auto-close): CLOSED, version + 1, updatedAt at least now.
 * E_OK (also when already closed) or E_INTERNAL when the version cannot
 * grow (a damaged row); then r is untouched.
 */
dpa_err room_close(room *r, int64_t now);

typedef enum { ROOM_WRITE_CHANGE, ROOM_WRITE_DELETE } room_write;

/*
 * May user_id change (PATCH) or delete r, given the request's If-Match
 * ("" when absent)? Only the creator may, or the app's admin credential
 * (user_id NULL: the caller has checked the token's admin grant); If-Match
 * is RFC 9110 with strong comparison against "<version>" (or "*"). E_OK,
 * E_FORBIDDEN or E_PRECONDITION_FAILED, with d filled.
 */
dpa_err room_check_write(const room *r, const char *user_id, const char *if_match,
                         room_write what, dpa_error *d);

/* True when the If-Match header value is empty, "*" or lists "<version>". */
bool room_if_match(const char *hdr, int64_t version);

/*
 * Applies a merge-patch body to r. On success r is updated, *changed says
 * whether anything differs (version and updatedAt move only then). On
 * failure r is untouched and err says why.
 */
dpa_err room_patch(room *r, struct json_object *body, const plan *p, int64_t now,
                   bool *changed, dpa_error *err);

/* The room as the API returns it, with "call": null. New reference. */
struct json_object *room_to_json(const room *r);

/*
 * The same as JSON text, kept in r until it is freed: for rooms that do not
 * change once built (the loop's cached copies). The text belongs to r.
 */
const char *room_json_text(const room *r, size_t *len);

/* RFC 7396: returns target merged with patch (new reference; target is put). */
struct json_object *json_merge_patch(struct json_object *target, struct json_object *patch);

#endif
