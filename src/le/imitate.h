/* imitate: simulating a run's genuine mean logits with its fitted LE-ODE,
 * and the baseline an imitation must beat (docs/le-sde.md, section 5).
 *
 * Shapes: t [C] checkpoint iterations (t[0] = 0 < ... < t[C-1] = T),
 * xbar and every simulation [C][K][p] row-major, alpha and beta [C] per
 * iteration at the checkpoints (between them: linear interpolation). */
#ifndef LESDE_LE_IMITATE_H
#define LESDE_LE_IMITATE_H

#include <stdint.h>

#include "core/err.h"
#include "le/le.h"

/* The end of the plateau at initialisation: the first checkpoint c with
 * |D(t_c)| >= factor |D(t_0)|, D^k = Xbar^k - mean_l Xbar^l the
 * class-centred means, |.| over every class and coordinate. -1 when the
 * means never get there (no class structure emerges), when D(t_0) is zero
 * or when a norm is not finite. */
int le_plateau_index(const double *xbar, int C, int K, int p, double factor);

/* The LE-ODE under H from the genuine Xbar(t_c0), driven by the piecewise-
 * linear alpha, beta: y [C][K][p], NaN before c0 (all NaN for c0 < 0).
 * I: the closed form with A, B the trapezoid integrals from t_c0, exact for
 * that alpha, beta; L: odeiv2 (rk8pd, 1e-10), since for K >= 3 the L-model's
 * solution is not a function of A, B alone (ode.c). A blow-up beyond
 * double's range is +-inf from there on under either model (RD's limit 2:
 * it stays in the medians, le-sde.md section 5); a NaN alpha or beta, or
 * another failure of the integration, leaves NaN. */
int le_imitate_from(const double *t, int C, const double *xbar, int K, int p, int c0,
                    const double *alpha, const double *beta, le_model H, double *y,
                    lesde_err *e);

/* The reference implementation's imitation (the slides' Figure 4):
 *   * paths starts drawn from N(0, sigma_k^2 I) per class, sigma_k =
 *     noise_scale |Xbar^k(t_0)| / sqrt K (no mean: the genuine Xbar(0) is not
 *     used), stream rng_stream(seed, RNG_REFSIM, stream);
 *   * forward Euler with step 1 on every iteration 1..T under H, alpha and
 *     beta interpolated to each iteration;
 *   * the mean across paths multiplied by one scalar, scale = the genuine
 *     Xbar^0_align averaged over the checkpoints of the last tail_iters
 *     iterations, divided by the same average of the mean path; or, when
 *     tail_n > 0, averaged over the tail_n records given instead (the
 *     reference code's every iteration of that window).
 * The dynamics are linear, so every path is Phi(t) y_0 with Phi the
 * transition matrix of the Euler steps: lesde propagates Phi (K p columns)
 * rather than the paths, then gives each path its start: the same numbers,
 * at a cost that does not grow with paths. Writes mean [C][K][p] (rescaled),
 * std [C][K][p] (across paths, n - 1, times |scale|; may be NULL) and
 * *scale (NaN, and NaN curves, when the mean path is 0 there). */
typedef struct {
    int paths;          /* >= 1 */
    double noise_scale; /* 1 in the reference code */
    int align;          /* the coordinate of class 0 the scale is fitted on */
    double tail_iters;  /* 1000 in the reference code */
    int tail_n;         /* records of the genuine means in that window (0: none) */
    const double *tail_t; /* [tail_n] their iterations: increasing, t_0 + an integer */
    const double *tail_x; /* [tail_n][K][p] */
    uint64_t seed;
    uint64_t stream;    /* keeps the draws of several simulations of a task apart */
} le_ref_opts;

/* One forward Euler step (step 1) of the transition matrix Phi [D][D],
 * D = K p, stored row by row (Phi[r D + c]: row r of column c), under H
 * with alpha a, beta b and balanced pi: every column v gets v += M v,
 * (M v)_k = ((a - b) w_k + b sum_l w_l)/K, w_l = v_l (I) or dhat_l
 * <dhat_l, v_l> (L) (euler.c). dhat [K][K]; scratch [(D + p + 1) D]. */
void le_euler_step(double *Phi, int K, int p, le_model H, const double *dhat, double a, double b,
                   double *scratch);

/* The starts le_imitate_reference draws, y0 [paths][K][p], from x0 [K][p]
 * = Xbar(t_0). 0, or -1 when out of memory. */
int le_ref_starts(const double *x0, int K, int p, const le_ref_opts *o, double *y0);

int le_imitate_reference(const double *t, int C, const double *xbar, int K, int p,
                         const double *alpha, const double *beta, le_model H,
                         const le_ref_opts *o, double *mean, double *std, double *scale,
                         lesde_err *e);

/* The ETF baseline (p == K): y^k(t) = S(t) dhat_k with the genuine
 * S(t) = mean_k <Xbar^k(t), dhat_k>: the L-model's simplex-ETF shape at the
 * genuine scale, which needs no fitted dynamics at all. Writes S [C] and
 * y [C][K][K]. */
void le_etf_baseline(const double *xbar, int C, int K, double *S, double *y);

#endif
