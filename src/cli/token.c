/* droponaird token: mint a token with one of an app's keys. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "cli/cli.h"
#include "core/util.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: droponaird token --app APPID --user USER [--name NAME] [--ttl SECONDS]\n"
            "                        [--kid KID] [--db URL]\n\n"
            "Prints an HS256 JWT for USER signed with the app's newest key (or KID).\n"
            "--ttl defaults to 3600. --db defaults to %s.\n",
            DEFAULT_DB);
}

int
cmd_token(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},   {"app", required_argument, NULL, 'a'},
        {"user", required_argument, NULL, 'u'}, {"name", required_argument, NULL, 'n'},
        {"ttl", required_argument, NULL, 't'},  {"kid", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    const char *db = DEFAULT_DB, *app_id = NULL, *user = NULL, *name = NULL, *kid = NULL;
    long long ttl = 3600;
    const app_key *key = NULL;
    app_registry *reg;
    store *s;
    char *tok, *end;
    int c;

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
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!app_id || !user) {
        usage(stderr);
        return 2;
    }
    if (!user_id_valid(user, strlen(user))) {
        fprintf(stderr, "droponaird: --user must be 1 to 128 printable ASCII bytes\n");
        return 2;
    }
    if (name && strlen(name) > DISPLAY_NAME_MAX) {
        fprintf(stderr, "droponaird: --name must be at most %d bytes\n", DISPLAY_NAME_MAX);
        return 2;
    }
    if (!(s = cli_open_store(db)))
        return 1;
    if (store_apps_load(s, &reg) != E_OK) {
        fprintf(stderr, "droponaird: cannot read apps: %s\n", store_errmsg(s));
        store_close(s);
        return 1;
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
        return 1;
    }
    tok = auth_mint(app_id, key->kid, key->secret, user, name, now_ms() / 1000, ttl);
    apps_free(reg);
    if (!tok) {
        fprintf(stderr, "droponaird: cannot sign the token\n");
        return 1;
    }
    printf("%s\n", tok);
    free(tok);
    return 0;
}
