/* Unit tests of the sample-level le code: separability LP, NC1, margin,
 * the sample-level LE-SDE, noisy paths, the mean-logit CSV reader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "check.h"
#include "core/rng.h"
#include "le/le.h"
#include "le/ode.h"
#include "le/sample.h"

/* ---------------------------------------------------------------- LP */

/* Integer-valued points (exact in double) on both sides of the hyperplane
 * w.z = 0, w integer with w_0 = 1: P has w.z in [1, R], Q in [-R, -1],
 * one point of each exactly at +-1. Relative margin ~ 2 / (|w| * range),
 * below 1e-6 for R = 2^20. */
static void tiny_margin_set(gsl_rng *r, int p, int n, double *P, double *Q)
{
    int w[16];
    w[0] = 1;
    for (int j = 1; j < p; j++)
        w[j] = (int)gsl_rng_uniform_int(r, 7) - 3;
    const long R = 1L << 20;
    for (int side = 0; side < 2; side++) {
        double *X = side ? Q : P;
        for (int i = 0; i < n; i++) {
            long target = i == 0 ? 1 : 1 + (long)gsl_rng_uniform_int(r, (unsigned long)R);
            if (side)
                target = -target;
            long s = 0;
            for (int j = 1; j < p; j++) {
                long z = (long)gsl_rng_uniform_int(r, (unsigned long)(2 * R + 1)) - R;
                X[i * p + j] = (double)z;
                s += w[j] * z;
            }
            X[i * p] = (double)(target - s);
        }
    }
}

static void scaled(const double *x, int m, double f, double *y)
{
    for (int i = 0; i < m; i++)
        y[i] = x[i] * f;
}

static void test_separable(void)
{
    lesde_err e;
    gsl_rng *r = rng_stream(11, 100, 0);
    enum { n = 40 };
    const int ps[] = {2, 3, 10};
    const double fs[] = {1.0, 1e8, 1e-8, 1e-300};
    double P[(n + 1) * 10], Q[n * 10], Ps[(n + 1) * 10], Qs[n * 10];
    for (int a = 0; a < 3; a++) {
        int p = ps[a];
        tiny_margin_set(r, p, n, P, Q);
        for (int b = 0; b < 4; b++) {
            double f = fs[b];
            scaled(P, n * p, f, Ps);
            scaled(Q, n * p, f, Qs);
            CHECK(le_separable(Ps, n, Qs, n, p, &e) == 1, "tiny margin, p %d, scale %g", p, f);
            CHECK(le_separable(Qs, n, Ps, n, p, &e) == 1, "tiny margin swapped, p %d, scale %g", p, f);
            /* a P point deep inside Q's hull (its centroid): not separable */
            for (int j = 0; j < p; j++) {
                double c = 0;
                for (int i = 0; i < n; i++)
                    c += Qs[i * p + j];
                Ps[n * p + j] = c / n;
            }
            CHECK(le_separable(Ps, n + 1, Qs, n, p, &e) == 0, "centroid, p %d, scale %g", p, f);
            /* a duplicate across the classes: not separable */
            memcpy(Ps + n * p, Qs + 7 * p, (size_t)p * sizeof *Ps);
            CHECK(le_separable(Ps, n + 1, Qs, n, p, &e) == 0, "duplicate, p %d, scale %g", p, f);
        }
        /* XOR in the first two coordinates, the others constant */
        double X1[4 * 10], X2[4 * 10];
        for (int i = 0; i < 4 * p; i++)
            X1[i] = X2[i] = 0.7; /* constant extra coordinates */
        X1[0] = 0, X1[1] = 0, X1[p] = 1, X1[p + 1] = 1;
        X2[0] = 0, X2[1] = 1, X2[p] = 1, X2[p + 1] = 0;
        /* more XOR points near the corners */
        X1[2 * p] = 0.1, X1[2 * p + 1] = 0.05, X1[3 * p] = 0.9, X1[3 * p + 1] = 0.95;
        X2[2 * p] = 0.05, X2[2 * p + 1] = 0.9, X2[3 * p] = 0.95, X2[3 * p + 1] = 0.1;
        for (int b = 0; b < 3; b++) {
            scaled(X1, 4 * p, fs[b], Ps);
            scaled(X2, 4 * p, fs[b], Qs);
            CHECK(le_separable(Ps, 4, Qs, 4, p, &e) == 0, "XOR, p %d, scale %g", p, fs[b]);
            CHECK(le_separable(Ps, 1, Qs, 4, p, &e) == 1,
                  "one corner against XOR's other class, p %d, scale %g", p, fs[b]);
        }
    }
    /* a relative margin of 1e-6 around a large offset: 1e6 +- 1e-6 * range */
    {
        double A[6] = {1e6, 1e6, 1e6 + 1, 1e6, 1e6, 1e6 + 1};
        double B[6] = {1e6 + 1, 1e6 + 1, 1e6 + 0.5 + 1e-6, 1e6 + 0.5 + 1e-6,
                       1e6 + 1, 1e6 + 2};
        CHECK(le_separable(A, 3, B, 3, 2, &e) == 1, "offset 1e6, margin 1e-6");
        B[2] = 1e6 + 0.5, B[3] = 1e6 + 0.5; /* on the segment (1e6+1,1e6)-(1e6,1e6+1) */
        CHECK(le_separable(A, 3, B, 3, 2, &e) == 0, "offset 1e6, touching");
    }
    /* a margin in the last bit: beyond the float simplex, glp_exact decides */
    {
        double A[6] = {0, 0, 1, 0, 0, 1};
        double B[6] = {1, 1, 0.5 + 0x1p-52, 0.5 + 0x1p-52, 1, 2};
        CHECK(le_separable(A, 3, B, 3, 2, &e) == 1, "margin 2^-52");
        B[2] = B[3] = 0.5;
        CHECK(le_separable(A, 3, B, 3, 2, &e) == 0, "margin 0");
    }
    /* edge cases */
    {
        double A[2] = {1, 2}, B[2] = {NAN, 0};
        CHECK(le_separable(A, 1, B, 1, 2, &e) == -1 && e.code == LESDE_USAGE, "NaN is an error");
        CHECK(le_separable(A, 1, B, 0, 2, &e) == 1, "empty set is separable");
        CHECK(le_separable(A, 1, A, 1, 2, &e) == 0, "one point against itself");
    }
    /* 3 classes, exactly 2 of 3 pairs separable (0 and 2 form an XOR) */
    {
        double x[] = {0, 0, 10, 0, 0, 1, 1, 1, 10, 1, 1, 0};
        int lab[] = {0, 1, 2, 0, 1, 2};
        double frac, all;
        CHECK(le_separable_pairs(x, lab, 6, 3, 2, &frac, &all, &e) == 0, "%s", e.msg);
        CHECK_NEAR(frac, 2.0 / 3.0, 1e-15);
        CHECK(all == 0.0, "all = %g", all);
        int lab2[] = {0, 1, 2, 0, 1, 1}; /* now 0 and 2 separate as well */
        x[10] = 10.5;
        CHECK(le_separable_pairs(x, lab2, 6, 3, 2, &frac, &all, &e) == 0, "%s", e.msg);
        CHECK(frac == 1.0 && all == 1.0, "frac %g all %g", frac, all);
        int bad[] = {0, 1, 3, 0, 1, 2};
        CHECK(le_separable_pairs(x, bad, 6, 3, 2, &frac, &all, &e) == LESDE_USAGE, "bad label");
        /* class 1 empty: only the pair (0, 2) is tested, here separable
         * (class 0 at first coordinate <= 1, class 2 at >= 5) */
        double x3[] = {0, 0, 5, 0, 1, 1, 5, 1, 6, 3, 1, 2};
        int lab3[] = {0, 2, 0, 2, 2, 0};
        CHECK(le_separable_pairs(x3, lab3, 6, 3, 2, &frac, &all, &e) == 0, "%s", e.msg);
        CHECK(frac == 1.0 && all == 1.0, "one pair tested: frac %g all %g", frac, all);
        lab3[4] = 0, x3[8] = 5, x3[9] = 0.5; /* class 0's (5, 0.5) between 2's (5, 0), (5, 1) */
        CHECK(le_separable_pairs(x3, lab3, 6, 3, 2, &frac, &all, &e) == 0, "%s", e.msg);
        CHECK(frac == 0.0 && all == 0.0, "one pair, not separable: frac %g all %g", frac, all);
        /* one class alone: no pair to test, so neither 1 nor 0 */
        int one[] = {1, 1, 1, 1, 1, 1};
        CHECK(le_separable_pairs(x, one, 6, 3, 2, &frac, &all, &e) == 0, "%s", e.msg);
        CHECK(isnan(frac) && isnan(all), "no pair: frac %g all %g (NaN wanted)", frac, all);
        CHECK(le_separable_pairs(x, one, 0, 3, 2, &frac, &all, &e) == 0 && isnan(frac) &&
                  isnan(all),
              "no sample: frac %g all %g", frac, all);
    }
    /* random Gaussian clouds: the LP agrees with the margin when the margin
     * certifies separation, and overlapping clouds are not separable */
    {
        int n2 = 30, p = 3, agree = 1, nonsep = 0;
        double x[2 * 30 * 3];
        int lab[60];
        for (int rep = 0; rep < 40; rep++) {
            double shift = 0.2 * rep;
            for (int i = 0; i < 2 * n2; i++) {
                lab[i] = i % 2;
                for (int j = 0; j < p; j++)
                    x[i * p + j] = gsl_ran_gaussian(r, 1.0) + (lab[i] && j == 0 ? shift : 0);
            }
            double frac, all, m = le_margin_mean_dir(x, lab, 2 * n2, 2, p);
            le_separable_pairs(x, lab, 2 * n2, 2, p, &frac, &all, &e);
            if (m > 0 && !all)
                agree = 0;
            nonsep += rep == 0 && !all;
        }
        CHECK(agree, "a positive margin implies separable");
        CHECK(nonsep == 1, "identical clouds are not separable");
    }
    gsl_rng_free(r);
}

/* --------------------------------------------------------------- NC1 */

static void test_nc1(void)
{
    lesde_err e;
    double nc1;
    /* K = 3, p = 2: Sigma_W = [[2,1],[1,2]]/3, Sigma_B = [[2,-1],[-1,2]],
     * trace(Sigma_W Sigma_B^-1) = 10/9, NC1 = 10/27 */
    double x[] = {1, 0, -1, 0, 3, 1, 3, -1, 1, 4, -1, 2};
    int lab[] = {0, 0, 1, 1, 2, 2};
    CHECK(le_nc1(x, lab, 6, 3, 2, &nc1, &e) == 0, "%s", e.msg);
    CHECK_NEAR(nc1, 10.0 / 27.0, 1e-13);
    double xs[12];
    scaled(x, 12, 1e200, xs);
    CHECK(le_nc1(xs, lab, 6, 3, 2, &nc1, &e) == 0, "%s", e.msg);
    CHECK_NEAR(nc1, 10.0 / 27.0, 1e-13);
    /* rank-deficient Sigma_B (K = 2 in p = 2): Sigma_W = [[1,1],[1,1]],
     * Sigma_B = diag(4, 0), pinv diag(1/4, 0): NC1 = (1/4) / 2 */
    double y[] = {0, 0, 2, 2, 4, 0, 6, 2};
    int laby[] = {0, 0, 1, 1};
    CHECK(le_nc1(y, laby, 4, 2, 2, &nc1, &e) == 0, "%s", e.msg);
    CHECK_NEAR(nc1, 0.125, 1e-14);
    /* an empty class is skipped */
    int laby3[] = {0, 0, 2, 2};
    CHECK(le_nc1(y, laby3, 4, 3, 2, &nc1, &e) == 0, "%s", e.msg);
    CHECK_NEAR(nc1, 0.125, 1e-14);
    /* collapsed classes: 0 */
    double z[] = {1, 2, 1, 2, 5, -1, 5, -1, 0, 3, 0, 3};
    CHECK(le_nc1(z, lab, 6, 3, 2, &nc1, &e) == 0, "%s", e.msg);
    CHECK(nc1 == 0.0, "collapsed: NC1 = %g", nc1);
    /* equal class means: undefined */
    double u[] = {1, 0, -1, 0, 0, 1, 0, -1};
    CHECK(le_nc1(u, laby, 4, 2, 2, &nc1, &e) == 0 && isnan(nc1), "equal means: %g", nc1);

    le_sample_measures m;
    CHECK(le_measure_samples(x, lab, 6, 3, 2, &m, &e) == 0, "%s", e.msg);
    CHECK_NEAR(m.nc1, 10.0 / 27.0, 1e-13);
    CHECK(m.sep_all == 1.0 && m.sep_frac == 1.0, "sep %g %g", m.sep_all, m.sep_frac);

    /* margin: two 1-D pairs of points, means 1 and 5 (distance 4), gap
     * between 2 and 4 is 2: margin 0.5; overlapping: negative */
    double g[] = {0, 2, 4, 6};
    CHECK_NEAR(le_margin_mean_dir(g, laby, 4, 2, 1), 0.5, 1e-15);
    double h[] = {0, 5, 1, 6}; /* means 2.5 and 3.5, gap 1 - 5 = -4 */
    CHECK_NEAR(le_margin_mean_dir(h, laby, 4, 2, 1), -4.0, 1e-15);
}

/* ----------------------------------------------------------- LE-SDE */

static void test_integrals(void)
{
    CHECK_NEAR(le_power_integral(0.5, 3.0), 2.0, 1e-14);
    CHECK_NEAR(le_power_integral(2.0, 3.0), 0.75, 1e-14);
    CHECK_NEAR(le_power_integral(1.0, 1e12), log1p(1e12), 1e-12);
    CHECK_NEAR(le_power_integral(1.0 + 1e-12, 1e12), log1p(1e12), 1e-9);
    CHECK_NEAR(le_power_integral(1.0 - 1e-9, 1e4), log1p(1e4), 1e-6);
    CHECK_NEAR(le_power_integral(0.0, 1e12), 1e12, 1e-3);
    le_sde_config c;
    le_sde_config_default(&c);
    c.schedule = LE_SCHED_BOUNDARY;
    c.b = 0.1, c.s_b = 1.0;
    double A1, B1, A2, B2, t = 50, h = 1e-3;
    le_sde_integrals(&c, t - h, &A1, &B1);
    le_sde_integrals(&c, t + h, &A2, &B2);
    double gam = ((A2 - B2) - (A1 - B1)) / (2 * h);
    CHECK_NEAR(gam, 1.0 / ((M_E + t) * log(M_E + t)), 1e-9);
    CHECK_NEAR((B2 - B1) / (2 * h), 0.1 / (1 + t), 1e-9);
    le_sde_integrals(&c, 0, &A1, &B1);
    CHECK(A1 == 0 && B1 == 0, "A(0) = %g, B(0) = %g", A1, B1);
}

typedef struct {
    int bad_mean, bad_var, bad_inc, bad_xbar, nobs;
    double *prev, *prevbar, tprev;
    double worst_z;
} moments_ctx;

/* Sample moments against theory at each observation. */
static int moments_cb(const le_sde_obs *o, void *vctx, lesde_err *e)
{
    (void)e;
    moments_ctx *m = vctx;
    int K = o->K, n = o->n, p = o->p;
    double noise = 0.05, t = o->t;
    m->nobs++;
    CHECK(o->lnscale == 0 && o->lnscale_xbar == 0, "no scaling expected, got %g %g",
          o->lnscale, o->lnscale_xbar);
    /* Xbar(t) is the closed form, dbar its centred version */
    double xt[64];
    le_ode_closed_form(o->xbar0, K, p, LE_MODEL_L, o->A, o->B, xt);
    for (int i = 0; i < K * p; i++)
        if (fabs(xt[i] - o->xbar[i]) > 1e-12 * (1 + fabs(xt[i])))
            m->bad_xbar++;
    for (int j = 0; j < p; j++) {
        double c = 0;
        for (int k = 0; k < K; k++)
            c += xt[k * p + j] / K;
        for (int k = 0; k < K; k++)
            if (fabs(xt[k * p + j] - c - o->dbar[k * p + j]) > 1e-12 * (1 + fabs(c)))
                m->bad_xbar++;
    }
    /* class means (centred): E = dbar^k, sd = noise sqrt((1 + t) / n) */
    double var = 0, inc = 0, zsum = 0;
    for (int k = 0; k < K; k++)
        for (int j = 0; j < p; j++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += o->x[(size_t)(k * n + i) * p + j];
            s /= n;
            double z = (s - o->dbar[k * p + j]) / (noise * sqrt((1 + t) / n));
            if (fabs(z) > m->worst_z)
                m->worst_z = fabs(z);
            if (fabs(z) > 5)
                m->bad_mean++;
            zsum += z;
            for (int i = 0; i < n; i++) {
                size_t q = (size_t)(k * n + i) * p + j;
                double d = o->x[q] - s;
                var += d * d;
                if (m->prev) {
                    double di = (o->x[q] - o->dbar[k * p + j]) - (m->prev[q] - m->prevbar[k * p + j]);
                    inc += di * di;
                }
            }
        }
    if (fabs(zsum) > 5 * sqrt((double)K * p)) /* a common bias */
        m->bad_mean++;
    /* pooled variance: noise^2 (1 + t) (initial spread + Brownian), with a
     * relative standard error sqrt(2 / dof) */
    double dof = (double)K * p * (n - 1), want = noise * noise * (1 + t);
    var /= dof;
    if (fabs(var / want - 1) > 5 * sqrt(2 / dof))
        m->bad_var++;
    if (m->prev) { /* increments are independent: noise^2 (t - tprev) */
        double dofi = (double)K * p * n, wi = noise * noise * (t - m->tprev);
        inc /= dofi;
        if (fabs(inc / wi - 1) > 5 * sqrt(2 / dofi))
            m->bad_inc++;
    } else {
        m->prev = malloc((size_t)K * n * p * sizeof(double));
        m->prevbar = malloc((size_t)K * p * sizeof(double));
    }
    memcpy(m->prev, o->x, (size_t)K * n * p * sizeof(double));
    memcpy(m->prevbar, o->dbar, (size_t)K * p * sizeof(double));
    m->tprev = t;
    return 0;
}

typedef struct {
    double lnscale, A, B, xbar[9], xbar0[9], xmax;
} last_ctx;

static int last_cb(const le_sde_obs *o, void *vctx, lesde_err *e)
{
    (void)e;
    last_ctx *l = vctx;
    l->lnscale = o->lnscale_xbar, l->A = o->A, l->B = o->B;
    memcpy(l->xbar, o->xbar, 9 * sizeof(double));
    memcpy(l->xbar0, o->xbar0, 9 * sizeof(double));
    l->xmax = 0;
    for (int i = 0; i < o->K * o->n * o->p; i++)
        l->xmax = isfinite(o->x[i]) ? fmax(l->xmax, fabs(o->x[i])) : INFINITY;
    return 0;
}

typedef struct {
    double alpha_c, s, b, s_b;
} ab_ctx;

static void E_power(double t, double *E, int K, void *vctx)
{
    ab_ctx *c = vctx;
    double beta = c->b * pow(1 + t, -c->s_b), alpha = c->alpha_c * pow(1 + t, -c->s) + beta;
    for (int k = 0; k < K; k++)
        for (int l = 0; l < K; l++)
            E[k * K + l] = k == l ? alpha : beta;
}

static void test_sde(void)
{
    lesde_err e;
    le_sde_config c;
    le_sde_config_default(&c);

    /* moments at t = 1 .. 1e12 (s = 1.5: no overflow, noise dominates) */
    c.n = 2000, c.s = 1.5, c.T = 1e12, c.n_obs = 7, c.seed = 3;
    moments_ctx m = {0};
    CHECK(le_sde_simulate(&c, moments_cb, &m, &e) == 0, "%s", e.msg);
    CHECK(m.nobs == 7, "observations %d", m.nobs);
    CHECK(m.bad_mean == 0, "%d class means off by > 5 SE (worst %.2f)", m.bad_mean, m.worst_z);
    CHECK(m.bad_var == 0, "%d variances off", m.bad_var);
    CHECK(m.bad_inc == 0, "%d increment variances off (Brownian path?)", m.bad_inc);
    CHECK(m.bad_xbar == 0, "%d Xbar(t) entries differ from the closed form", m.bad_xbar);
    free(m.prev), free(m.prevbar);

    /* moments under growth (s = 0.6, T = 1e3: Xbar moves a lot) */
    c.s = 0.6, c.T = 1e3, c.n_obs = 4, c.seed = 4, c.n = 1000;
    moments_ctx m2 = {0};
    CHECK(le_sde_simulate(&c, moments_cb, &m2, &e) == 0, "%s", e.msg);
    CHECK(m2.bad_mean == 0 && m2.bad_var == 0 && m2.bad_inc == 0 && m2.bad_xbar == 0,
          "growth: mean %d var %d inc %d xbar %d", m2.bad_mean, m2.bad_var, m2.bad_inc,
          m2.bad_xbar);
    free(m2.prev), free(m2.prevbar);

    /* scaled representation: just past the threshold Xbar is still finite,
     * so Xbar(t) / e^lnscale can be compared with the closed form */
    le_sde_config_default(&c);
    c.s = 0.5, c.n = 20, c.n_obs = 2, c.T = 1104600; /* A ~ 1050, E ~ 350 */
    last_ctx l;
    CHECK(le_sde_simulate(&c, last_cb, &l, &e) == 0, "%s", e.msg);
    CHECK(l.lnscale > 300, "lnscale %g", l.lnscale);
    double xt[9];
    le_ode_closed_form(l.xbar0, 3, 3, LE_MODEL_L, l.A, l.B, xt);
    double worst = 0, big = 0;
    for (int i = 0; i < 9; i++)
        big = fmax(big, fabs(xt[i]));
    for (int i = 0; i < 9; i++)
        worst = fmax(worst, fabs(l.xbar[i] * exp(l.lnscale) - xt[i]) / big);
    CHECK(worst < 1e-12, "scaled Xbar differs by %g", worst);
    /* and at 1e12, where Xbar itself overflows: finite features */
    c.T = 1e12;
    CHECK(le_sde_simulate(&c, last_cb, &l, &e) == 0, "%s", e.msg);
    CHECK(l.lnscale > 1e4 && isfinite(l.xmax) && l.xmax > 0, "lnscale %g, max |x| %g",
          l.lnscale, l.xmax);

    /* L-model with beta != 0: J_b by quadrature. With s_b = s, beta/alpha is
     * constant and the plain closed form is exact; otherwise compare with
     * the odeiv2 integration. */
    le_sde_config_default(&c);
    c.b = 0.3, c.s_b = c.s = 0.7, c.T = 200, c.n = 5, c.n_obs = 3;
    CHECK(le_sde_simulate(&c, last_cb, &l, &e) == 0, "%s", e.msg);
    le_ode_closed_form(l.xbar0, 3, 3, LE_MODEL_L, l.A, l.B, xt);
    worst = 0;
    for (int i = 0; i < 9; i++)
        worst = fmax(worst, fabs(l.xbar[i] - xt[i]) / (1 + fabs(xt[i])));
    CHECK(worst < 1e-9, "J_b quadrature vs closed form: %g", worst);
    c.b = -0.2, c.s_b = 0.4;
    CHECK(le_sde_simulate(&c, last_cb, &l, &e) == 0, "%s", e.msg);
    ab_ctx ab = {c.c, c.s, c.b, c.s_b};
    double T = c.T;
    CHECK(le_ode_integrate(l.xbar0, 3, 3, LE_MODEL_L, NULL, E_power, &ab, &T, 1, 1e-12, xt,
                           &e) == 0, "%s", e.msg);
    worst = 0, big = 0;
    for (int i = 0; i < 9; i++)
        big = fmax(big, fabs(xt[i]));
    for (int i = 0; i < 9; i++)
        worst = fmax(worst, fabs(l.xbar[i] - xt[i]) / big);
    CHECK(worst < 1e-8, "J_b quadrature vs odeiv2: %g", worst);

    /* determinism, and the separation behaviour at T = 1e12 */
    le_sde_config_default(&c);
    c.T = 1e12, c.n_obs = 4;
    le_sde_result r1, r2;
    CHECK(le_sde_run(&c, &r1, &e) == 0, "%s", e.msg);
    CHECK(le_sde_run(&c, &r2, &e) == 0, "%s", e.msg);
    CHECK(r1.n_obs == 4 && r1.t[0] == 1 && r1.t[3] == 1e12, "times %g .. %g", r1.t[0], r1.t[3]);
    size_t sz = 4 * sizeof(double);
    CHECK(!memcmp(r1.t, r2.t, sz) && !memcmp(r1.sep_all, r2.sep_all, sz) &&
          !memcmp(r1.sep_frac, r2.sep_frac, sz) && !memcmp(r1.etf_dev, r2.etf_dev, sz) &&
          !memcmp(r1.margin, r2.margin, sz), "same seed, same bytes");
    le_sde_free(&r2);
    c.seed = 1;
    CHECK(le_sde_run(&c, &r2, &e) == 0, "%s", e.msg);
    CHECK(r1.margin[0] != r2.margin[0], "another seed, another path");
    le_sde_free(&r1), le_sde_free(&r2);

    int sep05 = 0, sep15 = 0, consistent = 1;
    for (int seed = 0; seed < 4; seed++) {
        c.seed = (uint64_t)seed;
        c.s = 0.5;
        CHECK(le_sde_run(&c, &r1, &e) == 0, "%s", e.msg);
        sep05 += r1.sep_all[3] == 1;
        c.s = 1.5;
        CHECK(le_sde_run(&c, &r2, &e) == 0, "%s", e.msg);
        sep15 += r2.sep_all[3] == 1;
        for (int j = 0; j < 4; j++) {
            if (r1.margin[j] > 0 && r1.sep_all[j] != 1)
                consistent = 0;
            if (r2.margin[j] > 0 && r2.sep_all[j] != 1)
                consistent = 0;
            if ((r1.sep_all[j] == 1) != (r1.sep_frac[j] == 1.0))
                consistent = 0;
        }
        CHECK(r1.etf_dev[3] >= 0 && r1.etf_dev[3] <= 1.5, "etf_dev %g", r1.etf_dev[3]);
        le_sde_free(&r1), le_sde_free(&r2);
    }
    CHECK(sep05 == 4, "s = 0.5 separable at T = 1e12 for %d of 4 seeds", sep05);
    CHECK(sep15 == 0, "s = 1.5 separable at T = 1e12 for %d of 4 seeds", sep15);
    CHECK(consistent, "margin > 0 implies separable; sep_all matches sep_frac");

    /* I-model with beta > 0: the class average grows like e^{(A + 2B)/3}
     * (B ~ 4e5 at 1e12), the differences like e^{Gamma/3}: separable only if
     * the differences survive, i.e. if features are centred before scaling */
    le_sde_config_default(&c);
    c.model = LE_MODEL_I, c.p = 4, c.b = 0.2, c.s_b = 0.5, c.s = 0.6, c.T = 1e12, c.n_obs = 3;
    CHECK(le_sde_run(&c, &r1, &e) == 0, "%s", e.msg);
    CHECK(r1.sep_all[2] == 1 && r1.margin[2] > 0.99, "I-model, beta > 0: sep %g margin %g",
          r1.sep_all[2], r1.margin[2]);
    CHECK(r1.etf_dev[2] > 1.49, "common direction: etf_dev %g", r1.etf_dev[2]);
    le_sde_free(&r1);
    c.s = 1.5;
    CHECK(le_sde_run(&c, &r1, &e) == 0, "%s", e.msg);
    CHECK(r1.sep_all[2] == 0 && r1.margin[2] < 0, "I-model, beta > 0, s = 1.5: sep %g margin %g",
          r1.sep_all[2], r1.margin[2]);
    le_sde_free(&r1);

    /* bad configurations */
    le_sde_config_default(&c);
    c.p = 4;
    CHECK(le_sde_run(&c, &r1, &e) == LESDE_USAGE, "L-model with p != K");
    le_sde_config_default(&c);
    c.noise = 0;
    CHECK(le_sde_run(&c, &r1, &e) == LESDE_USAGE, "noise 0");
    le_sde_config_default(&c);
    c.s = -40, c.T = 1e12;
    CHECK(le_sde_run(&c, &r1, &e) == LESDE_USAGE && strstr(e.msg, "overflow"), "%s", e.msg);
}

/* ------------------------------------------------------------ paths */

static void test_paths(void)
{
    lesde_err e;
    enum { K = 3, p = 3, C = 101, NP = 3000 };
    double t[C], A[C], B[C], x0[K * p] = {1, -2, 0.5, 0.3, 0.8, -1, 2, 0, 1};
    static double mean[C * K * p], sd[C * K * p], mean2[C * K * p], sd2[C * K * p];
    double ns = 0.1, sig[K];
    for (int k = 0; k < K; k++) {
        double n2 = 0;
        for (int j = 0; j < p; j++)
            n2 += x0[k * p + j] * x0[k * p + j];
        sig[k] = ns * sqrt(n2 / K);
    }
    /* M = 0: mean x0, std sigma_k sqrt(1 + t) exactly */
    for (int c = 0; c < C; c++)
        t[c] = c, A[c] = B[c] = 0;
    CHECK(le_paths(t, A, B, C, x0, K, p, LE_MODEL_L, NP, ns, 5, mean, sd, &e) == 0, "%s", e.msg);
    int badm = 0, bads = 0;
    for (int c = 0; c < C; c += 10)
        for (int i = 0; i < K * p; i++) {
            double s = sig[i / p] * sqrt(1 + t[c]);
            badm += fabs(mean[c * K * p + i] - x0[i]) > 5 * s / sqrt(NP);
            bads += fabs(sd[c * K * p + i] - s) > 5 * s / sqrt(2.0 * (NP - 1));
        }
    CHECK(badm == 0 && bads == 0, "M = 0: %d means, %d stds off", badm, bads);

    /* I-model, constant alpha, beta = 0: each class is dX = a X dt + sig dW,
     * a = alpha / K: mean x0 e^{at}, var sig^2 (e^{2at} + (e^{2at} - 1)/(2a)) */
    double alpha = 0.03, a = alpha / K;
    for (int c = 0; c < C; c++)
        A[c] = alpha * t[c];
    CHECK(le_paths(t, A, B, C, x0, K, p, LE_MODEL_I, NP, ns, 6, mean, sd, &e) == 0, "%s", e.msg);
    badm = bads = 0;
    for (int c = 0; c < C; c += 10)
        for (int i = 0; i < K * p; i++) {
            double g = exp(a * t[c]), g2 = g * g;
            double s = sig[i / p] * sqrt(g2 + (g2 - 1) / (2 * a));
            badm += fabs(mean[c * K * p + i] - x0[i] * g) > 5 * s / sqrt(NP);
            bads += fabs(sd[c * K * p + i] - s) > 5 * s / sqrt(2.0 * (NP - 1));
        }
    CHECK(badm == 0 && bads == 0, "OU growth: %d means, %d stds off", badm, bads);

    /* the mean over paths follows the closed form (L-model, beta != 0) */
    for (int c = 0; c < C; c++)
        A[c] = 0.02 * t[c], B[c] = -0.01 * t[c];
    CHECK(le_paths(t, A, B, C, x0, K, p, LE_MODEL_L, NP, ns, 7, mean, sd, &e) == 0, "%s", e.msg);
    CHECK(le_paths(t, A, B, C, x0, K, p, LE_MODEL_L, NP, ns, 7, mean2, sd2, &e) == 0, "%s", e.msg);
    CHECK(!memcmp(mean, mean2, sizeof mean) && !memcmp(sd, sd2, sizeof sd), "deterministic");
    double xt[K * p];
    le_ode_closed_form(x0, K, p, LE_MODEL_L, A[C - 1], B[C - 1], xt);
    badm = 0;
    for (int i = 0; i < K * p; i++)
        badm += fabs(mean[(C - 1) * K * p + i] - xt[i]) > 5 * sd[(C - 1) * K * p + i] / sqrt(NP);
    CHECK(badm == 0, "L-model: %d path means away from the closed form", badm);
    CHECK(le_paths(t, A, B, C, x0, K, 2, LE_MODEL_L, NP, ns, 7, mean, sd, &e) == LESDE_USAGE,
          "L needs p == K");

    double f[4] = {1, 3, 5, 7}, tt[4] = {0, 1, 2, 4}, F[4];
    le_cumtrapz(tt, f, 4, F);
    CHECK(F[0] == 0 && F[1] == 2 && F[2] == 6 && F[3] == 18, "cumtrapz %g %g %g", F[1], F[2], F[3]);
}

/* -------------------------------------------------------------- CSV */

static char tmpdir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    return path;
}

/* Reading text fails with a message naming line `line` and containing `what`. */
static void csv_bad(const char *text, int need_even, int line, const char *what)
{
    lesde_err e;
    double *t, *x;
    int C, K, p;
    const char *path = write_file("bad.csv", text);
    int rc = le_csv_read(path, need_even, &t, &C, &x, &K, &p, &e);
    char tag[32];
    snprintf(tag, sizeof tag, "bad.csv:%d: ", line);
    CHECK(rc == LESDE_USAGE && strstr(e.msg, tag) && strstr(e.msg, what),
          "want line %d '%s', got rc %d: %s", line, what, rc, rc ? e.msg : "(ok)");
    CHECK(t == NULL && x == NULL, "no output on error");
    if (!rc)
        free(t), free(x);
}

static void test_csv(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_le_sample.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        CHECK(0, "mkdtemp");
        return;
    }
    lesde_err e;
    /* round trip: CRLF, shuffled classes within a checkpoint, trailing blanks */
    enum { C = 4, K = 3, p = 2 };
    double tw[C] = {0, 50, 100, 150}, xw[C * K * p];
    gsl_rng *r = rng_stream(5, 100, 1);
    for (int i = 0; i < C * K * p; i++)
        xw[i] = gsl_ran_gaussian(r, 3.0);
    gsl_rng_free(r);
    char text[8192];
    int len = snprintf(text, sizeof text, "\xEF\xBB\xBFt,class,x0,x1\r\n");
    const int order[K] = {2, 0, 1};
    for (int c = 0; c < C; c++)
        for (int q = 0; q < K; q++) {
            int k = c % 2 ? order[q] : q;
            len += snprintf(text + len, sizeof text - len, "%.17g, %d ,%.17g,%.17g\r\n", tw[c], k,
                            xw[(c * K + k) * p], xw[(c * K + k) * p + 1]);
        }
    len += snprintf(text + len, sizeof text - len, "\r\n  \r\n");
    double *t, *x;
    int Cr, Kr, pr;
    const char *path = write_file("good.csv", text);
    CHECK(le_csv_read(path, 1, &t, &Cr, &x, &Kr, &pr, &e) == 0, "%s", e.msg);
    if (t) {
        CHECK(Cr == C && Kr == K && pr == p, "C %d K %d p %d", Cr, Kr, pr);
        CHECK(!memcmp(t, tw, sizeof tw) && !memcmp(x, xw, sizeof xw), "round trip exact");
        free(t), free(x);
    }

    csv_bad("", 0, 1, "empty");
    csv_bad("0,0,1,2\n", 0, 1, "header");
    csv_bad("t,class,x0,y1\n0,0,1,2\n", 0, 1, "column 4");
    csv_bad("t,class,x0\n", 0, 2, "no data rows");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n0,2,1\n", 0, 4, "ragged");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2,3\n", 0, 3, "ragged");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n1,0,1,abc\n", 0, 4, "x1");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n1,0,,2\n", 0, 4, "x0");
    /* not finite: nan, inf, and a value beyond a double's range */
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,nan\n", 0, 3, "x1 = 'nan' is not a finite");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n1,0,-inf,2\n", 0, 4, "x0 = '-inf' is not a finite");
    csv_bad("t,class,x0,x1\n0,0,1e999,2\n", 0, 2, "x0 = '1e999' is not a finite");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1.5,1,2\n", 0, 3, "class");
    csv_bad("t,class,x0,x1\n0,0,1,2\nten,1,1,2\n", 0, 3, "t =");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n10,0,1,2\n10,1,1,2\n5,0,1,2\n5,1,1,2\n", 0, 6,
            "sorted");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n0,0,1,2\n", 0, 4, "duplicate");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n0,2,1,2\n10,0,1,2\n10,2,1,2\n20,0,1,2\n"
            "20,1,1,2\n20,2,1,2\n", 0, 5, "class 1");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n10,0,1,2\n10,1,1,2\n20,0,1,2\n20,1,1,2\n"
            "35,0,1,2\n35,1,1,2\n", 1, 8, "uneven");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n\n10,0,1,2\n10,1,1,2\n", 0, 4, "blank");
    csv_bad("t,class,x0,x1\n0,0,1,2\n0,1,1,2\n", 0, 2, "only one checkpoint");
    csv_bad("t,class,x0,x1\n0,0,1,2\n10,0,1,2\n20,0,1,2\n", 0, 2, "only class 0");
    /* uneven spacing is fine without need_even */
    path = write_file("uneven.csv", "t,class,x0,x1\n0,0,1,2\n0,1,1,2\n10,0,1,2\n10,1,1,2\n"
                                    "25,0,1,2\n25,1,7,2\n");
    CHECK(le_csv_read(path, 0, &t, &Cr, &x, &Kr, &pr, &e) == 0, "%s", e.msg);
    if (t) {
        CHECK(Cr == 3 && t[2] == 25 && x[2 * 4 + 2] == 7, "uneven read");
        free(t), free(x);
    }
    const char *names[] = {"good.csv", "bad.csv", "uneven.csv"};
    for (int i = 0; i < 3; i++) {
        char fp[128];
        snprintf(fp, sizeof fp, "%s/%s", tmpdir, names[i]);
        remove(fp);
    }
    CHECK(rmdir(tmpdir) == 0, "cleanup of %s", tmpdir);
}

int main(void)
{
    test_separable();
    test_nc1();
    test_integrals();
    test_sde();
    test_paths();
    test_csv();
    return check_done("test_le_sample");
}
