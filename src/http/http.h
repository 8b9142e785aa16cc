/*
 * The HTTP layer: the REST API, /healthz, /metrics and the web console, and
 * the raw-socket answer for what lws's parser gives up on. The composition
 * hands both protocols to the loop; http_protocol must come first (it
 * hears the context's events).
 */
#ifndef DPA_HTTP_HTTP_H
#define DPA_HTTP_HTTP_H

#include "server/server.h"

extern const server_protocol http_protocol;
extern const server_protocol http_fallback_protocol;

#endif
