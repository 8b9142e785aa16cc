/*
 * PostgreSQL: webhook endpoints, the outbox (events, deliveries, each
 * room's event numbers), participant sessions and call history
 * (migration 5). Every operation runs in the caller's transaction, or in
 * its own outside one (pg_op_begin).
 *
 * Several processes share the database: a room's event number is taken
 * under its row lock (INSERT ... ON CONFLICT DO UPDATE), so a room's
 * events commit in number order; deliveries are claimed with FOR UPDATE
 * SKIP LOCKED, so two senders never lease the same one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "store/postgres_int.h"

/* Runs a write statement in the operation's own transaction when there is none. */
static dpa_err
write_one(store *s, const char *sql, const params *p, int *changes)
{
    bool own;
    dpa_err e;

    if ((e = pg_op_begin(s, &own)))
        return e;
    return pg_op_end(s, own, pg_exec_params(s, sql, p, changes));
}

static int64_t
col_int(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? -1 : atoll(PQgetvalue(res, row, col));
}

/* ---- webhook endpoints ---- */

static dpa_err
webhook_set(store *s, const char *app_id, const char *url, const char *secret, int64_t now,
            char id[WEBHOOK_ID_MAX], bool *created)
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    p_text(&p, app_id);
    p_text(&p, url);
    if (!(res = pg_query(s,
                         "SELECT webhook_id FROM webhook_endpoints"
                         " WHERE app_id = $1 AND url = $2 FOR UPDATE",
                         &p, &e)))
        return e;
    if (PQntuples(res) == 1) {
        snprintf(id, WEBHOOK_ID_MAX, "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        memset(&p, 0, sizeof(p));
        p_text(&p, id);
        p_text(&p, secret);
        return pg_exec_params(s, "UPDATE webhook_endpoints SET secret = $2 WHERE webhook_id = $1",
                              &p, NULL);
    }
    PQclear(res);
    if (random_id(id, WEBHOOK_ID_MAX, "wh_", 12))
        return E_INTERNAL;
    memset(&p, 0, sizeof(p));
    p_text(&p, id);
    p_text(&p, app_id);
    p_text(&p, url);
    p_text(&p, secret);
    p_int(&p, now);
    *created = true;
    return pg_exec_params(s,
                          "INSERT INTO webhook_endpoints (webhook_id, app_id, url, secret,"
                          " created_at) VALUES ($1, $2, $3, $4, $5)",
                          &p, NULL);
}

dpa_err
pgx_webhook_set(store *s, const char *app_id, const char *url, const char *secret, int64_t now,
                char id[WEBHOOK_ID_MAX], bool *created)
{
    bool own;
    dpa_err e;

    *created = false;
    if ((e = pg_op_begin(s, &own)))
        return e;
    return pg_op_end(s, own, webhook_set(s, app_id, url, secret, now, id, created));
}

dpa_err
pgx_webhook_remove(store *s, const char *app_id, const char *webhook_id)
{
    params p = {0};
    int changes = 0;
    dpa_err e;

    p_text(&p, app_id);
    p_text(&p, webhook_id);
    e = write_one(s, "DELETE FROM webhook_endpoints WHERE app_id = $1 AND webhook_id = $2", &p,
                  &changes);
    return e ? e : changes ? E_OK : E_NOT_FOUND;
}

dpa_err
pgx_webhooks_list(store *s, const char *app_id, bool secrets, webhook_list *out)
{
    params p = {0};
    PGresult *res;
    dpa_err e;
    int i, n;

    if ((e = pg_read_ready(s)))
        return e;
    p_text(&p, app_id);
    if (!(res = pg_query(s,
                         "SELECT webhook_id, app_id, url, secret, created_at FROM webhook_endpoints"
                         " WHERE $1::text IS NULL OR app_id = $1::text"
                         " ORDER BY app_id, created_at, webhook_id",
                         &p, &e)))
        return e;
    n = PQntuples(res);
    out->items = n ? xcalloc((size_t)n, sizeof(*out->items)) : NULL;
    for (i = 0; i < n; i++) {
        webhook *w = &out->items[i];
        snprintf(w->id, sizeof(w->id), "%s", PQgetvalue(res, i, 0));
        snprintf(w->app_id, sizeof(w->app_id), "%s", PQgetvalue(res, i, 1));
        w->url = xstrdup(PQgetvalue(res, i, 2));
        w->secret = secrets ? xstrdup(PQgetvalue(res, i, 3)) : NULL;
        w->created_at = col_int(res, i, 4);
    }
    out->count = n;
    PQclear(res);
    return E_OK;
}

dpa_err
pgx_webhook_count(store *s, const char *app_id, int *n)
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    *n = 0;
    if ((e = pg_read_ready(s)))
        return e;
    p_text(&p, app_id);
    if (!(res = pg_query(s, "SELECT count(*) FROM webhook_endpoints WHERE app_id = $1", &p, &e)))
        return e;
    *n = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return E_OK;
}

/* ---- the outbox ---- */

static dpa_err
room_seq_next(store *s, const char *app_id, const char *room_id, int64_t now, int64_t *seq)
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    p_text(&p, room_id);
    p_text(&p, app_id);
    p_int(&p, now);
    if (!(res = pg_query(s,
                         "INSERT INTO room_event_seqs (room_id, app_id, seq, updated_at)"
                         " VALUES ($1, $2, 1, $3) ON CONFLICT (room_id) DO UPDATE"
                         " SET seq = room_event_seqs.seq + 1, updated_at = $3 RETURNING seq",
                         &p, &e)))
        return e;
    *seq = col_int(res, 0, 0);
    PQclear(res);
    return E_OK;
}

dpa_err
pgx_room_seq_next(store *s, const char *app_id, const char *room_id, int64_t now, int64_t *seq)
{
    bool own;
    dpa_err e;

    if ((e = pg_op_begin(s, &own)))
        return e;
    return pg_op_end(s, own, room_seq_next(s, app_id, room_id, now, seq));
}

static dpa_err
event_insert(store *s, const char *event_id, const char *app_id, const char *room_id,
             int64_t seq, const char *type, int64_t at, const char *body)
{
    params p = {0};
    dpa_err e;

    p_text(&p, event_id);
    p_text(&p, app_id);
    p_text(&p, room_id);
    p_int(&p, seq);
    p_text(&p, type);
    p_int(&p, at);
    p_text(&p, body);
    if ((e = pg_exec_params(s,
                            "INSERT INTO webhook_events (event_id, app_id, room_id, room_seq,"
                            " type, created_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            &p, NULL)))
        return e;
    memset(&p, 0, sizeof(p));
    p_text(&p, event_id);
    p_text(&p, app_id);
    p_text(&p, room_id);
    p_int(&p, seq);
    p_int(&p, at);
    return pg_exec_params(s,
                          "INSERT INTO webhook_deliveries (event_id, webhook_id, app_id, room_id,"
                          " room_seq, state, next_at, created_at)"
                          " SELECT $1, webhook_id, $2, $3, $4, 'pending', $5, $5"
                          " FROM webhook_endpoints WHERE app_id = $2",
                          &p, NULL);
}

dpa_err
pgx_event_insert(store *s, const char *event_id, const char *app_id, const char *room_id,
                 int64_t seq, const char *type, int64_t at, const char *body)
{
    bool own;
    dpa_err e;

    if ((e = pg_op_begin(s, &own)))
        return e;
    return pg_op_end(s, own, event_insert(s, event_id, app_id, room_id, seq, type, at, body));
}

dpa_err
pgx_deliveries_due(store *s, int64_t now, store_app_ref **out, int *n)
{
    params p = {0};
    PGresult *res;
    dpa_err e;
    int i;

    *out = NULL;
    *n = 0;
    if ((e = pg_read_ready(s)))
        return e;
    p_int(&p, now);
    if (!(res = pg_query(s,
                         "SELECT DISTINCT d.app_id FROM webhook_deliveries d"
                         " WHERE d.state = 'pending' AND d.next_at <= $1 AND d.lease_until <= $1"
                         " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries q"
                         "  WHERE q.webhook_id = d.webhook_id AND q.room_id = d.room_id"
                         "  AND q.state = 'pending' AND q.room_seq < d.room_seq)",
                         &p, &e)))
        return e;
    if (PQntuples(res) > 0) {
        *out = xcalloc((size_t)PQntuples(res), sizeof(**out));
        for (i = 0; i < PQntuples(res); i++)
            snprintf((*out)[i].app_id, sizeof((*out)[i].app_id), "%s", PQgetvalue(res, i, 0));
        *n = PQntuples(res);
    }
    PQclear(res);
    return E_OK;
}

static dpa_err
deliveries_claim(store *s, const char *app_id, const char *owner, int64_t now,
                 int64_t lease_until, int limit, delivery_batch *out)
{
    params p = {0};
    PGresult *res;
    int changes = 0, i, n;
    dpa_err e;

    p_text(&p, app_id);
    p_text(&p, owner);
    p_int(&p, now);
    p_int(&p, lease_until);
    p_int(&p, limit);
    /* Due, not leased, first of its room for its endpoint; rows another sender holds: skipped. */
    if ((e = pg_exec_params(s,
                            "UPDATE webhook_deliveries SET lease_owner = $2, lease_until = $4"
                            " WHERE delivery_id IN (SELECT d.delivery_id FROM webhook_deliveries d"
                            "  WHERE d.app_id = $1 AND d.state = 'pending' AND d.next_at <= $3"
                            "  AND d.lease_until <= $3 AND NOT EXISTS (SELECT 1"
                            "   FROM webhook_deliveries q WHERE q.webhook_id = d.webhook_id"
                            "   AND q.room_id = d.room_id AND q.state = 'pending'"
                            "   AND q.room_seq < d.room_seq)"
                            "  ORDER BY d.next_at, d.delivery_id LIMIT $5 FOR UPDATE SKIP LOCKED)"
                            " AND state = 'pending' AND lease_until <= $3",
                            &p, &changes)) ||
        changes == 0)
        return e;
    memset(&p, 0, sizeof(p));
    p_text(&p, owner);
    if (!(res = pg_query(s,
                         "SELECT d.delivery_id, d.event_id, d.webhook_id, d.app_id, d.room_id,"
                         " d.room_seq, w.url, w.secret, e.body, d.attempts, e.created_at"
                         " FROM webhook_deliveries d JOIN webhook_events e"
                         " ON e.event_id = d.event_id JOIN webhook_endpoints w"
                         " ON w.webhook_id = d.webhook_id"
                         " WHERE d.lease_owner = $1 AND d.state = 'pending'"
                         " ORDER BY d.next_at, d.delivery_id",
                         &p, &e)))
        return e;
    n = PQntuples(res);
    out->items = n ? xcalloc((size_t)n, sizeof(*out->items)) : NULL;
    for (i = 0; i < n; i++) {
        store_delivery *d = &out->items[i];
        d->id = col_int(res, i, 0);
        snprintf(d->event_id, sizeof(d->event_id), "%s", PQgetvalue(res, i, 1));
        snprintf(d->webhook_id, sizeof(d->webhook_id), "%s", PQgetvalue(res, i, 2));
        snprintf(d->app_id, sizeof(d->app_id), "%s", PQgetvalue(res, i, 3));
        snprintf(d->room_id, sizeof(d->room_id), "%s", PQgetvalue(res, i, 4));
        d->room_seq = col_int(res, i, 5);
        d->url = xstrdup(PQgetvalue(res, i, 6));
        d->secret = xstrdup(PQgetvalue(res, i, 7));
        d->body = xstrdup(PQgetvalue(res, i, 8));
        d->attempts = (int)col_int(res, i, 9);
        d->created_at = col_int(res, i, 10);
    }
    out->count = n;
    PQclear(res);
    return E_OK;
}

dpa_err
pgx_deliveries_claim(store *s, const char *app_id, const char *owner, int64_t now,
                     int64_t lease_until, int limit, delivery_batch *out)
{
    bool own;
    dpa_err e;

    if ((e = pg_op_begin(s, &own)))
        return e;
    e = deliveries_claim(s, app_id, owner, now, lease_until, limit, out);
    if ((e = pg_op_end(s, own, e)))
        delivery_batch_clear(out);
    return e;
}

dpa_err
pgx_delivery_finish(store *s, int64_t id, const char *owner, delivery_outcome outcome,
                    int64_t now, int64_t next_at, int http_status, const char *error)
{
    params p = {0};

    p_int(&p, id);
    p_text(&p, owner);
    p_int(&p, (int)outcome);
    p_int(&p, now);
    p_int(&p, next_at);
    if (http_status > 0)
        p_int(&p, http_status);
    else
        p_text(&p, NULL);
    p_text(&p, error);
    return write_one(s,
                     "UPDATE webhook_deliveries SET"
                     " state = CASE $3::int WHEN 0 THEN 'delivered' WHEN 2 THEN 'failed'"
                     "  ELSE 'pending' END,"
                     " attempts = attempts + 1,"
                     " next_at = CASE $3::int WHEN 1 THEN $5::bigint ELSE next_at END,"
                     " done_at = CASE $3::int WHEN 1 THEN NULL ELSE $4::bigint END,"
                     " last_status = $6::int, last_error = $7::text, lease_owner = NULL,"
                     " lease_until = 0"
                     " WHERE delivery_id = $1 AND state = 'pending'"
                     " AND ($3::int = 0 OR lease_owner = $2::text)",
                     &p, NULL);
}

dpa_err
pgx_deliveries_release(store *s, const char *owner)
{
    params p = {0};

    p_text(&p, owner);
    return write_one(s,
                     "UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = 0"
                     " WHERE state = 'pending' AND lease_owner IS NOT NULL"
                     " AND ($1::text IS NULL OR starts_with(lease_owner, $1::text))",
                     &p, NULL);
}

dpa_err
pgx_outbox_stats(store *s, outbox_stats *out)
{
    PGresult *res;
    dpa_err e;

    memset(out, 0, sizeof(*out));
    if ((e = pg_read_ready(s)))
        return e;
    if (!(res = pg_query(s,
                         "SELECT (SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'),"
                         " (SELECT count(*) FROM webhook_deliveries WHERE state = 'failed'),"
                         " (SELECT coalesce(min(created_at), 0) FROM webhook_deliveries"
                         "  WHERE state = 'pending')",
                         NULL, &e)))
        return e;
    out->pending = col_int(res, 0, 0);
    out->failed = col_int(res, 0, 1);
    out->oldest_pending_at = col_int(res, 0, 2);
    PQclear(res);
    return E_OK;
}

static dpa_err
outbox_purge(store *s, int64_t before, int limit, int *purged)
{
    params p = {0};
    dpa_err e;

    p_int(&p, before);
    p_int(&p, limit);
    if ((e = pg_exec_params(s,
                            "DELETE FROM webhook_events WHERE event_id IN (SELECT e.event_id"
                            " FROM webhook_events e WHERE e.created_at < $1"
                            " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d"
                            "  WHERE d.event_id = e.event_id AND d.state = 'pending')"
                            " ORDER BY e.created_at LIMIT $2)",
                            &p, purged)))
        return e;
    p.n = 1;
    /* The numbers of rooms that are gone and quiet since. */
    return pg_exec_params(s,
                          "DELETE FROM room_event_seqs q WHERE q.updated_at < $1"
                          " AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.room_id = q.room_id)",
                          &p, NULL);
}

dpa_err
pgx_outbox_purge(store *s, int64_t before, int limit, int *purged)
{
    bool own;
    dpa_err e;

    *purged = 0;
    if ((e = pg_op_begin(s, &own)))
        return e;
    return pg_op_end(s, own, outbox_purge(s, before, limit, purged));
}

/* ---- participant sessions ---- */

static dpa_err
session_join(store *s, const char *call_id, const char *app_id, const char *room_id,
             const char *user_id, const char *name, const char *role, int64_t at, int peak)
{
    params p = {0};
    dpa_err e;

    p_text(&p, call_id);
    p_text(&p, app_id);
    p_text(&p, room_id);
    p_text(&p, user_id);
    p_text(&p, name);
    p_text(&p, role);
    p_int(&p, at);
    if ((e = pg_exec_params(s,
                            "INSERT INTO participant_sessions (call_id, app_id, room_id, user_id,"
                            " name, role, joined_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                            &p, NULL)))
        return e;
    memset(&p, 0, sizeof(p));
    p_text(&p, call_id);
    p_int(&p, peak);
    return pg_exec_params(s,
                          "UPDATE calls SET peak_participants = greatest(peak_participants, $2)"
                          " WHERE call_id = $1",
                          &p, NULL);
}

dpa_err
pgx_session_join(store *s, const char *call_id, const char *app_id, const char *room_id,
                 const char *user_id, const char *name, const char *role, int64_t at, int peak)
{
    bool own;
    dpa_err e;

    if ((e = pg_op_begin(s, &own)))
        return e;
    return pg_op_end(s, own,
                     session_join(s, call_id, app_id, room_id, user_id, name, role, at, peak));
}

/* Row i of (user_id, name, role, joined_at, left_at, leave_reason) from column first. */
static void
row_session(PGresult *res, int i, int first, call_session_rec *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->user_id, sizeof(r->user_id), "%s", PQgetvalue(res, i, first));
    snprintf(r->name, sizeof(r->name), "%s", PQgetvalue(res, i, first + 1));
    snprintf(r->role, sizeof(r->role), "%s", PQgetvalue(res, i, first + 2));
    r->joined_at = col_int(res, i, first + 3);
    r->left_at = col_int(res, i, first + 4);
    snprintf(r->leave_reason, sizeof(r->leave_reason), "%s", PQgetvalue(res, i, first + 5));
}

/* Every row of res as sessions (malloc'd array). */
static void
read_sessions(PGresult *res, call_session_rec **out, int *n)
{
    int i;

    *n = PQntuples(res);
    *out = *n ? xcalloc((size_t)*n, sizeof(**out)) : NULL;
    for (i = 0; i < *n; i++)
        row_session(res, i, 0, &(*out)[i]);
}

dpa_err
pgx_session_leave(store *s, const char *call_id, const char *user_id, int64_t at,
                  const char *reason, call_session_rec *out)
{
    params p = {0};
    PGresult *res;
    bool own;
    dpa_err e;

    if ((e = pg_op_begin(s, &own)))
        return e;
    p_text(&p, call_id);
    p_text(&p, user_id);
    p_int(&p, at);
    p_text(&p, reason);
    res = pg_query(s,
                   "UPDATE participant_sessions SET left_at = $3, leave_reason = $4"
                   " WHERE session_id = (SELECT session_id FROM participant_sessions"
                   "  WHERE call_id = $1 AND user_id = $2 AND left_at IS NULL"
                   "  ORDER BY joined_at DESC, session_id DESC LIMIT 1)"
                   " RETURNING user_id, name, role, joined_at, left_at, leave_reason",
                   &p, &e);
    if (res) {
        e = PQntuples(res) == 1 ? E_OK : E_NOT_FOUND;
        if (e == E_OK)
            row_session(res, 0, 0, out);
        PQclear(res);
    }
    /* Nothing open is no failure of the transaction. */
    if (e == E_NOT_FOUND)
        return pg_op_end(s, own, E_OK) ? E_STORE_UNAVAILABLE : E_NOT_FOUND;
    return pg_op_end(s, own, e);
}

dpa_err
pgx_sessions_end(store *s, const char *call_id, int64_t at, const char *reason,
                 call_session_rec **out, int *n)
{
    params p = {0};
    PGresult *res;
    bool own;
    dpa_err e;

    *out = NULL;
    *n = 0;
    if ((e = pg_op_begin(s, &own)))
        return e;
    p_text(&p, call_id);
    p_int(&p, at);
    p_text(&p, reason);
    res = pg_query(s,
                   "WITH closed AS (UPDATE participant_sessions SET left_at = $2,"
                   " leave_reason = $3 WHERE call_id = $1 AND left_at IS NULL"
                   " RETURNING session_id, user_id, name, role, joined_at, left_at, leave_reason)"
                   " SELECT user_id, name, role, joined_at, left_at, leave_reason FROM closed"
                   " ORDER BY joined_at, session_id",
                   &p, &e);
    if (res) {
        read_sessions(res, out, n);
        PQclear(res);
    }
    if ((e = pg_op_end(s, own, e))) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return e;
}

/* ---- call history ---- */

#define CALL_COLS "c.call_id, c.app_id, c.room_id, c.started_at, c.ended_at, c.end_reason," \
                  " c.peak_participants"

static void
row_call(PGresult *res, int i, call_record *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->call_id, sizeof(c->call_id), "%s", PQgetvalue(res, i, 0));
    snprintf(c->app_id, sizeof(c->app_id), "%s", PQgetvalue(res, i, 1));
    snprintf(c->room_id, sizeof(c->room_id), "%s", PQgetvalue(res, i, 2));
    c->started_at = col_int(res, i, 3);
    c->ended_at = col_int(res, i, 4);
    snprintf(c->end_reason, sizeof(c->end_reason), "%s", PQgetvalue(res, i, 5));
    c->peak = (int)col_int(res, i, 6);
}

dpa_err
pgx_call_info(store *s, const char *call_id, call_record *out)
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    if ((e = pg_read_ready(s)))
        return e;
    p_text(&p, call_id);
    if (!(res = pg_query(s, "SELECT " CALL_COLS " FROM calls c WHERE c.call_id = $1", &p, &e)))
        return e;
    e = PQntuples(res) == 1 ? E_OK : E_CALL_NOT_FOUND;
    if (e == E_OK)
        row_call(res, 0, out);
    PQclear(res);
    return e;
}

dpa_err
pgx_call_list(store *s, const char *app_id, const char *room_id, int64_t after_started,
              const char *after_id, int limit, call_page *page)
{
    params p = {0};
    PGresult *res;
    dpa_err e;
    int i, n;

    if ((e = pg_read_ready(s)))
        return e;
    p_text(&p, app_id);
    p_text(&p, room_id);
    p_int(&p, after_started < 0 ? INT64_MAX : after_started);
    p_text(&p, after_started < 0 ? "" : after_id);
    p_int(&p, limit + 1);
    if (!(res = pg_query(s,
                         "SELECT " CALL_COLS ", (SELECT count(DISTINCT q.user_id)"
                         " FROM participant_sessions q WHERE q.call_id = c.call_id) FROM calls c"
                         " WHERE c.room_id = $2 AND c.app_id = $1"
                         " AND (c.started_at, c.call_id COLLATE \"C\") < ($3::bigint, $4::text)"
                         " ORDER BY c.started_at DESC, c.call_id COLLATE \"C\" DESC LIMIT $5",
                         &p, &e)))
        return e;
    n = PQntuples(res);
    page->calls = xcalloc((size_t)limit + 1, sizeof(*page->calls));
    for (i = 0; i < n; i++) {
        if (page->count == limit) {
            page->more = true;
            break;
        }
        row_call(res, i, &page->calls[page->count]);
        page->calls[page->count++].participants = (int)col_int(res, i, 7);
    }
    PQclear(res);
    return E_OK;
}

dpa_err
pgx_call_sessions(store *s, call_record *rec)
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    if ((e = pg_read_ready(s)))
        return e;
    p_text(&p, rec->call_id);
    if (!(res = pg_query(s,
                         "SELECT user_id, name, role, joined_at, left_at, leave_reason"
                         " FROM participant_sessions WHERE call_id = $1"
                         " ORDER BY joined_at, session_id",
                         &p, &e)))
        return e;
    read_sessions(res, &rec->sessions, &rec->nsessions);
    PQclear(res);
    return E_OK;
}

dpa_err
pgx_history_purge(store *s, int64_t before, int limit, int *purged)
{
    params p = {0};

    *purged = 0;
    p_int(&p, before);
    p_int(&p, limit);
    return write_one(s,
                     "WITH gone AS (SELECT call_id FROM calls WHERE ended_at IS NOT NULL"
                     "  AND ended_at < $1 ORDER BY ended_at, call_id LIMIT $2),"
                     " sessions AS (DELETE FROM participant_sessions"
                     "  WHERE call_id IN (SELECT call_id FROM gone))"
                     " DELETE FROM calls WHERE call_id IN (SELECT call_id FROM gone)",
                     &p, purged);
}
