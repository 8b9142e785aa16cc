/*
 * Fuzz target: the HTTP router, authentication, body parsing and field
 * validation, and the handlers behind them (rooms, moderation, info, ops),
 * with the store worker of harness.h. Requests are filled the way
 * http/transport.c fills them from lws and checked (httpreq.c); nothing is
 * written to a socket: the reply stays in the request.
 *
 * Input: up to 16 requests separated by a line "--next--", each
 *   METHOD SP PATH[?QUERY] [SP ...] LF
 *   (Name: value LF)*          authorization, if-match, origin,
 *   LF                         content-type, idempotency-key
 *   body
 * with fz_expand placeholders ($T0 tokens, $R0 fixture rooms, $L the room
 * the last 201 created). QUERY is what query_copy reads (percent-decoded).
 *
 * Checked for every request: it is answered once the store settles; the
 * status is a real one; a JSON reply parses and errors carry a code; no
 * 2xx reply names another app's room; rooms in replies keep their rules
 * (creator among at most 50 hosts, schedule order, caps, sizes, ETag).
 */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "fuzzsrv.h"

#define REQUESTS_MAX 16
#define SEPARATOR "\n--next--\n"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    server *srv = fz_begin();
    char *text = xmalloc(size + 1);
    const char *p = text, *end = text + size;
    int i;

    memcpy(text, data, size);
    text[size] = '\0';
    for (i = 0; i < REQUESTS_MAX && p <= end; i++) {
        const char *sep = memmem(p, (size_t)(end - p), SEPARATOR, strlen(SEPARATOR));
        size_t n = sep ? (size_t)(sep - p) : (size_t)(end - p);
        char *one = xmalloc(n + 1);

        memcpy(one, p, n);
        one[n] = '\0';
        fz_http_request(srv, one, n);
        free(one);
        if (!sep)
            break;
        p = sep + strlen(SEPARATOR);
    }
    free(text);
    fz_end();
    return 0;
}
