/*
 * SQLite backend: one connection, WAL journal, synchronous=FULL so a commit
 * is on disk before it returns. Statements are prepared once and reused.
 *
 * The backend remembers which files it opened (the database, its -wal and
 * -shm) by device and inode, so that a database deleted or replaced under a
 * running server is noticed (store_check_files) instead of being written
 * on, unseen, until the process exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#include "core/json.h"
#include "core/util.h"
#include "store/internal.h"
#include "store/sqlite_int.h"

/* Each entry is one schema version; never edit one that has shipped. */
static const char *const migrations[] = {
    /* 1: apps, keys, rooms, hosts index, idempotency records. */
    "CREATE TABLE apps ("
    "  app_id TEXT PRIMARY KEY, name TEXT NOT NULL, plan TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE app_keys ("
    "  kid TEXT PRIMARY KEY,"
    "  app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
    "  alg TEXT NOT NULL DEFAULT 'HS256', secret TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX app_keys_app ON app_keys(app_id);"
    "CREATE TABLE rooms ("
    "  room_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, name TEXT NOT NULL,"
    "  created_by TEXT NOT NULL, hosts TEXT NOT NULL,"
    "  scheduled_start_at INTEGER, scheduled_end_at INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN ('ACTIVE','CLOSED')),"
    "  waiting_room INTEGER NOT NULL, require_host INTEGER NOT NULL,"
    "  max_participants INTEGER, auto_close INTEGER NOT NULL,"
    "  metadata TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL, version INTEGER NOT NULL);"
    "CREATE TABLE room_hosts ("
    "  app_id TEXT NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  room_id TEXT NOT NULL REFERENCES rooms(room_id) ON DELETE CASCADE,"
    "  PRIMARY KEY (app_id, user_id, created_at, room_id)) WITHOUT ROWID;"
    "CREATE INDEX room_hosts_room ON room_hosts(room_id);"
    "CREATE TABLE app_room_counts ("
    "  app_id TEXT PRIMARY KEY, rooms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE idempotency ("
    "  app_id TEXT NOT NULL, user_id TEXT NOT NULL, key TEXT NOT NULL,"
    "  request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,"
    "  room_id TEXT, created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (app_id, user_id, key)) WITHOUT ROWID;"
    "CREATE INDEX idempotency_age ON idempotency(created_at);",
    /* 2: calls, the base of call history. */
    "CREATE TABLE calls ("
    "  call_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, room_id TEXT NOT NULL,"
    "  started_at INTEGER NOT NULL, ended_at INTEGER, end_reason TEXT,"
    "  peak_participants INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX calls_room ON calls(room_id, started_at);"
    "CREATE INDEX calls_open ON calls(ended_at) WHERE ended_at IS NULL;",
    /* 3: one row the store worker rewrites to learn whether writes work again. */
    "CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);",
    /* 4: the highest call-ownership epoch each room has seen (fencing, store.h). */
    "ALTER TABLE rooms ADD COLUMN call_epoch INTEGER NOT NULL DEFAULT 0;",
    /*
     * 5: webhook endpoints, the outbox (events, a delivery per endpoint, each
     * room's event numbers), participant sessions (call history).
     */
    "CREATE TABLE webhook_endpoints ("
    "  webhook_id TEXT PRIMARY KEY,"
    "  app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
    "  url TEXT NOT NULL, secret TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  UNIQUE (app_id, url));"
    "CREATE TABLE room_event_seqs ("
    "  room_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE webhook_events ("
    "  event_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, room_id TEXT NOT NULL,"
    "  room_seq INTEGER NOT NULL, type TEXT NOT NULL, created_at INTEGER NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE INDEX webhook_events_age ON webhook_events(created_at);"
    "CREATE TABLE webhook_deliveries ("
    "  delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  event_id TEXT NOT NULL REFERENCES webhook_events(event_id) ON DELETE CASCADE,"
    "  webhook_id TEXT NOT NULL REFERENCES webhook_endpoints(webhook_id) ON DELETE CASCADE,"
    "  app_id TEXT NOT NULL, room_id TEXT NOT NULL, room_seq INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending','delivered','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,"
    "  lease_owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, done_at INTEGER, last_status INTEGER, last_error TEXT);"
    "CREATE INDEX webhook_deliveries_order ON webhook_deliveries(webhook_id, room_id, room_seq)"
    "  WHERE state = 'pending';"
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(app_id, next_at)"
    "  WHERE state = 'pending';"
    "CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);"
    "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(webhook_id);"
    "CREATE TABLE participant_sessions ("
    "  session_id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  call_id TEXT NOT NULL, app_id TEXT NOT NULL, room_id TEXT NOT NULL,"
    "  user_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,"
    "  joined_at INTEGER NOT NULL, left_at INTEGER, leave_reason TEXT);"
    "CREATE INDEX participant_sessions_call ON participant_sessions(call_id, joined_at);"
    "CREATE INDEX participant_sessions_open ON participant_sessions(call_id, user_id)"
    "  WHERE left_at IS NULL;"
    "CREATE INDEX calls_ended ON calls(ended_at);",
};

enum {
    Q_APP_INSERT, Q_APP_SET_PLAN, Q_KEY_INSERT, Q_KEY_COUNT, Q_KEY_DELETE, Q_APPS, Q_KEYS,
    Q_DATA_VERSION, Q_COUNT_GET, Q_COUNT_ADD, Q_ROOM_INSERT, Q_HOST_INSERT, Q_HOSTS_DELETE,
    Q_ROOM_GET, Q_ROOM_UPDATE, Q_ROOM_DELETE, Q_ROOMS_TOTAL, Q_ROOM_LIST, Q_IDEM_GET,
    Q_IDEM_PURGE, Q_IDEM_PUT, Q_CALL_OPEN, Q_CALL_CLOSE, Q_OPEN_CALLS, Q_ROOM_STATUS, Q_PROBE,
    Q_FENCE, Q_ROOM_EXISTS, Q_CALL_ROOM, Q_OPEN_CALL_OF_ROOM,
    Q__COUNT
};

#define ROOM_COLS                                                                       \
    "r.room_id, r.app_id, r.name, r.created_by, r.hosts, r.scheduled_start_at,"        \
    " r.scheduled_end_at, r.status, r.waiting_room, r.require_host, r.max_participants," \
    " r.auto_close, r.metadata, r.created_at, r.updated_at, r.version"

static const char *const queries[Q__COUNT] = {
    [Q_APP_INSERT] = "INSERT INTO apps (app_id, name, plan, created_at) VALUES (?1, ?2, ?3, ?4)",
    [Q_APP_SET_PLAN] = "UPDATE apps SET plan = ?2 WHERE app_id = ?1",
    [Q_KEY_INSERT] = "INSERT INTO app_keys (kid, app_id, secret, created_at) VALUES (?1, ?2, ?3, ?4)",
    [Q_KEY_COUNT] = "SELECT count(*), sum(kid = ?2) FROM app_keys WHERE app_id = ?1",
    [Q_KEY_DELETE] = "DELETE FROM app_keys WHERE app_id = ?1 AND kid = ?2",
    [Q_APPS] = "SELECT app_id, name, plan, created_at FROM apps",
    [Q_KEYS] = "SELECT kid, app_id, secret, created_at FROM app_keys",
    [Q_DATA_VERSION] = "PRAGMA data_version",
    [Q_COUNT_GET] = "SELECT rooms FROM app_room_counts WHERE app_id = ?1",
    [Q_COUNT_ADD] = "INSERT INTO app_room_counts (app_id, rooms) VALUES (?1, ?2)"
                    " ON CONFLICT (app_id) DO UPDATE SET rooms = rooms + ?2",
    [Q_ROOM_INSERT] =
        "INSERT INTO rooms (room_id, app_id, name, created_by, hosts, scheduled_start_at,"
        " scheduled_end_at, status, waiting_room, require_host, max_participants, auto_close,"
        " metadata, created_at, updated_at, version)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [Q_HOST_INSERT] = "INSERT OR IGNORE INTO room_hosts (app_id, user_id, created_at, room_id)"
                      " VALUES (?1, ?2, ?3, ?4)",
    [Q_HOSTS_DELETE] = "DELETE FROM room_hosts WHERE room_id = ?1",
    [Q_ROOM_GET] = "SELECT " ROOM_COLS " FROM rooms r WHERE r.room_id = ?1 AND r.app_id = ?2",
    [Q_ROOM_UPDATE] =
        "UPDATE rooms SET name = ?3, hosts = ?4, scheduled_start_at = ?5,"
        " scheduled_end_at = ?6, status = ?7, waiting_room = ?8, require_host = ?9,"
        " max_participants = ?10, auto_close = ?11, metadata = ?12, updated_at = ?13,"
        " version = ?14 WHERE room_id = ?1 AND app_id = ?2",
    [Q_ROOM_DELETE] = "DELETE FROM rooms WHERE room_id = ?1 AND app_id = ?2",
    [Q_ROOMS_TOTAL] = "SELECT count(*) FROM rooms",
    [Q_ROOM_LIST] =
        "SELECT " ROOM_COLS " FROM room_hosts h JOIN rooms r ON r.room_id = h.room_id"
        " WHERE h.app_id = ?1 AND h.user_id = ?2 AND (h.created_at, h.room_id) < (?3, ?4)"
        " AND (?5 IS NULL OR r.status = ?5)"
        " ORDER BY h.created_at DESC, h.room_id DESC LIMIT ?6",
    [Q_IDEM_GET] = "SELECT request_hash, status, body, room_id FROM idempotency"
                   " WHERE app_id = ?1 AND user_id = ?2 AND key = ?3 AND created_at > ?4",
    [Q_CALL_OPEN] = "INSERT INTO calls (call_id, app_id, room_id, started_at) VALUES (?1, ?2, ?3, ?4)",
    [Q_CALL_CLOSE] = "UPDATE calls SET ended_at = ?2, end_reason = ?3,"
                     " peak_participants = max(peak_participants, ?4)"
                     " WHERE call_id = ?1 AND ended_at IS NULL",
    [Q_OPEN_CALLS] = "SELECT call_id, app_id, room_id FROM calls WHERE ended_at IS NULL"
                     " ORDER BY started_at, call_id",
    [Q_ROOM_STATUS] = "SELECT status FROM rooms WHERE room_id = ?1 AND app_id = ?2",
    [Q_PROBE] = "INSERT OR REPLACE INTO store_probe (id, at) VALUES (1, ?1)",
    [Q_FENCE] = "UPDATE rooms SET call_epoch = ?3"
                " WHERE room_id = ?1 AND app_id = ?2 AND call_epoch <= ?3",
    [Q_ROOM_EXISTS] = "SELECT 1 FROM rooms WHERE room_id = ?1 AND app_id = ?2",
    [Q_CALL_ROOM] = "SELECT app_id, room_id FROM calls WHERE call_id = ?1",
    [Q_OPEN_CALL_OF_ROOM] = "SELECT call_id FROM calls"
                            " WHERE room_id = ?1 AND app_id = ?2 AND ended_at IS NULL"
                            " ORDER BY started_at DESC, call_id DESC LIMIT 1",
    [Q_IDEM_PURGE] = "DELETE FROM idempotency WHERE created_at <= ?1",
    [Q_IDEM_PUT] = "INSERT OR REPLACE INTO idempotency (app_id, user_id, key, request_hash,"
                   " status, body, room_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

/* The database's files, in this order; the identities below follow it. */
enum { F_DB, F_WAL, F_SHM, F__COUNT };
static const char *const file_suffix[F__COUNT] = {"", "-wal", "-shm"};

typedef struct file_id {
    dev_t dev;
    ino_t ino;
    bool known;
} file_id;

typedef struct sqlite_store {
    store base;
    sqlite3 *db;
    sqlite3_stmt *stmts[Q__COUNT];
    int64_t data_version;
    char path[PATH_MAX];        /* the database file; "" for :memory: */
    file_id files[F__COUNT];    /* what was opened at path, path-wal, path-shm */
    bool sealed;                /* never write to the files again (store_salvage) */
    /* Statements of sqlite_events.c, prepared once, by the address of their SQL text. */
    const char *xsql[SQ_EXTRA_MAX];
    sqlite3_stmt *xst[SQ_EXTRA_MAX];
    int nextra;
} sqlite_store;

sqlite3 *
sq_db(store *s)
{
    return ((sqlite_store *)s)->db;
}

sqlite3_stmt *
sq_prepare(store *s, const char *sql)
{
    sqlite_store *ss = (sqlite_store *)s;
    int i;

    for (i = 0; i < ss->nextra && ss->xsql[i] != sql; i++)
        ;
    if (i < ss->nextra)
        return ss->xst[i];
    if (i == SQ_EXTRA_MAX) {
        store_log("error", "msg=\"sqlite: raise SQ_EXTRA_MAX\"");
        return NULL;
    }
    if (sqlite3_prepare_v3(ss->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &ss->xst[i], NULL) !=
        SQLITE_OK) {
        store_log("error", "msg=\"sqlite prepare failed\" err=\"%s\"", sqlite3_errmsg(ss->db));
        return NULL;
    }
    ss->xsql[i] = sql;
    ss->nextra++;
    return ss->xst[i];
}

/* The cached statement q, reset and unbound, or NULL on a prepare error. */
static sqlite3_stmt *
stmt(store *s, int q)
{
    sqlite_store *ss = (sqlite_store *)s;

    if (!ss->stmts[q]) {
        if (sqlite3_prepare_v3(ss->db, queries[q], -1, SQLITE_PREPARE_PERSISTENT,
                               &ss->stmts[q], NULL) != SQLITE_OK) {
            store_log("error", "msg=\"sqlite prepare failed\" err=\"%s\"",
                      sqlite3_errmsg(ss->db));
            return NULL;
        }
    }
    return ss->stmts[q];
}

static void
sq_close(store *s)
{
    sqlite_store *ss = (sqlite_store *)s;
    int i;

    for (i = 0; i < Q__COUNT; i++)
        sqlite3_finalize(ss->stmts[i]);
    for (i = 0; i < ss->nextra; i++)
        sqlite3_finalize(ss->xst[i]);
    sqlite3_close(ss->db);
    free(ss);
}

static const char *
sq_errmsg(store *s)
{
    return sqlite3_errmsg(DB(s));
}

static dpa_err
sq_exec(store *s, const char *sql)
{
    char *msg = NULL;
    int rc;

    /* A sealed store starts no transaction: nothing reaches its files again. */
    if (((sqlite_store *)s)->sealed && strncmp(sql, "BEGIN", 5) == 0)
        return E_STORE_UNAVAILABLE;
    /* SQLite may have rolled back already (a full disk, an I/O error). */
    if (strcmp(sql, "ROLLBACK") == 0 && sqlite3_get_autocommit(DB(s)))
        return E_OK;
    rc = sqlite3_exec(DB(s), sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        /* The store worker reports an unavailable store once, not per statement. */
        if (step_err(rc) == E_INTERNAL)
            store_log("error", "msg=\"sqlite exec failed\" sql=\"%.40s\" err=\"%s\"", sql,
                      msg ? msg : "?");
        sqlite3_free(msg);
        return step_err(rc);
    }
    return E_OK;
}

/*
 * Also: closing this handle never checkpoints the WAL into the database
 * (nor removes the WAL). The store worker's handle is the one that does,
 * and that decides whether the files are still ours (store_salvage).
 */
static dpa_err
sq_relax(store *s)
{
    sqlite3_db_config(DB(s), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    return sq_exec(s, "PRAGMA synchronous=NORMAL");
}

static dpa_err
migrate(sqlite_store *ss, char *errbuf, size_t errlen)
{
    sqlite3_stmt *st;
    int version = 0, i, n = (int)(sizeof(migrations) / sizeof(migrations[0]));
    char sql[96];

    if (sq_exec(&ss->base, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"))
        goto fail;
    if (sqlite3_prepare_v2(ss->db, "SELECT coalesce(max(version), 0) FROM schema_migrations",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > n) {
        snprintf(errbuf, errlen, "the database has schema version %d; this build knows %d",
                 version, n);
        return E_INTERNAL;
    }
    for (i = version; i < n; i++) {
        if (sq_exec(&ss->base, "BEGIN IMMEDIATE"))
            goto fail;
        snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, %lld)", i + 1,
                 (long long)now_ms());
        if (sq_exec(&ss->base, migrations[i]) || sq_exec(&ss->base, sql)) {
            sq_exec(&ss->base, "ROLLBACK");
            goto fail;
        }
        if (sq_exec(&ss->base, "COMMIT"))
            goto fail;
    }
    return E_OK;
fail:
    snprintf(errbuf, errlen, "database migration failed: %s", sqlite3_errmsg(ss->db));
    return E_INTERNAL;
}

static const struct store_ops sqlite_ops;

/* Creates the parent directory of path when it is missing (one level). */
static void
make_parent_dir(const char *path)
{
    char dir[PATH_MAX];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    mkdir(dir, 0700);
}

/* ---- the database's files ---- */

/*
 * Compares the files at the database's paths with those it opened (and
 * records the identity of a -wal or -shm seen for the first time). Returns
 * E_OK, or E_STORE_UNAVAILABLE with a sentence in why (no path in it: it
 * may be shown on /healthz).
 */
static dpa_err
files_check(sqlite_store *ss, char *why, size_t len)
{
    char p[PATH_MAX + 8];
    struct stat st;
    int i;

    if (!ss->path[0])
        return E_OK;
    for (i = 0; i < F__COUNT; i++) {
        file_id *f = &ss->files[i];
        const char *what = i == F_DB ? "the database file" : i == F_WAL ? "the -wal file"
                                                                        : "the -shm file";

        snprintf(p, sizeof(p), "%s%s", ss->path, file_suffix[i]);
        if (stat(p, &st) != 0) {
            if (errno == ENOENT && !f->known)
                continue; /* not made yet */
            snprintf(why, len, "%s %s", what,
                     errno == ENOENT ? "was deleted while the server had it open"
                                     : "cannot be checked");
            return E_STORE_UNAVAILABLE;
        }
        if (!f->known) {
            f->dev = st.st_dev;
            f->ino = st.st_ino;
            f->known = true;
        } else if (f->dev != st.st_dev || f->ino != st.st_ino) {
            snprintf(why, len, "%s was replaced while the server had it open", what);
            return E_STORE_UNAVAILABLE;
        }
    }
    return E_OK;
}

/* Finds a "<path>.recovered-*" copy beside the database; returns true and its name. */
static bool
find_recovered(const char *path, char *found, size_t len)
{
    char dir[PATH_MAX];
    const char *base = strrchr(path, '/');
    size_t blen;
    struct dirent *de;
    DIR *d;
    bool hit = false;

    if (base) {
        snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);
        if (!dir[0])
            snprintf(dir, sizeof(dir), "/");
        base++;
    } else {
        snprintf(dir, sizeof(dir), ".");
        base = path;
    }
    blen = strlen(base);
    if (!(d = opendir(dir)))
        return false;
    while (!hit && (de = readdir(d))) {
        if (strncmp(de->d_name, base, blen) == 0 &&
            strncmp(de->d_name + blen, ".recovered-", 11) == 0) {
            /* A name too long to show is still a copy: refuse all the same. */
            if (snprintf(found, len, "%s/%s", dir, de->d_name) >= (int)len)
                snprintf(found, len, "a copy named %s.recovered-*", path);
            hit = true;
        }
    }
    closedir(d);
    return hit;
}

/*
 * Decides whether the database at path may be opened. A missing database
 * is created (a first start), unless something shows that one existed: its
 * -wal or -shm left behind, or a copy saved when its files were deleted
 * under a running server. A saved copy also stops an existing database from
 * opening: the copy may hold writes that the file at path lacks. Sets
 * *fresh when the database will be created.
 */
static dpa_err
may_open(const char *path, bool *fresh, char *errbuf, size_t errlen)
{
    char other[PATH_MAX + 8];
    struct stat st;
    int i;

    *fresh = false;
    if (find_recovered(path, other, sizeof(other))) {
        snprintf(errbuf, errlen,
                 "%s exists: a copy of the database saved when its files were deleted or "
                 "replaced while the server ran; it may hold writes that %s lacks. Move it "
                 "to %s (remove %s-wal and %s-shm first), or remove it to go on with %s as "
                 "it is (docs/operations.md)",
                 other, path, path, path, path, path);
        return E_STORE_UNAVAILABLE;
    }
    if (stat(path, &st) == 0)
        return E_OK;
    if (errno != ENOENT) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
        return E_STORE_UNAVAILABLE;
    }
    for (i = F_WAL; i < F__COUNT; i++) {
        snprintf(other, sizeof(other), "%s%s", path, file_suffix[i]);
        if (stat(other, &st) == 0) {
            snprintf(errbuf, errlen,
                     "%s is missing but %s exists: the database was deleted, not never "
                     "made. Restore %s, or remove %s-wal and %s-shm to start with an empty "
                     "database (docs/operations.md)",
                     path, other, path, path, path);
            return E_STORE_UNAVAILABLE;
        }
    }
    *fresh = true;
    return E_OK;
}

dpa_err
sqlite_store_open(const char *path, store **out, char *errbuf, size_t errlen)
{
    sqlite_store *ss;
    bool memory = strcmp(path, ":memory:") == 0, fresh = false;
    char why[128];
    dpa_err e;

    if (!*path) {
        snprintf(errbuf, errlen, "sqlite: an empty path");
        return E_VALIDATION_FAILED;
    }
    if (!memory && strlen(path) >= PATH_MAX - 8) {
        snprintf(errbuf, errlen, "sqlite: the path is too long");
        return E_VALIDATION_FAILED;
    }
    if (!memory) {
        make_parent_dir(path);
        if ((e = may_open(path, &fresh, errbuf, errlen)))
            return e;
    }
    ss = xcalloc(1, sizeof(*ss));
    ss->base.ops = &sqlite_ops;
    if (!memory)
        snprintf(ss->path, sizeof(ss->path), "%s", path);
    if (sqlite3_open_v2(path, &ss->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open %s: %s", path,
                 ss->db ? sqlite3_errmsg(ss->db) : "out of memory");
        sq_close(&ss->base);
        return E_INTERNAL;
    }
    sqlite3_busy_timeout(ss->db, 5000);
    if (sq_exec(&ss->base, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                           " PRAGMA foreign_keys=ON;")) {
        snprintf(errbuf, errlen, "cannot set up %s: %s", path, sqlite3_errmsg(ss->db));
        sq_close(&ss->base);
        return E_INTERNAL;
    }
    if (migrate(ss, errbuf, errlen) != E_OK) {
        sq_close(&ss->base);
        return E_INTERNAL;
    }
    /* The files exist now (WAL mode made -wal and -shm): remember them. */
    if (files_check(ss, why, sizeof(why)) != E_OK) {
        snprintf(errbuf, errlen, "%s: %s", path, why);
        sq_close(&ss->base);
        return E_STORE_UNAVAILABLE;
    }
    if (fresh)
        store_log("warn", "msg=\"created a new, empty database\" path=\"%s\"", path);
    *out = &ss->base;
    return E_OK;
}

static dpa_err
sq_check_files(store *s, char *why, size_t len)
{
    return files_check((sqlite_store *)s, why, len);
}

static dpa_err
sq_probe(store *s, int64_t now)
{
    sqlite3_stmt *st;
    dpa_err e;

    if ((e = sq_exec(s, "BEGIN IMMEDIATE")))
        return e;
    if (!(st = stmt(s, Q_PROBE))) {
        e = last_err(s);
        goto fail;
    }
    sqlite3_bind_int64(st, 1, now);
    if ((e = step_done(st)) || (e = sq_exec(s, "COMMIT")))
        goto fail;
    return E_OK;
fail:
    if (!sqlite3_get_autocommit(DB(s)))
        sq_exec(s, "ROLLBACK");
    return e;
}

/* fsync()s a file (or directory) by name. */
static int
sync_path(const char *p)
{
    int fd = open(p, O_RDONLY | O_CLOEXEC), rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

static dpa_err
sq_salvage(store *s, int64_t now, char *copy, size_t len)
{
    sqlite_store *ss = (sqlite_store *)s;
    sqlite3_stmt *st = NULL;
    char dir[PATH_MAX], *slash;
    int rc;

    /*
     * Closing must not checkpoint the WAL into a database file that is no
     * longer ours (or that another process may have made in its place).
     */
    sqlite3_db_config(ss->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    ss->sealed = true;
    copy[0] = '\0';
    if (!ss->path[0])
        return E_STORE_UNAVAILABLE;
    snprintf(copy, len, "%s.recovered-%lld", ss->path, (long long)(now / 1000));
    if (!sqlite3_get_autocommit(ss->db))
        sq_exec(s, "ROLLBACK");
    rc = sqlite3_prepare_v2(ss->db, "VACUUM INTO ?1", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, copy, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
        snprintf(copy, len, "%s", sqlite3_errmsg(ss->db));
        return E_STORE_UNAVAILABLE;
    }
    snprintf(dir, sizeof(dir), "%s", copy);
    slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), "%s", slash ? "/" : ".");
    if (sync_path(copy) != 0 || sync_path(dir) != 0) {
        int err = errno;
        snprintf(copy, len, "the copy was written but cannot be synced: %s", strerror(err));
        return E_STORE_UNAVAILABLE;
    }
    return E_OK;
}

/* ---- apps and keys ---- */

static dpa_err
sq_app_insert(store *s, const char *app_id, const char *name, const char *plan_name, int64_t now)
{
    sqlite3_stmt *st = stmt(s, Q_APP_INSERT);
    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, name);
    bind_text(st, 3, plan_name);
    sqlite3_bind_int64(st, 4, now);
    return step_done(st);
}

static dpa_err
sq_app_set_plan(store *s, const char *app_id, const char *plan_name)
{
    sqlite3_stmt *st = stmt(s, Q_APP_SET_PLAN);
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, plan_name);
    e = step_done(st);
    if (e == E_OK && sqlite3_changes(DB(s)) == 0)
        return E_NOT_FOUND;
    return e;
}

static dpa_err
sq_key_insert(store *s, const char *kid, const char *app_id, const char *secret, int64_t now)
{
    sqlite3_stmt *st = stmt(s, Q_KEY_INSERT);
    if (!st)
        return last_err(s);
    bind_text(st, 1, kid);
    bind_text(st, 2, app_id);
    bind_text(st, 3, secret);
    sqlite3_bind_int64(st, 4, now);
    return step_done(st);
}

static dpa_err
sq_key_delete(store *s, const char *app_id, const char *kid)
{
    sqlite3_stmt *st = stmt(s, Q_KEY_COUNT);
    int total = 0, mine = 0, rc;

    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, kid);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        total = sqlite3_column_int(st, 0);
        mine = sqlite3_column_int(st, 1);
    }
    done(st);
    if (rc != SQLITE_ROW)
        return step_err(rc);
    if (!mine)
        return E_NOT_FOUND;
    if (total <= 1)
        return E_FORBIDDEN;
    st = stmt(s, Q_KEY_DELETE);
    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, kid);
    return step_done(st);
}

static dpa_err
sq_apps_load(store *s, app_registry **out)
{
    app_registry *reg = apps_new();
    sqlite3_stmt *st;
    int rc;

    *out = NULL;
    if (!(st = stmt(s, Q_APPS)))
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        apps_add(reg, col_text(st, 0), col_text(st, 1), col_text(st, 2),
                 sqlite3_column_int64(st, 3));
    done(st);
    if (rc != SQLITE_DONE || !(st = stmt(s, Q_KEYS)))
        goto fail;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        apps_add_key(reg, col_text(st, 0), col_text(st, 1), col_text(st, 2),
                     sqlite3_column_int64(st, 3));
    done(st);
    if (rc != SQLITE_DONE)
        goto fail;
    *out = reg;
    return E_OK;
fail:
    apps_free(reg);
    return last_err(s);
}

static dpa_err
sq_changed(store *s, bool *changed)
{
    sqlite_store *ss = (sqlite_store *)s;
    sqlite3_stmt *st = stmt(s, Q_DATA_VERSION);
    int64_t v = -1;

    if (!st)
        return last_err(s);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    done(st);
    *changed = v != ss->data_version;
    ss->data_version = v;
    return E_OK;
}

/* ---- rooms ---- */

static dpa_err
insert_hosts(store *s, const room *r)
{
    sqlite3_stmt *st;
    int i;
    dpa_err e;

    for (i = 0; i < r->nhosts; i++) {
        if (!(st = stmt(s, Q_HOST_INSERT)))
            return last_err(s);
        bind_text(st, 1, r->app_id);
        bind_text(st, 2, r->hosts[i]);
        sqlite3_bind_int64(st, 3, r->created_at);
        bind_text(st, 4, r->id);
        if ((e = step_done(st)))
            return e;
    }
    return E_OK;
}

static dpa_err
add_count(store *s, const char *app_id, int delta)
{
    sqlite3_stmt *st = stmt(s, Q_COUNT_ADD);
    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    sqlite3_bind_int(st, 2, delta);
    return step_done(st);
}

static dpa_err
sq_app_room_count(store *s, const char *app_id, int64_t *out)
{
    sqlite3_stmt *st = stmt(s, Q_COUNT_GET);
    int rc;

    *out = 0;
    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? E_OK : step_err(rc);
}

static dpa_err
sq_room_insert(store *s, const room *r, int64_t max_rooms)
{
    sqlite3_stmt *st = stmt(s, Q_COUNT_GET);
    int64_t count = 0;
    char *hosts;
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, r->app_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        count = sqlite3_column_int64(st, 0);
    done(st);
    if (count >= max_rooms)
        return E_ROOM_LIMIT_REACHED;
    if (!(st = stmt(s, Q_ROOM_INSERT)))
        return last_err(s);
    hosts = store_hosts_json(r);
    bind_text(st, 1, r->id);
    bind_text(st, 2, r->app_id);
    bind_text(st, 3, r->name);
    bind_text(st, 4, r->created_by);
    bind_text(st, 5, hosts);
    bind_opt_int(st, 6, r->start_at);
    bind_opt_int(st, 7, r->end_at);
    bind_text(st, 8, room_status_name(r->status));
    sqlite3_bind_int(st, 9, r->policy.waiting_room);
    sqlite3_bind_int(st, 10, r->policy.require_host);
    bind_opt_int(st, 11, r->policy.max_participants ? r->policy.max_participants : -1);
    sqlite3_bind_int(st, 12, r->policy.auto_close);
    bind_text(st, 13, r->metadata);
    sqlite3_bind_int64(st, 14, r->created_at);
    sqlite3_bind_int64(st, 15, r->updated_at);
    sqlite3_bind_int64(st, 16, r->version);
    e = step_done(st);
    free(hosts);
    if (e == E_OK)
        e = insert_hosts(s, r);
    if (e == E_OK)
        e = add_count(s, r->app_id, 1);
    return e;
}

/* Builds a room from a row of ROOM_COLS. */
static room *
row_room(sqlite3_stmt *st)
{
    room *r = room_new();
    struct json_object *hosts = NULL;
    const char *h = col_text(st, 4);
    size_t i;

    snprintf(r->id, sizeof(r->id), "%s", col_text(st, 0));
    free(r->app_id);
    r->app_id = xstrdup(col_text(st, 1));
    free(r->name);
    r->name = xstrdup(col_text(st, 2));
    free(r->created_by);
    r->created_by = xstrdup(col_text(st, 3));
    if (json_parse(h, strlen(h), &hosts) == E_OK &&
        json_object_is_type(hosts, json_type_array)) {
        const char *list[ROOM_HOSTS_MAX + 1];
        int n = 0;
        for (i = 0; i < json_object_array_length(hosts) && n <= ROOM_HOSTS_MAX; i++)
            list[n++] = json_object_get_string(json_object_array_get_idx(hosts, i));
        room_set_hosts(r, list, n);
    }
    json_object_put(hosts);
    r->start_at = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
    r->end_at = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 6);
    r->status = strcmp(col_text(st, 7), "CLOSED") == 0 ? ROOM_CLOSED : ROOM_ACTIVE;
    r->policy.waiting_room = sqlite3_column_int(st, 8) != 0;
    r->policy.require_host = sqlite3_column_int(st, 9) != 0;
    r->policy.max_participants = sqlite3_column_int(st, 10);
    r->policy.auto_close = sqlite3_column_int(st, 11) != 0;
    free(r->metadata);
    r->metadata = xstrdup(col_text(st, 12));
    r->created_at = sqlite3_column_int64(st, 13);
    r->updated_at = sqlite3_column_int64(st, 14);
    r->version = sqlite3_column_int64(st, 15);
    return r;
}

static dpa_err
sq_room_get(store *s, const char *app_id, const char *room_id, room **out)
{
    sqlite3_stmt *st = stmt(s, Q_ROOM_GET);
    int rc;

    *out = NULL;
    if (!st)
        return last_err(s);
    bind_text(st, 1, room_id);
    bind_text(st, 2, app_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = row_room(st);
    done(st);
    if (rc == SQLITE_ROW)
        return E_OK;
    return rc == SQLITE_DONE ? E_ROOM_NOT_FOUND : step_err(rc);
}

static dpa_err
sq_room_update(store *s, const room *r)
{
    sqlite3_stmt *st = stmt(s, Q_ROOM_UPDATE);
    char *hosts;
    dpa_err e;

    if (!st)
        return last_err(s);
    hosts = store_hosts_json(r);
    bind_text(st, 1, r->id);
    bind_text(st, 2, r->app_id);
    bind_text(st, 3, r->name);
    bind_text(st, 4, hosts);
    bind_opt_int(st, 5, r->start_at);
    bind_opt_int(st, 6, r->end_at);
    bind_text(st, 7, room_status_name(r->status));
    sqlite3_bind_int(st, 8, r->policy.waiting_room);
    sqlite3_bind_int(st, 9, r->policy.require_host);
    bind_opt_int(st, 10, r->policy.max_participants ? r->policy.max_participants : -1);
    sqlite3_bind_int(st, 11, r->policy.auto_close);
    bind_text(st, 12, r->metadata);
    sqlite3_bind_int64(st, 13, r->updated_at);
    sqlite3_bind_int64(st, 14, r->version);
    e = step_done(st);
    free(hosts);
    if (e == E_OK && sqlite3_changes(DB(s)) == 0)
        return E_ROOM_NOT_FOUND;
    if (e == E_OK && (st = stmt(s, Q_HOSTS_DELETE))) {
        bind_text(st, 1, r->id);
        e = step_done(st);
        if (e == E_OK)
            e = insert_hosts(s, r);
    }
    return e;
}

static dpa_err
sq_room_delete(store *s, const char *app_id, const char *room_id)
{
    sqlite3_stmt *st = stmt(s, Q_ROOM_DELETE);
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, room_id);
    bind_text(st, 2, app_id);
    e = step_done(st);
    if (e == E_OK && sqlite3_changes(DB(s)) == 0)
        return E_ROOM_NOT_FOUND;
    if (e == E_OK)
        e = add_count(s, app_id, -1);
    return e;
}

static dpa_err
sq_rooms_count(store *s, int64_t *count)
{
    sqlite3_stmt *st = stmt(s, Q_ROOMS_TOTAL);
    int rc;

    if (!st)
        return last_err(s);
    rc = sqlite3_step(st);
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    done(st);
    return rc == SQLITE_ROW ? E_OK : step_err(rc);
}

static dpa_err
sq_room_list(store *s, const char *app_id, const char *user_id, int status,
             int64_t after_created, const char *after_id, int limit, room_page *page)
{
    sqlite3_stmt *st = stmt(s, Q_ROOM_LIST);
    int rc;

    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, user_id);
    sqlite3_bind_int64(st, 3, after_created < 0 ? INT64_MAX : after_created);
    bind_text(st, 4, after_created < 0 ? "" : after_id);
    bind_text(st, 5, status < 0 ? NULL : room_status_name((room_status)status));
    sqlite3_bind_int(st, 6, limit + 1);
    page->rooms = xcalloc((size_t)limit + 1, sizeof(room *));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (page->count == limit) {
            page->more = true;
            break;
        }
        page->rooms[page->count++] = row_room(st);
    }
    done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        room_page_free(page);
        return step_err(rc);
    }
    return E_OK;
}

/* ---- idempotency ---- */

static dpa_err
sq_idem_get(store *s, const char *app_id, const char *user_id, const char *key, int64_t now,
            idem_record *out)
{
    sqlite3_stmt *st = stmt(s, Q_IDEM_GET);
    int rc;

    if (!st)
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, user_id);
    bind_text(st, 3, key);
    sqlite3_bind_int64(st, 4, now - IDEM_TTL_MS);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(out->request_hash, sizeof(out->request_hash), "%s", col_text(st, 0));
        out->status = sqlite3_column_int(st, 1);
        out->body = xstrdup(col_text(st, 2));
        out->room_id = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL
                                                                  : xstrdup(col_text(st, 3));
    }
    done(st);
    if (rc == SQLITE_ROW)
        return E_OK;
    return rc == SQLITE_DONE ? E_NOT_FOUND : step_err(rc);
}

static dpa_err
sq_idem_put(store *s, const char *app_id, const char *user_id, const char *key,
            const idem_record *rec, int64_t now)
{
    sqlite3_stmt *st = stmt(s, Q_IDEM_PURGE);
    dpa_err e;

    if (!st)
        return last_err(s);
    sqlite3_bind_int64(st, 1, now - IDEM_TTL_MS);
    if ((e = step_done(st)))
        return e;
    if (!(st = stmt(s, Q_IDEM_PUT)))
        return last_err(s);
    bind_text(st, 1, app_id);
    bind_text(st, 2, user_id);
    bind_text(st, 3, key);
    bind_text(st, 4, rec->request_hash);
    sqlite3_bind_int(st, 5, rec->status);
    bind_text(st, 6, rec->body);
    bind_text(st, 7, rec->room_id);
    sqlite3_bind_int64(st, 8, now);
    return step_done(st);
}

/* ---- calls ---- */

/*
 * Raises the room's call_epoch to epoch unless it is higher: E_OK, E_FENCED
 * (a higher one is recorded; nothing changed) or E_ROOM_NOT_FOUND. The
 * transaction's write lock orders it with every other fence.
 */
static dpa_err
fence_room(store *s, const char *app_id, const char *room_id, int64_t epoch)
{
    sqlite3_stmt *st = stmt(s, Q_FENCE);
    int rc;
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, room_id);
    bind_text(st, 2, app_id);
    sqlite3_bind_int64(st, 3, epoch);
    if ((e = step_done(st)))
        return e;
    if (sqlite3_changes(DB(s)) > 0)
        return E_OK;
    /* Not raised: a higher epoch, or no such room. */
    if (!(st = stmt(s, Q_ROOM_EXISTS)))
        return last_err(s);
    bind_text(st, 1, room_id);
    bind_text(st, 2, app_id);
    rc = sqlite3_step(st);
    done(st);
    if (rc == SQLITE_ROW)
        return E_FENCED;
    return rc == SQLITE_DONE ? E_ROOM_NOT_FOUND : step_err(rc);
}

static dpa_err
sq_call_open(store *s, const char *call_id, const char *app_id, const char *room_id,
             int64_t started_at, int64_t epoch)
{
    sqlite3_stmt *st;
    dpa_err e;

    if (epoch > 0 && (e = fence_room(s, app_id, room_id, epoch)) && e != E_ROOM_NOT_FOUND)
        return e;
    if (!(st = stmt(s, Q_CALL_OPEN)))
        return last_err(s);
    bind_text(st, 1, call_id);
    bind_text(st, 2, app_id);
    bind_text(st, 3, room_id);
    sqlite3_bind_int64(st, 4, started_at);
    return step_done(st);
}

/* Fences the room of call_id (store.h); a call or room not found fences nothing. */
static dpa_err
fence_call(store *s, const char *call_id, int64_t epoch)
{
    sqlite3_stmt *st = stmt(s, Q_CALL_ROOM);
    char app_id[APP_ID_MAX], room_id[ROOM_ID_MAX];
    int rc;
    dpa_err e;

    if (!st)
        return last_err(s);
    bind_text(st, 1, call_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(app_id, sizeof(app_id), "%s", col_text(st, 0));
        snprintf(room_id, sizeof(room_id), "%s", col_text(st, 1));
    }
    done(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? E_OK : step_err(rc);
    e = fence_room(s, app_id, room_id, epoch);
    return e == E_ROOM_NOT_FOUND ? E_OK : e;
}

static dpa_err
sq_call_close(store *s, const char *call_id, int64_t ended_at, const char *reason, int peak,
              int64_t epoch)
{
    sqlite3_stmt *st;
    dpa_err e;

    if (epoch > 0 && (e = fence_call(s, call_id, epoch)))
        return e;
    if (!(st = stmt(s, Q_CALL_CLOSE)))
        return last_err(s);
    bind_text(st, 1, call_id);
    sqlite3_bind_int64(st, 2, ended_at);
    bind_text(st, 3, reason);
    sqlite3_bind_int(st, 4, peak);
    return step_done(st);
}

static dpa_err
sq_call_fence(store *s, const char *app_id, const char *room_id, int64_t epoch,
              char open_call_id[CALL_ID_MAX])
{
    sqlite3_stmt *st;
    int rc;
    dpa_err e;

    if ((e = fence_room(s, app_id, room_id, epoch)))
        return e;
    if (!(st = stmt(s, Q_OPEN_CALL_OF_ROOM)))
        return last_err(s);
    bind_text(st, 1, room_id);
    bind_text(st, 2, app_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(open_call_id, CALL_ID_MAX, "%s", col_text(st, 0));
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? E_OK : step_err(rc);
}

static dpa_err
sq_open_calls(store *s, store_call_ref **out, int *n)
{
    sqlite3_stmt *st = stmt(s, Q_OPEN_CALLS);
    store_call_ref *refs = NULL;
    int rc, cap = 0;

    *out = NULL;
    *n = 0;
    if (!st)
        return last_err(s);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            refs = xrealloc(refs, (size_t)cap * sizeof(*refs));
        }
        snprintf(refs[*n].call_id, sizeof(refs[*n].call_id), "%s", col_text(st, 0));
        snprintf(refs[*n].app_id, sizeof(refs[*n].app_id), "%s", col_text(st, 1));
        snprintf(refs[*n].room_id, sizeof(refs[*n].room_id), "%s", col_text(st, 2));
        (*n)++;
    }
    done(st);
    if (rc != SQLITE_DONE) {
        free(refs);
        *n = 0;
        return step_err(rc);
    }
    *out = refs;
    return E_OK;
}

static dpa_err
sq_room_status(store *s, const char *app_id, const char *room_id, int *status)
{
    sqlite3_stmt *st = stmt(s, Q_ROOM_STATUS);
    int rc;

    if (!st)
        return last_err(s);
    bind_text(st, 1, room_id);
    bind_text(st, 2, app_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *status = strcmp(col_text(st, 0), "CLOSED") == 0 ? ROOM_CLOSED : ROOM_ACTIVE;
    done(st);
    if (rc == SQLITE_ROW)
        return E_OK;
    return rc == SQLITE_DONE ? E_ROOM_NOT_FOUND : step_err(rc);
}

static const struct store_ops sqlite_ops = {
    .close = sq_close,
    .errmsg = sq_errmsg,
    .exec = sq_exec,
    .relax = sq_relax,
    .app_insert = sq_app_insert,
    .app_set_plan = sq_app_set_plan,
    .key_insert = sq_key_insert,
    .key_delete = sq_key_delete,
    .apps_load = sq_apps_load,
    .changed = sq_changed,
    .room_insert = sq_room_insert,
    .room_get = sq_room_get,
    .app_room_count = sq_app_room_count,
    .room_update = sq_room_update,
    .room_delete = sq_room_delete,
    .rooms_count = sq_rooms_count,
    .room_list = sq_room_list,
    .call_open = sq_call_open,
    .call_close = sq_call_close,
    .call_fence = sq_call_fence,
    .fence_call = fence_call,
    .open_calls = sq_open_calls,
    .room_status = sq_room_status,
    .webhook_set = sq_webhook_set,
    .webhook_remove = sq_webhook_remove,
    .webhooks_list = sq_webhooks_list,
    .webhook_count = sq_webhook_count,
    .room_seq_next = sq_room_seq_next,
    .event_insert = sq_event_insert,
    .deliveries_due = sq_deliveries_due,
    .deliveries_claim = sq_deliveries_claim,
    .delivery_finish = sq_delivery_finish,
    .deliveries_release = sq_deliveries_release,
    .outbox_stats = sq_outbox_stats,
    .outbox_purge = sq_outbox_purge,
    .session_join = sq_session_join,
    .session_leave = sq_session_leave,
    .sessions_end = sq_sessions_end,
    .call_info = sq_call_info,
    .call_list = sq_call_list,
    .call_sessions = sq_call_sessions,
    .history_purge = sq_history_purge,
    .idem_get = sq_idem_get,
    .idem_put = sq_idem_put,
    .check_files = sq_check_files,
    .probe = sq_probe,
    .salvage = sq_salvage,
};
