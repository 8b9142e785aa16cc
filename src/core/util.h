/* Small helpers shared by every module: clocks, random ids, encodings. */
#ifndef DPA_CORE_UTIL_H
#define DPA_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in milliseconds since the epoch. */
int64_t now_ms(void);

/* Monotonic time in nanoseconds, for durations. */
uint64_t mono_ns(void);

/*
 * Writes prefix + base64url(nbytes from the CSPRNG) into out (NUL-ended).
 * Returns 0, or -1 when out is too small or the CSPRNG fails.
 */
int random_id(char *out, size_t outlen, const char *prefix, size_t nbytes);

/* base64url without padding. Returns the length written (out gets a NUL). */
size_t b64url_encode(const unsigned char *in, size_t len, char *out, size_t outlen);

/* Decodes base64url (padding optional). Returns length or -1 on bad input. */
long b64url_decode(const char *in, size_t len, unsigned char *out, size_t outlen);

/* SHA-256 of data as 64 lowercase hex characters plus NUL. */
void sha256_hex(const void *data, size_t len, char out[65]);

/*
 * The length (1..4) of the well-formed UTF-8 sequence at s[0..len): the
 * shortest form, no encoded surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF. Returns 0 when s does not start with one; *cp gets the code
 * point otherwise.
 */
size_t utf8_char_len(const unsigned char *s, size_t len, uint32_t *cp);

/* A user id: 1..128 bytes of printable ASCII. */
bool user_id_valid(const char *s, size_t len);

/* strdup that aborts on allocation failure (the process cannot go on). */
char *xstrdup(const char *s);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);

#endif
