/*
 * JSON helpers over json-c: strict parsing with limits, plain printing and a
 * few typed accessors. Encoding the wire format goes through json-c objects.
 */
#ifndef DPA_CORE_JSON_H
#define DPA_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "core/error.h"

#define JSON_MAX_DEPTH 32

/*
 * Parses exactly one JSON value from buf[0..len) in strict mode with UTF-8
 * validation and a nesting limit. Trailing whitespace is allowed, anything
 * else after the value is an error. On success *out holds a new reference
 * the caller puts (NULL for the JSON value null); on failure returns
 * E_MALFORMED_JSON and *out is NULL.
 */
dpa_err json_parse(const char *buf, size_t len, struct json_object **out);

/* Prints obj compactly (no slash escaping). The string belongs to obj. */
const char *json_plain(struct json_object *obj, size_t *len);

/* Typed member reads; they return the fallback when absent or mistyped. */
const char *json_get_str(struct json_object *obj, const char *key);
bool json_get_bool(struct json_object *obj, const char *key, bool fallback);
int64_t json_get_int(struct json_object *obj, const char *key, int64_t fallback);

/* A JSON string value, or JSON null when s is NULL. New reference. */
struct json_object *json_str_or_null(const char *s);

#endif
