/* layer_support.h: fz_fail for cmocka and the count of requests freed after going away. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"
#include "layer_support.h"
#include "server/async.h"

void
fz_fail(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fail_msg("%s", msg);
    abort(); /* fail_msg does not return; this tells the compiler */
}

#define GONE_MAX 64

static struct {
    async_req *req;
    void (*free)(async_req *a);
} gone[GONE_MAX];
static int freed;

static void
counted_free(async_req *a)
{
    int i;

    for (i = 0; i < GONE_MAX; i++) {
        if (gone[i].req == a) {
            void (*fn)(async_req *) = gone[i].free;
            gone[i].req = NULL;
            freed++;
            fn(a);
            return;
        }
    }
    fz_fail("a gone request was freed twice (or was never marked gone)");
}

void __real_async_gone(async_req *a);
void __wrap_async_gone(async_req *a);

void
__wrap_async_gone(async_req *a)
{
    int i;

    if (!a->gone) {
        for (i = 0; i < GONE_MAX && gone[i].req; i++)
            ;
        if (i == GONE_MAX)
            fz_fail("more than %d requests gone at once", GONE_MAX);
        gone[i].req = a;
        gone[i].free = a->free;
        a->free = counted_free;
    }
    __real_async_gone(a);
}

int
gone_freed(void)
{
    return freed;
}

int
gone_pending(void)
{
    int i, n = 0;

    for (i = 0; i < GONE_MAX; i++)
        n += gone[i].req != NULL;
    return n;
}

void
gone_reset(void)
{
    memset(gone, 0, sizeof(gone));
    freed = 0;
}

struct json_object *
check_error_shape(struct json_object *err, const char *want_code)
{
    const char *msg;

    assert_non_null(err);
    assert_true(json_object_is_type(err, json_type_object));
    assert_string_equal(json_get_str(err, "code"), want_code);
    msg = json_get_str(err, "message");
    assert_non_null(msg);
    assert_true(msg[0] != '\0');
    json_object_object_foreach(err, k, v) {
        (void)v;
        if (strcmp(k, "code") && strcmp(k, "message") && strcmp(k, "field") &&
            strcmp(k, "limitSource"))
            fail_msg("the error carries \"%s\", outside the one encoding", k);
    }
    return err;
}
