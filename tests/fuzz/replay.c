/*
 * The replay driver: without libFuzzer (gcc, the normal and ASan builds)
 * each target links this main(), which runs LLVMFuzzerTestOneInput over
 * every file named on the command line and every file in the directories
 * named there (sorted, dot-files skipped). A crash or a sanitizer report
 * fails the run, so corpora and saved crashes stay fixed under ctest.
 * A directory without any input is an error (a wrong path must not pass).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data;
    long n;

    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n + 1);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        fclose(f);
        free(data);
        return -1;
    }
    fclose(f);
    if (getenv("REPLAY_VERBOSE"))
        fprintf(stderr, "replay: %s (%ld bytes)\n", path, n);
    LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    return 0;
}

static int
not_hidden(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Runs every input of dir; returns how many, or -1. */
static int
run_dir(const char *dir)
{
    struct dirent **list;
    char path[4096];
    struct stat sb;
    int n = scandir(dir, &list, not_hidden, alphasort), i, done = 0;

    if (n < 0) {
        fprintf(stderr, "replay: cannot read directory %s\n", dir);
        return -1;
    }
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (run_file(path) < 0)
                done = -1;
            else if (done >= 0)
                done++;
        }
        free(list[i]);
    }
    free(list);
    return done;
}

int
main(int argc, char **argv)
{
    struct stat sb;
    int i, n, total = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++) {
        if (stat(argv[i], &sb) != 0) {
            fprintf(stderr, "replay: no such file or directory %s\n", argv[i]);
            return 1;
        }
        if (S_ISDIR(sb.st_mode)) {
            n = run_dir(argv[i]);
            if (n <= 0) {
                fprintf(stderr, "replay: %s: %s\n", argv[i], n < 0 ? "failed" : "no inputs");
                return 1;
            }
        } else {
            n = run_file(argv[i]) < 0 ? -1 : 1;
            if (n < 0)
                return 1;
        }
        printf("replay: %d inputs from %s\n", n, argv[i]);
        total += n;
    }
    printf("replay: %d inputs, all passed\n", total);
    return 0;
}
