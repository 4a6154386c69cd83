/* CIFAR-10 loader for the dataset's official binary version.
 *
 * data_batch_1.bin .. data_batch_5.bin (training split) and test_batch.bin
 * (test split), each a sequence of 3073-byte records: one label byte, then
 * the 32x32 R, G and B planes row-major, which is already [c][h][w]. Labels
 * are read in a first pass, the chosen records in a second, so only the
 * samples asked for are held in memory. lesde never downloads the data. */
#include "data/data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/internal.h"

#define CF_PIX (3 * DATA_SIDE * DATA_SIDE)
#define CF_REC (1 + CF_PIX)
#define CF_MAX_FILES 5
#define CF_SUBDIR "cifar-10-batches-bin" /* what the archive unpacks to */
#define CF_CHUNK 1024                    /* records per read in the label pass */

static const char *const train_files[CF_MAX_FILES] = {
    "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
    "data_batch_5.bin"};
static const char *const test_files[1] = {"test_batch.bin"};

static void join(char *out, size_t size, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    snprintf(out, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The files of a split: in dir, or in the folder cifar-10-batches-bin/
 * inside it (the unpacked archive) when dir has no data_batch_1.bin. */
static int cf_paths(const char *dir, data_split split, char *base, size_t bsize, char path[][4300])
{
    const char *const *names = split == DATA_SPLIT_TEST ? test_files : train_files;
    int nf = split == DATA_SPLIT_TEST ? 1 : CF_MAX_FILES;
    snprintf(base, bsize, "%s", dir);
    join(path[0], sizeof path[0], dir, names[0]);
    if (!exists(path[0])) {
        char sub[4200];
        join(sub, sizeof sub, dir, CF_SUBDIR);
        join(path[0], sizeof path[0], sub, names[0]);
        if (exists(path[0]))
            snprintf(base, bsize, "%s", sub);
    }
    for (int f = 0; f < nf; f++)
        join(path[f], sizeof path[f], base, names[f]);
    return nf;
}

int data_cifar10_check(const char *dir, lesde_err *e)
{
    if (!dir || !*dir)
        dir = data_default_dir(DATA_CIFAR10);
    char base[4200], path[CF_MAX_FILES][4300];
    for (int split = 0; split < 2; split++) {
        int nf = cf_paths(dir, (data_split)split, base, sizeof base, path);
        for (int f = 0; f < nf; f++)
            if (data_file_readable(path[f], "cifar10 (the binary version)", e))
                return e ? e->code : LESDE_USAGE;
    }
    return LESDE_OK;
}

int data_cifar10(data_set *ds, const char *dir, data_split split, int k, const int *class_ids,
                 int per_class, uint64_t seed, int purpose, lesde_err *e)
{
    memset(ds, 0, sizeof *ds);
    int rc = data_check_classes("cifar10", k, class_ids, DATA_MAX_K, per_class, e);
    if (rc)
        return rc;
    if (!dir || !*dir)
        dir = data_default_dir(DATA_CIFAR10);
    char base[4200], path[CF_MAX_FILES][4300];
    int nf = cf_paths(dir, split, base, sizeof base, path);

    FILE *fp[CF_MAX_FILES] = {0};
    long first[CF_MAX_FILES + 1] = {0}; /* global index of each file's first record */
    unsigned char *labels = NULL, *chunk = NULL;
    long *pick = NULL;
    long n_rec = 0;
    chunk = malloc((size_t)CF_CHUNK * CF_REC);
    if (!chunk) {
        rc = err_set(e, LESDE_FAIL, "cifar10: out of memory");
        goto out;
    }
    for (int f = 0; f < nf; f++) {
        fp[f] = fopen(path[f], "rb");
        if (!fp[f]) {
            rc = err_set(e, LESDE_FAIL,
                         "%s: cannot open: %s; lesde expects the CIFAR-10 binary version "
                         "(cifar-10-binary.tar.gz from the authors' site, "
                         "https://www.cs.toronto.edu/~kriz/cifar.html) unpacked into %s "
                         "(data_batch_1..5.bin, test_batch.bin), or data_dir / $%s naming "
                         "another directory; lesde does not download it",
                         path[f], strerror(errno), dir, DATA_CIFAR10_ENV);
            goto out;
        }
        struct stat st;
        if (fstat(fileno(fp[f]), &st) != 0 || !S_ISREG(st.st_mode)) {
            rc = err_set(e, LESDE_FAIL, "%s: not a regular file", path[f]);
            goto out;
        }
        if (st.st_size == 0 || st.st_size % CF_REC != 0) {
            rc = err_set(e, LESDE_FAIL, "%s: truncated or not a CIFAR-10 binary batch: %lld "
                         "bytes is not a whole number of %d-byte records", path[f],
                         (long long)st.st_size, CF_REC);
            goto out;
        }
        long nr = (long)(st.st_size / CF_REC);
        unsigned char *nl = realloc(labels, (size_t)(n_rec + nr));
        if (!nl) {
            rc = err_set(e, LESDE_FAIL, "cifar10: out of memory");
            goto out;
        }
        labels = nl;
        first[f] = n_rec;
        for (long r = 0; r < nr; r += CF_CHUNK) {
            size_t want = (size_t)(nr - r < CF_CHUNK ? nr - r : CF_CHUNK);
            if (fread(chunk, CF_REC, want, fp[f]) != want) {
                rc = err_set(e, LESDE_FAIL, "%s: cannot read record %ld: %s", path[f], r,
                             ferror(fp[f]) ? strerror(errno) : "file shrank while reading");
                goto out;
            }
            for (size_t i = 0; i < want; i++) {
                unsigned char l = chunk[i * CF_REC];
                if (l >= DATA_MAX_K) {
                    rc = err_set(e, LESDE_FAIL, "%s: record %ld has label %d, not 0..9: not "
                                 "a CIFAR-10 binary batch", path[f], r + (long)i, l);
                    goto out;
                }
                labels[n_rec + r + (long)i] = l;
            }
        }
        n_rec += nr;
    }
    first[nf] = n_rec;

    int n = k * per_class;
    char what[4400];
    if (nf > 1)
        snprintf(what, sizeof what, "cifar10 training split in %s", base);
    else
        snprintf(what, sizeof what, "%s", path[0]);
    pick = malloc((size_t)n * sizeof *pick);
    if (!pick) {
        rc = err_set(e, LESDE_FAIL, "cifar10: out of memory");
        goto out;
    }
    if ((rc = data_alloc(ds, n, 3, DATA_SIDE, DATA_SIDE, k, e)))
        goto out;
    if ((rc = data_pick(labels, n_rec, k, class_ids, per_class, seed, purpose, what, pick,
                        ds->label, e)))
        goto out;
    for (int i = 0; i < n; i++) {
        int f = 0;
        while (pick[i] >= first[f + 1])
            f++;
        long r = pick[i] - first[f];
        if (fseek(fp[f], r * CF_REC, SEEK_SET) != 0 || fread(chunk, CF_REC, 1, fp[f]) != 1) {
            rc = err_set(e, LESDE_FAIL, "%s: cannot read record %ld: %s", path[f], r,
                         ferror(fp[f]) ? strerror(errno) : "file shrank while reading");
            goto out;
        }
        double *x = ds->x + (size_t)i * CF_PIX;
        for (int p = 0; p < CF_PIX; p++)
            x[p] = (chunk[1 + p] / 255.0 - 0.5) / 0.5;
        ds->train_label[i] = ds->label[i];
    }
out:
    for (int f = 0; f < nf; f++)
        if (fp[f])
            fclose(fp[f]);
    free(labels);
    free(chunk);
    free(pick);
    if (rc)
        data_free(ds);
    return rc;
}
