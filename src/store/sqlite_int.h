/*
 * The SQLite backend's own header, shared by its files: sqlite.c (apps,
 * keys, rooms, calls, the database's files) and sqlite_events.c (webhook
 * endpoints, the outbox, participant sessions, call history). Nothing
 * outside store/ includes it.
 */
#ifndef DPA_STORE_SQLITE_INT_H
#define DPA_STORE_SQLITE_INT_H

#include <sqlite3.h>

#include "store/internal.h"

/* How many statements sqlite_events.c may prepare (sq_prepare). */
#define SQ_EXTRA_MAX 48

/* The connection of a SQLite store. */
sqlite3 *sq_db(store *s);
#define DB(s) sq_db(s)

/*
 * The statement for sql, prepared on first use and kept until the store
 * closes: sql must be a string literal (its address names it). Reset and
 * unbound (done() after each use). NULL on a prepare error (logged).
 */
sqlite3_stmt *sq_prepare(store *s, const char *sql);

static inline void
done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/*
 * The error for an SQLite result code. Failures of the database itself (a
 * full disk, I/O errors, a file that cannot be opened or is locked by
 * another process past the busy timeout, corruption) are
 * E_STORE_UNAVAILABLE: nothing was written and a retry may work later.
 * Anything else that is not a constraint is a bug here: E_INTERNAL.
 */
static inline dpa_err
rc_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return E_OK;
    case SQLITE_CONSTRAINT:
        return E_VALIDATION_FAILED;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return E_STORE_UNAVAILABLE;
    default:
        return E_INTERNAL;
    }
}

/* The error for the connection's last failure (after stmt() returned NULL). */
static inline dpa_err
last_err(store *s)
{
    dpa_err e = rc_err(sqlite3_errcode(DB(s)));
    return e == E_OK ? E_INTERNAL : e;
}

/* The error for a step result that is neither a row nor done. */
static inline dpa_err
step_err(int rc)
{
    dpa_err e = rc_err(rc);
    return e == E_OK ? E_INTERNAL : e;
}

/* Runs a statement that returns no rows. */
static inline dpa_err
step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    done(st);
    if (rc == SQLITE_DONE)
        return E_OK;
    return step_err(rc);
}

static inline void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static inline void
bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static inline const char *
col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}


/* ---- sqlite_events.c: the ops of store_ops it implements (store/internal.h) ---- */

dpa_err sq_webhook_set(store *s, const char *app_id, const char *url, const char *secret,
                       int64_t now, char id[WEBHOOK_ID_MAX], bool *created);
dpa_err sq_webhook_remove(store *s, const char *app_id, const char *webhook_id);
dpa_err sq_webhooks_list(store *s, const char *app_id, bool secrets, webhook_list *out);
dpa_err sq_webhook_count(store *s, const char *app_id, int *n);
dpa_err sq_room_seq_next(store *s, const char *app_id, const char *room_id, int64_t now,
                         int64_t *seq);
dpa_err sq_event_insert(store *s, const char *event_id, const char *app_id, const char *room_id,
                        int64_t seq, const char *type, int64_t at, const char *body);
dpa_err sq_deliveries_due(store *s, int64_t now, store_app_ref **out, int *n);
dpa_err sq_deliveries_claim(store *s, const char *app_id, const char *owner, int64_t now,
                            int64_t lease_until, int limit, delivery_batch *out);
dpa_err sq_delivery_finish(store *s, int64_t id, const char *owner, delivery_outcome outcome,
                           int64_t now, int64_t next_at, int http_status, const char *error);
dpa_err sq_deliveries_release(store *s, const char *owner);
dpa_err sq_outbox_stats(store *s, outbox_stats *out);
dpa_err sq_outbox_purge(store *s, int64_t before, int limit, int *purged);
dpa_err sq_session_join(store *s, const char *call_id, const char *app_id, const char *room_id,
                        const char *user_id, const char *name, const char *role, int64_t at,
                        int peak);
dpa_err sq_session_leave(store *s, const char *call_id, const char *user_id, int64_t at,
                         const char *reason, call_session_rec *out);
dpa_err sq_sessions_end(store *s, const char *call_id, int64_t at, const char *reason,
                        call_session_rec **out, int *n);
dpa_err sq_call_info(store *s, const char *call_id, call_record *out);
dpa_err sq_call_list(store *s, const char *app_id, const char *room_id, int64_t after_started,
                     const char *after_id, int limit, call_page *page);
dpa_err sq_call_sessions(store *s, call_record *rec);
dpa_err sq_history_purge(store *s, int64_t before, int limit, int *purged);

#endif
