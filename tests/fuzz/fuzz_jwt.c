/*
 * Fuzz target: bearer token verification (auth_verify, libjwt underneath)
 * and the verified-token cache, against a registry with known HS256 keys.
 *
 * Input: a mode byte, then
 *   mode even: the token text itself;
 *   mode odd:  a key byte, then header JSON, a NUL byte, claims JSON. The
 *              target encodes both and signs them with the key the key byte
 *              chooses (0 k1 of fz, 1 k2 of fz2, 2 k3 of fzpro, 3 kshort, 4 a
 *              wrong secret, 5 no signature, 6 HS384 with k1's secret), so
 *              mutated claims get past the signature and reach the claim checks.
 *
 * Checked: an accepted token carries an HMAC-SHA256 of its signing input
 * under a key (16+ bytes) of the app it was accepted for; its header says
 * HS256 and a kid it has belongs to that app, an iss it has is that app;
 * its claims have an integer exp not past (with the 60 s skew), no integer
 * nbf/iat in the future, and a printable sub that is the user id; grants
 * within their bounds, and the defaults without a grants claim; the token
 * cache then returns the same identity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/jwt.h"
#include "auth/tokencache.h"
#include "core/json.h"
#include "core/util.h"
#include "fuzz.h"

#define NOW_S 1764000000
#define SECRET_FZ "fuzz-secret-fz-0123456789abcdef"
#define SECRET_FZ_B "fuzz-secret-fz-second-key-0123456"
#define SECRET_FZ2 "fuzz-secret-fz2-0123456789abcdef"
#define SECRET_PRO "fuzz-secret-pro-0123456789abcdef"

static app_registry *reg;
static plan_set plans;

static void
setup(void)
{
    plans_builtin(&plans);
    reg = apps_new();
    apps_add(reg, "fz", "fuzz", "business", 1);
    apps_add(reg, "fz2", "fuzz two", "starter", 1);
    apps_add(reg, "fzpro", "fuzz pro", "pro", 1);
    apps_add(reg, "fznokey", "no keys", "pro", 1);
    apps_add_key(reg, "k1", "fz", SECRET_FZ, 1);
    apps_add_key(reg, "k1b", "fz", SECRET_FZ_B, 2);
    apps_add_key(reg, "k2", "fz2", SECRET_FZ2, 1);
    apps_add_key(reg, "k3", "fzpro", SECRET_PRO, 1);
    apps_add_key(reg, "kshort", "fz", "short", 1);
    apps_index(reg, &plans);
}

/* base64url of data, appended to out at *o. */
static void
append_b64(char *out, size_t *o, size_t cap, const void *data, size_t len)
{
    *o += b64url_encode(data, len, out + *o, cap - *o);
}

/* Builds header.claims.signature; the caller frees. */
static char *
make_token(uint8_t key, const char *header, size_t hlen, const char *claims, size_t clen)
{
    static const char *const secrets[] = {SECRET_FZ, SECRET_FZ2, SECRET_PRO, "short",
                                          "not-the-right-secret-at-all"};
    size_t cap = (hlen + clen) * 4 / 3 + 128, o = 0;
    char *t = xmalloc(cap);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen = 0;

    append_b64(t, &o, cap, header, hlen);
    t[o++] = '.';
    append_b64(t, &o, cap, claims, clen);
    key %= 7;
    if (key < 5)
        HMAC(EVP_sha256(), secrets[key], (int)strlen(secrets[key]), (unsigned char *)t, o, mac,
             &mlen);
    else if (key == 6)
        HMAC(EVP_sha384(), SECRET_FZ, (int)strlen(SECRET_FZ), (unsigned char *)t, o, mac, &mlen);
    t[o++] = '.';
    append_b64(t, &o, cap, mac, mlen);
    t[o] = '\0';
    return t;
}

/* Lenient base64url decoding of a segment; returns a malloc'd buffer. */
static unsigned char *
segment(const char *s, size_t len, long *out_len)
{
    unsigned char *b = xmalloc(len + 1);
    *out_len = b64url_decode(s, len, b, len + 1);
    return b;
}

static struct json_object *
segment_json(const char *s, size_t len)
{
    long n;
    unsigned char *b = segment(s, len, &n);
    struct json_object *o = NULL;

    if (n < 0 || json_parse((const char *)b, (size_t)n, &o) != E_OK ||
        !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        o = NULL;
    }
    free(b);
    return o;
}

/* Whether sig is the HMAC-SHA256 of input under some usable key of app_id. */
static bool
signed_by_app(const char *app_id, const char *input, size_t ilen, const unsigned char *sig,
              long slen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mlen;
    int i;

    for (i = 0; i < reg->nkeys; i++) {
        const app_key *k = &reg->keys[i];
        if (strcmp(k->app_id, app_id) != 0 || strlen(k->secret) < KEY_SECRET_MIN)
            continue;
        HMAC(EVP_sha256(), k->secret, (int)strlen(k->secret), (const unsigned char *)input, ilen,
             mac, &mlen);
        if (slen == (long)mlen && memcmp(mac, sig, mlen) == 0)
            return true;
    }
    return false;
}

static void
check_accepted(const char *token, const identity *id)
{
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    struct json_object *h, *c, *v;
    unsigned char *sig;
    long slen;
    const char *s;

    if (!user_id_valid(id->user_id, strlen(id->user_id)) || !id->app_id[0] || !id->plan)
        fz_fail("accepted with user \"%s\" app \"%s\"", id->user_id, id->app_id);
    if (!d2)
        fz_fail("accepted a token without three segments: %s", token);
    sig = segment(d2 + 1, strlen(d2 + 1), &slen);
    if (!signed_by_app(id->app_id, token, (size_t)(d2 - token), sig, slen))
        fz_fail("accepted for app %s without an HMAC-SHA256 of one of its keys: %s", id->app_id,
                token);
    free(sig);

    h = segment_json(token, (size_t)(d1 - token));
    if (!h || !json_get_str(h, "alg") || strcmp(json_get_str(h, "alg"), "HS256") != 0)
        fz_fail("accepted a header without alg HS256: %s", token);
    if ((s = json_get_str(h, "kid"))) {
        const app_key *k = apps_find_key(reg, s);
        if (!k || strcmp(k->app_id, id->app_id) != 0)
            fz_fail("accepted kid %s for app %s", s, id->app_id);
    }
    json_object_put(h);

    c = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!c)
        return; /* json-c and libjwt's jansson disagree on the claims; libjwt read them */
    if ((s = json_get_str(c, "iss")) && strcmp(s, id->app_id) != 0)
        fz_fail("accepted iss %s as app %s", s, id->app_id);
    if (!json_object_object_get_ex(c, "exp", &v) || !json_object_is_type(v, json_type_int))
        fz_fail("accepted without an integer exp: %s", token);
    if (NOW_S >= json_object_get_int64(v) && NOW_S - json_object_get_int64(v) >= CLOCK_SKEW_S)
        fz_fail("accepted an expired token (exp %lld)", (long long)json_object_get_int64(v));
    if (json_object_object_get_ex(c, "nbf", &v) && json_object_is_type(v, json_type_int) &&
        json_object_get_int64(v) - CLOCK_SKEW_S > NOW_S)
        fz_fail("accepted before nbf %lld", (long long)json_object_get_int64(v));
    if (json_object_object_get_ex(c, "iat", &v) && json_object_is_type(v, json_type_int) &&
        json_object_get_int64(v) - CLOCK_SKEW_S > NOW_S)
        fz_fail("accepted with iat %lld in the future", (long long)json_object_get_int64(v));
    if (!json_object_object_get_ex(c, "sub", &v) || !json_object_is_type(v, json_type_string))
        fz_fail("accepted without a string sub");
    if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v) ||
        strcmp(json_object_get_string(v), id->user_id) != 0)
        fz_fail("accepted sub \"%s\" as user \"%s\"", json_object_get_string(v), id->user_id);
    /* Grants: only what the claim says, and a scope never creates rooms (auth/grants.h). */
    if (!json_object_object_get_ex(c, "grants", NULL) &&
        (id->grants.admin || !id->grants.create_rooms || id->grants.nrooms ||
         id->grants.publish != PUBLISH_ALL))
        fz_fail("accepted without a grants claim, with grants: %s", token);
    if (id->grants.nrooms > GRANT_ROOMS_MAX || (id->grants.publish & ~PUBLISH_ALL) ||
        (id->grants.nrooms && id->grants.create_rooms))
        fz_fail("accepted grants out of their bounds: %s", token);
    json_object_put(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *token;
    identity id, cached;
    const char *why = NULL;
    bool unknown;
    tokcache *tc;
    dpa_err e;

    if (!reg)
        setup();
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        const char *h, *nul;
        size_t hlen;
        if (size < 2)
            return 0;
        h = (const char *)data + 2;
        nul = memchr(h, 0, size - 2);
        hlen = nul ? (size_t)(nul - h) : size - 2;
        token = make_token(data[1], h, hlen, nul ? nul + 1 : "{}",
                           nul ? size - 2 - hlen - 1 : 2);
    } else {
        token = xmalloc(size);
        memcpy(token, data + 1, size - 1);
        token[size - 1] = '\0';
    }
    e = auth_verify(reg, token, NOW_S, &id, &why, &unknown);
    if (e != E_OK && e != E_UNAUTHORIZED)
        fz_fail("auth_verify returned %d", e);
    if (e != E_OK && !why)
        fz_fail("rejected without a reason");
    if (e == E_OK) {
        check_accepted(token, &id);
        tc = tokcache_new(4);
        tokcache_put(tc, token, &id);
        if (!tokcache_get(tc, token, NOW_S, &cached) || strcmp(cached.user_id, id.user_id) != 0)
            fz_fail("the token cache lost a verified token");
        tokcache_free(tc);
    }
    free(token);
    return 0;
}
