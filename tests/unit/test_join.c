/* The join decision: every branch, and every combination of the policy knobs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/join.h"

static join_facts
base(void)
{
    join_facts f = {0};
    f.room_found = true;
    f.plan_cap = 25;
    return f;
}

static void
each_branch(void **state)
{
    limit_source src;
    join_facts f;
    (void)state;

    f = base();
    f.room_found = false;
    assert_int_equal(join_decide(&f, &src), JOIN_ERR_NOT_FOUND);

    f = base();
    f.room_closed = true;
    f.is_host = true;
    assert_int_equal(join_decide(&f, &src), JOIN_ROOM_CLOSED);

    /* Already in the call: the same JOINED even when full or gated now. */
    f = base();
    f.already_in = true;
    f.require_host = f.waiting_room = true;
    f.participants = 25;
    assert_int_equal(join_decide(&f, &src), JOIN_JOINED);

    f = base();
    f.banned = true;
    assert_int_equal(join_decide(&f, &src), JOIN_ERR_BANNED);

    f = base();
    f.require_host = true;
    assert_int_equal(join_decide(&f, &src), JOIN_HOST_REQUIRED);
    f.host_present = true;
    assert_int_equal(join_decide(&f, &src), JOIN_JOINED);

    f = base();
    f.waiting_room = true;
    assert_int_equal(join_decide(&f, &src), JOIN_WAITING);

    /* Hosts skip steps 4 and 5 but not the cap. */
    f = base();
    f.is_host = true;
    f.require_host = f.waiting_room = true;
    assert_int_equal(join_decide(&f, &src), JOIN_JOINED);
    f.participants = 25;
    assert_int_equal(join_decide(&f, &src), JOIN_ERR_FULL);
    assert_int_equal(src, LIMIT_PLAN);
}

static void
caps_are_exact(void **state)
{
    limit_source src;
    join_facts f = base();
    (void)state;

    f.max_participants = 3;
    f.participants = 2;
    assert_int_equal(join_decide(&f, &src), JOIN_JOINED);
    f.participants = 3;
    assert_int_equal(join_decide(&f, &src), JOIN_ERR_FULL);
    assert_int_equal(src, LIMIT_ROOM);
    assert_string_equal(limit_source_name(src), "room");

    /* maxParticipants equal to the plan cap: the room's setting binds. */
    f.max_participants = 25;
    f.participants = 25;
    assert_int_equal(join_decide(&f, &src), JOIN_ERR_FULL);
    assert_int_equal(src, LIMIT_ROOM);

    /* Above the plan cap (a plan lowered later): the plan binds. */
    f.max_participants = 40;
    assert_int_equal(join_cap(&f, &src), 25);
    assert_int_equal(src, LIMIT_PLAN);
    assert_int_equal(join_decide(&f, &src), JOIN_ERR_FULL);
    assert_string_equal(limit_source_name(src), "plan");

    f.max_participants = 0;
    f.participants = 24;
    assert_int_equal(join_decide(&f, &src), JOIN_JOINED);
}

/*
 * waitingRoom x requireHost x joiner (host / not) x who is present (nobody,
 * a host, a co-host) x open/closed x full/not full, against the rules as
 * DESIGN §5 states them.
 */
static join_outcome
expected(bool closed, bool host, bool require, bool present, bool waiting, bool full)
{
    if (closed)
        return JOIN_ROOM_CLOSED;
    if (!host && require && !present)
        return JOIN_HOST_REQUIRED;
    if (!host && waiting)
        return JOIN_WAITING;
    if (full)
        return JOIN_ERR_FULL;
    return JOIN_JOINED;
}

static void
every_combination(void **state)
{
    int bits, presence, n = 0;
    (void)state;

    for (bits = 0; bits < 32; bits++) {
        for (presence = 0; presence < 3; presence++) { /* nobody, host, co-host */
            bool closed = bits & 1, host = bits & 2, require = bits & 4, waiting = bits & 8,
                 full = bits & 16;
            join_facts f = base();
            limit_source src;
            join_outcome got;

            f.room_closed = closed;
            f.is_host = host;
            f.require_host = require;
            f.waiting_room = waiting;
            f.host_present = presence != 0;
            f.max_participants = 4;
            f.participants = full ? 4 : 3;
            got = join_decide(&f, &src);
            assert_int_equal(got, expected(closed, host, require, presence != 0, waiting, full));
            if (got == JOIN_ERR_FULL)
                assert_int_equal(src, LIMIT_ROOM);
            n++;
        }
    }
    assert_int_equal(n, 96);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_branch),
        cmocka_unit_test(caps_are_exact),
        cmocka_unit_test(every_combination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
