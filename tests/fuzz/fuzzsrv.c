/* Both protocols on the socketless harness (fuzzsrv.h). */
#include "fuzzsrv.h"
#include "http/http.h"
#include "ws/internal.h"

/* What a shutdown does with sessions left over, while the worker still runs. */
static void
settle(server *srv)
{
    ws_state *ws = ws_of(srv);

    ws_free_all(ws);
    fz_drain();
    if (hmap_count(ws->sessions) || hmap_count(ws->sessions_by_token) || hmap_count(ws->users))
        fz_fail("harness: sessions left after ws_free_all (%zu, %zu, %zu)",
                hmap_count(ws->sessions), hmap_count(ws->sessions_by_token),
                hmap_count(ws->users));
}

server *
fz_begin(void)
{
    static const server_protocol *const protocols[] = {&http_protocol, &ws_protocol};

    return fz_start(protocols, 2, settle);
}
