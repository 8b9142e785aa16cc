/*
 * One error enum for the whole server: 0 is success, every failure is
 * negative. Each error has one wire code (what clients match on) and one
 * HTTP status; handlers return these and never format HTTP themselves.
 */
#ifndef DPA_CORE_ERROR_H
#define DPA_CORE_ERROR_H

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
    E__COUNT = 26
} dpa_err;

/* The wire code, e.g. "ROOM_NOT_FOUND". Never NULL. */
const char *error_code(dpa_err e);

/* The HTTP status that goes with the error (200 for E_OK). */
int error_http_status(dpa_err e);

/* A generic human message for the error, used when a handler gives none. */
const char *error_message(dpa_err e);

#endif
