/* droponaird: one binary, subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
usage(FILE *f)
{
    fprintf(f,
            "droponaird %s: the droponair room service\n\n"
            "usage: droponaird <command> [options]\n\n"
            "commands:\n"
            "  serve     run the server (REST + WebSocket on one port)\n"
            "  app       manage apps and their signing keys (create, list, rotate-key,\n"
            "            remove-key, set-plan)\n"
            "  token     mint a signed token for a user of an app\n"
            "  version   print the version\n\n"
            "Run 'droponaird <command> --help' for a command's options.\n",
            DPA_VERSION);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(argv[1], "app") == 0)
        return cmd_app(argc - 1, argv + 1);
    if (strcmp(argv[1], "token") == 0)
        return cmd_token(argc - 1, argv + 1);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("droponaird %s\n", DPA_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "droponaird: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
}
