/* libFuzzer target: the mean-logit CSV reader of lesde fit (le_csv_read),
 * through a memfd (it takes a path). The first byte chooses need_even. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "le/sample.h"

static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (fd < 0 && (fd = memfd_create("fuzz.csv", 0)) < 0)
        abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    double *t, *xbar;
    int C, K, p;
    lesde_err e = {0};
    if (le_csv_read(path, data[0] & 1, &t, &C, &xbar, &K, &p, &e) == LESDE_OK) {
        if (C < 1 || K < 1 || p < 1 || !t || !xbar)
            abort();
        for (int c = 1; c < C; c++)
            if (!(t[c] > t[c - 1]))
                abort(); /* checkpoints strictly increase */
        volatile double sum = 0;
        for (size_t i = 0; i < (size_t)C * K * p; i++) {
            if (!isfinite(xbar[i]))
                abort(); /* non-finite logits are refused */
            sum += xbar[i];
        }
        free(t);
        free(xbar);
    } else if (!e.msg[0] || strchr(e.msg, '\n')) {
        abort();
    }
    return 0;
}
