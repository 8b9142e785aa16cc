/*
 * Connections without sockets for the fuzz targets and the unit tests.
 * They link with -Wl,--wrap for the lws functions droponair calls on a
 * connection (the list is FAKELWS_WRAPPED in tests/support/CMakeLists.txt);
 * a wrapper serves a fake_wsi itself and passes any other wsi to the real
 * lws. So the real WebSocket and HTTP callbacks (ws/transport.c,
 * http/transport.c) run on a fake connection: the caller feeds them frames
 * or a request, collects what they write (the reply's header block as lws
 * would put it on the wire, then its body) and plays lws's part in closing.
 */
#ifndef DPA_TESTS_SUPPORT_FAKELWS_H
#define DPA_TESTS_SUPPORT_FAKELWS_H

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
    /* More of an HTTP request (fake_http_request sets uri and method). */
    int method;                 /* LWSHUMETH_* */
    const char *if_match, *origin, *content_type, *content_length, *transfer_encoding;
    const char *idempotency_key;  /* the one header lws keeps as a custom one */
    char *line;                 /* the request target as lws lays it out (owned) */
    bool completed;             /* lws_http_transaction_completed() was called */
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
/* Stops serving f; frees what fake_http_request made. */
void fake_unregister(fake_wsi *f);
/*
 * Makes f carry an HTTP/1.1 request line: method (LWSHUMETH_*), path as
 * lws hands it over (decoded, without the query) and query (NULL: none),
 * laid out the way lws 4.1 keeps them, which http/transport.c checks. The
 * path goes to f->uri, which the HTTP callback must be given as its `in`.
 */
void fake_http_request(fake_wsi *f, int method, const char *path, const char *query);
struct lws *fake_lws(fake_wsi *f);
/* The fake behind wsi, or NULL for a real one (or NULL). */
fake_wsi *fake_of(const struct lws *wsi);
/* What lws_get_context() answers for fake connections. */
void fake_set_context(struct lws_context *ctx);

#endif
