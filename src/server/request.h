/*
 * The HTTP request every protocol starts from (a REST call or a WebSocket
 * upgrade), as lws parsed it: how lws is told to parse it, and the one way
 * to read what it carries besides its body: headers and query arguments,
 * copied into a caller's buffer with a bound. Every read
 * fails closed: a value that does not fit the buffer, or that holds a NUL
 * byte lws would cut it at, is an error the caller must refuse the request
 * for, never a value silently ignored, emptied or truncated.
 */
#ifndef DPA_SERVER_REQUEST_H
#define DPA_SERVER_REQUEST_H

#include <stddef.h>
#include <libwebsockets.h>

/* lws's header buffer per connection (allocated while headers arrive). */
#define REQ_HEADERS_MAX (16 * 1024)

/* Per-header limits for lws: every header bounded, the request line never cut. */
const struct lws_token_limits *request_token_limits(void);

enum {
    HDR_ABSENT = 0,     /* not sent (or sent empty): dst is "" */
    HDR_OK = 1,         /* dst holds the whole value */
    HDR_TOO_LONG = -1,  /* longer than size - 1 bytes: dst is "" */
    HDR_BAD = -2        /* holds a NUL byte: dst is "" */
};

/* Copies header h (repeats joined with ",") into dst[size]. */
int hdr_copy(struct lws *wsi, enum lws_token_indexes h, char *dst, size_t size);

/*
 * The same for a header lws has no token for; name is lower case with its
 * colon, as lws stores it ("idempotency-key:").
 */
int hdr_copy_custom(struct lws *wsi, const char *name, char *dst, size_t size);

/*
 * The first query argument called name (no '='), percent-decoded, into
 * dst[size]; "?name=" is HDR_OK with an empty dst.
 */
int query_copy(struct lws *wsi, const char *name, char *dst, size_t size);

#endif
