/* fit: le_fit, one run's genuine mean logits against the LE-ODE
 * (le-sde.md sections 3 to 6).
 *
 * The simulation of each model is the LE-ODE driven by the piecewise-linear
 * interpolant of that model's alphahat, betahat through the checkpoints:
 * * I-model: closed form with A, B the trapezoid integrals of alphahat,
 *   betahat, which are the exact integrals of that interpolant, so the
 *   result is exact for it and costs O(C K p).
 * * L-model: odeiv2 (rk8pd, tolerance 1e-10), because for K >= 3 Xbar(t)
 *   is not a function of A(t), B(t) alone (ode.c). Output times are the
 *   checkpoints, so no step straddles a kink of the interpolant.
 * Both models thus see the same alpha(t), beta(t) and differ only by H. */
#include "le/le.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "le/estimate.h"
#include "le/ode.h"

/* piecewise-linear alpha(t), beta(t) on t [C] for the odeiv2 callback */
typedef struct {
    const double *t, *a, *b;
    int C, cur;
} pl_ctx;

static void pl_E(double tt, double *E, int K, void *vctx)
{
    pl_ctx *x = vctx;
    const double *t = x->t;
    int c = x->cur;
    while (c < x->C - 2 && tt > t[c + 1])
        c++;
    while (c > 0 && tt < t[c])
        c--;
    x->cur = c;
    double f = (tt - t[c]) / (t[c + 1] - t[c]);
    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    double al = x->a[c] + f * (x->a[c + 1] - x->a[c]);
    double be = x->b[c] + f * (x->b[c + 1] - x->b[c]);
    for (int k = 0; k < K; k++)
        for (int l = 0; l < K; l++)
            E[k * K + l] = k == l ? al : be;
}

void le_fit_free(le_fit_result *r)
{
    if (!r)
        return;
    for (int m = 0; m < LE_NUM_MODELS; m++) {
        free(r->A[m]);
        free(r->B[m]);
        free(r->alpha[m]);
        free(r->beta[m]);
        free(r->sim[m]);
        free(r->rd[m]);
    }
    free(r->etf_dev);
    free(r->norm_spread);
    memset(r, 0, sizeof *r);
}

static void fill_nan(double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = NAN;
}

/* One model: estimates, derivatives, tail indices, simulation, RD. */
static int fit_model(le_model m, const double *t, int C, const double *xbar, int K, int p,
                     const le_fit_opts *o, double window, double *tz, le_fit_result *r,
                     lesde_err *e)
{
    size_t ckp = (size_t)C * K * p;
    if (m == LE_MODEL_L && p != K) { /* the L-model is undefined: NaN, not an error */
        fill_nan(r->A[m], C);
        fill_nan(r->B[m], C);
        fill_nan(r->alpha[m], C);
        fill_nan(r->beta[m], C);
        fill_nan(r->sim[m], ckp);
        fill_nan(r->rd[m], (size_t)C * K);
        r->r_alpha[m] = r->r_beta[m] = r->r_alpha_slope[m] = r->r_beta_slope[m] = NAN;
        return LESDE_OK;
    }
    int rc = le_estimate(m, xbar, C, K, p, r->A[m], r->B[m], e);
    if (!rc)
        rc = le_savgol_deriv_t(t, r->A[m], C, o->sg_order, window, 0, r->alpha[m], e);
    if (!rc)
        rc = le_savgol_deriv_t(t, r->B[m], C, o->sg_order, window, 0, r->beta[m], e);
    if (rc)
        return rc;
    r->r_alpha[m] = le_tail_index(t, r->A[m], C, o->tail_frac);
    r->r_beta[m] = le_tail_index(t, r->B[m], C, o->tail_frac);
    r->r_alpha_slope[m] = le_tail_index_slope(t, r->alpha[m], C, o->tail_frac);
    r->r_beta_slope[m] = le_tail_index_slope(t, r->beta[m], C, o->tail_frac);

    double *sim = r->sim[m];
    if (m == LE_MODEL_I) {
        double A = 0, B = 0;
        memcpy(sim, xbar, sizeof(double) * K * p);
        for (int c = 1; c < C; c++) {
            double h = (t[c] - t[c - 1]) / 2;
            A += h * (r->alpha[m][c - 1] + r->alpha[m][c]);
            B += h * (r->beta[m][c - 1] + r->beta[m][c]);
            le_ode_closed_form(xbar, K, p, LE_MODEL_I, A, B, sim + (size_t)c * K * p);
        }
    } else {
        for (int c = 0; c < C; c++)
            tz[c] = t[c] - t[0];
        pl_ctx ctx = {.t = tz, .a = r->alpha[m], .b = r->beta[m], .C = C, .cur = 0};
        lesde_err oe;
        /* a failure (NaN alphahat, blow-up) leaves NaN from there on, which
         * is the honest answer; it is not an error of the fit */
        le_ode_integrate(xbar, K, p, m, NULL, pl_E, &ctx, tz, C, 1e-10, sim, &oe);
    }
    le_rd(xbar, sim, C, K, p, r->rd[m]);
    return LESDE_OK;
}

int le_fit(const double *t, int C, const double *xbar, int K, int p,
           const le_fit_opts *opts, le_fit_result *out, lesde_err *e)
{
    memset(out, 0, sizeof *out);
    if (C < 2 || K < 2 || p < 1)
        return err_set(e, LESDE_USAGE, "le_fit: needs C >= 2, K >= 2, p >= 1 (C=%d, K=%d, p=%d)",
                       C, K, p);
    for (int c = 0; c < C; c++)
        if (!isfinite(t[c]) || t[c] < 0 || (c > 0 && !(t[c] > t[c - 1])))
            return err_set(e, LESDE_USAGE, "le_fit: checkpoint iterations must be finite, >= 0 "
                           "and increasing (t[%d] = %g)", c, t[c]);
    le_fit_opts o;
    if (opts)
        o = *opts;
    else
        le_fit_opts_default(&o);
    double window = o.sg_window > 0 ? o.sg_window : (t[C - 1] - t[0]) / 20;

    out->C = C;
    out->K = K;
    out->p = p;
    size_t ckp = (size_t)C * K * p;
    int ok = 1;
    for (int m = 0; m < LE_NUM_MODELS; m++) {
        ok &= !!(out->A[m] = malloc(sizeof(double) * C));
        ok &= !!(out->B[m] = malloc(sizeof(double) * C));
        ok &= !!(out->alpha[m] = malloc(sizeof(double) * C));
        ok &= !!(out->beta[m] = malloc(sizeof(double) * C));
        ok &= !!(out->sim[m] = malloc(sizeof(double) * ckp));
        ok &= !!(out->rd[m] = malloc(sizeof(double) * C * K));
    }
    ok &= !!(out->etf_dev = malloc(sizeof(double) * C));
    ok &= !!(out->norm_spread = malloc(sizeof(double) * C));
    double *tz = malloc(sizeof(double) * C);
    if (!ok || !tz) {
        free(tz);
        le_fit_free(out);
        return err_set(e, LESDE_FAIL, "le_fit: out of memory (C=%d, K=%d, p=%d)", C, K, p);
    }
    int rc = LESDE_OK;
    for (int m = 0; m < LE_NUM_MODELS && !rc; m++)
        rc = fit_model((le_model)m, t, C, xbar, K, p, &o, window, tz, out, e);
    free(tz);
    if (rc) {
        le_fit_free(out);
        return err_prefix(e, "le_fit");
    }
    for (int c = 0; c < C; c++) {
        out->etf_dev[c] = le_etf_dev(xbar + (size_t)c * K * p, K, p);
        out->norm_spread[c] = le_norm_spread(xbar + (size_t)c * K * p, K, p);
    }
    return LESDE_OK;
}
