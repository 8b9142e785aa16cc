#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "core/fields.h"

static const struct {
    const char *code;
    int status;
    const char *message;
} table[E__COUNT] = {
    [0] = {"OK", 200, "ok"},
    [-E_VALIDATION_FAILED] = {"VALIDATION_FAILED", 400, "the request is not valid"},
    [-E_MALFORMED_JSON] = {"MALFORMED_JSON", 400, "the body is not valid JSON"},
    [-E_BAD_REQUEST] = {"BAD_REQUEST", 400, "bad request"},
    [-E_UNAUTHORIZED] = {"UNAUTHORIZED", 401, "a valid bearer token is required"},
    [-E_FORBIDDEN] = {"FORBIDDEN", 403, "not allowed"},
    [-E_FEATURE_NOT_ENABLED] = {"FEATURE_NOT_ENABLED", 403,
                                "this feature is not enabled on the app's plan"},
    [-E_ROOM_LIMIT_REACHED] = {"ROOM_LIMIT_REACHED", 403,
                               "the app's plan allows no more rooms"},
    [-E_ROOM_NOT_FOUND] = {"ROOM_NOT_FOUND", 404, "no such room"},
    [-E_NOT_FOUND] = {"NOT_FOUND", 404, "no such route"},
    [-E_METHOD_NOT_ALLOWED] = {"METHOD_NOT_ALLOWED", 405,
                               "method not allowed on this route"},
    [-E_NOT_WAITING] = {"NOT_WAITING", 409, "that user is not waiting"},
    [-E_NO_LIVE_CALL] = {"NO_LIVE_CALL", 409, "the room has no live call"},
    [-E_IDEMPOTENCY_KEY_REUSED] = {"IDEMPOTENCY_KEY_REUSED", 409,
                                   "this Idempotency-Key was used with another request"},
    [-E_LENGTH_REQUIRED] = {"LENGTH_REQUIRED", 411, "a Content-Length is required"},
    [-E_PRECONDITION_FAILED] = {"PRECONDITION_FAILED", 412,
                                "If-Match does not match the current version"},
    [-E_PAYLOAD_TOO_LARGE] = {"PAYLOAD_TOO_LARGE", 413, "the body is too large"},
    [-E_UNSUPPORTED_MEDIA_TYPE] = {"UNSUPPORTED_MEDIA_TYPE", 415,
                                   "the body must be application/json"},
    [-E_RATE_LIMITED] = {"RATE_LIMITED", 429, "too many requests"},
    [-E_ROOM_FULL] = {"ROOM_FULL", 403, "the call is full"},
    [-E_RESUME_EXPIRED] = {"RESUME_EXPIRED", 401, "the session can no longer be resumed"},
    [-E_UNAVAILABLE] = {"UNAVAILABLE", 503, "the server is shutting down"},
    [-E_INTERNAL] = {"INTERNAL", 500, "internal error"},
    [-E_HEADERS_TOO_LARGE] = {"HEADERS_TOO_LARGE", 431, "a request header is too large"},
    [-E_NOT_IMPLEMENTED] = {"NOT_IMPLEMENTED", 501, "this server does not know that method"},
    [-E_STORE_UNAVAILABLE] = {"STORE_UNAVAILABLE", 503,
                              "the database cannot be used at the moment; nothing was written, "
                              "retry later"},
    [-E_FENCED] = {"FENCED", 409,
                   "another process has claimed the call since; this write was refused"},
    [-E_CALL_NOT_FOUND] = {"CALL_NOT_FOUND", 404, "no such call"},
};

static int
index_of(dpa_err e)
{
    int i = -(int)e;
    return (i >= 0 && i < E__COUNT) ? i : -E_INTERNAL;
}

const char *
error_code(dpa_err e)
{
    return table[index_of(e)].code;
}

int
error_http_status(dpa_err e)
{
    return table[index_of(e)].status;
}

const char *
error_message(dpa_err e)
{
    return table[index_of(e)].message;
}

const char *
limit_source_name(limit_source s)
{
    return s == LIMIT_ROOM ? "room" : s == LIMIT_PLAN ? "plan" : "";
}

dpa_err
error_vset(dpa_error *d, dpa_err e, const char *field, const char *fmt, va_list ap)
{
    snprintf(d->field, sizeof(d->field), "%s", field ? field : "");
    d->message[0] = '\0';
    if (fmt)
        vsnprintf(d->message, sizeof(d->message), fmt, ap);
    d->limit = LIMIT_NONE;
    return e;
}

dpa_err
error_set(dpa_error *d, dpa_err e, const char *field, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vset(d, e, field, fmt, ap);
    va_end(ap);
    return e;
}

struct json_object *
error_json(dpa_err e, const dpa_error *d)
{
    struct json_object *o = json_object_new_object();
    const char *msg = d && d->message[0] ? d->message : error_message(e);
    char buf[ERR_MSG_MAX * 2];

    json_object_object_add(o, "code", json_object_new_string(error_code(e)));
    text_sanitize(msg, strlen(msg), buf, sizeof(buf));
    json_object_object_add(o, "message", json_object_new_string(buf));
    if (d && d->field[0]) {
        text_sanitize(d->field, strlen(d->field), buf, sizeof(buf));
        json_object_object_add(o, "field", json_object_new_string(buf));
    }
    if (d && d->limit != LIMIT_NONE)
        json_object_object_add(o, "limitSource",
                               json_object_new_string(limit_source_name(d->limit)));
    return o;
}
