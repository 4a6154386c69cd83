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

/* The L-model's coordinates s_k = <x^k, dhat_k> = (x^k_k - mean_j x^k_j) / |d_k|
 * of one checkpoint's means x [K][K] into s [K]; returns max |x| (the scale
 * of the estimators' zero test). */
double le_s_coords(const double *x, int K, double *s);

/* Either model. */
int le_estimate(le_model m, const double *xbar, int C, int K, int p, double *A, double *B,
                lesde_err *e);
/* Either model, with checkpoint ref (0 <= ref < C) as the reference in
 * place of t_0: A(t_ref) = B(t_ref) = 0 (where defined). The logs of ratios
 * are differences of logs, so this is Ahat(t) - Ahat(t_ref) whenever the
 * same terms are finite at t_0 and t_ref. */
int le_estimate_ref(le_model m, const double *xbar, int C, int K, int p, int ref, double *A,
                    double *B, lesde_err *e);

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

/* Tail index, the slides' estimator: 1 - avg log|A(t)| / log(1 + t) over
 * checkpoints with t >= t_last - tail_frac (t_last - t_0), t > 0, finite
 * terms only; NaN if none. It depends on the reference checkpoint of A
 * (tail.c): reported as such, not as the tail index. */
double le_tail_index_ref0(const double *t, const double *A, int C, double tail_frac);

/* Tail index by differences: r = 1 - least-squares slope of
 * log|A(u) - A(u/2)| against log u over the checkpoints u in [t_lo, t_hi]
 * (u > 0; A(u/2) interpolated linearly between checkpoints, NaN below t[0]);
 * finite points only, NaN with fewer than 3. Exact for A = c u^(1-r) + const
 * whatever the constant, for r < 1, r = 1 (A = c log u) and r > 1. */
double le_tail_index_diff(const double *t, const double *A, int C, double t_lo, double t_hi);

/* The local tail-index curve: le_tail_index_diff over the half-decade
 * windows [t_end / sqrt 10, t_end], for R window ends t_end log-spaced over
 * [T 10^-LE_TAIL_LOCAL_DECADES, T], T = t[C-1]. Writes t_end [R], r [R]. */
#define LE_TAIL_LOCAL_DECADES 3
void le_tail_local(const double *t, const double *A, int C, int R, double *t_end, double *r);

/* RD_k(c) = |x^k - y^k| / ((|x^k| + |y^k|) / 2) for x, y [C][K][p] into
 * rd [C][K]; 0 when both are zero. A side that diverged (an infinite
 * coordinate, or a norm beyond double's range) gives RD's limit, 2, the
 * worst: a blown-up imitation counts as the worst, not as missing. NaN
 * when a coordinate is NaN, or both sides are infinite. */
void le_rd(const double *x, const double *y, int C, int K, int p, double *rd);

#endif
