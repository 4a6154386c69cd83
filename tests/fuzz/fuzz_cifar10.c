/* libFuzzer target: the CIFAR-10 loader (data_cifar10). The first byte
 * chooses K (1..10), the second per_class (1..4) and the seed; the rest is
 * written as test_batch.bin in a private directory and loaded as the test
 * split. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/data.h"

static char dir[64], path[128];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/lesde-fuzz-cifar.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/test_batch.bin", dir);
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size > 2 && fwrite(data + 2, 1, size - 2, f) != size - 2)
        abort();
    fclose(f);
    int k = 1 + data[0] % 10, per_class = 1 + data[1] % 4;
    data_set ds;
    lesde_err e = {0};
    int rc = data_cifar10(&ds, dir, DATA_SPLIT_TEST, k, NULL, per_class, data[1] >> 2, 2, &e);
    if (rc == LESDE_OK) {
        if (ds.n != k * per_class || ds.c != 3)
            abort();
        for (int i = 0; i < ds.n; i++)
            if (ds.label[i] < 0 || ds.label[i] >= k)
                abort();
        data_free(&ds);
    } else if (!e.msg[0] || ds.x) {
        abort();
    }
    return 0;
}
