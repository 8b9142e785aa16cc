#include <string.h>

#include "core/json.h"

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
    if (!obj && json_tokener_get_error(tok) == json_tokener_continue) {
        /* A lone number like "12" needs an end marker to complete. */
        obj = json_tokener_parse_ex(tok, "", 1);
    }
    if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(obj);
        json_tokener_free(tok);
        return E_MALFORMED_JSON;
    }
    used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    for (; used < len; used++) {
        char c = buf[used];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            json_object_put(obj);
            return E_MALFORMED_JSON;
        }
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
