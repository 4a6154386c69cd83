/* test_report: the pure pieces of lesde report: the p_hat* interpolation,
 * rho and p*, grid slices, the train summary rows and the CSV / Markdown /
 * HTML writers. (The figures and the index page are tested end to end by
 * tests/e2e/report.sh.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "report/internal.h"
#include "report/report.h"

/* ---- p_hat* ---- */

static void test_pstar(void)
{
    const double lvl3 = 1.0 / 3 + REPORT_STALL_MARGIN;
    /* A transition between grid points: linear interpolation. */
    double x[] = {0, 0.3, 0.5, 0.6667, 0.8};
    double y[] = {0.98, 0.92, 0.54, 0.33, 0.22};
    double want = 0.5 + (0.54 - lvl3) / (0.54 - 0.33) * (0.6667 - 0.5);
    CHECK_NEAR(report_pstar_interp(x, y, 5, lvl3), want, 1e-12);
    CHECK(want > 0.62 && want < 0.63, "the crossing lies between 0.5 and 2/3: %g", want);

    /* Never falls to the level: NaN, "not reached". */
    double hi[] = {0.98, 0.95, 0.9, 0.8, 0.7};
    CHECK(isnan(report_pstar_interp(x, hi, 5, lvl3)), "not reached is NaN");
    /* No points at all, or none finite. */
    CHECK(isnan(report_pstar_interp(x, y, 0, lvl3)), "no points is NaN");
    double nans[] = {NAN, NAN, NAN, NAN, NAN};
    CHECK(isnan(report_pstar_interp(x, nans, 5, lvl3)), "all NaN is NaN");

    /* Already at chance at the first grid point: that point. */
    double low[] = {0.35, 0.34, 0.33, 0.33, 0.33};
    CHECK_NEAR(report_pstar_interp(x, low, 5, lvl3), 0.0, 0);
    /* Exactly at the level on a grid point: that point. */
    double at[] = {0.9, 0.7, lvl3, 0.3, 0.2};
    CHECK_NEAR(report_pstar_interp(x, at, 5, lvl3), 0.5, 1e-12);
    /* ...also when it only touches the level and rises again, or touches
     * it at the last point: "falls to level or below" includes equal */
    double xt[] = {0, 0.25, 0.5};
    double touch[] = {0.9, 0.5, 0.7}, last[] = {0.9, 0.7, 0.5};
    CHECK_NEAR(report_pstar_interp(xt, touch, 3, 0.5), 0.25, 0);
    CHECK_NEAR(report_pstar_interp(xt, last, 3, 0.5), 0.5, 0);
    /* A NaN grid point (no done seed) is skipped: interpolate across it. */
    double gap[] = {0.9, NAN, 0.5, 0.2, 0.2};
    double xg[] = {0, 0.25, 0.5, 0.75, 1};
    double wg = 0.5 + (0.5 - lvl3) / (0.5 - 0.2) * 0.25;
    CHECK_NEAR(report_pstar_interp(xg, gap, 5, lvl3), wg, 1e-12);
    double gap2[] = {0.9, NAN, 0.2, 0.2, 0.2};
    double wg2 = 0 + (0.9 - lvl3) / (0.9 - 0.2) * 0.5;
    CHECK_NEAR(report_pstar_interp(xg, gap2, 5, lvl3), wg2, 1e-12);
    /* The first crossing, even if accuracy rises again after it. */
    double back[] = {0.9, 0.3, 0.9, 0.9, 0.9};
    double wb = 0 + (0.9 - lvl3) / (0.9 - 0.3) * 0.25;
    CHECK_NEAR(report_pstar_interp(xg, back, 5, lvl3), wb, 1e-12);
    /* K = 2: level 0.55. */
    double x2[] = {0, 0.25, 0.5};
    double y2[] = {0.98, 0.88, 0.45};
    double w2 = 0.25 + (0.88 - 0.55) / (0.88 - 0.45) * 0.25;
    CHECK_NEAR(report_pstar_interp(x2, y2, 3, 0.5 + REPORT_STALL_MARGIN), w2, 1e-12);

    /* p_hat* proper, at chance: a quickstart-like curve that stays a little
     * above 1/3 at 0.6 and dips below it at 2/3 crosses between them, near
     * p*, while the stall level is crossed before 0.6. */
    double xq[] = {0, 0.3, 0.5, 0.6, 2.0 / 3, 0.7, 0.8};
    double yq[] = {1.0, 0.959, 0.539, 0.363, 0.3326, 0.3255, 0.212};
    double wq = 0.6 + (0.363 - 1.0 / 3) / (0.363 - 0.3326) * (2.0 / 3 - 0.6);
    CHECK_NEAR(report_pstar_interp(xq, yq, 7, 1.0 / 3), wq, 1e-12);
    CHECK(wq > 0.66 && wq < 2.0 / 3, "chance crossing %g", wq);
    double sq = report_pstar_interp(xq, yq, 7, lvl3);
    CHECK(sq > 0.5 && sq < 0.6, "stall crossing %g", sq);
}

/* The spread of p_hat* over seeds (report_pstar_seeds). */
static void test_pstar_seeds(void)
{
    /* Two points, x = 0 and 1, every seed at 0 at x = 1: the mean curve
     * crosses level L at 1 - L / m, m the mean at x = 0, and a seed's own
     * curve at 1 - L / y0. Half the 100 seeds at 0.4, half at 0.6: m = 0.5,
     * crossing 0.5; the bootstrap's m has sd 0.1 / sqrt(100), so its
     * expanded 95% interval is about 0.5 +- z * 0.01 with
     * z = sqrt(100/99) t(0.975; 99) = 1.99421, and the crossing's
     * [1 - L / (0.5 - 0.01 z), 1 - L / (0.5 + 0.01 z)] (B = 10000
     * resamples: the quantiles within 0.002). Single seeds:
     * 1 - 0.25 / 0.4 = 0.375 and 0.5833; their median is halfway, the
     * quartiles the two values. */
    enum { S = 100 };
    double x[2] = {0, 1}, y[2 * S];
    for (int s = 0; s < S; s++) {
        y[s] = s % 2 ? 0.6 : 0.4;
        y[S + s] = 0;
    }
    report_pstar_spread sp, again;
    CHECK(report_pstar_seeds(x, y, 2, S, 0.25, &sp) == 0, "spread computed");
    CHECK_NEAR(sp.ci[0], 1 - 0.25 / (0.5 - 1.99421 * 0.01), 0.002);
    CHECK_NEAR(sp.ci[1], 1 - 0.25 / (0.5 + 1.99421 * 0.01), 0.002);
    CHECK(sp.ci[0] < 0.5 && sp.ci[1] > 0.5, "interval [%g, %g] around 0.5", sp.ci[0], sp.ci[1]);
    CHECK_NEAR(sp.q[0], (0.375 + (1 - 0.25 / 0.6)) / 2, 1e-12);
    CHECK_NEAR(sp.q[1], 0.375, 1e-12);
    CHECK_NEAR(sp.q[2], 1 - 0.25 / 0.6, 1e-12);
    CHECK(sp.reached == S && sp.seeds == S, "reached %d of %d", sp.reached, sp.seeds);
    report_pstar_seeds(x, y, 2, S, 0.25, &again);
    CHECK(memcmp(&sp, &again, sizeof sp) == 0, "the same interval every run");

    /* Identical seeds: no spread at all. */
    for (int s = 0; s < S; s++)
        y[s] = 0.5;
    report_pstar_seeds(x, y, 2, S, 0.25, &sp);
    CHECK_NEAR(sp.ci[0], 0.5, 1e-15);
    CHECK_NEAR(sp.ci[1], 0.5, 1e-15);
    CHECK_NEAR(sp.q[1], 0.5, 1e-15);

    /* One seed: its crossing, but no interval. */
    double y1[2] = {0.5, 0};
    report_pstar_seeds(x, y1, 2, 1, 0.25, &sp);
    CHECK(sp.seeds == 1 && isnan(sp.ci[0]) && isnan(sp.ci[1]), "one seed: [%g, %g]", sp.ci[0],
          sp.ci[1]);
    CHECK_NEAR(sp.q[0], 0.5, 1e-15);

    /* The interval's tail probability, Phi(-sqrt(m/(m-1)) t(0.975; m-1)),
     * against values computed apart (Python's NormalDist, tabled t):
     * widest for few seeds, the plain 0.025 as m grows. */
    CHECK_NEAR(report_boot_tail(5), 0.00095410, 1e-7);
    CHECK_NEAR(report_boot_tail(100), 0.02306439, 1e-7);
    CHECK_NEAR(report_boot_tail(1000000), 0.025, 1e-5);
    CHECK(report_boot_tail(2) < 1e-60 && isnan(report_boot_tail(1)), "m = 2: %g",
          report_boot_tail(2));

    /* Five seeds at 0.4, 0.45, 0.5, 0.55, 0.6: the expanded interval holds
     * the plain one (tail 0.025), its ends at most the single seeds'
     * extremes 1 - L / 0.4 and 1 - L / 0.6. */
    double y5[10] = {0.4, 0.45, 0.5, 0.55, 0.6, 0, 0, 0, 0, 0};
    report_pstar_seeds(x, y5, 2, 5, 0.25, &sp);
    CHECK(sp.ci[0] >= 1 - 0.25 / 0.4 - 1e-12 && sp.ci[1] <= 1 - 0.25 / 0.6 + 1e-12,
          "within the seeds: [%g, %g]", sp.ci[0], sp.ci[1]);
    /* the plain interval's ends: the resampled mean's sd is
     * sqrt(0.005 / 5) = 0.0316, 1.96 of it gives crossings 0.4292 and
     * 0.5552; the expanded one (3.10 sd) lies outside them */
    CHECK(sp.ci[0] < 0.4292 && sp.ci[1] > 0.5552, "wider than plain: [%g, %g]", sp.ci[0], sp.ci[1]);

    /* A task not done (NaN) leaves its seed out of that point only; a seed
     * with no done task is no seed. Seeds 0-3 of 6: curves 1 -> 0.5 -> 0;
     * seed 4 misses the middle point (1 -> 0: crosses level 0.4 at 0.6 on
     * x = 0, 1, 2 by its two points), seed 5 has nothing. */
    double x3[3] = {0, 1, 2}, y3[3 * 6];
    for (int s = 0; s < 6; s++) {
        y3[s] = s < 5 ? 1 : NAN;
        y3[6 + s] = s < 4 ? 0.5 : NAN;
        y3[12 + s] = s < 5 ? 0 : NAN;
    }
    report_pstar_seeds(x3, y3, 3, 6, 0.4, &sp);
    CHECK(sp.seeds == 5 && sp.reached == 5, "seeds %d reached %d", sp.seeds, sp.reached);
    CHECK_NEAR(sp.q[0], 1.2, 1e-12); /* 1.2, 1.2, 1.2, 1.2 and 2 * 0.6 */
    /* The level never reached by seeds 0-3 (all at 0.3 at x = 2, from 1):
     * only seed 4 reaches 0.2, and most resamples do not. */
    for (int s = 0; s < 4; s++)
        y3[12 + s] = 0.3;
    report_pstar_seeds(x3, y3, 3, 6, 0.2, &sp);
    CHECK(sp.seeds == 5 && sp.reached == 1, "seeds %d reached %d", sp.seeds, sp.reached);
    CHECK_NEAR(sp.q[0], 2 * 0.8, 1e-12);
    CHECK(isfinite(sp.ci[0]) && isnan(sp.ci[1]), "beyond the grid: [%g, %g]", sp.ci[0], sp.ci[1]);
    /* The bootstrap's mean curve averages the seeds done at each point
     * (sum over k done, not over all m drawn). Four seeds on 1 -> 0.5 -> 0
     * at x = 0, 1, 2, seed 3 without the middle point: every resample's
     * mean curve is 1, 0.5 (or NaN, skipped), 0 on one line, crossing
     * level 0.4 at 1.2, so the interval is [1.2, 1.2]; dividing by m
     * would pull the middle point below 0.4 whenever seed 3 is drawn. */
    double y4[3 * 4];
    for (int s = 0; s < 4; s++) {
        y4[s] = 1;
        y4[4 + s] = s < 3 ? 0.5 : NAN;
        y4[8 + s] = 0;
    }
    report_pstar_seeds(x3, y4, 3, 4, 0.4, &sp);
    CHECK(sp.seeds == 4 && sp.reached == 4, "seeds %d reached %d", sp.seeds, sp.reached);
    CHECK_NEAR(sp.ci[0], 1.2, 1e-12);
    CHECK_NEAR(sp.ci[1], 1.2, 1e-12);
    /* nobody reaches it */
    report_pstar_seeds(x3, y3, 3, 6, -1, &sp);
    CHECK(sp.reached == 0 && isnan(sp.q[0]) && isnan(sp.ci[0]) && isnan(sp.ci[1]), "none reached");
}

/* The interval from bootstrap values (report_boot_interval): the tail
 * quantiles of the finite and infinite values, NaN dropped. */
static void test_boot_interval(void)
{
    /* 0..9999 in a scrambled order: the q quantile (linear interpolation)
     * is 9999 q itself; m = 100 seeds, tail 0.02306439 (as above). */
    enum { N = 10000, X = 50 };
    static double b[N + X];
    for (int i = 0; i < N; i++)
        b[i] = (double)((i * 7919L) % N);
    double ci[2], tail = report_boot_tail(100);
    report_boot_interval(b, N, 100, ci);
    CHECK_NEAR(ci[0], 9999 * tail, 1e-9);
    CHECK_NEAR(ci[1], 9999 * (1 - tail), 1e-9);
    /* NaN (a resample without an estimate) dropped, the rest the same */
    for (int i = 0; i < N; i++)
        b[i] = (double)((i * 7919L) % N);
    for (int i = N; i < N + X; i++)
        b[i] = NAN;
    report_boot_interval(b, N + X, 100, ci);
    CHECK_NEAR(ci[0], 9999 * tail, 1e-9);
    CHECK_NEAR(ci[1], 9999 * (1 - tail), 1e-9);
    /* the top 300 beyond the end (+inf): the upper bound among them, the
     * lower one unchanged; the bottom 300 at -inf: the lower bound too */
    for (int i = 0; i < N; i++) {
        double v = (double)((i * 7919L) % N);
        b[i] = v >= N - 300 ? INFINITY : v < 300 ? -INFINITY : v;
    }
    report_boot_interval(b, N, 100, ci);
    CHECK(ci[0] == -INFINITY && ci[1] == INFINITY, "[%g, %g]", ci[0], ci[1]);
    for (int i = 0; i < N; i++) {
        double v = (double)((i * 7919L) % N);
        b[i] = v >= N - 300 ? INFINITY : v;
    }
    report_boot_interval(b, N, 100, ci);
    CHECK(ci[1] == INFINITY, "upper %g", ci[1]);
    CHECK_NEAR(ci[0], 9999 * tail, 1e-9);
    /* one seed, or nothing but NaN: no interval */
    report_boot_interval(b, N, 1, ci);
    CHECK(isnan(ci[0]) && isnan(ci[1]), "one seed: [%g, %g]", ci[0], ci[1]);
    for (int i = 0; i < X; i++)
        b[i] = NAN;
    report_boot_interval(b, X, 100, ci);
    CHECK(isnan(ci[0]) && isnan(ci[1]), "no value: [%g, %g]", ci[0], ci[1]);
}

/* How often the interval holds the true crossing, few seeds drawn from a
 * known population: the two-point curve of test_pstar_seeds with seeds'
 * y0 ~ N(0.5, 0.1), so the mean curve crosses L = 0.25 at 0.5. 400
 * draws of 5 seeds (binomial sd of the share about 0.011): the expanded
 * interval holds 0.5 in at least 90% of them; the plain 2.5%-97.5%
 * percentile interval held it in 336 of 400 (and 83% on fig3's real seeds,
 * le-sde.md section 7), so this fails if the widening goes. */
static void test_pstar_coverage(void)
{
    enum { M = 5, R = 400 };
    double x[2] = {0, 1}, y[2 * M];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    int held = 0, stalled = 0;
    for (int rep = 0; rep < R; rep++) {
        for (int s = 0; s < M; s++) {
            y[s] = 0.5 + gsl_ran_gaussian(r, 0.1);
            y[M + s] = 0;
        }
        report_pstar_spread sp;
        report_pstar_seeds(x, y, 2, M, 0.25, &sp);
        held += sp.ci[0] <= 0.5 && sp.ci[1] >= 0.5;
        stalled += !isfinite(sp.ci[0]);
    }
    gsl_rng_free(r);
    printf("  5 seeds: the interval held the crossing in %d of %d draws\n", held, R);
    CHECK(held >= 0.90 * R && held <= R, "coverage %d of %d", held, R);
    CHECK(stalled == 0, "every interval finite (%d not)", stalled);
}

/* ---- rho, p* ---- */

static void test_rho(void)
{
    CHECK_NEAR(report_p_star(2), 0.5, 0);
    CHECK_NEAR(report_p_star(3), 2.0 / 3, 1e-15);
    CHECK_NEAR(report_p_star(10), 0.9, 1e-15);
    CHECK(isnan(report_p_star(1)), "K = 1 has no p*");
    /* Every K's transition at rho = 1. */
    for (int K = 2; K <= 10; K++)
        CHECK_NEAR(report_rho(report_p_star(K), K), 1.0, 1e-14);
    CHECK_NEAR(report_rho(0.5, 3), 0.75, 1e-15);
    CHECK_NEAR(report_rho(0.5, 2), 1.0, 1e-15);
    CHECK_NEAR(report_rho(0, 4), 0.0, 0);
    CHECK_NEAR(report_rho(0.9, 4), 1.2, 1e-14);
    CHECK(isnan(report_rho(0.5, 1)), "K = 1 has no rho");
    double v[] = {1, NAN, 3, NAN, NAN};
    CHECK(report_last_finite(v, 5) == 2, "last finite of {1, NaN, 3, NaN, NaN}");
    CHECK(report_last_finite(v, 2) == 0, "last finite of {1, NaN}");
    CHECK(report_last_finite(v + 3, 2) == -1, "no finite value");
}

/* ---- slices of a grid ---- */

static const char *spec_text = "[sweep]\nname = t\nseeds = 0..1\n"
                               "[study.k]\nkind = train\nclasses = 2, 3\n"
                               "rho = 0, 0.5, 1\nlr = 0.01, 0.02\n"
                               "[study.one]\nkind = train\n";

static void test_slices(void)
{
    spec s;
    lesde_err e = {0};
    int rc = spec_parse(&s, spec_text, "slices.ini", NULL, 0, &e);
    CHECK(rc == 0, "spec parses: %s", e.msg);
    if (rc)
        return;
    const spec_study *st = &s.studies[0];
    CHECK(!strcmp(st->name, "k") && st->n_points == 12, "study k has 12 points");
    report_study rs = {0};
    rs.st = st;
    rs.P = st->n_points;
    rs.S = st->n_seeds;
    int slice[12];
    char name[12][256];
    /* fig3 / p_hat*: p_err and rho vary, classes and lr fixed: 4 slices. */
    static const char *const pol[] = {"p_err", "rho", NULL};
    int n = report_slices(&rs, pol, slice, name);
    CHECK(n == 4, "4 slices (classes x lr), got %d", n);
    CHECK(!strcmp(name[0], "classes=2, lr=0.01"), "slice 0 named '%s'", name[0]);
    int count[12] = {0};
    for (long p = 0; p < rs.P; p++) {
        CHECK(slice[p] >= 0 && slice[p] < n, "slice index in range");
        count[slice[p]]++;
        /* Points of one slice share classes and lr. */
        int a_k = spec_axis_find(st, "classes"), a_lr = spec_axis_find(st, "lr");
        for (long q = 0; q < p; q++)
            if (slice[q] == slice[p])
                CHECK(spec_point_coord(st, q, a_k) == spec_point_coord(st, p, a_k) &&
                          spec_point_coord(st, q, a_lr) == spec_point_coord(st, p, a_lr),
                      "points %ld and %ld share a slice", q, p);
    }
    for (int k = 0; k < n; k++)
        CHECK(count[k] == 3, "slice %d has the 3 rho values, not %d", k, count[k]);
    /* kabl: classes free as well: slices by lr. */
    static const char *const kab[] = {"classes", "p_err", "rho", NULL};
    n = report_slices(&rs, kab, slice, name);
    CHECK(n == 2 && !strcmp(name[1], "lr=0.02"), "2 slices by lr, got %d ('%s')", n, name[1]);
    /* Everything free: one slice with an empty name. */
    static const char *const all[] = {"classes", "rho", "lr", NULL};
    n = report_slices(&rs, all, slice, name);
    CHECK(n == 1 && name[0][0] == '\0', "one unnamed slice");
    /* A study without axes: one point, one slice. */
    report_study one = {0};
    one.st = &s.studies[1];
    one.P = one.st->n_points;
    n = report_slices(&one, pol, slice, name);
    CHECK(n == 1 && one.P == 1 && name[0][0] == '\0', "no axes: one slice");
    spec_free(&s);
}

/* ---- tables ---- */

/* Reads a whole file written by a table writer. */
static char *written(int (*w)(const report_table *, FILE *), const report_table *t)
{
    FILE *f = tmpfile();
    if (!f)
        return NULL;
    int rc = w(t, f);
    long n = ftell(f);
    rewind(f);
    char *buf = calloc((size_t)n + 1, 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (rc) {
        free(buf);
        return NULL;
    }
    return buf;
}

static report_point a_point(void)
{
    report_point pt;
    memset(&pt, 0, sizeof pt);
    pt.K = 3;
    pt.p_err = 0.5;
    pt.rho = 0.75;
    pt.n_done = 4;
    pt.n_seeds = 5;
    pt.acc[0] = 0.9;
    pt.acc[1] = 0.8;
    pt.acc[2] = 1;
    pt.loss[0] = 0.25;
    pt.loss[1] = NAN; /* one seed: no interval */
    pt.loss[2] = NAN;
    for (int m = 0; m < 2; m++)
        for (int q = 0; q < 3; q++)
            for (int i = 0; i < 3; i++)
                pt.tail[m][q][i] = 0.5 + m + 0.125 * q + 0.01 * i;
    pt.sep[0] = NAN;
    pt.sep[1] = NAN;
    pt.sep[2] = NAN;
    pt.sepall[0] = 0.75; /* 3 of 4 seeds, and Wilson's interval */
    pt.sepall[1] = 0.300641842582402;
    pt.sepall[2] = 0.954412739190299;
    pt.sepall[3] = 4;
    return pt;
}

static int col_of(const report_table *t, const char *name)
{
    for (int c = 0; c < t->ncol; c++)
        if (!strcmp(t->head[c], name))
            return c;
    return -1;
}

/* Quantiles as numpy's default (linear between order statistics), NaN
 * skipped, NaN when nothing is finite. */
static void test_quantiles(void)
{
    double v[5] = {3, 1, NAN, 2, 4}, q[3];
    report_quantiles(v, 5, q);
    CHECK(q[0] == 2.5 && q[1] == 1.75 && q[2] == 3.25, "1..4: %g %g %g", q[0], q[1], q[2]);
    double one[1] = {7};
    report_quantiles(one, 1, q);
    CHECK(q[0] == 7 && q[1] == 7 && q[2] == 7, "one value");
    double none[2] = {NAN, INFINITY};
    report_quantiles(none, 2, q);
    CHECK(isnan(q[0]) && isnan(q[1]) && isnan(q[2]), "nothing finite: NaN");
    /* a two-valued distribution: the median sits at one of the values, the
     * IQR spans the gap (a mean would sit between them) */
    double two[8] = {0.3, 0.3, 0.3, 1.9, 1.9, 1.9, 1.9, 1.9};
    report_quantiles(two, 8, q);
    CHECK(q[0] == 1.9 && q[1] == 0.3 && q[2] == 1.9, "two-valued: %g %g %g", q[0], q[1], q[2]);
    /* times to an event, NaN where it never came: later than any. 1, 2, 3,
     * inf, inf: median 3, q25 2, q75 inf (between inf and inf) */
    double ev[5] = {NAN, 3, 1, NAN, 2};
    report_quantiles_censored(ev, 5, q);
    CHECK(q[0] == 3 && q[1] == 2 && isinf(q[2]) && q[2] > 0, "censored: %g %g %g", q[0], q[1],
          q[2]);
    /* 1, 2, inf, inf: the median lies between 2 and inf: inf, not NaN */
    double half[4] = {2, NAN, 1, NAN};
    report_quantiles_censored(half, 4, q);
    CHECK(isinf(q[0]) && q[1] == 1.75 && isinf(q[2]), "half censored: %g %g %g", q[0], q[1], q[2]);
}

static void test_train_rows(void)
{
    const char *names[64];
    /* CSV: study, K, p_err, rho, extra axes, 8 counts / accuracy / loss, 18
     * tail indices (2 models x alpha, beta, gamma x median, q25, q75), 3
     * separable fraction, 4 all-pairs-separable: 37 without extra axes. */
    int nc = report_train_columns(NULL, 0, 0, names, 64);
    CHECK(nc == 37, "37 CSV columns, got %d", nc);
    CHECK(!strcmp(names[0], "study") && !strcmp(names[1], "K") && !strcmp(names[3], "rho"),
          "leading columns");
    const char *keys[] = {"lr", "dataset"};
    CHECK(report_train_columns(keys, 2, 0, names, 64) == 39, "39 columns with 2 axes");
    CHECK(!strcmp(names[4], "lr") && !strcmp(names[5], "dataset"), "axis columns after rho");
    CHECK(report_train_columns(keys, 2, 0, names, 10) == -1, "too many columns is an error");
    int mc = report_train_columns(keys, 1, 1, names, 64);
    CHECK(mc == 15, "15 Markdown columns with 1 axis, got %d", mc);

    report_table t;
    CHECK(report_table_init(&t, report_train_columns(keys, 1, 0, names, 64)) == 0, "init");
    for (int c = 0; c < t.ncol; c++)
        report_table_head(&t, c, names[c]);
    report_point pt = a_point();
    const char *lab[] = {"0.01"};
    CHECK(report_train_row(&t, "pollution", lab, 1, &pt, 0) == 0, "csv row");
    CHECK(t.nrow == 1, "one row");
#define CELL(name) (t.cell[col_of(&t, name)] ? t.cell[col_of(&t, name)] : "")
    CHECK(!strcmp(CELL("study"), "pollution"), "study cell '%s'", CELL("study"));
    CHECK(!strcmp(CELL("K"), "3") && !strcmp(CELL("p_err"), "0.5") && !strcmp(CELL("rho"), "0.75"),
          "K, p_err, rho");
    CHECK(!strcmp(CELL("lr"), "0.01"), "axis cell");
    CHECK(!strcmp(CELL("n_done"), "4") && !strcmp(CELL("n_seeds"), "5"), "counts");
    CHECK(!strcmp(CELL("final_val_acc"), "0.9") && !strcmp(CELL("final_val_acc_hi"), "1"),
          "accuracy '%s'", CELL("final_val_acc"));
    CHECK(!strcmp(CELL("final_val_loss_lo"), "NaN"), "NaN written as NaN: '%s'",
          CELL("final_val_loss_lo"));
    CHECK(!strcmp(CELL("r_alpha_I"), "0.5") && !strcmp(CELL("r_beta_L"), "1.625") &&
              !strcmp(CELL("r_gamma_L_q75"), "1.77"),
          "tail indices by model: %s %s %s", CELL("r_alpha_I"), CELL("r_beta_L"),
          CELL("r_gamma_L_q75"));
    CHECK(!strcmp(CELL("sep_frac"), "NaN"), "no fit: NaN separability");
    CHECK(!strcmp(CELL("sep_all"), "0.75") && !strcmp(CELL("sep_all_lo"), "0.300642") &&
              !strcmp(CELL("sep_all_n"), "4"),
          "all pairs separable: %s %s %s", CELL("sep_all"), CELL("sep_all_lo"), CELL("sep_all_n"));
#undef CELL
    /* A row of the wrong width is refused. */
    CHECK(report_train_row(&t, "x", lab, 0, &pt, 0) != 0, "mismatched row is an error");
    CHECK(t.nrow == 1, "a refused row leaves the table as it was");
    CHECK(report_train_row(&t, "second", lab, 1, &pt, 0) == 0 && t.nrow == 2, "second row");

    char *csv = written(report_table_csv, &t);
    CHECK(csv != NULL, "csv written");
    if (csv) {
        CHECK(!strncmp(csv, "study,K,p_err,rho,lr,n_done,", 28), "csv header: %.40s", csv);
        int lines = 0;
        for (char *s = csv; *s; s++)
            lines += *s == '\n';
        CHECK(lines == 3, "header + 2 rows, got %d lines", lines);
    }
    free(csv);
    report_table_free(&t);

    /* Markdown: intervals in one cell, no study column. */
    report_table m;
    mc = report_train_columns(keys, 1, 1, names, 64);
    report_table_init(&m, mc);
    for (int c = 0; c < mc; c++)
        report_table_head(&m, c, names[c]);
    CHECK(report_train_row(&m, "pollution", lab, 1, &pt, 1) == 0, "md row");
    CHECK(!strcmp(m.cell[col_of(&m, "final val acc [95% CI]")], "0.9 [0.8, 1]"),
          "interval cell '%s'", m.cell[col_of(&m, "final val acc [95% CI]")]);
    CHECK(!strcmp(m.cell[col_of(&m, "final val loss [95% CI]")], "0.25"),
          "no interval: the mean alone");
    CHECK(!strcmp(m.cell[col_of(&m, "done")], "4/5"), "done of all");
    CHECK(!strcmp(m.cell[col_of(&m, "all pairs separable [Wilson 95%]")], "3/4 [0.3006, 0.9544]"),
          "seeds of all, and the interval: '%s'",
          m.cell[col_of(&m, "all pairs separable [Wilson 95%]")]);
    char *md = written(report_table_md, &m);
    CHECK(md && strstr(md, "| K | p_err | rho | lr | done |") && strstr(md, "|:---|---:|"),
          "markdown header and rule: %.80s", md ? md : "");
    free(md);
    report_table_free(&m);
}

static void test_writers(void)
{
    report_table t;
    report_table_init(&t, 3);
    report_table_head(&t, 0, "name");
    report_table_head(&t, 1, "value");
    report_table_head(&t, 2, "note");
    int r = report_table_row(&t);
    report_table_set(&t, r, 0, "a,b");
    report_table_set(&t, r, 1, "%d", 42);
    report_table_set(&t, r, 2, "say \"hi\" | <b>&");
    r = report_table_row(&t);
    report_table_num(&t, r, 1, NAN);
    report_table_num(&t, r, 2, 1.0 / 3);
    CHECK(report_table_set(&t, 5, 0, "x") == -1 && report_table_set(&t, 0, 3, "x") == -1,
          "out-of-range cells are refused");

    char *csv = written(report_table_csv, &t);
    CHECK(csv && !strcmp(csv, "name,value,note\n"
                              "\"a,b\",42,\"say \"\"hi\"\" | <b>&\"\n"
                              ",NaN,0.333333\n"),
          "csv quoting: [%s]", csv ? csv : "");
    free(csv);
    char *md = written(report_table_md, &t);
    CHECK(md && strstr(md, "| a,b | 42 | say \"hi\" \\| <b>& |"), "md escapes '|': [%s]",
          md ? md : "");
    free(md);
    char *html = written(report_table_html, &t);
    CHECK(html && strstr(html, "<td>say &quot;hi&quot; | &lt;b&gt;&amp;</td>") &&
              strstr(html, "<th>name</th>"),
          "html escapes: [%s]", html ? html : "");
    free(html);
    report_table_free(&t);

    /* Shell quoting of paths handed to gnuplot. */
    char q[64];
    CHECK(report_shell_quote("a b", q, sizeof q) == 0 && !strcmp(q, "'a b'"), "quote: %s", q);
    CHECK(report_shell_quote("it's", q, sizeof q) == 0 && !strcmp(q, "'it'\\''s'"),
          "quote a quote: %s", q);
    CHECK(report_shell_quote("0123456789", q, 8) == -1, "too long is refused");
    /* gnuplot strings: quotes doubled, enhanced-text characters literal. */
    FILE *f = tmpfile();
    if (f) {
        report_gp_str(f, "p_err=0, it's {x}^2");
        rewind(f);
        char buf[128] = "";
        CHECK(fgets(buf, sizeof buf, f) != NULL, "read back");
        CHECK(!strcmp(buf, "'p\\_err=0, it''s \\{x\\}\\^2'"), "gnuplot string: %s", buf);
        fclose(f);
    }
}

int main(void)
{
    test_pstar();
    test_pstar_seeds();
    test_boot_interval();
    test_pstar_coverage();
    test_rho();
    test_slices();
    test_quantiles();
    test_train_rows();
    test_writers();
    return check_done("test_report");
}
