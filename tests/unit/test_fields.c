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
    field_error fe;
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_valid),
        cmocka_unit_test(names_the_failing_field),
        cmocka_unit_test(parse_is_strict),
        cmocka_unit_test(parse_limits_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
