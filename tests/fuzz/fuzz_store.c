/* libFuzzer target: opening a store. The input is written to a file and
 * read as lesde status and report read it: the spec text and hash
 * (store_read_spec, store_load_spec), the root attributes, then the status,
 * a curve, a summary and the messages of the spec's first study (or of
 * study "train" when the spec does not parse). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/spec.h"
#include "store/store.h"

static char path[64];

static void cleanup(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) {
        snprintf(path, sizeof path, "%s/lesde-fuzz-store.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        int fd = mkstemp(path);
        if (fd < 0)
            abort();
        close(fd);
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);

    lesde_err e = {0};
    char *text = NULL, hash[17];
    if (store_read_spec(path, &text, hash, &e) != LESDE_OK) {
        if (!e.msg[0] || text)
            abort();
        return 0;
    }
    char study[SPEC_NAME_MAX] = "train";
    spec s;
    if (spec_parse(&s, text, path, NULL, 0, &e) == LESDE_OK) {
        snprintf(study, sizeof study, "%s", s.studies[0].name);
        spec_free(&s);
    }
    free(text);
    if (store_load_spec(path, &s, &e) == LESDE_OK)
        spec_free(&s);
    store_attr *attrs;
    int n;
    if (store_read_attrs(path, &attrs, &n, &e) == LESDE_OK)
        store_attrs_free(attrs, n);
    const char *names[] = {"status", "val_acc", "summary/mean/val_acc"};
    for (int i = 0; i < 3; i++) {
        store_array a;
        if (store_read_array(path, study, names[i], &a, &e) == LESDE_OK) {
            volatile double sum = 0;
            for (long j = 0; j < a.size; j++)
                sum += a.data[j];
            store_array_free(&a);
        }
    }
    char *msgs = NULL;
    long nm = 0;
    store_read_messages(path, study, &msgs, &nm, &e);
    free(msgs);
    return 0;
}
