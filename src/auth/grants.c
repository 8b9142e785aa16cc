#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/grants.h"
#include "auth/jwt.h"
#include "core/json.h"
#include "core/util.h"

static const struct {
    const char *name;
    unsigned bit;
} kinds[] = {{"audio", PUBLISH_AUDIO}, {"video", PUBLISH_VIDEO}, {"screen", PUBLISH_SCREEN}};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

void
grants_default(grants *g)
{
    memset(g, 0, sizeof(*g));
    g->create_rooms = true;
    g->publish = PUBLISH_ALL;
}

#define ROOM_ID_CHARS 22 /* base64url of ROOM_ID_BYTES */

bool
grants_room_bytes(const char *room_id, unsigned char out[ROOM_ID_BYTES])
{
    char again[ROOM_ID_CHARS + 1];

    if (!room_id || strlen(room_id) != 3 + ROOM_ID_CHARS || strncmp(room_id, "rm_", 3) != 0 ||
        b64url_decode(room_id + 3, ROOM_ID_CHARS, out, ROOM_ID_BYTES) != ROOM_ID_BYTES)
        return false;
    /* Canonical only: the 4 bits past the 128 are zero, as the server writes them. */
    b64url_encode(out, ROOM_ID_BYTES, again, sizeof(again));
    return strcmp(again, room_id + 3) == 0;
}

void
grants_room_id(const grants *g, int i, char out[ROOM_ID_MAX])
{
    memcpy(out, "rm_", 3);
    b64url_encode(g->rooms[i], ROOM_ID_BYTES, out + 3, ROOM_ID_MAX - 3);
}

/* grants.rooms: 1 to GRANT_ROOMS_MAX room ids; a repeated one counts once. */
static dpa_err
parse_rooms(struct json_object *v, grants *g, const char **why)
{
    unsigned char id[ROOM_ID_BYTES];
    size_t i, n;
    int k;

    if (!json_object_is_type(v, json_type_array)) {
        *why = "grants.rooms must be an array of room ids";
        return E_UNAUTHORIZED;
    }
    n = json_object_array_length(v);
    if (n == 0 || n > GRANT_ROOMS_MAX) {
        *why = n ? "grants.rooms may list at most 8 rooms"
                 : "grants.rooms must list at least one room (leave it out for any room)";
        return E_UNAUTHORIZED;
    }
    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
        bool dup = false;

        if (!grants_room_bytes(s, id)) {
            *why = "grants.rooms holds something that is not a room id (\"rm_\" and 22 base64url "
                   "characters, as the server makes them)";
            return E_UNAUTHORIZED;
        }
        for (k = 0; k < g->nrooms; k++)
            dup = dup || memcmp(g->rooms[k], id, ROOM_ID_BYTES) == 0;
        if (!dup)
            memcpy(g->rooms[g->nrooms++], id, ROOM_ID_BYTES);
    }
    return E_OK;
}

/* grants.publish: an array of "audio", "video", "screen" ([] = nothing). */
static dpa_err
parse_publish(struct json_object *v, grants *g, const char **why)
{
    size_t i, n, k;

    if (!json_object_is_type(v, json_type_array)) {
        *why = "grants.publish must be an array of \"audio\", \"video\", \"screen\"";
        return E_UNAUTHORIZED;
    }
    g->publish = 0;
    n = json_object_array_length(v);
    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        const char *s = json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";

        for (k = 0; k < NKINDS && strcmp(kinds[k].name, s) != 0; k++)
            ;
        if (k == NKINDS) {
            *why = "grants.publish may hold only \"audio\", \"video\" and \"screen\"";
            return E_UNAUTHORIZED;
        }
        g->publish |= kinds[k].bit;
    }
    return E_OK;
}

dpa_err
grants_parse(struct json_object *claim, grants *g, const char **why)
{
    bool create_given = false;
    dpa_err e;

    grants_default(g);
    if (!json_object_is_type(claim, json_type_object)) {
        *why = "grants must be an object";
        return E_UNAUTHORIZED;
    }
    json_object_object_foreach(claim, k, v) {
        bool is_bool = json_object_is_type(v, json_type_boolean);

        if (strcmp(k, "admin") == 0) {
            if (!is_bool) {
                *why = "grants.admin must be a boolean";
                return E_UNAUTHORIZED;
            }
            g->admin = json_object_get_boolean(v);
        } else if (strcmp(k, "createRooms") == 0) {
            if (!is_bool) {
                *why = "grants.createRooms must be a boolean";
                return E_UNAUTHORIZED;
            }
            g->create_rooms = json_object_get_boolean(v);
            create_given = true;
        } else if (strcmp(k, "rooms") == 0) {
            if ((e = parse_rooms(v, g, why)))
                return e;
        } else if (strcmp(k, "publish") == 0) {
            if ((e = parse_publish(v, g, why)))
                return e;
        } else {
            /* A misspelt grant must not widen a token silently. */
            *why = "grants holds an unknown member (known: admin, createRooms, rooms, publish)";
            return E_UNAUTHORIZED;
        }
    }
    if (g->nrooms > 0) {
        /* A new room's id is not known when the token is signed: it could never be used. */
        if (create_given && g->create_rooms) {
            *why = "grants.createRooms cannot be true in a room-scoped token (grants.rooms)";
            return E_UNAUTHORIZED;
        }
        g->create_rooms = false;
    }
    return E_OK;
}

static struct json_object *
publish_json(unsigned publish)
{
    struct json_object *a = json_object_new_array();
    size_t k;

    for (k = 0; k < NKINDS; k++)
        if (publish & kinds[k].bit)
            json_object_array_add(a, json_object_new_string(kinds[k].name));
    return a;
}

static struct json_object *
rooms_json(const grants *g)
{
    struct json_object *a = json_object_new_array_ext(g->nrooms);
    char id[ROOM_ID_MAX];
    int i;

    for (i = 0; i < g->nrooms; i++) {
        grants_room_id(g, i, id);
        json_object_array_add(a, json_object_new_string(id));
    }
    return a;
}

struct json_object *
grants_json(const grants *g)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "admin", json_object_new_boolean(g->admin));
    json_object_object_add(o, "createRooms", json_object_new_boolean(g->create_rooms));
    json_object_object_add(o, "rooms", g->nrooms ? rooms_json(g) : NULL);
    json_object_object_add(o, "publish", publish_json(g->publish));
    return o;
}

char *
grants_claim_text(const grants *g)
{
    struct json_object *o;
    char *out;

    if (!g || (!g->admin && g->create_rooms && g->nrooms == 0 && g->publish == PUBLISH_ALL))
        return NULL;
    o = json_object_new_object();
    if (g->admin)
        json_object_object_add(o, "admin", json_object_new_boolean(1));
    if (!g->create_rooms && g->nrooms == 0)
        json_object_object_add(o, "createRooms", json_object_new_boolean(0));
    if (g->nrooms)
        json_object_object_add(o, "rooms", rooms_json(g));
    if (g->publish != PUBLISH_ALL)
        json_object_object_add(o, "publish", publish_json(g->publish));
    out = xstrdup(json_plain(o, NULL));
    json_object_put(o);
    return out;
}

bool
grants_room_allowed(const grants *g, const char *room_id)
{
    unsigned char id[ROOM_ID_BYTES];
    int i;

    if (g->nrooms == 0)
        return true;
    if (!grants_room_bytes(room_id, id))
        return false; /* not a room id the server makes: names no room of the scope */
    for (i = 0; i < g->nrooms; i++)
        if (memcmp(g->rooms[i], id, ROOM_ID_BYTES) == 0)
            return true;
    return false;
}

/* ---- SDP: what an offer or answer sends ---- */

/* Whether line[0..n) is token t exactly, or starts with t and a space. */
static bool
word_is(const char *line, size_t n, const char *t)
{
    size_t k = strlen(t);

    return n >= k && strncasecmp(line, t, k) == 0 && (n == k || line[k] == ' ');
}

/* A direction attribute's meaning: 1 sends, 0 does not, -1 not a direction. */
static int
direction(const char *line, size_t n)
{
    if (word_is(line, n, "a=sendrecv") || word_is(line, n, "a=sendonly"))
        return 1;
    if (word_is(line, n, "a=recvonly") || word_is(line, n, "a=inactive"))
        return 0;
    return -1;
}

/* What one m= section sends (kind: its PUBLISH_ bit, 0 for other media). */
typedef struct sdp_section {
    unsigned kind;
    bool port_zero;
    bool bundle_only;
    int dir;                 /* -1: none of its own */
} sdp_section;

static unsigned
section_sends(const sdp_section *m, int session_dir)
{
    int dir = m->dir >= 0 ? m->dir : session_dir >= 0 ? session_dir : 1;

    /* Port 0 rejects a section, unless it is bundled (a=bundle-only, RFC 8843). */
    if (!m->kind || dir != 1 || (m->port_zero && !m->bundle_only))
        return 0;
    return m->kind;
}

/* Reads "m=<media> <port> ..." into a fresh section. */
static void
section_start(sdp_section *m, const char *line, size_t n)
{
    const char *sp = memchr(line, ' ', n);
    size_t rest = sp ? n - (size_t)(sp + 1 - line) : 0;

    memset(m, 0, sizeof(*m));
    m->dir = -1;
    if (word_is(line, n, "m=audio"))
        m->kind = PUBLISH_AUDIO;
    else if (word_is(line, n, "m=video"))
        m->kind = PUBLISH_VIDEO;
    /* The port may carry "/<count>"; "0" alone (or 0/n) rejects the section. */
    m->port_zero = sp && rest >= 1 && sp[1] == '0' && (rest == 1 || sp[2] == ' ' || sp[2] == '/');
}

unsigned
sdp_sends(const char *sdp, size_t len)
{
    const char *p = sdp, *end = sdp + len;
    int session_dir = -1;
    bool in_media = false;
    sdp_section m;
    unsigned sends = 0;

    memset(&m, 0, sizeof(m));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        int dir;

        if (n && p[n - 1] == '\r')
            n--;
        if (n >= 2 && (p[0] == 'm' || p[0] == 'M') && p[1] == '=') {
            if (in_media)
                sends |= section_sends(&m, session_dir);
            section_start(&m, p, n);
            in_media = true;
        } else if ((dir = direction(p, n)) >= 0) {
            if (in_media)
                m.dir = dir;
            else
                session_dir = dir;
        } else if (in_media && word_is(p, n, "a=bundle-only")) {
            m.bundle_only = true;
        }
        p = nl ? nl + 1 : end;
    }
    if (in_media)
        sends |= section_sends(&m, session_dir);
    return sends;
}

const char *
grants_signal_problem(const grants *g, const char *signal, struct json_object *payload)
{
    struct json_object *sdp = payload;
    unsigned sends;

    if ((g->publish & PUBLISH_ALL) == PUBLISH_ALL)
        return NULL; /* nothing held back: nothing to read */
    if (!signal || (strcmp(signal, "GROUP_CALL_SDP_OFFER") != 0 &&
                    strcmp(signal, "GROUP_CALL_SDP_ANSWER") != 0))
        return NULL; /* ICE candidates say nothing about what is sent */
    if (json_object_is_type(payload, json_type_object))
        json_object_object_get_ex(payload, "sdp", &sdp);
    if (!json_object_is_type(sdp, json_type_string))
        return "this token may not publish every kind of media (grants.publish): its SDP must be "
               "the payload or payload.sdp, as a string, for the server to check it";
    sends = sdp_sends(json_object_get_string(sdp), (size_t)json_object_get_string_len(sdp));
    if ((sends & PUBLISH_AUDIO) && !(g->publish & PUBLISH_AUDIO))
        return "this token may not publish audio (grants.publish): the SDP sends an m=audio "
               "section (make it recvonly or inactive)";
    if ((sends & PUBLISH_VIDEO) && !(g->publish & (PUBLISH_VIDEO | PUBLISH_SCREEN)))
        return "this token may not publish video or screen (grants.publish): the SDP sends an "
               "m=video section (make it recvonly or inactive)";
    return NULL;
}

/* ---- the questions routes ask ---- */

bool
auth_room_allowed(const identity *id, const char *room_id)
{
    return grants_room_allowed(&id->grants, room_id);
}

bool
auth_is_admin(const identity *id)
{
    return id->grants.admin;
}

bool
auth_may_moderate(const identity *id, const room *r)
{
    if (!r || !r->app_id || strcmp(r->app_id, id->app_id) != 0 ||
        !grants_room_allowed(&id->grants, r->id))
        return false;
    return id->grants.admin || room_is_host(r, id->user_id);
}

call_actor
auth_actor(const identity *id, uint64_t session)
{
    call_actor a;

    memset(&a, 0, sizeof(a));
    a.user_id = id->user_id;
    a.name = id->name;
    a.session = session;
    a.rank = id->grants.admin ? ROLE_HOST : ROLE_PARTICIPANT;
    a.no_audio = !(id->grants.publish & PUBLISH_AUDIO);
    a.no_video = !(id->grants.publish & PUBLISH_VIDEO);
    return a;
}
