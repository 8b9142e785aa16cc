/* Log lines: every value escaped in one place, so no value forges a key or a line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "server/log.h"

static char out[256];

static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static const char *
fmt(const char *f, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, f);
    n = log_format(out, sizeof(out), f, ap);
    va_end(ap);
    assert_int_equal(n, strlen(out));
    return out;
}

static void
plain_values_stay_bare(void **state)
{
    (void)state;
    assert_string_equal(fmt("msg=\"request\" rid=%s status=%d dur_us=%llu n=%zu neg=%lld",
                            "00ab", 200, 17ULL, (size_t)3, -5LL),
                        "msg=\"request\" rid=00ab status=200 dur_us=17 n=3 neg=-5");
    assert_string_equal(fmt("100%% sure x=%x", 255u), "100% sure x=ff");
    assert_string_equal(fmt("detail=%.*s end", 3, "abcdef"), "detail=abc end");
}

static void
values_cannot_forge_keys_or_lines(void **state)
{
    (void)state;
    /* A user id is printable ASCII, quotes and spaces included. */
    assert_string_equal(fmt("user=%s", "mallory\" level=error msg=\"forged"),
                        "user=\"mallory\\\" level=error msg=\\\"forged\"");
    assert_string_equal(fmt("user=%s app=%s", "a=b", "x y"), "user=\"a=b\" app=\"x y\"");
    /* A decoded path can hold a newline. */
    assert_string_equal(fmt("path=%s status=%d", "/a\nts=0 level=error", 404),
                        "path=\"/a\\nts=0 level=error\" status=404");
    assert_string_equal(fmt("v=%s", "tab\there\rcr"), "v=\"tab\\there\\rcr\"");
    assert_string_equal(fmt("v=%s", "back\\slash"), "v=\"back\\\\slash\"");
    assert_string_equal(fmt("v=%s", "\x1b[31mred"), "v=\"\\x1b[31mred\"");
    assert_string_equal(fmt("v=%s", "del\x7f"), "v=\"del\\x7f\"");
    assert_string_equal(fmt("v=%s", ""), "v=\"\"");
    assert_string_equal(fmt("v=%s", (const char *)NULL), "v=(null)");
}

static void
utf8_is_kept_and_bad_bytes_escaped(void **state)
{
    (void)state;
    assert_string_equal(fmt("v=%s", "caf\xc3\xa9"), "v=\"caf\xc3\xa9\"");
    assert_string_equal(fmt("v=%s", "\xed\xa0\x80!"), "v=\"\\xed\\xa0\\x80!\"");
    assert_string_equal(fmt("v=%s", "\xc2\x85"), "v=\"\\xc2\\x85\""); /* C1 NEL */
}

static void
quoted_conversions_are_the_loggers(void **state)
{
    (void)state;
    /* Callers that quote a value themselves: their quotes give way to the logger's. */
    assert_string_equal(fmt("user=\"%s\" n=%d", "alice", 1), "user=\"alice\" n=1");
    assert_string_equal(fmt("user=\"%s\"", "a\"b\nc"), "user=\"a\\\"b\\nc\"");
    assert_string_equal(fmt("err=\"%s\"", ""), "err=\"\"");
}

static void
a_full_line_is_cut_cleanly(void **state)
{
    char big[600];
    size_t n;
    (void)state;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[3] = '"';
    n = strlen(fmt("v=%s tail=%d", big, 1));
    assert_int_equal(n, sizeof(out) - 1);
    assert_int_equal(out[n - 1], '"'); /* the quoted value is closed */
    big[300] = '\n';
    n = strlen(fmt("v=%s", big));
    assert_null(strchr(out, '\n'));
    assert_int_equal(out[n - 1], '"');
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_values_stay_bare),
        cmocka_unit_test(values_cannot_forge_keys_or_lines),
        cmocka_unit_test(utf8_is_kept_and_bad_bytes_escaped),
        cmocka_unit_test(quoted_conversions_are_the_loggers),
        cmocka_unit_test(a_full_line_is_cut_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
