/*
 * Logs: one logfmt line per event on stderr, `ts=... level=... ` followed
 * by the caller's `msg="..." key=value` text. Never log a token or secret.
 */
#ifndef DPA_SERVER_LOG_H
#define DPA_SERVER_LOG_H

enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

extern int log_level;

/* Parses "debug|info|warn|error"; returns -1 for anything else. */
int log_level_parse(const char *name);

void dlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
