/* euler: one Euler step of the reference method's transition matrix
 * (imitate.h, le_euler_step).
 *
 * Compiled with GCC's dynamic vectorisation cost model (CMakeLists.txt):
 * its loops run over p = K elements, which -O2's very cheap model leaves
 * scalar because they need an epilogue, and at K = 10 this step is ~90% of
 * the fit. Vectorised, every element gets the same operations in the same
 * order (the dot products stay scalar sums): the same bits, and a K = 10
 * task's fit 1.5 -> 1.25 s, K = 8 0.61 -> 0.34 s (docs/benchmarks.md).
 * Kept apart from imitate.c, whose Welford loop would vectorise too and
 * round differently. */
#include <string.h>

#include "le/imitate.h"

/* v += M v for one column v [K][p] under H, with E's alpha a, beta b and
 * balanced pi: (M v)_k = ((a - b) w_k + b sum_l w_l)/K, w_l = v_l (I) or
 * dhat_l <dhat_l, v_l> (L). w, sum [K][p], [p] scratch. */
static void step_column(double *v, int K, int p, le_model H, const double *dhat, double a, double b,
                        double *w, double *sum)
{
    memset(sum, 0, sizeof(double) * p);
    for (int l = 0; l < K; l++) {
        double *wl = w + (size_t)l * p;
        const double *vl = v + (size_t)l * p;
        if (H == LE_MODEL_L) {
            const double *d = dhat + (size_t)l * K;
            double s = 0;
            for (int j = 0; j < p; j++)
                s += d[j] * vl[j];
            for (int j = 0; j < p; j++)
                wl[j] = d[j] * s;
        } else {
            memcpy(wl, vl, sizeof(double) * p);
        }
        for (int j = 0; j < p; j++)
            sum[j] += wl[j];
    }
    for (int k = 0; k < K; k++)
        for (int j = 0; j < p; j++)
            v[(size_t)k * p + j] += ((a - b) * w[(size_t)k * p + j] + b * sum[j]) / K;
}

void le_euler_step(double *Phi, int K, int p, le_model H, const double *dhat, double a, double b,
                   double *w, double *sum)
{
    size_t D = (size_t)K * p;
    for (size_t col = 0; col < D; col++)
        step_column(Phi + col * D, K, p, H, dhat, a, b, w, sum);
}
