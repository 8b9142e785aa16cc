/*
 * The store: apps, keys, rooms, idempotency records, calls and their
 * participant sessions, webhook endpoints and the webhook outbox, behind
 * one interface with a backend per database (SQLite, PostgreSQL).
 *
 * A store handle belongs to one thread at a time. In the server that is the
 * store worker (worker.h); the CLI uses a handle directly. Every call is
 * synchronous; the server never calls one on its event loop.
 *
 * Writes are durable when store_commit returns E_OK.
 *
 * Errors: E_STORE_UNAVAILABLE when the database itself fails (disk full,
 * I/O error, locked by another process past the busy timeout, its files
 * deleted): nothing was written and a later retry may work. E_INTERNAL is
 * a bug (bad SQL), never the database's state.
 */
#ifndef DPA_STORE_STORE_H
#define DPA_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/apps.h"
#include "core/call.h"
#include "core/error.h"
#include "core/room.h"

typedef struct store store;

/* A page of rooms from store_room_list. */
typedef struct room_page {
    room **rooms;
    int count;
    bool more;            /* another page follows the last room */
} room_page;

void room_page_free(room_page *page);

/* A stored response to a request made with an Idempotency-Key. */
typedef struct idem_record {
    char request_hash[65];
    int status;
    char *body;           /* malloc'd; free with idem_record_clear */
    char *room_id;        /* the resource it made, for Location; may be NULL */
} idem_record;

void idem_record_clear(idem_record *rec);

#define STORE_ERR_MAX 1024

/*
 * Opens the database named by url ("sqlite:PATH"), creating it and running
 * schema migrations as needed. Returns E_OK with *out set, or an error with
 * a message in errbuf. A missing database is created (and a warning logged)
 * only when nothing shows that it existed before: no -wal or -shm left
 * behind and no "PATH.recovered-*" copy (store_salvage) beside it; such a
 * copy also stops an existing database from opening (E_STORE_UNAVAILABLE).
 */
dpa_err store_open(const char *url, store **out, char *errbuf, size_t errlen);
void store_close(store *s);

/*
 * For a handle whose writes are bookkeeping that a lost commit cannot harm
 * (the webhook sender's leases and outcomes: at worst a delivery is made
 * again, with the same event id): its commits stop waiting for the disk
 * (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off). A killed
 * process loses nothing that way; a machine that loses power may. Closing
 * such a SQLite handle leaves the WAL to the other handles (no checkpoint).
 */
dpa_err store_relax_durability(store *s);

/* The last backend error message, for logs. */
const char *store_errmsg(store *s);

/* Transactions. Savepoints nest inside a transaction. */
dpa_err store_begin(store *s);
dpa_err store_commit(store *s);
void store_rollback(store *s);
dpa_err store_savepoint(store *s);
void store_savepoint_release(store *s);
void store_savepoint_rollback(store *s);

/* Apps and keys. */
dpa_err store_app_insert(store *s, const char *app_id, const char *name, const char *plan_name,
                         int64_t now);
dpa_err store_app_set_plan(store *s, const char *app_id, const char *plan_name);
dpa_err store_key_insert(store *s, const char *kid, const char *app_id, const char *secret,
                         int64_t now);
/* E_NOT_FOUND when kid is unknown, E_FORBIDDEN when it is the app's last key. */
dpa_err store_key_delete(store *s, const char *app_id, const char *kid);

/* Loads every app and key into a new registry the caller frees. */
dpa_err store_apps_load(store *s, app_registry **out);

/* Sets *changed when another connection committed since the last call. */
dpa_err store_changed(store *s, bool *changed);

/* Rooms. */
/* How many rooms app_id has now, as maxRoomsPerApp counts them (0 for none). */
dpa_err store_app_room_count(store *s, const char *app_id, int64_t *out);

/* E_ROOM_LIMIT_REACHED when the app already has max_rooms rooms. */
dpa_err store_room_insert(store *s, const room *r, int64_t max_rooms);
/* E_ROOM_NOT_FOUND when there is no such room in that app. *out is the caller's. */
dpa_err store_room_get(store *s, const char *app_id, const char *room_id, room **out);
dpa_err store_room_update(store *s, const room *r);
/*
 * Reads a room to change it in this transaction: on a database several
 * processes write (PostgreSQL) its row stays locked until the transaction
 * ends, so two writers cannot both pass an If-Match on the same version and
 * the second sees the first's change. Same as store_room_get on SQLite,
 * whose transactions already take the write lock.
 */
dpa_err store_room_get_for_update(store *s, const char *app_id, const char *room_id, room **out);
dpa_err store_room_delete(store *s, const char *app_id, const char *room_id);
dpa_err store_rooms_count(store *s, int64_t *count);

/*
 * Rooms in app_id that user_id created or hosts, newest first (createdAt,
 * then roomId), optionally only with status (< 0: any), strictly after the
 * cursor position (after_created < 0: from the start).
 */
dpa_err store_room_list(store *s, const char *app_id, const char *user_id, int status,
                        int64_t after_created, const char *after_id, int limit,
                        room_page *page);

/*
 * Calls: the base of call history.
 *
 * Fencing (docs/cluster.md, call ownership). In cluster mode one process
 * owns a room's live call at a time, and each claim gets an epoch: a
 * positive number that grows with every claim of the room. Every write
 * about the call carries the writer's epoch, and the room keeps the
 * highest it has seen (call_epoch, not part of the room's version,
 * updatedAt or ETag). A write with epoch > 0 first raises the room's epoch
 * to its own; when the room already records a higher one, a newer owner
 * has claimed the call: nothing is written and the write returns E_FENCED.
 * The check and the write are one transaction (inside store_begin, as the
 * worker runs them, they commit or roll back with it), so a paused old
 * owner cannot write after a newer one claimed. Epoch 0 means not fenced
 * (one process): neither checked nor recorded. A room that no longer
 * exists fences nothing: the write goes ahead as with epoch 0 (a call
 * ended by the room's deletion is still recorded).
 *
 * store_call_close leaves a call that is already closed, or unknown, as it
 * is and returns E_OK.
 */
dpa_err store_call_open(store *s, const char *call_id, const char *app_id, const char *room_id,
                        int64_t started_at, int64_t epoch);
dpa_err store_call_close(store *s, const char *call_id, int64_t ended_at, const char *reason,
                         int peak, int64_t epoch);
/*
 * A new owner's first write, right after its claim: raises the room's
 * epoch to epoch (> 0), so that every older owner's writes are refused from
 * now on, and puts in open_call_id the call record the room still has
 * open ("" when none), which the new owner continues or closes. Should
 * several be open (left by processes that did not fence), it is the one
 * started last. E_FENCED when the room records a higher epoch (open_call_id
 * is then ""), E_ROOM_NOT_FOUND when app_id has no such room.
 */
dpa_err store_call_fence(store *s, const char *app_id, const char *room_id, int64_t epoch,
                         char open_call_id[CALL_ID_MAX]);
/* A room named by its app (for lists of rooms to act on). */
typedef struct store_room_ref {
    char app_id[APP_ID_MAX];
    char room_id[ROOM_ID_MAX];
} store_room_ref;

/*
 * Ends every call left open (a crash) with reason SERVER_RESTART and closes
 * their rooms that have autoCloseWhenEmpty, by core's room_close rule (the
 * same as a call that ends normally). *ended and *closed count them. Call it
 * inside a transaction.
 */
dpa_err store_calls_recover(store *s, int64_t now, int *ended, int *closed);

/*
 * The database's health. store_check_files compares the files at the
 * database's paths with the ones it opened: E_STORE_UNAVAILABLE with a
 * sentence in why (no path) when one was deleted or replaced. store_probe
 * commits a one-row write in its own transaction, to learn whether writes
 * work again. store_salvage is for a store whose files are gone: it seals
 * the handle (no transaction starts again and closing does not checkpoint
 * into files that are no longer its own) and writes a copy of the open
 * database to "PATH.recovered-<unix seconds>", fsync'd, whose name it puts
 * in copy (or, on failure, why not). Outside any transaction.
 */
dpa_err store_check_files(store *s, char *why, size_t len);
dpa_err store_probe(store *s, int64_t now);
dpa_err store_salvage(store *s, int64_t now, char *copy, size_t len);

/*
 * Webhook endpoints: each app may have several (URL + signing secret).
 * store_webhook_set adds one, or, when the app already has one with that
 * URL, gives it the new secret (*created says which); id gets its id
 * ("wh_..."). store_webhook_remove is E_NOT_FOUND when the app has no such
 * endpoint; its pending deliveries go with it. A list carries secrets only
 * when asked (app_id NULL: every app's).
 */
#define WEBHOOK_ID_MAX 40
#define WEBHOOK_URL_MAX 2048
#define EVENT_ID_MAX 40

typedef struct webhook {
    char id[WEBHOOK_ID_MAX];
    char app_id[APP_ID_MAX];
    char *url;            /* malloc'd */
    char *secret;         /* malloc'd; NULL unless asked for */
    int64_t created_at;
} webhook;

typedef struct webhook_list {
    webhook *items;
    int count;
} webhook_list;

void webhook_list_clear(webhook_list *l);

dpa_err store_webhook_set(store *s, const char *app_id, const char *url, const char *secret,
                          int64_t now, char id[WEBHOOK_ID_MAX], bool *created);
dpa_err store_webhook_remove(store *s, const char *app_id, const char *webhook_id);
dpa_err store_webhooks_list(store *s, const char *app_id, bool secrets, webhook_list *out);

/*
 * The outbox: events for the app's webhooks, written in the transaction of
 * the change they describe (docs/api.md, Webhooks).
 *
 * Most events are written by the store itself, beside the write they
 * describe: store_room_insert (room.created), store_room_update
 * (room.updated, and room.closed when the status became CLOSED),
 * store_room_delete (room.deleted), store_call_open (call.started),
 * store_call_close (participant.left for whoever was still in, then
 * call.ended), store_call_fact (participant.*, waiting.*) and
 * store_calls_recover (all of those for calls a crash left open). Call
 * them inside a transaction (store_begin), as the worker does: then the
 * change and its events commit together or not at all.
 *
 * store_event_add writes one event: a new id ("evt_..."), the room's next
 * sequence number (per room, from 1, never reused), the JSON body
 * {"id","type","createdAt","appId","roomId","roomSeq","data"} (data is taken
 * over), and one pending delivery per endpoint the app has now. An app
 * without endpoints gets nothing written (and no number used).
 */
dpa_err store_event_add(store *s, const char *app_id, const char *room_id, const char *type,
                        int64_t at, struct json_object *data);

/*
 * Deliveries, for the webhook sender (src/hooks/). Ordering: a delivery is
 * due only when nothing older of the same room is pending for the same
 * endpoint, so each endpoint receives a room's events in roomSeq order
 * (a failed one, given up on, no longer holds the rest back).
 *
 * Claims are leases, so several processes on one database never send the
 * same delivery at the same time on purpose: store_deliveries_claim takes
 * up to limit due deliveries of app_id (next_at <= now, not leased, first
 * in their room), leases them to owner until lease_until, and returns them
 * oldest first. A lease that expires (its owner crashed) makes the
 * delivery due again, for anyone.
 */
typedef struct store_app_ref {
    char app_id[APP_ID_MAX];
} store_app_ref;

typedef struct store_delivery {
    int64_t id;
    char event_id[EVENT_ID_MAX];
    char webhook_id[WEBHOOK_ID_MAX];
    char app_id[APP_ID_MAX];
    char room_id[ROOM_ID_MAX];
    int64_t room_seq;
    char *url, *secret, *body;    /* malloc'd */
    int attempts;                 /* attempts made before this one */
    int64_t created_at;           /* the event's time */
} store_delivery;

typedef struct delivery_batch {
    store_delivery *items;
    int count;
} delivery_batch;

void delivery_batch_clear(delivery_batch *b);

/* The apps that have a delivery to claim now (*out malloc'd; NULL when *n is 0). */
dpa_err store_deliveries_due(store *s, int64_t now, store_app_ref **out, int *n);
dpa_err store_deliveries_claim(store *s, const char *app_id, const char *owner, int64_t now,
                               int64_t lease_until, int limit, delivery_batch *out);

typedef enum delivery_outcome {
    DELIVERY_DONE,      /* the endpoint answered 2xx */
    DELIVERY_RETRY,     /* try again at next_at */
    DELIVERY_FAILED     /* given up: the room's next event goes on */
} delivery_outcome;

/*
 * Records an attempt's outcome (http_status 0: none came; error: why, or
 * NULL) and ends the lease. A retry or a failure is recorded only while
 * owner still holds the lease; a success always (the delivery is pending).
 */
dpa_err store_delivery_finish(store *s, int64_t delivery_id, const char *owner,
                              delivery_outcome outcome, int64_t now, int64_t next_at,
                              int http_status, const char *error);
/* Ends owner's leases (NULL: everyone's: a single process starting). */
dpa_err store_deliveries_release(store *s, const char *owner);

typedef struct outbox_stats {
    int64_t pending;            /* deliveries still to make */
    int64_t failed;             /* given up on, still kept */
    int64_t oldest_pending_at;  /* the oldest pending event's time; 0: none */
} outbox_stats;

dpa_err store_outbox_stats(store *s, outbox_stats *out);
/*
 * Deletes up to limit events older than before whose deliveries are all
 * done (delivered or failed), with their deliveries; *purged counts events.
 */
dpa_err store_outbox_purge(store *s, int64_t before, int limit, int *purged);

/*
 * Call history. Participant sessions: one row per stretch a user spent in
 * a call (a reconnection that replaces the connection is the same one).
 *
 * store_call_fact records what the live call told (core/call.h): a join
 * opens a session (and raises the call's peak), a leave closes it, and
 * every fact writes its event (participant.joined/left, waiting.entered/
 * admitted/denied/left). at is the time (the fact's own for a join). It
 * fences like store_call_close (epoch > 0).
 */
dpa_err store_call_fact(store *s, const char *app_id, const char *room_id, const call_fact *f,
                        int64_t at, int64_t epoch);

typedef struct call_session_rec {
    char user_id[USER_ID_MAX + 1];
    char name[CALL_NAME_MAX];
    char role[16];
    int64_t joined_at;
    int64_t left_at;              /* -1 while in the call */
    char leave_reason[32];        /* "" while in the call */
} call_session_rec;

typedef struct call_record {
    char call_id[CALL_ID_MAX];
    char app_id[APP_ID_MAX];
    char room_id[ROOM_ID_MAX];
    int64_t started_at;
    int64_t ended_at;             /* -1 while live */
    char end_reason[32];
    int peak;
    int participants;             /* distinct users */
    call_session_rec *sessions;   /* store_call_get only; by join time */
    int nsessions;
} call_record;

void call_record_clear(call_record *c);

typedef struct call_page {
    call_record *calls;
    int count;
    bool more;
} call_page;

void call_page_free(call_page *page);

/*
 * The calls of room_id in app_id, newest first (startedAt, then callId),
 * strictly after the cursor (after_started < 0: from the start), without
 * their sessions.
 */
dpa_err store_call_list(store *s, const char *app_id, const char *room_id,
                        int64_t after_started, const char *after_id, int limit, call_page *page);
/* One call of app_id with its sessions; E_CALL_NOT_FOUND when there is none. */
dpa_err store_call_get(store *s, const char *app_id, const char *call_id, call_record *out);
/*
 * Deletes up to limit calls that ended before `before`, with their
 * sessions; *purged counts calls. Live calls are never purged.
 */
dpa_err store_history_purge(store *s, int64_t before, int limit, int *purged);

/* Idempotency records, kept 24 hours. E_NOT_FOUND when none is live. */
#define IDEM_TTL_MS (24LL * 3600 * 1000)
dpa_err store_idem_get(store *s, const char *app_id, const char *user_id, const char *key,
                       int64_t now, idem_record *out);
dpa_err store_idem_put(store *s, const char *app_id, const char *user_id, const char *key,
                       const idem_record *rec, int64_t now);

#endif
