/*
 * dpa-join: joins a droponair room with libdroponair and prints the join
 * reply and every event as JSON lines on stdout.
 *
 *   dpa-join --url http://127.0.0.1:8080 --token JWT --room rm_... \
 *            [--offer-to USER] [--exit-on-answer] [--seconds N]
 *
 * With --offer-to it sends USER an SDP offer once both are in the call; with
 * --exit-on-answer it exits 0 when USER answers. It exits 1 on a join error
 * or when --seconds pass without the answer it waits for.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <droponair/droponair.h>

static volatile sig_atomic_t stop;
static const char *room_id, *offer_to;
static int exit_on_answer, done, rc = 1;
static char call_id[64];
static int offered;

static void
on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void
offer(dpa_client *c)
{
    if (!offer_to || offered || !call_id[0])
        return;
    offered = 1;
    dpa_client_send_signal(c, "GROUP_CALL_SDP_OFFER", call_id, "", offer_to,
                           "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=libdroponair 1 1 IN IP4 127.0.0.1\\r\\n\"}",
                           NULL, NULL);
}

static void
on_join(dpa_client *c, const dpa_reply *r, void *user)
{
    (void)user;
    printf("{\"reply\":%s}\n", r->json[0] ? r->json : "null");
    fflush(stdout);
    if (!r->ok) {
        fprintf(stderr, "dpa-join: %s: %s\n", r->error_code, r->error_message ? r->error_message : "");
        done = 1;
        return;
    }
    if (r->call_id)
        snprintf(call_id, sizeof(call_id), "%s", r->call_id);
    if (offer_to && strstr(r->json, offer_to))
        offer(c);
    if (!exit_on_answer)
        rc = 0;
}

static void
on_event(dpa_client *c, const dpa_event *ev, void *user)
{
    (void)user;
    printf("%s\n", ev->json);
    fflush(stdout);
    if (strcmp(ev->type, "GROUP_CALL_ADMITTED") == 0 && ev->call_id) {
        snprintf(call_id, sizeof(call_id), "%s", ev->call_id);
        if (offer_to && strstr(ev->json, offer_to))
            offer(c);
    }
    if (strcmp(ev->type, "GROUP_CALL_PARTICIPANT_JOINED") == 0 && offer_to && ev->user_id &&
        strcmp(ev->user_id, offer_to) == 0)
        offer(c);
    if (strcmp(ev->type, "GROUP_CALL_SDP_ANSWER") == 0 && exit_on_answer && offer_to &&
        ev->from && strcmp(ev->from, offer_to) == 0) {
        rc = 0;
        done = 1;
    }
}

static void
on_state(dpa_client *c, dpa_state s, void *user)
{
    (void)user;
    if (s == DPA_STATE_OPEN && !call_id[0])
        dpa_client_join_room(c, room_id, on_join, NULL);
    if (s == DPA_STATE_CLOSED)
        done = 1;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},       {"token", required_argument, NULL, 't'},
        {"room", required_argument, NULL, 'r'},      {"offer-to", required_argument, NULL, 'o'},
        {"exit-on-answer", no_argument, NULL, 'x'},  {"seconds", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    dpa_client_options o;
    dpa_context *ctx;
    dpa_client *c;
    int ch, seconds = 0, loops;

    memset(&o, 0, sizeof(o));
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'u': o.base_url = optarg; break;
        case 't': o.token = optarg; break;
        case 'r': room_id = optarg; break;
        case 'o': offer_to = optarg; break;
        case 'x': exit_on_answer = 1; break;
        case 's': seconds = atoi(optarg); break;
        default:
            fprintf(ch == 'h' ? stdout : stderr,
                    "usage: dpa-join --url URL --token JWT --room ROOM [--offer-to USER]\n"
                    "                [--exit-on-answer] [--seconds N]\n");
            return ch == 'h' ? 0 : 2;
        }
    }
    if (!o.base_url || !o.token || !room_id) {
        fprintf(stderr, "dpa-join: --url, --token and --room are required\n");
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    o.on_event = on_event;
    o.on_state = on_state;
    o.reconnect = 1;
    ctx = dpa_context_new();
    c = ctx ? dpa_client_new(ctx, &o) : NULL;
    if (!c || dpa_client_connect(c) != DPA_OK) {
        fprintf(stderr, "dpa-join: cannot connect to %s\n", o.base_url);
        return 1;
    }
    for (loops = 0; !stop && !done && (!seconds || loops < seconds * 10); loops++)
        dpa_context_run(ctx, 100);
    dpa_client_free(c);
    dpa_context_free(ctx);
    return rc;
}
