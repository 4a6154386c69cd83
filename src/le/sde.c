/* The sample-level LE-SDE of a gamma schedule (le-sde.md sections 2 and 7).
 *
 * Schedules: gamma(t) = c (1+t)^-s (power) or 1/((e+t) log(e+t)) (boundary,
 * unscaled: c and s are not used), beta(t) = b (1+t)^-s_b, alpha = gamma +
 * beta; A = int_0^t alpha and B = int_0^t beta in closed form.
 *
 * Initial condition (one scale, `noise`, for everything, so that at t = 0 the
 * classes are as mixed as logits of an untrained network):
 *     Xbar^k(0)  = noise * g_k,              g_k   ~ N(0, I_p)  (per seed)
 *     X_i^k(0)   = Xbar^k(0) + noise * z_ik, z_ik  ~ N(0, I_p)
 * and then, exactly (section 2),
 *     X_i^k(t)   = X_i^k(0) + (Xbar^k(t) - Xbar^k(0)) + noise * W_i^k(t),
 * Xbar(t) from the closed form, W_i^k a standard Brownian path in R^p drawn
 * by independent Gaussian increments between successive observation times.
 * With c = 0.5, K = 3, n = 50, noise = 0.05 (L-model) this puts the
 * transition of P(all pairs separable at T) near s = 0.73 for T = 1e4 and
 * s = 0.925 for T = 1e12 (20 seeds; the class means' growth
 * exp(c t^(1-s) / ((1-s) K)) against the noise's sqrt(t)). Under the
 * L-model the component of Xbar^k along 1_K never moves and the noise is
 * isotropic in R^p, 1_K direction included.
 *
 * Huge t: for s < 1 the class means grow like exp(t^(1-s)) and overflow a
 * double long before t = 1e12. Separability and the margin are invariant
 * under a common translation and a common scaling of all features, so they
 * are computed on
 *     Y_i^k = (X_i^k(t) - cbar(t)) / lam,   cbar(t) = (1/K) sum_k Xbar^k(t),
 * lam = e^E, E the largest growth exponent of Xbar^k(t) - cbar(t) (when it
 * exceeds LNSCALE_MIN; else lam = 1). Centring matters for the I-model with
 * beta > 0: its class average grows like exp((A + (K-1) B)/K), the class
 * differences only like exp((A - B)/K), and an uncentred double would lose
 * the differences. Scaled means are formed without overflow:
 * Xbar(t) / lam = F0 / lam + (Xbar(t; A - K E, B) - F0), where F0 is the
 * part of the closed form that does not grow (A -> -inf). etf_dev uses the
 * uncentred Xbar(t) (its own scale: only directions matter). */
#include "le/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "core/rng.h"
#include "le/ode.h"

#define LNSCALE_MIN 300.0 /* e^300 ~ 1e130: squares still fit a double */

/* expm1(a) / a, continuous at a = 0 */
static double expm1_over(double a)
{
    return fabs(a) < 1e-8 ? 1.0 + 0.5 * a : expm1(a) / a;
}

double le_power_integral(double s, double t)
{
    double L = log1p(t); /* (1+t)^(1-s) - 1 = expm1((1-s) L) */
    return L * expm1_over((1.0 - s) * L);
}

void le_sde_integrals(const le_sde_config *cfg, double t, double *A, double *B)
{
    double G = cfg->schedule == LE_SCHED_BOUNDARY ? log(log(M_E + t))
                                                  : cfg->c * le_power_integral(cfg->s, t);
    *B = cfg->b == 0.0 ? 0.0 : cfg->b * le_power_integral(cfg->s_b, t);
    *A = G + *B;
}

/* The largest growth exponent of the closed form's moving modes (ode.c):
 * I: (A + (K-1) B)/K and (A - B)/K; L: (A - B)/K and (A + B/(K-1))/K. */
static double growth_exponent(le_model m, int K, double A, double B)
{
    double e1 = (A - B) / K;
    double e2 = m == LE_MODEL_I ? (A + (K - 1) * B) / K : (A + B / (K - 1)) / K;
    return e1 > e2 ? e1 : e2;
}

/* ---- J_b of the L-model (see ode.h): (1/K) int_0^t beta e^h, h = (A +
 * B/(K-1))/K, divided by e^lnlam, by adaptive Simpson in u = log(1 + tau).
 * The integrand can be a steep exponential at the top end; Simpson halves
 * only where needed. ---- */

typedef struct {
    const le_sde_config *cfg;
    double lnlam;
    double floor_rel; /* relative noise of the integrand: stop splitting there */
    long budget;      /* evaluations left: a hard stop, whatever the integrand */
} jb_ctx;

static double jb_f(jb_ctx *c, double u)
{
    double A, B;
    int K = c->cfg->K;
    c->budget--;
    le_sde_integrals(c->cfg, expm1(u), &A, &B);
    double h = (A + B / (K - 1)) / K;
    /* beta(tau) dtau = b e^{-s_b u} e^u du */
    return c->cfg->b / K * exp((1.0 - c->cfg->s_b) * u + h - c->lnlam);
}

static double simpson(jb_ctx *c, double a, double b, double fa, double fm, double fb,
                      double whole, double tol, int depth)
{
    double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
    double flm = jb_f(c, lm), frm = jb_f(c, rm);
    double left = (m - a) / 6 * (fa + 4 * flm + fm), right = (b - m) / 6 * (fm + 4 * frm + fb);
    double d = left + right - whole;
    if (depth <= 0 || c->budget <= 0 || fabs(d) <= 15 * tol ||
        fabs(d) <= c->floor_rel * fabs(left + right))
        return left + right + d / 15;
    return simpson(c, a, m, fa, flm, fm, left, tol / 2, depth - 1)
         + simpson(c, m, b, fm, frm, fb, right, tol / 2, depth - 1);
}

static double jb_scaled(const le_sde_config *cfg, double t, double lnlam)
{
    enum { PANELS = 32 };
    double U = log1p(t), hw = U / PANELS, coarse = 0, A, B;
    le_sde_integrals(cfg, t, &A, &B);
    /* h - lnlam loses about (|h| + |lnlam|) eps to rounding */
    double hU = (A + B / (cfg->K - 1)) / cfg->K;
    jb_ctx c = {cfg, lnlam, 1e-10 + 1e-14 * (1 + fabs(hU) + fabs(lnlam)), 2000000};
    double f[2 * PANELS + 1];
    for (int i = 0; i <= 2 * PANELS; i++)
        f[i] = jb_f(&c, i * hw / 2);
    for (int i = 0; i < PANELS; i++)
        coarse += hw / 6 * (f[2 * i] + 4 * f[2 * i + 1] + f[2 * i + 2]);
    double tol = 1e-11 * fabs(coarse) / PANELS + 1e-300, sum = 0;
    for (int i = 0; i < PANELS; i++) {
        double whole = hw / 6 * (f[2 * i] + 4 * f[2 * i + 1] + f[2 * i + 2]);
        sum += simpson(&c, i * hw, (i + 1) * hw, f[2 * i], f[2 * i + 1], f[2 * i + 2],
                       whole, tol, 50);
    }
    return sum;
}

/* Xbar(t) / e^lnlam into xm [K][p]; f0 [K][p] scratch. */
static void mean_at(const le_sde_config *cfg, const double *x0, double A, double B,
                    double t, double lnlam, double *xm, double *f0)
{
    int K = cfg->K, p = cfg->p;
    double Jb = 0; /* exact for beta = 0, and unused for K = 2 or the I-model */
    if (cfg->model == LE_MODEL_L && K > 2 && cfg->b != 0.0)
        Jb = jb_scaled(cfg, t, lnlam);
    le_ode_closed_form_j(x0, K, p, cfg->model, A - K * lnlam, B, Jb, xm);
    if (lnlam == 0.0)
        return;
    /* F0: every moving mode below e^-800, i.e. 0 */
    le_ode_closed_form_j(x0, K, p, cfg->model, A - K * (lnlam + 800.0), B, 0.0, f0);
    double inv = exp(-lnlam);
    for (int i = 0; i < K * p; i++)
        xm[i] = (xm[i] - f0[i]) + f0[i] * inv;
}

/* (Xbar^k(t) - cbar(t)) / e^lnD into d [K][p]; returns lnD. xm holds
 * Xbar(t) / e^lnX (mean_at). */
static double centred_means(const le_sde_config *cfg, const double *x0, double A,
                            double B, double lnX, const double *xm, double *d)
{
    int K = cfg->K, p = cfg->p;
    if (cfg->model == LE_MODEL_I) {
        /* section 3: D_k(t) = D_k(0) e^{(A-B)/K}; the class average's mode,
         * which may dwarf it, drops out exactly */
        double ed = (A - B) / K, lnD = ed > LNSCALE_MIN ? ed : 0.0;
        le_centre(x0, K, p, 0.0, exp(ed - lnD), d);
        return lnD;
    }
    /* L-model: no mode is a common translation, so centring Xbar / e^lnX
     * after the fact loses nothing */
    le_centre(xm, K, p, 0.0, 1.0, d);
    return lnX;
}

static int check_config(const le_sde_config *c, lesde_err *e)
{
    if (c->K < 2)
        return err_set(e, LESDE_USAGE, "LE-SDE: K = %d, needs K >= 2", c->K);
    if (c->p < 1 || c->n < 1)
        return err_set(e, LESDE_USAGE, "LE-SDE: p = %d and n = %d must be >= 1", c->p, c->n);
    if (c->model != LE_MODEL_I && c->model != LE_MODEL_L)
        return err_set(e, LESDE_USAGE, "LE-SDE: unknown model %d", (int)c->model);
    if (c->model == LE_MODEL_L && c->p != c->K)
        return err_set(e, LESDE_USAGE, "LE-SDE: the L-model needs p == K (p = %d, K = %d)",
                       c->p, c->K);
    if (c->schedule != LE_SCHED_POWER && c->schedule != LE_SCHED_BOUNDARY)
        return err_set(e, LESDE_USAGE, "LE-SDE: unknown schedule %d", (int)c->schedule);
    if (!isfinite(c->c) || !isfinite(c->s) || !isfinite(c->b) || !isfinite(c->s_b))
        return err_set(e, LESDE_USAGE, "LE-SDE: c, s, b, s_b must be finite");
    if (!(c->noise > 0) || !isfinite(c->noise))
        return err_set(e, LESDE_USAGE, "LE-SDE: noise = %g, needs a finite noise > 0", c->noise);
    if (!(c->T >= 1) || !isfinite(c->T))
        return err_set(e, LESDE_USAGE, "LE-SDE: T = %g, needs a finite T >= 1", c->T);
    if (c->n_obs < 1)
        return err_set(e, LESDE_USAGE, "LE-SDE: n_obs = %d, needs n_obs >= 1", c->n_obs);
    return LESDE_OK;
}

int le_sde_simulate(const le_sde_config *cfg, le_sde_obs_fn fn, void *ctx, lesde_err *e)
{
    int rc = check_config(cfg, e);
    if (rc)
        return rc;
    int K = cfg->K, p = cfg->p, n = cfg->n, N = K * n;
    double *x0 = malloc((size_t)K * p * sizeof *x0);
    double *xm = malloc((size_t)K * p * sizeof *xm);
    double *f0 = malloc((size_t)K * p * sizeof *f0);
    double *d = malloc((size_t)K * p * sizeof *d);
    double *r = malloc((size_t)N * p * sizeof *r); /* X_i(0) - Xbar(0) + noise W_i(t) */
    double *x = malloc((size_t)N * p * sizeof *x);
    int *labels = malloc((size_t)N * sizeof *labels);
    gsl_rng *rng = rng_stream(cfg->seed, RNG_SDE, 0);
    if (!x0 || !xm || !f0 || !d || !r || !x || !labels || !rng) {
        rc = err_set(e, LESDE_FAIL, "LE-SDE: out of memory");
        goto out;
    }
    for (int i = 0; i < K * p; i++)
        x0[i] = cfg->noise * gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (size_t i = 0; i < (size_t)N * p; i++)
        r[i] = cfg->noise * gsl_ran_gaussian_ziggurat(rng, 1.0);
    for (int i = 0; i < N; i++)
        labels[i] = i / n;

    double tprev = 0, lT = log(cfg->T);
    for (int j = 0; j < cfg->n_obs; j++) {
        double t = cfg->n_obs == 1 || j == cfg->n_obs - 1
                       ? cfg->T
                       : exp(lT * j / (cfg->n_obs - 1));
        /* W(t) = W(tprev) + sqrt(t - tprev) Z: a true Brownian path */
        double sd = cfg->noise * sqrt(t - tprev);
        for (size_t i = 0; i < (size_t)N * p; i++)
            r[i] += sd * gsl_ran_gaussian_ziggurat(rng, 1.0);
        tprev = t;

        double A, B;
        le_sde_integrals(cfg, t, &A, &B);
        /* beyond 1e13 a double no longer resolves the exponents to 1e-3 */
        if (!(fabs(A) <= 1e13) || !(fabs(B) <= 1e13)) {
            rc = err_set(e, LESDE_USAGE, "LE-SDE: A(t) = %g, B(t) = %g at t = %g overflow "
                         "the exponent resolution (s = %g, s_b = %g)", A, B, t, cfg->s, cfg->s_b);
            goto out;
        }
        double E = growth_exponent(cfg->model, K, A, B), lnX = E > LNSCALE_MIN ? E : 0.0;
        mean_at(cfg, x0, A, B, t, lnX, xm, f0);
        double lnD = centred_means(cfg, x0, A, B, lnX, xm, d), inv = exp(-lnD);
        for (int i = 0; i < N; i++)
            for (int q = 0; q < p; q++)
                x[(size_t)i * p + q] = r[(size_t)i * p + q] * inv + d[(size_t)labels[i] * p + q];
        le_sde_obs o = {.j = j, .t = t, .A = A, .B = B, .lnscale = lnD, .lnscale_xbar = lnX,
                        .K = K, .n = n, .p = p, .x = x, .labels = labels, .dbar = d,
                        .xbar = xm, .xbar0 = x0};
        rc = fn(&o, ctx, e);
        if (rc)
            goto out;
        if (cfg->poll && cfg->poll(cfg->poll_ctx, j)) {
            rc = err_set(e, LESDE_INTERRUPTED, "abandoned at observation %d", j);
            goto out;
        }
    }
out:
    free(x0), free(xm), free(f0), free(d), free(r), free(x), free(labels);
    if (rng)
        gsl_rng_free(rng);
    return rc;
}

/* le_sde_run's per-observation measures. */
static int run_obs(const le_sde_obs *o, void *ctx, lesde_err *e)
{
    le_sde_result *res = ctx;
    int N = o->K * o->n;
    double frac, all;
    int rc = le_separable_pairs(o->x, o->labels, N, o->K, o->p, &frac, &all, e);
    if (rc)
        return err_prefix(e, "LE-SDE at t = %g", o->t);
    res->t[o->j] = o->t;
    res->sep_all[o->j] = all;
    res->sep_frac[o->j] = frac;
    res->etf_dev[o->j] = le_etf_dev(o->xbar, o->K, o->p);
    res->margin[o->j] = le_margin_mean_dir(o->x, o->labels, N, o->K, o->p);
    return LESDE_OK;
}

int le_sde_run(const le_sde_config *cfg, le_sde_result *out, lesde_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = check_config(cfg, e);
    if (rc)
        return rc;
    size_t m = (size_t)cfg->n_obs;
    out->n_obs = cfg->n_obs;
    out->t = malloc(m * sizeof(double));
    out->sep_all = malloc(m * sizeof(double));
    out->sep_frac = malloc(m * sizeof(double));
    out->etf_dev = malloc(m * sizeof(double));
    out->margin = malloc(m * sizeof(double));
    if (!out->t || !out->sep_all || !out->sep_frac || !out->etf_dev || !out->margin) {
        le_sde_free(out);
        return err_set(e, LESDE_FAIL, "LE-SDE: out of memory");
    }
    rc = le_sde_simulate(cfg, run_obs, out, e);
    if (rc)
        le_sde_free(out);
    return rc;
}

void le_sde_free(le_sde_result *r)
{
    if (!r)
        return;
    free(r->t), free(r->sep_all), free(r->sep_frac), free(r->etf_dev), free(r->margin);
    memset(r, 0, sizeof *r);
}
