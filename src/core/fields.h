/*
 * Declared field tables: every REST body and WebSocket command is checked
 * against one before its handler runs. The same table yields "unknown
 * field", "wrong type" and "out of range" errors, each naming the field by
 * its dotted path (e.g. "policy.maxParticipants").
 */
#ifndef DPA_CORE_FIELDS_H
#define DPA_CORE_FIELDS_H

#include <stddef.h>
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
    F_PRINTABLE = 1 << 3, /* FT_STRING: ASCII 0x20..0x7e only */
    F_TEXT = 1 << 4       /* strings (of FT_STRING, or inside FT_ANY / F_OPEN values) are
                             free text: tab/LF/CR allowed (text_kind) */
};

typedef struct field_spec {
    const char *name;          /* NULL ends a table */
    field_type type;
    unsigned flags;
    int64_t min, max;          /* see field_type; both 0 = unbounded */
    const struct field_spec *sub;
    const char *const *choices; /* FT_STRING: NULL-ended allowed values */
} field_spec;

#define FIELD_PATH_MAX ERR_FIELD_MAX
#define FIELD_MSG_MAX ERR_MSG_MAX

/* Where and why a check failed: a dpa_error (core/error.h) with its field set. */

/*
 * The string policy: every string a request carries, at any depth (member
 * names, values, metadata, signal payloads, ids), must be well-formed UTF-8
 * (shortest form, no surrogates, nothing above U+10FFFF), must not contain
 * U+0000, and must not contain control characters (U+0001..U+001F, U+007F,
 * U+0080..U+009F). Free text (TEXT_FREE: values inside metadata and
 * signal payloads, F_TEXT fields) may contain tab, LF and CR; names, ids
 * and member names (TEXT_LINE) may not. docs/api.md, "Strings", is the
 * user-facing statement of these rules.
 */
typedef enum text_kind { TEXT_LINE, TEXT_FREE } text_kind;

/*
 * NULL when s[0..len) follows the policy for kind, else the rule it breaks
 * as a phrase to follow a field name ("must be valid UTF-8").
 */
const char *text_problem(const char *s, size_t len, text_kind kind);

/*
 * Copies s[0..len) into out (NUL-ended, truncated to fit) keeping valid
 * UTF-8 and replacing every byte or character the TEXT_LINE policy refuses
 * with '?': for echoing client text in error messages and field paths.
 */
void text_sanitize(const char *s, size_t len, char *out, size_t outlen);

/*
 * Parses a request body or a WebSocket frame: json_parse, then refuses
 * what json-c would silently change instead of keeping: U+0000 in a string
 * or member name (json-c cuts member names short at it), an escaped
 * surrogate that is not part of a pair (json-c turns it into U+FFFD) and
 * an integer outside the signed 64-bit range (json-c clamps it). Returns
 * E_OK with *out a new reference, E_MALFORMED_JSON, or E_VALIDATION_FAILED
 * with err naming the field; *out is NULL on failure.
 */
dpa_err fields_parse(const char *buf, size_t len, struct json_object **out, dpa_error *err);

/*
 * Checks that obj is a JSON object whose members all appear in table, with
 * the declared types and bounds, and that required members are present.
 * Every string, member name and free-form value (F_OPEN objects, FT_ANY)
 * is held to the string policy. Returns E_OK, or E_VALIDATION_FAILED with
 * err filled in.
 */
dpa_err fields_check(struct json_object *obj, const field_spec *table, dpa_error *err);

/*
 * Holds any JSON value to the string policy, recursively: member names as
 * TEXT_LINE, string values as kind. path names v in errors ("" at the top).
 * Returns E_OK or E_VALIDATION_FAILED with err filled in.
 */
dpa_err fields_check_text(struct json_object *v, text_kind kind, const char *path,
                          dpa_error *err);

/* Fills err with a field and printf-style message; returns E_VALIDATION_FAILED. */
dpa_err field_fail(dpa_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
