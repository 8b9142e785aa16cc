/* The droponaird subcommands. Each returns the process exit status. */
#ifndef DPA_CLI_CLI_H
#define DPA_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/plan.h"
#include "store/store.h"

#define DEFAULT_DB "sqlite:./data/droponair.db"

int cmd_serve(int argc, char **argv);
int cmd_app(int argc, char **argv);
int cmd_token(int argc, char **argv);

/* Parses "HOST:PORT" (or ":PORT", or "PORT"). Returns 0 or -1. */
int parse_listen(const char *s, char *host, size_t hostlen, int *port);

/*
 * Reads a secret from the first line of the regular file at path (a
 * trailing '\r' dropped) into out[len]. Returns 0, or -1 with *why ("does
 * not exist", "is empty", ...); nothing of the file is left in memory but
 * out.
 */
int read_secret_file(const char *path, char *out, size_t len, const char **why);

/* Opens the store or prints why not. Returns NULL on failure. */
store *cli_open_store(const char *url);

/* Loads built-in plans plus FILE (may be NULL). Prints errors; returns 0 or -1. */
int cli_load_plans(plan_set *plans, const char *file);

/* Creates an app key: kid and secret into the buffers, stored in s. */
int cli_new_key(store *s, const char *app_id, char *kid, size_t kidlen, char *secret,
                size_t secretlen);

#endif
