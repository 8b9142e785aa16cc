/* One rule for a request whose client goes away while it waits (server/async.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "server/async.h"

typedef struct owner {
    async_req async;
    int freed;
} owner;

static void
free_owner(async_req *a)
{
    ((owner *)a)->freed++;
}

static void
client_stays(void **state)
{
    owner o = {{0, false, free_owner}, 0};
    (void)state;

    assert_false(async_waiting(&o.async));
    async_hold(&o.async);
    assert_true(async_waiting(&o.async));
    assert_true(async_release(&o.async)); /* go on */
    assert_false(async_waiting(&o.async));
    assert_int_equal(o.freed, 0);
}

static void
gone_while_waiting_is_freed_by_the_last_release(void **state)
{
    owner o = {{0, false, free_owner}, 0};
    (void)state;

    async_hold(&o.async);
    async_hold(&o.async); /* two waits: a store job and an app reload */
    async_gone(&o.async);
    assert_int_equal(o.freed, 0);         /* still held */
    assert_false(async_release(&o.async)); /* nothing of it runs */
    assert_int_equal(o.freed, 0);
    assert_false(async_release(&o.async));
    assert_int_equal(o.freed, 1);         /* freed once, by the last */
}

static void
gone_when_idle_is_freed_at_once(void **state)
{
    owner o = {{0, false, free_owner}, 0};
    (void)state;

    async_gone(&o.async);
    assert_int_equal(o.freed, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_stays),
        cmocka_unit_test(gone_while_waiting_is_freed_by_the_last_release),
        cmocka_unit_test(gone_when_idle_is_freed_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
