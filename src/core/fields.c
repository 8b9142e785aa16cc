#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/fields.h"
#include "core/json.h"
#include "core/util.h"

dpa_err
field_fail(dpa_error *err, const char *field, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vset(err, E_VALIDATION_FAILED, field, fmt, ap);
    va_end(ap);
    return E_VALIDATION_FAILED;
}

/* ---- the string policy ---- */

static bool
is_control(uint32_t cp, text_kind kind)
{
    if (kind == TEXT_FREE && (cp == '\t' || cp == '\n' || cp == '\r'))
        return false;
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

const char *
text_problem(const char *s, size_t len, text_kind kind)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;
    uint32_t cp;

    while (i < len) {
        n = utf8_char_len(p + i, len - i, &cp);
        if (n == 0)
            return "must be valid UTF-8";
        if (cp == 0)
            return "must not contain U+0000";
        if (is_control(cp, kind))
            return kind == TEXT_FREE ? "must not contain control characters other than "
                                       "tab, LF and CR"
                                     : "must not contain control characters";
        i += n;
    }
    return NULL;
}

void
text_sanitize(const char *s, size_t len, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0, n;
    uint32_t cp;

    if (outlen == 0)
        return;
    while (i < len && o + 1 < outlen) {
        n = utf8_char_len(p + i, len - i, &cp);
        if (n == 0 || cp == 0 || is_control(cp, TEXT_LINE)) {
            out[o++] = '?';
            i += n ? n : 1;
            continue;
        }
        if (o + n >= outlen)
            break;
        memcpy(out + o, p + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
}

/*
 * path = prefix + "." + name, cut to size (name sanitized: what the policy
 * refuses shows as '?'). prefix must not overlap path.
 */
static void
member_path(char *path, size_t size, const char *prefix, const char *name, size_t len)
{
    size_t n = strlen(prefix);

    if (n >= size)
        n = size - 1;
    memcpy(path, prefix, n);
    if (n && n + 1 < size)
        path[n++] = '.';
    text_sanitize(name, len, path + n, size - n);
}

dpa_err
fields_check_text(struct json_object *v, text_kind kind, const char *path, dpa_error *err)
{
    char sub[FIELD_PATH_MAX];
    const char *why;
    size_t i, n;
    dpa_err e;

    switch (json_object_get_type(v)) {
    case json_type_string:
        why = text_problem(json_object_get_string(v), (size_t)json_object_get_string_len(v),
                           kind);
        if (why)
            return field_fail(err, path, "%s %s", *path ? path : "the value", why);
        return E_OK;
    case json_type_array:
        n = json_object_array_length(v);
        for (i = 0; i < n; i++) {
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            e = fields_check_text(json_object_array_get_idx(v, i), kind, sub, err);
            if (e)
                return e;
        }
        return E_OK;
    case json_type_object: {
        json_object_object_foreach(v, key, val) {
            member_path(sub, sizeof(sub), path, key, strlen(key));
            why = text_problem(key, strlen(key), TEXT_LINE);
            if (why)
                return field_fail(err, sub, "member name %s %s", sub, why);
            e = fields_check_text(val, kind, sub, err);
            if (e)
                return e;
        }
        return E_OK;
    }
    default:
        return E_OK;
    }
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
                             const char *prefix, dpa_error *err);

static dpa_err
check_value(struct json_object *v, const field_spec *f, const char *path, dpa_error *err)
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
    case FT_STRING: {
        const char *why;

        len = (size_t)json_object_get_string_len(v);
        why = text_problem(json_object_get_string(v), len,
                           (f->flags & F_TEXT) ? TEXT_FREE : TEXT_LINE);
        if (why)
            return field_fail(err, path, "%s %s", path, why);
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
    }
    case FT_INT:
        n = json_object_get_int64(v);
        if (n == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
            return field_fail(err, path, "%s is out of range (integers must fit in 64 bits)",
                              path);
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
        /* Free-form values: every name and string in them, at any depth. */
        return fields_check_text(v, (f->flags & F_TEXT) ? TEXT_FREE : TEXT_LINE, path, err);
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
              dpa_error *err)
{
    const field_spec *f;
    char path[FIELD_PATH_MAX];
    dpa_err e;

    json_object_object_foreach(obj, key, val) {
        const char *why = text_problem(key, strlen(key), TEXT_LINE);

        member_path(path, sizeof(path), prefix, key, strlen(key));
        if (why)
            return field_fail(err, path, "member name %s %s", path, why);
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
fields_check(struct json_object *obj, const field_spec *table, dpa_error *err)
{
    if (!json_object_is_type(obj, json_type_object))
        return field_fail(err, "", "the body must be a JSON object");
    return check_members(obj, table, "", err);
}

/* ---- lossless parsing ---- */

/*
 * A walk over text json-c has accepted (so it is valid JSON), keeping the
 * dotted path of the value at hand, for what json-c does not keep.
 */
typedef struct scan {
    const char *p, *end;
    char path[FIELD_PATH_MAX];
    dpa_error *err;
} scan;

static int
hex4(const char *p)
{
    int v = 0, i;

    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return -1;
    }
    return v;
}

/*
 * Reads the string at sc->p (on its opening quote) up to and past its
 * closing quote. *raw and *rawlen get its text between the quotes, escapes as
 * written. Returns NULL, or what is wrong with it.
 */
static const char *
scan_string(scan *sc, const char **raw, size_t *rawlen)
{
    const char *p = sc->p + 1, *why = NULL;
    int cp, lo;

    *raw = p;
    for (; p < sc->end && *p != '"'; p++) {
        if (*p != '\\')
            continue;
        if (++p < sc->end && *p == 'u' && sc->end - p > 4) {
            cp = hex4(p + 1);
            p += 4;
            if (cp == 0 && !why)
                why = "must not contain U+0000";
            if (cp >= 0xdc00 && cp <= 0xdfff && !why)
                why = "must not contain an unpaired surrogate";
            if (cp >= 0xd800 && cp <= 0xdbff) {
                lo = sc->end - p > 6 && p[1] == '\\' && p[2] == 'u' ? hex4(p + 3) : -1;
                if (lo >= 0xdc00 && lo <= 0xdfff)
                    p += 6;
                else if (!why)
                    why = "must not contain an unpaired surrogate";
            }
        }
    }
    *rawlen = (size_t)(p - *raw);
    sc->p = p < sc->end ? p + 1 : p;
    return why;
}

/* Whether the integer text s[0..n) (no fraction, no exponent) fits int64. */
static bool
int_fits(const char *s, size_t n)
{
    bool neg = n && *s == '-';
    const char *limit = neg ? "9223372036854775808" : "9223372036854775807";

    if (neg) {
        s++;
        n--;
    }
    if (n != 19)
        return n < 19;
    return strncmp(s, limit, 19) <= 0;
}

typedef struct scan_frame {
    bool object;
    bool want_name;
    size_t index;
    size_t base;                /* strlen(path) where the container sits */
} scan_frame;

static dpa_err
scan_fail(scan *sc, const char *why)
{
    return field_fail(sc->err, sc->path, "%s %s", *sc->path ? sc->path : "the body", why);
}

static dpa_err
scan_value_text(scan *sc)
{
    scan_frame st[JSON_MAX_DEPTH + 2];
    int depth = -1;
    const char *raw, *why;
    size_t rawlen, n;

    while (sc->p < sc->end) {
        char c = *sc->p;
        scan_frame *top = depth >= 0 ? &st[depth] : NULL;

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':') {
            sc->p++;
            continue;
        }
        if (c == ',') {
            if (top && top->object)
                top->want_name = true;
            else if (top)
                top->index++;
            sc->p++;
            continue;
        }
        if (c == '}' || c == ']') {
            if (top)
                sc->path[top->base] = '\0';
            depth--;
            sc->p++;
            continue;
        }
        if (top && top->object && top->want_name) {
            /* A member name: the path of the value that follows. */
            char prefix[FIELD_PATH_MAX];

            why = scan_string(sc, &raw, &rawlen);
            memcpy(prefix, sc->path, top->base);
            prefix[top->base] = '\0';
            member_path(sc->path, sizeof(sc->path), prefix, raw, rawlen);
            top->want_name = false;
            if (why)
                return field_fail(sc->err, sc->path, "member name %s %s", sc->path, why);
            continue;
        }
        if (top && !top->object) {
            sc->path[top->base] = '\0';
            n = strlen(sc->path);
            snprintf(sc->path + n, sizeof(sc->path) - n, "[%zu]", top->index);
        }
        if (c == '{' || c == '[') {
            if (depth + 1 >= (int)(sizeof(st) / sizeof(st[0])))
                return E_MALFORMED_JSON; /* json-c's own limit is lower */
            depth++;
            st[depth].object = c == '{';
            st[depth].want_name = true;
            st[depth].index = 0;
            st[depth].base = strlen(sc->path);
            sc->p++;
            continue;
        }
        if (c == '"') {
            why = scan_string(sc, &raw, &rawlen);
            if (why)
                return scan_fail(sc, why);
            continue;
        }
        /* A number or a literal. */
        raw = sc->p;
        while (sc->p < sc->end && *sc->p && strchr("-+.eE0123456789truefalsn", *sc->p))
            sc->p++;
        n = (size_t)(sc->p - raw);
        if (n == 0)
            return E_MALFORMED_JSON; /* not JSON json-c accepted */
        if ((*raw == '-' || (*raw >= '0' && *raw <= '9')) && !memchr(raw, '.', n) &&
            !memchr(raw, 'e', n) && !memchr(raw, 'E', n) && !int_fits(raw, n))
            return scan_fail(sc, "is out of range (integers must fit in 64 bits)");
    }
    return E_OK;
}

dpa_err
fields_parse(const char *buf, size_t len, struct json_object **out, dpa_error *err)
{
    scan sc;
    dpa_err e;

    e = json_parse(buf, len, out);
    if (e)
        return e;
    sc.p = buf;
    sc.end = buf + len;
    sc.path[0] = '\0';
    sc.err = err;
    e = scan_value_text(&sc);
    if (e) {
        if (e == E_MALFORMED_JSON)
            field_fail(err, NULL, "the body is not valid JSON");
        json_object_put(*out);
        *out = NULL;
    }
    return e;
}
