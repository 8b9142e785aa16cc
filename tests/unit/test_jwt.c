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

    t = auth_mint("app1", "k1", SECRET1, "alice", "Alice A", NOW, 60);
    assert_int_equal(verify(t, &id, &why, &unknown), E_OK);
    assert_string_equal(id.app_id, "app1");
    assert_string_equal(id.user_id, "alice");
    assert_string_equal(id.name, "Alice A");
    assert_string_equal(id.plan->name, "pro");
    assert_int_equal(id.exp, NOW + 60);
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
