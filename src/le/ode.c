/* ode: the LE-ODE dXbar/dt = M(t) Xbar, M_kl = E_kl pi_l H_kl (le-sde.md
 * sections 2, 3, 6): closed forms, odeiv2 integration, ETF measures.
 *
 * Shapes: x [K][p] row-major, E [K][K], pi [K].
 *
 * L-model closed form, the part the science text leaves implicit. With
 * s_l = <X^l, dhat_l>, S = mean_l s_l, u_l = s_l - S and sum_l dhat_l = 0:
 *   X^k(t) - X^k(0) = (1/K) sum_l (int E_kl s_l) dhat_l
 *                   = (s_k(t) - s_k(0)) dhat_k + J_b(t) w_k,
 *   w_k = sum_{l != k} u_l(0) dhat_l  minus its component along dhat_k,
 *   J_b(t) = (1/K) int_0^t beta(tau) exp(h(tau)) dtau, h = (A + B/(K-1))/K.
 * The s-coordinates (all the estimators use) depend on A, B only, but for
 * K >= 3 the component w_k does not: the M(t) of the L-model do not commute.
 * J_b = (B/K) (e^h - 1)/h exactly when beta/alpha is constant in time (and
 * for beta = 0, alpha = 0, or K = 2 where w_k = 0); le_ode_closed_form uses
 * that, le_ode_closed_form_j takes J_b from the caller. */
#include "le/ode.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

/* dhat_l = (e_l - 1_K/K) / |e_l - 1_K/K|, |.| = sqrt((K-1)/K); into d [K][K]. */
void le_ode_dhat(int K, double *d)
{
    double inv = 1.0 / sqrt((K - 1.0) / K);
    for (int l = 0; l < K; l++)
        for (int j = 0; j < K; j++)
            d[l * K + j] = ((j == l) - 1.0 / K) * inv;
}

/* <x, dhat_k> without forming dhat_k: (x_k - mean(x)) / |d_k|. */
static double s_coord(const double *x, int K, int k)
{
    double m = 0;
    for (int j = 0; j < K; j++)
        m += x[j];
    m /= K;
    return (x[k] - m) / sqrt((K - 1.0) / K);
}

void le_centre(const double *x, int K, int p, double mean_scale, double dev_scale, double *out)
{
    for (int j = 0; j < p; j++) {
        double c = 0;
        for (int k = 0; k < K; k++)
            c += x[k * p + j];
        c /= K;
        if (mean_scale != 0)
            for (int k = 0; k < K; k++)
                out[k * p + j] = c * mean_scale + (x[k * p + j] - c) * dev_scale;
        else
            for (int k = 0; k < K; k++)
                out[k * p + j] = (x[k * p + j] - c) * dev_scale;
    }
}

void le_ode_closed_form_j(const double *x0, int K, int p, le_model H, double A,
                          double B, double Jb, double *xt)
{
    if (H == LE_MODEL_I) {
        /* c(t) = c(0) e^{(A+(K-1)B)/K}, D_k(t) = D_k(0) e^{(A-B)/K}, per coordinate */
        double gc = (A + (K - 1) * B) / K, gd = (A - B) / K;
        double ec = exp(gc), ed = exp(gd);
        if (!isinf(ec) && !isinf(ed)) {
            le_centre(x0, K, p, ec, ed, xt);
            return;
        }
        /* Beyond double's range: inf - inf would be a NaN that leaves the
         * medians, where a diverged simulation must score RD's limit 2.
         * Each term as a logarithm: +-inf only where the value is. */
        for (int j = 0; j < p; j++) {
            double c = 0;
            for (int k = 0; k < K; k++)
                c += x0[k * p + j];
            c /= K;
            for (int k = 0; k < K; k++) {
                double d = x0[k * p + j] - c;
                double lc = c != 0 ? log(fabs(c)) + gc : -INFINITY;
                double ld = d != 0 ? log(fabs(d)) + gd : -INFINITY;
                double m = fmax(lc, ld), v = 0;
                if (m > -INFINITY) {
                    v = copysign(exp(lc - m), c) + copysign(exp(ld - m), d);
                    v = v != 0 ? copysign(exp(m + log(fabs(v))), v) : 0;
                }
                xt[k * p + j] = v;
            }
        }
        return;
    }
    /* L-model (needs p == K) */
    if (p != K || K < 2) {
        for (int i = 0; i < K * p; i++)
            xt[i] = NAN;
        return;
    }
    double eg = exp((A - B) / K), eh = exp((A + B / (K - 1)) / K);
    double inv = 1.0 / sqrt((K - 1.0) / K);
    double ubuf[64], *u = K <= 64 ? ubuf : malloc(sizeof(double) * K), S0 = 0;
    if (!u) {
        for (int i = 0; i < K * p; i++)
            xt[i] = NAN;
        return;
    }
    for (int k = 0; k < K; k++)
        S0 += (u[k] = s_coord(x0 + k * p, K, k));
    S0 /= K;
    for (int k = 0; k < K; k++)
        u[k] -= S0;
    memcpy(xt, x0, sizeof(double) * (size_t)K * p);
    for (int k = 0; k < K; k++) {
        double uk = u[k];
        double ds = S0 * (eg - 1) + uk * (eh - 1); /* s_k(t) - s_k(0) */
        /* v = ds dhat_k + Jb w_k; sum_{l != k} u_l dhat_l has the coordinate
         * j: (u_j [j != k] - (sum_{l != k} u_l)/K) * inv = (u_j[j!=k] + u_k/K) inv,
         * since sum_l u_l = 0; its dhat_k component is u_k/(K-1). */
        for (int j = 0; j < K; j++) {
            double dk = ((j == k) - 1.0 / K) * inv;
            double uj = (j == k) ? 0.0 : u[j];
            double w = (uj + uk / K) * inv - uk / (K - 1) * dk;
            xt[k * p + j] += ds * dk + Jb * w;
        }
    }
    if (u != ubuf)
        free(u);
}

void le_ode_closed_form(const double *x0, int K, int p, le_model H, double A,
                        double B, double *xt)
{
    double Jb = 0;
    if (H == LE_MODEL_L && K > 2) {
        double h = (A + B / (K - 1)) / K;
        Jb = (B / K) * (fabs(h) < 1e-300 ? 1.0 : expm1(h) / h);
    }
    le_ode_closed_form_j(x0, K, p, H, A, B, Jb, xt);
}

/* ---- general LE-ODE with odeiv2 ---- */

typedef struct {
    int K, p;
    le_model H;
    const double *pi;
    le_E_fn E;
    void *ctx;
    double *Ebuf; /* [K][K] */
    int overflow; /* the right-hand side outgrew double, E being finite */
    double *s;    /* [K] s_l = <X^l, dhat_l> (L-model) */
    double *dhat; /* [K][K] */
} ode_sys;

static int ode_rhs(double t, const double y[], double f[], void *params)
{
    ode_sys *sy = params;
    int K = sy->K, p = sy->p;
    sy->E(t, sy->Ebuf, K, sy->ctx);
    for (int i = 0; i < K * K; i++)
        if (!isfinite(sy->Ebuf[i]))
            return GSL_EBADFUNC;
    if (sy->H == LE_MODEL_I) {
        for (int k = 0; k < K; k++) {
            double *fk = f + k * p;
            for (int j = 0; j < p; j++)
                fk[j] = 0;
            for (int l = 0; l < K; l++) {
                double w = sy->Ebuf[k * K + l] * sy->pi[l];
                const double *yl = y + l * p;
                for (int j = 0; j < p; j++)
                    fk[j] += w * yl[j];
            }
        }
    } else {
        for (int l = 0; l < K; l++) {
            double s = 0;
            for (int j = 0; j < K; j++)
                s += sy->dhat[l * K + j] * y[l * K + j];
            sy->s[l] = s;
        }
        for (int k = 0; k < K; k++) {
            double *fk = f + k * K;
            for (int j = 0; j < K; j++)
                fk[j] = 0;
            for (int l = 0; l < K; l++) {
                double w = sy->Ebuf[k * K + l] * sy->pi[l] * sy->s[l];
                for (int j = 0; j < K; j++)
                    fk[j] += w * sy->dhat[l * K + j];
            }
        }
    }
    for (int i = 0; i < K * p; i++)
        if (!isfinite(f[i])) {
            sy->overflow = 1;
            return GSL_EBADFUNC;
        }
    return GSL_SUCCESS;
}

int le_ode_integrate(const double *x0, int K, int p, le_model H, const double *pi,
                     le_E_fn E, void *ctx, const double *times, int n, double tol,
                     double *out, lesde_err *e)
{
    if (K < 1 || p < 1 || n < 0 || !E || !(tol > 0))
        return err_set(e, LESDE_USAGE, "le_ode_integrate: bad arguments (K=%d, p=%d, n=%d, tol=%g)",
                       K, p, n, tol);
    if (H == LE_MODEL_L && (p != K || K < 2))
        return err_set(e, LESDE_USAGE, "le_ode_integrate: the L-model needs p == K >= 2 (p=%d, K=%d)",
                       p, K);
    for (int i = 0; i < n; i++)
        if (!(times[i] >= 0) || !isfinite(times[i]) || (i > 0 && times[i] < times[i - 1]))
            return err_set(e, LESDE_USAGE, "le_ode_integrate: times must be finite, >= 0 and "
                           "increasing (times[%d] = %g)", i, times[i]);
    size_t dim = (size_t)K * p;
    for (size_t i = 0; i < dim; i++)
        if (!isfinite(x0[i])) { /* nothing to integrate: undefined everywhere */
            for (size_t m = 0; m < (size_t)n * dim; m++)
                out[m] = NAN;
            return LESDE_OK;
        }

    double *buf = malloc(sizeof(double) * (size_t)(K * K * 2 + K * 2 + dim));
    if (!buf)
        return err_set(e, LESDE_FAIL, "le_ode_integrate: out of memory");
    ode_sys sy = {.K = K, .p = p, .H = H, .E = E, .ctx = ctx};
    sy.Ebuf = buf;
    sy.dhat = buf + K * K;
    sy.s = buf + 2 * K * K;
    double *pib = buf + 2 * K * K + K, *y = pib + K;
    for (int l = 0; l < K; l++)
        pib[l] = pi ? pi[l] : 1.0 / K;
    sy.pi = pib;
    if (H == LE_MODEL_L)
        le_ode_dhat(K, sy.dhat);
    memcpy(y, x0, sizeof(double) * dim);

    gsl_odeiv2_system sys = {ode_rhs, NULL, dim, &sy};
    /* First step 1e-3: the unit is one SGD step, and E is O(1) at most. */
    gsl_odeiv2_driver *d = gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, 1e-3, tol, tol);
    if (!d) {
        free(buf);
        return err_set(e, LESDE_FAIL, "le_ode_integrate: out of memory");
    }
    /* A cap on steps so a stiff or exploding E fails instead of hanging. */
    gsl_odeiv2_driver_set_nmax(d, 10000000UL);
    double t = 0;
    int rc = LESDE_OK;
    for (int i = 0; i < n; i++) {
        if (times[i] > t) {
            int st = gsl_odeiv2_driver_apply(d, &t, times[i], y);
            if (st != GSL_SUCCESS && sy.overflow) {
                /* Diverged: +-inf from here on (RD's limit 2, le-sde.md
                 * section 5), signed as the last finite state. */
                const double *last = y;
                for (size_t m = 0; m < dim; m++)
                    if (!isfinite(y[m]))
                        last = i > 0 ? out + (size_t)(i - 1) * dim : x0;
                for (size_t m = (size_t)i * dim; m < (size_t)n * dim; m++) {
                    double v = last[m % dim];
                    out[m] = v == 0 ? 0 : copysign(INFINITY, v);
                }
                break;
            }
            if (st != GSL_SUCCESS) {
                rc = err_set(e, LESDE_FAIL, "le_ode_integrate: odeiv2 failed at t = %g on the way "
                             "to %g (%s)", t, times[i], gsl_strerror(st));
                for (size_t m = (size_t)i * dim; m < (size_t)n * dim; m++)
                    out[m] = NAN;
                break;
            }
        }
        memcpy(out + (size_t)i * dim, y, sizeof(double) * dim);
    }
    gsl_odeiv2_driver_free(d);
    free(buf);
    return rc;
}

/* ---- ETF measures ---- */

double le_etf_dev(const double *x, int K, int p)
{
    if (K < 2)
        return NAN;
    double worst = 0;
    for (int k = 0; k < K; k++) {
        const double *a = x + k * p;
        double aa = 0;
        for (int j = 0; j < p; j++)
            aa += a[j] * a[j];
        for (int l = k + 1; l < K; l++) {
            const double *b = x + l * p;
            double bb = 0, ab = 0;
            for (int j = 0; j < p; j++) {
                bb += b[j] * b[j];
                ab += a[j] * b[j];
            }
            double dev = fabs(ab / sqrt(aa * bb) + 1.0 / (K - 1));
            if (!(aa > 0 && bb > 0) || !isfinite(dev))
                return NAN; /* a zero or non-finite mean has no direction */
            if (dev > worst)
                worst = dev;
        }
    }
    return worst;
}

/* Population std (1/K): the K norms are the whole population. Two passes,
 * so that equal norms give exactly 0. */
static double row_norm(const double *x, int p)
{
    double n2 = 0;
    for (int j = 0; j < p; j++)
        n2 += x[j] * x[j];
    return sqrt(n2);
}

double le_centred_length(const double *x, int K, int p)
{
    double len = 0;
    for (int k = 0; k < K; k++) {
        const double *a = x + (size_t)k * p;
        double m = 0, cc = 0;
        for (int j = 0; j < p; j++)
            m += a[j] / p;
        for (int j = 0; j < p; j++)
            cc += (a[j] - m) * (a[j] - m);
        len += sqrt(cc) / K;
    }
    return len;
}

/* The best prediction on class k is 1 - p_err there and p_err / (K - 1)
 * elsewhere; its log-odds d = ln((1 - p_err)(K - 1) / p_err) give the
 * centred logit d (e_k - 1/K), of length |d| sqrt((K - 1) / K). */
double le_calibrated_length(double p_err, int K)
{
    if (!(p_err > 0 && p_err < 1) || K < 2)
        return NAN;
    double d = log((1 - p_err) * (K - 1) / p_err);
    return (fabs(d) < 1e-12 ? 0.0 : fabs(d)) * sqrt((K - 1.0) / K); /* exactly 0 at p* */
}

double le_norm_spread(const double *x, int K, int p)
{
    if (K < 1)
        return NAN;
    double mean = 0, var = 0;
    for (int k = 0; k < K; k++)
        mean += row_norm(x + k * p, p);
    mean /= K;
    for (int k = 0; k < K; k++) {
        double d = row_norm(x + k * p, p) - mean;
        var += d * d;
    }
    var /= K;
    if (!(mean > 0) || !isfinite(var))
        return NAN;
    return sqrt(var) / mean;
}
