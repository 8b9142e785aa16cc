/*
 * ICE servers for RTCPeerConnection: the STUN and TURN URLs an operator
 * configures, and TURN credentials minted per user the coturn way (the
 * "TURN REST API" of use-auth-secret / static-auth-secret):
 *
 *   username   = "<expiry unix seconds>:<appId>:<userId>"
 *   credential = base64(HMAC-SHA1(secret, username))
 *
 * coturn recomputes the credential from its copy of the secret and refuses
 * the allocation once the expiry has passed. The secret never leaves this
 * module: not in logs, not in replies, not in errors.
 */
#ifndef DPA_AUTH_ICE_H
#define DPA_AUTH_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define ICE_URLS_MAX 8           /* --stun and --turn each */
#define ICE_URL_MAX 256          /* bytes of one URL */
#define TURN_SECRET_MAX 512      /* bytes of the shared secret */
#define TURN_TTL_DEFAULT (6 * 3600)
#define TURN_TTL_MIN 60
#define TURN_TTL_MAX (7 * 24 * 3600)
#define TURN_CREDENTIAL_LEN 29   /* base64 of 20 bytes, with its NUL */

typedef enum { ICE_STUN, ICE_TURN } ice_kind;

typedef struct ice_config {
    const char *stun[ICE_URLS_MAX];
    int nstun;
    const char *turn[ICE_URLS_MAX];
    int nturn;
    char secret[TURN_SECRET_MAX + 1];
    size_t secret_len;            /* 0: no TURN secret */
    int ttl_s;                    /* credential lifetime */
} ice_config;

void ice_config_defaults(ice_config *c);

/*
 * Checks one URL as RFC 7064/7065 write them: "stun:" or "stuns:" for
 * kind ICE_STUN, "turn:" or "turns:" for ICE_TURN, then host[:port] and for
 * TURN an optional "?transport=udp|tcp". Returns 0, or -1 with *why.
 */
int ice_url_check(const char *url, ice_kind kind, const char **why);

/* Adds a URL after ice_url_check. Returns -1 (with *why) when full or bad. */
int ice_add_url(ice_config *c, ice_kind kind, const char *url, const char **why);

/* Sets the shared secret (trailing newlines dropped). -1 with *why if empty/long. */
int ice_set_secret(ice_config *c, const char *secret, size_t len, const char **why);

/* Reads the secret from a file (its first line). -1 with *why. */
int ice_read_secret_file(ice_config *c, const char *path, const char **why);

/* The configuration as a whole: TURN URLs need a secret and a secret needs them. */
int ice_config_check(const ice_config *c, const char **why);

/* base64(HMAC-SHA1(secret, username)) into out[TURN_CREDENTIAL_LEN]. 0 or -1. */
int turn_credential(const char *secret, size_t secret_len, const char *username,
                    char out[TURN_CREDENTIAL_LEN]);

/*
 * The iceServers array for user_id of app_id at now_ms: one entry with the
 * STUN URLs, one with the TURN URLs and a fresh credential. *expires_at_ms
 * (may be NULL) is when that credential stops working, or 0 without TURN.
 */
struct json_object *ice_servers_json(const ice_config *c, const char *app_id,
                                     const char *user_id, int64_t now_ms,
                                     int64_t *expires_at_ms);

#endif
