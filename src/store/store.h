/*
 * The store: apps, keys, rooms and idempotency records, behind one
 * interface with a backend per database (SQLite now; PostgreSQL later).
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

/* Idempotency records, kept 24 hours. E_NOT_FOUND when none is live. */
#define IDEM_TTL_MS (24LL * 3600 * 1000)
dpa_err store_idem_get(store *s, const char *app_id, const char *user_id, const char *key,
                       int64_t now, idem_record *out);
dpa_err store_idem_put(store *s, const char *app_id, const char *user_id, const char *key,
                       const idem_record *rec, int64_t now);

#endif
