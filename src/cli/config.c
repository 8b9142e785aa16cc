/*
 * Options from the command line, the environment and a config file, with
 * that precedence (config.h). The file is INI read by libinih: `key =
 * value` lines, `#` or `;` comments, no sections.
 */
#include "cli/config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>

#include "core/util.h"

#define ENV_PREFIX "DROPONAIR_"
#define ERR_MAX 512

/* Where values come from, weakest first. */
enum { SRC_NONE, SRC_FILE, SRC_ENV, SRC_FLAG };

typedef struct value {
    int opt;          /* the option it was given for */
    char *text;       /* a copy; NULL for a switch given as a flag */
    char *where;      /* "FILE:LINE" or the variable; NULL for a flag */
} value;

/* The values of an option (and of the options that are the same_as it). */
typedef struct place {
    int source;       /* the strongest place heard from so far */
    value *v;
    int n, cap;
} place;

struct cli_config {
    const cli_option *opts;
    int n;
    int *slot;        /* opts[i]'s place */
    place *places;
};

static int
find(const cli_config *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->opts[i].name, name) == 0)
            return i;
    return -1;
}

cli_config *
cli_config_new(const cli_option *opts, int n)
{
    cli_config *c = xcalloc(1, sizeof(*c));

    c->opts = opts;
    c->n = n;
    c->slot = xcalloc((size_t)n, sizeof(int));
    c->places = xcalloc((size_t)n, sizeof(place));
    for (int i = 0; i < n; i++) {
        int j = opts[i].same_as ? find(c, opts[i].same_as) : i;
        if (j < 0)
            abort(); /* a programming error: same_as names no option */
        c->slot[i] = j;
    }
    return c;
}

static void
clear(const cli_config *c, place *p)
{
    for (int k = 0; k < p->n; k++) {
        if (p->v[k].text && (c->opts[p->v[k].opt].flags & OPT_SECRET))
            explicit_bzero(p->v[k].text, strlen(p->v[k].text));
        free(p->v[k].text);
        free(p->v[k].where);
    }
    p->n = 0;
}

void
cli_config_free(cli_config *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        clear(c, &c->places[i]);
        free(c->places[i].v);
    }
    free(c->places);
    free(c->slot);
    free(c);
}

/*
 * Adds a value of option i from source. A stronger place already heard
 * from wins (the value is dropped); a weaker one is forgotten. In a file
 * or the environment an option that is not repeatable may be given once.
 * Takes nothing: text and where are copied. Returns 0, or -1 with err.
 */
static int
add(cli_config *c, int i, int source, const char *text, const char *where, char *err,
    size_t len)
{
    place *p = &c->places[c->slot[i]];
    value *v;

    if (p->source > source)
        return 0;
    if (p->source < source) {
        clear(c, p);
        p->source = source;
    } else if (source != SRC_FLAG && !(c->opts[i].flags & OPT_REPEAT) && p->n) {
        snprintf(err, len, "\"%s\" is already set at %s", c->opts[i].name, p->v[0].where);
        return -1;
    }
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->v = xrealloc(p->v, (size_t)p->cap * sizeof(value));
    }
    v = &p->v[p->n++];
    v->opt = i;
    v->text = text ? xstrdup(text) : NULL;
    v->where = where ? xstrdup(where) : NULL;
    return 0;
}

/*
 * Adds what a file or variable gives: a repeatable option's list (commas
 * or spaces between the items; empty: none, which still overrides a
 * weaker place), else the value as it is.
 */
static int
add_text(cli_config *c, int i, int source, const char *text, const char *where, char *err,
         size_t len)
{
    place *p = &c->places[c->slot[i]];
    const char *s = text;

    if (!(c->opts[i].flags & OPT_REPEAT))
        return add(c, i, source, text, where, err, len);
    if (p->source < source) {
        clear(c, p);
        p->source = source;
    }
    for (;;) {
        char item[1024];
        size_t n;

        s += strspn(s, ", \t");
        if (!*s)
            return 0;
        n = strcspn(s, ", \t");
        if (n >= sizeof(item)) {
            snprintf(err, len, "\"%s\": an item is longer than %zu bytes", c->opts[i].name,
                     sizeof(item) - 1);
            return -1;
        }
        memcpy(item, s, n);
        item[n] = '\0';
        if (add(c, i, source, item, where, err, len))
            return -1;
        s += n;
    }
}

/* ---- the command line ---- */

int
cli_config_argv(cli_config *c, int argc, char **argv)
{
    struct option *lo = xcalloc((size_t)c->n + 1, sizeof(*lo));
    char err[ERR_MAX];
    int ch, rc = 0;

    for (int i = 0; i < c->n; i++) {
        lo[i].name = c->opts[i].name;
        lo[i].has_arg = (c->opts[i].flags & OPT_VALUE) ? required_argument : no_argument;
        lo[i].val = 1000 + i;
    }
    optind = 1;
    while (rc == 0 && (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        int i = ch == 'h' ? find(c, "help") : ch - 1000;

        if (i < 0 || i >= c->n) {
            rc = 3; /* getopt_long said what */
        } else if (strcmp(c->opts[i].name, "help") == 0) {
            rc = 1;
        } else {
            if (add(c, i, SRC_FLAG, (c->opts[i].flags & OPT_VALUE) ? optarg : NULL, NULL, err,
                    sizeof(err)))
                abort(); /* flags are never refused here */
            /* Out of `ps` from now on: the process's argv is what it shows. */
            if (c->opts[i].flags & OPT_SECRET)
                memset(optarg, 'x', strlen(optarg));
        }
    }
    if (rc == 0 && optind < argc) {
        fprintf(stderr, "droponaird: unexpected argument \"%s\"\n", argv[optind]);
        rc = 2;
    }
    free(lo);
    return rc;
}

/* ---- the environment ---- */

/* DROPONAIR_ and the name in capitals, '-' as '_'. */
static void
env_name(const char *name, char *out, size_t len)
{
    size_t k = (size_t)snprintf(out, len, "%s", ENV_PREFIX);

    for (; *name && k + 1 < len; name++)
        out[k++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
    out[k] = '\0';
}

int
cli_config_env(cli_config *c, char **envp)
{
    char err[ERR_MAX], name[128];

    for (; envp && *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        size_t n = eq ? (size_t)(eq - *envp) : 0;
        int i;

        if (!eq || strncmp(*envp, ENV_PREFIX, strlen(ENV_PREFIX)) != 0)
            continue;
        for (i = 0; i < c->n; i++) {
            env_name(c->opts[i].name, name, sizeof(name));
            if (strlen(name) == n && memcmp(name, *envp, n) == 0 &&
                !(c->opts[i].flags & OPT_CLI_ONLY))
                break;
        }
        if (i == c->n) {
            char flag[128];
            size_t k, m = n - strlen(ENV_PREFIX);

            for (k = 0; k < m && k + 1 < sizeof(flag); k++) {
                char ch = (*envp)[strlen(ENV_PREFIX) + k];
                flag[k] = ch == '_' ? '-' : (char)tolower((unsigned char)ch);
            }
            flag[k] = '\0';
            fprintf(stderr, "droponaird: %.*s: unknown variable (serve has no option --%s)\n",
                    (int)n, *envp, flag);
            return 2;
        }
        if (add_text(c, i, SRC_ENV, eq + 1, name, err, sizeof(err))) {
            fprintf(stderr, "droponaird: %s: %s\n", name, err);
            return 2;
        }
        /* Out of /proc/PID/environ from now on. */
        if (c->opts[i].flags & OPT_SECRET)
            memset((char *)eq + 1, 'x', strlen(eq + 1));
    }
    return 0;
}

/* ---- the config file ---- */

typedef struct file_read {
    cli_config *c;
    FILE *f;
    const char *path;
    int line;             /* the line being read (1-based) */
    bool at_line_start;
    int long_line;        /* the first line the parser cut, or 0 */
    int max_line;         /* what the parser takes, newline included */
    int err_line;         /* the first key refused, or 0 */
    char err[ERR_MAX];
} file_read;

/* libinih's fgets: counts lines and notes one longer than its buffer (it would cut it). */
static char *
read_chunk(char *str, int num, void *stream)
{
    file_read *fr = stream;
    char *r;
    size_t n;

    if (fr->at_line_start)
        fr->line++;
    r = fgets(str, num, fr->f);
    if (!r)
        return NULL;
    n = strlen(r);
    fr->at_line_start = n > 0 && r[n - 1] == '\n';
    if (!fr->at_line_start && n == (size_t)num - 1 && !fr->long_line) {
        int next = getc(fr->f);
        if (next != EOF) {
            ungetc(next, fr->f);
            fr->long_line = fr->line;
            fr->max_line = num - 1;
        }
    }
    return r;
}

static int
on_key(void *user, const char *section, const char *key, const char *val)
{
    file_read *fr = user;
    char where[1100];
    int i;

    if (fr->err_line)
        return 1; /* the first error is the one reported */
    i = find(fr->c, key);
    if (section[0])
        snprintf(fr->err, sizeof(fr->err),
                 "[%s]: sections are not used (keys go at the top level)", section);
    else if (i < 0 || (fr->c->opts[i].flags & (OPT_CLI_ONLY | OPT_NO_FILE)))
        snprintf(fr->err, sizeof(fr->err), "unknown key \"%s\"%s", key,
                 i >= 0 ? " (only on the command line or in the environment)" : "");
    else {
        snprintf(where, sizeof(where), "%s:%d", fr->path, fr->line);
        if (add_text(fr->c, i, SRC_FILE, val, where, fr->err, sizeof(fr->err)) == 0)
            return 1;
    }
    fr->err_line = fr->line;
    return 0;
}

int
cli_config_file(cli_config *c, const char *path, const char *by)
{
    file_read fr = {.c = c, .path = path, .at_line_start = true};
    const char *why = NULL;
    struct stat st;
    int rc, first;

    if (stat(path, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (!(fr.f = fopen(path, "r")))
        why = strerror(errno);
    if (why) {
        fprintf(stderr, "droponaird: %s %s: %s\n", by, path, why);
        return 2;
    }
    rc = ini_parse_stream(read_chunk, &fr, on_key, &fr);
    if (ferror(fr.f)) {
        fprintf(stderr, "droponaird: %s %s: %s\n", by, path, strerror(errno));
        fclose(fr.f);
        return 2;
    }
    fclose(fr.f);
    if (rc == -2) {
        fprintf(stderr, "droponaird: %s: out of memory\n", path);
        return 2;
    }
    /* The first of: a key refused, a line not `key = value`, a line cut short. */
    first = fr.err_line;
    if (rc > 0 && (!first || rc < first))
        first = rc;
    if (fr.long_line && (!first || fr.long_line <= first)) {
        fprintf(stderr, "droponaird: %s:%d: the line is longer than %d bytes\n", path,
                fr.long_line, fr.max_line - 1);
        return 2;
    }
    if (first && first == fr.err_line) {
        fprintf(stderr, "droponaird: %s:%d: %s\n", path, first, fr.err);
        return 2;
    }
    if (first) {
        fprintf(stderr, "droponaird: %s:%d: not a \"key = value\" line\n", path, first);
        return 2;
    }
    return 0;
}

/* ---- the result ---- */

const char *
cli_config_get(const cli_config *c, const char *name, const char **where)
{
    int i = find(c, name);
    const place *p;

    if (i < 0)
        return NULL;
    p = &c->places[c->slot[i]];
    for (int k = p->n - 1; k >= 0; k--)
        if (p->v[k].opt == i) {
            if (where)
                *where = p->v[k].where;
            return p->v[k].text;
        }
    return NULL;
}

/* A switch's value in a file or variable: 1 on, 0 off, -1 neither. */
static int
parse_switch(const char *s)
{
    static const char *const on[] = {"true", "yes", "on", "1"};
    static const char *const off[] = {"false", "no", "off", "0"};

    for (size_t k = 0; k < sizeof(on) / sizeof(on[0]); k++) {
        if (strcasecmp(s, on[k]) == 0)
            return 1;
        if (strcasecmp(s, off[k]) == 0)
            return 0;
    }
    return -1;
}

static int
apply_one(cli_config *c, const value *v, void *ctx)
{
    const cli_option *o = &c->opts[v->opt];
    char err[ERR_MAX] = "";
    const char *text = v->text;

    if (!o->set)
        return 0;
    if (!(o->flags & OPT_VALUE) && text) {
        int on = parse_switch(text);
        if (on < 0) {
            fprintf(stderr, "droponaird: %s: %s must be true or false (yes/no, on/off, 1/0)\n",
                    v->where, o->name);
            return 2;
        }
        if (!on)
            return 0;
        text = NULL;
    }
    if (o->set(ctx, o, text, err, sizeof(err)) == 0)
        return 0;
    if (v->where)
        fprintf(stderr, "droponaird: %s: %s\n", v->where, err);
    else
        fprintf(stderr, "droponaird: %s\n", err);
    return 2;
}

int
cli_config_apply(cli_config *c, void *ctx)
{
    for (int i = 0; i < c->n; i++) {
        const place *p = &c->places[i];

        for (int k = 0; k < p->n; k++)
            if (apply_one(c, &p->v[k], ctx))
                return 2;
    }
    return 0;
}
