/* Room creation and merge-patch: validation, defaults, plan limits, versions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/room.h"

static plan_set plans;

static struct json_object *
js(const char *s)
{
    struct json_object *o = NULL;
    assert_int_equal(json_parse(s, strlen(s), &o), E_OK);
    return o;
}

static dpa_err
create(const char *body, const char *plan_name, room **out, dpa_error *fe)
{
    struct json_object *o = js(body);
    dpa_err e = room_create(o, "app1", "alice", plans_find(&plans, plan_name), 1000, out, fe);
    json_object_put(o);
    return e;
}

static void
create_defaults(void **state)
{
    dpa_error fe;
    room *r;
    struct json_object *o;
    (void)state;

    assert_int_equal(create("{}", "pro", &r, &fe), E_OK);
    assert_int_equal(strncmp(r->id, "rm_", 3), 0);
    assert_int_equal(strlen(r->id), 3 + 22); /* 128 bits in base64url */
    assert_string_equal(r->name, "");
    assert_int_equal(r->nhosts, 1);
    assert_string_equal(r->hosts[0], "alice");
    assert_int_equal(r->version, 1);
    assert_int_equal(r->created_at, 1000);
    o = room_to_json(r);
    assert_string_equal(json_plain(o, NULL) + strlen("{\"roomId\":\"") + 25,
                        "\",\"name\":\"\",\"createdBy\":\"alice\",\"hosts\":[\"alice\"],"
                        "\"scheduledStartAt\":null,\"scheduledEndAt\":null,\"status\":\"ACTIVE\","
                        "\"policy\":{\"waitingRoom\":false,\"requireHost\":false,"
                        "\"maxParticipants\":null,\"autoCloseWhenEmpty\":false},"
                        "\"metadata\":{},\"createdAt\":1000,\"updatedAt\":1000,\"version\":1,"
                        "\"call\":null}");
    json_object_put(o);
    room_free(r);
}

static void
create_ids_differ(void **state)
{
    dpa_error fe;
    room *a, *b;
    (void)state;

    assert_int_equal(create("{}", "pro", &a, &fe), E_OK);
    assert_int_equal(create("{}", "pro", &b, &fe), E_OK);
    assert_string_not_equal(a->id, b->id);
    room_free(a);
    room_free(b);
}

static void
create_hosts_creator_first_no_duplicates(void **state)
{
    dpa_error fe;
    room *r;
    (void)state;

    assert_int_equal(create("{\"hosts\":[\"bob\",\"alice\",\"bob\",\"carol\"]}", "pro", &r, &fe),
                     E_OK);
    assert_int_equal(r->nhosts, 3);
    assert_string_equal(r->hosts[0], "alice");
    assert_string_equal(r->hosts[1], "bob");
    assert_string_equal(r->hosts[2], "carol");
    assert_true(room_is_host(r, "carol"));
    assert_false(room_is_host(r, "dave"));
    room_free(r);
}

static void
create_rejects(void **state)
{
    static const struct {
        const char *body, *plan, *field;
        dpa_err e;
    } cases[] = {
        {"{\"policy\":{\"maxParticipants\":26}}", "pro", "policy.maxParticipants",
         E_VALIDATION_FAILED},
        {"{\"policy\":{\"maxParticipants\":0}}", "pro", "policy.maxParticipants",
         E_VALIDATION_FAILED},
        {"{\"policy\":{\"waitingroom\":true}}", "pro", "policy.waitingroom",
         E_VALIDATION_FAILED},
        {"{\"scheduledStartAt\":5,\"scheduledEndAt\":4}", "pro", "scheduledEndAt",
         E_VALIDATION_FAILED},
        {"{\"scheduledStartAt\":-1}", "pro", "scheduledStartAt", E_VALIDATION_FAILED},
        {"{\"status\":\"CLOSED\"}", "pro", "status", E_VALIDATION_FAILED},
        {"{\"roomId\":\"rm_x\"}", "pro", "roomId", E_VALIDATION_FAILED},
        {"{\"hosts\":[\"\"]}", "pro", "hosts[0]", E_VALIDATION_FAILED},
        {"{\"metadata\":[]}", "pro", "metadata", E_VALIDATION_FAILED},
        {"{\"policy\":{\"waitingRoom\":true}}", "limited", "policy.waitingRoom",
         E_FEATURE_NOT_ENABLED},
    };
    dpa_error fe;
    room *r;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&fe, 0, sizeof(fe));
        assert_int_equal(create(cases[i].body, cases[i].plan, &r, &fe), cases[i].e);
        assert_null(r);
        assert_string_equal(fe.field, cases[i].field);
    }
}

static void
create_limits_name_and_metadata(void **state)
{
    char body[6000];
    dpa_error fe;
    room *r;
    (void)state;

    snprintf(body, sizeof(body), "{\"name\":\"%0*d\"}", 201, 0);
    assert_int_equal(create(body, "pro", &r, &fe), E_VALIDATION_FAILED);
    assert_string_equal(fe.field, "name");
    snprintf(body, sizeof(body), "{\"metadata\":{\"k\":\"%0*d\"}}", 4090, 0);
    assert_int_equal(create(body, "pro", &r, &fe), E_VALIDATION_FAILED);
    assert_string_equal(fe.field, "metadata");
    snprintf(body, sizeof(body), "{\"name\":\"%0*d\"}", 200, 0);
    assert_int_equal(create(body, "pro", &r, &fe), E_OK);
    room_free(r);
}

static room *
base_room(void)
{
    dpa_error fe;
    room *r;
    assert_int_equal(create("{\"name\":\"a\",\"hosts\":[\"bob\"],\"metadata\":{\"x\":1,\"y\":{\"z\":2}},"
                            "\"policy\":{\"waitingRoom\":true,\"maxParticipants\":5}}",
                            "pro", &r, &fe),
                     E_OK);
    return r;
}

static dpa_err
patch(room *r, const char *body, bool *changed, dpa_error *fe)
{
    struct json_object *o = js(body);
    dpa_err e = room_patch(r, o, plans_find(&plans, "pro"), 2000, changed, fe);
    json_object_put(o);
    return e;
}

static void
patch_merges(void **state)
{
    dpa_error fe;
    bool changed;
    room *r = base_room();
    (void)state;

    assert_int_equal(patch(r, "{\"policy\":{\"requireHost\":true,\"maxParticipants\":null},"
                              "\"metadata\":{\"x\":null,\"y\":{\"w\":3}},\"status\":\"CLOSED\"}",
                           &changed, &fe),
                     E_OK);
    assert_true(changed);
    assert_int_equal(r->version, 2);
    assert_int_equal(r->updated_at, 2000);
    assert_true(r->policy.waiting_room); /* untouched members stay */
    assert_true(r->policy.require_host);
    assert_int_equal(r->policy.max_participants, 0);
    assert_int_equal(r->status, ROOM_CLOSED);
    assert_string_equal(r->metadata, "{\"y\":{\"z\":2,\"w\":3}}");
    assert_string_equal(r->name, "a");
    room_free(r);
}

static void
patch_without_change_keeps_version(void **state)
{
    dpa_error fe;
    bool changed = true;
    room *r = base_room();
    (void)state;

    assert_int_equal(patch(r, "{\"name\":\"a\",\"policy\":{\"waitingRoom\":true}}", &changed, &fe),
                     E_OK);
    assert_false(changed);
    assert_int_equal(r->version, 1);
    assert_int_equal(r->updated_at, 1000);
    room_free(r);
}

static void
patch_rejects_and_leaves_room(void **state)
{
    dpa_error fe;
    bool changed;
    room *r = base_room();
    (void)state;

    assert_int_equal(patch(r, "{\"hosts\":[\"bob\"]}", &changed, &fe), E_VALIDATION_FAILED);
    assert_string_equal(fe.field, "hosts");
    assert_int_equal(patch(r, "{\"name\":\"b\",\"scheduledStartAt\":9,\"scheduledEndAt\":1}",
                           &changed, &fe),
                     E_VALIDATION_FAILED);
    assert_int_equal(patch(r, "{\"status\":\"OPEN\"}", &changed, &fe), E_VALIDATION_FAILED);
    assert_string_equal(fe.field, "status");
    assert_int_equal(patch(r, "{\"createdBy\":\"eve\"}", &changed, &fe), E_VALIDATION_FAILED);
    assert_string_equal(fe.field, "createdBy");
    assert_string_equal(r->name, "a");
    assert_int_equal(r->version, 1);
    room_free(r);
}

static void
patch_hosts_and_nulls(void **state)
{
    dpa_error fe;
    bool changed;
    room *r = base_room();
    (void)state;

    assert_int_equal(patch(r, "{\"hosts\":[\"carol\",\"alice\"]}", &changed, &fe), E_OK);
    assert_int_equal(r->nhosts, 2);
    assert_string_equal(r->hosts[0], "alice");
    assert_string_equal(r->hosts[1], "carol");
    assert_int_equal(patch(r, "{\"hosts\":null,\"metadata\":null,\"policy\":null,\"name\":null}",
                           &changed, &fe),
                     E_OK);
    assert_int_equal(r->nhosts, 1);
    assert_string_equal(r->metadata, "{}");
    assert_false(r->policy.waiting_room);
    assert_string_equal(r->name, "");
    assert_int_equal(r->version, 3);
    room_free(r);
}

/* DESIGN §3: hosts <= 50, the creator included. */
static void
hosts_count_the_creator(void **state)
{
    char body[1024];
    size_t n = 0;
    dpa_error fe;
    bool changed;
    room *r;
    int i;
    (void)state;

    /* 50 others plus the creator is 51: refused, on create and on patch. */
    n += (size_t)snprintf(body + n, sizeof(body) - n, "{\"hosts\":[");
    for (i = 0; i < 50; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"u%d\"", i ? "," : "", i);
    snprintf(body + n, sizeof(body) - n, "]}");
    assert_int_equal(create(body, "pro", &r, &fe), E_VALIDATION_FAILED);
    assert_string_equal(fe.field, "hosts");
    assert_null(r);

    /* 49 others plus the creator is 50: fine; the creator listed too, still 50. */
    n = (size_t)snprintf(body, sizeof(body), "{\"hosts\":[\"alice\"");
    for (i = 0; i < 49; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, ",\"u%d\"", i);
    snprintf(body + n, sizeof(body) - n, "]}");
    assert_int_equal(create(body, "pro", &r, &fe), E_OK);
    assert_int_equal(r->nhosts, 50);
    assert_int_equal(patch(r, body, &changed, &fe), E_OK);

    n = (size_t)snprintf(body, sizeof(body), "{\"hosts\":[\"alice\"");
    for (i = 0; i < 49; i++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, ",\"v%d\"", i);
    snprintf(body + n, sizeof(body) - n, ",\"w\"]}");
    assert_int_equal(patch(r, body, &changed, &fe), E_VALIDATION_FAILED);
    assert_string_equal(fe.field, "hosts");
    assert_int_equal(r->nhosts, 50);
    assert_string_equal(r->hosts[1], "u0");
    room_free(r);
}

static int
setup(void **state)
{
    char err[128];
    const char *extra = "{\"limited\":{\"maxRoomsPerApp\":5,\"maxParticipantsPerCall\":3,"
                        "\"features\":[\"scheduled_rooms\"]}}";
    (void)state;
    plans_builtin(&plans);
    return plans_merge_json(&plans, extra, strlen(extra), err, sizeof(err)) == E_OK ? 0 : -1;
}

/* Who may write a room and If-Match (RFC 9110 strong comparison), as core decides them. */
static void
write_rights_and_if_match(void **state)
{
    room *r = base_room(); /* created by "alice" */
    dpa_error d;
    (void)state;

    assert_int_equal(room_check_write(r, r->created_by, "", ROOM_WRITE_CHANGE, &d), E_OK);
    assert_int_equal(room_check_write(r, "bob", "", ROOM_WRITE_CHANGE, &d), E_FORBIDDEN);
    assert_string_equal(d.message, "only the room's creator may change it");
    assert_int_equal(room_check_write(r, "bob", "", ROOM_WRITE_DELETE, &d), E_FORBIDDEN);
    assert_string_equal(d.message, "only the room's creator may delete it");
    assert_int_equal(room_check_write(r, r->created_by, "\"7\"", ROOM_WRITE_DELETE, &d),
                     E_PRECONDITION_FAILED);
    assert_true(room_if_match("", 3));
    assert_true(room_if_match("*", 3));
    assert_true(room_if_match("\"3\"", 3));
    assert_true(room_if_match("\"1\", \"3\"", 3));
    assert_true(room_if_match(" \"3\" ,\"4\"", 3));
    assert_false(room_if_match("\"31\"", 3));
    assert_false(room_if_match("3", 3));           /* not a quoted entity tag */
    assert_false(room_if_match("W/\"3\"", 3));    /* weak tags never match strongly */
    room_free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_defaults),
        cmocka_unit_test(create_ids_differ),
        cmocka_unit_test(create_hosts_creator_first_no_duplicates),
        cmocka_unit_test(create_rejects),
        cmocka_unit_test(create_limits_name_and_metadata),
        cmocka_unit_test(patch_merges),
        cmocka_unit_test(patch_without_change_keeps_version),
        cmocka_unit_test(patch_rejects_and_leaves_room),
        cmocka_unit_test(patch_hosts_and_nulls),
        cmocka_unit_test(hosts_count_the_creator),
        cmocka_unit_test(write_rights_and_if_match),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
