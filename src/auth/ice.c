/* ICE servers and coturn REST-API credentials (see ice.h). */
#include "auth/ice.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

void
ice_config_defaults(ice_config *c)
{
    memset(c, 0, sizeof(*c));
    c->ttl_s = TURN_TTL_DEFAULT;
}

static int
set_why(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -1;
}

/* host: a name or IPv4 (letters, digits, '-', '.') or an IPv6 literal in []. */
static const char *
skip_host(const char *p)
{
    const char *start = p;

    if (*p == '[') {
        for (p++; *p && *p != ']'; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
                return NULL;
        return *p == ']' && p - start > 1 ? p + 1 : NULL;
    }
    while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
        p++;
    return p > start ? p : NULL;
}

static const char *
skip_port(const char *p)
{
    long port = 0;
    int digits = 0;

    if (*p != ':')
        return p;
    for (p++; isdigit((unsigned char)*p) && digits < 6; p++, digits++)
        port = port * 10 + (*p - '0');
    return digits && port >= 1 && port <= 65535 ? p : NULL;
}

int
ice_url_check(const char *url, ice_kind kind, const char **why)
{
    const char *p;

    if (strlen(url) > ICE_URL_MAX)
        return set_why(why, "is longer than 256 bytes");
    if (kind == ICE_STUN) {
        if (strncmp(url, "stun:", 5) == 0)
            p = url + 5;
        else if (strncmp(url, "stuns:", 6) == 0)
            p = url + 6;
        else
            return set_why(why, "must start with stun: or stuns:");
    } else {
        if (strncmp(url, "turn:", 5) == 0)
            p = url + 5;
        else if (strncmp(url, "turns:", 6) == 0)
            p = url + 6;
        else
            return set_why(why, "must start with turn: or turns:");
    }
    if (p[0] == '/')
        return set_why(why, "takes host[:port] without \"//\" (e.g. turn:turn.example.com:3478)");
    if (!(p = skip_host(p)) || !(p = skip_port(p)))
        return set_why(why, "needs a host name or address and an optional port 1-65535");
    if (*p == '\0')
        return 0;
    if (kind == ICE_TURN &&
        (strcmp(p, "?transport=udp") == 0 || strcmp(p, "?transport=tcp") == 0))
        return 0;
    return set_why(why, kind == ICE_TURN ? "may end only in ?transport=udp or ?transport=tcp"
                                         : "has text after host[:port]");
}

int
ice_add_url(ice_config *c, ice_kind kind, const char *url, const char **why)
{
    int *n = kind == ICE_STUN ? &c->nstun : &c->nturn;

    if (ice_url_check(url, kind, why))
        return -1;
    if (*n == ICE_URLS_MAX)
        return set_why(why, "is one too many (at most 8 of each)");
    (kind == ICE_STUN ? c->stun : c->turn)[(*n)++] = url;
    return 0;
}

int
ice_set_secret(ice_config *c, const char *secret, size_t len, const char **why)
{
    while (len && (secret[len - 1] == '\n' || secret[len - 1] == '\r'))
        len--;
    if (len == 0)
        return set_why(why, "is empty");
    /*
     * coturn would hold the secret without the blanks a copy-paste added,
     * and every allocation would fail with no hint: refuse them here.
     */
    if (isspace((unsigned char)secret[0]) || isspace((unsigned char)secret[len - 1]))
        return set_why(why, "starts or ends with a space or tab");
    if (len > TURN_SECRET_MAX)
        return set_why(why, "is longer than 512 bytes");
    if (memchr(secret, '\0', len) || memchr(secret, '\n', len))
        return set_why(why, "must be one line of text");
    OPENSSL_cleanse(c->secret, sizeof(c->secret));
    memcpy(c->secret, secret, len);
    c->secret[len] = '\0';
    c->secret_len = len;
    return 0;
}

int
ice_read_secret_file(ice_config *c, const char *path, const char **why)
{
    char buf[TURN_SECRET_MAX + 3];
    struct stat st;
    size_t n;
    const char *nl;
    FILE *f;
    int rc, err;

    if (stat(path, &st) != 0)
        return set_why(why, errno == ENOENT ? "file does not exist" : "file cannot be read");
    if (!S_ISREG(st.st_mode))
        return set_why(why, "is not a regular file");
    if (!(f = fopen(path, "r")))
        return set_why(why, "file cannot be read");
    n = fread(buf, 1, sizeof(buf), f);
    err = ferror(f);
    fclose(f);
    if (err) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return set_why(why, "file cannot be read");
    }
    /* The first line is the secret (what follows it, a comment or nothing). */
    if ((nl = memchr(buf, '\n', n)))
        n = (size_t)(nl - buf);
    if (n > TURN_SECRET_MAX) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return set_why(why, "is longer than 512 bytes");
    }
    rc = ice_set_secret(c, buf, n, why);
    OPENSSL_cleanse(buf, sizeof(buf));
    return rc;
}

int
ice_config_check(const ice_config *c, const char **why)
{
    if (c->nturn && !c->secret_len)
        return set_why(why, "--turn needs --turn-secret or --turn-secret-file");
    if (c->secret_len && !c->nturn)
        return set_why(why, "--turn-secret is for --turn URLs; give at least one");
    return 0;
}

int
turn_credential(const char *secret, size_t secret_len, const char *username,
                char out[TURN_CREDENTIAL_LEN])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;

    if (!HMAC(EVP_sha1(), secret, (int)secret_len, (const unsigned char *)username,
              strlen(username), mac, &maclen) ||
        maclen != 20)
        return -1;
    /* 20 bytes encode to 28 characters and a NUL. */
    return EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen) == 28 ? 0 : -1;
}

static struct json_object *
urls_json(const char *const *urls, int n)
{
    struct json_object *arr = json_object_new_array_ext(n);
    int i;

    for (i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(urls[i]));
    return arr;
}

struct json_object *
ice_servers_json(const ice_config *c, const char *app_id, const char *user_id, int64_t now_ms,
                 int64_t *expires_at_ms)
{
    struct json_object *arr = json_object_new_array();

    if (expires_at_ms)
        *expires_at_ms = 0;
    if (c->nstun) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "urls", urls_json(c->stun, c->nstun));
        json_object_array_add(arr, o);
    }
    if (c->nturn && c->secret_len) {
        int64_t expiry = now_ms / 1000 + c->ttl_s;
        char cred[TURN_CREDENTIAL_LEN], user[1024];
        struct json_object *o;
        int n = snprintf(user, sizeof(user), "%lld:%s:%s", (long long)expiry, app_id, user_id);

        if (n > 0 && (size_t)n < sizeof(user) &&
            turn_credential(c->secret, c->secret_len, user, cred) == 0) {
            o = json_object_new_object();
            json_object_object_add(o, "urls", urls_json(c->turn, c->nturn));
            json_object_object_add(o, "username", json_object_new_string(user));
            json_object_object_add(o, "credential", json_object_new_string(cred));
            json_object_array_add(arr, o);
            if (expires_at_ms)
                *expires_at_ms = expiry * 1000;
        }
    }
    return arr;
}
