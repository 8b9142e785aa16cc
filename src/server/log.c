#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "core/util.h"
#include "server/log.h"

int log_level = LOG_INFO;

/* This process's node id, in every line once set (a plain token: no quoting). */
static char log_node[72];

void
log_set_node(const char *node_id)
{
    snprintf(log_node, sizeof(log_node), "%s", node_id ? node_id : "");
}

static const char *const names[] = {"debug", "info", "warn", "error"};

int
log_level_parse(const char *name)
{
    int i;
    for (i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* Where formatted text goes: never past size - 1, always NUL-ended. */
typedef struct sink {
    char *out;
    size_t size, len;
} sink;

/* Appends n bytes when all of them fit; returns 0, or -1 (the line is full). */
static int
put(sink *k, const char *s, size_t n)
{
    if (k->len + n >= k->size)
        return -1;
    memcpy(k->out + k->len, s, n);
    k->len += n;
    k->out[k->len] = '\0';
    return 0;
}

/* A value needs quotes unless it is non-empty plain ASCII without " = \ or spaces. */
static int
needs_quotes(const unsigned char *v, size_t n)
{
    size_t i;

    if (n == 0)
        return 1;
    for (i = 0; i < n; i++)
        if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '"' || v[i] == '=' || v[i] == '\\')
            return 1;
    return 0;
}

/* Writes one value, quoted (always when asked) and escaped when it needs it. */
static void
put_value(sink *k, const char *value, size_t n, bool quote)
{
    const unsigned char *v = (const unsigned char *)value;
    char esc[8];
    size_t i = 0, m;
    uint32_t cp;

    if (!quote && !needs_quotes(v, n)) {
        put(k, value, n);
        return;
    }
    if (put(k, "\"", 1))
        return;
    while (i < n) {
        m = utf8_char_len(v + i, n - i, &cp);
        if (m > 1 && cp > 0x9f) {
            /* Keep room for the closing quote. */
            if (k->len + m + 1 >= k->size || put(k, value + i, m))
                break;
            i += m;
            continue;
        }
        switch (v[i]) {
        case '"': snprintf(esc, sizeof(esc), "\\\""); break;
        case '\\': snprintf(esc, sizeof(esc), "\\\\"); break;
        case '\n': snprintf(esc, sizeof(esc), "\\n"); break;
        case '\r': snprintf(esc, sizeof(esc), "\\r"); break;
        case '\t': snprintf(esc, sizeof(esc), "\\t"); break;
        default:
            if (v[i] < 0x20 || v[i] >= 0x7f)
                snprintf(esc, sizeof(esc), "\\x%02x", v[i]);
            else
                snprintf(esc, sizeof(esc), "%c", v[i]);
        }
        /* Keep room for the closing quote. */
        if (k->len + strlen(esc) + 1 >= k->size || put(k, esc, strlen(esc)))
            break;
        i++;
    }
    if (put(k, "\"", 1)) {
        k->out[k->size - 2] = '"'; /* the line is full: still close the quote */
        k->out[k->size - 1] = '\0';
        k->len = k->size - 1;
    }
}

/*
 * Formats one conversion spec[0..n) ("%.*s", "%llu", "%zu", ...) with its
 * arguments and writes the result as a value. Widths are not kept (a
 * logfmt value needs none); an unknown conversion writes "?" and stops
 * reading arguments, since their types are unknown.
 */
static int
put_conversion(sink *k, const char *spec, size_t n, va_list *ap, bool quote)
{
    char buf[64];
    const char *p, *s;
    char conv = spec[n - 1];
    int longs = 0, wide = 0, prec = -1, len;
    bool has_dot = false;
    long long sv;
    unsigned long long uv;

    for (p = spec + 1; p < spec + n - 1; p++) {
        if (*p == '.')
            has_dot = true;
        else if (*p == '*' && has_dot)
            prec = va_arg(*ap, int);
        else if (*p == '*')
            (void)va_arg(*ap, int); /* a width */
        else if (*p == 'l')
            longs++;
        else if (*p == 'z' || *p == 'j' || *p == 't')
            wide = 1;
    }
    switch (conv) {
    case 's':
        s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)";
        /* "%.*s": the value is at most prec bytes. */
        put_value(k, s, prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s), quote);
        return 0;
    case 'c':
        buf[0] = (char)va_arg(*ap, int);
        put_value(k, buf, 1, quote);
        return 0;
    case 'd':
    case 'i':
        sv = wide ? (long long)va_arg(*ap, ssize_t)
             : longs >= 2 ? va_arg(*ap, long long)
             : longs == 1 ? va_arg(*ap, long)
                          : va_arg(*ap, int);
        len = snprintf(buf, sizeof(buf), "%lld", sv);
        break;
    case 'u':
    case 'x':
        uv = wide ? (unsigned long long)va_arg(*ap, size_t)
             : longs >= 2 ? va_arg(*ap, unsigned long long)
             : longs == 1 ? va_arg(*ap, unsigned long)
                          : va_arg(*ap, unsigned int);
        len = snprintf(buf, sizeof(buf), conv == 'x' ? "%llx" : "%llu", uv);
        break;
    case 'p':
        len = snprintf(buf, sizeof(buf), "%p", va_arg(*ap, void *));
        break;
    default:
        put_value(k, "?", 1, quote);
        return -1;
    }
    put_value(k, buf, (size_t)len, quote);
    return 0;
}

size_t
log_format(char *out, size_t size, const char *fmt, va_list ap)
{
    sink k = {out, size, 0};
    va_list args;
    const char *p = fmt;

    if (size == 0)
        return 0;
    out[0] = '\0';
    va_copy(args, ap);
    while (*p) {
        size_t lit = strcspn(p, "%"), n;
        bool quoted;

        if (p[lit] == '%' && p[lit + 1] == '%') {
            if (put(&k, p, lit + 1))
                break;
            p += lit + 2;
            continue;
        }
        if (!p[lit]) {
            put(&k, p, lit);
            break;
        }
        n = 1 + strspn(p + lit + 1, "-+ #0123456789.*hlzjt");
        if (!p[lit + n])
            break;
        /*
         * key="%s" in a format is the caller quoting a value: the value is
         * quoted here instead (and escaped), so those quotes are dropped.
         */
        quoted = lit > 0 && p[lit - 1] == '"' && p[lit + n + 1] == '"';
        if (put(&k, p, lit - quoted) || put_conversion(&k, p + lit, n + 1, &args, quoted))
            break;
        p += lit + n + 1 + quoted;
    }
    va_end(args);
    return k.len;
}

void
dlog(int level, const char *fmt, ...)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    va_list ap;
    int n;

    if (level < log_level)
        return;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    n = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s %s%s%s",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, (int)(tv.tv_usec / 1000), names[level & 3],
                 log_node[0] ? "node=" : "", log_node, log_node[0] ? " " : "");
    va_start(ap, fmt);
    n += (int)log_format(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}
