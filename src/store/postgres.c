/*
 * PostgreSQL backend: one blocking libpq connection, used only by the
 * thread that owns the store (the store worker in the server, the main
 * thread in the CLI), never by the event loop.
 *
 * Durability: every session sets synchronous_commit=on, so COMMIT returns
 * once the server has flushed its WAL; store_commit returning E_OK means
 * the batch is on disk, as with SQLite's synchronous=FULL.
 *
 * Failures of the server or the connection (refused, dropped, shut down,
 * disk full, read-only, a lock held past lock_timeout) are
 * E_STORE_UNAVAILABLE. The connection is re-established (PQreset) at the
 * next transaction or probe, never inside one: a transaction whose
 * connection dropped fails as a whole.
 *
 * Several droponaird processes (and the `droponaird app` CLI) may share one
 * database: the per-app room limit is taken under a row lock on the app's
 * room count, migrations under an advisory lock, and changes to apps and
 * keys bump a one-row counter (triggers) that store_changed compares.
 *
 * The URL's password is never copied into a message: messages name the
 * database as user@host:port/dbname, read back from the connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "core/json.h"
#include "core/util.h"
#include "store/internal.h"
#include "store/postgres_int.h"

/* Each entry is one schema version; never edit one that has shipped. */
static const char *const migrations[] = {
    /* 1: apps, keys, rooms, hosts index, idempotency records; the change counter. */
    "CREATE TABLE apps ("
    "  app_id TEXT COLLATE \"C\" PRIMARY KEY, name TEXT NOT NULL, plan TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE TABLE app_keys ("
    "  kid TEXT COLLATE \"C\" PRIMARY KEY,"
    "  app_id TEXT COLLATE \"C\" NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
    "  alg TEXT NOT NULL DEFAULT 'HS256', secret TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL);"
    "CREATE INDEX app_keys_app ON app_keys(app_id);"
    "CREATE TABLE rooms ("
    "  room_id TEXT COLLATE \"C\" PRIMARY KEY, app_id TEXT COLLATE \"C\" NOT NULL,"
    "  name TEXT NOT NULL, created_by TEXT NOT NULL, hosts TEXT NOT NULL,"
    "  scheduled_start_at BIGINT, scheduled_end_at BIGINT,"
    "  status TEXT NOT NULL CHECK (status IN ('ACTIVE','CLOSED')),"
    "  waiting_room BOOLEAN NOT NULL, require_host BOOLEAN NOT NULL,"
    "  max_participants INTEGER, auto_close BOOLEAN NOT NULL,"
    "  metadata TEXT NOT NULL, created_at BIGINT NOT NULL,"
    "  updated_at BIGINT NOT NULL, version BIGINT NOT NULL);"
    /* The list order (createdAt, then roomId) must be bytewise, as in SQLite. */
    "CREATE TABLE room_hosts ("
    "  app_id TEXT COLLATE \"C\" NOT NULL, user_id TEXT COLLATE \"C\" NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  room_id TEXT COLLATE \"C\" NOT NULL REFERENCES rooms(room_id) ON DELETE CASCADE,"
    "  PRIMARY KEY (app_id, user_id, created_at, room_id));"
    "CREATE INDEX room_hosts_room ON room_hosts(room_id);"
    "CREATE TABLE app_room_counts ("
    "  app_id TEXT COLLATE \"C\" PRIMARY KEY, rooms BIGINT NOT NULL);"
    "CREATE TABLE idempotency ("
    "  app_id TEXT COLLATE \"C\" NOT NULL, user_id TEXT COLLATE \"C\" NOT NULL,"
    "  key TEXT COLLATE \"C\" NOT NULL,"
    "  request_hash TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,"
    "  room_id TEXT, created_at BIGINT NOT NULL,"
    "  PRIMARY KEY (app_id, user_id, key));"
    "CREATE INDEX idempotency_age ON idempotency(created_at);"
    /* What SQLite's PRAGMA data_version tells: apps or keys changed. */
    "CREATE TABLE app_changes (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);"
    "INSERT INTO app_changes VALUES (1, 0);"
    "CREATE FUNCTION dpa_app_changes_bump() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN UPDATE app_changes SET version = version + 1 WHERE id = 1; RETURN NULL; END $$;"
    "CREATE TRIGGER apps_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON apps"
    "  FOR EACH STATEMENT EXECUTE FUNCTION dpa_app_changes_bump();"
    "CREATE TRIGGER app_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON app_keys"
    "  FOR EACH STATEMENT EXECUTE FUNCTION dpa_app_changes_bump();",
    /* 2: calls, the base of call history. */
    "CREATE TABLE calls ("
    "  call_id TEXT PRIMARY KEY, app_id TEXT NOT NULL, room_id TEXT NOT NULL,"
    "  started_at BIGINT NOT NULL, ended_at BIGINT, end_reason TEXT,"
    "  peak_participants INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX calls_room ON calls(room_id, started_at);"
    "CREATE INDEX calls_open ON calls(ended_at) WHERE ended_at IS NULL;",
    /* 3: one row the store worker rewrites to learn whether writes work again. */
    "CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at BIGINT NOT NULL);",
    /* 4: the highest call-ownership epoch each room has seen (fencing, store.h). */
    "ALTER TABLE rooms ADD COLUMN call_epoch BIGINT NOT NULL DEFAULT 0;",
    /*
     * 5: webhook endpoints, the outbox (events, a delivery per endpoint, each
     * room's event numbers), participant sessions (call history).
     */
    "CREATE TABLE webhook_endpoints ("
    "  webhook_id TEXT COLLATE \"C\" PRIMARY KEY,"
    "  app_id TEXT COLLATE \"C\" NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
    "  url TEXT NOT NULL, secret TEXT NOT NULL, created_at BIGINT NOT NULL,"
    "  UNIQUE (app_id, url));"
    "CREATE TABLE room_event_seqs ("
    "  room_id TEXT COLLATE \"C\" PRIMARY KEY, app_id TEXT COLLATE \"C\" NOT NULL,"
    "  seq BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
    "CREATE TABLE webhook_events ("
    "  event_id TEXT COLLATE \"C\" PRIMARY KEY, app_id TEXT COLLATE \"C\" NOT NULL,"
    "  room_id TEXT COLLATE \"C\" NOT NULL, room_seq BIGINT NOT NULL, type TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL, body TEXT NOT NULL);"
    "CREATE INDEX webhook_events_age ON webhook_events(created_at);"
    "CREATE TABLE webhook_deliveries ("
    "  delivery_id BIGSERIAL PRIMARY KEY,"
    "  event_id TEXT COLLATE \"C\" NOT NULL REFERENCES webhook_events(event_id) ON DELETE CASCADE,"
    "  webhook_id TEXT COLLATE \"C\" NOT NULL"
    "    REFERENCES webhook_endpoints(webhook_id) ON DELETE CASCADE,"
    "  app_id TEXT COLLATE \"C\" NOT NULL, room_id TEXT COLLATE \"C\" NOT NULL,"
    "  room_seq BIGINT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending','delivered','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0, next_at BIGINT NOT NULL,"
    "  lease_owner TEXT COLLATE \"C\", lease_until BIGINT NOT NULL DEFAULT 0,"
    "  created_at BIGINT NOT NULL, done_at BIGINT, last_status INTEGER, last_error TEXT);"
    "CREATE INDEX webhook_deliveries_order ON webhook_deliveries(webhook_id, room_id, room_seq)"
    "  WHERE state = 'pending';"
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(app_id, next_at)"
    "  WHERE state = 'pending';"
    "CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event_id);"
    "CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(webhook_id);"
    "CREATE INDEX webhook_deliveries_lease ON webhook_deliveries(lease_owner)"
    "  WHERE lease_owner IS NOT NULL;"
    "CREATE TABLE participant_sessions ("
    "  session_id BIGSERIAL PRIMARY KEY,"
    "  call_id TEXT COLLATE \"C\" NOT NULL, app_id TEXT COLLATE \"C\" NOT NULL,"
    "  room_id TEXT COLLATE \"C\" NOT NULL, user_id TEXT COLLATE \"C\" NOT NULL,"
    "  name TEXT NOT NULL, role TEXT NOT NULL,"
    "  joined_at BIGINT NOT NULL, left_at BIGINT, leave_reason TEXT);"
    "CREATE INDEX participant_sessions_call ON participant_sessions(call_id, joined_at);"
    "CREATE INDEX participant_sessions_open ON participant_sessions(call_id, user_id)"
    "  WHERE left_at IS NULL;"
    "CREATE INDEX calls_ended ON calls(ended_at);",
};

/* pg_advisory_xact_lock key that serialises migrations ("dpa-mig"). */
#define MIGRATION_LOCK "6462617000000001"

#define ROOM_COLS                                                                       \
    "r.room_id, r.app_id, r.name, r.created_by, r.hosts, r.scheduled_start_at,"        \
    " r.scheduled_end_at, r.status, r.waiting_room, r.require_host, r.max_participants," \
    " r.auto_close, r.metadata, r.created_at, r.updated_at, r.version"

#define PREPARED_MAX 64

typedef struct pg_store {
    store base;
    PGconn *conn;
    /*
     * Statements prepared on this connection, by the address of their SQL
     * text: every statement with parameters is a string literal here, so the
     * address names it. Emptied when the connection is re-established.
     */
    const char *prepared[PREPARED_MAX];
    int nprepared;
    bool in_tx;              /* inside store_begin .. commit/rollback */
    bool relaxed;            /* store_relax_durability: synchronous_commit off */
    int64_t changes_seen;    /* app_changes.version at the last store_changed; -1 none */
    char err[256];           /* the last error, one line, no double quotes */
} pg_store;

#define PS(s) ((pg_store *)(s))

/* ---- errors ---- */

/* Keeps msg as the last error: its first line, with " made ' (it goes into logfmt). */
static void
set_err(pg_store *ps, const char *msg)
{
    size_t i;

    snprintf(ps->err, sizeof(ps->err), "%s", msg && *msg ? msg : "unknown PostgreSQL error");
    for (i = 0; ps->err[i]; i++) {
        if (ps->err[i] == '\n') {
            ps->err[i] = '\0';
            break;
        }
        if (ps->err[i] == '"')
            ps->err[i] = '\'';
    }
}

/*
 * The error for a failed statement, by SQLSTATE. The server or the
 * connection failing is E_STORE_UNAVAILABLE: connection exceptions (08),
 * insufficient resources such as a full disk (53), operator intervention
 * such as a shutdown or a statement timeout (57), system errors (58),
 * rollbacks for serialisation or deadlock (40), a read-only transaction
 * (25006), a lock not available in time (55P03), corruption (XX). A
 * constraint (23) is E_VALIDATION_FAILED, as SQLite's SQLITE_CONSTRAINT.
 * Anything else is a bug here: E_INTERNAL.
 */
static dpa_err
state_err(const char *state)
{
    static const char *const unavailable[] = {"08", "53", "57", "58", "40", "XX"};
    size_t i;

    if (!state || strlen(state) != 5)
        return E_STORE_UNAVAILABLE; /* no SQLSTATE: libpq's own (connection) failure */
    if (strncmp(state, "23", 2) == 0)
        return E_VALIDATION_FAILED;
    for (i = 0; i < sizeof(unavailable) / sizeof(unavailable[0]); i++)
        if (strncmp(state, unavailable[i], 2) == 0)
            return E_STORE_UNAVAILABLE;
    if (strcmp(state, "25006") == 0 || strcmp(state, "55P03") == 0)
        return E_STORE_UNAVAILABLE;
    return E_INTERNAL;
}

/*
 * Runs sql with p (may be NULL). Returns the result of a statement that
 * worked (the caller PQclear()s it), or NULL with *e set and the message
 * kept for store_errmsg.
 */
/*
 * Runs sql with p as a prepared statement, preparing it on first use on
 * this connection: a write is several statements, and parsing and planning
 * each one every time cost more than running it. Falls back to
 * PQexecParams when the table is full.
 */
static PGresult *
exec_prepared(pg_store *ps, const char *sql, const params *p)
{
    char name[16];
    int i;

    for (i = 0; i < ps->nprepared && ps->prepared[i] != sql; i++)
        ;
    if (i == ps->nprepared) {
        PGresult *r;

        if (i == PREPARED_MAX)
            return PQexecParams(ps->conn, sql, p->n, NULL, p->v, NULL, NULL, 0);
        snprintf(name, sizeof(name), "dpa%d", i);
        r = PQprepare(ps->conn, name, sql, p->n, NULL);
        if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
            return r; /* the error is the statement's: run() reports it */
        PQclear(r);
        ps->prepared[ps->nprepared++] = sql;
    }
    snprintf(name, sizeof(name), "dpa%d", i);
    return PQexecPrepared(ps->conn, name, p->n, p->v, NULL, NULL, 0);
}

static PGresult *
run(pg_store *ps, const char *sql, const params *p, dpa_err *e)
{
    PGresult *res;
    ExecStatusType st;

    *e = E_OK;
    if (PQstatus(ps->conn) != CONNECTION_OK) {
        set_err(ps, PQerrorMessage(ps->conn));
        *e = E_STORE_UNAVAILABLE;
        return NULL;
    }
    /* Without parameters, a string may hold several statements (migrations). */
    res = p ? exec_prepared(ps, sql, p) : PQexec(ps->conn, sql);
    st = PQresultStatus(res);
    if (res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
        return res;
    if (!res) {
        set_err(ps, PQerrorMessage(ps->conn));
        *e = E_STORE_UNAVAILABLE;
        return NULL;
    }
    set_err(ps, PQresultErrorMessage(res));
    *e = PQstatus(ps->conn) != CONNECTION_OK
             ? E_STORE_UNAVAILABLE
             : state_err(PQresultErrorField(res, PG_DIAG_SQLSTATE));
    /* The store worker reports an unavailable store once, not per statement. */
    if (*e == E_INTERNAL)
        store_log("error", "msg=\"postgres statement failed\" sql=\"%.40s\" err=\"%s\"", sql,
                  ps->err);
    PQclear(res);
    return NULL;
}

/* Runs a statement whose result is not needed; *changes gets its row count. */
static dpa_err
run_done(pg_store *ps, const char *sql, const params *p, int *changes)
{
    dpa_err e;
    PGresult *res = run(ps, sql, p, &e);

    if (res && changes)
        *changes = atoi(PQcmdTuples(res));
    PQclear(res);
    return e;
}

/* ---- the connection ---- */

static void
quiet_notices(void *arg, const PGresult *res)
{
    (void)arg;
    (void)res; /* "there is no transaction in progress" and the like */
}

/* Settings every session needs; after a connect and after each reset. */
static dpa_err
session_setup(pg_store *ps)
{
    PQsetNoticeReceiver(ps->conn, quiet_notices, NULL);
    /* A relaxed handle (store_relax_durability) keeps that through reconnections. */
    if (ps->relaxed && run_done(ps, "SET synchronous_commit = off", NULL, NULL) != E_OK)
        return E_STORE_UNAVAILABLE;
    return run_done(ps,
                    ps->relaxed ? "SET lock_timeout = '5s'; SET statement_timeout = '30s';"
                                  " SET idle_in_transaction_session_timeout = 0"
                                : "SET synchronous_commit = on; SET lock_timeout = '5s';"
                                  " SET statement_timeout = '30s';"
                                  " SET idle_in_transaction_session_timeout = 0",
                    NULL, NULL);
}

/*
 * Outside a transaction, reconnects when the connection is gone. Returns
 * E_OK or E_STORE_UNAVAILABLE.
 */
static dpa_err
ensure_conn(pg_store *ps)
{
    if (PQstatus(ps->conn) == CONNECTION_OK)
        return E_OK;
    PQreset(ps->conn);
    ps->nprepared = 0; /* a new session has none of them */
    if (PQstatus(ps->conn) != CONNECTION_OK) {
        set_err(ps, PQerrorMessage(ps->conn));
        return E_STORE_UNAVAILABLE;
    }
    if (session_setup(ps) != E_OK)
        return E_STORE_UNAVAILABLE;
    store_log("info", "msg=\"reconnected to PostgreSQL\" db=\"%s@%s:%s/%s\"", PQuser(ps->conn),
              PQhost(ps->conn), PQport(ps->conn), PQdb(ps->conn));
    return E_OK;
}

/*
 * Starts a transaction, reconnecting first when the connection is known to
 * be gone. A server restarted since the last statement shows only when the
 * next one fails: BEGIN has done nothing yet, so it is retried once on a
 * new connection.
 */
static dpa_err
begin_tx(pg_store *ps)
{
    dpa_err e;

    if ((e = ensure_conn(ps)))
        return e;
    e = run_done(ps, "BEGIN", NULL, NULL);
    if (e == E_STORE_UNAVAILABLE && PQstatus(ps->conn) != CONNECTION_OK &&
        (e = ensure_conn(ps)) == E_OK)
        e = run_done(ps, "BEGIN", NULL, NULL);
    return e;
}

/*
 * Each operation is atomic: outside store_begin it runs in a transaction of
 * its own (the CLI, the tests). Inside one, a connection that dropped fails
 * the operation; it is never re-established in the middle of a transaction.
 */
static dpa_err
op_begin(pg_store *ps, bool *own)
{
    dpa_err e;

    *own = false;
    if (ps->in_tx)
        return PQstatus(ps->conn) == CONNECTION_OK ? E_OK : E_STORE_UNAVAILABLE;
    if ((e = begin_tx(ps)))
        return e;
    *own = true;
    return E_OK;
}

/* Runs COMMIT; a transaction that the server rolled back instead is an error. */
static dpa_err
commit(pg_store *ps)
{
    dpa_err e;
    PGresult *res = run(ps, "COMMIT", NULL, &e);

    if (res && strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        set_err(ps, "the transaction was rolled back (an earlier statement in it failed)");
        e = E_INTERNAL;
    }
    PQclear(res);
    return e;
}

static dpa_err
op_end(pg_store *ps, bool own, dpa_err e)
{
    if (!own)
        return e;
    if (e == E_OK)
        return commit(ps);
    if (PQstatus(ps->conn) == CONNECTION_OK)
        run_done(ps, "ROLLBACK", NULL, NULL);
    return e;
}

/* ---- what postgres_events.c uses (postgres_int.h) ---- */

PGresult *
pg_query(store *s, const char *sql, const params *p, dpa_err *e)
{
    return run(PS(s), sql, p, e);
}

dpa_err
pg_exec_params(store *s, const char *sql, const params *p, int *changes)
{
    return run_done(PS(s), sql, p, changes);
}

dpa_err
pg_op_begin(store *s, bool *own)
{
    return op_begin(PS(s), own);
}

dpa_err
pg_op_end(store *s, bool own, dpa_err e)
{
    return op_end(PS(s), own, e);
}

dpa_err
pg_read_ready(store *s)
{
    return PS(s)->in_tx ? E_OK : ensure_conn(PS(s));
}

static dpa_err
pg_relax(store *s)
{
    PS(s)->relaxed = true;
    return run_done(PS(s), "SET synchronous_commit = off", NULL, NULL);
}

static void
pg_close(store *s)
{
    PQfinish(PS(s)->conn);
    free(s);
}

static const char *
pg_errmsg(store *s)
{
    return PS(s)->err;
}

/*
 * Transaction control from store.c (SQLite's dialect): BEGIN IMMEDIATE is
 * BEGIN here; savepoints are the same. A lost connection is re-established
 * at BEGIN only.
 */
static dpa_err
pg_exec(store *s, const char *sql)
{
    pg_store *ps = PS(s);
    dpa_err e;

    if (strncmp(sql, "BEGIN", 5) == 0) {
        ps->in_tx = false;
        if ((e = begin_tx(ps)))
            return e;
        ps->in_tx = true;
        return E_OK;
    }
    if (strcmp(sql, "COMMIT") == 0) {
        ps->in_tx = false;
        return commit(ps);
    }
    if (strcmp(sql, "ROLLBACK") == 0) {
        ps->in_tx = false;
        /* A dropped connection took its transaction with it. */
        if (PQstatus(ps->conn) != CONNECTION_OK)
            return E_OK;
    }
    return run_done(ps, sql, NULL, NULL);
}

static dpa_err
migrate(pg_store *ps, char *errbuf, size_t errlen)
{
    int version = 0, i, n = (int)(sizeof(migrations) / sizeof(migrations[0]));
    PGresult *res;
    params p;
    dpa_err e;

    if ((e = run_done(ps, "BEGIN", NULL, NULL)))
        goto fail;
    /* Processes starting together migrate one at a time. */
    if ((e = run_done(ps, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", NULL, NULL)) ||
        (e = run_done(ps,
                      "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
                      NULL, NULL)))
        goto fail;
    if (!(res = run(ps, "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL, &e)))
        goto fail;
    version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (version > n) {
        run_done(ps, "ROLLBACK", NULL, NULL);
        snprintf(errbuf, errlen, "the database has schema version %d; this build knows %d",
                 version, n);
        return E_INTERNAL;
    }
    for (i = version; i < n; i++) {
        memset(&p, 0, sizeof(p));
        p_int(&p, i + 1);
        p_int(&p, now_ms());
        if ((e = run_done(ps, migrations[i], NULL, NULL)) ||
            (e = run_done(ps, "INSERT INTO schema_migrations VALUES ($1, $2)", &p, NULL)))
            goto fail;
    }
    if ((e = commit(ps)))
        goto fail;
    return E_OK;
fail:
    snprintf(errbuf, errlen, "database migration failed: %s", ps->err);
    if (PQstatus(ps->conn) == CONNECTION_OK)
        run_done(ps, "ROLLBACK", NULL, NULL);
    return e == E_STORE_UNAVAILABLE ? e : E_INTERNAL;
}

/* Replaces every occurrence of the n bytes at secret in msg (a buffer of len) with "***". */
static void
mask(char *msg, size_t len, const char *secret, size_t n)
{
    char *from = msg, *hit;

    if (n == 0)
        return;
    while ((hit = memmem(from, strlen(from), secret, n))) {
        size_t at = (size_t)(hit - msg), tail = strlen(hit + n) + 1;

        if (at + 3 >= len) {
            hit[0] = '\0';
            return;
        }
        if (at + 3 + tail > len)
            tail = len - at - 3; /* a longer message is cut, never overflowed */
        memmove(hit + 3, hit + n, tail);
        memcpy(hit, "***", 3);
        msg[len - 1] = '\0';
        from = hit + 3;
    }
}

/*
 * Masks the URL's password in msg: libpq quotes a URL it cannot parse. The
 * password is what follows "user:" before "@" in the authority, and any
 * password=... parameter.
 */
static void
redact(char *msg, size_t len, const char *url)
{
    const char *auth = strstr(url, "://"), *end, *colon, *q;

    if (auth) {
        auth += 3;
        end = auth + strcspn(auth, "/?");
        q = memchr(auth, '@', (size_t)(end - auth));
        /* the last '@' of the authority ends the user info */
        while (q && memchr(q + 1, '@', (size_t)(end - q - 1)))
            q = memchr(q + 1, '@', (size_t)(end - q - 1));
        colon = q ? memchr(auth, ':', (size_t)(q - auth)) : NULL;
        if (colon)
            mask(msg, len, colon + 1, (size_t)(q - colon - 1));
    }
    for (q = strstr(url, "password="); q; q = strstr(q + 1, "password=")) {
        q += 9;
        mask(msg, len, q, strcspn(q, "&"));
    }
}

static const struct store_ops postgres_ops;

dpa_err
postgres_store_open(const char *url, store **out, char *errbuf, size_t errlen)
{
    /* Defaults first: the URL may override any of them. */
    const char *keys[] = {"connect_timeout", "application_name", "client_encoding",
                          "keepalives_idle", "keepalives_interval", "keepalives_count",
                          "tcp_user_timeout", "dbname", NULL};
    const char *vals[] = {"5", "droponaird", "UTF8", "10", "5", "3", "15000", url, NULL};
    pg_store *ps = xcalloc(1, sizeof(*ps));
    dpa_err e;

    ps->base.ops = &postgres_ops;
    ps->changes_seen = -1;
    ps->conn = PQconnectdbParams(keys, vals, 1);
    if (!ps->conn) {
        snprintf(errbuf, errlen, "postgres: out of memory");
        free(ps);
        return E_INTERNAL;
    }
    if (PQstatus(ps->conn) != CONNECTION_OK) {
        const char *user = PQuser(ps->conn), *host = PQhost(ps->conn);
        const char *port = PQport(ps->conn), *db = PQdb(ps->conn);

        set_err(ps, PQerrorMessage(ps->conn));
        /* The URL itself may be malformed: then libpq knows no host. */
        if (host && *host)
            snprintf(errbuf, errlen, "cannot connect to PostgreSQL %s@%s:%s/%s: %s",
                     user ? user : "", host, port ? port : "", db ? db : "", ps->err);
        else
            snprintf(errbuf, errlen, "cannot connect to PostgreSQL: %s", ps->err);
        redact(errbuf, errlen, url);
        pg_close(&ps->base);
        return E_STORE_UNAVAILABLE;
    }
    if (session_setup(ps) != E_OK) {
        snprintf(errbuf, errlen, "cannot set up the PostgreSQL session: %s", ps->err);
        pg_close(&ps->base);
        return E_STORE_UNAVAILABLE;
    }
    if ((e = migrate(ps, errbuf, errlen)) != E_OK) {
        pg_close(&ps->base);
        return e;
    }
    *out = &ps->base;
    return E_OK;
}

/* PostgreSQL keeps its own files; there are none here to watch or save. */
static dpa_err
pg_check_files(store *s, char *why, size_t len)
{
    return E_OK;
}

static dpa_err
pg_salvage(store *s, int64_t now, char *copy, size_t len)
{
    snprintf(copy, len, "a PostgreSQL store has no files of its own to save");
    return E_STORE_UNAVAILABLE;
}

/* A real write in its own transaction: does the server take writes again? */
static dpa_err
pg_probe(store *s, int64_t now)
{
    pg_store *ps = PS(s);
    params p = {0};
    bool own;
    dpa_err e;

    if (ps->in_tx)
        return E_INTERNAL;
    if ((e = op_begin(ps, &own)))
        return e;
    p_int(&p, now);
    e = run_done(ps,
                 "INSERT INTO store_probe (id, at) VALUES (1, $1)"
                 " ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at",
                 &p, NULL);
    return op_end(ps, own, e);
}

/* ---- apps and keys ---- */

static dpa_err
pg_app_insert(store *s, const char *app_id, const char *name, const char *plan_name, int64_t now)
{
    params p = {0};
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    p_text(&p, app_id);
    p_text(&p, name);
    p_text(&p, plan_name);
    p_int(&p, now);
    e = run_done(PS(s), "INSERT INTO apps (app_id, name, plan, created_at) VALUES ($1, $2, $3, $4)",
                 &p, NULL);
    return op_end(PS(s), own, e);
}

static dpa_err
pg_app_set_plan(store *s, const char *app_id, const char *plan_name)
{
    params p = {0};
    int changes = 0;
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    p_text(&p, app_id);
    p_text(&p, plan_name);
    e = run_done(PS(s), "UPDATE apps SET plan = $2 WHERE app_id = $1", &p, &changes);
    if (e == E_OK && changes == 0)
        e = E_NOT_FOUND;
    return op_end(PS(s), own, e);
}

static dpa_err
pg_key_insert(store *s, const char *kid, const char *app_id, const char *secret, int64_t now)
{
    params p = {0};
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    p_text(&p, kid);
    p_text(&p, app_id);
    p_text(&p, secret);
    p_int(&p, now);
    e = run_done(PS(s),
                 "INSERT INTO app_keys (kid, app_id, secret, created_at) VALUES ($1, $2, $3, $4)",
                 &p, NULL);
    return op_end(PS(s), own, e);
}

/* Counts under a lock on the app's row: two removals cannot both leave it keyless. */
static dpa_err
key_delete(pg_store *ps, const char *app_id, const char *kid)
{
    params p = {0};
    PGresult *res;
    int total, mine;
    dpa_err e;

    p_text(&p, app_id);
    if ((e = run_done(ps, "SELECT 1 FROM apps WHERE app_id = $1 FOR UPDATE", &p, NULL)))
        return e;
    p_text(&p, kid);
    if (!(res = run(ps,
                    "SELECT count(*), count(*) FILTER (WHERE kid = $2) FROM app_keys"
                    " WHERE app_id = $1",
                    &p, &e)))
        return e;
    total = atoi(PQgetvalue(res, 0, 0));
    mine = atoi(PQgetvalue(res, 0, 1));
    PQclear(res);
    if (!mine)
        return E_NOT_FOUND;
    if (total <= 1)
        return E_FORBIDDEN;
    return run_done(ps, "DELETE FROM app_keys WHERE app_id = $1 AND kid = $2", &p, NULL);
}

static dpa_err
pg_key_delete(store *s, const char *app_id, const char *kid)
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, key_delete(PS(s), app_id, kid));
}

static dpa_err
pg_apps_load(store *s, app_registry **out)
{
    app_registry *reg = apps_new();
    PGresult *res;
    bool own;
    dpa_err e;
    int i;

    *out = NULL;
    /* Apps before keys: a key read without its app is only unknown until the next reload. */
    if ((e = op_begin(PS(s), &own)))
        goto fail;
    if (!(res = run(PS(s), "SELECT app_id, name, plan, created_at FROM apps", NULL, &e)))
        goto fail_tx;
    for (i = 0; i < PQntuples(res); i++)
        apps_add(reg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                 atoll(PQgetvalue(res, i, 3)));
    PQclear(res);
    if (!(res = run(PS(s), "SELECT kid, app_id, secret, created_at FROM app_keys", NULL, &e)))
        goto fail_tx;
    for (i = 0; i < PQntuples(res); i++)
        apps_add_key(reg, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                     atoll(PQgetvalue(res, i, 3)));
    PQclear(res);
    if ((e = op_end(PS(s), own, E_OK)))
        goto fail;
    *out = reg;
    return E_OK;
fail_tx:
    op_end(PS(s), own, e);
fail:
    apps_free(reg);
    return e;
}

static dpa_err
pg_changed(store *s, bool *changed)
{
    pg_store *ps = PS(s);
    PGresult *res;
    int64_t v;
    dpa_err e;

    *changed = false;
    if (!ps->in_tx && (e = ensure_conn(ps)))
        return e;
    if (!(res = run(ps, "SELECT version FROM app_changes WHERE id = 1", NULL, &e)))
        return e;
    v = PQntuples(res) ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    *changed = v != ps->changes_seen;
    ps->changes_seen = v;
    return E_OK;
}

/* ---- rooms ---- */

static dpa_err
insert_hosts(pg_store *ps, const room *r)
{
    dpa_err e;
    int i;

    for (i = 0; i < r->nhosts; i++) {
        params p = {0};

        p_text(&p, r->app_id);
        p_text(&p, r->hosts[i]);
        p_int(&p, r->created_at);
        p_text(&p, r->id);
        if ((e = run_done(ps,
                          "INSERT INTO room_hosts (app_id, user_id, created_at, room_id)"
                          " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                          &p, NULL)))
            return e;
    }
    return E_OK;
}

/* The room's columns from name on, as $3.. for insert and update. */
static void
room_params(params *p, const room *r, const char *hosts)
{
    p_text(p, r->name);
    p_text(p, hosts);
    p_opt_int(p, r->start_at);
    p_opt_int(p, r->end_at);
    p_text(p, room_status_name(r->status));
    p_bool(p, r->policy.waiting_room);
    p_bool(p, r->policy.require_host);
    p_opt_int(p, r->policy.max_participants ? r->policy.max_participants : -1);
    p_bool(p, r->policy.auto_close);
    p_text(p, r->metadata);
    p_int(p, r->updated_at);
    p_int(p, r->version);
}

/*
 * The app's room count, locked until the transaction ends: every process
 * inserting into the same app waits here, so the limit stays exact.
 */
static dpa_err
room_insert(pg_store *ps, const room *r, int64_t max_rooms)
{
    params p = {0};
    PGresult *res;
    char *hosts;
    int64_t count;
    dpa_err e;

    p_text(&p, r->app_id);
    if ((e = run_done(ps,
                      "INSERT INTO app_room_counts (app_id, rooms) VALUES ($1, 0)"
                      " ON CONFLICT (app_id) DO NOTHING",
                      &p, NULL)))
        return e;
    if (!(res = run(ps, "SELECT rooms FROM app_room_counts WHERE app_id = $1 FOR UPDATE", &p,
                    &e)))
        return e;
    count = PQntuples(res) ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    if (count >= max_rooms)
        return E_ROOM_LIMIT_REACHED;
    memset(&p, 0, sizeof(p));
    hosts = store_hosts_json(r);
    p_text(&p, r->id);
    p_text(&p, r->app_id);
    p_text(&p, r->created_by);
    p_int(&p, r->created_at);
    room_params(&p, r, hosts);
    e = run_done(ps,
                 "INSERT INTO rooms (room_id, app_id, created_by, created_at, name, hosts,"
                 " scheduled_start_at, scheduled_end_at, status, waiting_room, require_host,"
                 " max_participants, auto_close, metadata, updated_at, version)"
                 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                 &p, NULL);
    free(hosts);
    if (e == E_OK)
        e = insert_hosts(ps, r);
    if (e == E_OK) {
        memset(&p, 0, sizeof(p));
        p_text(&p, r->app_id);
        e = run_done(ps, "UPDATE app_room_counts SET rooms = rooms + 1 WHERE app_id = $1", &p,
                     NULL);
    }
    return e;
}

static dpa_err
pg_room_insert(store *s, const room *r, int64_t max_rooms)
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, room_insert(PS(s), r, max_rooms));
}

/* Builds a room from row i of a ROOM_COLS result. */
static room *
row_room(PGresult *res, int i)
{
    room *r = room_new();
    struct json_object *hosts = NULL;
    const char *h = PQgetvalue(res, i, 4);
    size_t k;

    snprintf(r->id, sizeof(r->id), "%s", PQgetvalue(res, i, 0));
    free(r->app_id);
    r->app_id = xstrdup(PQgetvalue(res, i, 1));
    free(r->name);
    r->name = xstrdup(PQgetvalue(res, i, 2));
    free(r->created_by);
    r->created_by = xstrdup(PQgetvalue(res, i, 3));
    if (json_parse(h, strlen(h), &hosts) == E_OK && json_object_is_type(hosts, json_type_array)) {
        const char *list[ROOM_HOSTS_MAX + 1];
        int n = 0;
        for (k = 0; k < json_object_array_length(hosts) && n <= ROOM_HOSTS_MAX; k++)
            list[n++] = json_object_get_string(json_object_array_get_idx(hosts, k));
        room_set_hosts(r, list, n);
    }
    json_object_put(hosts);
    r->start_at = PQgetisnull(res, i, 5) ? -1 : atoll(PQgetvalue(res, i, 5));
    r->end_at = PQgetisnull(res, i, 6) ? -1 : atoll(PQgetvalue(res, i, 6));
    r->status = strcmp(PQgetvalue(res, i, 7), "CLOSED") == 0 ? ROOM_CLOSED : ROOM_ACTIVE;
    r->policy.waiting_room = PQgetvalue(res, i, 8)[0] == 't';
    r->policy.require_host = PQgetvalue(res, i, 9)[0] == 't';
    r->policy.max_participants = PQgetisnull(res, i, 10) ? 0 : atoi(PQgetvalue(res, i, 10));
    r->policy.auto_close = PQgetvalue(res, i, 11)[0] == 't';
    free(r->metadata);
    r->metadata = xstrdup(PQgetvalue(res, i, 12));
    r->created_at = atoll(PQgetvalue(res, i, 13));
    r->updated_at = atoll(PQgetvalue(res, i, 14));
    r->version = atoll(PQgetvalue(res, i, 15));
    return r;
}

static dpa_err
room_select(store *s, const char *app_id, const char *room_id, bool lock, room **out)
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    *out = NULL;
    if (!PS(s)->in_tx && (e = ensure_conn(PS(s))))
        return e;
    p_text(&p, room_id);
    p_text(&p, app_id);
    if (!(res = run(PS(s),
                    lock ? "SELECT " ROOM_COLS " FROM rooms r WHERE r.room_id = $1 AND r.app_id = $2"
                           " FOR UPDATE"
                         : "SELECT " ROOM_COLS " FROM rooms r WHERE r.room_id = $1 AND r.app_id = $2",
                    &p, &e)))
        return e;
    if (PQntuples(res) == 1)
        *out = row_room(res, 0);
    PQclear(res);
    return *out ? E_OK : E_ROOM_NOT_FOUND;
}

static dpa_err
pg_app_room_count(store *s, const char *app_id, int64_t *out)
{
    pg_store *ps = PS(s);
    params p = {0};
    PGresult *res;
    dpa_err e;

    *out = 0;
    p_text(&p, app_id);
    if (!(res = run(ps, "SELECT rooms FROM app_room_counts WHERE app_id = $1", &p, &e)))
        return e;
    if (PQntuples(res))
        *out = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return E_OK;
}

static dpa_err
pg_room_get(store *s, const char *app_id, const char *room_id, room **out)
{
    return room_select(s, app_id, room_id, false, out);
}

/* The read of a write: the row stays locked until the batch's transaction ends. */
static dpa_err
pg_room_get_for_update(store *s, const char *app_id, const char *room_id, room **out)
{
    return room_select(s, app_id, room_id, true, out);
}

static dpa_err
room_update(pg_store *ps, const room *r)
{
    params p = {0};
    char *hosts = store_hosts_json(r);
    int changes = 0;
    dpa_err e;

    p_text(&p, r->id);
    p_text(&p, r->app_id);
    room_params(&p, r, hosts);
    e = run_done(ps,
                 "UPDATE rooms SET name = $3, hosts = $4, scheduled_start_at = $5,"
                 " scheduled_end_at = $6, status = $7, waiting_room = $8, require_host = $9,"
                 " max_participants = $10, auto_close = $11, metadata = $12, updated_at = $13,"
                 " version = $14 WHERE room_id = $1 AND app_id = $2 AND version = $14 - 1",
                 &p, &changes);
    free(hosts);
    /*
     * Every write moves the version by one from what it read (for update);
     * a row that moved meanwhile is not overwritten (a guard: the lock
     * taken by the read already orders writers).
     */
    if (e == E_OK && changes == 0)
        return E_PRECONDITION_FAILED;
    if (e == E_OK) {
        memset(&p, 0, sizeof(p));
        p_text(&p, r->id);
        e = run_done(ps, "DELETE FROM room_hosts WHERE room_id = $1", &p, NULL);
    }
    return e == E_OK ? insert_hosts(ps, r) : e;
}

static dpa_err
pg_room_update(store *s, const room *r)
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, room_update(PS(s), r));
}

static dpa_err
room_delete(pg_store *ps, const char *app_id, const char *room_id)
{
    params p = {0};
    int changes = 0;
    dpa_err e;

    p_text(&p, room_id);
    p_text(&p, app_id);
    if ((e = run_done(ps, "DELETE FROM rooms WHERE room_id = $1 AND app_id = $2", &p, &changes)))
        return e;
    if (changes == 0)
        return E_ROOM_NOT_FOUND;
    memset(&p, 0, sizeof(p));
    p_text(&p, app_id);
    return run_done(ps, "UPDATE app_room_counts SET rooms = rooms - 1 WHERE app_id = $1", &p,
                    NULL);
}

static dpa_err
pg_room_delete(store *s, const char *app_id, const char *room_id)
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, room_delete(PS(s), app_id, room_id));
}

static dpa_err
pg_rooms_count(store *s, int64_t *count)
{
    PGresult *res;
    dpa_err e;

    *count = 0;
    if (!PS(s)->in_tx && (e = ensure_conn(PS(s))))
        return e;
    if (!(res = run(PS(s), "SELECT count(*) FROM rooms", NULL, &e)))
        return e;
    *count = atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return E_OK;
}

static dpa_err
pg_room_list(store *s, const char *app_id, const char *user_id, int status,
             int64_t after_created, const char *after_id, int limit, room_page *page)
{
    params p = {0};
    PGresult *res;
    dpa_err e;
    int i, n;

    if (!PS(s)->in_tx && (e = ensure_conn(PS(s))))
        return e;
    p_text(&p, app_id);
    p_text(&p, user_id);
    p_int(&p, after_created < 0 ? INT64_MAX : after_created);
    p_text(&p, after_created < 0 ? "" : after_id);
    p_text(&p, status < 0 ? NULL : room_status_name((room_status)status));
    p_int(&p, limit + 1);
    if (!(res = run(PS(s),
                    "SELECT " ROOM_COLS " FROM room_hosts h JOIN rooms r ON r.room_id = h.room_id"
                    " WHERE h.app_id = $1 AND h.user_id = $2"
                    " AND (h.created_at, h.room_id) < ($3::bigint, $4::text)"
                    " AND ($5::text IS NULL OR r.status = $5::text)"
                    " ORDER BY h.created_at DESC, h.room_id DESC LIMIT $6",
                    &p, &e)))
        return e;
    n = PQntuples(res);
    page->rooms = xcalloc((size_t)limit + 1, sizeof(room *));
    for (i = 0; i < n; i++) {
        if (page->count == limit) {
            page->more = true;
            break;
        }
        page->rooms[page->count++] = row_room(res, i);
    }
    PQclear(res);
    return E_OK;
}

/* ---- idempotency ---- */

static dpa_err
pg_idem_get(store *s, const char *app_id, const char *user_id, const char *key, int64_t now,
            idem_record *out)
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    if (!PS(s)->in_tx && (e = ensure_conn(PS(s))))
        return e;
    p_text(&p, app_id);
    p_text(&p, user_id);
    p_text(&p, key);
    /*
     * Inside a transaction the key is locked until it ends: a retry racing
     * on another process waits for this one's record instead of making a
     * second room. (Keys whose hashes collide only wait for each other.)
     */
    if (PS(s)->in_tx &&
        (e = run_done(PS(s),
                      "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3, 0))",
                      &p, NULL)))
        return e;
    p_int(&p, now - IDEM_TTL_MS);
    if (!(res = run(PS(s),
                    "SELECT request_hash, status, body, room_id FROM idempotency"
                    " WHERE app_id = $1 AND user_id = $2 AND key = $3 AND created_at > $4",
                    &p, &e)))
        return e;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return E_NOT_FOUND;
    }
    snprintf(out->request_hash, sizeof(out->request_hash), "%s", PQgetvalue(res, 0, 0));
    out->status = atoi(PQgetvalue(res, 0, 1));
    out->body = xstrdup(PQgetvalue(res, 0, 2));
    out->room_id = PQgetisnull(res, 0, 3) ? NULL : xstrdup(PQgetvalue(res, 0, 3));
    PQclear(res);
    return E_OK;
}

static dpa_err
idem_put(pg_store *ps, const char *app_id, const char *user_id, const char *key,
         const idem_record *rec, int64_t now)
{
    params p = {0};
    dpa_err e;

    p_int(&p, now - IDEM_TTL_MS);
    if ((e = run_done(ps, "DELETE FROM idempotency WHERE created_at <= $1", &p, NULL)))
        return e;
    memset(&p, 0, sizeof(p));
    p_text(&p, app_id);
    p_text(&p, user_id);
    p_text(&p, key);
    p_text(&p, rec->request_hash);
    p_int(&p, rec->status);
    p_text(&p, rec->body);
    p_text(&p, rec->room_id);
    p_int(&p, now);
    return run_done(ps,
                    "INSERT INTO idempotency (app_id, user_id, key, request_hash, status, body,"
                    " room_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    " ON CONFLICT (app_id, user_id, key) DO UPDATE SET"
                    " request_hash = EXCLUDED.request_hash, status = EXCLUDED.status,"
                    " body = EXCLUDED.body, room_id = EXCLUDED.room_id,"
                    " created_at = EXCLUDED.created_at",
                    &p, NULL);
}

static dpa_err
pg_idem_put(store *s, const char *app_id, const char *user_id, const char *key,
            const idem_record *rec, int64_t now)
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, idem_put(PS(s), app_id, user_id, key, rec, now));
}

/* ---- calls ---- */

/*
 * Fencing (store.h) is one conditional UPDATE of the room's call_epoch: it
 * locks the row until the transaction ends, and a writer that waited on
 * that lock re-checks "call_epoch <= $epoch" against the committed row, so
 * an old owner queued behind a new owner's fence is refused. When no row
 * was raised, a second read tells a higher epoch (E_FENCED) from a room
 * that is not there (E_ROOM_NOT_FOUND).
 */
static dpa_err
fence_room(pg_store *ps, const char *app_id, const char *room_id, int64_t epoch)
{
    params p = {0};
    PGresult *res;
    int changes = 0;
    bool found;
    dpa_err e;

    p_text(&p, room_id);
    p_text(&p, app_id);
    p_int(&p, epoch);
    if ((e = run_done(ps,
                      "UPDATE rooms SET call_epoch = $3"
                      " WHERE room_id = $1 AND app_id = $2 AND call_epoch <= $3",
                      &p, &changes)))
        return e;
    if (changes > 0)
        return E_OK;
    p.n = 2;
    if (!(res = run(ps, "SELECT 1 FROM rooms WHERE room_id = $1 AND app_id = $2", &p, &e)))
        return e;
    found = PQntuples(res) > 0;
    PQclear(res);
    return found ? E_FENCED : E_ROOM_NOT_FOUND;
}

/* fence_room for the room of call_id; an unknown call or a room gone fences nothing. */
static dpa_err
fence_call(pg_store *ps, const char *call_id, int64_t epoch)
{
    params p = {0};
    PGresult *res;
    int changes = 0;
    bool found;
    dpa_err e;

    p_text(&p, call_id);
    p_int(&p, epoch);
    if ((e = run_done(ps,
                      "UPDATE rooms r SET call_epoch = $2 FROM calls c"
                      " WHERE c.call_id = $1 AND r.room_id = c.room_id AND r.app_id = c.app_id"
                      " AND r.call_epoch <= $2",
                      &p, &changes)))
        return e;
    if (changes > 0)
        return E_OK;
    p.n = 1;
    if (!(res = run(ps,
                    "SELECT 1 FROM calls c JOIN rooms r"
                    " ON r.room_id = c.room_id AND r.app_id = c.app_id WHERE c.call_id = $1",
                    &p, &e)))
        return e;
    found = PQntuples(res) > 0;
    PQclear(res);
    return found ? E_FENCED : E_OK;
}

static dpa_err
call_open(pg_store *ps, const char *call_id, const char *app_id, const char *room_id,
          int64_t started_at, int64_t epoch)
{
    params p = {0};
    dpa_err e;

    if (epoch > 0 && (e = fence_room(ps, app_id, room_id, epoch)) && e != E_ROOM_NOT_FOUND)
        return e;
    p_text(&p, call_id);
    p_text(&p, app_id);
    p_text(&p, room_id);
    p_int(&p, started_at);
    return run_done(ps,
                    "INSERT INTO calls (call_id, app_id, room_id, started_at)"
                    " VALUES ($1, $2, $3, $4)",
                    &p, NULL);
}

static dpa_err
pg_call_open(store *s, const char *call_id, const char *app_id, const char *room_id,
             int64_t started_at, int64_t epoch)
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, call_open(PS(s), call_id, app_id, room_id, started_at, epoch));
}

static dpa_err
call_close(pg_store *ps, const char *call_id, int64_t ended_at, const char *reason, int peak,
           int64_t epoch)
{
    params p = {0};
    dpa_err e;

    if (epoch > 0 && (e = fence_call(ps, call_id, epoch)))
        return e;
    p_text(&p, call_id);
    p_int(&p, ended_at);
    p_text(&p, reason);
    p_int(&p, peak);
    return run_done(ps,
                    "UPDATE calls SET ended_at = $2, end_reason = $3,"
                    " peak_participants = greatest(peak_participants, $4)"
                    " WHERE call_id = $1 AND ended_at IS NULL",
                    &p, NULL);
}

static dpa_err
pg_call_close(store *s, const char *call_id, int64_t ended_at, const char *reason, int peak,
              int64_t epoch)
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, call_close(PS(s), call_id, ended_at, reason, peak, epoch));
}

static dpa_err
call_fence(pg_store *ps, const char *app_id, const char *room_id, int64_t epoch,
           char open_call_id[CALL_ID_MAX])
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    if ((e = fence_room(ps, app_id, room_id, epoch)))
        return e;
    p_text(&p, room_id);
    p_text(&p, app_id);
    if (!(res = run(ps,
                    "SELECT call_id FROM calls"
                    " WHERE room_id = $1 AND app_id = $2 AND ended_at IS NULL"
                    " ORDER BY started_at DESC, call_id COLLATE \"C\" DESC LIMIT 1",
                    &p, &e)))
        return e;
    if (PQntuples(res) == 1)
        snprintf(open_call_id, CALL_ID_MAX, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return E_OK;
}

static dpa_err
pg_call_fence(store *s, const char *app_id, const char *room_id, int64_t epoch,
              char open_call_id[CALL_ID_MAX])
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, call_fence(PS(s), app_id, room_id, epoch, open_call_id));
}

/* fence_call as an op: its own transaction outside store_begin. */
static dpa_err
pg_fence_call(store *s, const char *call_id, int64_t epoch)
{
    bool own;
    dpa_err e;

    if ((e = op_begin(PS(s), &own)))
        return e;
    return op_end(PS(s), own, fence_call(PS(s), call_id, epoch));
}

static dpa_err
pg_open_calls(store *s, store_call_ref **out, int *n)
{
    store_call_ref *refs;
    PGresult *res;
    dpa_err e;
    int i;

    *out = NULL;
    *n = 0;
    if (!PS(s)->in_tx && (e = ensure_conn(PS(s))))
        return e;
    if (!(res = run(PS(s),
                    "SELECT call_id, app_id, room_id FROM calls WHERE ended_at IS NULL"
                    " ORDER BY started_at, call_id COLLATE \"C\"",
                    NULL, &e)))
        return e;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return E_OK;
    }
    refs = xcalloc((size_t)PQntuples(res), sizeof(*refs));
    for (i = 0; i < PQntuples(res); i++) {
        snprintf(refs[i].call_id, sizeof(refs[i].call_id), "%s", PQgetvalue(res, i, 0));
        snprintf(refs[i].app_id, sizeof(refs[i].app_id), "%s", PQgetvalue(res, i, 1));
        snprintf(refs[i].room_id, sizeof(refs[i].room_id), "%s", PQgetvalue(res, i, 2));
    }
    *n = PQntuples(res);
    *out = refs;
    PQclear(res);
    return E_OK;
}

static dpa_err
pg_room_status(store *s, const char *app_id, const char *room_id, int *status)
{
    params p = {0};
    PGresult *res;
    dpa_err e;

    if (!PS(s)->in_tx && (e = ensure_conn(PS(s))))
        return e;
    p_text(&p, room_id);
    p_text(&p, app_id);
    if (!(res = run(PS(s), "SELECT status FROM rooms WHERE room_id = $1 AND app_id = $2", &p,
                    &e)))
        return e;
    e = PQntuples(res) == 1 ? E_OK : E_ROOM_NOT_FOUND;
    if (e == E_OK)
        *status = strcmp(PQgetvalue(res, 0, 0), "CLOSED") == 0 ? ROOM_CLOSED : ROOM_ACTIVE;
    PQclear(res);
    return e;
}

static const struct store_ops postgres_ops = {
    .close = pg_close,
    .errmsg = pg_errmsg,
    .exec = pg_exec,
    .relax = pg_relax,
    .app_insert = pg_app_insert,
    .app_set_plan = pg_app_set_plan,
    .key_insert = pg_key_insert,
    .key_delete = pg_key_delete,
    .apps_load = pg_apps_load,
    .changed = pg_changed,
    .room_insert = pg_room_insert,
    .room_get = pg_room_get,
    .app_room_count = pg_app_room_count,
    .room_get_for_update = pg_room_get_for_update,
    .room_update = pg_room_update,
    .room_delete = pg_room_delete,
    .rooms_count = pg_rooms_count,
    .room_list = pg_room_list,
    .call_open = pg_call_open,
    .call_close = pg_call_close,
    .call_fence = pg_call_fence,
    .fence_call = pg_fence_call,
    .open_calls = pg_open_calls,
    .room_status = pg_room_status,
    .webhook_set = pgx_webhook_set,
    .webhook_remove = pgx_webhook_remove,
    .webhooks_list = pgx_webhooks_list,
    .webhook_count = pgx_webhook_count,
    .room_seq_next = pgx_room_seq_next,
    .event_insert = pgx_event_insert,
    .deliveries_due = pgx_deliveries_due,
    .deliveries_claim = pgx_deliveries_claim,
    .delivery_finish = pgx_delivery_finish,
    .deliveries_release = pgx_deliveries_release,
    .outbox_stats = pgx_outbox_stats,
    .outbox_purge = pgx_outbox_purge,
    .session_join = pgx_session_join,
    .session_leave = pgx_session_leave,
    .sessions_end = pgx_sessions_end,
    .call_info = pgx_call_info,
    .call_list = pgx_call_list,
    .call_sessions = pgx_call_sessions,
    .history_purge = pgx_history_purge,
    .idem_get = pg_idem_get,
    .idem_put = pg_idem_put,
    .check_files = pg_check_files,
    .probe = pg_probe,
    .salvage = pg_salvage,
};
