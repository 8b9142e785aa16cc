/*
 * One error enum for the whole server: 0 is success, every failure is
 * negative. Each error has one wire code (what clients match on) and one
 * HTTP status; handlers return these and never format HTTP themselves.
 */
#ifndef DPA_CORE_ERROR_H
#define DPA_CORE_ERROR_H

#include <stdarg.h>

typedef enum dpa_err {
    E_OK = 0,
    E_VALIDATION_FAILED = -1,
    E_MALFORMED_JSON = -2,
    E_BAD_REQUEST = -3,
    E_UNAUTHORIZED = -4,
    E_FORBIDDEN = -5,
    E_FEATURE_NOT_ENABLED = -6,
    E_ROOM_LIMIT_REACHED = -7,
    E_ROOM_NOT_FOUND = -8,
    E_NOT_FOUND = -9,
    E_METHOD_NOT_ALLOWED = -10,
    E_NOT_WAITING = -11,
    E_NO_LIVE_CALL = -12,
    E_IDEMPOTENCY_KEY_REUSED = -13,
    E_LENGTH_REQUIRED = -14,
    E_PRECONDITION_FAILED = -15,
    E_PAYLOAD_TOO_LARGE = -16,
    E_UNSUPPORTED_MEDIA_TYPE = -17,
    E_RATE_LIMITED = -18,
    E_ROOM_FULL = -19,
    E_RESUME_EXPIRED = -20,
    E_UNAVAILABLE = -21,
    E_INTERNAL = -22,
    E_HEADERS_TOO_LARGE = -23,
    E_NOT_IMPLEMENTED = -24,
    E_STORE_UNAVAILABLE = -25,    /* the database cannot be used now; retry later (503) */
    /*
     * A write about a call carried an older fencing epoch than the room's
     * recorded one: a newer owner has claimed the call (store.h). Internal
     * to the owner's store writes; no reply carries it today.
     */
    E_FENCED = -26,
    E_CALL_NOT_FOUND = -27,       /* no such call (history) in the caller's app */
    E__COUNT = 28
} dpa_err;

/* Which limit a ROOM_FULL hit: the room's maxParticipants or the plan's cap. */
typedef enum limit_source { LIMIT_NONE, LIMIT_ROOM, LIMIT_PLAN } limit_source;

#define ERR_FIELD_MAX 128
#define ERR_MSG_MAX 512

/*
 * The detail of a failure, the one carrier every layer fills: the request
 * field at fault ("" when none), a human message ("" = the code's generic
 * one) and, for ROOM_FULL, the limit that binds. The code itself travels
 * as the dpa_err the function returns.
 */
typedef struct dpa_error {
    char field[ERR_FIELD_MAX];
    char message[ERR_MSG_MAX];
    limit_source limit;
} dpa_error;

/* Fills d (field may be NULL, fmt NULL = no message; limit LIMIT_NONE) and returns e. */
dpa_err error_set(dpa_error *d, dpa_err e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
dpa_err error_vset(dpa_error *d, dpa_err e, const char *field, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/*
 * The one encoder of an error for clients, REST and WebSocket alike:
 * {"code", "message", "field"?, "limitSource"?}. Text that may quote the
 * client (a path, a user id) is made valid UTF-8. d may be NULL.
 */
struct json_object *error_json(dpa_err e, const dpa_error *d);

const char *limit_source_name(limit_source s);

/* The wire code, e.g. "ROOM_NOT_FOUND". Never NULL. */
const char *error_code(dpa_err e);

/* The HTTP status that goes with the error (200 for E_OK). */
int error_http_status(dpa_err e);

/* A generic human message for the error, used when a handler gives none. */
const char *error_message(dpa_err e);

#endif
