/*
 * --reuse-port: several processes listen on one port and the kernel
 * spreads new connections over them (SO_REUSEPORT). lws 4.1 sets that
 * option only when it runs several service threads, so the listener is
 * ours: a non-blocking socket polled by libuv, whose connections are
 * accepted here and adopted into the vhost (lws_adopt_descriptor_vhost),
 * which then serves them exactly as it serves its own.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "core/util.h"
#include "server/internal.h"
#include "server/log.h"

#define ACCEPTS_PER_WAKEUP 64
#define EMFILE_PAUSE_MS 100

static void on_listen_readable(uv_poll_t *h, int status, int events);

static void
resume_accepting(uv_timer_t *t)
{
    server *srv = t->data;

    if (srv->own_listen_fd >= 0 && !srv->draining)
        uv_poll_start(srv->own_listen_poll, UV_READABLE, on_listen_readable);
}

static void
on_listen_readable(uv_poll_t *h, int status, int events)
{
    server *srv = h->data;
    int i, fd;

    (void)events;
    if (status < 0 || srv->draining)
        return;
    for (i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        fd = accept4(srv->own_listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                /* Not a hot loop: wait for descriptors to free up. */
                uv_poll_stop(h);
                uv_timer_start(srv->own_listen_pause, resume_accepting, EMFILE_PAUSE_MS, 0);
            }
            return; /* EAGAIN: another process took it, or none left */
        }
        if (server_refuse_near_fd_limit(srv, fd)) {
            close(fd);
            continue;
        }
        {
            lws_sock_file_fd_type d;
            int type = LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP;

            if (srv->cfg->tls_cert)
                type |= LWS_ADOPT_ALLOW_SSL;
            d.sockfd = fd;
            /*
             * On failure lws has closed fd itself (on libuv, later, from its
             * close callback): closing it here too would close whatever
             * connection gets that number next.
             */
            if (!lws_adopt_descriptor_vhost(srv->vhost, (lws_adoption_type)type, d, NULL, NULL))
                dlog(LOG_WARN, "msg=\"cannot adopt a connection\" fd=%d", fd);
        }
    }
}

int
server_listen_reuseport(server *srv)
{
    struct addrinfo hints, *res = NULL, *ai;
    char port[16];
    int fd = -1, on = 1, rc;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    srv->own_listen_fd = -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", srv->cfg->port);
    if ((rc = getaddrinfo(srv->cfg->listen_host, port, &hints, &res)) != 0) {
        dlog(LOG_ERROR, "msg=\"cannot listen\" addr=%s:%d why=%s", srv->cfg->listen_host,
             srv->cfg->port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0 &&
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == 0 &&
            bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        dlog(LOG_ERROR, "msg=\"cannot listen with SO_REUSEPORT\" addr=%s:%d why=\"%s\"",
             srv->cfg->listen_host, srv->cfg->port, strerror(errno));
        return -1;
    }
    getsockname(fd, (struct sockaddr *)&ss, &len);
    srv->own_listen_port = ntohs(ss.ss_family == AF_INET6
                                     ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                     : ((struct sockaddr_in *)&ss)->sin_port);
    srv->own_listen_fd = fd;
    return 0;
}

void
server_listen_start(server *srv)
{
    uv_poll_t *p = xcalloc(1, sizeof(*p));
    uv_timer_t *t = xcalloc(1, sizeof(*t));

    uv_poll_init(srv->loop, p, srv->own_listen_fd);
    p->data = srv;
    uv_timer_init(srv->loop, t);
    t->data = srv;
    srv->own_listen_poll = p;
    srv->own_listen_pause = t;
    uv_poll_start(p, UV_READABLE, on_listen_readable);
}

void
server_listen_free(server *srv)
{
    /* The handles were closed with the loop (close_loop); the memory is ours. */
    free(srv->own_listen_poll);
    free(srv->own_listen_pause);
    srv->own_listen_poll = srv->own_listen_pause = NULL;
    if (srv->own_listen_fd >= 0)
        close(srv->own_listen_fd);
    srv->own_listen_fd = -1;
}
