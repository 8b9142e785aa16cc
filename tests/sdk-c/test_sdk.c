/* libdroponair against the real server: REST, join, signals, errors, many clients. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <droponair/droponair.h>

static pid_t server_pid;
static char url[64];
static char db[300];
static char app_id[80];
static char dir[256];

/* Runs a droponaird subcommand and returns its first output line (static). */
static const char *
cli(const char *args)
{
    static char line[4096];
    char cmd[1024];
    FILE *f;

    snprintf(cmd, sizeof(cmd), "%s %s", DROPONAIRD_BIN, args);
    f = popen(cmd, "r");
    assert_non_null(f);
    line[0] = '\0';
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    pclose(f);
    line[strcspn(line, "\n")] = '\0';
    return line;
}

static char *
token_for(const char *user)
{
    char args[512];
    snprintf(args, sizeof(args), "token --db %s --app %s --user %s --name %s", db, app_id, user, user);
    return strdup(cli(args));
}

/* ---- a tiny event loop harness ---- */

typedef struct seen {
    int replies, ok_replies;
    char last_status[32], last_call[64], last_error[64], last_json[2048];
    int events;
    char last_type[64], last_payload[512], last_from[64];
    dpa_state state;
} seen;

static void
on_reply(dpa_client *c, const dpa_reply *r, void *user)
{
    seen *s = user;
    (void)c;
    s->replies++;
    s->ok_replies += r->ok;
    snprintf(s->last_status, sizeof(s->last_status), "%s", r->status ? r->status : "");
    snprintf(s->last_call, sizeof(s->last_call), "%s", r->call_id ? r->call_id : "");
    snprintf(s->last_error, sizeof(s->last_error), "%s", r->error_code ? r->error_code : "");
    snprintf(s->last_json, sizeof(s->last_json), "%s", r->json);
}

static void
on_event(dpa_client *c, const dpa_event *ev, void *user)
{
    seen *s = user;
    (void)c;
    s->events++;
    snprintf(s->last_type, sizeof(s->last_type), "%s", ev->type);
    snprintf(s->last_payload, sizeof(s->last_payload), "%s", ev->payload ? ev->payload : "");
    snprintf(s->last_from, sizeof(s->last_from), "%s", ev->from ? ev->from : "");
}

static void
on_state(dpa_client *c, dpa_state st, void *user)
{
    (void)c;
    ((seen *)user)->state = st;
}

/* Services ctx until *flag becomes want (or 5 s pass). */
static void
run_until(dpa_context *ctx, const int *flag, int want)
{
    int i;
    for (i = 0; i < 500 && *flag < want; i++)
        dpa_context_run(ctx, 10);
    assert_true(*flag >= want);
}

static dpa_client *
client(dpa_context *ctx, const char *user, seen *s)
{
    dpa_client_options o;
    char *tok = token_for(user);
    dpa_client *c;

    memset(&o, 0, sizeof(o));
    o.base_url = url;
    o.token = tok;
    o.on_event = on_event;
    o.on_state = on_state;
    o.user = s;
    c = dpa_client_new(ctx, &o);
    free(tok);
    assert_non_null(c);
    return c;
}

/* ---- tests ---- */

static void
rest_calls(void **state)
{
    dpa_context *ctx = dpa_context_new();
    seen s = {0};
    dpa_client *c = client(ctx, "alice", &s);
    char room[64];
    char *p;
    (void)state;

    assert_int_equal(dpa_client_create_room(c, "{\"name\":\"from C\",\"policy\":{\"waitingRoom\":true}}",
                                            on_reply, &s), DPA_OK);
    run_until(ctx, &s.replies, 1);
    assert_true(s.ok_replies == 1);
    p = strstr(s.last_json, "\"roomId\":\"");
    assert_non_null(p);
    snprintf(room, sizeof(room), "%.25s", p + 10);

    assert_int_equal(dpa_client_get_room(c, room, on_reply, &s), DPA_OK);
    run_until(ctx, &s.replies, 2);
    assert_non_null(strstr(s.last_json, "\"name\":\"from C\""));

    assert_int_equal(dpa_client_update_room(c, room, "{\"name\":\"renamed\"}", on_reply, &s), DPA_OK);
    run_until(ctx, &s.replies, 3);
    assert_non_null(strstr(s.last_json, "\"version\":2"));

    assert_int_equal(dpa_client_list_rooms(c, "limit=5", on_reply, &s), DPA_OK);
    run_until(ctx, &s.replies, 4);
    assert_non_null(strstr(s.last_json, room));

    /* A server error comes back with its code. */
    assert_int_equal(dpa_client_create_room(c, "{\"waitingroom\":true}", on_reply, &s), DPA_OK);
    run_until(ctx, &s.replies, 5);
    assert_string_equal(s.last_error, "VALIDATION_FAILED");

    assert_int_equal(dpa_client_delete_room(c, room, on_reply, &s), DPA_OK);
    run_until(ctx, &s.replies, 6);
    assert_int_equal(s.ok_replies, 5);
    assert_int_equal(dpa_client_get_room(c, room, on_reply, &s), DPA_OK);
    run_until(ctx, &s.replies, 7);
    assert_string_equal(s.last_error, "ROOM_NOT_FOUND");
    assert_int_equal(dpa_client_get_room(c, "../x", on_reply, &s), DPA_E_INVALID);

    dpa_client_free(c);
    dpa_context_free(ctx);
}

static void
join_and_signal(void **state)
{
    dpa_context *ctx = dpa_context_new();
    seen a = {0}, b = {0};
    dpa_client *ca = client(ctx, "amy", &a), *cb = client(ctx, "ben", &b);
    char room[64], call[64];
    char *p;
    (void)state;

    assert_int_equal(dpa_client_create_room(ca, "{}", on_reply, &a), DPA_OK);
    run_until(ctx, &a.replies, 1);
    p = strstr(a.last_json, "\"roomId\":\"");
    snprintf(room, sizeof(room), "%.25s", p + 10);

    /* Requests made before the socket is open wait for it. */
    assert_int_equal(dpa_client_connect(ca), DPA_OK);
    assert_int_equal(dpa_client_join_room(ca, room, on_reply, &a), DPA_OK);
    run_until(ctx, &a.replies, 2);
    assert_int_equal(a.state, DPA_STATE_OPEN);
    assert_string_equal(dpa_client_user_id(ca), "amy");
    assert_string_equal(a.last_status, "JOINED");
    snprintf(call, sizeof(call), "%s", a.last_call);
    assert_int_equal(strncmp(call, "call_", 5), 0);

    assert_int_equal(dpa_client_connect(cb), DPA_OK);
    assert_int_equal(dpa_client_join_room(cb, room, on_reply, &b), DPA_OK);
    run_until(ctx, &b.replies, 1);
    assert_string_equal(b.last_call, call);
    run_until(ctx, &a.events, 1);
    assert_string_equal(a.last_type, "GROUP_CALL_PARTICIPANT_JOINED");

    assert_int_equal(dpa_client_send_signal(cb, "GROUP_CALL_ICE_CANDIDATE", call, "", "amy",
                                            "{\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 9 typ host\"}",
                                            on_reply, &b), DPA_OK);
    run_until(ctx, &a.events, 2);
    assert_string_equal(a.last_type, "GROUP_CALL_ICE_CANDIDATE");
    assert_string_equal(a.last_from, "ben");
    assert_string_equal(a.last_payload, "{\"candidate\":\"candidate:1 1 udp 1 127.0.0.1 9 typ host\"}");
    run_until(ctx, &b.replies, 2);
    assert_int_equal(b.ok_replies, 2);

    /* Errors come back as replies with codes. */
    assert_int_equal(dpa_client_join_room(cb, "rm_AAAAAAAAAAAAAAAAAAAAAA", on_reply, &b), DPA_OK);
    run_until(ctx, &b.replies, 3);
    assert_string_equal(b.last_error, "ROOM_NOT_FOUND");
    assert_int_equal(dpa_client_send_signal(cb, "GROUP_CALL_SDP_OFFER", call, "", "nobody", "\"x\"",
                                            on_reply, &b), DPA_OK);
    run_until(ctx, &b.replies, 4);
    assert_string_equal(b.last_error, "NOT_FOUND");
    assert_int_equal(dpa_client_send_signal(cb, "X", call, "", "amy", "{bad", on_reply, &b), DPA_E_INVALID);

    assert_int_equal(dpa_client_leave_call(cb, call, on_reply, &b), DPA_OK);
    run_until(ctx, &a.events, 3);
    assert_string_equal(a.last_type, "GROUP_CALL_PARTICIPANT_LEFT");

    dpa_client_free(ca);
    dpa_client_free(cb);
    dpa_context_free(ctx);
}

static void
bad_token_closes(void **state)
{
    dpa_context *ctx = dpa_context_new();
    dpa_client_options o;
    seen s = {0};
    dpa_client *c;
    int i;
    (void)state;

    memset(&o, 0, sizeof(o));
    o.base_url = url;
    o.token = "not.a.token";
    o.on_state = on_state;
    o.user = &s;
    o.reconnect = 1;
    c = dpa_client_new(ctx, &o);
    assert_int_equal(dpa_client_connect(c), DPA_OK);
    assert_int_equal(dpa_client_join_room(c, "rm_x", on_reply, &s), DPA_OK);
    run_until(ctx, &s.replies, 1);
    assert_string_equal(s.last_error, "UNAUTHORIZED");
    for (i = 0; i < 100 && s.state != DPA_STATE_CLOSED; i++)
        dpa_context_run(ctx, 10);
    assert_int_equal(s.state, DPA_STATE_CLOSED);
    assert_null(dpa_client_new(ctx, &(dpa_client_options){.base_url = "ftp://x"}));
    dpa_client_free(c);
    dpa_context_free(ctx);
}

static void
one_context_many_clients(void **state)
{
    enum { N = 30 };
    dpa_context *ctx = dpa_context_new();
    dpa_client *cs[N];
    seen s[N], owner = {0};
    dpa_client *o = client(ctx, "owner", &owner);
    char room[64], name[16];
    int i, joined = 0;
    char *p;
    (void)state;

    memset(s, 0, sizeof(s));
    dpa_client_create_room(o, "{}", on_reply, &owner);
    run_until(ctx, &owner.replies, 1);
    p = strstr(owner.last_json, "\"roomId\":\"");
    snprintf(room, sizeof(room), "%.25s", p + 10);
    for (i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "u%d", i);
        cs[i] = client(ctx, name, &s[i]);
        assert_int_equal(dpa_client_connect(cs[i]), DPA_OK);
        assert_int_equal(dpa_client_join_room(cs[i], room, on_reply, &s[i]), DPA_OK);
    }
    for (i = 0; i < 1000 && joined < N; i++) {
        int k;
        dpa_context_run(ctx, 10);
        for (joined = 0, k = 0; k < N; k++)
            joined += s[k].ok_replies;
    }
    assert_int_equal(joined, N);
    for (i = 0; i < N; i++)
        assert_string_equal(s[i].last_status, "JOINED");
    for (i = 0; i < N; i++)
        dpa_client_free(cs[i]);
    dpa_client_free(o);
    dpa_context_free(ctx);
}

/* ---- the server ---- */

static int
setup(void **state)
{
    char args[512], line[1024];
    int pipefd[2];
    FILE *f;
    const char *out;
    (void)state;

    snprintf(dir, sizeof(dir), "%s/sdkc.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    snprintf(db, sizeof(db), "sqlite:%s/d.db", dir);
    snprintf(args, sizeof(args), "app create --db %s --name c --plan business", db);
    out = cli(args);
    if (sscanf(strstr(out, "\"appId\":\"") + 9, "%79[^\"]", app_id) != 1)
        return -1;
    if (pipe(pipefd))
        return -1;
    server_pid = fork();
    if (server_pid == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        execl(DROPONAIRD_BIN, DROPONAIRD_BIN, "serve", "--listen", "127.0.0.1:0", "--db", db,
              (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    f = fdopen(pipefd[0], "r");
    while (fgets(line, sizeof(line), f)) {
        char *a = strstr(line, "addr=127.0.0.1:");
        if (strstr(line, "msg=\"listening\"") && a) {
            snprintf(url, sizeof(url), "http://127.0.0.1:%d", atoi(a + 15));
            break;
        }
    }
    /* Keep draining the server's log so it never blocks on a full pipe. */
    if (fork() == 0) {
        while (fgets(line, sizeof(line), f))
            ;
        _exit(0);
    }
    fclose(f);
    return url[0] ? 0 : -1;
}

static int
teardown(void **state)
{
    int status = 0;
    char cmd[300];
    (void)state;

    kill(server_pid, SIGTERM);
    waitpid(server_pid, &status, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rest_calls),
        cmocka_unit_test(join_and_signal),
        cmocka_unit_test(bad_token_closes),
        cmocka_unit_test(one_context_many_clients),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
