/* The call state machine, driven by commands, observed through its events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/call_private.h"
#include "core/json.h"

#define MAX_EVENTS 256

typedef struct seen {
    uint64_t session;
    char type[64];
    char json[2048];
} seen;

static seen events[MAX_EVENTS];
static int nevents;
static char notes[16][96];
static int nnotes;
static plan_set plans;

static void
rec_emit(void *arg, const live_call *lc, uint64_t session, struct json_object *ev)
{
    (void)arg;
    (void)lc;
    assert_true(nevents < MAX_EVENTS);
    events[nevents].session = session;
    snprintf(events[nevents].type, sizeof(events[nevents].type), "%s", json_get_str(ev, "type"));
    snprintf(events[nevents].json, sizeof(events[nevents].json), "%s", json_plain(ev, NULL));
    nevents++;
}

static void
rec_note(void *arg, live_call *lc, call_note note, const char *call_id, const char *reason, int peak)
{
    (void)arg;
    (void)lc;
    (void)call_id;
    snprintf(notes[nnotes++ % 16], 96, "%s %s %d",
             note == NOTE_CALL_OPENED ? "OPENED" : note == NOTE_CALL_ENDED ? "ENDED" : "ENDED+CLOSE",
             reason ? reason : "-", peak);
}

/* The glue's hook: marks the body with the member it was built for. */
static void
rec_joined(void *arg, const live_call *lc, const char *user_id, struct json_object *body)
{
    char mark[160];
    (void)arg;
    (void)lc;
    snprintf(mark, sizeof(mark), "for-%s", user_id);
    json_object_object_add(body, "mark", json_object_new_string(mark));
}

/* Membership facts as "KIND user reason/by/position", with how many events went out before. */
static char facts[64][128];
static int fact_events[64];
static int nfacts;

static void
rec_fact(void *arg, live_call *lc, const call_fact *f)
{
    static const char *const kinds[] = {"JOINED", "LEFT", "WAITING", "ADMITTED", "DENIED",
                                        "WAIT_LEFT"};
    (void)arg;
    assert_true(nfacts < 64);
    assert_string_equal(f->call_id, lc->call_id);
    fact_events[nfacts] = nevents;
    switch (f->kind) {
    case FACT_JOINED:
        snprintf(facts[nfacts++], 128, "%s %s %s peak=%d", kinds[f->kind], f->user_id,
                 call_role_name(f->role), f->peak);
        break;
    case FACT_WAITING:
        snprintf(facts[nfacts++], 128, "%s %s %d", kinds[f->kind], f->user_id, f->position);
        break;
    default:
        snprintf(facts[nfacts++], 128, "%s %s %s %s", kinds[f->kind], f->user_id,
                 f->reason ? f->reason : "-", f->by ? f->by : "-");
    }
}

static void
reset(void)
{
    nevents = 0;
    nnotes = 0;
    nfacts = 0;
}

/* How many events of type went to session (0 = any session). */
static int
count(uint64_t session, const char *type)
{
    int i, n = 0;
    for (i = 0; i < nevents; i++)
        if ((!session || events[i].session == session) && strcmp(events[i].type, type) == 0)
            n++;
    return n;
}

static const seen *
find(uint64_t session, const char *type)
{
    int i;
    for (i = 0; i < nevents; i++)
        if (events[i].session == session && strcmp(events[i].type, type) == 0)
            return &events[i];
    return NULL;
}

static live_call *
make_call(const char *policy, const char *plan_name)
{
    char body[512];
    struct json_object *o = NULL;
    dpa_error fe;
    room *r = NULL;
    call_sink sink = {rec_emit, rec_note, NULL, rec_joined, rec_fact};

    snprintf(body, sizeof(body), "{\"hosts\":[\"hank\"],\"policy\":%s}", policy);
    assert_int_equal(json_parse(body, strlen(body), &o), E_OK);
    assert_int_equal(room_create(o, "app", "hank", plans_find(&plans, plan_name), 1, &r, &fe), E_OK);
    json_object_put(o);
    reset();
    return call_new(r, plans_find(&plans, plan_name), sink);
}

static char last_mark[160]; /* the last join reply's "mark" ("" when none) */

/* Joins user (session = its first letter) and returns the reply's status. */
static const char *
join(live_call *lc, const char *user, dpa_err *e_out)
{
    static char status[64];
    struct json_object *reply = NULL;
    call_actor a = {user, user, (uint64_t)user[0], ROLE_PARTICIPANT, false, false};
    dpa_error err = {0};
    dpa_err e = call_join(lc, &a, 100, &reply, &err);

    if (e_out)
        *e_out = e;
    snprintf(status, sizeof(status), "%s", e ? error_code(e) : json_get_str(reply, "status"));
    snprintf(last_mark, sizeof(last_mark), "%s",
             e || !json_get_str(reply, "mark") ? "" : json_get_str(reply, "mark"));
    json_object_put(reply);
    return status;
}

#define S(u) ((uint64_t)(u)[0])

/* An ordinary user acting (session = its first letter), as the glue passes one. */
#define ACT(u) (&(call_actor){(u), (u), S(u), ROLE_PARTICIPANT, false, false})

static struct json_object *
js(const char *s)
{
    struct json_object *o = NULL;
    assert_int_equal(json_parse(s, strlen(s), &o), E_OK);
    return o;
}

static void
open_room_relays_signals(void **state)
{
    live_call *lc = make_call("{}", "pro");
    struct json_object *payload = json_object_new_string("v=0 sdp");
    dpa_error err;
    char call_id[CALL_ID_MAX];
    (void)state;

    assert_string_equal(join(lc, "alice", NULL), "JOINED");
    assert_string_equal(last_mark, "for-alice"); /* the JOINED reply too */
    assert_true(call_is_live(lc));
    assert_string_equal(notes[0], "OPENED - 0");
    strcpy(call_id, lc->call_id);
    assert_string_equal(join(lc, "bob", NULL), "JOINED");
    assert_int_equal(count(S("alice"), "GROUP_CALL_PARTICIPANT_JOINED"), 1);
    assert_int_equal(count(S("bob"), "GROUP_CALL_PARTICIPANT_JOINED"), 0); /* no echo */

    reset();
    assert_int_equal(call_signal(lc, "alice", "bob", "GROUP_CALL_SDP_OFFER", payload, &err), E_OK);
    assert_int_equal(nevents, 1);
    assert_int_equal(events[0].session, S("bob"));
    assert_non_null(strstr(events[0].json, "\"from\":\"alice\""));
    assert_non_null(strstr(events[0].json, "\"payload\":\"v=0 sdp\""));
    assert_non_null(strstr(events[0].json, "\"groupId\":\"\""));
    assert_non_null(strstr(events[0].json, call_id));
    assert_int_equal(call_signal(lc, "alice", "carol", "GROUP_CALL_ICE_CANDIDATE", payload, &err),
                     E_NOT_FOUND);
    assert_int_equal(call_signal(lc, "carol", "bob", "GROUP_CALL_ICE_CANDIDATE", payload, &err),
                     E_FORBIDDEN);
    json_object_put(payload);

    /* Leaving: the last one out ends the call; a new call gets a new id. */
    assert_int_equal(call_leave(lc, "alice", "LEFT", 200), E_OK);
    assert_int_equal(count(S("bob"), "GROUP_CALL_PARTICIPANT_LEFT"), 1);
    assert_int_equal(call_leave(lc, "bob", "LEFT", 200), E_OK);
    assert_false(call_is_live(lc));
    assert_string_equal(notes[nnotes - 1], "ENDED EMPTY 2");
    assert_string_equal(join(lc, "bob", NULL), "JOINED");
    assert_string_not_equal(lc->call_id, call_id);
    call_free(lc);
}

static void
require_host_then_host_present(void **state)
{
    live_call *lc = make_call("{\"requireHost\":true}", "pro");
    (void)state;

    assert_string_equal(join(lc, "alice", NULL), "HOST_REQUIRED");
    assert_false(call_is_live(lc));
    assert_string_equal(join(lc, "hank", NULL), "JOINED");
    assert_int_equal(count(S("alice"), "GROUP_CALL_HOST_PRESENT"), 1);
    assert_non_null(strstr(find(S("alice"), "GROUP_CALL_HOST_PRESENT")->json, "HOST_ARRIVED"));
    assert_string_equal(join(lc, "alice", NULL), "JOINED");
    /* The host leaves: nobody new gets in, those inside stay. */
    call_leave(lc, "hank", "LEFT", 300);
    assert_true(call_is_live(lc));
    assert_string_equal(join(lc, "bob", NULL), "HOST_REQUIRED");
    call_free(lc);
}

static void
waiting_room_admit_deny(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true}", "pro");
    struct json_object *reply = NULL;
    dpa_error err = {0};
    (void)state;

    assert_string_equal(join(lc, "hank", NULL), "JOINED");
    reset();
    assert_string_equal(join(lc, "alice", NULL), "WAITING_ROOM_PENDING");
    assert_string_equal(join(lc, "bob", NULL), "WAITING_ROOM_PENDING");
    assert_string_equal(join(lc, "carol", NULL), "WAITING_ROOM_PENDING");
    assert_int_equal(count(S("hank"), "GROUP_CALL_WAITING"), 3);
    assert_non_null(strstr(events[1].json, "\"position\":2"));
    /* Asking again keeps the place and does not notify again. */
    assert_string_equal(join(lc, "alice", NULL), "WAITING_ROOM_PENDING");
    assert_int_equal(count(S("hank"), "GROUP_CALL_WAITING"), 3);

    /* A participant cannot admit. */
    assert_int_equal(call_admit(lc, ACT("alice"), "bob", 400, &reply, &err), E_FORBIDDEN);
    reset();
    assert_int_equal(call_admit(lc, ACT("hank"), "bob", 400, &reply, &err), E_OK);
    json_object_put(reply);
    assert_int_equal(count(S("bob"), "GROUP_CALL_ADMITTED"), 1);
    assert_non_null(strstr(find(S("bob"), "GROUP_CALL_ADMITTED")->json, "\"role\":\"PARTICIPANT\""));
    /* The admission carries what the glue adds for bob (his ICE servers). */
    assert_non_null(strstr(find(S("bob"), "GROUP_CALL_ADMITTED")->json, "\"mark\":\"for-bob\""));
    assert_int_equal(count(S("hank"), "GROUP_CALL_PARTICIPANT_JOINED"), 1);
    assert_int_equal(call_admit(lc, ACT("hank"), "bob", 400, &reply, &err), E_NOT_WAITING);

    assert_int_equal(call_deny(lc, ACT("hank"), "carol", &err), E_OK);
    assert_non_null(strstr(find(S("carol"), "GROUP_CALL_DENIED")->json, "\"reason\":\"DENIED\""));
    assert_int_equal(call_cancel_wait(lc, "alice", &err), E_OK);
    assert_int_equal(call_cancel_wait(lc, "alice", &err), E_NOT_WAITING);
    assert_int_equal(lc->waiting.count, 0);
    call_free(lc);
}

/*
 * Every membership change is told to the glue once, in order, before the
 * events that report it (so a write started there is one they can wait for).
 */
static void
facts_tell_membership_before_events(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true,\"autoCloseWhenEmpty\":true}", "pro");
    struct json_object *reply = NULL;
    dpa_error err = {0};
    (void)state;

    assert_string_equal(join(lc, "hank", NULL), "JOINED");
    assert_int_equal(nfacts, 1);
    assert_string_equal(facts[0], "JOINED hank HOST peak=1");
    assert_string_equal(join(lc, "alice", NULL), "WAITING_ROOM_PENDING");
    assert_string_equal(join(lc, "alice", NULL), "WAITING_ROOM_PENDING"); /* no second fact */
    assert_string_equal(join(lc, "bob", NULL), "WAITING_ROOM_PENDING");
    assert_string_equal(join(lc, "carol", NULL), "WAITING_ROOM_PENDING");
    assert_string_equal(join(lc, "dave", NULL), "WAITING_ROOM_PENDING");
    assert_int_equal(nfacts, 5);
    assert_string_equal(facts[1], "WAITING alice 1");
    assert_string_equal(facts[2], "WAITING bob 2");
    /* The fact comes before the GROUP_CALL_WAITING the host gets. */
    assert_int_equal(fact_events[2], 1); /* only alice's went out yet */

    reset();
    assert_int_equal(call_admit(lc, ACT("hank"), "alice", 400, &reply, &err), E_OK);
    json_object_put(reply);
    assert_int_equal(nfacts, 2);
    assert_string_equal(facts[0], "ADMITTED alice - hank");
    assert_string_equal(facts[1], "JOINED alice PARTICIPANT peak=2");
    assert_int_equal(fact_events[1], 0); /* before ADMITTED and PARTICIPANT_JOINED */

    reset();
    assert_int_equal(call_deny(lc, ACT("hank"), "bob", &err), E_OK);
    assert_int_equal(call_cancel_wait(lc, "carol", &err), E_OK);
    call_drop_session(lc, S("dave"), 500);
    assert_int_equal(nfacts, 3);
    assert_string_equal(facts[0], "DENIED bob DENIED hank");
    assert_string_equal(facts[1], "WAIT_LEFT carol CANCELLED -");
    assert_string_equal(facts[2], "WAIT_LEFT dave DISCONNECTED -");

    reset();
    assert_int_equal(call_leave(lc, "alice", "LEFT", 600), E_OK);
    assert_string_equal(facts[0], "LEFT alice LEFT -");
    assert_int_equal(fact_events[0], 0); /* before PARTICIPANT_LEFT */
    assert_string_equal(join(lc, "erin", NULL), "WAITING_ROOM_PENDING");
    /* The last one out: the call ends and the room auto-closes; erin is denied. */
    reset();
    assert_int_equal(call_leave(lc, "hank", "LEFT", 700), E_OK);
    assert_int_equal(nfacts, 2);
    assert_string_equal(facts[0], "LEFT hank LEFT -");
    assert_string_equal(facts[1], "DENIED erin ROOM_CLOSED -");
    assert_string_equal(notes[0], "ENDED+CLOSE EMPTY 2");
    call_free(lc);
}

static void
admit_all_up_to_the_cap(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true,\"maxParticipants\":3}", "pro");
    struct json_object *reply = NULL;
    dpa_error err = {0};
    (void)state;

    /* Waiting with no live call: the first admission opens it. */
    join(lc, "alice", NULL);
    join(lc, "bob", NULL);
    join(lc, "carol", NULL);
    join(lc, "dave", NULL);
    assert_false(call_is_live(lc));
    assert_int_equal(call_admit(lc, ACT("hank"), NULL, 500, &reply, &err), E_ROOM_FULL);
    assert_int_equal(err.limit, LIMIT_ROOM);
    assert_true(call_is_live(lc));
    assert_int_equal(lc->nmembers, 3);
    assert_int_equal(lc->waiting.count, 1);
    assert_string_equal(lc->waiting.items[0].user_id, "dave");
    /* The host still gets in? No: hosts skip the queue, not the cap. */
    assert_string_equal(join(lc, "hank", NULL), "ROOM_FULL");
    call_free(lc);
}

static void
cap_exact_and_limit_source(void **state)
{
    live_call *lc = make_call("{}", "starter"); /* plan cap 4 */
    struct json_object *reply = NULL;
    call_actor a = {"eve", "eve", 9, ROLE_PARTICIPANT, false, false};
    dpa_error err = {0};
    (void)state;

    join(lc, "a1", NULL);
    join(lc, "b2", NULL);
    join(lc, "c3", NULL);
    assert_string_equal(join(lc, "d4", NULL), "JOINED");
    assert_int_equal(call_join(lc, &a, 1, &reply, &err), E_ROOM_FULL);
    assert_int_equal(err.limit, LIMIT_PLAN);
    assert_null(reply);
    assert_int_equal(lc->nmembers, 4);
    /* Rejoining from a new session reuses the place. */
    {
        call_actor again = {"a1", "a1", 77, ROLE_PARTICIPANT, false, false};
        assert_int_equal(call_join(lc, &again, 1, &reply, &err), E_OK);
        json_object_put(reply);
        assert_int_equal(count(S("a1"), "GROUP_CALL_REMOVED"), 1);
        assert_non_null(strstr(find(S("a1"), "GROUP_CALL_REMOVED")->json, "REPLACED"));
        assert_int_equal(lc->nmembers, 4);
    }
    call_free(lc);
}

static void
autoclose_denies_waiters(void **state)
{
    live_call *lc = make_call("{\"autoCloseWhenEmpty\":true,\"waitingRoom\":true}", "pro");
    (void)state;

    join(lc, "hank", NULL);
    join(lc, "alice", NULL); /* waits */
    call_leave(lc, "hank", "LEFT", 10);
    /* The call's end and the room's close are one write. */
    assert_string_equal(notes[nnotes - 1], "ENDED+CLOSE EMPTY 1");
    /* Until the close is committed the live state stays, so joins see it. */
    assert_false(call_is_idle(lc));
    assert_non_null(strstr(find(S("alice"), "GROUP_CALL_DENIED")->json, "ROOM_CLOSED"));
    assert_string_equal(join(lc, "hank", NULL), "ROOM_CLOSED");
    call_free(lc);
}

static void
moderation_ranks(void **state)
{
    live_call *lc = make_call("{}", "pro");
    dpa_error err = {0};
    (void)state;

    join(lc, "hank", NULL);
    join(lc, "alice", NULL);
    join(lc, "bob", NULL);
    assert_int_equal(call_set_role(lc, ACT("alice"), "bob", ROLE_CO_HOST, &err), E_FORBIDDEN);
    assert_int_equal(call_set_role(lc, ACT("hank"), "alice", ROLE_CO_HOST, &err), E_OK);
    assert_int_equal(count(S("bob"), "GROUP_CALL_ROLE_CHANGED"), 1);
    /* A co-host may mute and remove participants, not hosts. */
    assert_int_equal(call_mute(lc, ACT("alice"), "hank", "audio", &err), E_FORBIDDEN);
    assert_int_equal(call_mute(lc, ACT("alice"), "bob", "video", &err), E_OK);
    assert_non_null(strstr(find(S("bob"), "GROUP_CALL_MUTE_REQUESTED")->json, "\"by\":\"alice\""));
    assert_int_equal(call_remove(lc, ACT("alice"), "hank", false, 1, &err), E_FORBIDDEN);
    assert_int_equal(call_set_role(lc, ACT("hank"), "hank", ROLE_PARTICIPANT, &err), E_FORBIDDEN);
    assert_int_equal(call_end(lc, ACT("alice"), NULL, 1, &err), E_FORBIDDEN);

    reset();
    assert_int_equal(call_remove(lc, ACT("alice"), "bob", true, 1, &err), E_OK);
    assert_non_null(strstr(find(S("bob"), "GROUP_CALL_REMOVED")->json, "REMOVED_BY_HOST"));
    assert_non_null(strstr(find(S("hank"), "GROUP_CALL_PARTICIPANT_LEFT")->json, "\"reason\":\"REMOVED\""));
    assert_string_equal(join(lc, "bob", NULL), "FORBIDDEN"); /* banned for this call */

    reset();
    assert_int_equal(call_end(lc, ACT("hank"), NULL, 1, &err), E_OK);
    assert_int_equal(count(0, "GROUP_CALL_ENDED"), 2);
    assert_non_null(strstr(find(S("alice"), "GROUP_CALL_ENDED")->json, "HOST_ENDED"));
    assert_false(call_is_live(lc));
    assert_int_equal(call_end(lc, ACT("hank"), NULL, 1, &err), E_NO_LIVE_CALL);
    /* The ban lasted for that call only. */
    assert_string_equal(join(lc, "bob", NULL), "JOINED");
    /* Co-host is lost on leaving. */
    assert_string_equal(join(lc, "alice", NULL), "JOINED");
    assert_int_equal(call_member_find(lc, "alice")->role, ROLE_PARTICIPANT);
    call_free(lc);
}

static void
room_changes_apply_live(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true,\"requireHost\":true}", "pro");
    struct json_object *patch;
    dpa_error fe;
    room *r;
    bool changed;
    (void)state;

    join(lc, "carol", NULL); /* HOST_REQUIRED */
    join(lc, "hank", NULL);
    join(lc, "alice", NULL); /* waits */
    join(lc, "bob", NULL);   /* waits */
    reset();

    /* waitingRoom off admits everyone waiting; hosts add carol's place as host. */
    r = room_clone(lc->room);
    patch = js("{\"policy\":{\"waitingRoom\":false},\"hosts\":[\"hank\",\"alice\"]}");
    assert_int_equal(room_patch(r, patch, lc->plan, 5, &changed, &fe), E_OK);
    json_object_put(patch);
    call_room_changed(lc, r, 5);
    assert_int_equal(lc->nmembers, 3);
    assert_int_equal(count(S("alice"), "GROUP_CALL_ADMITTED"), 1);
    assert_int_equal(count(S("bob"), "GROUP_CALL_ADMITTED"), 1);
    assert_int_equal(count(S("hank"), "ROOM_UPDATED"), 1);
    assert_int_equal(call_member_find(lc, "alice")->role, ROLE_HOST);

    /* hosts: alice removed -> participant again. */
    r = room_clone(lc->room);
    patch = js("{\"hosts\":[\"hank\"]}");
    assert_int_equal(room_patch(r, patch, lc->plan, 6, &changed, &fe), E_OK);
    json_object_put(patch);
    reset();
    call_room_changed(lc, r, 6);
    assert_int_equal(call_member_find(lc, "alice")->role, ROLE_PARTICIPANT);
    assert_non_null(strstr(find(S("bob"), "GROUP_CALL_ROLE_CHANGED")->json, "\"role\":\"PARTICIPANT\""));

    /* Closing ends the call for everyone. */
    r = room_clone(lc->room);
    r->status = ROOM_CLOSED;
    reset();
    call_room_changed(lc, r, 7);
    assert_int_equal(count(0, "GROUP_CALL_ENDED"), 3);
    assert_non_null(strstr(find(S("bob"), "GROUP_CALL_ENDED")->json, "ROOM_CLOSED"));
    assert_false(call_is_live(lc));
    assert_string_equal(join(lc, "hank", NULL), "ROOM_CLOSED");
    call_free(lc);
}

/* Watching needs the rank at every event, not only when WATCH_ROOM came. */
static void
watchers_lose_events_with_their_rank(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true}", "pro");
    call_actor wv = {"vera", "vera", 900, ROLE_PARTICIPANT, false, false},
               wc = {"cole", "cole", 901, ROLE_PARTICIPANT, false, false};
    struct json_object *patch;
    dpa_error err = {0};
    dpa_error fe;
    bool changed;
    room *r;
    (void)state;

    /* vera is a room host; cole a co-host in the call, watching from elsewhere. */
    r = room_clone(lc->room);
    patch = js("{\"hosts\":[\"hank\",\"vera\"]}");
    assert_int_equal(room_patch(r, patch, lc->plan, 5, &changed, &fe), E_OK);
    json_object_put(patch);
    call_room_changed(lc, r, 5);
    join(lc, "hank", NULL);
    join(lc, "cole", NULL); /* waits */
    { struct json_object *out = NULL; assert_int_equal(call_admit(lc, ACT("hank"), "cole", 6, &out, &err), E_OK); json_object_put(out); }
    assert_int_equal(call_set_role(lc, ACT("hank"), "cole", ROLE_CO_HOST, &err), E_OK);
    assert_int_equal(call_watch(lc, &wv, &err), E_OK);
    assert_int_equal(call_watch(lc, &wc, &err), E_OK);
    reset();
    join(lc, "amy", NULL); /* knocks */
    assert_int_equal(count(900, "GROUP_CALL_WAITING"), 1);
    assert_int_equal(count(901, "GROUP_CALL_WAITING"), 1);

    /* vera removed from hosts, cole demoted: neither sees the next knock. */
    r = room_clone(lc->room);
    patch = js("{\"hosts\":[\"hank\"]}");
    assert_int_equal(room_patch(r, patch, lc->plan, 7, &changed, &fe), E_OK);
    json_object_put(patch);
    call_room_changed(lc, r, 7);
    assert_int_equal(call_set_role(lc, ACT("hank"), "cole", ROLE_PARTICIPANT, &err), E_OK);
    reset();
    join(lc, "bea", NULL); /* knocks */
    assert_int_equal(count(S("hank"), "GROUP_CALL_WAITING"), 1);
    assert_int_equal(count(900, "GROUP_CALL_WAITING"), 0);
    assert_int_equal(count(901, "GROUP_CALL_WAITING"), 0);
    call_free(lc);
}

static void
screen_share_one_at_a_time(void **state)
{
    live_call *lc = make_call("{}", "pro");
    dpa_error err = {0};
    (void)state;

    join(lc, "hank", NULL);
    join(lc, "alice", NULL);
    join(lc, "bob", NULL);
    assert_int_equal(call_screen(lc, "alice", true, &err), E_OK);
    assert_int_equal(count(S("bob"), "GROUP_CALL_SCREEN_SHARE_STARTED"), 1);
    assert_int_equal(call_screen(lc, "bob", true, &err), E_FORBIDDEN);
    assert_int_equal(call_screen(lc, "hank", true, &err), E_OK); /* a host shares over it */
    assert_false(call_member_find(lc, "alice")->screen);
    assert_string_equal(lc->sharer, "hank");
    assert_int_equal(call_media(lc, "bob", 0, -1, &err), E_OK);
    assert_false(call_member_find(lc, "bob")->audio);
    assert_true(call_member_find(lc, "bob")->video);
    call_free(lc);

    lc = make_call("{}", "starter");
    join(lc, "hank", NULL);
    assert_int_equal(call_screen(lc, "hank", true, &err), E_FEATURE_NOT_ENABLED);
    call_free(lc);
}

static void
state_json_shows_waiting_to_hosts_only(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true}", "pro");
    struct json_object *o;
    (void)state;

    assert_null(call_state_json(lc, ACT("hank")));
    join(lc, "hank", NULL);
    join(lc, "alice", NULL);
    o = call_state_json(lc, ACT("hank"));
    assert_int_equal(json_get_int(o, "participantCount", -1), 1);
    assert_int_equal(json_get_int(o, "waitingCount", -1), 1);
    assert_true(json_get_bool(o, "hostPresent", false));
    assert_true(json_object_object_get_ex(o, "waiting", NULL));
    json_object_put(o);
    o = call_state_json(lc, ACT("alice"));
    assert_false(json_object_object_get_ex(o, "waiting", NULL));
    json_object_put(o);
    call_free(lc);
}

static int
setup(void **state)
{
    (void)state;
    plans_builtin(&plans);
    return 0;
}


/* Export/import for a takeover: sessions as {"s":id}, and back (0 for "gone"). */
static uint64_t gone_session;

static struct json_object *
ref_session(void *arg, uint64_t session)
{
    struct json_object *o = json_object_new_object();
    (void)arg;
    json_object_object_add(o, "s", json_object_new_int64((int64_t)session));
    return o;
}

static uint64_t
of_session(void *arg, const char *room_id, struct json_object *ref)
{
    uint64_t s = (uint64_t)json_get_int(ref, "s", 0);
    (void)arg;
    assert_non_null(room_id);
    return s == gone_session ? 0 : s;
}

static void
export_import_continues_the_call(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true}", "business"), *next;
    struct json_object *ex, *ex2, *reply = NULL, *payload = json_object_new_string("x");
    dpa_error err = {0};
    (void)state;

    assert_string_equal(join(lc, "hank", NULL), "JOINED");
    assert_string_equal(join(lc, "alice", NULL), "WAITING_ROOM_PENDING");
    assert_int_equal(call_admit(lc, ACT("hank"), "alice", 100, &reply, &err), E_OK);
    json_object_put(reply);
    assert_string_equal(join(lc, "bob", NULL), "WAITING_ROOM_PENDING");
    assert_string_equal(join(lc, "carl", NULL), "WAITING_ROOM_PENDING");
    assert_int_equal(call_media(lc, "alice", -1, 0, &err), E_OK);
    assert_int_equal(call_set_role(lc, ACT("hank"), "alice", ROLE_CO_HOST, &err), E_OK);
    ex = call_export(lc, ref_session, NULL);

    /* A fresh live state of the room takes it all, silently. */
    next = make_call("{\"waitingRoom\":true}", "business");
    gone_session = S("carl"); /* carl's process is gone for good */
    reset();
    assert_int_equal(call_import(next, ex, of_session, NULL), E_OK);
    assert_int_equal(nevents, 0);
    assert_int_equal(nnotes, 0);
    assert_string_equal(call_id_of(next), call_id_of(lc));
    assert_int_equal(call_started_at(next), call_started_at(lc));
    assert_int_equal(call_participant_count(next), 2);
    assert_int_equal(call_rank(next, "hank"), ROLE_HOST);
    assert_int_equal(call_rank(next, "alice"), ROLE_CO_HOST);
    assert_false(call_member_find(next, "alice")->video);
    assert_true(call_member_find(next, "alice")->audio);
    assert_int_equal(call_waiting_count(next), 1); /* bob; carl is left out */
    assert_true(call_has_session(next, S("bob")));
    assert_false(call_has_session(next, S("carl")));

    /* And goes on: signals reach the same sessions, the host admits bob. */
    assert_int_equal(call_signal(next, "alice", "hank", "GROUP_CALL_SDP_OFFER", payload, &err), E_OK);
    assert_int_equal(count(S("hank"), "GROUP_CALL_SDP_OFFER"), 1);
    assert_int_equal(call_admit(next, ACT("hank"), "bob", 200, &reply, &err), E_OK);
    json_object_put(reply);
    assert_int_equal(call_participant_count(next), 3);

    /* The export of the new state says the same as the old one's did, plus bob. */
    ex2 = call_export(next, ref_session, NULL);
    assert_int_equal(json_object_array_length(json_object_object_get(ex2, "members")), 3);

    /* Not into a live call; and with nobody left, nothing is live. */
    assert_int_equal(call_import(next, ex, of_session, NULL), E_BAD_REQUEST);
    call_free(next);
    next = make_call("{\"waitingRoom\":true}", "business");
    gone_session = 0;
    {
        struct json_object *none = js("{\"callId\":\"call_x\",\"members\":[{\"u\":\"a\",\"n\":\"\",\"s\":{\"s\":0}}]}");
        assert_int_equal(call_import(next, none, of_session, NULL), E_NO_LIVE_CALL);
        assert_false(call_is_live(next));
        json_object_put(none);
    }
    {
        struct json_object *bad = js("{\"members\":[]}");
        assert_int_equal(call_import(next, bad, of_session, NULL), E_BAD_REQUEST);
        json_object_put(bad);
    }
    json_object_put(ex);
    json_object_put(ex2);
    json_object_put(payload);
    call_free(next);
    call_free(lc);
}

/* The app's admin credential, as the glue passes it (auth_actor): a host's rank floor. */
#define ADMIN(u, session) (&(call_actor){(u), (u), (session), ROLE_HOST, false, false})

/*
 * An actor with a rank floor (the admin grant) moderates without being a
 * host or in the call; the floor never counts for joining.
 */
static void
admin_actor_moderates_without_being_a_host(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true}", "pro");
    struct json_object *reply = NULL, *o;
    dpa_error err = {0};
    (void)state;

    join(lc, "hank", NULL);
    join(lc, "alice", NULL); /* waits */
    join(lc, "bob", NULL);   /* waits */
    join(lc, "carol", NULL); /* waits */
    /* The same user without the floor is nobody. */
    assert_int_equal(call_admit(lc, ACT("ops"), "alice", 10, &reply, &err), E_FORBIDDEN);
    assert_int_equal(call_actor_rank(lc, ACT("ops")), ROLE_PARTICIPANT);
    assert_int_equal(call_actor_rank(lc, ADMIN("ops", 0)), ROLE_HOST);

    /* It sees the waiting list, as hosts do. */
    o = call_state_json(lc, ADMIN("ops", 0));
    assert_non_null(json_object_object_get(o, "waiting"));
    json_object_put(o);
    o = call_state_json(lc, ACT("ops"));
    assert_null(json_object_object_get(o, "waiting"));
    json_object_put(o);

    reset();
    assert_int_equal(call_admit(lc, ADMIN("ops", 0), "alice", 10, &reply, &err), E_OK);
    json_object_put(reply);
    assert_int_equal(count(S("alice"), "GROUP_CALL_ADMITTED"), 1);
    assert_int_equal(call_deny(lc, ADMIN("ops", 0), "bob", &err), E_OK);
    assert_int_equal(count(S("bob"), "GROUP_CALL_DENIED"), 1);
    assert_int_equal(call_admit(lc, ADMIN("ops", 0), NULL, 11, &reply, &err), E_OK);
    json_object_put(reply);
    assert_int_equal(call_participant_count(lc), 3);

    /* It outranks co-hosts and acts on hosts, as a host does; events name it. */
    assert_int_equal(call_set_role(lc, ADMIN("ops", 0), "alice", ROLE_CO_HOST, &err), E_OK);
    assert_int_equal(call_mute(lc, ADMIN("ops", 0), "hank", "audio", &err), E_OK);
    assert_non_null(strstr(find(S("hank"), "GROUP_CALL_MUTE_REQUESTED")->json, "\"by\":\"ops\""));
    assert_int_equal(call_remove(lc, ADMIN("ops", 0), "carol", true, 12, &err), E_OK);
    assert_string_equal(join(lc, "carol", NULL), "FORBIDDEN"); /* banned */
    assert_int_equal(call_remove(lc, ADMIN("ops", 0), "hank", false, 12, &err), E_OK);
    assert_int_equal(call_participant_count(lc), 1);

    /* Joining is the room's decision for the user: the admin waits like anyone. */
    {
        call_actor a = {"ops", "ops", S("o"), ROLE_HOST, false, false};
        dpa_err e = call_join(lc, &a, 13, &reply, &err);
        assert_int_equal(e, E_OK);
        assert_string_equal(json_get_str(reply, "status"), "WAITING_ROOM_PENDING");
        json_object_put(reply);
    }
    assert_int_equal(call_end(lc, ADMIN("ops", 0), NULL, 14, &err), E_OK);
    assert_false(call_is_live(lc));
    call_free(lc);
}

/* A watcher keeps its token's rank floor: it gets the events hosts get. */
static void
admin_watcher_gets_the_events(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true}", "pro"), *next;
    struct json_object *ex;
    dpa_error err = {0};
    (void)state;

    assert_int_equal(call_watch(lc, ACT("ops"), &err), E_FORBIDDEN);
    assert_int_equal(call_watch(lc, ADMIN("ops", 700), &err), E_OK);
    join(lc, "hank", NULL);
    join(lc, "amy", NULL); /* knocks */
    assert_int_equal(count(700, "GROUP_CALL_WAITING"), 1);
    assert_int_equal(count(700, "GROUP_CALL_PARTICIPANT_JOINED"), 1);

    /* Taken over by another process: the floor goes with the watcher. */
    ex = call_export(lc, ref_session, NULL);
    next = make_call("{\"waitingRoom\":true}", "pro");
    gone_session = 0;
    assert_int_equal(call_import(next, ex, of_session, NULL), E_OK);
    reset();
    join(next, "bea", NULL); /* knocks */
    assert_int_equal(count(700, "GROUP_CALL_WAITING"), 1);
    assert_int_equal(call_end(next, ACT("hank"), NULL, 20, &err), E_OK);
    assert_int_equal(count(700, "GROUP_CALL_ENDED"), 1);
    json_object_put(ex);
    call_free(next);
    call_free(lc);
}

/* A token that may not publish audio or video joins (or is admitted) with it off. */
static void
members_start_without_media_they_may_not_publish(void **state)
{
    live_call *lc = make_call("{\"waitingRoom\":true}", "pro"), *next;
    call_actor listener = {"lou", "lou", S("lou"), ROLE_PARTICIPANT, true, true};
    call_actor voice = {"val", "val", S("val"), ROLE_PARTICIPANT, false, true};
    struct json_object *reply = NULL, *ex;
    dpa_error err = {0};
    (void)state;

    join(lc, "hank", NULL);
    assert_true(call_member_find(lc, "hank")->audio);
    assert_true(call_member_find(lc, "hank")->video);
    assert_int_equal(call_join(lc, &listener, 5, &reply, &err), E_OK); /* waits */
    json_object_put(reply);
    assert_int_equal(call_join(lc, &voice, 5, &reply, &err), E_OK); /* waits */
    json_object_put(reply);

    /* Waiting across a takeover keeps what the tokens said. */
    ex = call_export(lc, ref_session, NULL);
    next = make_call("{\"waitingRoom\":true}", "pro");
    gone_session = 0;
    assert_int_equal(call_import(next, ex, of_session, NULL), E_OK);
    assert_int_equal(call_admit(next, ACT("hank"), NULL, 6, &reply, &err), E_OK);
    json_object_put(reply);
    assert_false(call_member_find(next, "lou")->audio);
    assert_false(call_member_find(next, "lou")->video);
    assert_true(call_member_find(next, "val")->audio);
    assert_false(call_member_find(next, "val")->video);
    json_object_put(ex);
    call_free(next);

    /* Open room: straight in, and a rejoin with such a token turns it off. */
    call_free(lc);
    lc = make_call("{}", "pro");
    join(lc, "lou", NULL);
    assert_true(call_member_find(lc, "lou")->audio);
    listener.session = 4242;
    assert_int_equal(call_join(lc, &listener, 7, &reply, &err), E_OK);
    assert_string_equal(json_get_str(reply, "status"), "JOINED");
    json_object_put(reply);
    assert_false(call_member_find(lc, "lou")->audio);
    assert_false(call_member_find(lc, "lou")->video);
    call_free(lc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_room_relays_signals),
        cmocka_unit_test(require_host_then_host_present),
        cmocka_unit_test(waiting_room_admit_deny),
        cmocka_unit_test(facts_tell_membership_before_events),
        cmocka_unit_test(admit_all_up_to_the_cap),
        cmocka_unit_test(cap_exact_and_limit_source),
        cmocka_unit_test(autoclose_denies_waiters),
        cmocka_unit_test(moderation_ranks),
        cmocka_unit_test(room_changes_apply_live),
        cmocka_unit_test(watchers_lose_events_with_their_rank),
        cmocka_unit_test(screen_share_one_at_a_time),
        cmocka_unit_test(state_json_shows_waiting_to_hosts_only),
        cmocka_unit_test(export_import_continues_the_call),
        cmocka_unit_test(admin_actor_moderates_without_being_a_host),
        cmocka_unit_test(admin_watcher_gets_the_events),
        cmocka_unit_test(members_start_without_media_they_may_not_publish),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
