/* Plans: built-ins as the issue states them, overrides from JSON, bad files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/plan.h"

static void
builtin_plans(void **state)
{
    plan_set s;
    const plan *p;
    (void)state;

    plans_builtin(&s);
    p = plans_find(&s, "starter");
    assert_non_null(p);
    assert_int_equal(p->max_rooms, 0);
    assert_int_equal(p->max_participants, 4);
    assert_int_equal(p->features, 0);
    p = plans_find(&s, "pro");
    assert_int_equal(p->max_rooms, 100);
    assert_int_equal(p->max_participants, 25);
    assert_int_equal(p->features, FEAT_SCHEDULED_ROOMS | FEAT_WAITING_ROOM | FEAT_SCREEN_SHARE);
    p = plans_find(&s, "business");
    assert_int_equal(p->max_rooms, 10000);
    assert_int_equal(p->max_participants, 100);
    assert_null(plans_find(&s, "gold"));
}

static void
override_and_add(void **state)
{
    const char *doc = "{\"pro\":{\"maxRoomsPerApp\":7,\"maxParticipantsPerCall\":9,"
                      "\"features\":[\"scheduled_rooms\"]},"
                      "\"bench\":{\"maxRoomsPerApp\":1000000,\"maxParticipantsPerCall\":1000,"
                      "\"features\":[\"scheduled_rooms\",\"screen_share\"]}}";
    char err[256];
    plan_set s;
    (void)state;

    plans_builtin(&s);
    assert_int_equal(plans_merge_json(&s, doc, strlen(doc), err, sizeof(err)), E_OK);
    assert_int_equal(plans_find(&s, "pro")->max_rooms, 7);
    assert_int_equal(plans_find(&s, "pro")->features, FEAT_SCHEDULED_ROOMS);
    assert_int_equal(plans_find(&s, "bench")->max_participants, 1000);
    assert_int_equal(plans_find(&s, "business")->max_rooms, 10000);
}

static void
bad_documents_change_nothing(void **state)
{
    static const char *const bad[] = {
        "[]",
        "{\"x\":{\"maxRoomsPerApp\":1,\"maxParticipantsPerCall\":1,\"features\":[\"teleport\"]}}",
        "{\"x\":{\"maxRoomsPerApp\":1,\"features\":[]}}",
        "{\"x\":{\"maxRoomsPerApp\":-1,\"maxParticipantsPerCall\":1,\"features\":[]}}",
        "{\"pro\":{\"maxRoomsPerApp\":1,\"maxParticipantsPerCall\":1,\"features\":[],\"y\":1}}",
        "{not json",
    };
    char err[256];
    plan_set s;
    size_t i;
    (void)state;

    plans_builtin(&s);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(plans_merge_json(&s, bad[i], strlen(bad[i]), err, sizeof(err)),
                         E_VALIDATION_FAILED);
        assert_true(strlen(err) > 0);
    }
    assert_int_equal(s.count, 3);
    assert_int_equal(plans_find(&s, "pro")->max_rooms, 100);
    assert_int_equal(plans_load_file(&s, "/nonexistent/plans.json", err, sizeof(err)),
                     E_VALIDATION_FAILED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builtin_plans),
        cmocka_unit_test(override_and_add),
        cmocka_unit_test(bad_documents_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
