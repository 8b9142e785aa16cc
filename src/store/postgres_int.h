/*
 * The PostgreSQL backend's own header, shared by its files: postgres.c
 * (the connection, apps, keys, rooms, calls) and postgres_events.c
 * (webhook endpoints, the outbox, participant sessions, call history).
 * Nothing outside store/ includes it.
 */
#ifndef DPA_STORE_POSTGRES_INT_H
#define DPA_STORE_POSTGRES_INT_H

#include <stdbool.h>
#include <stdio.h>
#include <libpq-fe.h>

#include "store/internal.h"

/* ---- parameters: text values, numbers formatted in place ---- */

#define PARAMS_MAX 16

typedef struct params {
    const char *v[PARAMS_MAX];
    char num[PARAMS_MAX][24];
    int n;
} params;

static inline void
p_text(params *p, const char *s)
{
    p->v[p->n++] = s;
}

static inline void
p_int(params *p, int64_t x)
{
    snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)x);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

/* A value that is NULL when negative (optional timestamps). */
static inline void
p_opt_int(params *p, int64_t x)
{
    if (x >= 0)
        p_int(p, x);
    else
        p->v[p->n++] = NULL;
}

static inline void
p_bool(params *p, bool b)
{
    p->v[p->n++] = b ? "t" : "f";
}


/*
 * Runs sql with p (NULL: a plain string, possibly several statements) on
 * the store's connection, as a prepared statement (sql must be a string
 * literal: its address names it). Returns the result (the caller
 * PQclear()s it), or NULL with *e set and the message kept for
 * store_errmsg.
 */
PGresult *pg_query(store *s, const char *sql, const params *p, dpa_err *e);
/* The same for a statement whose rows are not needed; *changes (may be NULL) its row count. */
dpa_err pg_exec_params(store *s, const char *sql, const params *p, int *changes);
/*
 * An operation's own transaction: outside store_begin, pg_op_begin starts
 * one (*own) and pg_op_end commits it (or rolls back when e is not E_OK);
 * inside, they do nothing. pg_op_end returns e, or the commit's error.
 */
dpa_err pg_op_begin(store *s, bool *own);
dpa_err pg_op_end(store *s, bool own, dpa_err e);
/* Before a read outside a transaction: reconnects when the connection is gone. */
dpa_err pg_read_ready(store *s);

/* ---- postgres_events.c: the ops of store_ops it implements (store/internal.h) ---- */

dpa_err pgx_webhook_set(store *s, const char *app_id, const char *url, const char *secret,
                        int64_t now, char id[WEBHOOK_ID_MAX], bool *created);
dpa_err pgx_webhook_remove(store *s, const char *app_id, const char *webhook_id);
dpa_err pgx_webhooks_list(store *s, const char *app_id, bool secrets, webhook_list *out);
dpa_err pgx_webhook_count(store *s, const char *app_id, int *n);
dpa_err pgx_room_seq_next(store *s, const char *app_id, const char *room_id, int64_t now,
                          int64_t *seq);
dpa_err pgx_event_insert(store *s, const char *event_id, const char *app_id,
                         const char *room_id, int64_t seq, const char *type, int64_t at,
                         const char *body);
dpa_err pgx_deliveries_due(store *s, int64_t now, store_app_ref **out, int *n);
dpa_err pgx_deliveries_claim(store *s, const char *app_id, const char *owner, int64_t now,
                             int64_t lease_until, int limit, delivery_batch *out);
dpa_err pgx_delivery_finish(store *s, int64_t id, const char *owner, delivery_outcome outcome,
                            int64_t now, int64_t next_at, int http_status, const char *error);
dpa_err pgx_deliveries_release(store *s, const char *owner);
dpa_err pgx_outbox_stats(store *s, outbox_stats *out);
dpa_err pgx_outbox_purge(store *s, int64_t before, int limit, int *purged);
dpa_err pgx_session_join(store *s, const char *call_id, const char *app_id, const char *room_id,
                         const char *user_id, const char *name, const char *role, int64_t at,
                         int peak);
dpa_err pgx_session_leave(store *s, const char *call_id, const char *user_id, int64_t at,
                          const char *reason, call_session_rec *out);
dpa_err pgx_sessions_end(store *s, const char *call_id, int64_t at, const char *reason,
                         call_session_rec **out, int *n);
dpa_err pgx_call_info(store *s, const char *call_id, call_record *out);
dpa_err pgx_call_list(store *s, const char *app_id, const char *room_id, int64_t after_started,
                      const char *after_id, int limit, call_page *page);
dpa_err pgx_call_sessions(store *s, call_record *rec);
dpa_err pgx_history_purge(store *s, int64_t before, int limit, int *purged);

#endif
