/* droponaird token: mint a token with one of an app's keys. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/json.h"
#include "cli/cli.h"
#include "core/util.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: droponaird token --app APPID --user USER [--name NAME] [--ttl SECONDS]\n"
            "                        [--kid KID] [--db URL]\n"
            "                        [--admin] [--no-create-rooms] [--rooms ID[,ID...]]\n"
            "                        [--publish KIND[,KIND...]]\n\n"
            "Prints an HS256 JWT for USER signed with the app's newest key (or KID).\n"
            "--ttl defaults to 3600. --db defaults to %s.\n\n"
            "Grants (the token's \"grants\" claim; docs/api.md, \"Grants and admin tokens\"):\n"
            "  --admin            the app's backend: read, moderate and watch any room of\n"
            "                     the app without being a host. Never give it to end users.\n"
            "  --no-create-rooms  may not create rooms.\n"
            "  --rooms IDS        may act only on these rooms (repeatable; at most %d).\n"
            "  --publish KINDS    may publish only these: audio, video, screen (\"none\": listen\n"
            "                     only).\n",
            DEFAULT_DB, GRANT_ROOMS_MAX);
}

/* Appends each comma-separated item of list to arr as a string. */
static void
add_items(struct json_object *arr, const char *list)
{
    const char *p = list;

    while (*p) {
        size_t n = strcspn(p, ",");
        if (n)
            json_object_array_add(arr, json_object_new_string_len(p, (int)n));
        p += n;
        if (*p == ',')
            p++;
    }
}

int
cmd_token(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},   {"app", required_argument, NULL, 'a'},
        {"user", required_argument, NULL, 'u'}, {"name", required_argument, NULL, 'n'},
        {"ttl", required_argument, NULL, 't'},  {"kid", required_argument, NULL, 'k'},
        {"admin", no_argument, NULL, 'A'},      {"no-create-rooms", no_argument, NULL, 'C'},
        {"rooms", required_argument, NULL, 'r'}, {"publish", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    const char *db = DEFAULT_DB, *app_id = NULL, *user = NULL, *name = NULL, *kid = NULL;
    const char *why = NULL;
    long long ttl = 3600;
    const app_key *key = NULL;
    struct json_object *claim = json_object_new_object(), *rooms = NULL, *publish = NULL;
    app_registry *reg;
    grants g;
    store *s;
    char *tok, *end;
    int c, rc = 2;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'a': app_id = optarg; break;
        case 'u': user = optarg; break;
        case 'n': name = optarg; break;
        case 'k': kid = optarg; break;
        case 't':
            ttl = strtoll(optarg, &end, 10);
            if (*end || ttl <= 0 || ttl > 366LL * 86400) {
                fprintf(stderr, "droponaird: --ttl must be 1 to 31622400 seconds\n");
                goto out;
            }
            break;
        case 'A': json_object_object_add(claim, "admin", json_object_new_boolean(1)); break;
        case 'C': json_object_object_add(claim, "createRooms", json_object_new_boolean(0)); break;
        case 'r':
            if (!rooms)
                json_object_object_add(claim, "rooms", rooms = json_object_new_array());
            add_items(rooms, optarg);
            break;
        case 'p':
            if (!publish)
                json_object_object_add(claim, "publish", publish = json_object_new_array());
            if (strcmp(optarg, "none") != 0)
                add_items(publish, optarg);
            break;
        case 'h': usage(stdout); rc = 0; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (!app_id || !user) {
        usage(stderr);
        goto out;
    }
    if (!user_id_valid(user, strlen(user))) {
        fprintf(stderr, "droponaird: --user must be 1 to 128 printable ASCII bytes\n");
        goto out;
    }
    if (name && strlen(name) > DISPLAY_NAME_MAX) {
        fprintf(stderr, "droponaird: --name must be at most %d bytes\n", DISPLAY_NAME_MAX);
        goto out;
    }
    /* The flags make a claim the server reads with the same rules (auth/grants.c). */
    if (grants_parse(claim, &g, &why) != E_OK) {
        fprintf(stderr, "droponaird: %s\n", why);
        goto out;
    }
    rc = 1;
    if (!(s = cli_open_store(db)))
        goto out;
    if (store_apps_load(s, &reg) != E_OK) {
        fprintf(stderr, "droponaird: cannot read apps: %s\n", store_errmsg(s));
        store_close(s);
        goto out;
    }
    store_close(s);
    apps_index(reg, NULL);
    if (kid) {
        key = apps_find_key(reg, kid);
        if (key && strcmp(key->app_id, app_id) != 0)
            key = NULL;
    } else {
        key = apps_newest_key(reg, app_id);
    }
    if (!key) {
        fprintf(stderr, "droponaird: app \"%s\" has no %s\n", app_id, kid ? "such key" : "keys");
        apps_free(reg);
        goto out;
    }
    tok = auth_mint(app_id, key->kid, key->secret, user, name, &g, now_ms() / 1000, ttl);
    apps_free(reg);
    if (!tok) {
        fprintf(stderr, "droponaird: cannot sign the token\n");
        goto out;
    }
    printf("%s\n", tok);
    free(tok);
    rc = 0;
out:
    json_object_put(claim);
    return rc;
}
