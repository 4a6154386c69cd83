/* IDX files (the MNIST family's format) and the Fashion-MNIST loader.
 *
 * IDX: magic 0x00 0x00 <type> <ndim>, ndim big-endian uint32 dimensions,
 * then the values row-major. Fashion-MNIST ships them gzip-compressed. */
#include "data/data.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/mem.h"
#include "data/internal.h"

/* The biggest IDX data accepted: far above Fashion-MNIST's 47 MB, far
 * below what a corrupt header could claim. */
#define IDX_MAX_BYTES ((size_t)1 << 31)

/* Bytes come from a gzFile (zlib also reads plain files) or from memory. */
typedef struct {
    gzFile gz;
    const unsigned char *buf;
    size_t len, pos;
    const char *name;
} idx_src;

/* Reads up to n bytes into dst; returns how many (fewer only at the end of
 * the data), or -1 with e set when the file cannot be read or decompressed. */
static long long src_read(idx_src *s, void *dst, size_t n, lesde_err *e)
{
    if (!s->gz) {
        size_t m = s->len - s->pos < n ? s->len - s->pos : n;
        memcpy(dst, s->buf + s->pos, m);
        s->pos += m;
        return (long long)m;
    }
    size_t got = 0;
    while (got < n) {
        size_t want = n - got > (1u << 30) ? (1u << 30) : n - got;
        int r = gzread(s->gz, (unsigned char *)dst + got, (unsigned)want);
        if (r > 0)
            got += (size_t)r;
        if (r < (int)want) {
            /* Short read: the end, or an error (corrupt or cut gzip data). */
            int code;
            const char *msg = gzerror(s->gz, &code);
            if (code == Z_ERRNO)
                return err_set(e, LESDE_FAIL, "%s: cannot read: %s", s->name, strerror(errno)),
                       -1;
            if (code != Z_OK && code != Z_STREAM_END)
                return err_set(e, LESDE_FAIL, "%s: corrupt or truncated gzip data (%s)", s->name,
                               msg),
                       -1;
            break;
        }
    }
    return (long long)got;
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int idx_parse(idx_src *s, data_idx *out, lesde_err *e)
{
    memset(out, 0, sizeof *out);
    unsigned char head[4 + 4 * DATA_IDX_MAX_DIMS];
    long long got = src_read(s, head, 4, e);
    if (got < 0)
        return LESDE_FAIL;
    /* zlib passes a plain file through: say so when it was not gzip. */
    const char *plain = s->gz && gzdirect(s->gz) ? " (and not gzip-compressed)" : "";
    if (got == 0)
        return err_set(e, LESDE_FAIL, "%s: empty, not an IDX file", s->name);
    if (got < 4)
        return err_set(e, LESDE_FAIL, "%s: not an IDX file: %lld bytes, too short for a "
                       "header%s", s->name, got, plain);
    if (head[0] != 0 || head[1] != 0)
        return err_set(e, LESDE_FAIL, "%s: not an IDX file: bad magic %02x %02x %02x %02x%s",
                       s->name, head[0], head[1], head[2], head[3], plain);
    if (head[2] != 0x08)
        return err_set(e, LESDE_FAIL, "%s: IDX element type 0x%02x is not supported (only "
                       "unsigned bytes, 0x08)", s->name, head[2]);
    int ndim = head[3];
    if (ndim < 1 || ndim > DATA_IDX_MAX_DIMS)
        return err_set(e, LESDE_FAIL, "%s: IDX file with %d dimensions (1..%d supported)",
                       s->name, ndim, DATA_IDX_MAX_DIMS);
    got = src_read(s, head + 4, 4 * (size_t)ndim, e);
    if (got < 0)
        return LESDE_FAIL;
    if (got < 4 * ndim)
        return err_set(e, LESDE_FAIL, "%s: truncated IDX header (%d dimensions announced)",
                       s->name, ndim);
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        uint32_t v = be32(head + 4 + 4 * d);
        if (v > INT_MAX || (v && count > IDX_MAX_BYTES / v))
            return err_set(e, LESDE_FAIL, "%s: IDX dimensions too large (dimension %d is %lu)",
                           s->name, d, (unsigned long)v);
        out->dims[d] = (int)v;
        count *= v;
    }
    out->ndim = ndim;
    out->count = count;
    /* Grow the buffer as data arrives, so a header that lies about a huge
     * size in a small file fails on truncation, not on a huge malloc. */
    size_t cap = count < ((size_t)1 << 20) ? count : ((size_t)1 << 20), have = 0;
    unsigned char *data = malloc(cap ? cap : 1);
    if (!data)
        return err_set(e, LESDE_FAIL, "%s: out of memory", s->name);
    while (have < count) {
        if (have == cap) {
            size_t nc = cap * 2 < count ? cap * 2 : count;
            unsigned char *nd = realloc(data, nc);
            if (!nd) {
                free(data);
                return err_set(e, LESDE_FAIL, "%s: out of memory", s->name);
            }
            data = nd;
            cap = nc;
            /* Fashion-MNIST's 47 MB: ~11,500 faults of ~10 us on 4 KiB pages */
            (void)mem_advise_huge(data, cap);
        }
        got = src_read(s, data + have, cap - have, e);
        if (got < 0) {
            free(data);
            return LESDE_FAIL;
        }
        have += (size_t)got;
        if (have < cap)
            break;
    }
    if (have < count) {
        free(data);
        return err_set(e, LESDE_FAIL, "%s: truncated IDX data: %zu of %zu bytes", s->name,
                       have, count);
    }
    unsigned char extra;
    got = src_read(s, &extra, 1, e);
    if (got != 0) {
        free(data);
        return got < 0 ? LESDE_FAIL
                       : err_set(e, LESDE_FAIL, "%s: bytes after the %zu values of the IDX "
                                 "data (wrong file?)", s->name, count);
    }
    out->data = data;
    return LESDE_OK;
}

int data_idx_read(const char *path, data_idx *out, lesde_err *e)
{
    memset(out, 0, sizeof *out);
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return err_set(e, LESDE_FAIL, "%s: cannot open: %s", path,
                       errno ? strerror(errno) : "out of memory");
    idx_src s = {.gz = gz, .name = path};
    int rc = idx_parse(&s, out, e);
    gzclose(gz);
    return rc;
}

int data_idx_parse(const void *buf, size_t len, const char *name, data_idx *out,
                   lesde_err *e)
{
    idx_src s = {.buf = buf, .len = len, .name = name ? name : "(memory)"};
    return idx_parse(&s, out, e);
}

void data_idx_free(data_idx *idx)
{
    if (!idx)
        return;
    free(idx->data);
    memset(idx, 0, sizeof *idx);
}

/* ---- Fashion-MNIST ---- */

#define FM_SIDE 28
#define FM_PAD ((DATA_SIDE - FM_SIDE) / 2)

/* dir/name, without doubling a trailing slash. */
static void join(char *out, size_t size, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    snprintf(out, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

/* The image and label files of a split in dir (NULL or "": the default). */
static void fm_paths(const char *dir, data_split split, char *ipath, char *lpath, size_t size)
{
    if (!dir || !*dir)
        dir = data_default_dir(DATA_FASHION_MNIST);
    const char *pre = split == DATA_SPLIT_TEST ? "t10k" : "train";
    char name[64];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte.gz", pre);
    join(ipath, size, dir, name);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte.gz", pre);
    join(lpath, size, dir, name);
}

int data_fashion_mnist_check(const char *dir, lesde_err *e)
{
    char ipath[4200], lpath[4200];
    for (int split = 0; split < 2; split++) {
        fm_paths(dir, (data_split)split, ipath, lpath, sizeof ipath);
        if (data_file_readable(ipath, "fashion-mnist", e) ||
            data_file_readable(lpath, "fashion-mnist", e))
            return e ? e->code : LESDE_USAGE;
    }
    return LESDE_OK;
}

int data_fashion_mnist(data_set *ds, const char *dir, data_split split, int k,
                       const int *class_ids, int per_class, uint64_t seed,
                       int purpose, lesde_err *e)
{
    memset(ds, 0, sizeof *ds);
    int rc = data_check_classes("fashion-mnist", k, class_ids, DATA_MAX_K, per_class, e);
    if (rc)
        return rc;
    char ipath[4200], lpath[4200];
    fm_paths(dir, split, ipath, lpath, sizeof ipath);

    /* through the cache: a sweep's tasks read the same files; lab's bytes
     * may be the cache's only until img is read */
    data_idx img = {0}, lab = {0};
    int img_owned = 0, lab_owned = 0;
    long *pick = NULL;
    if ((rc = data_idx_read_cached(lpath, &lab, &lab_owned, e)))
        goto out;
    if (lab.ndim != 1) {
        rc = err_set(e, LESDE_FAIL, "%s: a label file has 1 dimension, this one %d", lpath,
                     lab.ndim);
        goto out;
    }
    for (size_t i = 0; i < lab.count; i++)
        if (lab.data[i] >= DATA_MAX_K) {
            rc = err_set(e, LESDE_FAIL, "%s: sample %zu has label %d, not in 0..9", lpath, i,
                         lab.data[i]);
            goto out;
        }
    /* Pick first: a class with too few samples fails before the big
     * image file is decompressed. */
    int n = k * per_class;
    pick = malloc((size_t)n * sizeof *pick);
    if (!pick) {
        rc = err_set(e, LESDE_FAIL, "fashion-mnist: out of memory");
        goto out;
    }
    if ((rc = data_alloc(ds, n, 1, DATA_SIDE, DATA_SIDE, k, e)))
        goto out;
    if ((rc = data_pick(lab.data, lab.dims[0], k, class_ids, per_class, seed, purpose, lpath,
                        pick, ds->label, e)))
        goto out;
    if ((rc = data_idx_read_cached(ipath, &img, &img_owned, e)))
        goto out;
    if (img.ndim != 3 || img.dims[1] != FM_SIDE || img.dims[2] != FM_SIDE) {
        char shape[64] = "";
        for (int d = 0; d < img.ndim; d++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%d", d ? " x " : "",
                     img.dims[d]);
        rc = err_set(e, LESDE_FAIL, "%s: expected n x %d x %d images, found %s", ipath, FM_SIDE,
                     FM_SIDE, shape);
        goto out;
    }
    if (img.dims[0] != lab.dims[0]) {
        rc = err_set(e, LESDE_FAIL, "%s has %d images but %s has %d labels", ipath,
                     img.dims[0], lpath, lab.dims[0]);
        goto out;
    }
    const size_t px = DATA_SIDE * DATA_SIDE;
    for (int i = 0; i < n; i++) {
        double *x = ds->x + (size_t)i * px;
        const unsigned char *src = img.data + (size_t)pick[i] * FM_SIDE * FM_SIDE;
        for (size_t p = 0; p < px; p++)
            x[p] = 0.0;
        for (int r = 0; r < FM_SIDE; r++)
            for (int c = 0; c < FM_SIDE; c++)
                x[(r + FM_PAD) * DATA_SIDE + c + FM_PAD] = src[r * FM_SIDE + c] / 255.0;
        ds->train_label[i] = ds->label[i];
    }
out:
    if (img_owned)
        data_idx_free(&img);
    if (lab_owned)
        data_idx_free(&lab);
    free(pick);
    if (rc)
        data_free(ds);
    return rc;
}
