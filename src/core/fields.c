#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/fields.h"
#include "core/json.h"

dpa_err
field_fail(field_error *err, const char *field, const char *fmt, ...)
{
    va_list ap;

    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return E_VALIDATION_FAILED;
}

static const char *
type_name(field_type t)
{
    switch (t) {
    case FT_STRING: return "a string";
    case FT_INT: return "an integer";
    case FT_BOOL: return "a boolean";
    case FT_OBJECT: return "an object";
    case FT_ARRAY: return "an array";
    default: return "a JSON value";
    }
}

static int
type_matches(struct json_object *v, field_type t)
{
    switch (t) {
    case FT_STRING: return json_object_is_type(v, json_type_string);
    case FT_INT: return json_object_is_type(v, json_type_int);
    case FT_BOOL: return json_object_is_type(v, json_type_boolean);
    case FT_OBJECT: return json_object_is_type(v, json_type_object);
    case FT_ARRAY: return json_object_is_type(v, json_type_array);
    default: return 1;
    }
}

static dpa_err check_members(struct json_object *obj, const field_spec *table,
                             const char *prefix, field_error *err);

static dpa_err
check_value(struct json_object *v, const field_spec *f, const char *path, field_error *err)
{
    int64_t n;
    size_t i, len;

    if (v == NULL) {
        if (f->flags & F_NULLABLE)
            return E_OK;
        return field_fail(err, path, "%s must be %s, not null", path, type_name(f->type));
    }
    if (!type_matches(v, f->type))
        return field_fail(err, path, "%s must be %s", path, type_name(f->type));
    switch (f->type) {
    case FT_STRING:
        len = (size_t)json_object_get_string_len(v);
        if ((f->min || f->max) && ((int64_t)len < f->min || (int64_t)len > f->max)) {
            if (f->min == f->max)
                return field_fail(err, path, "%s must be %lld bytes", path, (long long)f->min);
            return field_fail(err, path, "%s must be %lld to %lld bytes long", path,
                              (long long)f->min, (long long)f->max);
        }
        if (f->choices) {
            const char *sv = json_object_get_string(v);
            char list[160] = "";
            for (i = 0; f->choices[i]; i++) {
                if (strcmp(sv, f->choices[i]) == 0)
                    return E_OK;
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                         i ? ", " : "", f->choices[i]);
            }
            return field_fail(err, path, "%s must be one of %s", path, list);
        }
        if (f->flags & F_PRINTABLE) {
            const unsigned char *s = (const unsigned char *)json_object_get_string(v);
            for (i = 0; i < len; i++)
                if (s[i] < 0x20 || s[i] > 0x7e)
                    return field_fail(err, path, "%s must be printable ASCII", path);
        }
        return E_OK;
    case FT_INT:
        n = json_object_get_int64(v);
        if ((f->min || f->max) && (n < f->min || n > f->max))
            return field_fail(err, path, "%s must be between %lld and %lld", path,
                              (long long)f->min, (long long)f->max);
        return E_OK;
    case FT_ARRAY:
        len = json_object_array_length(v);
        if ((f->min || f->max) && ((int64_t)len < f->min || (int64_t)len > f->max))
            return field_fail(err, path, "%s must have %lld to %lld items", path,
                              (long long)f->min, (long long)f->max);
        if (f->sub) {
            for (i = 0; i < len; i++) {
                char sub[FIELD_PATH_MAX];
                dpa_err e;
                snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
                e = check_value(json_object_array_get_idx(v, i), f->sub, sub, err);
                if (e)
                    return e;
            }
        }
        return E_OK;
    case FT_OBJECT:
    case FT_ANY:
        if (f->max) {
            json_plain(v, &len);
            if ((int64_t)len > f->max)
                return field_fail(err, path, "%s must be at most %lld bytes as JSON", path,
                                  (long long)f->max);
        }
        if (f->type == FT_OBJECT && f->sub && !(f->flags & F_OPEN))
            return check_members(v, f->sub, path, err);
        return E_OK;
    default:
        return E_OK;
    }
}

static const field_spec *
lookup(const field_spec *table, const char *name)
{
    for (; table->name; table++)
        if (strcmp(table->name, name) == 0)
            return table;
    return NULL;
}

static dpa_err
check_members(struct json_object *obj, const field_spec *table, const char *prefix,
              field_error *err)
{
    const field_spec *f;
    char path[FIELD_PATH_MAX];
    dpa_err e;

    json_object_object_foreach(obj, key, val) {
        snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", key);
        f = lookup(table, key);
        if (!f)
            return field_fail(err, path, "unknown field %s", path);
        e = check_value(val, f, path, err);
        if (e)
            return e;
    }
    for (f = table; f->name; f++) {
        if ((f->flags & F_REQUIRED) && !json_object_object_get_ex(obj, f->name, NULL)) {
            snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", f->name);
            return field_fail(err, path, "%s is required", path);
        }
    }
    return E_OK;
}

dpa_err
fields_check(struct json_object *obj, const field_spec *table, field_error *err)
{
    if (!json_object_is_type(obj, json_type_object))
        return field_fail(err, "", "the body must be a JSON object");
    return check_members(obj, table, "", err);
}
