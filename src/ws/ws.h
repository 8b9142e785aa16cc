/*
 * The WebSocket layer (subprotocol droponair.v1): sessions, the call
 * commands and events. The composition hands ws_protocol to the loop; it
 * delivers the live calls' events (server_set_delivery) and registers its
 * metrics when it starts.
 */
#ifndef DPA_WS_WS_H
#define DPA_WS_WS_H

#include "server/server.h"

extern const server_protocol ws_protocol;

#endif
