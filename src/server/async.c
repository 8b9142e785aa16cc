/* One shape for requests that wait (see async.h). */
#include "server/async.h"

void
async_hold(async_req *a)
{
    a->holds++;
}

bool
async_release(async_req *a)
{
    if (--a->holds == 0 && a->gone) {
        a->free(a);
        return false;
    }
    return !a->gone;
}

void
async_gone(async_req *a)
{
    if (a->gone)
        return;
    a->gone = true;
    if (a->holds == 0)
        a->free(a);
}

bool
async_waiting(const async_req *a)
{
    return a->holds > 0;
}
