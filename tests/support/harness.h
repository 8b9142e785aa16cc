/*
 * A droponaird server without sockets, for the fuzz targets (tests/fuzz)
 * and the unit tests of the protocol layers (tests/unit): the real loop
 * state (live calls, room cache, token cache, app registry), the
 * protocols the caller names, and the real store worker on an in-memory
 * SQLite database. Nothing listens: the caller drives the protocols'
 * callbacks on fake connections (fakelws.h). The harness names no
 * protocol, so a test of one layer links that layer and the loop only.
 *
 * Before each input (or test) fz_start() resets the database to the
 * fixtures below and builds fresh loop state; fz_end() lets the caller
 * settle its protocols, runs what that submits to the store and frees the
 * loop state. So an outcome does not depend on what ran before it.
 */
#ifndef DPA_TESTS_SUPPORT_HARNESS_H
#define DPA_TESTS_SUPPORT_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "fail.h"
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

/*
 * The configuration every server of the harness shares (made on first
 * use): dev mode, CORS for https://app.example, a 1 s reconnect grace, 3
 * connections per user, a 64 KiB outbound queue, the rest the defaults.
 * A test may change it; the change lasts until it changes it back.
 */
server_config *fz_config(void);

/*
 * Starts an input: fixtures in the database, fresh loop state serving
 * protocols[0..n) (their start hooks run). At fz_end, settle(srv), if
 * given, ends what the protocols still hold (sessions) while the store
 * worker can still complete what that submits.
 */
server *fz_start(const server_protocol *const *protocols, int n, void (*settle)(server *srv));

/* Runs store jobs, and whatever their completions submit, until none are left. */
void fz_drain(void);

/* Ends an input: settle, the store settles, loop state and protocols are freed. */
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

#endif
