/*
 * How the shared test support (the socketless server, the fake
 * connections) reports a broken invariant. Each program that links the
 * support defines it: the fuzz targets abort (a finding like a crash, in
 * tests/fuzz/common.c), the unit tests fail the running cmocka test
 * (tests/unit/support_cmocka.c).
 */
#ifndef DPA_TESTS_SUPPORT_FAIL_H
#define DPA_TESTS_SUPPORT_FAIL_H

void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
