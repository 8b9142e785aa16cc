/* Field tables: unknown fields, types, bounds, nesting, choices. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/fields.h"
#include "core/json.h"

static const char *const colors[] = {"red", "blue", NULL};
static const field_spec item = {"item", FT_STRING, F_PRINTABLE, 1, 8, NULL, NULL};
static const field_spec inner[] = {
    {"n", FT_INT, F_REQUIRED, 1, 10, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};
static const field_spec table[] = {
    {"name", FT_STRING, 0, 0, 5, NULL, NULL},
    {"count", FT_INT, F_NULLABLE, 0, 100, NULL, NULL},
    {"flag", FT_BOOL, 0, 0, 0, NULL, NULL},
    {"color", FT_STRING, 0, 0, 0, NULL, colors},
    {"tags", FT_ARRAY, 0, 0, 3, &item, NULL},
    {"inner", FT_OBJECT, 0, 0, 0, inner, NULL},
    {"meta", FT_OBJECT, F_OPEN, 0, 20, NULL, NULL},
    {"id", FT_STRING, F_REQUIRED, 1, 10, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}};

/* Checks body against table; returns the error and copies the field name. */
static dpa_err
check(const char *body, char *field)
{
    struct json_object *o = NULL;
    dpa_error fe;
    dpa_err e;

    assert_int_equal(json_parse(body, strlen(body), &o), E_OK);
    memset(&fe, 0, sizeof(fe));
    e = fields_check(o, table, &fe);
    strcpy(field, fe.field);
    json_object_put(o);
    return e;
}

static void
accepts_valid(void **state)
{
    char f[FIELD_PATH_MAX];
    (void)state;
    assert_int_equal(check("{\"id\":\"a\",\"name\":\"abc\",\"count\":null,\"flag\":true,"
                           "\"color\":\"red\",\"tags\":[\"x\"],\"inner\":{\"n\":3},"
                           "\"meta\":{\"free\":1}}", f), E_OK);
}

static void
names_the_failing_field(void **state)
{
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{\"id\":\"a\",\"nmae\":\"x\"}", "nmae"},
        {"{\"id\":\"a\",\"name\":\"toolong\"}", "name"},
        {"{\"id\":\"a\",\"name\":3}", "name"},
        {"{\"id\":\"a\",\"count\":101}", "count"},
        {"{\"id\":\"a\",\"count\":-1}", "count"},
        {"{\"id\":\"a\",\"count\":1.5}", "count"},
        {"{\"id\":\"a\",\"flag\":null}", "flag"},
        {"{\"id\":\"a\",\"flag\":\"true\"}", "flag"},
        {"{\"id\":\"a\",\"color\":\"green\"}", "color"},
        {"{\"id\":\"a\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "tags"},
        {"{\"id\":\"a\",\"tags\":[\"ok\",7]}", "tags[1]"},
        {"{\"id\":\"a\",\"tags\":[\"a\\nb\"]}", "tags[0]"},
        {"{\"id\":\"a\",\"inner\":{}}", "inner.n"},
        {"{\"id\":\"a\",\"inner\":{\"n\":1,\"x\":2}}", "inner.x"},
        {"{\"id\":\"a\",\"meta\":{\"k\":\"a long value here\"}}", "meta"},
        {"{}", "id"},
    };
    char f[FIELD_PATH_MAX];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(check(cases[i].body, f), E_VALIDATION_FAILED);
        assert_string_equal(f, cases[i].field);
    }
}

static void
parse_is_strict(void **state)
{
    static const char *const bad[] = {"{bad", "{\"a\":1} x", "{\"a\":01}", "{'a':1}",
                                      "{\"a\":1,}", "\xff\xfe", "",
                                      "{\"a\":NaN}", "{\"a\":[Infinity]}", "{\"a\":1e999}"};
    struct json_object *o;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(json_parse(bad[i], strlen(bad[i]), &o), E_MALFORMED_JSON);
        assert_null(o);
    }
    assert_int_equal(json_parse("{\"a\":1}\n ", 9, &o), E_OK);
    json_object_put(o);
    assert_int_equal(json_parse("{\"it's\":\"a 'quote'\"}", 20, &o), E_OK);
    json_object_put(o);
}

static void
parse_limits_depth(void **state)
{
    char deep[200];
    struct json_object *o;
    int i;
    (void)state;

    for (i = 0; i < 100; i++)
        deep[i] = '[';
    for (i = 0; i < 99; i++)
        deep[100 + i] = ']';
    deep[199] = ']';
    assert_int_equal(json_parse(deep, sizeof(deep), &o), E_MALFORMED_JSON);
}

/* ---- the string policy (docs/api.md, "Strings") ---- */

static void
text_policy(void **state)
{
    static const struct {
        const char *s;
        size_t len;
        int line_ok, free_ok;
    } cases[] = {
        {"plain", 5, 1, 1},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80", 10, 1, 1},          /* é and an emoji */
        {"\xef\xbf\xbd", 3, 1, 1},                           /* U+FFFD */
        {"\xf4\x8f\xbf\xbf", 4, 1, 1},                       /* U+10FFFF */
        {"a\tb\nc\rd", 7, 0, 1},                             /* free text only */
        {"\xed\xa0\x80", 3, 0, 0},                           /* encoded surrogate */
        {"\xed\xbf\xbf", 3, 0, 0},
        {"\xc0\xaf", 2, 0, 0},                               /* overlong '/' */
        {"\xe0\x80\xaf", 3, 0, 0},                           /* overlong, 3 bytes */
        {"\xf0\x80\x80\xaf", 4, 0, 0},                       /* overlong, 4 bytes */
        {"\xf4\x90\x80\x80", 4, 0, 0},                       /* above U+10FFFF */
        {"\xf5\x80\x80\x80", 4, 0, 0},
        {"\x80", 1, 0, 0},                                   /* stray continuation */
        {"\xc3", 1, 0, 0},                                   /* cut short */
        {"\xe2\x82", 2, 0, 0},
        {"a\0b", 3, 0, 0},                                   /* U+0000 */
        {"\x01", 1, 0, 0},
        {"\x1b[31m", 5, 0, 0},                               /* ESC */
        {"\x7f", 1, 0, 0},                                   /* DEL */
        {"\xc2\x80", 2, 0, 0},                               /* C1 controls */
        {"\xc2\x9f", 2, 0, 0},
        {"\xc2\xa0", 2, 1, 1},                               /* U+00A0 is not one */
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *line = text_problem(cases[i].s, cases[i].len, TEXT_LINE);
        const char *free_ = text_problem(cases[i].s, cases[i].len, TEXT_FREE);
        if ((line == NULL) != cases[i].line_ok || (free_ == NULL) != cases[i].free_ok)
            fail_msg("case %zu: line %s, free %s", i, line ? line : "ok",
                     free_ ? free_ : "ok");
    }
    assert_string_equal(text_problem("\xed\xa0\x80", 3, TEXT_LINE), "must be valid UTF-8");
    assert_string_equal(text_problem("a\0", 2, TEXT_FREE), "must not contain U+0000");
}

static void
sanitize_keeps_valid_text(void **state)
{
    char out[32];
    (void)state;

    text_sanitize("caf\xc3\xa9", 5, out, sizeof(out));
    assert_string_equal(out, "caf\xc3\xa9");
    text_sanitize("a\nb\xed\xa0\x80" "c\0d", 9, out, sizeof(out));
    assert_string_equal(out, "a?b???c?d");
    text_sanitize("abcdef", 6, out, 4);
    assert_string_equal(out, "abc");
}

static const field_spec open_table[] = {
    {"name", FT_STRING, 0, 0, 0, NULL, NULL},
    {"count", FT_INT, 0, 0, INT64_MAX, NULL, NULL},
    {"user", FT_STRING, F_PRINTABLE, 0, 0, NULL, NULL},
    {"meta", FT_OBJECT, F_OPEN | F_TEXT, 0, 0, NULL, NULL},
    {"payload", FT_ANY, F_TEXT, 0, 0, NULL, NULL},
    {"tag", FT_ANY, 0, 0, 0, NULL, NULL},      /* free-form, but one line (a request id) */
    {NULL, 0, 0, 0, 0, NULL, NULL}};

/* fields_parse then fields_check(open_table); returns the error, copies the field. */
static dpa_err
check_input(const char *body, size_t len, char *field)
{
    struct json_object *o = NULL;
    dpa_error fe;
    dpa_err e;

    memset(&fe, 0, sizeof(fe));
    e = fields_parse(body, len, &o, &fe);
    if (e == E_OK)
        e = fields_check(o, open_table, &fe);
    else
        assert_null(o);
    strcpy(field, fe.field);
    json_object_put(o);
    return e;
}

static void
every_string_follows_the_policy(void **state)
{
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{\"name\":\"\xed\xa0\x80\"}", "name"},                 /* surrogate */
        {"{\"name\":\"\xc0\xaf\"}", "name"},                     /* overlong */
        {"{\"name\":\"a\\u0007b\"}", "name"},                    /* escaped BEL */
        {"{\"name\":\"a\x01\"}", "name"},                        /* raw control */
        {"{\"name\":\"two\\nlines\"}", "name"},                  /* names are one line */
        {"{\"name\":\"x\\u0000y\"}", "name"},                    /* U+0000 in a value */
        {"{\"name\":\"\\ud800\"}", "name"},                      /* unpaired surrogates */
        {"{\"name\":\"\\ud800x\"}", "name"},
        {"{\"name\":\"\\udc00\\ud800\"}", "name"},
        {"{\"user\":\"\xc3\xa9\"}", "user"},                     /* printable ASCII only */
        {"{\"meta\":{\"k\":\"\x1b[2J\"}}", "meta.k"},
        {"{\"meta\":{\"k\\u0001\":1}}", "meta.k?"},
        {"{\"meta\":{\"a\\u0000b\":1}}", "meta.a\\u0000b"},      /* json-c would cut it */
        {"{\"meta\":{\"\xed\xa0\x80\":1}}", "meta.???"},
        {"{\"meta\":{\"x\":[1,{\"y\":\"\\u007f\"}]}}", "meta.x[1].y"},
        {"{\"meta\":{\"x\":[0,1,\"\\u0000\"]}}", "meta.x[2]"},
        {"{\"payload\":{\"sdp\":\"v=0\\r\\n\\u0000\"}}", "payload.sdp"},
        {"{\"payload\":[\"\xf4\x90\x80\x80\"]}", "payload[0]"},
        {"{\"count\":9223372036854775808}", "count"},           /* json-c clamps these */
        {"{\"count\":18446744073709551616}", "count"},
        {"{\"count\":-9223372036854775809}", "count"},
        {"{\"meta\":{\"n\":99999999999999999999999}}", "meta.n"},
        {"{\"payload\":[1,[2,-99999999999999999999]]}", "payload[1][1]"},
        {"{\"tag\":\"a\\r\\nb\"}", "tag"},                    /* no F_TEXT: no line breaks */
        {"{\"tag\":{\"x\":\"\\t\"}}", "tag.x"},
    };
    char f[FIELD_PATH_MAX];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (check_input(cases[i].body, strlen(cases[i].body), f) != E_VALIDATION_FAILED)
            fail_msg("case %zu (%s) was accepted", i, cases[i].body);
        if (strcmp(f, cases[i].field) != 0)
            fail_msg("case %zu: field \"%s\", want \"%s\"", i, f, cases[i].field);
    }
}

static void
accepts_what_the_policy_allows(void **state)
{
    static const char *const ok[] = {
        "{\"name\":\"caf\xc3\xa9 \\ud83d\\ude00 \\u00e9\"}",
        "{\"meta\":{\"notes\":\"line 1\\nline 2\\ttab\\r\\n\",\"\xc3\xa9\":[1.5e300,-0]}}",
        "{\"payload\":\"v=0\\r\\no=- 1 2 IN IP4 127.0.0.1\\r\\n\"}",
        "{\"count\":9223372036854775807,\"meta\":{\"min\":-9223372036854775808}}",
        "{\"name\":\"a\\\\u0000b\"}",    /* an escaped backslash, then text */
        "{\"meta\":{\"a\":{\"b\":[[],{}]},\"c\":true,\"d\":null}} \n",
    };
    char f[FIELD_PATH_MAX];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (check_input(ok[i], strlen(ok[i]), f) != E_OK)
            fail_msg("case %zu (%s) refused at \"%s\"", i, ok[i], f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid),
        cmocka_unit_test(names_the_failing_field),
        cmocka_unit_test(parse_is_strict),
        cmocka_unit_test(parse_limits_depth),
        cmocka_unit_test(text_policy),
        cmocka_unit_test(sanitize_keeps_valid_text),
        cmocka_unit_test(every_string_follows_the_policy),
        cmocka_unit_test(accepts_what_the_policy_allows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
