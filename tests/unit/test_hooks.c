/*
 * The webhook sender's pure parts: the signature (against a vector from
 * `openssl dgst -sha256 -hmac`, and against the verifier docs/api.md
 * gives receivers) and the retry backoff.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hooks/hooks.h"

/* The verifier as docs/api.md gives it, compiled as it is. */
int droponair_webhook_verify(const char *secret, const char *timestamp, const char *signature,
                             const char *body, size_t len, time_t now);
#include "../../docs/examples/webhook_verify.c"

static const char body[] = "{\"id\":\"evt_test\",\"type\":\"room.created\"}";

static void
signature_matches_openssl(void **state)
{
    char sig[65];
    (void)state;

    /* printf '%s' '1764068400.<body>' | openssl dgst -sha256 -hmac whsec_test */
    hooks_sign("whsec_test", 1764068400, body, strlen(body), sig);
    assert_string_equal(sig, "221ffa3ddc2b3173c81b8d140f9a4a411ef93a2e6352298b7746435f5ff7dbf0");
}

static void
documented_verifier_accepts_only_the_real_thing(void **state)
{
    char sig[65], header[80];
    (void)state;

    hooks_sign("whsec_test", 1764068400, body, strlen(body), sig);
    snprintf(header, sizeof(header), "v1=%s", sig);
    assert_int_equal(droponair_webhook_verify("whsec_test", "1764068400", header, body,
                                              strlen(body), 1764068400 + 200), 1);
    /* Another secret, another body, another timestamp, a stale one, a mangled header. */
    assert_int_equal(droponair_webhook_verify("whsec_other", "1764068400", header, body,
                                              strlen(body), 1764068400), 0);
    assert_int_equal(droponair_webhook_verify("whsec_test", "1764068400", header, body,
                                              strlen(body) - 1, 1764068400), 0);
    assert_int_equal(droponair_webhook_verify("whsec_test", "1764068401", header, body,
                                              strlen(body), 1764068400), 0);
    assert_int_equal(droponair_webhook_verify("whsec_test", "1764068400", header, body,
                                              strlen(body), 1764068400 + 301), 0);
    assert_int_equal(droponair_webhook_verify("whsec_test", "1764068400", sig, body,
                                              strlen(body), 1764068400), 0);
    assert_int_equal(droponair_webhook_verify("whsec_test", "17x", header, body, strlen(body),
                                              1764068400), 0);
}

static void
backoff_doubles_with_jitter_up_to_a_cap(void **state)
{
    uint32_t r;
    (void)state;

    for (r = 0; r < 2000; r += 7) {
        int64_t d1 = hooks_backoff_ms(1, 1000, r * 2654435761u);
        int64_t d4 = hooks_backoff_ms(4, 1000, r * 2654435761u);
        int64_t big = hooks_backoff_ms(40, 1000, r * 2654435761u);
        assert_true(d1 >= 800 && d1 <= 1200);
        assert_true(d4 >= 6400 && d4 <= 9600);
        assert_true(big >= 2880000 && big <= 4320000); /* 3600 x base, +-20 % */
    }
    assert_true(hooks_backoff_ms(1, 10, 0) >= 8);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signature_matches_openssl),
        cmocka_unit_test(documented_verifier_accepts_only_the_real_thing),
        cmocka_unit_test(backoff_doubles_with_jitter_up_to_a_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
