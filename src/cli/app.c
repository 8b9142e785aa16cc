/* droponaird app create|list|rotate-key|remove-key|set-plan|set-webhook|remove-webhook */
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
            "  droponaird app set-plan --app APPID --plan PLAN [--db URL] [--plans FILE]\n"
            "  droponaird app set-webhook --app APPID --url URL [--secret SECRET] [--db URL]\n"
            "      Adds a webhook endpoint (http:// or https://) that receives the app's\n"
            "      events, signed with SECRET (16 to 256 printable characters; made when\n"
            "      not given). The same URL again gives it the new secret. Prints\n"
            "      {\"appId\",\"webhookId\",\"url\",\"secret\",\"created\"} (docs/api.md).\n"
            "  droponaird app remove-webhook --app APPID --webhook WEBHOOKID [--db URL]\n"
            "      Removes it; deliveries still pending for it are dropped.\n\n"
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
do_list(store *s)
{
    app_registry *reg;
    webhook_list hooks;
    int i, k;

    if (store_apps_load(s, &reg) != E_OK || store_webhooks_list(s, NULL, false, &hooks) != E_OK) {
        fprintf(stderr, "droponaird: cannot read apps: %s\n", store_errmsg(s));
        return 1;
    }
    for (i = 0; i < reg->napps; i++) {
        struct json_object *o = json_object_new_object(), *kids = json_object_new_array();
        struct json_object *urls = json_object_new_array();
        for (k = 0; k < reg->nkeys; k++)
            if (strcmp(reg->keys[k].app_id, reg->apps[i].app_id) == 0)
                json_object_array_add(kids, json_object_new_string(reg->keys[k].kid));
        /* Webhooks without their secrets. */
        for (k = 0; k < hooks.count; k++) {
            struct json_object *w;
            if (strcmp(hooks.items[k].app_id, reg->apps[i].app_id) != 0)
                continue;
            w = json_object_new_object();
            json_object_object_add(w, "webhookId", json_object_new_string(hooks.items[k].id));
            json_object_object_add(w, "url", json_object_new_string(hooks.items[k].url));
            json_object_object_add(w, "createdAt",
                                   json_object_new_int64(hooks.items[k].created_at));
            json_object_array_add(urls, w);
        }
        json_object_object_add(o, "appId", json_object_new_string(reg->apps[i].app_id));
        json_object_object_add(o, "name", json_object_new_string(reg->apps[i].name));
        json_object_object_add(o, "plan", json_object_new_string(reg->apps[i].plan_name));
        json_object_object_add(o, "kids", kids);
        json_object_object_add(o, "webhooks", urls);
        json_object_object_add(o, "createdAt", json_object_new_int64(reg->apps[i].created_at));
        print_json_line(o);
    }
    webhook_list_clear(&hooks);
    apps_free(reg);
    return 0;
}

/*
 * Whether url can be a webhook endpoint: http:// or https://, a host, at
 * most WEBHOOK_URL_MAX - 1 bytes of printable ASCII (no spaces).
 */
static bool
webhook_url_ok(const char *url)
{
    size_t i, n = strlen(url), scheme;

    if (strncmp(url, "https://", 8) == 0)
        scheme = 8;
    else if (strncmp(url, "http://", 7) == 0)
        scheme = 7;
    else
        return false;
    if (n >= WEBHOOK_URL_MAX || n == scheme || url[scheme] == '/' || url[scheme] == ':')
        return false;
    for (i = 0; i < n; i++)
        if (url[i] <= ' ' || url[i] >= 0x7f)
            return false;
    return true;
}

static bool
webhook_secret_ok(const char *secret)
{
    size_t i, n = strlen(secret);

    if (n < 16 || n > 256)
        return false;
    for (i = 0; i < n; i++)
        if (secret[i] <= ' ' || secret[i] >= 0x7f)
            return false;
    return true;
}

static int
do_set_webhook(store *s, const char *app_id, const char *url, const char *given)
{
    char id[WEBHOOK_ID_MAX], made[64];
    const char *secret = given;
    struct json_object *o;
    bool created = false;

    if (!webhook_url_ok(url)) {
        fprintf(stderr, "droponaird: --url must be an http:// or https:// URL with a host, "
                        "printable, without spaces, at most %d bytes\n",
                WEBHOOK_URL_MAX - 1);
        return 2;
    }
    if (given && !webhook_secret_ok(given)) {
        fprintf(stderr, "droponaird: --secret must be 16 to 256 printable characters\n");
        return 2;
    }
    if (require_app(s, app_id))
        return 1;
    if (!secret) {
        if (random_id(made, sizeof(made), "whsec_", 32))
            return 1;
        secret = made;
    }
    if (store_begin(s) || store_webhook_set(s, app_id, url, secret, now_ms(), id, &created) ||
        store_commit(s)) {
        store_rollback(s);
        fprintf(stderr, "droponaird: cannot set the webhook: %s\n", store_errmsg(s));
        return 1;
    }
    o = json_object_new_object();
    json_object_object_add(o, "appId", json_object_new_string(app_id));
    json_object_object_add(o, "webhookId", json_object_new_string(id));
    json_object_object_add(o, "url", json_object_new_string(url));
    json_object_object_add(o, "secret", json_object_new_string(secret));
    json_object_object_add(o, "created", json_object_new_boolean(created));
    print_json_line(o);
    return 0;
}

static int
do_remove_webhook(store *s, const char *app_id, const char *webhook_id)
{
    dpa_err e;

    if (store_begin(s))
        return 1;
    e = store_webhook_remove(s, app_id, webhook_id);
    if (e || store_commit(s)) {
        store_rollback(s);
        if (e == E_NOT_FOUND)
            fprintf(stderr, "droponaird: app \"%s\" has no webhook \"%s\"\n", app_id,
                    webhook_id);
        else
            fprintf(stderr, "droponaird: cannot remove the webhook: %s\n", store_errmsg(s));
        return 1;
    }
    printf("{\"appId\":\"%s\",\"removed\":\"%s\"}\n", app_id, webhook_id);
    return 0;
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
        {"url", required_argument, NULL, 'u'},   {"secret", required_argument, NULL, 's'},
        {"webhook", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *db = DEFAULT_DB, *name = NULL, *plan_name = NULL, *plans_file = NULL;
    const char *app_id = NULL, *kid = NULL, *url = NULL, *webhook_id = NULL, *sub;
    char *secret = NULL;
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
        case 'u': url = optarg; break;
        case 'w': webhook_id = optarg; break;
        case 's':
            free(secret);
            secret = xstrdup(optarg);
            memset(optarg, 'x', strlen(optarg)); /* out of `ps` from now on */
            break;
        case 'h': usage(stdout); free(secret); return 0;
        default: usage(stderr); free(secret); return 2;
        }
    }
    rc = 2;
    if (optind < argc) {
        fprintf(stderr, "droponaird: unexpected argument \"%s\"\n", argv[optind]);
        goto out;
    }
    if (cli_load_plans(&plans, plans_file)) {
        rc = 1;
        goto out;
    }
    if ((strcmp(sub, "create") == 0 && (!name || !plan_name)) ||
        ((strcmp(sub, "rotate-key") == 0) && !app_id) ||
        (strcmp(sub, "remove-key") == 0 && (!app_id || !kid)) ||
        (strcmp(sub, "set-plan") == 0 && (!app_id || !plan_name)) ||
        (strcmp(sub, "set-webhook") == 0 && (!app_id || !url)) ||
        (strcmp(sub, "remove-webhook") == 0 && (!app_id || !webhook_id))) {
        fprintf(stderr, "droponaird: app %s: missing options\n", sub);
        usage(stderr);
        goto out;
    }
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "rotate-key") &&
        strcmp(sub, "remove-key") && strcmp(sub, "set-plan") && strcmp(sub, "set-webhook") &&
        strcmp(sub, "remove-webhook")) {
        fprintf(stderr, "droponaird: unknown app command \"%s\"\n", sub);
        usage(stderr);
        goto out;
    }
    if (!(s = cli_open_store(db))) {
        rc = 1;
        goto out;
    }
    if (strcmp(sub, "create") == 0)
        rc = do_create(s, name, plan_name, &plans);
    else if (strcmp(sub, "list") == 0)
        rc = do_list(s);
    else if (strcmp(sub, "rotate-key") == 0)
        rc = do_rotate(s, app_id);
    else if (strcmp(sub, "remove-key") == 0)
        rc = do_remove_key(s, app_id, kid);
    else if (strcmp(sub, "set-webhook") == 0)
        rc = do_set_webhook(s, app_id, url, secret);
    else if (strcmp(sub, "remove-webhook") == 0)
        rc = do_remove_webhook(s, app_id, webhook_id);
    else
        rc = do_set_plan(s, app_id, plan_name, &plans);
    store_close(s);
out:
    free(secret);
    return rc;
}
