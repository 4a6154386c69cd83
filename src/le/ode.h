/* ode: the LE-ODE dXbar/dt = M(t) Xbar, M_kl(t) = E_kl(t) pi_l H_kl
 * (le-sde.md sections 2 and 3). Xbar is [K][p], row-major. */
#ifndef LESDE_LE_ODE_H
#define LESDE_LE_ODE_H

#include "core/err.h"
#include "le/le.h"

/* Closed form, balanced pi and two-parameter E: Xbar(t) from Xbar(0) given
 * A = int_0^t alpha and B = int_0^t beta, under H = I or L (L: p == K).
 * x0 and xt are [K][p]; xt may not alias x0. Under I, a solution beyond
 * double's range is +-inf, signed by its faster mode (never inf - inf). */
void le_ode_closed_form(const double *x0, int K, int p, le_model H, double A,
                        double B, double *xt);

/* The exact L-model form behind le_ode_closed_form (see ode.c): for K >= 3
 * the component of Xbar^k that is orthogonal to dhat_k and 1_K moves with
 * Jb = (1/K) int_0^t beta(tau) exp((A(tau) + B(tau)/(K-1))/K) dtau, which A(t),
 * B(t) alone do not fix. le_ode_closed_form takes Jb = (B/K)(e^h - 1)/h,
 * h = (A + B/(K-1))/K, exact when beta/alpha is constant in time (beta = 0
 * included) and always for K = 2; otherwise pass Jb from a quadrature, or
 * use le_ode_integrate. The s_k = <Xbar^k, dhat_k> are exact either way.
 * H = I ignores Jb (its closed form is exact). */
void le_ode_closed_form_j(const double *x0, int K, int p, le_model H, double A,
                          double B, double Jb, double *xt);

/* Per coordinate j of x [K][p], with c_j the mean over k of x[k][j]:
 * out[k][j] = c_j mean_scale + (x[k][j] - c_j) dev_scale (the c_j term left
 * out when mean_scale is 0). out may be x. */
void le_centre(const double *x, int K, int p, double mean_scale, double dev_scale, double *out);

/* dhat_l = d_l / |d_l|, d_l = e_l - 1_K/K, as rows of d [K][K]. */
void le_ode_dhat(int K, double *d);

/* E(t) [K][K] of a general LE-ODE, written by the callback into E. */
typedef void (*le_E_fn)(double t, double *E, int K, void *ctx);

/* Integrates the general LE-ODE with GSL odeiv2 (rk8pd, absolute and
 * relative tolerance tol) from x0 at t=0 to each of times[n] (increasing,
 * >= 0), writing Xbar(times[i]) into out [n][K][p]. pi [K] (NULL: 1/K).
 * A solution that outgrows double (its right-hand side overflows) is
 * +-inf from there on, signed as its last finite state, and is no error;
 * any other failure (a non-finite E, the step cap) leaves NaN from there
 * on and returns LESDE_FAIL. */
int le_ode_integrate(const double *x0, int K, int p, le_model H, const double *pi,
                     le_E_fn E, void *ctx, const double *times, int n, double tol,
                     double *out, lesde_err *e);

/* etf_dev = max_{k != l} |cos(x^k, x^l) + 1/(K-1)| of rows x [K][p]. */
double le_etf_dev(const double *x, int K, int p);
/* std_k |x^k| / mean_k |x^k|. */
double le_norm_spread(const double *x, int K, int p);
/* mean_k |x^k - m_k 1| of rows x [K][p], m_k the mean of row k's entries:
 * the length of class mean logits without the part softmax ignores. */
double le_centred_length(const double *x, int K, int p);
/* That length for the logits (p = K) that minimise the cross-entropy when
 * a fraction p_err of each class's labels moves evenly to the other K - 1
 * classes: |ln((1 - p_err)(K - 1) / p_err)| sqrt((K - 1) / K), the same for
 * every class (a simplex ETF). 0 at p* = (K-1)/K; NaN for p_err = 0 (clean
 * labels have no finite minimiser) and p_err >= 1. */
double le_calibrated_length(double p_err, int K);

#endif
