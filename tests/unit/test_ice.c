/* ICE servers: URL checks, the TURN secret, and credentials as coturn computes them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "auth/ice.h"

/* RFC 2202 test case 2, and one computed by `openssl dgst -sha1 -hmac` as coturn does. */
static void
credential_known_vectors(void **state)
{
    char out[TURN_CREDENTIAL_LEN];
    (void)state;

    assert_int_equal(turn_credential("Jefe", 4, "what do ya want for nothing?", out), 0);
    assert_string_equal(out, "7/zfauXrL6LSdBbV8YTfnCWafHk=");
    /* printf '%s' 1700021600:app1:alice | openssl dgst -sha1 -hmac north -binary | base64 */
    assert_int_equal(turn_credential("north", 5, "1700021600:app1:alice", out), 0);
    assert_string_equal(out, "AD75kQmtv+aA/pC7fGnk9EfMHXA=");
}

static void
urls_checked(void **state)
{
    static const char *stun_ok[] = {"stun:stun.example.com", "stun:10.0.0.1:3478",
                                    "stuns:stun.example.com:5349", "stun:[2001:db8::1]:3478"};
    static const char *turn_ok[] = {"turn:turn.example.com", "turn:127.0.0.1:3479?transport=udp",
                                    "turns:turn.example.com:443?transport=tcp",
                                    "turn:[::1]:3478"};
    static const char *stun_bad[] = {"turn:x.example", "stun:", "stun://x.example",
                                     "stun:x.example:0", "stun:x.example:70000",
                                     "stun:x.example?transport=udp", "stun:x y", "http://x"};
    static const char *turn_bad[] = {"stun:x.example", "turn:", "turn:x.example?transport=sctp",
                                     "turn:x.example:3478/path", "turn:[::1", "turn:x.ex ample",
                                     "turns:x.example:99999"};
    const char *why = NULL;
    size_t i;
    char longurl[400];
    (void)state;

    for (i = 0; i < sizeof(stun_ok) / sizeof(*stun_ok); i++)
        assert_int_equal(ice_url_check(stun_ok[i], ICE_STUN, &why), 0);
    for (i = 0; i < sizeof(turn_ok) / sizeof(*turn_ok); i++)
        assert_int_equal(ice_url_check(turn_ok[i], ICE_TURN, &why), 0);
    for (i = 0; i < sizeof(stun_bad) / sizeof(*stun_bad); i++) {
        why = NULL;
        assert_int_equal(ice_url_check(stun_bad[i], ICE_STUN, &why), -1);
        assert_non_null(why);
    }
    for (i = 0; i < sizeof(turn_bad) / sizeof(*turn_bad); i++) {
        why = NULL;
        assert_int_equal(ice_url_check(turn_bad[i], ICE_TURN, &why), -1);
        assert_non_null(why);
    }
    memset(longurl, 'a', sizeof(longurl) - 1);
    longurl[sizeof(longurl) - 1] = '\0';
    memcpy(longurl, "turn:", 5);
    assert_int_equal(ice_url_check(longurl, ICE_TURN, &why), -1);
}

static void
at_most_eight_urls(void **state)
{
    ice_config c;
    const char *why = NULL;
    int i;
    (void)state;

    ice_config_defaults(&c);
    for (i = 0; i < ICE_URLS_MAX; i++)
        assert_int_equal(ice_add_url(&c, ICE_STUN, "stun:s.example", &why), 0);
    assert_int_equal(ice_add_url(&c, ICE_STUN, "stun:s.example", &why), -1);
    assert_int_equal(c.nstun, ICE_URLS_MAX);
}

static void
secret_rules(void **state)
{
    ice_config c;
    const char *why = NULL;
    char path[] = "/tmp/dpa-ice-XXXXXX", big[TURN_SECRET_MAX + 10];
    int fd;
    (void)state;

    ice_config_defaults(&c);
    assert_int_equal(c.ttl_s, TURN_TTL_DEFAULT);
    assert_int_equal(ice_set_secret(&c, "\n", 1, &why), -1);
    assert_int_equal(ice_set_secret(&c, "a\nb", 3, &why), -1);
    memset(big, 's', sizeof(big));
    assert_int_equal(ice_set_secret(&c, big, sizeof(big), &why), -1);
    assert_int_equal(ice_set_secret(&c, "s3cret\n", 7, &why), 0);
    assert_string_equal(c.secret, "s3cret");

    /* A file: its first line, trailing newline dropped; what follows is ignored. */
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "from-file\nsecond line\n", 22), 22);
    close(fd);
    assert_int_equal(ice_read_secret_file(&c, path, &why), 0);
    assert_string_equal(c.secret, "from-file");
    assert_int_equal(c.secret_len, 9);
    unlink(path);
    /* Blanks around it would differ from coturn's copy: refused, not kept. */
    memcpy(path, "/tmp/dpa-ice-XXXXXX", sizeof(path));
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "sekrit  \n", 9), 9);
    close(fd);
    assert_int_equal(ice_read_secret_file(&c, path, &why), -1);
    assert_string_equal(why, "starts or ends with a space or tab");
    unlink(path);
    /* A directory is not a secret file. */
    assert_int_equal(ice_read_secret_file(&c, "/tmp", &why), -1);
    assert_string_equal(why, "is not a regular file");
    why = NULL;
    assert_int_equal(ice_read_secret_file(&c, path, &why), -1);
    assert_string_equal(why, "file does not exist");

    /* TURN URLs and a secret go together. */
    ice_config_defaults(&c);
    assert_int_equal(ice_config_check(&c, &why), 0);
    assert_int_equal(ice_add_url(&c, ICE_TURN, "turn:t.example", &why), 0);
    assert_int_equal(ice_config_check(&c, &why), -1);
    assert_int_equal(ice_set_secret(&c, "x", 1, &why), 0);
    assert_int_equal(ice_config_check(&c, &why), 0);
    ice_config_defaults(&c);
    assert_int_equal(ice_set_secret(&c, "x", 1, &why), 0);
    assert_int_equal(ice_config_check(&c, &why), -1);
}

static void
servers_json_shape(void **state)
{
    ice_config c;
    const char *why = NULL;
    struct json_object *arr, *turn;
    int64_t expires = -1;
    char want[TURN_CREDENTIAL_LEN];
    (void)state;

    ice_config_defaults(&c);
    arr = ice_servers_json(&c, "app1", "alice", 1700000000123LL, &expires);
    assert_int_equal(json_object_array_length(arr), 0);
    assert_int_equal(expires, 0);
    json_object_put(arr);

    assert_int_equal(ice_add_url(&c, ICE_STUN, "stun:s.example:3478", &why), 0);
    assert_int_equal(ice_add_url(&c, ICE_TURN, "turn:t.example:3478?transport=udp", &why), 0);
    assert_int_equal(ice_add_url(&c, ICE_TURN, "turns:t.example:443?transport=tcp", &why), 0);
    assert_int_equal(ice_set_secret(&c, "north", 5, &why), 0);
    c.ttl_s = 21600;
    arr = ice_servers_json(&c, "app1", "alice", 1700000000123LL, &expires);
    assert_string_equal(json_object_to_json_string_ext(json_object_array_get_idx(arr, 0),
                                                       JSON_C_TO_STRING_PLAIN |
                                                           JSON_C_TO_STRING_NOSLASHESCAPE),
                        "{\"urls\":[\"stun:s.example:3478\"]}");
    turn = json_object_array_get_idx(arr, 1);
    assert_int_equal(json_object_array_length(json_object_object_get(turn, "urls")), 2);
    /* Expiry: whole seconds of now + ttl, in the username and as expiresAt (ms). */
    assert_string_equal(json_object_get_string(json_object_object_get(turn, "username")),
                        "1700021600:app1:alice");
    assert_int_equal(expires, 1700021600000LL);
    assert_int_equal(turn_credential("north", 5, "1700021600:app1:alice", want), 0);
    assert_string_equal(json_object_get_string(json_object_object_get(turn, "credential")), want);
    /* The secret itself is nowhere in what clients get. */
    assert_null(strstr(json_object_to_json_string(arr), "north"));
    json_object_put(arr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(credential_known_vectors),
        cmocka_unit_test(urls_checked),
        cmocka_unit_test(at_most_eight_urls),
        cmocka_unit_test(secret_rules),
        cmocka_unit_test(servers_json_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
