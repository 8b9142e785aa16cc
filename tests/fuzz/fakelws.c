/* The lws wrappers of fakelws.h: fake connections here, real ones to lws. */
#include <string.h>

#include "fakelws.h"
#include "fuzz.h"

#define FAKES_MAX 32

static fake_wsi *fakes[FAKES_MAX];
static struct lws_context *fake_ctx;

void
fake_register(fake_wsi *f)
{
    int i;

    for (i = 0; i < FAKES_MAX; i++) {
        if (!fakes[i]) {
            fakes[i] = f;
            return;
        }
    }
    fz_fail("fakelws: more than %d fake connections", FAKES_MAX);
}

void
fake_unregister(fake_wsi *f)
{
    int i;

    for (i = 0; i < FAKES_MAX; i++)
        if (fakes[i] == f)
            fakes[i] = NULL;
}

struct lws *
fake_lws(fake_wsi *f)
{
    return (struct lws *)(void *)&f->tag;
}

fake_wsi *
fake_of(const struct lws *wsi)
{
    int i;

    for (i = 0; wsi && i < FAKES_MAX; i++)
        if (fakes[i] && (const void *)&fakes[i]->tag == (const void *)wsi)
            return fakes[i];
    return NULL;
}

void
fake_set_context(struct lws_context *ctx)
{
    fake_ctx = ctx;
}

/* ---- the wrappers (-Wl,--wrap=NAME sends our calls of NAME to __wrap_NAME) ---- */

#define WRAP(ret, name, params) \
    ret __real_##name params;   \
    ret __wrap_##name params;   \
    ret __wrap_##name params

WRAP(struct lws_context *, lws_get_context, (const struct lws *wsi))
{
    return fake_of(wsi) ? fake_ctx : __real_lws_get_context(wsi);
}

WRAP(void *, lws_wsi_user, (struct lws *wsi))
{
    fake_wsi *f = fake_of(wsi);
    return f ? f->user : __real_lws_wsi_user(wsi);
}

WRAP(int, lws_callback_on_writable, (struct lws *wsi))
{
    fake_wsi *f = fake_of(wsi);

    if (!f)
        return __real_lws_callback_on_writable(wsi);
    f->writable = true;
    return 1;
}

WRAP(void, lws_set_timeout, (struct lws *wsi, enum pending_timeout reason, int secs))
{
    fake_wsi *f = fake_of(wsi);

    if (!f) {
        __real_lws_set_timeout(wsi, reason, secs);
        return;
    }
    if (secs == LWS_TO_KILL_ASYNC || secs == LWS_TO_KILL_SYNC)
        f->kill = true;
    else
        f->timeout = secs ? (int)reason : 0;
}

WRAP(int, lws_write, (struct lws *wsi, unsigned char *buf, size_t len,
                      enum lws_write_protocol protocol))
{
    fake_wsi *f = fake_of(wsi);

    if (!f)
        return __real_lws_write(wsi, buf, len, protocol);
    return f->on_write ? f->on_write(f, buf, len, (int)protocol) : (int)len;
}

WRAP(int, lws_return_http_status, (struct lws *wsi, unsigned int code, const char *html_body))
{
    fake_wsi *f = fake_of(wsi);

    if (!f)
        return __real_lws_return_http_status(wsi, code, html_body);
    f->kill = true; /* the upgrade is refused; the caller returns -1 */
    return 0;
}

WRAP(int, lws_is_first_fragment, (struct lws *wsi))
{
    fake_wsi *f = fake_of(wsi);
    return f ? f->first : __real_lws_is_first_fragment(wsi);
}

WRAP(int, lws_is_final_fragment, (struct lws *wsi))
{
    fake_wsi *f = fake_of(wsi);
    return f ? f->final : __real_lws_is_final_fragment(wsi);
}

WRAP(int, lws_frame_is_binary, (struct lws *wsi))
{
    fake_wsi *f = fake_of(wsi);
    return f ? f->binary : __real_lws_frame_is_binary(wsi);
}

WRAP(int, lws_hdr_total_length, (struct lws *wsi, enum lws_token_indexes h))
{
    fake_wsi *f = fake_of(wsi);

    if (!f)
        return __real_lws_hdr_total_length(wsi, h);
    return h == WSI_TOKEN_HTTP_AUTHORIZATION && f->authorization ? (int)strlen(f->authorization)
                                                                  : 0;
}

/* lws copies a header only when it fits with its NUL, else returns -1. */
WRAP(int, lws_hdr_copy, (struct lws *wsi, char *dest, int len, enum lws_token_indexes h))
{
    fake_wsi *f = fake_of(wsi);
    const char *v;
    size_t n;

    if (!f)
        return __real_lws_hdr_copy(wsi, dest, len, h);
    v = h == WSI_TOKEN_HTTP_AUTHORIZATION && f->authorization ? f->authorization : "";
    n = strlen(v);
    if (len <= 0 || n >= (size_t)len)
        return -1;
    memcpy(dest, v, n + 1);
    return (int)n;
}

/*
 * lws 4.1's lws_get_urlarg_by_name: walks the query's '&'-separated
 * arguments, copying each into buf; it gives up (NULL) at the first one that
 * does not fit, and returns buf + strlen(name) for the first that starts
 * with name.
 */
WRAP(const char *, lws_get_urlarg_by_name, (struct lws *wsi, const char *name, char *buf,
                                            int len))
{
    fake_wsi *f = fake_of(wsi);
    const char *p;
    size_t sl = strlen(name);

    if (!f)
        return __real_lws_get_urlarg_by_name(wsi, name, buf, len);
    for (p = f->query; p && *p;) {
        size_t n = strcspn(p, "&");
        if (len <= 0 || n >= (size_t)len)
            return NULL;
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (strncmp(buf, name, sl) == 0)
            return buf + sl;
        p += n;
        if (*p == '&')
            p++;
    }
    return NULL;
}
