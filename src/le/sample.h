/* sample: the sample-level part of le (le-sde.md sections 2, 5, 6, 7):
 * exact linear separability (LP, GLPK), NC1 and the margin along the
 * class-mean direction, the closed-form integrals of the gamma schedules,
 * noisy LE-ODE paths, and the reader of mean-logit CSV files.
 * Plain arrays, row-major; features x [n][p] with labels [n] in 0..K-1. */
#ifndef LESDE_LE_SAMPLE_H
#define LESDE_LE_SAMPLE_H

#include <stdint.h>

#include "core/err.h"
#include "le/le.h"

/* ---- separability and collapse (separ.c, collapse.c) ---- */

/* 1 if the point clouds P [nP][p] and Q [nQ][p] are strictly linearly
 * separable (exists w, b: w.x + b >= 1 on P, <= -1 on Q), 0 if not, -1 on
 * error (e filled: LESDE_USAGE for non-finite input, LESDE_FAIL if GLPK
 * fails). An empty P or Q is separable. Exact (glp_exact decides what the
 * float simplex cannot certify) on the data centred and scaled per
 * coordinate, i.e. up to ~1e-16 of each coordinate's range: duplicates
 * across the classes are never separable, any real margin is found. */
int le_separable(const double *P, int nP, const double *Q, int nQ, int p,
                 lesde_err *e);

/* Pairwise separability over the classes that have samples: *frac = the
 * fraction of separable pairs, *all = 1 if every pair is, else 0 (both NaN
 * when fewer than two classes have samples: no pair to test). Returns
 * LESDE_OK or an error code. */
int le_separable_pairs(const double *x, const int *labels, int n, int K, int p, double *frac,
                       double *all, lesde_err *e);

/* NC1 = trace(Sigma_W Sigma_B^+) / K' over the K' classes that have samples:
 * Sigma_W = (1/N) sum_i (x_i - mu_{y_i})(x_i - mu_{y_i})^T,
 * Sigma_B = (1/K') sum_k (mu_k - mu_G)(mu_k - mu_G)^T, mu_G = mean of the
 * class means; Sigma_B^+ by SVD, singular values below
 * max(p, K') * DBL_EPSILON * s_max dropped. NaN when undefined (fewer than
 * two classes, or all class means equal). Scale-invariant (data are scaled
 * by a power of two first, so 1e300 features do not overflow). */
int le_nc1(const double *x, const int *labels, int n, int K, int p,
           double *nc1, lesde_err *e);

/* Margin along the class-mean direction. For classes k < l with sample
 * means m_k != m_l, u = (m_l - m_k) / |m_l - m_k| and
 *     gap_kl = min_{i in l} <x_i, u> - max_{j in k} <x_j, u>;
 * the margin is min over pairs of gap_kl / |m_l - m_k|: 1 when every class
 * has collapsed to a point, 0 when two classes touch along u, negative
 * when they overlap (-3: the overlap is three times the mean distance).
 * Positive implies pairwise separable (u separates); scale-invariant.
 * NaN if two classes have equal means or fewer than two have samples. */
double le_margin_mean_dir(const double *x, const int *labels, int n, int K,
                          int p);

/* ---- the gamma schedules (sde.c) ---- */

/* A(t) = int_0^t alpha, B(t) = int_0^t beta, Gamma = A - B of cfg's
 * schedule, in closed form (s = 1 and s_b = 1 give logarithms, continuously). */
void le_sde_integrals(const le_sde_config *cfg, double t, double *A, double *B);

/* int_0^t (1+u)^-s du = log1p(t) for s = 1, continuous in s. */
double le_power_integral(double s, double t);

/* One observation of the sample-level LE-SDE (sde.c explains the initial
 * condition). Samples are given centred at cbar(t) = (1/K) sum_k Xbar^k(t)
 * and divided by e^lnscale (lnscale = 0 unless they would overflow, for
 * s < 1 at huge t): separability, the margin and NC1 are invariant. */
typedef struct {
    int j;                /* observation index */
    double t, A, B;       /* time, A(t), B(t) */
    double lnscale;       /* of x and dbar */
    double lnscale_xbar;  /* of xbar */
    int K, n, p;
    const double *x;      /* [K*n][p] (X_i^k(t) - cbar(t)) / e^lnscale, class k
                             in rows k*n .. k*n+n-1 */
    const int *labels;    /* [K*n] */
    const double *dbar;   /* [K][p] (Xbar^k(t) - cbar(t)) / e^lnscale */
    const double *xbar;   /* [K][p] Xbar(t) / e^lnscale_xbar (closed form) */
    const double *xbar0;  /* [K][p] Xbar(0) */
} le_sde_obs;

/* Called at each observation; a non-zero return stops the simulation
 * and is returned by le_sde_simulate. */
typedef int (*le_sde_obs_fn)(const le_sde_obs *o, void *ctx, lesde_err *e);

/* Simulates cfg's sample-level LE-SDE (exact in distribution at every
 * observation time, log-spaced in [1, T]; randomness from
 * rng_stream(seed, RNG_SDE, 0)) and hands every observation to fn. */
int le_sde_simulate(const le_sde_config *cfg, le_sde_obs_fn fn, void *ctx,
                    lesde_err *e);

/* ---- noisy LE-ODE paths (paths.c) ---- */

/* Simulates `paths` paths of the linear LE-SDE dX = M(t) X dt + sigma_k dW
 * (balanced pi, two-parameter E, H = model) through checkpoints t[C]
 * (increasing, t[0] >= 0), given A[C], B[C] = int_0^t alpha, beta (e.g. the
 * cumulative trapezoid of alphahat, betahat: le_cumtrapz). Every path starts
 * at Xbar(0) = x0 [K][p] plus N(0, sigma_k^2 I) and gets Brownian noise of
 * scale sigma_k = noise_scale * |x0^k| / sqrt(K). Scheme: exponential Euler
 * on the checkpoint grid, X(t_{c+1}) = Phi(t_{c+1}, t_c) (X(t_c) +
 * sigma sqrt(t_{c+1} - t_c) Z), with the exact propagator Phi from the
 * closed form with A, B increments: the mean across paths follows the
 * closed-form ODE exactly; the variance is exact when M = 0 on an interval
 * and first-order in the step otherwise. Writes mean and std (sample std,
 * n - 1; 0 for one path) across paths, both [C][K][p]. Randomness from
 * rng_stream(seed, RNG_PATHS, 0). */
int le_paths(const double *t, const double *A, const double *B, int C,
             const double *x0, int K, int p, le_model model, int paths,
             double noise_scale, uint64_t seed, double *mean, double *std,
             lesde_err *e);

/* out[c] = int_{t_0}^{t_c} f by the trapezoid rule (out[0] = 0). */
void le_cumtrapz(const double *t, const double *f, int C, double *out);

/* ---- mean-logit CSV files (csv.c) ---- */

/* Reads a CSV with header "t,class,x0,...,x{p-1}" and one row per
 * checkpoint and class (rows sorted by t; classes 0..K-1 at every
 * checkpoint, in any order within it) into *t [C] and *xbar [C][K][p]
 * (malloc'd; free them); C >= 2 and K >= 2, as a fit needs. need_even:
 * uneven t spacing is an error. Accepts CRLF, a UTF-8 BOM and trailing
 * blank lines; x fields may be nan/inf, t and class may not. Errors are
 * LESDE_USAGE with "<path>:<line>: ...". */
int le_csv_read(const char *path, int need_even, double **t, int *C,
                double **xbar, int *K, int *p, lesde_err *e);

#endif
