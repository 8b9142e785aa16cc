/*
 * A droponaird server without sockets, for the fuzz targets of the HTTP
 * router and the WebSocket commands: the real `server` state (live calls,
 * sessions, room cache, token cache, app registry) and the real store
 * worker on an in-memory SQLite database. Nothing listens; replies written
 * to a session without a connection are dropped (session.c), HTTP replies
 * stay in the http_req for the target to check.
 *
 * Before each input fz_begin() resets the database to the fixtures below
 * and builds fresh loop state; fz_end() ends every session, runs what that
 * submits to the store and frees the loop state. So an input's outcome does
 * not depend on the inputs before it.
 */
#ifndef DPA_FUZZ_HARNESS_H
#define DPA_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "server/internal.h"

/*
 * Fixture rooms, by index (ids "rm_open", "rm_wait", ...): app "fz" unless
 * noted, created by alice with hosts alice and carol.
 *   0 rm_open   no policy          4 rm_closed  status CLOSED
 *   1 rm_wait   waiting room       5 rm_auto    auto-close and waiting room
 *   2 rm_host   requireHost        6 rm_other   app "fz2", created by mallory
 *   3 rm_full   maxParticipants 2  7 rm_bob     created by bob, hosts [bob]
 */
#define FZ_ROOMS 8
extern const char *const fz_room_ids[FZ_ROOMS];
/* The app a fixture room (or any id) belongs to; NULL when it is no fixture. */
const char *fz_room_app(const char *room_id);

/*
 * Tokens the harness mints at start-up, by index:
 *   0 alice@fz   1 bob@fz   2 carol@fz   3 dave@fz (name with quotes)
 *   4 mallory@fz2 (plan starter)   5 bob@fz, expired
 *   6 alice@fz signed with an unknown kid (makes the server re-read apps)
 *   7 erin@fzpro (plan pro)
 */
#define FZ_TOKENS 8
const char *fz_token(unsigned i);

/* Starts an input: fixtures in the database, fresh loop state. */
server *fz_begin(void);

/* Runs store jobs, and whatever their completions submit, until none are left. */
void fz_drain(void);

/* Ends an input: every session ends, the store settles, loop state is freed. */
void fz_end(void);

/*
 * Copies in[0..len) expanding placeholders, so inputs can name things the
 * server makes at random: $T<d> a token, $R<d> a fixture room id, $C<d> the
 * callId of fixture room d's live call ("call_none" when none), $L the room
 * set by fz_set_last_room ("rm_none" at first), $X<d> (any other capital
 * letter X) what fz_set_value gave ("" when nothing). Returns a NUL-ended
 * copy the caller frees, its length in *outlen.
 */
char *fz_expand(const char *in, size_t len, size_t *outlen);
void fz_set_last_room(const char *room_id);
/* Sets $<letter><digit> for the rest of the input (a target's own names). */
void fz_set_value(char letter, int digit, const char *value);

/*
 * Runs one HTTP request given as text (httpreq.c; the format is in
 * fuzz_http.c) after fz_expand, lets the store settle and checks the reply:
 * it was answered, with a real status, as a JSON object (errors with a
 * code), no 2xx names another app's room, rooms in it keep their rules.
 */
void fz_http_request(server *srv, const char *text, size_t len);

#endif
