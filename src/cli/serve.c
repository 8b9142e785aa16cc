/* droponaird serve: configuration, --dev set-up, then the server. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/jwt.h"
#include "cli/cli.h"
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
            "  --listen HOST:PORT     address to serve on (default 127.0.0.1:8080; port 0\n"
            "                         picks a free port, printed at start)\n"
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
    tok = auth_mint(DEV_APP, key->kid, key->secret, DEV_USER, "Alice", now_ms() / 1000,
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

static int
parse_positive(const char *s, long min, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int
bad_option(const char *name, const char *range)
{
    fprintf(stderr, "droponaird: %s must be %s\n", name, range);
    return 2;
}

int
cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"db", required_argument, NULL, 'd'},
        {"plans", required_argument, NULL, 'p'},
        {"dev", no_argument, NULL, 'D'},
        {"cors-origin", required_argument, NULL, 'c'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"max-body", required_argument, NULL, 'b'},
        {"header-timeout", required_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'L'},
        {"apps-poll-ms", required_argument, NULL, 'A'},
        {"ws-grace-ms", required_argument, NULL, 'g'},
        {"ws-queue-max", required_argument, NULL, 'q'},
        {"ws-rate", required_argument, NULL, 'r'},
        {"ws-burst", required_argument, NULL, 'B'},
        {"ws-conns-per-user", required_argument, NULL, 'u'},
        {"ws-ping-s", required_argument, NULL, 'P'},
        {"ws-idle-s", required_argument, NULL, 'I'},
        {"event-loop", required_argument, NULL, 'E'},
        {"stun", required_argument, NULL, 'S'},
        {"turn", required_argument, NULL, 'T'},
        {"turn-secret", required_argument, NULL, 'x'},
        {"turn-secret-file", required_argument, NULL, 'X'},
        {"turn-ttl", required_argument, NULL, 'Y'},
        {"node-id", required_argument, NULL, 'N'},
        {"reuse-port", no_argument, NULL, 'R'},
        {"redis", required_argument, NULL, 'e'},
        {"call-lease-ms", required_argument, NULL, 'O'},
        {"history-days", required_argument, NULL, 'H'},
        {"history-keep-ms", required_argument, NULL, 'M'},
        {"purge-every-ms", required_argument, NULL, 'U'},
        {"webhook-timeout-ms", required_argument, NULL, 'W'},
        {"webhook-concurrency", required_argument, NULL, 'J'},
        {"webhook-backoff-ms", required_argument, NULL, 'k'},
        {"webhook-give-up-ms", required_argument, NULL, 'G'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static server_config cfg;
    static plan_set plans;
    const char *db = DEFAULT_DB, *plans_file = NULL;
    store *s;
    const char *why = NULL;
    long v;
    int c;

    server_config_defaults(&cfg);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_listen(optarg, cfg.listen_host, sizeof(cfg.listen_host), &cfg.port)) {
                fprintf(stderr, "droponaird: --listen wants HOST:PORT, not \"%s\"\n", optarg);
                return 2;
            }
            break;
        case 'd': db = optarg; break;
        case 'p': plans_file = optarg; break;
        case 'D': cfg.dev = true; break;
        case 'c':
            if (cfg.ncors == CORS_ORIGINS_MAX) {
                fprintf(stderr, "droponaird: at most %d --cors-origin\n", CORS_ORIGINS_MAX);
                return 2;
            }
            cfg.cors_origins[cfg.ncors++] = optarg;
            break;
        case 'C': cfg.tls_cert = optarg; break;
        case 'K': cfg.tls_key = optarg; break;
        case 'b':
            if (parse_positive(optarg, 1024, 64L << 20, &v)) {
                fprintf(stderr, "droponaird: --max-body must be 1024 to 67108864\n");
                return 2;
            }
            cfg.max_body = (size_t)v;
            break;
        case 't':
            if (parse_positive(optarg, 1, 3600, &v)) {
                fprintf(stderr, "droponaird: --header-timeout must be 1 to 3600\n");
                return 2;
            }
            cfg.header_timeout_s = (int)v;
            break;
        case 'A':
            if (parse_positive(optarg, 10, 3600000, &v)) {
                fprintf(stderr, "droponaird: --apps-poll-ms must be 10 to 3600000\n");
                return 2;
            }
            cfg.apps_poll_ms = (int)v;
            break;
        case 'g':
            if (parse_positive(optarg, 0, 3600000, &v))
                return bad_option("--ws-grace-ms", "0 to 3600000");
            cfg.ws_grace_ms = (int)v;
            break;
        case 'O':
            if (parse_positive(optarg, 500, 60000, &v))
                return bad_option("--call-lease-ms", "500 to 60000");
            cfg.call_lease_ms = (int)v;
            break;
        case 'H':
            if (parse_positive(optarg, 1, 3650, &v))
                return bad_option("--history-days", "1 to 3650");
            cfg.history_days = (int)v;
            break;
        case 'M': /* tests: history kept this many ms instead of --history-days */
            if (parse_positive(optarg, 1, 1L << 40, &v))
                return bad_option("--history-keep-ms", "1 to 1099511627776");
            cfg.history_keep_ms = v;
            break;
        case 'U': /* tests: how often history and the outbox are purged */
            if (parse_positive(optarg, 100, 86400000, &v))
                return bad_option("--purge-every-ms", "100 to 86400000");
            cfg.purge_every_ms = (int)v;
            break;
        case 'W':
            if (parse_positive(optarg, 100, 120000, &v))
                return bad_option("--webhook-timeout-ms", "100 to 120000");
            cfg.hook_timeout_ms = (int)v;
            break;
        case 'J':
            if (parse_positive(optarg, 1, 64, &v))
                return bad_option("--webhook-concurrency", "1 to 64");
            cfg.hook_concurrency = (int)v;
            break;
        case 'k':
            if (parse_positive(optarg, 10, 3600000, &v))
                return bad_option("--webhook-backoff-ms", "10 to 3600000");
            cfg.hook_backoff_ms = (int)v;
            break;
        case 'G':
            if (parse_positive(optarg, 1000, 2592000000L, &v))
                return bad_option("--webhook-give-up-ms", "1000 to 2592000000");
            cfg.hook_give_up_ms = v;
            break;
        case 'q':
            if (parse_positive(optarg, 4096, 1L << 30, &v))
                return bad_option("--ws-queue-max", "4096 to 1073741824");
            cfg.ws_queue_max = (size_t)v;
            break;
        case 'r':
            if (parse_positive(optarg, 1, 10000000, &v))
                return bad_option("--ws-rate", "1 to 10000000");
            cfg.ws_rate = (int)v;
            break;
        case 'B':
            if (parse_positive(optarg, 1, 10000000, &v))
                return bad_option("--ws-burst", "1 to 10000000");
            cfg.ws_burst = (int)v;
            break;
        case 'u':
            if (parse_positive(optarg, 1, 100000, &v))
                return bad_option("--ws-conns-per-user", "1 to 100000");
            cfg.ws_conns_per_user = (int)v;
            break;
        case 'P':
            if (parse_positive(optarg, 1, 86400, &v))
                return bad_option("--ws-ping-s", "1 to 86400");
            cfg.ws_ping_s = (int)v;
            break;
        case 'I':
            if (parse_positive(optarg, 2, 86400, &v))
                return bad_option("--ws-idle-s", "2 to 86400");
            cfg.ws_idle_s = (int)v;
            break;
        case 'E':
            if (strcmp(optarg, "uv") && strcmp(optarg, "poll"))
                return bad_option("--event-loop", "uv or poll");
            cfg.loop_uv = strcmp(optarg, "uv") == 0;
            break;
        case 'S':
        case 'T':
            if (ice_add_url(&cfg.ice, c == 'S' ? ICE_STUN : ICE_TURN, optarg, &why)) {
                /* A URL with "user:pass@" is not shown: it may hold a password. */
                fprintf(stderr, "droponaird: %s \"%s\" %s\n", c == 'S' ? "--stun" : "--turn",
                        strchr(optarg, '@') ? "(not shown: it holds '@')" : optarg, why);
                return 2;
            }
            break;
        case 'x':
            if (ice_set_secret(&cfg.ice, optarg, strlen(optarg), &why)) {
                fprintf(stderr, "droponaird: --turn-secret %s\n", why);
                return 2;
            }
            /* Out of `ps` from now on: the process's argv is what it shows. */
            memset(optarg, 'x', strlen(optarg));
            break;
        case 'X':
            if (ice_read_secret_file(&cfg.ice, optarg, &why)) {
                fprintf(stderr, "droponaird: --turn-secret-file %s: %s\n", optarg, why);
                return 2;
            }
            break;
        case 'Y':
            if (parse_positive(optarg, TURN_TTL_MIN, TURN_TTL_MAX, &v))
                return bad_option("--turn-ttl", "60 to 604800");
            cfg.ice.ttl_s = (int)v;
            break;
        case 'L':
            if ((log_level = log_level_parse(optarg)) < 0) {
                fprintf(stderr, "droponaird: --log-level must be debug, info, warn or error\n");
                return 2;
            }
            break;
        case 'N':
            if (!server_node_id_valid(optarg))
                return bad_option("--node-id", "1 to 63 bytes of A-Z a-z 0-9 . _ -");
            snprintf(cfg.node_id, sizeof(cfg.node_id), "%s", optarg);
            break;
        case 'R': cfg.reuse_port = true; break;
        case 'e': {
            redis_addr addr;
            char ip[64];

            if (cluster_parse_url(optarg, &addr, &why)) {
                /* A URL with ":password@" is not shown. */
                fprintf(stderr, "droponaird: --redis \"%s\" %s\n",
                        strchr(optarg, '@') ? "(not shown: it holds '@')" : optarg, why);
                return 2;
            }
            if (cluster_resolve(&addr, ip, sizeof(ip), &why)) {
                fprintf(stderr, "droponaird: --redis: cannot resolve \"%s\": %s\n", addr.host,
                        why);
                return 2;
            }
            cfg.redis_url = optarg;
            cfg.shared_store = true;
            break;
        }
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "droponaird: unexpected argument \"%s\"\n", argv[optind]);
        return 2;
    }
    if (!cfg.tls_cert != !cfg.tls_key) {
        fprintf(stderr, "droponaird: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (cfg.ws_idle_s <= cfg.ws_ping_s) {
        fprintf(stderr, "droponaird: --ws-idle-s must be longer than --ws-ping-s\n");
        return 2;
    }
    if (ice_config_check(&cfg.ice, &why)) {
        fprintf(stderr, "droponaird: %s\n", why);
        return 2;
    }
    if (cfg.redis_url && !cfg.loop_uv) {
        fprintf(stderr, "droponaird: --redis needs --event-loop uv (hiredis runs on libuv)\n");
        return 2;
    }
    if (!cfg.node_id[0])
        server_node_id_generate(cfg.node_id, sizeof(cfg.node_id));
    log_set_node(cfg.node_id);
    if (cfg.dev && cfg.ncors == 0)
        cfg.cors_origins[cfg.ncors++] = "*";
    if (cli_load_plans(&plans, plans_file))
        return 1;
    cfg.db_url = db;
    if (!(s = cli_open_store(db)))
        return 1;
    if (cfg.dev && dev_setup(s, db)) {
        store_close(s);
        return 1;
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

        return server_run(&cfg, &plans, s, protocols, cfg.redis_url ? n : n - 1);
    }
}
