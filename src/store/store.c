#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/json.h"
#include "core/util.h"
#include "store/internal.h"

void
store_log(const char *level, const char *fmt, ...)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    va_list ap;
    int n;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, (int)(tv.tv_usec / 1000), level);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    n = (int)strlen(line);
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}

void
room_page_free(room_page *page)
{
    int i;
    for (i = 0; i < page->count; i++)
        room_free(page->rooms[i]);
    free(page->rooms);
    memset(page, 0, sizeof(*page));
}

void
idem_record_clear(idem_record *rec)
{
    free(rec->body);
    free(rec->room_id);
    memset(rec, 0, sizeof(*rec));
}

dpa_err
store_open(const char *url, store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (strncmp(url, "sqlite:", 7) == 0)
        return sqlite_store_open(url + 7, out, errbuf, errlen);
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return postgres_store_open(url, out, errbuf, errlen);
    /* Not echoed: an unknown scheme may still carry a password. */
    snprintf(errbuf, errlen,
             "unknown database URL scheme (expected sqlite:PATH or postgres://USER@HOST:PORT/DB)");
    return E_VALIDATION_FAILED;
}

void
store_close(store *s)
{
    if (s)
        s->ops->close(s);
}

dpa_err
store_relax_durability(store *s)
{
    return s->ops->relax(s);
}

const char *
store_errmsg(store *s)
{
    return s->ops->errmsg(s);
}

dpa_err
store_begin(store *s)
{
    s->savepoints = 0;
    return s->ops->exec(s, "BEGIN IMMEDIATE");
}

dpa_err
store_commit(store *s)
{
    return s->ops->exec(s, "COMMIT");
}

void
store_rollback(store *s)
{
    s->ops->exec(s, "ROLLBACK");
}

dpa_err
store_savepoint(store *s)
{
    char sql[48];
    snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", ++s->savepoints);
    return s->ops->exec(s, sql);
}

void
store_savepoint_release(store *s)
{
    char sql[48];
    snprintf(sql, sizeof(sql), "RELEASE sp%d", s->savepoints--);
    s->ops->exec(s, sql);
}

void
store_savepoint_rollback(store *s)
{
    char sql[64];
    snprintf(sql, sizeof(sql), "ROLLBACK TO sp%d", s->savepoints);
    s->ops->exec(s, sql);
    store_savepoint_release(s);
}

dpa_err
store_app_insert(store *s, const char *app_id, const char *name, const char *plan_name, int64_t now)
{
    return s->ops->app_insert(s, app_id, name, plan_name, now);
}

dpa_err
store_app_set_plan(store *s, const char *app_id, const char *plan_name)
{
    return s->ops->app_set_plan(s, app_id, plan_name);
}

dpa_err
store_key_insert(store *s, const char *kid, const char *app_id, const char *secret, int64_t now)
{
    return s->ops->key_insert(s, kid, app_id, secret, now);
}

dpa_err
store_key_delete(store *s, const char *app_id, const char *kid)
{
    return s->ops->key_delete(s, app_id, kid);
}

dpa_err
store_apps_load(store *s, app_registry **out)
{
    return s->ops->apps_load(s, out);
}

dpa_err
store_changed(store *s, bool *changed)
{
    return s->ops->changed(s, changed);
}

dpa_err
store_room_insert(store *s, const room *r, int64_t max_rooms)
{
    dpa_err e = s->ops->room_insert(s, r, max_rooms);

    return e ? e : events_room(s, "room.created", r, r->created_at);
}

dpa_err
store_room_get(store *s, const char *app_id, const char *room_id, room **out)
{
    return s->ops->room_get(s, app_id, room_id, out);
}

dpa_err
store_app_room_count(store *s, const char *app_id, int64_t *out)
{
    return s->ops->app_room_count(s, app_id, out);
}

dpa_err
store_room_get_for_update(store *s, const char *app_id, const char *room_id, room **out)
{
    if (s->ops->room_get_for_update)
        return s->ops->room_get_for_update(s, app_id, room_id, out);
    return s->ops->room_get(s, app_id, room_id, out);
}

dpa_err
store_room_update(store *s, const room *r)
{
    int before = ROOM_ACTIVE;
    bool wanted;
    dpa_err e;

    /* The status it had, to tell a close (room.closed) from other changes. */
    if ((e = events_wanted(s, r->app_id, &wanted)))
        return e;
    if (wanted && (e = s->ops->room_status(s, r->app_id, r->id, &before)))
        return e;
    if ((e = s->ops->room_update(s, r)) || !wanted)
        return e;
    if ((e = events_room(s, "room.updated", r, r->updated_at)))
        return e;
    if (before == ROOM_ACTIVE && r->status == ROOM_CLOSED)
        e = events_room(s, "room.closed", r, r->updated_at);
    return e;
}

dpa_err
store_room_delete(store *s, const char *app_id, const char *room_id)
{
    room *gone = NULL;
    bool wanted;
    dpa_err e;

    /* room.deleted carries the room as it was. */
    if ((e = events_wanted(s, app_id, &wanted)))
        return e;
    if (wanted && (e = s->ops->room_get(s, app_id, room_id, &gone)))
        return e;
    e = s->ops->room_delete(s, app_id, room_id);
    if (e == E_OK && gone)
        e = events_room(s, "room.deleted", gone, now_ms());
    room_free(gone);
    return e;
}

dpa_err
store_rooms_count(store *s, int64_t *count)
{
    return s->ops->rooms_count(s, count);
}

dpa_err
store_room_list(store *s, const char *app_id, const char *user_id, int status,
                int64_t after_created, const char *after_id, int limit, room_page *page)
{
    memset(page, 0, sizeof(*page));
    return s->ops->room_list(s, app_id, user_id, status, after_created, after_id, limit, page);
}

dpa_err
store_idem_get(store *s, const char *app_id, const char *user_id, const char *key,
               int64_t now, idem_record *out)
{
    memset(out, 0, sizeof(*out));
    return s->ops->idem_get(s, app_id, user_id, key, now, out);
}

dpa_err
store_idem_put(store *s, const char *app_id, const char *user_id, const char *key,
               const idem_record *rec, int64_t now)
{
    return s->ops->idem_put(s, app_id, user_id, key, rec, now);
}

/* An epoch below 0 (or 0 where one is required) is the caller's bug. */
static dpa_err
bad_epoch(const char *what, int64_t epoch)
{
    store_log("error", "msg=\"bad fencing epoch\" op=%s epoch=%lld", what, (long long)epoch);
    return E_INTERNAL;
}

dpa_err
store_call_open(store *s, const char *call_id, const char *app_id, const char *room_id,
                int64_t started_at, int64_t epoch)
{
    dpa_err e;

    if (epoch < 0)
        return bad_epoch("call_open", epoch);
    if ((e = s->ops->call_open(s, call_id, app_id, room_id, started_at, epoch)))
        return e;
    return events_call_started(s, app_id, room_id, call_id, started_at);
}

dpa_err
store_call_close(store *s, const char *call_id, int64_t ended_at, const char *reason, int peak,
                 int64_t epoch)
{
    call_record c;
    call_session_rec *left = NULL;
    int i, n = 0;
    dpa_err e;

    if (epoch < 0)
        return bad_epoch("call_close", epoch);
    /* What the call was, to tell whether this write ends it. */
    e = s->ops->call_info(s, call_id, &c);
    if (e && e != E_CALL_NOT_FOUND)
        return e;
    if (e == E_CALL_NOT_FOUND)
        c.ended_at = 0;
    if ((e = s->ops->call_close(s, call_id, ended_at, reason, peak, epoch)) || c.ended_at >= 0)
        return e;
    /* Whoever was still in leaves with the call, before call.ended. */
    e = s->ops->sessions_end(s, call_id, ended_at,
                             strcmp(reason, "SERVER_RESTART") == 0 ? "SERVER_RESTART"
                                                                   : "CALL_ENDED",
                             &left, &n);
    for (i = 0; i < n && !e; i++)
        e = events_left(s, c.app_id, c.room_id, call_id, &left[i]);
    free(left);
    if (e)
        return e;
    c.ended_at = ended_at;
    snprintf(c.end_reason, sizeof(c.end_reason), "%s", reason);
    if (peak > c.peak)
        c.peak = peak;
    return events_call_ended(s, &c);
}

dpa_err
store_call_fence(store *s, const char *app_id, const char *room_id, int64_t epoch,
                 char open_call_id[CALL_ID_MAX])
{
    open_call_id[0] = '\0';
    if (epoch <= 0)
        return bad_epoch("call_fence", epoch);
    return s->ops->call_fence(s, app_id, room_id, epoch, open_call_id);
}

dpa_err
store_calls_recover(store *s, int64_t now, int *ended, int *closed)
{
    store_call_ref *refs = NULL;
    int i, k, n = 0;
    dpa_err e;

    *ended = *closed = 0;
    if ((e = s->ops->open_calls(s, &refs, &n)))
        return e;
    /* Each call ends as any call does (its sessions, its events), then its room closes. */
    for (i = 0; i < n && !e; i++) {
        if (!(e = store_call_close(s, refs[i].call_id, now, "SERVER_RESTART", 0, 0)))
            (*ended)++;
    }
    for (i = 0; i < n && !e; i++) {
        room *r = NULL;

        for (k = 0; k < i && strcmp(refs[k].room_id, refs[i].room_id); k++)
            ;
        if (k < i)
            continue; /* that room was seen */
        e = store_room_get_for_update(s, refs[i].app_id, refs[i].room_id, &r);
        if (e == E_ROOM_NOT_FOUND) {
            e = E_OK; /* deleted since: nothing to close */
        } else if (e == E_OK && r->status == ROOM_ACTIVE && r->policy.auto_close) {
            if (!(e = room_close(r, now)) && !(e = store_room_update(s, r)))
                (*closed)++;
        }
        room_free(r);
    }
    free(refs);
    return e;
}

dpa_err
store_check_files(store *s, char *why, size_t len)
{
    why[0] = '\0';
    return s->ops->check_files(s, why, len);
}

dpa_err
store_probe(store *s, int64_t now)
{
    return s->ops->probe(s, now);
}

dpa_err
store_salvage(store *s, int64_t now, char *copy, size_t len)
{
    return s->ops->salvage(s, now, copy, len);
}

char *
store_hosts_json(const room *r)
{
    struct json_object *arr = json_object_new_array_ext(r->nhosts);
    char *out;
    int i;

    for (i = 0; i < r->nhosts; i++)
        json_object_array_add(arr, json_object_new_string(r->hosts[i]));
    out = xstrdup(json_plain(arr, NULL));
    json_object_put(arr);
    return out;
}
