/*
 * Declared field tables: every REST body and WebSocket command is checked
 * against one before its handler runs. The same table yields "unknown
 * field", "wrong type" and "out of range" errors, each naming the field by
 * its dotted path (e.g. "policy.maxParticipants").
 */
#ifndef DPA_CORE_FIELDS_H
#define DPA_CORE_FIELDS_H

#include <stdint.h>
#include <json-c/json.h>

#include "core/error.h"

typedef enum field_type {
    FT_STRING,  /* bounds: byte length */
    FT_INT,     /* bounds: value */
    FT_BOOL,
    FT_OBJECT,  /* bounds: printed size in bytes; `sub` checks members */
    FT_ARRAY,   /* bounds: element count; `sub[0]` checks each element */
    FT_ANY      /* any JSON value; bounds: printed size in bytes */
} field_type;

enum {
    F_REQUIRED = 1 << 0,
    F_NULLABLE = 1 << 1,
    F_OPEN = 1 << 2, /* FT_OBJECT: members are free-form (no sub table) */
    F_PRINTABLE = 1 << 3 /* FT_STRING: ASCII 0x20..0x7e only */
};

typedef struct field_spec {
    const char *name;          /* NULL ends a table */
    field_type type;
    unsigned flags;
    int64_t min, max;          /* see field_type; both 0 = unbounded */
    const struct field_spec *sub;
    const char *const *choices; /* FT_STRING: NULL-ended allowed values */
} field_spec;

#define FIELD_PATH_MAX 128
#define FIELD_MSG_MAX 256

/* Where and why a check failed. */
typedef struct field_error {
    char field[FIELD_PATH_MAX];
    char message[FIELD_MSG_MAX];
} field_error;

/*
 * Checks that obj is a JSON object whose members all appear in table, with
 * the declared types and bounds, and that required members are present.
 * Returns E_OK, or E_VALIDATION_FAILED with err filled in.
 */
dpa_err fields_check(struct json_object *obj, const field_spec *table, field_error *err);

/* Fills err with a field and printf-style message; returns E_VALIDATION_FAILED. */
dpa_err field_fail(field_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
