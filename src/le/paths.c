/* Noisy LE-ODE paths (le-sde.md section 5, last sentences).
 *
 * dX = M(t) X dt + sigma_k dW^k, balanced pi, two-parameter E, H = I or L.
 * Between checkpoints the coefficients are taken constant with the given
 * increments dA, dB of A, B; then the drift propagator over any part of the
 * interval is the closed form with the matching fraction of dA, dB (exact:
 * for a constant M the L-model's J_b is the closed form's own). The noise
 * integral int Phi(t, u) sigma dW(u) is taken by the midpoint rule:
 *     X(t_{c+1}) = Phi_half (Phi_half X(t_c) + sigma sqrt(dt) Z),
 * Phi_half = closed form with (dA/2, dB/2). So the mean over paths follows
 * the piecewise-constant-coefficient ODE exactly, and the covariance is
 * exact where M = 0 and second order in (alpha dt) otherwise. */
#include "le/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/rng.h"
#include "le/ode.h"

void le_cumtrapz(const double *t, const double *f, int C, double *out)
{
    if (C < 1)
        return;
    out[0] = 0;
    for (int c = 1; c < C; c++)
        out[c] = out[c - 1] + 0.5 * (t[c] - t[c - 1]) * (f[c] + f[c - 1]);
}

int le_paths(const double *t, const double *A, const double *B, int C,
             const double *x0, int K, int p, le_model model, int paths,
             double noise_scale, uint64_t seed, double *mean, double *std,
             lesde_err *e)
{
    if (C < 1 || K < 1 || p < 1 || paths < 1)
        return err_set(e, LESDE_USAGE, "paths: bad sizes (C %d, K %d, p %d, paths %d)",
                       C, K, p, paths);
    if (model != LE_MODEL_I && (model != LE_MODEL_L || p != K || K < 2))
        return err_set(e, LESDE_USAGE, "paths: model %d with K = %d, p = %d (L needs p == K >= 2)",
                       (int)model, K, p);
    if (!(noise_scale >= 0) || !isfinite(noise_scale))
        return err_set(e, LESDE_USAGE, "paths: noise_scale = %g, needs a finite value >= 0",
                       noise_scale);
    for (int c = 0; c < C; c++)
        if (!isfinite(t[c]) || !(t[c] >= 0) || (c && !(t[c] >= t[c - 1])))
            return err_set(e, LESDE_USAGE, "paths: checkpoint times must be finite, >= 0 and "
                           "increasing (t[%d] = %g)", c, t[c]);
    size_t D = (size_t)K * p;
    double *sig = malloc((size_t)K * sizeof *sig);
    double *x = malloc(D * sizeof *x), *y = malloc(D * sizeof *y);
    gsl_rng *rng = rng_stream(seed, RNG_PATHS, 0);
    if (!sig || !x || !y || !rng) {
        free(sig), free(x), free(y);
        if (rng)
            gsl_rng_free(rng);
        return err_set(e, LESDE_FAIL, "paths: out of memory");
    }
    for (int k = 0; k < K; k++) {
        double n2 = 0;
        for (int j = 0; j < p; j++)
            n2 += x0[(size_t)k * p + j] * x0[(size_t)k * p + j];
        sig[k] = noise_scale * sqrt(n2) / sqrt((double)K);
    }
    /* Welford across paths: mean holds the running mean, std the M2. */
    memset(mean, 0, (size_t)C * D * sizeof *mean);
    memset(std, 0, (size_t)C * D * sizeof *std);
    for (int r = 0; r < paths; r++) {
        for (size_t i = 0; i < D; i++)
            x[i] = x0[i] + sig[i / p] * gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (int c = 0; c < C; c++) {
            if (c > 0) {
                double dA = 0.5 * (A[c] - A[c - 1]), dB = 0.5 * (B[c] - B[c - 1]);
                double sq = sqrt(t[c] - t[c - 1]);
                le_ode_closed_form(x, K, p, model, dA, dB, y);
                for (size_t i = 0; i < D; i++)
                    y[i] += sig[i / p] * sq * gsl_ran_gaussian_ziggurat(rng, 1.0);
                le_ode_closed_form(y, K, p, model, dA, dB, x);
            }
            double *m = mean + (size_t)c * D, *m2 = std + (size_t)c * D;
            for (size_t i = 0; i < D; i++) {
                double d = x[i] - m[i];
                m[i] += d / (r + 1);
                m2[i] += d * (x[i] - m[i]);
            }
        }
    }
    for (size_t i = 0; i < (size_t)C * D; i++)
        std[i] = paths > 1 ? sqrt(std[i] / (paths - 1)) : 0.0;
    free(sig), free(x), free(y);
    gsl_rng_free(rng);
    return LESDE_OK;
}
