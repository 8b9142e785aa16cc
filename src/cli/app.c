/* droponaird app create|list|rotate-key|remove-key|set-plan */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cli/cli.h"
#include "core/json.h"
#include "core/util.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage:\n"
            "  droponaird app create --name NAME --plan PLAN [--db URL] [--plans FILE]\n"
            "      Creates an app with one signing key. Prints one JSON line:\n"
            "      {\"appId\",\"kid\",\"secret\",\"plan\"}.\n"
            "  droponaird app list [--db URL]\n"
            "      One JSON line per app (no secrets).\n"
            "  droponaird app rotate-key --app APPID [--db URL]\n"
            "      Adds a key (JSON line {\"appId\",\"kid\",\"secret\"}); older keys keep\n"
            "      working until removed, so tokens can be rolled over.\n"
            "  droponaird app remove-key --app APPID --kid KID [--db URL]\n"
            "  droponaird app set-plan --app APPID --plan PLAN [--db URL] [--plans FILE]\n\n"
            "--db defaults to %s. A running server picks up changes within a second.\n",
            DEFAULT_DB);
}

static void
print_json_line(struct json_object *o)
{
    printf("%s\n", json_plain(o, NULL));
    json_object_put(o);
}

static int
do_create(store *s, const char *name, const char *plan_name, const plan_set *plans)
{
    char app_id[APP_ID_MAX], kid[KID_MAX], secret[64];
    struct json_object *o;

    if (!plans_find(plans, plan_name)) {
        fprintf(stderr, "droponaird: unknown plan \"%s\"\n", plan_name);
        return 1;
    }
    if (strlen(name) == 0 || strlen(name) > 200) {
        fprintf(stderr, "droponaird: --name must be 1 to 200 bytes\n");
        return 1;
    }
    if (random_id(app_id, sizeof(app_id), "app_", 12))
        return 1;
    if (store_begin(s) || store_app_insert(s, app_id, name, plan_name, now_ms()) ||
        cli_new_key(s, app_id, kid, sizeof(kid), secret, sizeof(secret)) || store_commit(s)) {
        store_rollback(s);
        fprintf(stderr, "droponaird: cannot create the app: %s\n", store_errmsg(s));
        return 1;
    }
    o = json_object_new_object();
    json_object_object_add(o, "appId", json_object_new_string(app_id));
    json_object_object_add(o, "kid", json_object_new_string(kid));
    json_object_object_add(o, "secret", json_object_new_string(secret));
    json_object_object_add(o, "plan", json_object_new_string(plan_name));
    print_json_line(o);
    return 0;
}

static int
do_list(store *s)
{
    app_registry *reg;
    int i, k;

    if (store_apps_load(s, &reg) != E_OK) {
        fprintf(stderr, "droponaird: cannot read apps: %s\n", store_errmsg(s));
        return 1;
    }
    for (i = 0; i < reg->napps; i++) {
        struct json_object *o = json_object_new_object(), *kids = json_object_new_array();
        for (k = 0; k < reg->nkeys; k++)
            if (strcmp(reg->keys[k].app_id, reg->apps[i].app_id) == 0)
                json_object_array_add(kids, json_object_new_string(reg->keys[k].kid));
        json_object_object_add(o, "appId", json_object_new_string(reg->apps[i].app_id));
        json_object_object_add(o, "name", json_object_new_string(reg->apps[i].name));
        json_object_object_add(o, "plan", json_object_new_string(reg->apps[i].plan_name));
        json_object_object_add(o, "kids", kids);
        json_object_object_add(o, "createdAt", json_object_new_int64(reg->apps[i].created_at));
        print_json_line(o);
    }
    apps_free(reg);
    return 0;
}

static int
require_app(store *s, const char *app_id)
{
    app_registry *reg;
    int found;

    if (store_apps_load(s, &reg) != E_OK)
        return -1;
    apps_index(reg, NULL);
    found = apps_find(reg, app_id) != NULL;
    apps_free(reg);
    if (!found)
        fprintf(stderr, "droponaird: no app \"%s\"\n", app_id);
    return found ? 0 : -1;
}

static int
do_rotate(store *s, const char *app_id)
{
    char kid[KID_MAX], secret[64];
    struct json_object *o;

    if (require_app(s, app_id))
        return 1;
    if (store_begin(s) || cli_new_key(s, app_id, kid, sizeof(kid), secret, sizeof(secret)) ||
        store_commit(s)) {
        store_rollback(s);
        return 1;
    }
    o = json_object_new_object();
    json_object_object_add(o, "appId", json_object_new_string(app_id));
    json_object_object_add(o, "kid", json_object_new_string(kid));
    json_object_object_add(o, "secret", json_object_new_string(secret));
    print_json_line(o);
    return 0;
}

static int
do_remove_key(store *s, const char *app_id, const char *kid)
{
    dpa_err e;

    if (store_begin(s))
        return 1;
    e = store_key_delete(s, app_id, kid);
    if (e || store_commit(s)) {
        store_rollback(s);
        if (e == E_NOT_FOUND)
            fprintf(stderr, "droponaird: app \"%s\" has no key \"%s\"\n", app_id, kid);
        else if (e == E_FORBIDDEN)
            fprintf(stderr, "droponaird: \"%s\" is the app's last key; rotate-key first\n", kid);
        else
            fprintf(stderr, "droponaird: cannot remove the key: %s\n", store_errmsg(s));
        return 1;
    }
    printf("{\"appId\":\"%s\",\"removed\":\"%s\"}\n", app_id, kid);
    return 0;
}

static int
do_set_plan(store *s, const char *app_id, const char *plan_name, const plan_set *plans)
{
    dpa_err e;

    if (!plans_find(plans, plan_name)) {
        fprintf(stderr, "droponaird: unknown plan \"%s\"\n", plan_name);
        return 1;
    }
    if (store_begin(s))
        return 1;
    e = store_app_set_plan(s, app_id, plan_name);
    if (e || store_commit(s)) {
        store_rollback(s);
        fprintf(stderr, "droponaird: %s\n", e == E_NOT_FOUND ? "no such app" : store_errmsg(s));
        return 1;
    }
    printf("{\"appId\":\"%s\",\"plan\":\"%s\"}\n", app_id, plan_name);
    return 0;
}

int
cmd_app(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},    {"name", required_argument, NULL, 'n'},
        {"plan", required_argument, NULL, 'p'},  {"plans", required_argument, NULL, 'P'},
        {"app", required_argument, NULL, 'a'},   {"kid", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *db = DEFAULT_DB, *name = NULL, *plan_name = NULL, *plans_file = NULL;
    const char *app_id = NULL, *kid = NULL, *sub;
    plan_set plans;
    store *s;
    int c, rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    sub = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'n': name = optarg; break;
        case 'p': plan_name = optarg; break;
        case 'P': plans_file = optarg; break;
        case 'a': app_id = optarg; break;
        case 'k': kid = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "droponaird: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (cli_load_plans(&plans, plans_file))
        return 1;
    if ((strcmp(sub, "create") == 0 && (!name || !plan_name)) ||
        ((strcmp(sub, "rotate-key") == 0) && !app_id) ||
        (strcmp(sub, "remove-key") == 0 && (!app_id || !kid)) ||
        (strcmp(sub, "set-plan") == 0 && (!app_id || !plan_name))) {
        fprintf(stderr, "droponaird: app %s: missing options\n", sub);
        usage(stderr);
        return 2;
    }
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "rotate-key") &&
        strcmp(sub, "remove-key") && strcmp(sub, "set-plan")) {
        fprintf(stderr, "droponaird: unknown app command \"%s\"\n", sub);
        usage(stderr);
        return 2;
    }
    if (!(s = cli_open_store(db)))
        return 1;
    if (strcmp(sub, "create") == 0)
        rc = do_create(s, name, plan_name, &plans);
    else if (strcmp(sub, "list") == 0)
        rc = do_list(s);
    else if (strcmp(sub, "rotate-key") == 0)
        rc = do_rotate(s, app_id);
    else if (strcmp(sub, "remove-key") == 0)
        rc = do_remove_key(s, app_id, kid);
    else
        rc = do_set_plan(s, app_id, plan_name, &plans);
    store_close(s);
    return rc;
}
