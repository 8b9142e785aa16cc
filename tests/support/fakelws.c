/* The lws wrappers of fakelws.h: fake connections here, real ones to lws. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail.h"
#include "fakelws.h"

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
    free(f->line);
    f->line = NULL;
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

/* The value of header h on a fake connection, or NULL. */
static const char *
header(const fake_wsi *f, enum lws_token_indexes h)
{
    switch (h) {
    case WSI_TOKEN_HTTP_AUTHORIZATION: return f->authorization;
    case WSI_TOKEN_GET_URI: return f->uri;
    case WSI_TOKEN_HTTP_URI_ARGS: return f->query;
    case WSI_TOKEN_HTTP_IF_MATCH: return f->if_match;
    case WSI_TOKEN_ORIGIN: return f->origin;
    case WSI_TOKEN_HTTP_CONTENT_TYPE: return f->content_type;
    case WSI_TOKEN_HTTP_CONTENT_LENGTH: return f->content_length;
    case WSI_TOKEN_HTTP_TRANSFER_ENCODING: return f->transfer_encoding;
    case WSI_TOKEN_HTTP: return f->line ? "HTTP/1.1" : NULL;
    default: return NULL;
    }
}

WRAP(int, lws_hdr_total_length, (struct lws *wsi, enum lws_token_indexes h))
{
    fake_wsi *f = fake_of(wsi);
    const char *v;

    if (!f)
        return __real_lws_hdr_total_length(wsi, h);
    v = header(f, h);
    return v ? (int)strlen(v) : 0;
}

/* lws copies a header only when it fits with its NUL, else returns -1. */
WRAP(int, lws_hdr_copy, (struct lws *wsi, char *dest, int len, enum lws_token_indexes h))
{
    fake_wsi *f = fake_of(wsi);
    const char *v;
    size_t n;

    if (!f)
        return __real_lws_hdr_copy(wsi, dest, len, h);
    v = header(f, h);
    n = v ? strlen(v) : 0;
    if (len <= 0 || n >= (size_t)len)
        return -1;
    memcpy(dest, v ? v : "", n + 1);
    return (int)n;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Fragment frag_idx of f's query: lws keeps each '&'-separated argument
 * percent-decoded (so "%00" is a NUL inside it), copies one only when it
 * fits with its NUL, and returns -1 past the last.
 */
static int
fragment(const fake_wsi *f, char *dest, int len, int frag_idx)
{
    const char *p = f->query;
    size_t n, i, o = 0;
    int k;

    for (k = 0; p && k < frag_idx; k++) {
        p = strchr(p, '&');
        if (p)
            p++;
    }
    if (!p)
        return -1;
    n = strcspn(p, "&");
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (c == '%' && i + 2 < n + 1 && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
            c = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        }
        if (len <= 0 || o + 1 >= (size_t)len)
            return -1;
        dest[o++] = c;
    }
    if (len <= 0 || o >= (size_t)len)
        return -1;
    dest[o] = '\0';
    return (int)o;
}

WRAP(int, lws_hdr_copy_fragment, (struct lws *wsi, char *dest, int len,
                                  enum lws_token_indexes h, int frag_idx))
{
    fake_wsi *f = fake_of(wsi);

    if (!f)
        return __real_lws_hdr_copy_fragment(wsi, dest, len, h, frag_idx);
    return h == WSI_TOKEN_HTTP_URI_ARGS ? fragment(f, dest, len, frag_idx) : -1;
}

/*
 * lws 4.1 keeps the path NUL-ended, then (after one skipped byte) the
 * query's first argument, or else the HTTP version right after it.
 */
void
fake_http_request(fake_wsi *f, int method, const char *path, const char *query)
{
    size_t plen = strlen(path), qlen = query ? strlen(query) : 0;
    char *line = calloc(1, plen + qlen + 16);

    if (!line)
        fz_fail("fakelws: out of memory");
    memcpy(line, path, plen);
    f->query = query;
    if (query && fragment(f, line + plen + 2, (int)qlen + 1, 0) >= 0)
        line[plen + 1] = '?';
    else
        memcpy(line + plen + 1, "HTTP/1.1", 9);
    free(f->line);
    f->line = line;
    f->uri = line;
    f->method = method;
}

WRAP(int, lws_http_get_uri_and_method, (struct lws *wsi, char **puri_ptr, int *puri_len))
{
    fake_wsi *f = fake_of(wsi);

    if (!f)
        return __real_lws_http_get_uri_and_method(wsi, puri_ptr, puri_len);
    if (!f->line)
        return -1;
    *puri_ptr = f->line;
    *puri_len = (int)strlen(f->line);
    return f->method;
}

static const char *
custom_header(const fake_wsi *f, const char *name, int nlen)
{
    if (nlen == 16 && strncmp(name, "idempotency-key:", 16) == 0)
        return f->idempotency_key;
    return NULL;
}

WRAP(int, lws_hdr_custom_length, (struct lws *wsi, const char *name, int nlen))
{
    fake_wsi *f = fake_of(wsi);
    const char *v;

    if (!f)
        return __real_lws_hdr_custom_length(wsi, name, nlen);
    v = custom_header(f, name, nlen);
    return v ? (int)strlen(v) : -1;
}

WRAP(int, lws_hdr_custom_copy, (struct lws *wsi, char *dst, int len, const char *name,
                                int nlen))
{
    fake_wsi *f = fake_of(wsi);
    const char *v;
    size_t n;

    if (!f)
        return __real_lws_hdr_custom_copy(wsi, dst, len, name, nlen);
    v = custom_header(f, name, nlen);
    n = v ? strlen(v) : 0;
    if (!v || len <= 0 || n >= (size_t)len)
        return -1;
    memcpy(dst, v, n + 1);
    return (int)n;
}

/* ---- the reply's header block, written as lws writes it for HTTP/1.1 ---- */

static int
put_text(unsigned char **p, unsigned char *end, const char *text, size_t n)
{
    if (n > (size_t)(end - *p))
        return 1;
    memcpy(*p, text, n);
    *p += n;
    return 0;
}

WRAP(int, lws_add_http_common_headers, (struct lws *wsi, unsigned int code,
                                        const char *content_type, lws_filepos_t content_len,
                                        unsigned char **p, unsigned char *end))
{
    char text[512];
    int n;

    if (!fake_of(wsi))
        return __real_lws_add_http_common_headers(wsi, code, content_type, content_len, p, end);
    n = snprintf(text, sizeof(text), "HTTP/1.1 %u\r\ncontent-type: %s\r\ncontent-length: %llu\r\n",
                 code, content_type, (unsigned long long)content_len);
    return put_text(p, end, text, (size_t)n);
}

WRAP(int, lws_add_http_header_by_name, (struct lws *wsi, const unsigned char *name,
                                        const unsigned char *value, int length,
                                        unsigned char **p, unsigned char *end))
{
    size_t nlen = strlen((const char *)name);

    if (!fake_of(wsi))
        return __real_lws_add_http_header_by_name(wsi, name, value, length, p, end);
    return put_text(p, end, (const char *)name, nlen) || put_text(p, end, " ", 1) ||
           put_text(p, end, (const char *)value, (size_t)length) || put_text(p, end, "\r\n", 2);
}

WRAP(int, lws_finalize_http_header, (struct lws *wsi, unsigned char **p, unsigned char *end))
{
    if (!fake_of(wsi))
        return __real_lws_finalize_http_header(wsi, p, end);
    return put_text(p, end, "\r\n", 2);
}

WRAP(int, lws_http_transaction_completed, (struct lws *wsi))
{
    fake_wsi *f = fake_of(wsi);

    if (!f)
        return __real_lws_http_transaction_completed(wsi);
    f->completed = true;
    return 0; /* keep-alive: the connection stays for the next request */
}
