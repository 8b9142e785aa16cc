/* Token verification: every acceptance and rejection case of DESIGN §2. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jwt.h>

#include "auth/jwt.h"
#include "auth/tokencache.h"
#include "core/util.h"

#define NOW 1800000000LL
#define SECRET1 "secret-one-0123456789abcdef"
#define SECRET2 "secret-two-0123456789abcdef"

static app_registry *reg;
static plan_set plans;

/* Signs claims (JSON) with alg and secret; header gets kid when given. */
static char *
sign(jwt_alg_t alg, const char *secret, const char *kid, const char *claims)
{
    jwt_t *j;
    char *out;

    assert_int_equal(jwt_new(&j), 0);
    assert_int_equal(jwt_add_grants_json(j, claims), 0);
    if (kid)
        assert_int_equal(jwt_add_header(j, "kid", kid), 0);
    assert_int_equal(jwt_set_alg(j, alg, (const unsigned char *)secret,
                                 secret ? (int)strlen(secret) : 0), 0);
    out = jwt_encode_str(j);
    jwt_free(j);
    assert_non_null(out);
    return out;
}

/* Builds header.payload.signature by hand (for alg none and odd headers). */
static char *
raw_token(const char *header, const char *payload, const char *sig)
{
    char *out = malloc(4096);
    size_t n = b64url_encode((const unsigned char *)header, strlen(header), out, 4096);
    out[n++] = '.';
    n += b64url_encode((const unsigned char *)payload, strlen(payload), out + n, 4096 - n);
    snprintf(out + n, 4096 - n, ".%s", sig);
    return out;
}

static dpa_err
verify(const char *token, identity *id, const char **why, bool *unknown)
{
    return auth_verify(reg, token, NOW, id, why, unknown);
}

static void
accepts_kid_and_iss(void **state)
{
    identity id;
    const char *why = NULL;
    bool unknown;
    char *t;
    (void)state;

    t = auth_mint("app1", "k1", SECRET1, "alice", "Alice A", NULL, NOW, 60);
    assert_int_equal(verify(t, &id, &why, &unknown), E_OK);
    assert_string_equal(id.app_id, "app1");
    assert_string_equal(id.user_id, "alice");
    assert_string_equal(id.name, "Alice A");
    assert_string_equal(id.plan->name, "pro");
    assert_int_equal(id.exp, NOW + 60);
    /* No grants claim: the rights every token had before grants. */
    assert_false(id.grants.admin);
    assert_true(id.grants.create_rooms);
    assert_int_equal(id.grants.nrooms, 0);
    assert_int_equal(id.grants.publish, PUBLISH_ALL);
    free(t);

    /* iss only: every key of the app is tried (k2 is the app's second key). */
    t = sign(JWT_ALG_HS256, SECRET2, NULL,
             "{\"iss\":\"app1\",\"sub\":\"bob\",\"exp\":1800000100}");
    assert_int_equal(verify(t, &id, &why, &unknown), E_OK);
    assert_string_equal(id.user_id, "bob");
    assert_string_equal(id.name, "");
    free(t);

    /* Within the 60 s skew allowance. */
    t = sign(JWT_ALG_HS256, SECRET1, "k1", "{\"sub\":\"c\",\"exp\":1799999950,\"nbf\":1800000050}");
    assert_int_equal(verify(t, &id, &why, &unknown), E_OK);
    free(t);
}

static void
rejects(void **state)
{
    static const struct {
        const char *what, *secret, *kid, *claims;
        jwt_alg_t alg;
        bool unknown;
    } cases[] = {
        {"bad signature", SECRET2, "k1", "{\"sub\":\"a\",\"exp\":1800000100}", JWT_ALG_HS256, 0},
        {"expired", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1799999940}", JWT_ALG_HS256, 0},
        {"not yet valid", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100,\"nbf\":1800000061}",
         JWT_ALG_HS256, 0},
        {"issued in the future", SECRET1, "k1",
         "{\"sub\":\"a\",\"exp\":1800000100,\"iat\":1800000100}", JWT_ALG_HS256, 0},
        {"no sub", SECRET1, "k1", "{\"exp\":1800000100}", JWT_ALG_HS256, 0},
        {"empty sub", SECRET1, "k1", "{\"sub\":\"\",\"exp\":1800000100}", JWT_ALG_HS256, 0},
        {"sub not a string", SECRET1, "k1", "{\"sub\":7,\"exp\":1800000100}", JWT_ALG_HS256, 0},
        {"no exp", SECRET1, "k1", "{\"sub\":\"a\"}", JWT_ALG_HS256, 0},
        {"exp not an integer", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":\"soon\"}", JWT_ALG_HS256, 0},
        {"HS384 with an HS256 key", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100}",
         JWT_ALG_HS384, 0},
        {"HS512 with an HS256 key", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100}",
         JWT_ALG_HS512, 0},
        {"unknown kid", SECRET1, "nope", "{\"sub\":\"a\",\"exp\":1800000100}", JWT_ALG_HS256, 1},
        {"unknown app", SECRET1, NULL, "{\"iss\":\"app9\",\"sub\":\"a\",\"exp\":1800000100}",
         JWT_ALG_HS256, 1},
        {"kid of another app", SECRET1, "k1",
         "{\"iss\":\"app2\",\"sub\":\"a\",\"exp\":1800000100}", JWT_ALG_HS256, 0},
        {"no app named", SECRET1, NULL, "{\"sub\":\"a\",\"exp\":1800000100}", JWT_ALG_HS256, 0},
        /* jwt_get_grant_int() reads these as 0; they must not pass as "absent". */
        {"exp a float", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100.5}", JWT_ALG_HS256, 0},
        {"nbf a string", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100,\"nbf\":\"later\"}",
         JWT_ALG_HS256, 0},
        {"nbf a float", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100,\"nbf\":1.5}",
         JWT_ALG_HS256, 0},
        {"nbf true", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100,\"nbf\":true}",
         JWT_ALG_HS256, 0},
        {"iat a string", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100,\"iat\":\"0\"}",
         JWT_ALG_HS256, 0},
        {"iat an object", SECRET1, "k1", "{\"sub\":\"a\",\"exp\":1800000100,\"iat\":{}}",
         JWT_ALG_HS256, 0},
        {"name with a control character", SECRET1, "k1",
         "{\"sub\":\"a\",\"exp\":1800000100,\"name\":\"x\\u001b[2J\"}", JWT_ALG_HS256, 0},
        {"name with a newline", SECRET1, "k1",
         "{\"sub\":\"a\",\"exp\":1800000100,\"name\":\"a\\nb\"}", JWT_ALG_HS256, 0},
    };
    identity id;
    const char *why;
    bool unknown;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *t = sign(cases[i].alg, cases[i].secret, cases[i].kid, cases[i].claims);
        why = NULL;
        print_message("case: %s\n", cases[i].what);
        assert_int_equal(verify(t, &id, &why, &unknown), E_UNAUTHORIZED);
        assert_non_null(why);
        assert_int_equal(unknown, cases[i].unknown);
        free(t);
    }
}

static void
rejects_alg_none_and_garbage(void **state)
{
    identity id;
    const char *why;
    bool unknown;
    char *t;
    (void)state;

    t = raw_token("{\"alg\":\"none\",\"kid\":\"k1\"}",
                  "{\"iss\":\"app1\",\"sub\":\"a\",\"exp\":1800000100}", "");
    assert_int_equal(verify(t, &id, &why, &unknown), E_UNAUTHORIZED);
    assert_string_equal(why, "alg none is not accepted");
    free(t);
    t = raw_token("{\"alg\":\"RS256\",\"kid\":\"k1\"}",
                  "{\"iss\":\"app1\",\"sub\":\"a\",\"exp\":1800000100}", "AAAA");
    assert_int_equal(verify(t, &id, &why, &unknown), E_UNAUTHORIZED);
    free(t);
    assert_int_equal(verify("", &id, &why, &unknown), E_UNAUTHORIZED);
    assert_int_equal(verify("a.b.c", &id, &why, &unknown), E_UNAUTHORIZED);
    assert_int_equal(verify("not a token", &id, &why, &unknown), E_UNAUTHORIZED);
}

static void
short_secret_never_verifies(void **state)
{
    identity id;
    const char *why;
    bool unknown;
    char *t;
    (void)state;

    t = sign(JWT_ALG_HS256, "short", "kshort", "{\"sub\":\"a\",\"exp\":1800000100}");
    assert_int_equal(verify(t, &id, &why, &unknown), E_UNAUTHORIZED);
    free(t);
}

static void
far_exp_does_not_overflow(void **state)
{
    identity id;
    const char *why = NULL;
    bool unknown;
    tokcache *tc;
    char *t;
    (void)state;

    /* exp + skew used to overflow int64 (UBSan aborts this test on that). */
    t = sign(JWT_ALG_HS256, SECRET1, "k1",
             "{\"sub\":\"a\",\"exp\":9223372036854775807,\"name\":\"Zo\u00eb\"}");
    assert_int_equal(verify(t, &id, &why, &unknown), E_OK);
    assert_true(id.exp == INT64_MAX);
    assert_string_equal(id.name, "Zo\xc3\xab");
    tc = tokcache_new(4);
    tokcache_put(tc, t, &id);
    memset(&id, 0, sizeof(id));
    assert_true(tokcache_get(tc, t, NOW, &id));
    assert_true(id.exp == INT64_MAX);
    tokcache_free(tc);
    free(t);

    t = sign(JWT_ALG_HS256, SECRET1, "k1",
             "{\"sub\":\"a\",\"exp\":1800000100,\"nbf\":-9223372036854775807,"
             "\"iat\":-9223372036854775807}");
    assert_int_equal(verify(t, &id, &why, &unknown), E_OK);
    free(t);
    t = sign(JWT_ALG_HS256, SECRET1, "k1", "{\"sub\":\"a\",\"exp\":-9223372036854775807}");
    assert_int_equal(verify(t, &id, &why, &unknown), E_UNAUTHORIZED);
    free(t);
}

/* Room ids as the server makes them: "rm_" + 22 base64url characters (16 bytes). */
#define RA "rm_AAAAAAAAAAAAAAAAAAAAAA"
#define RB "rm_AQEBAQEBAQEBAQEBAQEBBw"
#define RC "rm_AgICAgICAgICAgICAgICDg"
#define R8 "\"rm_AAAAAAAAAAAAAAAAAAAAAA\",\"rm_AQEBAQEBAQEBAQEBAQEBBw\",\"rm_AgICAgICAgICAgICAgICDg\"," \
           "\"rm_AwMDAwMDAwMDAwMDAwMDFQ\",\"rm_BAQEBAQEBAQEBAQEBAQEHA\",\"rm_BQUFBQUFBQUFBQUFBQUFIw\"," \
           "\"rm_BgYGBgYGBgYGBgYGBgYGKg\",\"rm_BwcHBwcHBwcHBwcHBwcHMQ\""

/* Verifies a token of app1 (key k1) whose payload ends with the given claims. */
static dpa_err
verify_claims(const char *extra, identity *id, const char **why)
{
    char claims[2048];
    bool unknown;
    dpa_err e;
    char *t;

    snprintf(claims, sizeof(claims), "{\"sub\":\"u\",\"exp\":1800000100%s%s}", *extra ? "," : "",
             extra);
    t = sign(JWT_ALG_HS256, SECRET1, "k1", claims);
    *why = NULL;
    e = verify(t, id, why, &unknown);
    free(t);
    return e;
}

static void
grants_are_read(void **state)
{
    identity id;
    const char *why;
    (void)state;

    assert_int_equal(verify_claims("\"grants\":{}", &id, &why), E_OK);
    assert_false(id.grants.admin);
    assert_true(id.grants.create_rooms);
    assert_int_equal(id.grants.nrooms, 0);
    assert_int_equal(id.grants.publish, PUBLISH_ALL);

    assert_int_equal(verify_claims("\"grants\":{\"admin\":true,\"createRooms\":false}", &id, &why),
                     E_OK);
    assert_true(id.grants.admin);
    assert_false(id.grants.create_rooms);
    assert_true(auth_is_admin(&id));

    /* A room scope: a repeated id counts once, and it never creates rooms. */
    assert_int_equal(
        verify_claims("\"grants\":{\"rooms\":[\"" RA "\",\"" RB "\",\"" RA "\"]}", &id, &why), E_OK);
    assert_int_equal(id.grants.nrooms, 2);
    assert_false(id.grants.create_rooms);
    assert_true(auth_room_allowed(&id, RA));
    assert_true(auth_room_allowed(&id, RB));
    assert_false(auth_room_allowed(&id, RC));
    assert_false(auth_room_allowed(&id, "rm_AAAAAAAAAAAAAAAAAAAAAB")); /* not canonical */
    assert_false(auth_room_allowed(&id, "rm_AAAAAAAAAAAAAAAAAAAAA"));
    assert_false(auth_room_allowed(&id, "rm_a"));
    assert_false(auth_room_allowed(&id, NULL));
    {
        char shown[ROOM_ID_MAX];
        grants_room_id(&id.grants, 1, shown);
        assert_string_equal(shown, RB);
    }
    assert_int_equal(
        verify_claims("\"grants\":{\"rooms\":[\"" RA "\"],\"createRooms\":false}", &id, &why), E_OK);

    assert_int_equal(verify_claims("\"grants\":{\"publish\":[\"audio\",\"screen\",\"audio\"]}",
                                   &id, &why),
                     E_OK);
    assert_int_equal(id.grants.publish, PUBLISH_AUDIO | PUBLISH_SCREEN);
    assert_int_equal(verify_claims("\"grants\":{\"publish\":[]}", &id, &why), E_OK);
    assert_int_equal(id.grants.publish, 0);
}

static void
malformed_grants_refuse_the_token(void **state)
{
    static const struct {
        const char *claim, *named;
    } cases[] = {
        {"\"grants\":true", "grants must be an object"},
        {"\"grants\":null", "grants must be an object"},
        {"\"grants\":[\"admin\"]", "grants must be an object"},
        {"\"grants\":{\"Admin\":true}", "grants holds an unknown member"},
        {"\"grants\":{\"canPublish\":false}", "grants holds an unknown member"},
        {"\"grants\":{\"admin\":1}", "grants.admin"},
        {"\"grants\":{\"admin\":\"true\"}", "grants.admin"},
        {"\"grants\":{\"createRooms\":null}", "grants.createRooms"},
        {"\"grants\":{\"rooms\":\"rm_a\"}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[]}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[\"room_a\"]}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[\"rm_\"]}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[\"rm_a\"]}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[\"rm_AAAAAAAAAAAAAAAAAAAA/A\"]}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[\"rm_AAAAAAAAAAAAAAAAAAAAAB\"]}", "grants.rooms"}, /* not canonical */
        {"\"grants\":{\"rooms\":[\"rm_AAAAAAAAAAAAAAAAAAAAAAA\"]}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[\"RM_AAAAAAAAAAAAAAAAAAAAAA\"]}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[7]}", "grants.rooms"},
        {"\"grants\":{\"rooms\":[" R8 ",\"rm_CAgICAgICAgICAgICAgIOA\"]}", "at most 8"},
        {"\"grants\":{\"rooms\":[\"" RA "\"],\"createRooms\":true}", "grants.createRooms"},
        {"\"grants\":{\"publish\":\"audio\"}", "grants.publish"},
        {"\"grants\":{\"publish\":[\"audio\",\"data\"]}", "grants.publish"},
        {"\"grants\":{\"publish\":[\"Audio\"]}", "grants.publish"},
        {"\"grants\":{\"publish\":[null]}", "grants.publish"},
    };
    identity id;
    const char *why;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("case: %s\n", cases[i].claim);
        assert_int_equal(verify_claims(cases[i].claim, &id, &why), E_UNAUTHORIZED);
        assert_non_null(why);
        assert_non_null(strstr(why, cases[i].named));
    }
    /* 8 rooms are fine. */
    assert_int_equal(verify_claims("\"grants\":{\"rooms\":[" R8 "]}", &id, &why), E_OK);
    assert_int_equal(id.grants.nrooms, 8);
}

/* What auth_mint signs is what auth_verify reads back. */
static void
minted_grants_round_trip(void **state)
{
    identity id;
    const char *why = NULL;
    bool unknown;
    grants g;
    char *t;
    (void)state;

    grants_default(&g);
    g.admin = true;
    g.publish = PUBLISH_AUDIO;
    g.nrooms = 1;
    g.create_rooms = false;
    assert_true(grants_room_bytes(RC, g.rooms[0]));
    t = auth_mint("app1", "k1", SECRET1, "backend", NULL, &g, NOW, 60);
    assert_int_equal(verify(t, &id, &why, &unknown), E_OK);
    assert_true(id.grants.admin);
    assert_int_equal(id.grants.publish, PUBLISH_AUDIO);
    assert_int_equal(id.grants.nrooms, 1);
    assert_memory_equal(id.grants.rooms[0], g.rooms[0], ROOM_ID_BYTES);
    assert_false(id.grants.create_rooms);
    free(t);
    t = grants_claim_text(&g);
    assert_string_equal(t, "{\"admin\":true,\"rooms\":[\"" RC "\"],\"publish\":[\"audio\"]}");
    free(t);

    /* The default rights sign no claim at all. */
    grants_default(&g);
    assert_null(grants_claim_text(&g));
    g.create_rooms = false;
    t = grants_claim_text(&g);
    assert_string_equal(t, "{\"createRooms\":false}");
    free(t);
}

static void
auth_may_moderate_hosts_and_admins(void **state)
{
    struct json_object *body = json_object_new_object();
    identity id;
    const char *why;
    dpa_error err;
    room *r;
    (void)state;

    json_object_object_add(body, "hosts", json_tokener_parse("[\"bob\"]"));
    assert_int_equal(room_create(body, "app1", "alice", plans_find(&plans, "pro"), NOW * 1000, &r,
                                 &err),
                     E_OK);
    json_object_put(body);

    assert_int_equal(verify_claims("", &id, &why), E_OK); /* sub "u" of app1: no host */
    assert_false(auth_may_moderate(&id, r));
    snprintf(id.user_id, sizeof(id.user_id), "bob");
    assert_true(auth_may_moderate(&id, r));
    snprintf(id.user_id, sizeof(id.user_id), "alice");
    assert_true(auth_may_moderate(&id, r));

    assert_int_equal(verify_claims("\"grants\":{\"admin\":true}", &id, &why), E_OK);
    assert_true(auth_may_moderate(&id, r));
    /* Another app's admin: nothing. */
    snprintf(id.app_id, sizeof(id.app_id), "app2");
    assert_false(auth_may_moderate(&id, r));
    /* An admin scoped to other rooms: not this one. */
    assert_int_equal(verify_claims("\"grants\":{\"admin\":true,\"rooms\":[\"" RA "\"]}", &id, &why),
                     E_OK);
    assert_false(auth_may_moderate(&id, r));
    assert_true(grants_room_bytes(r->id, id.grants.rooms[0])); /* a room the server made */
    assert_true(auth_may_moderate(&id, r));
    /* A host scoped to other rooms: not this one either. */
    assert_true(grants_room_bytes(RA, id.grants.rooms[0]));
    id.grants.admin = false;
    snprintf(id.user_id, sizeof(id.user_id), "bob");
    assert_false(auth_may_moderate(&id, r));
    room_free(r);
}

static void
sdp_directions(void **state)
{
    static const struct {
        const char *sdp;
        unsigned sends;
    } cases[] = {
        {"", 0},
        {"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 0},
        /* No direction: sendrecv. */
        {"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", PUBLISH_AUDIO},
        {"v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"
         "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n",
         PUBLISH_VIDEO},
        {"v=0\r\nm=audio 9 RTP 111\r\na=inactive\r\nm=video 9 RTP 96\r\na=recvonly\r\n", 0},
        {"v=0\r\nm=audio 9 RTP 111\r\na=sendrecv\r\nm=video 9 RTP 96\r\na=sendrecv\r\n",
         PUBLISH_AUDIO | PUBLISH_VIDEO},
        /* The session's direction holds for sections without their own. */
        {"v=0\r\na=recvonly\r\nm=audio 9 RTP 111\r\nm=video 9 RTP 96\r\na=sendrecv\r\n",
         PUBLISH_VIDEO},
        /* Port 0 rejects a section, unless it is bundle-only. */
        {"v=0\r\nm=video 0 RTP 96\r\na=sendrecv\r\n", 0},
        {"v=0\r\nm=video 0/2 RTP 96\r\n", 0},
        {"v=0\r\nm=video 0 RTP 96\r\na=bundle-only\r\na=sendonly\r\n", PUBLISH_VIDEO},
        {"v=0\r\nm=video 09 RTP 96\r\n", PUBLISH_VIDEO},
        /* Bare LF, other media and attributes that only start like directions. */
        {"v=0\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\na=sendrecv\n", 0},
        {"v=0\nm=audio 9 RTP 111\na=recvonlyx\n", PUBLISH_AUDIO},
        {"v=0\nm=audiox 9 RTP 111\n", 0},
        {"v=0\r\nM=VIDEO 9 RTP 96\r\n", PUBLISH_VIDEO},
        /* The last section's direction is its own, not the next line's. */
        {"m=audio 9 RTP 0\r\na=recvonly\r\nm=audio 9 RTP 0\r\n", PUBLISH_AUDIO},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("case %zu\n", i);
        assert_int_equal(sdp_sends(cases[i].sdp, strlen(cases[i].sdp)), cases[i].sends);
    }
}

static void
signal_checks(void **state)
{
    const char *offer_av = "v=0\r\nm=audio 9 RTP 111\r\nm=video 9 RTP 96\r\n";
    const char *offer_a = "v=0\r\nm=audio 9 RTP 111\r\nm=video 9 RTP 96\r\na=recvonly\r\n";
    const char *offer_v = "v=0\r\nm=audio 9 RTP 111\r\na=recvonly\r\nm=video 9 RTP 96\r\n";
    struct json_object *s_av = json_object_new_string(offer_av), *s_a = json_object_new_string(offer_a);
    struct json_object *s_v = json_object_new_string(offer_v);
    struct json_object *o_av = json_object_new_object(), *weird = json_tokener_parse("{\"x\":1}");
    grants g;
    (void)state;

    json_object_object_add(o_av, "type", json_object_new_string("offer"));
    json_object_object_add(o_av, "sdp", json_object_new_string(offer_av));

    grants_default(&g); /* everything: nothing is read */
    assert_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", s_av));
    assert_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", weird));

    g.publish = PUBLISH_AUDIO;
    assert_non_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", s_av));
    assert_non_null(grants_signal_problem(&g, "GROUP_CALL_SDP_ANSWER", o_av));
    assert_null(grants_signal_problem(&g, "GROUP_CALL_SDP_ANSWER", s_a));
    assert_null(grants_signal_problem(&g, "GROUP_CALL_ICE_CANDIDATE", weird));
    /* The SDP must be readable when something is held back. */
    assert_non_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", weird));

    g.publish = PUBLISH_SCREEN; /* a screen is a video section too: SDP cannot tell */
    assert_non_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", s_av));
    assert_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", s_v));
    g.publish = PUBLISH_AUDIO;
    assert_non_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", s_v));
    g.publish = PUBLISH_AUDIO | PUBLISH_SCREEN;
    assert_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", o_av));
    g.publish = 0;
    assert_non_null(grants_signal_problem(&g, "GROUP_CALL_SDP_OFFER", s_a));

    json_object_put(s_av);
    json_object_put(s_a);
    json_object_put(s_v);
    json_object_put(o_av);
    json_object_put(weird);
}

static int
setup(void **state)
{
    (void)state;
    plans_builtin(&plans);
    reg = apps_new();
    apps_add(reg, "app1", "one", "pro", 1);
    apps_add(reg, "app2", "two", "business", 1);
    apps_add_key(reg, "k1", "app1", SECRET1, 1);
    apps_add_key(reg, "k2", "app1", SECRET2, 2);
    apps_add_key(reg, "k3", "app2", SECRET1, 1);
    apps_add_key(reg, "kshort", "app2", "short", 1);
    apps_index(reg, &plans);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    apps_free(reg);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_kid_and_iss),
        cmocka_unit_test(rejects),
        cmocka_unit_test(rejects_alg_none_and_garbage),
        cmocka_unit_test(short_secret_never_verifies),
        cmocka_unit_test(far_exp_does_not_overflow),
        cmocka_unit_test(grants_are_read),
        cmocka_unit_test(malformed_grants_refuse_the_token),
        cmocka_unit_test(minted_grants_round_trip),
        cmocka_unit_test(auth_may_moderate_hosts_and_admins),
        cmocka_unit_test(sdp_directions),
        cmocka_unit_test(signal_checks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
