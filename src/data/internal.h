/* data/internal.h: helpers shared by the loaders of src/data (not public). */
#ifndef LESDE_DATA_INTERNAL_H
#define LESDE_DATA_INTERNAL_H

#include <stdint.h>

#include "data/data.h"

/* Checks k in 1..max_k, per_class >= 1, and class_ids (if not NULL) distinct
 * values in 0..max_k-1; `what` names the dataset in messages. */
int data_check_classes(const char *what, int k, const int *class_ids, int max_k,
                       int per_class, lesde_err *e);

/* Picks per_class source samples of each class class_ids[j] (NULL: j) out of
 * n_src labelled src_label, without replacement, with stream
 * (seed, purpose, 1 + class id) per class, and places them in an order
 * shuffled by stream (seed, purpose, 0): pick[i] is the source index of
 * sample i and label[i] its label j. `what` names the source in messages. */
int data_pick(const unsigned char *src_label, long n_src, int k,
              const int *class_ids, int per_class, uint64_t seed, int purpose,
              const char *what, long *pick, int *label, lesde_err *e);

/* LESDE_USAGE with "what: path: reason" unless path is a readable regular
 * file (data.c); the loaders' checks without reading (idx.c, cifar10.c). */
int data_file_readable(const char *path, const char *what, lesde_err *e);
int data_fashion_mnist_check(const char *dir, lesde_err *e);
int data_cifar10_check(const char *dir, lesde_err *e);

/* A random permutation of 0..n-1 from stream (seed, purpose, 0). */
int data_permutation(int *perm, int n, uint64_t seed, int purpose, lesde_err *e);

/* GeoMNIST's three steps (geomnist.c), open to the tests; images are
 * [32][32], row-major. The binary mask of shape (a class id) at place u in
 * [0, 1) of its class. */
void data_geo_mask(double *img, int shape, double u);
/* A rotation by deg degrees about the frame's centre, cubic B-spline
 * interpolation, as a plan: for each output pixel, whether it falls in the
 * frame, the rows and columns of its 4 x 4 knots (mirrored at the edges)
 * and their weights. data_geo_rotation fills plan [32 * 32];
 * data_geo_rotate_by applies it: out = in rotated, in overwritten with its
 * spline coefficients. */
typedef struct {
    int in;
    int row[4], col[4]; /* row offsets (knot row * 32) and columns */
    double wy[4], wx[4];
} data_geo_px;
void data_geo_rotation(double deg, data_geo_px *plan);
void data_geo_rotate_by(double *in, double *out, const data_geo_px *plan);

/* Gaussian blur in place, radius (int)(4 sigma + 0.5) <= 4, edges reflected. */
void data_geo_blur(double *img, double sigma);

#endif
