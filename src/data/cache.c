/* cache: the generated sets data_load built, kept for the next request of
 * the same data in this process (data.h: data_cache_*), and the IDX files
 * the Fashion-MNIST loader parsed (data_idx_read_cached).
 *
 * The tasks of a sweep that differ only in what they do with the data
 * (p_err, lr, the schedule, ...) ask for the same images: generating
 * GeoMNIST's 3,000 images takes about 0.15 s, a copy 3 ms. An entry is
 * keyed on the whole request (kind, classes, sizes, seed, directory); a hit
 * hands out copies, since the caller may change them (label pollution
 * rewrites train_label). Least recently used entries go first when the
 * total passes the limit. The copies are the bytes the loaders build, so a
 * task's result does not depend on what the cache held. Not thread-safe
 * (a rank trains one task at a time).
 *
 * A parsed file is kept with the file's identity (device, inode, size,
 * modification and change times) and handed out again while the file
 * keeps it: decompressing Fashion-MNIST's 47 MB of training images takes
 * ~0.25 s of every task, a stat a few microseconds. Any write to a file
 * sets its change time, but only to the file system's granularity (a
 * clock tick, or a second), so a file changed in the last 2 s is read and
 * not kept: a later write then shows in the change time (as git treats
 * "racily clean" files). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "data/data.h"

/* what says a file is the one read before */
typedef struct {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} file_id;

/* A request's sets (path NULL) or a parsed file (path set). */
typedef struct {
    data_kind kind;
    int k, ids[DATA_MAX_K]; /* the source classes, 0..k-1 when not given */
    int train_per_class, val_per_class;
    uint64_t seed;
    char *dir; /* the directory read ("" for GeoMNIST) */
    data_set train, val;
    char *path;   /* a file: its path, */
    file_id id;   /* its identity when read */
    data_idx idx; /* and its contents */
    size_t bytes;
    unsigned long used; /* when last handed out */
} entry;

/* seconds a file's times must lie in the past for it to be kept */
#define CACHE_SETTLED 2

static struct {
    int init;
    size_t limit;
    entry *e;
    int n, cap;
    size_t bytes;
    unsigned long clock;
    long hits, misses;
} cache;

/* The megabytes $LESDE_DATA_CACHE_MB asks for; -1 when unset, -2 when not
 * a whole number in 0..DATA_CACHE_MAX_MB (the byte count must fit). */
static long env_mb(void)
{
    const char *v = getenv(DATA_CACHE_ENV);
    if (!v || !*v)
        return -1;
    char *end;
    errno = 0;
    long mb = strtol(v, &end, 10);
    return *end || errno || mb < 0 || mb > DATA_CACHE_MAX_MB || !isdigit((unsigned char)*v) ? -2
                                                                                            : mb;
}

int data_cache_check_env(char *msg, size_t len)
{
    if (env_mb() != -2)
        return 0;
    snprintf(msg, len, "%s=%s: not a whole number of megabytes from 0 (no cache) to %ld",
             DATA_CACHE_ENV, getenv(DATA_CACHE_ENV), DATA_CACHE_MAX_MB);
    return -1;
}

static void cache_init(void)
{
    if (cache.init)
        return;
    cache.init = 1;
    long mb = env_mb();
    cache.limit = (size_t)(mb >= 0 ? mb : DATA_CACHE_DEFAULT_MB) << 20;
    atexit(data_cache_clear);
}

/* The request's key fields, normalised: class ids spelled out, the
 * directory resolved. */
static void key_of(const data_request *req, entry *k)
{
    memset(k, 0, sizeof *k);
    k->kind = req->kind;
    k->k = req->k;
    for (int j = 0; j < req->k && j < DATA_MAX_K; j++)
        k->ids[j] = req->class_ids ? req->class_ids[j] : j;
    k->train_per_class = req->train_per_class;
    k->val_per_class = req->val_per_class;
    k->seed = req->seed;
    const char *dir = req->data_dir && *req->data_dir ? req->data_dir : data_default_dir(req->kind);
    k->dir = (char *)(dir && req->kind != DATA_GEOMNIST ? dir : "");
}

static int same_key(const entry *a, const entry *b)
{
    return a->kind == b->kind && a->k == b->k && a->train_per_class == b->train_per_class &&
           a->val_per_class == b->val_per_class && a->seed == b->seed &&
           !memcmp(a->ids, b->ids, sizeof a->ids) && !strcmp(a->dir, b->dir);
}

static size_t set_bytes(const data_set *s)
{
    return (size_t)s->n * ((size_t)s->c * s->h * s->w * sizeof(double) + 2 * sizeof(int));
}

static int copy_set(data_set *dst, const data_set *src)
{
    if (data_alloc(dst, src->n, src->c, src->h, src->w, src->k, NULL))
        return -1;
    memcpy(dst->x, src->x, (size_t)src->n * src->c * src->h * src->w * sizeof(double));
    memcpy(dst->label, src->label, (size_t)src->n * sizeof(int));
    memcpy(dst->train_label, src->train_label, (size_t)src->n * sizeof(int));
    return 0;
}

static void drop(int i)
{
    entry *x = &cache.e[i];
    cache.bytes -= x->bytes;
    data_free(&x->train);
    data_free(&x->val);
    data_idx_free(&x->idx);
    free(x->dir);
    free(x->path);
    cache.e[i] = cache.e[--cache.n];
}

/* Drops the least recently used entries until the total is at most
 * limit. */
static void shrink_to(size_t limit)
{
    while (cache.n && cache.bytes > limit) {
        int lru = 0;
        for (int i = 1; i < cache.n; i++)
            if (cache.e[i].used < cache.e[lru].used)
                lru = i;
        drop(lru);
    }
}

/* Takes x in, as just used (the caller made room: shrink_to); -1 when
 * out of memory (x then stays the caller's). */
static int add(entry *x)
{
    if (cache.n == cache.cap) {
        int cap = cache.cap ? 2 * cache.cap : 8;
        entry *e = realloc(cache.e, sizeof *e * (size_t)cap);
        if (!e)
            return -1;
        cache.e = e;
        cache.cap = cap;
    }
    x->used = ++cache.clock;
    cache.e[cache.n++] = *x;
    cache.bytes += x->bytes;
    return 0;
}

int data_cache_get(const data_request *req, data_set *train, data_set *val)
{
    cache_init();
    entry k;
    key_of(req, &k);
    for (int i = 0; i < cache.n; i++) {
        entry *x = &cache.e[i];
        if (x->path || !same_key(x, &k))
            continue;
        if (copy_set(train, &x->train) || copy_set(val, &x->val)) {
            data_free(train);
            return 0; /* out of memory: the caller builds them itself */
        }
        x->used = ++cache.clock;
        cache.hits++;
        return 1;
    }
    cache.misses++;
    return 0;
}

void data_cache_put(const data_request *req, const data_set *train, const data_set *val)
{
    cache_init();
    size_t bytes = set_bytes(train) + set_bytes(val);
    if (bytes > cache.limit)
        return;
    shrink_to(cache.limit - bytes);
    entry x;
    key_of(req, &x);
    x.bytes = bytes;
    x.dir = strdup(x.dir);
    if (!x.dir || copy_set(&x.train, train) || copy_set(&x.val, val) || add(&x)) {
        free(x.dir);
        data_free(&x.train);
        data_free(&x.val);
    }
}

static file_id id_of(const struct stat *st)
{
    return (file_id){.dev = st->st_dev,
                     .ino = st->st_ino,
                     .size = st->st_size,
                     .mtime = st->st_mtim,
                     .ctime = st->st_ctim};
}

static int same_id(const file_id *a, const file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
           a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* both times at least CACHE_SETTLED s before now */
static int settled(const file_id *id)
{
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now))
        return 0;
    time_t last = id->ctime.tv_sec > id->mtime.tv_sec ? id->ctime.tv_sec : id->mtime.tv_sec;
    return now.tv_sec - last >= CACHE_SETTLED;
}

int data_idx_read_cached(const char *path, data_idx *out, int *owned, lesde_err *e)
{
    cache_init();
    *owned = 1;
    struct stat st;
    if (cache.limit == 0 || stat(path, &st) != 0)
        return data_idx_read(path, out, e); /* (its message for a missing file) */
    file_id id = id_of(&st);
    for (int i = 0; i < cache.n; i++) {
        entry *x = &cache.e[i];
        if (!x->path || strcmp(x->path, path))
            continue;
        if (same_id(&x->id, &id)) {
            *out = x->idx;
            *owned = 0;
            x->used = ++cache.clock;
            cache.hits++;
            return LESDE_OK;
        }
        drop(i); /* the file changed: its old bytes are of no use */
        break;
    }
    cache.misses++;
    int rc = data_idx_read(path, out, e);
    if (rc)
        return rc;
    /* kept only when the file did not change while it was read and has
     * settled (above) */
    size_t bytes = out->count + strlen(path) + 1;
    struct stat after;
    if (bytes > cache.limit || stat(path, &after) != 0)
        return LESDE_OK;
    file_id now = id_of(&after);
    if (!same_id(&id, &now) || !settled(&id))
        return LESDE_OK;
    shrink_to(cache.limit - bytes);
    entry x = {.path = strdup(path), .id = id, .idx = *out, .bytes = bytes};
    if (!x.path || add(&x)) {
        free(x.path);
        return LESDE_OK;
    }
    *owned = 0;
    return LESDE_OK;
}

void data_cache_clear(void)
{
    while (cache.n)
        drop(cache.n - 1);
    free(cache.e);
    cache.e = NULL;
    cache.cap = 0;
}

void data_cache_limit(size_t bytes)
{
    cache_init();
    cache.limit = bytes;
    shrink_to(bytes);
}

void data_cache_stats(long *hits, long *misses, size_t *bytes)
{
    if (hits)
        *hits = cache.hits;
    if (misses)
        *misses = cache.misses;
    if (bytes)
        *bytes = cache.bytes;
}
