/* test_le_imitate: the estimators and imitations that docs/le-sde.md
 * (sections 4 and 5) chose after issue 12: the tail index by differences
 * and its local curve, Savitzky-Golay windows in iterations, the plateau
 * rule, re-referenced estimates, the reference method and the ETF
 * baseline. Each test builds a synthetic trajectory whose answer is known. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "le/estimate.h"
#include "le/imitate.h"
#include "le/le.h"
#include "le/ode.h"

static double maxabs_diff(const double *x, const double *y, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i] - y[i]));
    return m;
}

/* log-spaced checkpoints: 0, then C-1 points over [1, T] (rounded, distinct) */
static int log_ckpts(double T, int C, double *t)
{
    int n = 0;
    t[n++] = 0;
    for (int c = 1; c < C; c++) {
        double v = round(pow(T, (double)(c - 1) / (C - 2)));
        if (v > t[n - 1])
            t[n++] = v;
    }
    return n;
}

/* ---- tail index by differences ---- */

/* A(t) = c t^(1-r) + const (c log t for r = 1): the difference estimator
 * recovers r over [T/10, T] to 0.02 whatever the constant; the slides'
 * estimator, 1 - avg log|A| / log(1+t), reads the constant as growth. */
static void test_tail_diff(void)
{
    enum { CMAX = 201 };
    double t[CMAX], A[CMAX];
    int C = log_ckpts(1e4, CMAX, t);
    const double rs[3] = {0.5, 0.8, 1.2};
    for (int i = 0; i < 3; i++)
        for (int big = 0; big < 2; big++) {
            double r = rs[i], k = big ? 50.0 : 0.3;
            for (int c = 0; c < C; c++)
                A[c] = t[c] > 0 ? 2.0 * pow(t[c], 1 - r) / (1 - r) + k : k;
            double nw = le_tail_index_diff(t, A, C, 1e3, 1e4);
            double old = le_tail_index_ref0(t, A, C, 0.1);
            CHECK(fabs(nw - r) <= 0.02, "r = %g, const %g: difference estimator %g", r, k, nw);
            if (big)
                CHECK(fabs(old - r) > 0.1, "r = %g, const %g: the slides' estimator %g should "
                      "miss (it does not see the constant)", r, k, old);
            printf("  r %.1f const %4.1f: by differences %.4f, slides' estimator %.4f\n", r, k, nw,
                   old);
        }
    /* r = 1 exactly: A = c log t + const */
    for (int c = 0; c < C; c++)
        A[c] = t[c] > 0 ? 0.7 * log(t[c]) + 5 : 5;
    CHECK_NEAR(le_tail_index_diff(t, A, C, 1e3, 1e4), 1.0, 1e-5);
    /* fewer than three points: NaN, with one and with two (two give a
     * slope, but not one the header promises) */
    CHECK(isnan(le_tail_index_diff(t, A, C, 9990, 1e4)), "too few points: NaN");
    CHECK(isnan(le_tail_index_diff(t, A, C, t[C - 2], t[C - 1])), "two points: NaN");
    CHECK(isfinite(le_tail_index_diff(t, A, C, t[C - 3], t[C - 1])), "three points: finite");
}

/* The local curve sees a change of regime: r = 0.5 up to t = 1000, then
 * 1.5 (A continuous, converging). Windows wholly before (u and u/2 < 1000)
 * read 0.5, wholly after (u/2 > 1000) read 1.5. */
static void test_tail_local(void)
{
    enum { CMAX = 401 };
    double t[CMAX], A[CMAX], te[LE_TAIL_LOCAL_N], r[LE_TAIL_LOCAL_N];
    int C = log_ckpts(1e5, CMAX, t);
    double tb = 1000, Ab = 2 * sqrt(tb);
    for (int c = 0; c < C; c++)
        A[c] = t[c] <= tb ? 2 * sqrt(t[c]) : Ab - 2 * (1 / sqrt(t[c]) - 1 / sqrt(tb)) * tb;
    le_tail_local(t, A, C, LE_TAIL_LOCAL_N, te, r);
    CHECK_NEAR(te[LE_TAIL_LOCAL_N - 1], 1e5, 1e-6);
    CHECK_NEAR(te[0], 1e5 * pow(10, -LE_TAIL_LOCAL_DECADES), 1e-9);
    int before = 0, after = 0;
    for (int i = 0; i < LE_TAIL_LOCAL_N; i++) {
        if (te[i] <= tb && te[i] / sqrt(10.0) >= 20) {
            CHECK(fabs(r[i] - 0.5) < 0.02, "local r at %g: %g (0.5)", te[i], r[i]);
            before++;
        }
        if (te[i] / sqrt(10.0) / 2 >= tb) {
            CHECK(fabs(r[i] - 1.5) < 0.02, "local r at %g: %g (1.5)", te[i], r[i]);
            after++;
        }
    }
    CHECK(before >= 3 && after >= 3, "windows on both sides (%d, %d)", before, after);
}

/* ---- Savitzky-Golay windows in iterations ---- */

/* A piecewise-linear A(t) whose slope jumps from 1e-3 to 4e-3 at t = 5000,
 * recorded every 10 iterations or log-spaced: an order-2 fit is exact on
 * any window that does not straddle the jump, so alphahat is the true slope
 * (1e-12) beyond half a window (+ one checkpoint spacing, for the
 * interpolation) from it, and the smear stays within that width. */
static void test_savgol_jump(void)
{
    enum { CMAX = 2001 };
    double t[CMAX], A[CMAX], d[CMAX];
    lesde_err e;
    for (int grid = 0; grid < 2; grid++) {
        int C = grid ? log_ckpts(1e4, CMAX, t) : CMAX;
        if (!grid)
            for (int c = 0; c < C; c++)
                t[c] = 5.0 * c;
        for (int c = 0; c < C; c++)
            A[c] = t[c] <= 5000 ? 1e-3 * t[c] : 5 + 4e-3 * (t[c] - 5000);
        const double windows[2] = {151, 21};
        for (int w = 0; w < 2; w++) {
            CHECK(le_savgol_deriv_t(t, A, C, 2, windows[w], 0, d, &e) == 0, "%s", e.msg);
            double worst = 0, reach = 0;
            for (int c = 1; c < C; c++) {
                double gap = c + 1 < C ? t[c + 1] - t[c] : t[c] - t[c - 1];
                double truth = t[c] < 5000 ? 1e-3 : 4e-3, err = fabs(d[c] - truth);
                if (fabs(t[c] - 5000) > windows[w] / 2 + gap)
                    worst = fmax(worst, err);
                if (err > 1e-9)
                    reach = fmax(reach, fabs(t[c] - 5000));
            }
            CHECK(worst < 1e-12, "%s grid, window %g: error %g away from the jump",
                  grid ? "log" : "even", windows[w], worst);
            printf("  jump, %s grid, window %3.0f: smeared over +-%.0f iterations\n",
                   grid ? "log" : "even", windows[w], reach);
        }
    }
}

/* ---- the plateau and re-referenced estimates ---- */

/* Dynamics with alpha = 1e-4 up to t = 1000 and 3e-3 after, beta = -1e-4,
 * checkpoints every 10 iterations. Under the I-model |D(t)| =
 * |D(0)| exp((A - B)/K) reaches 10 |D(0)| where (A - B)/3 = ln 10, at
 * t* = 1000 + (3 ln 10 - 0.2) / 3.1e-3: t0 is the first checkpoint at or
 * after t*. Under either model, estimates re-referenced at t0 are
 * A(t) - A(t0), B(t) - B(t0) (the L-model's s-coordinates follow its closed
 * form exactly even where beta/alpha is not constant), and their
 * derivatives the generating alpha, beta away from the jump. */
static double pl_alpha(double t) { return t < 1000 ? 1e-4 : 3e-3; }
static double pl_A(double t) { return t < 1000 ? 1e-4 * t : 0.1 + 3e-3 * (t - 1000); }

static void test_plateau(void)
{
    enum { C = 1001, K = 3, p = 3 };
    double t[C], *x = malloc(sizeof(double) * C * K * p), x0[K * p];
    double A[C], B[C], d[C];
    lesde_err e;
    for (int i = 0; i < K * p; i++)
        x0[i] = 0.05 + 1e-3 * ((i * 7) % 5 - 2) + 1e-4 * i;
    for (int m = 0; m < 2; m++) {
        for (int c = 0; c < C; c++) {
            t[c] = 10.0 * c;
            le_ode_closed_form(x0, K, p, m, pl_A(t[c]), -1e-4 * t[c], x + (size_t)c * K * p);
        }
        int c0 = le_plateau_index(x, C, K, p, 10);
        if (m == LE_MODEL_I) {
            double tstar = 1000 + (3 * log(10.0) - 0.2) / 3.1e-3;
            int want = (int)ceil(tstar / 10);
            CHECK(c0 == want, "plateau ends at checkpoint %d (t %g), expected %d (t* = %.1f)", c0,
                  c0 >= 0 ? t[c0] : -1, want, tstar);
            CHECK(le_plateau_index(x, C, K, p, 1e6) == -1, "never reached: -1");
        }
        CHECK(c0 > 100, "model %d: a plateau end after the jump (%d)", m, c0);
        CHECK(le_estimate_ref(m, x, C, K, p, c0, A, B, &e) == 0, "%s", e.msg);
        double ea = 0, eb = 0;
        for (int c = 0; c < C; c++) {
            ea = fmax(ea, fabs(A[c] - (pl_A(t[c]) - pl_A(t[c0]))));
            eb = fmax(eb, fabs(B[c] - (-1e-4 * (t[c] - t[c0]))));
        }
        CHECK(ea < 1e-9 && eb < 1e-9, "model %d re-referenced at t0: |A err| %g |B err| %g", m, ea,
              eb);
        CHECK(A[c0] == 0 && B[c0] == 0, "A(t0) = B(t0) = 0");
        CHECK(le_savgol_deriv_t(t, A, C, 2, 151, 0, d, &e) == 0, "%s", e.msg);
        double worst = 0;
        for (int c = 0; c < C; c++)
            if (fabs(t[c] - 1000) > 151 / 2.0 + 10)
                worst = fmax(worst, fabs(d[c] - pl_alpha(t[c])));
        CHECK(worst < 1e-12, "model %d: alphahat of the re-referenced A: error %g", m, worst);
        if (m != LE_MODEL_I)
            continue;
        /* from Xbar(t0), the I-model with the true alpha, beta follows the data */
        double al[C], be[C], *y = malloc(sizeof(double) * C * K * p);
        for (int c = 0; c < C; c++) {
            al[c] = pl_alpha(t[c]);
            be[c] = -1e-4;
        }
        al[100] = 1e-4; /* the trapezoid then integrates the jump exactly */
        CHECK(le_imitate_from(t, C, x, K, p, c0, al, be, LE_MODEL_I, y, &e) == 0, "%s", e.msg);
        CHECK(isnan(y[(size_t)(c0 - 1) * K * p]), "NaN before t0");
        size_t n = (size_t)(C - c0) * K * p;
        double err = maxabs_diff(y + (size_t)c0 * K * p, x + (size_t)c0 * K * p, n);
        double big = 0;
        for (size_t i = 0; i < n; i++)
            big = fmax(big, fabs(x[(size_t)c0 * K * p + i]));
        CHECK(err < 1e-12 * big, "I-model from Xbar(t0): max error %g of %g", err, big);
        free(y);
    }
    free(x);
}

/* ---- the reference method ---- */

typedef struct {
    double a, b;
} const_ab;

static void const_E(double t, double *E, int K, void *ctx)
{
    (void)t;
    const const_ab *c = ctx;
    for (int k = 0; k < K; k++)
        for (int l = 0; l < K; l++)
            E[k * K + l] = k == l ? c->a : c->b;
}

/* 1. When the genuine trajectory is the L-model's LE-ODE from the very mean
 *    start the method draws (checkpoint 0 carries only the noise scale: the
 *    method reads nothing else of Xbar(0)), the method returns it: scale
 *    1 up to forward Euler's error (the S-mode's rate h = (alpha - beta)/K =
 *    1.33e-3 per step: n h^2 / 2 = 9e-3 over n = 1e4 steps), RD as small.
 * 2. With another draw the mean start is another point; where one mode
 *    dominates (S(t) dhat_k grows by e^13.3 over T, the class deviations by
 *    e^3.3) the rescaled curve lands on the data over the last 10%, and the
 *    scale is no longer 1: the scale does the work of the start. */
static void test_reference(void)
{
    enum { C = 101, K = 3, p = 3, D = K * p, N = 200 };
    double t[C], x0[D] = {0.3, -0.2, 0.15, 0.1, 0.4, -0.3, -0.25, 0.2, 0.35};
    double *x = malloc(sizeof(double) * C * D), *y = malloc(sizeof(double) * C * D);
    double *sd = malloc(sizeof(double) * C * D), *y0 = malloc(sizeof(double) * N * D);
    double al[C], be[C], ybar0[D] = {0}, rd[C * K], scale;
    lesde_err e;
    const_ab ab = {2e-3, -2e-3};
    for (int c = 0; c < C; c++) {
        t[c] = 100.0 * c;
        al[c] = ab.a;
        be[c] = ab.b;
    }
    le_ref_opts o = {.paths = N, .noise_scale = 1, .align = 0, .tail_iters = 1000, .seed = 42,
                     .stream = 1};
    CHECK(le_ref_starts(x0, K, p, &o, y0) == 0, "starts");
    for (int i = 0; i < N; i++)
        for (int j = 0; j < D; j++)
            ybar0[j] += y0[i * D + j] / N;
    CHECK(le_ode_integrate(ybar0, K, p, LE_MODEL_L, NULL, const_E, &ab, t, C, 1e-12, x, &e) == 0,
          "%s", e.msg);
    memcpy(x, x0, sizeof x0); /* t_0: the noise scale */
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &o, y, sd, &scale, &e) == 0, "%s",
          e.msg);
    le_rd(x, y, C, K, p, rd);
    double worst = 0;
    for (int i = K; i < C * K; i++)
        worst = fmax(worst, rd[i]);
    CHECK(fabs(scale - 1) < 2e-2 && worst < 2e-2,
          "the model's own start: scale %.6f (1), worst RD %.2g", scale, worst);
    printf("  reference method, right start: scale %.5f, worst RD %.2g\n", scale, worst);
    CHECK(sd[(C - 1) * D] > 0 && isfinite(sd[(C - 1) * D]), "spread across paths");
    /* at t_0 Phi = I: every path is its start, so the spread is |scale|
     * times the starts' sample sd (n - 1), Welford against two passes */
    for (int j = 0; j < D; j++) {
        double mu = 0, ss = 0;
        for (int i = 0; i < N; i++)
            mu += y0[i * D + j] / N;
        for (int i = 0; i < N; i++)
            ss += (y0[i * D + j] - mu) * (y0[i * D + j] - mu);
        CHECK_NEAR(sd[j], fabs(scale) * sqrt(ss / (N - 1)), 1e-12);
    }
    /* the starts of class k are N(0, |x0^k|^2 / K): sample sd over 5000
     * paths x p coordinates within 3% (its standard error is 0.6%; without
     * the 1/sqrt K it would be 73% off) */
    {
        enum { NS = 5000 };
        le_ref_opts os = o;
        os.paths = NS;
        double *ys = malloc(sizeof(double) * NS * D);
        CHECK(le_ref_starts(x0, K, p, &os, ys) == 0, "starts");
        for (int k = 0; k < K; k++) {
            double mu = 0, ss = 0, n2 = 0;
            for (int i = 0; i < NS; i++)
                for (int j = 0; j < p; j++)
                    mu += ys[i * D + k * p + j] / (NS * p);
            for (int i = 0; i < NS; i++)
                for (int j = 0; j < p; j++)
                    ss += (ys[i * D + k * p + j] - mu) * (ys[i * D + k * p + j] - mu);
            for (int j = 0; j < p; j++)
                n2 += x0[k * p + j] * x0[k * p + j];
            double sdk = sqrt(ss / (NS * p - 1)), want = sqrt(n2) / sqrt((double)K);
            CHECK(fabs(sdk / want - 1) < 0.03, "class %d starts: sd %g, |x0|/sqrt K %g", k, sdk,
                  want);
        }
        free(ys);
    }

    o.seed = 43; /* another draw */
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &o, y, NULL, &scale, &e) == 0,
          "%s", e.msg);
    le_rd(x, y, C, K, p, rd);
    worst = 0;
    for (int i = (C - 11) * K; i < C * K; i++)
        worst = fmax(worst, rd[i]);
    CHECK(worst < 0.05 && fabs(scale - 1) > 0.1,
          "another start: late RD %.3g (< 0.05), scale %.3f (not 1)", worst, scale);
    printf("  reference method, another start: scale %.4f, worst RD over the last 10%% %.3g\n",
           scale, worst);
    /* the same inputs give the same bytes */
    double *y2 = malloc(sizeof(double) * C * D), scale2;
    le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &o, y2, NULL, &scale2, &e);
    CHECK(!memcmp(y, y2, sizeof(double) * C * D) && scale == scale2, "deterministic");
    free(y2);
    free(x);
    free(y);
    free(sd);
    free(y0);
}

/* The scalar from records of the window (ref_every), not its checkpoints:
 *  * records at every iteration of the last 1,000 whose coordinate align is
 *    twice the unscaled mean path there (read off a run with a checkpoint at
 *    every iteration) give the scale 2: the path is taken at the records'
 *    own iterations (one off would be ~1e-3 off here);
 *  * records at the window's checkpoints, equal to the means there, give the
 *    checkpoints' scale;
 *  * records off the Euler grid or out of order are refused. */
static void test_reference_records(void)
{
    enum { C = 101, K = 3, p = 3, D = K * p, T = 10000, R = 1000 };
    double t[C], al[C], be[C], x0[D] = {0.3, -0.2, 0.15, 0.1, 0.4, -0.3, -0.25, 0.2, 0.35};
    double *td = malloc(sizeof(double) * (T + 1)), *ald = malloc(sizeof(double) * (T + 1)),
           *bed = malloc(sizeof(double) * (T + 1)), *yd = malloc(sizeof(double) * (T + 1) * D);
    double *x = malloc(sizeof(double) * C * D), *y = malloc(sizeof(double) * C * D);
    double rt[R], *rx = malloc(sizeof(double) * R * D), scale_d, scale;
    lesde_err e;
    for (int c = 0; c < C; c++) {
        t[c] = 100.0 * c;
        al[c] = 2e-3;
        be[c] = -2e-3;
        for (int j = 0; j < D; j++) /* genuine means: only t_0 and the window matter */
            x[c * D + j] = x0[j] * (1 + 0.01 * c);
    }
    for (int i = 0; i <= T; i++) {
        td[i] = i;
        ald[i] = 2e-3;
        bed[i] = -2e-3;
    }
    memcpy(yd, x, sizeof(double) * D); /* the same t_0: the same starts */
    for (int i = 1; i <= T; i++)
        for (int j = 0; j < D; j++)
            yd[i * D + j] = 1.0; /* any nonzero genuine values: only the path is read */
    le_ref_opts o = {
        .paths = 200, .noise_scale = 1, .align = 0, .tail_iters = 1000, .seed = 42, .stream = 1};
    double *md = malloc(sizeof(double) * (T + 1) * D);
    CHECK(le_imitate_reference(td, T + 1, yd, K, p, ald, bed, LE_MODEL_L, &o, md, NULL, &scale_d,
                               &e) == 0,
          "%s", e.msg);
    for (int r = 0; r < R; r++) {
        rt[r] = T - R + 1 + r;
        for (int j = 0; j < D; j++)
            rx[r * D + j] = 0.5;
        rx[r * D + o.align] = 2 * md[(size_t)(T - R + 1 + r) * D + o.align] / scale_d;
    }
    le_ref_opts orec = o;
    orec.tail_n = R;
    orec.tail_t = rt;
    orec.tail_x = rx;
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &orec, y, NULL, &scale, &e) == 0,
          "%s", e.msg);
    CHECK(fabs(scale / 2 - 1) < 1e-12, "records at every iteration: scale %.15g (2)", scale);
    printf("  reference method from 1,000 records: scale %.15g (2)\n", scale);

    /* records at the window's 11 checkpoints, t = 9000 .. 10000 */
    double scale_ck;
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &o, y, NULL, &scale_ck, &e) == 0,
          "%s", e.msg);
    orec.tail_n = 11;
    for (int r = 0; r < 11; r++) {
        rt[r] = t[C - 11 + r];
        memcpy(rx + r * D, x + (C - 11 + r) * D, sizeof(double) * D);
    }
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &orec, y, NULL, &scale, &e) == 0,
          "%s", e.msg);
    CHECK(fabs(scale / scale_ck - 1) < 1e-12, "records at the checkpoints: %.15g, %.15g", scale,
          scale_ck);

    rt[3] = rt[2]; /* out of order */
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &orec, y, NULL, &scale, &e) ==
                  LESDE_USAGE &&
              isnan(scale),
          "records out of order refused");
    rt[3] = 9300.5; /* off the grid */
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &orec, y, NULL, &scale, &e) ==
              LESDE_USAGE,
          "a record off the iterations refused");
    rt[3] = 9300;
    rt[10] = T + 1; /* after T */
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_L, &orec, y, NULL, &scale, &e) ==
              LESDE_USAGE,
          "a record after T refused: %s", e.msg);
    free(td);
    free(ald);
    free(bed);
    free(yd);
    free(md);
    free(x);
    free(y);
    free(rx);
}

/* K = 2, p = 1, I-model, beta = 0: each Euler step multiplies a path by
 * 1 + alpha(u)/2, u the iteration the step ends at (the step from it to
 * it + 1 uses alpha(it + 1)). Checkpoints 0, 2, 4 with alpha 0.1, 0.3, 0.5
 * interpolate to alpha(1..4) = 0.2, 0.3, 0.4, 0.5: P(2) = 1.1 * 1.15 =
 * 1.265, P(4) = 1.265 * 1.2 * 1.25 = 1.8975. One path, so the raw mean is
 * y0 P. With tail_iters = 2 the window t >= 4 - 2 holds checkpoints 1 and 2
 * (t = 2 exactly on its edge): scale = (x_1 + x_2) / (y0 (P(2) + P(4))). */
static void test_reference_hand(void)
{
    enum { C = 3, K = 2, p = 1, D = K * p };
    const double t[C] = {0, 2, 4}, al[C] = {0.1, 0.3, 0.5}, be[C] = {0, 0, 0};
    const double x[C * D] = {1, -1, 1.3, -1.2, 1.7, -2.0}, P[C] = {1, 1.265, 1.8975};
    double y[C * D], sd[C * D], y0[D], scale;
    lesde_err e;
    le_ref_opts o = {
        .paths = 1, .noise_scale = 1, .align = 0, .tail_iters = 2, .seed = 7, .stream = 3};
    CHECK(le_ref_starts(x, K, p, &o, y0) == 0, "starts");
    CHECK(le_imitate_reference(t, C, x, K, p, al, be, LE_MODEL_I, &o, y, sd, &scale, &e) == 0, "%s",
          e.msg);
    double want = (x[1 * D] + x[2 * D]) / (y0[0] * (P[1] + P[2]));
    CHECK(fabs(scale / want - 1) < 1e-13, "scale %.17g, by hand %.17g", scale, want);
    for (int c = 0; c < C; c++)
        for (int k = 0; k < D; k++) {
            double w = scale * y0[k] * P[c];
            CHECK(fabs(y[c * D + k] - w) <= 1e-13 * fabs(w), "c %d k %d: %.17g, by hand %.17g", c,
                  k, y[c * D + k], w);
            CHECK(sd[c * D + k] == 0, "one path: no spread");
        }
}

/* One Euler step of Phi (rows side by side, euler.c) against the step of
 * each column alone, written out here from M's definition: the same
 * numbers up to where a compiler fuses a multiply-add (4 ulp of the
 * largest entry), under both models, for K whose columns D = K^2 fill no
 * whole vector (K = 3, 5) and some that do (K = 2, 4). */
static void test_euler_step(void)
{
    for (int K = 2; K <= 5; K++)
        for (int H = LE_MODEL_I; H <= LE_MODEL_L; H++) {
            int p = K;
            size_t D = (size_t)K * p;
            double *Phi = malloc(sizeof(double) * D * D), *want = malloc(sizeof(double) * D * D);
            double *scratch = malloc(sizeof(double) * (D + p + 1) * D), dh[5 * 5];
            double a = 0.37, b = -0.11, big = 0, worst = 0;
            le_ode_dhat(K, dh);
            for (size_t i = 0; i < D * D; i++)
                Phi[i] = sin(1.0 + 0.7 * (double)i) * (1 + (double)(i % 5));
            for (size_t c = 0; c < D; c++) {
                double v[25], w[25], sum[5] = {0};
                for (size_t r = 0; r < D; r++)
                    v[r] = Phi[r * D + c];
                for (int l = 0; l < K; l++)
                    for (int j = 0; j < p; j++) {
                        double s = 0;
                        if (H == LE_MODEL_L)
                            for (int i = 0; i < p; i++)
                                s += dh[l * K + i] * v[l * p + i];
                        w[l * p + j] = H == LE_MODEL_L ? dh[l * K + j] * s : v[l * p + j];
                        sum[j] += w[l * p + j];
                    }
                for (int k = 0; k < K; k++)
                    for (int j = 0; j < p; j++)
                        want[(size_t)(k * p + j) * D + c] =
                            v[k * p + j] + ((a - b) * w[k * p + j] + b * sum[j]) / K;
            }
            le_euler_step(Phi, K, p, (le_model)H, dh, a, b, scratch);
            for (size_t i = 0; i < D * D; i++) {
                big = fmax(big, fabs(want[i]));
                worst = fmax(worst, fabs(Phi[i] - want[i]));
            }
            CHECK(worst <= 4 * 2.3e-16 * big, "Euler step, K = %d, model %d: off by %g of %g", K, H,
                  worst, big);
            free(Phi);
            free(want);
            free(scratch);
        }
}

/* ---- the ETF baseline ---- */

static void test_etf_baseline(void)
{
    enum { C = 5, K = 4 };
    double x[C * K * K], y[C * K * K], S[C], dh[K * K], rd[C * K];
    le_ode_dhat(K, dh);
    const double Sv[C] = {1e-3, -0.2, 1.5, 7, -3};
    for (int c = 0; c < C; c++)
        for (int i = 0; i < K * K; i++)
            x[c * K * K + i] = Sv[c] * dh[i];
    le_etf_baseline(x, C, K, S, y);
    CHECK(maxabs_diff(S, Sv, C) < 1e-15 && maxabs_diff(x, y, C * K * K) < 1e-14,
          "exact on an ETF trajectory");
    le_rd(x, y, C, K, K, rd);
    double worst = 0;
    for (int i = 0; i < C * K; i++)
        worst = fmax(worst, rd[i]);
    CHECK(worst < 1e-13, "RD of the baseline on an ETF: %g", worst);
    /* RD of two zero vectors is 0 (estimate.h), not 0/0; zero against
     * non-zero is |y| / (|y| / 2) = 2 */
    {
        const double z[2 * 3] = {0}, v[2 * 3] = {0, 0, 0, 0.3, -0.4, 0};
        double r2[2];
        le_rd(z, z, 1, 2, 3, r2);
        CHECK(r2[0] == 0 && r2[1] == 0, "RD of zeros: %g %g", r2[0], r2[1]);
        le_rd(z, v, 1, 2, 3, r2);
        CHECK(r2[0] == 0 && fabs(r2[1] - 2) < 1e-15, "RD of zero and non-zero: %g %g", r2[0],
              r2[1]);
    }
    /* A diverged side: RD's limit 2 (the worst), not a NaN a median would
     * drop. Beyond double's range of the sums, RD(s a, s b) = RD(a, b). */
    {
        const double a[3 * 3] = {1, 2, 0, 1, 0, 0, 1, 0, 0};
        const double b[3 * 3] = {INFINITY, 0, 0, 1e200, -1e200, 0, 1, 0.1, 0};
        double big_a[3 * 3], big_b[3 * 3], r3[3], r4[3];
        le_rd(a, b, 1, 3, 3, r3);
        CHECK(r3[0] == 2 && fabs(r3[1] - 2) < 1e-15, "a diverged side: %.17g %.17g", r3[0], r3[1]);
        for (int i = 0; i < 9; i++)
            big_a[i] = a[i] * 1e200, big_b[i] = b[i] * 1e200;
        le_rd(big_a, big_b, 1, 3, 3, r4);
        CHECK(fabs(r4[2] - r3[2]) < 1e-15 && fabs(r3[2] - 0.1 / ((1 + sqrt(1.01)) / 2)) < 1e-15,
              "RD beyond the sums' range: %.17g, in range %.17g", r4[2], r3[2]);
        const double n_a[3] = {1, 0, 0}, n_b[3] = {NAN, 0, 0}, i_a[3] = {-INFINITY, 0, 0};
        le_rd(n_a, n_b, 1, 1, 3, r4);
        le_rd(i_a, b, 1, 1, 3, r4 + 1);
        CHECK(isnan(r4[0]) && isnan(r4[1]), "NaN, and inf against inf: undefined: %g %g", r4[0],
              r4[1]);
    }
    /* a common component along 1_K is no part of the baseline */
    for (int c = 0; c < C; c++)
        for (int i = 0; i < K * K; i++)
            x[c * K * K + i] += 0.5;
    le_etf_baseline(x, C, K, S, y);
    CHECK(maxabs_diff(S, Sv, C) < 1e-14, "S ignores the 1_K component");
}

/* A run that learns no class structure: every class at the same mean.
 * The class-average baseline is exact (RD 0), the ETF baseline has no
 * scale (S = 0: RD 2, opposite of exact). */
static void test_cmean_baseline(void)
{
    enum { C = 21, K = 3 };
    double t[C], x[C * K * K];
    lesde_err e;
    for (int c = 0; c < C; c++) {
        t[c] = 10.0 * c;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < K; j++)
                x[(c * K + k) * K + j] = 0.1 * j - 0.05 + 1e-3 * c * (j + 1);
    }
    le_fit_result fr;
    CHECK(le_fit(t, C, x, K, K, NULL, NULL, &fr, &e) == 0, "%s", e.msg);
    double worst = 0;
    for (int i = 0; i < C * K; i++)
        worst = fmax(worst, fabs(fr.rd_cmean[i]));
    CHECK(worst < 1e-15, "class-average baseline exact: %g", worst);
    CHECK(fabs(fr.rd_etf[(C - 1) * K] - 2) < 1e-12 && fabs(fr.S[C - 1]) < 1e-15,
          "ETF baseline without scale: RD %g", fr.rd_etf[(C - 1) * K]);
    CHECK(fr.plateau_c == -1, "no plateau end without class structure");
    le_fit_free(&fr);
}

/* ---- a simulation beyond double's range ---- */

/* A blow-up is +-inf, so RD scores its limit 2 and the seed stays in the
 * medians (le-sde.md section 5), never a NaN a median would drop; an
 * undefined rate (NaN alpha) stays NaN. */
static void test_diverged(void)
{
    enum { K = 3, p = 3, D = K * p };
    lesde_err e;
    double rd[K];
    /* I-model, both modes beyond range, c_j and x - c_j of opposite signs
     * (c * inf + (x - c) * inf was NaN): the value's sign, infinite */
    {
        const double x0[D] = {1, 0.2, -3, -0.5, 0.1, 2, 2, -0.4, 0.5}, tt[2] = {0, 1};
        double al[2] = {3000, 3000}, be[2] = {0, 0}, y[2 * D], xb[2 * D];
        memcpy(xb, x0, sizeof x0);
        memcpy(xb + D, x0, sizeof x0);
        CHECK(le_imitate_from(tt, 2, xb, K, p, 0, al, be, LE_MODEL_I, y, &e) == 0, "%s", e.msg);
        int ok = 1;
        for (int i = 0; i < D; i++)
            ok &= isinf(y[D + i]) && (y[D + i] > 0) == (x0[i] > 0);
        CHECK(ok, "I-model blow-up: +-inf with the signs of x0 (alpha alone: x0 e^(A/K))");
        le_rd(y + D, x0, 1, K, p, rd);
        CHECK(rd[0] == 2 && rd[1] == 2 && rd[2] == 2, "I-model blow-up: RD 2: %g %g %g", rd[0],
              rd[1], rd[2]);
    }
    /* I-model, the mean mode beyond range and the deviations' within it:
     * a coordinate whose class mean c_j is 0 keeps its finite value
     * (x - c_j) e^((A - B)/K) (0 * inf was NaN) */
    {
        const double x0[D] = {1, 2, 0.5, -1, 1, 0.25, 0, 0, 0.75}, tt[2] = {0, 1};
        double al[2] = {1000, 1000}, be[2] = {600, 600}, y[2 * D], xb[2 * D];
        memcpy(xb, x0, sizeof x0);
        memcpy(xb + D, x0, sizeof x0);
        CHECK(le_imitate_from(tt, 2, xb, K, p, 0, al, be, LE_MODEL_I, y, &e) == 0, "%s", e.msg);
        double ed = exp(400.0 / 3), worst = 0; /* c_0 = 0: coordinate 0 of each class */
        for (int k = 0; k < 2; k++) {          /* (class 2's is 0, and stays 0) */
            double rel = fabs(y[D + k * p] - x0[k * p] * ed) / (fabs(x0[k * p]) * ed);
            worst = isnan(rel) || rel > worst ? rel : worst; /* a NaN is kept: fmax drops it */
        }
        CHECK(worst < 1e-11 && y[D + 2 * p] == 0,
              "c_j = 0 under an infinite mean mode: finite, relative error %g", worst);
        CHECK(isinf(y[D + 1]) && y[D + 1] > 0 && isinf(y[D + 2]) && y[D + 2] > 0,
              "the coordinates with c_j > 0: +inf: %g %g", y[D + 1], y[D + 2]);
    }
    /* L-model (odeiv2): s_k grows as e^(alpha t / K), past double's range
     * near t = 426 at alpha = 5 */
    {
        enum { C = 11 };
        double tt[C], al[C], be[C], xb[C * D], y[C * D];
        const double x0[D] = {1.5, -0.2, -0.9, -0.3, 0.8, -0.1, -0.6, -0.4, 1.2};
        for (int c = 0; c < C; c++) {
            tt[c] = 100.0 * c, al[c] = 5, be[c] = 0;
            memcpy(xb + c * D, x0, sizeof x0);
        }
        CHECK(le_imitate_from(tt, C, xb, K, p, 0, al, be, LE_MODEL_L, y, &e) == 0, "%s", e.msg);
        int fin = 1, inf = 1, nan = 0;
        for (int c = 0; c < C; c++)
            for (int i = 0; i < D; i++) {
                double v = y[c * D + i];
                nan |= isnan(v);
                if (c <= 4)
                    fin &= isfinite(v);
                else
                    inf &= isinf(v) || v == 0;
            }
        CHECK(fin && inf && !nan, "L-model blow-up: finite to t = 400, +-inf from 500, no NaN");
        le_rd(y + (C - 1) * D, x0, 1, K, p, rd);
        CHECK(rd[0] == 2 && rd[1] == 2 && rd[2] == 2, "L-model blow-up: RD 2: %g %g %g", rd[0],
              rd[1], rd[2]);
        /* an undefined rate is no blow-up: NaN from where it enters */
        al[2] = NAN;
        le_imitate_from(tt, C, xb, K, p, 0, al, be, LE_MODEL_L, y, &e);
        CHECK(isnan(y[(C - 1) * D]), "L-model, NaN alpha: NaN, not inf: %g", y[(C - 1) * D]);
        le_imitate_from(tt, C, xb, K, p, 0, al, be, LE_MODEL_I, y, &e);
        CHECK(isnan(y[(C - 1) * D]), "I-model, NaN alpha: NaN, not inf: %g", y[(C - 1) * D]);
    }
}

int main(void)
{
    test_tail_diff();
    test_tail_local();
    test_savgol_jump();
    test_plateau();
    test_euler_step();
    test_reference();
    test_reference_records();
    test_reference_hand();
    test_etf_baseline();
    test_cmean_baseline();
    test_diverged();
    return check_done("test_le_imitate");
}
