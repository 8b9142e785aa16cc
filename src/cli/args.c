#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/util.h"

int
parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(s, ':');
    const char *p = colon ? colon + 1 : s;
    char *end;
    long n = strtol(p, &end, 10);

    if (!*p || *end || n < 0 || n > 65535)
        return -1;
    *port = (int)n;
    if (colon && colon != s) {
        size_t len = (size_t)(colon - s);
        if (s[0] == '[' && colon[-1] == ']') { /* [::1]:8080 */
            s++;
            len -= 2;
        }
        if (len >= hostlen)
            return -1;
        memcpy(host, s, len);
        host[len] = '\0';
    }
    return 0;
}

int
read_secret_file(const char *path, char *out, size_t len, const char **why)
{
    char buf[1024];
    struct stat st;
    size_t n;
    const char *nl;
    FILE *f;
    int err;

    *why = NULL;
    if (stat(path, &st) != 0)
        *why = errno == ENOENT ? "file does not exist" : "file cannot be read";
    else if (!S_ISREG(st.st_mode))
        *why = "is not a regular file";
    else if (!(f = fopen(path, "r")))
        *why = "file cannot be read";
    if (*why)
        return -1;
    n = fread(buf, 1, sizeof(buf), f);
    err = ferror(f);
    fclose(f);
    if ((nl = memchr(buf, '\n', n)))
        n = (size_t)(nl - buf);
    if (n && buf[n - 1] == '\r')
        n--;
    if (err)
        *why = "file cannot be read";
    else if (n == 0)
        *why = "is empty";
    else if (n >= len || n >= sizeof(buf) - 1)
        *why = "is too long";
    else if (memchr(buf, '\0', n))
        *why = "must be one line of text";
    if (!*why) {
        memcpy(out, buf, n);
        out[n] = '\0';
    }
    explicit_bzero(buf, sizeof(buf));
    return *why ? -1 : 0;
}

store *
cli_open_store(const char *url)
{
    char err[STORE_ERR_MAX];
    store *s = NULL;

    if (store_open(url, &s, err, sizeof(err)) != E_OK) {
        fprintf(stderr, "droponaird: %s\n", err);
        return NULL;
    }
    return s;
}

int
cli_load_plans(plan_set *plans, const char *file)
{
    char err[256];

    plans_builtin(plans);
    if (file && plans_load_file(plans, file, err, sizeof(err)) != E_OK) {
        fprintf(stderr, "droponaird: %s\n", err);
        return -1;
    }
    return 0;
}

int
cli_new_key(store *s, const char *app_id, char *kid, size_t kidlen, char *secret,
            size_t secretlen)
{
    if (random_id(kid, kidlen, "key_", 12) || random_id(secret, secretlen, "", 32)) {
        fprintf(stderr, "droponaird: no randomness available\n");
        return -1;
    }
    if (store_key_insert(s, kid, app_id, secret, now_ms()) != E_OK) {
        fprintf(stderr, "droponaird: cannot store the key: %s\n", store_errmsg(s));
        return -1;
    }
    return 0;
}
