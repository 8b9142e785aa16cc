/*
 * Fuzz target: the room's JSON mapping in and out of the store: request
 * bodies to rooms (room_create, room_patch with RFC 7396 merge), rooms to
 * JSON (room_to_json, room_json_text, room_clone), and rooms to SQLite rows
 * and back (the hosts and metadata columns are JSON text; sqlite.c). Each
 * input runs in a transaction that is rolled back.
 *
 * Input: a mode byte, then
 *   mode bit 0 clear: a create body, optionally a NUL byte and a patch body.
 *     Bits 1-2 choose the plan (starter, pro, business). Checked: the JSON
 *     of a room parses again; the cached text, a clone and the room read
 *     back from the store all give the same JSON; the creator's and every
 *     host's list finds the room; a failed patch leaves the room as it was,
 *     a patch that changes nothing keeps its version, one that changes
 *     something is what the store gives back.
 *   mode bit 0 set: a stored row as another writer (or a damaged file)
 *     might leave it: id, name, createdBy, hosts and metadata column texts
 *     separated by NUL bytes, then big-endian 8-byte values for the other
 *     columns (start, end, status, waitingRoom, requireHost, maxParticipants,
 *     autoClose, createdAt, updatedAt, version). The row is read back,
 *     printed, cloned and patched; only memory safety is checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/room.h"
#include "core/util.h"
#include "fuzz.h"
#include "store/internal.h"

#define NOW 1764000000000LL

static store *st;
static plan_set plans;

static void
setup(void)
{
    char err[STORE_ERR_MAX];

    plans_builtin(&plans);
    if (store_open("sqlite::memory:", &st, err, sizeof(err)) != E_OK)
        fz_fail("cannot open the store: %s", err);
}

/* The room's JSON text; the caller frees. */
static char *
text_of(const room *r)
{
    struct json_object *o = room_to_json(r);
    char *t = xstrdup(json_plain(o, NULL));
    json_object_put(o);
    return t;
}

static void
same(const char *what, const char *want, const char *got)
{
    if (strcmp(want, got) != 0)
        fz_fail("%s differs:\n  want %s\n  got  %s", what, want, got);
}

/* Reads the room back and compares it with want. */
static void
check_stored(const room *r, const char *want)
{
    room *back = NULL;
    char *t;
    dpa_err e = store_room_get(st, r->app_id, r->id, &back);

    if (e != E_OK)
        fz_fail("room %s not read back (%s)", r->id, error_code(e));
    t = text_of(back);
    same("the stored room", want, t);
    free(t);
    room_free(back);
}

/* Whether user's list (as creator or host) holds room r. */
static bool
listed_for(const room *r, const char *user)
{
    room_page page = {NULL, 0, false};
    bool found = false;
    int i;

    if (store_room_list(st, r->app_id, user, -1, -1, "", 200, &page) != E_OK)
        fz_fail("listing rooms failed");
    for (i = 0; i < page.count; i++)
        if (strcmp(page.rooms[i]->id, r->id) == 0)
            found = true;
    room_page_free(&page);
    return found;
}

static void
round_trip(const plan *p, const char *create, size_t clen, const char *patch, size_t plen)
{
    struct json_object *body = NULL, *again = NULL;
    dpa_error fe;
    room *r = NULL, *c;
    bool changed;
    char *a, *t;
    size_t len;
    int i;
    dpa_err e;

    if (json_parse(create, clen, &body) != E_OK)
        return;
    e = room_create(body, "fz", "alice", p, NOW, &r, &fe);
    json_object_put(body);
    if (e != E_OK) {
        if (!fe.message[0])
            fz_fail("room_create failed (%s) without a message", error_code(e));
        return;
    }
    a = text_of(r);
    if (json_parse(a, strlen(a), &again) != E_OK)
        fz_fail("a room's JSON does not parse: %s", a);
    json_object_put(again);
    same("room_json_text", a, room_json_text(r, &len));
    c = room_clone(r);
    t = text_of(c);
    same("a clone", a, t);
    free(t);
    room_free(c);

    if (store_room_insert(st, r, 1000) != E_OK)
        fz_fail("store_room_insert failed: %s", store_errmsg(st));
    check_stored(r, a);
    for (i = 0; i < r->nhosts; i++)
        if (!listed_for(r, r->hosts[i]))
            fz_fail("room %s missing from host %s's list", r->id, r->hosts[i]);

    if (patch && json_parse(patch, plen, &body) == E_OK) {
        int64_t version = r->version;
        e = room_patch(r, body, p, NOW + 1000, &changed, &fe);
        json_object_put(body);
        t = text_of(r);
        if (e != E_OK || !changed) {
            same(e != E_OK ? "a room after a failed patch" : "a room after an empty patch", a,
                 t);
            if (r->version != version)
                fz_fail("the version moved without a change");
        } else {
            if (r->version != version + 1)
                fz_fail("a change moved the version from %lld to %lld", (long long)version,
                        (long long)r->version);
            if (json_parse(t, strlen(t), &again) != E_OK)
                fz_fail("a patched room's JSON does not parse: %s", t);
            json_object_put(again);
            if (store_room_update(st, r) != E_OK)
                fz_fail("store_room_update failed: %s", store_errmsg(st));
            check_stored(r, t);
            for (i = 0; i < r->nhosts; i++)
                if (!listed_for(r, r->hosts[i]))
                    fz_fail("patched room %s missing from host %s's list", r->id, r->hosts[i]);
        }
        free(t);
    }
    free(a);
    room_free(r);
}

/* ---- rows as the store might hold them ---- */

static void
put_hex(char *out, size_t *o, const uint8_t *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    *o += (size_t)sprintf(out + *o, "CAST(X'");
    for (i = 0; i < n; i++) {
        out[(*o)++] = hex[b[i] >> 4];
        out[(*o)++] = hex[b[i] & 15];
    }
    *o += (size_t)sprintf(out + *o, "' AS TEXT)");
}

/* The next NUL-ended field of data (or the rest). */
static const uint8_t *
field(const uint8_t **p, const uint8_t *end, size_t *n)
{
    const uint8_t *f = *p, *nul = memchr(f, 0, (size_t)(end - f));

    *n = nul ? (size_t)(nul - f) : (size_t)(end - f);
    *p = nul ? nul + 1 : end;
    return f;
}

static int64_t
next_int(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8 && *p < end; i++)
        v = v << 8 | *(*p)++;
    return (int64_t)v;
}

static void
raw_row(const uint8_t *data, size_t size)
{
    static const char *const patches[] = {
        "{\"metadata\":{\"a\":{\"b\":null},\"c\":[1]}}", "{\"hosts\":[\"alice\",\"x\"]}",
        "{\"name\":\"n\",\"policy\":{\"maxParticipants\":3}}", "{\"metadata\":null}"};
    const uint8_t *p = data, *end = data + size, *f[5];
    size_t n[5], o = 0, i;
    int64_t v[10];
    char *sql = xmalloc(size * 2 + 1024), id[ROOM_ID_MAX];
    room *r = NULL;
    bool changed;
    dpa_error fe;
    struct json_object *patch = NULL;

    for (i = 0; i < 5; i++)
        f[i] = field(&p, end, &n[i]);
    o += (size_t)sprintf(sql, "INSERT INTO rooms (room_id, app_id, name, created_by, hosts,"
                              " metadata, scheduled_start_at, scheduled_end_at, status,"
                              " waiting_room, require_host, max_participants, auto_close,"
                              " created_at, updated_at, version) VALUES (");
    put_hex(sql, &o, f[0], n[0]);
    o += (size_t)sprintf(sql + o, ", 'fz'");
    for (i = 1; i < 5; i++) {
        sql[o++] = ',';
        put_hex(sql, &o, f[i], n[i]);
    }
    for (i = 0; i < 10; i++)
        v[i] = next_int(&p, end); /* in order: argument evaluation order is unspecified */
    /*
     * Versions only ever grow by one from 1, but a damaged row may hold any:
     * one at INT64_MAX must not overflow (corpus/store/regress-version-int64-max).
     */
    o += (size_t)sprintf(sql + o, ", %lld, %lld, '%s', %d, %d, %lld, %d, %lld, %lld, %lld)",
                         (long long)v[0], (long long)v[1], v[2] & 1 ? "CLOSED" : "ACTIVE",
                         (int)(v[3] & 3), (int)(v[4] & 3), (long long)v[5], (int)(v[6] & 3),
                         (long long)v[7], (long long)v[8], (long long)v[9]);
    if (st->ops->exec(st, sql) == E_OK) {
        snprintf(id, sizeof(id), "%.*s", (int)n[0], (const char *)f[0]);
        if (store_room_get(st, "fz", id, &r) == E_OK) {
            room *c = room_clone(r);
            size_t len;
            free(text_of(c));
            room_json_text(c, &len);
            room_free(c);
            json_parse(patches[size % 4], strlen(patches[size % 4]), &patch);
            room_patch(r, patch, &plans.plans[2], NOW, &changed, &fe);
            json_object_put(patch);
            free(text_of(r));
            room_free(r);
        }
    }
    free(sql);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!st)
        setup();
    if (size < 1 || store_begin(st) != E_OK)
        return 0;
    if (data[0] & 1) {
        raw_row(data + 1, size - 1);
    } else {
        const char *c = (const char *)data + 1, *nul = memchr(c, 0, size - 1);
        size_t clen = nul ? (size_t)(nul - c) : size - 1;
        round_trip(&plans.plans[(data[0] >> 1) % 3], c, clen, nul ? nul + 1 : NULL,
                   nul ? size - 1 - clen - 1 : 0);
    }
    store_rollback(st);
    return 0;
}
