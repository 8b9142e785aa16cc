#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/util.h"
#include "server/request.h"

/*
 * The longest value lws keeps of one header; the rest of it is skipped and
 * the request still completes, so hdr_copy() reports it too long and the
 * client gets an answer instead of a closed connection. Above every buffer
 * the server reads a header into (the largest is Authorization's).
 */
#define HEADER_VALUE_MAX (TOKEN_MAX + 256)

const struct lws_token_limits *
request_token_limits(void)
{
    static struct lws_token_limits limits;
    int i;

    if (!limits.token_limit[WSI_TOKEN_HOST]) {
        for (i = 0; i < WSI_TOKEN_COUNT; i++)
            limits.token_limit[i] = HEADER_VALUE_MAX;
        /*
         * Never the request line: a cut path would be routed. Those are
         * bounded by the whole buffer; past it lws closes the connection.
         */
        limits.token_limit[WSI_TOKEN_GET_URI] = 0;
        limits.token_limit[WSI_TOKEN_POST_URI] = 0;
        limits.token_limit[WSI_TOKEN_OPTIONS_URI] = 0;
        limits.token_limit[WSI_TOKEN_PUT_URI] = 0;
        limits.token_limit[WSI_TOKEN_PATCH_URI] = 0;
        limits.token_limit[WSI_TOKEN_DELETE_URI] = 0;
        limits.token_limit[WSI_TOKEN_CONNECT] = 0;
        limits.token_limit[WSI_TOKEN_HEAD_URI] = 0;
        limits.token_limit[WSI_TOKEN_HTTP_URI_ARGS] = 0;
        limits.token_limit[WSI_TOKEN_HTTP] = 0;
    }
    return &limits;
}

/* A copy of n bytes whose C length differs from n held a NUL byte. */
static int
checked(char *dst, int n)
{
    if (strlen(dst) != (size_t)n) {
        dst[0] = '\0';
        return HDR_BAD;
    }
    return HDR_OK;
}

int
hdr_copy(struct lws *wsi, enum lws_token_indexes h, char *dst, size_t size)
{
    int n = lws_hdr_total_length(wsi, h);

    dst[0] = '\0';
    if (n <= 0)
        return HDR_ABSENT;
    if ((size_t)n >= size || n >= HEADER_VALUE_MAX || lws_hdr_copy(wsi, dst, (int)size, h) != n) {
        dst[0] = '\0';
        return HDR_TOO_LONG;
    }
    return checked(dst, n);
}

int
hdr_copy_custom(struct lws *wsi, const char *name, char *dst, size_t size)
{
    int nlen = (int)strlen(name);
    int n = lws_hdr_custom_length(wsi, name, nlen);

    dst[0] = '\0';
    if (n <= 0)
        return HDR_ABSENT;
    if ((size_t)n >= size || lws_hdr_custom_copy(wsi, dst, (int)size, name, nlen) != n) {
        dst[0] = '\0';
        return HDR_TOO_LONG;
    }
    return checked(dst, n);
}

int
query_copy(struct lws *wsi, const char *name, char *dst, size_t size)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS), n, i, rc = HDR_ABSENT;
    size_t nlen = strlen(name);
    char *frag;

    dst[0] = '\0';
    if (total <= 0)
        return HDR_ABSENT;
    /* Each "a=b" is one fragment of lws's query; none is longer than the whole. */
    frag = xmalloc((size_t)total + 1);
    for (i = 0; (n = lws_hdr_copy_fragment(wsi, frag, total + 1, WSI_TOKEN_HTTP_URI_ARGS,
                                           i)) >= 0; i++) {
        if ((size_t)n <= nlen || strncmp(frag, name, nlen) != 0 || frag[nlen] != '=')
            continue;
        if (strlen(frag) != (size_t)n)
            rc = HDR_BAD;
        else if ((size_t)n - nlen - 1 >= size)
            rc = HDR_TOO_LONG;
        else {
            memcpy(dst, frag + nlen + 1, (size_t)n - nlen);
            rc = HDR_OK; /* "name=" is present and empty */
        }
        break;
    }
    free(frag);
    return rc;
}
