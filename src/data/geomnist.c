/* GeoMNIST: 32x32 grayscale images of rotated, blurred geometric shapes,
 * built the way the reference implementation builds them (le-sde.md
 * section 8):
 *
 *   1. a binary mask, pixel (r, c) set when its centre lies in the shape;
 *      shapes are laid out around the point (16, 16) of index coordinates;
 *   2. rotated about the frame's centre (15.5, 15.5) by a cubic B-spline
 *      interpolation of that mask (zero outside the frame), which rings a
 *      little: values reach slightly below 0 and above 1, as in the
 *      reference, and are kept;
 *   3. Gaussian-blurred with sigma uniform in [0.9, 1.1] (kernel radius
 *      4 sigma, edges reflected).
 *
 * Within a class, sample i of n has angle 176 i / n degrees and a size (or
 * a shift) that grows with i, so size and angle go together, as in the
 * reference; the set's permutation then shuffles them. The validation set
 * takes the angles half a step further on, so its images sit between the
 * training ones. */
#include "data/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "core/rng.h"
#include "data/internal.h"

enum {
    SHAPE_ELLIPSE,
    SHAPE_RECTANGLE,
    SHAPE_TRIANGLE,
    SHAPE_CROSS,
    SHAPE_RING,
    SHAPE_DIAMOND,
    SHAPE_DISC,
    SHAPE_FRAME,
    SHAPE_OFFSET,
    SHAPE_HALFOFFSET
};

static const char *const shape_names[DATA_GEOMNIST_MAX_K] = {
    "ellipse", "rectangle", "triangle", "cross",  "ring",
    "diamond", "disc",      "frame",    "offset", "halfoffset",
};

const char *data_geomnist_name(int cls)
{
    return cls >= 0 && cls < DATA_GEOMNIST_MAX_K ? shape_names[cls] : "unknown";
}

#define S DATA_SIDE
#define PI 3.14159265358979323846

/* Is the point (r, c) inside the triangle a, b, c (edges included)? */
static int in_triangle(const double v[3][2], double r, double c)
{
    int neg = 0, pos = 0;
    for (int k = 0; k < 3; k++) {
        const double *p = v[k], *q = v[(k + 1) % 3];
        double cross = (q[0] - p[0]) * (c - p[1]) - (q[1] - p[1]) * (r - p[0]);
        neg |= cross < 0;
        pos |= cross > 0;
    }
    return !(neg && pos);
}

/* Binary mask [32][32] of a shape; u in [0, 1) is the sample's place in
 * its class (sizes or shifts grow with it). The first three are the
 * reference's shapes: an ellipse of semi-axes 5..7 by 10..14 px, a
 * rectangle of 9 x 17 px and a triangle of base 20 px and height 21.9 px
 * (apex left), the last two shifted diagonally by -1..1 px. The others
 * (cross, ring, diamond, disc, frame) extend the set for the K ablation, centred,
 * with areas in the same range (about 150 to 230 px) so total ink does
 * not tell classes apart; the last two (offset, halfoffset, 149 px) are off the
 * centre. */
void data_geo_mask(double *img, int shape, double u)
{
    const double cr = 0.5 * S, cc = 0.5 * S, d = -1.0 + 2.0 * u;
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            double y = r - cr, x = c - cc, ay = fabs(y), ax = fabs(x);
            int in = 0;
            switch (shape) {
            case SHAPE_ELLIPSE: {
                double a = 5.0 + 2.0 * u, b = 2.0 * a;
                in = (y * y) / (a * a) + (x * x) / (b * b) < 1.0;
                break;
            }
            case SHAPE_RECTANGLE: {
                /* Corners at centre -4, -8 and +4, +8, shifted by d, then
                 * truncated to pixels: 9 rows by 17 columns. */
                int r0 = (int)floor(cr - 4.0 + d), c0 = (int)floor(cc - 8.0 + d);
                in = r >= r0 && r <= r0 + 8 && c >= c0 && c <= c0 + 16;
                break;
            }
            case SHAPE_TRIANGLE: {
                const double v[3][2] = {{cr + d, cc - 8.0 * sqrt(3.0) + d},
                                        {cr + 10.0 + d, cc + 8.0 + d},
                                        {cr - 10.0 + d, cc + 8.0 + d}};
                in = in_triangle(v, r, c);
                break;
            }
            case SHAPE_CROSS: { /* plus sign: arms 8..10 px, 5 px thick */
                double arm = 8.0 + 2.0 * u;
                in = (ax <= 2.5 && ay <= arm) || (ay <= 2.5 && ax <= arm);
                break;
            }
            case SHAPE_RING: { /* annulus: outer radius 8.5..10.5, 3.5 px wide */
                double out = 8.5 + 2.0 * u, r2 = x * x + y * y;
                in = r2 <= out * out && r2 >= (out - 3.5) * (out - 3.5);
                break;
            }
            case SHAPE_DIAMOND: /* rhombus: half-diagonals 7..9 by 11..13 px */
                in = ax / (7.0 + 2.0 * u) + ay / (11.0 + 2.0 * u) <= 1.0;
                break;
            case SHAPE_DISC: {
                /* radius 7..8.5 px: the same at every angle, as the ring,
                 * but with a mean image near the other shapes' (docs/plateau.md,
                 * section 5) */
                double rad = 7.0 + 1.5 * u;
                in = x * x + y * y <= rad * rad;
                break;
            }
            case SHAPE_FRAME: {
                /* square outline, half-side 8..10 px, 3 px wide: a mean
                 * image as far from the filled shapes' as the ring's, but
                 * not round (docs/plateau.md, section 5) */
                double h = 8.0 + 2.0 * u, m = ax > ay ? ax : ay;
                in = m <= h && m >= h - 3.0;
                break;
            }
            case SHAPE_OFFSET:
            case SHAPE_HALFOFFSET: {
                /* filled ellipse, semi-axes 4.8 by 10 px, its centre 7..9 px
                 * (offset) or 3..5 px (halfoffset) above the frame's, the
                 * long axis across: filled like the first five, yet the
                 * rotations spread its mean image into a ring, for the
                 * offset as far from theirs as the frame's, for the
                 * halfoffset between (docs/plateau.md, section 5) */
                double yy = y + (shape == SHAPE_OFFSET ? 7.0 : 3.0) + 2.0 * u;
                in = yy * yy / (4.8 * 4.8) + x * x / 100.0 < 1.0;
                break;
            }
            }
            img[r * S + c] = in;
        }
}

/* Mirror index into [0, n): -1 -> 1, n -> n - 2 (whole-sample symmetry,
 * the boundary of the B-spline coefficients). */
static int mirror(int i, int n)
{
    int period = 2 * n - 2;
    i = abs(i) % period;
    return i < n ? i : period - i;
}

/* Cubic B-spline coefficients of n samples at x[0], x[stride], ... in
 * place: the recursive filter of pole sqrt(3) - 2 run forward and back. */
static void spline_coeffs_1d(double *x, int n, int stride)
{
    const double z = sqrt(3.0) - 2.0;
    double zk = 1.0, sum = 0.0;
    for (int k = 0; k < n; k++) {
        x[k * stride] *= 6.0; /* gain (1 - z)(1 - 1/z) */
        sum += zk * x[k * stride];
        zk *= z;
    }
    /* Causal start, mirror-extended: z^n < 1e-17 for n = 32. */
    x[0] = sum;
    for (int k = 1; k < n; k++)
        x[k * stride] += z * x[(k - 1) * stride];
    x[(n - 1) * stride] = z / (z * z - 1.0) * (x[(n - 1) * stride] + z * x[(n - 2) * stride]);
    for (int k = n - 2; k >= 0; k--)
        x[k * stride] = z * (x[(k + 1) * stride] - x[k * stride]);
}

/* spline_coeffs_1d of every column of x [S][S], the columns side by side
 * (each column's operations are those of spline_coeffs_1d, in its order;
 * the rows of the loops below run over the columns, which the compiler
 * vectorises). */
static void spline_coeffs_cols(double *x)
{
    const double z = sqrt(3.0) - 2.0;
    double zk = 1.0, sum[S], t[S];
    for (int c = 0; c < S; c++)
        sum[c] = 0.0;
    for (int k = 0; k < S; k++) {
        /* two loops: GCC fuses sum += zk * x into a multiply-add when
         * vectorising, not in spline_coeffs_1d, and the bits must agree */
        for (int c = 0; c < S; c++)
            t[c] = zk * (x[k * S + c] *= 6.0);
        for (int c = 0; c < S; c++)
            sum[c] += t[c];
        zk *= z;
    }
    for (int c = 0; c < S; c++)
        x[c] = sum[c];
    for (int k = 1; k < S; k++)
        for (int c = 0; c < S; c++)
            x[k * S + c] += z * x[(k - 1) * S + c];
    for (int c = 0; c < S; c++)
        x[(S - 1) * S + c] = z / (z * z - 1.0) * (x[(S - 1) * S + c] + z * x[(S - 2) * S + c]);
    for (int k = S - 2; k >= 0; k--)
        for (int c = 0; c < S; c++)
            x[k * S + c] = z * (x[(k + 1) * S + c] - x[k * S + c]);
}

/* Cubic B-spline weights at the four knots around t = i0 + f. */
static inline __attribute__((always_inline)) void bspline_weights(double f, double w[4])
{
    double g = 1.0 - f;
    w[0] = g * g * g / 6.0;
    w[1] = 2.0 / 3.0 - f * f + 0.5 * f * f * f;
    w[2] = 2.0 / 3.0 - g * g + 0.5 * g * g * g;
    w[3] = f * f * f / 6.0;
}

/* a * b rounded on its own: the interpolation adds rounded products, as
 * the loops GCC first compiled it to did (its Zen tuning left them
 * unfused), and the bytes must stay those; the empty asm keeps the
 * unrolled sums from fusing. */
static inline double rounded_product(double a, double b)
{
    double p = a * b;
#if defined(__x86_64__)
    __asm__("" : "+x"(p));
#endif
    return p;
}

void data_geo_rotation(double deg, data_geo_px *plan)
{
    /* mirror(i, S) for the knots i = -2..S+1 a point in the frame reaches
     * (y may be a hair below 0: floor -1; a table: the modulo in mirror
     * was most of the rotation's time) */
    int mir[S + 4];
    for (int i = -2; i <= S + 1; i++)
        mir[i + 2] = mirror(i, S);
    const double ct = 0.5 * (S - 1), cs = cos(deg * (PI / 180.0)), sn = sin(deg * (PI / 180.0));
    for (int r = 0; r < S; r++)
        for (int c = 0; c < S; c++) {
            data_geo_px *q = plan + r * S + c;
            double dr = r - ct, dc = c - ct;
            double y = ct + cs * dr + sn * dc, x = ct - sn * dr + cs * dc;
            q->in = !(y < -1e-9 || y > S - 1 + 1e-9 || x < -1e-9 || x > S - 1 + 1e-9);
            if (!q->in)
                continue;
            int iy = (int)floor(y), ix = (int)floor(x);
            bspline_weights(y - iy, q->wy);
            bspline_weights(x - ix, q->wx);
            for (int a = 0; a < 4; a++) { /* knot iy - 1 + a */
                q->row[a] = mir[iy + 1 + a] * S;
                q->col[a] = mir[ix + 1 + a];
            }
        }
}

/* out [32][32] = in rotated by a plan's angle about (15.5, 15.5), counter-
 * clockwise as displayed (rows down); in is overwritten with its spline
 * coefficients. Points that fall outside the frame are 0. */
void data_geo_rotate_by(double *in, double *out, const data_geo_px *plan)
{
    for (int r = 0; r < S; r++)
        spline_coeffs_1d(in + r * S, S, 1);
    spline_coeffs_cols(in);
    for (int p = 0; p < S * S; p++) {
        const data_geo_px *q = plan + p;
        if (!q->in) {
            out[p] = 0.0;
            continue;
        }
        double v = 0.0;
#pragma GCC unroll 4
        for (int a = 0; a < 4; a++) {
            const double *row = in + q->row[a];
            double h = 0.0;
#pragma GCC unroll 4
            for (int b = 0; b < 4; b++)
                h += rounded_product(q->wx[b], row[q->col[b]]);
            v += rounded_product(q->wy[a], h);
        }
        out[p] = v;
    }
}

#define BLUR_R 4 /* kernel radius: (int)(4 sigma + 0.5) for sigma <= 1.1 */

/* Reflect index into [0, n): -1 -> 0, n -> n - 1 (half-sample symmetry). */
static int reflect(int i, int n)
{
    if (i < 0)
        i = -i - 1;
    return i >= n ? 2 * n - 1 - i : i;
}

/* Separable Gaussian blur of img [32][32] in place, edges reflected; the
 * kernel sums to 1. Each output is the sum over d = -rad..rad in that
 * order, of products rounded before they are added: the products and the
 * sums are two loops over a row (both vectorise), which GCC does not fuse
 * into multiply-adds, whatever -mtune says (its Zen tuning left the scalar
 * sums of the first version unfused, and the bytes must stay those). */
void data_geo_blur(double *img, double sigma)
{
    double k[2 * BLUR_R + 1], sum = 0, tmp[S * S], pad[S + 2 * BLUR_R], acc[S], t[S];
    int rad = (int)(4.0 * sigma + 0.5);
    if (rad > BLUR_R)
        rad = BLUR_R;
    for (int d = -rad; d <= rad; d++)
        sum += k[d + rad] = exp(-0.5 * d * d / (sigma * sigma));
    for (int d = 0; d <= 2 * rad; d++)
        k[d] /= sum;
    int ref[S + 2 * BLUR_R]; /* reflect(i, S) for i = -BLUR_R..S+BLUR_R-1 */
    for (int i = -BLUR_R; i < S + BLUR_R; i++)
        ref[i + BLUR_R] = reflect(i, S);
    for (int i = 0; i < S; i++) { /* along the rows: each row reflected into pad */
        for (int q = 0; q < S + 2 * BLUR_R; q++)
            pad[q] = img[i * S + ref[q]];
        for (int j = 0; j < S; j++)
            acc[j] = 0;
        for (int d = -rad; d <= rad; d++) {
            for (int j = 0; j < S; j++)
                t[j] = k[d + rad] * pad[BLUR_R + j + d];
            for (int j = 0; j < S; j++)
                acc[j] += t[j];
        }
        memcpy(tmp + i * S, acc, sizeof acc);
    }
    for (int i = 0; i < S; i++) { /* along the columns: rows of tmp */
        for (int j = 0; j < S; j++)
            acc[j] = 0;
        for (int d = -rad; d <= rad; d++) {
            const double *row = tmp + ref[BLUR_R + i + d] * S;
            for (int j = 0; j < S; j++)
                t[j] = k[d + rad] * row[j];
            for (int j = 0; j < S; j++)
                acc[j] += t[j];
        }
        memcpy(img + i * S, acc, sizeof acc);
    }
}

int data_geomnist_ids(data_set *ds, int k, const int *class_ids, int per_class, uint64_t seed,
                      int purpose, lesde_err *e)
{
    memset(ds, 0, sizeof *ds);
    int rc = data_check_classes("geomnist", k, class_ids, DATA_GEOMNIST_MAX_K, per_class, e);
    if (rc)
        return rc;
    int n = k * per_class, px = S * S;
    if ((rc = data_alloc(ds, n, 1, S, S, k, e)))
        return rc;
    int *perm = malloc((size_t)n * sizeof *perm);
    data_geo_px *plan = malloc(sizeof *plan * px);
    gsl_rng *streams[DATA_GEOMNIST_MAX_K] = {0};
    if (!perm || !plan) {
        free(perm);
        free(plan);
        data_free(ds);
        return err_set(e, LESDE_FAIL, "geomnist: out of memory");
    }
    if ((rc = data_permutation(perm, n, seed, purpose, e)))
        goto out;
    /* Validation samples sit half a step after the training ones. Sample
     * i of every class has the same angle: one rotation plan serves the k
     * shapes (its knots and weights were ~40% of a rotation's time). */
    double offset = purpose == RNG_DATA_VAL ? 0.5 : 0.0;
    for (int j = 0; j < k; j++) {
        /* One stream per shape: a shape's images do not depend on k. */
        streams[j] =
            rng_stream(seed, (uint64_t)purpose, 1 + (uint64_t)(class_ids ? class_ids[j] : j));
        if (!streams[j]) {
            rc = err_set(e, LESDE_FAIL, "out of memory for a random stream");
            goto out;
        }
    }
    for (int i = 0; i < per_class; i++) {
        double u = (i + offset) / per_class, bin[S * S];
        data_geo_rotation(176.0 * u, plan);
        for (int j = 0; j < k; j++) {
            double sigma = 0.9 + 0.2 * gsl_rng_uniform(streams[j]);
            int at = perm[j * per_class + i];
            double *img = ds->x + (size_t)at * px;
            data_geo_mask(bin, class_ids ? class_ids[j] : j, u);
            data_geo_rotate_by(bin, img, plan);
            data_geo_blur(img, sigma);
            ds->label[at] = ds->train_label[at] = j;
        }
    }
out:
    for (int j = 0; j < k; j++)
        if (streams[j])
            gsl_rng_free(streams[j]);
    free(plan);
    free(perm);
    if (rc)
        data_free(ds);
    return rc;
}

int data_geomnist(data_set *ds, int k, int per_class, uint64_t seed, int purpose, lesde_err *e)
{
    return data_geomnist_ids(ds, k, NULL, per_class, seed, purpose, e);
}
