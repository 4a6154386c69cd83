/* check.h: the tiny test harness of the unit tests.
 *
 * CHECK(cond, fmt, ...) records a failure with file:line and goes on;
 * CHECK_NEAR(a, b, tol) compares doubles; check_done() prints the closing
 * line "N passed, N failed" and returns the exit status. */
#ifndef LESDE_TESTS_CHECK_H
#define LESDE_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_pass_, check_fail_;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (cond) {                                                       \
            check_pass_++;                                                \
        } else {                                                          \
            check_fail_++;                                                \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,        \
                    __LINE__, #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                             \
    do {                                                                  \
        double ca_ = (a), cb_ = (b), ct_ = (tol);                         \
        CHECK(fabs(ca_ - cb_) <= ct_, "%s = %.12g, %s = %.12g, tol %.3g", \
              #a, ca_, #b, cb_, ct_);                                     \
    } while (0)

static inline int check_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_pass_, check_fail_);
    return check_fail_ ? 1 : 0;
}

#endif
