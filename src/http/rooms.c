/*
 * /api/rooms and /api/rooms/{roomId}. Reads of one room are served from
 * the loop's cache when possible; everything else runs as a store job and
 * replies from the job's `done`, after the commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "http/internal.h"
#include "server/log.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 200

enum room_op { OP_CREATE, OP_GET, OP_PATCH, OP_DELETE, OP_LIST };

typedef struct room_job {
    store_job job;
    http_req *req;
    enum room_op op;
    char app_id[APP_ID_MAX];
    char user_id[USER_ID_MAX + 1];
    bool admin;                   /* the app's admin credential: may change any room */
    grants scope;                 /* list: only the rooms the token may act on */
    char room_id[ROOM_ID_MAX];
    const plan *plan;
    char if_match[IF_MATCH_MAX];

    room *room;                   /* create: the new room; others: the result */
    struct json_object *patch;    /* PATCH body */
    dpa_error ferr;
    bool changed;

    /* POST with Idempotency-Key. */
    bool idem;
    char idem_key[256];
    idem_record rec;              /* in: our hash; out: a stored reply */
    bool replayed;

    /* GET list. */
    int status_filter;
    int64_t after_created;
    char after_id[ROOM_ID_MAX];
    int limit;
    room_page page;
} room_job;

static bool
room_id_plausible(const char *id)
{
    return http_id_plausible(id, "rm_", ROOM_ID_MAX);
}

static void
set_etag(http_req *r, const room *rm)
{
    snprintf(r->etag, sizeof(r->etag), "\"%lld\"", (long long)rm->version);
}

/* The room as JSON, with its live call when it has one (waiting list for hosts). */
static struct json_object *
room_json_for(http_req *r, const room *rm)
{
    struct json_object *o = room_to_json(rm);
    live_call *lc = live_find(r->srv, rm->id);
    call_actor viewer = auth_actor(&r->id, 0);

    if (lc && call_is_live(lc))
        json_object_object_add(o, "call", call_state_json(lc, &viewer));
    return o;
}

static void
reply_room(http_req *r, int status, const room *rm)
{
    set_etag(r, rm);
    http_reply_json(r, status, room_json_for(r, rm));
}

/* Cluster mode: the room with the call its owner describes (without, if it does not say). */
static void
owner_said(http_req *r, int status, struct json_object *call, void *arg)
{
    room *rm = arg;
    struct json_object *o = room_to_json(rm);

    if (status == 200 && call && json_object_is_type(call, json_type_object))
        json_object_object_add(o, "call", json_object_get(call));
    set_etag(r, rm);
    http_reply_json(r, 200, o);
    room_free(rm);
}

/* Whether the room's call lives on another process: then its owner is asked. */
static bool
reply_room_from_owner(http_req *r, const room *rm)
{
    const char *owner;

    if (!r->srv->router.live_at || !(owner = r->srv->router.live_at(r->srv->router.arg, rm->id)))
        return false;
    http_remote_op(r, owner, "state", owner_said, room_ref(rm));
    return true;
}

static void room_job_done(store_job *job);

static room_job *
job_new(http_req *r, enum room_op op, void (*run)(store_job *, store *))
{
    room_job *j = xcalloc(1, sizeof(*j));

    j->job.run = run;
    j->job.done = room_job_done;
    j->req = r;
    j->op = op;
    snprintf(j->app_id, sizeof(j->app_id), "%s", r->id.app_id);
    snprintf(j->user_id, sizeof(j->user_id), "%s", r->id.user_id);
    j->admin = auth_is_admin(&r->id);
    snprintf(j->room_id, sizeof(j->room_id), "%.*s", ROOM_ID_MAX - 1, r->param[0]);
    snprintf(j->if_match, sizeof(j->if_match), "%s", r->if_match);
    j->plan = r->id.plan;
    return j;
}

static void
submit(room_job *j)
{
    http_req_hold(j->req);
    server_submit(j->req->srv, &j->job);
}

/* ---- worker side ---- */

static void
run_create(store_job *job, store *s)
{
    room_job *j = (room_job *)job;
    int64_t now = now_ms();

    if (j->idem) {
        idem_record found;
        dpa_err e = store_idem_get(s, j->app_id, j->user_id, j->idem_key, now, &found);
        if (e == E_OK) {
            if (strcmp(found.request_hash, j->rec.request_hash) != 0) {
                idem_record_clear(&found);
                job->result = E_IDEMPOTENCY_KEY_REUSED;
                return;
            }
            idem_record_clear(&j->rec);
            j->rec = found;
            j->replayed = true;
            job->result = E_OK;
            return;
        }
        if (e != E_NOT_FOUND) {
            job->result = e;
            return;
        }
    }
    job->result = store_room_insert(s, j->room, j->plan->max_rooms);
    if (job->result == E_OK && j->idem) {
        struct json_object *o = room_to_json(j->room);
        j->rec.status = 201;
        j->rec.body = xstrdup(json_plain(o, NULL));
        j->rec.room_id = xstrdup(j->room->id);
        json_object_put(o);
        job->result = store_idem_put(s, j->app_id, j->user_id, j->idem_key, &j->rec, now);
    }
}

static void
run_get(store_job *job, store *s)
{
    room_job *j = (room_job *)job;
    job->result = store_room_get(s, j->app_id, j->room_id, &j->room);
}

/* Loads the room and checks that the caller may change it (core's rules). */
static dpa_err
load_for_write(room_job *j, store *s)
{
    dpa_err e = store_room_get_for_update(s, j->app_id, j->room_id, &j->room);

    if (e)
        return e;
    return room_check_write(j->room, j->admin ? NULL : j->user_id, j->if_match,
                            j->op == OP_DELETE ? ROOM_WRITE_DELETE : ROOM_WRITE_CHANGE, &j->ferr);
}

static void
run_patch(store_job *job, store *s)
{
    room_job *j = (room_job *)job;

    job->result = load_for_write(j, s);
    if (job->result)
        return;
    job->result = room_patch(j->room, j->patch, j->plan, now_ms(), &j->changed, &j->ferr);
    if (job->result == E_OK && j->changed)
        job->result = store_room_update(s, j->room);
}

static void
run_delete(store_job *job, store *s)
{
    room_job *j = (room_job *)job;

    job->result = load_for_write(j, s);
    if (job->result == E_OK)
        job->result = store_room_delete(s, j->app_id, j->room_id);
}

static void
run_list(store_job *job, store *s)
{
    room_job *j = (room_job *)job;
    job->result = store_room_list(s, j->app_id, j->user_id, j->status_filter, j->after_created,
                                  j->after_id, j->limit, &j->page);
}

/* ---- loop side ---- */

static char *
make_cursor(const room *last, char *out, size_t len)
{
    char raw[96];
    int n = snprintf(raw, sizeof(raw), "%lld:%s", (long long)last->created_at, last->id);
    b64url_encode((const unsigned char *)raw, (size_t)n, out, len);
    return out;
}

static void
reply_list(http_req *r, room_job *j)
{
    struct json_object *o = json_object_new_object();
    struct json_object *arr = json_object_new_array_ext(j->page.count);
    char cursor[160];
    int i;

    /*
     * A room-scoped token sees the rooms of the page it may act on; the
     * cursor still follows the whole page, so a page may come out short.
     */
    for (i = 0; i < j->page.count; i++)
        if (grants_room_allowed(&j->scope, j->page.rooms[i]->id))
            json_object_array_add(arr, room_to_json(j->page.rooms[i]));
    json_object_object_add(o, "rooms", arr);
    json_object_object_add(o, "nextCursor",
                           j->page.more ? json_object_new_string(make_cursor(
                                              j->page.rooms[j->page.count - 1], cursor,
                                              sizeof(cursor)))
                                        : NULL);
    http_reply_json(r, 200, o);
}

static void
reply_error(http_req *r, room_job *j)
{
    dpa_err e = j->job.result;

    switch (e) {
    case E_PRECONDITION_FAILED:
        set_etag(r, j->room); /* the version it has now */
        /* fall through */
    case E_VALIDATION_FAILED:
    case E_FEATURE_NOT_ENABLED:
    case E_FORBIDDEN:
        http_reply_error(r, e, &j->ferr);
        break;
    case E_ROOM_LIMIT_REACHED:
        http_error(r, e, NULL, "the app's plan allows %lld rooms (closed rooms count; delete "
                   "rooms to free places)", (long long)j->plan->max_rooms);
        break;
    case E_INTERNAL:
        dlog(LOG_ERROR, "msg=\"store job failed\" rid=%s", r->request_id);
        http_error(r, e, NULL, NULL);
        break;
    default:
        http_error(r, e, NULL, NULL);
    }
}

static void
room_job_done(store_job *job)
{
    room_job *j = (room_job *)job;
    server *srv = j->req->srv;
    http_req *r = j->req;
    bool alive = http_req_resume(r);
    uint64_t before = srv->writes_submitted;

    /* The cache follows every committed change, answered or not. */
    if (job->result == E_OK) {
        if (j->op == OP_CREATE && !j->replayed) {
            srv->rooms_total++;
            live_room_committed(srv, j->room);
        } else if (j->op == OP_GET) {
            roomcache_put(srv->rooms, room_ref(j->room)); /* read, not written */
        } else if (j->op == OP_PATCH && j->changed) {
            live_room_committed(srv, j->room);
        } else if (j->op == OP_DELETE) {
            srv->rooms_total--;
            live_room_deleted(srv, j->room_id);
        }
    }
    if (!alive)
        goto out;
    if (job->result != E_OK) {
        reply_error(r, j);
        goto out;
    }
    switch (j->op) {
    case OP_CREATE:
        if (j->replayed) {
            if (j->rec.room_id)
                snprintf(r->location, sizeof(r->location), "/api/rooms/%s", j->rec.room_id);
            http_reply_raw(r, j->rec.status, "application/json", j->rec.body,
                           strlen(j->rec.body));
            break;
        }
        snprintf(r->location, sizeof(r->location), "/api/rooms/%s", j->room->id);
        reply_room(r, 201, j->room);
        break;
    case OP_GET:
        if (!reply_room_from_owner(r, j->room))
            reply_room(r, 200, j->room);
        break;
    case OP_PATCH:
        reply_room(r, 200, j->room);
        break;
    case OP_DELETE:
        http_reply_json(r, 204, NULL);
        break;
    case OP_LIST:
        reply_list(r, j);
        break;
    }
    /* A PATCH or DELETE that ended a live call answers once the call's end is recorded. */
    if (srv->writes_submitted != before)
        http_reply_after_writes(r, srv->writes_submitted);
out:
    room_free(j->room);
    json_object_put(j->patch);
    idem_record_clear(&j->rec);
    room_page_free(&j->page);
    free(j);
}

void
rooms_create(http_req *r)
{
    struct json_object *body;
    dpa_error fe;
    room_job *j;
    room *rm;
    dpa_err e;

    if (!r->id.grants.create_rooms) {
        http_error(r, E_FORBIDDEN, NULL, "this token may not create rooms (grants.%s)",
                   r->id.grants.nrooms ? "rooms: a room-scoped token never may"
                                       : "createRooms is false");
        return;
    }
    if (!(r->id.plan->features & FEAT_SCHEDULED_ROOMS)) {
        http_error(r, E_FEATURE_NOT_ENABLED, NULL,
                   "the app's plan (%s) does not include scheduled_rooms", r->id.plan->name);
        return;
    }
    if (r->has_idem_key && !user_id_valid(r->idem_key, strlen(r->idem_key))) {
        http_error(r, E_VALIDATION_FAILED, "Idempotency-Key",
                   "Idempotency-Key must be 1 to 128 printable ASCII characters");
        return;
    }
    if (!(body = http_body_json(r)))
        return;
    e = room_create(body, r->id.app_id, r->id.user_id, r->id.plan, now_ms(), &rm, &fe);
    if (e) {
        json_object_put(body);
        http_reply_error(r, e, &fe);
        return;
    }
    j = job_new(r, OP_CREATE, run_create);
    j->room = rm;
    if (r->has_idem_key) {
        const char *canon = json_plain(body, NULL);
        j->idem = true;
        snprintf(j->idem_key, sizeof(j->idem_key), "%s", r->idem_key);
        sha256_hex(canon, strlen(canon), j->rec.request_hash);
    }
    json_object_put(body);
    submit(j);
}

void
rooms_get(http_req *r)
{
    const room *rm;

    if (!room_id_plausible(r->param[0])) {
        http_error(r, E_ROOM_NOT_FOUND, NULL, NULL);
        return;
    }
    {
        live_call *lc = live_find(r->srv, r->param[0]);
        rm = lc ? call_room(lc) : roomcache_get(r->srv->rooms, r->param[0]);
    }
    if (rm) {
        live_call *lc = live_find(r->srv, rm->id);
        size_t len;
        const char *text;

        if (strcmp(rm->app_id, r->id.app_id) != 0) {
            http_error(r, E_ROOM_NOT_FOUND, NULL, NULL);
        } else if (lc && call_is_live(lc)) {
            reply_room(r, 200, rm);
        } else if (reply_room_from_owner(r, rm)) {
            /* answered when the call's owner says how the call is */
        } else {
            /* The common case: no live call, the cached text as it is. */
            text = room_json_text(rm, &len);
            set_etag(r, rm);
            http_reply_raw(r, 200, NULL, text, len);
        }
        return;
    }
    submit(job_new(r, OP_GET, run_get));
}

void
rooms_patch(http_req *r)
{
    struct json_object *body;
    room_job *j;

    if (!room_id_plausible(r->param[0])) {
        http_error(r, E_ROOM_NOT_FOUND, NULL, NULL);
        return;
    }
    if (!(body = http_body_json(r)))
        return;
    j = job_new(r, OP_PATCH, run_patch);
    j->patch = body;
    submit(j);
}

void
rooms_delete(http_req *r)
{
    if (!room_id_plausible(r->param[0])) {
        http_error(r, E_ROOM_NOT_FOUND, NULL, NULL);
        return;
    }
    submit(job_new(r, OP_DELETE, run_delete));
}

void
rooms_list(http_req *r)
{
    char buf[512], raw[256];
    const char *v;
    bool bad = false;
    room_job *j = job_new(r, OP_LIST, run_list);

    j->scope = r->id.grants;
    j->limit = LIST_LIMIT_DEFAULT;
    j->status_filter = -1;
    j->after_created = -1;
    if ((v = http_query_arg(r, "limit", buf, sizeof(buf), &bad))) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > LIST_LIMIT_MAX) {
            free(j);
            http_error(r, E_VALIDATION_FAILED, "limit", "limit must be between 1 and %d",
                       LIST_LIMIT_MAX);
            return;
        }
        j->limit = (int)n;
    }
    if (!bad && (v = http_query_arg(r, "status", buf, sizeof(buf), &bad))) {
        if (strcmp(v, "ACTIVE") == 0)
            j->status_filter = ROOM_ACTIVE;
        else if (strcmp(v, "CLOSED") == 0)
            j->status_filter = ROOM_CLOSED;
        else {
            free(j);
            http_error(r, E_VALIDATION_FAILED, "status", "status must be one of ACTIVE, CLOSED");
            return;
        }
    }
    if (!bad && (v = http_query_arg(r, "cursor", buf, sizeof(buf), &bad))) {
        long n = b64url_decode(v, strlen(v), (unsigned char *)raw, sizeof(raw) - 1);
        char *colon = NULL;
        long long created;
        if (n > 0) {
            raw[n] = '\0';
            colon = strchr(raw, ':');
        }
        if (n <= 0 || !colon || sscanf(raw, "%lld:", &created) != 1 || created < 0 ||
            !room_id_plausible(colon + 1)) {
            free(j);
            http_error(r, E_VALIDATION_FAILED, "cursor", "cursor is not one this server gave");
            return;
        }
        j->after_created = created;
        snprintf(j->after_id, sizeof(j->after_id), "%s", colon + 1);
    }
    if (bad) {
        free(j);
        return;
    }
    submit(j);
}
