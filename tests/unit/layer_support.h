/*
 * What the unit tests of the protocol layers (test_http.c, test_ws.c) add
 * to tests/support: fz_fail() as a cmocka failure, and a count of the
 * requests freed because their client went away. The count comes from
 * wrapping async_gone (-Wl,--wrap=async_gone): each request marked gone has
 * its `free` hook replaced by one that counts, then calls the original, so
 * a test sees how many times the one rule of server/async.h freed
 * something (and ASan sees whether it was touched afterwards).
 */
#ifndef DPA_TESTS_UNIT_LAYER_SUPPORT_H
#define DPA_TESTS_UNIT_LAYER_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "fail.h"

/* Requests (HTTP requests, WebSocket sessions) freed after going away. */
int gone_freed(void);
/* Requests marked gone and not freed yet. */
int gone_pending(void);
void gone_reset(void);

/*
 * Checks that err is the one error encoding (core/error.c's error_json):
 * an object with a string code equal to want_code and a non-empty string
 * message, and nothing but code, message, field and limitSource. Returns
 * the object (borrowed from err).
 */
struct json_object *check_error_shape(struct json_object *err, const char *want_code);

#endif
