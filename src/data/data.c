/* data: dataset kinds, set allocation, the shared sampler and data_load. */
#include "data/data.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "core/mem.h"
#include "core/rng.h"
#include "data/internal.h"

static const char *const kind_names[] = {"geomnist", "fashion-mnist", "cifar10"};

int data_kind_parse(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(name, kind_names[i]) == 0)
            return i;
    return -1;
}

const char *data_kind_name(data_kind kind)
{
    return (unsigned)kind < 3 ? kind_names[kind] : "unknown";
}

int data_kind_channels(data_kind kind)
{
    return kind == DATA_CIFAR10 ? 3 : 1;
}

int data_kind_max_k(data_kind kind)
{
    return kind == DATA_GEOMNIST ? DATA_GEOMNIST_MAX_K : DATA_MAX_K;
}

/* $LESDE_CIFAR10_DIR when it names a directory, else NULL. */
static const char *cifar10_env(void)
{
    const char *env = getenv(DATA_CIFAR10_ENV);
    return env && *env ? env : NULL;
}

const char *data_default_dir(data_kind kind)
{
    switch (kind) {
    case DATA_FASHION_MNIST:
        return DATA_FASHION_MNIST_DIR;
    case DATA_CIFAR10: {
        const char *env = cifar10_env();
        return env ? env : DATA_CIFAR10_DIR;
    }
    default:
        return NULL;
    }
}

const char *data_default_origin(data_kind kind)
{
    return kind == DATA_CIFAR10 && cifar10_env() ? "$" DATA_CIFAR10_ENV : "the default";
}

int data_file_readable(const char *path, const char *what, lesde_err *e)
{
    struct stat st;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0)
        return err_set(e, LESDE_USAGE, "%s: %s: %s", what, path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return err_set(e, LESDE_USAGE, "%s: %s: not a regular file", what, path);
    return LESDE_OK;
}

int data_check_files(data_kind kind, const char *data_dir, lesde_err *e)
{
    switch (kind) {
    case DATA_FASHION_MNIST: return data_fashion_mnist_check(data_dir, e);
    case DATA_CIFAR10: return data_cifar10_check(data_dir, e);
    default: return LESDE_OK;
    }
}

int data_alloc(data_set *ds, int n, int c, int h, int w, int k, lesde_err *e)
{
    memset(ds, 0, sizeof *ds);
    if (n < 1 || c < 1 || h < 1 || w < 1 || k < 1)
        return err_set(e, LESDE_USAGE, "data set of %d images %dx%dx%d, %d classes: "
                       "every size must be positive", n, c, h, w, k);
    size_t per = (size_t)c * (size_t)h * (size_t)w;
    if (per > SIZE_MAX / sizeof(double) / (size_t)n)
        return err_set(e, LESDE_FAIL, "data set of %d images %dx%dx%d is too large", n, c,
                       h, w);
    ds->x = mem_alloc_large((size_t)n * per * sizeof(double));
    ds->label = malloc((size_t)n * sizeof(int));
    ds->train_label = malloc((size_t)n * sizeof(int));
    if (!ds->x || !ds->label || !ds->train_label) {
        data_free(ds);
        return err_set(e, LESDE_FAIL, "out of memory for a data set of %d images %dx%dx%d",
                       n, c, h, w);
    }
    ds->n = n;
    ds->c = c;
    ds->h = h;
    ds->w = w;
    ds->k = k;
    return LESDE_OK;
}

void data_free(data_set *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->label);
    free(ds->train_label);
    memset(ds, 0, sizeof *ds);
}

int data_check_classes(const char *what, int k, const int *class_ids, int max_k,
                       int per_class, lesde_err *e)
{
    if (k < 1 || k > max_k)
        return err_set(e, LESDE_USAGE, "%s: classes must be in 1..%d, not %d", what, max_k, k);
    if (per_class < 1)
        return err_set(e, LESDE_USAGE, "%s: samples per class must be positive, not %d", what,
                       per_class);
    if ((long)k * per_class > INT32_MAX)
        return err_set(e, LESDE_USAGE, "%s: %d classes x %d samples is too many", what, k,
                       per_class);
    if (!class_ids)
        return LESDE_OK;
    for (int j = 0; j < k; j++) {
        if (class_ids[j] < 0 || class_ids[j] >= max_k)
            return err_set(e, LESDE_USAGE, "%s: class id %d is not in 0..%d", what,
                           class_ids[j], max_k - 1);
        for (int i = 0; i < j; i++)
            if (class_ids[i] == class_ids[j])
                return err_set(e, LESDE_USAGE, "%s: class id %d is given twice", what,
                               class_ids[j]);
    }
    return LESDE_OK;
}

int data_permutation(int *perm, int n, uint64_t seed, int purpose, lesde_err *e)
{
    gsl_rng *r = rng_stream(seed, (uint64_t)purpose, 0);
    if (!r)
        return err_set(e, LESDE_FAIL, "out of memory for a random stream");
    for (int i = 0; i < n; i++)
        perm[i] = i;
    gsl_ran_shuffle(r, perm, (size_t)n, sizeof *perm);
    gsl_rng_free(r);
    return LESDE_OK;
}

int data_pick(const unsigned char *src_label, long n_src, int k,
              const int *class_ids, int per_class, uint64_t seed, int purpose,
              const char *what, long *pick, int *label, lesde_err *e)
{
    int n = k * per_class, rc = LESDE_OK;
    long *pool = malloc((size_t)(n_src > 0 ? n_src : 1) * sizeof *pool);
    long *chosen = malloc((size_t)per_class * sizeof *chosen);
    int *perm = malloc((size_t)n * sizeof *perm);
    if (!pool || !chosen || !perm) {
        rc = err_set(e, LESDE_FAIL, "%s: out of memory", what);
        goto out;
    }
    if ((rc = data_permutation(perm, n, seed, purpose, e)))
        goto out;
    for (int j = 0; j < k; j++) {
        int id = class_ids ? class_ids[j] : j;
        long m = 0;
        for (long i = 0; i < n_src; i++)
            if (src_label[i] == id)
                pool[m++] = i;
        if (m < per_class) {
            rc = err_set(e, LESDE_USAGE, "%s: class %d has %ld samples, %d asked for", what,
                         id, m, per_class);
            goto out;
        }
        /* One stream per source class: a class's samples do not depend on
         * which other classes were asked for. */
        gsl_rng *r = rng_stream(seed, (uint64_t)purpose, 1 + (uint64_t)id);
        if (!r) {
            rc = err_set(e, LESDE_FAIL, "out of memory for a random stream");
            goto out;
        }
        gsl_ran_choose(r, chosen, (size_t)per_class, pool, (size_t)m, sizeof *pool);
        gsl_rng_free(r);
        for (int i = 0; i < per_class; i++) {
            int at = perm[j * per_class + i];
            pick[at] = chosen[i];
            label[at] = j;
        }
    }
out:
    free(pool);
    free(chosen);
    free(perm);
    return rc;
}

int data_load(const data_request *req, data_set *train, data_set *val, lesde_err *e)
{
    memset(train, 0, sizeof *train);
    memset(val, 0, sizeof *val);
    /* Generated sets only: the file loaders' sets are cheap to make once
     * their files are parsed, which Fashion-MNIST's loader caches itself
     * (data_idx_read_cached, keyed on the file's identity). */
    int cached = req->kind == DATA_GEOMNIST;
    if (cached && data_cache_get(req, train, val))
        return LESDE_OK;
    int rc;
    const char *dir = req->data_dir && *req->data_dir ? req->data_dir : NULL;
    switch (req->kind) {
    case DATA_GEOMNIST:
        rc = data_geomnist_ids(train, req->k, req->class_ids, req->train_per_class,
                               req->seed, RNG_DATA_TRAIN, e);
        if (!rc)
            rc = data_geomnist_ids(val, req->k, req->class_ids, req->val_per_class,
                                   req->seed, RNG_DATA_VAL, e);
        break;
    case DATA_FASHION_MNIST:
        rc = data_fashion_mnist(train, dir, DATA_SPLIT_TRAIN, req->k, req->class_ids,
                                req->train_per_class, req->seed, RNG_DATA_TRAIN, e);
        if (!rc)
            rc = data_fashion_mnist(val, dir, DATA_SPLIT_TEST, req->k, req->class_ids,
                                    req->val_per_class, req->seed, RNG_DATA_VAL, e);
        break;
    case DATA_CIFAR10:
        rc = data_cifar10(train, dir, DATA_SPLIT_TRAIN, req->k, req->class_ids,
                          req->train_per_class, req->seed, RNG_DATA_TRAIN, e);
        if (!rc)
            rc = data_cifar10(val, dir, DATA_SPLIT_TEST, req->k, req->class_ids,
                              req->val_per_class, req->seed, RNG_DATA_VAL, e);
        break;
    default:
        rc = err_set(e, LESDE_USAGE, "unknown dataset kind %d", (int)req->kind);
    }
    if (rc) {
        data_free(train);
        data_free(val);
    } else if (cached)
        data_cache_put(req, train, val);
    return rc;
}
