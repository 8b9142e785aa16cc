/* What a store backend implements. Each backend embeds `struct store` first. */
#ifndef DPA_STORE_INTERNAL_H
#define DPA_STORE_INTERNAL_H

#include "store/store.h"

/* A call named with its room (restart recovery). */
typedef struct store_call_ref {
    char call_id[CALL_ID_MAX];
    char app_id[APP_ID_MAX];
    char room_id[ROOM_ID_MAX];
} store_call_ref;

struct store_ops {
    void (*close)(store *s);
    const char *(*errmsg)(store *s);
    dpa_err (*exec)(store *s, const char *sql);
    dpa_err (*relax)(store *s);
    dpa_err (*app_insert)(store *s, const char *app_id, const char *name, const char *plan_name,
                          int64_t now);
    dpa_err (*app_set_plan)(store *s, const char *app_id, const char *plan_name);
    dpa_err (*key_insert)(store *s, const char *kid, const char *app_id, const char *secret,
                          int64_t now);
    dpa_err (*key_delete)(store *s, const char *app_id, const char *kid);
    dpa_err (*apps_load)(store *s, app_registry **out);
    dpa_err (*changed)(store *s, bool *changed);
    dpa_err (*room_insert)(store *s, const room *r, int64_t max_rooms);
    dpa_err (*room_get)(store *s, const char *app_id, const char *room_id, room **out);
    /* The number of rooms app_id has (what maxRoomsPerApp counts). */
    dpa_err (*app_room_count)(store *s, const char *app_id, int64_t *out);
    /* Optional: room_get that locks the row until the transaction ends (a shared database). */
    dpa_err (*room_get_for_update)(store *s, const char *app_id, const char *room_id, room **out);
    dpa_err (*room_update)(store *s, const room *r);
    dpa_err (*room_delete)(store *s, const char *app_id, const char *room_id);
    dpa_err (*rooms_count)(store *s, int64_t *count);
    dpa_err (*room_list)(store *s, const char *app_id, const char *user_id, int status,
                         int64_t after_created, const char *after_id, int limit,
                         room_page *page);
    /* The three below fence when epoch > 0 (store.h); the epoch is checked by store.c. */
    dpa_err (*call_open)(store *s, const char *call_id, const char *app_id, const char *room_id,
                         int64_t started_at, int64_t epoch);
    dpa_err (*call_close)(store *s, const char *call_id, int64_t ended_at, const char *reason,
                          int peak, int64_t epoch);
    dpa_err (*call_fence)(store *s, const char *app_id, const char *room_id, int64_t epoch,
                          char open_call_id[CALL_ID_MAX]);
    /* E_OK, E_FENCED (a higher epoch) for the room of call_id; an unknown call fences nothing. */
    dpa_err (*fence_call)(store *s, const char *call_id, int64_t epoch);
    /* The calls left open (*out is malloc'd, may be NULL when *n is 0). */
    dpa_err (*open_calls)(store *s, store_call_ref **out, int *n);
    /* Whether the room is ROOM_ACTIVE or ROOM_CLOSED now; E_ROOM_NOT_FOUND. */
    dpa_err (*room_status)(store *s, const char *app_id, const char *room_id, int *status);

    /* Webhooks and the outbox (store/events.c builds the events on these). */
    dpa_err (*webhook_set)(store *s, const char *app_id, const char *url, const char *secret,
                           int64_t now, char id[WEBHOOK_ID_MAX], bool *created);
    dpa_err (*webhook_remove)(store *s, const char *app_id, const char *webhook_id);
    dpa_err (*webhooks_list)(store *s, const char *app_id, bool secrets, webhook_list *out);
    /* How many endpoints app_id has. */
    dpa_err (*webhook_count)(store *s, const char *app_id, int *n);
    /* The room's next event number (from 1), locked until the transaction ends. */
    dpa_err (*room_seq_next)(store *s, const char *app_id, const char *room_id, int64_t now,
                             int64_t *seq);
    /* The event and a pending delivery (due at once) for each endpoint of its app. */
    dpa_err (*event_insert)(store *s, const char *event_id, const char *app_id,
                            const char *room_id, int64_t seq, const char *type, int64_t at,
                            const char *body);
    dpa_err (*deliveries_due)(store *s, int64_t now, store_app_ref **out, int *n);
    dpa_err (*deliveries_claim)(store *s, const char *app_id, const char *owner, int64_t now,
                                int64_t lease_until, int limit, delivery_batch *out);
    dpa_err (*delivery_finish)(store *s, int64_t id, const char *owner, delivery_outcome outcome,
                               int64_t now, int64_t next_at, int http_status, const char *error);
    dpa_err (*deliveries_release)(store *s, const char *owner);
    dpa_err (*outbox_stats)(store *s, outbox_stats *out);
    dpa_err (*outbox_purge)(store *s, int64_t before, int limit, int *purged);

    /* Participant sessions and call history. */
    dpa_err (*session_join)(store *s, const char *call_id, const char *app_id,
                            const char *room_id, const char *user_id, const char *name,
                            const char *role, int64_t at, int peak);
    /* Closes user_id's open session in call_id; *out gets it. E_NOT_FOUND: none open. */
    dpa_err (*session_leave)(store *s, const char *call_id, const char *user_id, int64_t at,
                             const char *reason, call_session_rec *out);
    /* Closes every open session of call_id; *out (malloc'd) gets them, by join time. */
    dpa_err (*sessions_end)(store *s, const char *call_id, int64_t at, const char *reason,
                            call_session_rec **out, int *n);
    /* The call's record without sessions (any app); E_CALL_NOT_FOUND. */
    dpa_err (*call_info)(store *s, const char *call_id, call_record *out);
    dpa_err (*call_list)(store *s, const char *app_id, const char *room_id,
                         int64_t after_started, const char *after_id, int limit,
                         call_page *page);
    /* Reads rec->call_id's sessions into rec. */
    dpa_err (*call_sessions)(store *s, call_record *rec);
    dpa_err (*history_purge)(store *s, int64_t before, int limit, int *purged);
    dpa_err (*idem_get)(store *s, const char *app_id, const char *user_id, const char *key,
                        int64_t now, idem_record *out);
    dpa_err (*idem_put)(store *s, const char *app_id, const char *user_id, const char *key,
                        const idem_record *rec, int64_t now);
    dpa_err (*check_files)(store *s, char *why, size_t len);
    dpa_err (*probe)(store *s, int64_t now);
    dpa_err (*salvage)(store *s, int64_t now, char *copy, size_t len);
};

struct store {
    const struct store_ops *ops;
    int savepoints;     /* nesting depth, for savepoint names */
};

/*
 * store/events.c: the events the store writes beside its own writes
 * (store.h, the outbox). Each is a no-op for an app without webhooks.
 */
/* Whether app_id has webhook endpoints (then events are worth building). */
dpa_err events_wanted(store *s, const char *app_id, bool *wanted);
/* room.created, room.updated, room.closed, room.deleted: data {"room"}. */
dpa_err events_room(store *s, const char *type, const room *r, int64_t at);
/* participant.left for a closed session. */
dpa_err events_left(store *s, const char *app_id, const char *room_id, const char *call_id,
                    const call_session_rec *rec);
/* call.started, call.ended. */
dpa_err events_call_started(store *s, const char *app_id, const char *room_id,
                            const char *call_id, int64_t started_at);
dpa_err events_call_ended(store *s, const call_record *c);

/* A room's hosts as the JSON array text both backends store (the caller frees). */
char *store_hosts_json(const room *r);

dpa_err sqlite_store_open(const char *path, store **out, char *errbuf, size_t errlen);
/* url is the whole "postgres://..." or "postgresql://..." URL, as libpq takes it. */
dpa_err postgres_store_open(const char *url, store **out, char *errbuf, size_t errlen);

/*
 * Writes one logfmt line on stderr: ts, level ("info", "warn", "error"),
 * then the caller's `msg="..." key=value` text. The store sits below the
 * server's logger, and its worker thread logs too: one write per line.
 */
void store_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
