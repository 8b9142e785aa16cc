#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jwt.h>

#include "core/fields.h"
#include "core/json.h"

#include "auth/jwt.h"
#include "core/util.h"

/*
 * An integer claim, read from the token's JSON: jwt_get_grant_int() gives 0
 * without an error for a string or a float. Returns 1 with *v set, 0 when
 * the claim is absent, -1 when it is present but not an integer.
 */
static int
int_claim(jwt_t *j, const char *name, int64_t *v)
{
    char *js = jwt_get_grants_json(j, name);
    struct json_object *o = NULL;
    int r = -1;

    if (!js)
        return 0;
    if (json_parse(js, strlen(js), &o) == E_OK && json_object_is_type(o, json_type_int) &&
        !(json_object_get_int64(o) == INT64_MAX &&
          json_object_get_uint64(o) != (uint64_t)INT64_MAX)) {
        *v = json_object_get_int64(o);
        r = 1;
    }
    json_object_put(o);
    free(js);
    return r;
}

/* The "grants" claim into *g: the defaults when absent (auth/grants.h). */
static dpa_err
grants_claim(jwt_t *j, grants *g, const char **why)
{
    char *js = jwt_get_grants_json(j, "grants");
    struct json_object *o = NULL;
    dpa_err e;

    grants_default(g);
    if (!js)
        return E_OK;
    if (json_parse(js, strlen(js), &o) != E_OK) {
        *why = "grants is not valid JSON";
        e = E_UNAUTHORIZED;
    } else {
        e = grants_parse(o, g, why);
    }
    json_object_put(o);
    free(js);
    return e;
}

/* Checks the claims of a verified token and fills id. */
static dpa_err
check_claims(jwt_t *j, int64_t now_s, identity *id, const char **why)
{
    const char *sub, *name, *bad;
    int64_t exp, nbf, iat;
    dpa_err e;
    int r;

    sub = jwt_get_grant(j, "sub");
    if (!sub || !user_id_valid(sub, strlen(sub))) {
        *why = sub ? "sub must be 1 to 128 printable ASCII bytes" : "token has no sub";
        return E_UNAUTHORIZED;
    }
    r = int_claim(j, "exp", &exp);
    if (r <= 0) {
        *why = r == 0 ? "token has no exp" : "exp must be an integer";
        return E_UNAUTHORIZED;
    }
    /* now_s - skew, not exp + skew: exp may be as large as INT64_MAX. */
    if (now_s - CLOCK_SKEW_S >= exp) {
        *why = "token expired";
        return E_UNAUTHORIZED;
    }
    r = int_claim(j, "nbf", &nbf);
    if (r < 0 || (r > 0 && now_s + CLOCK_SKEW_S < nbf)) {
        *why = r < 0 ? "nbf must be an integer" : "token not yet valid (nbf)";
        return E_UNAUTHORIZED;
    }
    r = int_claim(j, "iat", &iat);
    if (r < 0 || (r > 0 && now_s + CLOCK_SKEW_S < iat)) {
        *why = r < 0 ? "iat must be an integer" : "token issued in the future (iat)";
        return E_UNAUTHORIZED;
    }
    name = jwt_get_grant(j, "name");
    if (name && strlen(name) > DISPLAY_NAME_MAX) {
        *why = "name must be at most 200 bytes";
        return E_UNAUTHORIZED;
    }
    /* Shown to everyone in a call: the string policy of every API string. */
    bad = name ? text_problem(name, strlen(name), TEXT_LINE) : NULL;
    if (bad) {
        *why = "name must be UTF-8 without control characters";
        return E_UNAUTHORIZED;
    }
    if ((e = grants_claim(j, &id->grants, why)))
        return e;
    snprintf(id->user_id, sizeof(id->user_id), "%s", sub);
    snprintf(id->name, sizeof(id->name), "%s", name ? name : "");
    id->exp = exp;
    return E_OK;
}

/*
 * The "alg" of the token's header. libjwt reports alg "none" for any token
 * decoded without a key, so the header is read here to choose the key.
 * Returns 0 with alg copied, or -1 when the header is not readable JSON.
 */
static int
header_alg(const char *token, char *alg, size_t len)
{
    unsigned char raw[1024];
    const char *dot = strchr(token, '.');
    struct json_object *h = NULL;
    const char *a;
    long n;

    if (!dot)
        return -1;
    n = b64url_decode(token, (size_t)(dot - token), raw, sizeof(raw));
    if (n <= 0 || json_parse((const char *)raw, (size_t)n, &h) != E_OK)
        return -1;
    a = json_get_str(h, "alg");
    snprintf(alg, len, "%s", a ? a : "");
    json_object_put(h);
    return a ? 0 : -1;
}

/* Tries one key; returns the verified jwt or NULL. */
static jwt_t *
try_key(const char *token, const app_key *k)
{
    jwt_t *j = NULL;
    size_t len = strlen(k->secret);

    if (len < KEY_SECRET_MIN)
        return NULL;
    if (jwt_decode(&j, token, (const unsigned char *)k->secret, (int)len) != 0)
        return NULL;
    if (jwt_get_alg(j) != JWT_ALG_HS256) {
        jwt_free(j);
        return NULL;
    }
    return j;
}

dpa_err
auth_verify(const app_registry *reg, const char *token, int64_t now_s, identity *id,
            const char **why, bool *unknown)
{
    jwt_t *raw = NULL, *j = NULL;
    const char *kid, *iss;
    char alg[32];
    const app *a;
    int i;
    dpa_err e = E_UNAUTHORIZED;

    *unknown = false;
    memset(id, 0, sizeof(*id));
    if (!token || !*token || strlen(token) > TOKEN_MAX) {
        *why = !token || !*token ? "missing token" : "token too long";
        return E_UNAUTHORIZED;
    }
    /* Unverified read, only to choose the key. */
    if (jwt_decode(&raw, token, NULL, 0) != 0) {
        *why = "malformed token";
        return E_UNAUTHORIZED;
    }
    if (header_alg(token, alg, sizeof(alg)) != 0) {
        *why = "malformed token header";
        goto out;
    }
    if (strcasecmp(alg, "none") == 0) {
        *why = "alg none is not accepted";
        goto out;
    }
    if (strcmp(alg, "HS256") != 0) {
        *why = "token alg does not match the key's (HS256)";
        goto out;
    }
    kid = jwt_get_header(raw, "kid");
    iss = jwt_get_grant(raw, "iss");
    if (kid) {
        const app_key *k = apps_find_key(reg, kid);
        if (!k) {
            *why = "unknown kid";
            *unknown = true;
            goto out;
        }
        if (iss && strcmp(iss, k->app_id) != 0) {
            *why = "kid does not belong to iss";
            goto out;
        }
        a = apps_find(reg, k->app_id);
        j = a ? try_key(token, k) : NULL;
    } else if (iss) {
        a = apps_find(reg, iss);
        for (i = 0; a && !j && i < reg->nkeys; i++)
            if (strcmp(reg->keys[i].app_id, a->app_id) == 0)
                j = try_key(token, &reg->keys[i]);
    } else {
        *why = "token names no app (iss or kid)";
        goto out;
    }
    if (!a) {
        *why = "unknown app";
        *unknown = true;
        goto out;
    }
    if (!j) {
        *why = "bad signature";
        goto out;
    }
    e = check_claims(j, now_s, id, why);
    if (e == E_OK) {
        snprintf(id->app_id, sizeof(id->app_id), "%s", a->app_id);
        id->plan = a->plan;
    }
out:
    jwt_free(j);
    jwt_free(raw);
    return e;
}

/* Adds {"grants": claim} to j. Returns 0 or non-zero. */
static int
add_grants(jwt_t *j, const char *claim)
{
    size_t n = strlen(claim) + 16;
    char *json = xmalloc(n);
    int rc;

    snprintf(json, n, "{\"grants\":%s}", claim);
    rc = jwt_add_grants_json(j, json);
    free(json);
    return rc;
}

char *
auth_mint(const char *app_id, const char *kid, const char *secret, const char *user,
          const char *name, const grants *g, int64_t now_s, int64_t ttl_s)
{
    char *claim = grants_claim_text(g);
    jwt_t *j = NULL;
    char *out = NULL;

    if (jwt_new(&j) != 0) {
        free(claim);
        return NULL;
    }
    if (jwt_add_grant(j, "iss", app_id) || jwt_add_grant(j, "sub", user) ||
        jwt_add_grant_int(j, "iat", (long)now_s) ||
        jwt_add_grant_int(j, "exp", (long)(now_s + ttl_s)) ||
        (name && *name && jwt_add_grant(j, "name", name)) ||
        (claim && add_grants(j, claim)) || jwt_add_header(j, "kid", kid) ||
        jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret)))
        goto out;
    out = jwt_encode_str(j);
out:
    jwt_free(j);
    free(claim);
    return out;
}
