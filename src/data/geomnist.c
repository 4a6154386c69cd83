/* GeoMNIST: 32x32 grayscale images of rotated, blurred geometric shapes
 * (le-sde.md section 8).
 *
 * A sample is a binary shape centred in the frame (its centroid on the
 * frame's centre), its sizes jittered by up to +-1 px, rotated by an angle
 * of an even spread over [0, 176] degrees, rendered with 4x4 supersampling
 * (coverage in [0, 1], i.e. anti-aliased), then Gaussian-blurred with
 * sigma uniform in [0.9, 1.1] (zero outside the frame). */
#include "data/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "core/rng.h"
#include "data/internal.h"

enum { SHAPE_ELLIPSE, SHAPE_RECTANGLE, SHAPE_TRIANGLE, SHAPE_CROSS, SHAPE_RING, SHAPE_DIAMOND };

/* Two size parameters per shape (pixels) and how far each is jittered.
 * Areas stay between the rectangle's (128) and the ellipse's (226) so total
 * ink does not tell the classes apart. */
static const struct {
    const char *name;
    double size[2];
    double jitter[2];
} shapes[DATA_GEOMNIST_MAX_K] = {
    /* semi-axes x, y: area pi*6*12 = 226 */
    [SHAPE_ELLIPSE] = {"ellipse", {6.0, 12.0}, {1.0, 1.0}},
    /* half-sides x, y: area 8*16 = 128 */
    [SHAPE_RECTANGLE] = {"rectangle", {4.0, 8.0}, {1.0, 1.0}},
    /* half-width, half-height (20 wide, 16 high, apex up): area 160 */
    [SHAPE_TRIANGLE] = {"triangle", {10.0, 8.0}, {1.0, 1.0}},
    /* plus sign, arm half-length and half-thickness: area 2*18*5-25 = 155 */
    [SHAPE_CROSS] = {"cross", {9.0, 2.5}, {1.0, 0.5}},
    /* annulus, outer radius and width: area pi*(9^2-5.5^2) = 159 */
    [SHAPE_RING] = {"ring", {9.0, 3.5}, {1.0, 0.5}},
    /* rhombus, half-diagonals x, y: area 2*8*12 = 192 */
    [SHAPE_DIAMOND] = {"diamond", {8.0, 12.0}, {1.0, 1.0}},
};

const char *data_geomnist_name(int cls)
{
    return cls >= 0 && cls < DATA_GEOMNIST_MAX_K ? shapes[cls].name : "unknown";
}

/* Is point (x, y) of the shape's own frame (centroid at 0, y down) inside? */
static int inside(int shape, const double *p, double x, double y)
{
    double ax = fabs(x), ay = fabs(y);
    switch (shape) {
    case SHAPE_ELLIPSE:
        return (x * x) / (p[0] * p[0]) + (y * y) / (p[1] * p[1]) <= 1.0;
    case SHAPE_RECTANGLE:
        return ax <= p[0] && ay <= p[1];
    case SHAPE_TRIANGLE: {
        /* Box of half-sizes p[0] x p[1], apex at the top; the centroid sits
         * p[1]/3 below the box centre, so the apex is at -4/3 p[1] and the
         * base at +2/3 p[1]. */
        double top = -4.0 / 3.0 * p[1], base = 2.0 / 3.0 * p[1];
        if (y < top || y > base)
            return 0;
        return ax <= p[0] * (y - top) / (2.0 * p[1]);
    }
    case SHAPE_CROSS:
        return (ax <= p[1] && ay <= p[0]) || (ay <= p[1] && ax <= p[0]);
    case SHAPE_RING: {
        double r2 = x * x + y * y, in = p[0] - p[1];
        return r2 <= p[0] * p[0] && r2 >= in * in;
    }
    case SHAPE_DIAMOND:
        return ax / p[0] + ay / p[1] <= 1.0;
    }
    return 0;
}

/* Radius around the centroid that holds the whole shape. */
static double reach(int shape, const double *p)
{
    switch (shape) {
    case SHAPE_ELLIPSE:
    case SHAPE_DIAMOND:
        return fmax(p[0], p[1]);
    case SHAPE_RECTANGLE:
    case SHAPE_CROSS:
        return hypot(p[0], p[1]);
    case SHAPE_TRIANGLE:
        return fmax(4.0 / 3.0 * p[1], hypot(p[0], 2.0 / 3.0 * p[1]));
    case SHAPE_RING:
        return p[0];
    }
    return DATA_SIDE;
}

#define SUB 4 /* supersampling: SUB x SUB points per pixel */
#define PI 3.14159265358979323846

/* Renders shape (sizes p, angle theta in radians) into img [32][32]. */
static void render(double *img, int shape, const double *p, double theta)
{
    const int S = DATA_SIDE;
    const double c0 = 0.5 * S, cs = cos(theta), sn = sin(theta);
    /* A pixel whose centre is farther than reach + half a diagonal holds
     * no part of the shape. */
    double far = reach(shape, p) + 0.75;
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) {
            double px = j + 0.5 - c0, py = i + 0.5 - c0;
            if (px * px + py * py > far * far) {
                img[i * S + j] = 0.0;
                continue;
            }
            int hits = 0;
            for (int a = 0; a < SUB; a++) {
                double y = i + (a + 0.5) / SUB - c0;
                for (int b = 0; b < SUB; b++) {
                    double x = j + (b + 0.5) / SUB - c0;
                    /* Rotate the frame point back into the shape's frame. */
                    hits += inside(shape, p, cs * x + sn * y, -sn * x + cs * y);
                }
            }
            img[i * S + j] = (double)hits / (SUB * SUB);
        }
}

#define BLUR_R 4 /* kernel radius: ceil(3 * 1.1) */

/* Separable Gaussian blur of img [32][32] in place, zero outside the frame;
 * the kernel sums to 1, so values stay in [0, 1]. */
static void blur(double *img, double sigma)
{
    const int S = DATA_SIDE;
    double k[2 * BLUR_R + 1], sum = 0, tmp[DATA_SIDE * DATA_SIDE];
    for (int d = -BLUR_R; d <= BLUR_R; d++)
        sum += k[d + BLUR_R] = exp(-0.5 * d * d / (sigma * sigma));
    for (int d = 0; d <= 2 * BLUR_R; d++)
        k[d] /= sum;
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) {
            double v = 0;
            for (int d = -BLUR_R; d <= BLUR_R; d++)
                if (j + d >= 0 && j + d < S)
                    v += k[d + BLUR_R] * img[i * S + j + d];
            tmp[i * S + j] = v;
        }
    for (int i = 0; i < S; i++)
        for (int j = 0; j < S; j++) {
            double v = 0;
            for (int d = -BLUR_R; d <= BLUR_R; d++)
                if (i + d >= 0 && i + d < S)
                    v += k[d + BLUR_R] * tmp[(i + d) * S + j];
            img[i * S + j] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
}

int data_geomnist_ids(data_set *ds, int k, const int *class_ids, int per_class,
                      uint64_t seed, int purpose, lesde_err *e)
{
    memset(ds, 0, sizeof *ds);
    int rc = data_check_classes("geomnist", k, class_ids, DATA_GEOMNIST_MAX_K, per_class, e);
    if (rc)
        return rc;
    int n = k * per_class, px = DATA_SIDE * DATA_SIDE;
    if ((rc = data_alloc(ds, n, 1, DATA_SIDE, DATA_SIDE, k, e)))
        return rc;
    int *perm = malloc((size_t)n * sizeof *perm);
    if (!perm) {
        data_free(ds);
        return err_set(e, LESDE_FAIL, "geomnist: out of memory");
    }
    if ((rc = data_permutation(perm, n, seed, purpose, e)))
        goto out;
    for (int j = 0; j < k; j++) {
        int shape = class_ids ? class_ids[j] : j;
        /* One stream per shape: a shape's images do not depend on k. */
        gsl_rng *r = rng_stream(seed, (uint64_t)purpose, 1 + (uint64_t)shape);
        if (!r) {
            rc = err_set(e, LESDE_FAIL, "out of memory for a random stream");
            goto out;
        }
        for (int i = 0; i < per_class; i++) {
            /* Evenly spread angles; the set's permutation shuffles them. */
            double deg = per_class > 1 ? 176.0 * i / (per_class - 1) : 0.0;
            double p[2];
            for (int q = 0; q < 2; q++)
                p[q] = shapes[shape].size[q] +
                       shapes[shape].jitter[q] * (2.0 * gsl_rng_uniform(r) - 1.0);
            double sigma = 0.9 + 0.2 * gsl_rng_uniform(r);
            int at = perm[j * per_class + i];
            double *img = ds->x + (size_t)at * px;
            render(img, shape, p, deg * (PI / 180.0));
            blur(img, sigma);
            ds->label[at] = ds->train_label[at] = j;
        }
        gsl_rng_free(r);
    }
out:
    free(perm);
    if (rc)
        data_free(ds);
    return rc;
}

int data_geomnist(data_set *ds, int k, int per_class, uint64_t seed, int purpose,
                  lesde_err *e)
{
    return data_geomnist_ids(ds, k, NULL, per_class, seed, purpose, e);
}
