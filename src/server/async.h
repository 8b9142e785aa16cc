/*
 * A client's request that waits — on the store, on an app reload, on a
 * write to commit, next on another node — with one rule for the client
 * going away meanwhile, the same for REST and WebSocket:
 *
 *   - every wait holds it (async_hold) and, when it comes back, releases it
 *     (async_release), which answers whether the client is still there;
 *   - the client going away marks it gone (async_gone): it is freed at once
 *     when nothing holds it, else by the release of the last hold, and
 *     nothing of the request runs after that.
 *
 * The owner embeds an async_req and sets `free` (which frees the owner).
 */
#ifndef DPA_SERVER_ASYNC_H
#define DPA_SERVER_ASYNC_H

#include <stdbool.h>

typedef struct async_req async_req;

struct async_req {
    int holds;                        /* waits that will come back */
    bool gone;                        /* the client went away */
    void (*free)(async_req *a);       /* frees the owner */
};

void async_hold(async_req *a);
/* Ends one wait. True: go on. False: the client is gone (and a may be freed). */
bool async_release(async_req *a);
/* The client went away: frees now when nothing holds a, else at the last release. */
void async_gone(async_req *a);
/* Whether a wait is in progress. */
bool async_waiting(const async_req *a);

#endif
