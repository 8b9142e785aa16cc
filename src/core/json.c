#include <math.h>
#include <string.h>

#include "core/json.h"

/*
 * json-c's strict mode still takes single-quoted strings and NaN/Infinity,
 * which are not JSON and could not be printed back as JSON. These two
 * checks close that gap: a quote scan outside strings, and a walk for
 * non-finite numbers.
 */
static bool
has_single_quote(const char *buf, size_t len)
{
    bool in_str = false;
    size_t i;

    for (i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '\'') {
            return true;
        }
    }
    return false;
}

static bool
all_finite(struct json_object *o)
{
    size_t i;

    switch (json_object_get_type(o)) {
    case json_type_double:
        return isfinite(json_object_get_double(o));
    case json_type_array:
        for (i = 0; i < json_object_array_length(o); i++)
            if (!all_finite(json_object_array_get_idx(o, i)))
                return false;
        return true;
    case json_type_object: {
        json_object_object_foreach(o, key, val) {
            (void)key;
            if (!all_finite(val))
                return false;
        }
        return true;
    }
    default:
        return true;
    }
}

dpa_err
json_parse(const char *buf, size_t len, struct json_object **out)
{
    struct json_tokener *tok;
    struct json_object *obj;
    size_t used;

    *out = NULL;
    if (len > INT32_MAX)
        return E_MALFORMED_JSON;
    tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok)
        return E_INTERNAL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, buf, (int)len);
    used = json_tokener_get_parse_end(tok);
    if (json_tokener_get_error(tok) == json_tokener_continue) {
        /* A top-level number or literal ends only at a delimiter. */
        obj = json_tokener_parse_ex(tok, " ", 1);
        used = len;
    }
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(obj);
        json_tokener_free(tok);
        return E_MALFORMED_JSON;
    }
    json_tokener_free(tok);
    for (; used < len; used++) {
        char c = buf[used];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            json_object_put(obj);
            return E_MALFORMED_JSON;
        }
    }
    if (has_single_quote(buf, len) || !all_finite(obj)) {
        json_object_put(obj);
        return E_MALFORMED_JSON;
    }
    *out = obj;
    return E_OK;
}

const char *
json_plain(struct json_object *obj, size_t *len)
{
    return json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
}

const char *
json_get_str(struct json_object *obj, const char *key)
{
    struct json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

bool
json_get_bool(struct json_object *obj, const char *key, bool fallback)
{
    struct json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_boolean))
        return fallback;
    return json_object_get_boolean(v);
}

int64_t
json_get_int(struct json_object *obj, const char *key, int64_t fallback)
{
    struct json_object *v;

    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_int))
        return fallback;
    return json_object_get_int64(v);
}

struct json_object *
json_str_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}
