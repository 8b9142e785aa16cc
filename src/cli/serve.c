/* droponaird serve: configuration, --dev set-up, then the server. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/jwt.h"
#include "cli/cli.h"
#include "cli/config.h"
#include "cluster/cluster.h"
#include "core/util.h"
#include "hooks/hooks.h"
#include "http/http.h"
#include "server/log.h"
#include "server/server.h"
#include "ws/ws.h"

#define DEV_APP "dev"
#define DEV_USER "alice"
#define DEV_TTL (24 * 3600)

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: droponaird serve [options]\n\n"
            "Every option can also come from a config file (key = value, the option's\n"
            "name without --) and from the environment (DROPONAIR_ and the name in\n"
            "capitals, '_' for '-': DROPONAIR_MAX_BODY). A flag wins over a variable,\n"
            "a variable over the file (README.md, deploy/droponaird.conf).\n\n"
            "  --config FILE          read options from FILE (INI; or DROPONAIR_CONFIG)\n"
            "  --listen HOST:PORT     address to serve on (default 127.0.0.1:8080; port 0\n"
            "                         picks a free port, printed at start)\n"
            "  --ops-listen HOST:PORT serve /metrics and /healthz on this address too\n"
            "                         (plain HTTP); /metrics then leaves --listen\n"
            "  --db URL               database (default %s)\n"
            "  --plans FILE           JSON plans overriding/adding to the built-in ones\n"
            "  --dev                  development mode: creates the app \"dev\" (plan\n"
            "                         business) once, prints a token for \"alice\" and\n"
            "                         allows any CORS origin\n"
            "  --cors-origin ORIGIN   allow browser calls from ORIGIN (repeatable; * = any)\n"
            "  --tls-cert FILE        serve HTTPS/WSS with this certificate (PEM) ...\n"
            "  --tls-key FILE         ... and this private key\n"
            "  --max-body BYTES       largest HTTP request body (default 65536)\n"
            "  --header-timeout SECS  time a client has to send a request (default 10)\n"
            "  --log-level LEVEL      debug, info, warn or error (default info)\n"
            "  --ws-grace-ms MS       how long a dropped WebSocket session may RESUME\n"
            "                         (default 15000)\n"
            "  --ws-queue-max BYTES   unsent bytes before a client that does not read is\n"
            "                         dropped (default 1048576)\n"
            "  --ws-rate N            commands per second per connection (default 200) ...\n"
            "  --ws-burst N           ... in bursts of up to N (default 1000)\n"
            "  --ws-conns-per-user N  WebSocket connections per user (default 5)\n"
            "  --ws-ping-s SECS       ping a WebSocket that has been silent this long\n"
            "                         (default 20) ...\n"
            "  --ws-idle-s SECS       ... and close it when silent this long (default 60)\n"
            "  --stun URL             a STUN server for clients (stun:host[:port]; repeatable)\n"
            "  --turn URL             a TURN server (turn:host[:port][?transport=udp|tcp]\n"
            "                         or turns:...; repeatable); needs a shared secret:\n"
            "  --turn-secret SECRET   coturn's static-auth-secret, to mint per-user TURN\n"
            "                         credentials (prefer --turn-secret-file)\n"
            "  --turn-secret-file F   read the secret from the first line of F\n"
            "  --turn-ttl SECS        how long a minted credential works (default 21600)\n"
            "  --event-loop uv|poll   uv (default): epoll through libuv, scales with\n"
            "                         connections; poll: lws's own loop, faster for a\n"
            "                         few busy HTTP connections (docs/performance.md)\n"
            "  --node-id ID           names this process in logs, /metrics and /healthz\n"
            "                         ([A-Za-z0-9._-], up to 63; default HOSTNAME-PID)\n"
            "  --reuse-port           SO_REUSEPORT: several processes listen on one port\n"
            "                         and the kernel spreads connections over them\n"
            "  --redis URL            cluster mode (redis://[:PASSWORD@]HOST[:PORT][/DB]):\n"
            "                         room writes are announced to the other processes\n"
            "                         sharing the store, which drop their cached copy,\n"
            "                         and every live call is owned by one process that\n"
            "                         the others route to (docs/cluster.md); needs\n"
            "                         --event-loop uv\n"
            "  --redis-password-file FILE\n"
            "                         Redis's password (AUTH) is the first line of FILE\n"
            "                         (not in the --redis URL, which `ps` shows)\n"
            "  --call-lease-ms MS     cluster mode: a call's lease (500 to 60000, default\n"
            "                         5000); another process takes a call over within\n"
            "                         about this long after its owner crashed\n"
            "  --history-days N       how long call history is kept (1 to 3650, default 30)\n"
            "  --webhook-timeout-ms MS  one webhook delivery attempt, connecting included\n"
            "                         (100 to 120000, default 10000)\n"
            "  --webhook-concurrency N  webhook deliveries in flight per app and process\n"
            "                         (1 to 64, default 4)\n"
            "  --webhook-backoff-ms MS  the first retry's delay, doubling up to 3600 times\n"
            "                         it (10 to 3600000, default 1000)\n"
            "  --webhook-give-up-ms MS  retries end this long after the event, then the\n"
            "                         delivery is failed (1000 to 2592000000, default\n"
            "                         86400000: a day)\n",
            DEFAULT_DB);
}

/* Where --dev writes the token: beside a SQLite database file. */
static void
dev_token_path(const char *db, char *out, size_t len)
{
    const char *path = strncmp(db, "sqlite:", 7) == 0 ? db + 7 : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;

    out[0] = '\0';
    if (!path || strcmp(path, ":memory:") == 0)
        return;
    if (slash)
        snprintf(out, len, "%.*s/dev-token", (int)(slash - path), path);
    else
        snprintf(out, len, "dev-token");
}

/* Creates the dev app once and prints its credentials and a token. */
static int
dev_setup(store *s, const char *db)
{
    app_registry *reg;
    const app_key *key = NULL;
    char kid[KID_MAX], secret[64], path[1024];
    char *tok;

    if (store_apps_load(s, &reg) != E_OK)
        return -1;
    apps_index(reg, NULL);
    if (!apps_find(reg, DEV_APP)) {
        apps_free(reg);
        if (store_begin(s) || store_app_insert(s, DEV_APP, "dev", "business", now_ms()) ||
            cli_new_key(s, DEV_APP, kid, sizeof(kid), secret, sizeof(secret)) ||
            store_commit(s)) {
            store_rollback(s);
            fprintf(stderr, "droponaird: cannot create the dev app: %s\n", store_errmsg(s));
            return -1;
        }
        if (store_apps_load(s, &reg) != E_OK)
            return -1;
    }
    key = apps_newest_key(reg, DEV_APP);
    if (!key) {
        fprintf(stderr, "droponaird: the dev app has no key\n");
        apps_free(reg);
        return -1;
    }
    tok = auth_mint(DEV_APP, key->kid, key->secret, DEV_USER, "Alice", NULL, now_ms() / 1000,
                    DEV_TTL);
    if (!tok) {
        apps_free(reg);
        return -1;
    }
    printf("droponair dev mode\n"
           "  appId:  %s (plan business)\n"
           "  kid:    %s\n"
           "  secret: %s\n"
           "  token for user \"%s\" (valid 24 h):\n%s\n",
           DEV_APP, key->kid, key->secret, DEV_USER, tok);
    dev_token_path(db, path, sizeof(path));
    if (path[0]) {
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%s\n", tok);
            fclose(f);
            chmod(path, 0600);
            printf("  (the token is also in %s)\n", path);
        }
    }
    fflush(stdout);
    free(tok);
    apps_free(reg);
    return 0;
}

/* ---- the options: one table, read from flags, DROPONAIR_* and --config (cli/config.h) ---- */

typedef struct serve_ctx {
    server_config *cfg;
    const char *db;
    const char *plans_file;
} serve_ctx;

/* An integer option: its bounds and where it goes in server_config. */
typedef struct int_field {
    long min, max;
    size_t off;
    bool is_size;          /* a size_t field, ... */
    bool is_i64;           /* ... an int64_t one, else an int */
} int_field;

#define INT_FIELD(field, lo, hi)                                                              \
    (&(const int_field){(lo), (hi), offsetof(server_config, field), false, false})
#define SIZE_FIELD(field, lo, hi)                                                             \
    (&(const int_field){(lo), (hi), offsetof(server_config, field), true, false})
#define INT64_FIELD(field, lo, hi)                                                            \
    (&(const int_field){(lo), (hi), offsetof(server_config, field), false, true})

static int
set_int(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    const int_field *f = o->arg;
    char *field = (char *)((serve_ctx *)ctx)->cfg + f->off;
    char *end;
    long n = strtol(v, &end, 10);

    if (!*v || *end || n < f->min || n > f->max) {
        snprintf(err, len, "--%s must be %ld to %ld", o->name, f->min, f->max);
        return -1;
    }
    if (f->is_size)
        *(size_t *)(void *)field = (size_t)n;
    else if (f->is_i64)
        *(int64_t *)(void *)field = (int64_t)n;
    else
        *(int *)(void *)field = (int)n;
    return 0;
}

static int
set_listen(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    server_config *cfg = ((serve_ctx *)ctx)->cfg;

    if (parse_listen(v, cfg->listen_host, sizeof(cfg->listen_host), &cfg->port)) {
        snprintf(err, len, "--%s wants HOST:PORT, not \"%s\"", o->name, v);
        return -1;
    }
    return 0;
}

static int
set_ops_listen(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    server_config *cfg = ((serve_ctx *)ctx)->cfg;

    snprintf(cfg->ops_host, sizeof(cfg->ops_host), "127.0.0.1");
    if (parse_listen(v, cfg->ops_host, sizeof(cfg->ops_host), &cfg->ops_port)) {
        snprintf(err, len, "--%s wants HOST:PORT, not \"%s\"", o->name, v);
        return -1;
    }
    cfg->ops_listen = true;
    return 0;
}

static int
set_db(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    ((serve_ctx *)ctx)->db = v;
    return 0;
}

static int
set_plans(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    ((serve_ctx *)ctx)->plans_file = v;
    return 0;
}

static int
set_dev(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    ((serve_ctx *)ctx)->cfg->dev = true;
    return 0;
}

static int
set_reuse_port(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    ((serve_ctx *)ctx)->cfg->reuse_port = true;
    return 0;
}

static int
set_cors(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    server_config *cfg = ((serve_ctx *)ctx)->cfg;

    if (cfg->ncors == CORS_ORIGINS_MAX) {
        snprintf(err, len, "at most %d --cors-origin", CORS_ORIGINS_MAX);
        return -1;
    }
    cfg->cors_origins[cfg->ncors++] = v;
    return 0;
}

static int
set_tls(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    server_config *cfg = ((serve_ctx *)ctx)->cfg;

    if (strcmp(o->name, "tls-cert") == 0)
        cfg->tls_cert = v;
    else
        cfg->tls_key = v;
    return 0;
}

static int
set_log_level(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    if ((log_level = log_level_parse(v)) < 0) {
        snprintf(err, len, "--log-level must be debug, info, warn or error");
        return -1;
    }
    return 0;
}

static int
set_event_loop(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    if (strcmp(v, "uv") && strcmp(v, "poll")) {
        snprintf(err, len, "--event-loop must be uv or poll");
        return -1;
    }
    ((serve_ctx *)ctx)->cfg->loop_uv = strcmp(v, "uv") == 0;
    return 0;
}

static int
set_ice_url(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    const char *why = NULL;

    if (ice_add_url(&((serve_ctx *)ctx)->cfg->ice,
                    strcmp(o->name, "stun") == 0 ? ICE_STUN : ICE_TURN, v, &why)) {
        /* A URL with "user:pass@" is not shown: it may hold a password. */
        snprintf(err, len, "--%s \"%s\" %s", o->name,
                 strchr(v, '@') ? "(not shown: it holds '@')" : v, why);
        return -1;
    }
    return 0;
}

static int
set_turn_secret(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    const char *why = NULL;

    if (ice_set_secret(&((serve_ctx *)ctx)->cfg->ice, v, strlen(v), &why)) {
        snprintf(err, len, "--turn-secret %s", why);
        return -1;
    }
    return 0;
}

static int
set_turn_secret_file(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    const char *why = NULL;

    if (ice_read_secret_file(&((serve_ctx *)ctx)->cfg->ice, v, &why)) {
        snprintf(err, len, "--turn-secret-file %s: %s", v, why);
        return -1;
    }
    return 0;
}

static int
set_node_id(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    server_config *cfg = ((serve_ctx *)ctx)->cfg;

    if (!server_node_id_valid(v)) {
        snprintf(err, len, "--node-id must be 1 to 63 bytes of A-Z a-z 0-9 . _ -");
        return -1;
    }
    snprintf(cfg->node_id, sizeof(cfg->node_id), "%s", v);
    return 0;
}

static int
set_redis(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    server_config *cfg = ((serve_ctx *)ctx)->cfg;
    const char *why = NULL;
    redis_addr addr;
    char ip[64];

    if (cluster_parse_url(v, &addr, &why)) {
        /* A URL with ":password@" is not shown. */
        snprintf(err, len, "--redis \"%s\" %s",
                 strchr(v, '@') ? "(not shown: it holds '@')" : v, why);
        return -1;
    }
    if (cluster_resolve(&addr, ip, sizeof(ip), &why)) {
        snprintf(err, len, "--redis: cannot resolve \"%s\": %s", addr.host, why);
        return -1;
    }
    explicit_bzero(addr.password, sizeof(addr.password));
    cfg->redis_url = v;
    cfg->shared_store = true;
    return 0;
}

static int
set_redis_password_file(void *ctx, const cli_option *o, const char *v, char *err, size_t len)
{
    server_config *cfg = ((serve_ctx *)ctx)->cfg;
    const char *why = NULL;

    if (read_secret_file(v, cfg->redis_password, sizeof(cfg->redis_password), &why)) {
        snprintf(err, len, "--redis-password-file %s: %s", v, why);
        return -1;
    }
    return 0;
}

/*
 * Every option of serve. The name is the flag, the config file's key and,
 * in capitals with '_' for '-' after DROPONAIR_, the environment variable.
 */
static const cli_option serve_options[] = {
    {"config", OPT_VALUE | OPT_NO_FILE, NULL, NULL, NULL},
    {"listen", OPT_VALUE, NULL, set_listen, NULL},
    {"ops-listen", OPT_VALUE, NULL, set_ops_listen, NULL},
    {"db", OPT_VALUE, NULL, set_db, NULL},
    {"plans", OPT_VALUE, NULL, set_plans, NULL},
    {"dev", 0, NULL, set_dev, NULL},
    {"cors-origin", OPT_VALUE | OPT_REPEAT, NULL, set_cors, NULL},
    {"tls-cert", OPT_VALUE, NULL, set_tls, NULL},
    {"tls-key", OPT_VALUE, NULL, set_tls, NULL},
    {"max-body", OPT_VALUE, NULL, set_int, SIZE_FIELD(max_body, 1024, 64L << 20)},
    {"header-timeout", OPT_VALUE, NULL, set_int, INT_FIELD(header_timeout_s, 1, 3600)},
    {"log-level", OPT_VALUE, NULL, set_log_level, NULL},
    {"apps-poll-ms", OPT_VALUE, NULL, set_int, INT_FIELD(apps_poll_ms, 10, 3600000)},
    {"ws-grace-ms", OPT_VALUE, NULL, set_int, INT_FIELD(ws_grace_ms, 0, 3600000)},
    {"ws-queue-max", OPT_VALUE, NULL, set_int, SIZE_FIELD(ws_queue_max, 4096, 1L << 30)},
    {"ws-rate", OPT_VALUE, NULL, set_int, INT_FIELD(ws_rate, 1, 10000000)},
    {"ws-burst", OPT_VALUE, NULL, set_int, INT_FIELD(ws_burst, 1, 10000000)},
    {"ws-conns-per-user", OPT_VALUE, NULL, set_int, INT_FIELD(ws_conns_per_user, 1, 100000)},
    {"ws-ping-s", OPT_VALUE, NULL, set_int, INT_FIELD(ws_ping_s, 1, 86400)},
    {"ws-idle-s", OPT_VALUE, NULL, set_int, INT_FIELD(ws_idle_s, 2, 86400)},
    {"stun", OPT_VALUE | OPT_REPEAT, NULL, set_ice_url, NULL},
    {"turn", OPT_VALUE | OPT_REPEAT, NULL, set_ice_url, NULL},
    {"turn-secret", OPT_VALUE | OPT_SECRET, NULL, set_turn_secret, NULL},
    {"turn-secret-file", OPT_VALUE, "turn-secret", set_turn_secret_file, NULL},
    {"turn-ttl", OPT_VALUE, NULL, set_int, INT_FIELD(ice.ttl_s, TURN_TTL_MIN, TURN_TTL_MAX)},
    {"event-loop", OPT_VALUE, NULL, set_event_loop, NULL},
    {"node-id", OPT_VALUE, NULL, set_node_id, NULL},
    {"reuse-port", 0, NULL, set_reuse_port, NULL},
    {"redis", OPT_VALUE, NULL, set_redis, NULL},
    {"redis-password-file", OPT_VALUE, NULL, set_redis_password_file, NULL},
    {"call-lease-ms", OPT_VALUE, NULL, set_int, INT_FIELD(call_lease_ms, 500, 60000)},
    {"history-days", OPT_VALUE, NULL, set_int, INT_FIELD(history_days, 1, 3650)},
    {"history-keep-ms", OPT_VALUE, NULL, set_int, INT64_FIELD(history_keep_ms, 1, 1L << 40)},
    {"purge-every-ms", OPT_VALUE, NULL, set_int, INT_FIELD(purge_every_ms, 100, 86400000)},
    {"webhook-timeout-ms", OPT_VALUE, NULL, set_int, INT_FIELD(hook_timeout_ms, 100, 120000)},
    {"webhook-concurrency", OPT_VALUE, NULL, set_int, INT_FIELD(hook_concurrency, 1, 64)},
    {"webhook-backoff-ms", OPT_VALUE, NULL, set_int, INT_FIELD(hook_backoff_ms, 10, 3600000)},
    {"webhook-give-up-ms", OPT_VALUE, NULL, set_int,
     INT64_FIELD(hook_give_up_ms, 1000, 2592000000L)},
    {"help", OPT_CLI_ONLY, NULL, NULL, NULL},
};

static bool
redis_url_has_password(const char *url)
{
    const char *why = NULL;
    redis_addr addr;
    bool has;

    if (cluster_parse_url(url, &addr, &why))
        return false; /* refused already */
    has = addr.password[0] != '\0';
    explicit_bzero(addr.password, sizeof(addr.password));
    return has;
}

/* The options together. Returns 0, or 2 after saying what is wrong. */
static int
check_config(const server_config *cfg)
{
    const char *why = NULL;

    if (!cfg->tls_cert != !cfg->tls_key)
        why = "--tls-cert and --tls-key go together";
    else if (cfg->ws_idle_s <= cfg->ws_ping_s)
        why = "--ws-idle-s must be longer than --ws-ping-s";
    else if (ice_config_check(&cfg->ice, &why))
        ;
    else if (cfg->redis_url && !cfg->loop_uv)
        why = "--redis needs --event-loop uv (hiredis runs on libuv)";
    else if (cfg->redis_password[0] && !cfg->redis_url)
        why = "--redis-password-file is for --redis";
    else if (cfg->redis_password[0] && redis_url_has_password(cfg->redis_url))
        why = "give Redis's password in --redis or in --redis-password-file, not both";
    if (!why)
        return 0;
    fprintf(stderr, "droponaird: %s\n", why);
    return 2;
}

/*
 * Reads the options from the command line, the environment and the config
 * file (flags win over variables, variables over the file) into ctx.
 * Returns -1 to go on, else the exit status (0 after --help). The values
 * ctx points to live in *cc, which the caller frees after the server ran.
 */
static int
read_options(int argc, char **argv, serve_ctx *ctx, cli_config **cc)
{
    const char *file, *by = NULL;
    int rc;

    *cc = cli_config_new(serve_options, (int)(sizeof(serve_options) / sizeof(serve_options[0])));
    rc = cli_config_argv(*cc, argc, argv);
    if (rc == 1) {
        usage(stdout);
        return 0;
    }
    if (rc == 3)
        usage(stderr);
    if (rc)
        return 2;
    if (cli_config_env(*cc, environ))
        return 2;
    if ((file = cli_config_get(*cc, "config", &by)) &&
        cli_config_file(*cc, file, by ? by : "--config"))
        return 2;
    return cli_config_apply(*cc, ctx) ? 2 : -1;
}

int
cmd_serve(int argc, char **argv)
{
    static server_config cfg;
    static plan_set plans;
    serve_ctx ctx = {&cfg, DEFAULT_DB, NULL};
    cli_config *cc = NULL;
    const char *db, *plans_file;
    store *s;
    int rc;

    server_config_defaults(&cfg);
    if ((rc = read_options(argc, argv, &ctx, &cc)) >= 0)
        goto out;
    db = ctx.db;
    plans_file = ctx.plans_file;
    rc = 2;
    if (check_config(&cfg))
        goto out;
    if (!cfg.node_id[0])
        server_node_id_generate(cfg.node_id, sizeof(cfg.node_id));
    log_set_node(cfg.node_id);
    if (cfg.dev && cfg.ncors == 0)
        cfg.cors_origins[cfg.ncors++] = "*";
    rc = 1;
    if (cli_load_plans(&plans, plans_file))
        goto out;
    cfg.db_url = db;
    if (!(s = cli_open_store(db)))
        goto out;
    if (cfg.dev && dev_setup(s, db)) {
        store_close(s);
        goto out;
    }
    {
        /*
         * The composition: the protocols the loop serves, HTTP first, the
         * webhook sender, and the cluster link when --redis asks for it.
         */
        static const server_protocol *const protocols[] = {&http_protocol, &ws_protocol,
                                                           &http_fallback_protocol,
                                                           &hooks_protocol, &cluster_protocol};
        int n = (int)(sizeof(protocols) / sizeof(protocols[0]));

        rc = server_run(&cfg, &plans, s, protocols, cfg.redis_url ? n : n - 1);
    }
out:
    cli_config_free(cc);
    return rc;
}
