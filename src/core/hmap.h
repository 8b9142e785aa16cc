/*
 * A string-keyed hash map of pointers (chaining, power-of-two buckets,
 * grows at load 1). Keys are copied; values are the caller's.
 */
#ifndef DPA_CORE_HMAP_H
#define DPA_CORE_HMAP_H

#include <stddef.h>

typedef struct hmap hmap;

hmap *hmap_new(void);
/* Frees the map, not the values. */
void hmap_free(hmap *m);
void *hmap_get(const hmap *m, const char *key);
/* Sets key to value (replacing any); returns the old value or NULL. */
void *hmap_put(hmap *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *hmap_del(hmap *m, const char *key);
size_t hmap_count(const hmap *m);

/* Calls fn for each entry; fn must not change the map. */
void hmap_each(const hmap *m, void (*fn)(const char *key, void *value, void *arg), void *arg);

#endif
