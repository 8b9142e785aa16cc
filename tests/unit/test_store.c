/*
 * The SQLite store: apps and keys, rooms, lists, limits, idempotency, reopen;
 * a database whose files go away under it, and the worker that notices.
 */
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

#include "core/json.h"
#include "store/store.h"
#include "store/worker.h"

static char dir[256];
static char url[300];
static plan_set plans;

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
    int i;
    (void)state;

    for (i = 0; i < 3; i++)
        r[i] = new_room("lim", "alice", "{}", 100 + i);
    assert_int_equal(store_room_insert(s, r[0], 2), E_OK);
    assert_int_equal(store_room_insert(s, r[1], 2), E_OK);
    assert_int_equal(store_room_insert(s, r[2], 2), E_ROOM_LIMIT_REACHED);
    assert_int_equal(store_room_delete(s, "lim", r[0]->id), E_OK);
    assert_int_equal(store_room_insert(s, r[2], 2), E_OK);
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
    assert_int_equal(store_call_open(s, "call_a", "rc", once->id, 100), E_OK);
    assert_int_equal(store_call_open(s, "call_b", "rc", keep->id, 100), E_OK);
    assert_int_equal(store_call_open(s, "call_c", "rc", keep->id, 50), E_OK);
    assert_int_equal(store_call_close(s, "call_c", 60, "EMPTY", 2), E_OK);
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

static int
setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    (void)state;
    plans_builtin(&plans);
    snprintf(dir, sizeof(dir), "%s/storetest.XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[400];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(apps_and_keys),
        cmocka_unit_test(room_lifecycle),
        cmocka_unit_test(room_limit_counts_and_frees),
        cmocka_unit_test(list_pages_newest_first),
        cmocka_unit_test(idempotency_records),
        cmocka_unit_test(calls_recorded_and_recovered),
        cmocka_unit_test(reopen_keeps_data),
        cmocka_unit_test(bad_urls),
        cmocka_unit_test(deleted_files_are_noticed_and_saved),
        cmocka_unit_test(missing_database_with_leftovers_is_refused),
        cmocka_unit_test(worker_acknowledges_nothing_after_deletion),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
