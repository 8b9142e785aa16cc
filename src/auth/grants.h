/*
 * Token grants (docs/api.md, "Grants and admin tokens"): the optional
 * "grants" claim of a token narrows what an end-user token may do — create
 * rooms or not, act on some rooms only, publish some media only — or, with
 * "admin", lets the app's own backend act on any room of the app without
 * being a host. A token without the claim keeps the rights every token had
 * before grants existed.
 *
 *   "grants": {"admin": false, "createRooms": false,
 *              "rooms": ["rm_..."], "publish": ["audio", "video", "screen"]}
 *
 * Every member is optional and narrows only what it names. The checks the
 * REST routes and WebSocket commands make are the functions below, so that
 * every route asks the same question the same way.
 */
#ifndef DPA_AUTH_GRANTS_H
#define DPA_AUTH_GRANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "core/call.h"
#include "core/error.h"
#include "core/room.h"

/*
 * A room scope of up to 8 rooms. Every session and verified token holds its
 * grants, so a scope is kept as the 16 random bytes of each room id (a room
 * id the server makes is "rm_" + 22 base64url characters, ROOM_ID_BYTES
 * from the CSPRNG): 128 bytes, not 8 strings.
 */
#define GRANT_ROOMS_MAX 8

/* What a token may publish (grants.publish). */
enum {
    PUBLISH_AUDIO = 1,
    PUBLISH_VIDEO = 2,
    PUBLISH_SCREEN = 4,
    PUBLISH_ALL = PUBLISH_AUDIO | PUBLISH_VIDEO | PUBLISH_SCREEN
};

typedef struct grants {
    bool admin;               /* the app's backend: read and moderate any room, watch */
    bool create_rooms;        /* POST /api/rooms */
    unsigned char publish;    /* PUBLISH_* it may send */
    unsigned char nrooms;     /* 0: any room of the app; else only rooms[0..nrooms) */
    unsigned char rooms[GRANT_ROOMS_MAX][ROOM_ID_BYTES];  /* grants_room_bytes */
} grants;

/*
 * The bytes of a room id as the server makes them ("rm_" + 22 base64url
 * characters, canonical): true with out filled, false for anything else
 * (which names no room).
 */
bool grants_room_bytes(const char *room_id, unsigned char out[ROOM_ID_BYTES]);

/* Room i of g's scope as its id ("rm_..."), into out (ROOM_ID_MAX bytes). */
void grants_room_id(const grants *g, int i, char out[ROOM_ID_MAX]);

/* The rights of a token without a grants claim: everything but admin. */
void grants_default(grants *g);

/*
 * Reads the "grants" claim (claim: its JSON value) into *g. Returns E_OK,
 * or E_UNAUTHORIZED with *why set to a static sentence that names the
 * member at fault ("grants.rooms[1] is not a room id"): a malformed claim
 * refuses the whole token, never a part of it.
 */
dpa_err grants_parse(struct json_object *claim, grants *g, const char **why);

/*
 * The claim's JSON text for g (what `droponaird token` signs), or NULL for
 * the default rights. Malloc'd; the caller frees.
 */
char *grants_claim_text(const grants *g);

/* The effective grants as JSON (GET /api/info). New reference. */
struct json_object *grants_json(const grants *g);

/* Whether g lets its token act on room room_id (of its own app). */
bool grants_room_allowed(const grants *g, const char *room_id);

/*
 * NULL when g lets its token send this GROUP_CALL_SIGNAL, else why not (a
 * static sentence). Only SDP offers and answers are read, and only when g
 * holds some media back: each m=audio or m=video section that sends (its
 * direction, else the session's, is sendrecv or sendonly, and it is not
 * rejected with port 0) needs the matching grant — video, or screen, for
 * video: SDP cannot tell a camera from a screen. The SDP must then be the
 * payload itself or its "sdp" member (a string).
 */
const char *grants_signal_problem(const grants *g, const char *signal,
                                  struct json_object *payload);

/* What an SDP sends: PUBLISH_AUDIO and PUBLISH_VIDEO bits (see above). */
unsigned sdp_sends(const char *sdp, size_t len);

struct identity;

/*
 * The question every route about a room asks: may id act on room room_id?
 * Same app is checked where the room is looked up (another app's room is
 * 404); this is the token's room scope (grants.rooms).
 */
bool auth_room_allowed(const struct identity *id, const char *room_id);

/* Whether id's token carries the admin grant (the app's backend). */
bool auth_is_admin(const struct identity *id);

/*
 * May id moderate room r and read what only its hosts read (the waiting
 * list, call history)? True for r's hosts (its creator is always one) and
 * for the app's admin credential, within the token's room scope, and never
 * for another app's token. Co-hosts are a role within one live call: the
 * call state machine counts them (call_actor_rank).
 */
bool auth_may_moderate(const struct identity *id, const room *r);

/*
 * The actor the call state machine sees for id (session: the WebSocket
 * session, 0 over REST): the admin grant as a host's rank floor, and the
 * media its token may not publish. Points into id.
 */
call_actor auth_actor(const struct identity *id, uint64_t session);

#endif
