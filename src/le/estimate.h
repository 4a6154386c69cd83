/* estimate: the pieces of le_fit (le-sde.md sections 3 to 5): estimators of
 * A(t) = int_0^t alpha and B(t) = int_0^t beta, the Savitzky-Golay
 * derivative, tail indices and the relative difference RD.
 *
 * Shapes: xbar [C][K][p] row-major (checkpoint, class, coordinate); t [C]
 * checkpoint iterations. NaN in, NaN out: nothing here crashes or aborts on
 * non-finite data. */
#ifndef LESDE_LE_ESTIMATE_H
#define LESDE_LE_ESTIMATE_H

#include "core/err.h"
#include "le/le.h"

/* I-model (any K >= 2, p >= 1): Ahat, Bhat [C] from the class average c(t)
 * and deviations D_k(t), averaging log-ratios over the (k, j) terms that are
 * finite at that checkpoint (a zero coordinate or a zero at t_0 drops the
 * term); NaN where no term is. "Zero" includes |value| <= 1e-12 times the
 * largest |coordinate| it was computed from: below that the subtraction's
 * rounding is all there is, and its log would be noise. */
int le_estimate_i_model(const double *xbar, int C, int K, int p, double *A, double *B,
                        lesde_err *e);

/* L-model (p == K >= 2): from s_k = <Xbar^k, dhat_k> and S = mean_k s_k;
 * NaN where S(t)/S(0) has no finite log or no class term is finite (zero
 * as for the I-model, relative to the largest |coordinate| of Xbar). */
int le_estimate_l_model(const double *xbar, int C, int K, int p, double *A, double *B,
                        lesde_err *e);

/* Either model. */
int le_estimate(le_model m, const double *xbar, int C, int K, int p, double *A, double *B,
                lesde_err *e);

/* Savitzky-Golay window in points for a window of `window_iters` iterations
 * at spacing dt over n points: the odd number nearest window_iters/dt + 1,
 * at least order + 1 (rounded up to odd), at most n (rounded down to odd). */
int le_savgol_points(double window_iters, double dt, int order, int n);

/* First derivative of y [n] (evenly spaced by dt) by a Savitzky-Golay filter
 * of polynomial order `order` and `window` points (odd; clamped as in
 * le_savgol_points). Edges: the polynomial fitted to the first / last window
 * is differentiated at the edge points (scipy mode='interp'). Unit: per unit
 * of dt. A NaN in y makes NaN the derivatives whose window holds it. If the
 * clamped window has fewer than order + 1 points the order drops to
 * window - 1; n < 2 gives NaN. */
int le_savgol_deriv(const double *y, int n, double dt, int order, int window, double *dy,
                    lesde_err *e);

/* Same on uneven t [n] (increasing): linear interpolation onto an even grid
 * of m points over [t0, t_{n-1}] (m = 0: n, at least enough for 21 points
 * per window), derivative there, mapped back to t by linear interpolation.
 * window_iters as in le_savgol_points. Even t skips the interpolation. */
int le_savgol_deriv_t(const double *t, const double *y, int n, int order,
                      double window_iters, int m, double *dy, lesde_err *e);

/* Tail index, estimator 1: 1 - avg log|A(t)| / log(1 + t) over checkpoints
 * with t >= t_last - tail_frac (t_last - t_0), t > 0, finite terms only;
 * NaN if none. */
double le_tail_index(const double *t, const double *A, int C, double tail_frac);

/* Tail index, estimator 2: minus the least-squares slope of log|a(t)|
 * against log(1 + t) over the same window (finite points only; NaN if fewer
 * than two or no spread in t). */
double le_tail_index_slope(const double *t, const double *a, int C, double tail_frac);

/* RD_k(c) = |x^k - y^k| / ((|x^k| + |y^k|) / 2) for x, y [C][K][p] into
 * rd [C][K]; 0 when both are zero, NaN when either is non-finite. */
void le_rd(const double *x, const double *y, int C, int K, int p, double *rd);

#endif
