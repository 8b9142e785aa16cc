/*
 * SQLite: webhook endpoints, the outbox (events, deliveries, each room's
 * event numbers), participant sessions and call history (migration 5).
 * The statements are prepared once (sq_prepare) and run on the store's one
 * connection, inside the caller's transaction when there is one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/sqlite_int.h"

/* ---- webhook endpoints ---- */

dpa_err
sq_webhook_set(store *s, const char *app_id, const char *url, const char *secret, int64_t now,
               char id[WEBHOOK_ID_MAX], bool *created)
{
    static const char find[] =
        "SELECT webhook_id FROM webhook_endpoints WHERE app_id = ?1 AND url = ?2";
    static const char update[] = "UPDATE webhook_endpoints SET secret = ?2 WHERE webhook_id = ?1";
    static const char insert[] = "INSERT INTO webhook_endpoints"
                                 " (webhook_id, app_id, url, secret, created_at)"
                                 " VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *st = sq_prepare(s, find);
    int rc;

    *created = false;
    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, url);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(id, WEBHOOK_ID_MAX, "%s", col_text(st, 0));
    done(st);
    if (rc == SQLITE_ROW) {
        if (!(st = sq_prepare(s, update)))
            return last_err(s);
        bind_text(st, 1, id);
        bind_text(st, 2, secret);
        return step_done(st);
    }
    if (rc != SQLITE_DONE)
        return step_err(rc);
    if (random_id(id, WEBHOOK_ID_MAX, "wh_", 12))
        return E_INTERNAL;
    if (!(st = sq_prepare(s, insert)))
        return last_err(s);
    bind_text(st, 1, id);
    bind_text(st, 2, app_id);
    bind_text(st, 3, url);
    bind_text(st, 4, secret);
    sqlite3_bind_int64(st, 5, now);
    *created = true;
    return step_done(st);
}

dpa_err
sq_webhook_remove(store *s, const char *app_id, const char *webhook_id)
{
    static const char sql[] =
        "DELETE FROM webhook_endpoints WHERE app_id = ?1 AND webhook_id = ?2";
    sqlite3_stmt *st = sq_prepare(s, sql);
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, webhook_id);
    if ((e = step_done(st)))
        return e;
    return sqlite3_changes(DB(s)) ? E_OK : E_NOT_FOUND;
}

dpa_err
sq_webhooks_list(store *s, const char *app_id, bool secrets, webhook_list *out)
{
    static const char sql[] =
        "SELECT webhook_id, app_id, url, secret, created_at FROM webhook_endpoints"
        " WHERE ?1 IS NULL OR app_id = ?1 ORDER BY app_id, created_at, webhook_id";
    sqlite3_stmt *st = sq_prepare(s, sql);
    int rc, cap = 0;

    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        webhook *w;
        if (out->count == cap) {
            cap = cap ? 2 * cap : 8;
            out->items = xrealloc(out->items, (size_t)cap * sizeof(*out->items));
        }
        w = &out->items[out->count++];
        memset(w, 0, sizeof(*w));
        snprintf(w->id, sizeof(w->id), "%s", col_text(st, 0));
        snprintf(w->app_id, sizeof(w->app_id), "%s", col_text(st, 1));
        w->url = xstrdup(col_text(st, 2));
        w->secret = secrets ? xstrdup(col_text(st, 3)) : NULL;
        w->created_at = sqlite3_column_int64(st, 4);
    }
    done(st);
    if (rc != SQLITE_DONE) {
        webhook_list_clear(out);
        return step_err(rc);
    }
    return E_OK;
}

dpa_err
sq_webhook_count(store *s, const char *app_id, int *n)
{
    static const char sql[] = "SELECT count(*) FROM webhook_endpoints WHERE app_id = ?1";
    sqlite3_stmt *st = sq_prepare(s, sql);
    int rc;

    *n = 0;
    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int(st, 0);
    done(st);
    return rc == SQLITE_ROW ? E_OK : step_err(rc);
}

/* ---- the outbox ---- */

dpa_err
sq_room_seq_next(store *s, const char *app_id, const char *room_id, int64_t now, int64_t *seq)
{
    static const char sql[] =
        "INSERT INTO room_event_seqs (room_id, app_id, seq, updated_at) VALUES (?1, ?2, 1, ?3)"
        " ON CONFLICT (room_id) DO UPDATE SET seq = seq + 1, updated_at = ?3 RETURNING seq";
    sqlite3_stmt *st = sq_prepare(s, sql);
    int rc, rc2;

    if (!st)
        return last_err(s);
    bind_text(st, 1, room_id);
    bind_text(st, 2, app_id);
    sqlite3_bind_int64(st, 3, now);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        rc2 = sqlite3_step(st); /* RETURNING: the write completes at SQLITE_DONE */
        done(st);
        return rc2 == SQLITE_DONE ? E_OK : step_err(rc2);
    }
    done(st);
    return step_err(rc);
}

dpa_err
sq_event_insert(store *s, const char *event_id, const char *app_id, const char *room_id,
                int64_t seq, const char *type, int64_t at, const char *body)
{
    static const char event[] =
        "INSERT INTO webhook_events (event_id, app_id, room_id, room_seq, type, created_at, body)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    static const char fanout[] =
        "INSERT INTO webhook_deliveries (event_id, webhook_id, app_id, room_id, room_seq, state,"
        " next_at, created_at)"
        " SELECT ?1, webhook_id, ?2, ?3, ?4, 'pending', ?5, ?5 FROM webhook_endpoints"
        " WHERE app_id = ?2";
    sqlite3_stmt *st = sq_prepare(s, event);
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, event_id);
    bind_text(st, 2, app_id);
    bind_text(st, 3, room_id);
    sqlite3_bind_int64(st, 4, seq);
    bind_text(st, 5, type);
    sqlite3_bind_int64(st, 6, at);
    bind_text(st, 7, body);
    if ((e = step_done(st)))
        return e;
    if (!(st = sq_prepare(s, fanout)))
        return last_err(s);
    bind_text(st, 1, event_id);
    bind_text(st, 2, app_id);
    bind_text(st, 3, room_id);
    sqlite3_bind_int64(st, 4, seq);
    sqlite3_bind_int64(st, 5, at);
    return step_done(st);
}

dpa_err
sq_deliveries_due(store *s, int64_t now, store_app_ref **out, int *n)
{
    static const char sql[] =
        "SELECT DISTINCT d.app_id FROM webhook_deliveries d"
        " WHERE d.state = 'pending' AND d.next_at <= ?1 AND d.lease_until <= ?1"
        " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p"
        "  WHERE p.webhook_id = d.webhook_id AND p.room_id = d.room_id"
        "  AND p.state = 'pending' AND p.room_seq < d.room_seq)";
    sqlite3_stmt *st = sq_prepare(s, sql);
    int rc, cap = 0;

    *out = NULL;
    *n = 0;
    if (!st)
        return last_err(s);
    sqlite3_bind_int64(st, 1, now);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            *out = xrealloc(*out, (size_t)cap * sizeof(**out));
        }
        snprintf((*out)[*n].app_id, sizeof((*out)[*n].app_id), "%s", col_text(st, 0));
        (*n)++;
    }
    done(st);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return step_err(rc);
    }
    return E_OK;
}

dpa_err
sq_deliveries_claim(store *s, const char *app_id, const char *owner, int64_t now,
                    int64_t lease_until, int limit, delivery_batch *out)
{
    /* Due, not leased, and first of its room for its endpoint. */
    static const char lease[] =
        "UPDATE webhook_deliveries SET lease_owner = ?2, lease_until = ?4"
        " WHERE delivery_id IN (SELECT d.delivery_id FROM webhook_deliveries d"
        "  WHERE d.app_id = ?1 AND d.state = 'pending' AND d.next_at <= ?3"
        "  AND d.lease_until <= ?3 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p"
        "   WHERE p.webhook_id = d.webhook_id AND p.room_id = d.room_id"
        "   AND p.state = 'pending' AND p.room_seq < d.room_seq)"
        "  ORDER BY d.next_at, d.delivery_id LIMIT ?5)";
    static const char claimed[] =
        "SELECT d.delivery_id, d.event_id, d.webhook_id, d.app_id, d.room_id, d.room_seq,"
        " w.url, w.secret, e.body, d.attempts, e.created_at"
        " FROM webhook_deliveries d JOIN webhook_events e ON e.event_id = d.event_id"
        " JOIN webhook_endpoints w ON w.webhook_id = d.webhook_id"
        " WHERE d.lease_owner = ?1 AND d.state = 'pending' ORDER BY d.next_at, d.delivery_id";
    sqlite3_stmt *st = sq_prepare(s, lease);
    int rc, cap = 0;
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, owner);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, lease_until);
    sqlite3_bind_int(st, 5, limit);
    if ((e = step_done(st)))
        return e;
    if (sqlite3_changes(DB(s)) == 0)
        return E_OK;
    if (!(st = sq_prepare(s, claimed)))
        return last_err(s);
    bind_text(st, 1, owner);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_delivery *d;
        if (out->count == cap) {
            cap = cap ? 2 * cap : limit;
            out->items = xrealloc(out->items, (size_t)cap * sizeof(*out->items));
        }
        d = &out->items[out->count++];
        memset(d, 0, sizeof(*d));
        d->id = sqlite3_column_int64(st, 0);
        snprintf(d->event_id, sizeof(d->event_id), "%s", col_text(st, 1));
        snprintf(d->webhook_id, sizeof(d->webhook_id), "%s", col_text(st, 2));
        snprintf(d->app_id, sizeof(d->app_id), "%s", col_text(st, 3));
        snprintf(d->room_id, sizeof(d->room_id), "%s", col_text(st, 4));
        d->room_seq = sqlite3_column_int64(st, 5);
        d->url = xstrdup(col_text(st, 6));
        d->secret = xstrdup(col_text(st, 7));
        d->body = xstrdup(col_text(st, 8));
        d->attempts = sqlite3_column_int(st, 9);
        d->created_at = sqlite3_column_int64(st, 10);
    }
    done(st);
    if (rc != SQLITE_DONE) {
        delivery_batch_clear(out);
        return step_err(rc);
    }
    return E_OK;
}

dpa_err
sq_delivery_finish(store *s, int64_t id, const char *owner, delivery_outcome outcome,
                   int64_t now, int64_t next_at, int http_status, const char *error)
{
    static const char sql[] =
        "UPDATE webhook_deliveries SET"
        " state = CASE ?3 WHEN 0 THEN 'delivered' WHEN 2 THEN 'failed' ELSE 'pending' END,"
        " attempts = attempts + 1,"
        " next_at = CASE ?3 WHEN 1 THEN ?5 ELSE next_at END,"
        " done_at = CASE ?3 WHEN 1 THEN NULL ELSE ?4 END,"
        " last_status = ?6, last_error = ?7, lease_owner = NULL, lease_until = 0"
        " WHERE delivery_id = ?1 AND state = 'pending' AND (?3 = 0 OR lease_owner = ?2)";
    sqlite3_stmt *st = sq_prepare(s, sql);

    if (!st)
        return last_err(s);
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, owner);
    sqlite3_bind_int(st, 3, (int)outcome);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, next_at);
    if (http_status > 0)
        sqlite3_bind_int(st, 6, http_status);
    else
        sqlite3_bind_null(st, 6);
    bind_text(st, 7, error);
    return step_done(st);
}

dpa_err
sq_deliveries_release(store *s, const char *owner)
{
    static const char sql[] =
        "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = 0"
        " WHERE state = 'pending' AND lease_owner IS NOT NULL"
        " AND (?1 IS NULL OR substr(lease_owner, 1, length(?1)) = ?1)";
    sqlite3_stmt *st = sq_prepare(s, sql);

    if (!st)
        return last_err(s);
    bind_text(st, 1, owner);
    return step_done(st);
}

dpa_err
sq_outbox_stats(store *s, outbox_stats *out)
{
    static const char sql[] =
        "SELECT (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'),"
        " (SELECT count(*) FROM webhook_deliveries WHERE state = 'failed'),"
        " (SELECT coalesce(min(created_at), 0) FROM webhook_deliveries WHERE state = 'pending')";
    sqlite3_stmt *st = sq_prepare(s, sql);
    int rc;

    memset(out, 0, sizeof(*out));
    if (!st)
        return last_err(s);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->pending = sqlite3_column_int64(st, 0);
        out->failed = sqlite3_column_int64(st, 1);
        out->oldest_pending_at = sqlite3_column_int64(st, 2);
    }
    done(st);
    return rc == SQLITE_ROW ? E_OK : step_err(rc);
}

/*
 * One purge statement: ?1 the time before which rows go, ?2 (limit >= 0)
 * at most that many; *changes (if asked) how many went.
 */
static dpa_err
purge_step(store *s, const char *sql, int64_t before, int limit, int *changes)
{
    sqlite3_stmt *st = sq_prepare(s, sql);
    dpa_err e;

    if (!st)
        return last_err(s);
    sqlite3_bind_int64(st, 1, before);
    if (limit >= 0)
        sqlite3_bind_int(st, 2, limit);
    if ((e = step_done(st)))
        return e;
    if (changes)
        *changes = sqlite3_changes(DB(s));
    return E_OK;
}

dpa_err
sq_outbox_purge(store *s, int64_t before, int limit, int *purged)
{
    static const char events[] =
        "DELETE FROM webhook_events WHERE event_id IN (SELECT e.event_id FROM webhook_events e"
        " WHERE e.created_at < ?1 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d"
        "  WHERE d.event_id = e.event_id AND d.state = 'pending')"
        " ORDER BY e.created_at LIMIT ?2)";
    /* The numbers of rooms that are gone and quiet since. */
    static const char seqs[] =
        "DELETE FROM room_event_seqs WHERE updated_at < ?1"
        " AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.room_id = room_event_seqs.room_id)";
    dpa_err e;

    *purged = 0;
    if ((e = purge_step(s, events, before, limit, purged)))
        return e;
    return purge_step(s, seqs, before, -1, NULL);
}

/* ---- participant sessions ---- */

dpa_err
sq_session_join(store *s, const char *call_id, const char *app_id, const char *room_id,
                const char *user_id, const char *name, const char *role, int64_t at, int peak)
{
    static const char insert[] =
        "INSERT INTO participant_sessions (call_id, app_id, room_id, user_id, name, role,"
        " joined_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    static const char raise_peak[] =
        "UPDATE calls SET peak_participants = max(peak_participants, ?2) WHERE call_id = ?1";
    sqlite3_stmt *st = sq_prepare(s, insert);
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, call_id);
    bind_text(st, 2, app_id);
    bind_text(st, 3, room_id);
    bind_text(st, 4, user_id);
    bind_text(st, 5, name);
    bind_text(st, 6, role);
    sqlite3_bind_int64(st, 7, at);
    if ((e = step_done(st)))
        return e;
    if (!(st = sq_prepare(s, raise_peak)))
        return last_err(s);
    bind_text(st, 1, call_id);
    sqlite3_bind_int(st, 2, peak);
    return step_done(st);
}

/* A session from a row of (user_id, name, role, joined_at, left_at, leave_reason). */
static void
row_session(sqlite3_stmt *st, int first, call_session_rec *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->user_id, sizeof(r->user_id), "%s", col_text(st, first));
    snprintf(r->name, sizeof(r->name), "%s", col_text(st, first + 1));
    snprintf(r->role, sizeof(r->role), "%s", col_text(st, first + 2));
    r->joined_at = sqlite3_column_int64(st, first + 3);
    r->left_at = sqlite3_column_type(st, first + 4) == SQLITE_NULL
                     ? -1
                     : sqlite3_column_int64(st, first + 4);
    snprintf(r->leave_reason, sizeof(r->leave_reason), "%s", col_text(st, first + 5));
}

dpa_err
sq_session_leave(store *s, const char *call_id, const char *user_id, int64_t at,
                 const char *reason, call_session_rec *out)
{
    static const char find[] =
        "SELECT session_id, user_id, name, role, joined_at, left_at, leave_reason"
        " FROM participant_sessions WHERE call_id = ?1 AND user_id = ?2 AND left_at IS NULL"
        " ORDER BY joined_at DESC, session_id DESC LIMIT 1";
    static const char close_one[] =
        "UPDATE participant_sessions SET left_at = ?2, leave_reason = ?3 WHERE session_id = ?1";
    sqlite3_stmt *st = sq_prepare(s, find);
    int64_t id = 0;
    int rc;

    if (!st)
        return last_err(s);
    bind_text(st, 1, call_id);
    bind_text(st, 2, user_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        row_session(st, 1, out);
    }
    done(st);
    if (rc == SQLITE_DONE)
        return E_NOT_FOUND;
    if (rc != SQLITE_ROW)
        return step_err(rc);
    out->left_at = at;
    snprintf(out->leave_reason, sizeof(out->leave_reason), "%s", reason);
    if (!(st = sq_prepare(s, close_one)))
        return last_err(s);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    bind_text(st, 3, reason);
    return step_done(st);
}

/* Reads the sessions a statement yields (columns from 0) into a growing array. */
static dpa_err
read_sessions(sqlite3_stmt *st, call_session_rec **out, int *n)
{
    int rc, cap = 0;

    *out = NULL;
    *n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            *out = xrealloc(*out, (size_t)cap * sizeof(**out));
        }
        row_session(st, 0, &(*out)[(*n)++]);
    }
    done(st);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return step_err(rc);
    }
    return E_OK;
}

dpa_err
sq_sessions_end(store *s, const char *call_id, int64_t at, const char *reason,
                call_session_rec **out, int *n)
{
    static const char open_ones[] =
        "SELECT user_id, name, role, joined_at, left_at, leave_reason FROM participant_sessions"
        " WHERE call_id = ?1 AND left_at IS NULL ORDER BY joined_at, session_id";
    static const char close_all[] =
        "UPDATE participant_sessions SET left_at = ?2, leave_reason = ?3"
        " WHERE call_id = ?1 AND left_at IS NULL";
    sqlite3_stmt *st = sq_prepare(s, open_ones);
    dpa_err e;
    int i;

    *out = NULL;
    *n = 0;
    if (!st)
        return last_err(s);
    bind_text(st, 1, call_id);
    if ((e = read_sessions(st, out, n)) || *n == 0)
        return e;
    for (i = 0; i < *n; i++) {
        (*out)[i].left_at = at;
        snprintf((*out)[i].leave_reason, sizeof((*out)[i].leave_reason), "%s", reason);
    }
    if (!(st = sq_prepare(s, close_all)))
        e = last_err(s);
    if (!e) {
        bind_text(st, 1, call_id);
        sqlite3_bind_int64(st, 2, at);
        bind_text(st, 3, reason);
        e = step_done(st);
    }
    if (e) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return e;
}

/* ---- call history ---- */

#define CALL_COLS "c.call_id, c.app_id, c.room_id, c.started_at, c.ended_at, c.end_reason," \
                  " c.peak_participants"

/* A call from a row of CALL_COLS. */
static void
row_call(sqlite3_stmt *st, call_record *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->call_id, sizeof(c->call_id), "%s", col_text(st, 0));
    snprintf(c->app_id, sizeof(c->app_id), "%s", col_text(st, 1));
    snprintf(c->room_id, sizeof(c->room_id), "%s", col_text(st, 2));
    c->started_at = sqlite3_column_int64(st, 3);
    c->ended_at = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
    snprintf(c->end_reason, sizeof(c->end_reason), "%s", col_text(st, 5));
    c->peak = sqlite3_column_int(st, 6);
}

dpa_err
sq_call_info(store *s, const char *call_id, call_record *out)
{
    static const char sql[] = "SELECT " CALL_COLS " FROM calls c WHERE c.call_id = ?1";
    sqlite3_stmt *st = sq_prepare(s, sql);
    int rc;

    if (!st)
        return last_err(s);
    bind_text(st, 1, call_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        row_call(st, out);
    done(st);
    if (rc == SQLITE_ROW)
        return E_OK;
    return rc == SQLITE_DONE ? E_CALL_NOT_FOUND : step_err(rc);
}

dpa_err
sq_call_list(store *s, const char *app_id, const char *room_id, int64_t after_started,
             const char *after_id, int limit, call_page *page)
{
    static const char sql[] =
        "SELECT " CALL_COLS ", (SELECT count(DISTINCT p.user_id) FROM participant_sessions p"
        " WHERE p.call_id = c.call_id) FROM calls c"
        " WHERE c.room_id = ?2 AND c.app_id = ?1 AND (c.started_at, c.call_id) < (?3, ?4)"
        " ORDER BY c.started_at DESC, c.call_id DESC LIMIT ?5";
    sqlite3_stmt *st = sq_prepare(s, sql);
    int rc;

    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, room_id);
    sqlite3_bind_int64(st, 3, after_started < 0 ? INT64_MAX : after_started);
    bind_text(st, 4, after_started < 0 ? "" : after_id);
    sqlite3_bind_int(st, 5, limit + 1);
    page->calls = xcalloc((size_t)limit + 1, sizeof(*page->calls));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (page->count == limit) {
            page->more = true;
            break;
        }
        row_call(st, &page->calls[page->count]);
        page->calls[page->count++].participants = sqlite3_column_int(st, 7);
    }
    done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        call_page_free(page);
        return step_err(rc);
    }
    return E_OK;
}

dpa_err
sq_call_sessions(store *s, call_record *rec)
{
    static const char sql[] =
        "SELECT user_id, name, role, joined_at, left_at, leave_reason FROM participant_sessions"
        " WHERE call_id = ?1 ORDER BY joined_at, session_id";
    sqlite3_stmt *st = sq_prepare(s, sql);

    if (!st)
        return last_err(s);
    bind_text(st, 1, rec->call_id);
    return read_sessions(st, &rec->sessions, &rec->nsessions);
}

dpa_err
sq_history_purge(store *s, int64_t before, int limit, int *purged)
{
    static const char sessions[] =
        "DELETE FROM participant_sessions WHERE call_id IN (SELECT call_id FROM calls"
        " WHERE ended_at IS NOT NULL AND ended_at < ?1 ORDER BY ended_at, call_id LIMIT ?2)";
    static const char calls[] =
        "DELETE FROM calls WHERE call_id IN (SELECT call_id FROM calls"
        " WHERE ended_at IS NOT NULL AND ended_at < ?1 ORDER BY ended_at, call_id LIMIT ?2)";
    dpa_err e;

    *purged = 0;
    if ((e = purge_step(s, sessions, before, limit, NULL)))
        return e;
    return purge_step(s, calls, before, limit, purged);
}
