/*
 * A subcommand's options from three places, each overriding the next:
 * the command line, DROPONAIR_* environment variables and a config file
 * (INI: `key = value` lines, read by libinih), then the defaults. A table
 * names each option once; its flag (--max-body), its file key (max-body)
 * and its variable (DROPONAIR_MAX_BODY) all derive from that name.
 *
 * Values are collected first, from every place, and applied once at the
 * end: only the winning place's values reach an option's setter, so a bad
 * value that a flag overrides is never looked at, and a repeatable
 * option's list comes whole from one place (a --stun flag replaces the
 * file's stun list; it does not add to it).
 */
#ifndef DPA_CLI_CONFIG_H
#define DPA_CLI_CONFIG_H

#include <stddef.h>

/* cli_option.flags */
#define OPT_VALUE 1     /* takes a value; without it a switch (true/false in a file or variable) */
#define OPT_REPEAT 2    /* repeatable: a list in a file or variable (commas or spaces between) */
#define OPT_SECRET 4    /* blanked in argv and the environment once read; never printed */
#define OPT_CLI_ONLY 8  /* only on the command line (--help) */
#define OPT_NO_FILE 16  /* not a file key (--config itself) */

typedef struct cli_option cli_option;

/*
 * Applies one value of option o to ctx: the value as given, or NULL for a
 * switch that is on. Returns 0, or -1 with err[len] saying what is wrong
 * the way the flag's message always has ("--max-body must be 1024 to
 * 67108864"); the caller says where the value came from.
 */
typedef int (*cli_setter)(void *ctx, const cli_option *o, const char *value, char *err,
                          size_t len);

struct cli_option {
    const char *name;      /* "max-body" */
    int flags;             /* OPT_* */
    /*
     * NULL, or the name of an option this one overrides and is overridden
     * by as one (turn-secret-file with turn-secret): they share a place.
     */
    const char *same_as;
    cli_setter set;        /* NULL: handled by the caller (help, config) */
    const void *arg;       /* the setter's own data (a range, a field) */
};

typedef struct cli_config cli_config;

/* A collector for the options opts[0..n) (borrowed; they outlive it). */
cli_config *cli_config_new(const cli_option *opts, int n);
/* Frees it and every value it copied (secrets are wiped first). */
void cli_config_free(cli_config *c);

/*
 * Reads the command line (getopt_long from argv[1]). Values of OPT_SECRET
 * options are blanked in argv, so `ps` does not show them. Returns 0; 1
 * when --help was given; 2 after printing an error (a stray argument); 3
 * after getopt_long printed one (an unknown flag, a missing value: the
 * caller shows the usage).
 */
int cli_config_argv(cli_config *c, int argc, char **argv);

/*
 * Reads every DROPONAIR_* variable of envp. A name that is no option's is
 * an error naming the variable. Secret values are blanked in place (the
 * process's /proc/PID/environ no longer shows them). Returns 0, or 2 after
 * printing the error.
 */
int cli_config_env(cli_config *c, char **envp);

/*
 * Reads the config file at path, named to the user as `by` (--config or
 * DROPONAIR_CONFIG) when it cannot be read. Unknown keys, sections, lines
 * that are not `key = value`, a non-repeatable key given twice and lines
 * longer than the parser takes are errors naming the file and the line.
 * Returns 0, or 2 after printing the error.
 */
int cli_config_file(cli_config *c, const char *path, const char *by);

/*
 * The winning value of option name (its last one), or NULL when none was
 * given; *where (may be NULL) is then the variable that gave it, or NULL
 * for a flag.
 */
const char *cli_config_get(const cli_config *c, const char *name, const char **where);

/*
 * Applies the winning values to ctx through the setters, in table order.
 * Switches given as false in a file or variable are not applied. On the
 * first error it prints "droponaird: [where: ]message" (where is
 * "FILE:LINE" or the variable; nothing for a flag) and returns 2; else 0.
 */
int cli_config_apply(cli_config *c, void *ctx);

#endif
