/*
 * Logs: one logfmt line per event on stderr, `ts=... level=... node=... `
 * followed by the caller's `msg="..." key=%s ...` text. Never log a token
 * or secret.
 *
 * The format's literal text is the keys (and constant values such as
 * msg="request"); every conversion (%s, %d, %.*s, ...) is a value, and the
 * logger writes each value as a logfmt value itself: bare when it is plain
 * printable ASCII, else quoted with ", \ and control characters escaped
 * (\n, \t, \xHH) and invalid UTF-8 bytes as \xHH. So a caller never quotes
 * a conversion, and no value (a user id, a path, a header) can end the
 * line or forge a key.
 */
#ifndef DPA_SERVER_LOG_H
#define DPA_SERVER_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

extern int log_level;

/*
 * Names this process in every line from now on (`node=ID` after the
 * level); id must be a plain token (server_node_id_valid). NULL: none.
 */
void log_set_node(const char *node_id);

/* Parses "debug|info|warn|error"; returns -1 for anything else. */
int log_level_parse(const char *name);

void dlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Formats fmt with its values escaped as above into out[size] (NUL-ended,
 * cut short to fit, never inside an escape). Returns the length written.
 * What dlog prints after `ts=... level=... `; exposed for tests.
 */
size_t log_format(char *out, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
