/*
 * Verifying a droponair webhook in C (OpenSSL's libcrypto; link -lcrypto).
 * docs/api.md shows this file; tests/unit/test_hooks.c compiles and runs it
 * against the server's own signatures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/*
 * 1 when a delivery is authentic and fresh, else 0. timestamp and signature
 * are the Droponair-Timestamp and Droponair-Signature headers; body is the
 * request body exactly as received (len bytes), before any JSON parsing.
 * The signature is "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body));
 * a timestamp more than 5 minutes from now is refused (a replay).
 */
int
droponair_webhook_verify(const char *secret, const char *timestamp, const char *signature,
                         const char *body, size_t len, time_t now)
{
    size_t tlen = strlen(timestamp);
    unsigned char mac[EVP_MAX_MD_SIZE], *msg;
    unsigned int maclen = 0, i;
    char want[3 + 64 + 1];
    long long ts;
    char *end;

    ts = strtoll(timestamp, &end, 10);
    if (!tlen || *end || llabs((long long)now - ts) > 300 || strlen(signature) != 67)
        return 0;
    if (!(msg = malloc(tlen + 1 + len)))
        return 0;
    memcpy(msg, timestamp, tlen);
    msg[tlen] = '.';
    memcpy(msg + tlen + 1, body, len);
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, tlen + 1 + len, mac, &maclen))
        maclen = 0;
    free(msg);
    if (maclen != 32)
        return 0;
    memcpy(want, "v1=", 3);
    for (i = 0; i < 32; i++)
        snprintf(want + 3 + 2 * i, 3, "%02x", mac[i]);
    return CRYPTO_memcmp(want, signature, 67) == 0; /* in constant time */
}
