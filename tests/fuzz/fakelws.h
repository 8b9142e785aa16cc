/*
 * Connections without sockets for the fuzz targets. The targets link with
 * -Wl,--wrap for the few lws functions droponair calls on a connection
 * (the list is FAKELWS_WRAPPED in CMakeLists.txt); a wrapper serves a
 * fake_wsi itself and passes any other wsi to the real lws. So the real
 * WebSocket callback (ws/transport.c) runs on a fake connection: the target
 * feeds it frames, collects what it writes and plays lws's part in closing.
 */
#ifndef DPA_FUZZ_FAKELWS_H
#define DPA_FUZZ_FAKELWS_H

#include <stdbool.h>
#include <stddef.h>
#include <libwebsockets.h>

typedef struct fake_wsi fake_wsi;

struct fake_wsi {
    char tag;                   /* its address is the struct lws * */
    void *user;                 /* lws_wsi_user(): the per-session data */
    const char *uri;            /* the request's path (WSI_TOKEN_GET_URI), or NULL */
    const char *query;          /* "a=1&b=2" (WSI_TOKEN_HTTP_URI_ARGS), or NULL */
    const char *authorization;  /* the Authorization header, or NULL */
    bool first, final, binary;  /* the frame being received */
    bool writable;              /* lws_callback_on_writable() was called */
    bool kill;                  /* lws_set_timeout(..., LWS_TO_KILL_*) */
    int timeout;                /* the pending timeout (enum pending_timeout), 0 for none */
    /* Called for each lws_write(); returns what lws_write returns. */
    int (*on_write)(fake_wsi *f, const unsigned char *buf, size_t len, int protocol);
    void *arg;
};

/* Makes f a connection the wrappers serve (zero it first); up to 32 at once. */
void fake_register(fake_wsi *f);
void fake_unregister(fake_wsi *f);
struct lws *fake_lws(fake_wsi *f);
/* The fake behind wsi, or NULL for a real one (or NULL). */
fake_wsi *fake_of(const struct lws *wsi);
/* What lws_get_context() answers for fake connections. */
void fake_set_context(struct lws_context *ctx);

#endif
