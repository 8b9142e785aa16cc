/*
 * Call history: GET /api/rooms/{roomId}/calls (a room's calls, newest
 * first, cursor paged) and GET /api/calls/{callId} (one call with every
 * participant's sessions). Both read the store in one job (the calls and
 * the room that decides who may see them) and answer from its `done`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/util.h"
#include "auth/grants.h"
#include "http/internal.h"
#include "server/log.h"

#define LIST_LIMIT_DEFAULT 50
#define LIST_LIMIT_MAX 200

typedef struct history_job {
    store_job job;
    http_req *req;
    char app_id[APP_ID_MAX];
    char room_id[ROOM_ID_MAX];
    char call_id[CALL_ID_MAX];
    room *room;                  /* whose history it is (NULL: deleted) */
    int64_t after_started;       /* list: the cursor (< 0: from the start) */
    char after_id[CALL_ID_MAX];
    int limit;
    call_page page;              /* list */
    call_record call;            /* one call */
} history_job;

/*
 * The one rule for who may read a room's call history: the room's creator
 * and hosts (hosts always include the creator). rm is NULL when the room
 * has been deleted: its calls are kept until they are purged, but no user
 * of it is left to show them to.
 */
static bool
history_may_read(const http_req *r, const room *rm)
{
    /* The room's creator and hosts, or the app's admin (within the token's room scope). */
    return rm && auth_may_moderate(&r->id, rm);
}

static struct json_object *
opt_time(int64_t t)
{
    return t >= 0 ? json_object_new_int64(t) : NULL;
}

/* The fields of a call both answers carry. */
static struct json_object *
call_json(const call_record *c)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "callId", json_object_new_string(c->call_id));
    json_object_object_add(o, "roomId", json_object_new_string(c->room_id));
    json_object_object_add(o, "startedAt", json_object_new_int64(c->started_at));
    json_object_object_add(o, "endedAt", opt_time(c->ended_at));
    json_object_object_add(o, "durationMs",
                           opt_time(c->ended_at >= 0 ? c->ended_at - c->started_at : -1));
    json_object_object_add(o, "endReason",
                           c->end_reason[0] ? json_object_new_string(c->end_reason) : NULL);
    json_object_object_add(o, "peakParticipants", json_object_new_int(c->peak));
    json_object_object_add(o, "participantCount", json_object_new_int(c->participants));
    return o;
}

/* The participants of a call, each with its sessions, in order of first joining. */
static struct json_object *
participants_json(const call_record *c)
{
    struct json_object *arr = json_object_new_array();
    int i, j;

    for (i = 0; i < c->nsessions; i++) {
        const call_session_rec *s = &c->sessions[i];
        struct json_object *p = NULL, *sessions, *one;

        for (j = 0; j < i && strcmp(c->sessions[j].user_id, s->user_id); j++)
            ;
        if (j < i) {
            /* Seen already: find its entry (the arrays follow first joins). */
            size_t k;
            for (k = 0; k < json_object_array_length(arr); k++) {
                struct json_object *e = json_object_array_get_idx(arr, k);
                if (strcmp(json_get_str(e, "userId"), s->user_id) == 0)
                    p = e;
            }
        }
        if (!p) {
            p = json_object_new_object();
            json_object_object_add(p, "userId", json_object_new_string(s->user_id));
            json_object_object_add(p, "sessions", json_object_new_array());
            json_object_array_add(arr, p);
        }
        json_object_object_add(p, "name", json_object_new_string(s->name)); /* the latest */
        json_object_object_get_ex(p, "sessions", &sessions);
        one = json_object_new_object();
        json_object_object_add(one, "joinedAt", json_object_new_int64(s->joined_at));
        json_object_object_add(one, "leftAt", opt_time(s->left_at));
        json_object_object_add(one, "durationMs",
                               opt_time(s->left_at >= 0 ? s->left_at - s->joined_at : -1));
        json_object_object_add(one, "role", json_object_new_string(s->role));
        json_object_object_add(one, "leaveReason", s->leave_reason[0]
                                                       ? json_object_new_string(s->leave_reason)
                                                       : NULL);
        json_object_array_add(sessions, one);
    }
    return arr;
}

static void
make_cursor(const call_record *last, char *out, size_t len)
{
    char raw[96];
    int n = snprintf(raw, sizeof(raw), "%lld:%s", (long long)last->started_at, last->call_id);
    b64url_encode((const unsigned char *)raw, (size_t)n, out, len);
}

/* ---- worker side ---- */

static void
run_list(store_job *job, store *s)
{
    history_job *j = (history_job *)job;

    job->result = store_room_get(s, j->app_id, j->room_id, &j->room);
    if (job->result == E_OK)
        job->result = store_call_list(s, j->app_id, j->room_id, j->after_started, j->after_id,
                                      j->limit, &j->page);
}

static void
run_get(store_job *job, store *s)
{
    history_job *j = (history_job *)job;

    job->result = store_call_get(s, j->app_id, j->call_id, &j->call);
    if (job->result != E_OK)
        return;
    job->result = store_room_get(s, j->app_id, j->call.room_id, &j->room);
    if (job->result == E_ROOM_NOT_FOUND)
        job->result = E_OK; /* a deleted room's call: history_may_read decides */
}

/* ---- loop side ---- */

static void
reply_list(http_req *r, history_job *j)
{
    struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
    char cursor[160];
    int i;

    for (i = 0; i < j->page.count; i++)
        json_object_array_add(arr, call_json(&j->page.calls[i]));
    json_object_object_add(o, "calls", arr);
    if (j->page.more)
        make_cursor(&j->page.calls[j->page.count - 1], cursor, sizeof(cursor));
    json_object_object_add(o, "nextCursor", j->page.more ? json_object_new_string(cursor) : NULL);
    http_reply_json(r, 200, o);
}

static void
reply_call(http_req *r, const call_record *c)
{
    struct json_object *o = call_json(c);

    json_object_object_add(o, "participants", participants_json(c));
    http_reply_json(r, 200, o);
}

static void
history_done(store_job *job)
{
    history_job *j = (history_job *)job;
    http_req *r = j->req;

    if (!http_req_resume(r))
        goto out;
    if (job->result == E_INTERNAL)
        dlog(LOG_ERROR, "msg=\"store job failed\" rid=%s", r->request_id);
    if (job->result != E_OK)
        http_error(r, job->result, NULL, NULL);
    else if (!history_may_read(r, j->room))
        http_error(r, E_FORBIDDEN, NULL,
                   "only the room's creator and hosts may read its call history");
    else if (j->call_id[0])
        reply_call(r, &j->call);
    else
        reply_list(r, j);
out:
    room_free(j->room);
    call_page_free(&j->page);
    call_record_clear(&j->call);
    free(j);
}

static history_job *
job_new(http_req *r, void (*run)(store_job *, store *))
{
    history_job *j = xcalloc(1, sizeof(*j));

    j->job.run = run;
    j->job.done = history_done;
    j->req = r;
    snprintf(j->app_id, sizeof(j->app_id), "%s", r->id.app_id);
    return j;
}

static void
submit(history_job *j)
{
    http_req_hold(j->req);
    server_submit(j->req->srv, &j->job);
}

/* Reads ?limit= and ?cursor= into j; on a bad one replies 400 and returns false. */
static bool
read_page_args(http_req *r, history_job *j)
{
    char buf[512], raw[256];
    const char *v;
    bool bad = false;

    j->limit = LIST_LIMIT_DEFAULT;
    j->after_started = -1;
    if ((v = http_query_arg(r, "limit", buf, sizeof(buf), &bad))) {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < 1 || n > LIST_LIMIT_MAX) {
            http_error(r, E_VALIDATION_FAILED, "limit", "limit must be between 1 and %d",
                       LIST_LIMIT_MAX);
            return false;
        }
        j->limit = (int)n;
    }
    if (!bad && (v = http_query_arg(r, "cursor", buf, sizeof(buf), &bad))) {
        long n = b64url_decode(v, strlen(v), (unsigned char *)raw, sizeof(raw) - 1);
        char *colon = NULL;
        long long started;

        if (n > 0) {
            raw[n] = '\0';
            colon = strchr(raw, ':');
        }
        if (n <= 0 || !colon || sscanf(raw, "%lld:", &started) != 1 || started < 0 ||
            !http_id_plausible(colon + 1, "call_", CALL_ID_MAX)) {
            http_error(r, E_VALIDATION_FAILED, "cursor", "cursor is not one this server gave");
            return false;
        }
        j->after_started = started;
        snprintf(j->after_id, sizeof(j->after_id), "%s", colon + 1);
    }
    return !bad;
}

void
history_list(http_req *r)
{
    history_job *j;

    if (!http_id_plausible(r->param[0], "rm_", ROOM_ID_MAX)) {
        http_error(r, E_ROOM_NOT_FOUND, NULL, NULL);
        return;
    }
    j = job_new(r, run_list);
    snprintf(j->room_id, sizeof(j->room_id), "%.*s", ROOM_ID_MAX - 1, r->param[0]);
    if (!read_page_args(r, j)) {
        free(j);
        return;
    }
    submit(j);
}

void
history_get(http_req *r)
{
    history_job *j;

    if (!http_id_plausible(r->param[0], "call_", CALL_ID_MAX)) {
        http_error(r, E_CALL_NOT_FOUND, NULL, NULL);
        return;
    }
    j = job_new(r, run_get);
    snprintf(j->call_id, sizeof(j->call_id), "%.*s", CALL_ID_MAX - 1, r->param[0]);
    submit(j);
}
