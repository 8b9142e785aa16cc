#!/usr/bin/env python3
"""Writes docs/openapi.json. Edit this, run it, commit both; the integration
tests validate every real response against the written document."""
import json
import os
def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def err(desc, codes, headers=None):
    r = {"description": desc, "content": {"application/json": {"schema": ref("Error"),
            "examples": {c: {"value": {"error": {"code": c, "message": "..."}}} for c in codes}}}}
    if headers: r["headers"] = headers
    return r
def ok(desc, schema, headers=None):
    r = {"description": desc, "content": {"application/json": {"schema": schema}}}
    if headers: r["headers"] = headers
    return r
E400 = err("Invalid request: malformed JSON, an unknown field, a wrong type or an out-of-range value (the `field` names it).", ["VALIDATION_FAILED", "MALFORMED_JSON", "BAD_REQUEST"])
E401 = err("Missing or invalid bearer token (bad signature, expired, not yet valid, alg none or mismatched, no sub, unknown app or key, a malformed `grants` claim).", ["UNAUTHORIZED"])
SCOPE = "the token's `grants.rooms` does not name this room (decided from the token alone, whether the room exists or not)"
E403_SCOPE = err(f"Not for this token: {SCOPE}.", ["FORBIDDEN"])
E404 = err("No such room in the caller's app (another app's room is also 404).", ["ROOM_NOT_FOUND"])
E405 = err("The route exists but not with this method; `Allow` lists the methods.", ["METHOD_NOT_ALLOWED"])
E411 = err("A body sent without Content-Length (chunked).", ["LENGTH_REQUIRED"])
E413 = err("The body is larger than the limit (64 KiB by default).", ["PAYLOAD_TOO_LARGE"])
E415 = err("The body is not `application/json`.", ["UNSUPPORTED_MEDIA_TYPE"])
E500 = err("Internal error; nothing was half-written.", ["INTERNAL"])
E431 = err("A request header the server reads is longer than it takes (`field` names it: If-Match, Content-Type, Origin, Idempotency-Key).", ["HEADERS_TOO_LARGE"])
E400_PRE = err("The request is malformed before any field is read: a path holding %00 or an unencoded `;` or `&`, or a header holding a NUL byte.", ["BAD_REQUEST"])
retry_after = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 1}}}
E503 = err("The server is shutting down (`UNAVAILABLE`), or the database cannot be used at the moment (`STORE_UNAVAILABLE`: disk full, I/O error, locked, its files deleted; nothing was written). `Retry-After` says when to try again; `/healthz` says why.", ["UNAVAILABLE", "STORE_UNAVAILABLE"], retry_after)
common = {"401": E401, "500": E500, "503": E503}
mod_errors = {"403": err(f"Only the room's hosts (and co-hosts in the call), or the app's admin credential, may moderate; ending a call is for hosts (and the admin credential). Also: {SCOPE}.", ["FORBIDDEN"]), "404": E404, "405": E405, **common}
user_param = {"name": "userId", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
etag = {"ETag": {"description": "The room's version, quoted (`\"3\"`).", "schema": {"type": "string"}}}
reqid = {"X-Request-Id": {"description": "Identifies the request in the server's log.", "schema": {"type": "string"}}}
room_id_param = {"name": "roomId", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^rm_[A-Za-z0-9_-]{22}$"}}
ifmatch = {"name": "If-Match", "in": "header", "required": False, "description": "Only change the room when its version is this ETag (or `*`); otherwise 412.", "schema": {"type": "string"}}

policy_props = {
    "waitingRoom": {"type": "boolean", "description": "Non-host joiners wait until a host or co-host admits them. Needs the plan feature `waiting_room`."},
    "requireHost": {"type": "boolean", "description": "Non-host joiners cannot join while no host or co-host is in the call."},
    "maxParticipants": {"type": ["integer", "null"], "minimum": 1, "description": "Per-room cap, 1 to the plan's maxParticipantsPerCall; null = the plan cap only."},
    "autoCloseWhenEmpty": {"type": "boolean", "description": "The room becomes CLOSED when the last participant leaves."}}
def nullable(props):
    out = {}
    for k, v in props.items():
        v = dict(v)
        t = v.get("type")
        if isinstance(t, str): v["type"] = [t, "null"]
        elif isinstance(t, list) and "null" not in t: v["type"] = t + ["null"]
        out[k] = v
    return out
user_id = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[\\x20-\\x7e]+$"}
body_props = {
    "name": {"type": "string", "maxLength": 200, "description": "Display name, at most 200 bytes of UTF-8. Default \"\"."},
    "scheduledStartAt": {"type": ["integer", "null"], "minimum": 0, "description": "Epoch milliseconds; metadata only, never enforced."},
    "scheduledEndAt": {"type": ["integer", "null"], "minimum": 0, "description": "Epoch milliseconds, not before scheduledStartAt."},
    "policy": {"type": ["object", "null"], "additionalProperties": False, "properties": nullable(policy_props)},
    "hosts": {"type": ["array", "null"], "maxItems": 50, "items": user_id, "description": "User ids who may host. The creator is always a host (added first when missing on create; removing the creator in a PATCH is a 400)."},
    "metadata": {"type": ["object", "null"], "description": "App-defined JSON object, at most 4096 bytes as JSON. PATCH merges it (RFC 7396)."}}
patch_props = dict(body_props)
patch_props["status"] = {"type": "string", "enum": ["ACTIVE", "CLOSED"], "description": "CLOSED rejects joins (and ends a live call)."}

participant = {"type": "object", "additionalProperties": False, "required": ["userId", "name", "role", "joinedAt", "audio", "video", "screenSharing"],
    "properties": {"userId": {"type": "string"}, "name": {"type": "string"}, "role": {"enum": ["HOST", "CO_HOST", "PARTICIPANT"]},
                   "joinedAt": {"type": "integer"}, "audio": {"type": "boolean"}, "video": {"type": "boolean"}, "screenSharing": {"type": "boolean"}}}
call = {"type": "object", "additionalProperties": False, "required": ["callId", "startedAt", "participantCount", "participants", "hostPresent", "waitingCount"],
    "properties": {"callId": {"type": "string"}, "startedAt": {"type": "integer"}, "participantCount": {"type": "integer", "minimum": 0},
        "participants": {"type": "array", "items": ref("Participant")}, "hostPresent": {"type": "boolean"}, "waitingCount": {"type": "integer", "minimum": 0},
        "waiting": {"type": "array", "description": "Only for hosts and co-hosts.", "items": {"type": "object", "additionalProperties": False, "required": ["userId", "name", "since"],
            "properties": {"userId": {"type": "string"}, "name": {"type": "string"}, "since": {"type": "integer"}}}}}}
room = {"type": "object", "additionalProperties": False,
    "required": ["roomId", "name", "createdBy", "hosts", "scheduledStartAt", "scheduledEndAt", "status", "policy", "metadata", "createdAt", "updatedAt", "version", "call"],
    "properties": {
        "roomId": {"type": "string", "pattern": "^rm_[A-Za-z0-9_-]{22}$", "description": "128 random bits (CSPRNG), URL-safe."},
        "name": {"type": "string"}, "createdBy": {"type": "string"},
        "hosts": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "scheduledStartAt": {"type": ["integer", "null"]}, "scheduledEndAt": {"type": ["integer", "null"]},
        "status": {"enum": ["ACTIVE", "CLOSED"]},
        "policy": {"type": "object", "additionalProperties": False, "required": list(policy_props), "properties": policy_props},
        "metadata": {"type": "object"},
        "createdAt": {"type": "integer"}, "updatedAt": {"type": "integer"},
        "version": {"type": "integer", "minimum": 1, "description": "+1 on every change; also the ETag."},
        "call": {"oneOf": [{"type": "null"}, ref("Call")], "description": "The live call, or null when none is live. `waiting` is shown to hosts and co-hosts only."}}}
codes = ["VALIDATION_FAILED", "MALFORMED_JSON", "BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "FEATURE_NOT_ENABLED", "ROOM_LIMIT_REACHED",
         "ROOM_NOT_FOUND", "NOT_FOUND", "METHOD_NOT_ALLOWED", "NOT_WAITING", "NO_LIVE_CALL", "IDEMPOTENCY_KEY_REUSED", "LENGTH_REQUIRED",
         "PRECONDITION_FAILED", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED", "ROOM_FULL", "UNAVAILABLE", "INTERNAL", "HEADERS_TOO_LARGE", "NOT_IMPLEMENTED",
         "STORE_UNAVAILABLE", "CALL_NOT_FOUND"]
error = {"type": "object", "additionalProperties": False, "required": ["error"], "properties": {"error": {"type": "object", "additionalProperties": False,
    "required": ["code", "message"], "properties": {"code": {"enum": codes}, "message": {"type": "string"},
    "field": {"type": "string", "description": "The request field at fault, as a dotted path (`policy.maxParticipants`)."},
    "limitSource": {"enum": ["room", "plan"]}}}}}
features = {"type": "array", "items": {"enum": ["scheduled_rooms", "waiting_room", "screen_share"]}, "uniqueItems": True}
info = {"type": "object", "additionalProperties": False, "required": ["name", "version", "apiVersion", "features"],
    "properties": {"name": {"const": "droponair"}, "version": {"type": "string"}, "apiVersion": {"const": "v1"},
        "features": features, "devMode": {"const": True, "description": "Present when the server runs with --dev."}, "appId": {"type": "string"}, "userId": {"type": "string"}, "plan": {"type": "string"},
        "limits": {"type": "object", "additionalProperties": False, "required": ["maxRoomsPerApp", "maxParticipantsPerCall"],
                   "properties": {"maxRoomsPerApp": {"type": "integer", "minimum": 0}, "maxParticipantsPerCall": {"type": "integer", "minimum": 1}}},
        "usage": {"type": "object", "additionalProperties": False, "required": ["rooms"],
                  "description": "What the app uses of its limits now.",
                  "properties": {"rooms": {"type": "integer", "minimum": 0, "description": "Rooms the app has, closed ones included: what maxRoomsPerApp counts."}}},
        "grants": {"$ref": "#/components/schemas/Grants"}}}
grants = {"type": "object", "additionalProperties": False, "required": ["admin", "createRooms", "rooms", "publish"],
    "description": "What the token's `grants` claim allows (the defaults without one); docs/api.md, Grants and admin tokens.",
    "properties": {"admin": {"type": "boolean", "description": "The app's backend credential: read, moderate and watch any room of the app."},
        "createRooms": {"type": "boolean", "description": "May create rooms (POST /api/rooms)."},
        "rooms": {"type": ["array", "null"], "items": {"type": "string"}, "maxItems": 8, "description": "The only rooms the token may act on; null: any room of the app."},
        "publish": {"type": "array", "items": {"enum": ["audio", "video", "screen"]}, "uniqueItems": True, "description": "The media the token may publish."}}}
call_summary_props = {
    "callId": {"type": "string", "pattern": "^call_[A-Za-z0-9_-]+$"}, "roomId": {"type": "string"},
    "startedAt": {"type": "integer", "description": "Epoch ms."},
    "endedAt": {"type": ["integer", "null"], "description": "Epoch ms; null while the call is live."},
    "durationMs": {"type": ["integer", "null"], "minimum": 0, "description": "endedAt - startedAt; null while live."},
    "endReason": {"type": ["string", "null"], "description": "EMPTY (the last one left), HOST_ENDED, ROOM_CLOSED, ROOM_DELETED or SERVER_RESTART; null while live."},
    "peakParticipants": {"type": "integer", "minimum": 0, "description": "The most people in the call at once."},
    "participantCount": {"type": "integer", "minimum": 0, "description": "Distinct users who were in the call."}}
call_summary = {"type": "object", "additionalProperties": False, "required": list(call_summary_props), "properties": call_summary_props}
call_session = {"type": "object", "additionalProperties": False, "required": ["joinedAt", "leftAt", "durationMs", "role", "leaveReason"],
    "properties": {"joinedAt": {"type": "integer"}, "leftAt": {"type": ["integer", "null"], "description": "null while still in the call."},
        "durationMs": {"type": ["integer", "null"], "minimum": 0},
        "role": {"enum": ["HOST", "CO_HOST", "PARTICIPANT"], "description": "The role the participant joined with."},
        "leaveReason": {"type": ["string", "null"], "description": "LEFT, DISCONNECTED (the reconnect grace ran out), REMOVED, CALL_ENDED or SERVER_RESTART; null while in the call."}}}
call_detail = {"type": "object", "additionalProperties": False, "required": list(call_summary_props) + ["participants"],
    "properties": {**call_summary_props, "participants": {"type": "array", "description": "Everyone who was in the call, in order of first joining.",
        "items": {"type": "object", "additionalProperties": False, "required": ["userId", "name", "sessions"],
            "properties": {"userId": {"type": "string"}, "name": {"type": "string", "description": "The name of the latest session."},
                "sessions": {"type": "array", "minItems": 1, "items": call_session, "description": "Each stretch in the call, oldest first; a reconnection that replaced the connection is the same session."}}}}}}
call_list = {"type": "object", "additionalProperties": False, "required": ["calls", "nextCursor"],
    "properties": {"calls": {"type": "array", "items": ref("CallSummary")}, "nextCursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."}}}
history_403 = err("Only the room's creator and hosts may read its call history (a deleted room's calls are shown to nobody).", ["FORBIDDEN"])
room_list = {"type": "object", "additionalProperties": False, "required": ["rooms", "nextCursor"],
    "properties": {"rooms": {"type": "array", "items": ref("Room")}, "nextCursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null on the last."}}}

doc = {
 "openapi": "3.1.0",
 "info": {"title": "droponair room service", "version": "0.1.0",
          "description": "Scheduled and persistent rooms for real-time calls. Every error body is `{\"error\":{\"code\",\"message\",\"field\"?}}`. Requests may be rejected before routing with 400 (a path holding %00 or an unencoded `;` or `&`; a header holding a NUL byte), 411 (chunked body), 413 (body over the limit), 431 (a header the server reads is longer than it takes), 501 (a method the server does not know) or 503 (shutting down). Every 503 carries `Retry-After`. HEAD is answered wherever GET is, without a body."},
 "servers": [{"url": "http://127.0.0.1:8080"}],
 "components": {
   "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "HS256 JWT signed with an app key: `iss` = appId or `kid` header = key id; `sub` = userId; `exp` required; `nbf`/`iat` honoured (60 s skew); optional `name`; optional `grants` ({admin, createRooms, rooms, publish}: docs/api.md, Grants and admin tokens)."}},
   "schemas": {"Error": error, "Room": room, "RoomCreate": {"type": "object", "additionalProperties": False, "properties": body_props},
               "RoomPatch": {"type": "object", "additionalProperties": False, "properties": patch_props, "description": "JSON merge patch (RFC 7396): members present change, null resets to the default."},
               "RoomList": room_list, "CallSummary": call_summary, "CallDetail": call_detail, "CallList": call_list,
               "WaitingList": {"type": "object", "additionalProperties": False, "required": ["roomId", "callId", "waiting"],
                  "properties": {"roomId": {"type": "string"}, "callId": {"type": ["string", "null"]}, "waiting": call["properties"]["waiting"]}},
               "Admitted": {"type": "object", "additionalProperties": False, "required": ["admitted"], "properties": {"admitted": {"type": "array", "items": {"type": "string"}}}}, "Info": info, "Grants": grants, "Call": call,
               "IceServers": {"type": "array", "description": "Ready for `new RTCPeerConnection({iceServers})`.", "items": {"type": "object", "additionalProperties": False, "required": ["urls"], "properties": {
                   "urls": {"type": "array", "items": {"type": "string", "pattern": "^(stuns?|turns?):"}, "minItems": 1},
                   "username": {"type": "string", "description": "TURN only: `<expiry unix seconds>:<appId>:<userId>`."},
                   "credential": {"type": "string", "description": "TURN only: base64(HMAC-SHA1(secret, username))."}}}}, "Participant": participant,
               "Health": {"type": "object", "additionalProperties": False, "required": ["status"], "properties": {
                   "status": {"enum": ["ok", "draining", "unavailable"], "description": "`unavailable`: the store cannot write (then `store`, `reason` and `since` say more)."},
                   "store": {"enum": ["failing", "lost"], "description": "`failing`: the database refuses writes (disk full, I/O error, locked); the server retries every second and is `ok` again once a write commits. `lost`: a file of the database was deleted or replaced while open; nothing is written until a restart (docs/operations.md)."},
                   "reason": {"type": "string", "description": "Why, in a sentence."},
                   "since": {"type": "integer", "description": "Epoch ms when the store stopped being ok."},
                   "node": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,63}$", "description": "The node id of the process that answered (`--node-id`, or generated at start)."},
                   "redis": {"enum": ["up", "down"], "description": "Only in cluster mode (`--redis`): `down` while this node's link to Redis is lost. The node goes on serving; its room cache is off until the link is back (docs/cluster.md)."}}}}},
 "paths": {
  "/api/info": {"get": {"summary": "What this server is; with a token, what the caller's app may do", "operationId": "getInfo",
     "security": [{}, {"bearer": []}],
     "description": "Without a token `features` lists every feature the server supports. With one it lists the app's plan features and adds appId, userId, plan, limits and what the token's grants allow. A bad token is 401, not anonymous.",
     "responses": {"200": ok("Server information", ref("Info"), reqid), **common}}},
  "/api/ice-servers": {"get": {"summary": "STUN/TURN servers for RTCPeerConnection, with a TURN credential minted for the caller", "operationId": "getIceServers",
     "security": [{"bearer": []}],
     "description": "The same list the JOINED reply and the ADMITTED event carry, for apps that do their own media. TURN credentials follow coturn's REST-API convention (username `<expiry>:<appId>:<userId>`, credential base64(HMAC-SHA1(secret, username))) and stop working at `expiresAt`; ask again (or rejoin) for fresh ones. Without --stun/--turn the list is empty and `expiresAt` null. See docs/calls.md.",
     "responses": {"200": ok("ICE servers", {"type": "object", "additionalProperties": False, "required": ["iceServers", "expiresAt"], "properties": {
         "iceServers": ref("IceServers"),
         "expiresAt": {"type": ["integer", "null"], "description": "Epoch ms when the TURN credential expires; null without TURN."}}}, reqid),
       "401": E401, **common}}},
  "/api/ws": {"get": {"summary": "WebSocket upgrade: live calls (subprotocol droponair.v1)", "operationId": "websocket", "security": [{}, {"bearer": []}],
     "description": "See docs/protocol.md. Authenticate with a first AUTH frame, the Authorization header or ?token=.",
     "responses": {"101": {"description": "Switching Protocols"}}}},
  "/api/dev/token": {"get": {"summary": "A token of the dev app for any user (dev mode only; 404 otherwise)", "operationId": "devToken", "security": [],
     "parameters": [{"name": "user", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 128}}],
     "responses": {"200": ok("A token valid for 24 h", {"type": "object", "additionalProperties": False, "required": ["appId", "userId", "token"],
        "properties": {"appId": {"const": "dev"}, "userId": {"type": "string"}, "token": {"type": "string"}}}),
       "400": E400, "404": err("Not in dev mode.", ["NOT_FOUND"]), "500": E500}}},
  "/": {"get": {"summary": "The web console and call page (also its modules /app.js, /ui.js, /messages.js, /levels.js, /media.js, /call.js, /callview.js, /rooms.js, /style.css, the icon /favicon.svg and /favicon.ico, and the JS SDK /sdk/index.js, /sdk/webrtc.js)", "operationId": "webApp", "security": [],
     "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}}},
  "/api/openapi.json": {"get": {"summary": "This document", "operationId": "getOpenApi", "security": [],
     "responses": {"200": {"description": "The OpenAPI 3.1 document", "content": {"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}}}}}},
  "/api/rooms": {
    "post": {"summary": "Create a room", "operationId": "createRoom", "security": [{"bearer": []}],
      "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False, "description": "Retry-safe creation: the same key (per app and user, kept 24 h) with the same body returns the first 201 again; with another body 409.", "schema": {"type": "string", "minLength": 1, "maxLength": 128}}],
      "requestBody": {"required": False, "content": {"application/json": {"schema": ref("RoomCreate")}}},
      "responses": {"201": ok("The new room", ref("Room"), {**etag, **reqid, "Location": {"description": "/api/rooms/{roomId}", "schema": {"type": "string"}}}),
        "400": E400,
        "403": err("The plan has no `scheduled_rooms` (or lacks a feature the body asks for), or the app has maxRoomsPerApp rooms already (CLOSED rooms count); or the token may not create rooms (`grants.createRooms` false, or a room-scoped token: FORBIDDEN).", ["FEATURE_NOT_ENABLED", "ROOM_LIMIT_REACHED", "FORBIDDEN"]),
        "409": err("The Idempotency-Key was used with another body.", ["IDEMPOTENCY_KEY_REUSED"]),
        "405": E405, "411": E411, "413": E413, "415": E415, **common}},
    "get": {"summary": "List rooms the caller created or hosts, newest first", "operationId": "listRooms", "security": [{"bearer": []}],
      "description": "A room-scoped token (`grants.rooms`) sees only those of its rooms; the cursor still follows the whole page, so a page may hold fewer rooms than `limit` (keep going while `nextCursor` is not null). An admin token lists what its `sub` created or hosts, like any token.",
      "parameters": [{"name": "status", "in": "query", "schema": {"enum": ["ACTIVE", "CLOSED"]}},
                     {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                     {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "nextCursor of the previous page."}],
      "responses": {"200": ok("A page of rooms", ref("RoomList"), reqid), "400": E400, "405": E405, **common}}},
  "/api/rooms/{roomId}": {
    "parameters": [room_id_param],
    "get": {"summary": "One room, including its live call", "operationId": "getRoom", "security": [{"bearer": []}],
      "responses": {"200": ok("The room", ref("Room"), {**etag, **reqid}), "403": E403_SCOPE, "404": E404, "405": E405, **common}},
    "patch": {"summary": "Change a room (creator, or the app's admin credential)", "operationId": "updateRoom", "security": [{"bearer": []}],
      "parameters": [ifmatch],
      "requestBody": {"required": True, "content": {"application/json": {"schema": ref("RoomPatch")}, "application/merge-patch+json": {"schema": ref("RoomPatch")}}},
      "responses": {"200": ok("The room after the change; a patch that changes nothing keeps the version", ref("Room"), {**etag, **reqid}),
        "400": E400, "403": err(f"Only the creator (or the app's admin credential) may change the room; or the body asks for a feature the plan lacks; or {SCOPE}.", ["FORBIDDEN", "FEATURE_NOT_ENABLED"]), "404": E404,
        "412": err("If-Match does not match the room's version (the response's ETag is the current one).", ["PRECONDITION_FAILED"]),
        "411": E411, "413": E413, "415": E415, **common}},
    "delete": {"summary": "Delete a room (creator, or the app's admin credential)", "operationId": "deleteRoom", "security": [{"bearer": []}],
      "parameters": [ifmatch],
      "responses": {"204": {"description": "Deleted"}, "403": err(f"Only the creator (or the app's admin credential) may delete the room; or {SCOPE}.", ["FORBIDDEN"]), "404": E404,
        "412": err("If-Match does not match the room's version.", ["PRECONDITION_FAILED"]), **common}}},
  "/api/rooms/{roomId}/waiting": {
    "parameters": [room_id_param],
    "get": {"summary": "Who is waiting (hosts and co-hosts, or the app's admin credential)", "operationId": "listWaiting", "security": [{"bearer": []}],
      "responses": {"200": ok("The waiting queue, in order", ref("WaitingList"), reqid), "403": err(f"Only hosts and co-hosts, or the app's admin credential; or {SCOPE}.", ["FORBIDDEN"]), "404": E404, "405": E405, **common}}},
  "/api/rooms/{roomId}/waiting/admit-all": {
    "parameters": [room_id_param],
    "post": {"summary": "Admit everyone waiting now, in queue order, up to the cap", "operationId": "admitAll", "security": [{"bearer": []}],
      "responses": {"200": ok("Who was admitted", ref("Admitted")), **mod_errors, "403": err(f"Not a host or co-host (nor the app's admin credential); or {SCOPE}; or the cap was reached (the rest stay waiting; `limitSource` says which cap).", ["FORBIDDEN", "ROOM_FULL"])}}},
  "/api/rooms/{roomId}/waiting/{userId}/admit": {
    "parameters": [room_id_param, user_param],
    "post": {"summary": "Admit one waiting user", "operationId": "admit", "security": [{"bearer": []}],
      "responses": {"200": ok("Who was admitted", ref("Admitted")), **mod_errors,
        "403": err(f"Not a host or co-host (nor the app's admin credential); or {SCOPE}; or the call is full.", ["FORBIDDEN", "ROOM_FULL"]),
        "409": err("That user is not waiting.", ["NOT_WAITING"])}}},
  "/api/rooms/{roomId}/waiting/{userId}/deny": {
    "parameters": [room_id_param, user_param],
    "post": {"summary": "Deny one waiting user", "operationId": "deny", "security": [{"bearer": []}],
      "responses": {"204": {"description": "Denied; the user got GROUP_CALL_DENIED"}, **mod_errors,
        "409": err("That user is not waiting.", ["NOT_WAITING"])}}},
  "/api/rooms/{roomId}/participants/{userId}/remove": {
    "parameters": [room_id_param, user_param],
    "post": {"summary": "Remove a participant from the live call", "operationId": "removeParticipant", "security": [{"bearer": []}],
      "requestBody": {"required": False, "content": {"application/json": {"schema": {"type": "object", "additionalProperties": False,
        "properties": {"ban": {"type": "boolean", "description": "Refuse the user for the rest of this call (FORBIDDEN on join)."}}}}}},
      "responses": {"204": {"description": "Removed"}, **mod_errors, "400": E400,
        "404": err("No such room, or the user is not in the call.", ["ROOM_NOT_FOUND", "NOT_FOUND"]),
        "409": err("The room has no live call.", ["NO_LIVE_CALL"])}}},
  "/api/rooms/{roomId}/call/end": {
    "parameters": [room_id_param],
    "post": {"summary": "End the live call for everyone (hosts)", "operationId": "endCall", "security": [{"bearer": []}],
      "responses": {"204": {"description": "Ended (GROUP_CALL_ENDED, reason HOST_ENDED); autoCloseWhenEmpty then applies"}, **mod_errors,
        "409": err("The room has no live call.", ["NO_LIVE_CALL"])}}},
  "/api/rooms/{roomId}/calls": {
    "parameters": [room_id_param],
    "get": {"summary": "The room's call history, newest first (creator and hosts)", "operationId": "listCalls", "security": [{"bearer": []}],
      "description": "Calls are kept for --history-days (default 30) after they end; a live call is listed with endedAt null.",
      "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                     {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "nextCursor of the previous page."}],
      "responses": {"200": ok("A page of calls", ref("CallList"), reqid), "400": E400, "403": history_403, "404": E404, "405": E405, **common}}},
  "/api/calls/{callId}": {
    "parameters": [{"name": "callId", "in": "path", "required": True, "schema": {"type": "string"}}],
    "get": {"summary": "One call with every participant's sessions (the room's creator and hosts)", "operationId": "getCall", "security": [{"bearer": []}],
      "responses": {"200": ok("The call", ref("CallDetail"), reqid), "403": history_403,
        "404": err("No such call in the caller's app (purged after --history-days, or another app's).", ["CALL_NOT_FOUND"]), "405": E405, **common}}},
  "/healthz": {"get": {"summary": "Liveness", "operationId": "health", "security": [],
     "responses": {"200": ok("Serving", ref("Health")), "503": ok("Shutting down, or the store cannot write (`status` `unavailable`)", ref("Health"), retry_after)}}},
  "/metrics": {"get": {"summary": "Prometheus metrics", "operationId": "metrics", "security": [],
     "responses": {"200": {"description": "Prometheus text format 0.0.4: droponair_http_requests_total{route,method,status}, droponair_http_request_duration_seconds (histogram by route), droponair_rooms, droponair_apps, droponair_store_jobs_pending, droponair_store_up (1 while the store accepts writes), droponair_node_info{node} (always 1; the label names the process), droponair_redis_up (cluster mode: 1 while both links to Redis work), droponair_cluster_messages_total{direction}, droponair_redis_reconnects_total, droponair_ws_connections, droponair_ws_sessions, droponair_live_calls, droponair_call_participants, droponair_call_waiting, droponair_calls_started_total, droponair_ws_frames_in_total, droponair_ws_events_out_total, droponair_signals_relayed_total, droponair_ws_rate_limited_total, droponair_ws_slow_readers_total, process_cpu_seconds_total, process_resident_memory_bytes. droponair_webhook_deliveries_total{result}, droponair_webhook_attempts_total{outcome}, droponair_webhook_retries_total, droponair_webhook_in_flight, droponair_webhook_pending, droponair_webhook_failed, droponair_webhook_oldest_pending_seconds, droponair_webhook_store_errors_total, droponair_history_calls_purged_total (the webhook sender).",
        "content": {"text/plain": {"schema": {"type": "string"}}}},
       "404": err("Not on this port: with --ops-listen, /metrics is served on the operations port only.", ["NOT_FOUND"])}}}
 }}
# Every HTTP operation reads the request line and headers the same way.
for path, item in doc["paths"].items():
    if path == "/api/ws":
        continue
    for method, op in item.items():
        if isinstance(op, dict) and "responses" in op:
            op["responses"].setdefault("400", E400_PRE)
            op["responses"].setdefault("431", E431)
# Unknown routes: 404 NOT_FOUND (documented on the root description).
doc["components"]["responses"] = {"UnknownRoute": err("No such route (any path not listed here).", ["NOT_FOUND"])}
open(os.path.join(os.path.dirname(__file__), "..", "docs", "openapi.json"), "w").write(json.dumps(doc, indent=2) + "\n")
