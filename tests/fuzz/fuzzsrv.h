/*
 * The server the HTTP and WebSocket fuzz targets drive: the socketless
 * harness (tests/support/harness.h) serving both protocols, as droponaird
 * does, so an input can mix REST and WebSocket.
 */
#ifndef DPA_FUZZ_FUZZSRV_H
#define DPA_FUZZ_FUZZSRV_H

#include <stddef.h>

#include "fuzz.h"
#include "harness.h"

/*
 * Starts an input with HTTP and WebSocket served. Its fz_end() ends every
 * session left and checks none is left behind in the WebSocket state.
 */
server *fz_begin(void);

/*
 * Runs one HTTP request given as text (httpreq.c; the format is in
 * fuzz_http.c) after fz_expand, lets the store settle and checks the reply:
 * it was answered, with a real status, as a JSON object (errors with a
 * code), no 2xx names another app's room, rooms in it keep their rules.
 */
void fz_http_request(server *srv, const char *text, size_t len);

#endif
