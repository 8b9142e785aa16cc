/*
 * The store, run once per backend (DPA_TEST_DB): the conformance cases —
 * apps and keys, rooms, lists, limits, idempotency, calls, reopen — are
 * written once and run against SQLite and against PostgreSQL. Then what is
 * each backend's own: for SQLite, a database whose files go away under it
 * and the worker that notices; for PostgreSQL, the room limit under two
 * racing connections, a server restart, and the server down (503) and back.
 *
 * DPA_TEST_DB: "sqlite" (the default), "postgres" (the cluster that
 * scripts/pg-test.sh started in DPA_TEST_PG_DIR; DPA_TEST_PG_SCRIPT restarts
 * it) or a postgres:// URL. Each PostgreSQL run makes a database of its own.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "core/json.h"
#include "core/util.h"
#include "store/store.h"
#include "store/worker.h"

static char dir[256];
static char url[600];
static plan_set plans;

/* PostgreSQL runs: the server's URL, the test's own database in it, the cluster. */
static bool pg;
static char pg_base[512];
static char pg_db[64];
static const char *pg_dir, *pg_script;

static int pg_admin(const char *dbname, const char *sql);
static int pg_fresh_db(const char *name, char *out, size_t len);

static store *
open_store(void)
{
    char err[STORE_ERR_MAX];
    store *s = NULL;
    assert_int_equal(store_open(url, &s, err, sizeof(err)), E_OK);
    return s;
}

static room *
new_room(const char *app_id, const char *creator, const char *body, int64_t now)
{
    struct json_object *o = NULL;
    dpa_error fe;
    room *r = NULL;

    assert_int_equal(json_parse(body, strlen(body), &o), E_OK);
    assert_int_equal(room_create(o, app_id, creator, plans_find(&plans, "pro"), now, &r, &fe), E_OK);
    json_object_put(o);
    return r;
}

static void
apps_and_keys(void **state)
{
    store *s = open_store();
    app_registry *reg;
    bool changed;
    (void)state;

    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_app_insert(s, "a1", "one", "pro", 1), E_OK);
    assert_int_equal(store_key_insert(s, "k1", "a1", "s1", 1), E_OK);
    assert_int_equal(store_commit(s), E_OK);
    assert_int_equal(store_begin(s), E_OK);
    assert_int_not_equal(store_app_insert(s, "a1", "dup", "pro", 1), E_OK);
    store_rollback(s);

    /* The last key cannot go; with a second one it can. */
    assert_int_equal(store_key_delete(s, "a1", "k1"), E_FORBIDDEN);
    assert_int_equal(store_key_delete(s, "a1", "nope"), E_NOT_FOUND);
    assert_int_equal(store_key_insert(s, "k2", "a1", "s2", 2), E_OK);
    assert_int_equal(store_key_delete(s, "a1", "k1"), E_OK);
    assert_int_equal(store_app_set_plan(s, "a1", "business"), E_OK);
    assert_int_equal(store_app_set_plan(s, "zz", "business"), E_NOT_FOUND);

    assert_int_equal(store_apps_load(s, &reg), E_OK);
    apps_index(reg, &plans);
    assert_int_equal(reg->napps, 1);
    assert_int_equal(reg->nkeys, 1);
    assert_string_equal(apps_find(reg, "a1")->plan->name, "business");
    assert_non_null(apps_find_key(reg, "k2"));
    assert_null(apps_find_key(reg, "k1"));
    apps_free(reg);

    /* data_version moves when another connection commits. */
    assert_int_equal(store_changed(s, &changed), E_OK);
    {
        store *other = open_store();
        assert_int_equal(store_changed(s, &changed), E_OK);
        assert_false(changed);
        assert_int_equal(store_app_insert(other, "a2", "two", "pro", 1), E_OK);
        store_close(other);
    }
    assert_int_equal(store_changed(s, &changed), E_OK);
    assert_true(changed);
    store_close(s);
}

static void
room_lifecycle(void **state)
{
    store *s = open_store();
    room *r = new_room("a1", "alice", "{\"name\":\"n\",\"hosts\":[\"bob\"],\"metadata\":{\"k\":[1]},"
                                      "\"scheduledStartAt\":5,\"policy\":{\"maxParticipants\":3}}",
                       100);
    room *got = NULL;
    int64_t total;
    (void)state;

    assert_int_equal(store_room_insert(s, r, 10), E_OK);
    assert_int_equal(store_room_get(s, "a1", r->id, &got), E_OK);
    assert_string_equal(got->name, "n");
    assert_int_equal(got->nhosts, 2);
    assert_string_equal(got->hosts[1], "bob");
    assert_string_equal(got->metadata, "{\"k\":[1]}");
    assert_int_equal(got->start_at, 5);
    assert_int_equal(got->end_at, -1);
    assert_int_equal(got->policy.max_participants, 3);
    assert_int_equal(got->version, 1);
    room_free(got);

    /* Another app never sees it. */
    assert_int_equal(store_room_get(s, "a2", r->id, &got), E_ROOM_NOT_FOUND);
    assert_null(got);

    r->status = ROOM_CLOSED;
    r->version = 2;
    assert_int_equal(store_room_update(s, r), E_OK);
    assert_int_equal(store_room_get(s, "a1", r->id, &got), E_OK);
    assert_int_equal(got->status, ROOM_CLOSED);
    assert_int_equal(got->version, 2);
    room_free(got);

    assert_int_equal(store_rooms_count(s, &total), E_OK);
    assert_int_equal(total, 1);
    assert_int_equal(store_room_delete(s, "a2", r->id), E_ROOM_NOT_FOUND);
    assert_int_equal(store_room_delete(s, "a1", r->id), E_OK);
    assert_int_equal(store_room_delete(s, "a1", r->id), E_ROOM_NOT_FOUND);
    assert_int_equal(store_rooms_count(s, &total), E_OK);
    assert_int_equal(total, 0);
    room_free(r);
    store_close(s);
}

static void
room_limit_counts_and_frees(void **state)
{
    store *s = open_store();
    room *r[3];
    int64_t n = -1;
    int i;
    (void)state;

    for (i = 0; i < 3; i++)
        r[i] = new_room("lim", "alice", "{}", 100 + i);
    assert_int_equal(store_app_room_count(s, "lim", &n), E_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_room_insert(s, r[0], 2), E_OK);
    assert_int_equal(store_room_insert(s, r[1], 2), E_OK);
    assert_int_equal(store_room_insert(s, r[2], 2), E_ROOM_LIMIT_REACHED);
    assert_int_equal(store_app_room_count(s, "lim", &n), E_OK);
    assert_int_equal(n, 2); /* what the limit counted */
    assert_int_equal(store_room_delete(s, "lim", r[0]->id), E_OK);
    assert_int_equal(store_app_room_count(s, "lim", &n), E_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_room_insert(s, r[2], 2), E_OK);
    assert_int_equal(store_app_room_count(s, "other", &n), E_OK);
    assert_int_equal(n, 0);
    for (i = 0; i < 3; i++)
        room_free(r[i]);
    store_close(s);
}

static void
list_pages_newest_first(void **state)
{
    store *s = open_store();
    room_page page;
    room *r;
    char ids[5][ROOM_ID_MAX];
    int i;
    (void)state;

    for (i = 0; i < 5; i++) {
        /* Two rooms share a createdAt: roomId breaks the tie. */
        r = new_room("lst", i % 2 ? "alice" : "bob", i % 2 ? "{}" : "{\"hosts\":[\"alice\"]}",
                     1000 + (i / 2));
        if (i == 4)
            r->status = ROOM_CLOSED;
        strcpy(ids[i], r->id);
        assert_int_equal(store_room_insert(s, r, 100), E_OK);
        room_free(r);
    }
    r = new_room("lst", "carol", "{}", 5000); /* not alice's */
    assert_int_equal(store_room_insert(s, r, 100), E_OK);
    room_free(r);

    assert_int_equal(store_room_list(s, "lst", "alice", -1, -1, NULL, 2, &page), E_OK);
    assert_int_equal(page.count, 2);
    assert_true(page.more);
    assert_string_equal(page.rooms[0]->id, ids[4]);
    assert_int_equal(page.rooms[1]->created_at, 1001);
    {
        int64_t c = page.rooms[1]->created_at;
        char last[ROOM_ID_MAX];
        strcpy(last, page.rooms[1]->id);
        room_page_free(&page);
        assert_int_equal(store_room_list(s, "lst", "alice", -1, c, last, 10, &page), E_OK);
    }
    assert_int_equal(page.count, 3);
    assert_false(page.more);
    assert_int_equal(page.rooms[0]->created_at, 1001);
    assert_int_equal(page.rooms[2]->created_at, 1000);
    room_page_free(&page);

    assert_int_equal(store_room_list(s, "lst", "alice", ROOM_CLOSED, -1, NULL, 10, &page), E_OK);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.rooms[0]->id, ids[4]);
    room_page_free(&page);
    assert_int_equal(store_room_list(s, "lst", "dave", -1, -1, NULL, 10, &page), E_OK);
    assert_int_equal(page.count, 0);
    room_page_free(&page);
    store_close(s);
}

static void
idempotency_records(void **state)
{
    store *s = open_store();
    idem_record rec = {"abc", 201, "{\"x\":1}", "rm_1"}, got;
    (void)state;

    assert_int_equal(store_idem_get(s, "a", "u", "k", 1000, &got), E_NOT_FOUND);
    assert_int_equal(store_idem_put(s, "a", "u", "k", &rec, 1000), E_OK);
    assert_int_equal(store_idem_get(s, "a", "u", "k", 2000, &got), E_OK);
    assert_string_equal(got.request_hash, "abc");
    assert_int_equal(got.status, 201);
    assert_string_equal(got.body, "{\"x\":1}");
    assert_string_equal(got.room_id, "rm_1");
    idem_record_clear(&got);
    /* Scoped to app and user. */
    assert_int_equal(store_idem_get(s, "a", "v", "k", 2000, &got), E_NOT_FOUND);
    /* Kept 24 hours. */
    assert_int_equal(store_idem_get(s, "a", "u", "k", 1000 + IDEM_TTL_MS, &got), E_NOT_FOUND);
    store_close(s);
}

static void
calls_recorded_and_recovered(void **state)
{
    store *s = open_store();
    room *once = new_room("rc", "alice", "{\"policy\":{\"autoCloseWhenEmpty\":true}}", 10);
    room *keep = new_room("rc", "alice", "{}", 11);
    room *got;
    int ended, closed;
    (void)state;

    assert_int_equal(store_room_insert(s, once, 10), E_OK);
    assert_int_equal(store_room_insert(s, keep, 10), E_OK);
    assert_int_equal(store_call_open(s, "call_a", "rc", once->id, 100, 0), E_OK);
    assert_int_equal(store_call_open(s, "call_b", "rc", keep->id, 100, 0), E_OK);
    assert_int_equal(store_call_open(s, "call_c", "rc", keep->id, 50, 0), E_OK);
    assert_int_equal(store_call_close(s, "call_c", 60, "EMPTY", 2, 0), E_OK);
    assert_int_equal(store_calls_recover(s, 500, &ended, &closed), E_OK);
    assert_int_equal(ended, 2);
    assert_int_equal(closed, 1);
    assert_int_equal(store_room_get(s, "rc", once->id, &got), E_OK);
    assert_int_equal(got->status, ROOM_CLOSED);
    assert_int_equal(got->version, 2);
    room_free(got);
    assert_int_equal(store_room_get(s, "rc", keep->id, &got), E_OK);
    assert_int_equal(got->status, ROOM_ACTIVE);
    room_free(got);
    /* Nothing is left open: a second recovery changes nothing. */
    assert_int_equal(store_calls_recover(s, 600, &ended, &closed), E_OK);
    assert_int_equal(ended + closed, 0);
    room_free(once);
    room_free(keep);
    store_close(s);
}

/* The room's version and updatedAt, which fencing never moves. */
static void
room_stamp(store *s, const char *app_id, const char *room_id, int64_t *version, int64_t *updated)
{
    room *r = NULL;

    assert_int_equal(store_room_get(s, app_id, room_id, &r), E_OK);
    *version = r->version;
    *updated = r->updated_at;
    room_free(r);
}

/* The call a room has open ("" when none), as an owner with epoch finds it. */
static void
expect_open_call(store *s, const char *app_id, const char *room_id, int64_t epoch,
                 const char *want)
{
    char open[CALL_ID_MAX];

    assert_int_equal(store_call_fence(s, app_id, room_id, epoch, open), E_OK);
    assert_string_equal(open, want);
}

/*
 * Fencing: an owner's writes in epoch order go in; an older owner's are
 * refused whole (E_FENCED), whatever it writes; a new owner's fence finds
 * the open call; epoch 0 is the single-node path, never fenced.
 */
static void
calls_fenced_by_epoch(void **state)
{
    store *s = open_store();
    room *r = new_room("fe", "alice", "{}", 10);
    char open[CALL_ID_MAX];
    int64_t v0, u0, v, u;
    int ended, closed;
    (void)state;

    assert_int_equal(store_room_insert(s, r, 10), E_OK);
    room_stamp(s, "fe", r->id, &v0, &u0);

    assert_int_equal(store_call_open(s, "f1", "fe", r->id, 100, 3), E_OK);
    assert_int_equal(store_call_close(s, "f1", 150, "EMPTY", 2, 3), E_OK);
    assert_int_equal(store_call_open(s, "f2", "fe", r->id, 200, 5), E_OK);

    /* The owner of epoch 3 was replaced by 5: its close and its open change nothing. */
    assert_int_equal(store_call_close(s, "f2", 250, "EMPTY", 1, 3), E_FENCED);
    assert_int_equal(store_call_open(s, "f3", "fe", r->id, 300, 4), E_FENCED);
    expect_open_call(s, "fe", r->id, 5, "f2"); /* still open; no f3 (it would be newer) */

    /* A new owner claims with 7: it finds f2, and 5 is refused from now on. */
    assert_int_equal(store_call_fence(s, "fe", r->id, 7, open), E_OK);
    assert_string_equal(open, "f2");
    assert_int_equal(store_call_close(s, "f2", 260, "EMPTY", 1, 5), E_FENCED);
    assert_int_equal(store_call_fence(s, "fe", r->id, 6, open), E_FENCED);
    assert_string_equal(open, "");
    assert_int_equal(store_call_close(s, "f2", 270, "EMPTY", 1, 7), E_OK);
    expect_open_call(s, "fe", r->id, 7, "");

    /* Epoch 0 is neither checked nor recorded. */
    assert_int_equal(store_call_open(s, "f4", "fe", r->id, 400, 0), E_OK);
    expect_open_call(s, "fe", r->id, 7, "f4");
    assert_int_equal(store_call_close(s, "f4", 450, "EMPTY", 1, 0), E_OK);
    expect_open_call(s, "fe", r->id, 7, "");

    /* None of it was a room change; a room change keeps the epoch. */
    room_stamp(s, "fe", r->id, &v, &u);
    assert_int_equal(v, v0);
    assert_int_equal(u, u0);
    r->version = v0 + 1;
    r->updated_at = u0 + 1;
    assert_int_equal(store_room_update(s, r), E_OK);
    assert_int_equal(store_call_open(s, "f5", "fe", r->id, 500, 6), E_FENCED);
    room_stamp(s, "fe", r->id, &v, &u);
    assert_int_equal(v, v0 + 1);
    assert_int_equal(u, u0 + 1);

    /* No such room in the app. An unknown call: nothing to close, as with epoch 0. */
    assert_int_equal(store_call_fence(s, "other", r->id, 9, open), E_ROOM_NOT_FOUND);
    assert_int_equal(store_call_fence(s, "fe", "rm_none", 9, open), E_ROOM_NOT_FOUND);
    assert_int_equal(store_call_close(s, "none", 1, "EMPTY", 0, 9), E_OK);

    /* A deleted room fences nothing: the call it ended is still recorded. */
    assert_int_equal(store_call_open(s, "f6", "fe", r->id, 600, 8), E_OK);
    assert_int_equal(store_room_delete(s, "fe", r->id), E_OK);
    assert_int_equal(store_call_close(s, "f6", 650, "ROOM_DELETED", 1, 2), E_OK);
    assert_int_equal(store_calls_recover(s, 700, &ended, &closed), E_OK);
    assert_int_equal(ended, 0);
    room_free(r);
    store_close(s);
}

/*
 * A fenced call end and its room's auto-close in one transaction, as the
 * server runs them (server/live.c): the room's row, already written by the
 * fence, is read for update and closed; an older owner then changes nothing.
 */
static void
fenced_close_with_auto_close(void **state)
{
    store *s = open_store();
    room *r = new_room("fa", "alice", "{\"policy\":{\"autoCloseWhenEmpty\":true}}", 10);
    room *got = NULL;
    int64_t v, u;
    (void)state;

    assert_int_equal(store_room_insert(s, r, 10), E_OK);
    assert_int_equal(store_call_open(s, "a1", "fa", r->id, 100, 2), E_OK);
    assert_int_equal(store_call_open(s, "a2", "fa", r->id, 90, 0), E_OK);

    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_call_close(s, "a2", 150, "EMPTY", 1, 1), E_FENCED);
    store_rollback(s);
    room_stamp(s, "fa", r->id, &v, &u);
    assert_int_equal(v, 1);

    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_call_close(s, "a1", 200, "EMPTY", 3, 2), E_OK);
    assert_int_equal(store_room_get_for_update(s, "fa", r->id, &got), E_OK);
    assert_int_equal(room_close(got, 200), E_OK);
    assert_int_equal(store_room_update(s, got), E_OK);
    assert_int_equal(store_commit(s), E_OK);
    room_free(got);
    room_stamp(s, "fa", r->id, &v, &u);
    assert_int_equal(v, 2);
    assert_int_equal(u, 200);
    expect_open_call(s, "fa", r->id, 2, "a2");
    assert_int_equal(store_call_close(s, "a2", 300, "EMPTY", 1, 2), E_OK);
    room_free(r);
    store_close(s);
}

/*
 * A database made by the build before fencing (schema version 3: no
 * call_epoch, no migration 4): the migration adds the column at the next
 * start, and what was there is fenced from then on.
 */
static void
epoch_migration_on_old_database(void **state)
{
    /* Back to version 3: what migrations 4 and 5 made goes. */
    const char *downgrade = "ALTER TABLE rooms DROP COLUMN call_epoch;"
                            " DROP TABLE webhook_deliveries; DROP TABLE webhook_events;"
                            " DROP TABLE room_event_seqs; DROP TABLE webhook_endpoints;"
                            " DROP TABLE participant_sessions; DROP INDEX calls_ended;"
                            " DELETE FROM schema_migrations WHERE version >= 4";
    char err[STORE_ERR_MAX], u[600], name[80], open[CALL_ID_MAX];
    room *r = new_room("mg", "alice", "{}", 10);
    int64_t v, up;
    store *s = NULL;
    (void)state;

    if (pg) {
        snprintf(name, sizeof(name), "%s_v3", pg_db);
        assert_int_equal(pg_fresh_db(name, u, sizeof(u)), 0);
    } else {
        snprintf(u, sizeof(u), "sqlite:%s/v3.db", dir);
    }
    assert_int_equal(store_open(u, &s, err, sizeof(err)), E_OK);
    assert_int_equal(store_room_insert(s, r, 10), E_OK);
    assert_int_equal(store_call_open(s, "m1", "mg", r->id, 100, 0), E_OK);
    store_close(s);
    if (pg) {
        assert_int_equal(pg_admin(name, downgrade), 0);
    } else {
        sqlite3 *db;
        assert_int_equal(sqlite3_open(u + 7, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, downgrade, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }

    assert_int_equal(store_open(u, &s, err, sizeof(err)), E_OK);
    assert_int_equal(store_call_fence(s, "mg", r->id, 3, open), E_OK);
    assert_string_equal(open, "m1");
    assert_int_equal(store_call_close(s, "m1", 200, "EMPTY", 1, 2), E_FENCED);
    assert_int_equal(store_call_close(s, "m1", 200, "EMPTY", 1, 3), E_OK);
    room_stamp(s, "mg", r->id, &v, &up);
    assert_int_equal(v, 1);
    assert_int_equal(up, 10);
    store_close(s);
    room_free(r);
    if (pg) {
        snprintf(u, sizeof(u), "DROP DATABASE %s WITH (FORCE)", name);
        assert_int_equal(pg_admin("postgres", u), 0);
    }
}

static void
reopen_keeps_data(void **state)
{
    store *s = open_store();
    app_registry *reg;
    (void)state;

    store_close(s);
    s = open_store(); /* migrations run once */
    assert_int_equal(store_apps_load(s, &reg), E_OK);
    assert_int_equal(reg->napps, 2);
    apps_free(reg);
    store_close(s);
}

static void
bad_urls(void **state)
{
    char err[STORE_ERR_MAX];
    store *s;
    (void)state;

    assert_int_not_equal(store_open("mysql://x", &s, err, sizeof(err)), E_OK);
    assert_null(s);
    assert_int_not_equal(store_open("sqlite:/nonexistent/dir/x.db", &s, err, sizeof(err)), E_OK);
    assert_true(strlen(err) > 0);
    /* A server that is not there: unavailable, and the password is never shown. */
    assert_int_equal(store_open("postgres://u:hunter2@127.0.0.1:1/x", &s, err, sizeof(err)),
                     E_STORE_UNAVAILABLE);
    assert_null(s);
    assert_non_null(strstr(err, "u@127.0.0.1:1/x"));
    assert_null(strstr(err, "hunter2"));
    assert_int_not_equal(store_open("postgresql://u:hunter2@[::1/x", &s, err, sizeof(err)), E_OK);
    assert_null(strstr(err, "hunter2"));
    assert_int_not_equal(store_open("postgresql://u@[::1/x?password=hunter2&sslmode=disable", &s,
                                    err, sizeof(err)),
                         E_OK);
    assert_null(strstr(err, "hunter2"));
    assert_int_not_equal(store_open("mysql://u:hunter2@h/x", &s, err, sizeof(err)), E_OK);
    assert_null(strstr(err, "hunter2"));
}

/* A database whose schema_migrations names a version this build does not know. */
static void
newer_schema_is_refused(void **state)
{
    char err[STORE_ERR_MAX], u[600];
    const char *bump = "INSERT INTO schema_migrations VALUES (99, 0)";
    store *s = NULL;
    (void)state;

    if (pg) {
        char name[80];
        snprintf(name, sizeof(name), "%s_newer", pg_db);
        assert_int_equal(pg_fresh_db(name, u, sizeof(u)), 0);
        assert_int_equal(store_open(u, &s, err, sizeof(err)), E_OK);
        store_close(s);
        assert_int_equal(pg_admin(name, bump), 0);
    } else {
        sqlite3 *db;
        snprintf(u, sizeof(u), "sqlite:%s/newer.db", dir);
        assert_int_equal(store_open(u, &s, err, sizeof(err)), E_OK);
        store_close(s);
        assert_int_equal(sqlite3_open(u + 7, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, bump, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    assert_int_not_equal(store_open(u, &s, err, sizeof(err)), E_OK);
    assert_null(s);
    assert_non_null(strstr(err, "schema version 99"));
}

/* A store on its own file in the test directory: "sqlite:<dir>/<name>". */
static store *
open_named(const char *name, dpa_err want, char *err, size_t errlen)
{
    char u[400];
    store *s = NULL;

    snprintf(u, sizeof(u), "sqlite:%s/%s", dir, name);
    assert_int_equal(store_open(u, &s, err, errlen), want);
    return s;
}

static bool
exists(const char *name)
{
    char p[400];
    struct stat st;

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

static void
remove_named(const char *name)
{
    char p[400];

    snprintf(p, sizeof(p), "%s/%s", dir, name);
    unlink(p);
}

static void
deleted_files_are_noticed_and_saved(void **state)
{
    char err[STORE_ERR_MAX], why[160], copy[1200], from[1300], to[400];
    store *s = open_named("gone.db", E_OK, err, sizeof(err));
    app_registry *reg;
    (void)state;

    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_app_insert(s, "g1", "kept", "pro", 1), E_OK);
    assert_int_equal(store_commit(s), E_OK);
    assert_int_equal(store_check_files(s, why, sizeof(why)), E_OK);

    remove_named("gone.db");
    assert_int_equal(store_check_files(s, why, sizeof(why)), E_STORE_UNAVAILABLE);
    assert_non_null(strstr(why, "deleted"));
    assert_null(strstr(why, dir)); /* shown on /healthz: no paths */

    /* The open database is saved beside the path; the handle is sealed. */
    assert_int_equal(store_salvage(s, 1764068400000, copy, sizeof(copy)), E_OK);
    snprintf(to, sizeof(to), "%s/gone.db.recovered-1764068400", dir);
    assert_string_equal(copy, to);
    assert_true(exists("gone.db.recovered-1764068400"));
    assert_int_equal(store_begin(s), E_STORE_UNAVAILABLE);
    store_close(s);

    /* A start finds the copy and refuses, without making a database. */
    assert_null(open_named("gone.db", E_STORE_UNAVAILABLE, err, sizeof(err)));
    assert_non_null(strstr(err, "gone.db.recovered-1764068400 exists"));
    assert_false(exists("gone.db"));

    /* Moved into place, it is the database as it was. */
    snprintf(from, sizeof(from), "%s", copy);
    snprintf(to, sizeof(to), "%s/gone.db", dir);
    assert_int_equal(rename(from, to), 0);
    s = open_named("gone.db", E_OK, err, sizeof(err));
    assert_int_equal(store_apps_load(s, &reg), E_OK);
    assert_int_equal(reg->napps, 1);
    assert_string_equal(reg->apps[0].app_id, "g1");
    apps_free(reg);
    assert_int_equal(store_probe(s, 5), E_OK);
    store_close(s);
}

static void
missing_database_with_leftovers_is_refused(void **state)
{
    char err[STORE_ERR_MAX], p[400];
    FILE *f;
    store *s;
    (void)state;

    snprintf(p, sizeof(p), "%s/left.db-wal", dir);
    f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    assert_null(open_named("left.db", E_STORE_UNAVAILABLE, err, sizeof(err)));
    assert_non_null(strstr(err, "left.db is missing but"));
    assert_non_null(strstr(err, "left.db-wal exists"));
    assert_false(exists("left.db"));

    /* Without the leftover it is a first start: the database is made. */
    remove_named("left.db-wal");
    s = open_named("left.db", E_OK, err, sizeof(err));
    assert_true(exists("left.db"));
    store_close(s);
}

/* ---- the worker ---- */

typedef struct insert_job {
    store_job job;
    char app_id[16];
    bool done;
} insert_job;

static void
insert_run(store_job *job, store *s)
{
    insert_job *j = (insert_job *)job;
    job->result = store_app_insert(s, j->app_id, "n", "pro", 1);
}

static void
insert_done(store_job *job)
{
    ((insert_job *)job)->done = true;
}

static void
no_wake(void *arg)
{
    (void)arg;
}

/* Submits an app insert and waits for it, this thread playing the loop. */
static dpa_err
insert_via(store_worker *w, const char *app_id)
{
    insert_job j;
    int i;

    memset(&j, 0, sizeof(j));
    j.job.run = insert_run;
    j.job.done = insert_done;
    snprintf(j.app_id, sizeof(j.app_id), "%s", app_id);
    worker_submit(w, &j.job);
    for (i = 0; i < 10000 && !j.done; i++) {
        worker_complete(w);
        if (!j.done)
            usleep(1000);
    }
    assert_true(j.done);
    return j.job.result;
}

static void
worker_acknowledges_nothing_after_deletion(void **state)
{
    char err[STORE_ERR_MAX], why[192];
    store_worker *w = worker_start(open_named("w.db", E_OK, err, sizeof(err)), no_wake, NULL);
    int64_t since = 0;
    (void)state;

    assert_int_equal(insert_via(w, "w1"), E_OK);
    assert_int_equal(worker_health(w, NULL, 0, NULL), STORE_OK);
    remove_named("w.db");
    assert_int_equal(insert_via(w, "w2"), E_STORE_UNAVAILABLE);
    assert_int_equal(worker_health(w, why, sizeof(why), &since), STORE_LOST);
    assert_non_null(strstr(why, "deleted"));
    assert_true(since > 0);
    assert_string_equal(store_health_name(STORE_LOST), "lost");
    /* Lost stays lost: nothing runs any more. */
    assert_int_equal(insert_via(w, "w3"), E_STORE_UNAVAILABLE);
    worker_stop(w);
}

/* ---- the outbox and call history ---- */

/* A membership fact as the live call tells it (core/call.h). */
static call_fact
fact(call_fact_kind kind, const char *call_id, const char *user, call_role role,
     const char *reason, int peak, int64_t at)
{
    call_fact f;

    memset(&f, 0, sizeof(f));
    f.kind = kind;
    f.call_id = call_id;
    f.user_id = user;
    f.name = user;
    f.role = role;
    f.reason = reason;
    f.peak = peak;
    f.position = 1;
    f.at = at;
    return f;
}

static void
record_fact(store *s, const char *app_id, const char *room_id, call_fact f, int64_t at)
{
    assert_int_equal(store_call_fact(s, app_id, room_id, &f, at, 0), E_OK);
}

/* Claims for app_id as owner at now; the batch's (webhook, seq, type) into out. */
static int
claim(store *s, const char *app_id, const char *owner, int64_t now, int limit,
      delivery_batch *b)
{
    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_deliveries_claim(s, app_id, owner, now, now + 1000, limit, b), E_OK);
    assert_int_equal(store_commit(s), E_OK);
    return b->count;
}

/* The type of a claimed delivery's event, from its body. */
static const char *
type_of(const store_delivery *d, char *out, size_t len)
{
    struct json_object *o = NULL;

    assert_int_equal(json_parse(d->body, strlen(d->body), &o), E_OK);
    snprintf(out, len, "%s", json_get_str(o, "type"));
    assert_int_equal(json_get_int(o, "roomSeq", -1), d->room_seq);
    assert_string_equal(json_get_str(o, "id"), d->event_id);
    json_object_put(o);
    return out;
}

static int64_t
pending(store *s)
{
    outbox_stats st;
    assert_int_equal(store_outbox_stats(s, &st), E_OK);
    return st.pending;
}

/*
 * Every write that changes a room or a call writes its events in its own
 * transaction, numbered per room, one delivery per endpoint; an app without
 * endpoints gets none; a write rolled back leaves none.
 */
static void
outbox_events_beside_their_writes(void **state)
{
    store *s = open_store();
    room *quiet = new_room("ob2", "alice", "{}", 10);
    room *r = new_room("ob", "alice", "{}", 20);
    room *extra = new_room("ob", "alice", "{}", 30);
    char wh1[WEBHOOK_ID_MAX], wh2[WEBHOOK_ID_MAX], again[WEBHOOK_ID_MAX], t[40];
    const char *want[] = {"room.created", "room.updated", "room.updated", "room.closed",
                          "call.started", "participant.joined", "participant.joined",
                          "participant.left", "waiting.entered", "waiting.denied",
                          "participant.left", "call.ended", "room.deleted"};
    webhook_list wl;
    delivery_batch b;
    bool created;
    int64_t now = now_ms() + 1000; /* room.deleted is stamped with the clock */
    int i;
    (void)state;

    assert_int_equal(store_app_insert(s, "ob", "ob", "pro", 1), E_OK);
    assert_int_equal(store_app_insert(s, "ob2", "ob2", "pro", 1), E_OK);
    /* No endpoint, no event. */
    assert_int_equal(store_room_insert(s, quiet, 10), E_OK);
    assert_int_equal(pending(s), 0);

    assert_int_equal(store_webhook_set(s, "ob", "http://a/1", "secret-one-xxxxxx", 5, wh1,
                                       &created),
                     E_OK);
    assert_true(created);
    assert_int_equal(store_webhook_set(s, "ob", "http://b/2", "secret-two-xxxxxx", 6, wh2,
                                       &created),
                     E_OK);
    assert_int_equal(store_webhook_set(s, "ob", "http://a/1", "secret-new-xxxxxx", 7, again,
                                       &created),
                     E_OK);
    assert_false(created);
    assert_string_equal(again, wh1);
    assert_int_equal(store_webhooks_list(s, "ob", false, &wl), E_OK);
    assert_int_equal(wl.count, 2);
    assert_null(wl.items[0].secret);
    webhook_list_clear(&wl);
    assert_int_equal(store_webhooks_list(s, NULL, true, &wl), E_OK);
    assert_int_equal(wl.count, 2);
    assert_string_equal(wl.items[0].id, wh1);
    assert_string_equal(wl.items[0].secret, "secret-new-xxxxxx");
    webhook_list_clear(&wl);
    assert_int_equal(store_webhook_remove(s, "ob2", wh1), E_NOT_FOUND);

    /* A write rolled back leaves no event. */
    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_room_insert(s, extra, 10), E_OK);
    store_rollback(s);
    assert_int_equal(pending(s), 0);

    /* One transaction per write, as the worker runs them. */
    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_room_insert(s, r, 10), E_OK);
    assert_int_equal(store_commit(s), E_OK);
    assert_int_equal(pending(s), 2);
    free(r->name);
    r->name = xstrdup("renamed");
    r->version = 2;
    assert_int_equal(store_room_update(s, r), E_OK);
    r->version = 3;
    r->status = ROOM_CLOSED;
    assert_int_equal(store_room_update(s, r), E_OK);   /* updated + closed */
    assert_int_equal(store_call_open(s, "call_o1", "ob", r->id, 100, 0), E_OK);
    record_fact(s, "ob", r->id,
                fact(FACT_JOINED, "call_o1", "alice", ROLE_HOST, NULL, 1, 110), 110);
    record_fact(s, "ob", r->id,
                fact(FACT_JOINED, "call_o1", "bob", ROLE_PARTICIPANT, NULL, 2, 120), 120);
    record_fact(s, "ob", r->id, fact(FACT_LEFT, "call_o1", "bob", 0, "LEFT", 0, 0), 130);
    record_fact(s, "ob", r->id, fact(FACT_WAITING, "call_o1", "carol", 0, NULL, 0, 0), 140);
    record_fact(s, "ob", r->id, fact(FACT_DENIED, "call_o1", "carol", 0, "DENIED", 0, 0), 150);
    assert_int_equal(store_call_close(s, "call_o1", 200, "HOST_ENDED", 2, 0), E_OK);
    assert_int_equal(store_call_close(s, "call_o1", 210, "HOST_ENDED", 2, 0), E_OK); /* once */
    assert_int_equal(store_room_delete(s, "ob", r->id), E_OK);
    assert_int_equal(pending(s), 2 * 13);

    /* Each endpoint gets the room's events one at a time, in order. */
    for (i = 0; i < 13; i++) {
        int k;
        assert_int_equal(claim(s, "ob", "o:1", now, 10, &b), 2);
        for (k = 0; k < 2; k++) {
            assert_int_equal(b.items[k].room_seq, i + 1);
            assert_string_equal(type_of(&b.items[k], t, sizeof(t)), want[i]);
            assert_string_equal(b.items[k].event_id, b.items[0].event_id);
            assert_string_equal(b.items[k].room_id, r->id);
        }
        assert_string_not_equal(b.items[0].webhook_id, b.items[1].webhook_id);
        delivery_batch_clear(&b);
        assert_int_equal(claim(s, "ob", "o:2", now, 10, &b), 0); /* leased, or behind */
        assert_int_equal(store_begin(s), E_OK);
        assert_int_equal(store_deliveries_release(s, "o:1"), E_OK); /* as a restart would */
        assert_int_equal(store_commit(s), E_OK);
        assert_int_equal(claim(s, "ob", "o:3", now, 10, &b), 2);
        assert_int_equal(store_delivery_finish(s, b.items[0].id, "o:3", DELIVERY_DONE, now, 0,
                                               200, NULL), E_OK);
        assert_int_equal(store_delivery_finish(s, b.items[1].id, "o:3", DELIVERY_DONE, now, 0,
                                               204, NULL), E_OK);
        delivery_batch_clear(&b);
    }
    assert_int_equal(pending(s), 0);
    assert_int_equal(claim(s, "ob2", "o:4", now, 10, &b), 0);
    room_free(quiet);
    room_free(r);
    room_free(extra);
    store_close(s);
}

/*
 * Retries wait for next_at and hold the room's later events back; a failed
 * one lets them go; an expired lease is anyone's; an outcome from a lease
 * that is no longer held is not recorded; removing an endpoint drops what
 * it had pending; delivered and failed events are purged when old.
 */
static void
outbox_retries_leases_and_purge(void **state)
{
    store *s = open_store();
    room *r = new_room("or", "alice", "{}", 20);
    char wh[WEBHOOK_ID_MAX], t[40];
    delivery_batch b;
    store_app_ref *apps = NULL;
    outbox_stats st;
    int64_t first;
    bool created;
    int n = 0, purged = 0;
    (void)state;

    assert_int_equal(store_app_insert(s, "or", "or", "pro", 1), E_OK);
    assert_int_equal(store_webhook_set(s, "or", "http://r/", "secret-xxxxxxxxxx", 5, wh,
                                       &created),
                     E_OK);
    assert_int_equal(store_room_insert(s, r, 10), E_OK);                      /* #1 at 20 */
    r->version = 2;
    r->updated_at = 30;
    assert_int_equal(store_room_update(s, r), E_OK);                          /* #2 at 30 */
    assert_int_equal(store_deliveries_due(s, 1000, &apps, &n), E_OK);
    assert_int_equal(n, 1);
    assert_string_equal(apps[0].app_id, "or");
    free(apps);

    assert_int_equal(claim(s, "or", "a:1", 1000, 10, &b), 1);
    assert_int_equal(b.items[0].room_seq, 1);
    assert_int_equal(b.items[0].attempts, 0);
    assert_int_equal(b.items[0].created_at, 20);
    assert_string_equal(b.items[0].url, "http://r/");
    assert_string_equal(b.items[0].secret, "secret-xxxxxxxxxx");
    first = b.items[0].id;
    /* Another owner's outcome is not recorded while a:1 holds it. */
    assert_int_equal(store_delivery_finish(s, first, "zz:1", DELIVERY_RETRY, 1001, 5000, 500,
                                           "HTTP 500"), E_OK);
    delivery_batch_clear(&b);
    assert_int_equal(claim(s, "or", "a:2", 1500, 10, &b), 0); /* still leased to a:1 */
    assert_int_equal(store_delivery_finish(s, first, "a:1", DELIVERY_RETRY, 1001, 5000, 500,
                                           "HTTP 500"), E_OK);
    assert_int_equal(claim(s, "or", "a:3", 4999, 10, &b), 0); /* backing off; #2 waits */
    assert_int_equal(store_deliveries_due(s, 4999, &apps, &n), E_OK);
    while (n > 0)
        assert_string_not_equal(apps[--n].app_id, "or");
    free(apps);
    assert_int_equal(claim(s, "or", "a:4", 5000, 10, &b), 1);
    assert_int_equal(b.items[0].id, first);
    assert_int_equal(b.items[0].attempts, 1);
    delivery_batch_clear(&b);
    /* Its holder crashed: the lease (1000 ms here) expires and it is anyone's. */
    assert_int_equal(claim(s, "or", "b:1", 6001, 10, &b), 1);
    assert_int_equal(b.items[0].id, first);
    assert_int_equal(store_delivery_finish(s, first, "b:1", DELIVERY_FAILED, 6002, 0, 0,
                                           "timed out"), E_OK);
    delivery_batch_clear(&b);
    assert_int_equal(store_outbox_stats(s, &st), E_OK);
    assert_int_equal(st.pending, 1);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.oldest_pending_at, 30);
    /* Given up on, #1 lets #2 go. */
    assert_int_equal(claim(s, "or", "b:2", 6003, 10, &b), 1);
    assert_int_equal(b.items[0].room_seq, 2);
    assert_string_equal(type_of(&b.items[0], t, sizeof(t)), "room.updated");
    assert_int_equal(store_delivery_finish(s, b.items[0].id, "b:2", DELIVERY_DONE, 6004, 0, 200,
                                           NULL), E_OK);
    delivery_batch_clear(&b);

    /* A third event, pending when its endpoint goes: it goes too. */
    r->version = 3;
    assert_int_equal(store_room_update(s, r), E_OK);
    assert_int_equal(pending(s), 1);
    assert_int_equal(store_webhook_remove(s, "or", wh), E_OK);
    assert_int_equal(pending(s), 0);

    /* Done events older than `before` are purged; pending ones never. */
    assert_int_equal(store_webhook_set(s, "or", "http://r2/", "secret-xxxxxxxxxx", 5, wh,
                                       &created),
                     E_OK);
    r->version = 4;
    assert_int_equal(store_room_update(s, r), E_OK);
    assert_int_equal(store_outbox_purge(s, 1000000, 1000, &purged), E_OK);
    assert_true(purged >= 3); /* and what other cases delivered */
    assert_int_equal(pending(s), 1);
    assert_int_equal(store_outbox_stats(s, &st), E_OK);
    assert_int_equal(st.failed, 0);
    room_free(r);
    store_close(s);
}

/*
 * Participant sessions: a join opens one (and raises the call's peak), a
 * leave closes it, the call's end closes the rest; a call reads back with
 * its sessions; lists page newest first; purges take ended calls only;
 * a restart ends what a crash left open; a fenced owner writes nothing.
 */
static void
history_sessions_pages_purge(void **state)
{
    store *s = open_store();
    room *r = new_room("hi", "alice", "{}", 10);
    call_record c;
    call_page page;
    int ended, closed, purged;
    call_fact f;
    (void)state;

    assert_int_equal(store_room_insert(s, r, 10), E_OK);
    assert_int_equal(store_call_open(s, "call_h1", "hi", r->id, 100, 0), E_OK);
    record_fact(s, "hi", r->id, fact(FACT_JOINED, "call_h1", "alice", ROLE_HOST, NULL, 1, 110), 0);
    record_fact(s, "hi", r->id,
                fact(FACT_JOINED, "call_h1", "bob", ROLE_PARTICIPANT, NULL, 2, 120), 0);
    record_fact(s, "hi", r->id,
                fact(FACT_LEFT, "call_h1", "bob", ROLE_PARTICIPANT, "LEFT", 0, 0), 130);
    record_fact(s, "hi", r->id,
                fact(FACT_JOINED, "call_h1", "bob", ROLE_PARTICIPANT, NULL, 2, 140), 0);
    /* A leave the store never saw a join for (a takeover) changes nothing. */
    record_fact(s, "hi", r->id,
                fact(FACT_LEFT, "call_h1", "zed", ROLE_PARTICIPANT, "LEFT", 0, 0), 145);
    assert_int_equal(store_call_get(s, "hi", "call_h1", &c), E_OK);
    assert_int_equal(c.ended_at, -1);
    assert_int_equal(c.peak, 2);
    assert_int_equal(c.nsessions, 3);
    assert_int_equal(c.sessions[2].left_at, -1);
    call_record_clear(&c);
    assert_int_equal(store_call_close(s, "call_h1", 200, "HOST_ENDED", 1, 0), E_OK);

    assert_int_equal(store_call_get(s, "hi", "call_h1", &c), E_OK);
    assert_string_equal(c.room_id, r->id);
    assert_int_equal(c.started_at, 100);
    assert_int_equal(c.ended_at, 200);
    assert_string_equal(c.end_reason, "HOST_ENDED");
    assert_int_equal(c.peak, 2); /* the joins' peak, though the close said 1 */
    assert_int_equal(c.participants, 2);
    assert_int_equal(c.nsessions, 3);
    assert_string_equal(c.sessions[0].user_id, "alice");
    assert_string_equal(c.sessions[0].role, "HOST");
    assert_int_equal(c.sessions[0].joined_at, 110);
    assert_int_equal(c.sessions[0].left_at, 200);
    assert_string_equal(c.sessions[0].leave_reason, "CALL_ENDED");
    assert_string_equal(c.sessions[1].user_id, "bob");
    assert_int_equal(c.sessions[1].left_at, 130);
    assert_string_equal(c.sessions[1].leave_reason, "LEFT");
    assert_int_equal(c.sessions[2].joined_at, 140);
    assert_string_equal(c.sessions[2].leave_reason, "CALL_ENDED");
    call_record_clear(&c);
    assert_int_equal(store_call_get(s, "other", "call_h1", &c), E_CALL_NOT_FOUND);
    assert_int_equal(store_call_get(s, "hi", "call_none", &c), E_CALL_NOT_FOUND);

    /* Two started at once (callId breaks the tie) and a live one. */
    assert_int_equal(store_call_open(s, "call_h2", "hi", r->id, 300, 0), E_OK);
    assert_int_equal(store_call_close(s, "call_h2", 310, "EMPTY", 0, 0), E_OK);
    assert_int_equal(store_call_open(s, "call_h3", "hi", r->id, 300, 0), E_OK);
    assert_int_equal(store_call_close(s, "call_h3", 320, "EMPTY", 0, 0), E_OK);
    assert_int_equal(store_call_open(s, "call_h4", "hi", r->id, 400, 0), E_OK);
    record_fact(s, "hi", r->id, fact(FACT_JOINED, "call_h4", "carol", ROLE_HOST, NULL, 1, 410), 0);
    assert_int_equal(store_call_list(s, "hi", r->id, -1, NULL, 2, &page), E_OK);
    assert_int_equal(page.count, 2);
    assert_true(page.more);
    assert_string_equal(page.calls[0].call_id, "call_h4");
    assert_int_equal(page.calls[0].ended_at, -1);
    assert_int_equal(page.calls[0].participants, 1);
    assert_string_equal(page.calls[1].call_id, "call_h3");
    call_page_free(&page);
    assert_int_equal(store_call_list(s, "hi", r->id, 300, "call_h3", 2, &page), E_OK);
    assert_int_equal(page.count, 2);
    assert_false(page.more);
    assert_string_equal(page.calls[0].call_id, "call_h2");
    assert_string_equal(page.calls[1].call_id, "call_h1");
    assert_int_equal(page.calls[1].participants, 2);
    call_page_free(&page);
    assert_int_equal(store_call_list(s, "other", r->id, -1, NULL, 10, &page), E_OK);
    assert_int_equal(page.count, 0);
    call_page_free(&page);

    /* Purged: ended before 315 (h1, h2, and other cases' calls), not h3, never the live h4. */
    assert_int_equal(store_history_purge(s, 315, 1000, &purged), E_OK);
    assert_true(purged >= 2);
    assert_int_equal(store_call_get(s, "hi", "call_h1", &c), E_CALL_NOT_FOUND);
    assert_int_equal(store_call_list(s, "hi", r->id, -1, NULL, 10, &page), E_OK);
    assert_int_equal(page.count, 2);
    call_page_free(&page);
    assert_int_equal(store_history_purge(s, 315, 1000, &purged), E_OK);
    assert_int_equal(purged, 0);
    do { /* in batches of one */
        assert_int_equal(store_history_purge(s, 1000000, 1, &purged), E_OK);
        assert_true(purged <= 1);
    } while (purged);
    assert_int_equal(store_call_list(s, "hi", r->id, -1, NULL, 10, &page), E_OK);
    assert_int_equal(page.count, 1);
    assert_string_equal(page.calls[0].call_id, "call_h4");
    call_page_free(&page);

    /* A newer owner fenced the room: an older one records nothing. */
    assert_int_equal(store_call_fence(s, "hi", r->id, 5, (char[CALL_ID_MAX]){0}), E_OK);
    f = fact(FACT_JOINED, "call_h4", "dave", ROLE_PARTICIPANT, NULL, 2, 420);
    assert_int_equal(store_call_fact(s, "hi", r->id, &f, 420, 4), E_FENCED);
    assert_int_equal(store_call_fact(s, "hi", r->id, &f, 420, 5), E_OK);

    /* A crash left h4 open: the restart ends it and its sessions. */
    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_calls_recover(s, 500, &ended, &closed), E_OK);
    assert_int_equal(store_commit(s), E_OK);
    assert_int_equal(ended, 1);
    assert_int_equal(store_call_get(s, "hi", "call_h4", &c), E_OK);
    assert_string_equal(c.end_reason, "SERVER_RESTART");
    assert_int_equal(c.peak, 2);
    assert_int_equal(c.nsessions, 2);
    assert_string_equal(c.sessions[0].leave_reason, "SERVER_RESTART");
    assert_string_equal(c.sessions[1].leave_reason, "SERVER_RESTART");
    assert_int_equal(c.sessions[1].left_at, 500);
    call_record_clear(&c);
    room_free(r);
    store_close(s);
}

/* Jobs queued together: one fails (a duplicate) and rolls back alone. */
static void
worker_commits_a_batch(void **state)
{
    store_worker *w = worker_start(open_store(), no_wake, NULL);
    insert_job j[3];
    const char *ids[3] = {"b1", "b1", "b2"};
    app_registry *reg;
    store *s;
    int i, k;
    (void)state;

    memset(j, 0, sizeof(j));
    for (i = 0; i < 3; i++) {
        j[i].job.run = insert_run;
        j[i].job.done = insert_done;
        snprintf(j[i].app_id, sizeof(j[i].app_id), "%s", ids[i]);
        worker_submit(w, &j[i].job);
    }
    for (k = 0; k < 10000 && !(j[0].done && j[1].done && j[2].done); k++) {
        worker_complete(w);
        usleep(1000);
    }
    assert_true(j[0].done && j[1].done && j[2].done);
    assert_int_equal(j[0].job.result, E_OK);
    assert_int_equal(j[1].job.result, E_VALIDATION_FAILED);
    assert_int_equal(j[2].job.result, E_OK);
    assert_int_equal(worker_health(w, NULL, 0, NULL), STORE_OK);
    worker_stop(w);

    s = open_store();
    assert_int_equal(store_apps_load(s, &reg), E_OK);
    apps_index(reg, &plans);
    assert_non_null(apps_find(reg, "b1"));
    assert_non_null(apps_find(reg, "b2"));
    apps_free(reg);
    store_close(s);
}

/* ---- PostgreSQL only ---- */

#define RACE_TRIES 15
#define RACE_LIMIT 10

typedef struct racer {
    store *s;
    room *rooms[RACE_TRIES];
    pthread_barrier_t *go;
    int ok, limited, other;
} racer;

static void *
race_run(void *arg)
{
    racer *r = arg;
    int i;

    pthread_barrier_wait(r->go);
    for (i = 0; i < RACE_TRIES; i++) {
        dpa_err e = store_begin(r->s);
        if (e == E_OK)
            e = store_room_insert(r->s, r->rooms[i], RACE_LIMIT);
        if (e == E_OK)
            e = store_commit(r->s);
        else
            store_rollback(r->s);
        if (e == E_OK)
            r->ok++;
        else if (e == E_ROOM_LIMIT_REACHED)
            r->limited++;
        else
            r->other++;
    }
    return NULL;
}

/* Two connections (two processes, in production) fill one app: exactly the limit gets in. */
static void
pg_room_limit_exact_under_race(void **state)
{
    pthread_barrier_t go;
    pthread_t t[2];
    racer r[2];
    room_page page;
    store *s;
    int i, k;
    (void)state;

    pthread_barrier_init(&go, NULL, 2);
    memset(r, 0, sizeof(r));
    for (k = 0; k < 2; k++) {
        r[k].s = open_store();
        r[k].go = &go;
        for (i = 0; i < RACE_TRIES; i++)
            r[k].rooms[i] = new_room("race", "alice", "{}", 100 + i);
    }
    for (k = 0; k < 2; k++)
        assert_int_equal(pthread_create(&t[k], NULL, race_run, &r[k]), 0);
    for (k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    pthread_barrier_destroy(&go);
    assert_int_equal(r[0].other + r[1].other, 0);
    assert_int_equal(r[0].ok + r[1].ok, RACE_LIMIT);
    assert_int_equal(r[0].limited + r[1].limited, 2 * RACE_TRIES - RACE_LIMIT);

    s = open_store();
    assert_int_equal(store_room_list(s, "race", "alice", -1, -1, NULL, 100, &page), E_OK);
    assert_int_equal(page.count, RACE_LIMIT);
    room_page_free(&page);
    store_close(s);
    for (k = 0; k < 2; k++) {
        store_close(r[k].s);
        for (i = 0; i < RACE_TRIES; i++)
            room_free(r[k].rooms[i]);
    }
}

typedef struct idem_waiter {
    store *s;
    dpa_err e;
    idem_record got;
} idem_waiter;

static void *
idem_wait_run(void *arg)
{
    idem_waiter *w = arg;

    w->e = store_begin(w->s);
    if (w->e == E_OK)
        w->e = store_idem_get(w->s, "a", "u", "race", 2000, &w->got);
    store_rollback(w->s);
    return NULL;
}

/*
 * Two processes retry one Idempotency-Key at once: the second waits for
 * the first's transaction and finds its record, so one room is made.
 */
static void
pg_idempotency_key_race(void **state)
{
    store *first = open_store();
    idem_waiter w = {.s = open_store()};
    idem_record rec = {"h", 201, "{}", "rm_r"}, got;
    pthread_t t;
    (void)state;

    assert_int_equal(store_begin(first), E_OK);
    assert_int_equal(store_idem_get(first, "a", "u", "race", 1000, &got), E_NOT_FOUND);
    assert_int_equal(pthread_create(&t, NULL, idem_wait_run, &w), 0);
    usleep(200000); /* the waiter is blocked on the key by now */
    assert_int_equal(store_idem_put(first, "a", "u", "race", &rec, 1000), E_OK);
    assert_int_equal(store_commit(first), E_OK);
    pthread_join(t, NULL);
    assert_int_equal(w.e, E_OK);
    assert_string_equal(w.got.room_id, "rm_r");
    idem_record_clear(&w.got);
    store_close(w.s);
    store_close(first);
}

typedef struct opener {
    const char *url;
    dpa_err e;
    char err[STORE_ERR_MAX];
} opener;

static void *
open_run(void *arg)
{
    opener *o = arg;
    store *s = NULL;

    o->e = store_open(o->url, &s, o->err, sizeof(o->err));
    store_close(s);
    return NULL;
}

/* Processes that start together on an empty database migrate it once. */
static void
pg_migrations_race(void **state)
{
    char name[80], u[600];
    opener o[3];
    pthread_t t[3];
    app_registry *reg;
    store *s = NULL;
    int k;
    (void)state;

    snprintf(name, sizeof(name), "%s_mig", pg_db);
    assert_int_equal(pg_fresh_db(name, u, sizeof(u)), 0);
    for (k = 0; k < 3; k++) {
        memset(&o[k], 0, sizeof(o[k]));
        o[k].url = u;
        assert_int_equal(pthread_create(&t[k], NULL, open_run, &o[k]), 0);
    }
    for (k = 0; k < 3; k++)
        pthread_join(t[k], NULL);
    for (k = 0; k < 3; k++) {
        if (o[k].e != E_OK)
            fprintf(stderr, "open %d: %s\n", k, o[k].err);
        assert_int_equal(o[k].e, E_OK);
    }
    assert_int_equal(pg_admin(name, "DO $$ BEGIN IF (SELECT count(*) FROM schema_migrations)"
                                    " <> 5 THEN RAISE 'not migrated once'; END IF; END $$"),
                     0);
    assert_int_equal(store_open(u, &s, o[0].err, sizeof(o[0].err)), E_OK);
    assert_int_equal(store_apps_load(s, &reg), E_OK);
    assert_int_equal(reg->napps, 0);
    apps_free(reg);
    store_close(s);
    snprintf(u, sizeof(u), "DROP DATABASE %s WITH (FORCE)", name);
    assert_int_equal(pg_admin("postgres", u), 0);
}

typedef struct stale_owner {
    store *s;
    const char *call_id;
    dpa_err e;
} stale_owner;

static void *
stale_close_run(void *arg)
{
    stale_owner *o = arg;

    o->e = store_begin(o->s);
    if (o->e == E_OK)
        o->e = store_call_close(o->s, o->call_id, 100, "EMPTY", 1, 1);
    if (o->e == E_OK)
        o->e = store_commit(o->s);
    else
        store_rollback(o->s);
    return NULL;
}

/*
 * Two processes: a new owner's fence is in a transaction still open when
 * the old owner (another connection) closes the call. The old owner waits
 * on the room's row, then sees the committed epoch and is refused.
 */
static void
pg_fence_orders_a_racing_old_owner(void **state)
{
    store *owner = open_store();
    stale_owner old = {.s = open_store(), .call_id = "race_call"};
    room *r = new_room("fr", "alice", "{}", 10);
    char open[CALL_ID_MAX];
    pthread_t t;
    (void)state;

    assert_int_equal(store_room_insert(owner, r, 10), E_OK);
    assert_int_equal(store_call_open(owner, "race_call", "fr", r->id, 50, 1), E_OK);
    assert_int_equal(store_begin(owner), E_OK);
    assert_int_equal(store_call_fence(owner, "fr", r->id, 2, open), E_OK);
    assert_string_equal(open, "race_call");
    assert_int_equal(pthread_create(&t, NULL, stale_close_run, &old), 0);
    usleep(200000); /* the old owner is blocked on the room's row by now */
    assert_int_equal(store_commit(owner), E_OK);
    pthread_join(t, NULL);
    assert_int_equal(old.e, E_FENCED);
    expect_open_call(owner, "fr", r->id, 2, "race_call");
    store_close(old.s);
    store_close(owner);
    room_free(r);
}

static void
pg_ctl_script(const char *what)
{
    char cmd[1200];

    snprintf(cmd, sizeof(cmd), "'%s' %s '%s'", pg_script, what, pg_dir);
    assert_int_equal(system(cmd), 0);
}

/* A restarted server is reached again by the next transaction, without a restart of ours. */
static void
pg_reconnects_after_restart(void **state)
{
    store *s = open_store();
    app_registry *reg;
    (void)state;

    if (!pg_script || !pg_dir) {
        store_close(s);
        skip();
    }
    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_app_insert(s, "r1", "before", "pro", 1), E_OK);
    assert_int_equal(store_commit(s), E_OK);
    pg_ctl_script("restart");
    assert_int_equal(store_begin(s), E_OK);
    assert_int_equal(store_app_insert(s, "r2", "after", "pro", 1), E_OK);
    assert_int_equal(store_commit(s), E_OK);
    assert_int_equal(store_apps_load(s, &reg), E_OK);
    apps_index(reg, &plans);
    assert_non_null(apps_find(reg, "r1"));
    assert_non_null(apps_find(reg, "r2"));
    apps_free(reg);
    store_close(s);
}

/*
 * The server down: every job gets E_STORE_UNAVAILABLE (503) and nothing is
 * acknowledged; the worker's probe finds the server back and jobs run again.
 */
static void
pg_down_is_unavailable_then_recovers(void **state)
{
    char why[192], err[STORE_ERR_MAX];
    store_worker *w;
    store *other = NULL;
    int i;
    (void)state;

    if (!pg_script || !pg_dir)
        skip();
    w = worker_start(open_store(), no_wake, NULL);
    assert_int_equal(insert_via(w, "d1"), E_OK);
    pg_ctl_script("down");
    assert_int_equal(insert_via(w, "d2"), E_STORE_UNAVAILABLE);
    assert_int_equal(worker_health(w, why, sizeof(why), NULL), STORE_FAILING);
    assert_true(strlen(why) > 0);
    assert_int_equal(insert_via(w, "d3"), E_STORE_UNAVAILABLE);
    assert_int_equal(store_open(url, &other, err, sizeof(err)), E_STORE_UNAVAILABLE);
    pg_ctl_script("up");
    for (i = 0; i < 150 && worker_health(w, NULL, 0, NULL) != STORE_OK; i++)
        usleep(100000);
    assert_int_equal(worker_health(w, NULL, 0, NULL), STORE_OK);
    assert_int_equal(insert_via(w, "d2"), E_OK);
    worker_stop(w);

    other = open_store();
    {
        app_registry *reg;
        assert_int_equal(store_apps_load(other, &reg), E_OK);
        apps_index(reg, &plans);
        assert_non_null(apps_find(reg, "d1"));
        assert_non_null(apps_find(reg, "d2"));
        assert_null(apps_find(reg, "d3")); /* refused, so never written */
        apps_free(reg);
    }
    store_close(other);
}


static void
quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Runs sql on the server's maintenance database (CREATE/DROP DATABASE). */
static int
pg_admin(const char *dbname, const char *sql)
{
    const char *keys[] = {"dbname", "dbname", NULL};
    const char *vals[] = {pg_base, dbname, NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    PGresult *res = NULL;
    int ok = PQstatus(c) == CONNECTION_OK;

    if (ok) {
        PQsetNoticeProcessor(c, quiet, NULL);
        res = PQexec(c, sql);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
        if (!ok)
            fprintf(stderr, "pg_admin: %s", PQresultErrorMessage(res));
    } else {
        fprintf(stderr, "pg_admin: %s", PQerrorMessage(c));
    }
    PQclear(res);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* A fresh database named name; its URL in out. */
static int
pg_fresh_db(const char *name, char *out, size_t len)
{
    char sql[160];
    const char *slash = strrchr(pg_base, '/');

    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    if (pg_admin("postgres", sql))
        return -1;
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    if (pg_admin("postgres", sql))
        return -1;
    snprintf(out, len, "%.*s/%s", (int)(slash - pg_base), pg_base, name);
    return 0;
}

static int
setup(void **state)
{
    const char *tmp = getenv("TMPDIR"), *db = getenv("DPA_TEST_DB");
    (void)state;
    plans_builtin(&plans);
    snprintf(dir, sizeof(dir), "%s/storetest.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
    if (!db || strcmp(db, "sqlite") == 0)
        return 0;
    pg = true;
    pg_dir = getenv("DPA_TEST_PG_DIR");
    pg_script = getenv("DPA_TEST_PG_SCRIPT");
    if (strncmp(db, "postgres", 8) == 0 && strstr(db, "://")) {
        snprintf(pg_base, sizeof(pg_base), "%s", db);
    } else {
        char p[400];
        FILE *f;

        snprintf(p, sizeof(p), "%s/url", pg_dir ? pg_dir : ".");
        if (!(f = fopen(p, "r")) || !fgets(pg_base, sizeof(pg_base), f)) {
            fprintf(stderr, "no PostgreSQL URL in %s (scripts/pg-test.sh start)\n", p);
            if (f)
                fclose(f);
            return -1;
        }
        fclose(f);
        pg_base[strcspn(pg_base, "\n")] = '\0';
    }
    snprintf(pg_db, sizeof(pg_db), "dpa_store_test_%d", (int)getpid());
    return pg_fresh_db(pg_db, url, sizeof(url));
}

static int
teardown(void **state)
{
    char cmd[400];
    (void)state;
    if (pg) {
        snprintf(cmd, sizeof(cmd), "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_db);
        pg_admin("postgres", cmd);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    /* Written once, run against each backend. */
    const struct CMUnitTest conformance[] = {
        cmocka_unit_test(apps_and_keys),
        cmocka_unit_test(room_lifecycle),
        cmocka_unit_test(room_limit_counts_and_frees),
        cmocka_unit_test(list_pages_newest_first),
        cmocka_unit_test(idempotency_records),
        cmocka_unit_test(calls_recorded_and_recovered),
        cmocka_unit_test(calls_fenced_by_epoch),
        cmocka_unit_test(fenced_close_with_auto_close),
        cmocka_unit_test(epoch_migration_on_old_database),
        cmocka_unit_test(reopen_keeps_data),
        cmocka_unit_test(bad_urls),
        cmocka_unit_test(newer_schema_is_refused),
        cmocka_unit_test(worker_commits_a_batch),
        cmocka_unit_test(outbox_events_beside_their_writes),
        cmocka_unit_test(outbox_retries_leases_and_purge),
        cmocka_unit_test(history_sessions_pages_purge),
    };
    const struct CMUnitTest sqlite_only[] = {
        cmocka_unit_test(deleted_files_are_noticed_and_saved),
        cmocka_unit_test(missing_database_with_leftovers_is_refused),
        cmocka_unit_test(worker_acknowledges_nothing_after_deletion),
    };
    const struct CMUnitTest postgres_only[] = {
        cmocka_unit_test(pg_room_limit_exact_under_race),
        cmocka_unit_test(pg_idempotency_key_race),
        cmocka_unit_test(pg_fence_orders_a_racing_old_owner),
        cmocka_unit_test(pg_migrations_race),
        cmocka_unit_test(pg_reconnects_after_restart),
        cmocka_unit_test(pg_down_is_unavailable_then_recovers),
    };
    struct CMUnitTest all[32];
    size_t n = 0, i;
    const char *db = getenv("DPA_TEST_DB");
    bool on_pg = db && strcmp(db, "sqlite") != 0;
    const struct CMUnitTest *own = on_pg ? postgres_only : sqlite_only;
    size_t nown = on_pg ? sizeof(postgres_only) / sizeof(postgres_only[0])
                        : sizeof(sqlite_only) / sizeof(sqlite_only[0]);

    for (i = 0; i < sizeof(conformance) / sizeof(conformance[0]); i++)
        all[n++] = conformance[i];
    for (i = 0; i < nown; i++)
        all[n++] = own[i];
    return _cmocka_run_group_tests(on_pg ? "store_postgres" : "store_sqlite", all, n, setup,
                                   teardown);
}
