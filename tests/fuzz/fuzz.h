/* What every fuzz target shares: its entry point and how it reports a broken invariant. */
#ifndef DPA_FUZZ_FUZZ_H
#define DPA_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "fail.h" /* fz_fail(): aborts, a broken invariant is a finding like a crash */

/* The target's entry point (libFuzzer's, or the replay driver's). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
