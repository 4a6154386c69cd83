/* euler: one Euler step of the reference method's transition matrix
 * (imitate.h, le_euler_step).
 *
 * Phi is kept row by row, so that its D columns, each an independent
 * path of the linear dynamics, lie side by side: every loop below runs
 * over the columns, D = K p long, and vectorises whatever K is, with each
 * column's arithmetic exactly that of one column alone (the same
 * operations in the same order: the sums over j and l stay in order). It
 * is compiled with GCC's dynamic vectorisation cost model (CMakeLists.txt):
 * -O2's very cheap model leaves loops that need an epilogue scalar.
 *
 * And without contraction (-ffp-contract=off): where a multiply-add fuses
 * is written out, as GCC fused it in the one-column loops of before (the
 * update's (a - b) w + (b sum) where the target has FMA; the dot products
 * never, as GCC's Zen tuning left them), so the results keep their bits. */
#include <math.h>
#include <string.h>

#include "le/imitate.h"

#ifdef __FMA__
#define MADD(x, y, z) fma(x, y, z)
#else
#define MADD(x, y, z) ((x) * (y) + (z))
#endif

void le_euler_step(double *Phi, int K, int p, le_model H, const double *dhat, double a, double b,
                   double *scratch)
{
    size_t D = (size_t)K * p;
    /* per column: w [D rows] (L-model), b sum_l w_l [p rows], <dhat_l, v_l> [1 row] */
    double *w = scratch, *sum = w + D * D, *s = sum + (size_t)p * D;
    memset(sum, 0, sizeof(double) * p * D);
    for (int l = 0; l < K; l++) {
        const double *vl = Phi + (size_t)l * p * D;
        double *wl = w + (size_t)l * p * D;
        if (H == LE_MODEL_L) {
            const double *d = dhat + (size_t)l * K;
            memset(s, 0, sizeof(double) * D);
            for (int j = 0; j < p; j++)
                for (size_t c = 0; c < D; c++)
                    s[c] += d[j] * vl[(size_t)j * D + c];
            for (int j = 0; j < p; j++)
                for (size_t c = 0; c < D; c++)
                    wl[(size_t)j * D + c] = d[j] * s[c];
        }
        /* Under the I-model w_l is v_l itself: read Phi, not a copy of it. */
        const double *src = H == LE_MODEL_L ? wl : vl;
        for (int j = 0; j < p; j++)
            for (size_t c = 0; c < D; c++)
                sum[(size_t)j * D + c] += src[(size_t)j * D + c];
    }
    for (size_t i = 0; i < (size_t)p * D; i++) /* b sum, once for every k */
        sum[i] *= b;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < p; j++) {
            double *v = Phi + ((size_t)k * p + j) * D;
            const double *bsj = sum + (size_t)j * D;
            if (H == LE_MODEL_L) {
                const double *wk = w + ((size_t)k * p + j) * D;
                for (size_t c = 0; c < D; c++)
                    v[c] += MADD(a - b, wk[c], bsj[c]) / K;
            } else { /* its own loop: w aliasing v would send the one above scalar */
                for (size_t c = 0; c < D; c++)
                    v[c] += MADD(a - b, v[c], bsj[c]) / K;
            }
        }
}
