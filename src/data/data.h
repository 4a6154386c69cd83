/* data: the datasets a run trains on, and label pollution.
 *
 * A data_set holds n images [n][c][h][w] (float64) with two labels each:
 * the clean label and the label SGD sees (after pollution; equal to the
 * clean label when there is none). Every draw comes from a stream of
 * core/rng.h derived from the request's seed. */
#ifndef LESDE_DATA_DATA_H
#define LESDE_DATA_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define DATA_SIDE 32          /* every image is DATA_SIDE x DATA_SIDE */
#define DATA_GEOMNIST_MAX_K 10 /* shapes the GeoMNIST generator knows */
#define DATA_MAX_K 10         /* the most classes any dataset has */

typedef enum { DATA_GEOMNIST = 0, DATA_FASHION_MNIST = 1, DATA_CIFAR10 = 2 } data_kind;

typedef struct {
    int n;            /* samples */
    int c, h, w;      /* channels, height, width */
    int k;            /* classes; labels are 0..k-1 */
    double *x;        /* [n][c][h][w] pixels */
    int *label;       /* [n] clean label */
    int *train_label; /* [n] label seen in training (after pollution) */
} data_set;

typedef struct {
    data_kind kind;
    int k;               /* number of classes */
    const int *class_ids;/* [k] source classes (fashion-mnist, cifar10), or NULL: 0..k-1 */
    int train_per_class;
    int val_per_class;
    uint64_t seed;
    const char *data_dir;/* NULL: the dataset's default directory */
} data_request;

/* Parses "geomnist", "fashion-mnist", "cifar10"; returns -1 if unknown. */
int data_kind_parse(const char *name);
const char *data_kind_name(data_kind kind);
/* Input channels of a dataset's images (1, or 3 for cifar10). */
int data_kind_channels(data_kind kind);
/* Most classes of a dataset (10 for each of the three). */
int data_kind_max_k(data_kind kind);

/* Builds the training and validation sets of a request: class-balanced,
 * train_per_class and val_per_class samples of each class, shuffled. Labels
 * are 0..k-1 in the order of class_ids. Training samples come from stream
 * RNG_DATA_TRAIN and the training split, validation samples from
 * RNG_DATA_VAL and the test split (GeoMNIST: generated from those streams;
 * class_ids then selects shapes). train_label = label (no pollution). On
 * error both sets are left empty. */
int data_load(const data_request *req, data_set *train, data_set *val, lesde_err *e);

/* The cache of data_load (cache.c): the generated (GeoMNIST) sets of the
 * last requests and the Fashion-MNIST files parsed (data_idx_read_cached),
 * kept per process up to a total of $LESDE_DATA_CACHE_MB megabytes
 * (default DATA_CACHE_DEFAULT_MB; 0 turns it off), least recently used
 * out first. data_load hands out copies of a cached request's sets (the
 * same bytes as building them again); data_cache_get / _put are its two
 * halves (get returns 1 on a hit, the copies in train and val). */
#define DATA_CACHE_ENV "LESDE_DATA_CACHE_MB"
#define DATA_CACHE_DEFAULT_MB 256
#define DATA_CACHE_MAX_MB (1L << 40) /* its bytes fit in 64 bits */
int data_cache_get(const data_request *req, data_set *train, data_set *val);
void data_cache_put(const data_request *req, const data_set *train, const data_set *val);
/* Empties the cache (also run at exit). */
void data_cache_clear(void);
/* $LESDE_DATA_CACHE_MB, when set, must be a whole number of megabytes >= 0:
 * -1 and a message otherwise, so that '1G' is refused, not read as the
 * default. */
int data_cache_check_env(char *msg, size_t len);
/* Sets the limit in bytes (tests; lesde train, one task: 0), dropping
 * entries past it. */
void data_cache_limit(size_t bytes);
/* Hits and misses of data_cache_get and data_idx_read_cached so far, bytes
 * held now (any may be NULL). */
void data_cache_stats(long *hits, long *misses, size_t *bytes);

/* GeoMNIST alone: per_class samples of each of the first k shapes, from stream
 * `purpose` (RNG_DATA_TRAIN or RNG_DATA_VAL) of seed. */
int data_geomnist(data_set *ds, int k, int per_class, uint64_t seed, int purpose,
                  lesde_err *e);
/* Name of GeoMNIST class cls ("ellipse", "rectangle", "triangle", ...). */
const char *data_geomnist_name(int cls);

/* Label pollution (le-sde.md section 7): in each class, exactly
 * round(p_err * n_class) samples, chosen without replacement, get a training
 * label among the other k-1 classes, spread as evenly as possible. The clean
 * label is kept. Draws from stream (seed, RNG_POLLUTE). */
int data_pollute(data_set *ds, double p_err, uint64_t seed, lesde_err *e);

/* Writes a PNG grid of samples, one row per class: row r shows the first
 * cols samples (in set order) whose clean label is r, for r < min(rows, k)
 * (rows <= 0: all k classes). Tiles are the images scaled up 2x with a 1-px
 * gray gap between them; empty tiles are gray. 1 channel: grayscale, values
 * in [0, 1]; 3 channels: RGB, values in [-1, 1] (CIFAR-10 normalisation). */
int data_write_png(const data_set *ds, const char *path, int rows, int cols,
                   lesde_err *e);

/* Allocates the arrays of a set of n images c x h x w with k classes. */
int data_alloc(data_set *ds, int n, int c, int h, int w, int k, lesde_err *e);
void data_free(data_set *ds);

/* ---- additions: dataset directories, the loaders alone, the IDX reader ---- */

#define DATA_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
#define DATA_CIFAR10_DIR "/usr/share/datasets/cifar10"
#define DATA_CIFAR10_ENV "LESDE_CIFAR10_DIR" /* overrides DATA_CIFAR10_DIR */

/* Directory a dataset is read from when data_dir is NULL or empty:
 * DATA_FASHION_MNIST_DIR; for cifar10 $LESDE_CIFAR10_DIR if set and not
 * empty, else DATA_CIFAR10_DIR; NULL for geomnist (generated). */
const char *data_default_dir(data_kind kind);
/* Where data_default_dir's answer comes from, for messages:
 * "$LESDE_CIFAR10_DIR" or "the default". */
const char *data_default_origin(data_kind kind);

/* Checks, without reading them, that the files a dataset is read from are
 * there and readable (every split; GeoMNIST, generated, needs none), so
 * that a sweep is refused before its store is made: LESDE_USAGE and "what:
 * path: reason" otherwise. data_dir NULL or "": the default directory. */
int data_check_files(data_kind kind, const char *data_dir, lesde_err *e);

typedef enum { DATA_SPLIT_TRAIN = 0, DATA_SPLIT_TEST = 1 } data_split;

/* Fashion-MNIST alone: per_class samples of each of the k source classes
 * class_ids (NULL: 0..k-1; labels 0..k-1 in that order), drawn without
 * replacement from `split` (train-* or t10k-*-idx?-ubyte.gz in dir; NULL:
 * the default), by stream (seed, purpose), shuffled. 28x28 images are
 * zero-padded to 32x32 (2 px each side), pixels v/255 in [0, 1]. */
int data_fashion_mnist(data_set *ds, const char *dir, data_split split, int k,
                       const int *class_ids, int per_class, uint64_t seed,
                       int purpose, lesde_err *e);

/* CIFAR-10 alone (binary version: data_batch_1..5.bin for the training split,
 * test_batch.bin for the test split; records of 1 label byte + 3072 bytes of
 * R, G, B 32x32 planes), same sampling as data_fashion_mnist. Pixels
 * (v/255 - 0.5)/0.5 in [-1, 1], [3][32][32]. dir NULL: data_default_dir();
 * when dir has no data_batch_1.bin but dir/cifar-10-batches-bin/ has it
 * (the unpacked archive), that folder is used. */
int data_cifar10(data_set *ds, const char *dir, data_split split, int k,
                 const int *class_ids, int per_class, uint64_t seed, int purpose,
                 lesde_err *e);

/* GeoMNIST with a chosen subset of shapes: class j (label j) is shape
 * class_ids[j] (NULL: j). Shape s's images do not depend on the others. */
int data_geomnist_ids(data_set *ds, int k, const int *class_ids, int per_class,
                      uint64_t seed, int purpose, lesde_err *e);

#define DATA_IDX_MAX_DIMS 4

/* An IDX file of unsigned bytes (type 0x08), the only kind the MNIST family
 * uses: dims[0] x ... x dims[ndim-1] values, row-major. */
typedef struct {
    int ndim;
    int dims[DATA_IDX_MAX_DIMS];
    size_t count;        /* product of dims */
    unsigned char *data; /* [count] */
} data_idx;

/* Reads an IDX file, gzip-compressed or not (zlib reads plain files as they
 * are). Errors name the file: unreadable, corrupt gzip, bad magic or type,
 * too many dimensions, truncated data, bytes after the data. */
int data_idx_read(const char *path, data_idx *out, lesde_err *e);
/* The same from uncompressed bytes in memory (tests, fuzzing); name is used
 * in messages. */
int data_idx_parse(const void *buf, size_t len, const char *name, data_idx *out,
                   lesde_err *e);
void data_idx_free(data_idx *idx);
/* data_idx_read through the cache of data_load (cache.c): a file this
 * process parsed before is handed out again while its device, inode, size,
 * modification and change times stay the same; a file changed in the last
 * 2 s is read and not kept. *owned = 0: out->data is the cache's, valid
 * until the next call into the cache (data_load, data_cache_*, this);
 * *owned = 1: the caller frees out (data_idx_free). */
int data_idx_read_cached(const char *path, data_idx *out, int *owned, lesde_err *e);

#endif
